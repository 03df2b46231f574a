import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { removeTranspiled, transpiledSources } from '../store/support/transpile.js';
import { listeningPort, runServer } from '../support/server-process.js';

afterAll(() => removeTranspiled());

describe('METRICS_PORT', () => {
  it('is optional, and must differ from PORT', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(() => loadConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow('METRICS_PORT: must differ from PORT');
    expect(() => loadConfig({ METRICS_PORT: 'nine' })).toThrow(
      'METRICS_PORT: must be a whole number between 0 and 65535',
    );
  });

  it('serves /metrics on its own listener and nowhere else, and the API port has no /metrics', async () => {
    const p = runServer(join(transpiledSources(), 'src', 'server.js'), { NODE_ENV: 'development', METRICS_PORT: '0' });
    try {
      const port = await listeningPort(p);
      const line = p
        .stdout()
        .split('\n')
        .find((l) => l.includes('aibl-cds listening'))!;
      const metricsPort = (JSON.parse(line) as { metricsPort: number }).metricsPort;
      expect(metricsPort).toBeGreaterThan(0);
      expect(metricsPort).not.toBe(port);

      await fetch(`http://127.0.0.1:${port}/cds-services`);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await scraped.text();
      expect(text).toContain('aibl_http_requests_total{route="discovery"');
      expect(text).toContain('aibl_dependency_up{dependency="feedback-store"} 1');

      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/cds-services`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(404);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
