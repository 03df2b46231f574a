import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { demoPatients } from '../../demo/patients/index.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import type { Card } from '../../src/cards/types.js';

import { fixtureFiles, fixturePath } from '../support/fixtures.js';

const MAN = fixturePath('Man_Schamberger');

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

async function run(args: string[]) {
  const out = new Collect();
  const err = new Collect();
  const code = await runEvaluate(args, out, err);
  return { code, out: out.text, err: err.text };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aibl-evaluate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const patient = { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1950-02-02' };

describe('aibl-cds evaluate', () => {
  test('Synthea man + anastrozole: the expected cards as JSON, subject = the patient', async () => {
    const r = await run([MAN, '--drug', 'anastrozole', '--now', '2025-06-15', '--json']);
    expect(r.code).toBe(0);
    const { cards } = JSON.parse(r.out) as { cards: Card[] };
    expect(cards.map((c) => `${c.source.topic?.code}:${c.indicator}`)).toEqual([
      'baseline-dxa:warning',
      'bone-agent:warning',
      'estradiol-check:info',
      'calcium-vitamin-d:info',
    ]);
    for (const c of cards) {
      for (const s of c.suggestions ?? []) {
        expect(s.actions?.[0]?.resource).toMatchObject({
          subject: { reference: 'Patient/eba03315-2043-442b-80a8-a4d8d265ac99' },
        });
      }
    }
    // v2 wording: alongside the AI, never before it (docs/clinical-logic.md#wording).
    expect(cards[1]!.summary).toBe('2 fracture risk factors: start a bone agent alongside anastrozole');
  });

  test('text output is readable: header, numbered cards, detail, suggestions, override reasons', async () => {
    const r = await run([MAN, '--drug', 'anastrozole', '--now', '2025-06-15']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('hook order-sign; anastrozole (new start); evaluated on 2025-06-15');
    expect(r.out).toContain('4 cards');
    expect(r.out).toContain(
      '1. [WARNING] baseline-dxa: Last DXA 2011-06-05, over 24 months ago: order a baseline DXA before starting anastrozole',
    );
    expect(r.out).toContain('Present: smoking, current or former — Ex-smoker');
    expect(r.out).toContain('Suggestions (at-most-one):');
    expect(r.out).toContain('Override reasons: Already on a bone agent elsewhere');
  });

  test.each([...fixtureFiles()])('%s with letrozole evaluates', async (name, file) => {
    const r = await run([file, '--drug', 'letrozole', '--now', '2025-06-15', '--json']);
    expect(r.code).toBe(0);
    const { cards } = JSON.parse(r.out) as { cards: Card[] };
    // Every fixture's DXA is years old; each patient gets a baseline DXA card naming letrozole.
    expect(cards[0]?.summary).toMatch(/baseline DXA before starting letrozole$/);
    // Alendronate (RxNorm 904419) is active in four fixtures: no bone-agent card for them.
    const onAlendronate = ['Alexia', 'Chad', 'Gayla', 'Libbie'].some((n) => name.startsWith(n));
    if (onAlendronate) expect(cards.map((c) => c.source.topic?.code)).not.toContain('bone-agent');
  });

  test('a draft AI order in the bundle is used, with urn:uuid references resolved', async () => {
    const file = write('draft.json', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { ...patient, id: undefined } },
        {
          fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
          resource: { resourceType: 'Medication', code: { text: 'Femara 2.5 mg' } },
        },
        {
          fullUrl: 'urn:uuid:33333333-3333-4333-8333-333333333333',
          resource: {
            resourceType: 'MedicationRequest',
            status: 'draft',
            intent: 'order',
            subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' },
            medicationReference: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' },
          },
        },
      ],
    });
    const r = await run([file, '--now', '2025-06-15']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('hook order-sign; letrozole (new start)');
    expect(r.out).toContain('Patient/11111111-1111-4111-8111-111111111111');
  });

  test('without a draft order it evaluates as patient-view and says so', async () => {
    const file = write('pv.json', { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient }] });
    const r = await run([file, '--now', '2025-06-15']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('evaluated as patient-view');
    expect(r.out).toContain('No cards');
  });

  test('a policy file overrides thresholds; an invalid one names the field', async () => {
    const good = write('policy.json', { dxaIntervalMonths: 240 });
    const r = await run([MAN, '--drug', 'anastrozole', '--now', '2025-06-15', '--policy', good, '--json']);
    expect((JSON.parse(r.out) as { cards: Card[] }).cards.map((c) => c.source.topic?.code)).not.toContain(
      'baseline-dxa',
    );
    const bad = write('bad-policy.json', { boneAgent: { tScoreBelow: 'x' } });
    const e = await run([MAN, '--policy', bad]);
    expect(e.code).toBe(1);
    expect(e.err).toContain('boneAgent.tScoreBelow');
  });

  test('bad input and usage errors give exit codes 1 and 2 with a message', async () => {
    expect(await run([join(dir, 'missing.json')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('cannot read input'),
    });
    expect(await run([write('broken.json', '{ not json')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('not valid JSON'),
    });
    expect(await run([write('obs.json', { resourceType: 'Observation' })])).toMatchObject({
      code: 1,
      err: expect.stringContaining('neither a FHIR Bundle nor a CDS Hooks request'),
    });
    expect(await run([write('nopat.json', { resourceType: 'Bundle', entry: [] })])).toMatchObject({
      code: 1,
      err: expect.stringContaining('no Patient'),
    });
    expect(await run([MAN, '--drug', 'tamoxifen'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--drug must be one of'),
    });
    expect(await run([])).toMatchObject({ code: 2, err: expect.stringContaining('Usage:') });
    expect(await run([MAN, '--now', 'yesterday'])).toMatchObject({ code: 2 });
    expect(await run([MAN, '--bogus'])).toMatchObject({ code: 2 });
    expect(await run(['--help'])).toMatchObject({ code: 0, out: expect.stringContaining('Usage:') });
  });

  test('details are plain text: no Markdown escapes, emphasis or link syntax', async () => {
    const r = await run([MAN, '--drug', 'anastrozole', '--now', '2025-06-15']);
    expect(r.out).toContain('LOINC 38265-5 DXA Radius and ulna [T-score] Bone density');
    expect(r.out).toContain('   Why\n');
    expect(r.out).toContain('   • No DXA within the last 24 months.');
    expect(r.out).toContain(
      'Guideline: AIBL joint position statement (Hadji 2017) <https://doi.org/10.1016/j.jbo.2017.03.001>.',
    );
    expect(r.out).not.toMatch(/\\[[\]_*]|\*\*|\]\(/);
  });
});

describe('aibl-cds evaluate on a CDS Hooks request', () => {
  const examples = join(process.cwd(), 'examples');
  const example = (name: string) =>
    JSON.parse(readFileSync(join(examples, `${name}.json`), 'utf8')) as Record<string, any>;

  test('examples/order-sign.json: prefetch and draftOrders read as the service reads them', async () => {
    const r = await run([join(examples, 'order-sign.json'), '--now', '2026-12-01', '--json']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const { cards } = JSON.parse(r.out) as { cards: Card[] };
    expect(cards.map((c) => c.source.topic?.code)).toEqual(['baseline-dxa', 'bone-agent', 'calcium-vitamin-d']);
    for (const c of cards) {
      for (const s of c.suggestions ?? [])
        expect(s.actions?.[0]?.resource).toMatchObject({ subject: { reference: 'Patient/example-anastrozole-70f' } });
    }
    const text = await run([join(examples, 'order-sign.json'), '--now', '2026-12-01']);
    expect(text.out).toContain('aibl-cds evaluate — Patient/example-anastrozole-70f (female, 70 years)');
    expect(text.out).toContain('hook order-sign; anastrozole (new start); evaluated on 2026-12-01');
    expect(text.out).toContain(
      '1. [WARNING] baseline-dxa: No DXA on record: order a baseline DXA before starting anastrozole',
    );
  });

  test('order-select uses the selections; patient-view the active AI order', async () => {
    const select = await run([join(examples, 'order-select.json'), '--now', '2026-12-01', '--json']);
    expect(select.code).toBe(0);
    expect((JSON.parse(select.out) as { cards: Card[] }).cards.length).toBeGreaterThan(0);
    const unselected = example('order-select');
    unselected['context'].selections = ['MedicationRequest/not-an-ai'];
    const none = await run([write('unselected.json', unselected), '--now', '2026-12-01']);
    expect(none.out).toContain('No aromatase-inhibitor order among the selected draft orders');
    expect(none.out).toContain('No cards');
    const view = await run([join(examples, 'patient-view.json'), '--now', '2026-12-01']);
    expect(view.code).toBe(0);
    expect(view.out).toContain('hook patient-view');
  });

  test('prefetch keys left out are named as not checked; missing required data is an error', async () => {
    const body = example('order-sign');
    delete body['prefetch'].familyHistory;
    const partial = await run([write('partial.json', body), '--now', '2026-12-01']);
    expect(partial.out).toContain('note: Not in prefetch, so not checked: familyHistory.');
    delete body['prefetch'].dxa;
    const missing = await run([write('missing-dxa.json', body)]);
    expect(missing).toMatchObject({ code: 1, err: expect.stringContaining('lacks required data (dxa)') });
  });

  test('an invalid request names what is wrong', async () => {
    const body = example('order-sign');
    delete body['context'].patientId;
    expect(await run([write('no-patient.json', body)])).toMatchObject({
      code: 1,
      err: expect.stringContaining('context.patientId'),
    });
    expect(await run([write('other-hook.json', { ...example('order-sign'), hook: 'encounter-start' })])).toMatchObject({
      code: 1,
      err: expect.stringContaining('hook "encounter-start" is not one this service answers'),
    });
  });
});

describe('examples/patient-bundle.json', () => {
  const file = join(process.cwd(), 'examples', 'patient-bundle.json');

  test('is the demo smoker, built on 2026-12-01', () => {
    const smoker = demoPatients(new Date('2026-12-01T12:00:00Z')).find((p) => p.slug === 'demo-smoker')!;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(smoker.bundle);
  });

  test("evaluates with its own draft order to the demo smoker's cards, today and years on", async () => {
    for (const now of [undefined, '2031-06-01']) {
      const r = await run([file, '--json', ...(now ? ['--now', now] : [])]);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.out) as { cards: Card[] }).cards.map((c) => c.source.topic?.code)).toEqual([
        'baseline-dxa',
        'bone-agent',
        'calcium-vitamin-d',
      ]);
    }
  });
});
