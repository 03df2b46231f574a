import type { Authenticator } from './authenticator.js';
import type { ClientConfig } from './clients-config.js';
import { JwksCache } from './jwks-cache.js';
import { JwtAuthenticator } from './jwt-authenticator.js';
import type { ReplayStore } from './replay-store.js';

export interface CreateAuthenticatorOptions {
  clients: readonly ClientConfig[];
  replayStore: ReplayStore;
  algorithms?: readonly string[];
  clockSkewSec?: number;
  maxLifetimeSec?: number;
  jwksTtlMs?: number;
  fetchTimeoutMs?: number;
  /** Least time between two fetches of one JWKS URL (default 10 s). */
  jwksMinRefetchIntervalMs?: number;
  fetch?: typeof fetch;
}

/** The authenticator the server uses. No clients → `openMode` (call warnIfOpenMode at startup). */
export function createAuthenticator(opts: CreateAuthenticatorOptions): Authenticator {
  const jwksCache = new JwksCache({
    ttlMs: opts.jwksTtlMs,
    fetchTimeoutMs: opts.fetchTimeoutMs,
    minRefetchIntervalMs: opts.jwksMinRefetchIntervalMs,
    fetch: opts.fetch,
  });
  return new JwtAuthenticator({
    clients: opts.clients,
    replayStore: opts.replayStore,
    jwksCache,
    algorithms: opts.algorithms,
    clockSkewSec: opts.clockSkewSec,
    maxLifetimeSec: opts.maxLifetimeSec,
  });
}
