import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { contentSecurityPolicy, webAssetsRouter, webPageRouter } from '../../src/http/web-assets.js';

describe('built web pages', () => {
  let dir: string;
  let app: express.Express;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aibl-web-'));
    mkdirSync(join(dir, 'assets'));
    mkdirSync(join(dir, 'console'));
    writeFileSync(join(dir, 'assets', 'console-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'console', 'index.html'), '<!doctype html><title>c</title>');
    app = express();
    app.use(webAssetsRouter(dir));
    app.use(webPageRouter({ dir, page: 'console', connectSrc: ['https://fhir.example.org'] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves hashed assets as immutable for a year', async () => {
    const res = await request(app).get('/assets/console-abc123.js').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-security-policy']).toBe(contentSecurityPolicy());
  });

  it('serves the page HTML revalidated, under a strict policy naming the extra origins', async () => {
    const res = await request(app).get('/console/').expect(200);
    expect(res.text).toContain('<title>c</title>');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("connect-src 'self' https://fhir.example.org");
  });

  it('redirects the bare page path to its folder, keeping the query', async () => {
    await request(app).get('/console').expect(301).expect('Location', '/console/');
    await request(app).get('/console?x=1').expect(301).expect('Location', '/console/?x=1');
  });

  it('answers 404 for an asset that is not there', async () => {
    await request(app).get('/assets/nope.js').expect(404);
  });
});
