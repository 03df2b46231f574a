/**
 * The loopback test FHIR server itself: seeding, the shims (bare-id references, paging,
 * /metadata), the request log and each injected fault, seen through plain HTTP.
 */
import { request } from 'node:http';
import type { Condition, Patient } from 'fhir/r4.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { fixtureFiles } from '../support/fixtures.js';

let server: TestFhirServer;

interface SearchBundle {
  resourceType: string;
  type?: string;
  total?: number;
  entry?: { resource: { resourceType: string; id: string; subject?: { reference?: string } } }[];
  link?: { relation: string; url: string }[];
}

async function get<T = SearchBundle>(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(path.startsWith('http') ? path : `${server.baseUrl}/${path}`, { headers });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as T, headers: res.headers };
}

function link(b: SearchBundle, relation: string): string | undefined {
  return b.link?.find((l) => l.relation === relation)?.url;
}

beforeAll(async () => {
  server = await startFhirServer();
});
afterAll(() => server?.close());
beforeEach(() => {
  server.setFault();
  server.setLatency(0);
  server.clearRequests();
});

describe('seeding', () => {
  test('all six Synthea bundles load as transactions; patients are exposed by fixture name', async () => {
    expect(Object.keys(server.patients).sort()).toEqual([...fixtureFiles().keys()].sort());
    expect(Object.keys(server.patients)).toHaveLength(6);
    for (const [name, id] of Object.entries(server.patients)) {
      const { status, body } = await get<{ resourceType: string; id: string; name: { family: string }[] }>(
        `Patient/${id}`,
      );
      expect(status).toBe(200);
      expect(body.id).toBe(id);
      expect(name.split('_')[1]).toContain(body.name[0]!.family.replace(/[0-9]/g, ''));
    }
  });

  test('urn:uuid references were rewritten to the created resources', async () => {
    const id = server.patients['Gayla_Ferry']!;
    const { body } = await get(`Observation?patient=Patient/${id}&_count=1000`);
    expect(body.entry!.length).toBeGreaterThan(50);
    for (const e of body.entry!) expect(e.resource.subject?.reference).toBe(`Patient/${id}`);
  });

  test('a subset of fixtures can be loaded, and resources added', async () => {
    const small = await startFhirServer({
      fixtures: ['Chad_Quigley'],
      resources: [{ resourceType: 'Patient', id: 'extra-1', gender: 'male' } as Patient],
    });
    try {
      expect(Object.keys(small.patients)).toEqual(['Chad_Quigley']);
      const res = await fetch(`${small.baseUrl}/Patient?_count=10`);
      const bundle = (await res.json()) as SearchBundle;
      expect(bundle.entry!.map((e) => e.resource.id).sort()).toEqual(
        [small.patients['Chad_Quigley'], 'extra-1'].sort(),
      );
      const added = await small.add<Condition>({
        resourceType: 'Condition',
        subject: { reference: 'Patient/extra-1' },
        code: { text: 'x' },
      });
      expect(added.id).toBeTruthy();
      const found = (await (await fetch(`${small.baseUrl}/Condition?patient=extra-1`)).json()) as SearchBundle;
      expect(found.entry!.map((e) => e.resource.id)).toEqual([added.id]);
    } finally {
      await small.close();
    }
  });
});

describe('shims', () => {
  test('GET /metadata answers a FHIR R4 CapabilityStatement', async () => {
    const { status, body, headers } = await get<{
      resourceType: string;
      fhirVersion: string;
      rest: { mode: string }[];
    }>('metadata');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain('application/fhir+json');
    expect(body.resourceType).toBe('CapabilityStatement');
    expect(body.fhirVersion).toBe('4.0.1');
    expect(body.rest[0]?.mode).toBe('server');
  });

  test('patient=<bare id> finds the same resources as patient=Patient/<id>', async () => {
    const id = server.patients['Libbie_Shields']!;
    const bare = await get(`Condition?patient=${id}&_count=1000`);
    const typed = await get(`Condition?patient=Patient/${id}&_count=1000`);
    expect(bare.body.entry!.length).toBeGreaterThan(0);
    expect(bare.body.entry!.map((e) => e.resource.id).sort()).toEqual(
      typed.body.entry!.map((e) => e.resource.id).sort(),
    );
  });

  test('token search by system|code', async () => {
    const id = server.patients['Gayla_Ferry']!;
    const { body } = await get(`Observation?patient=${id}&code=http://loinc.org|38265-5`);
    expect(body.entry!.length).toBeGreaterThan(0);
    for (const e of body.entry!) {
      const obs = e.resource as unknown as { code: { coding: { code: string }[] } };
      expect(obs.code.coding.map((c) => c.code)).toContain('38265-5');
    }
  });

  test('searches are paged (default 20) and next/previous links work to the end', async () => {
    const id = server.patients['Alexia_Senger']!;
    const first = await get(`Observation?patient=${id}`);
    expect(first.body.entry).toHaveLength(20);
    const total = first.body.total!;
    expect(total).toBeGreaterThan(40);
    const seen = first.body.entry!.map((e) => e.resource.id);
    let next = link(first.body, 'next');
    let pages = 1;
    while (next) {
      expect(next.startsWith(server.baseUrl)).toBe(true);
      const page = await get(next);
      if (pages === 1) expect(link(page.body, 'previous')).toBeDefined();
      seen.push(...(page.body.entry ?? []).map((e) => e.resource.id));
      next = link(page.body, 'next');
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(total / 20));
    expect(new Set(seen).size).toBe(total);
  });

  test('_count is honoured up to the maximum page size', async () => {
    const capped = await startFhirServer({ fixtures: ['Alexia_Senger'], maxPageSize: 7 });
    try {
      const res = await fetch(`${capped.baseUrl}/Observation?patient=${capped.patients['Alexia_Senger']}&_count=500`);
      const body = (await res.json()) as SearchBundle;
      expect(body.entry).toHaveLength(7);
      expect(link(body, 'next')).toContain('_count=7');
    } finally {
      await capped.close();
    }
  });

  test('paths outside the FHIR base answer 404 with an OperationOutcome', async () => {
    const res = await fetch(`${server.origin}/other/Patient`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});

describe('request log and connections', () => {
  test('method, url, headers and connection of every request are recorded', async () => {
    await get('metadata', { authorization: 'Bearer x' });
    await get(`Patient/${server.patients['Gayla_Ferry']}`);
    expect(server.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['GET', 'metadata', 'Bearer x'],
      ['GET', `Patient/${server.patients['Gayla_Ferry']}`, undefined],
    ]);
    expect(server.requests[0]!.url).toBe('/fhir/metadata');
    expect(server.requests[0]!.connection).toBeGreaterThan(0);
    expect(server.requests[1]!.resourceType).toBe('Patient');
  });
});

describe('faults', () => {
  test('latency per resource type: "Patient OK, Observation slow"', async () => {
    server.setFault({ resourceType: 'Observation', delayMs: 120 });
    const t0 = performance.now();
    await get(`Patient/${server.patients['Gayla_Ferry']}`);
    const fast = performance.now() - t0;
    await get(`Observation?patient=${server.patients['Gayla_Ferry']}&_count=1`);
    const slow = performance.now() - t0 - fast;
    expect(fast).toBeLessThan(100);
    expect(slow).toBeGreaterThanOrEqual(119);
  });

  test('status faults answer that status with an OperationOutcome; 429 says when to retry', async () => {
    server.setFault([
      { resourceType: 'Condition', fault: { status: 429 } },
      { resourceType: 'Procedure', fault: { status: 500 } },
      { resourceType: 'Patient', fault: { status: 404 } },
    ]);
    const throttled = await get<{ resourceType: string }>('Condition');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.body.resourceType).toBe('OperationOutcome');
    expect((await get('Procedure')).status).toBe(500);
    expect((await get('Patient/x')).status).toBe(404);
    expect((await get('metadata')).status).toBe(200);
  });

  test('times: a rule applies to the first N matching requests only', async () => {
    server.setFault({ resourceType: 'Patient', fault: { status: 500 }, times: 2 });
    const id = server.patients['Gayla_Ferry']!;
    expect([
      (await get(`Patient/${id}`)).status,
      (await get(`Patient/${id}`)).status,
      (await get(`Patient/${id}`)).status,
    ]).toEqual([500, 500, 200]);
  });

  test('malformed, outcome and wrong-bundle bodies', async () => {
    server.setFault({ resourceType: 'Observation', fault: 'malformed' });
    const res = await fetch(`${server.baseUrl}/Observation`);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    server.setFault({ resourceType: 'Observation', fault: 'outcome' });
    expect((await get<{ resourceType: string }>('Observation')).body.resourceType).toBe('OperationOutcome');
    server.setFault({ resourceType: 'Observation', fault: 'wrong-bundle' });
    expect((await get('Observation')).body.type).toBe('collection');
  });

  test('endless-next: every page links to one more', async () => {
    server.setFault({ resourceType: 'Observation', fault: 'endless-next' });
    let url: string | undefined = `${server.baseUrl}/Observation?patient=x`;
    for (let i = 0; i < 5; i++) {
      const { body }: { body: SearchBundle } = await get(url!);
      url = link(body, 'next');
      expect(url).toContain(`_page=${i + 2}`);
    }
  });

  test('drop destroys the connection without an answer', async () => {
    server.setFault({ resourceType: 'Patient', fault: 'drop' });
    await expect(fetch(`${server.baseUrl}/Patient/x`)).rejects.toThrow();
  });

  test('hang never answers (until the client gives up)', async () => {
    server.setFault({ resourceType: 'Patient', fault: 'hang' });
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${server.baseUrl}/Patient/x`, (res) => resolve(`answered ${res.statusCode}`));
      req.setTimeout(150, () => {
        req.destroy();
        resolve('no answer');
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(outcome).toBe('no answer');
  });
});
