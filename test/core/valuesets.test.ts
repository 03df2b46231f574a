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
  'aromatase-inhibitors',
  'dxa-bmd',
  'dxa-t-score',
  'dxa-z-score',
  'dxa-procedures',
  'estradiol',
  'bmi',
  'body-weight',
  'body-height',
  'smoking-status',
  'smoker-answers',
  'vitamin-d-25oh',
  'calcium-serum',
  'albumin',
  'egfr',
  'osteoporosis',
  'osteopenia',
  'fragility-fracture',
  'parental-hip-fracture',
  'long-term-glucocorticoids',
  'oral-glucocorticoids',
  'bone-agents',
  'calcium-vitamin-d',
  'testosterone',
  'ckd-4-5',
  'onj',
  'hypocalcaemia',
  'vitamin-d-deficiency',
];

describe('value sets', () => {
  test('every value set the FHIR layer names exists', () => {
    for (const n of REQUIRED) expect(VALUE_SET_NAMES).toContain(n);
  });

  test.each(VALUE_SET_NAMES.map((n) => [n]))('%s is a FHIR ValueSet with a status and source on every code', (name) => {
    const vs = valueSet(name);
    expect(vs).toMatchObject({
      resourceType: 'ValueSet',
      url: `urn:aibl-cds:valueset:${name}`,
      version: '1.0.0',
      status: 'active',
    });
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
    expect(lookup('dxa-t-score', 'http://loinc.org', '80946-7')).toMatchObject({
      dxaSite: 'total-hip',
      laterality: 'left',
    });
    expect(lookup('dxa-t-score', 'http://loinc.org', '38263-0')).toMatchObject({ dxaSite: 'femoral-neck' });
  });

  test('medication codes name their ingredient; names for text matching are data', () => {
    for (const n of [
      'aromatase-inhibitors',
      'bone-agents',
      'calcium-vitamin-d',
      'oral-glucocorticoids',
      'testosterone',
    ] as const) {
      for (const c of concepts(n)) expect(c.ingredient).toBeDefined();
      expect(matchNames(n).length).toBeGreaterThan(0);
    }
    expect(matchNames('aromatase-inhibitors').map((m) => m.name)).toEqual(
      expect.arrayContaining(['anastrozole', 'letrozole', 'exemestane', 'arimidex', 'femara', 'aromasin']),
    );
  });

  test('the DXA order codes of the rule set are present and verified', () => {
    const want = ['77080', '38268-9', '241686001'];
    const have = codings('dxa-procedures', ['verified']).map((c) => c.code);
    expect(have).toEqual(expect.arrayContaining(want));
  });

  test('codings can be limited by verification status', () => {
    const all = codings('aromatase-inhibitors').map((c) => c.code);
    const trusted = codings('aromatase-inhibitors', ['verified', 'weak']).map((c) => c.code);
    expect(all).toEqual(expect.arrayContaining(['258494', '84857']));
    expect(trusted).not.toContain('258494');
    expect(trusted).not.toContain('84857');
    expect(trusted).toEqual(expect.arrayContaining(['199224', '262485', '151124']));
  });

  test.each([
    ['aromatase-inhibitors', 'http://www.nlm.nih.gov/research/umls/rxnorm', '84857'],
    ['dxa-procedures', 'http://snomed.info/sct', '312681000'],
    ['long-term-glucocorticoids', 'http://hl7.org/fhir/sid/icd-10-cm', 'Z79.52'],
    ['fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'Z87.310'],
    ['onj', 'http://hl7.org/fhir/sid/icd-10-cm', 'M87.180'],
    ['hypocalcaemia', 'http://hl7.org/fhir/sid/icd-10-cm', 'E83.51'],
    ['vitamin-d-deficiency', 'http://hl7.org/fhir/sid/icd-10-cm', 'E55.9'],
  ] as const)("%s %s|%s keeps the reference's [U]; local evidence is a separate extension", (vs, system, code) => {
    const c = lookup(vs, system, code);
    expect(c).toMatchObject({
      verification: 'unverified',
      source: expect.stringMatching(/^clinical-codes-and-evidence\.md .*\[U\]/),
    });
    expect((c as { localEvidence?: string }).localEvidence).toMatch(/.{20,}/);
    const json = valueSet(vs)
      .compose!.include.flatMap((i) => i.concept ?? [])
      .find((x) => x.code === code)!;
    expect(json.extension?.map((e) => e.url)).toEqual(
      expect.arrayContaining([
        'urn:aibl-cds:extension:verification',
        'urn:aibl-cds:extension:source',
        'urn:aibl-cds:extension:local-evidence',
      ]),
    );
  });

  // The rule set (v2) names codes of its own (the eGFR family, the US Core smoking answers): those cite it.
  test('every verified or weak code names clinical-codes-and-evidence.md or docs/clinical-logic.md as its source', () => {
    for (const n of VALUE_SET_NAMES) {
      for (const c of [...concepts(n), ...prefixes(n)]) {
        if (c.verification !== 'unverified')
          expect(`${n} ${'code' in c ? c.code : c.prefix}: ${c.source}`).toMatch(
            /: (clinical-codes-and-evidence\.md|docs\/clinical-logic\.md)/,
          );
      }
    }
  });

  test('axial DXA studies are marked in the data (dxa-scope), peripheral and VFA-only are not axial', () => {
    const scope = Object.fromEntries(concepts('dxa-procedures').map((c) => [c.code, c.dxaScope]));
    expect(scope).toEqual({
      '77080': 'axial',
      '77085': 'axial',
      '38268-9': 'axial',
      '83012-5': 'axial',
      '83014-1': 'axial',
      '83311-1': 'axial',
      '241686001': 'axial',
      '312681000': 'axial',
      '77081': 'peripheral',
      '83013-3': 'peripheral',
      '77086': 'vertebral-fracture-assessment',
    });
  });

  test('lookup accepts OID systems and ICD-10-CM codes with or without the dot', () => {
    expect(lookup('aromatase-inhibitors', 'urn:oid:2.16.840.1.113883.6.88', '199224')).toMatchObject({
      ingredient: 'anastrozole',
    });
    expect(lookup('ckd-4-5', 'http://hl7.org/fhir/sid/icd-10-cm', 'N185')).toMatchObject({ code: 'N18.5' });
    expect(lookup('ckd-4-5', 'http://snomed.info/sct', 'N18.5')).toBeUndefined();
    expect(canonicalSystem(' http://loinc.org ')).toBe('http://loinc.org');
  });

  test('prefix rules cover ICD-10-CM hierarchies', () => {
    expect(lookup('fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'S72.001A')).toMatchObject({
      prefix: 'S72',
    });
    expect(lookup('fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'M80.08XA')).toMatchObject({
      prefix: 'M80',
    });
    expect(lookup('osteopenia', 'http://hl7.org/fhir/sid/icd-10-cm', 'M85.851')).toMatchObject({ prefix: 'M85.8' });
    expect(lookup('fragility-fracture', 'http://hl7.org/fhir/sid/icd-10-cm', 'S82.001A')).toBeUndefined();
  });

  test('search tokens and regimen products', () => {
    expect(searchTokens('estradiol')).toEqual([
      'http://loinc.org|2243-4',
      'http://loinc.org|14715-7',
      'http://loinc.org|83096-8',
    ]);
    expect(regimenConcept('denosumab')).toMatchObject({ code: '993452', verification: 'verified' });
    expect(regimenConcept('zoledronic-acid')).toMatchObject({ code: '1114085', verification: 'verified' });
    expect(regimenConcept('alendronate')).toMatchObject({ code: '904421', verification: 'unverified' });
  });
});
