import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPEN_MODE_WARNING, assertAuthConfig, loadTrustedClients, warnIfOpenMode } from '../../src/auth/auth-config.js';
import type { ClientConfig } from '../../src/auth/clients-config.js';
import { createAuthenticator } from '../../src/auth/create-authenticator.js';
import { AuthConfigError } from '../../src/auth/jwt-authenticator.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { makeKey, mint, nowSec } from './support.js';

const epic: ClientConfig = {
  iss: 'https://ehr.example.org/api/FHIR/R4',
  jwksUrl: 'https://ehr.example.org/api/epic/2019/Security/Open/PublicKeys/530013/530013',
  fhirServers: ['https://ehr.example.org/api/FHIR/R4'],
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aibl-authcfg-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clientsFile(clients: ClientConfig[]): string {
  const path = join(dir, `clients-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ clients }));
  return path;
}

/** The auth section of the one configuration, and the trusted clients it names, as server.ts reads them. */
function readAuthSettings(env: Record<string, string>) {
  const config = loadConfig({
    ...(env.NODE_ENV === 'production' && { PUBLIC_BASE_URL: 'https://cds.example.org' }),
    ...env,
  });
  const { clientsFile: _, ...jwt } = config.auth;
  return { clients: loadTrustedClients(config), ...jwt };
}

describe('assertAuthConfig', () => {
  it('refuses production with no trusted client, with a clear message', () => {
    expect(() => assertAuthConfig('production', [])).toThrow(ConfigError);
    expect(() => assertAuthConfig('production', [])).toThrow(
      /Refusing to start: NODE_ENV=production but no trusted CDS client is configured\. Set CDS_CLIENTS_FILE/,
    );
  });

  it('allows no clients outside production (open development mode)', () => {
    expect(() => assertAuthConfig('development', [])).not.toThrow();
    expect(() => assertAuthConfig(undefined, [])).not.toThrow();
    expect(() => assertAuthConfig('test', [])).not.toThrow();
  });

  it('refuses the sandbox issuer in production, by iss or by JWKS host', () => {
    const sandbox: ClientConfig = {
      iss: 'https://sandbox.cds-hooks.org',
      jwksUrl: 'https://sandbox.cds-hooks.org/.well-known/jwks.json',
      fhirServers: ['https://fhir.example.org/r4'],
    };
    expect(() => assertAuthConfig('production', [epic, sandbox])).toThrow(/clients\[1\] trusts the CDS Hooks sandbox/);
    expect(() => assertAuthConfig('production', [{ ...sandbox, iss: 'https://renamed.example' }])).toThrow(/sandbox/);
    expect(() => assertAuthConfig('development', [sandbox])).not.toThrow();
  });

  it('requires https JWKS URLs and FHIR bases in production', () => {
    expect(() => assertAuthConfig('production', [{ ...epic, jwksUrl: 'http://ehr.example.org/jwks' }])).toThrow(
      /clients\[0\]\.jwksUrl must be https/,
    );
    expect(() =>
      assertAuthConfig('production', [
        { ...epic, fhirServers: ['https://a.example/fhir', 'http://ehr.example.org/fhir'] },
      ]),
    ).toThrow(/clients\[0\]\.fhirServers\[1\] must be https/);
    expect(() => assertAuthConfig('production', [epic])).not.toThrow();
  });
});

describe('the auth settings (config.auth and CDS_CLIENTS_FILE)', () => {
  it('defaults: ES384+RS384, 60 s skew, 15 min lifetime', () => {
    expect(readAuthSettings({ CDS_CLIENTS_FILE: clientsFile([epic]) })).toEqual({
      clients: [epic],
      algorithms: ['ES384', 'RS384'],
      clockSkewSec: 60,
      maxLifetimeSec: 900,
      jwksTtlMs: 600_000,
      fetchTimeoutMs: 1500,
    });
  });

  it('reads overrides', () => {
    const s = readAuthSettings({
      CDS_JWT_ALGORITHMS: 'RS384, PS384',
      CDS_JWT_CLOCK_SKEW_SECONDS: '30',
      CDS_JWT_MAX_LIFETIME_SECONDS: '300',
      CDS_JWKS_CACHE_TTL_SECONDS: '60',
      CDS_JWKS_FETCH_TIMEOUT_MS: '800',
      CDS_CLIENTS_FILE: '',
    });
    expect(s).toEqual({
      clients: [],
      algorithms: ['RS384', 'PS384'],
      clockSkewSec: 30,
      maxLifetimeSec: 300,
      jwksTtlMs: 60_000,
      fetchTimeoutMs: 800,
    });
  });

  it('refuses HMAC or none as algorithms, and nonsense numbers, naming the variable', () => {
    expect(() => readAuthSettings({ CDS_JWT_ALGORITHMS: 'HS256' })).toThrow(/CDS_JWT_ALGORITHMS/);
    expect(() => readAuthSettings({ CDS_JWT_ALGORITHMS: 'ES384,none' })).toThrow(/CDS_JWT_ALGORITHMS/);
    expect(() => readAuthSettings({ CDS_JWT_CLOCK_SKEW_SECONDS: '-5' })).toThrow(/CDS_JWT_CLOCK_SKEW_SECONDS/);
    expect(() => readAuthSettings({ CDS_JWKS_FETCH_TIMEOUT_MS: 'soon' })).toThrow(/CDS_JWKS_FETCH_TIMEOUT_MS/);
  });

  it('applies the production gate and the clients file validation', () => {
    expect(() => readAuthSettings({ NODE_ENV: 'production' })).toThrow(/Refusing to start/);
    expect(() => readAuthSettings({ NODE_ENV: 'production', CDS_CLIENTS_FILE: join(dir, 'missing.json') })).toThrow(
      ConfigError,
    );
    expect(readAuthSettings({ NODE_ENV: 'production', CDS_CLIENTS_FILE: clientsFile([epic]) }).clients).toEqual([epic]);
  });
});

describe('open mode warning and the factory', () => {
  it('warns loudly only when no client is configured', () => {
    const lines: Array<{ obj: object; msg: string }> = [];
    const log = { warn: (obj: object, msg: string) => lines.push({ obj, msg }) };
    const open = createAuthenticator({ clients: [], replayStore: new MemoryReplayStore() });
    const closed = createAuthenticator({ clients: [epic], replayStore: new MemoryReplayStore() });
    expect(warnIfOpenMode(closed, log)).toBe(false);
    expect(lines).toHaveLength(0);
    expect(warnIfOpenMode(open, log)).toBe(true);
    expect(lines).toEqual([{ obj: { security: 'open-mode' }, msg: OPEN_MODE_WARNING }]);
    expect(OPEN_MODE_WARNING).toMatch(/^AUTHENTICATION DISABLED/);
  });

  it('passes settings through to the authenticator', async () => {
    const key = await makeKey('RS384');
    const client: ClientConfig = {
      iss: 'https://ehr.example.org',
      jwks: { keys: [key.publicJwk] },
      fhirServers: ['https://ehr.example.org/fhir'],
    };
    const aud = 'https://cds.example/cds-services/x';
    const auth = createAuthenticator({ clients: [client], replayStore: new MemoryReplayStore(), maxLifetimeSec: 300 });
    expect(auth.openMode).toBe(false);
    const now = nowSec();
    const long = await mint(key, client.iss, aud, { claims: { iat: now, exp: now + 301 } });
    await expect(auth.authenticate({ authorization: `Bearer ${long}`, audience: aud })).rejects.toMatchObject({
      reason: 'token lifetime exceeds maximum',
    });
    const ok = await mint(key, client.iss, aud, { claims: { iat: now, exp: now + 300 } });
    await expect(auth.authenticate({ authorization: `Bearer ${ok}`, audience: aud })).resolves.toMatchObject({
      iss: client.iss,
    });
    const rsOnlyNot = createAuthenticator({
      clients: [client],
      replayStore: new MemoryReplayStore(),
      algorithms: ['ES384'],
    });
    const t = await mint(key, client.iss, aud);
    await expect(rsOnlyNot.authenticate({ authorization: `Bearer ${t}`, audience: aud })).rejects.toMatchObject({
      reason: 'alg not allowed',
      details: { alg: 'RS384' },
    });
    expect(() =>
      createAuthenticator({ clients: [epic], replayStore: new MemoryReplayStore(), algorithms: ['HS256'] }),
    ).toThrow(AuthConfigError);
  });
});
