import type { AuthContext } from './authenticator.js';

// Characters that different URL parsers disagree about (WHATWG turns "\" into "/", others do not;
// whitespace and controls get stripped or kept). We refuse them rather than guess which reading
// the HTTP client will use.
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const AMBIGUOUS = /[\s\\\u0000-\u001f\u007f]/;

interface ParsedBase {
  protocol: string;
  host: string;
  segments: string[];
}

function parseBase(raw: string): ParsedBase | undefined {
  if (AMBIGUOUS.test(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') return undefined;
  // URL has already lower-cased the host, dropped a default port and resolved "." / ".." segments.
  return { protocol: u.protocol, host: u.host, segments: u.pathname.split('/').filter((s) => s !== '') };
}

/**
 * True when `fhirServer` lies under `allowedBase`: same scheme, host and port, and the allowed
 * path is a whole-segment prefix of the requested one. Plain string prefixes are not enough:
 * "https://ehr.example.org/fhir-evil" and "https://ehr.example.org.attacker.net" both "start with"
 * "https://ehr.example.org/fhir"-like strings.
 */
export function fhirServerUnderBase(allowedBase: string, fhirServer: string): boolean {
  const allowed = parseBase(allowedBase);
  const requested = parseBase(fhirServer);
  if (allowed === undefined || requested === undefined) return false;
  if (allowed.protocol !== requested.protocol || allowed.host !== requested.host) return false;
  if (requested.segments.length < allowed.segments.length) return false;
  return allowed.segments.every((seg, i) => seg === requested.segments[i]);
}

/**
 * SSRF guard: may this caller send us to `fhirServer`? An absent fhirServer means nothing will be
 * contacted, so it is allowed. In open development mode (no client) anything is allowed.
 */
export function isFhirServerAllowed(ctx: AuthContext, fhirServer: string | undefined): boolean {
  if (fhirServer === undefined) return true;
  if (ctx.client === undefined) return true;
  return ctx.client.fhirServers.some((base) => fhirServerUnderBase(base, fhirServer));
}
