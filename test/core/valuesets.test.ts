import {
  canonicalSystem,
  codings,
  concepts,
  lookup,
  matchNames,
  prefixes,
  regimenConcept,
  searchTokens,
  valueSet,
  VALUE_SET_NAMES,
  VERIFICATIONS,
} from '../../src/core/valuesets/index.js';

const REQUIRED = [
  'aromatase-inhibitors', 'dxa-bmd', 'dxa-t-score', 'dxa-z-score', 'dxa-procedures', 'estradiol', 'bmi', 'body-weight',
  'body-height', 'smoking-status', 'smoker-answers', 'vitamin-d-25oh', 'calcium-serum', 'albumin', 'egfr', 'osteoporosis',
  'osteopenia', 'fragility-fracture', 'parental-hip-fracture', 'long-term-glucocorticoids', 'oral-glucocorticoids',
  'bone-agents', 'calcium-vitamin-d', 'testosterone', 'ckd-4-5', 'onj', 'hypocalcaemia', 'vitamin-d-deficiency',
];

describe('value sets', () => {
  test('every value set the FHIR layer names exists', () => {
    for (const n of REQUIRED) expect(VALUE_SET_NAMES).toContain(n);
  });

  test.each(VALUE_SET_NAMES.map((n) => [n]))('%s is a FHIR ValueSet with a status and source on every code', (name) => {
    const vs = valueSet(name);
    expect(vs).toMatchObject({ resourceType: 'ValueSet', url: `urn:aibl-cds:valueset:${name}`, version: '1.0.0', status: 'active' });
    expect(vs.name).toMatch(/^[A-Z][A-Za-z0-9_]*$/);
    const all = [...concepts(name), ...prefixes(name)];
    expect(all.length).toBeGreaterThan(0);
    for (const c of all) {
      expect(VERIFICATIONS).toContain(c.verification);
      expect(c.source.length).toBeGreaterThan(5);
    }
    const keys = concepts(name).map((c) => `${c.system}|${c.code}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('DXA codes carry their site, and sided codes their laterality', () => {
    for (const n of ['dxa-bmd', 'dxa-t-score', 'dxa-z-score'] as const) {
      for (const c of concepts(n)) expect(c.dxaSite).toBeDefined();
    }
    expect(lookup('dxa-t-score', 'http://loinc.org', '80946-7')).toMatchObject({ dxaSite: 'total-hip', laterality: 'left' });
    expect(lookup('dxa-t-score', 'http://loinc.org', '38263-0')).toMatchObject({ dxaSite: 'femoral-neck' });
  });

  test('medication codes name their ingredient; names for text matching are data', () => {
    for (const n of ['aromatase-inhibitors', 'bone-agents', 'calcium-vitamin-d', 'oral-glucocorticoids', 'testosterone'] as const) {
      for (const c of concepts(n)) expect(c.ingredient).toBeDefined();
      expect(matchNames(n).length).toBeGreaterThan(0);
    }
    expect(matchNames('aromatase-inhibitors').map((m) => m.name)).toEqual(
      expect.arrayContaining(['anastrozole', 'letrozole', 'exemestane', 'arimidex', 'femara', 'aromasin']),
    );
  });

  test('the DXA order codes of rules.md are present and verified', () => {
    const want = ['77080', '38268-9', '241686001'];
    const have = codings('dxa-procedures', ['verified']).map((c) => c.code);
    expect(have).toEqual(expect.arrayContaining(want));
  });

  test('codings can be limited by verification status', () => {
    const all = codings('aromatase-inhibitors').map((c) => c.code);
    const trusted = codings('aromatase-inhibitors', ['verified', 'weak']).map((c) => c.code);
    expect(all).toContain('258494');
    expect(trusted).not.toContain('258494');
    expect(trusted).toEqual(expect.arrayContaining(['199224', '262485', '84857']));
  });

  test('lookup accepts OID systems and ICD-10-CM codes with or without the dot', () => {
    expect(lookup('aromatase-inhibitors', 'urn:oid:2.16.840.1.113883.6.88', '199224')).toMatchObject({ ingredient: 'anastrozole' });
    expect(lookup('ckd-4-5', 'http://hl7.org/fhir/sid/icd-10-cm', 'N185')).toMatchObject({ code: 'N18.5' });
    expect(lookup('ckd-4-5', 'http://snomed.info/sct', 'N18.5')).toBeUndefined();
    expect(canonicalSystem(' http://loinc.org ')).toBe('http://loinc.org');
  });

  test('prefix rules cover ICD-10-CM hierarchies', () => {
    expect(lookup('fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'S72.001A')).toMatchObject({ prefix: 'S72' });
    expect(lookup('fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'M80.08XA')).toMatchObject({ prefix: 'M80' });
    expect(lookup('osteopenia', 'http://hl7.org/fhir/sid/icd-10-cm', 'M85.851')).toMatchObject({ prefix: 'M85.8' });
    expect(lookup('fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'S82.001A')).toBeUndefined();
  });

  test('search tokens and regimen products', () => {
    expect(searchTokens('estradiol')).toEqual(['http://loinc.org|2243-4', 'http://loinc.org|14715-7', 'http://loinc.org|83096-8']);
    expect(regimenConcept('denosumab')).toMatchObject({ code: '993452', verification: 'verified' });
    expect(regimenConcept('zoledronic-acid')).toMatchObject({ code: '1114085', verification: 'verified' });
    expect(regimenConcept('alendronate')).toMatchObject({ code: '904421', verification: 'unverified' });
  });
});
