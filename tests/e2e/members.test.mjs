// The members' area, in Chromium, on the preview (generator serve, the
// embedded store, the outbox) at its localhost address: an approved
// representative with a counted claim signs in by emailed link, sees their
// city's usage and their claim on their page, lists themself in the
// directory, and the directory shows the members who opted in and nobody
// else. At 390 px with JavaScript off and at 1280 px with JavaScript on.
// Every page seen is checked with axe-core (JavaScript on), at 320 px for
// sideways scrolling, and through the Nu HTML Checker.
//
// Screenshots (my page and the directory, the top of the page) go to
// target/e2e-screenshots/members-*.png, and also to docs/screenshots with
// CCG_UPDATE_SCREENSHOTS=1 (or the folder CCG_README_SHOTS names).
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary
// (without it this skips: a representative is approved with `desk approve`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, cleanup, launchBrowser, sccCities, startServe, tempDir, vnuErrors } from './support.mjs';
import { previewKit } from './preview.mjs';
import { signInLink } from './passkeys.mjs';

const SHOTS = resolve(process.env.CCG_SCREENSHOTS || join(REPO, 'target', 'e2e-screenshots'));
const README_SHOTS = process.env.CCG_README_SHOTS
  ? resolve(REPO, process.env.CCG_README_SHOTS)
  : process.env.CCG_UPDATE_SCREENSHOTS === '1'
    ? join(REPO, 'docs', 'screenshots')
    : null;
const README_SHOT_MAX = 150 * 1024;
const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: representatives are approved with the desk';

let serve;
let browser;
let dataDir;
let kit;
let site; // http://localhost:PORT
const seen = new Map(); // file -> page name, for the Nu checker
let htmlDir;

before(async () => {
  if (!DESK) return;
  mkdirSync(SHOTS, { recursive: true });
  if (README_SHOTS) mkdirSync(README_SHOTS, { recursive: true });
  dataDir = tempDir('members-data');
  htmlDir = tempDir('members-html');
  serve = await startServe({ dataDir });
  site = serve.base.replace('127.0.0.1', 'localhost');
  kit = previewKit({ serve, dataDir, deskBin: DESK, operator: 'E2E Members' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
  if (htmlDir) cleanup(htmlDir);
});

async function newContext(js, width) {
  const ctx = await browser.newContext({ javaScriptEnabled: js, viewport: { width, height: 844 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
  return ctx;
}

/** Checks the page as it stands: no sideways scrolling at 320 px, axe-core (JavaScript on), and keeps its HTML for the Nu checker. */
async function check(page, name, js) {
  const html = await page.content();
  const file = join(htmlDir, `${seen.size}.html`);
  writeFileSync(file, html);
  seen.set(file, name);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 320, `${name}: scrolls sideways at 320 px (${wide} px)`);
  await page.setViewportSize(size);
  if (js) assert.deepEqual(await axeViolations(page, name), [], `axe-core on ${name}`);
}

/** The top of the page at its width, as members-NAME-WIDTH.png. */
async function shoot(page, name) {
  const { width } = page.viewportSize();
  const png = await page.screenshot();
  writeFileSync(join(SHOTS, `members-${name}-${width}.png`), png);
  if (README_SHOTS) {
    assert.ok(png.length < README_SHOT_MAX, `members-${name}-${width}.png is ${png.length} bytes, more than ${README_SHOT_MAX}`);
    writeFileSync(join(README_SHOTS, `members-${name}-${width}.png`), png);
  }
}

/** A confirmed member named `name`, who ticked "List me in the members' directory" on the join form. */
async function listedMember(who, name, city) {
  const email = `${who}.${Date.now().toString(36)}@example.org`;
  let r = await kit.jsonPost('register', {
    name, email, city: city.name, country: city.country, organisation: `City of ${city.name}`, position: 'Officer',
    city_status: city.role, project: '', listed: 'yes', consent: 'yes', website: '',
  });
  assert.equal(r.status, 202, r.text);
  r = await kit.jsonPost('register/confirm', { token: decodeURIComponent(kit.newestLink(email, 'register').split('token=')[1]) });
  assert.equal(r.status, 200, r.text);
  return email;
}

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const [width, js] of [[390, false], [1280, true]]) {
  test(`a member signs in, sees their city's usage and claims, opts in to the directory, which shows the opted-in only (${width} px, JavaScript ${js ? 'on' : 'off'})`, { skip: NO_DESK, timeout: 240_000 }, async () => {
    const meeting = await kit.openMeeting();
    assert.ok(meeting, 'the claim form offers no meeting');
    const rita = `Rita Rep ${width}`;
    const claim = await kit.countedClaim(`rita${width}`, meeting, rita);
    const other = sccCities().at(-1);
    const lena = `Lena Listed ${width}`;
    await listedMember(`lena${width}`, lena, other);
    const quentin = `Quentin Quiet ${width}`;
    await kit.member(`quentin${width}`, other, quentin);

    const ctx = await newContext(js, width);
    const page = await ctx.newPage();
    // Signed out, the members' area sends to the sign-in page and shows nobody.
    await page.goto(`${site}/members/directory/`);
    assert.equal(new URL(page.url()).pathname, '/sign-in/');
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(esc(lena)));

    await page.getByLabel('Email address').fill(claim.email);
    await Promise.all([page.waitForURL(/\/sign-in\/sent\/$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
    await page.goto(signInLink(kit, claim.email));
    await Promise.all([page.waitForURL(`${site}/members/`), page.getByRole('button', { name: 'Sign in' }).click()]);

    // My page: my city's year in the desk's words, my claim with its meeting and state.
    let text = await page.locator('main').innerText();
    assert.match(text, /My page/);
    assert.match(text, new RegExp(esc(rita)));
    assert.match(text, new RegExp(`the representative of ${esc(claim.city.name)}`));
    const year = meeting.start.slice(0, 4);
    assert.match(text, new RegExp(`1 of \\d+ trips and 200 EUR of [\\d,.]+ EUR used in ${year}; \\d+ trips? and [\\d,.]+ EUR left\\.`), text);
    assert.match(text, new RegExp(esc(claim.reference)));
    assert.match(text, /Confirmed and counted/);
    assert.ok(await page.getByRole('link', { name: `Withdraw this claim (${claim.reference})` }).isVisible(), 'no way to withdraw the claim');
    assert.match(text, /You are not listed in the members.? directory/);
    await check(page, `my page (${width} px)`, js);
    await shoot(page, 'home');

    // Listed, from my page.
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'List me in the directory' }).click()]);
    text = await page.locator('main').innerText();
    assert.match(text, /You are listed in the members.? directory/);
    await check(page, `my page, listed (${width} px)`, js);

    // The directory: those who opted in (Lena at joining, Rita just now), not Quentin.
    await page.goto(`${site}/members/directory/`);
    text = await page.locator('main').innerText();
    assert.match(text, new RegExp(esc(lena)));
    assert.match(text, new RegExp(esc(rita)));
    assert.doesNotMatch(text, new RegExp(esc(quentin)));
    assert.doesNotMatch(text, /@example\.org/, 'the directory shows no address (not in directory.fields)');
    await check(page, `directory (${width} px)`, js);
    await shoot(page, 'directory');

    // Searched by country: Lena's, then nobody of Rita's unless they share it.
    await page.getByLabel('Country').selectOption(other.country);
    await Promise.all([page.waitForURL(/country=/), page.getByRole('button', { name: 'Search' }).click()]);
    text = await page.locator('main').innerText();
    assert.match(text, new RegExp(esc(lena)));
    if (claim.city.country !== other.country) assert.doesNotMatch(text, new RegExp(esc(rita)));
    await check(page, `directory by country (${width} px)`, js);
    await ctx.close();
  });
}

test("the members' pages are valid HTML (Nu HTML Checker)", { skip: NO_DESK, timeout: 120_000 }, () => {
  assert.ok(seen.size > 0, 'no page was kept');
  assert.deepEqual(vnuErrors(seen), []);
});
