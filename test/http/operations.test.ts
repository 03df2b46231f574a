import request from 'supertest';
import { MemoryFeedbackStore } from '../../src/store/memory-store.js';
import { example, testApp } from './support/app.js';

describe('health and readiness', () => {
  it('answers liveness and readiness, naming each check', async () => {
    const t = testApp();
    const live = await request(t.app).get('/healthz');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: [
        { name: 'engine', state: 'up', required: true },
        { name: 'feedback-store', state: 'up', required: false },
      ],
    });
  });

  it('is not ready while a required check fails, says which, and logs the change once', async () => {
    let down = true;
    const t = testApp({
      readinessChecks: [
        {
          name: 'replay-store',
          required: true,
          dependency: true,
          check: async () => {
            if (down) throw new Error('replay store unreachable at redis://:secret@10.0.0.9:6379');
          },
        },
      ],
    });
    for (let i = 0; i < 3; i++) {
      const res = await request(t.app).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not ready');
      expect(res.body.checks).toContainEqual({
        name: 'replay-store',
        state: 'down',
        required: true,
        reason: 'replay store unreachable at redis://[redacted]@10.0.0.9:6379',
      });
    }
    expect(t.logText()).not.toContain('secret');
    expect(t.logLines().filter((l) => l.msg === 'replay-store is down; this replica is not ready')).toHaveLength(1);
    expect(
      await request(t.app)
        .get('/metrics')
        .then((r) => r.text),
    ).toContain('aibl_dependency_up{dependency="replay-store"} 0');
    down = false;
    expect((await request(t.app).get('/readyz')).status).toBe(200);
    expect(t.logLines().filter((l) => l.msg === 'replay-store is up again')).toHaveLength(1);
    expect(
      await request(t.app)
        .get('/metrics')
        .then((r) => r.text),
    ).toContain('aibl_dependency_up{dependency="replay-store"} 1');
  });

  it('stays ready while the feedback store is down (every replica shares it), reporting it down', async () => {
    const store = new MemoryFeedbackStore();
    const t = testApp({ feedbackStore: store });
    await store.close();
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks).toContainEqual(
      expect.objectContaining({ name: 'feedback-store', state: 'down', required: false }),
    );
    expect(
      await request(t.app)
        .get('/metrics')
        .then((r) => r.text),
    ).toContain('aibl_dependency_up{dependency="feedback-store"} 0');
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });

  it('times out a check that does not answer', async () => {
    const t = testApp({
      readinessChecks: [
        { name: 'replay-store', required: true, dependency: true, check: () => new Promise<void>(() => undefined) },
      ],
    });
    const started = Date.now();
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks).toContainEqual({
      name: 'replay-store',
      state: 'down',
      required: true,
      reason: 'no answer within 2000 ms',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('metrics', () => {
  it('counts requests by route, service and status, and cards by topic', async () => {
    const t = testApp();
    await request(t.app).get('/cds-services');
    await request(t.app).post('/cds-services/aibl-order-sign').send(example('order-sign'));
    await request(t.app).post('/cds-services/aibl-order-sign').send({});
    await request(t.app).post('/cds-services/no-such-service').send({});
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toContain('aibl_http_requests_total{route="discovery",service="-",method="GET",status="200"} 1');
    expect(text).toContain(
      'aibl_http_requests_total{route="service",service="aibl-order-sign",method="POST",status="200"} 1',
    );
    expect(text).toContain(
      'aibl_http_requests_total{route="service",service="aibl-order-sign",method="POST",status="400"} 1',
    );
    expect(text).toContain('aibl_http_requests_total{route="service",service="unknown",method="POST",status="404"} 1');
    expect(text).toMatch(
      /aibl_http_request_duration_seconds_count\{route="service",service="aibl-order-sign",method="POST",status="200"\} 1/,
    );
    expect(text).toMatch(
      /aibl_cards_issued_total\{service="aibl-order-sign",topic="baseline-dxa",indicator="warning"\} 1/,
    );
    expect(text).toContain('# TYPE aibl_fhir_errors_total counter');
    expect(text).toContain('# TYPE aibl_auth_failures_total counter');
  });

  it('keeps a registry per app', async () => {
    const a = testApp();
    const b = testApp();
    await request(a.app).get('/cds-services');
    const text = await b.metrics.registry.metrics();
    expect(text).not.toContain('route="discovery"');
  });
});

describe('CORS and security headers', () => {
  const preflight = (app: Parameters<typeof request>[0], origin: string) =>
    request(app)
      .options('/cds-services/aibl-order-sign')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');

  it('answers a browser preflight from any origin outside production', async () => {
    const t = testApp({ config: { corsOrigins: ['*'] } });
    const res = await preflight(t.app, 'https://sandbox.cds-hooks.org');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe('GET,POST,OPTIONS');
    expect(res.headers['access-control-allow-headers']).toBe('Authorization,Content-Type,Accept');
    const get = await request(t.app).get('/cds-services').set('Origin', 'https://sandbox.cds-hooks.org');
    expect(get.headers['access-control-allow-origin']).toBe('*');
  });

  it('allows only configured origins', async () => {
    const t = testApp({ config: { corsOrigins: ['https://sandbox.cds-hooks.org'] } });
    const ok = await preflight(t.app, 'https://sandbox.cds-hooks.org');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://sandbox.cds-hooks.org');
    expect(ok.headers.vary).toContain('Origin');
    const other = await preflight(t.app, 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers when no origin is configured (production default)', async () => {
    const t = testApp({ config: { corsOrigins: [] } });
    const res = await preflight(t.app, 'https://sandbox.cds-hooks.org');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('sets helmet headers, hides x-powered-by, and tags every answer with a request id', async () => {
    const t = testApp();
    const res = await request(t.app).get('/cds-services');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await request(t.app).get('/healthz').set('X-Request-Id', 'ehr-req-42');
    expect(echoed.headers['x-request-id']).toBe('ehr-req-42');
    const unsafe = await request(t.app).get('/healthz').set('X-Request-Id', 'bad id\twith spaces');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
