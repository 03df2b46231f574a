/**
 * The service's work on one order-sign body, in process and without HTTP: validate → find the AI
 * order → gather from prefetch → evaluate → render. Shared by the allocation profiler and the
 * golden test, so both look at the same path as the service.
 */
import type { MedicationRequest } from 'fhir/r4.js';
import { renderCards } from '../src/cards/render.js';
import type { Card } from '../src/cards/types.js';
import { defaultPolicy, evaluatePatient, findAiOrders, type Evaluation } from '../src/core/index.js';
import { gatherPatientData } from '../src/fhir/gather.js';
import { parseHookRequest } from '../src/hooks/request-schema.js';

export async function answerOrderSign(
  body: unknown,
  opts: { now: Date; newId: () => string },
): Promise<{ evaluation: Evaluation; cards: Card[] }> {
  const parsed = parseHookRequest('order-sign', body);
  if (!parsed.ok) throw new Error('invalid order-sign request');
  const request = parsed.request;
  const aiOrders = findAiOrders(request.context.draftOrders, { medications: [], policy: defaultPolicy });
  const gathered = await gatherPatientData({
    patientId: request.context.patientId,
    prefetch: request.prefetch ?? null,
    deadlineMs: 1500,
  });
  if (!gathered.ok) throw new Error('gathering failed');
  const drafts = (request.context.draftOrders?.entry ?? [])
    .map((e) => e.resource)
    .filter(
      (r): r is MedicationRequest => r?.resourceType === 'MedicationRequest' && !aiOrders.some((o) => o.request === r),
    );
  const evaluation = evaluatePatient(
    { hook: 'order-sign', now: opts.now, record: gathered.record, aiOrders, draftMedicationRequests: drafts },
    defaultPolicy,
  );
  const cards = renderCards(evaluation.recommendations, {
    patientReference: `Patient/${request.context.patientId}`,
    newId: opts.newId,
  });
  return { evaluation, cards };
}
