import type { Logger } from 'pino';
import type { AuthContext } from '../auth/authenticator.js';

/** Per-request values the middleware chain hands down (typed `res.locals`). */
export interface RequestLocals {
  requestId: string;
  /** Child logger carrying the request id. */
  log: Logger;
  /** Metric label for the endpoint family: discovery, service, feedback, healthz, ... */
  route: string;
  /** Known CDS service id, or `unknown`/`-` (bounded label values only). */
  service: string;
  auth?: AuthContext;
  /** The body's charset (lower-case), set by `jsonBody`. */
  bodyCharset?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals extends Partial<RequestLocals> {}
  }
}

export {};
