import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { defaultPolicy, parsePolicy } from '../../src/core/index.js';
import { example, testApp } from './support/app.js';

const smart = {
  clientId: 'bone-view',
  launchUrl: 'https://cds.test.example/smart/launch',
  connectSrc: ['https://fhir.example.org'],
};

describe('the SMART app on the service', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aibl-smart-'));
    mkdirSync(join(dir, 'assets'));
    mkdirSync(join(dir, 'smart'));
    writeFileSync(join(dir, 'smart', 'index.html'), '<!doctype html><title>view</title>');
    writeFileSync(join(dir, 'smart', 'launch.html'), '<!doctype html><title>launch</title>');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the client id and the site policy at /smart/config.json', async () => {
    const policy = parsePolicy({ dxaIntervalMonths: 18 });
    const { app } = testApp({ web: { dir }, smart, policy });
    const res = await request(app).get('/smart/config.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ configured: true, clientId: 'bone-view', policy: JSON.parse(JSON.stringify(policy)) });
  });

  it('says it is not configured without SMART_CLIENT_ID', async () => {
    const { app } = testApp({ web: { dir } });
    await request(app).get('/smart/config.json').expect(200, { configured: false });
  });

  it('lets the view and the launch page fetch from the FHIR and authorization servers, and nothing else', async () => {
    const { app } = testApp({ web: { dir }, smart });
    for (const path of ['/smart/', '/smart/launch']) {
      const res = await request(app).get(path).expect(200);
      expect(res.headers['content-security-policy']).toContain("connect-src 'self' https://fhir.example.org;");
      expect(res.headers['content-security-policy']).toContain("script-src 'self';");
    }
  });

  it('says in discovery that the cards link to the app, only when it is configured', async () => {
    const plain = await request(testApp().app).get('/cds-services').expect(200);
    const linked = await request(testApp({ smart }).app).get('/cds-services').expect(200);
    for (const s of plain.body.services) expect(s.usageRequirements).not.toContain('SMART');
    for (const s of linked.body.services) {
      expect(s.usageRequirements).toContain(`bone-health SMART app (launch URL ${smart.launchUrl})`);
    }
  });

  it('links the cards about the DXA trend to the launch URL when configured', async () => {
    const body = example('patient-view');
    const plain = await request(testApp({ policy: defaultPolicy }).app)
      .post('/cds-services/aibl-patient-view')
      .send(body)
      .expect(200);
    const linked = await request(testApp({ smart }).app).post('/cds-services/aibl-patient-view').send(body).expect(200);
    const smartLinks = (cards: { source: { topic: { code: string } }; links?: { type: string }[] }[]) =>
      cards.map((c) => [c.source.topic.code, (c.links ?? []).filter((l) => l.type === 'smart')]);
    for (const [, links] of smartLinks(plain.body.cards)) expect(links).toEqual([]);
    const withLinks = smartLinks(linked.body.cards);
    expect(withLinks.length).toBeGreaterThan(0);
    for (const [topic, links] of withLinks) {
      const expected = ['baseline-dxa', 'dxa-follow-up', 'bone-agent', 'bmd-decline'].includes(topic as string)
        ? [{ label: 'Open bone health view', url: smart.launchUrl, type: 'smart', appContext: topic }]
        : [];
      expect(links).toEqual(expected);
    }
    expect(withLinks.some(([, links]) => (links as unknown[]).length > 0)).toBe(true);
  });
});

describe('the scopes the README tells an EHR to register', () => {
  it('are the ones the app requests', async () => {
    const { readFileSync } = await import('node:fs');
    const { scopeFor } = await import('../../web/smart/scopes.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`| scopes, EHR launch | \`${scopeFor('ehr')}\` |`);
    expect(scopeFor('standalone')).toBe(scopeFor('ehr').replace(/^launch /, 'launch/patient '));
  });

  it('asks for every resource type the service reads, so the view sees what the cards see', async () => {
    const { PATIENT_SCOPES } = await import('../../web/smart/scopes.js');
    const { DATA_QUERIES } = await import('../../src/fhir/queries.js');
    const types = new Set(Object.values(DATA_QUERIES).map((q) => q.resourceType));
    for (const type of types) {
      expect(PATIENT_SCOPES.some((s) => s === `patient/${type}.rs` || s === `patient/${type}.r`)).toBe(true);
    }
  });
});
