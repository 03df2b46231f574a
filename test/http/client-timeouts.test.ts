/**
 * Slow and endless clients, against the server process (server.ts sets the timeouts), over raw
 * sockets on loopback: a body must arrive within REQUEST_TIMEOUT_MS and headers within
 * HEADERS_TIMEOUT_MS; a body over MAX_BODY_BYTES is answered 413 as soon as it crosses the limit
 * and its connection closed; an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS.
 * After each, the process still answers.
 */
import { connect, type Socket } from 'node:net';
import { transpiledSources } from '../store/support/transpile.js';
import { listeningPort, runServer, type RunningServer } from '../support/server-process.js';
import { example } from './support/app.js';

const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/**
 * Node closes an idle keep-alive socket this long after the time it advertises
 * (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER).
 */
const KEEP_ALIVE_BUFFER_MS = 1000;
const MAX_BODY_BYTES = 128 * 1024;
/** Node sweeps connections for the timeouts every HEADERS_TIMEOUT_MS / 4 here, plus a loaded 2-core machine. */
const SLACK_MS = 250 + 750;
const SIGN = '/cds-services/aibl-order-sign';

let server: RunningServer;
let port: number;

beforeAll(async () => {
  server = runServer(`${transpiledSources()}/src/server.js`, {
    NODE_ENV: 'development',
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  });
  port = await listeningPort(server);
}, 30_000);
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

interface Conn {
  socket: Socket;
  received: () => string;
  /** ms from `opened` until the server closed the connection. */
  closed: Promise<number>;
  opened: number;
}

function open(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const opened = performance.now();
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - opened)));
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => text, closed, opened }));
    socket.once('error', reject);
  });
}

async function stillServing(): Promise<void> {
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  const res = await fetch(`http://127.0.0.1:${port}${SIGN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(example('order-sign')),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { cards: unknown[] }).cards).toHaveLength(3);
}

test('a body trickling in one byte a second is cut off at REQUEST_TIMEOUT_MS', async () => {
  const c = await open();
  c.socket.write(
    `POST ${SIGN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
  );
  const drip = setInterval(() => c.socket.writable && c.socket.write('{'), 1000);
  try {
    const ms = await c.closed;
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(drip);
  }
  await stillServing();
});

test('headers trickling in are cut off at HEADERS_TIMEOUT_MS', async () => {
  const c = await open();
  c.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n`);
  let n = 0;
  const drip = setInterval(() => c.socket.writable && c.socket.write(`X-Slow-${n++}: y\r\n`), 200);
  try {
    const ms = await c.closed;
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(drip);
  }
  await stillServing();
});

test('an endless chunked body gets 413 once it crosses the limit, and the connection is closed', async () => {
  const c = await open();
  c.socket.write(
    `POST ${SIGN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
  );
  const size = 8 * 1024;
  const chunk = `${size.toString(16)}\r\n${' '.repeat(size)}\r\n`;
  let sent = 0;
  const pour = setInterval(() => {
    if (c.socket.writable) {
      c.socket.write(chunk);
      sent += size;
    }
  }, 5);
  try {
    const ms = await c.closed;
    // The limit is crossed after ~80 ms of chunks; the answer does not wait for the body to end.
    expect(ms).toBeLessThan(1000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(c.received()).toContain(`Request body exceeds the limit of ${MAX_BODY_BYTES} bytes`);
    expect(sent).toBeGreaterThan(MAX_BODY_BYTES);
  } finally {
    clearInterval(pour);
  }
  await stillServing();
});

test('a Content-Length over the limit gets 413 before any of the body is sent, and the connection is closed', async () => {
  const c = await open();
  c.socket.write(
    `POST ${SIGN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`,
  );
  const ms = await c.closed;
  expect(ms).toBeLessThan(1000);
  expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
  await stillServing();
});

test('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS (and the second Node adds)', async () => {
  const c = await open();
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const ms = await c.closed;
  expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
  expect(c.received()).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
  expect(ms).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS - 50);
  expect(ms).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS + SLACK_MS);
});
