/**
 * Answers a hostile FHIR server sends: compression bombs and an oversized searchset, built once
 * per test process and kept in memory (a 2 GiB bomb is ~2 MB on the wire).
 */
import type { ServerResponse } from 'node:http';
import { constants, createDeflate, createGzip, type Gzip } from 'node:zlib';

const GiB = 1024 * 1024 * 1024;
const bombs = new Map<string, Promise<Buffer>>();

/** JSON's opening, then spaces: the most compressible answer that still starts like a searchset. */
const HEAD = Buffer.from('{"resourceType":"Bundle","type":"searchset","entry":[');

async function compress(z: Gzip, inflatedBytes: number): Promise<Buffer> {
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<void>((resolve, reject) => z.on('end', resolve).on('error', reject));
  z.write(HEAD);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let left = inflatedBytes - HEAD.length; left > 0; left -= chunk.length) {
    if (!z.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await ended;
  return Buffer.concat(out);
}

/**
 * A body that inflates to `inflatedBytes` (default 2 GiB) under `encoding`. Run-length strategy:
 * the same ratio as level 9 (~1000:1) in a third of the time.
 */
export function bomb(encoding: 'gzip' | 'deflate', inflatedBytes = 2 * GiB): Promise<Buffer> {
  const key = `${encoding}:${inflatedBytes}`;
  let made = bombs.get(key);
  if (made === undefined) {
    const options = { level: 9, strategy: constants.Z_RLE };
    made = compress(encoding === 'gzip' ? createGzip(options) : createDeflate(options), inflatedBytes);
    bombs.set(key, made);
  }
  return made;
}

/** Sends `body` as a 200 FHIR answer with this Content-Encoding. */
export function sendEncoded(res: ServerResponse, encoding: string, body: Buffer): void {
  res.writeHead(200, {
    'content-type': 'application/fhir+json',
    'content-encoding': encoding,
    'content-length': body.length,
  });
  res.end(body);
}

/**
 * A valid searchset of Observations about `patientId`, about `bytes` long: each entry is a real
 * Observation with a long note, as a server holding years of notes might send.
 */
export function hugeSearchset(patientId: string, bytes: number): Buffer {
  const note = 'x'.repeat(4000);
  const entry = (i: number): string =>
    JSON.stringify({
      resource: {
        resourceType: 'Observation',
        id: `obs-${i}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patientId}` },
        note: [{ text: note }],
      },
    });
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const e = entry(i);
    parts.push(e);
    size += e.length + 1;
  }
  return Buffer.from(
    `{"resourceType":"Bundle","type":"searchset","total":${parts.length},"entry":[${parts.join(',')}]}`,
  );
}

/** Streams `body` without a Content-Length (chunked), as a server generating it on the fly would. */
export function sendChunked(res: ServerResponse, body: Buffer, chunkBytes = 256 * 1024): void {
  res.writeHead(200, { 'content-type': 'application/fhir+json' });
  let at = 0;
  const write = (): void => {
    while (at < body.length) {
      if (res.destroyed) return;
      const piece = body.subarray(at, at + chunkBytes);
      at += piece.length;
      if (!res.write(piece)) {
        res.once('drain', write);
        return;
      }
    }
    res.end();
  };
  res.on('error', () => undefined);
  write();
}
