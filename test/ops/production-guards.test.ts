import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKey } from '../auth/support.js';
import { loadClientsFile, type ClientConfig } from '../../src/auth/clients-config.js';
import { assertProductionGuards, PLACEHOLDER_KEY_MARKER } from '../../src/production-guards.js';
import { removeTranspiled, repoRoot, transpiledSources } from '../store/support/transpile.js';
import { listeningPort, runServer } from '../support/server-process.js';

const SAMPLE = join(repoRoot, 'examples', 'clients.sample.json');
let dir: string;
let realClients: ClientConfig[];
let realClientsFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aibl-guards-'));
  const key = await makeKey('ES384');
  realClientsFile = join(dir, 'clients.json');
  writeFileSync(
    realClientsFile,
    JSON.stringify({
      clients: [
        {
          iss: 'https://ehr.guards.example',
          jwks: { keys: [key.publicJwk] },
          fhirServers: ['https://ehr.guards.example/fhir'],
        },
      ],
    }),
  );
  realClients = loadClientsFile(realClientsFile);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeTranspiled();
});

const https = 'https://cds.hospital.example';

describe('production guards', () => {
  it('refuse the sample clients file, whose inline key is a placeholder', () => {
    const sample = loadClientsFile(SAMPLE);
    expect(JSON.stringify(sample)).toContain(PLACEHOLDER_KEY_MARKER);
    expect(() =>
      assertProductionGuards({
        production: true,
        publicBaseUrl: https,
        clients: sample,
        allowInsecurePublicUrl: undefined,
      }),
    ).toThrow(/Refusing to start: clients\[2\]\.jwks\.keys\[0\] is the placeholder key of the sample clients file/);
    // Outside production the samples may be tried.
    expect(() =>
      assertProductionGuards({
        production: false,
        publicBaseUrl: https,
        clients: sample,
        allowInsecurePublicUrl: undefined,
      }),
    ).not.toThrow();
  });

  it('refuse a non-https PUBLIC_BASE_URL in production unless ALLOW_INSECURE_PUBLIC_URL=true', () => {
    const base = { production: true, publicBaseUrl: 'http://cds.hospital.example', clients: realClients };
    expect(() => assertProductionGuards({ ...base, allowInsecurePublicUrl: undefined })).toThrow(
      /PUBLIC_BASE_URL must be the https URL/,
    );
    expect(() => assertProductionGuards({ ...base, allowInsecurePublicUrl: 'false' })).toThrow(
      /PUBLIC_BASE_URL must be the https URL/,
    );
    expect(() => assertProductionGuards({ ...base, allowInsecurePublicUrl: 'true' })).not.toThrow();
    expect(() => assertProductionGuards({ ...base, allowInsecurePublicUrl: 'yes' })).toThrow(
      'ALLOW_INSECURE_PUBLIC_URL: must be true or false',
    );
    expect(() =>
      assertProductionGuards({ ...base, publicBaseUrl: https, allowInsecurePublicUrl: undefined }),
    ).not.toThrow();
    expect(() =>
      assertProductionGuards({ ...base, production: false, allowInsecurePublicUrl: undefined }),
    ).not.toThrow();
  });

  describe('in the server process', () => {
    const serverJs = () => join(transpiledSources(), 'src', 'server.js');

    it('exits 1 on the sample clients file in production, naming the key', async () => {
      const p = runServer(serverJs(), { NODE_ENV: 'production', PUBLIC_BASE_URL: https, CDS_CLIENTS_FILE: SAMPLE });
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toContain('clients[2].jwks.keys[0] is the placeholder key of the sample clients file');
    });

    it('exits 1 on an http PUBLIC_BASE_URL in production, and starts with ALLOW_INSECURE_PUBLIC_URL=true', async () => {
      const env = {
        NODE_ENV: 'production',
        PUBLIC_BASE_URL: 'http://cds.hospital.example',
        CDS_CLIENTS_FILE: realClientsFile,
      };
      const refused = runServer(serverJs(), env);
      expect(await refused.exited).toBe(1);
      expect(refused.stderr()).toContain('PUBLIC_BASE_URL must be the https URL the EHR calls in production');
      const allowed = runServer(serverJs(), { ...env, ALLOW_INSECURE_PUBLIC_URL: 'true' });
      try {
        expect(await listeningPort(allowed)).toBeGreaterThan(0);
      } finally {
        allowed.child.kill('SIGTERM');
        expect(await allowed.exited).toBe(0);
      }
    });
  });
});
