import { DATA_KEYS, REQUIRED_DATA_KEYS } from '../../src/core/patient-record.js';
import { codings, type ValueSetName } from '../../src/core/valuesets/index.js';
import { DATA_QUERIES, PATIENT_ID_TOKEN, prefetchTemplates, relativeUrl } from '../../src/fhir/queries.js';

const templates = prefetchTemplates();

function params(template: string): URLSearchParams {
  return new URLSearchParams(template.split('?')[1] ?? '');
}

function codeTokens(template: string): string[] {
  return (params(template).get('code') ?? '').split(',');
}

function tokensOf(...sets: ValueSetName[]): string[] {
  return sets.flatMap((s) => codings(s).map((c) => `${c.system}|${c.code}`));
}

describe('prefetch templates', () => {
  test('one template per data key, nothing else', () => {
    expect(Object.keys(templates).sort()).toEqual([...DATA_KEYS].sort());
  });

  test('only the CDS Hooks 2.0 token {{context.patientId}} and the 2.0 query subset', () => {
    for (const [key, t] of Object.entries(templates)) {
      const tokens = t.match(/\{\{[^}]*\}\}/g) ?? [];
      expect(tokens).toEqual([PATIENT_ID_TOKEN]);
      if (key === 'patient') {
        expect(t).toBe('Patient/{{context.patientId}}');
        continue;
      }
      expect(t).toMatch(/^[A-Z][A-Za-z]+\?[^?#]+$/);
      const p = params(t);
      expect(p.get('patient')).toBe(PATIENT_ID_TOKEN);
      // reference, token equality (no modifiers), _count/_sort only
      for (const name of p.keys()) expect(['patient', 'code', 'status', '_count', '_sort']).toContain(name);
      expect(t).not.toMatch(/:(in|not|above|below|text|missing)=/);
      // FHIRPath tokens and nested context paths are 3.0-ballot only
      expect(t).not.toMatch(/today\(\)|context\.[a-zA-Z]+\./);
    }
  });

  test('the resource type and fixed parameters of each key', () => {
    expect(templates.medicationRequests).toBe('MedicationRequest?patient={{context.patientId}}&status=active');
    expect(templates.medicationStatements).toBe('MedicationStatement?patient={{context.patientId}}&status=active');
    expect(templates.conditions).toBe('Condition?patient={{context.patientId}}');
    expect(templates.familyHistory).toBe('FamilyMemberHistory?patient={{context.patientId}}');
    expect(templates.procedures.startsWith('Procedure?patient={{context.patientId}}&code=')).toBe(true);
    expect(templates.dxaOrders.startsWith('ServiceRequest?patient={{context.patientId}}&code=')).toBe(true);
    expect(params(templates.dxaOrders).get('status')).toBe('completed');
  });

  test('code lists are exactly the core value sets (no drift, no repeats)', () => {
    // DXA results may also arrive as a panel Observation under an orderable LOINC code.
    const dxaPanels = tokensOf('dxa-procedures').filter((t) => t.startsWith('http://loinc.org|'));
    expect(dxaPanels).toContain('http://loinc.org|38268-9');
    expect(codeTokens(templates.dxa)).toEqual([...tokensOf('dxa-bmd', 'dxa-t-score', 'dxa-z-score'), ...dxaPanels]);
    expect(codeTokens(templates.labs)).toEqual(
      tokensOf(
        'estradiol',
        'bmi',
        'body-weight',
        'body-height',
        'smoking-status',
        'vitamin-d-25oh',
        'calcium-serum',
        'albumin',
        'egfr',
      ),
    );
    expect(codeTokens(templates.procedures)).toEqual(tokensOf('dxa-procedures'));
    expect(codeTokens(templates.dxaOrders)).toEqual(tokensOf('dxa-procedures'));
    for (const t of Object.values(templates)) {
      const codes = codeTokens(t).filter((c) => c !== '');
      expect(new Set(codes).size).toBe(codes.length);
    }
  });

  test("the DXA template finds Synthea's T-score code and the rule set's estradiol and DXA order codes", () => {
    expect(codeTokens(templates.dxa)).toContain('http://loinc.org|38265-5');
    expect(codeTokens(templates.labs)).toContain('http://loinc.org|2243-4');
    expect(codeTokens(templates.dxaOrders)).toEqual(
      expect.arrayContaining([
        'http://www.ama-assn.org/go/cpt|77080',
        'http://loinc.org|38268-9',
        'http://snomed.info/sct|241686001',
      ]),
    );
  });

  test('required flags are REQUIRED_DATA_KEYS', () => {
    const required = DATA_KEYS.filter((k) => DATA_QUERIES[k].required);
    expect(required).toEqual([...REQUIRED_DATA_KEYS]);
  });

  test('the fallback URL is the template with the patient id in place of the token', () => {
    for (const key of DATA_KEYS) {
      const q = DATA_QUERIES[key];
      expect(relativeUrl(q, 'abc-123.x')).toBe(templates[key].replace(PATIENT_ID_TOKEN, 'abc-123.x'));
    }
  });

  test('ids with characters that would break the query string are escaped', () => {
    expect(relativeUrl(DATA_QUERIES.conditions, 'a&b=c')).toBe('Condition?patient=a%26b%3Dc');
    expect(relativeUrl(DATA_QUERIES.patient, 'a b/c')).toBe('Patient/a%20b%2Fc');
  });
});
