import { z } from 'zod';
import { loadClientsFile } from './clients-config.js';
import type { ClientConfig } from './clients-config.js';
import {
  AuthConfigError,
  DEFAULT_ALGORITHMS,
  DEFAULT_CLOCK_SKEW_SEC,
  DEFAULT_MAX_LIFETIME_SEC,
  SUPPORTED_ALGORITHMS,
} from './jwt-authenticator.js';

/** The CDS Hooks sandbox signs with a private key published in its public repository. */
export const SANDBOX_ISSUER = 'https://sandbox.cds-hooks.org';

/**
 * Startup gate. In production: at least one trusted client, never the sandbox issuer (anyone can
 * mint its tokens), and https for every JWKS URL and FHIR base (CDS Hooks 2.0 requires TLS).
 * Throws AuthConfigError with a message meant for the operator.
 */
export function assertAuthConfig(nodeEnv: string | undefined, clients: readonly ClientConfig[]): void {
  if (nodeEnv !== 'production') return;
  if (clients.length === 0) {
    throw new AuthConfigError(
      'Refusing to start: NODE_ENV=production but no trusted CDS client is configured. ' +
        'Set CDS_CLIENTS_FILE to a clients JSON file (see docs/connecting-an-ehr.md); ' +
        'without it anyone could call the service unauthenticated.',
    );
  }
  for (const [i, c] of clients.entries()) {
    if (c.iss.replace(/\/+$/, '') === SANDBOX_ISSUER || hostOf(c.jwksUrl) === 'sandbox.cds-hooks.org') {
      throw new AuthConfigError(
        `Refusing to start: clients[${i}] trusts the CDS Hooks sandbox, whose signing key is public; never in production.`,
      );
    }
    if (c.jwksUrl !== undefined && !c.jwksUrl.startsWith('https://')) {
      throw new AuthConfigError(`Refusing to start: clients[${i}].jwksUrl must be https in production.`);
    }
    for (const [j, base] of c.fhirServers.entries()) {
      if (!base.startsWith('https://')) {
        throw new AuthConfigError(`Refusing to start: clients[${i}].fhirServers[${j}] must be https in production.`);
      }
    }
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

export const OPEN_MODE_WARNING =
  'AUTHENTICATION DISABLED: no trusted CDS client is configured (CDS_CLIENTS_FILE unset). ' +
  'Any caller may invoke the services, unsigned, and point them at any FHIR server. ' +
  'For local development only; the service refuses to start like this when NODE_ENV=production.';

/** Logs the open-mode warning at startup when the authenticator accepts unverified calls. */
export function warnIfOpenMode(
  authenticator: { readonly openMode: boolean },
  log: { warn(obj: object, msg: string): void },
): boolean {
  if (!authenticator.openMode) return false;
  log.warn({ security: 'open-mode' }, OPEN_MODE_WARNING);
  return true;
}

/** Everything the auth part reads from the environment. */
export interface AuthSettings {
  clients: ClientConfig[];
  algorithms: string[];
  clockSkewSec: number;
  maxLifetimeSec: number;
  jwksTtlMs: number;
  fetchTimeoutMs: number;
}

const seconds = (dflt: number) => z.coerce.number().int().nonnegative().default(dflt);

const envSchema = z.object({
  CDS_JWT_ALGORITHMS: z
    .string()
    .default(DEFAULT_ALGORITHMS.join(','))
    .transform((s) => s.split(',').map((a) => a.trim()).filter((a) => a !== ''))
    .refine((algs) => algs.length > 0 && algs.every((a) => SUPPORTED_ALGORITHMS.includes(a)), {
      message: `comma-separated list of ${SUPPORTED_ALGORITHMS.join(', ')} (never none or HMAC)`,
    }),
  CDS_JWT_CLOCK_SKEW_SECONDS: seconds(DEFAULT_CLOCK_SKEW_SEC),
  CDS_JWT_MAX_LIFETIME_SECONDS: seconds(DEFAULT_MAX_LIFETIME_SEC),
  CDS_JWKS_CACHE_TTL_SECONDS: seconds(600),
  CDS_JWKS_FETCH_TIMEOUT_MS: z.coerce.number().int().positive().default(1500),
});

/**
 * Reads and checks the auth settings: CDS_CLIENTS_FILE (validated), CDS_JWT_ALGORITHMS,
 * CDS_JWT_CLOCK_SKEW_SECONDS, CDS_JWT_MAX_LIFETIME_SECONDS, CDS_JWKS_CACHE_TTL_SECONDS,
 * CDS_JWKS_FETCH_TIMEOUT_MS, and applies assertAuthConfig for NODE_ENV. Throws ClientsConfigError
 * or AuthConfigError naming what is wrong; the caller prints it and exits.
 */
export function readAuthSettings(env: Record<string, string | undefined>): AuthSettings {
  const clients = loadClientsFile(env.CDS_CLIENTS_FILE);
  const emptyAsUnset = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(emptyAsUnset);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new AuthConfigError(`Invalid auth settings: ${lines.join('; ')}`);
  }
  assertAuthConfig(env.NODE_ENV, clients);
  const e = parsed.data;
  return {
    clients,
    algorithms: e.CDS_JWT_ALGORITHMS,
    clockSkewSec: e.CDS_JWT_CLOCK_SKEW_SECONDS,
    maxLifetimeSec: e.CDS_JWT_MAX_LIFETIME_SECONDS,
    jwksTtlMs: e.CDS_JWKS_CACHE_TTL_SECONDS * 1000,
    fetchTimeoutMs: e.CDS_JWKS_FETCH_TIMEOUT_MS,
  };
}
