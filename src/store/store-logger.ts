/**
 * The few logging calls the stores make. A pino logger satisfies it; so does a test's collector.
 * Stores never log feedback contents (comments may hold free text about a patient).
 */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Only the error's kind and message: a driver error can carry the connection string. */
export function describeError(err: unknown): { err: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err: `${err.name}: ${err.message}`, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { err: String(err) };
}
