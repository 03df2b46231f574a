/**
 * Why a prescriber may dismiss each card, as Codings (CDS Hooks 2.0 overrideReasons: display is
 * required). Specific to each topic so that feedback tells the service what it missed.
 */
import type { OverrideReason, Topic } from './types.js';

export const OVERRIDE_REASON_SYSTEM = 'urn:aibl-cds:codesystem:override-reason';

const r = (code: string, display: string): OverrideReason => ({ system: OVERRIDE_REASON_SYSTEM, code, display });

const PATIENT_DECLINED = r('patient-declined', 'Patient declined');

export const OVERRIDE_REASONS: Record<Topic, OverrideReason[]> = {
  'baseline-dxa': [
    r('dxa-done-elsewhere', 'DXA done outside this system'),
    r('dxa-already-scheduled', 'DXA already scheduled'),
    r('not-appropriate-goals-of-care', 'Not appropriate for goals of care'),
    PATIENT_DECLINED,
  ],
  'dxa-follow-up': [
    r('dxa-done-elsewhere', 'DXA done outside this system'),
    r('dxa-already-scheduled', 'DXA already scheduled'),
    r('ai-stopping-soon', 'Aromatase inhibitor ending soon'),
    PATIENT_DECLINED,
  ],
  'calcium-vitamin-d': [
    r('taking-otc-supplement', 'Already taking calcium/vitamin D (over the counter)'),
    r('dietary-intake-sufficient', 'Dietary calcium intake already sufficient'),
    r('supplement-contraindicated', 'Contraindicated (e.g. hypercalcaemia, kidney stones)'),
    PATIENT_DECLINED,
  ],
  'bone-agent': [
    r('on-bone-agent-elsewhere', 'Already on a bone agent elsewhere'),
    r('dental-work-pending', 'Dental treatment pending'),
    r('referred-bone-specialist', 'Referred to a bone/osteoporosis specialist'),
    r('bone-agent-contraindicated', 'Bone agent contraindicated for this patient'),
    PATIENT_DECLINED,
  ],
  'bmd-decline': [
    r('scans-not-comparable', 'Scans not comparable (different densitometer or site)'),
    r('secondary-causes-reviewed', 'Secondary causes already reviewed'),
    r('treatment-already-adjusted', 'Bone treatment already started or adjusted'),
    r('referred-bone-specialist', 'Referred to a bone/osteoporosis specialist'),
  ],
  'estradiol-low': [
    r('ai-dose-already-reviewed', 'Aromatase inhibitor dose already reviewed'),
    r('insensitive-assay-repeat-planned', 'Insensitive assay; sensitive repeat planned'),
    r('specialist-managing', 'Managed by endocrinology/oncology'),
  ],
  'estradiol-check': [
    r('estradiol-done-elsewhere', 'Estradiol measured outside this system'),
    r('specialist-managing', 'Managed by endocrinology/oncology'),
    PATIENT_DECLINED,
  ],
};
