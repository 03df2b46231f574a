import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClientsFile, parseClientsConfig } from '../../src/auth/clients-config.js';
import { ConfigError } from '../../src/config-error.js';
import { makeKey } from './support.js';
import type { TestKey } from './support.js';

let dir: string;
let ec: TestKey;
let rsa: TestKey;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aibl-clients-'));
  [ec, rsa] = await Promise.all([makeKey('ES384'), makeKey('RS384')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const epic = {
  iss: 'https://ehr.example.org/api/FHIR/R4',
  jwksUrl: 'https://ehr.example.org/api/epic/2019/Security/Open/PublicKeys/530013/530013',
  fhirServers: ['https://ehr.example.org/api/FHIR/R4'],
};

function errorOf(json: unknown): string {
  try {
    parseClientsConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseClientsConfig', () => {
  it('accepts a jwksUrl client and an inline-keys client with a tenant', () => {
    const clients = parseClientsConfig({
      clients: [
        epic,
        {
          iss: 'https://other.example',
          jwks: { keys: [ec.publicJwk, rsa.publicJwk] },
          fhirServers: ['https://other.example/fhir'],
          tenant: 't1',
        },
      ],
    });
    expect(clients).toEqual([
      epic,
      {
        iss: 'https://other.example',
        jwks: { keys: [ec.publicJwk, rsa.publicJwk] },
        fhirServers: ['https://other.example/fhir'],
        tenant: 't1',
      },
    ]);
  });

  it('accepts an empty list (open development mode)', () => {
    expect(parseClientsConfig({ clients: [] })).toEqual([]);
  });

  it.each([
    ['both jwks and jwksUrl', { clients: [{ ...epic, jwks: { keys: [] } }] }, 'clients[0].jwks'],
    [
      'neither jwks nor jwksUrl',
      { clients: [{ iss: 'x', fhirServers: ['https://a.example/fhir'] }] },
      'clients[0].jwksUrl: exactly one of',
    ],
    ['a duplicate iss', { clients: [epic, epic] }, 'clients[1].iss: duplicate iss'],
    ['a missing iss', { clients: [{ ...epic, iss: undefined }] }, 'clients[0].iss'],
    ['an iss with whitespace', { clients: [{ ...epic, iss: 'https://a.example ' }] }, 'clients[0].iss'],
    ['no fhirServers', { clients: [{ ...epic, fhirServers: [] }] }, 'clients[0].fhirServers: at least one'],
    [
      'a fhirServer that is not a URL',
      { clients: [{ ...epic, fhirServers: ['ehr.example.org/fhir'] }] },
      'clients[0].fhirServers[0]',
    ],
    [
      'a fhirServer with a query',
      { clients: [{ ...epic, fhirServers: ['https://ehr.example.org/fhir?x=1'] }] },
      'clients[0].fhirServers[0]',
    ],
    [
      'a jwksUrl with credentials',
      { clients: [{ ...epic, jwksUrl: 'https://u:p@ehr.example.org/jwks' }] },
      'clients[0].jwksUrl',
    ],
    [
      'a jwksUrl with another scheme',
      { clients: [{ ...epic, jwksUrl: 'file:///etc/jwks.json' }] },
      'clients[0].jwksUrl',
    ],
    ['a misspelt field', { clients: [{ ...epic, jwks_url: 'https://x.example' }] }, 'clients[0]'],
    ['no clients array', { client: [] }, 'clients'],
  ])('refuses %s, naming the field', (_label, json, field) => {
    expect(errorOf(json)).toContain(field);
  });

  it('refuses a private key pasted as a public key', () => {
    const leaked = { ...ec.publicJwk, d: 'AAAA' };
    expect(errorOf({ clients: [{ ...epic, jwksUrl: undefined, jwks: { keys: [leaked] } }] })).toContain(
      'clients[0].jwks.keys[0].d: private key member',
    );
  });

  it('refuses a symmetric key, a key without kid, duplicate kids and an unusable key', () => {
    const base = { iss: 'https://a.example', fhirServers: ['https://a.example/fhir'] };
    expect(errorOf({ clients: [{ ...base, jwks: { keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] } }] })).toContain(
      'clients[0].jwks.keys[0].kty',
    );
    expect(errorOf({ clients: [{ ...base, jwks: { keys: [{ ...ec.publicJwk, kid: undefined }] } }] })).toContain(
      'clients[0].jwks.keys[0].kid',
    );
    expect(
      errorOf({ clients: [{ ...base, jwks: { keys: [ec.publicJwk, { ...rsa.publicJwk, kid: ec.publicJwk.kid }] } }] }),
    ).toContain('clients[0].jwks.keys[1].kid: duplicate kid');
    expect(errorOf({ clients: [{ ...base, jwks: { keys: [{ ...ec.publicJwk, x: 'AAAA' }] } }] })).toContain(
      'clients[0].jwks.keys[0]: not a usable public key',
    );
    expect(errorOf({ clients: [{ ...base, jwks: { keys: [{ kty: 'RSA', kid: 'r' }] } }] })).toContain(
      'clients[0].jwks.keys[0].n',
    );
  });
});

describe('loadClientsFile', () => {
  it('returns no clients when CDS_CLIENTS_FILE is unset or blank', () => {
    expect(loadClientsFile(undefined)).toEqual([]);
    expect(loadClientsFile('  ')).toEqual([]);
  });

  it('reads and validates a file', () => {
    const path = join(dir, 'clients.json');
    writeFileSync(path, JSON.stringify({ clients: [epic] }));
    expect(loadClientsFile(path)).toEqual([epic]);
  });

  it('names the file and the field when invalid', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ clients: [{ ...epic, fhirServers: 'https://ehr.example.org/fhir' }] }));
    expect(() => loadClientsFile(path)).toThrow(
      new RegExp(`CDS_CLIENTS_FILE ${path} is invalid: clients\\[0\\]\\.fhirServers`),
    );
  });

  it('refuses a missing file or invalid JSON rather than starting open', () => {
    expect(() => loadClientsFile(join(dir, 'nope.json'))).toThrow(/cannot be read \(ENOENT\)/);
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"clients": [');
    expect(() => loadClientsFile(path)).toThrow(/is not valid JSON/);
  });

  it('loads the committed examples', () => {
    const sample = loadClientsFile(new URL('../../examples/clients.sample.json', import.meta.url).pathname);
    expect(sample.map((c) => c.iss)).toEqual([
      'https://fhir.hospital.example.org/interconnect-fhir-oauth/api/FHIR/R4',
      'https://cds-hooks.cerner.com',
      'https://ehr-test.hospital.example.org',
    ]);
    const sandbox = loadClientsFile(new URL('../../examples/clients.sandbox-dev.json', import.meta.url).pathname);
    expect(sandbox[0]?.iss).toBe('https://sandbox.cds-hooks.org');
  });
});
