export { AuthError } from './authenticator.js';
export type { AuthContext, AuthRequest, Authenticator, TrustedClient } from './authenticator.js';
export type { ReplayStore } from './replay-store.js';
export { loadClientsFile, parseClientsConfig } from './clients-config.js';
export type { ClientConfig } from './clients-config.js';
export {
  assertAuthConfig,
  loadTrustedClients,
  warnIfOpenMode,
  OPEN_MODE_WARNING,
  SANDBOX_ISSUER,
} from './auth-config.js';
export { createAuthenticator } from './create-authenticator.js';
export type { CreateAuthenticatorOptions } from './create-authenticator.js';
export { JwtAuthenticator, AuthConfigError, DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS } from './jwt-authenticator.js';
export type { AuthFailureDetails, JwtAuthenticatorOptions } from './jwt-authenticator.js';
export { JwksCache, KeyLookupError } from './jwks-cache.js';
export type { JwksCacheOptions } from './jwks-cache.js';
export { MemoryReplayStore, ReplayStoreFullError } from './memory-replay-store.js';
export type { MemoryReplayStoreOptions } from './memory-replay-store.js';
export { isFhirServerAllowed, fhirServerUnderBase } from './fhir-server-allowlist.js';
