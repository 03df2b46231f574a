import fc from 'fast-check';
import request from 'supertest';
import { example, testApp } from './http/support/app.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path (list of keys) inside a JSON value, the root excluded. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function mutate(doc: Json, path: (string | number)[], replacement: Json | undefined): Json {
  const copy = structuredClone(doc) as any;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

const SERVICES = [
  ['/cds-services/aibl-order-sign', 'order-sign'],
  ['/cds-services/aibl-order-select', 'order-select'],
  ['/cds-services/aibl-patient-view', 'patient-view'],
] as const;

describe('the service survives whatever it is sent', () => {
  const t = testApp();

  /** Replaces or deletes 1–3 random members of the example requests; every answer must be a 200, 400 or 412. */
  async function mutationsNeverFail(select: (path: (string | number)[]) => boolean, numRuns: number): Promise<void> {
    const docs = SERVICES.map(([, name]) => example(name) as Json);
    const docPaths = docs.map((d) => paths(d).filter(select));
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 0, max: 2 })
          .chain((i) =>
            fc.tuple(
              fc.constant(i),
              fc.array(
                fc.tuple(
                  fc.constantFrom(...docPaths[i]!),
                  fc.option(fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, { nil: undefined }),
                ),
                { minLength: 1, maxLength: 3 },
              ),
            ),
          ),
        async ([i, edits]) => {
          let doc: Json = docs[i]!;
          for (const [path, replacement] of edits) {
            try {
              doc = mutate(doc, path, replacement);
            } catch {
              // An earlier edit removed this path's parent; skip the edit.
            }
          }
          const res = await request(t.app)
            .post(SERVICES[i]![0])
            .send(doc as object);
          expect([200, 400, 412]).toContain(res.status);
          if (res.status !== 200) expect(res.body.resourceType).toBe('OperationOutcome');
        },
      ),
      { numRuns },
    );
  }

  /** Inside a FHIR resource (below `resource` or a prefetch key's value): content the core reads. */
  const insideFhir = (p: (string | number)[]) =>
    p.includes('resource') || (p[0] === 'prefetch' && p.length > 2) || (p[1] === 'draftOrders' && p.length > 3);

  it('answers 200, 400 or 412 — never 5xx — to random changes of the protocol members', async () => {
    await mutationsNeverFail((p) => !insideFhir(p), 300);
  });

  it('answers 200, 400 or 412 — never 5xx — to random changes inside the FHIR resources', async () => {
    await mutationsNeverFail(insideFhir, 300);
  });

  it('answers 400 to random JSON bodies and random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(...SERVICES), async (body, [path]) => {
        const res = await request(t.app).post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));
        expect(res.status).toBe(400);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const res = await request(t.app)
          .post('/cds-services/aibl-order-sign/feedback')
          .set('Content-Type', 'application/json')
          .send(Buffer.from(bytes));
        expect([400, 415]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });
});
