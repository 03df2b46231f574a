/**
 * The service's V8 heap flags are set where it is started — the image's CMD, `npm start` — and the
 * benchmark must measure it the same way. They are listed three times; this keeps them equal, and
 * checks that this Node accepts them (an unknown V8 flag stops node before the service starts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVICE_NODE_FLAGS } from '../../bench/lib.js';

const root = new URL('../../', import.meta.url);

function dockerCmd(): string[] {
  const line = readFileSync(new URL('Dockerfile', root), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CMD '));
  if (line === undefined) throw new Error('no CMD in the Dockerfile');
  return JSON.parse(line.slice(4)) as string[];
}

function startScript(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
  const node = pkg.scripts['start']!.split('&&').map((part) => part.trim()).find((part) => part.startsWith('node '));
  if (node === undefined) throw new Error('npm start runs no node command');
  return node.split(/\s+/);
}

test('the Dockerfile CMD, npm start and the benchmark start the service with the same node flags', () => {
  expect(SERVICE_NODE_FLAGS.length).toBeGreaterThan(0);
  expect(dockerCmd()).toEqual(['node', ...SERVICE_NODE_FLAGS, 'dist/server.js']);
  expect(startScript()).toEqual(['node', ...SERVICE_NODE_FLAGS, 'dist/server.js']);
});

test('this Node accepts the flags, and they change the heap', () => {
  const heapLimit = (flags: string[]) =>
    Number(execFileSync(process.execPath, [...flags, '-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], { encoding: 'utf8' }));
  // execFileSync throws if node refuses a flag ("bad option", exit 9). V8 reserves three
  // semi-spaces within the heap limit: 16 MB → 4 MB each lowers it by 3 × 12 MB.
  expect(heapLimit([]) - heapLimit(SERVICE_NODE_FLAGS)).toBe(3 * 12 * 1024 * 1024);
});
