/**
 * The transport under `fetch` for every upstream call (fhir-kit-client's, the JWKS cache's). The
 * global `fetch` ignores a Node `http.Agent`; it does accept a `dispatcher` (the undici Dispatcher
 * interface: `dispatch(options, handler)`). This one sends each request through node:http with the
 * keep-alive agent of the request's origin (FhirAgents for FHIR servers), so connections are
 * reused across CDS requests and counted.
 *
 * Bodies are read through the bounded reader (bounded-body.ts): it decodes the Content-Encoding
 * and `fetch` is handed the decoded bytes without that header, so undici never inflates anything
 * itself. Aborting the fetch destroys the socket and the decompressors with it.
 *
 * `signal` ends every transfer of this dispatcher directly. fetch's own abort did not always reach
 * the transfer, which then held its socket and buffers after the answer (seen: 9 sockets and
 * 30–60 MiB left per gzip-bomb gathering); undici follows the caller's signal to its Request
 * through a WeakRef, the likely reason.
 *
 * It also carries the FHIR bearer token: the Authorization header is added here, only for the
 * origin of the request's fhirServer, so the token never passes through the client's headers
 * (which its debug logging prints) and can never reach another host.
 */
import {
  request as httpRequest,
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { boundedBody, contentCodings, type BodyLimits } from './bounded-body.js';

/** The parts of undici's `Dispatcher.DispatchOptions` that fetch sends. */
interface DispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  headers?: Record<string, string | string[] | undefined> | string[] | null;
  body?: string | Uint8Array | AsyncIterable<Uint8Array | string> | null;
}

/** undici's `Dispatcher.DispatchHandlers` as fetch implements them. */
interface DispatchHandler {
  onConnect?(abort: (err?: Error) => void): void;
  onError?(err: Error): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: string[] | null): void;
}

export interface BearerScope {
  /** Origin the token belongs to (the request's fhirServer). */
  origin: string;
  /** Full header value, e.g. `Bearer abc`. */
  authorization: string;
}

function headerObject(headers: DispatchOptions['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (!headers) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i]).toLowerCase()] = headers[i + 1];
    return out;
  }
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** A plain Error, so that fetch keeps it as the cause of its own (see bounded-body.ts). */
function connectionClosed(): Error {
  return Object.assign(new Error('connection closed before the response was complete'), { code: 'ECONNRESET' });
}

export interface DispatcherOptions {
  /** The keep-alive agent of a URL's origin; without it, node's global agent. */
  agentFor?: (url: URL) => Agent;
  bearer?: BearerScope;
  /** What each answer may decode to (and all of them together). */
  limits: BodyLimits;
  /** Aborting it ends every transfer of this dispatcher, started or to come. */
  signal?: AbortSignal;
}

/** Headers that describe the encoded body; fetch is given the decoded one. */
const ENCODED_BODY_HEADERS = new Set(['content-encoding', 'content-length']);

export class NodeHttpDispatcher {
  /** The `fail` of each transfer not yet finished. */
  private readonly running = new Set<(err: Error) => void>();

  constructor(private readonly opts: DispatcherOptions) {
    opts.signal?.addEventListener('abort', () => this.abortAll(), { once: true });
  }

  private abortAll(): void {
    const reason = this.opts.signal?.reason as unknown;
    for (const fail of [...this.running]) fail(reason instanceof Error ? reason : new Error('aborted'));
  }

  dispatch(opts: DispatchOptions, handler: DispatchHandler): boolean {
    let finished = false;
    let req: ClientRequest | undefined;
    let body: Readable | undefined;
    const fail = (err: Error): void => {
      if (finished) return;
      finished = true;
      this.running.delete(fail);
      // Whatever ended the transfer, nothing of it may go on reading or inflating.
      body?.destroy();
      req?.destroy();
      handler.onError?.(err);
    };
    if (this.opts.signal?.aborted) {
      queueMicrotask(() => fail(new Error('aborted')));
      return true;
    }
    this.running.add(fail);
    try {
      const url = new URL(opts.path, opts.origin);
      const headers = headerObject(opts.headers);
      delete headers['authorization'];
      const { bearer, agentFor } = this.opts;
      if (bearer && url.origin === bearer.origin) headers['authorization'] = bearer.authorization;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      req = send(url, { method: opts.method, headers, ...(agentFor && { agent: agentFor(url) }) });
    } catch (err) {
      queueMicrotask(() => fail(err instanceof Error ? err : new Error(String(err))));
      return true;
    }
    const active = req;
    // Before onConnect: an abort there destroys the request, which emits 'error'.
    active.on('error', fail);
    handler.onConnect?.((reason) => fail(reason instanceof Error ? reason : new Error('aborted')));
    if (finished) return true;

    active.on('response', (res: IncomingMessage) => {
      if (finished) {
        res.destroy();
        return;
      }
      try {
        body = boundedBody(res, this.opts.limits);
      } catch (err) {
        res.destroy();
        fail(err as Error);
        return;
      }
      this.relay(
        res,
        body,
        handler,
        fail,
        () => finished,
        () => {
          finished = true;
          this.running.delete(fail);
        },
      );
    });
    void this.writeBody(active, opts.body).catch((err: unknown) => {
      active.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    return true;
  }

  private relay(
    res: IncomingMessage,
    body: Readable,
    handler: DispatchHandler,
    fail: (err: Error) => void,
    isFinished: () => boolean,
    finish: () => void,
  ): void {
    handler.onResponseStarted?.();
    const decoded = contentCodings(res.headers['content-encoding']).length > 0;
    const raw: Buffer[] = [];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      const name = res.rawHeaders[i]!;
      if (decoded && ENCODED_BODY_HEADERS.has(name.toLowerCase())) continue;
      raw.push(Buffer.from(name, 'latin1'), Buffer.from(res.rawHeaders[i + 1]!, 'latin1'));
    }
    // The body goes to fetch whole, once it is complete and within the limits: an oversized answer
    // is refused before fetch has buffered any of it, and fetch's streams carry one chunk, not
    // hundreds. The limits bound what is held, so there is no backpressure for `resume` to lift.
    handler.onHeaders?.(res.statusCode ?? 0, raw, () => undefined, res.statusMessage ?? '');
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('end', () => {
      if (isFinished()) return;
      finish();
      const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks.length = 0;
      if (whole.length > 0) handler.onData?.(whole);
      handler.onComplete?.(null);
    });
    body.on('error', (err: Error & { code?: string }) => {
      fail(err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? connectionClosed() : err);
    });
    res.on('close', () => {
      if (!res.complete) fail(connectionClosed());
    });
  }

  private async writeBody(req: ClientRequest, body: DispatchOptions['body']): Promise<void> {
    if (body === undefined || body === null) {
      req.end();
      return;
    }
    if (typeof body === 'string' || body instanceof Uint8Array) {
      req.end(body);
      return;
    }
    for await (const chunk of body) req.write(chunk);
    req.end();
  }
}
