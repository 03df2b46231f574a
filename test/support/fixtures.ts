/**
 * Where tests find the Synthea patients: `test/fixtures/synthea` in this repository, or the folder
 * named by SYNTHEA_FIXTURES_DIR. The one place that knows the location; every test asks here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest folder above this file holding `test/fixtures/synthea`. */
function inRepository(): string | undefined {
  // Compiled copies (bench/, demo/) run from .tmp/…; walk up until the sources' folder appears.
  for (let dir = HERE; ; dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'synthea');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function fixturesDir(): string {
  const fromEnv = process.env['SYNTHEA_FIXTURES_DIR'];
  const dir = fromEnv ? resolve(fromEnv) : inRepository();
  if (dir === undefined || !existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.json'))) {
    throw new Error(
      `Synthea fixtures not found in ${dir ?? 'test/fixtures/synthea'}${fromEnv ? ' (SYNTHEA_FIXTURES_DIR)' : ''}`,
    );
  }
  return dir;
}

/** Fixture name (`Gayla_Ferry`) → file path, in name order. */
export function fixtureFiles(): Map<string, string> {
  const dir = fixturesDir();
  const files = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) {
    const m = /^([A-Za-z]+_[A-Za-z]+)_[0-9a-f-]+\.json$/.exec(f);
    if (m?.[1]) files.set(m[1], join(dir, f));
  }
  return files;
}

/** The file of one fixture by name (`Man_Schamberger`). */
export function fixturePath(name: string): string {
  const file = fixtureFiles().get(name);
  if (!file) throw new Error(`unknown Synthea fixture ${name}; known: ${[...fixtureFiles().keys()].join(', ')}`);
  return file;
}
