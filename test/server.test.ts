import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transpiledSources } from './store/support/transpile.js';
import { listeningPort, runServer, type RunningServer as Running } from './support/server-process.js';
import { example } from './http/support/app.js';

let buildDir: string;
let serverJs: string;
let dataDir: string;

function run(env: Record<string, string>): Running {
  return runServer(serverJs, { NODE_ENV: 'development', DATA_DIR: dataDir, ...env });
}

function post(port: number, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'aibl-server-data-'));
  buildDir = transpiledSources();
  serverJs = join(buildDir, 'src', 'server.js');
});
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server process', () => {
  it('serves, then on SIGTERM finishes the call in flight and exits 0', async () => {
    // A FHIR server that answers slowly, so that a service call is still in flight at SIGTERM.
    let sawRequest: () => void = () => undefined;
    const seen = new Promise<void>((r) => (sawRequest = r));
    const slow: Server = createServer((_req, res) => {
      sawRequest();
      setTimeout(() => res.writeHead(503, { 'content-type': 'application/fhir+json' }).end('{}'), 400);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/fhir`;

    const p = run({ FHIR_TIMEOUT_MS: '3000' });
    try {
      const port = await listeningPort(p);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);

      const body = example('order-sign');
      delete body.prefetch;
      body.fhirServer = slowUrl;
      const inFlight = post(port, '/cds-services/aibl-order-sign', body);
      await seen;
      p.child.kill('SIGTERM');
      for (let i = 0; i < 100 && !p.stdout().includes('shutting down'); i++)
        await new Promise((r) => setTimeout(r, 20));
      // No new connections once draining; the call in flight still gets its answer.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      const answer = await inFlight;
      expect(answer.status).toBe(412);
      expect(JSON.parse(answer.body).resourceType).toBe('OperationOutcome');
      expect(await p.exited).toBe(0);
      expect(p.stdout()).toContain('"msg":"stopped"');
    } finally {
      p.child.kill('SIGKILL');
      await new Promise((r) => slow.close(r));
    }
  });

  it.each([
    ['SERVICE_WORKERS unset (one worker)', {}, '"serviceWorkers":1'],
    ['SERVICE_WORKERS=0 (on the event loop)', { SERVICE_WORKERS: '0' }, '"serviceWorkers":0'],
    ['SERVICE_WORKERS=2', { SERVICE_WORKERS: '2' }, '"serviceWorkers":2'],
  ])('%s: answers the order-sign example with its three cards', async (_label, env, logged) => {
    const p = run(env);
    try {
      const port = await listeningPort(p);
      expect(p.stdout()).toContain(logged);
      const answer = await post(port, '/cds-services/aibl-order-sign', example('order-sign'));
      expect(answer.status).toBe(200);
      const cards = (JSON.parse(answer.body) as { cards: { source: { topic: { code: string } } }[] }).cards;
      expect(cards.map((c) => c.source.topic.code)).toEqual(['baseline-dxa', 'bone-agent', 'calcium-vitamin-d']);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('exits non-zero naming the variable when the environment is invalid', async () => {
    const p = run({ PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('PORT: must be a whole number between 0 and 65535');
    expect(p.stderr()).toContain('LOG_LEVEL: must be one of');
  });

  it('refuses to start in production without a trusted CDS client', async () => {
    const p = run({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.hospital.example' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('NODE_ENV=production but no trusted CDS client is configured');
  });

  it('refuses to start in production without PUBLIC_BASE_URL (every token audience would mismatch)', async () => {
    const p = run({ NODE_ENV: 'production' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('PUBLIC_BASE_URL: required when NODE_ENV=production');
  });

  it('refuses to start with an invalid policy file, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aibl-policy-'));
    try {
      const file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify({ dxaIntervalMonths: -3 }));
      const p = run({ AIBL_POLICY_FILE: file });
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toMatch(/AIBL_POLICY_FILE: dxaIntervalMonths: /);
      const missing = run({ AIBL_POLICY_FILE: join(dir, 'absent.json') });
      expect(await missing.exited).toBe(1);
      expect(missing.stderr()).toContain(`AIBL_POLICY_FILE: cannot read ${join(dir, 'absent.json')} (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
