/**
 * The yardstick: a bare Express app that parses the same JSON body and answers one fixed card.
 * Whatever the real service costs above this is our own work per request.
 *
 * BASELINE_SPIN_US (bench only, default 0): burn this much CPU on each answer. It answers one
 * question: what p99 does this very server have when it serves fewer calls, e.g. 0.6 × its own
 * rate? With 10 connections held open (a closed loop) latency is connections ÷ throughput, so a
 * server that meets the throughput target (≥ 0.6 × the baseline's req/s) can hardly have a lower p99
 * than this bare server slowed to the same rate: the p99 target (< 20 ms) needs a machine where
 * that is under 20 ms. bench/run.ts prints it beside the targets.
 */
import express from 'express';

const SPIN_NS = BigInt(Math.round(Number(process.env.BASELINE_SPIN_US ?? 0) * 1000));
function spin(): void {
  if (SPIN_NS === 0n) return;
  const until = process.hrtime.bigint() + SPIN_NS;
  while (process.hrtime.bigint() < until);
}

const FIXED = JSON.stringify({
  cards: [
    {
      uuid: '00000000-0000-4000-8000-000000000000',
      summary: 'Order a baseline DXA before anastrozole',
      indicator: 'warning',
      source: { label: 'baseline' },
    },
  ],
});

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
app.post('/cds-services/:id', (req, res) => {
  if (typeof req.body !== 'object' || req.body === null) {
    res.status(400).end();
    return;
  }
  spin();
  res.type('application/json').send(FIXED);
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
const port = Number(process.env.PORT ?? 0);
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
