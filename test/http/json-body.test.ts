/**
 * The one JSON body reader (src/http/json-body.ts) on both routes that take a body: compressed
 * bodies as body-parser undid them, the decompressed size held to MAX_BODY_BYTES, and the same
 * strict parse (src/http/parse-json.ts) for the service call and feedback.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { example, testApp, type TestApp } from './support/app.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Raw bytes over real HTTP (supertest would serialise a Buffer sent as JSON). */
async function post(
  t: TestApp,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: Headers; json: any }> {
  const server = t.app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>((r) => server.once('listening', () => r()));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(body),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

const SIGN = '/cds-services/aibl-order-sign';
const FEEDBACK = '/cds-services/aibl-order-sign/feedback';

test.each([
  ['gzip', gzipSync],
  ['deflate', deflateSync],
  ['br', brotliCompressSync],
])('a %s-encoded service call is answered as the plain one', async (encoding, compress) => {
  const res = await post(
    testApp(),
    SIGN,
    { 'content-type': 'application/json', 'content-encoding': encoding },
    compress(Buffer.from(JSON.stringify(example('order-sign')))),
  );
  expect(res.status).toBe(200);
  expect(res.json.cards.map((c: any) => c.source.topic.code)).toEqual([
    'baseline-dxa',
    'bone-agent',
    'calcium-vitamin-d',
  ]);
});

test('an unknown Content-Encoding is 415 on both routes', async () => {
  const t = testApp();
  for (const path of [SIGN, FEEDBACK]) {
    const res = await request(t.app)
      .post(path)
      .set('content-type', 'application/json')
      .set('content-encoding', 'zip9')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.issue[0].diagnostics).toBe('Unsupported body encoding or charset');
  }
});

test('a small gzip body that inflates past the limit is 413, and the connection is closed', async () => {
  const t = testApp({ config: { maxBodyBytes: 4096 } });
  const bomb = gzipSync(Buffer.from(`{"a":"${' '.repeat(100_000)}"}`));
  expect(bomb.byteLength).toBeLessThan(4096);
  const res = await post(t, SIGN, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, bomb);
  expect(res.status).toBe(413);
  expect(res.headers.get('connection')).toBe('close');
  expect(res.json.issue[0].code).toBe('too-costly');
});

test.each([
  ['malformed JSON', '{"feedback": ['],
  ['a JSON string', '"accepted"'],
  ['a number', '42'],
])('feedback: %s is 400 with the same outcome as a service call', async (_label, raw) => {
  const t = testApp();
  const [feedback, call] = await Promise.all([
    request(t.app).post(FEEDBACK).set('content-type', 'application/json').send(raw),
    request(t.app).post(SIGN).set('content-type', 'application/json').send(raw),
  ]);
  expect(feedback.status).toBe(400);
  expect(feedback.body).toEqual(call.body);
  expect(feedback.body.issue[0].diagnostics).toBe('Request body is not valid JSON (an object is expected)');
});

test('feedback: a UTF-16 body with a byte-order mark is read', async () => {
  const body = {
    feedback: [
      {
        card: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
        outcome: 'accepted',
        acceptedSuggestions: [{ id: 'suggestion-1' }],
        outcomeTimestamp: '2026-01-01T00:00:00Z',
      },
    ],
  };
  const res = await post(
    testApp(),
    FEEDBACK,
    { 'content-type': 'application/json; charset=utf-16le' },
    Buffer.from(`\ufeff${JSON.stringify(body)}`, 'utf16le'),
  );
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ stored: 1, duplicates: 0 });
});
