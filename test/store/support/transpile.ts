import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let built: string | undefined;

/**
 * The sources as plain ES modules, for tests that must run code in a child process (node cannot
 * run .ts on Node 20). Written under the repo's ignored .tmp/ so that bare imports resolve from
 * its node_modules. Types are not checked here: `npm test` type-checks first.
 */
export function transpiledSources(): string {
  if (built) return built;
  const out = join(repo, '.tmp', `test-build-${process.pid}-${Date.now()}`);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const target = join(out, relative(repo, path));
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const js = ts.transpileModule(readFileSync(path, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
          fileName: path,
        }).outputText;
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target.replace(/\.ts$/, '.js'), js);
      } else if (entry.name.endsWith('.json')) {
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(path, target);
      }
    }
  };
  walk(join(repo, 'src'));
  built = out;
  return out;
}

export const repoRoot = repo;

/** Removes this process's build, if any. */
export function removeTranspiled(): void {
  if (built) rmSync(built, { recursive: true, force: true });
  built = undefined;
}
