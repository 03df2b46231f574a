import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors } from 'jose';
import type { CryptoKey, JWSHeaderParameters, JWTPayload } from 'jose';
import { AuthError } from './authenticator.js';
import type { AuthContext, AuthRequest, Authenticator, TrustedClient } from './authenticator.js';
import type { ClientConfig } from './clients-config.js';
import { JwksCache, KeyLookupError, selectKey } from './jwks-cache.js';
import type { ReplayStore } from './replay-store.js';

/** CDS Hooks 2.0 recommends ES384 and RS384; the sandbox signs ES384, Epic RS384. */
export const DEFAULT_ALGORITHMS: readonly string[] = ['ES384', 'RS384'];

/** Asymmetric JWS algorithms that may be allowed by configuration. `none` and HMAC never. */
export const SUPPORTED_ALGORITHMS: readonly string[] = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
];

export const DEFAULT_CLOCK_SKEW_SEC = 60;
/** Epic issues 15-minute tokens (exp − iat = 900 s). */
export const DEFAULT_MAX_LIFETIME_SEC = 900;

// Node refuses headers over 16 KiB anyway; a bound here keeps decoding cheap for garbage input.
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_JTI_LENGTH = 512;
const MAX_LOGGED_LENGTH = 200;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Every reason an AuthError from this authenticator can carry (a closed set: safe as a metric label). */
export const AUTH_FAILURE_REASONS = [
  'missing bearer token',
  'token too long',
  'malformed token',
  'malformed token header',
  'alg not allowed',
  'typ is not JWT',
  'kid missing',
  'malformed token payload',
  'iss missing',
  'unknown iss',
  'jku not registered for iss',
  'jwks unavailable',
  'no key for kid',
  'several keys match kid',
  'key unusable',
  'signature invalid',
  'aud missing or invalid',
  'aud mismatch',
  'exp missing or invalid',
  'token expired',
  'iat missing or invalid',
  'iat in the future',
  'nbf invalid',
  'token not yet valid (nbf)',
  'exp before iat',
  'token lifetime exceeds maximum',
  'jti missing or invalid',
  'tenant invalid',
  'tenant missing',
  'tenant mismatch',
  'replay store unavailable',
  'jti replayed',
  'internal verification error',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

export interface JwtAuthenticatorOptions {
  /** Trusted clients. None → open development mode (see assertAuthConfig for production). */
  clients: readonly ClientConfig[];
  replayStore: ReplayStore;
  /** Shared cache for clients registered with a jwksUrl; a default one is made when absent. */
  jwksCache?: JwksCache;
  /** Allowed header `alg` values (default ES384, RS384); must be a subset of SUPPORTED_ALGORITHMS. */
  algorithms?: readonly string[];
  clockSkewSec?: number;
  maxLifetimeSec?: number;
  now?: () => number;
}

/**
 * What a 401 is logged with. Claims are as the caller sent them, which may be unverified, and are
 * cut to 200 characters. The AuthError `reason` itself is always one of a fixed set of phrases.
 */
export interface AuthFailureDetails {
  alg?: string;
  iss?: string;
  kid?: string;
  jti?: string;
  expectedAud?: string;
  receivedAud?: string | string[];
}

interface Registered {
  config: ClientConfig;
  trusted: TrustedClient;
  localKeys?: ReturnType<typeof createLocalJWKSet>;
}

/** Thrown at construction for a configuration that would weaken verification. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/**
 * Verifies the CDS client JWT as CDS Hooks 2.0 "Trusting CDS Clients" describes. The checks run
 * in a fixed order so that nothing about a token is trusted before the step that establishes it:
 * header, issuer, key source, signature, then claims, and the replay store last (only a token
 * that is otherwise valid may consume a jti).
 */
export class JwtAuthenticator implements Authenticator {
  readonly openMode: boolean;
  private readonly clients = new Map<string, Registered>();
  private readonly replayStore: ReplayStore;
  private readonly jwksCache: JwksCache;
  private readonly algorithms: readonly string[];
  private readonly clockSkewSec: number;
  private readonly maxLifetimeSec: number;
  private readonly now: () => number;

  constructor(opts: JwtAuthenticatorOptions) {
    this.algorithms = checkAlgorithms(opts.algorithms ?? DEFAULT_ALGORITHMS);
    this.clockSkewSec = nonNegative('clockSkewSec', opts.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC);
    this.maxLifetimeSec = nonNegative('maxLifetimeSec', opts.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC);
    this.replayStore = opts.replayStore;
    this.jwksCache = opts.jwksCache ?? new JwksCache();
    this.now = opts.now ?? Date.now;
    for (const config of opts.clients) {
      if (this.clients.has(config.iss)) throw new AuthConfigError(`duplicate client iss "${config.iss}"`);
      const trusted: TrustedClient = Object.freeze({
        iss: config.iss,
        fhirServers: Object.freeze([...config.fhirServers]) as string[],
        ...(config.tenant !== undefined ? { tenant: config.tenant } : {}),
      });
      const registered: Registered = { config, trusted };
      if (config.jwks !== undefined) registered.localKeys = createLocalJWKSet(config.jwks);
      else if (config.jwksUrl === undefined)
        throw new AuthConfigError(`client "${config.iss}" has neither jwks nor jwksUrl`);
      this.clients.set(config.iss, registered);
    }
    this.openMode = this.clients.size === 0;
  }

  async authenticate(req: AuthRequest): Promise<AuthContext> {
    if (this.openMode) return {};
    const details: AuthFailureDetails = { expectedAud: req.audience };
    try {
      return await this.verify(req, details);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      // Fail closed on anything unforeseen, without passing on an error that might echo the token.
      throw new AuthError('internal verification error', { ...details });
    }
  }

  private async verify(req: AuthRequest, details: AuthFailureDetails): Promise<AuthContext> {
    const fail = (reason: AuthFailureReason): AuthError => new AuthError(reason, { ...details });

    const token = bearerToken(req.authorization);
    if (token === undefined) throw fail('missing bearer token');
    if (token.length > MAX_TOKEN_LENGTH) throw fail('token too long');
    if (!COMPACT_JWS.test(token)) throw fail('malformed token');

    let header: JWSHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
    } catch {
      throw fail('malformed token header');
    }
    details.kid = loggable(header.kid);
    details.alg = loggable(header.alg);
    if (typeof header.alg !== 'string' || !this.algorithms.includes(header.alg)) throw fail('alg not allowed');
    if (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT') throw fail('typ is not JWT');
    if (typeof header.kid !== 'string' || header.kid === '') throw fail('kid missing');

    let claimed: JWTPayload;
    try {
      claimed = decodeJwt(token);
    } catch {
      throw fail('malformed token payload');
    }
    details.iss = loggable(claimed.iss);
    details.jti = loggable(claimed.jti);
    const client = typeof claimed.iss === 'string' ? this.clients.get(claimed.iss) : undefined;
    if (client === undefined) throw fail(claimed.iss === undefined ? 'iss missing' : 'unknown iss');

    // The key source is fixed by configuration. A token may name its jku, but we never fetch it:
    // it must be exactly the URL registered for this issuer.
    if (header.jku !== undefined) {
      if (client.config.jwksUrl === undefined || !sameUrl(header.jku, client.config.jwksUrl)) {
        throw fail('jku not registered for iss');
      }
    }

    let key: CryptoKey;
    try {
      key =
        client.localKeys !== undefined
          ? await selectKey(client.localKeys, header)
          : await this.jwksCache.getKey(client.config.jwksUrl as string, header);
    } catch (err) {
      throw fail(err instanceof KeyLookupError ? err.reason : 'key unusable');
    }

    let payload: JWTPayload;
    try {
      const verified = await compactVerify(token, key, { algorithms: [...this.algorithms] });
      payload = JSON.parse(new TextDecoder().decode(verified.payload)) as JWTPayload;
    } catch (err) {
      // Anything but a failed signature means jose refused the token's structure (crit, b64, …).
      throw fail(err instanceof errors.JWSSignatureVerificationFailed ? 'signature invalid' : 'malformed token');
    }
    if (payload === null || typeof payload !== 'object' || payload.iss !== client.config.iss) {
      throw fail('malformed token payload');
    }

    details.receivedAud = loggableAud(payload.aud);
    const auds = audiences(payload.aud);
    if (auds === undefined) throw fail('aud missing or invalid');
    const expected = normaliseAudience(req.audience);
    if (!auds.some((a) => normaliseAudience(a) === expected)) throw fail('aud mismatch');

    const nowSec = this.now() / 1000;
    const skew = this.clockSkewSec;
    if (!isNumericDate(payload.exp)) throw fail('exp missing or invalid');
    if (payload.exp + skew <= nowSec) throw fail('token expired');
    if (!isNumericDate(payload.iat)) throw fail('iat missing or invalid');
    if (payload.iat > nowSec + skew) throw fail('iat in the future');
    if (payload.nbf !== undefined) {
      if (!isNumericDate(payload.nbf)) throw fail('nbf invalid');
      if (payload.nbf > nowSec + skew) throw fail('token not yet valid (nbf)');
    }
    const lifetime = payload.exp - payload.iat;
    if (lifetime < 0) throw fail('exp before iat');
    if (lifetime > this.maxLifetimeSec) throw fail('token lifetime exceeds maximum');

    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) {
      throw fail('jti missing or invalid');
    }
    const claimedTenant = (payload as { tenant?: unknown }).tenant;
    if (claimedTenant !== undefined && typeof claimedTenant !== 'string') throw fail('tenant invalid');
    // A configured tenant is an allow-list entry: issuers shared by many organisations (Oracle
    // Health signs for all its customers as one iss) are narrowed to this one.
    if (client.config.tenant !== undefined && claimedTenant !== client.config.tenant) {
      throw fail(claimedTenant === undefined ? 'tenant missing' : 'tenant mismatch');
    }

    let first: boolean;
    try {
      // Remember past exp by the skew, since a token is still accepted that long.
      first = await this.replayStore.firstSeen(client.config.iss, payload.jti, payload.exp + skew);
    } catch {
      throw fail('replay store unavailable');
    }
    if (!first) throw fail('jti replayed');

    const ctx: AuthContext = { client: client.trusted, iss: client.config.iss, jti: payload.jti };
    const tenant = client.config.tenant ?? claimedTenant;
    if (tenant !== undefined) ctx.tenant = tenant;
    return ctx;
  }
}

function checkAlgorithms(algs: readonly string[]): readonly string[] {
  if (algs.length === 0) throw new AuthConfigError('at least one JWT algorithm must be allowed');
  for (const a of algs) {
    if (!SUPPORTED_ALGORITHMS.includes(a)) {
      throw new AuthConfigError(
        `JWT algorithm "${a}" is not allowed (only asymmetric: ${SUPPORTED_ALGORITHMS.join(', ')}; never none or HMAC)`,
      );
    }
  }
  return Object.freeze([...algs]);
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new AuthConfigError(`${name} must be a non-negative number`);
  return v;
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
  return m?.[1];
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function audiences(aud: unknown): string[] | undefined {
  if (typeof aud === 'string') return aud === '' ? undefined : [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) return aud as string[];
  return undefined;
}

/**
 * The endpoint URL compared for `aud`. Scheme and host are case-insensitive and a default port is
 * the same port, so URL parsing settles those; one or more trailing slashes are ignored (the spec
 * suggests normalising them). The path otherwise has to match exactly.
 */
export function normaliseAudience(aud: string): string {
  try {
    const u = new URL(aud);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
  } catch {
    return aud.replace(/\/+$/, '');
  }
}

function sameUrl(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

function loggable(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > MAX_LOGGED_LENGTH ? `${s.slice(0, MAX_LOGGED_LENGTH)}…` : s;
}

function loggableAud(aud: unknown): string | string[] | undefined {
  if (Array.isArray(aud)) return aud.slice(0, 5).map((a) => loggable(a) ?? '');
  return loggable(aud);
}
