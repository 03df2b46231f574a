/** Public surface of the pure clinical core (docs/ARCHITECTURE.md). */
export { findAiOrders, unresolvedMedicationReferences, AI_DRUGS } from './trigger.js';
export type { AiOrder, AiDrug } from './trigger.js';
export { evaluatePatient } from './evaluate.js';
export type { EvaluateInput } from './evaluate.js';
export { parsePolicy, defaultPolicy, PolicyError, PolicySchema } from './policy.js';
export type { Policy, DeepPartial } from './policy.js';
export { DATA_KEYS, recordFromResources, REQUIRED_DATA_KEYS } from './patient-record.js';
export type { DataKey, PatientRecord } from './patient-record.js';
export { OVERRIDE_REASON_SYSTEM } from './override-reasons.js';
export { GUIDELINES } from './guidelines.js';
export { TOPICS, RISK_FACTOR_IDS } from './types.js';
export type * from './types.js';
export { boneHistory } from './bone-history.js';
export type { BoneHistory, BmdChange, DxaScan, DxaSiteSeries } from './bone-history.js';
