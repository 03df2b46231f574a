/**
 * The one reader of what upstream servers (FHIR servers, JWKS URLs) send back. It undoes the
 * Content-Encoding itself and counts the decoded bytes, so that a small compressed answer cannot
 * grow in memory past the limit; past it, or when the consumer destroys the body, the whole chain
 * (socket, decompressors) is torn down at once and nothing goes on inflating in the background.
 */
import type { IncomingMessage } from 'node:http';
import { pipeline, Transform, type Readable } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/*
 * The errors are plain Errors with a code, not subclasses: fetch reports a body that failed as
 * TypeError('terminated') and keeps the reason as its `cause` only when that looks like a plain
 * Error (undici's isErrorLike: its realm's `instanceof Error`, or a constructor named Error).
 */

export interface ResponseTooLargeError extends Error {
  code: 'ERR_UPSTREAM_TOO_LARGE';
  limitBytes: number;
  /** `response`: this answer alone; `request`: the answers of one incoming request together. */
  limit: 'response' | 'request';
}

export function responseTooLarge(limitBytes: number, limit: 'response' | 'request'): ResponseTooLargeError {
  const message =
    limit === 'response'
      ? `the answer is larger than ${limitBytes} bytes`
      : `the answers together are larger than ${limitBytes} bytes`;
  return Object.assign(new Error(message), { code: 'ERR_UPSTREAM_TOO_LARGE' as const, limitBytes, limit });
}

function unsupportedEncoding(encoding: string): Error {
  return Object.assign(new Error(`unsupported Content-Encoding ${encoding}`), { code: 'ERR_UPSTREAM_ENCODING' });
}

/** Decoded bytes that all upstream answers of one incoming request may add up to. */
export class ByteBudget {
  private used = 0;
  constructor(readonly limitBytes: number) {}

  /** Counts `n` more bytes; false once the budget is spent. */
  take(n: number): boolean {
    this.used += n;
    return this.used <= this.limitBytes;
  }
}

export interface BodyLimits {
  /** Largest decoded body of one answer. */
  maxBytes: number;
  /** Shared with the other answers of the same incoming request. */
  budget?: ByteBudget;
}

/**
 * Output buffers of 64 KiB rather than zlib's 16 KiB: above the malloc mmap threshold the service
 * runs with (MALLOC_MMAP_THRESHOLD_=32768), so once collected they are unmapped instead of left
 * in malloc's arenas.
 */
const CHUNK_BYTES = 64 * 1024;
// As undici's fetch does: a body cut short after a complete block is still read, not refused.
const ZLIB_OPTIONS = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH, chunkSize: CHUNK_BYTES };
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => createGunzip(ZLIB_OPTIONS),
  'x-gzip': () => createGunzip(ZLIB_OPTIONS),
  deflate: () => createInflate(ZLIB_OPTIONS),
  br: () => createBrotliDecompress({ chunkSize: CHUNK_BYTES }),
};
/** Each coding stacked on another multiplies what a few bytes can become; no server needs more. */
const MAX_CODINGS = 2;

/** The codings of a Content-Encoding header in the order they were applied (`identity` dropped). */
export function contentCodings(header: string | string[] | undefined): string[] {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/**
 * The decoded body of `res`, ending in an 'error' (ResponseTooLargeError) as soon as the limit
 * is passed (the bytes past it are never handed on). Throws at once for an encoding it cannot
 * decode, or an unencoded answer whose Content-Length is already over the limit; the caller then
 * destroys `res`. Destroying the returned stream destroys `res` and every decompressor.
 */
export function boundedBody(res: IncomingMessage, limits: BodyLimits): Readable {
  const codings = contentCodings(res.headers['content-encoding']);
  if (codings.length > MAX_CODINGS) throw unsupportedEncoding(codings.join(', '));
  const decoders = codings.reverse().map((c) => {
    const make = DECODERS[c];
    if (make === undefined) throw unsupportedEncoding(c);
    return make();
  });
  if (decoders.length === 0 && Number(res.headers['content-length']) > limits.maxBytes) {
    throw responseTooLarge(limits.maxBytes, 'response');
  }
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limits.maxBytes) done(responseTooLarge(limits.maxBytes, 'response'));
      else if (limits.budget !== undefined && !limits.budget.take(chunk.length))
        done(responseTooLarge(limits.budget.limitBytes, 'request'));
      else done(null, chunk);
    },
  });
  // Errors reach the consumer through `counted`; pipeline destroys every other stage with it.
  pipeline([res, ...decoders, counted], () => undefined);
  return counted;
}

/** Reads a whole bounded body into one Buffer (for small documents such as a JWKS). */
export function readBoundedBody(res: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let body: Readable;
    try {
      body = boundedBody(res, limits);
    } catch (err) {
      res.destroy();
      reject(err as Error);
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('end', () => resolve(Buffer.concat(chunks)));
    body.on('error', reject);
  });
}
