/**
 * `npm run soak`: the service under many connections for a long time, with a mix of good and bad
 * calls, against a FHIR server that misbehaves now and then. Not part of CI (it takes minutes).
 *
 *   npm run soak -- [--duration 300] [--connections 200] [--sample 10] [--fhir-timeout-ms 1000]
 *   SOAK_DURATION=20 npm run soak          (a short try)
 *
 * Every connection cycles through: a valid order-sign call with full prefetch (200), invalid JSON
 * (400), a body failing the schema (400), an unknown service id (404), a non-JSON content type
 * (415), a feedback post (200), and an order-sign call without prefetch whose FHIR server is flaky
 * (200 with all or degraded cards, or 412). Reports the answers by status, RSS and /healthz over
 * time; fails (exit 1) on any 5xx, connection error or timeout, an unhealthy probe, or RSS growth.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  freePort,
  LAUNCHER,
  machine,
  median,
  rssMb,
  startFhirProcess,
  startNode,
  table,
  type FhirProcess,
  type Started,
} from './lib.js';
import { benchOrderSignRequest } from './request.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env['SOAK_DURATION'] ?? '300' },
    connections: { type: 'string', default: '200' },
    sample: { type: 'string', default: '10' },
    'fhir-timeout-ms': { type: 'string', default: '1000' },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const SAMPLE_S = Math.max(1, Math.min(Number(args.sample), DURATION / 4));
const FHIR_TIMEOUT_MS = Number(args['fhir-timeout-ms']);
/** RSS may grow while heaps size themselves to the load; from the second half on it must hold. */
const MAX_LATE_GROWTH_MB = 20;

const here = fileURLToPath(new URL('.', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);

interface MixRequest {
  kind: string;
  path: string;
  contentType: string;
  body: string;
  expect: number[];
}

function mix(fhirBase: string): MixRequest[] {
  const valid = benchOrderSignRequest();
  const noPrefetch = benchOrderSignRequest();
  delete noPrefetch['prefetch'];
  noPrefetch['fhirServer'] = fhirBase;
  noPrefetch['fhirAuthorization'] = {
    access_token: 'soak-token',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'user/*.read',
    subject: 'aibl-cds',
  };
  const schemaBroken = benchOrderSignRequest();
  (schemaBroken['context'] as Record<string, unknown>)['patientId'] = 42;
  const sign = '/cds-services/aibl-order-sign';
  return [
    {
      kind: 'valid, full prefetch',
      path: sign,
      contentType: 'application/json',
      body: JSON.stringify(valid),
      expect: [200],
    },
    {
      kind: 'invalid JSON',
      path: sign,
      contentType: 'application/json',
      body: '{"hook":"order-sign","context":{',
      expect: [400],
    },
    {
      kind: 'schema violation',
      path: sign,
      contentType: 'application/json',
      body: JSON.stringify(schemaBroken),
      expect: [400],
    },
    {
      kind: 'unknown service id',
      path: '/cds-services/no-such-service',
      contentType: 'application/json',
      body: JSON.stringify(valid),
      expect: [404],
    },
    { kind: 'not JSON', path: sign, contentType: 'text/plain', body: 'hello', expect: [415] },
    {
      kind: 'feedback',
      path: `${sign}/feedback`,
      contentType: 'application/json',
      body: JSON.stringify({
        feedback: [
          {
            card: randomUUID(),
            outcome: 'accepted',
            acceptedSuggestions: [{ id: randomUUID() }],
            outcomeTimestamp: new Date().toISOString(),
          },
        ],
      }),
      expect: [200],
    },
    {
      kind: 'no prefetch, flaky FHIR server',
      path: sign,
      contentType: 'application/json',
      body: JSON.stringify(noPrefetch),
      expect: [200, 412],
    },
  ];
}

async function probe(port: number, path: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
  const m = machine();
  out(`# aibl-cds soak — ${new Date().toISOString()}`);
  out(`machine: ${m.cores} cores (${m.cpu}), node ${process.version}`);
  out(`${CONNECTIONS} connections for ${DURATION} s, FHIR_TIMEOUT_MS ${FHIR_TIMEOUT_MS}, samples every ${SAMPLE_S} s`);
  const dataDir = mkdtempSync(join(tmpdir(), 'aibl-soak-'));
  let fhir: FhirProcess | undefined;
  let service: Started | undefined;
  try {
    fhir = await startFhirProcess(join(here, 'fhir-server-process.js'), { LATENCY_MS: '5', FHIR_FAULTS: 'flaky' });
    service = await startNode(
      LAUNCHER,
      { NODE_ENV: 'development', LOG_LEVEL: 'warn', DATA_DIR: dataDir, FHIR_TIMEOUT_MS: String(FHIR_TIMEOUT_MS) },
      await freePort(),
    );
    const requests = mix(fhir.baseUrl);
    out('mix (each connection cycles through):');
    for (const r of requests) out(`  ${r.kind.padEnd(32)} → expect ${r.expect.join(' or ')}`);

    const svc = service;
    const samples: { t: number; rss: number; healthz: number }[] = [
      { t: 0, rss: rssMb(svc.pid), healthz: await probe(svc.port, '/healthz') },
    ];
    const started = Date.now();
    const timer = setInterval(() => {
      void probe(svc.port, '/healthz').then((healthz) => {
        samples.push({ t: Math.round((Date.now() - started) / 1000), rss: rssMb(svc.pid), healthz });
        const last = samples.at(-1)!;
        out(`  t=${String(last.t).padStart(4)} s  RSS ${last.rss.toFixed(1)} MB  /healthz ${last.healthz}`);
      });
    }, SAMPLE_S * 1000);

    const result = await autocannon({
      url: `http://127.0.0.1:${svc.port}`,
      connections: CONNECTIONS,
      duration: DURATION,
      timeout: 30,
      requests: requests.map((r) => ({
        method: 'POST' as const,
        path: r.path,
        headers: { 'content-type': r.contentType },
        body: r.body,
      })),
    });
    clearInterval(timer);
    const end = {
      t: Math.round((Date.now() - started) / 1000),
      rss: rssMb(svc.pid),
      healthz: await probe(svc.port, '/healthz'),
    };
    samples.push(end);
    const readyz = await probe(svc.port, '/readyz');
    const fhirStats = await fhir.stats();

    const byStatus = Object.entries(result.statusCodeStats ?? {})
      .map(([code, s]) => ({ status: code, count: s.count ?? 0 }))
      .sort((a, b) => a.status.localeCompare(b.status));
    const fiveXx = byStatus.filter((s) => s.status.startsWith('5')).reduce((a, s) => a + s.count, 0);
    const expected = new Set(requests.flatMap((r) => r.expect.map(String)));
    const unexpected = byStatus.filter((s) => !expected.has(s.status));
    out();
    out(
      `## Answers (${result.requests.total} requests, ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms)`,
    );
    out(table(byStatus.map((s) => ({ status: s.status, count: s.count }))));
    out(
      `connection errors ${result.errors}, timeouts ${result.timeouts}, 5xx ${fiveXx}, unexpected statuses ${unexpected.map((s) => s.status).join(' ') || 'none'}`,
    );
    out(`FHIR server: ${fhirStats.requests} requests on ${fhirStats.opened} connections (${fhirStats.open} open now)`);
    out();
    out('## RSS over time');
    out(table(samples.map((s) => ({ 't (s)': s.t, 'RSS MB': s.rss.toFixed(1), '/healthz': s.healthz }))));
    // Heaps size themselves to the load during the first minute or so; growth is judged after that,
    // as the median of the last quarter against the median of the quarter before it. RSS saws up and
    // down by tens of MB between major GCs; a leak moves the median, a sawtooth does not. The sample
    // taken after the load stopped is left out (garbage not collected yet).
    const judged = DURATION >= 120;
    const during = samples.filter((s) => s !== end);
    const medianRss = (from: number, to: number) =>
      median(during.filter((s) => s.t >= from && s.t < to).map((s) => s.rss));
    const lateGrowth = judged ? medianRss(DURATION * 0.75, Infinity) - medianRss(DURATION / 2, DURATION * 0.75) : 0;
    out(
      `after the run: /healthz ${end.healthz}, /readyz ${readyz}; ` +
        (judged
          ? `RSS growth (median of the last quarter − the quarter before) ${lateGrowth.toFixed(1)} MB (limit ${MAX_LATE_GROWTH_MB})`
          : `RSS growth not judged (runs under 120 s are still sizing their heaps)`),
    );

    const unhealthy = samples.filter((s) => s.healthz !== 200).length;
    const ok =
      fiveXx === 0 &&
      result.errors === 0 &&
      result.timeouts === 0 &&
      unexpected.length === 0 &&
      unhealthy === 0 &&
      readyz === 200 &&
      lateGrowth <= MAX_LATE_GROWTH_MB;
    out(ok ? 'SOAK OK' : `SOAK FAILED${unhealthy ? ` (${unhealthy} unhealthy probes)` : ''}`);
    return ok ? 0 : 1;
  } finally {
    await service?.stop();
    await fhir?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
