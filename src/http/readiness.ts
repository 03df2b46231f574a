import { Gauge, type Registry } from 'prom-client';

/**
 * One thing /readyz looks at. `required` checks are what this replica needs to answer hook calls
 * (the engine, not draining, the replay store when client JWTs are verified); a failing optional
 * one (the feedback store) is reported but leaves the replica in the load balancer, because every
 * replica shares it and taking them all out would stop the cards too.
 */
export interface ReadinessCheck {
  name: string;
  required: boolean;
  /** Reported as aibl_dependency_up{dependency=name}; false for internal states such as draining. */
  dependency: boolean;
  /** Resolves when up; rejects with an error whose message says what is wrong. */
  check: () => Promise<void>;
}

export interface CheckResult {
  name: string;
  state: 'up' | 'down';
  required: boolean;
  /** Why it is down, for the operator; never carries credentials. */
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckResult[];
}

export const CHECK_TIMEOUT_MS = 2000;

export interface ReadinessLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Runs the checks for /readyz and for the scrape of aibl_dependency_up. Concurrent callers share
 * one run, so a probe and a scrape arriving together ping each dependency once.
 */
export class Readiness {
  private running: Promise<ReadinessReport> | undefined;
  /** Last state per check: a change is logged once, not on every probe. */
  private readonly last = new Map<string, CheckResult['state']>();

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    registry: Registry,
    private readonly logger?: ReadinessLogger,
  ) {
    const dependencies = checks.filter((c) => c.dependency);
    const evaluate = () => this.evaluate();
    new Gauge({
      name: 'aibl_dependency_up',
      help: 'Whether a dependency answered its last check (1) or not (0), by dependency',
      labelNames: ['dependency'] as const,
      registers: [registry],
      async collect() {
        const report = await evaluate();
        for (const c of report.checks) {
          if (dependencies.some((d) => d.name === c.name)) this.set({ dependency: c.name }, c.state === 'up' ? 1 : 0);
        }
      },
    });
  }

  evaluate(): Promise<ReadinessReport> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ReadinessReport> {
    const settled = await Promise.allSettled(this.checks.map((c) => withTimeout(c.check)));
    const checks = this.checks.map((c, i): CheckResult => {
      const r = settled[i]!;
      return r.status === 'fulfilled'
        ? { name: c.name, state: 'up', required: c.required }
        : { name: c.name, state: 'down', required: c.required, reason: reasonText(r.reason) };
    });
    for (const c of checks) this.logChange(c);
    return { ready: checks.every((c) => c.state === 'up' || !c.required), checks };
  }

  private logChange(c: CheckResult): void {
    const before = this.last.get(c.name);
    this.last.set(c.name, c.state);
    if (before === c.state || (before === undefined && c.state === 'up')) return;
    const effect = c.required ? 'this replica is not ready' : 'the replica stays ready';
    if (c.state === 'down')
      this.logger?.warn({ check: c.name, state: c.state, reason: c.reason }, `${c.name} is down; ${effect}`);
    else this.logger?.info({ check: c.name, state: c.state }, `${c.name} is up again`);
  }
}

function withTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([Promise.resolve().then(check), timeout]).finally(() => clearTimeout(timer));
}

/** Our own dependencies' errors (timeouts, refused connections) hold no PHI; a URL's password is cut out. */
export function reasonText(reason: unknown): string {
  const text = reason instanceof Error ? reason.message : String(reason);
  return text.replace(/\/\/[^@/\s]*@/g, '//[redacted]@').slice(0, 300);
}
