import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { JSONWebKeySet } from 'jose';
import { ConfigError } from '../config-error.js';
import type { TrustedClient } from './authenticator.js';

/**
 * A trusted CDS client as configured in CDS_CLIENTS_FILE: who it is (`iss`), where its public
 * keys are (inline `jwks` or a registered `jwksUrl`), and which FHIR servers it may send us to.
 */
export interface ClientConfig extends TrustedClient {
  jwks?: JSONWebKeySet;
  jwksUrl?: string;
}

// Members that only a private or symmetric key carries: a pasted private key must never be
// accepted as "public" configuration (it would also mean the secret is sitting in a config file).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function parsedHttpUrl(s: string): URL | undefined {
  try {
    const u = new URL(s);
    const ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    return ok ? u : undefined;
  } catch {
    return undefined;
  }
}

const HTTP_URL_MESSAGE = 'must be an absolute http(s) URL without credentials';

const httpUrl = z.string().refine((s) => parsedHttpUrl(s) !== undefined, HTTP_URL_MESSAGE);

const fhirBase = z.string().superRefine((s, ctx) => {
  const u = parsedHttpUrl(s);
  if (u === undefined) ctx.addIssue({ code: 'custom', message: HTTP_URL_MESSAGE });
  else if (u.search !== '' || u.hash !== '') {
    ctx.addIssue({ code: 'custom', message: 'a FHIR base URL must not carry a query or fragment' });
  }
});

const publicJwk = z
  .looseObject({
    kty: z.enum(['EC', 'RSA', 'OKP'], { message: 'kty must be EC, RSA or OKP (asymmetric keys only)' }),
    kid: z.string().min(1, 'every key needs a kid (tokens select their key by kid)'),
  })
  .superRefine((jwk, ctx) => {
    for (const m of PRIVATE_MEMBERS) {
      if (m in jwk) {
        ctx.addIssue({
          code: 'custom',
          path: [m],
          message: `private key member "${m}" present: configure public keys only`,
        });
      }
    }
    const need = jwk.kty === 'RSA' ? ['n', 'e'] : jwk.kty === 'EC' ? ['crv', 'x', 'y'] : ['crv', 'x'];
    let complete = true;
    for (const m of need) {
      if (typeof (jwk as Record<string, unknown>)[m] !== 'string') {
        ctx.addIssue({ code: 'custom', path: [m], message: `required for kty ${jwk.kty}` });
        complete = false;
      }
    }
    if (complete && !PRIVATE_MEMBERS.some((m) => m in jwk)) {
      // Catch a mangled key at startup rather than at the first call from the EHR.
      try {
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a usable public key (check crv, x, y / n, e)' });
      }
    }
  });

const jwksSchema = z.strictObject({
  keys: z
    .array(publicJwk)
    .min(1, 'at least one key')
    .superRefine((keys, ctx) => {
      const seen = new Set<string>();
      keys.forEach((k, i) => {
        if (seen.has(k.kid)) ctx.addIssue({ code: 'custom', path: [i, 'kid'], message: `duplicate kid "${k.kid}"` });
        seen.add(k.kid);
      });
    }),
});

const clientSchema = z
  .strictObject({
    iss: z
      .string()
      .min(1)
      .refine((s) => s.trim() === s && !/\s/.test(s), 'must not contain whitespace'),
    jwks: jwksSchema.optional(),
    jwksUrl: httpUrl.optional(),
    fhirServers: z.array(fhirBase).min(1, 'at least one allowed FHIR base URL'),
    tenant: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.jwks === undefined) === (c.jwksUrl === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.jwks === undefined ? 'jwksUrl' : 'jwks'],
        message: 'exactly one of "jwks" (inline public keys) or "jwksUrl" is required',
      });
    }
  });

const fileSchema = z.strictObject({
  clients: z.array(clientSchema).superRefine((clients, ctx) => {
    const seen = new Set<string>();
    clients.forEach((c, i) => {
      if (seen.has(c.iss)) ctx.addIssue({ code: 'custom', path: [i, 'iss'], message: `duplicate iss "${c.iss}"` });
      seen.add(c.iss);
    });
  }),
});

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

/** Validates the parsed JSON of a clients file. Throws ConfigError naming the field. */
export function parseClientsConfig(json: unknown, source = 'CDS_CLIENTS_FILE'): ClientConfig[] {
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new ConfigError([`${source} is invalid: ${lines.join('; ')}`]);
  }
  return result.data.clients.map((c) => {
    const client: ClientConfig = { iss: c.iss, fhirServers: [...c.fhirServers] };
    if (c.tenant !== undefined) client.tenant = c.tenant;
    if (c.jwks !== undefined) client.jwks = { keys: c.jwks.keys as JSONWebKeySet['keys'] };
    if (c.jwksUrl !== undefined) client.jwksUrl = c.jwksUrl;
    return client;
  });
}

/**
 * Reads CDS_CLIENTS_FILE. No path → no clients (open development mode; refused in production by
 * assertAuthConfig). A missing or unreadable file is an error: a typo in the path must not
 * silently open the service.
 */
export function loadClientsFile(path: string | undefined): ClientConfig[] {
  if (path === undefined || path.trim() === '') return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new ConfigError([`CDS_CLIENTS_FILE ${path} cannot be read (${code})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`CDS_CLIENTS_FILE ${path} is not valid JSON: ${(err as Error).message}`]);
  }
  return parseClientsConfig(json, `CDS_CLIENTS_FILE ${path}`);
}
