import { createLocalJWKSet, errors } from 'jose';
import type { CryptoKey, JWSHeaderParameters } from 'jose';
import { NodeHttpDispatcher } from '../upstream/node-dispatcher.js';

export interface JwksCacheOptions {
  /** How long a fetched key set is fresh (default 10 min). Stale sets stay in use if a refetch fails. */
  ttlMs?: number;
  /** At most one fetch per URL per this interval (default 10 s), whatever the tokens ask for. */
  minRefetchIntervalMs?: number;
  /** Per-fetch timeout including the body (default 1500 ms): a JWKS outage fails fast. */
  fetchTimeoutMs?: number;
  /** Largest accepted JWKS document, decoded (default 256 KiB). */
  maxBytes?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Why no key could be found; the authenticator turns it into a 401 reason. */
export class KeyLookupError extends Error {
  constructor(readonly reason: 'jwks unavailable' | 'no key for kid' | 'several keys match kid' | 'key unusable') {
    super(reason);
    this.name = 'KeyLookupError';
  }
}

type KeySet = ReturnType<typeof createLocalJWKSet>;

interface Entry {
  keySet?: KeySet;
  fetchedAt: number;
  lastAttemptAt: number;
  inflight?: Promise<boolean>;
}

/**
 * Public keys of the registered JWKS URLs. Only URLs from CDS_CLIENTS_FILE ever reach this cache:
 * the authenticator never passes a URL named by a token.
 */
export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly minRefetchIntervalMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly maxBytes: number;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;

  constructor(opts: JwksCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.minRefetchIntervalMs = opts.minRefetchIntervalMs ?? 10_000;
    this.fetchTimeoutMs = opts.fetchTimeoutMs ?? 1500;
    this.maxBytes = opts.maxBytes ?? 256 * 1024;
    this.fetchFn = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
  }

  /** The verification key for a token header (`alg`, `kid`) from the key set at `url`. */
  async getKey(url: string, header: JWSHeaderParameters): Promise<CryptoKey> {
    let entry = this.entries.get(url);
    if (entry === undefined) {
      entry = { fetchedAt: -Infinity, lastAttemptAt: -Infinity };
      this.entries.set(url, entry);
    }
    if (entry.keySet === undefined || this.now() - entry.fetchedAt >= this.ttlMs) {
      await this.refresh(url, entry);
    }
    if (entry.keySet === undefined) throw new KeyLookupError('jwks unavailable');
    try {
      return await selectKey(entry.keySet, header);
    } catch (err) {
      // An unknown kid usually means the client rotated its keys: look again, but rate-limited so
      // that tokens with made-up kids cannot turn us into a flood against the client's server.
      if (err instanceof KeyLookupError && err.reason === 'no key for kid' && (await this.refresh(url, entry))) {
        return selectKey(entry.keySet, header);
      }
      throw err;
    }
  }

  /** Fetches the set again unless one was fetched recently. True when a new set was loaded. */
  private refresh(url: string, entry: Entry): Promise<boolean> {
    if (entry.inflight !== undefined) return entry.inflight;
    const now = this.now();
    if (now - entry.lastAttemptAt < this.minRefetchIntervalMs) return Promise.resolve(false);
    entry.lastAttemptAt = now;
    entry.inflight = this.fetchKeySet(url)
      .then((keySet) => {
        entry.keySet = keySet;
        entry.fetchedAt = this.now();
        return true;
      })
      // Keep whatever keys we had: a JWKS outage must not lock out a client whose key is unchanged.
      .catch(() => false)
      .finally(() => {
        entry.inflight = undefined;
      });
    return entry.inflight;
  }

  private async fetchKeySet(url: string): Promise<KeySet> {
    const signal = AbortSignal.timeout(this.fetchTimeoutMs);
    // Read through the bounded reader (which also undoes the Content-Encoding), ended by the
    // timeout itself. `dispatcher` is undici's extension of RequestInit, not in the DOM type.
    const init = {
      signal,
      headers: { accept: 'application/jwk-set+json, application/json' },
      dispatcher: new NodeHttpDispatcher({ limits: { maxBytes: this.maxBytes }, signal }),
    } as RequestInit;
    const res = await this.fetchFn(url, init);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`JWKS fetch answered HTTP ${res.status}`);
    }
    // A document over maxBytes fails here: the dispatcher ends the transfer and fetch rejects.
    const text = await res.text();
    return createLocalJWKSet(JSON.parse(text) as Parameters<typeof createLocalJWKSet>[0]);
  }
}

/** Picks the key for `header` from a jose key set, mapping jose's errors to our reasons. */
export async function selectKey(keySet: KeySet, header: JWSHeaderParameters): Promise<CryptoKey> {
  try {
    return await keySet(header);
  } catch (err) {
    if (err instanceof errors.JWKSNoMatchingKey) throw new KeyLookupError('no key for kid');
    if (err instanceof errors.JWKSMultipleMatchingKeys) throw new KeyLookupError('several keys match kid');
    throw new KeyLookupError('key unusable');
  }
}
