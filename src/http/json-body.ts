import contentType from 'content-type';
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import { BODY_NOT_JSON } from './operation-outcome.js';
import './locals.js';

const JSON_TYPES = ['application/json', 'application/*+json'];

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * Parses a JSON body up to `limit` bytes, mapping every failure to an OperationOutcome: non-JSON
 * content type → 415, malformed → 400, too large → 413. A request without a body passes through
 * with `req.body` undefined (the schema then names what is missing).
 */
export function jsonBody(limit: number): RequestHandler {
  return readWith(express.json({ limit, type: JSON_TYPES, strict: true }), limit);
}

/**
 * `jsonBody`'s checks and errors, but the body stays bytes (`req.body` a Buffer, its charset in
 * `res.locals.bodyCharset`): the service engine parses it, off the event loop. Charsets as
 * body-parser's JSON reader takes them (RFC 7159: UTF only), so both routes accept the same bodies.
 */
export function jsonBytes(limit: number): RequestHandler {
  const read = readWith(express.raw({ limit, type: JSON_TYPES }), limit);
  return (req, res, next) => {
    const charset = (req.is(JSON_TYPES) && charsetOf(req)) || 'utf-8';
    if (charset !== 'utf-8' && !(charset.startsWith('utf-') && decoderKnows(charset))) {
      next(toHttpError({ type: 'charset.unsupported' }, limit));
      return;
    }
    res.locals.bodyCharset = charset;
    read(req, res, next);
  };
}

function charsetOf(req: Request): string | undefined {
  try {
    return contentType.parse(req.headers['content-type'] ?? '').parameters['charset']?.toLowerCase();
  } catch {
    return undefined;
  }
}

function decoderKnows(charset: string): boolean {
  try {
    new TextDecoder(charset);
    return true;
  } catch {
    return false;
  }
}

function readWith(parse: RequestHandler, limit: number): RequestHandler {
  return (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && req.is(JSON_TYPES) === false) {
      next(
        HttpError.outcome(415, [
          { code: 'not-supported', diagnostics: 'Content-Type must be application/json' },
        ]),
      );
      return;
    }
    parse(req, res, (err?: unknown) => {
      if (err === undefined || err === null) {
        next();
        return;
      }
      next(toHttpError(err as BodyParserError, limit));
    });
  };
}

function toHttpError(err: BodyParserError, limit: number): HttpError {
  switch (err.type) {
    case 'entity.too.large':
      return HttpError.outcome(413, [
        { code: 'too-costly', diagnostics: `Request body exceeds the limit of ${limit} bytes` },
      ]);
    case 'entity.parse.failed':
      return HttpError.outcome(400, [BODY_NOT_JSON]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return HttpError.outcome(415, [{ code: 'not-supported', diagnostics: 'Unsupported body encoding or charset' }]);
    default:
      return HttpError.outcome(err.status !== undefined && err.status >= 400 && err.status < 500 ? err.status : 400, [
        { code: 'structure', diagnostics: 'Request body could not be read' },
      ]);
  }
}
