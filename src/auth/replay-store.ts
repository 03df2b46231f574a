/**
 * Remembers which JWT ids an issuer has used, until the token expires, so that a captured token
 * cannot be replayed. In memory for one replica; in Redis when several replicas share one URL.
 */
export interface ReplayStore {
  /** True the first time (iss, jti) is seen; false for a replay. Kept until `expEpochSeconds`. */
  firstSeen(iss: string, jti: string, expEpochSeconds: number): Promise<boolean>;
  /** Throws when the backing store is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
