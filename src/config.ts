import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_ALGORITHMS,
  DEFAULT_CLOCK_SKEW_SEC,
  DEFAULT_MAX_LIFETIME_SEC,
  SUPPORTED_ALGORITHMS,
} from './auth/jwt-authenticator.js';
import { ConfigError } from './config-error.js';

export { ConfigError } from './config-error.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The one rule for every variable: empty (or blank) is unset, so the default applies. */
const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, { error: `must be a whole number between ${min} and ${max}` })
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(min, { error: `must be at least ${min}` })
          .max(max, { error: `must be at most ${max}` }),
      )
      .optional()
      .default(fallback),
  );

const optionalString = z.preprocess(blankToUndefined, z.string().optional());

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/** An origin is scheme://host[:port], exactly what a browser sends in `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

const envSchema = z.object({
  PORT: integer(0, 65535, 8080),
  // Read by the production guards (src/production-guards.ts), which say what it is for.
  ALLOW_INSECURE_PUBLIC_URL: optionalString,
  METRICS_PORT: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, { error: 'must be a whole number between 0 and 65535' })
      .transform(Number)
      .pipe(z.number().int().max(65535, { error: 'must be at most 65535' }))
      .optional(),
  ),
  HOST: z.preprocess(blankToUndefined, z.string().optional().default('0.0.0.0')),
  NODE_ENV: z.preprocess(blankToUndefined, z.string().optional().default('development')),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.toLowerCase()) : v),
    z
      .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
      .optional()
      .default('info'),
  ),
  PUBLIC_BASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine(isHttpUrl, {
        error: 'must be an absolute http(s) URL without query or fragment, e.g. https://cds.example.org',
      })
      .optional(),
  ),
  FHIR_TIMEOUT_MS: integer(50, 60_000, 1500),
  FHIR_MAX_RESPONSE_BYTES: integer(65_536, 1024 * 1024 * 1024, 32 * 1024 * 1024),
  FHIR_MAX_REQUEST_BYTES: integer(65_536, 1024 * 1024 * 1024, 64 * 1024 * 1024),
  CDS_CORS_ORIGINS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((o) => o.trim().replace(/\/+$/, ''))
          .filter((o) => o.length > 0),
      )
      .refine((list) => list.every((o) => o === '*' || isOrigin(o)), {
        error: 'must be "*" or a comma-separated list of origins like https://sandbox.cds-hooks.org',
      })
      .optional(),
  ),
  MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024, 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000, 10_000),
  AIBL_POLICY_FILE: optionalString,
  DATA_DIR: optionalString,
  DATABASE_URL: optionalString,
  REDIS_URL: optionalString,
  ANALYTICS_TOKEN: optionalString,
  // Replaced by SERVICE_WORKERS=0; refused rather than ignored, so that `off` is not silently lost.
  SERVICE_WORKER: z.preprocess(
    blankToUndefined,
    z
      .undefined({ error: 'no longer read: SERVICE_WORKERS=0 answers on the event loop, N ≥ 1 on N worker threads' })
      .optional(),
  ),
  SERVICE_WORKERS: integer(0, 16, 1),
  REQUEST_TIMEOUT_MS: integer(1000, 600_000, 30_000),
  HEADERS_TIMEOUT_MS: integer(1000, 600_000, 10_000),
  KEEP_ALIVE_TIMEOUT_MS: integer(0, 600_000, 5000),
  CDS_CLIENTS_FILE: optionalString,
  CDS_JWT_ALGORITHMS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .optional()
      .default(DEFAULT_ALGORITHMS.join(','))
      .transform((s) =>
        s
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a !== ''),
      )
      .refine((algs) => algs.length > 0 && algs.every((a) => SUPPORTED_ALGORITHMS.includes(a)), {
        error: `must be a comma-separated list of ${SUPPORTED_ALGORITHMS.join(', ')} (never none or HMAC)`,
      }),
  ),
  CDS_JWT_CLOCK_SKEW_SECONDS: integer(0, 3600, DEFAULT_CLOCK_SKEW_SEC),
  CDS_JWT_MAX_LIFETIME_SECONDS: integer(0, 86_400, DEFAULT_MAX_LIFETIME_SEC),
  CDS_JWKS_CACHE_TTL_SECONDS: integer(0, 604_800, 600),
  CDS_JWKS_FETCH_TIMEOUT_MS: integer(1, 60_000, 1500),
  SMART_CLIENT_ID: optionalString,
  SMART_CONNECT_SRC: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((o) => o.trim().replace(/\/+$/, ''))
          .filter((o) => o.length > 0),
      )
      .refine((list) => list.every(isOrigin), {
        error: 'must be a comma-separated list of origins like https://fhir.hospital.org,https://auth.hospital.org',
      })
      .optional(),
  ),
  CONSOLE_ENABLED: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toLowerCase()) : v),
    z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  ),
});

/** How client JWTs are checked; the trusted clients themselves are in `clientsFile` (loadClientsFile). */
export interface AuthConfig {
  /** CDS_CLIENTS_FILE; unset → no trusted client (development mode, refused in production). */
  clientsFile?: string;
  algorithms: string[];
  clockSkewSec: number;
  maxLifetimeSec: number;
  jwksTtlMs: number;
  fetchTimeoutMs: number;
}

export interface Config {
  port: number;
  /** METRICS_PORT: /metrics on its own listener (not routed by the ingress); unset → on PORT. */
  metricsPort?: number;
  /** ALLOW_INSECURE_PUBLIC_URL, as set: lets production run behind a same-host TLS proxy. */
  allowInsecurePublicUrl?: string;
  host: string;
  nodeEnv: string;
  production: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Externally visible base URL without a trailing slash; JWT `aud` is checked against it. */
  publicBaseUrl: string;
  fhirTimeoutMs: number;
  /** Largest decoded answer of one FHIR call (FHIR_MAX_RESPONSE_BYTES); a larger one is a failed query. */
  fhirMaxResponseBytes: number;
  /** What the FHIR answers of one CDS request may decode to together (FHIR_MAX_REQUEST_BYTES). */
  fhirMaxRequestBytes: number;
  /** Allowed browser origins; `['*']` for any; empty for no CORS at all. */
  corsOrigins: string[];
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  /**
   * REQUEST_TIMEOUT_MS: the whole request (headers and body) must have arrived by then, or the
   * connection gets 408 and is closed: a client trickling a body cannot hold a socket for long.
   */
  requestTimeoutMs: number;
  /** HEADERS_TIMEOUT_MS: the same for the request line and headers alone (≤ REQUEST_TIMEOUT_MS). */
  headersTimeoutMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection is kept for the client's next call. */
  keepAliveTimeoutMs: number;
  policyFile?: string;
  dataDir?: string;
  databaseUrl?: string;
  redisUrl?: string;
  analyticsToken?: string;
  /**
   * SERVICE_WORKERS: how many worker threads answer service calls; 0 answers them on the event loop
   * (a host with a single core, where the split only adds a hand-over). One per core beyond the
   * event loop's, so 1 by default: on a 2-core host a second worker's gain did not justify the
   * memory it held (docs/decisions/0001-service-calls-on-worker-threads.md).
   */
  serviceWorkers: number;
  /** The SMART bone-health view (SMART_CLIENT_ID set); cards about the DXA trend link to it. */
  smart?: SmartConfig;
  /**
   * CONSOLE_ENABLED, when set: serve the web console at /console. Unset, the console is served
   * outside production only; in production it needs ANALYTICS_TOKEN, which guards it.
   */
  consoleEnabled?: boolean;
  auth: AuthConfig;
}

export interface SmartConfig {
  /** The client id the EHR's authorization server registered for the app. */
  clientId: string;
  /** `<PUBLIC_BASE_URL>/smart/launch`: the card links' url and the EHR's launch URI. */
  launchUrl: string;
  /** SMART_CONNECT_SRC: the FHIR and authorization server origins the app's page may fetch from. */
  connectSrc: string[];
}

/** Reads and validates the environment. Throws ConfigError naming every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    // Never echo values: some variables (DATABASE_URL, ANALYTICS_TOKEN) hold secrets.
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? '(environment)')}: ${i.message}`));
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && e.PUBLIC_BASE_URL === undefined) {
    // JWT `aud` is the URL the EHR calls; a guessed localhost default would refuse every token.
    throw new ConfigError([
      'PUBLIC_BASE_URL: required when NODE_ENV=production (the URL EHRs call, e.g. https://cds.hospital.org)',
    ]);
  }
  if (production && e.CONSOLE_ENABLED === 'true' && e.ANALYTICS_TOKEN === undefined) {
    // In production the console is for the committee only: the analytics token is its lock.
    throw new ConfigError([
      'CONSOLE_ENABLED: needs ANALYTICS_TOKEN when NODE_ENV=production (the token guards the console)',
    ]);
  }
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
    // Node refuses a server whose headers may take longer than the whole request.
    throw new ConfigError(['HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS']);
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new ConfigError(['METRICS_PORT: must differ from PORT (leave it unset to serve /metrics on PORT)']);
  }
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const corsOrigins = e.CDS_CORS_ORIGINS ?? (production ? [] : ['*']);
  if (e.SMART_CLIENT_ID !== undefined && (e.SMART_CONNECT_SRC ?? []).length === 0) {
    // The page's Content-Security-Policy would refuse every FHIR and token request.
    throw new ConfigError([
      'SMART_CONNECT_SRC: required with SMART_CLIENT_ID (the origins of the FHIR and authorization servers)',
    ]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    nodeEnv: e.NODE_ENV,
    production,
    logLevel: e.LOG_LEVEL,
    publicBaseUrl,
    fhirTimeoutMs: e.FHIR_TIMEOUT_MS,
    fhirMaxResponseBytes: e.FHIR_MAX_RESPONSE_BYTES,
    fhirMaxRequestBytes: e.FHIR_MAX_REQUEST_BYTES,
    corsOrigins,
    maxBodyBytes: e.MAX_BODY_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    serviceWorkers: e.SERVICE_WORKERS,
    auth: {
      ...(e.CDS_CLIENTS_FILE !== undefined && { clientsFile: e.CDS_CLIENTS_FILE }),
      algorithms: e.CDS_JWT_ALGORITHMS,
      clockSkewSec: e.CDS_JWT_CLOCK_SKEW_SECONDS,
      maxLifetimeSec: e.CDS_JWT_MAX_LIFETIME_SECONDS,
      jwksTtlMs: e.CDS_JWKS_CACHE_TTL_SECONDS * 1000,
      fetchTimeoutMs: e.CDS_JWKS_FETCH_TIMEOUT_MS,
    },
    ...(e.METRICS_PORT !== undefined && { metricsPort: e.METRICS_PORT }),
    ...(e.ALLOW_INSECURE_PUBLIC_URL !== undefined && { allowInsecurePublicUrl: e.ALLOW_INSECURE_PUBLIC_URL }),
    ...(e.AIBL_POLICY_FILE !== undefined && { policyFile: e.AIBL_POLICY_FILE }),
    ...(e.DATA_DIR !== undefined && { dataDir: e.DATA_DIR }),
    ...(e.DATABASE_URL !== undefined && { databaseUrl: e.DATABASE_URL }),
    ...(e.REDIS_URL !== undefined && { redisUrl: e.REDIS_URL }),
    ...(e.ANALYTICS_TOKEN !== undefined && { analyticsToken: e.ANALYTICS_TOKEN }),
    ...(e.SMART_CLIENT_ID !== undefined && {
      smart: {
        clientId: e.SMART_CLIENT_ID,
        launchUrl: `${publicBaseUrl}/smart/launch`,
        connectSrc: e.SMART_CONNECT_SRC ?? [],
      },
    }),
    ...(e.CONSOLE_ENABLED !== undefined && { consoleEnabled: e.CONSOLE_ENABLED === 'true' }),
  };
}

/**
 * Reads the site policy (AIBL_POLICY_FILE) and validates it with the core's parser. Any problem is a
 * ConfigError naming the variable and, for an invalid policy, each offending field.
 */
export function loadPolicyFile<P>(path: string, parse: (json: unknown) => P): P {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new ConfigError([`AIBL_POLICY_FILE: cannot read ${path} (${code})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError([`AIBL_POLICY_FILE: ${path} is not valid JSON`]);
  }
  try {
    return parse(json);
  } catch (err) {
    const issues = (err as { issues?: { path: string; message: string }[] }).issues;
    if (Array.isArray(issues) && issues.length > 0) {
      throw new ConfigError(issues.map((i) => `AIBL_POLICY_FILE: ${i.path || '(root)'}: ${i.message}`));
    }
    throw new ConfigError([`AIBL_POLICY_FILE: ${err instanceof Error ? err.message : String(err)}`]);
  }
}
