/**
 * Names, in one line at the end of the run, the suites jest.config.js left out because a service
 * variable was unset, and the variables that would run them. Under CI=true a left-out suite is
 * an error: CI starts every service (.ci/run), so a skip there would hide a whole area untested.
 */
export default class SkippedSuitesReporter {
  constructor(_globalConfig, options) {
    this.skipped = options?.skipped ?? [];
    this.error = undefined;
  }

  onRunComplete() {
    if (this.skipped.length === 0) return;
    const vars = [...new Set(this.skipped.flatMap((s) => s.missing))].sort();
    const names = this.skipped.map((s) => `${s.path} (${s.missing.join(', ')})`).join(', ');
    const line = `Skipped ${this.skipped.length} suite${this.skipped.length === 1 ? '' : 's'} needing services: ${names}; set ${vars.join(' and ')} to run them.`;
    const ci =
      process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
    if (ci) this.error = new Error(`${line} CI=true: every suite must run.`);
    process.stderr.write(`\n${ci ? 'ERROR: ' : ''}${line}\n`);
  }

  getLastError() {
    return this.error;
  }
}
