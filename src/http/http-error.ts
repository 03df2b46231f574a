import { operationOutcome, type OutcomeIssue } from './operation-outcome.js';

/** An error that already knows its HTTP answer. The error handler sends `body` as is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpError';
  }

  static outcome(status: number, issues: OutcomeIssue[], headers?: Record<string, string>): HttpError {
    return new HttpError(status, operationOutcome(issues), headers);
  }
}
