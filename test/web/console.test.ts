/**
 * The console end to end: the real app (createApp) with a real SQLite feedback store and an
 * analytics token, on loopback, driven in headless Chromium.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createAuthenticator } from '../../src/auth/create-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { SqliteFeedbackStore } from '../../src/store/sqlite-store.js';
import { makeKey } from '../auth/support.js';
import { example, testApp } from '../http/support/app.js';
import { collectingLogger } from '../store/support/logger.js';
import { artifactsDir, axeViolations, launchBrowser, seriousOrCritical } from '../support/browser.js';

// The pages `npm run build:web` wrote (npm test builds them first).
const webDir = fileURLToPath(new URL('../../dist/web', import.meta.url));
const TOKEN = 'console-e2e-analytics-token-0123456789';

/** One patient's resources as a Bundle: the data of examples/order-sign.json (70, smoker, no DXA). */
function noDxaBundle(): Record<string, unknown> {
  const body = example('order-sign');
  const resources: unknown[] = [];
  for (const value of Object.values(body.prefetch) as any[]) {
    if (value?.resourceType === 'Bundle') resources.push(...(value.entry ?? []).map((e: any) => e.resource));
    else if (value) resources.push(value);
  }
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}

// A browser on a shared, busy machine: each test gets two minutes.
jest.setTimeout(120_000);

describe('the console in headless Chromium', () => {
  let dataDir: string;
  let store: SqliteFeedbackStore;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aibl-console-e2e-'));
    store = new SqliteFeedbackStore({ dataDir, logger: collectingLogger(), cardQueue: { flushIntervalMs: 20 } });
    const { app } = testApp({ feedbackStore: store, analyticsToken: TOKEN, web: { dir: webDir }, console: {} });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server.close(r));
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Waits until the preview's alert says this (each step starts by clearing it). */
  async function previewAlert(pattern: RegExp): Promise<void> {
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.getElementById('preview-error')?.textContent ?? ''),
      pattern.source,
    );
  }

  async function previewPasted(text: string): Promise<void> {
    await page.selectOption('#patient-source', 'custom');
    // A multi-megabyte paste is set directly: typing it would take minutes.
    await page.locator('#input-text').evaluate((t, v) => {
      (t as HTMLTextAreaElement).value = v;
    }, text);
    await page.click('#preview-form button[type="submit"]');
  }

  it('previews a patient without DXA, takes an accept and an override, and counts both on the dashboard', async () => {
    await page.goto(`${base}/console/`);
    await page.waitForSelector('#app[data-ready="true"]');

    // The demo patient who has never had a DXA; choosing her also chooses her order's drug.
    await page.selectOption('#patient-source', 'demo-no-dxa');
    await expect(page.locator('#drug').inputValue()).resolves.toBe('anastrozole');
    await page.selectOption('#hook', 'order-sign');
    await page.click('#preview-form button[type="submit"]');
    const dxa = page.locator('article.card[data-topic="baseline-dxa"]');
    await dxa.waitFor();
    // Severity as icon + text, not colour alone; detail rendered from Markdown; the resource a suggestion creates.
    await expect(dxa.locator('.indicator').innerText()).resolves.toMatch(/Warning|Critical|Info/);
    expect(await dxa.locator('.indicator svg').count()).toBe(1);
    expect(await dxa.locator('.detail').innerHTML()).toMatch(/<(p|ul|strong)/);
    await dxa.locator('.suggestion details summary').first().click();
    expect(JSON.parse(await dxa.locator('.suggestion pre').first().innerText())).toMatchObject({
      resourceType: 'ServiceRequest',
    });
    const calcium = page.locator('article.card[data-topic="calcium-vitamin-d"]');
    await calcium.waitFor();

    await page.screenshot({ path: join(artifactsDir(), 'console-preview.png'), fullPage: true });
    expect(seriousOrCritical(await axeViolations(page))).toEqual([]);

    // By keyboard: from the resource view, Shift+Tab reaches the suggestion's button and Enter accepts it.
    await dxa.locator('.suggestion details summary').first().focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^Accept: /);
    await page.keyboard.press('Enter');
    await dxa.locator('.outcome', { hasText: 'feedback stored' }).waitFor();
    await expect(dxa.locator('.outcome').innerText()).resolves.toMatch(/Accepted .*feedback stored/);

    const reasonSelect = calcium.locator('select');
    const reason = await reasonSelect.locator('option').nth(1).innerText();
    await reasonSelect.selectOption({ index: 1 });
    await calcium.locator('button', { hasText: 'Override' }).click();
    await calcium.locator('.outcome', { hasText: 'feedback stored' }).waitFor();

    // The feedback reached the real store through the service's feedback endpoint.
    const stored = await store.summary({});
    expect(stored.find((t) => t.topic === 'baseline-dxa')).toMatchObject({ accepted: 1 });
    expect(stored.find((t) => t.topic === 'calcium-vitamin-d')).toMatchObject({ overridden: 1 });

    await page.click('nav a[data-section="dashboard"]');
    await page.fill('#token', TOKEN);
    await page.click('#dashboard-form button[type="submit"]');
    const topics = page.locator('table', { has: page.locator('caption', { hasText: 'Cards by topic' }) });
    await topics.waitFor();
    const row = async (topic: string) =>
      (await topics.locator('tbody tr', { has: page.locator(`th:text-is("${topic}")`) }).innerText()).split('\t');
    expect(await row('baseline-dxa')).toEqual(['baseline-dxa', 'aibl-order-sign', '1', '1', '0', '100 %', '0 %']);
    expect(await row('calcium-vitamin-d')).toEqual([
      'calcium-vitamin-d',
      'aibl-order-sign',
      '1',
      '0',
      '1',
      '0 %',
      '100 %',
    ]);
    const reasons = page.locator('table', { has: page.locator('caption', { hasText: 'Top override reasons' }) });
    expect(await reasons.locator('tbody tr').first().innerText()).toBe(`${reason}\tcalcium-vitamin-d\t1`);
    await page.waitForSelector('.chart-box canvas');
    expect(await page.locator('.chart-box canvas').evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(0);

    await page.screenshot({ path: join(artifactsDir(), 'console-dashboard.png'), fullPage: true });
    expect(seriousOrCritical(await axeViolations(page))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("previews a pasted Bundle for each hook, its resources laid out as the service's prefetch", async () => {
    await page.goto(`${base}/console/`);
    await page.waitForSelector('#app[data-ready="true"]');
    // patient-view sees a patient already on the drug: a follow-up DXA rather than a baseline one.
    for (const [hook, drug, service, dxaTopic] of [
      ['order-select', 'letrozole', 'aibl-order-select', 'baseline-dxa'],
      ['patient-view', 'exemestane', 'aibl-patient-view', 'dxa-follow-up'],
    ] as const) {
      await page.selectOption('#hook', hook);
      await page.selectOption('#drug', drug);
      await previewPasted(JSON.stringify(noDxaBundle()));
      await page.waitForFunction(
        (id) => (document.getElementById('preview-status')?.textContent ?? '').includes(`from ${id}`),
        service,
      );
      // examples/order-sign.json's patient: 70, a smoker, never a DXA.
      expect(
        await page.locator('article.card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-topic'))),
      ).toEqual(expect.arrayContaining([dxaTopic, 'bone-agent', 'calcium-vitamin-d']));
      const sent = JSON.parse((await page.locator('#request-json').textContent()) ?? '');
      expect(sent.hook).toBe(hook);
      expect(sent.prefetch.dxa).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });
      expect(sent.prefetch.labs.total).toBeGreaterThan(0);
      const drugCode =
        hook === 'patient-view'
          ? sent.prefetch.medicationRequests.entry[0].resource
          : sent.context.draftOrders.entry[0].resource;
      expect(drugCode.medicationCodeableConcept.coding[0]).toMatchObject({
        system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
        code: drug === 'letrozole' ? '200064' : '310261',
      });
    }
  });

  it('explains bad input instead of showing a blank page', async () => {
    await page.goto(`${base}/console/#preview`);
    await page.waitForSelector('#app[data-ready="true"]');

    await previewPasted('{"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]');
    await previewAlert(/This is not JSON/);

    await previewPasted(JSON.stringify({ resourceType: 'Bundle', entry: [{ fullUrl: 'x', resource: { id: 'p' } }] }));
    await previewAlert(/Bundle\.entry\[0\] has no resource with a resourceType: this is not a FHIR Bundle/);

    await previewPasted(JSON.stringify({ resourceType: 'Patient', id: 'p1' }));
    await previewAlert(/This is a FHIR Patient, not a Bundle/);

    await previewPasted(
      JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Observation' } }] }),
    );
    await previewAlert(/holds no Patient/);

    // A 5 MB paste, as the browser delivers it to the text box.
    await page.locator('#input-text').evaluate(
      (t, size) => {
        const data = new DataTransfer();
        data.setData('text/plain', `{"resourceType":"Bundle","entry":[],"padding":"${'x'.repeat(size)}"}`);
        t.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      },
      5 * 1024 * 1024,
    );
    await previewAlert(/The pasted text was not taken\. The input is 5\.0 MB; the console takes up to 2\.0 MB/);

    await page.setInputFiles('#input-file', {
      name: 'big.json',
      mimeType: 'application/json',
      buffer: Buffer.alloc(5 * 1024 * 1024, 32),
    });
    await previewAlert(/big\.json: The input is 5\.0 MB/);

    // The service's own 400, with the member it names.
    const invalid = example('order-sign');
    delete invalid.context.patientId;
    await previewPasted(JSON.stringify(invalid));
    await previewAlert(/refused the request as invalid \(400\)[\s\S]*context\.patientId/);

    // Required data neither prefetched nor fetchable: the service's 412.
    const noData = example('order-sign');
    noData.prefetch = { patient: noData.prefetch.patient };
    await previewPasted(JSON.stringify(noData));
    await previewAlert(/could not obtain the patient data it requires \(412\)/);
    expect(await page.locator('article.card').count()).toBe(0);
    expect(await page.locator('#preview-heading').isVisible()).toBe(true);
  });

  it('says why the dashboard is empty when the token is wrong', async () => {
    await page.goto(`${base}/console/#dashboard`);
    await page.waitForSelector('#app[data-ready="true"]');
    await page.fill('#token', 'not-the-token');
    await page.click('#dashboard-form button[type="submit"]');
    await page.waitForFunction(() => (document.getElementById('dashboard-error')?.textContent ?? '') !== '');
    await expect(page.locator('#dashboard-error').innerText()).resolves.toMatch(/analytics token was refused \(401\)/);
  });

  it('says plainly when the service wants client JWTs and when analytics is off', async () => {
    const key = await makeKey('ES384');
    const authenticator = createAuthenticator({
      clients: [
        {
          iss: 'https://ehr.test.example',
          jwks: { keys: [key.publicJwk] },
          fhirServers: ['https://ehr.test.example/fhir'],
        },
      ],
      replayStore: new MemoryReplayStore(),
    });
    // Trusted clients configured and no ANALYTICS_TOKEN: what a production-like service looks like from the console.
    const { app } = testApp({ authenticator, web: { dir: webDir }, console: {} });
    const locked = app.listen(0, '127.0.0.1');
    await new Promise((r) => locked.once('listening', r));
    try {
      const lockedBase = `http://127.0.0.1:${(locked.address() as AddressInfo).port}`;
      await page.goto(`${lockedBase}/console/`);
      await page.waitForSelector('#app[data-ready="true"]');
      await page.selectOption('#patient-source', 'demo-no-dxa');
      await page.click('#preview-form button[type="submit"]');
      await previewAlert(/asks for a signed client JWT \(401\)[\s\S]*works while the service runs in development mode/);
      expect(await page.locator('article.card').count()).toBe(0);

      await page.click('nav a[data-section="dashboard"]');
      await page.click('#dashboard-form button[type="submit"]');
      await page.waitForFunction(() =>
        /Analytics is off/.test(document.getElementById('dashboard-error')?.textContent ?? ''),
      );
      await expect(page.locator('#dashboard-error').innerText()).resolves.toMatch(
        /exists only when the service is started with ANALYTICS_TOKEN/,
      );
    } finally {
      await new Promise((r) => locked.close(r));
    }
  });
});
