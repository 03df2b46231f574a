/**
 * The service's V8 heap flags and malloc setting are set where it is started — the image's CMD and
 * ENV, `npm start` — and the benchmark must measure it the same way. They are listed three times;
 * this keeps them equal, and checks that this Node accepts the flags (an unknown V8 flag stops node
 * before the service starts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from '../../bench/lib.js';

const root = new URL('../../', import.meta.url);

function dockerCmd(): string[] {
  const line = readFileSync(new URL('Dockerfile', root), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CMD '));
  if (line === undefined) throw new Error('no CMD in the Dockerfile');
  return JSON.parse(line.slice(4)) as string[];
}

/** `ENV` assignments of the runtime stage (the last FROM), continuation lines joined. */
function dockerEnv(): Record<string, string> {
  const text = readFileSync(new URL('Dockerfile', root), 'utf8').replace(/\\\n\s*/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  }
  return env;
}

/** The node command of `npm start`, with the `VAR=value` words before it. */
function startScript(): { env: Record<string, string>; command: string[] } {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['start']!.split('&&').map((part) => part.trim().split(/\s+/)).find((w) => w.includes('node'));
  if (words === undefined) throw new Error('npm start runs no node command');
  const at = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, at).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  return { env, command: words.slice(at) };
}

test('the Dockerfile CMD, npm start and the benchmark start the service with the same node flags', () => {
  expect(SERVICE_NODE_FLAGS.length).toBeGreaterThan(0);
  expect(dockerCmd()).toEqual(['node', ...SERVICE_NODE_FLAGS, 'dist/server.js']);
  expect(startScript().command).toEqual(['node', ...SERVICE_NODE_FLAGS, 'dist/server.js']);
});

test('the Dockerfile ENV, npm start and the benchmark give the service the same malloc setting', () => {
  expect(Object.keys(SERVICE_ENV).length).toBeGreaterThan(0);
  expect(startScript().env).toEqual(SERVICE_ENV);
  expect(dockerEnv()).toMatchObject(SERVICE_ENV);
});

test('this Node accepts the flags, and they change the heap', () => {
  const heapLimit = (flags: string[]) =>
    Number(execFileSync(process.execPath, [...flags, '-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], { encoding: 'utf8' }));
  // execFileSync throws if node refuses a flag ("bad option", exit 9). V8 reserves three
  // semi-spaces within the heap limit: 16 MB → 4 MB each lowers it by 3 × 12 MB.
  expect(heapLimit([]) - heapLimit(SERVICE_NODE_FLAGS)).toBe(3 * 12 * 1024 * 1024);
});
