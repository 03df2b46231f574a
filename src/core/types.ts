/**
 * Plain-data shapes of the clinical core: normalised facts with their provenance, and the
 * recommendations the rules produce. No classes, no Maps: everything here serialises to JSON.
 */
import type { MedicationRequest, ServiceRequest } from 'fhir/r4.js';
import type { DataKey } from './patient-record.js';
import type { AiDrug } from './trigger.js';
import type { SimpleCoding } from './valuesets/index.js';

export type HookName = 'order-sign' | 'order-select' | 'patient-view';

export const TOPICS = [
  'baseline-dxa',
  'dxa-follow-up',
  'bone-agent',
  'bmd-decline',
  'estradiol-low',
  'estradiol-check',
  'calcium-vitamin-d',
] as const;
export type Topic = (typeof TOPICS)[number];
export type Indicator = 'info' | 'warning' | 'critical';

/** Where a fact came from: the resource, the code that made it count, and its date. */
export interface Provenance {
  /** `Observation/<id>`, or the resource type alone when the resource has no id. */
  reference: string;
  code?: SimpleCoding;
  /** Calendar day, YYYY-MM-DD. */
  date?: string;
}

export interface Measurement {
  value: number;
  unit?: string;
  comparator?: '<' | '<=' | '>=' | '>';
  date: string;
  /** DXA: `lumbar spine`, `total hip`, `femoral neck`, `radius (1/3)`, `calcaneus`, `unspecified site`. */
  site?: string;
  laterality?: 'left' | 'right';
  /** The value as reported, when a unit conversion was applied. */
  reported?: { value: number; unit: string };
  /** Set when the result is older than the lookback its rule normally uses (e.g. an eGFR older than 12 months). */
  olderThanMonths?: number;
  source: Provenance;
}

export interface BmdLoss {
  site: string;
  laterality?: 'left' | 'right';
  earlier: Measurement;
  latest: Measurement;
  years: number;
  /** (earlier − latest) / earlier × 100 / years, unrounded (cards round it for display). */
  percentPerYear: number;
}

export interface MedicationUse {
  reference: string;
  resourceType: 'MedicationRequest' | 'MedicationStatement' | 'MedicationAdministration';
  status: string;
  ingredient?: string;
  label?: string;
  matchedBy: 'code' | 'text';
  coding?: SimpleCoding;
  /** authoredOn / effective start, YYYY-MM-DD. */
  date?: string;
  /**
   * A long-acting dose given or ordered recently, counted for this many months
   * (docs/clinical-logic.md#bone-agent-status).
   */
  recentDoseMonths?: number;
}

export interface ConditionFinding {
  reference: string;
  resourceType: 'Condition' | 'FamilyMemberHistory' | 'Procedure';
  label: string;
  matchedBy: 'code' | 'text';
  code?: SimpleCoding;
  onset?: string;
  /** Age at onset in whole years, when known. */
  onsetAge?: number;
}

export const RISK_FACTOR_IDS = [
  'low-t-score',
  'age',
  'low-bmi',
  'family-hip-fracture',
  'fragility-fracture',
  'glucocorticoids',
  'smoking',
] as const;
export type RiskFactorId = (typeof RISK_FACTOR_IDS)[number];

/** One of the seven Hadji risk factors: present, absent, or not assessable from the data. */
export interface RiskFactor {
  id: RiskFactorId;
  present: boolean;
  /** False when the data needed was missing or not retrieved: absent then means "unknown". */
  assessed: boolean;
  /** The threshold the factor compares against (e.g. 65 years, 20 kg/m², −1.5). */
  threshold?: number;
  /** For age: the age in whole years. */
  value?: number;
  measurement?: Measurement;
  medication?: MedicationUse;
  finding?: ConditionFinding;
  smoking?: SmokingFact;
  /** Input keys whose absence made the factor unassessable. */
  missing?: DataKey[];
}

/** What an ignored record would have been used as (docs/clinical-logic.md#missing-data). */
export type IgnoredKind =
  | 'dxa'
  | 't-score'
  | 'bmd'
  | 'estradiol'
  | 'egfr'
  | 'calcium'
  | 'vitamin-d'
  | 'smoking'
  | 'bone-agent'
  | 'calcium-vitamin-d';

/**
 * A result or medication record that exists but was left out: its status does not count, its
 * value or unit could not be read. Named on the card that would have used it, so that a card never
 * says "no X on record" while an X exists in another state (docs/clinical-logic.md#reading-values).
 */
export interface IgnoredRecord {
  kind: IgnoredKind;
  reason: 'status' | 'unreadable' | 'unit';
  /** The status, the text that was not a number, or the unit not understood. */
  detail: string;
  reference: string;
  date?: string;
  code?: SimpleCoding;
}

/**
 * The latest tobacco smoking status answer (docs/clinical-logic.md#risk-factors factor 7;
 * docs/clinical-logic.md#risk-factors).
 */
export interface SmokingFact {
  answer: string;
  /** `unreadable`: an answer in no list (never shown as absent). */
  status: 'current' | 'former' | 'never' | 'unknown' | 'unreadable';
  date: string;
  source: Provenance;
}

export interface SafetyFacts {
  /** Albumin-corrected when an albumin was close in time; mg/dL. */
  calcium?: Measurement & { corrected: boolean; albumin?: Measurement };
  vitaminD?: Measurement;
  egfr?: Measurement;
  ckd45?: ConditionFinding;
  onj?: ConditionFinding;
  hypocalcaemia?: ConditionFinding;
  vitaminDDeficiency?: ConditionFinding;
}

export interface Facts {
  today: string;
  patient: string;
  age?: number;
  birthDate?: string;
  sex?: string;
  drugs: AiDrug[];
  /** docs/clinical-logic.md#established-therapy: no active AI MedicationRequest other than the draft orders. */
  newStart: boolean;
  /** The active AI order that makes the patient established, when there is one. */
  establishedOn?: MedicationUse;
  /** The latest axial DXA: a DXA result at a minT site, or a completed axial DXA study. */
  lastDxa?: Provenance & { date: string };
  /** The latest peripheral, heel or VFA-only DXA: listed on cards, never counted as the DXA. */
  lastPeripheralDxa?: Provenance & { date: string };
  dxaWithinInterval: boolean;
  /** Every T-score within the DXA interval, lowest first. */
  tScores: Measurement[];
  minT?: Measurement;
  bmdLosses: BmdLoss[];
  bmdLoss?: BmdLoss;
  estradiol?: Measurement;
  bmi?: Measurement & { computedFrom?: { weight: Measurement; height: Measurement } };
  smoking?: SmokingFact;
  onBoneAgent?: MedicationUse;
  onCalciumOrVitaminD?: MedicationUse;
  onTestosterone?: MedicationUse;
  riskFactors: RiskFactor[];
  riskFactorCount: number;
  fragilityFracture?: ConditionFinding;
  safety: SafetyFacts;
  osteoporosis?: ConditionFinding;
  osteopenia?: ConditionFinding;
  /** A breast-cancer diagnosis: a man with one gets no estradiol card (docs/clinical-logic.md#estradiol). */
  breastCancer?: ConditionFinding;
  /** Records left out (status, unreadable value, unknown unit), newest first. */
  ignored?: IgnoredRecord[];
  notChecked: DataKey[];
}

/** A fact the card cites: its name, the value it had, and where it came from. */
export interface FactRef {
  fact:
    | 'age'
    | 'sex'
    | 'last-dxa'
    | 'no-dxa'
    | 'peripheral-dxa'
    | 'min-t-score'
    | 't-score'
    | 'bmd-loss'
    | 'estradiol'
    | 'no-estradiol'
    | 'on-ai'
    | 'on-calcium-vitamin-d'
    | 'on-testosterone'
    | 'corrected-calcium'
    | 'vitamin-d'
    | 'egfr'
    | 'ckd-4-5'
    | 'onj'
    | 'hypocalcaemia'
    | 'vitamin-d-deficiency'
    | 'fragility-fracture'
    | 'osteoporosis'
    | 'osteopenia';
  measurement?: Measurement;
  bmdLoss?: BmdLoss;
  medication?: MedicationUse;
  finding?: ConditionFinding;
  provenance?: Provenance;
  /** For age: years; for sex: the gender code. */
  value?: number | string;
  /** For `no-dxa`/`no-estradiol`/`min-t-score`: the window in months. */
  windowMonths?: number;
}

export type ReasonCode =
  | 'no-dxa-in-interval'
  | 'new-start'
  | 'established-on-ai'
  | 'not-on-calcium-vitamin-d'
  | 't-score-below-threshold'
  | 'risk-factors-at-threshold'
  | 't-score-at-or-below-critical'
  | 'fragility-fracture'
  | 'bmd-loss-at-threshold'
  | 'estradiol-below-low'
  | 'estradiol-below-critical'
  | 'no-estradiol-in-window';

export interface Reason {
  code: ReasonCode;
  /** The value's reported comparator ("< 5"), shown with it everywhere (docs/clinical-logic.md#wording). */
  comparator?: Measurement['comparator'];
  /** The policy threshold this reason compares against. */
  threshold?: number;
  value?: number;
  unit?: string;
}

export type CautionCode =
  | 'low-calcium'
  | 'calcium-unknown'
  | 'low-vitamin-d'
  | 'vitamin-d-unknown'
  | 'prior-onj'
  | 'dental-check'
  | 'renal-omission'
  | 'egfr-unknown'
  | 'egfr-old';

export interface Caution {
  code: CautionCode;
  threshold?: number;
  measurement?: Measurement;
  finding?: ConditionFinding;
}

export type BoneAgent = 'denosumab' | 'zoledronic-acid' | 'alendronate';

export interface SuggestionDraft {
  /** Stable key (e.g. `dxa-order`, `denosumab`): identical input gives identical keys. */
  key: string;
  label: string;
  isRecommended?: boolean;
  /** The create action; the renderer adds `subject` (the patient). */
  action: { description: string; resource: Omit<ServiceRequest, 'subject'> | Omit<MedicationRequest, 'subject'> };
}

export interface OverrideReason {
  system: string;
  code: string;
  display: string;
}

export interface GuidelineRef {
  id: 'hadji-2017' | 'asco-2019' | 'burnett-bowie-2009' | 'eastell-atac' | 'anastrozole-label';
  label: string;
  citation: string;
  url: string;
}

export interface Recommendation {
  topic: Topic;
  indicator: Indicator;
  /** The AI drug(s) as ordered (or as active, for patient-view). */
  drugs: AiDrug[];
  newStart: boolean;
  reasons: Reason[];
  facts: FactRef[];
  /** bone-agent: all seven Hadji factors with their state. */
  riskFactors?: RiskFactor[];
  riskFactorCount?: number;
  cautions?: Caution[];
  /** bone-agent: options left out, and why. */
  omittedAgents?: { agent: BoneAgent; because: 'egfr-below' | 'ckd-4-5'; threshold?: number }[];
  suggestions: SuggestionDraft[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons: OverrideReason[];
  /** The first is the card's source; the rest become links. */
  guidelines: GuidelineRef[];
  /** Records this card would have used but left out, named on it. */
  ignored?: IgnoredRecord[];
  /** docs/clinical-logic.md#missing-data: inputs that could not be obtained. */
  notChecked: DataKey[];
}

export interface Evaluation {
  facts: Facts;
  recommendations: Recommendation[];
}
