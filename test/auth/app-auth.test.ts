import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT, exportSPKI } from 'jose';
import type { ClientConfig } from '../../src/auth/clients-config.js';
import { createAuthenticator } from '../../src/auth/create-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { BASE_URL, example, testApp } from '../http/support/app.js';
import type { TestApp } from '../http/support/app.js';
import { startFhirServer } from '../support/fhir-server.js';
import type { TestFhirServer } from '../support/fhir-server.js';
import { b64url, deadUrl, makeKey, mint, nowSec, startJwksServer } from './support.js';
import type { JwksServer, TestKey } from './support.js';

const SIGN = '/cds-services/aibl-order-sign';
const FEEDBACK = `${SIGN}/feedback`;
const AUD = `${BASE_URL}${SIGN}`;
const ISS_ES = 'https://es-ehr.test.example';
const ISS_RS = 'https://rs-ehr.test.example/api/FHIR/R4';
const ISS_OTHER = 'https://other-ehr.test.example';
const ISS_DOWN = 'https://down-ehr.test.example';
const ISS_FHIR = 'https://fhir-ehr.test.example';
const ISS_ELSEWHERE = 'https://elsewhere-ehr.test.example';
const FHIR_ACCESS_TOKEN = 'fhir-access-token-never-logged-0123456789';
const ES_KID = 'es-ehr-key-1';
const RS_KID = 'rs-ehr-key-1';

let es: TestKey;
let rs: TestKey;
let other: TestKey;
let stranger: TestKey;
let fhir: TestFhirServer;
let fhirPatient: string;
let jwks: JwksServer;
let foreign: JwksServer;
let t: TestApp;
let server: Server;
let base: string;
/** Every bearer token sent in this file; none may ever appear in the log. */
const sent: string[] = [];

beforeAll(async () => {
  [es, rs, other, stranger] = await Promise.all([
    makeKey('ES384', ES_KID),
    makeKey('RS384', RS_KID),
    makeKey('ES384'),
    makeKey('ES384'),
  ]);
  jwks = await startJwksServer([rs.publicJwk]);
  fhir = await startFhirServer({ fixtures: ['Gayla_Ferry'] });
  fhirPatient = fhir.patients['Gayla_Ferry'] as string;
  foreign = await startJwksServer([stranger.publicJwk]);
  const clients: ClientConfig[] = [
    { iss: ISS_ES, jwks: { keys: [es.publicJwk] }, fhirServers: ['https://es-ehr.test.example/fhir'] },
    { iss: ISS_RS, jwksUrl: jwks.url, fhirServers: [ISS_RS] },
    { iss: ISS_OTHER, jwks: { keys: [other.publicJwk] }, fhirServers: ['https://other-ehr.test.example/fhir'] },
    { iss: ISS_DOWN, jwksUrl: await deadUrl(), fhirServers: ['https://down-ehr.test.example/fhir'] },
    // May use the test FHIR server.
    { iss: ISS_FHIR, jwks: { keys: [es.publicJwk] }, fhirServers: [fhir.baseUrl] },
    // A real client, but the test FHIR server is not among its servers.
    { iss: ISS_ELSEWHERE, jwks: { keys: [es.publicJwk] }, fhirServers: ['https://elsewhere-ehr.test.example/fhir'] },
  ];
  const authenticator = createAuthenticator({ clients, replayStore: new MemoryReplayStore(), fetchTimeoutMs: 300 });
  t = testApp({ authenticator });
  server = t.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // Whatever beforeAll managed to start is closed, also when it failed half-way.
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([jwks?.close(), foreign?.close(), fhir?.close()]);
});

async function post(path: string, authorization: string | undefined, body: unknown = example('order-sign')) {
  if (authorization !== undefined) sent.push(authorization);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

function lastAuthFailure(): Record<string, unknown> | undefined {
  return t
    .logLines()
    .filter((l) => l.msg === 'authentication failed')
    .at(-1);
}

const bearer = (token: string): string => `Bearer ${token}`;

/** 401 with the bare body, nothing about why; the reason is in the log line. */
async function expect401(
  authorization: string | undefined,
  reason: string,
  path = SIGN,
): Promise<Record<string, unknown>> {
  const res = await post(path, authorization);
  expect(res.status).toBe(401);
  expect(res.contentType).toMatch(/^application\/json/);
  expect(JSON.parse(res.text)).toEqual({ error: 'unauthorized' });
  expect(res.text).not.toContain(reason);
  const line = lastAuthFailure();
  expect(line).toMatchObject({ level: 40, reason, expectedAud: `${BASE_URL}${path}` });
  return line as Record<string, unknown>;
}

describe('every authentication failure is a bare 401 over HTTP', () => {
  it('missing or non-bearer Authorization', async () => {
    await expect401(undefined, 'missing bearer token');
    await expect401('Basic dXNlcjpwYXNz', 'missing bearer token');
  });

  it('malformed token and header', async () => {
    await expect401(bearer('definitely.not.ajwt!'), 'malformed token');
    await expect401(bearer(`${b64url('{oops')}.${b64url({ iss: ISS_ES })}.AAAA`), 'malformed token header');
  });

  it('alg none', async () => {
    const iat = nowSec();
    const token = new UnsecuredJWT({ iss: ISS_ES, aud: AUD, iat, exp: iat + 300, jti: randomUUID() }).encode();
    const line = await expect401(bearer(token), 'alg not allowed');
    expect(line.alg).toBe('none');
  });

  it('HS256 signed with the public key', async () => {
    const iat = nowSec();
    const token = await new SignJWT({ iss: ISS_RS, aud: AUD, iat, exp: iat + 300, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: rs.kid })
      .sign(new TextEncoder().encode(await exportSPKI(rs.publicKey)));
    await expect401(bearer(token), 'alg not allowed');
  });

  it('bad signature and tampered payload', async () => {
    const [h, p, s] = (await mint(es, ISS_ES, AUD)).split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[0] = (sig[0] as number) ^ 0xff;
    await expect401(bearer(`${h}.${p}.${sig.toString('base64url')}`), 'signature invalid');
    const [h2, p2, s2] = (await mint(es, ISS_ES, `${BASE_URL}/cds-services/aibl-patient-view`)).split('.') as [
      string,
      string,
      string,
    ];
    const claims = JSON.parse(Buffer.from(p2, 'base64url').toString()) as Record<string, unknown>;
    await expect401(bearer(`${h2}.${b64url({ ...claims, aud: AUD })}.${s2}`), 'signature invalid');
  });

  it('wrong and absent aud, with expected and received aud in the log', async () => {
    const wrongAud = `${BASE_URL}/cds-services/aibl-patient-view`;
    const line = await expect401(bearer(await mint(es, ISS_ES, wrongAud)), 'aud mismatch');
    expect(line).toMatchObject({ iss: ISS_ES, kid: es.kid, receivedAud: wrongAud, expectedAud: AUD });
    expect(typeof line.jti).toBe('string');
    await expect401(bearer(await mint(es, ISS_ES, AUD, { omit: ['aud'] })), 'aud missing or invalid');
    // The service URL is not the feedback URL.
    await expect401(bearer(await mint(es, ISS_ES, AUD)), 'aud mismatch', FEEDBACK);
  });

  it('expired, future iat, future nbf, over-long lifetime', async () => {
    const now = nowSec();
    await expect401(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now - 600, exp: now - 120 } })),
      'token expired',
    );
    await expect401(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now + 300, exp: now + 600 } })),
      'iat in the future',
    );
    await expect401(bearer(await mint(es, ISS_ES, AUD, { claims: { nbf: now + 300 } })), 'token not yet valid (nbf)');
    await expect401(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now, exp: now + 3600 } })),
      'token lifetime exceeds maximum',
    );
  });

  it("unknown iss, and an issuer's claims signed with another client's key", async () => {
    await expect401(bearer(await mint(stranger, 'https://attacker.example', AUD)), 'unknown iss');
    await expect401(bearer(await mint(other, ISS_ES, AUD)), 'no key for kid');
    await expect401(bearer(await mint({ ...other, kid: es.kid }, ISS_ES, AUD)), 'signature invalid');
  });

  it('missing kid, wrong typ', async () => {
    await expect401(bearer(await mint(es, ISS_ES, AUD, { header: { kid: undefined } })), 'kid missing');
    await expect401(bearer(await mint(es, ISS_ES, AUD, { header: { typ: 'JOSE' } })), 'typ is not JWT');
  });

  it('a replayed token', async () => {
    const token = await mint(es, ISS_ES, AUD);
    expect((await post(SIGN, bearer(token))).status).toBe(200);
    await expect401(bearer(token), 'jti replayed');
  });

  it('a foreign jku, which is never contacted', async () => {
    const token = await mint(stranger, ISS_RS, AUD, { header: { jku: foreign.url } });
    await expect401(bearer(token), 'jku not registered for iss');
    expect(foreign.hits).toBe(0);
  });

  it('a JWKS outage: fast 401, not a hang or a 5xx', async () => {
    const token = await mint(rs, ISS_DOWN, AUD);
    const started = performance.now();
    await expect401(bearer(token), 'jwks unavailable');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('valid tokens are accepted over HTTP', () => {
  it('ES384 with inline keys: cards', async () => {
    const res = await post(SIGN, bearer(await mint(es, ISS_ES, AUD)));
    expect(res.status).toBe(200);
    expect(Array.isArray((JSON.parse(res.text) as { cards: unknown[] }).cards)).toBe(true);
  });

  it('RS384 from a JWKS URL, Epic-style claims, array aud', async () => {
    const iat = nowSec();
    const token = await mint(rs, ISS_RS, ['https://elsewhere.example', AUD], {
      claims: { iat, nbf: iat - 300, exp: iat + 900, sub: 'epic-client-id' },
      header: { jku: jwks.url },
    });
    expect((await post(SIGN, bearer(token))).status).toBe(200);
  });

  it('feedback with the feedback URL as aud', async () => {
    const fb = { feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-11-27T10:00:00Z' }] };
    const res = await post(FEEDBACK, bearer(await mint(es, ISS_ES, `${BASE_URL}${FEEDBACK}`)), fb);
    expect(res.status).toBe(200);
  });
});

describe('the fhirServer allow-list (SSRF guard) with a real FHIR server', () => {
  /** An order-sign call for the seeded patient, without prefetch, so the service must query `fhirServer`. */
  function fhirCall(fhirServer: string): Record<string, unknown> {
    const body = JSON.parse(
      JSON.stringify(example('order-sign')).replaceAll('example-anastrozole-70f', fhirPatient),
    ) as Record<string, unknown>;
    delete body.prefetch;
    body.fhirServer = fhirServer;
    body.fhirAuthorization = {
      access_token: FHIR_ACCESS_TOKEN,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/*.read',
      subject: 'aibl-cds',
    };
    return body;
  }

  const forbidden = {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: 'forbidden',
        diagnostics: 'fhirServer is not an allowed FHIR server for this client',
        expression: ['fhirServer'],
      },
    ],
  };

  it('queries an allowed FHIR server, with the access token only there', async () => {
    fhir.clearRequests();
    const res = await post(SIGN, bearer(await mint(es, ISS_FHIR, AUD)), fhirCall(fhir.baseUrl));
    expect(res.status).toBe(200);
    expect(fhir.requests.length).toBeGreaterThan(0);
    expect(fhir.requests.every((r) => r.headers.authorization === `Bearer ${FHIR_ACCESS_TOKEN}`)).toBe(true);
  });

  it.each([
    ['a server not registered for this client', ISS_ELSEWHERE, (f: TestFhirServer) => f.baseUrl],
    ['a look-alike path on the allowed host', ISS_FHIR, (f: TestFhirServer) => `${f.origin}/fhir-evil`],
    ['a parent path of the allowed base', ISS_FHIR, (f: TestFhirServer) => `${f.origin}/`],
    [
      'the same server under another host name',
      ISS_FHIR,
      (f: TestFhirServer) => f.baseUrl.replace('127.0.0.1', 'localhost'),
    ],
    ['a userinfo trick', ISS_FHIR, (f: TestFhirServer) => `http://127.0.0.1@localhost:${f.port}/fhir`],
  ])('answers 403 for %s and never contacts it', async (_label, iss, target) => {
    fhir.clearRequests();
    const opened = fhir.connections().opened;
    const res = await post(SIGN, bearer(await mint(es, iss, AUD)), fhirCall(target(fhir)));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual(forbidden);
    expect(fhir.requests).toHaveLength(0);
    expect(fhir.connections().opened).toBe(opened);
  });

  it('never logs the FHIR access token', () => {
    expect(t.logText()).not.toContain(FHIR_ACCESS_TOKEN);
  });
});

describe('arbitrary Authorization headers at the endpoint', () => {
  const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
  const headerValue = fc.string({ unit: printable, minLength: 1, maxLength: 200 });
  const segment = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((v) => b64url(JSON.stringify(v))),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64url')),
  );
  const plausibleHeader = fc
    .record({
      alg: fc.constantFrom('ES384', 'RS384', 'none', 'HS256'),
      typ: fc.constant('JWT'),
      kid: fc.constantFrom(ES_KID, RS_KID, 'x'),
    })
    .map((h) => b64url(h));
  const plausibleClaims = fc
    .record({
      iss: fc.constantFrom(ISS_ES, ISS_RS, 'x'),
      aud: fc.constant(AUD),
      iat: fc.integer(),
      exp: fc.integer(),
      jti: fc.uuid(),
    })
    .map((c) => b64url(c));

  it('every answer is 401, none is 5xx (1000 requests)', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerValue,
          headerValue.map((s) => `Bearer ${s}`),
          fc
            .tuple(fc.oneof(plausibleHeader, segment), fc.oneof(plausibleClaims, segment), segment)
            .map(([h, p, s]) => `Bearer ${h}.${p}.${s}`),
        ),
        async (authorization) => {
          const res = await post(SIGN, authorization);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBe(401);
          expect(res.text).toBe('{"error":"unauthorized"}');
        },
      ),
      { numRuns: 1000 },
    );
    expect(statuses).toEqual(new Map([[401, 1000]]));
  });
});

describe('the log', () => {
  it('never contains a bearer token, valid or not', () => {
    const log = t.logText();
    expect(sent.length).toBeGreaterThan(1000);
    for (const authorization of sent) {
      const token = authorization.replace(/^Bearer /, '');
      if (token.length < 16) continue;
      expect(log).not.toContain(token);
      const sig = token.split('.')[2];
      if (sig !== undefined && sig.length >= 16) expect(log).not.toContain(sig);
    }
  });
});
