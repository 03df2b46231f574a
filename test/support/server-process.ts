/**
 * The real service as a child process (`node src/server.js` from transpiled sources), for tests of
 * what only a process shows: start-up refusals, exit codes, signals. Each process gets its own
 * empty DATA_DIR unless the test names one, so no test writes into the working tree.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `execArgv`: node options before the script (V8 flags, `--import`). */
export function runServer(
  serverJs: string,
  env: Record<string, string>,
  execArgv: readonly string[] = [],
): RunningServer {
  let out = '';
  let err = '';
  const dataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'aibl-server-data-')) : undefined;
  const child = spawn(process.execPath, [...execArgv, serverJs], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...(dataDir && { DATA_DIR: dataDir }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The port from the "aibl-cds listening" log line. */
export async function listeningPort(p: RunningServer): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const line of p.stdout().split('\n')) {
      if (line.includes('aibl-cds listening')) return (JSON.parse(line) as { port: number }).port;
    }
    if (p.child.exitCode !== null) throw new Error(`server exited: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start');
}
