import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, exportSPKI } from 'jose';
import { AuthError } from '../../src/auth/authenticator.js';
import type { AuthContext } from '../../src/auth/authenticator.js';
import type { ClientConfig } from '../../src/auth/clients-config.js';
import { AuthConfigError, JwtAuthenticator } from '../../src/auth/jwt-authenticator.js';
import type { JwtAuthenticatorOptions } from '../../src/auth/jwt-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { b64url, makeKey, mint, nowSec, startJwksServer } from './support.js';
import type { TestKey } from './support.js';

const AUD = 'https://cds.hospital.org/cds-services/aibl-bone-health';
const ISS_ES = 'https://sandbox-like.example.net';
const ISS_RS = 'https://ehr.example.org/api/FHIR/R4';
const ISS_OTHER = 'https://other-ehr.example.com';

let es: TestKey;
let rs: TestKey;
let other: TestKey;
let stranger: TestKey;
let clients: ClientConfig[];

beforeAll(async () => {
  [es, rs, other, stranger] = await Promise.all([
    makeKey('ES384'),
    makeKey('RS384'),
    makeKey('ES384'),
    makeKey('ES384'),
  ]);
  clients = [
    { iss: ISS_ES, jwks: { keys: [es.publicJwk] }, fhirServers: ['https://sandbox-like.example.net/fhir'] },
    { iss: ISS_RS, jwks: { keys: [rs.publicJwk] }, fhirServers: [ISS_RS], tenant: 'hospital-a' },
    { iss: ISS_OTHER, jwks: { keys: [other.publicJwk] }, fhirServers: ['https://other-ehr.example.com/fhir'] },
  ];
});

function authenticator(extra: Partial<JwtAuthenticatorOptions> = {}): JwtAuthenticator {
  return new JwtAuthenticator({ clients, replayStore: new MemoryReplayStore(), ...extra });
}

async function rejection(
  auth: JwtAuthenticator,
  authorization: string | undefined,
  audience = AUD,
): Promise<AuthError> {
  const err = await auth.authenticate({ authorization, audience }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  const authErr = err as AuthError;
  // The token must never travel with the error: it ends up in logs.
  const token = authorization?.replace(/^Bearer\s+/i, '') ?? '';
  const serialised = JSON.stringify({ m: authErr.message, d: authErr.details, r: authErr.reason });
  if (token.length > 20) {
    expect(serialised).not.toContain(token);
    const sig = token.split('.')[2];
    if (sig !== undefined && sig.length > 10) expect(serialised).not.toContain(sig);
  }
  return authErr;
}

async function expectReason(
  authorization: string | undefined,
  reason: string,
  auth = authenticator(),
): Promise<AuthError> {
  const err = await rejection(auth, authorization);
  expect(err.reason).toBe(reason);
  return err;
}

const bearer = (t: string): string => `Bearer ${t}`;

describe('accepts valid CDS client JWTs', () => {
  it('accepts an ES384 token and returns who called', async () => {
    const jti = randomUUID();
    const ctx = await authenticator().authenticate({
      authorization: bearer(await mint(es, ISS_ES, AUD, { claims: { jti } })),
      audience: AUD,
    });
    expect(ctx).toEqual<AuthContext>({
      client: { iss: ISS_ES, fhirServers: ['https://sandbox-like.example.net/fhir'] },
      iss: ISS_ES,
      jti,
    });
  });

  it('accepts an Epic-style RS384 token: 15-minute lifetime, sub, nbf 5 min before iat, tenant', async () => {
    const iat = nowSec();
    const token = await mint(rs, ISS_RS, AUD, {
      claims: { iat, nbf: iat - 300, exp: iat + 900, sub: 'epic-cds-client-id', tenant: 'hospital-a', extra: { x: 1 } },
    });
    const ctx = await authenticator().authenticate({ authorization: bearer(token), audience: AUD });
    expect(ctx.iss).toBe(ISS_RS);
    expect(ctx.tenant).toBe('hospital-a');
    expect(ctx.client?.fhirServers).toEqual([ISS_RS]);
  });

  it('accepts aud as an array containing this endpoint', async () => {
    const token = await mint(es, ISS_ES, ['https://elsewhere.example/x', AUD]);
    await expect(authenticator().authenticate({ authorization: bearer(token), audience: AUD })).resolves.toMatchObject({
      iss: ISS_ES,
    });
  });

  it('ignores a trailing slash and host case in aud', async () => {
    const auth = authenticator();
    const t1 = await mint(es, ISS_ES, `${AUD}/`);
    await expect(auth.authenticate({ authorization: bearer(t1), audience: AUD })).resolves.toMatchObject({
      iss: ISS_ES,
    });
    const t2 = await mint(es, ISS_ES, AUD.replace('cds.hospital.org', 'CDS.Hospital.org'));
    await expect(auth.authenticate({ authorization: bearer(t2), audience: `${AUD}/` })).resolves.toMatchObject({
      iss: ISS_ES,
    });
  });

  it('tolerates clock skew within the configured 60 s', async () => {
    const now = nowSec();
    const auth = authenticator();
    const expiredRecently = await mint(es, ISS_ES, AUD, { claims: { iat: now - 330, exp: now - 30 } });
    await expect(auth.authenticate({ authorization: bearer(expiredRecently), audience: AUD })).resolves.toBeDefined();
    const issuedSlightlyAhead = await mint(es, ISS_ES, AUD, { claims: { iat: now + 30, exp: now + 330 } });
    await expect(
      auth.authenticate({ authorization: bearer(issuedSlightlyAhead), audience: AUD }),
    ).resolves.toBeDefined();
  });

  it('accepts a lowercase bearer scheme', async () => {
    const token = await mint(es, ISS_ES, AUD);
    await expect(
      authenticator().authenticate({ authorization: `bearer ${token}`, audience: AUD }),
    ).resolves.toBeDefined();
  });
});

describe('rejects, with the reason logged and never the token', () => {
  it('missing token', async () => {
    await expectReason(undefined, 'missing bearer token');
    await expectReason('', 'missing bearer token');
    await expectReason('Bearer', 'missing bearer token');
    await expectReason(`Basic ${Buffer.from('u:p').toString('base64')}`, 'missing bearer token');
  });

  it('a token that is not a compact JWS', async () => {
    await expectReason(bearer('not-a-jwt'), 'malformed token');
    await expectReason(bearer('a.b.c.d.e'), 'malformed token');
  });

  it('a malformed header', async () => {
    await expectReason(bearer(`${b64url('{not json')}.${b64url({ iss: ISS_ES })}.AAAA`), 'malformed token header');
    await expectReason(bearer(`${b64url('"a string"')}.${b64url({ iss: ISS_ES })}.AAAA`), 'malformed token header');
  });

  it('alg none (unsecured JWT)', async () => {
    const iat = nowSec();
    const token = new UnsecuredJWT({ iss: ISS_ES, aud: AUD, iat, exp: iat + 300, jti: randomUUID() }).encode();
    expect((await expectReason(bearer(token), 'alg not allowed')).details.alg).toBe('none');
    // Also when it claims typ JWT and a real kid.
    const forged = `${b64url({ alg: 'none', typ: 'JWT', kid: es.kid })}.${token.split('.')[1]}.`;
    expect((await expectReason(bearer(forged), 'alg not allowed')).details.alg).toBe('none');
  });

  it('HS256 signed with the public key as the HMAC secret (key-confusion attack)', async () => {
    const pem = await exportSPKI(rs.publicKey);
    const iat = nowSec();
    const token = await new SignJWT({ iss: ISS_RS, aud: AUD, iat, exp: iat + 300, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: rs.kid })
      .sign(new TextEncoder().encode(pem));
    expect((await expectReason(bearer(token), 'alg not allowed')).details.alg).toBe('HS256');
  });

  it('an asymmetric alg outside the allow-list', async () => {
    const es256 = await makeKey('ES256');
    const auth = authenticator({
      clients: [
        { iss: ISS_ES, jwks: { keys: [es256.publicJwk] }, fhirServers: ['https://sandbox-like.example.net/fhir'] },
      ],
    });
    expect((await expectReason(bearer(await mint(es256, ISS_ES, AUD)), 'alg not allowed', auth)).details.alg).toBe(
      'ES256',
    );
    // …and accepted once configured.
    const permissive = authenticator({
      algorithms: ['ES256'],
      clients: [
        { iss: ISS_ES, jwks: { keys: [es256.publicJwk] }, fhirServers: ['https://sandbox-like.example.net/fhir'] },
      ],
    });
    await expect(
      permissive.authenticate({ authorization: bearer(await mint(es256, ISS_ES, AUD)), audience: AUD }),
    ).resolves.toBeDefined();
  });

  it('a bad signature', async () => {
    const token = await mint(es, ISS_ES, AUD);
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[10] = (sig[10] as number) ^ 0x01;
    await expectReason(bearer(`${h}.${p}.${sig.toString('base64url')}`), 'signature invalid');
  });

  it('a tampered payload under a valid signature', async () => {
    const token = await mint(es, ISS_ES, 'https://cds.hospital.org/cds-services/some-other-service');
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = b64url({ ...claims, aud: AUD });
    await expectReason(bearer(`${h}.${tampered}.${s}`), 'signature invalid');
  });

  it('a wrong aud, logging expected and received', async () => {
    const wrong = 'https://cds.hospital.org/cds-services/other-service';
    const err = await expectReason(bearer(await mint(es, ISS_ES, wrong)), 'aud mismatch');
    expect(err.details).toMatchObject({ iss: ISS_ES, kid: es.kid, expectedAud: AUD, receivedAud: wrong });
    expect(typeof err.details.jti).toBe('string');
  });

  it('the feedback aud on a service call (exact path)', async () => {
    await expectReason(bearer(await mint(es, ISS_ES, `${AUD}/feedback`)), 'aud mismatch');
    await expectReason(bearer(await mint(es, ISS_ES, 'https://cds.hospital.org/cds-services')), 'aud mismatch');
  });

  it('an absent or empty aud', async () => {
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { omit: ['aud'] })), 'aud missing or invalid');
    await expectReason(bearer(await mint(es, ISS_ES, [])), 'aud missing or invalid');
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { claims: { aud: [AUD, 42] } })), 'aud missing or invalid');
  });

  it('an expired token (beyond the skew)', async () => {
    const now = nowSec();
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now - 400, exp: now - 61 } })),
      'token expired',
    );
  });

  it('a missing exp or iat', async () => {
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { omit: ['exp'] })), 'exp missing or invalid');
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { omit: ['iat'] })), 'iat missing or invalid');
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { exp: String(nowSec() + 100) } })),
      'exp missing or invalid',
    );
  });

  it('an iat in the future (beyond the skew)', async () => {
    const now = nowSec();
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now + 120, exp: now + 300 } })),
      'iat in the future',
    );
  });

  it('an nbf in the future', async () => {
    const now = nowSec();
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { nbf: now + 120 } })),
      'token not yet valid (nbf)',
    );
  });

  it('a lifetime over the maximum (default 15 min) or negative', async () => {
    const now = nowSec();
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now, exp: now + 901 } })),
      'token lifetime exceeds maximum',
    );
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now + 30, exp: now + 10 } })),
      'exp before iat',
    );
    const shortMax = authenticator({ maxLifetimeSec: 300 });
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { iat: now, exp: now + 301 } })),
      'token lifetime exceeds maximum',
      shortMax,
    );
  });

  it('an unknown or missing iss', async () => {
    const err = await expectReason(bearer(await mint(stranger, 'https://attacker.example', AUD)), 'unknown iss');
    expect(err.details.iss).toBe('https://attacker.example');
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { omit: ['iss'] })), 'iss missing');
  });

  it("an issuer's claims signed with another client's key", async () => {
    // kid of the other client: not among this issuer's keys.
    await expectReason(bearer(await mint(other, ISS_ES, AUD)), 'no key for kid');
    // The other client's key presented under this issuer's kid: the signature check catches it.
    const impostor: TestKey = { ...other, kid: es.kid };
    await expectReason(bearer(await mint(impostor, ISS_ES, AUD)), 'signature invalid');
  });

  it('a replayed jti, but not the same jti from another issuer', async () => {
    const auth = authenticator();
    const jti = randomUUID();
    const token = await mint(es, ISS_ES, AUD, { claims: { jti } });
    await expect(auth.authenticate({ authorization: bearer(token), audience: AUD })).resolves.toMatchObject({ jti });
    await expectReason(bearer(token), 'jti replayed', auth);
    // A fresh token reusing the jti is a replay too.
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { claims: { jti } })), 'jti replayed', auth);
    await expect(
      auth.authenticate({
        authorization: bearer(await mint(other, ISS_OTHER, AUD, { claims: { jti } })),
        audience: AUD,
      }),
    ).resolves.toBeDefined();
  });

  it('does not consume the jti of a token rejected for another reason', async () => {
    const store = new MemoryReplayStore();
    const auth = authenticator({ replayStore: store });
    await expectReason(bearer(await mint(es, ISS_ES, 'https://wrong.example/x')), 'aud mismatch', auth);
    await expectReason(bearer(await mint(other, ISS_ES, AUD)), 'no key for kid', auth);
    expect(store.size).toBe(0);
  });

  it('a missing jti', async () => {
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { omit: ['jti'] })), 'jti missing or invalid');
    await expectReason(
      bearer(await mint(es, ISS_ES, AUD, { claims: { jti: 'x'.repeat(600) } })),
      'jti missing or invalid',
    );
  });

  it('a missing kid', async () => {
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { header: { kid: undefined } })), 'kid missing');
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { header: { kid: '' } })), 'kid missing');
  });

  it('a wrong or missing typ', async () => {
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { header: { typ: 'at+jwt' } })), 'typ is not JWT');
    await expectReason(bearer(await mint(es, ISS_ES, AUD, { header: { typ: undefined } })), 'typ is not JWT');
  });

  it('a tenant claim that differs from, or lacks, the configured tenant', async () => {
    await expectReason(bearer(await mint(rs, ISS_RS, AUD, { claims: { tenant: 'hospital-b' } })), 'tenant mismatch');
    await expectReason(bearer(await mint(rs, ISS_RS, AUD)), 'tenant missing');
    await expectReason(bearer(await mint(rs, ISS_RS, AUD, { claims: { tenant: 7 } })), 'tenant invalid');
  });

  it('a tenant claim is passed on when no tenant is configured', async () => {
    const ctx = await authenticator().authenticate({
      authorization: bearer(await mint(es, ISS_ES, AUD, { claims: { tenant: 'org-42' } })),
      audience: AUD,
    });
    expect(ctx.tenant).toBe('org-42');
  });

  it('a jku on a client whose keys are configured inline, without fetching it', async () => {
    const foreign = await startJwksServer([stranger.publicJwk]);
    try {
      await expectReason(
        bearer(await mint(es, ISS_ES, AUD, { header: { jku: foreign.url } })),
        'jku not registered for iss',
      );
      expect(foreign.hits).toBe(0);
    } finally {
      await foreign.close();
    }
  });

  it('fails closed when the replay store cannot remember the jti', async () => {
    const auth = authenticator({ replayStore: new MemoryReplayStore({ maxEntries: 1 }) });
    await expect(
      auth.authenticate({ authorization: bearer(await mint(es, ISS_ES, AUD)), audience: AUD }),
    ).resolves.toBeDefined();
    await expectReason(bearer(await mint(es, ISS_ES, AUD)), 'replay store unavailable', auth);
  });
});

describe('configuration', () => {
  it('refuses none, HMAC and unknown algorithms', () => {
    for (const algorithms of [['none'], ['HS256'], ['ES384', 'HS384'], ['RS1'], []]) {
      expect(() => new JwtAuthenticator({ clients, replayStore: new MemoryReplayStore(), algorithms })).toThrow(
        AuthConfigError,
      );
    }
  });

  it('is in open mode with no clients: accepts anything, verifies nothing, returns {}', async () => {
    const auth = new JwtAuthenticator({ clients: [], replayStore: new MemoryReplayStore() });
    expect(auth.openMode).toBe(true);
    await expect(auth.authenticate({ audience: AUD })).resolves.toEqual({});
    await expect(auth.authenticate({ authorization: 'Bearer garbage', audience: AUD })).resolves.toEqual({});
    expect(authenticator().openMode).toBe(false);
  });
});
