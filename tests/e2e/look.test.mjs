// The site's look (issue 10): what every page weighs and where it fetches
// from, the header in the European Commission's family of sites, and the
// projects page's filter box, in headless Chromium.
//
//   - every published page's HTML plus the stylesheets it links is under
//     BUDGET bytes, and no page requests anything from another origin;
//   - the header names the parent site and the group on every page, shows a
//     logo only when config.yaml sets one, and never scrolls sideways at 320 px;
//   - the focus is visible, and motion stops when the reader asks for less;
//   - the projects page: with JavaScript a box narrows the list as a person
//     types and a live region says how many are left; without JavaScript the
//     box is not there and the whole list is.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, buildSite, cleanup, isLocal, launchBrowser, linksOf, listFiles, publishedBuild, siteConfig, startStatic, tempDir } from './support.mjs';

/** HTML plus CSS of one page, in bytes: what a first visit downloads to read it. */
const BUDGET = 30_000;

let site;
let server;
let browser;
let pages; // paths like /projects/ of every HTML page of the published build

before(async () => {
  site = publishedBuild();
  server = await startStatic(site);
  browser = await launchBrowser();
  pages = listFiles(site)
    .filter((f) => f.endsWith('.html'))
    .map((f) => (f === 'index.html' ? '/' : f.endsWith('/index.html') ? `/${f.slice(0, -'index.html'.length)}` : `/${f}`));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The file a site path is served from. */
const fileOf = (path) => join(site, path.endsWith('/') ? `${path}index.html` : path);

test('every page, its HTML and CSS together, is under the size budget', () => {
  assert.ok(pages.length >= 10, `only ${pages.length} pages in the build`);
  const sizes = pages.map((path) => {
    const html = readFileSync(fileOf(path), 'utf8');
    const css = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]*>/g)].map((m) => linksOf(m[0])[0]);
    assert.ok(css.length >= 1, `${path} links no stylesheet`);
    const bytes = Buffer.byteLength(html) + css.reduce((n, href) => n + statSync(fileOf(href)).size, 0);
    return { path, bytes };
  });
  const over = sizes.filter((s) => s.bytes >= BUDGET);
  assert.deepEqual(over, [], `pages at or over ${BUDGET} bytes of HTML+CSS`);
  const biggest = sizes.sort((a, b) => b.bytes - a.bytes)[0];
  console.log(`# heaviest page: ${biggest.path}, ${biggest.bytes} bytes of HTML+CSS (budget ${BUDGET})`);
});

test('no page requests anything from another origin, and none scrolls sideways at 320 px', async () => {
  const ctx = await browser.newContext({ viewport: { width: 320, height: 800 } });
  const foreign = [];
  const failed = [];
  ctx.on('request', (r) => {
    if (!isLocal(r.url())) foreign.push(r.url());
  });
  // Nothing may leave the machine, even if a page asked.
  await ctx.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort()));
  const wide = [];
  const page = await ctx.newPage();
  // ERR_ABORTED: the next page was opened before the icon came; not a failure of the site.
  page.on('requestfailed', (r) => r.failure()?.errorText !== 'net::ERR_ABORTED' && failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  for (const path of pages) {
    await page.goto(server.base + path, { waitUntil: 'load' });
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    if (scroll > client) wide.push(`${path}: ${scroll} px wide in a ${client} px window`);
  }
  await ctx.close();
  assert.deepEqual(foreign, [], 'requests to another origin');
  assert.deepEqual(failed, [], 'requests that failed');
  assert.deepEqual(wide, [], 'pages that scroll sideways at 320 px');
});

test('the header names the Smart Cities Marketplace and the group on every page, with no logo unless set', () => {
  const config = siteConfig();
  assert.equal(config.parent_site, 'Smart Cities Marketplace');
  for (const path of pages) {
    const html = readFileSync(fileOf(path), 'utf8');
    const header = html.match(/<header class="site-header">([\s\S]*?)<\/header>/)?.[1];
    assert.ok(header, `${path} has no site header`);
    assert.match(header, /<span class="brand-parent">Smart Cities Marketplace<\/span>/, path);
    assert.match(header, new RegExp(`<span class="brand-title">${config.title}</span>`), path);
    assert.doesNotMatch(header, /<img/, `${path}: a logo although config.yaml sets none`);
    assert.match(html, /<a class="skip" href="#main">/, `${path}: no skip link`);
  }
});

test('a logo set in config.yaml is shown in the header, from the site itself, with its text and size', () => {
  const root = tempDir('look-logo');
  try {
    cpSync(join(REPO, 'content'), join(root, 'content'), { recursive: true });
    cpSync(join(REPO, 'templates'), join(root, 'templates'), { recursive: true });
    appendFileSync(join(root, 'content', 'config.yaml'), 'logo:\n  src: /favicon.svg\n  alt: The test logo\n  width: 48\n  height: 48\n');
    const out = buildSite(join(root, 'out'), ['--root', root]);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const header = html.match(/<header class="site-header">([\s\S]*?)<\/header>/)[1];
    assert.match(header, /<a class="brand" href="\/"><img src="\/favicon.svg" alt="The test logo" width="48" height="48">/);
    // A logo from another site is refused, naming the file and the setting.
    const config = join(root, 'content', 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('src: /favicon.svg', 'src: https://example.org/logo.svg'));
    assert.throws(() => buildSite(join(root, 'out2'), ['--root', root]), /config\.yaml[\s\S]*logo: src must be a path on this site/);
  } finally {
    cleanup(root);
  }
});

test('the focus is visible, and smooth scrolling stops when the reader asks for less motion', async () => {
  for (const motion of ['no-preference', 'reduce']) {
    const ctx = await browser.newContext({ reducedMotion: motion });
    const page = await ctx.newPage();
    await page.goto(`${server.base}/`);
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => {
      const a = document.activeElement;
      const s = getComputedStyle(a);
      const r = a.getBoundingClientRect();
      return { text: a.textContent, outline: s.outlineStyle, width: parseFloat(s.outlineWidth), onScreen: r.left >= 0 && r.top >= 0 && r.width > 0 };
    });
    assert.equal(skip.text, 'Skip to main content');
    assert.ok(skip.onScreen, 'the skip link stays off screen when focused');
    assert.equal(skip.outline, 'solid');
    assert.ok(skip.width >= 3, `focus outline ${skip.width}px`);
    const behaviour = await page.evaluate(() => getComputedStyle(document.documentElement).scrollBehavior);
    assert.equal(behaviour, motion === 'reduce' ? 'auto' : 'smooth', `scroll-behavior with prefers-reduced-motion: ${motion}`);
    await ctx.close();
  }
});

// --- the projects page's filter ---------------------------------------------

const visible = (page, sel) => page.locator(sel).evaluateAll((els) => els.filter((e) => e.offsetParent !== null).map((e) => e.textContent.trim()));

test('projects without JavaScript: no filter box, the whole list', async () => {
  const html = readFileSync(fileOf('/projects/'), 'utf8');
  const cities = [...html.matchAll(/<ul class="cities">([\s\S]*?)<\/ul>/g)].reduce((n, m) => n + (m[1].match(/<li>/g) || []).length, 0);
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`${server.base}/projects/`);
  assert.equal(await page.locator('#find-q').isVisible(), false, 'the filter box shows although it cannot work');
  assert.equal((await visible(page, '.project')).length, (html.match(/<section class="project"/g) || []).length);
  assert.equal((await visible(page, '.cities li')).length, cities);
  assert.ok(cities > 50, `only ${cities} cities listed`);
  assert.doesNotMatch(await page.locator('main').innerText(), /Ctrl\s*\+\s*F/);
  await ctx.close();
});

test('projects with JavaScript: typing a city narrows the list and the count is announced', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${server.base}/projects/`);
  const allProjects = (await visible(page, '.project')).length;
  const allCities = (await visible(page, '.cities li')).length;
  const box = page.getByLabel('Find a city or a project');
  assert.ok(await box.isVisible(), 'no filter box');
  const status = page.getByRole('status');
  assert.match(await status.textContent(), new RegExp(`All ${allProjects} projects are shown`));

  // What the page should keep, worked out from its HTML: Leipzig took part in more than one project.
  const html = readFileSync(fileOf('/projects/'), 'utf8');
  const sections = html.split('<section class="project"').slice(1);
  const withLeipzig = sections.filter((p) => /<li>Leipzig, Germany<\/li>/.test(p)).length;
  assert.ok(withLeipzig >= 1 && withLeipzig < allProjects);

  await box.pressSequentially('leipz', { delay: 20 });
  await page.waitForFunction(() => /match/.test(document.querySelector('#find-count').textContent));
  assert.deepEqual(await visible(page, '.cities li'), Array(withLeipzig).fill('Leipzig, Germany'));
  assert.equal((await visible(page, '.project')).length, withLeipzig);
  const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  assert.equal(await status.textContent(), `${n(withLeipzig, 'city', 'cities')} in ${n(withLeipzig, 'project', 'projects')} ${withLeipzig === 1 ? 'matches' : 'match'} \u201cleipz\u201d.`);
  assert.equal(await status.getAttribute('role'), 'status');
  // The table of contents follows the list.
  assert.equal((await visible(page, '.toc li')).length, withLeipzig);

  // Accents do not count: "tepebasi" finds "Tepebaşı".
  await box.fill('');
  await box.pressSequentially('tepebasi', { delay: 20 });
  await page.waitForFunction(() => /tepebasi/.test(document.querySelector('#find-count').textContent));
  const found = await visible(page, '.cities li');
  assert.ok(found.length >= 1 && found.every((t) => t.startsWith('Tepebaşı')), found.join('; '));

  await box.fill('no such place');
  await page.waitForFunction(() => /No city/.test(document.querySelector('#find-count').textContent));
  assert.equal((await visible(page, '.project')).length, 0);

  await box.fill('');
  await page.waitForFunction(() => /All/.test(document.querySelector('#find-count').textContent));
  assert.equal((await visible(page, '.project')).length, allProjects);
  assert.equal((await visible(page, '.cities li')).length, allCities);
  await ctx.close();
});
