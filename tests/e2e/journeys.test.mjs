// The applicant's journeys of issue 8, as a city official goes through them in
// Chromium, each with JavaScript off and on where it applies:
//
//   join; a claim with real costs over the per-trip limit (600 EUR asks 450);
//   a claim with several mistakes at once; the receipt (and how it prints);
//   no meeting open for claims; the event page's shortcut to the claim form;
//   one journey by keyboard only.
//
// Every state a journey passes through is looked at the same way (`look`):
// no WCAG 2.1 A/AA violation (axe-core), no sideways scrolling at 320 px wide
// nor at 200% zoom (a 1280 px window zoomed to 200% lays out 640 CSS px), and
// screenshots at 390 and 1280 px wide under target/e2e-screenshots/. With
// CCG_UPDATE_SCREENSHOTS=1 the main ones are also written, small, to
// docs/screenshots/ for the README (never otherwise, so a test run leaves the
// tree clean), with home, calendar, an event, both forms and the projects
// page at 390 and 1280 px.
//
// Environment (besides what support.mjs reads):
//   CCG_DESK                  the secretariat's desk binary; without it the
//                             claim journeys (they need an approved representative) skip
//   CCG_SCREENSHOTS           where the screenshots go (default target/e2e-screenshots)
//   CCG_UPDATE_SCREENSHOTS=1  also write the README's screenshots to docs/screenshots/

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, buildSite, cleanup, outboxMails, contentEvents, launchBrowser, normalize, publishedBuild, sccCities, startServe, startStatic, tempDir, travelRules, vnuErrors } from './support.mjs';

const RULES = travelRules();
const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: the claim journeys need the desk to approve a representative';
const SHOTS = resolve(process.env.CCG_SCREENSHOTS || join(REPO, 'target', 'e2e-screenshots'));
const README_SHOTS = process.env.CCG_UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'screenshots') : null;
const README_SHOT_MAX = 120 * 1024;
const MODES = [
  { js: false, label: 'without JavaScript' },
  { js: true, label: 'with JavaScript' },
];

let serve;
let browser;
let dataDir;
let axeCtx; // JavaScript on: axe runs here on pages seen with JavaScript off
const problems = { axe: [], reflow: [] };
const htmlSeen = []; // { name, html } of the server's answers, for the Nu checker at the end

before(async () => {
  dataDir = tempDir('journeys-data');
  serve = await startServe({ dataDir });
  browser = await launchBrowser();
  axeCtx = await browser.newContext();
  mkdirSync(SHOTS, { recursive: true });
  if (README_SHOTS) mkdirSync(README_SHOTS, { recursive: true });
});

after(async () => {
  await axeCtx?.close();
  await browser?.close();
  await serve?.stop();
  cleanup(dataDir);
});

// --- looking at a state ------------------------------------------------------

const bodyText = (page) => page.locator('body').innerText();
const pathOf = (page) => new URL(page.url()).pathname;
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const addr = (who) => `${who}.${uniq()}@example.org`;

/** A context as a visitor has it: JavaScript on or off, nothing leaves 127.0.0.1. */
async function newContext(js) {
  const ctx = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) || route.request().url().startsWith('data:') ? route.continue() : route.abort()));
  return ctx;
}

/** Whether the page scrolls sideways at its current width: the widths that stick out, or []. */
async function sideways(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return [];
    const w = root.clientWidth;
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > w + 0.5 && getComputedStyle(el).position !== 'absolute')
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} (right edge ${Math.round(el.getBoundingClientRect().right)} px of ${w})`);
  });
}

/**
 * Looks at the state `page` is in, named `name`: screenshots at 390 and 1280
 * px, no sideways scrolling at 320 px and at 200% zoom (640 CSS px), and axe.
 * `readme` names the committed screenshot ({ file, clip: selector }) of this state.
 * The page is left at 1280 px wide.
 */
async function look(page, name, { js, readme } = {}) {
  const file = slug(name);
  for (const [width, why] of [
    [320, '320 px wide'],
    [640, '200% zoom of a 1280 px window'],
  ]) {
    await page.setViewportSize({ width, height: 800 });
    const out = await sideways(page);
    if (out.length) problems.reflow.push(`${name}, ${why}: scrolls sideways: ${out.join('; ')}`);
  }
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS, `${file}-${width}.png`), fullPage: true });
    if (width === 390 && readme && README_SHOTS) await readmeShot(page, readme);
  }
  if (js) {
    problems.axe.push(...(await axeViolations(page, name)));
  } else {
    // axe needs JavaScript: the same document again, at its own address, in a context that has it.
    const html = await page.content();
    const p = await axeCtx.newPage();
    await p.route(page.url(), (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await p.goto(page.url());
    problems.axe.push(...(await axeViolations(p, name)));
    await p.close();
  }
}

/** A small PNG of the part of the page `clip` selects, at 390 px, for the README. */
async function readmeShot(page, { file, clip, maxHeight = 1400 }) {
  const box = await page.locator(clip).first().boundingBox();
  assert.ok(box, `${file}: nothing to clip at ${clip}`);
  const path = join(README_SHOTS, file);
  await page.screenshot({ path, scale: 'css', fullPage: true, clip: { x: 0, y: Math.max(0, box.y - 8), width: 390, height: Math.min(box.height + 16, maxHeight) } });
  const size = statSync(path).size;
  assert.ok(size < README_SHOT_MAX, `${path} is ${size} bytes, more than ${README_SHOT_MAX}`);
}

/** Goes to `url` and keeps the answer's HTML for the Nu checker. */
async function open(page, url, name) {
  const resp = await page.goto(url);
  htmlSeen.push({ name, html: await resp.text() });
  return resp;
}

// --- the outbox and the desk -------------------------------------------------

/** Every email the preview sent to `email`, oldest first. */
function mailsTo(email) {
  return outboxMails(dataDir, email);
}

/** The confirmation link in the newest email to `email` for `form` (register, travel-claims). */
function newestLink(email, form) {
  const mail = mailsTo(email).at(-1);
  assert.ok(mail, `no email to ${email}`);
  const m = mail.text.match(new RegExp(`https?://[^\\s"<>]+/api/${form}/confirm\\?token=[^\\s"<>&]+`));
  assert.ok(m, `the newest email to ${email} ("${mail.subject}") has no ${form} link:\n${mail.text}`);
  return m[0];
}

async function jsonPost(path, body) {
  const r = await fetch(`${serve.base}/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

function desk(...args) {
  const res = spawnSync(DESK, ['--sqlite', join(dataDir, 'forms.sqlite3'), '--operator', 'E2E Journeys', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, `desk ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

let citiesLeft;
/** A city that qualifies for `meeting` (lighthouse or fellow of a project ended before it) that no other journey used. */
function takeCity(meeting) {
  const ended = (ym) => new Date(Date.UTC(Number(ym.slice(0, 4)), Number(ym.slice(5, 7)), 0)).toISOString().slice(0, 10) < meeting.start;
  if (!citiesLeft) {
    const seen = new Set();
    citiesLeft = sccCities().filter((c) => {
      const key = `${normalize(c.name)}|${c.country}`;
      if (seen.has(key) || !['lighthouse', 'fellow'].includes(c.role) || !c.projectEnd || !ended(c.projectEnd)) return false;
      seen.add(key);
      return true;
    });
  }
  const c = citiesLeft.shift();
  assert.ok(c, 'ran out of qualifying cities');
  return c;
}

/** An approved representative of a fresh city (registered and confirmed as JSON, approved with the desk). */
async function newRepresentative(who, meeting) {
  const city = takeCity(meeting);
  const email = addr(who);
  const name = `${who[0].toUpperCase()}${who.slice(1)} Traveller`;
  const r = await jsonPost('register', { name, email, city: city.name, country: city.country, organisation: `City of ${city.name}`, position: 'Project officer', city_status: city.role, project: '', consent: 'yes', website: '' });
  assert.equal(r.status, 202, r.text);
  const token = decodeURIComponent(newestLink(email, 'register').split('token=')[1]);
  const c = await jsonPost('register/confirm', { token });
  assert.equal(c.status, 200, c.text);
  assert.match(desk('approve', email, '--city', city.name, '--country', city.country), /approved representative/i);
  return { email, name, city };
}

/** The meeting the claim form offers first (read from the page), or null. */
async function openMeeting() {
  const html = await (await fetch(`${serve.base}/financial-support/`)).text();
  const m = html.match(/name="event" type="radio" value="([^"]+)" required data-travel-from="([\d-]+)" data-travel-until="([\d-]+)"/);
  if (!m) return null;
  const content = contentEvents().find((e) => e.id === m[1]);
  return { id: m[1], from: m[2], until: m[3], title: content.title, start: content.start.slice(0, 10), end: content.end.slice(0, 10) };
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const longDate = (iso) => `${Number(iso.slice(8, 10))} ${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(0, 4)}`;
const eur = (cents) => (cents % 100 === 0 ? `${cents / 100} EUR` : `${(cents / 100).toFixed(2)} EUR`);
const trips = (n) => (n === 1 ? '1 trip' : `${n} trips`);

// --- the forms in the browser ------------------------------------------------

const claimForm = (page) => page.locator('form[action$="/travel-claims"]');
const joinForm = (page) => page.locator('form[action$="/register"]');

/** Fills the claim form: fields by their labels, as a person reads them. */
async function fillClaim(page, { email, meeting, leave, back, transport, accommodation, consent = true }) {
  const form = claimForm(page);
  await form.getByLabel('Email address').fill(email);
  if (meeting) await form.locator(`input[name="event"][value="${meeting}"]`).check();
  await form.getByLabel('Day you leave').fill(leave);
  await form.getByLabel('Day you come back').fill(back);
  await form.getByLabel('Transport').fill(transport);
  await form.getByLabel('Accommodation').fill(accommodation);
  if (consent) await form.getByLabel(/privacy notice/).check();
}

/**
 * Presses the form's button. Without JavaScript: waits for the page the post
 * leads to and returns its response. With it: waits for the script's post and
 * for what it does with the answer (another page, or the form swapped in place).
 */
async function send(page, form, js, name) {
  return sendBy(page, form.locator('button[type="submit"]'), js, name);
}

/**
 * Sends a filled claim form the way a person does: the form, then the "Check
 * your answers" page, where the declaration is ticked and "Send my claim"
 * pressed. Returns the last response (the "check your inbox" page when sent).
 */
async function sendClaim(page, js, name) {
  const check = await send(page, claimForm(page), js, `${name}: check your answers`);
  assert.equal(check.status(), 200, await bodyText(page));
  assert.equal(await page.locator('h1').innerText(), 'Check your answers before sending your claim');
  const form = claimForm(page);
  await form.getByLabel(RULES.declaration).check();
  return sendBy(page, form.getByRole('button', { name: 'Send my claim' }), js, name);
}

/** Presses `button` of a form (what `send` does with the form's own submit button). */
async function sendBy(page, button, js, name) {
  if (!js) {
    const nav = page.waitForNavigation({ waitUntil: 'load' });
    await button.click();
    const resp = await nav;
    htmlSeen.push({ name, html: await resp.text() });
    return resp;
  }
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/'));
  await button.click();
  const resp = await posted;
  assert.equal(resp.request().resourceType(), 'fetch', `${name}: the form was not sent by the script`);
  // Sent: the script follows the server to its page. Mistakes: it swaps the form in place.
  const location = resp.headers().location;
  if (resp.status() === 303 && location) await page.waitForURL(new URL(location, page.url()).href);
  else await page.waitForFunction(() => !document.querySelector('form[aria-busy="true"]'));
  return resp;
}

/** Opens the newest claim link to `email`, checks the confirm page, presses Confirm; returns the receipt's text. */
async function confirmClaim(page, email, js, prefix, checkConfirmPage, readme = null) {
  const link = newestLink(email, 'travel-claims');
  const resp = await open(page, link, `${prefix}: confirm page`);
  assert.equal(resp.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Confirm your travel claim');
  await checkConfirmPage(await bodyText(page));
  await look(page, `${prefix} confirm page`, { js, readme });
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await page.getByRole('button', { name: 'Confirm and send my claim', exact: true }).click();
  const done = await nav;
  htmlSeen.push({ name: `${prefix}: receipt`, html: await done.text() });
  assert.equal(done.status(), 200, await bodyText(page));
  return done;
}

// --- the journeys --------------------------------------------------------------

for (const { js, label } of MODES) {
  test(`join ${label}: the form, "check your inbox", the emailed link, Confirm`, { timeout: 180_000 }, async () => {
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    const email = addr(js ? 'join-js' : 'join');
    await open(page, `${serve.base}/join/`, 'join form');
    assert.equal(await page.locator('h1').innerText(), 'Join the group');
    await look(page, `join form ${label}`, { js, readme: js ? null : { file: 'join-form-390.png', clip: 'form[action$="/register"]' } });
    const form = joinForm(page);
    await form.getByLabel('Full name').fill('Ana Exemplo');
    await form.getByLabel('Email address').fill(email);
    await form.getByLabel('Organisation').fill('City of Valladolid');
    await form.getByLabel('Position').fill('Project officer');
    await form.getByLabel('City you represent').fill('Valladolid');
    await form.getByLabel('Country').selectOption('ES');
    await form.getByLabel('Lighthouse city').check();
    await form.getByLabel(/privacy notice/).check();
    await send(page, form, js, 'join: thanks');
    assert.equal(pathOf(page), '/join/thanks/', await bodyText(page));
    assert.match(await bodyText(page), /check your inbox/i);
    assert.equal(await page.locator('meta[name="robots"]').getAttribute('content'), 'noindex', 'the thanks page can be indexed');
    await look(page, `join thanks ${label}`, { js });

    const resp = await open(page, newestLink(email, 'register'), 'join: confirm page');
    assert.equal(resp.status(), 200);
    assert.match(await page.locator('h1').innerText(), /Confirm your registration/);
    for (const s of ['Ana Exemplo', email, 'Valladolid']) assert.ok((await bodyText(page)).includes(s), `the confirm page does not show ${s}`);
    await look(page, `join confirm page ${label}`, { js });
    const nav = page.waitForNavigation({ waitUntil: 'load' });
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    const done = await nav;
    htmlSeen.push({ name: 'join: confirmed', html: await done.text() });
    assert.equal(done.status(), 200);
    assert.equal(await page.locator('h1').innerText(), 'Registration confirmed');
    assert.equal(await page.locator('header nav[aria-label="Main"]').count(), 1, "the answer is not in the site's layout");
    await look(page, `join confirmed ${label}`, { js });
    await ctx.close();
  });
}

for (const { js, label } of MODES) {
  test(`a claim with real costs over the limit ${label}: 600 EUR of costs ask for 450, the confirm page and the receipt say so`, { skip: NO_DESK, timeout: 180_000 }, async (t) => {
    const meeting = await openMeeting();
    if (!meeting) return t.skip('no meeting takes claims today');
    const rep = await newRepresentative(js ? 'overjs' : 'over', meeting);
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    await open(page, `${serve.base}/financial-support/`, 'claim form');
    await look(page, `claim form ${label}`, { js });
    await fillClaim(page, { email: rep.email, meeting: meeting.id, leave: meeting.start, back: meeting.end, transport: '400', accommodation: '200' });
    const said = await page.locator('#contribution').innerText();
    if (js) {
      // Worked out as the costs are typed.
      assert.ok(said.startsWith('You ask for 450 EUR: your costs are 600 EUR'), said);
      await look(page, `claim form filled in ${label}`, { js });
    } else assert.match(said, /up to 450 EUR for one trip/, said);
    await sendClaim(page, js, 'claim: thanks');
    assert.equal(pathOf(page), '/financial-support/thanks/', await bodyText(page));
    assert.equal(await page.locator('meta[name="robots"]').getAttribute('content'), 'noindex');
    await look(page, `claim thanks ${label}`, { js });

    const max = RULES.maxPerTripCents;
    await confirmClaim(page, rep.email, js, `over the limit ${label}`, (text) => {
      for (const s of [meeting.title, rep.city.name, `${longDate(meeting.start)} to ${longDate(meeting.end)}`]) assert.ok(text.includes(s), `the confirm page does not show ${s}:\n${text}`);
      assert.match(text, /Transport\s+400 EUR/);
      assert.match(text, /Accommodation\s+200 EUR/);
      assert.match(text, /Your costs\s+600 EUR/);
      assert.match(text, new RegExp(`Contribution asked for\\s+${eur(max)} \\(the most paid for one trip\\)`), text);
      const year = meeting.start.slice(0, 4);
      assert.ok(text.includes(`Your city has ${trips(RULES.maxTripsPerYear)} and ${eur(RULES.maxPerYearCents)} left for ${year}: if you confirm now, your contribution is ${eur(max)}.`), text);
    }, js ? null : { file: 'claim-confirm-390.png', clip: 'main' });
    const receipt = await bodyText(page);
    assert.equal(await page.locator('h1').innerText(), 'Claim confirmed');
    assert.match(receipt, /Your costs\s+600 EUR/);
    assert.match(receipt, new RegExp(`Contribution\\s+${eur(max)} \\(the most paid for one trip\\)`), receipt);
    assert.match(receipt, new RegExp(`Your city has left for ${meeting.start.slice(0, 4)}\\s+${trips(RULES.maxTripsPerYear - 1)}, ${eur(RULES.maxPerYearCents - max)}`), receipt);
    await look(page, `claim receipt over the limit ${label}`, { js });
    await ctx.close();
  });
}

for (const { js, label } of MODES) {
  test(`a claim with several mistakes at once ${label}: one summary linking each field, messages by the fields, what was typed kept`, { timeout: 180_000 }, async (t) => {
    const meeting = await openMeeting();
    if (!meeting) return t.skip('no meeting takes claims today');
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    await open(page, `${serve.base}/financial-support/`, 'claim form');
    if (js) await page.evaluate(() => (window.sameDocument = 'still here'));
    const typed = { email: 'ana.example.org', leave: meeting.until, back: meeting.from, transport: 'four hundred', accommodation: '0' };
    await fillClaim(page, { ...typed, meeting: meeting.id, consent: false });
    const resp = await send(page, claimForm(page), js, 'claim with mistakes');
    assert.equal(resp.status(), 422);
    // Each mistake once, in the order of the form.
    const wrong = ['email', 'travel_end', 'transport_eur', 'consent'];
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('role'), 'alert');
    const links = await summary.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent.trim()]));
    assert.deepEqual(links.map(([h]) => h), wrong.map((f) => `#${f}`), JSON.stringify(links));
    assert.ok((await page.title()).startsWith('Error: '), `the title is "${await page.title()}"`);
    for (const [href, text] of links) {
      const f = href.slice(1);
      const message = (await page.locator(`#${f}-error`).innerText()).replace(/\s+/g, ' ').trim();
      assert.equal(message, `Error: ${text}`, `the message by ${f}`);
      assert.equal(await page.locator(`#${f}`).getAttribute('aria-invalid'), 'true', `${f} is not marked invalid`);
      assert.ok((await page.locator(`#${f}`).getAttribute('aria-describedby')).split(' ').includes(`${f}-error`), `${f} is not described by its message`);
    }
    assert.match(await page.locator('#travel_end-error').innerText(), /before the day you leave/);
    // What was typed is still there.
    const kept = await claimForm(page).evaluate((f) => Object.fromEntries(['email', 'event', 'travel_start', 'travel_end', 'transport_eur', 'accommodation_eur'].map((n) => [n, f.elements[n].value])));
    assert.deepEqual(kept, { email: typed.email, event: meeting.id, travel_start: typed.leave, travel_end: typed.back, transport_eur: typed.transport, accommodation_eur: typed.accommodation });
    if (js) {
      assert.equal(await page.evaluate(() => window.sameDocument), 'still here', 'the page was reloaded');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'the summary does not have the focus');
      assert.equal(pathOf(page), '/financial-support/');
    } else assert.equal(pathOf(page), '/api/travel-claims');
    assert.equal(await page.locator('header nav[aria-label="Main"]').count(), 1, "the error page is not in the site's layout");
    await look(page, `claim with mistakes ${label}`, { js, readme: js ? null : { file: 'claim-errors-390.png', clip: 'main', maxHeight: 1300 } });
    // Each link of the summary moves the focus to its field.
    for (const [href] of links) {
      await summary.locator(`a[href="${href}"]`).click();
      assert.equal(await page.evaluate(() => document.activeElement?.id), href.slice(1), `${href} does not move the focus to its field`);
    }
    // Mended, it goes through.
    const form = claimForm(page);
    await form.getByLabel('Email address').fill(addr('mended'));
    await form.getByLabel('Day you leave').fill(meeting.start);
    await form.getByLabel('Day you come back').fill(meeting.end);
    await form.getByLabel('Transport').fill('400');
    await form.getByLabel(/privacy notice/).check();
    await sendClaim(page, js, 'claim mended: thanks');
    assert.equal(pathOf(page), '/financial-support/thanks/', await bodyText(page));
    await ctx.close();
  });
}

for (const { js, label } of MODES) {
  test(`the receipt ${label}: reference, meeting, dates, costs, contribution, what the city has left, what happens next; noindex, no-store; prints without menu or forms`, { skip: NO_DESK, timeout: 180_000 }, async (t) => {
    const meeting = await openMeeting();
    if (!meeting) return t.skip('no meeting takes claims today');
    const rep = await newRepresentative(js ? 'receiptjs' : 'receipt', meeting);
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    await open(page, `${serve.base}/financial-support/`, 'claim form');
    await fillClaim(page, { email: rep.email, meeting: meeting.id, leave: meeting.from, back: meeting.end, transport: '312.40', accommodation: '100' });
    await sendClaim(page, js, 'claim: thanks');
    assert.equal(pathOf(page), '/financial-support/thanks/', await bodyText(page));
    const done = await confirmClaim(page, rep.email, js, `receipt ${label}`, (text) => assert.match(text, /Contribution asked for\s+412\.40 EUR\n/));
    assert.equal(done.headers()['cache-control'], 'no-store');
    assert.equal(await page.locator('meta[name="robots"]').getAttribute('content'), 'noindex');
    const text = await bodyText(page);
    const id = text.match(/\bCCG-\d{4}-\d{4,}\b/)?.[0];
    assert.ok(id, `no reference:\n${text}`);
    const year = meeting.start.slice(0, 4);
    for (const [what, re] of [
      ['reference', new RegExp(`Reference\\s+${id}`)],
      ['meeting', new RegExp(`Meeting\\s+${meeting.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)],
      ['city', new RegExp(`City\\s+${rep.city.name}`)],
      ['dates', new RegExp(`Travel\\s+${longDate(meeting.from)} to ${longDate(meeting.end)}`)],
      ['transport', /Transport\s+312\.40 EUR/],
      ['accommodation', /Accommodation\s+100 EUR/],
      ['costs', /Your costs\s+412\.40 EUR/],
      ['contribution', /Contribution\s+412\.40 EUR\n/],
      ['what is left', new RegExp(`Your city has left for ${year}\\s+${trips(RULES.maxTripsPerYear - 1)}, ${eur(RULES.maxPerYearCents - 41240).replace('.', '\\.')}`)],
      ['what happens next', /What happens next/],
    ]) {
      assert.match(text, re, `the receipt does not show the ${what}:\n${text}`);
    }
    const print = page.getByRole('button', { name: 'Print this page' });
    if (js) {
      await page.evaluate(() => {
        window.printed = 0;
        window.print = () => window.printed++;
      });
      await print.click();
      assert.equal(await page.evaluate(() => window.printed), 1, 'the Print button does not print');
    } else assert.equal(await print.count(), 0, 'a Print button that cannot work without JavaScript is shown');
    await look(page, `claim receipt ${label}`, { js, readme: js ? null : { file: 'claim-receipt-390.png', clip: 'main' } });
    // On paper: the receipt, not the menu, the forms, the links back or the button.
    await page.emulateMedia({ media: 'print' });
    const shown = (sel) => page.locator(sel).evaluateAll((els) => els.filter((el) => el.getClientRects().length > 0).length);
    for (const sel of ['header nav', 'form', 'footer', '.back', 'button']) assert.equal(await shown(sel), 0, `${sel} is printed`);
    for (const sel of ['h1', 'dl.facts']) assert.ok((await shown(sel)) > 0, `${sel} is not printed`);
    const paper = await page.locator('main').innerText();
    for (const s of [id, 'What happens next', '412.40 EUR']) assert.ok(paper.includes(s), `the printed receipt lacks ${s}`);
    await page.screenshot({ path: join(SHOTS, `claim-receipt-print-${js ? 'js' : 'nojs'}.png`), fullPage: true });
    await ctx.close();
  });
}

test('no meeting open for claims: the page says so and when the next one opens, and shows no form', { timeout: 180_000 }, async () => {
  // The site as built on a day no meeting takes claims: before the first one is announced, and after the last.
  const before = buildSite(tempDir('site-before'), ['--drafts', '--now', '2026-01-01T00:00:00Z']);
  const later = buildSite(tempDir('site-later'), ['--drafts', '--now', '2030-01-01T00:00:00Z']);
  const next = contentEvents()
    .filter((e) => e.format === 'physical' && e.status !== 'cancelled' && e.announced && e.start > '2026-01-01')
    .sort((a, b) => (a.start < b.start ? -1 : 1))[0];
  try {
    for (const [site, name, expect] of [
      [before, 'before any meeting opens', [next.title, `on ${longDate(next.start.slice(0, 10))}`, `This form takes claims for it from ${longDate(next.announced)}.`]],
      [later, 'no meeting planned', ['No meeting with travel support is planned yet.']],
    ]) {
      const server = await startStatic(site);
      try {
        for (const { js, label } of MODES) {
          const ctx = await newContext(js);
          const page = await ctx.newPage();
          await open(page, `${server.base}/financial-support/`, `no meeting open: ${name}`);
          const notice = page.locator('#no-meetings');
          assert.equal(await notice.count(), 1, `${name}: no #no-meetings notice`);
          const text = await notice.innerText();
          assert.match(text, /No meeting takes travel claims at the moment/);
          for (const s of expect) assert.ok(text.includes(s), `${name}: the notice does not say "${s}":\n${text}`);
          assert.equal(await page.locator('form[action$="/travel-claims"]').count(), 0, `${name}: a claim form that cannot be sent is shown`);
          if (name === 'before any meeting opens') assert.equal(await notice.locator(`a[href="/calendar/${next.id}/"]`).count(), 1, 'the notice does not link the next meeting');
          await look(page, `no meeting open ${name} ${label}`, { js });
          await ctx.close();
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    cleanup(before);
    cleanup(later);
  }
});

for (const { js, label } of MODES) {
  test(`the event page's shortcut ${label}: "Claim travel support for this meeting" leads to the claim form${js ? ' with the meeting chosen' : ''}`, { timeout: 180_000 }, async (t) => {
    const meeting = await openMeeting();
    if (!meeting) return t.skip('no meeting takes claims today');
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    await open(page, `${serve.base}/calendar/${meeting.id}/`, 'event page');
    const link = page.getByRole('link', { name: 'Claim travel support for this meeting' });
    assert.equal(await link.count(), 1, 'the event page of an open meeting has no claim link');
    assert.equal(await link.getAttribute('href'), `/financial-support/?event=${meeting.id}#claim-h`);
    await look(page, `event page open for claims ${label}`, { js });
    const nav = page.waitForNavigation({ waitUntil: 'load' });
    await link.click();
    await nav;
    assert.equal(pathOf(page), '/financial-support/');
    const chosen = (await page.locator('input[name="event"]:checked').count()) ? await page.locator('input[name="event"]:checked').inputValue() : '';
    if (js) assert.equal(chosen, meeting.id, 'the meeting is not chosen');
    else assert.equal(chosen, '', 'without JavaScript the page cannot choose, nor should it pretend to');
    assert.ok(await page.locator('#claim-h').isVisible());
    await look(page, `claim form from the event page ${label}`, { js });
    // A meeting that takes no claims has no such link.
    const closed = contentEvents().find((e) => e.id !== meeting.id && e.format === 'physical');
    await open(page, `${serve.base}/calendar/${closed.id}/`, 'event page closed');
    assert.equal(await page.getByRole('link', { name: 'Claim travel support for this meeting' }).count(), 0, `${closed.id} takes no claims but links to the form`);
    await ctx.close();
  });
}

for (const { js, label } of MODES) {
  test(`check your answers at 320 px ${label}: the whole meeting title, every answer with Change (which keeps what was typed), the declaration named when missing, then "check your inbox"`, { timeout: 180_000 }, async (t) => {
    const meeting = await openMeeting();
    if (!meeting) return t.skip('no meeting takes claims today');
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 320, height: 800 });
    await open(page, `${serve.base}/financial-support/`, 'claim form');
    // The meeting's whole title is readable at 320 px: its label wraps inside the page.
    const choice = claimForm(page).locator(`label[for="${await claimForm(page).locator(`input[name="event"][value="${meeting.id}"]`).getAttribute('id')}"]`);
    assert.ok((await choice.innerText()).includes(meeting.title), await choice.innerText());
    const fits = await choice.evaluate((l) => l.scrollWidth <= l.clientWidth + 0.5 && l.getBoundingClientRect().right <= document.documentElement.clientWidth + 0.5);
    assert.ok(fits, 'the meeting title is cut or sticks out at 320 px');
    assert.deepEqual(await sideways(page), [], 'the claim form scrolls sideways at 320 px');
    const email = addr(js ? 'checkjs' : 'check');
    await fillClaim(page, { email, meeting: meeting.id, leave: meeting.start, back: meeting.end, transport: '312,40', accommodation: '100' });
    const check = await send(page, claimForm(page), js, 'check your answers');
    assert.equal(check.status(), 200, await bodyText(page));
    assert.equal(await page.locator('h1').innerText(), 'Check your answers before sending your claim');
    const text = await bodyText(page);
    for (const s of [email, meeting.title, longDate(meeting.start), longDate(meeting.end), '312.40 EUR', '100 EUR', RULES.declaration]) assert.ok(text.includes(s), `the check page does not show ${s}:\n${text}`);
    assert.equal(await page.getByRole('button', { name: /^Change/ }).count(), 7, 'a Change for every answer');
    assert.equal(mailsTo(email).length, 0, 'nothing is sent before the declaration');
    await look(page, `check your answers ${label}`, { js, readme: js ? null : { file: 'claim-check-390.png', clip: 'main' } });
    await page.setViewportSize({ width: 320, height: 800 });

    // Sent without the declaration: the page again, naming it.
    const refused = await sendBy(page, claimForm(page).getByRole('button', { name: 'Send my claim' }), js, 'check your answers without the declaration');
    assert.equal(refused.status(), 422);
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Tick the declaration/);
    assert.equal(await summary.locator('a').getAttribute('href'), '#declaration');
    assert.equal(await page.locator('#declaration').getAttribute('aria-invalid'), 'true');
    if (js) assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'the summary does not have the focus');
    assert.ok((await page.title()).startsWith('Error: '), await page.title());
    assert.equal(mailsTo(email).length, 0, 'nothing is sent without the declaration');
    await look(page, `check your answers without the declaration ${label}`, { js });
    await page.setViewportSize({ width: 320, height: 800 });

    // Change: the form, filled in as typed, with the focus on the answer to change.
    const changed = await sendBy(page, claimForm(page).getByRole('button', { name: 'Change transport' }), js, 'change an answer');
    assert.equal(changed.status(), 200);
    await page.locator('#transport_eur').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'transport_eur', 'the field to change does not have the focus');
    const kept = await claimForm(page).evaluate((f) => Object.fromEntries(['email', 'event', 'travel_start', 'travel_end', 'transport_eur', 'accommodation_eur', 'consent'].map((n) => [n, n === 'consent' ? f.elements[n].checked : f.elements[n].value])));
    assert.deepEqual(kept, { email, event: meeting.id, travel_start: meeting.start, travel_end: meeting.end, transport_eur: '312,40', accommodation_eur: '100', consent: true });
    assert.deepEqual(await sideways(page), [], 'the form scrolls sideways at 320 px');
    await claimForm(page).getByLabel('Transport').fill('320');
    await send(page, claimForm(page), js, 'check your answers again');
    assert.ok((await bodyText(page)).includes('320 EUR'), 'the changed answer is the one shown');
    await claimForm(page).getByLabel(RULES.declaration).check();
    await sendBy(page, claimForm(page).getByRole('button', { name: 'Send my claim' }), js, 'claim: thanks');
    assert.equal(pathOf(page), '/financial-support/thanks/', await bodyText(page));
    assert.match(await bodyText(page), /check your inbox/i);
    await ctx.close();
  });
}

test('keyboard only (JavaScript on): the join form with a mistake, mended from the summary, sent', { timeout: 180_000 }, async () => {
  const ctx = await newContext(true);
  const page = await ctx.newPage();
  await page.goto(`${serve.base}/join/`);
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  const outlined = () =>
    page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    });
  // Tab from the top of the page to the first field; every stop shows where the focus is.
  let stops = 0;
  while ((await focused()) !== 'name') {
    await page.keyboard.press('Tab');
    assert.ok(++stops < 40, 'Tab never reaches the first field');
    assert.ok(await outlined(), `the focus on ${await focused()} is not visible`);
  }
  const email = addr('keys');
  const tab = async (expected) => {
    await page.keyboard.press('Tab');
    assert.equal(await focused(), expected);
    assert.ok(await outlined(), `the focus on ${expected} is not visible`);
  };
  await page.keyboard.type('Kai Keyboard');
  await tab('email');
  await page.keyboard.type(email);
  await tab('organisation');
  await page.keyboard.type('City of Tartu');
  await tab('position');
  await page.keyboard.type('Mobility officer');
  await tab('city');
  await page.keyboard.type('Tartu');
  await tab('country');
  await page.keyboard.type('Estonia');
  assert.equal(await page.locator('#country').inputValue(), 'EE', 'typing on the country list does not choose Estonia');
  await tab('status-lighthouse');
  await page.keyboard.press('ArrowDown'); // radios: the arrows choose
  assert.equal(await page.locator('input[name="city_status"]:checked').getAttribute('value'), 'fellow');
  await tab('A'); // the hint's link to the list of projects
  await tab('project');
  await tab('listed'); // the directory's opt-in, off: left so
  await tab('A'); // its hint's link to the privacy notice
  // Not the consent: a mistake. Tab past the box and the privacy notice's link to the button.
  await tab('consent');
  await tab('A');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Send the registration', 'the honeypot takes the focus');
  assert.ok(await outlined(), 'the focus on the button is not visible');
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.keyboard.press('Enter');
  assert.equal((await posted).status(), 422);
  await page.locator('#error-summary').waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'error-summary');
  // The summary has the focus: Tab to its link, Enter moves to the box, Space ticks it, Enter sends.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), '#consent');
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'consent');
  await page.keyboard.press('Space');
  assert.ok(await page.locator('#consent').isChecked());
  assert.equal(await page.locator('#name').inputValue(), 'Kai Keyboard', 'what was typed is lost');
  const sent = page.waitForURL('**/join/thanks/');
  await page.keyboard.press('Enter');
  await sent;
  assert.match(await bodyText(page), /check your inbox/i);
  assert.equal(mailsTo(email).length, 1, 'no email to confirm');
  await ctx.close();
});

// --- the README's pictures of the site ------------------------------------------

// Each page a person meets first, at 390 px (a phone) and 1280 px (a laptop),
// JavaScript on. The published build, except the claim form: it shows only
// while a meeting takes claims, which here only the preview's example
// meetings do. `clip` starts the picture at a part of the page.
const README_PAGES = [
  { file: 'home', path: '/' },
  { file: 'calendar', path: '/calendar/' },
  { file: 'event', path: '/calendar/ccg-2021-10-launch/' },
  { file: 'join', path: '/join/', clip: '.form-section' },
  { file: 'claim-form', path: '/financial-support/', clip: '.form-section', preview: true },
  { file: 'projects', path: '/projects/', type: 'leipz' },
  { file: 'legal-notice', path: '/legal-notice/' },
  { file: 'accessibility', path: '/accessibility/' },
  { file: 'privacy', path: '/privacy/' },
];
const README_HEIGHT = { 390: 1200, 1280: 720 };

test("the README's pictures of home, calendar, an event, both forms, the projects page and the legal pages, at 390 and 1280 px", { skip: README_SHOTS ? false : 'CCG_UPDATE_SCREENSHOTS is not 1', timeout: 180_000 }, async () => {
  const published = await startStatic(publishedBuild());
  const ctx = await newContext(true);
  try {
    for (const { file, path, clip, preview, type } of README_PAGES) {
      for (const width of [390, 1280]) {
        const page = await ctx.newPage();
        await page.setViewportSize({ width, height: README_HEIGHT[width] });
        await page.goto(`${preview ? serve.base : published.base}${path}`);
        if (type) {
          await page.getByRole('searchbox').pressSequentially(type, { delay: 20 });
          await page.waitForFunction(() => /match/.test(document.querySelector('[role=status]').textContent));
        }
        const y = clip ? Math.max(0, (await page.locator(clip).first().boundingBox()).y - 8) : 0;
        const out = join(README_SHOTS, `${file}-${width}.png`);
        await page.screenshot({ path: out, scale: 'css', fullPage: true, clip: { x: 0, y, width, height: README_HEIGHT[width] } });
        const size = statSync(out).size;
        assert.ok(size < README_SHOT_MAX, `${out} is ${size} bytes, more than ${README_SHOT_MAX}`);
        await page.close();
      }
    }
  } finally {
    await ctx.close();
    await published.stop();
  }
});

test('every state of the journeys: no WCAG 2.1 A/AA violation (axe-core), no sideways scrolling at 320 px or at 200% zoom', () => {
  assert.deepEqual(problems.reflow, []);
  assert.deepEqual(problems.axe, []);
});

test("the forms' answers seen on the journeys are valid HTML (Nu HTML checker)", { timeout: 300_000 }, () => {
  assert.ok(htmlSeen.length >= 10, `only ${htmlSeen.length} pages were kept`);
  const dir = tempDir('journey-html');
  try {
    const files = new Map();
    const seen = new Set();
    htmlSeen.forEach((p, i) => {
      if (seen.has(p.name)) return;
      seen.add(p.name);
      const f = join(dir, `page-${i}.html`);
      writeFileSync(f, p.html);
      files.set(f, p.name);
    });
    assert.deepEqual(vnuErrors(files), []);
  } finally {
    cleanup(dir);
  }
});
