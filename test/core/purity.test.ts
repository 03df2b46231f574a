/** docs/ARCHITECTURE.md: the core and the renderer import no framework, client, I/O module or store. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(process.cwd(), 'src');
const FORBIDDEN = [
  /^express/,
  /^fhir-kit-client/,
  /^(node:)?(fs|fs\/promises|http|https|net|child_process|dgram|tls)$/,
  /store/,
  /^pg$/,
  /^ioredis$/,
  /^better-sqlite3$/,
  /^pino/,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

describe('purity of src/core and src/cards', () => {
  const targets = [...files(join(ROOT, 'core')), ...files(join(ROOT, 'cards'))];

  test('there are files to check', () => {
    expect(targets.length).toBeGreaterThan(10);
  });

  test.each(targets.map((f) => [relative(ROOT, f), f]))('%s imports nothing forbidden', (_rel, file) => {
    const bad = imports(file).filter((i) => FORBIDDEN.some((re) => re.test(i)));
    expect(bad).toEqual([]);
  });

  test('src/cards imports from core only through its public files', () => {
    for (const f of files(join(ROOT, 'cards'))) {
      for (const i of imports(f)) {
        if (i.startsWith('../')) expect(i).toMatch(/^\.\.\/core\/(index|valuesets\/index)\.js$/);
      }
    }
  });

  test('the scanner sees a forbidden import when there is one', () => {
    expect(FORBIDDEN.some((re) => re.test('node:fs'))).toBe(true);
    expect(FORBIDDEN.some((re) => re.test('express'))).toBe(true);
    expect(FORBIDDEN.some((re) => re.test('../store/feedback-store.js'))).toBe(true);
  });
});
