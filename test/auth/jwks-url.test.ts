import { AuthError } from '../../src/auth/authenticator.js';
import type { ClientConfig } from '../../src/auth/clients-config.js';
import { JwksCache } from '../../src/auth/jwks-cache.js';
import type { JwksCacheOptions } from '../../src/auth/jwks-cache.js';
import { JwtAuthenticator } from '../../src/auth/jwt-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { deadUrl, makeKey, mint, startJwksServer } from './support.js';
import type { JwksServer, TestKey } from './support.js';

const AUD = 'https://cds.hospital.org/cds-services/aibl-bone-health';
const ISS = 'https://ehr.example.org/api/FHIR/R4';

/** A clock for the cache only, so tests can step past TTLs and rate limits without waiting. */
class Clock {
  t = Date.now();
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

function setup(jwksUrl: string, cacheOpts: JwksCacheOptions = {}): { auth: JwtAuthenticator; clock: Clock } {
  const clock = new Clock();
  const client: ClientConfig = { iss: ISS, jwksUrl, fhirServers: [ISS] };
  const auth = new JwtAuthenticator({
    clients: [client],
    replayStore: new MemoryReplayStore(),
    jwksCache: new JwksCache({ now: clock.now, ...cacheOpts }),
  });
  return { auth, clock };
}

async function call(auth: JwtAuthenticator, token: string) {
  return auth.authenticate({ authorization: `Bearer ${token}`, audience: AUD });
}

async function reason(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return (err as AuthError).reason;
}

let key1: TestKey;
let key2: TestKey;
let key3: TestKey;
let attacker: TestKey;
let server: JwksServer;

beforeAll(async () => {
  [key1, key2, key3, attacker] = await Promise.all([
    makeKey('RS384'),
    makeKey('ES384'),
    makeKey('RS384'),
    makeKey('ES384'),
  ]);
});

beforeEach(async () => {
  server = await startJwksServer([key1.publicJwk]);
});

afterEach(async () => {
  await server.close();
});

describe('keys from a registered JWKS URL', () => {
  it('fetches once, then serves from the cache', async () => {
    const { auth } = setup(server.url);
    await expect(call(auth, await mint(key1, ISS, AUD))).resolves.toMatchObject({ iss: ISS });
    await expect(call(auth, await mint(key1, ISS, AUD))).resolves.toMatchObject({ iss: ISS });
    expect(server.hits).toBe(1);
  });

  it('accepts a token whose jku is exactly the registered URL', async () => {
    const { auth } = setup(server.url);
    await expect(call(auth, await mint(key1, ISS, AUD, { header: { jku: server.url } }))).resolves.toBeDefined();
  });

  it('follows key rotation without a restart, refetching at most once per interval', async () => {
    const { auth, clock } = setup(server.url);
    await expect(call(auth, await mint(key1, ISS, AUD))).resolves.toBeDefined();
    expect(server.hits).toBe(1);

    // The EHR rotates: the new key is published and tokens carry its kid.
    server.jwks = { keys: [key1.publicJwk, key2.publicJwk] };
    clock.advance(11_000);
    await expect(call(auth, await mint(key2, ISS, AUD))).resolves.toBeDefined();
    expect(server.hits).toBe(2);

    // An unknown kid right after a fetch does not hit the server again (rate limit).
    expect(await reason(call(auth, await mint(key3, ISS, AUD)))).toBe('no key for kid');
    expect(await reason(call(auth, await mint(key3, ISS, AUD)))).toBe('no key for kid');
    expect(server.hits).toBe(2);

    // Once the interval has passed, one more look, and the key is there.
    server.jwks = { keys: [key2.publicJwk, key3.publicJwk] };
    clock.advance(10_000);
    await expect(call(auth, await mint(key3, ISS, AUD))).resolves.toBeDefined();
    expect(server.hits).toBe(3);
    // The retired key is gone after the refetch.
    expect(await reason(call(auth, await mint(key1, ISS, AUD)))).toBe('no key for kid');
  });

  it('shares one fetch among concurrent requests for an unknown kid', async () => {
    const { auth } = setup(server.url);
    server.jwks = { keys: [key1.publicJwk, key2.publicJwk] };
    const tokens = await Promise.all(Array.from({ length: 10 }, () => mint(key2, ISS, AUD)));
    const results = await Promise.all(tokens.map((t) => call(auth, t)));
    expect(results).toHaveLength(10);
    expect(server.hits).toBe(1);
  });

  it('refetches after the TTL and keeps the stale keys when the refetch fails', async () => {
    const { auth, clock } = setup(server.url, { ttlMs: 60_000 });
    await expect(call(auth, await mint(key1, ISS, AUD))).resolves.toBeDefined();
    server.mode = 'error';
    clock.advance(61_000);
    await expect(call(auth, await mint(key1, ISS, AUD))).resolves.toBeDefined();
    expect(server.hits).toBe(2);
    // Back up and rotated: after the interval the new set replaces the stale one.
    server.mode = 'ok';
    server.jwks = { keys: [key2.publicJwk] };
    clock.advance(11_000);
    await expect(call(auth, await mint(key2, ISS, AUD))).resolves.toBeDefined();
    expect(server.hits).toBe(3);
  });

  it('rejects a foreign jku without ever contacting it', async () => {
    const foreign = await startJwksServer([attacker.publicJwk]);
    try {
      const { auth } = setup(server.url);
      const forged = await mint(attacker, ISS, AUD, { header: { jku: foreign.url } });
      expect(await reason(call(auth, forged))).toBe('jku not registered for iss');
      // Same host, other path: still foreign.
      const sameHost = await mint(attacker, ISS, AUD, {
        header: { jku: server.url.replace('jwks.json', 'evil.json') },
      });
      expect(await reason(call(auth, sameHost))).toBe('jku not registered for iss');
      expect(foreign.hits).toBe(0);
      expect(server.hits).toBe(0);
    } finally {
      await foreign.close();
    }
  });

  it('rejects an oversized JWKS document', async () => {
    server.mode = 'huge';
    const { auth } = setup(server.url);
    expect(await reason(call(auth, await mint(key1, ISS, AUD)))).toBe('jwks unavailable');
  });
});

describe('a JWKS outage fails fast with a 401-type error', () => {
  it('connection refused', async () => {
    const { auth } = setup(await deadUrl());
    const token = await mint(key1, ISS, AUD);
    const started = performance.now();
    expect(await reason(call(auth, token))).toBe('jwks unavailable');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a server that never answers, bounded by the fetch timeout, and not retried at once', async () => {
    server.mode = 'hang';
    const { auth } = setup(server.url, { fetchTimeoutMs: 300 });
    const [first, second] = await Promise.all([mint(key1, ISS, AUD), mint(key1, ISS, AUD)]);
    const started = performance.now();
    expect(await reason(call(auth, first))).toBe('jwks unavailable');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1000);
    // The next request inside the rate-limit interval fails at once (well under the 300 ms fetch
    // timeout), without another fetch.
    const again = performance.now();
    expect(await reason(call(auth, second))).toBe('jwks unavailable');
    expect(performance.now() - again).toBeLessThan(250);
    expect(server.hits).toBe(1);
  });

  it('with the default timeout, still well under the request deadline', async () => {
    server.mode = 'hang';
    const { auth } = setup(server.url);
    const token = await mint(key1, ISS, AUD);
    const started = performance.now();
    expect(await reason(call(auth, token))).toBe('jwks unavailable');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
