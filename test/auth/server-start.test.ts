import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTranspiled, transpiledSources } from '../store/support/transpile.js';
import { listeningPort, runServer, type RunningServer as Running } from '../support/server-process.js';
import { makeKey, mint } from './support.js';

let serverJs: string;
let dir: string;

beforeAll(() => {
  serverJs = join(transpiledSources(), 'src', 'server.js');
  dir = mkdtempSync(join(tmpdir(), 'aibl-start-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeTranspiled();
});

const run = (env: Record<string, string>): Running => runServer(serverJs, env);

/** The exit code, or 'still running' (after killing it) if the process has not exited in time. */
async function exitCode(p: Running, ms = 10_000): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  const code = await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  if (code === 'still running') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  return code;
}

function file(name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe('starting the real service', () => {
  it('refuses NODE_ENV=production with no trusted client: non-zero exit and a clear message', async () => {
    const p = run({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.test.example' });
    expect(await exitCode(p)).toBe(1);
    expect(p.stderr()).toContain('Refusing to start: NODE_ENV=production but no trusted CDS client is configured');
    expect(p.stdout()).not.toContain('aibl-cds listening');
  });

  it('refuses to trust the CDS Hooks sandbox in production', async () => {
    const clients = file('sandbox.json', {
      clients: [
        {
          iss: 'https://sandbox.cds-hooks.org',
          jwksUrl: 'https://sandbox.cds-hooks.org/.well-known/jwks.json',
          fhirServers: ['https://fhir.test.example/r4'],
        },
      ],
    });
    const p = run({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.test.example', CDS_CLIENTS_FILE: clients });
    expect(await exitCode(p)).toBe(1);
    expect(p.stderr()).toContain('trusts the CDS Hooks sandbox');
  });

  it('stops on an invalid clients file, naming the field', async () => {
    const clients = file('invalid.json', {
      clients: [{ iss: 'https://ehr.test.example', fhirServers: ['https://ehr.test.example/fhir'] }],
    });
    const p = run({ NODE_ENV: 'development', CDS_CLIENTS_FILE: clients });
    expect(await exitCode(p)).toBe(1);
    expect(p.stderr()).toContain(
      'clients[0].jwksUrl: exactly one of "jwks" (inline public keys) or "jwksUrl" is required',
    );
  });

  it('in production with a trusted client, verifies tokens against PUBLIC_BASE_URL', async () => {
    const key = await makeKey('ES384');
    const iss = 'https://ehr.test.example';
    const clients = file('ok.json', {
      clients: [{ iss, jwks: { keys: [key.publicJwk] }, fhirServers: ['https://ehr.test.example/fhir'] }],
    });
    const publicBase = 'https://cds.test.example';
    const p = run({ NODE_ENV: 'production', PUBLIC_BASE_URL: publicBase, CDS_CLIENTS_FILE: clients });
    try {
      const port = await listeningPort(p);
      expect(p.stdout()).not.toContain('AUTHENTICATION DISABLED');
      const url = `http://127.0.0.1:${port}/cds-services/aibl-order-sign/feedback`;
      const body = JSON.stringify({
        feedback: [{ card: 'c1', outcome: 'overridden', outcomeTimestamp: '2026-11-27T10:00:00Z' }],
      });
      const headers = { 'content-type': 'application/json' };
      expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(401);
      const token = await mint(key, iss, `${publicBase}/cds-services/aibl-order-sign/feedback`);
      const ok = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body });
      expect(ok.status).toBe(200);
      expect(p.stdout()).not.toContain(token);
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });

  it('outside production with no clients, starts and warns loudly', async () => {
    const p = run({ NODE_ENV: 'development' });
    try {
      await listeningPort(p);
      const warning = p
        .stdout()
        .split('\n')
        .find((l) => l.includes('AUTHENTICATION DISABLED'));
      expect(warning).toBeDefined();
      expect(JSON.parse(warning as string)).toMatchObject({ level: 40, security: 'open-mode' });
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });
});
