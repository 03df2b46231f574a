/**
 * The bone-health view in headless Chromium, launched for real: the EHR launch (iss + launch) and
 * the standalone launch go through fhirclient, a loopback SMART authorization server (PKCE S256
 * checked) and the loopback FHIR server behind a scope-enforcing wrapper. Screenshots go to
 * test-artifacts/.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, axeViolations, launchBrowser, seriousOrCritical } from '../support/browser.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { startSmartAuthServer, type SmartAuthServer } from '../support/smart-auth-server.js';
import { testApp } from '../http/support/app.js';
import { noDxaPatient, testosteroneManPatient, threeDxaPatient } from './support/smart-patients.js';
import { scopeFor } from '../../web/smart/scopes.js';

const dir = fileURLToPath(new URL('../../dist/web', import.meta.url));
const CLIENT_ID = 'aibl-bone-view-test';

let fhir: TestFhirServer;
let auth: SmartAuthServer;
let browser: Browser;
let server: Server;
let appBase: string;

beforeAll(async () => {
  fhir = await startFhirServer({
    fixtures: [],
    resources: [...threeDxaPatient(), ...noDxaPatient(), ...testosteroneManPatient()],
  });
  // The service and the authorization server each need the other's address: listen first, build after.
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  server = createServer((req, res) => handler(req, res));
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  appBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  auth = await startSmartAuthServer({
    fhirBaseUrl: fhir.baseUrl,
    clientId: CLIENT_ID,
    redirectUri: `${appBase}/smart/`,
    standalonePatient: 'smart-three-dxa',
  });
  const { app } = testApp({
    web: { dir },
    smart: { clientId: CLIENT_ID, launchUrl: `${appBase}/smart/launch`, connectSrc: [auth.origin] },
  });
  handler = app;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await auth?.close();
  await new Promise((r) => server?.close(r));
  await fhir?.close();
});

interface Opened {
  page: Page;
  state: string | undefined;
  /** Requests the page sent to the service (path and method). */
  toService: string[];
  consoleErrors: string[];
}

async function open(url: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const toService: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(appBase)) toService.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.goto(url);
  await page.waitForURL(`${appBase}/smart/**`);
  await page.waitForSelector('#app[data-ready="true"][data-state]', { timeout: 20_000 });
  return { page, state: (await page.getAttribute('#app', 'data-state')) ?? undefined, toService, consoleErrors };
}

function ehrLaunch(patientId: string, options?: Parameters<SmartAuthServer['launch']>[1]): string {
  const launch = auth.launch(patientId, options);
  return `${appBase}/smart/launch?iss=${encodeURIComponent(auth.fhirBaseUrl)}&launch=${encodeURIComponent(launch)}`;
}

async function expectAccessible(page: Page): Promise<void> {
  expect(seriousOrCritical(await axeViolations(page))).toEqual([]);
}

/** The app fetched only its own page, script, style and settings from the service: no patient data. */
function expectNothingSentToService(o: Opened): void {
  for (const r of o.toService) expect(r).toMatch(/^GET \/(smart\/(launch|config\.json)?|assets\/[\w.-]+)$/);
}

describe('EHR launch', () => {
  it('draws the T-score and BMD trend of three DXAs, with the table holding the same values', async () => {
    auth.events.length = 0;
    const o = await open(ehrLaunch('smart-three-dxa', { appContext: 'dxa-follow-up' }));
    const { page } = o;
    expect(o.state).toBe('ready');
    // PKCE was checked by the authorization server, and the token named the patient.
    expect(auth.events).toEqual(expect.arrayContaining(['authorize', 'token', 'token pkce-ok']));
    expect(auth.requestedScopes.at(-1)).toBe(scopeFor('ehr'));

    const rows = await page.$$eval('#dxa-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)),
    );
    expect(rows).toEqual([
      ['2022-02-14', 'lumbar spine', '−1.2', '0.951', '—'],
      ['2022-02-14', 'total hip', '−1.0', '0.861', '—'],
      ['2023-03-20', 'lumbar spine', '−1.6', '0.912', '−3.8 %/yr since 2022-02-14'],
      ['2023-03-20', 'total hip', '−1.3', '0.838', '−2.4 %/yr since 2022-02-14'],
      ['2024-04-22', 'lumbar spine', '−2.1', '0.861', '−5.1 %/yr since 2023-03-20'],
      ['2024-04-22', 'total hip', '−1.7', '0.805', '−3.6 %/yr since 2023-03-20'],
    ]);
    // Both charts were drawn (the canvas holds pixels) and say where their values are in words.
    for (const id of ['#t-chart', '#bmd-chart']) {
      const box = await page.locator(id).boundingBox();
      expect(box?.width).toBeGreaterThan(300);
      expect(box?.height).toBeGreaterThan(150);
      expect(await page.getAttribute(id, 'aria-label')).toMatch(/table below holds the same values/);
    }
    const drawn = await page.$eval('#t-chart', (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
      return inked;
    });
    expect(drawn).toBeGreaterThan(1000);
    await expect(page.textContent('.due')).resolves.toBe('Last DXA 2024-04-22; next DXA due 2026-04-22.');
    await expect(page.textContent('#treatment-h + dl')).resolves.toContain('anastrozole, started 2022-01-10');
    // The recommendations are the service's cards: the follow-up DXA is due, and the view says which card opened it.
    const recs = await page.textContent('section[aria-labelledby="recs-h"]');
    expect(recs).toContain('Follow-up DXA on aromatase inhibitor');
    expect(recs).toContain('(the card this view was opened from)');
    await expect(page.locator('.risks li').count()).resolves.toBe(7);

    // Keyboard: tabbing reaches the table's scroll box.
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.classList.contains('table-wrap') ?? false);
    }
    expect(reached).toBe(true);

    await expectAccessible(page);
    await page.screenshot({ path: join(artifactsDir(), 'smart-trend.png'), fullPage: true });
    expectNothingSentToService(o);
    expect(o.consoleErrors).toEqual([]);
    await page.context().close();
  });

  it('says so when the patient has no DXA yet, and that one is due now', async () => {
    const o = await open(ehrLaunch('smart-no-dxa'));
    const { page } = o;
    expect(o.state).toBe('empty');
    const trend = await page.textContent('section[aria-labelledby="trend-h"]');
    expect(trend).toContain('No DXA on record: a DXA is due now');
    expect(trend).toContain('No DXA results on record for this patient');
    expect(await page.$('#t-chart')).toBeNull();
    await expectAccessible(page);
    await page.screenshot({ path: join(artifactsDir(), 'smart-empty.png'), fullPage: true });
    expectNothingSentToService(o);
    await page.context().close();
  });

  it('explains a query the EHR refused (403) because the scope was not granted', async () => {
    auth.events.length = 0;
    const o = await open(ehrLaunch('smart-three-dxa', { deny: ['patient/Observation.rs'] }));
    const { page } = o;
    expect(o.state).toBe('refused');
    expect(auth.events).toContain('fhir 403 Observation');
    await expect(page.textContent('h2')).resolves.toBe('Access refused');
    const text = await page.textContent('.failure');
    expect(text).toContain('DXA results: refused by the EHR (HTTP 403');
    expect(text).toContain('did not grant this app read access');
    await expect(page.locator('#retry').isVisible()).resolves.toBe(true);
    await expectAccessible(page);
    await page.screenshot({ path: join(artifactsDir(), 'smart-scope.png'), fullPage: true });
    await page.context().close();
  });

  it('lists an optional query that was refused as not checked and shows the rest', async () => {
    const o = await open(ehrLaunch('smart-three-dxa', { deny: ['patient/FamilyMemberHistory.rs'] }));
    expect(o.state).toBe('ready');
    const note = await o.page.textContent('.notice.warning');
    expect(note).toContain('Not checked: family history (refused by the EHR');
    await expect(o.page.locator('#dxa-table tbody tr').count()).resolves.toBe(6);
    await o.page.context().close();
  });

  it('says the FHIR server cannot be reached when it is down', async () => {
    const url = ehrLaunch('smart-three-dxa');
    auth.setFhirDown(true);
    try {
      const o = await open(url);
      expect(o.state).toBe('unavailable');
      await expect(o.page.textContent('h2')).resolves.toBe('FHIR server unavailable');
      await expect(o.page.textContent('.failure')).resolves.toContain('the FHIR server could not be reached');
      await expectAccessible(o.page);
      await o.page.context().close();
    } finally {
      auth.setFhirDown(false);
    }
  });

  it('shows estradiol over time for a man on a testosterone protocol', async () => {
    const o = await open(ehrLaunch('smart-testosterone'));
    expect(o.state).toBe('ready');
    const rows = await o.page.$$eval('section[aria-labelledby="estradiol-h"] tbody tr', (trs) =>
      trs.map((tr) => tr.textContent),
    );
    expect(rows).toEqual(['2025-02-1038', '2025-09-1514']);
    expect(await o.page.$('#e2-chart')).not.toBeNull();
    await expectAccessible(o.page);
    await o.page.context().close();
  });
});

describe('standalone launch', () => {
  it('asks for launch/patient and shows the patient the authorization server chose', async () => {
    const o = await open(`${appBase}/smart/launch?iss=${encodeURIComponent(auth.fhirBaseUrl)}`);
    expect(o.state).toBe('ready');
    expect(auth.requestedScopes.at(-1)).toBe(scopeFor('standalone'));
    await expect(o.page.textContent('.patient')).resolves.toContain('Rosa Delgado');
    await o.page.context().close();
  });
});
