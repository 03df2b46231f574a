/**
 * What the bone-health view shows, computed by the service's own clinical core and card renderer
 * from the record the app gathered: nothing is computed twice, so the view and the cards agree.
 */
import {
  boneHistory,
  evaluatePatient,
  type BoneHistory,
  type Evaluation,
  type PatientRecord,
  type Policy,
} from '../../src/core/index.js';
import { renderCards } from '../../src/cards/render.js';
import type { Card } from '../../src/cards/types.js';

export interface BoneHealthView {
  evaluation: Evaluation;
  history: BoneHistory;
  /** The cards the service's patient-view service would answer now. */
  cards: Card[];
}

export function buildView(record: PatientRecord, now: Date, policy: Policy): BoneHealthView {
  const evaluation = evaluatePatient({ hook: 'patient-view', now, record, aiOrders: [] }, policy);
  const history = boneHistory(record, evaluation.facts, policy);
  let n = 0;
  const cards = renderCards(evaluation.recommendations, {
    patientReference: evaluation.facts.patient,
    // Card ids matter only to the feedback the EHR sends; the view shows cards, it issues none.
    newId: () => `view-${++n}`,
  });
  return { evaluation, history, cards };
}
