/** Card scenarios shared by the renderer tests. */
import {
  albumin,
  bmd,
  calcium,
  condition,
  egfr,
  estradiol,
  ICD10,
  medRequest,
  patient,
  quiet,
  rx,
  SMOKER,
  smoking,
  tScore,
  vitaminD,
  type Scenario,
} from '../../core/support/builders.js';

/** Patients that between them produce every topic. */
export const EVERY_TOPIC: Scenario[] = [
  {
    name: 'woman 70, smoker, T −2.7 at left femoral neck, BMD loss, low Ca/vit D, CKD, ONJ',
    patient: patient({ birthDate: '1955-01-01' }),
    resources: [
      tScore(-2.7, '2024-01-15', '80948-3'),
      bmd(1.0, '2022-01-10'),
      bmd(0.85, '2024-01-15'),
      smoking(SMOKER, '2025-01-01'),
      calcium(8.1, '2025-05-01'),
      albumin(3.9, '2025-05-02'),
      vitaminD(14, '2025-05-01'),
      egfr(28, '2025-05-01'),
      condition(ICD10, 'N18.4'),
      condition(ICD10, 'M87.180', { text: 'Osteonecrosis of jaw, drug-induced' }),
    ],
    notChecked: ['familyHistory'],
    expect: [],
  },
  {
    name: 'man on letrozole with estradiol 36 pmol/L',
    patient: patient({ sex: 'male', birthDate: '1950-05-05' }),
    resources: [
      ...quiet(),
      estradiol(36, 'pmol/L', '2025-04-01', '14715-7'),
      medRequest(rx('200064'), { authoredOn: '2024-01-01' }),
    ],
    expect: [],
  },
  {
    name: 'man with no estradiol',
    patient: patient({ sex: 'male' }),
    resources: quiet(['dxa', 'calcium']),
    expect: [],
  },
  {
    name: 'patient-view, on anastrozole, no DXA',
    hook: 'patient-view',
    resources: [...quiet(['dxa']), medRequest(rx('199224'), { authoredOn: '2024-01-01' })],
    expect: [],
  },
];
