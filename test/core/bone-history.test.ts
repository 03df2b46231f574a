import { boneHistory, defaultPolicy, evaluatePatient, type PatientRecord } from '../../src/core/index.js';
import { bmd, estradiol, medRequest, NOW, patient, record, rx, tScore } from './support/builders.js';

function history(r: PatientRecord) {
  const { facts } = evaluatePatient({ hook: 'patient-view', now: NOW, record: r, aiOrders: [] }, defaultPolicy);
  return { facts, history: boneHistory(r, facts, defaultPolicy) };
}

describe('boneHistory', () => {
  it('files T-scores and BMD by site, oldest first, with the yearly BMD change between scans', () => {
    const { history: h } = history(
      record(patient(), [
        tScore(-1.1, '2021-05-01', '38267-1'),
        bmd(1.0, '2021-05-01', '24966-4'),
        tScore(-1.4, '2022-05-01', '38267-1'),
        bmd(0.95, '2022-05-01', '24966-4'),
        tScore(-2.2, '2024-05-01', '38264-8'),
        bmd(0.9, '2024-05-01', '24966-4'),
      ]),
    );
    expect(h.sites.map((s) => s.label)).toEqual(['lumbar spine', 'total hip']);
    const spine = h.sites[0]!;
    expect(spine.scans.map((s) => [s.date, s.tScore?.value, s.bmd?.value])).toEqual([
      ['2021-05-01', -1.1, 1.0],
      ['2022-05-01', -1.4, 0.95],
      ['2024-05-01', undefined, 0.9],
    ]);
    expect(spine.changes.map((c) => [c.from, c.to])).toEqual([
      ['2021-05-01', '2022-05-01'],
      ['2022-05-01', '2024-05-01'],
    ]);
    // 1.0 → 0.95 over 365 days: −5 % in 365/365.25 years.
    expect(spine.changes[0]!.percentPerYear).toBeCloseTo((-5 * 365.25) / 365, 6);
    expect(spine.changes[1]!.percentPerYear).toBeLessThan(0);
    expect(h.sites[1]!.changes).toEqual([]);
  });

  it('puts the next DXA one interval after the last axial DXA, and today when there is none', () => {
    const withDxa = history(record(patient(), [tScore(-1.0, '2024-02-29', '38264-8')]));
    expect(withDxa.facts.lastDxa?.date).toBe('2024-02-29');
    expect(withDxa.history.nextDxaDue).toBe(`2026-02-28`);
    const none = history(record(patient(), []));
    expect(none.history.sites).toEqual([]);
    expect(none.history.nextDxaDue).toBe('2025-06-15');
  });

  it('dates the AI start from the earliest active AI order, and lists estradiol in pg/mL oldest first', () => {
    const { history: h } = history(
      record(patient({ sex: 'male' }), [
        medRequest(rx('199224'), { authoredOn: '2024-03-01', id: 'ai-late' }),
        medRequest(rx('200064'), { authoredOn: '2023-01-15', id: 'ai-early' }),
        medRequest(rx('199224'), { authoredOn: '2020-01-01', status: 'stopped' }),
        estradiol(110.1, 'pmol/L', '2024-06-01'),
        estradiol(25, 'pg/mL', '2023-06-01'),
      ]),
    );
    expect(h.aiStart).toEqual({ date: '2023-01-15', drug: 'letrozole', reference: 'MedicationRequest/ai-early' });
    expect(h.estradiol.map((m) => [m.date, m.unit])).toEqual([
      ['2023-06-01', 'pg/mL'],
      ['2024-06-01', 'pg/mL'],
    ]);
    expect(h.estradiol[1]!.value).toBeCloseTo(30, 0);
  });
});
