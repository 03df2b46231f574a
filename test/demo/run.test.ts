import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { cardsText } from '../../demo/cards-text.js';
import { startDemo, type RunningDemo } from '../../demo/demo.js';
import { launchBrowser } from '../support/browser.js';

const webDir = fileURLToPath(new URL('../../dist/web', import.meta.url));

let demo: RunningDemo;
let browser: Browser | undefined;
beforeAll(async () => {
  demo = await startDemo({ port: 0, fhirPort: 0, webDir });
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

test('order-sign for each demo patient, read from the FHIR server, gives its expected cards', () => {
  expect(demo.results).toHaveLength(5);
  for (const r of demo.results) {
    expect([r.patient.slug, r.status, r.cards.map((c) => c.source.topic?.code)]).toEqual([
      r.patient.slug,
      200,
      r.patient.expectedTopics,
    ]);
    expect(r.request).not.toHaveProperty('prefetch');
  }
});

test('the service read each chart from the FHIR server, as it does for an EHR without prefetch', () => {
  for (const r of demo.results) {
    const asked = demo.fhir.requests.filter(
      (q) => q.resourceType === 'Observation' && q.query.get('patient') === r.patient.slug,
    );
    expect(asked.length).toBeGreaterThan(0);
  }
  // The Synthea patients are there too, for trying by hand.
  expect(Object.keys(demo.fhir.patients)).toHaveLength(6);
});

test('the printed cards are plain text with the key facts and suggestions', () => {
  const text = demo.results.map((r) => cardsText(r.patient.slug, r.cards)).join('\n');
  expect(text).toContain('[CRITICAL] bone-agent: T-score −2.7 at total hip');
  expect(text).toContain('· eGFR: 30 mL/min/1.73 m², ');
  expect(text).toContain('· Present: smoking, current or former — Smoker (finding)');
  expect(text).toContain('→ Denosumab 60 mg SC every 6 months (recommended)');
  expect(text).toMatch(/\[WARNING\] bmd-decline: BMD down 6.0 %\/yr at lumbar spine/);
  expect(text).not.toMatch(/\\\[|\*\*|Observation\//);
  // Provenance is cut whole: no line is left with an unmatched parenthesis.
  const unbalanced = text.split('\n').filter((l) => (l.match(/\(/g) ?? []).length !== (l.match(/\)/g) ?? []).length);
  expect(unbalanced).toEqual([]);
});

test('the SMART launch URL is an EHR launch at the service, with the authorization server as iss', async () => {
  const url = new URL(demo.smartLaunchUrl);
  expect(`${url.origin}${url.pathname}`).toBe(`${demo.serviceUrl}/smart/launch`);
  expect(url.searchParams.get('iss')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
  expect(url.searchParams.get('iss')).not.toBe(demo.fhir.baseUrl);
  expect(url.searchParams.get('launch')).toBeTruthy();

  const res = await fetch(demo.smartLaunchUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await res.text()).toMatch(/<html/i);
});

test('opening the launch URL in a browser shows the BMD trend of demo-bmd-decline', async () => {
  browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(demo.smartLaunchUrl);
  await page.waitForURL(`${demo.serviceUrl}/smart/**`);
  await page.waitForSelector('#app[data-ready="true"][data-state]', { timeout: 20_000 });
  expect(await page.getAttribute('#app', 'data-state')).toBe('ready');
  const rows = await page.$$eval('#dxa-table tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')),
  );
  // demo/patients/bmd-decline.ts: lumbar spine 1.000 g/cm² (T −1.1), then 0.910 (T −1.9) 18 months later.
  expect(rows.map((r) => r.slice(1, 4))).toEqual([
    ['lumbar spine', '−1.1', '1.000'],
    ['lumbar spine', '−1.9', '0.910'],
  ]);
  expect(rows[1]?.[4]).toMatch(/^−6\.0 %\/yr since \d{4}-\d{2}-\d{2}$/);
  expect(await page.$('#bmd-chart')).not.toBeNull();
}, 60_000);
