import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { consoleAccess } from '../../src/http/console.js';
import { testApp } from '../http/support/app.js';

const TOKEN = 'console-analytics-token-0123456789';
const PROD = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.hospital.example' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aibl-console-'));
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, 'console'));
  writeFileSync(join(dir, 'console', 'index.html'), '<!doctype html><title>console page</title>');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real app, configured from this environment the way server.ts does it. */
function appFor(env: Record<string, string>) {
  const config = loadConfig(env);
  const access = consoleAccess(config);
  return testApp({
    web: { dir },
    ...(access && { console: access }),
    ...(config.analyticsToken !== undefined && { analyticsToken: config.analyticsToken }),
  }).app;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the console outside production', () => {
  it('is served by default, without any credential', async () => {
    const res = await request(appFor({})).get('/console/').expect(200);
    expect(res.text).toContain('console page');
  });

  it('is served with CONSOLE_ENABLED=true, and absent with CONSOLE_ENABLED=false', async () => {
    await request(appFor({ CONSOLE_ENABLED: 'TRUE' }))
      .get('/console/')
      .expect(200);
    await request(appFor({ CONSOLE_ENABLED: 'false' }))
      .get('/console/')
      .expect(404);
    await request(appFor({ CONSOLE_ENABLED: 'false', ANALYTICS_TOKEN: TOKEN }))
      .get('/console/')
      .expect(404);
  });

  it('refuses a CONSOLE_ENABLED that is neither true nor false, naming it', () => {
    expect(() => loadConfig({ CONSOLE_ENABLED: 'yes' })).toThrow(/CONSOLE_ENABLED: must be true or false/);
  });
});

describe('the console in production', () => {
  it('is absent unless CONSOLE_ENABLED=true, even with an analytics token', async () => {
    await request(appFor({ ...PROD, ANALYTICS_TOKEN: TOKEN }))
      .get('/console/')
      .expect(404);
    await request(appFor({ ...PROD, ANALYTICS_TOKEN: TOKEN, CONSOLE_ENABLED: 'false' }))
      .get('/console/')
      .expect(404);
  });

  it('refuses to start with CONSOLE_ENABLED=true and no ANALYTICS_TOKEN', () => {
    let error: unknown;
    try {
      loadConfig({ ...PROD, CONSOLE_ENABLED: 'true' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/CONSOLE_ENABLED: needs ANALYTICS_TOKEN when NODE_ENV=production/);
  });

  it('is locked with the analytics token: Basic (token as password) or Bearer opens it, nothing else does', async () => {
    const app = appFor({ ...PROD, ANALYTICS_TOKEN: TOKEN, CONSOLE_ENABLED: 'true' });
    for (const auth of [
      undefined,
      basic('committee', `${TOKEN}x`),
      basic(TOKEN, ''),
      `Bearer ${TOKEN.slice(1)}`,
      TOKEN,
      'Basic !!!',
    ]) {
      const req = request(app).get('/console/');
      const res = await (auth === undefined ? req : req.set('Authorization', auth));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="aibl-cds console", charset="UTF-8"');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toContain('console page');
    }
    const opened = await request(app).get('/console/').set('Authorization', basic('committee', TOKEN)).expect(200);
    expect(opened.text).toContain('console page');
    expect(opened.headers['content-security-policy']).toContain("default-src 'none'");
    await request(app).get('/console/').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    // The same token still opens the analytics summary the dashboard reads.
    await request(app).get('/analytics/summary').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  });
});
