/**
 * A realistic order-sign request (57 KiB; 91 resources besides the Patient): a 70-year-old woman
 * starting anastrozole with five yearly DXA scans (the latest showing a fall in density), 41 labs
 * and vitals, a dozen conditions and eight active medications, all prefetched. Three cards answer
 * it (bone-agent, bmd-decline, calcium-vitamin-d).
 */
import { randomUUID } from 'node:crypto';

const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';

function isoMonthsAgo(months: number, now: Date): string {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString();
}

function observation(
  now: Date,
  id: string,
  code: string,
  display: string,
  value: number,
  unit: string,
  monthsAgo: number,
) {
  return {
    fullUrl: `https://ehr.example.org/fhir/Observation/${id}`,
    resource: {
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
      ],
      code: { coding: [{ system: LOINC, code, display }], text: display },
      subject: { reference: 'Patient/bench-patient' },
      effectiveDateTime: isoMonthsAgo(monthsAgo, now),
      issued: isoMonthsAgo(monthsAgo, now),
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    },
    search: { mode: 'match' },
  };
}

function searchset(entries: unknown[]) {
  return { resourceType: 'Bundle', type: 'searchset', total: entries.length, entry: entries };
}

/** `now` dates every resource (months before it); `hookInstance` fixes the one random member. */
export function benchOrderSignRequest(now = new Date(), hookInstance: string = randomUUID()): Record<string, unknown> {
  const dxaSites: [string, string, string, string][] = [
    ['24966-4', 'DXA Lumbar spine [Mass/Area] Bone density', '38267-1', 'DXA Lumbar spine [T-score] Bone density'],
    ['38261-4', 'DXA Hip [Mass/Area] Bone density', '38264-8', 'DXA Hip [T-score] Bone density'],
    ['24701-5', 'DXA Femur [Mass/Area] Bone density', '38263-0', 'DXA Femur [T-score] Bone density'],
  ];
  const dxa: unknown[] = [];
  let n = 0;
  for (let scan = 0; scan < 5; scan++) {
    const monthsAgo = 6 + scan * 12;
    // The latest scan is ~6 % below the one a year before: a BMD decline card.
    const bmd = scan === 0 ? 0.86 : 0.92 + scan * 0.01;
    const t = scan === 0 ? -2.1 : -1.6 + scan * 0.1;
    for (const [bmdCode, bmdDisplay, tCode, tDisplay] of dxaSites) {
      dxa.push(observation(now, `dxa-${n++}`, bmdCode, bmdDisplay, bmd, 'g/cm2', monthsAgo));
      dxa.push(observation(now, `dxa-${n++}`, tCode, tDisplay, t, '{T-score}', monthsAgo));
    }
  }
  const labs: unknown[] = [];
  const labDefs: [string, string, number, string][] = [
    ['39156-5', 'Body mass index (BMI) [Ratio]', 23.4, 'kg/m2'],
    ['29463-7', 'Body weight', 61, 'kg'],
    ['8302-2', 'Body height', 161, 'cm'],
    ['62292-8', '25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma', 28, 'ng/mL'],
    ['17861-6', 'Calcium [Mass/volume] in Serum or Plasma', 9.4, 'mg/dL'],
    ['1751-7', 'Albumin [Mass/volume] in Serum or Plasma', 4.1, 'g/dL'],
    ['98979-8', 'Glomerular filtration rate/1.73 sq M.predicted by CKD-EPI 2021', 74, 'mL/min/{1.73_m2}'],
    ['2243-4', 'Estradiol (E2) [Mass/volume] in Serum or Plasma', 8, 'pg/mL'],
  ];
  for (let i = 0; i < 40; i++) {
    const [code, display, value, unit] = labDefs[i % labDefs.length]!;
    labs.push(observation(now, `lab-${i}`, code, display, value, unit, 1 + Math.floor(i / labDefs.length) * 3));
  }
  labs.push({
    resource: {
      resourceType: 'Observation',
      id: 'smoking',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '72166-2', display: 'Tobacco smoking status' }] },
      subject: { reference: 'Patient/bench-patient' },
      effectiveDateTime: isoMonthsAgo(2, now),
      valueCodeableConcept: { coding: [{ system: SNOMED, code: '8517006', display: 'Ex-smoker' }] },
    },
  });
  const conditions = Array.from({ length: 12 }, (_, i) => ({
    resource: {
      resourceType: 'Condition',
      id: `cond-${i}`,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
      },
      code:
        i === 0
          ? { coding: [{ system: SNOMED, code: '254837009', display: 'Malignant neoplasm of breast' }] }
          : {
              coding: [{ system: SNOMED, code: '38341003', display: 'Hypertensive disorder' }],
              text: `Condition ${i}`,
            },
      subject: { reference: 'Patient/bench-patient' },
      onsetDateTime: isoMonthsAgo(24 + i, now),
    },
  }));
  const meds = Array.from({ length: 8 }, (_, i) => ({
    resource: {
      resourceType: 'MedicationRequest',
      id: `med-${i}`,
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: {
        coding: [{ system: RXNORM, code: '314076', display: 'lisinopril 10 MG Oral Tablet' }],
        text: 'lisinopril 10 MG Oral Tablet',
      },
      subject: { reference: 'Patient/bench-patient' },
      authoredOn: isoMonthsAgo(12 + i, now),
    },
  }));
  return {
    hook: 'order-sign',
    hookInstance,
    fhirServer: 'https://ehr.example.org/fhir',
    context: {
      userId: 'Practitioner/bench-prescriber',
      patientId: 'bench-patient',
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            resource: {
              resourceType: 'MedicationRequest',
              id: 'draft-anastrozole',
              status: 'draft',
              intent: 'order',
              medicationCodeableConcept: {
                coding: [{ system: RXNORM, code: '199224', display: 'anastrozole 1 MG Oral Tablet' }],
                text: 'anastrozole 1 MG Oral Tablet',
              },
              subject: { reference: 'Patient/bench-patient' },
              dosageInstruction: [{ text: '1 mg by mouth once daily' }],
            },
          },
        ],
      },
    },
    prefetch: {
      patient: {
        resourceType: 'Patient',
        id: 'bench-patient',
        gender: 'female',
        birthDate: isoMonthsAgo(70 * 12 + 3, now).slice(0, 10),
        name: [{ family: 'Bench', given: ['Pat'] }],
      },
      dxa: searchset(dxa),
      labs: searchset(labs),
      conditions: searchset(conditions),
      medicationRequests: searchset(meds),
      medicationStatements: searchset([]),
      procedures: searchset([]),
      dxaOrders: searchset([]),
      familyHistory: searchset([]),
      // Every key is prefetched, so the service never turns to fhirServer.
      boneAgentOrders: searchset([]),
      medicationAdministrations: searchset([]),
    },
  };
}
