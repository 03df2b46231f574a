/**
 * The yardstick: a bare Express app that parses the same JSON body and answers one fixed card.
 * Whatever the real service costs above this is our own work per request.
 */
import express from 'express';

const FIXED = JSON.stringify({
  cards: [{ uuid: '00000000-0000-4000-8000-000000000000', summary: 'Order a baseline DXA before anastrozole', indicator: 'warning', source: { label: 'baseline' } }],
});

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
app.post('/cds-services/:id', (req, res) => {
  if (typeof req.body !== 'object' || req.body === null) {
    res.status(400).end();
    return;
  }
  res.type('application/json').send(FIXED);
});
app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
const port = Number(process.env.PORT ?? 0);
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
