/**
 * The compute half of the worker-split experiment (see ./server.ts): parse → validate → find the
 * order → gather from prefetch → evaluate → render → stringify, for bodies handed over as bytes.
 */
import { parentPort } from 'node:worker_threads';
import { timeOrderedId } from '../../src/time-ordered-id.js';
import { answerOrderSign } from '../pipeline.js';

parentPort!.on('message', (msg: { id: number; bytes: ArrayBuffer }) => {
  const body: unknown = JSON.parse(Buffer.from(msg.bytes).toString('utf8'));
  void answerOrderSign(body, { now: new Date(), newId: timeOrderedId }).then(({ cards }) =>
    parentPort!.postMessage({ id: msg.id, json: JSON.stringify({ cards }) }),
  );
});
