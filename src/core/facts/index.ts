/**
 * docs/clinical-logic.md#facts: the facts of one request, normalised once, each with the resource, code, date and
 * value it came from. Pure: `now` is injected, nothing is read from the outside. Each part lives
 * in its own file and returns its piece of `Facts`.
 */
import type { Policy } from '../policy.js';
import type { Facts } from '../types.js';
import { conditionFacts } from './conditions.js';
import { aiStatus, createContext, patientFacts, requestFacts, type FactsInput } from './context.js';
import { dxaFacts } from './dxa.js';
import { labFacts } from './labs.js';
import { ignoredFacts } from './ignored.js';
import { ignoredMedications, medicationFacts } from './medications.js';
import { riskFactorFacts } from './risk-factors.js';
import { safetyFacts } from './safety.js';

export type { FactsInput } from './context.js';

export function computeFacts(input: FactsInput, policy: Policy): Facts {
  const ctx = createContext(input, policy);
  const { today, patient, notChecked } = requestFacts(ctx);
  const { drugs, newStart, ...aiOptional } = aiStatus(ctx, input);
  const { dxaWithinInterval, tScores, bmdLosses, ...dxaOptional } = dxaFacts(ctx);
  const optional = {
    ...patientFacts(ctx),
    ...aiOptional,
    ...dxaOptional,
    ...labFacts(ctx),
    ...medicationFacts(ctx, input),
    ...conditionFacts(ctx),
  };
  const safety = safetyFacts(ctx);
  const ignored = ignoredFacts(ctx, { ...optional, safety }, ignoredMedications(ctx, optional));
  // The members every Facts has come first, then each part's optional ones: serialised facts keep
  // one key order (the golden outputs hash them).
  return {
    today,
    patient,
    drugs,
    newStart,
    dxaWithinInterval,
    tScores,
    bmdLosses,
    ...riskFactorFacts(ctx, optional),
    safety,
    notChecked,
    ...optional,
    ...ignored,
  };
}
