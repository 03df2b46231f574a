import { defaultPolicy, parsePolicy, PolicyError } from '../../src/core/index.js';

function errorOf(json: unknown): PolicyError {
  try {
    parsePolicy(json);
  } catch (e) {
    if (e instanceof PolicyError) return e;
    throw e;
  }
  throw new Error('expected a PolicyError');
}

describe('policy', () => {
  test('defaults are the numbers of the rule set version 2', () => {
    expect(defaultPolicy.dxaIntervalMonths).toBe(24);
    expect(defaultPolicy.bmdDecline).toEqual({ minGapMonths: 9, percentPerYear: 5 });
    expect(defaultPolicy.boneAgent).toEqual({
      tScoreBelow: -2.0,
      minRiskFactors: 2,
      criticalTScoreAtOrBelow: -2.5,
      recentDoseMonths: { denosumab: 7, zoledronicAcid: 13 },
    });
    expect(defaultPolicy.riskFactors).toMatchObject({
      tScoreBelow: -1.5,
      ageAbove: 65,
      bmiBelow: 20,
      bmiLookbackMonths: 24,
      fractureMinAge: 50,
      glucocorticoidMonths: 6,
    });
    expect(defaultPolicy.estradiol).toEqual({
      lowBelowPgMl: 20,
      criticalBelowPgMl: 10,
      lowWindowMonths: 12,
      checkWindowMonths: 6,
      pmolPerLPerPgMl: 3.671,
    });
    expect(defaultPolicy.safety).toMatchObject({ egfrBelow: 35, calciumBelowMgDl: 8.5, vitaminDBelowNgMl: 20 });
    expect(defaultPolicy.regimens.denosumab).toEqual({
      dose: 60,
      doseUnit: 'mg',
      route: 'subcutaneous',
      every: 6,
      everyUnit: 'mo',
    });
    expect(defaultPolicy.regimens.zoledronicAcid).toEqual({
      dose: 4,
      doseUnit: 'mg',
      route: 'intravenous',
      every: 6,
      everyUnit: 'mo',
    });
    expect(defaultPolicy.regimens.alendronate).toEqual({
      dose: 70,
      doseUnit: 'mg',
      route: 'oral',
      every: 1,
      everyUnit: 'wk',
    });
  });

  test('terminology defaults: the AI trigger accepts every status, other classes verified + weak', () => {
    expect(defaultPolicy.terminology).toEqual({
      triggerCodeStatuses: ['verified', 'weak', 'unverified'],
      medicationCodeStatuses: ['verified', 'weak'],
      conditionCodeStatuses: ['verified', 'weak', 'unverified'],
    });
    expect(parsePolicy({ terminology: { triggerCodeStatuses: ['verified'] } }).terminology.triggerCodeStatuses).toEqual(
      ['verified'],
    );
    expect(errorOf({ terminology: { triggerCodeStatuses: [] } }).issues[0]!.path).toBe(
      'terminology.triggerCodeStatuses',
    );
  });

  test('an empty object or nothing gives the defaults', () => {
    expect(parsePolicy({})).toEqual(defaultPolicy);
    expect(parsePolicy(undefined)).toEqual(defaultPolicy);
  });

  test('a deep-partial override is merged over the defaults', () => {
    const p = parsePolicy({ dxaIntervalMonths: 18, boneAgent: { minRiskFactors: 3 }, estradiol: { lowBelowPgMl: 15 } });
    expect(p.dxaIntervalMonths).toBe(18);
    expect(p.boneAgent).toEqual({
      tScoreBelow: -2.0,
      minRiskFactors: 3,
      criticalTScoreAtOrBelow: -2.5,
      recentDoseMonths: { denosumab: 7, zoledronicAcid: 13 },
    });
    expect(p.estradiol.lowBelowPgMl).toBe(15);
    expect(p.estradiol.criticalBelowPgMl).toBe(10);
    expect(defaultPolicy.dxaIntervalMonths).toBe(24);
  });

  test('a wrong type names the field', () => {
    const e = errorOf({ boneAgent: { tScoreBelow: 'minus two' } });
    expect(e.issues.map((i) => i.path)).toEqual(['boneAgent.tScoreBelow']);
    expect(e.message).toContain('boneAgent.tScoreBelow');
  });

  test('an unknown field is named (a typo cannot silently keep a default)', () => {
    const e = errorOf({ riskFactors: { ageAbov: 70 } });
    expect(e.issues).toEqual([{ path: 'riskFactors.ageAbov', message: 'unknown field' }]);
  });

  test('cross-field constraints name the field', () => {
    expect(errorOf({ estradiol: { criticalBelowPgMl: 25 } }).issues[0]!.path).toBe('estradiol.criticalBelowPgMl');
    expect(errorOf({ boneAgent: { criticalTScoreAtOrBelow: -1.0 } }).issues[0]!.path).toBe(
      'boneAgent.criticalTScoreAtOrBelow',
    );
    expect(errorOf({ regimens: { calciumMgPerDay: { low: 1300, high: 1200 } } }).issues[0]!.path).toBe(
      'regimens.calciumMgPerDay',
    );
  });

  test('every wrong field is reported, not only the first', () => {
    const e = errorOf({
      dxaIntervalMonths: -1,
      safety: { egfrBelow: 0 },
      terminology: { medicationCodeStatuses: ['sure'] },
    });
    expect(e.issues.map((i) => i.path).sort()).toEqual([
      'dxaIntervalMonths',
      'safety.egfrBelow',
      'terminology.medicationCodeStatuses.0',
    ]);
  });

  test('a non-object policy is refused', () => {
    expect(errorOf([1, 2]).issues[0]!.path).toBe('(root)');
    expect(errorOf('24').issues[0]!.path).toBe('(root)');
  });
});
