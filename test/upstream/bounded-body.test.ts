/**
 * The bounded reader on its own, against real loopback servers: every Content-Encoding decoded,
 * the limits counted on decoded bytes, and a transfer past them torn down at once.
 */
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { boundedBody, ByteBudget, contentCodings, readBoundedBody } from '../../src/upstream/bounded-body.js';

const TOO_LARGE = { code: 'ERR_UPSTREAM_TOO_LARGE' };

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function response(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(`${base}/`, resolve).on('error', reject));
}

function serve(body: Buffer, headers: Record<string, string | number> = {}): void {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

const spaces = (n: number): Buffer => Buffer.alloc(n, 0x20);

describe('decoding', () => {
  const text = Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: 0 }));
  test.each([
    ['no encoding', text, undefined],
    ['identity', text, 'identity'],
    ['gzip', gzipSync(text), 'gzip'],
    ['x-gzip', gzipSync(text), 'x-gzip'],
    ['deflate', deflateSync(text), 'deflate'],
    ['br', brotliCompressSync(text), 'br'],
    ['gzip then br', brotliCompressSync(gzipSync(text)), 'gzip, br'],
  ])('%s', async (_name, body, encoding) => {
    serve(body, encoding === undefined ? {} : { 'content-encoding': encoding });
    const read = await readBoundedBody(await response(), { maxBytes: 1024 });
    expect(read.equals(text)).toBe(true);
  });

  test('an unknown coding, or three stacked, is refused before reading', async () => {
    for (const encoding of ['compress', 'zstd', 'gzip, gzip, gzip']) {
      serve(text, { 'content-encoding': encoding });
      await expect(readBoundedBody(await response(), { maxBytes: 1024 })).rejects.toMatchObject({
        code: 'ERR_UPSTREAM_ENCODING',
      });
    }
  });

  test('a body that does not decode is an error, not a hang', async () => {
    serve(Buffer.from('not gzip at all, just text'), { 'content-encoding': 'gzip' });
    await expect(readBoundedBody(await response(), { maxBytes: 1024 })).rejects.toMatchObject({ code: 'Z_DATA_ERROR' });
  });

  test('contentCodings lists codings in the order applied', () => {
    expect(contentCodings(' GZIP , identity,br')).toEqual(['gzip', 'br']);
    expect(contentCodings(undefined)).toEqual([]);
  });
});

describe('limits on decoded bytes', () => {
  const limit = 1024 * 1024;
  test.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['deflate', (b: Buffer) => deflateSync(b)],
    ['br', (b: Buffer) => brotliCompressSync(b)],
  ])(
    'a small %s answer inflating past the limit fails with nothing past the limit handed on',
    async (encoding, compress) => {
      const body = compress(spaces(16 * limit));
      expect(body.length).toBeLessThan(limit / 4);
      serve(body, { 'content-encoding': encoding });
      const stream = boundedBody(await response(), { maxBytes: limit });
      let handed = 0;
      stream.on('data', (c: Buffer) => (handed += c.length));
      const err = await new Promise<unknown>((resolve) => stream.on('error', resolve));
      expect(err).toMatchObject({ ...TOO_LARGE, limit: 'response', limitBytes: limit });
      expect(handed).toBeLessThanOrEqual(limit);
    },
  );

  test('exactly the limit is read; one byte more is not', async () => {
    serve(gzipSync(spaces(limit)), { 'content-encoding': 'gzip' });
    expect((await readBoundedBody(await response(), { maxBytes: limit })).length).toBe(limit);
    serve(gzipSync(spaces(limit + 1)), { 'content-encoding': 'gzip' });
    await expect(readBoundedBody(await response(), { maxBytes: limit })).rejects.toMatchObject(TOO_LARGE);
  });

  test('an unencoded answer declaring a length over the limit is refused before its body is read', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 10 * limit });
      const chunk = spaces(64 * 1024);
      const write = (): void => {
        while (written < 10 * limit && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    };
    const res = await response();
    expect(() => boundedBody(res, { maxBytes: limit })).toThrow(expect.objectContaining(TOO_LARGE));
    res.destroy();
  });

  test('a chunked answer without a length is cut at the limit', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 8; i++) res.write(spaces(limit / 2));
      res.end();
    };
    await expect(readBoundedBody(await response(), { maxBytes: limit })).rejects.toMatchObject({ limit: 'response' });
  });

  test('answers sharing a budget fail once together they pass it', async () => {
    const budget = new ByteBudget(2.5 * limit);
    serve(gzipSync(spaces(limit)), { 'content-encoding': 'gzip' });
    await readBoundedBody(await response(), { maxBytes: limit, budget });
    await readBoundedBody(await response(), { maxBytes: limit, budget });
    await expect(readBoundedBody(await response(), { maxBytes: limit, budget })).rejects.toMatchObject({
      limit: 'request',
      limitBytes: 2.5 * limit,
    });
  });
});

test('destroying the body ends the transfer: the connection closes on both sides', async () => {
  let serverSideClosed!: Promise<void>;
  handler = (_req, res) => {
    serverSideClosed = new Promise((r) => res.once('close', r));
    res.writeHead(200, { 'content-encoding': 'gzip' });
    // Slowly: the answer is still in flight when the reader gives up.
    res.write(gzipSync(spaces(1024)).subarray(0, 20));
  };
  const res = await response();
  const body = boundedBody(res, { maxBytes: 1024 * 1024 });
  body.on('error', () => undefined);
  body.destroy();
  await serverSideClosed;
  expect(res.destroyed).toBe(true);
  expect(res.socket?.destroyed ?? true).toBe(true);
});
