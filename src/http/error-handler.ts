import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from './http-error.js';
import { operationOutcome } from './operation-outcome.js';
import './locals.js';

/** Unknown paths: an OperationOutcome, like every other non-2xx answer. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(HttpError.outcome(404, [{ code: 'not-found', diagnostics: `No endpoint at ${req.method} ${req.path}` }]));
};

/** Known paths called with the wrong method. */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, _res, next) => {
    next(
      HttpError.outcome(
        405,
        [{ code: 'not-supported', diagnostics: `${req.method} is not supported here; use ${allow}` }],
        {
          Allow: allow,
        },
      ),
    );
  };
}

/**
 * Last stop for every error. Known HTTP answers go out as built; anything else is a 500 with an
 * OperationOutcome naming the request id, never a stack trace or an error message.
 */
export function errorHandler(fallbackLog: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const log = res.locals.log ?? fallbackLog;
    if (res.headersSent) {
      log.error({ err }, 'error after the answer had started');
      res.end();
      return;
    }
    if (err instanceof HttpError) {
      res.status(err.status).set(err.headers).json(err.body);
      return;
    }
    log.error({ err }, 'unhandled error');
    res
      .status(500)
      .json(
        operationOutcome([
          { code: 'exception', diagnostics: `Internal error; request id ${res.locals.requestId ?? 'unknown'}` },
        ]),
      );
  };
}
