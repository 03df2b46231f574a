import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Raised when the environment cannot run the service; the message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Unset and empty variables mean the same thing: use the default. */
const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, { error: `must be a whole number between ${min} and ${max}` })
      .transform(Number)
      .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }))
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
  HOST: z.preprocess(blankToUndefined, z.string().optional().default('0.0.0.0')),
  NODE_ENV: z.preprocess(blankToUndefined, z.string().optional().default('development')),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.toLowerCase()) : v),
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional().default('info'),
  ),
  PUBLIC_BASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine(isHttpUrl, { error: 'must be an absolute http(s) URL without query or fragment, e.g. https://cds.example.org' })
      .optional(),
  ),
  FHIR_TIMEOUT_MS: integer(50, 60_000, 1500),
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
  CDS_CLIENTS_FILE: optionalString,
  DATA_DIR: optionalString,
  DATABASE_URL: optionalString,
  REDIS_URL: optionalString,
  ANALYTICS_TOKEN: optionalString,
  SERVICE_WORKER: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toLowerCase()) : v),
    z.enum(['on', 'off'], { error: 'must be on or off' }).optional().default('on'),
  ),
  SERVICE_WORKERS: integer(1, 16, 1),
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

export interface Config {
  port: number;
  host: string;
  nodeEnv: string;
  production: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Externally visible base URL without a trailing slash; JWT `aud` is checked against it. */
  publicBaseUrl: string;
  fhirTimeoutMs: number;
  /** Allowed browser origins; `['*']` for any; empty for no CORS at all. */
  corsOrigins: string[];
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  policyFile?: string;
  clientsFile?: string;
  dataDir?: string;
  databaseUrl?: string;
  redisUrl?: string;
  analyticsToken?: string;
  /**
   * SERVICE_WORKER: answer service calls on a worker thread (on, the default) or on the event
   * loop (off: for a host with a single core, where the split only adds a hand-over).
   */
  serviceWorker: boolean;
  /**
   * SERVICE_WORKERS: how many worker threads answer service calls (with SERVICE_WORKER=on). One per
   * core beyond the event loop's, so 1 by default: on a 2-core host a second worker's gain did not
   * justify the memory it held (docs/decisions/0001-service-calls-on-worker-threads.md).
   */
  serviceWorkers: number;
  /** The SMART bone-health view (SMART_CLIENT_ID set); cards about the DXA trend link to it. */
  smart?: SmartConfig;
  /**
   * CONSOLE_ENABLED, when set: serve the web console at /console. Unset, the console is served
   * outside production only; in production it needs ANALYTICS_TOKEN, which guards it.
   */
  consoleEnabled?: boolean;
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
    throw new ConfigError(['PUBLIC_BASE_URL: required when NODE_ENV=production (the URL EHRs call, e.g. https://cds.hospital.org)']);
  }
  if (production && e.CONSOLE_ENABLED === 'true' && e.ANALYTICS_TOKEN === undefined) {
    // In production the console is for the committee only: the analytics token is its lock.
    throw new ConfigError(['CONSOLE_ENABLED: needs ANALYTICS_TOKEN when NODE_ENV=production (the token guards the console)']);
  }
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const corsOrigins = e.CDS_CORS_ORIGINS ?? (production ? [] : ['*']);
  if (e.SMART_CLIENT_ID !== undefined && (e.SMART_CONNECT_SRC ?? []).length === 0) {
    // The page's Content-Security-Policy would refuse every FHIR and token request.
    throw new ConfigError(['SMART_CONNECT_SRC: required with SMART_CLIENT_ID (the origins of the FHIR and authorization servers)']);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    nodeEnv: e.NODE_ENV,
    production,
    logLevel: e.LOG_LEVEL,
    publicBaseUrl,
    fhirTimeoutMs: e.FHIR_TIMEOUT_MS,
    corsOrigins,
    maxBodyBytes: e.MAX_BODY_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    serviceWorker: e.SERVICE_WORKER === 'on',
    serviceWorkers: e.SERVICE_WORKERS,
    ...(e.AIBL_POLICY_FILE !== undefined && { policyFile: e.AIBL_POLICY_FILE }),
    ...(e.CDS_CLIENTS_FILE !== undefined && { clientsFile: e.CDS_CLIENTS_FILE }),
    ...(e.DATA_DIR !== undefined && { dataDir: e.DATA_DIR }),
    ...(e.DATABASE_URL !== undefined && { databaseUrl: e.DATABASE_URL }),
    ...(e.REDIS_URL !== undefined && { redisUrl: e.REDIS_URL }),
    ...(e.ANALYTICS_TOKEN !== undefined && { analyticsToken: e.ANALYTICS_TOKEN }),
    ...(e.SMART_CLIENT_ID !== undefined && {
      smart: { clientId: e.SMART_CLIENT_ID, launchUrl: `${publicBaseUrl}/smart/launch`, connectSrc: e.SMART_CONNECT_SRC ?? [] },
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
