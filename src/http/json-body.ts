import contentType from 'content-type';
import type { Request, RequestHandler } from 'express';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpError } from './http-error.js';
import './locals.js';

const JSON_TYPES = ['application/json', 'application/*+json'];

const UNSUPPORTED_ENCODING = () =>
  HttpError.outcome(415, [{ code: 'not-supported', diagnostics: 'Unsupported body encoding or charset' }]);

/**
 * Reads a JSON request body up to `limit` bytes (after decompression) and leaves it as bytes:
 * `req.body` a Buffer, its charset in `res.locals.bodyCharset`; ./parse-json.ts turns them into a
 * value where the route wants it (the service engine: off the event loop). Non-JSON content type
 * → 415; a charset other than a UTF one the decoder knows (RFC 8259), or an unknown
 * Content-Encoding → 415; too large → 413. A request without a body passes with `req.body`
 * undefined (the schema then names what is missing).
 *
 * A body over the limit is answered 413 the moment it is known to be (Content-Length, or the
 * byte that crosses it) and the connection is closed after the answer: the rest is never read, so
 * a client cannot hold the service busy with an endless chunked body.
 */
export function jsonBody(limit: number): RequestHandler {
  return (req, res, next) => {
    const declaresBody =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (declaresBody && req.is(JSON_TYPES) === false) {
      next(HttpError.outcome(415, [{ code: 'not-supported', diagnostics: 'Content-Type must be application/json' }]));
      return;
    }
    // As type-is counts one: a Content-Length (even 0) or a Transfer-Encoding.
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
    if (!hasBody || !req.is(JSON_TYPES)) {
      next();
      return;
    }
    const charset = charsetOf(req) || 'utf-8';
    if (charset !== 'utf-8' && !(charset.startsWith('utf-') && decoderKnows(charset))) {
      next(UNSUPPORTED_ENCODING());
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity' && Number(req.headers['content-length']) > limit) {
      next(tooLarge(limit));
      return;
    }
    let source: Request | Transform;
    try {
      source = decoded(req, encoding);
    } catch (err) {
      next(err);
      return;
    }
    res.locals.bodyCharset = charset;
    readBytes(req, source, limit, (err, body) => {
      if (err !== undefined) next(err);
      else {
        req.body = body;
        next();
      }
    });
  };
}

function readBytes(
  req: Request,
  source: Request | Transform,
  limit: number,
  done: (err?: HttpError, body?: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (err?: HttpError, body?: Buffer) => {
    source.off('data', onData).off('end', onEnd).off('error', onError);
    if (source !== req) {
      const decompressor = source as Transform;
      req.unpipe(decompressor);
      decompressor.on('error', () => undefined);
      decompressor.destroy();
    }
    done(err, body);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received > limit) {
      req.pause();
      finish(tooLarge(limit));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => finish(undefined, Buffer.concat(chunks, received));
  const onError = () =>
    finish(HttpError.outcome(400, [{ code: 'structure', diagnostics: 'Request body could not be read' }]));
  source.on('data', onData).once('end', onEnd).once('error', onError);
}

/** The body's bytes after its Content-Encoding, as body-parser undoes them. */
function decoded(req: Request, encoding: string): Request | Transform {
  switch (encoding) {
    case 'identity':
      return req;
    case 'deflate':
      return req.pipe(createInflate());
    case 'gzip':
      return req.pipe(createGunzip());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw UNSUPPORTED_ENCODING();
  }
}

/** 413, and the connection closes once it is sent: what the client still sends is not read. */
function tooLarge(limit: number): HttpError {
  return HttpError.outcome(
    413,
    [{ code: 'too-costly', diagnostics: `Request body exceeds the limit of ${limit} bytes` }],
    {
      Connection: 'close',
    },
  );
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
