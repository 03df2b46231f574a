import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser } from 'playwright-core';
import { webAssetsRouter, webPageRouter } from '../../src/http/web-assets.js';
import { smartConfigRouter } from '../../src/http/smart-config.js';
import { defaultPolicy } from '../../src/core/index.js';
import { axeViolations, launchBrowser, seriousOrCritical } from '../support/browser.js';

// The pages `npm run build:web` wrote (npm test builds them first).
const dir = fileURLToPath(new URL('../../dist/web', import.meta.url));

describe('the built pages in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use(webAssetsRouter(dir));
    app.use(webPageRouter({ dir, page: 'console' }));
    app.use(smartConfigRouter(undefined, defaultPolicy));
    app.use(webPageRouter({ dir, page: 'smart' }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server.close(r));
  });

  it.each(['/console/', '/smart/', '/smart/launch'])('%s runs its script under the policy', async (path) => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(base + path);
    await page.waitForSelector('#app[data-ready="true"]', { timeout: 10_000 });
    expect(consoleErrors).toEqual([]);
    expect(seriousOrCritical(await axeViolations(page))).toEqual([]);
    await page.close();
  });
});
