/**
 * Ready-to-sign FHIR R4 drafts for card suggestions (docs/clinical-logic.md, card sections): codes from the value sets,
 * doses and intervals from the policy. `subject` is added by the renderer, which knows the patient.
 */
import type { Dosage, MedicationRequest, ServiceRequest } from 'fhir/r4.js';
import type { Policy } from './policy.js';
import type { AiDrug } from './trigger.js';
import type { BoneAgent, SuggestionDraft } from './types.js';
import { concepts, regimenConcept, SYSTEMS, type SimpleCoding, type ValueSetName } from './valuesets/index.js';

type Regimen = Policy['regimens']['denosumab'];

function coding(vs: ValueSetName, code: string): SimpleCoding {
  const c = concepts(vs).find((x) => x.code === code);
  if (!c) throw new Error(`value set ${vs} lacks ${code}`);
  return { system: c.system, code: c.code, display: c.display };
}

function drugList(drugs: AiDrug[]): string {
  return drugs.join(' / ');
}

const EVERY: Record<Regimen['everyUnit'], [string, string]> = {
  d: ['day', 'days'],
  wk: ['week', 'weeks'],
  mo: ['month', 'months'],
};

export function intervalText(every: number, unit: Regimen['everyUnit']): string {
  const [one, many] = EVERY[unit];
  if (every === 1) return unit === 'd' ? 'daily' : unit === 'wk' ? 'weekly' : 'monthly';
  return `every ${every} ${many ?? one}`;
}

const ROUTE_TEXT: Record<Regimen['route'], [string, string]> = {
  oral: ['by mouth', 'oral'],
  subcutaneous: ['SC', 'subcutaneous'],
  intravenous: ['IV', 'intravenous'],
};

function quantity(value: number, unit: string) {
  const code = unit === 'IU' ? '[IU]' : unit;
  return { value, unit, system: SYSTEMS.ucum, code };
}

function dosage(
  text: string,
  dose: { value: number; unit: string } | { low: number; high: number; unit: string },
  every: number,
  unit: Regimen['everyUnit'],
  route?: Regimen['route'],
): Dosage {
  const d: Dosage = {
    sequence: 1,
    text,
    timing: { repeat: { frequency: 1, period: every, periodUnit: unit } },
    doseAndRate: [
      'value' in dose
        ? { doseQuantity: quantity(dose.value, dose.unit) }
        : { doseRange: { low: quantity(dose.low, dose.unit), high: quantity(dose.high, dose.unit) } },
    ],
  };
  if (route) d.route = { text: ROUTE_TEXT[route][1] };
  return d;
}

/**
 * docs/clinical-logic.md#card-baseline-dxa baseline-dxa / dxa-follow-up: DXA, axial (CPT
 * 77080, LOINC 38268-9, SNOMED 241686001).
 */
export function dxaOrder(drugs: AiDrug[], followUp: boolean): SuggestionDraft {
  const resource: Omit<ServiceRequest, 'subject'> = {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'order',
    code: {
      coding: [
        coding('dxa-procedures', '77080'),
        coding('dxa-procedures', '38268-9'),
        coding('dxa-procedures', '241686001'),
      ],
      text: 'DXA bone density scan, axial (lumbar spine + hip)',
    },
    reasonCode: [
      {
        text: followUp
          ? `Follow-up bone density on ${drugList(drugs)} (aromatase inhibitor)`
          : `Baseline bone density at the start of ${drugList(drugs)} (aromatase inhibitor)`,
      },
    ],
  };
  return {
    key: 'dxa-order',
    label: 'Order DXA bone density scan (lumbar spine + hip)',
    isRecommended: true,
    action: { description: 'Create a draft order for an axial DXA scan', resource },
  };
}

/** docs/clinical-logic.md#card-estradiol estradiol-check: serum estradiol (LOINC 2243-4), sensitive assay. */
export function estradiolOrder(drugs: AiDrug[]): SuggestionDraft {
  const resource: Omit<ServiceRequest, 'subject'> = {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'order',
    code: { coding: [coding('estradiol', '2243-4')], text: 'Serum estradiol, sensitive assay (LC-MS/MS preferred)' },
    reasonCode: [{ text: `Estradiol monitoring in a man on ${drugList(drugs)}` }],
    note: [{ text: 'Use a sensitive assay: immunoassays are unreliable at male estradiol concentrations.' }],
  };
  return {
    key: 'estradiol-order',
    label: 'Order serum estradiol (sensitive assay)',
    isRecommended: true,
    action: { description: 'Create a draft order for serum estradiol (LOINC 2243-4)', resource },
  };
}

/**
 * docs/clinical-logic.md#card-calcium-vitamin-d calcium-vitamin-d: calcium 1000–1200 mg/day total intake with vitamin
 * D3 800–1000 IU/day.
 * The calcium figure is total intake, diet included (ASCO Rec 3.1): as a structured dose a pharmacy
 * would read it as the supplement, so only vitamin D3 is structured and calcium is instruction text.
 */
export function calciumVitaminDOrder(drugs: AiDrug[], policy: Policy): SuggestionDraft {
  const ca = policy.regimens.calciumMgPerDay;
  const vd = policy.regimens.vitaminDIuPerDay;
  const label = `Calcium to ${ca.low}–${ca.high} mg/day total (diet + supplement) + vitamin D3 ${vd.low}–${vd.high} IU/day`;
  const calciumText = `Calcium supplement to bring total daily intake (diet + supplement) to ${ca.low}–${ca.high} mg; choose a local product`;
  const resource: Omit<MedicationRequest, 'subject'> = {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: {
      text: 'Vitamin D3 (cholecalciferol) with calcium, oral supplement: choose a local product',
    },
    dosageInstruction: [
      dosage(
        `Vitamin D3 (cholecalciferol) ${vd.low}–${vd.high} IU by mouth once daily`,
        { low: vd.low, high: vd.high, unit: 'IU' },
        1,
        'd',
        'oral',
      ),
      { sequence: 1, text: calciumText, route: { text: ROUTE_TEXT.oral[1] } },
    ],
    reasonCode: [{ text: `Bone protection during ${drugList(drugs)} (aromatase inhibitor) therapy` }],
  };
  return {
    key: 'calcium-vitamin-d',
    label,
    isRecommended: true,
    action: { description: `Create a draft order: ${label}`, resource },
  };
}

const AGENT_NAMES: Record<
  BoneAgent,
  { name: string; policyKey: 'denosumab' | 'zoledronicAcid' | 'alendronate'; product: string }
> = {
  denosumab: { name: 'Denosumab', policyKey: 'denosumab', product: 'denosumab 60 mg/mL prefilled syringe' },
  'zoledronic-acid': {
    name: 'Zoledronic acid',
    policyKey: 'zoledronicAcid',
    product: 'zoledronic acid 4 mg/100 mL injection',
  },
  alendronate: { name: 'Alendronate', policyKey: 'alendronate', product: 'alendronic acid 70 mg oral tablet' },
};

export function boneAgentLabel(agent: BoneAgent, policy: Policy): string {
  const a = AGENT_NAMES[agent];
  const reg = policy.regimens[a.policyKey];
  return `${a.name} ${reg.dose} ${reg.doseUnit} ${ROUTE_TEXT[reg.route][0]} ${intervalText(reg.every, reg.everyUnit)}`;
}

/**
 * docs/clinical-logic.md#card-bone-agent bone-agent options. The product code is included only
 * when its status is trusted.
 */
export function boneAgentOrder(
  agent: BoneAgent,
  drugs: AiDrug[],
  policy: Policy,
  isRecommended: boolean,
): SuggestionDraft {
  const a = AGENT_NAMES[agent];
  const reg = policy.regimens[a.policyKey];
  const product = regimenConcept(agent);
  const label = boneAgentLabel(agent, policy);
  const med: MedicationRequest['medicationCodeableConcept'] = { text: a.product };
  if (product && policy.terminology.medicationCodeStatuses.includes(product.verification)) {
    med.coding = [{ system: product.system, code: product.code, display: product.display }];
  }
  const resource: Omit<MedicationRequest, 'subject'> = {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: med,
    dosageInstruction: [
      dosage(
        `${reg.dose} ${reg.doseUnit} ${ROUTE_TEXT[reg.route][1]} ${intervalText(reg.every, reg.everyUnit)}, for the duration of aromatase inhibitor therapy`,
        { value: reg.dose, unit: reg.doseUnit },
        reg.every,
        reg.everyUnit,
        reg.route,
      ),
    ],
    reasonCode: [{ text: `Prevention of bone loss on ${drugList(drugs)} (aromatase inhibitor)` }],
  };
  const s: SuggestionDraft = {
    key: agent,
    label,
    action: { description: `Create a draft order: ${label}`, resource },
  };
  if (isRecommended) s.isRecommended = true;
  return s;
}
