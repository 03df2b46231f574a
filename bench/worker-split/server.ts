/**
 * An EXPERIMENT, not the service: what issue 5's throughput would be if the event loop only did
 * HTTP and one worker thread did the CPU work (`bench/compare.ts` runs it beside the service and
 * the baseline; RESULTS.md, "Third session", gives the figures).
 *
 * The main thread reads the body as bytes (body-parser's raw reader, with helmet's headers as in
 * the service) and transfers them to a worker (./worker.ts) that parses, validates and answers the
 * order-sign call from its prefetch, the same pipeline as the golden test; the JSON comes back and is
 * written with the service's headers. Left out, so the figures flatter it: authentication, the
 * request log and HTTP metrics, recording issued cards, error answers (400/412/...), the FHIR
 * fallback. PORT from the environment; WORKERS (default 1).
 */
import express from 'express';
import helmet from 'helmet';
import type { ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';

const workers = Array.from(
  { length: Number(process.env['WORKERS'] ?? 1) },
  // The worker's young generation as the service's flags set it (3 × a 4 MB semi-space).
  () => new Worker(new URL('./worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 12 } }),
);
const waiting = new Map<number, ServerResponse>();
let nextId = 0;

for (const w of workers) {
  w.on('message', ({ id, json }: { id: number; json: string }) => {
    const res = waiting.get(id);
    waiting.delete(id);
    res?.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store' });
    res?.end(json);
  });
}

const app = express();
app.disable('x-powered-by');
app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }));
app.post('/cds-services/:id', express.raw({ type: 'application/json', limit: '1mb' }), (req, res) => {
  const body = req.body as Buffer;
  // A body of more than 4 KiB has an ArrayBuffer of its own (Buffer.concat): transfer it, no copy.
  const bytes = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body.buffer : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const id = nextId++;
  waiting.set(id, res);
  workers[id % workers.length]!.postMessage({ id, bytes }, [bytes as ArrayBuffer]);
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

const server = app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void Promise.all(workers.map((w) => w.terminate())).then(() => process.exit(0));
});
