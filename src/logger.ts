import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths censored in every log line. Handlers never log bodies; these are the second line of defence
 * against a careless `log.info({ body })`: tokens and everything that can hold patient data.
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'fhirAuthorization',
  'prefetch',
  'context',
  'body',
  'access_token',
  '*.authorization',
  '*.fhirAuthorization',
  '*.prefetch',
  '*.context',
  '*.body',
  '*.access_token',
];

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a stream to read the output. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'aibl-cds' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Error objects can carry request bodies (body-parser puts the raw text on `err.body`):
      // keep only what helps an operator, never the message text of unknown origin.
      serializers: { err: serializeError },
    },
    opts.destination,
  );
}

/**
 * An error's type and stack frames, without its message: messages of FHIR client and parser errors
 * can quote URLs with patient ids or fragments of the request body.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const frames = (err.stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '));
  const out: Record<string, unknown> = { type: err.name, stack: frames.join('\n') };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  return out;
}
