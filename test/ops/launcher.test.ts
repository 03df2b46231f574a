/**
 * bin/aibl-cds-server is the one place that holds the node flags and malloc settings the service
 * ships with; `npm start`, the image and the benchmarks start the service through it. These tests
 * run it and look at the node process it becomes (/proc: its command line, its environment, its
 * parent), and run `npm start` itself to see that a signal to npm reaches the server and leaves no
 * server behind. Linux only (/proc).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { repoRoot, transpiledSources } from '../store/support/transpile.js';
import { launcherSettings } from '../support/launcher-settings.js';

const LAUNCHER = join(repoRoot, 'bin', 'aibl-cds-server');
/** The launcher runs `node` from PATH: let it be this one. */
const PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(command: string, args: string[], cwd: string, env: Record<string, string>): Started {
  let out = '';
  const child = spawn(command, args, {
    cwd,
    env: { PATH, HOME: process.env.HOME ?? tmpdir(), NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** The port of the "aibl-cds listening" log line, once /healthz answers on it. */
async function healthyPort(s: Started, ms: number): Promise<number> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const line = s
      .output()
      .split('\n')
      .find((l) => l.includes('aibl-cds listening'));
    if (line !== undefined) {
      const port = (JSON.parse(line) as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (res?.status === 200) return port;
    }
    if (s.child.exitCode !== null) throw new Error(`exited early:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not healthy in ${ms} ms:\n${s.output()}`);
}

function nulSeparated(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\0')
    .filter((w) => w !== '');
}

/** Pids of processes whose command line names `script`. */
function processesRunning(script: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (nulSeparated(`/proc/${entry}/cmdline`).includes(script)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('bin/aibl-cds-server', () => {
  let root: string;
  let launcher: string;
  let serverJs: string;
  beforeAll(() => {
    // The launcher runs ../dist/server.js beside itself: here, a copy of it beside the transpiled sources.
    root = transpiledSources();
    if (!existsSync(join(root, 'dist'))) symlinkSync('src', join(root, 'dist'));
    mkdirSync(join(root, 'bin'), { recursive: true });
    launcher = join(root, 'bin', 'aibl-cds-server');
    copyFileSync(LAUNCHER, launcher);
    // As the launcher names it: its own absolute folder, then ../dist.
    serverJs = `${root}/bin/../dist/server.js`;
  });

  test('becomes node (same pid) running dist/server.js with its flags and malloc settings, arguments passed on', async () => {
    const s = start(launcher, ['--an-argument'], tmpdir(), {});
    try {
      await healthyPort(s, 20_000);
      const pid = s.child.pid!;
      const cmdline = nulSeparated(`/proc/${pid}/cmdline`);
      expect(cmdline).toEqual([
        'node',
        '--max-semi-space-size=4',
        '--heap-growing-percent=50',
        '--single-threaded-gc',
        serverJs,
        '--an-argument',
      ]);
      const environ = nulSeparated(`/proc/${pid}/environ`);
      expect(environ).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=32768']));
      expect(launcherSettings()).toEqual({
        flags: ['--max-semi-space-size=4', '--heap-growing-percent=50', '--single-threaded-gc'],
        env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' },
      });
      s.child.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  test('a malloc setting given in the environment wins over the launcher default', async () => {
    const s = start(launcher, [], tmpdir(), { MALLOC_ARENA_MAX: '4' });
    try {
      await healthyPort(s, 20_000);
      const environ = nulSeparated(`/proc/${s.child.pid}/environ`);
      expect(environ).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=4', 'MALLOC_MMAP_THRESHOLD_=32768']));
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  test('this Node accepts the flags, and they change the heap', () => {
    const heapLimit = (flags: string[]) =>
      Number(
        execFileSync(
          process.execPath,
          [...flags, '-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"],
          { encoding: 'utf8' },
        ),
      );
    // execFileSync throws if node refuses a flag ("bad option", exit 9). V8 reserves three
    // semi-spaces within the heap limit: 16 MB → 4 MB each lowers it by 3 × 12 MB.
    expect(heapLimit([]) - heapLimit(launcherSettings().flags)).toBe(3 * 12 * 1024 * 1024);
  });

  test('the image runs it in exec form, with nothing else on the command line', () => {
    const lines = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').split('\n');
    const cmd = lines.filter((l) => l.startsWith('CMD ') || l.startsWith('ENTRYPOINT '));
    expect(cmd).toEqual(['CMD ["/app/bin/aibl-cds-server"]']);
    expect(lines).toContain('COPY --chown=1000:1000 bin ./bin');
  });
});

describe('npm start', () => {
  // A project of its own under the repo's .tmp/ (bare imports resolve from the repo's
  // node_modules): the real package.json, tsconfigs, launcher and sources; `npm start` builds
  // dist/ there, then execs the launcher.
  let project: string;
  beforeAll(() => {
    mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
    project = mkdtempSync(join(repoRoot, '.tmp', 'npm-start-'));
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json'])
      copyFileSync(join(repoRoot, f), join(project, f));
    mkdirSync(join(project, 'bin'));
    copyFileSync(LAUNCHER, join(project, 'bin', 'aibl-cds-server'));
    symlinkSync(join(repoRoot, 'src'), join(project, 'src'));
    symlinkSync(join(repoRoot, 'demo'), join(project, 'demo'));
    // Copied, not linked: the web build writes next to its config (../dist/web), which must be
    // this project's dist, not the repository's.
    cpSync(join(repoRoot, 'web'), join(project, 'web'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(project, 'node_modules'));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the npm process reaches the server: it stops, the port closes, no server process is left',
    async (signal) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'aibl-npm-start-'));
      const npm = start('npm', ['start', '--silent', '--no-update-notifier'], project, { DATA_DIR: dataDir });
      const serverJs = `${project}/bin/../dist/server.js`;
      try {
        const port = await healthyPort(npm, 150_000);
        const servers = processesRunning(serverJs);
        expect(servers).toHaveLength(1);
        // exec all the way: node is npm's own child, no shell in between that a signal would stop at.
        expect(parentOf(servers[0]!)).toBe(npm.child.pid);
        npm.child.kill(signal);
        const { code } = await npm.exited;
        expect(code).toBe(0);
        expect(npm.output()).toContain(`"signal":"${signal}"`);
        expect(npm.output()).toContain('"msg":"stopped"');
        expect(await portOpen(port)).toBe(false);
        expect(processesRunning(serverJs)).toEqual([]);
      } finally {
        npm.child.kill('SIGKILL');
        for (const pid of processesRunning(serverJs)) process.kill(pid, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
