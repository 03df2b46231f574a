/**
 * The node flags and malloc settings bin/aibl-cds-server ships, read from the launcher itself so
 * that a test starting the server another way (with extra flags of its own) runs it as shipped.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LAUNCHER = fileURLToPath(new URL('../../bin/aibl-cds-server', import.meta.url));

export function launcherSettings(): { flags: string[]; env: Record<string, string> } {
  const text = readFileSync(LAUNCHER, 'utf8');
  const exec = text.split('\n').find((l) => l.startsWith('exec node '));
  if (exec === undefined) throw new Error(`${LAUNCHER}: no "exec node" line`);
  return {
    flags: exec.split(/\s+/).filter((w) => w.startsWith('--')),
    env: Object.fromEntries([...text.matchAll(/^export (\w+)="\$\{\w+:-([^}]*)\}"$/gm)].map((m) => [m[1]!, m[2]!])),
  };
}
