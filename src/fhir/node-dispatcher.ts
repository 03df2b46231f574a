/**
 * The transport under fhir-kit-client. The client calls the global `fetch`, which ignores a Node
 * `http.Agent`; it does accept a `dispatcher` (the undici Dispatcher interface: `dispatch(options,
 * handler)`). This one sends each request through node:http with the shared keep-alive agent of
 * the request's origin (FhirAgents), so connections are reused across CDS requests and counted.
 *
 * It also carries the FHIR bearer token: the Authorization header is added here, only for the
 * origin of the request's fhirServer, so the token never passes through the client's headers
 * (which its debug logging prints) and can never reach another host.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FhirAgents } from './agents.js';

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

class ConnectionClosedError extends Error {
  readonly code = 'ECONNRESET';
  constructor() {
    super('connection closed before the response was complete');
    this.name = 'ConnectionClosedError';
  }
}

export class NodeHttpDispatcher {
  constructor(
    private readonly agents: FhirAgents,
    private readonly bearer?: BearerScope,
  ) {}

  dispatch(opts: DispatchOptions, handler: DispatchHandler): boolean {
    let finished = false;
    let req: ClientRequest | undefined;
    const fail = (err: Error): void => {
      if (finished) return;
      finished = true;
      handler.onError?.(err);
    };
    try {
      const url = new URL(opts.path, opts.origin);
      const headers = headerObject(opts.headers);
      delete headers['authorization'];
      if (this.bearer && url.origin === this.bearer.origin) headers['authorization'] = this.bearer.authorization;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      req = send(url, { method: opts.method, headers, agent: this.agents.agentFor(url) });
    } catch (err) {
      queueMicrotask(() => fail(err instanceof Error ? err : new Error(String(err))));
      return true;
    }
    const active = req;
    // Before onConnect: an abort there destroys the request, which emits 'error'.
    active.on('error', fail);
    handler.onConnect?.((reason) => {
      const err = reason instanceof Error ? reason : new Error('aborted');
      active.destroy(err);
      fail(err);
    });
    if (finished) return true;

    active.on('response', (res: IncomingMessage) => this.relay(res, handler, fail, () => finished, () => (finished = true)));
    void this.writeBody(active, opts.body).catch((err: unknown) => {
      active.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    return true;
  }

  private relay(
    res: IncomingMessage,
    handler: DispatchHandler,
    fail: (err: Error) => void,
    isFinished: () => boolean,
    finish: () => void,
  ): void {
    handler.onResponseStarted?.();
    const raw = res.rawHeaders.map((h) => Buffer.from(h, 'latin1'));
    const more = handler.onHeaders?.(res.statusCode ?? 0, raw, () => res.resume(), res.statusMessage ?? '');
    if (more === false) res.pause();
    res.on('data', (chunk: Buffer) => {
      if (isFinished()) return;
      if (handler.onData?.(chunk) === false) res.pause();
    });
    res.on('end', () => {
      if (isFinished()) return;
      finish();
      handler.onComplete?.(null);
    });
    res.on('error', fail);
    res.on('close', () => {
      if (!res.complete) fail(new ConnectionClosedError());
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
