import type { ClientConfig } from './auth/clients-config.js';

/**
 * Start-up refusals for production that no single setting shows: a sample key left in the trusted
 * clients, and a public URL without TLS. Each message tells the operator what to change.
 */

/** Written into the `kid` of every key in examples/clients.sample.json: a key nobody holds privately. */
export const PLACEHOLDER_KEY_MARKER = 'example-only-replace';

export class ProductionGuardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProductionGuardError';
  }
}

export interface GuardInput {
  production: boolean;
  publicBaseUrl: string;
  clients: readonly ClientConfig[];
  /** ALLOW_INSECURE_PUBLIC_URL as set in the environment. */
  allowInsecurePublicUrl: string | undefined;
}

export function assertProductionGuards(input: GuardInput): void {
  const allowInsecure = parseFlag(input.allowInsecurePublicUrl);
  if (!input.production) return;
  for (const [i, client] of input.clients.entries()) {
    const keys = client.jwks?.keys ?? [];
    for (const [j, key] of keys.entries()) {
      if (JSON.stringify(key).includes(PLACEHOLDER_KEY_MARKER)) {
        throw new ProductionGuardError(
          `Refusing to start: clients[${i}].jwks.keys[${j}] is the placeholder key of the sample clients file ` +
            `(its kid says "${PLACEHOLDER_KEY_MARKER}…"). Put your EHR's public key or jwksUrl in CDS_CLIENTS_FILE.`,
        );
      }
    }
  }
  if (new URL(input.publicBaseUrl).protocol !== 'https:' && !allowInsecure) {
    throw new ProductionGuardError(
      'Refusing to start: PUBLIC_BASE_URL must be the https URL the EHR calls in production (CDS Hooks requires TLS; ' +
        'every JWT audience is checked against it). Behind an ingress or load balancer that ends TLS, give its https URL. ' +
        'Only where the EHR is registered with an http URL because TLS is carried by a proxy or tunnel on the same host ' +
        '(sidecar, stunnel), set ALLOW_INSECURE_PUBLIC_URL=true.',
    );
  }
}

function parseFlag(value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new ProductionGuardError('ALLOW_INSECURE_PUBLIC_URL: must be true or false');
}
