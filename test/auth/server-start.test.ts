import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTranspiled, transpiledSources } from '../store/support/transpile.js';
import { makeKey, mint } from './support.js';

/** The real service, started as `node src/server.js` from the transpiled sources. */
interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

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

function run(env: Record<string, string>): Running {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [serverJs], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function listeningPort(p: Running): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const line of p.stdout().split('\n')) {
      if (line.includes('aibl-cds listening')) return (JSON.parse(line) as { port: number }).port;
    }
    if (p.child.exitCode !== null) throw new Error(`server exited: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start');
}

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
    const clients = file('invalid.json', { clients: [{ iss: 'https://ehr.test.example', fhirServers: ['https://ehr.test.example/fhir'] }] });
    const p = run({ NODE_ENV: 'development', CDS_CLIENTS_FILE: clients });
    expect(await exitCode(p)).toBe(1);
    expect(p.stderr()).toContain('clients[0].jwksUrl: exactly one of "jwks" (inline public keys) or "jwksUrl" is required');
  });

  it('in production with a trusted client, verifies tokens against PUBLIC_BASE_URL', async () => {
    const key = await makeKey('ES384');
    const iss = 'https://ehr.test.example';
    const clients = file('ok.json', { clients: [{ iss, jwks: { keys: [key.publicJwk] }, fhirServers: ['https://ehr.test.example/fhir'] }] });
    const publicBase = 'https://cds.test.example';
    const p = run({ NODE_ENV: 'production', PUBLIC_BASE_URL: publicBase, CDS_CLIENTS_FILE: clients });
    try {
      const port = await listeningPort(p);
      expect(p.stdout()).not.toContain('AUTHENTICATION DISABLED');
      const url = `http://127.0.0.1:${port}/cds-services/aibl-order-sign/feedback`;
      const body = JSON.stringify({ feedback: [{ card: 'c1', outcome: 'overridden', outcomeTimestamp: '2026-11-27T10:00:00Z' }] });
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
