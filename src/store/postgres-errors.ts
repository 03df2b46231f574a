/**
 * PostgreSQL and connection errors an operator meets when setting up DATABASE_URL, each as one
 * sentence saying what is wrong and what to do. SQLSTATE codes: PostgreSQL manual, Appendix A.
 */
const BY_SQLSTATE: Record<string, string> = {
  '3D000': 'the database named in DATABASE_URL does not exist (3D000): create it, or correct the name in the URL',
  '28P01': 'PostgreSQL refused the password of the user in DATABASE_URL (28P01): check the user and password',
  '28000':
    'PostgreSQL refused the user in DATABASE_URL (28000: no such role, or pg_hba.conf does not allow this user, host or database)',
  '42501':
    'the user in DATABASE_URL lacks a privilege the feedback store needs (42501): it must be able to CREATE in its schema and to SELECT and INSERT in its tables (see docs/operations.md)',
  '57P03': 'PostgreSQL is starting up or shutting down (57P03): it will be retried',
  '53300':
    'PostgreSQL has no connection slot left (53300): raise max_connections or lower the pool size of other clients',
};

const BY_ERRNO: Record<string, string> = {
  ECONNREFUSED:
    'nothing accepts connections at the host and port of DATABASE_URL (ECONNREFUSED): PostgreSQL is not running there, or not reachable from here',
  ENOTFOUND: 'the host name in DATABASE_URL does not resolve (ENOTFOUND)',
  EAI_AGAIN: 'the host name in DATABASE_URL could not be resolved now (EAI_AGAIN)',
  ETIMEDOUT: 'connecting to PostgreSQL timed out (ETIMEDOUT): a firewall or NetworkPolicy may drop the traffic',
  ECONNRESET: 'the connection to PostgreSQL was reset (ECONNRESET)',
};

/** One sentence for the operator, or undefined when the error is not one of the known kinds. */
export function explainPostgresError(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const known = BY_SQLSTATE[code] ?? BY_ERRNO[code];
    if (known) return known;
  }
  const message = err instanceof Error ? err.message : '';
  if (/timeout expired|Connection terminated due to connection timeout/i.test(message)) {
    return 'no answer from PostgreSQL within the connection timeout: a firewall or NetworkPolicy may drop the traffic, or the host is down';
  }
  if (/Connection terminated/i.test(message)) return 'PostgreSQL closed the connection';
  return undefined;
}
