import type { AuthContext, Authenticator, AuthRequest } from '../auth/authenticator.js';

/**
 * Development mode with no CDS client configured: every call is accepted and no token is verified.
 * Never used in production (the server refuses to start there without trusted clients).
 */
export class OpenAuthenticator implements Authenticator {
  readonly openMode = true;

  async authenticate(_req: AuthRequest): Promise<AuthContext> {
    return {};
  }
}
