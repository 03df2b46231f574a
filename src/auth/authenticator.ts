/** One EHR (CDS client) this service trusts, from CDS_CLIENTS_FILE. */
export interface TrustedClient {
  iss: string;
  /** Base URLs the client's `fhirServer` must start with (SSRF guard). */
  fhirServers: string[];
  tenant?: string;
}

/** Who called. `client` is absent only in open development mode (no clients configured). */
export interface AuthContext {
  client?: TrustedClient;
  iss?: string;
  tenant?: string;
  jti?: string;
}

export interface AuthRequest {
  /** The raw Authorization header, if any. */
  authorization?: string;
  /** The exact URL invoked, as the client sees it: PUBLIC_BASE_URL + path. */
  audience: string;
}

/** Thrown for any authentication failure; the HTTP layer answers a bare 401. */
export class AuthError extends Error {
  constructor(
    readonly reason: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(reason);
    this.name = 'AuthError';
  }
}

export interface Authenticator {
  authenticate(req: AuthRequest): Promise<AuthContext>;
  /** True when no client is configured: calls are accepted unverified (never in production). */
  readonly openMode: boolean;
}
