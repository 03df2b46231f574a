import fc from 'fast-check';
import { AuthError } from '../../src/auth/authenticator.js';
import type { ClientConfig } from '../../src/auth/clients-config.js';
import { AUTH_FAILURE_REASONS, JwtAuthenticator } from '../../src/auth/jwt-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { b64url, makeKey, mint } from './support.js';
import type { TestKey } from './support.js';

const AUD = 'https://cds.hospital.org/cds-services/aibl-bone-health';
const ISS_ES = 'https://es.example.org';
const ISS_RS = 'https://rs.example.org';
const ES_KID = 'es-key-1';
const RS_KID = 'rs-key-1';

let es: TestKey;
let rs: TestKey;
let auth: JwtAuthenticator;
const reached = new Set<string>();

beforeAll(async () => {
  [es, rs] = await Promise.all([makeKey('ES384', ES_KID), makeKey('RS384', RS_KID)]);
  const clients: ClientConfig[] = [
    { iss: ISS_ES, jwks: { keys: [es.publicJwk] }, fhirServers: ['https://es.example.org/fhir'] },
    { iss: ISS_RS, jwks: { keys: [rs.publicJwk] }, fhirServers: ['https://rs.example.org/fhir'] },
  ];
  auth = new JwtAuthenticator({ clients, replayStore: new MemoryReplayStore() });
});

/** Every outcome must be an AuthError from a known check, never a crash or an acceptance. */
async function assertRejected(authorization: string | undefined): Promise<void> {
  let caught: unknown;
  try {
    await auth.authenticate({ authorization, audience: AUD });
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof AuthError)) throw new Error(`expected AuthError, got ${String(caught)}`);
  if (caught.reason === 'internal verification error') throw new Error('an input reached an unforeseen failure');
  if (!(AUTH_FAILURE_REASONS as readonly string[]).includes(caught.reason))
    throw new Error(`unknown reason ${caught.reason}`);
  reached.add(caught.reason);
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const segment = fc.oneof(
  anyJson.map((v) => b64url(JSON.stringify(v))),
  fc.string().map((s) => b64url(s)),
  fc.base64String().map((s) => s.replace(/=+$/, '')),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('base64url')),
);
const header = fc.record(
  {
    alg: fc.oneof(fc.constantFrom('ES384', 'RS384', 'none', 'HS256', 'ES256', 'PS384'), anyJson),
    typ: fc.oneof(fc.constant('JWT'), anyJson),
    kid: fc.oneof(fc.constantFrom(ES_KID, RS_KID), fc.string(), anyJson),
    jku: fc.oneof(fc.webUrl(), anyJson),
    crit: fc.array(fc.string(), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
// Headers that pass the header checks, so that tokens get as far as key lookup and signature.
const plausibleHeader = fc.record(
  {
    alg: fc.constantFrom('ES384', 'RS384'),
    typ: fc.constant('JWT'),
    kid: fc.constantFrom(ES_KID, RS_KID),
    crit: fc.array(fc.string(), { maxLength: 2 }),
    b64: fc.boolean(),
  },
  { requiredKeys: ['alg', 'typ', 'kid'] },
);
const claims = fc.record(
  {
    iss: fc.oneof(fc.constantFrom(ISS_ES, ISS_RS), fc.string(), anyJson),
    aud: fc.oneof(fc.constant(AUD), fc.array(fc.constant(AUD)), anyJson),
    exp: fc.oneof(fc.integer(), fc.double(), anyJson),
    iat: fc.oneof(fc.integer(), fc.double(), anyJson),
    nbf: fc.oneof(fc.integer(), anyJson),
    jti: fc.oneof(fc.uuid(), anyJson),
    tenant: anyJson,
  },
  { requiredKeys: [] },
);
const plausibleClaims = claims.map((c) => ({ ...c, iss: ISS_ES }));

describe('the authenticator never accepts or crashes on arbitrary input', () => {
  it('random strings as the Authorization header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(fc.string({ unit: 'binary', maxLength: 300 })), async (s) =>
        assertRejected(s ?? undefined),
      ),
      {
        numRuns: 2000,
      },
    );
  });

  it('random strings after "Bearer "', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => assertRejected(`Bearer ${s}`)),
      { numRuns: 2000 },
    );
  });

  it('random JWT-shaped tokens with plausible headers and claims and random signatures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: plausibleHeader.map((h) => b64url(h)), weight: 3 },
          { arbitrary: header.map((h) => b64url(h)), weight: 1 },
          { arbitrary: segment, weight: 1 },
        ),
        fc.oneof(
          { arbitrary: plausibleClaims.map((c) => b64url(c)), weight: 3 },
          { arbitrary: claims.map((c) => b64url(c)), weight: 1 },
          { arbitrary: segment, weight: 1 },
        ),
        segment,
        async (h, p, s) => assertRejected(`Bearer ${h}.${p}.${s}`),
      ),
      { numRuns: 3000 },
    );
    // The generator must reach the deep checks, not just bounce off the header.
    for (const r of ['alg not allowed', 'typ is not JWT', 'unknown iss', 'no key for kid', 'signature invalid'])
      expect([...reached]).toContain(r);
  });

  it('any single-character change to an already used valid token', async () => {
    const token = await mint(es, ISS_ES, AUD);
    // Use it once, so that a mutation that decodes to the same bytes is still refused (replay).
    await expect(auth.authenticate({ authorization: `Bearer ${token}`, audience: AUD })).resolves.toBeDefined();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), async (i, c) => {
        await assertRejected(`Bearer ${token.slice(0, i)}${c}${token.slice(i + 1)}`);
      }),
      { numRuns: 1500 },
    );
  });
});
