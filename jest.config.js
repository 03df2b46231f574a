import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultEsmPreset } from 'ts-jest';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const preset = createDefaultEsmPreset({ tsconfig: 'tsconfig.json' });

/**
 * Suites that need an outside service say so in their header, `@requires-env DATABASE_URL`. Such a
 * suite runs only when every variable it names is set; otherwise it is left out and
 * test/support/skipped-suites-reporter.js names it in one line, and fails the run under CI=true.
 */
function suitesNeedingServices(dir = join(ROOT, 'test')) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...suitesNeedingServices(path));
    else if (entry.name.endsWith('.test.ts')) {
      const header = readFileSync(path, 'utf8').slice(0, 4000);
      const env = [...header.matchAll(/@requires-env\s+([A-Z0-9_ ,]+)/g)].flatMap((m) =>
        m[1].split(/[\s,]+/).filter(Boolean),
      );
      if (env.length > 0) found.push({ path: relative(ROOT, path), env });
    }
  }
  return found;
}

const skipped = suitesNeedingServices()
  .map((s) => ({ ...s, missing: s.env.filter((v) => !process.env[v]) }))
  .filter((s) => s.missing.length > 0);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** @type {import('jest').Config} */
export default {
  ...preset,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...skipped.map((s) => `^${escape(join(ROOT, s.path))}$`)],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 30000,
  reporters: ['default', ['<rootDir>/test/support/skipped-suites-reporter.js', { skipped }]],
};
