import { join } from 'node:path';
import { createConfig, lint } from '@redocly/openapi-core';
import { repoRoot } from '../store/support/transpile.js';

/**
 * openapi.yaml linted with Redocly's recommended rules. One rule is off: `operation-4xx-response`
 * asks every operation for a 4xx answer, and discovery, the probes and metrics have none.
 */
describe('openapi.yaml', () => {
  it('passes the recommended lint rules', async () => {
    const config = await createConfig({ extends: ['recommended'], rules: { 'operation-4xx-response': 'off' } });
    const problems = await lint({ ref: join(repoRoot, 'openapi.yaml'), config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`)).toEqual(
      [],
    );
  });

  it('the lint does find problems (a document missing its info and responses)', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const { lintFromString } = await import('@redocly/openapi-core');
    const problems = await lintFromString({
      source: 'openapi: 3.1.0\npaths:\n  /x:\n    get: {}\n',
      absoluteRef: join(repoRoot, 'broken.yaml'),
      config,
    });
    expect(problems.filter((p) => p.severity === 'error').length).toBeGreaterThan(0);
  });
});
