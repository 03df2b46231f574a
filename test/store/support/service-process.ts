import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { transpiledSources } from './transpile.js';

export interface ServiceProcess {
  port: number;
  url: string;
  child: ChildProcess;
  logs(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * The real service (src/server.ts, transpiled) as its own process on a loopback port chosen by
 * the OS, configured only through the environment, as a replica would be.
 */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const serverJs = join(transpiledSources(), 'src', 'server.js');
  let out = '';
  const child = spawn(process.execPath, [serverJs], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 15_000;
  for (;;) {
    const line = out.split('\n').find((l) => l.includes('aibl-cds listening'));
    if (line) {
      const port = (JSON.parse(line) as { port: number }).port;
      return {
        port,
        url: `http://127.0.0.1:${port}`,
        child,
        logs: () => out,
        exited,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function feedbackBody(card: string, outcomeTimestamp = '2025-03-10T09:05:00Z'): string {
  return JSON.stringify({
    feedback: [
      {
        card,
        outcome: 'overridden',
        overrideReason: {
          reason: {
            system: 'http://example.org/override',
            code: 'done-elsewhere',
            display: 'DXA done outside this system',
          },
        },
        outcomeTimestamp,
      },
    ],
  });
}
