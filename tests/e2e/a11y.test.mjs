// Every page in headless Chromium, as a visitor gets it:
//   - no WCAG 2.0/2.1 A or AA violation that axe-core finds;
//   - readable with JavaScript off (the main content is there and visible);
//   - no request leaves this machine (no external fonts, scripts, images);
//   - a typical page's HTML + CSS stays under 30 KB;
//   - no sideways scrolling at 320 px wide, nor at 200% zoom (a 1280 px window
//     zoomed to 200% lays out 640 CSS px), WCAG 1.4.10;
//   - no broken internal link.
// Both the published build (served as the static hosting does) and the local
// preview (`generator serve`, drafts shown) are checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, crawl, isLocal, launchBrowser, publishedBuild, startServe, startStatic } from './support.mjs';

const BUDGET = 30 * 1024;
// Data listings that grow with the data, not typical pages: every SCC project
// with all its cities, meant to be searched with Ctrl-F.
const NOT_TYPICAL = new Set(['/projects/']);

async function checkSite(t, base, label) {
  const { pages, broken } = await crawl(base);
  assert.ok(pages.length >= 8, `${label}: only ${pages.length} pages found by following links from /: ${pages.join(' ')}`);

  const browser = await launchBrowser();
  const violations = [];
  const external = [];
  const noJsProblems = [];
  const sizes = [];
  const sideways = [];
  try {
    const jsOn = await browser.newContext();
    const jsOff = await browser.newContext({ javaScriptEnabled: false });
    for (const ctx of [jsOn, jsOff]) {
      // Anything not on 127.0.0.1 is recorded and never actually sent.
      await ctx.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort()));
    }
    for (const path of pages) {
      const url = base + path;

      // JavaScript on: axe, sizes, requests.
      const page = await jsOn.newPage();
      const css = [];
      page.on('request', (req) => {
        if (!isLocal(req.url())) external.push(`${path}: ${req.resourceType()} ${req.url()}`);
      });
      page.on('response', (res) => {
        if (res.request().resourceType() === 'stylesheet') css.push(res.body().then((b) => b.length, () => 0));
      });
      const resp = await page.goto(url, { waitUntil: 'load' });
      assert.ok(resp, `${label} ${path}: no response`);
      const htmlBytes = (await resp.body()).length;
      const cssBytes = (await Promise.all(css)).reduce((a, b) => a + b, 0);
      sizes.push({ path, htmlBytes, cssBytes });
      const onText = await page.evaluate(() => document.querySelector('main')?.innerText ?? '');
      violations.push(...(await axeViolations(page, path)));
      for (const width of [320, 640]) {
        await page.setViewportSize({ width, height: 800 });
        const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
        if (scroll > client) sideways.push(`${path} at ${width} px: ${scroll} px wide in a ${client} px window`);
      }
      await page.close();

      // JavaScript off: the main content is still there.
      const plain = await jsOff.newPage();
      await plain.goto(url, { waitUntil: 'load' });
      const mains = await plain.locator('main').count();
      if (mains !== 1) {
        noJsProblems.push(`${path}: ${mains} <main> elements`);
      } else {
        const main = plain.locator('main');
        const h1 = plain.locator('h1').first();
        const offText = await main.innerText();
        if (!(await main.isVisible())) noJsProblems.push(`${path}: <main> is not visible`);
        if ((await plain.locator('h1').count()) === 0 || !(await h1.isVisible())) noJsProblems.push(`${path}: no visible <h1>`);
        if (offText.trim().length < 40) noJsProblems.push(`${path}: main content is almost empty without JavaScript (${JSON.stringify(offText.trim())})`);
        else if (offText.length < onText.length * 0.5) {
          noJsProblems.push(`${path}: without JavaScript main shows ${offText.length} characters, with it ${onText.length}`);
        }
      }
      await plain.close();
    }
    await jsOn.close();
    await jsOff.close();
  } finally {
    await browser.close();
  }

  await t.test(`${label}: internal links resolve`, () => {
    assert.deepEqual(broken.map((b) => `${b.from} -> ${b.to}: ${b.status}`), []);
  });
  await t.test(`${label}: no WCAG 2.1 A/AA violation (axe-core) on ${pages.length} pages`, () => {
    assert.equal(violations.length, 0, `${violations.length} violation(s):\n${violations.join('\n')}`);
  });
  await t.test(`${label}: no page scrolls sideways at 320 px or at 200% zoom`, () => {
    assert.deepEqual(sideways, []);
  });
  await t.test(`${label}: every page readable without JavaScript`, () => {
    assert.deepEqual(noJsProblems, []);
  });
  await t.test(`${label}: no request leaves 127.0.0.1`, () => {
    assert.deepEqual(external, []);
  });
  await t.test(`${label}: a typical page's HTML + CSS is under 30 KB`, (tt) => {
    const table = sizes.map((s) => `${s.path} ${s.htmlBytes} + ${s.cssBytes} = ${s.htmlBytes + s.cssBytes}`);
    tt.diagnostic(`bytes (HTML + CSS), uncompressed:\n${table.join('\n')}`);
    const over = sizes.filter((s) => !NOT_TYPICAL.has(s.path) && s.htmlBytes + s.cssBytes >= BUDGET);
    assert.deepEqual(over.map((s) => `${s.path}: ${s.htmlBytes} + ${s.cssBytes} bytes`), []);
  });
}

test('published site in Chromium', { timeout: 600_000 }, async (t) => {
  const server = await startStatic(publishedBuild());
  try {
    await checkSite(t, server.base, 'published');
  } finally {
    await server.stop();
  }
});

test('local preview (generator serve, drafts shown) in Chromium', { timeout: 600_000 }, async (t) => {
  const serve = await startServe();
  try {
    await checkSite(t, serve.base, 'preview');
  } finally {
    await serve.stop();
  }
});
