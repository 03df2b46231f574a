import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

export interface TestKey {
  alg: 'ES384' | 'RS384' | 'ES256';
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(alg: TestKey['alg'], kid = `${alg}-${randomUUID()}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  return { alg, kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export interface MintOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Claims to leave out entirely (e.g. 'aud'). */
  omit?: string[];
}

/** A CDS client JWT the way Epic or the sandbox would send it, signed with a real key. */
export async function mint(key: TestKey, iss: string, aud: string | string[], opts: MintOptions = {}): Promise<string> {
  const iat = nowSec();
  const claims: Record<string, unknown> = { iss, aud, iat, exp: iat + 300, jti: randomUUID(), ...opts.claims };
  for (const c of opts.omit ?? []) delete claims[c];
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...opts.header } as { alg: string })
    .sign(key.privateKey);
}

export const b64url = (v: unknown): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export interface JwksServer {
  url: string;
  /** Requests received so far. */
  hits: number;
  /** What GET answers; `hang` accepts the connection and never answers. */
  mode: 'ok' | 'hang' | 'error' | 'huge';
  jwks: { keys: JWK[] };
  close(): Promise<void>;
}

/** A real JWKS endpoint on loopback, whose keys and behaviour a test can change. */
export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const state: JwksServer = {
    url: '',
    hits: 0,
    mode: 'ok',
    jwks: { keys },
    close: async () => {
      for (const res of hanging) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    state.hits += 1;
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (state.mode === 'error') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    if (state.mode === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: state.jwks.keys, padding: 'x'.repeat(600 * 1024) }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(state.jwks));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

/** A loopback URL on which nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/jwks.json`;
}
