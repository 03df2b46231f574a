/**
 * Raised when the environment or a file it names (policy, trusted clients) cannot run the service;
 * each problem names its variable. The server prints the message and exits 1.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
