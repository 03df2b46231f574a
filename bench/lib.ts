import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

/**
 * bin/aibl-cds-server, from this file's place in .tmp/bench/bench/: the service as it ships —
 * dist/server.js (the bench scripts build it first) with the node flags and malloc settings that
 * the launcher alone holds, so the benchmark measures what `npm start` and the image run.
 */
export const LAUNCHER = fileURLToPath(new URL('../../../bin/aibl-cds-server', import.meta.url));

export interface Started {
  port: number;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra node flags, e.g. `--cpu-prof` (for LAUNCHER: through NODE_OPTIONS, after its own). */
  nodeArgs?: string[];
  /** Health path polled until it answers 200 (default /healthz). */
  healthPath?: string;
}

/** A TCP port free on loopback right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a Node script — or LAUNCHER, which execs node itself (its pid is then node's) — on a
 * loopback port and waits until /healthz answers.
 */
export async function startNode(
  script: string,
  env: Record<string, string>,
  port: number,
  opts: StartOptions = {},
): Promise<Started> {
  const baseEnv = { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' };
  const child =
    script === LAUNCHER
      ? spawn(LAUNCHER, [], {
          env: {
            ...baseEnv,
            // The launcher runs `node`: this one.
            PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
            ...(opts.nodeArgs !== undefined && opts.nodeArgs.length > 0 && { NODE_OPTIONS: opts.nodeArgs.join(' ') }),
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        })
      : spawn(process.execPath, [...(opts.nodeArgs ?? []), script], {
          env: baseEnv,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${opts.healthPath ?? '/healthz'}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not become healthy`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Resident set size of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** utime + stime of a /proc stat file, in seconds (clock ticks of 1/100 s). */
function statCpuSeconds(statFile: string): number {
  const fields = readFileSync(statFile, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU time (user + system, all threads) a process has used so far, in seconds (Linux). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU time of a process's main thread only, in seconds (Linux): the thread that bounds a Node
 * server's throughput, where `cpuSeconds` also counts V8's helper threads.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/** The machine, for the record: core count and CPU model. */
export function machine(): { cores: number; cpu: string } {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
  const cores = (info.match(/^processor\s*:/gm) ?? []).length;
  return { cores, cpu };
}

export interface LoadResult {
  requestsPerSec: number;
  /** Latency percentiles in ms (autocannon's, 1 ms resolution below 1 s). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  /** Answers by status class, e.g. { '2xx': 1000 }. */
  statusClasses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface LoadOptions {
  url: string;
  /** One body, or several sent in turn (round-robin per connection). */
  body: string | string[];
  connections: number;
  /** Seconds (ignored when `amount` is given). */
  duration?: number;
  amount?: number;
  headers?: Record<string, string>;
  /** Content type per body when they differ (default application/json). */
  contentTypes?: string[];
  paths?: string[];
  /** Headers made fresh for every request (e.g. a JWT with its own jti), added to `headers`. */
  headersFor?: () => Record<string, string>;
}

export async function load(opts: LoadOptions): Promise<LoadResult> {
  const bodies = Array.isArray(opts.body) ? opts.body : [opts.body];
  const single = bodies.length === 1 && !opts.paths && !opts.headersFor;
  const headersFor = opts.headersFor;
  const base = {
    url: opts.url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? 10 }),
  };
  const result = await autocannon(
    single
      ? { ...base, method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, body: bodies[0]! }
      : {
          ...base,
          requests: bodies.map((body, i) => ({
            method: 'POST' as const,
            path: opts.paths?.[i % opts.paths.length] ?? new URL(opts.url).pathname,
            headers: { 'content-type': opts.contentTypes?.[i] ?? 'application/json', ...opts.headers },
            body,
            ...(headersFor && {
              setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, ...headersFor() } }),
            }),
          })),
        },
  );
  const statusClasses: Record<string, number> = {};
  for (const cls of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) {
    const n = result[cls];
    if (n) statusClasses[cls] = n;
  }
  return {
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    statusClasses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export function table(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => String(r[c])))),
  ].join('\n');
}

/** One round of load against a started server, per request: CPU of the process and of its main thread. */
export interface RoundFigures {
  rps: number;
  p99: number;
  cpu: number;
  main: number;
  rss: number;
}

/** Runs `run` (a load that must answer only 2xx) against `s` and measures the round. */
export async function measureRound(name: string, s: Started, run: () => Promise<LoadResult>): Promise<RoundFigures> {
  const [cpu0, main0] = [cpuSeconds(s.pid), mainThreadCpuSeconds(s.pid)];
  const r = await run();
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(
      `${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors (statuses ${JSON.stringify(r.statusClasses)})`,
    );
  return {
    rps: r.requestsPerSec,
    p99: r.p99,
    cpu: ((cpuSeconds(s.pid) - cpu0) * 1000) / r.requests,
    main: ((mainThreadCpuSeconds(s.pid) - main0) * 1000) / r.requests,
    rss: rssMb(s.pid),
  };
}

export function roundLine(round: number, name: string, f: RoundFigures): string {
  return `  round ${round} ${name}: ${f.rps.toFixed(0)} req/s, p99 ${f.p99} ms, CPU ${f.cpu.toFixed(3)} ms/req (main thread ${f.main.toFixed(3)}), RSS ${f.rss.toFixed(0)} MB`;
}

/** A table row per variant: the means of its rounds, the worst p99, req/s against the first variant. */
export function variantTable(variants: { name: string; rows: RoundFigures[] }[]): string {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = variants[0]!;
  const reference = mean(first.rows.map((r) => r.rps));
  return table(
    variants.map((v) => ({
      variant: v.name,
      'req/s': mean(v.rows.map((r) => r.rps)).toFixed(0),
      'p99 ms (worst)': Math.max(...v.rows.map((r) => r.p99)).toFixed(0),
      'CPU ms/req': mean(v.rows.map((r) => r.cpu)).toFixed(3),
      'main thread ms/req': mean(v.rows.map((r) => r.main)).toFixed(3),
      'RSS MB (last)': v.rows.at(-1)!.rss.toFixed(0),
      [`req/s vs ${first.name}`]: (mean(v.rows.map((r) => r.rps)) / reference).toFixed(2),
    })),
  );
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface FhirProcess {
  baseUrl: string;
  patientId: string;
  pid: number;
  stats(): Promise<{ requests: number; opened: number; open: number }>;
  setLatency(ms: number): void;
  setFaults(plan: 'none' | 'flaky' | 'hang'): void;
  stop(): Promise<void>;
}

/** Starts bench/fhir-server-process.js (the test FHIR server in its own process). */
export async function startFhirProcess(script: string, env: Record<string, string> = {}): Promise<FhirProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('the FHIR server process did not start')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the FHIR server process exited with ${code}`));
    });
  });
  const info = JSON.parse(first) as { baseUrl: string; patientId: string };
  child.stdout!.resume();
  return {
    baseUrl: info.baseUrl,
    patientId: info.patientId,
    pid: child.pid!,
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (m: { type?: string; requests: number; opened: number; open: number }) => {
          if (m.type !== 'stats') return;
          child.off('message', onMessage);
          resolve({ requests: m.requests, opened: m.opened, open: m.open });
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
    setLatency: (ms) => child.send({ type: 'latency', ms }),
    setFaults: (plan) => child.send({ type: 'faults', plan }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
