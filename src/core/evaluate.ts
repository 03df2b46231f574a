/** The core's entry point: one patient's record and AI orders → facts → recommendations. */
import { computeFacts, type FactsInput } from './facts/index.js';
import type { Policy } from './policy.js';
import { evaluateRules } from './rules.js';
import type { Evaluation } from './types.js';

export type EvaluateInput = FactsInput;

/**
 * For order-sign/order-select, `aiOrders` are the AI drafts (from `findAiOrders`); none → no
 * recommendations. For patient-view, `aiOrders` is empty and the patient's active AI
 * MedicationRequests decide whether anything applies.
 */
export function evaluatePatient(input: EvaluateInput, policy: Policy): Evaluation {
  const aiOrders = input.hook === 'patient-view' ? [] : input.aiOrders;
  const facts = computeFacts({ ...input, aiOrders }, policy);
  const recommendations = evaluateRules(facts, policy);
  // An order-select card is at most info: the same card comes back at order-sign, and a patient
  // should not be interrupted twice at the same level (docs/clinical-logic.md#trigger).
  if (input.hook === 'order-select') for (const r of recommendations) r.indicator = 'info';
  return { facts, recommendations };
}
