import { ConfigError } from '../config-error.js';
import type { Config } from '../config.js';
import { loadClientsFile, type ClientConfig } from './clients-config.js';

/** The CDS Hooks sandbox signs with a private key published in its public repository. */
export const SANDBOX_ISSUER = 'https://sandbox.cds-hooks.org';

/**
 * Startup gate. In production: at least one trusted client, never the sandbox issuer (anyone can
 * mint its tokens), and https for every JWKS URL and FHIR base (CDS Hooks 2.0 requires TLS).
 * Throws ConfigError with a message meant for the operator.
 */
export function assertAuthConfig(nodeEnv: string | undefined, clients: readonly ClientConfig[]): void {
  if (nodeEnv !== 'production') return;
  if (clients.length === 0) {
    throw new ConfigError([
      'Refusing to start: NODE_ENV=production but no trusted CDS client is configured. ' +
        'Set CDS_CLIENTS_FILE to a clients JSON file (see docs/connecting-an-ehr.md); ' +
        'without it anyone could call the service unauthenticated.',
    ]);
  }
  for (const [i, c] of clients.entries()) {
    if (c.iss.replace(/\/+$/, '') === SANDBOX_ISSUER || hostOf(c.jwksUrl) === 'sandbox.cds-hooks.org') {
      throw new ConfigError([
        `Refusing to start: clients[${i}] trusts the CDS Hooks sandbox, whose signing key is public; never in production.`,
      ]);
    }
    if (c.jwksUrl !== undefined && !c.jwksUrl.startsWith('https://')) {
      throw new ConfigError([`Refusing to start: clients[${i}].jwksUrl must be https in production.`]);
    }
    for (const [j, base] of c.fhirServers.entries()) {
      if (!base.startsWith('https://')) {
        throw new ConfigError([`Refusing to start: clients[${i}].fhirServers[${j}] must be https in production.`]);
      }
    }
  }
}

/** The trusted clients of CDS_CLIENTS_FILE, read, validated and put through assertAuthConfig. */
export function loadTrustedClients(config: Pick<Config, 'nodeEnv' | 'auth'>): ClientConfig[] {
  const clients = loadClientsFile(config.auth.clientsFile);
  assertAuthConfig(config.nodeEnv, clients);
  return clients;
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

export const OPEN_MODE_WARNING =
  'AUTHENTICATION DISABLED: no trusted CDS client is configured (CDS_CLIENTS_FILE unset). ' +
  'Any caller may invoke the services, unsigned, and point them at any FHIR server. ' +
  'For local development only; the service refuses to start like this when NODE_ENV=production.';

/** Logs the open-mode warning at startup when the authenticator accepts unverified calls. */
export function warnIfOpenMode(
  authenticator: { readonly openMode: boolean },
  log: { warn(obj: object, msg: string): void },
): boolean {
  if (!authenticator.openMode) return false;
  log.warn({ security: 'open-mode' }, OPEN_MODE_WARNING);
  return true;
}
