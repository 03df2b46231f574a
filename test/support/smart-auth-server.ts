/**
 * A small SMART App Launch 2.0 authorization server on a loopback port, for the browser tests,
 * with the FHIR server the app talks to behind it:
 *
 * - `GET /fhir/.well-known/smart-configuration` (and at the root): endpoints and capabilities;
 * - `GET /authorize`: checks the request (client id, redirect URI, state, `aud`, PKCE S256) and
 *   approves at once, redirecting with `code` and `state`;
 * - `POST /token`: exchanges the code once, checks the PKCE verifier against the challenge, and
 *   answers the access token with the granted `scope`, `patient` and the launch's `appContext`;
 * - `/fhir/*`: the loopback FHIR server (test/support/fhir-server.ts) seen through a wrapper that
 *   adds CORS, requires a token it issued, answers 403 to a resource type outside the token's
 *   scopes, and rewrites the server's own URLs (paging links) to its own base.
 *
 * A launch is registered beforehand (`launch(patientId, …)`), as an EHR does before opening the
 * app; a standalone launch (no `launch` parameter) gets `standalonePatient`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LaunchOptions {
  /** Scopes the EHR withholds from this launch (e.g. `patient/Observation.rs`). */
  deny?: string[];
  /** The card link's appContext, passed back in the token response. */
  appContext?: string;
}

export interface SmartAuthServerOptions {
  /** The real FHIR server's base URL (e.g. TestFhirServer.baseUrl). */
  fhirBaseUrl: string;
  clientId: string;
  /** The registered redirect URI; any other is refused. */
  redirectUri: string;
  standalonePatient?: string;
}

export interface SmartAuthServer {
  origin: string;
  /** The `iss` the EHR passes: this server's FHIR base. */
  fhirBaseUrl: string;
  /** Registers an EHR launch and returns its `launch` value. */
  launch(patientId: string, options?: LaunchOptions): string;
  /** The wrapper answers 503 to every FHIR request while down. */
  setFhirDown(down: boolean): void;
  /** What happened, in order (`authorize`, `token`, `fhir 403 Observation`, …), for the tests to check. */
  events: string[];
  /** The `scope` of each authorization request, in order. */
  requestedScopes: string[];
  close(): Promise<void>;
}

interface Launch {
  patient: string;
  deny: Set<string>;
  appContext?: string;
}

interface Grant {
  launch: Launch;
  scope: string;
  challenge: string;
  redirectUri: string;
}

const TYPE_SCOPE = /^patient\/([A-Za-z]+)\.([cruds]+)$/;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function cors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
  res.setHeader('access-control-allow-headers', 'authorization, accept, content-type');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('vary', 'origin');
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  send(res, status, { error, error_description: description });
}

function fhirOutcome(res: ServerResponse, status: number, code: string, diagnostics: string): void {
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const token = () => randomBytes(24).toString('base64url');

export async function startSmartAuthServer(opts: SmartAuthServerOptions): Promise<SmartAuthServer> {
  const launches = new Map<string, Launch>();
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, Grant>();
  const events: string[] = [];
  const requestedScopes: string[] = [];
  let fhirDown = false;
  let origin = '';
  const fhirBase = () => `${origin}/fhir`;

  const smartConfiguration = () => ({
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    grant_types_supported: ['authorization_code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: ['openid', 'fhirUser', 'launch', 'launch/patient', 'patient/*.rs'],
    response_types_supported: ['code'],
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'client-public',
      'context-ehr-patient',
      'context-standalone-patient',
      'permission-v2',
      'sso-openid-connect',
    ],
  });

  function authorize(url: URL, res: ServerResponse): void {
    const p = url.searchParams;
    events.push('authorize');
    if (p.get('response_type') !== 'code')
      return oauthError(res, 400, 'unsupported_response_type', 'response_type must be code');
    if (p.get('client_id') !== opts.clientId) return oauthError(res, 400, 'unauthorized_client', 'unknown client_id');
    if (p.get('redirect_uri') !== opts.redirectUri)
      return oauthError(res, 400, 'invalid_request', 'redirect_uri is not registered');
    if (p.get('aud') !== fhirBase()) return oauthError(res, 400, 'invalid_request', 'aud must be the FHIR base URL');
    if (p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
      return oauthError(res, 400, 'invalid_request', 'PKCE with S256 is required');
    }
    const state = p.get('state');
    if (!state) return oauthError(res, 400, 'invalid_request', 'state is required');
    requestedScopes.push(p.get('scope') ?? '');
    const requested = (p.get('scope') ?? '').split(/\s+/).filter((s) => s);
    let launch: Launch | undefined;
    const launchParam = p.get('launch');
    if (launchParam !== null) {
      launch = launches.get(launchParam);
      if (!launch || !requested.includes('launch'))
        return oauthError(res, 400, 'invalid_request', 'unknown launch, or no launch scope');
    } else {
      if (!requested.includes('launch/patient') || !opts.standalonePatient) {
        return oauthError(res, 400, 'invalid_request', 'a standalone launch needs launch/patient');
      }
      launch = { patient: opts.standalonePatient, deny: new Set() };
    }
    const scope = requested.filter((s) => !launch.deny.has(s)).join(' ');
    const code = token();
    codes.set(code, { launch, scope, challenge: p.get('code_challenge')!, redirectUri: opts.redirectUri });
    const to = new URL(opts.redirectUri);
    to.searchParams.set('code', code);
    to.searchParams.set('state', state);
    res.writeHead(302, { location: to.href });
    res.end();
  }

  async function exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    events.push('token');
    if (form.get('grant_type') !== 'authorization_code')
      return oauthError(res, 400, 'unsupported_grant_type', 'authorization_code only');
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code);
    if (!grant) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
    if (form.get('redirect_uri') !== grant.redirectUri)
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri differs');
    const verifier = form.get('code_verifier') ?? '';
    if (s256(verifier) !== grant.challenge) {
      events.push('token pkce-mismatch');
      return oauthError(res, 400, 'invalid_grant', 'code_verifier does not match the code_challenge');
    }
    events.push('token pkce-ok');
    const access = token();
    tokens.set(access, grant);
    send(res, 200, {
      access_token: access,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: grant.scope,
      patient: grant.launch.patient,
      ...(grant.launch.appContext !== undefined && { appContext: grant.launch.appContext }),
    });
  }

  function allowed(grant: Grant, resourceType: string, isRead: boolean): boolean {
    for (const s of grant.scope.split(' ')) {
      const m = TYPE_SCOPE.exec(s);
      if (!m || (m[1] !== resourceType && m[1] !== '*')) continue;
      if (m[2]!.includes(isRead ? 'r' : 's')) return true;
    }
    return false;
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice('/fhir'.length).replace(/^\//, '');
    if (path === '.well-known/smart-configuration') return send(res, 200, smartConfiguration());
    if (fhirDown) {
      events.push('fhir 503');
      return fhirOutcome(res, 503, 'transient', 'FHIR server unavailable');
    }
    if (path === 'metadata') {
      const upstream = await fetch(`${opts.fhirBaseUrl}/metadata`);
      return send(res, upstream.status, await upstream.json());
    }
    const auth = req.headers.authorization ?? '';
    const grant = auth.startsWith('Bearer ') ? tokens.get(auth.slice('Bearer '.length)) : undefined;
    if (!grant) return fhirOutcome(res, 401, 'login', 'a valid bearer token is required');
    const [resourceType = '', id] = path.split('/');
    if (!allowed(grant, resourceType, id !== undefined)) {
      events.push(`fhir 403 ${resourceType}`);
      return fhirOutcome(res, 403, 'forbidden', `the token's scopes do not cover ${resourceType}`);
    }
    const upstream = await fetch(`${opts.fhirBaseUrl}/${path}${url.search}`, {
      headers: { accept: 'application/fhir+json' },
    });
    const text = (await upstream.text()).split(opts.fhirBaseUrl).join(fhirBase());
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/fhir+json' });
    res.end(text);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    cors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return;
    }
    const route = async () => {
      if (req.method === 'GET' && url.pathname === '/.well-known/smart-configuration')
        return send(res, 200, smartConfiguration());
      if (req.method === 'GET' && url.pathname === '/authorize') return authorize(url, res);
      if (req.method === 'POST' && url.pathname === '/token') return exchange(req, res);
      if (req.method === 'GET' && (url.pathname === '/fhir' || url.pathname.startsWith('/fhir/')))
        return proxy(req, res, url);
      send(res, 404, { error: 'not found' });
    };
    route().catch((err: unknown) => {
      if (!res.headersSent) fhirOutcome(res, 500, 'exception', String(err));
      else res.destroy();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    fhirBaseUrl: fhirBase(),
    launch(patientId, options = {}) {
      const id = token();
      const l: Launch = { patient: patientId, deny: new Set(options.deny ?? []) };
      if (options.appContext !== undefined) l.appContext = options.appContext;
      launches.set(id, l);
      return id;
    },
    setFhirDown(down) {
      fhirDown = down;
    },
    events,
    requestedScopes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
