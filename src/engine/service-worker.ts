/**
 * The service worker thread: answers the calls WorkerEngine posts, concurrently, with its own
 * keep-alive FHIR agents. Log lines and FHIR error counts go back with each answer, for the main
 * thread's logger (with the request id) and metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FhirAgents } from '../fhir/gather.js';
import { timeOrderedId } from '../time-ordered-id.js';
import { answerServiceCall, type CallEvents } from '../hooks/answer.js';
import type { FromWorker, ToWorker, WorkerEvent, WorkerSettings } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('service-worker.js runs only as a worker thread');
const { policy, fhirLimits, smartLaunchUrl } = workerData as WorkerSettings;
const deps = {
  policy,
  now: () => new Date(),
  newId: timeOrderedId,
  fhirAgents: new FhirAgents(),
  ...(fhirLimits && { fhirLimits }),
  ...(smartLaunchUrl !== undefined && { smartLaunchUrl }),
};
const inFlight = new Map<number, AbortController>();

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ping') {
    reply({ type: 'pong' });
    return;
  }
  if (msg.type === 'abort') {
    inFlight.get(msg.id)?.abort();
    return;
  }
  const { id, call } = msg;
  const controller = new AbortController();
  inFlight.set(id, controller);
  const events: WorkerEvent[] = [];
  const sink: CallEvents = {
    log: (level, fields, text) => events.push({ type: 'log', level, fields, msg: text }),
    fhirError: (kind) => events.push({ type: 'fhirError', kind }),
  };
  answerServiceCall(call, deps, sink, controller.signal)
    .then(
      (answer) =>
        reply({ type: 'answer', id, events, answer }, answer.status === 200 ? [answer.json.buffer as ArrayBuffer] : []),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        reply({
          type: 'error',
          id,
          events,
          error: { name: e.name, message: e.message, ...(e.stack !== undefined && { stack: e.stack }) },
        });
      },
    )
    .finally(() => inFlight.delete(id));
});

reply({ type: 'ready' });
