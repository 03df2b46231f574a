import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import './locals.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives each request an id (the caller's `X-Request-Id` when it is a plain token), a child logger,
 * one access-log line and the HTTP metrics. Logs method, path and status only: never headers,
 * query strings or bodies, which can hold tokens and patient data.
 */
export function requestContext(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming !== undefined && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ reqId: requestId });
    res.locals.requestId = requestId;
    res.locals.log = log;
    res.locals.route = 'other';
    res.locals.service = '-';
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();

    const done = (status: string) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = {
        route: res.locals.route ?? 'other',
        service: res.locals.service ?? '-',
        method: req.method,
        status,
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      if (labels.route === 'healthz' || labels.route === 'readyz' || labels.route === 'metrics') return;
      const line = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ...(status === 'aborted' && { aborted: true }),
        ms: Math.round(seconds * 1000),
        ...(res.locals.auth?.iss !== undefined && { iss: res.locals.auth.iss }),
        ...(res.locals.auth?.tenant !== undefined && { tenant: res.locals.auth.tenant }),
      };
      if (res.statusCode >= 500) log.error(line, 'request failed');
      else if (status === 'aborted') log.warn(line, 'client went away before the answer');
      else log.info(line, 'request');
    };
    res.once('finish', () => done(String(res.statusCode)));
    res.once('close', () => {
      if (!res.writableFinished) done('aborted');
    });
    next();
  };
}
