// The two forms as people use them in the local preview (`generator serve`
// with a fresh data folder), now that everything is confirmed by email:
//
//   join form -> "check your inbox" -> the emailed link -> Confirm
//   -> the secretariat approves the contact with `desk`
//   -> claim form -> "check your inbox" -> the emailed link -> Confirm -> receipt
//
// Then a confirmed claim's life: counted -> approved -> paid, or rejected by
// the secretariat, or withdrawn by its claimant from the same link, which
// shows the claim as it stands; the desk's decisions, usage, export and erasure.
//
// The emails are the preview's outbox: files in <data>/outbox/, shown at
// /_outbox/ when serve has that page (then the tests click through it as a
// person would). Field names and the offered meetings are read from the pages
// themselves; the claim form asks no city (the approved contact names it), so
// the cities come from the SCC data and the desk approves each representative
// for one. Every HTML answer is kept and checked at the end with the Nu HTML
// Checker and axe. The applicant's journeys of issue 8 (mistakes at once, the
// receipt, the script, screenshots) are in journeys.test.mjs.
//
// Environment (besides what support.mjs reads):
//   CCG_DESK   the secretariat's desk binary (target/release/desk). Without it
//              the tests that need an approved representative are skipped.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTENT, REPO, axeViolations, cleanup, contentEvents, launchBrowser, normalize, outboxAll, sccCities, startServe, tempDir, travelRules, vnuErrors } from './support.mjs';

const RULES = travelRules();
const euros = (cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const addr = (who) => `${who}.${uniq()}@example.org`;
const OPERATOR = 'E2E Secretariat';
const TOKEN = /^pnd_[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/;

/** Where the secretariat's copies go: `forms.secretariat_email` of content/config.yaml. */
const SECRETARIAT = (() => {
  const m = readFileSync(join(CONTENT, 'config.yaml'), 'utf8').match(/^\s+secretariat_email:\s*"?([^\s"#]+)"?/m);
  assert.ok(m, 'no forms.secretariat_email in content/config.yaml');
  return m[1];
})();

const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK
  ? false
  : 'CCG_DESK is not set: build the desk (cargo build --release -p ccg-functions --bin desk) and set CCG_DESK=target/release/desk to run the steps that need an approved representative';

let serve;
let browser;
let dataDir;
let outboxPage = false; // serve shows /_outbox/
let claimForm; // what /financial-support/ offers: { events, cities, countries }

// The HTML pages the forms answer with, checked at the end: { name, url, status, html }.
const answerPages = [];
// The preview's /_outbox/ pages the tests went through (one list, one message), checked the same way.
const outboxSeen = [];
async function keepAnswer(name, page, resp) {
  answerPages.push({ name, url: page.url(), status: resp.status(), html: await resp.text() });
}

before(async () => {
  dataDir = tempDir('forms-data');
  serve = await startServe({ dataDir });
  browser = await launchBrowser();
  const r = await fetch(`${serve.base}/_outbox/`);
  await r.arrayBuffer();
  outboxPage = r.status === 200;
  claimForm = await readClaimForm();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  cleanup(dataDir);
});

// --- pages and fields --------------------------------------------------------

/** The form posting to `{api_base}/<endpoint>` on a page. */
function formOf(page, endpoint) {
  return page.locator(`form[action$="/${endpoint}"]`);
}

/** What a control offers: select options, radio values or datalist options. */
async function optionsOf(form, name) {
  return form.evaluate((f, n) => {
    const els = [...f.querySelectorAll(`[name="${n}"]`)];
    if (els.length === 0) return null;
    const el = els[0];
    const opt = (o) => ({ value: o.value, text: o.textContent.trim(), data: { ...o.dataset } });
    if (el.tagName === 'SELECT') return [...el.options].filter((o) => o.value !== '' && !o.disabled).map(opt);
    if (el.type === 'radio') return els.map((r) => ({ value: r.value, text: r.labels?.[0]?.textContent.trim() ?? '', data: { ...r.dataset } }));
    if (el.list) return [...el.list.options].map(opt);
    return [];
  }, name);
}

/** Sets a field by name, whatever control the page uses for it. */
async function setField(form, name, value) {
  const els = form.locator(`[name="${name}"]`);
  const n = await els.count();
  assert.ok(n > 0, `the form has no field named ${name}`);
  const kind = await els.first().evaluate((el) => (el.tagName === 'SELECT' ? 'select' : el.type));
  if (kind === 'select') await els.first().selectOption(value);
  else if (kind === 'radio') await form.locator(`[name="${name}"][value="${value}"]`).check();
  else if (kind === 'checkbox') {
    const box = n > 1 ? form.locator(`[name="${name}"][value="${value}"]`) : els.first();
    await box.check();
  } else await els.first().fill(value);
}

/** Required fields still empty after filling: a field the test does not know about. */
async function emptyRequired(form) {
  return form.evaluate((f) =>
    [...f.elements].filter((el) => el.required && (el.type === 'checkbox' || el.type === 'radio' ? !f.querySelector(`[name="${el.name}"]:checked`) : !el.value)).map((el) => el.name),
  );
}

/** Presses the form's own submit button and returns the final response (after redirects). */
async function submit(page, form) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click();
  return nav;
}

/**
 * Presses the button named `name` and returns the final response. What the
 * browser sent with the post is kept on the response as `sentWith` (Origin,
 * Sec-Fetch-Site, Referer, and the Referrer-Policy of the page pressed on),
 * so a refusal can say why.
 */
async function press(page, name) {
  const button = page.getByRole('button', { name, exact: true });
  assert.equal(await button.count(), 1, `no single "${name}" button on ${page.url()}:\n${(await page.locator('body').innerText()).slice(0, 600)}`);
  const policy = lastPolicy.get(page);
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.isNavigationRequest(), { timeout: 15_000 }).catch(() => null);
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await button.click();
  const resp = await nav;
  const req = await posted;
  if (req) {
    const h = await req.allHeaders();
    resp.sentWith = `Origin: ${h.origin ?? '(none)'}, Sec-Fetch-Site: ${h['sec-fetch-site'] ?? '(none)'}, Referer: ${h.referer ?? '(none)'}; the page pressed on had Referrer-Policy: ${policy ?? '(none)'}`;
  }
  return resp;
}

/** The Referrer-Policy header of the document each page shows (from its last main-frame response). */
const lastPolicy = new WeakMap();

/** A new page of `ctx` whose documents' Referrer-Policy is noted for `press`. */
async function openPage(ctx) {
  const page = await ctx.newPage();
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) lastPolicy.set(page, r.headers()['referrer-policy']);
  });
  return page;
}

/** Asserts the status of an answer a button press got, saying what the browser sent when it differs. */
async function expectStatus(page, resp, status, what) {
  if (resp.status() === status) return;
  const text = (await page.locator('body').innerText()).slice(0, 600);
  assert.fail(`${what}: ${resp.status()} instead of ${status} at ${page.url()}\n${text}\n(the browser sent ${resp.sentWith ?? 'nothing seen'})`);
}

const bodyText = (page) => page.locator('body').innerText();
const pathOf = (page) => new URL(page.url()).pathname;
const todayUtc = () => new Date().toISOString().slice(0, 10);
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** A date as the site writes it: 16 March 2027. */
const longDate = (iso) => `${Number(iso.slice(8, 10))} ${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(0, 4)}`;
const addDays = (iso, n) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

function lastDayOfMonth(ym) {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** Content events the rules could pay for: physical, announced by their start, not cancelled. */
function eligibleEvents() {
  return contentEvents().filter((e) => e.format === 'physical' && e.status !== 'cancelled' && e.announced && e.announced <= e.start.slice(0, 10));
}

/** The claim form's own settings (travel-support.yaml, `claim_form`): days after a meeting, travel days before and after. */
const FORM_SETTINGS = (() => {
  const text = readFileSync(join(CONTENT, 'data', 'travel-support.yaml'), 'utf8');
  const n = (key) => {
    const m = text.match(new RegExp(`^\\s+${key}:\\s*(\\d+)`, 'm'));
    assert.ok(m, `no claim_form.${key} in content/data/travel-support.yaml`);
    return Number(m[1]);
  };
  return { daysAfter: n('days_after_meeting'), travelBefore: n('travel_days_before'), travelAfter: n('travel_days_after') };
})();

/** Whether an eligible event takes claims on `day`: from its announcement to `days_after_meeting` after its end. */
function openOn(e, day) {
  return e.announced <= day && day <= addDays(e.end.slice(0, 10), FORM_SETTINGS.daysAfter);
}

/**
 * What the claim form offers (read with JavaScript off): the meetings with
 * their travel ranges, and the names of the fields it asks for.
 */
async function readClaimForm() {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await openPage(ctx);
    await page.goto(`${serve.base}/financial-support/`);
    const form = formOf(page, 'travel-claims');
    assert.equal(await form.count(), 1, '/financial-support/ has no form posting to .../travel-claims');
    assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post');
    const byId = new Map(contentEvents().map((e) => [e.id, e]));
    const events = ((await optionsOf(form, 'event')) ?? []).map((o) => ({
      id: o.value,
      label: o.text,
      from: o.data.travelFrom,
      until: o.data.travelUntil,
      content: byId.get(o.value),
    }));
    const fields = await form.evaluate((f) => [...new Set([...f.elements].map((el) => el.name).filter(Boolean))]);
    const novalidate = await form.evaluate((f) => f.noValidate);
    return { events, fields, novalidate };
  } finally {
    await ctx.close();
  }
}

/**
 * SCC cities that qualify for every offered meeting (a lighthouse or fellow
 * role in a project ended before the first one), from the project data: the
 * claim form no longer asks for a city, the secretariat's approval names it.
 * Each is { name, country, records }.
 */
function qualifyingCities() {
  const first = claimForm.events.map((e) => e.content?.start.slice(0, 10)).filter(Boolean).sort()[0];
  if (!first) return [];
  const byCity = new Map();
  for (const r of sccCities()) {
    const key = `${normalize(r.name)}|${r.country}`;
    if (!byCity.has(key)) byCity.set(key, { name: r.name, country: r.country, records: [] });
    byCity.get(key).records.push(r);
  }
  return [...byCity.values()].filter((c) => c.records.some((r) => ['lighthouse', 'fellow'].includes(r.role) && r.projectEnd && lastDayOfMonth(r.projectEnd) < first));
}

/** A city for a registration that is never claimed for. */
const someCity = () => qualifyingCities()[0] ?? { name: 'Valladolid', country: 'ES', records: [] };

let citiesLeft;
/** A qualifying city no other test has used (yearly limits and representatives are per city). */
function takeCity() {
  citiesLeft ??= qualifyingCities().slice(1);
  const c = citiesLeft.shift();
  assert.ok(c, 'ran out of qualifying cities in the SCC data');
  return c;
}

/** An SCC city whose only role is observer: it never qualifies. */
function observerCity() {
  const scc = sccCities();
  const c = scc.find((x) => x.role === 'observer' && !scc.some((o) => normalize(o.name) === normalize(x.name) && o.role !== 'observer'));
  assert.ok(c, 'no observer-only city in the SCC data');
  return c;
}

/** The first meeting the claim form offers, or null (then the claim tests skip). */
const firstMeeting = () => claimForm.events[0] ?? null;
const NO_MEETING = () => `the claim form offers no meeting on ${todayUtc()} (a meeting takes claims from its announced date until 60 days after it ends)`;

// --- requests ----------------------------------------------------------------

async function answerOf(r) {
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // asserted by the callers
  }
  return { status: r.status, json, text, headers: r.headers, location: r.headers.get('location') };
}

/** POSTs JSON to /api/<path>; the answer with its parsed body. */
async function jsonPost(path, body, headers = {}) {
  const r = await fetch(`${serve.base}/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  return answerOf(r);
}

/** POSTs a plain form (urlencoded) to /api/<path>, as a browser without script would; redirects not followed. */
async function formPost(path, fields, headers = {}) {
  const r = await fetch(`${serve.base}/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return answerOf(r);
}

const registration = (email, city, extra = {}) => ({
  name: 'Ana Exemplo',
  email,
  city: city.name,
  country: city.country,
  organisation: `City of ${city.name}`,
  position: 'Project officer',
  city_status: 'lighthouse',
  project: '',
  consent: 'yes',
  website: '',
  ...extra,
});

/** A claim's body: the fields the claim form asks for (the person's name and city come from the approved contact). */
const claim = (email, meeting, extra = {}) => ({
  email,
  event: meeting.id,
  travel_start: meeting.content.start.slice(0, 10),
  travel_end: meeting.content.end.slice(0, 10),
  transport_eur: '300.00',
  accommodation_eur: '112.50',
  consent: 'yes',
  declaration: 'yes',
  website: '',
  ...extra,
});

/** "Check your inbox", as JSON. */
function assertSent(r, what) {
  assert.equal(r.status, 202, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.json?.status, 'confirmation_sent', `${what}: ${r.text}`);
  assert.ok(typeof r.json.message === 'string' && /inbox/i.test(r.json.message), `${what}: ${r.text}`);
}

// --- the outbox ----------------------------------------------------------------

const outboxDir = () => join(dataDir, 'outbox');

/** Every email the preview sent, oldest first (support.mjs's outboxAll). */
const outbox = () => outboxAll(dataDir);

const mailsTo = (email) => outbox().filter((m) => m.to.toLowerCase() === email.toLowerCase());

/** The newest email to `email`; fails when there is none. */
function newestMailTo(email) {
  const mails = mailsTo(email);
  assert.ok(mails.length > 0, `no email to ${email} in the outbox (${outbox().length} messages in all)`);
  return mails.at(-1);
}

/** The confirmation link of a form in an email: { url, token }, or null. */
function linkIn(mail, form) {
  const re = new RegExp(`https?://[^\\s"<>]+/api/${form}/confirm\\?token=([^\\s"<>&]+)`);
  const m = mail.text.match(re);
  if (!m) return null;
  return { url: m[0], token: decodeURIComponent(m[1]) };
}

/** The link in the newest email to `email`, checked: the preview's own address, a well-formed token, the same in both parts. */
function newestLink(email, form) {
  const mail = newestMailTo(email);
  const link = linkIn(mail, form);
  assert.ok(link, `the newest email to ${email} ("${mail.subject}") has no ${form} confirmation link:\n${mail.text}`);
  assert.equal(new URL(link.url).origin, serve.base, `the link does not lead to the preview: ${link.url}`);
  assert.match(link.token, TOKEN);
  assert.ok(mail.html.includes(link.url.replaceAll('&', '&amp;')), `the HTML part lacks the link ${link.url}`);
  return { ...link, mail };
}

/**
 * Opens, through /_outbox/, the newest message to `email` in `page` (the
 * list, then the message) and checks that it shows the address and `subject`.
 * Returns the response of the message page.
 */
async function openNewestInOutbox(page, email, subject) {
  const list = await page.goto(`${serve.base}/_outbox/`);
  if (!outboxSeen.some((o) => o.name === 'outbox list')) outboxSeen.push({ name: 'outbox list', url: page.url(), status: list.status(), html: await list.text() });
  const hrefs = await page.evaluate((address) => {
    const out = [];
    for (const a of document.querySelectorAll('a[href*="/_outbox/"]')) {
      const row = a.closest('tr, li, article') ?? a.parentElement;
      const href = a.getAttribute('href');
      if (/\/_outbox\/?$/.test(href)) continue;
      if (row && row.textContent.toLowerCase().includes(address.toLowerCase())) out.push(href);
    }
    return out;
  }, email);
  assert.ok(hrefs.length > 0, `/_outbox/ lists no message to ${email}:\n${(await bodyText(page)).slice(0, 1500)}`);
  // The list shows the newest message first (a message with an id has a file name that does not sort by time).
  const newest = hrefs[0];
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await page.locator(`a[href="${newest}"]`).first().click();
  const msg = await nav;
  if (!outboxSeen.some((o) => o.name === 'outbox message')) outboxSeen.push({ name: 'outbox message', url: page.url(), status: msg.status(), html: await msg.text() });
  assert.equal(msg.status(), 200, `the outbox message ${newest} answered ${msg.status()}`);
  const shown = await bodyText(page);
  assert.ok(shown.toLowerCase().includes(email.toLowerCase()), `the outbox message ${newest} does not show the address ${email}`);
  assert.ok(shown.includes(subject), `the newest message at /_outbox/ for ${email} is not "${subject}":\n${shown.slice(0, 800)}`);
  return msg;
}

/**
 * Opens the confirmation link of the newest email to `email` in `page`: through
 * /_outbox/ when serve has it (the newest message for the address, then its
 * link), else straight from the file. Returns the response of the page the link opens.
 */
async function openLinkFromOutbox(page, email, form) {
  const expected = newestLink(email, form);
  if (!outboxPage) {
    const resp = await page.goto(expected.url);
    return { resp, link: expected };
  }
  await openNewestInOutbox(page, email, expected.mail.subject);
  const shown = await bodyText(page);
  const link = page.locator(`a[href*="/api/${form}/confirm?token="]`);
  assert.ok((await link.count()) > 0, `the outbox message shows no clickable ${form} link:\n${shown.slice(0, 1500)}`);
  assert.equal(await link.first().getAttribute('href'), expected.url, 'the outbox page links elsewhere than the email');
  const open = page.waitForNavigation({ waitUntil: 'load' });
  await link.first().click();
  return { resp: await open, link: expected };
}

/** The leave link at the end of an email to a contact: { url, token }, or null. */
function leaveLinkIn(mail) {
  const m = mail.text.match(/https?:\/\/[^\s"<>]+\/api\/leave\?token=([^\s"<>&]+)/);
  return m ? { url: m[0], token: decodeURIComponent(m[1]) } : null;
}

/** Registers `email` and confirms it through its link, with JSON. */
async function registerAndConfirm(email, city, extra = {}) {
  assertSent(await jsonPost('register', registration(email, city, extra)), `registration of ${email}`);
  const { token } = newestLink(email, 'register');
  const c = await jsonPost('register/confirm', { token });
  assert.equal(c.status, 200, `confirmation of ${email}: ${c.text}`);
  assert.equal(c.json?.status, 'confirmed', c.text);
  return token;
}

// --- the desk --------------------------------------------------------------------

function deskRun(args) {
  assert.ok(DESK && existsSync(DESK), `the desk binary is missing at ${DESK}: cargo build --release -p ccg-functions --bin desk`);
  // From the repository's root, as the secretariat runs it: the desk reads the preview's content/ there (draft meetings by their titles).
  return spawnSync(DESK, ['--sqlite', join(dataDir, 'forms.sqlite3'), '--operator', OPERATOR, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
}

function desk(...args) {
  const res = deskRun(args);
  assert.equal(res.status, 0, `desk ${args.join(' ')} failed (status ${res.status}, signal ${res.signal}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** A desk command that must be refused: exit status not 0. Returns what it said (stdout and stderr). */
function deskRefuses(...args) {
  const res = deskRun(args);
  assert.ok(res.status !== 0 && res.signal === null, `desk ${args.join(' ')} was not refused (status ${res.status}, signal ${res.signal}):\n${res.stdout}\n${res.stderr}`);
  return `${res.stdout}${res.stderr}`;
}

/**
 * A desk table as rows of { column: cell }, cut at the header's columns
 * (`keys` name them); [] when the desk answers `empty` instead.
 */
function parseTable(out, heads, keys, empty) {
  const lines = out.split('\n').filter((l) => l.trim());
  if (lines.length === 1 && lines[0].trim() === empty) return [];
  const head = lines[0] ?? '';
  const starts = [];
  for (const h of heads) starts.push(head.indexOf(h, starts.length ? starts.at(-1) + heads[starts.length - 1].length : 0));
  assert.ok(starts.every((s, i) => s >= 0 && (i === 0 || s > starts[i - 1])), `unexpected header (wanted ${heads.join(' ')}):\n${out}`);
  return lines.slice(1).map((l) => Object.fromEntries(keys.map((k, i) => [k, l.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim()])));
}

/** `desk claims [filters]` as rows { reference, id, status, year, city, meeting, name, eur, paid }. */
function deskClaims(...filters) {
  return parseTable(
    desk('claims', ...filters),
    ['REFERENCE', 'ID', 'STATUS', 'YEAR', 'CITY', 'MEETING', 'NAME', 'EUR', 'PAID'],
    ['reference', 'id', 'status', 'year', 'city', 'meeting', 'name', 'eur', 'paid'],
    'no claims',
  );
}

/** The row of claim `id` in `desk claims [filters]`, or undefined. */
const claimRow = (id, ...filters) => deskClaims(...filters).find((r) => r.id === id);

/**
 * What `desk usage --year Y` says of a city (by its key, as REPRESENTS shows
 * it): { trips, tripsLeft, eur, eurLeft, listed }. A city not listed has used nothing.
 */
function deskUsage(cityKey, year) {
  const rows = parseTable(
    desk('usage', '--year', String(year)),
    ['YEAR', 'CITY', 'TRIPS USED', 'TRIPS LEFT', 'EUR USED', 'EUR LEFT'],
    ['year', 'city', 'trips', 'tripsLeft', 'eur', 'eurLeft'],
    'no claims counted',
  );
  for (const r of rows) assert.equal(r.year, String(year), `desk usage --year ${year} lists another year: ${JSON.stringify(r)}`);
  const row = rows.filter((r) => r.city === cityKey);
  assert.ok(row.length <= 1, `desk usage lists ${cityKey} ${row.length} times for ${year}`);
  if (!row[0]) return { trips: 0, tripsLeft: RULES.maxTripsPerYear, eur: euros(0), eurLeft: euros(RULES.maxPerYearCents), listed: false };
  const r = row[0];
  return { trips: Number(r.trips), tripsLeft: Number(r.tripsLeft), eur: r.eur, eurLeft: r.eurLeft, listed: true };
}

/** The lines of `desk claim ID` after "History:". */
function deskHistoryOf(id) {
  const out = desk('claim', id);
  const at = out.indexOf('\nHistory:\n');
  assert.ok(at >= 0, `desk claim ${id} shows no "History:":\n${out}`);
  return { out, history: out.slice(at + '\nHistory:\n'.length).split('\n').filter((l) => l.trim()) };
}

/** `desk contacts` as rows { status, email, name, city, represents, when }, cut at the header's columns. */
function deskContacts() {
  const out = desk('contacts');
  const lines = out.split('\n').filter((l) => l.trim());
  if (lines[0]?.trim() === 'no contacts') return [];
  const head = lines[0];
  const cols = ['STATUS', 'EMAIL', 'NAME', 'CITY', 'REPRESENTS', 'WHEN'];
  const starts = cols.map((c) => head.indexOf(c));
  assert.ok(starts.every((s, i) => s >= 0 && (i === 0 || s > starts[i - 1])), `unexpected header of desk contacts: ${head}`);
  return lines.slice(1).map((l) => {
    const cell = (i) => l.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    return { status: cell(0), email: cell(1), name: cell(2), city: cell(3), represents: cell(4), when: cell(5) };
  });
}

const contactRow = (email) => deskContacts().filter((r) => r.email.toLowerCase() === email.toLowerCase() && r.status !== 'pending');

function approve(email, city) {
  const out = desk('approve', email, '--city', city.name, '--country', city.country);
  assert.match(out, /approved representative/i, out);
  const rows = contactRow(email);
  assert.equal(rows.length, 1, `desk contacts lists ${email} ${rows.length} times:\n${desk('contacts')}`);
  assert.equal(rows[0].status, 'approved', JSON.stringify(rows[0]));
  return rows[0];
}

// ---------------------------------------------------------------------------

describe('what the forms offer', () => {
  test('/join/ has the registration form with its fields, a country list and the honeypot', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    await page.goto(`${serve.base}/join/`);
    const form = formOf(page, 'register');
    assert.equal(await form.count(), 1, '/join/ has no form posting to .../register');
    assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post');
    const countries = await optionsOf(form, 'country');
    assert.ok(countries?.length >= 27, `the country list offers ${countries?.length} entries`);
    assert.ok(countries.some((c) => c.value === 'BE' && /Belgium/.test(c.text)), 'country BE (Belgium) is not offered');
    const statuses = (await optionsOf(form, 'city_status')).map((o) => o.value);
    for (const s of ['lighthouse', 'fellow', 'other']) assert.ok(statuses.includes(s), `city_status offers ${statuses.join(', ')}`);
    assert.equal(await form.locator('[name="website"]').count(), 1, 'no honeypot field named website');
    await ctx.close();
  });

  test('the claim form offers only meetings open for claims today, with their travel ranges, and asks only what the data does not know', () => {
    const today = todayUtc();
    const eligible = eligibleEvents();
    const open = eligible.filter((e) => openOn(e, today)).map((e) => e.id).sort();
    assert.deepEqual(claimForm.events.map((e) => e.id).sort(), open, `meetings offered on ${today} vs open by the content`);
    for (const e of claimForm.events) {
      assert.ok(e.content, `the form offers ${e.id}, which is not in content/events`);
      assert.equal(e.from, addDays(e.content.start.slice(0, 10), -FORM_SETTINGS.travelBefore), `${e.id}: travel from`);
      assert.equal(e.until, addDays(e.content.end.slice(0, 10), FORM_SETTINGS.travelAfter), `${e.id}: travel until`);
    }
    // No name, city, country or total: the contact record and the costs say them.
    if (claimForm.events.length) {
      assert.deepEqual(claimForm.fields.sort(), ['accommodation_eur', 'consent', 'email', 'event', 'transport_eur', 'travel_end', 'travel_start', 'website']);
      assert.equal(claimForm.novalidate, true, "the claim form lets the browser's own checks stop it");
      assert.ok(qualifyingCities().length >= 8, `only ${qualifyingCities().length} SCC cities qualify for every offered meeting`);
    }
  });
});

describe('answers to bad input', { timeout: 300_000 }, () => {
  test('with JavaScript off: a bad email on /join/ comes back as an error page naming the field', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    await page.goto(`${serve.base}/join/`);
    const form = formOf(page, 'register');
    const city = someCity();
    for (const [k, v] of Object.entries(registration('ana.example.org', city))) {
      if (k === 'website' || (k === 'project' && v === '')) continue;
      await setField(form, k, v);
    }
    // The browser's own check would stop a person here; the server must check too.
    await form.evaluate((f) => f.setAttribute('novalidate', ''));
    const resp = await submit(page, form);
    await keepAnswer('registration with a bad email', page, resp);
    assert.equal(resp.status(), 422, `status ${resp.status()} at ${page.url()}`);
    assert.match(await bodyText(page), /e-?mail/i);
    await ctx.close();
  });

  test('JSON: 422 names each bad field of either form at once, and only those', async (t) => {
    const city = someCity();
    const bad = await jsonPost('register', registration('nope', city, { country: 'XX', city_status: 'mayor', consent: '', name: '' }));
    assert.equal(bad.status, 422, bad.text);
    const names = Object.keys(bad.json?.errors ?? {});
    for (const f of ['email', 'country', 'city_status', 'consent', 'name']) assert.ok(names.includes(f), `422 does not name ${f}: ${bad.text}`);
    assert.ok(!names.includes('organisation'), `422 names a valid field: ${bad.text}`);

    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const c = await jsonPost('travel-claims', claim(addr('bad'), meeting, { email: 'x', transport_eur: '12.345', travel_start: '2027-02-30', consent: '' }));
    assert.equal(c.status, 422, c.text);
    assert.deepEqual(Object.keys(c.json?.errors ?? {}).sort(), ['consent', 'email', 'transport_eur', 'travel_start'], c.text);
    // The travel dates: from 3 days before the start to 3 days after the end, both included.
    const edge = await jsonPost('travel-claims', claim(addr('edge'), meeting, { travel_start: addDays(meeting.from, -1), travel_end: addDays(meeting.until, 1) }));
    assert.equal(edge.status, 422, edge.text);
    assert.deepEqual(Object.keys(edge.json?.errors ?? {}).sort(), ['travel_end', 'travel_start'], edge.text);
    const inside = await jsonPost('travel-claims', claim(addr('edge'), meeting, { travel_start: meeting.from, travel_end: meeting.until }));
    assertSent(inside, 'travel dates on the first and last allowed days');
    // Coming back before leaving; no cost at all.
    const back = await jsonPost('travel-claims', claim(addr('back'), meeting, { travel_start: meeting.until, travel_end: meeting.from }));
    assert.equal(back.status, 422, back.text);
    assert.deepEqual(Object.keys(back.json?.errors ?? {}), ['travel_end'], back.text);
    const free = await jsonPost('travel-claims', claim(addr('free'), meeting, { transport_eur: '0', accommodation_eur: '0.00' }));
    assert.equal(free.status, 422, free.text);
    assert.deepEqual(Object.keys(free.json?.errors ?? {}), ['transport_eur'], free.text);
    // Every mistake in one answer (a JSON object has no order: the HTML summary, in the form's order, is checked in journeys.test.mjs).
    const all = await jsonPost('travel-claims', { email: 'x', event: 'no-such-meeting', travel_start: '', travel_end: 'soon', transport_eur: '-5', accommodation_eur: 'ten', consent: '', declaration: '' });
    assert.equal(all.status, 422, all.text);
    assert.deepEqual(Object.keys(all.json?.errors ?? {}).sort(), ['accommodation_eur', 'consent', 'declaration', 'email', 'event', 'transport_eur', 'travel_end', 'travel_start'], all.text);
    // What the form no longer asks is ignored, a total that is not the sum included.
    assertSent(await jsonPost('travel-claims', claim(addr('extra'), meeting, { name: 'Piet', city: 'Nowhere', country: 'XX', amount_eur: '1.00' })), 'a claim with the old fields');
  });

  test('JSON: a meeting that takes no claims is a mistake on the meeting field (422), and nothing is sent', async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const tried = [];
    const launch = contentEvents().find((e) => e.format === 'virtual');
    tried.push(['a virtual meeting', launch]);
    const cancelled = contentEvents().find((e) => e.status === 'cancelled' && e.format === 'physical');
    if (cancelled) tried.push(['a cancelled meeting', cancelled]);
    const closed = eligibleEvents().find((e) => !openOn(e, todayUtc()));
    if (closed) tried.push([`a meeting not open for claims today (${closed.id})`, closed]);
    else t.diagnostic('no eligible meeting is closed for claims today');
    tried.push(['an unknown meeting', { id: 'no-such-meeting', start: meeting.content.start, end: meeting.content.end }]);
    for (const [what, e] of tried) {
      const email = addr('closed');
      const r = await jsonPost('travel-claims', claim(email, { id: e.id, content: e }));
      assert.equal(r.status, 422, `${what}: ${r.text}`);
      assert.deepEqual(Object.keys(r.json?.errors ?? {}), ['event'], `${what}: ${r.text}`);
      assert.equal(mailsTo(email).length, 0, `${what}: an email was sent`);
    }
    // The 409 reasons of public data are gone: only the yearly limits, one claim per meeting and the representative's standing remain (openapi.yaml).
    const api = readFileSync(join(CONTENT, '..', 'openapi.yaml'), 'utf8');
    for (const gone of ['city_not_eligible', 'event_not_eligible', 'claims_not_open', 'over_per_trip_limit']) assert.ok(!api.includes(gone), `openapi.yaml still names ${gone}`);
  });


  test('bad requests get a clear 4xx, never a 5xx', async () => {
    const city = someCity();
    const big = JSON.stringify(registration(addr('big'), city, { name: 'x'.repeat(17 * 1024) }));
    const post = (type, body) => ({ method: 'POST', headers: { 'content-type': type }, body });
    const cases = [];
    for (const ep of ['register', 'travel-claims']) {
      cases.push(
        [`${ep}: text/plain body`, ep, post('text/plain', 'hello'), 415],
        [`${ep}: body over 16 KiB`, ep, post('application/json', big), 413],
        [`${ep}: invalid UTF-8`, ep, post('application/x-www-form-urlencoded', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xfe])), 400],
        [`${ep}: broken JSON`, ep, post('application/json', '{"name": '), 400],
        [`${ep}: GET`, ep, { method: 'GET' }, 405],
        [`${ep}: DELETE`, ep, { method: 'DELETE' }, 405],
        [`${ep}: a bad Idempotency-Key`, ep, { ...post('application/json', '{}'), headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(300) } }, 400],
        [`${ep}/resend: no address`, `${ep}/resend`, post('application/x-www-form-urlencoded', 'email='), 422],
        [`${ep}/resend: GET`, `${ep}/resend`, { method: 'GET' }, 405],
        [`${ep}/confirm: GET without a token`, `${ep}/confirm`, { method: 'GET' }, 410],
        [`${ep}/confirm: GET with an unknown token`, `${ep}/confirm?token=pnd_${'0'.repeat(32)}.${'A'.repeat(43)}`, { method: 'GET' }, 410],
        [`${ep}/confirm: GET with a malformed token`, `${ep}/confirm?token=%3Cscript%3E`, { method: 'GET' }, 410],
        [`${ep}/confirm: POST with an unknown token`, `${ep}/confirm`, post('application/x-www-form-urlencoded', `token=pnd_${'1'.repeat(32)}.${'B'.repeat(43)}`), 410],
        [`${ep}/confirm: POST without a token`, `${ep}/confirm`, { method: 'POST' }, 410],
        [`${ep}/confirm: PUT`, `${ep}/confirm`, { method: 'PUT' }, 405],
      );
    }
    cases.push(['an unknown form', 'nothing-here', post('application/json', '{}'), 404]);
    const wrong = [];
    for (const [what, path, init, expected] of cases) {
      const r = await fetch(`${serve.base}/api/${path}`, { redirect: 'manual', ...init });
      const text = await r.text();
      if ((r.headers.get('content-type') ?? '').startsWith('text/html') && !answerPages.some((a) => a.name.endsWith(`: ${r.status}`))) {
        answerPages.push({ name: `${what}: ${r.status}`, url: `${serve.base}/api/${path}`, status: r.status, html: text });
      }
      assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${text.slice(0, 200)}`);
      assert.ok(text.length > 0, `${what}: empty answer`);
      if (r.status !== expected) wrong.push(`${what}: ${r.status}, expected ${expected}: ${text.slice(0, 160)}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('the same answer for everyone', { timeout: 300_000 }, () => {
  test('the join form answers a known address, an unknown one and a filled honeypot alike', async () => {
    const city = someCity();
    const known = addr('known');
    await registerAndConfirm(known, city, { name: 'Old Name' });
    const unknown = addr('unknown');
    const bot = addr('bot');
    const answers = {
      known: await jsonPost('register', registration(known.toUpperCase(), city, { name: 'New Name' })),
      unknown: await jsonPost('register', registration(unknown, city)),
      honeypot: await jsonPost('register', registration(bot, city, { website: 'https://spam.example' })),
    };
    for (const [who, r] of Object.entries(answers)) assertSent(r, who);
    assert.deepEqual(answers.known.json, answers.unknown.json, 'a known address gets another answer than an unknown one');
    assert.deepEqual(answers.honeypot.json, answers.unknown.json, 'a filled honeypot gets another answer');
    // The same for a plain form.
    const forms = {
      known: await formPost('register', registration(known, city, { name: 'Newer Name' })),
      unknown: await formPost('register', registration(addr('unknown'), city)),
      honeypot: await formPost('register', registration(addr('bot'), city, { website: 'x' })),
    };
    for (const [who, r] of Object.entries(forms)) {
      assert.equal(r.status, 303, `${who}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.location, `${serve.base}/join/thanks/`, who);
      assert.equal(r.text, forms.unknown.text, `${who}: another body`);
    }
    // What differs is only in the mailbox of each address.
    assert.equal(newestMailTo(known).subject, 'Confirm the change to your contact details');
    assert.match(newestMailTo(unknown).subject, /^Confirm your registration/);
    assert.equal(mailsTo(bot).length, 0, 'the honeypot sent an email');
  });

  test('a claim from an address that is not a representative: same answer, an email to join first, no link, nothing kept', async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const city = qualifyingCities()[0];
    const stranger = addr('stranger');
    const r = await jsonPost('travel-claims', claim(stranger, meeting));
    assertSent(r, 'a claim from an unknown address');
    // A confirmed contact the secretariat has not approved is no representative either.
    const member = addr('member');
    await registerAndConfirm(member, city);
    const m = await jsonPost('travel-claims', claim(member, meeting));
    assertSent(m, 'a claim from a confirmed, not approved contact');
    assert.deepEqual(m.json, r.json);
    const f = await formPost('travel-claims', claim(addr('stranger'), meeting));
    assert.equal(f.status, 303, f.text.slice(0, 300));
    assert.equal(f.location, `${serve.base}/financial-support/thanks/`);
    for (const who of [stranger, member]) {
      const mail = newestMailTo(who);
      assert.equal(mail.subject, 'About your travel claim: join the group first');
      assert.match(mail.text, /join/i);
      assert.ok(mail.text.includes(`${serve.base}/join/`), `the email does not link the join form:\n${mail.text}`);
      assert.ok(!/\/confirm\b/.test(mail.text + mail.html), `the email holds a confirmation link:\n${mail.text}`);
      // A contact (confirmed, not approved) gets the way to leave at its end; a stranger, who is no contact, does not.
      assert.equal(leaveLinkIn(mail) !== null, who === member, `the leave link of the email to ${who}:\n${mail.text}`);
      // Nothing was kept: asking for the link again sends nothing.
      const before = mailsTo(who).length;
      assertSent(await jsonPost('travel-claims/resend', { email: who }), 'resend');
      assert.equal(mailsTo(who).length, before, 'a resend found a kept claim of a non-representative');
    }
  });

  test('the thanks pages ask "Didn\'t get the email?": a new link for what waits, the same answer when nothing does', async () => {
    const city = someCity();
    const waiting = addr('waiting');
    assertSent(await jsonPost('register', registration(waiting, city)), 'registration');
    const first = newestLink(waiting, 'register');
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    const resendOn = async (thanks, endpoint, email) => {
      await page.goto(`${serve.base}${thanks}`);
      assert.match(await page.locator('h1').innerText(), /inbox/i);
      const form = formOf(page, `${endpoint}/resend`);
      assert.equal(await form.count(), 1, `${thanks} has no form posting to .../${endpoint}/resend`);
      assert.match(await bodyText(page), /Didn.t get the email\?/);
      await setField(form, 'email', email);
      const posted = page.waitForResponse((r) => r.url().endsWith(`/api/${endpoint}/resend`) && r.request().method() === 'POST');
      await submit(page, form);
      const r = await posted;
      assert.equal(r.status(), 303, `resend for ${email} answered ${r.status()}`);
      assert.equal(pathOf(page), thanks);
    };
    await resendOn('/join/thanks/', 'register', waiting);
    const second = newestLink(waiting, 'register');
    assert.notEqual(second.token, first.token, 'the resent email has the same link');
    assert.match(second.mail.subject, /^Confirm your registration/);
    // Both links show the page until one is used.
    for (const l of [first, second]) assert.equal((await fetch(l.url)).status, 200, l.url);
    // Nothing waits for these: the same answer, no email.
    const nobody = addr('nobody');
    await resendOn('/join/thanks/', 'register', nobody);
    await resendOn('/financial-support/thanks/', 'travel-claims', nobody);
    assert.equal(mailsTo(nobody).length, 0);
    // A registration waiting is no claim waiting.
    const before = mailsTo(waiting).length;
    await resendOn('/financial-support/thanks/', 'travel-claims', waiting);
    assert.equal(mailsTo(waiting).length, before);
    await ctx.close();
  });
});

describe('posts from other sites', { timeout: 300_000 }, () => {
  test('403 for a foreign Origin, Sec-Fetch-Site cross-site or a foreign Referer; nothing kept or sent', async () => {
    const city = someCity();
    const meeting = firstMeeting();
    const refused = async (what, path, body, headers, json = true) => {
      const email = body.email ?? addr('x');
      const r = json ? await jsonPost(path, body, headers) : await formPost(path, body, headers);
      assert.equal(r.status, 403, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
      if (!json) {
        assert.match(r.headers.get('content-type') ?? '', /text\/html/);
        if (!answerPages.some((a) => a.status === 403)) answerPages.push({ name: `${what}: 403`, url: `${serve.base}/api/${path}`, status: 403, html: r.text });
      } else assert.ok(r.json?.error, `${what}: ${r.text}`);
      assert.equal(mailsTo(email).length, 0, `${what}: an email was sent`);
    };
    const evil = { origin: 'https://evil.example' };
    await refused('join form, JSON, Origin evil', 'register', registration(addr('evil'), city), evil);
    await refused('join form, plain, Sec-Fetch-Site cross-site', 'register', registration(addr('evil'), city), { 'sec-fetch-site': 'cross-site' }, false);
    await refused('join form, plain, Sec-Fetch-Site same-site', 'register', registration(addr('evil'), city), { 'sec-fetch-site': 'same-site' }, false);
    await refused('join form, plain, Referer evil', 'register', registration(addr('evil'), city), { referer: 'https://evil.example/page' }, false);
    await refused('join form, Origin null', 'register', registration(addr('evil'), city), { origin: 'null' });
    await refused('join form, another port of the same host', 'register', registration(addr('evil'), city), { origin: `http://127.0.0.1:${serve.port === 1 ? 2 : serve.port - 1}` });
    if (meeting) await refused('claim form, Origin evil', 'travel-claims', claim(addr('evil'), meeting), evil);

    // A link's Confirm and "send the link again" are posts too.
    const victim = addr('victim');
    assertSent(await jsonPost('register', registration(victim, city)), 'registration');
    const link = newestLink(victim, 'register');
    const sent = mailsTo(victim).length;
    const c = await jsonPost('register/confirm', { token: link.token }, evil);
    assert.equal(c.status, 403, c.text);
    const rs = await jsonPost('register/resend', { email: victim }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(rs.status, 403, rs.text);
    assert.equal(mailsTo(victim).length, sent, 'a refused resend sent an email');

    // The site's own origin is welcome, and the link was not used by the refused post.
    const own = await jsonPost('register/confirm', { token: link.token }, { origin: serve.base, 'sec-fetch-site': 'same-origin' });
    assert.equal(own.status, 200, own.text);
    assertSent(await jsonPost('register', registration(addr('own'), city), { origin: serve.base }), 'own origin');
    assertSent(await jsonPost('register', registration(addr('own'), city), { 'sec-fetch-site': 'same-origin' }), 'same-origin');
    assertSent(await jsonPost('register', registration(addr('own'), city), { referer: `${serve.base}/join/` }), 'own referer');
  });

  test('a page on another site posting the join form gets 403 (JavaScript off)', async () => {
    const city = someCity();
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    const email = addr('lured');
    const fields = Object.entries(registration(email, city))
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
      .join('\n');
    const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Win</title></head><body><main><form method="post" action="${serve.base}/api/register">${fields}<button type="submit">Win a prize</button></form></main></body></html>`;
    await page.route('http://evil.example/**', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await page.goto('http://evil.example/win');
    const resp = await press(page, 'Win a prize');
    assert.equal(resp.status(), 403, `status ${resp.status()} at ${page.url()}`);
    assert.match(await bodyText(page), /nothing was stored/i);
    assert.equal(mailsTo(email).length, 0, 'the post from another site sent an email');
    await ctx.close();
  });
});

describe('when the email cannot be sent', { timeout: 300_000 }, () => {
  const failSwitch = () => join(outboxDir(), 'FAIL');
  after(() => rmSync(failSwitch(), { force: true }));

  test('with JavaScript off: 503 with "Send the link again" filled in; once mail works, pressing it sends the link', async () => {
    const city = someCity();
    mkdirSync(outboxDir(), { recursive: true });
    writeFileSync(failSwitch(), '');
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    const email = addr('unlucky');
    await page.goto(`${serve.base}/join/`);
    const form = formOf(page, 'register');
    for (const [k, v] of Object.entries(registration(email, city))) {
      if (k === 'website' || (k === 'project' && v === '')) continue;
      await setField(form, k, v);
    }
    assert.deepEqual(await emptyRequired(form), [], 'required fields the test did not fill');
    const resp = await submit(page, form);
    await keepAnswer('registration while mail fails', page, resp);
    assert.equal(resp.status(), 503, `status ${resp.status()} at ${page.url()}: ${(await bodyText(page)).slice(0, 400)}`);
    assert.equal(mailsTo(email).length, 0);
    const resend = page.locator('form').filter({ has: page.getByRole('button', { name: 'Send the link again' }) });
    assert.equal(await resend.count(), 1, `the 503 page has no "Send the link again" form:\n${await bodyText(page)}`);
    assert.equal(await resend.locator('[name="email"]').inputValue(), email, 'the address is not filled in');

    rmSync(failSwitch());
    const posted = page.waitForResponse((r) => r.url().endsWith('/api/register/resend') && r.request().method() === 'POST');
    const landed = await press(page, 'Send the link again');
    const answered = (await posted).status();
    assert.equal(answered, 303, `"Send the link again" answered ${answered}: ${(await bodyText(page)).slice(0, 400)}\n(the browser sent ${landed.sentWith})`);
    assert.equal(pathOf(page), '/join/thanks/');
    const link = newestLink(email, 'register');
    assert.match(link.mail.subject, /^Confirm your registration/);
    assert.equal((await fetch(link.url)).status, 200, 'the link sent again does not open');
    await ctx.close();
  });

  test('JSON: 503 with the resend address; nothing sent', async (t) => {
    const city = someCity();
    writeFileSync(failSwitch(), '');
    const email = addr('unlucky');
    const r = await jsonPost('register', registration(email, city));
    assert.equal(r.status, 503, r.text);
    assert.ok(r.json?.error && /\/register\/resend$/.test(r.json.resend), r.text);
    assert.equal(mailsTo(email).length, 0);
    const meeting = firstMeeting();
    if (meeting) {
      const c = await jsonPost('travel-claims', claim(addr('unlucky'), meeting));
      assert.equal(c.status, 503, c.text);
    } else t.diagnostic(NO_MEETING());
    rmSync(failSwitch());
    assertSent(await jsonPost('register/resend', { email }), 'resend once mail works');
    newestLink(email, 'register');
  });
});

test('with JavaScript on: the join form is sent by the script and lands on /join/thanks/ too', async () => {
  const city = someCity();
  const ctx = await browser.newContext();
  const page = await openPage(ctx);
  await page.goto(`${serve.base}/join/`);
  const form = formOf(page, 'register');
  const email = addr('js');
  for (const [k, v] of Object.entries(registration(email, city))) {
    if (k === 'website' || (k === 'project' && v === '')) continue;
    await setField(form, k, v);
  }
  const posted = page.waitForResponse((r) => r.url().includes('/api/register') && r.request().method() === 'POST');
  await form.locator('button[type="submit"]').first().click();
  const r = await posted;
  assert.equal(r.status(), 303, `POST answered ${r.status()}`);
  assert.equal(r.request().resourceType(), 'fetch', 'the form was not sent by the script');
  await page.waitForURL(`${serve.base}/join/thanks/`);
  assert.match(await bodyText(page), /check your inbox/i);
  newestLink(email, 'register');
  await ctx.close();
});

test('what was confirmed and what waits survive a restart of serve', { timeout: 300_000 }, async () => {
  const city = someCity();
  const kept = addr('kept');
  await registerAndConfirm(kept, city, { name: 'Kept Name' });
  const waiting = addr('waiting');
  assertSent(await jsonPost('register', registration(waiting, city)), 'registration');
  const link = newestLink(waiting, 'register');
  // The same port: the links in the emails (and the kept answer pages) keep their address.
  await serve.stop();
  serve = await startServe({ dataDir, port: serve.port });
  // The contact is known: sending the form again asks to confirm a change.
  assertSent(await jsonPost('register', registration(kept, city)), 'registration of a known address');
  assert.equal(newestMailTo(kept).subject, 'Confirm the change to your contact details', 'the confirmed contact was lost in the restart');
  // The waiting registration's link still works, once.
  const c = await jsonPost('register/confirm', { token: link.token });
  assert.equal(c.status, 200, c.text);
  const again = await jsonPost('register/confirm', { token: link.token });
  assert.equal(again.status, 410, again.text);
  if (DESK) {
    const rows = contactRow(kept);
    assert.equal(rows.length, 1, desk('contacts'));
    assert.equal(rows[0].name, 'Kept Name');
    assert.equal(rows[0].status, 'confirmed');
  }
});

// --- the steps that need the secretariat's desk --------------------------------------

describe('the whole journey without JavaScript', { timeout: 600_000 }, () => {
  let ctx;
  let page;
  const j = { email: addr('journey'), name: 'Joana Viagem' };

  before(async () => {
    ctx = await browser.newContext({ javaScriptEnabled: false });
    page = await openPage(ctx);
  });
  after(async () => ctx?.close());

  test('join: /join/ sends the form and /join/thanks/ says to check the inbox', async (t) => {
    const meeting = firstMeeting();
    j.city = meeting ? takeCity() : someCity();
    await page.goto(`${serve.base}/join/`);
    const form = formOf(page, 'register');
    await setField(form, 'name', j.name);
    await setField(form, 'email', j.email);
    await setField(form, 'organisation', `City of ${j.city.name}`);
    await setField(form, 'position', 'Project officer');
    await setField(form, 'city', j.city.name);
    await setField(form, 'country', j.city.country);
    const role = j.city.records.find((r) => r.role !== 'observer')?.role;
    await setField(form, 'city_status', ['lighthouse', 'fellow'].includes(role) ? role : 'other');
    const project = j.city.records.find((r) => r.role !== 'observer')?.project;
    const projects = await optionsOf(form, 'project');
    if (project && projects?.some((p) => p.value === project)) await setField(form, 'project', project);
    await setField(form, 'consent', 'yes');
    assert.equal(await form.locator('[name="website"]').inputValue(), '');
    assert.deepEqual(await emptyRequired(form), [], 'required fields the test did not fill');
    const resp = await submit(page, form);
    await keepAnswer('/join/thanks/ after joining', page, resp);
    assert.equal(pathOf(page), '/join/thanks/', `landed on ${page.url()} (status ${resp.status()}): ${(await bodyText(page)).slice(0, 500)}`);
    assert.equal(resp.status(), 200);
    const text = await bodyText(page);
    assert.match(text, /check your inbox/i, text);
    assert.match(text, /confirm/i, text);
    t.diagnostic(outboxPage ? 'the emails are opened through /_outbox/' : 'serve has no /_outbox/ page (GET /_outbox/ is not 200): the links are read from the outbox files');
  });

  test('the emailed link opens a page with the details; Confirm answers "Registration confirmed"', async () => {
    assert.ok(j.city, 'the previous step did not run');
    const mail = newestMailTo(j.email);
    assert.match(mail.subject, /^Confirm your registration/);
    assert.ok(mail.text.includes(j.name), 'the email does not show the details sent');
    const { resp, link } = await openLinkFromOutbox(page, j.email, 'register');
    await keepAnswer('registration confirm page', page, resp);
    assert.equal(resp.status(), 200, `the link answered ${resp.status()}`);
    const shown = await bodyText(page);
    assert.match(await page.locator('h1').innerText(), /confirm your registration/i);
    for (const s of [j.name, j.email, j.city.name]) assert.ok(shown.includes(s), `the confirm page does not show ${s}:\n${shown}`);
    const done = await press(page, 'Confirm');
    await keepAnswer('registration confirmed', page, done);
    await expectStatus(page, done, 200, 'Confirm on the registration page');
    assert.match(await page.locator('h1').innerText(), /Registration confirmed/);
    // A link works once.
    const used = await page.goto(link.url);
    await keepAnswer('registration link used twice', page, used);
    assert.equal(used.status(), 410);
    j.confirmed = true;
  });

  test('the secretariat approves the contact with desk; desk contacts lists it as approved', { skip: NO_DESK }, () => {
    assert.ok(j.confirmed, 'the registration was not confirmed in the previous step');
    const before = contactRow(j.email);
    assert.equal(before.length, 1, desk('contacts'));
    assert.equal(before[0].status, 'confirmed');
    const row = approve(j.email, j.city);
    assert.equal(row.name, j.name);
    assert.ok(normalize(row.represents).includes(normalize(j.city.name)), `REPRESENTS is ${row.represents}`);
    j.approved = true;
  });

  test('claim: /financial-support/ sends the claim and /financial-support/thanks/ says to check the inbox', { skip: NO_DESK }, async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    assert.ok(j.approved, 'the contact was not approved in the previous step');
    j.meeting = meeting;
    await page.goto(`${serve.base}/financial-support/`);
    const form = await fillClaim(page, claim(j.email, meeting));
    const check = await submit(page, form);
    await keepAnswer('check your answers', page, check);
    const resp = await declareAndSend(page);
    await keepAnswer('/financial-support/thanks/ after claiming', page, resp);
    const text = await bodyText(page);
    assert.equal(pathOf(page), '/financial-support/thanks/', `landed on ${page.url()} (status ${resp.status()}):\n${text.slice(0, 600)}`);
    assert.match(text, /check your inbox/i, text);
    assert.equal(newestMailTo(j.email).subject, 'Confirm your travel claim');
  });

  test('the claim link shows the claim; Confirm answers the receipt with its reference and what the city has left', { skip: NO_DESK }, async (t) => {
    if (!firstMeeting()) return t.skip(NO_MEETING());
    assert.ok(j.meeting, 'the claim was not sent in the previous step');
    const { resp, link } = await openLinkFromOutbox(page, j.email, 'travel-claims');
    await keepAnswer('claim confirm page', page, resp);
    assert.equal(resp.status(), 200);
    const shown = await bodyText(page);
    assert.match(await page.locator('h1').innerText(), /confirm your travel claim/i);
    const travel = `${longDate(j.meeting.content.start.slice(0, 10))} to ${longDate(j.meeting.content.end.slice(0, 10))}`;
    for (const s of [j.meeting.content.title, j.city.name, travel, '412.50 EUR']) {
      assert.ok(shown.includes(s), `the confirm page does not show ${s}:\n${shown}`);
    }
    const done = await press(page, 'Confirm and send my claim');
    await keepAnswer('claim receipt', page, done);
    await expectStatus(page, done, 200, 'Confirm on the claim page');
    const receipt = await bodyText(page);
    assert.match(await page.locator('h1').innerText(), /Claim confirmed/);
    assert.match(receipt, /\bCCG-\d{4}-\d{4,}\b/, `no reference:\n${receipt}`);
    for (const s of [j.meeting.content.title, j.city.name, travel, '412.50 EUR']) assert.ok(receipt.includes(s), `the receipt does not show ${s}:\n${receipt}`);
    const year = j.meeting.content.start.slice(0, 4);
    const left = receipt.match(/Your city has left for (\d{4})\s*(\d+) trips?, ([\d.]+) EUR/);
    assert.ok(left, `the receipt does not say what the city has left:\n${receipt}`);
    assert.deepEqual(left.slice(1), [year, String(RULES.maxTripsPerYear - 1), euros(RULES.maxPerYearCents - 41250).replace(/\.00$/, '')]);
    const used = await jsonPost('travel-claims/confirm', { token: link.token });
    assert.equal(used.status, 410, used.text);
  });
});

describe('confirmations decide, the secretariat approves', { timeout: 600_000 }, () => {
  test('no change to a contact before its owner confirms it (desk contacts shows the old name until then)', { skip: NO_DESK }, async () => {
    const city = someCity();
    const email = addr('changer');
    await registerAndConfirm(email, city, { name: 'Old Name' });
    assertSent(await jsonPost('register', registration(email, city, { name: 'New Name' })), 'a change');
    assert.equal(contactRow(email)[0]?.name, 'Old Name', 'the contact changed before confirmation');
    const link = newestLink(email, 'register');
    assert.equal(link.mail.subject, 'Confirm the change to your contact details');
    assert.ok(link.mail.text.includes('New Name'));
    const c = await jsonPost('register/confirm', { token: link.token });
    assert.equal(c.status, 200, c.text);
    assert.equal(contactRow(email)[0]?.name, 'New Name', 'the confirmed change is not in desk contacts');
  });

  test("a representative's claim and a stranger's and one from a city that does not qualify get the same answer", { skip: NO_DESK }, async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const city = takeCity();
    const rep = addr('rep');
    await registerAndConfirm(rep, city);
    approve(rep, city);
    const a = await jsonPost('travel-claims', claim(rep, meeting));
    const b = await jsonPost('travel-claims', claim(addr('stranger'), meeting));
    assertSent(a, 'representative');
    assert.deepEqual(b.json, a.json);
    const fa = await formPost('travel-claims', claim(rep, meeting));
    const fb = await formPost('travel-claims', claim(addr('stranger'), meeting));
    assert.deepEqual([fa.status, fa.location, fa.text], [fb.status, fb.location, fb.text]);
    assert.equal(newestMailTo(rep).subject, 'Confirm your travel claim');
    // A representative of a city that does not qualify: the same answer; the email says why, with no link.
    const observer = observerCity();
    const watcher = addr('observer');
    await registerAndConfirm(watcher, observer);
    approve(watcher, observer);
    const o = await jsonPost('travel-claims', claim(watcher, meeting));
    assert.deepEqual([o.status, o.json], [a.status, a.json], o.text);
    const fo = await formPost('travel-claims', claim(watcher, meeting));
    assert.deepEqual([fo.status, fo.location, fo.text], [fb.status, fb.location, fb.text]);
    const told = newestMailTo(watcher);
    assert.equal(told.subject, 'About your travel claim: your city does not qualify');
    assert.ok(told.text.includes(observer.name), `the email does not name the city:\n${told.text}`);
    assert.ok(!/\/confirm\b/.test(told.text + told.html), `the email holds a confirmation link:\n${told.text}`);
    assert.ok(leaveLinkIn(told), `the email to a contact has no way to leave:\n${told.text}`);
    // The newest claim waits; "send the link again" sends a new link for it.
    const before = newestLink(rep, 'travel-claims');
    assertSent(await jsonPost('travel-claims/resend', { email: rep }), 'resend');
    const after = newestLink(rep, 'travel-claims');
    assert.notEqual(after.token, before.token);
  });

  test('yearly limits are checked at confirmation: the third confirmed trip of a city in a year gets 409 over_yearly_trips', { skip: NO_DESK }, async (t) => {
    const byYear = new Map();
    for (const e of claimForm.events) byYear.set(e.content.start.slice(0, 4), [...(byYear.get(e.content.start.slice(0, 4)) ?? []), e]);
    const [year, meetings] = [...byYear.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    if (!meetings) return t.skip(NO_MEETING());
    if (meetings.length < 2) {
      // One contribution per person and meeting: with one meeting, the trips are several representatives'.
      t.diagnostic(`the claim form offers only ${meetings.length} meeting in ${year}: the trips are claimed by ${RULES.maxTripsPerYear + 1} representatives of one city`);
    }
    const city = takeCity();
    // (person, meeting) pairs, each person at most once per meeting: the first person's go to different meetings.
    const pairs = [];
    for (let p = 0; pairs.length <= RULES.maxTripsPerYear; p++) for (const m of meetings) if (pairs.length <= RULES.maxTripsPerYear) pairs.push([p, m]);
    const people = [...new Set(pairs.map(([p]) => p))].map((p) => addr(`limit${p}`));
    for (const p of people) {
      await registerAndConfirm(p, city);
      approve(p, city);
    }
    const links = [];
    for (const [p, m] of pairs) {
      assertSent(await jsonPost('travel-claims', claim(people[p], m, { transport_eur: '100.00', accommodation_eur: '0.00' })), `claim ${links.length + 1}`);
      links.push(newestLink(people[p], 'travel-claims'));
    }
    // Sent, not counted: every claim got a link. The confirmations count them, in order.
    for (let i = 0; i < RULES.maxTripsPerYear; i++) {
      const r = await jsonPost('travel-claims/confirm', { token: links[i].token });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json?.status, 'confirmed', r.text);
      assert.match(r.json.id, /^clm_/);
      assert.match(r.json.reference, /^CCG-\d{4}-\d{4,}$/, r.text);
      assert.deepEqual(r.json.remaining, { trips: RULES.maxTripsPerYear - 1 - i, euros: euros(RULES.maxPerYearCents - 10000 * (i + 1)) }, r.text);
    }
    const last = links[RULES.maxTripsPerYear];
    // The person presses Confirm on the page: 409 with a page that says why.
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    await page.goto(last.url);
    const resp = await press(page, 'Confirm and send my claim');
    await keepAnswer('claim over the yearly trips at confirmation', page, resp);
    await expectStatus(page, resp, 409, 'Confirm of a claim over the yearly trips');
    assert.ok((await bodyText(page)).includes(String(year)), 'the refusal does not say the year');
    await ctx.close();
    // A refusal leaves the link usable, and JSON names the reason.
    const r = await jsonPost('travel-claims/confirm', { token: last.token });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json?.reason, 'over_yearly_trips', r.text);
  });

  test('at confirmation: one contribution per person and meeting (already_claimed), and only while a representative (not_representative)', { skip: NO_DESK }, async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const city = takeCity();
    const rep = addr('twice');
    await registerAndConfirm(rep, city);
    approve(rep, city);
    const small = { transport_eur: '50.00', accommodation_eur: '0.00' };
    assertSent(await jsonPost('travel-claims', claim(rep, meeting, small)), 'first claim');
    const first = newestLink(rep, 'travel-claims');
    assertSent(await jsonPost('travel-claims', claim(rep, meeting, small)), 'second claim, same meeting');
    const second = newestLink(rep, 'travel-claims');
    assert.equal((await jsonPost('travel-claims/confirm', { token: first.token })).status, 200);
    const dup = await jsonPost('travel-claims/confirm', { token: second.token });
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.json?.reason, 'already_claimed', dup.text);

    const gone = addr('gone');
    const other = takeCity();
    await registerAndConfirm(gone, other);
    approve(gone, other);
    assertSent(await jsonPost('travel-claims', claim(gone, meeting, small)), 'claim before the decline');
    const link = newestLink(gone, 'travel-claims');
    assert.match(desk('decline', gone, '--reason', 'left the city'), /declined/i);
    const r = await jsonPost('travel-claims/confirm', { token: link.token });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json?.reason, 'not_representative', r.text);
  });
});

// --- a claim's life after its confirmation ------------------------------------------

/** A new approved representative of a city no other test used: { email, name, city, cityKey }. */
async function newRepresentative(who, name) {
  const city = takeCity();
  const email = addr(who);
  await registerAndConfirm(email, city, { name });
  const row = approve(email, city);
  return { email, name, city, cityKey: row.represents };
}

/** Sends and confirms a claim as JSON; returns { id, link }. */
async function claimAndConfirm(rep, meeting, extra = {}) {
  assertSent(await jsonPost('travel-claims', claim(rep.email, meeting, extra)), `claim of ${rep.email}`);
  const link = newestLink(rep.email, 'travel-claims');
  const r = await jsonPost('travel-claims/confirm', { token: link.token });
  assert.equal(r.status, 200, `confirmation of the claim of ${rep.email}: ${r.text}`);
  assert.equal(r.json?.status, 'confirmed', r.text);
  assert.match(r.json.id, /^clm_[0-9a-f]{32}$/, r.text);
  assert.match(r.json.reference, /^CCG-\d{4}-\d{4,}$/, r.text);
  return { id: r.json.id, reference: r.json.reference, link };
}

/**
 * With `page` (JavaScript off): the claim form, "check your inbox", the
 * emailed link through /_outbox/, Confirm. Returns { id, link }.
 */
async function claimInBrowser(page, rep, meeting, extra = {}) {
  await page.goto(`${serve.base}/financial-support/`);
  const form = await fillClaim(page, claim(rep.email, meeting, extra));
  await submit(page, form);
  const sent = await declareAndSend(page);
  assert.equal(pathOf(page), '/financial-support/thanks/', `landed on ${page.url()} (status ${sent.status()}):\n${(await bodyText(page)).slice(0, 600)}`);
  const { resp, link } = await openLinkFromOutbox(page, rep.email, 'travel-claims');
  assert.equal(resp.status(), 200, `the claim link answered ${resp.status()}`);
  const done = await press(page, 'Confirm and send my claim');
  await expectStatus(page, done, 200, 'Confirm on the claim page');
  const receipt = await bodyText(page);
  // The receipt names the claim by its reference; the desk lists it next to the internal id.
  const reference = receipt.match(/\bCCG-\d{4}-\d{4,}\b/)?.[0];
  assert.ok(reference, `no reference on the receipt:\n${receipt}`);
  const id = deskClaims().find((r) => r.reference === reference)?.id;
  assert.match(id ?? '', /^clm_[0-9a-f]{32}$/, `desk claims does not list ${reference}:\n${desk('claims')}`);
  return { id, reference, link };
}

const WITHDRAW = 'Withdraw this claim';
const withdrawButtons = (page) => page.getByRole('button', { name: WITHDRAW, exact: true }).count();

/** The sentence the claim's page starts with, for each state. */
const STANDING = {
  counted: 'is confirmed and counted; the Scalable Cities Secretariat has not decided on it yet',
  approved: 'is approved by the Scalable Cities Secretariat; payment follows',
  paid: 'is paid',
  rejected: 'is rejected by the Scalable Cities Secretariat',
  withdrawn: 'is withdrawn by you',
};

/**
 * Opens a claim's confirmation link again (used once, it shows the claim as it
 * stands), keeps the page for the checks at the end and checks what every
 * state shows: the heading, "Your claim ID is ...", the reference and the amount.
 * Returns the page's text.
 */
async function openClaimPage(page, c, status, name) {
  const resp = await page.goto(c.link.url);
  await keepAnswer(name, page, resp);
  const text = await bodyText(page);
  assert.equal(resp.status(), 200, `the used link of ${c.id} answered ${resp.status()}:\n${text.slice(0, 600)}`);
  assert.match(await page.locator('h1').innerText(), /travel claim/i, text);
  assert.ok(text.includes(`Your claim ${c.reference} ${STANDING[status]}`), `the claim page does not say "Your claim ${c.reference} ${STANDING[status]}":\n${text}`);
  assert.ok(text.includes('412.50 EUR'), `the claim page does not show the amount:\n${text}`);
  assert.equal(await withdrawButtons(page), status === 'counted' ? 1 : 0, `${status}: the number of "${WITHDRAW}" buttons is wrong:\n${text}`);
  return text;
}

/** The secretariat's email about claim `id` (one). */
function secretariatMailAbout(id) {
  const mails = mailsTo(SECRETARIAT).filter((m) => m.text.includes(id));
  assert.equal(mails.length, 1, `${mails.length} emails to ${SECRETARIAT} name ${id}: ${mails.map((m) => m.subject).join('; ')}`);
  return mails[0];
}

/** A small RFC 4180 reader: rows of fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe("a claim's life after its confirmation", { timeout: 600_000 }, () => {
  let ctx;
  let page;
  // The claim of the first test, paid in the end; the one rejected in the third;
  // the applicant's emails about decisions, with the meeting's title.
  const life = { decisions: [] };

  before(async () => {
    ctx = await browser.newContext({ javaScriptEnabled: false });
    page = await openPage(ctx);
  });
  after(async () => ctx?.close());

  test('counted, approved, paid: the link shows each state, desk decides and keeps the history, the applicant and the secretariat get emails (JavaScript off)', { skip: NO_DESK }, async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const year = meeting.content.start.slice(0, 4);

    // The secretariat hears of the confirmed registration, with the command that admits the person.
    const city = takeCity();
    const rep = { email: addr('life'), name: 'Lena Lifecycle', city };
    await registerAndConfirm(rep.email, city, { name: rep.name });
    const joined = mailsTo(SECRETARIAT).filter((m) => m.text.includes(rep.email));
    assert.equal(joined.length, 1, `${joined.length} emails to ${SECRETARIAT} name ${rep.email}`);
    assert.equal(joined[0].subject, `New confirmed registration: ${rep.name}`);
    // It links to the person's page on the desk, named by a hash, never by the address.
    assert.match(joined[0].text, /^https?:\/\/[^\s]+\/desk\/people\/lv_[0-9a-f]{32}\/$/m, `the secretariat's email does not link to the person's page on the desk:\n${joined[0].text}`);
    assert.match(desk('approve', rep.email, '--city', city.name, '--country', city.country), /approved representative/i);
    const row = contactRow(rep.email);
    assert.equal(row[0]?.status, 'approved', desk('contacts'));
    rep.cityKey = row[0].represents;

    // Confirmed in the browser: the secretariat gets the claim to decide.
    const c = await claimInBrowser(page, rep, meeting);
    life.paid = { ...c, rep, meeting };
    const told = secretariatMailAbout(c.id);
    assert.equal(told.subject, `Travel claim to decide: 412.50 EUR for ${city.name}`);
    for (const s of [`/desk/claims/${c.reference}/\n`, `Reference: ${c.reference} (${c.id})`, rep.name, rep.email, meeting.content.title]) {
      assert.ok(told.text.includes(s), `the secretariat's email about ${c.id} lacks "${s}":\n${told.text}`);
    }
    const counted = claimRow(c.id, '--status', 'counted');
    assert.ok(counted, `desk claims --status counted does not list ${c.id}:\n${desk('claims')}`);
    assert.deepEqual(
      { year: counted.year, meeting: counted.meeting, name: counted.name, eur: counted.eur, paid: counted.paid },
      { year, meeting: meeting.id, name: rep.name, eur: '412.50', paid: '-' },
    );
    assert.ok(counted.city.includes(city.name), `CITY is ${counted.city}`);
    assert.equal(claimRow(c.id, '--status', 'approved'), undefined, 'desk claims --status approved lists a counted claim');

    // The link, used once, shows the claim: not decided yet, and it can be withdrawn.
    await openClaimPage(page, c, 'counted', 'claim page: counted');
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: WITHDRAW, exact: true }) });
    assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post');
    assert.match(await form.getAttribute('action'), /\/api\/travel-claims\/withdraw$/);
    assert.equal(await form.locator('input[type="hidden"][name="token"]').inputValue(), c.link.token);

    // Nothing to pay before the approval.
    const early = deskRefuses('paid', c.id, '--amount', '412.50', '--on', '2027-04-02');
    assert.match(early, /counted|not been approved/i, early);

    // Approved with the command line (the desk's pages: desk.test.mjs).
    const approved = desk('approve-claim', c.reference);
    assert.match(approved, /approved/i, approved);
    assert.ok(approved.includes(`${rep.email} was emailed`), `desk does not say the applicant was emailed:\n${approved}`);
    assert.equal(claimRow(c.id)?.status, 'approved', desk('claims'));
    await openClaimPage(page, c, 'approved', 'claim page: approved');
    const late = await jsonPost('travel-claims/withdraw', { token: c.link.token });
    assert.equal(late.status, 409, `withdrawing an approved claim: ${late.text}`);
    assert.equal(late.json?.reason, 'not_withdrawable', late.text);
    assert.equal(claimRow(c.id)?.status, 'approved', 'a refused withdrawal changed the claim');

    // The applicant's email, as the preview shows it.
    const mail = newestMailTo(rep.email);
    assert.equal(mail.subject, 'Your travel claim is approved');
    assert.ok(mail.text.includes(c.reference), `the approval email does not give the reference:\n${mail.text}`);
    life.decisions.push({ mail, title: meeting.content.title });
    if (outboxPage) {
      await openNewestInOutbox(page, rep.email, 'Your travel claim is approved');
      assert.ok((await bodyText(page)).includes(c.reference), 'the approval email at /_outbox/ does not show the reference');
    } else t.diagnostic('serve has no /_outbox/ page: the approval email was read from its file');

    // Paid: never more than asked.
    const over = deskRefuses('paid', c.id, '--amount', '412.51', '--on', '2027-04-02');
    assert.match(over, /more than/i, over);
    assert.equal(claimRow(c.id)?.status, 'approved', 'a refused payment changed the claim');
    const paid = desk('paid', c.id, '--amount', '412.50', '--on', '2027-04-02');
    assert.match(paid, /paid/i, paid);
    const paidRow = claimRow(c.id, '--status', 'paid');
    assert.equal(paidRow?.paid, '412.50', desk('claims'));
    const shown = await openClaimPage(page, c, 'paid', 'claim page: paid');
    assert.ok(shown.includes('Paid: 412.50 EUR on 2 April 2027.'), `the claim page does not say the payment:\n${shown}`);
    const paidMail = newestMailTo(rep.email);
    assert.equal(paidMail.subject, 'Your travel claim is paid');
    for (const s of ['412.50 EUR', '2 April 2027', c.reference]) assert.ok(paidMail.text.includes(s), `the payment email lacks "${s}":\n${paidMail.text}`);
    life.decisions.push({ mail: paidMail, title: meeting.content.title });
    // Paid is the end: no second payment, no rejection, no withdrawal; the trip stays used.
    assert.match(deskRefuses('paid', c.id, '--amount', '1.00', '--on', '2027-04-03'), /paid/i);
    assert.match(deskRefuses('reject-claim', c.id, '--reason', 'Too late'), /paid/i);
    assert.equal((await jsonPost('travel-claims/withdraw', { token: c.link.token })).status, 409);
    const used = deskUsage(rep.cityKey, year);
    assert.deepEqual([used.trips, used.eur], [1, '412.50'], desk('usage'));

    // The claim's history names who did what.
    const { out, history } = deskHistoryOf(c.id);
    assert.match(out.split('\n')[0], new RegExp(`^${c.reference}\\s+${c.id}\\s+paid$`), out);
    const line = (action) => {
      const i = history.findIndex((l) => l.split(/\s+/).includes(action));
      assert.ok(i >= 0, `desk claim ${c.id}: no ${action} in the history:\n${history.join('\n')}`);
      assert.ok(history[i].includes(c.id), `the ${action} line does not name the claim: ${history[i]}`);
      return i;
    };
    const [confirmedAt, approvedAt, paidAt] = ['claim.confirmed', 'claim.approved', 'claim.paid'].map(line);
    assert.ok(confirmedAt < approvedAt && approvedAt < paidAt, `the history is out of order:\n${history.join('\n')}`);
    for (const i of [approvedAt, paidAt]) assert.ok(history[i].includes(OPERATOR), `the history line does not name the operator ${OPERATOR}: ${history[i]}`);
    assert.ok(history[paidAt].includes('412.50') && history[paidAt].includes('2027-04-02'), `the paid line does not say what and when: ${history[paidAt]}`);
    assert.equal(desk('history', c.id), history.join('\n') + '\n', 'desk history ID differs from the history desk claim ID shows');
  });

  test('withdrawn from the link (JavaScript off): "Claim withdrawn", the trip goes back, a second press gets 409', { skip: NO_DESK }, async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const year = meeting.content.start.slice(0, 4);
    const rep = await newRepresentative('withdraw', 'Wim Withdraw');
    const c = await claimInBrowser(page, rep, meeting);
    const before = deskUsage(rep.cityKey, year);
    assert.deepEqual(
      { trips: before.trips, tripsLeft: before.tripsLeft, eur: before.eur, eurLeft: before.eurLeft },
      { trips: 1, tripsLeft: RULES.maxTripsPerYear - 1, eur: '412.50', eurLeft: euros(RULES.maxPerYearCents - 41250) },
      desk('usage'),
    );

    // Two tabs on the claim's page: the second one is pressed after the first withdrew.
    await openClaimPage(page, c, 'counted', 'claim page: counted, before withdrawing');
    const stale = await openPage(ctx);
    await stale.goto(c.link.url);
    assert.equal(await withdrawButtons(stale), 1);

    // Another site cannot withdraw it.
    const foreign = await jsonPost('travel-claims/withdraw', { token: c.link.token }, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal(claimRow(c.id)?.status, 'counted', 'a withdrawal from another site changed the claim');

    const done = await press(page, WITHDRAW);
    await keepAnswer('claim withdrawn', page, done);
    await expectStatus(page, done, 200, WITHDRAW);
    assert.equal(await page.locator('h1').innerText(), 'Claim withdrawn');
    const said = await bodyText(page);
    for (const s of [c.reference, rep.city.name, year]) assert.ok(said.includes(s), `the answer does not say ${s}:\n${said}`);

    const after = deskUsage(rep.cityKey, year);
    assert.deepEqual(
      { trips: after.trips, tripsLeft: after.tripsLeft, eur: after.eur, eurLeft: after.eurLeft },
      { trips: before.trips - 1, tripsLeft: before.tripsLeft + 1, eur: euros(0), eurLeft: euros(RULES.maxPerYearCents) },
      `desk usage after the withdrawal:\n${desk('usage')}`,
    );
    if (!after.listed) t.diagnostic(`desk usage no longer lists ${rep.cityKey} for ${year} once nothing is used`);
    assert.equal(claimRow(c.id, '--status', 'withdrawn')?.status, 'withdrawn', desk('claims'));
    await openClaimPage(page, c, 'withdrawn', 'claim page: withdrawn');
    const { history } = deskHistoryOf(c.id);
    assert.ok(history.some((l) => l.split(/\s+/).includes('claim.withdrawn')), `no claim.withdrawn in the history:\n${history.join('\n')}`);

    // The page still open in the other tab: pressing again is refused, with a page that says why.
    const twice = await press(stale, WITHDRAW);
    await keepAnswer('claim withdrawn twice: 409', stale, twice);
    await expectStatus(stale, twice, 409, `${WITHDRAW} a second time`);
    assert.equal(await stale.locator('h1').innerText(), 'The claim cannot be withdrawn');
    assert.match(await bodyText(stale), /withdrawn/i);
    await stale.close();
    assert.deepEqual(deskUsage(rep.cityKey, year).trips, 0, 'a refused withdrawal changed the usage');
    const json = await jsonPost('travel-claims/withdraw', { token: c.link.token });
    assert.equal(json.status, 409, json.text);
    assert.equal(json.json?.reason, 'not_withdrawable', json.text);
    // No decision on a withdrawn claim.
    assert.match(deskRefuses('approve-claim', c.id), /withdrawn/i);
  });

  test('rejected with a reason: the applicant is told why, the link shows it, the trip goes back, a new claim for the meeting counts', { skip: NO_DESK }, async (t) => {
    const meeting = firstMeeting();
    if (!meeting) return t.skip(NO_MEETING());
    const year = meeting.content.start.slice(0, 4);
    const rep = await newRepresentative('reject', 'Rita Rejected');
    const c = await claimAndConfirm(rep, meeting);
    life.rejected = c;
    assert.equal(deskUsage(rep.cityKey, year).trips, 1, desk('usage'));

    assert.match(deskRefuses('reject-claim', c.id), /reason/i, 'a rejection without a reason was accepted');
    const out = desk('reject-claim', c.id, '--reason', 'No tickets');
    assert.match(out, /rejected/i, out);
    assert.ok(out.includes(`${rep.email} was emailed`), `desk does not say the applicant was emailed:\n${out}`);
    const mail = newestMailTo(rep.email);
    assert.equal(mail.subject, 'Your travel claim was not accepted');
    for (const s of ['No tickets', c.reference]) assert.ok(mail.text.includes(s), `the rejection email lacks "${s}":\n${mail.text}`);
    life.decisions.push({ mail, title: meeting.content.title });

    const shown = await openClaimPage(page, c, 'rejected', 'claim page: rejected');
    assert.ok(shown.includes("The secretariat's reason: No tickets"), `the claim page does not give the reason:\n${shown}`);
    const { history } = deskHistoryOf(c.id);
    const line = history.find((l) => l.split(/\s+/).includes('claim.rejected'));
    assert.ok(line?.includes(OPERATOR) && line.includes('No tickets'), `the rejection in the history: ${line}\n${history.join('\n')}`);

    const usage = deskUsage(rep.cityKey, year);
    assert.deepEqual([usage.trips, usage.eur], [0, euros(0)], `desk usage after the rejection:\n${desk('usage')}`);
    assert.match(deskRefuses('approve-claim', c.id), /rejected/i);
    assert.match(deskRefuses('paid', c.id, '--amount', '412.50', '--on', '2027-04-02'), /rejected/i);

    // The same person claims for the same meeting again: it counts.
    const again = await claimAndConfirm(rep, meeting, { transport_eur: '200.00', accommodation_eur: '0.00' });
    assert.notEqual(again.id, c.id);
    assert.equal(claimRow(again.id)?.status, 'counted', desk('claims'));
    const now = deskUsage(rep.cityKey, year);
    assert.deepEqual([now.trips, now.eur], [1, '200.00'], desk('usage'));
    // Both claims of the city, and only those, with the filters.
    const both = deskClaims('--city', rep.city.name, '--year', year, '--event', meeting.id);
    assert.deepEqual(both.map((r) => `${r.id} ${r.status}`).sort(), [`${c.id} rejected`, `${again.id} counted`].sort(), desk('claims'));
    assert.deepEqual(deskClaims('--status', 'rejected').filter((r) => r.city === both[0].city).map((r) => r.id), [c.id]);
  });

  test('export claims as CSV; erase a person with a paid claim: gone from the contacts, the claim kept as [erased]', { skip: NO_DESK }, () => {
    assert.ok(life.paid && life.rejected, 'the claims of the previous tests are missing');
    const dir = tempDir('export');
    try {
      const file = join(dir, 'claims.csv');
      const said = desk('export', 'claims', '-o', file);
      assert.ok(existsSync(file), `desk export claims wrote nothing (it said: ${said})`);
      const text = readFileSync(file, 'utf8');
      const [head, ...rows] = parseCsv(text);
      for (const col of ['id', 'reference', 'status', 'city', 'name', 'email', 'amount_eur']) assert.ok(head.includes(col), `the CSV header lacks ${col}: ${head.join(',')}`);
      const listed = deskClaims();
      assert.equal(rows.length, listed.length, `the CSV has ${rows.length} rows, desk claims lists ${listed.length}`);
      for (const r of rows) assert.equal(r.length, head.length, `a CSV row with ${r.length} fields instead of ${head.length}: ${r.join(',')}`);
      const rec = (id) => {
        const r = rows.filter((x) => x[head.indexOf('id')] === id);
        assert.equal(r.length, 1, `${r.length} CSV rows for ${id}`);
        return Object.fromEntries(head.map((h, i) => [h, r[0][i]]));
      };
      assert.deepEqual(new Set(rows.map((r) => r[head.indexOf('id')])), new Set(listed.map((r) => r.id)), 'the CSV and desk claims list other claims');
      const paid = rec(life.paid.id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.email, life.paid.rep.email);
      assert.equal(paid.amount_eur, '412.50');
      if ('paid_eur' in paid) assert.equal(paid.paid_eur, '412.50');
      if ('paid_on' in paid) assert.equal(paid.paid_on, '2027-04-02');
      const rejected = rec(life.rejected.id);
      assert.equal(rejected.status, 'rejected');
      if ('reason' in rejected) assert.equal(rejected.reason, 'No tickets');

      // Erase the person whose claim was paid.
      const { email, name } = life.paid.rep;
      const erased = desk('erase', email);
      assert.match(erased, /1 approved or paid claim\(s\) kept/, erased);
      assert.deepEqual(deskContacts().filter((r) => r.email.toLowerCase() === email.toLowerCase()), [], `desk contacts still lists ${email}`);
      const kept = claimRow(life.paid.id);
      assert.ok(kept, `desk claims no longer lists the paid claim ${life.paid.id}`);
      assert.deepEqual([kept.status, kept.name, kept.paid], ['paid', '[erased]', '412.50']);
      const { out } = deskHistoryOf(life.paid.id);
      assert.ok(out.includes('Claimant: [erased]'), `desk claim after the erasure:\n${out}`);
      const everything = desk('history') + desk('claims');
      for (const s of [email, name]) assert.ok(!everything.includes(s), `desk history or claims still show "${s}" after the erasure`);
      desk('export', 'claims', '-o', file);
      const after = readFileSync(file, 'utf8');
      assert.ok(!after.includes(email) && !after.includes(name), 'the exported claims still hold the erased person');
      assert.equal(parseCsv(after).length, parseCsv(text).length, 'the erasure changed the number of claims exported');
    } finally {
      cleanup(dir);
    }
  });

  test("the applicant's emails about decisions name the meeting by its title, as the claim's other emails and pages do", { skip: NO_DESK }, (t) => {
    if (!firstMeeting()) return t.skip(NO_MEETING());
    assert.ok(life.decisions.length >= 3, `only ${life.decisions.length} decision emails were kept by the tests above`);
    const wrong = life.decisions
      .filter(({ mail, title }) => !mail.text.includes(`Meeting: ${title}`))
      .map(({ mail, title }) => `"${mail.subject}" says "${mail.text.match(/^Meeting: .*$/m)?.[0] ?? '(no meeting line)'}" instead of "Meeting: ${title}"`);
    // The desk's own view of a claim, too.
    const title = life.decisions[0].title;
    if (life.rejected) {
      const { out } = deskHistoryOf(life.rejected.id);
      if (!out.includes(`Meeting: ${title}`)) wrong.push(`desk claim ${life.rejected.id} says "${out.match(/^Meeting: .*$/m)?.[0] ?? '(no meeting line)'}" instead of "Meeting: ${title}"`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('leaving the group from a link in an email', { timeout: 300_000 }, () => {
  test('a confirmed contact leaves from the link in the outbox (JavaScript off): the page says what it does, the button does it, then the link is 410 and desk contacts no longer lists them', async () => {
    const city = someCity();
    const email = addr('leaver');
    await registerAndConfirm(email, city, { name: 'Lea Leaver' });
    // The first email (confirm a registration) went to no contact yet: no leave link there.
    const mails = mailsTo(email);
    assert.equal(leaveLinkIn(mails[0]), null, `the email to a new address has a leave link:\n${mails[0].text}`);
    // Confirmed: a receipt, ending with the way to leave.
    const receipt = newestMailTo(email);
    const link = leaveLinkIn(receipt);
    assert.ok(link, `the new contact's email ("${receipt.subject}") has no leave link:\n${receipt.text}`);
    assert.equal(new URL(link.url).origin, serve.base, `the leave link does not lead to the preview: ${link.url}`);
    assert.match(link.token, /^lv_[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    assert.ok(receipt.html.includes(link.url.replaceAll('&', '&amp;')), 'the HTML part lacks the leave link');
    if (DESK) assert.equal(contactRow(email).length, 1, `desk contacts does not list ${email}:\n${desk('contacts')}`);

    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await openPage(ctx);
    let opened;
    if (outboxPage) {
      await openNewestInOutbox(page, email, receipt.subject);
      const a = page.locator('a[href*="/api/leave?token="]');
      assert.ok((await a.count()) > 0, 'the outbox message shows no clickable leave link');
      assert.equal(await a.first().getAttribute('href'), link.url, 'the outbox page links elsewhere than the email');
      const nav = page.waitForNavigation({ waitUntil: 'load' });
      await a.first().click();
      opened = await nav;
    } else {
      opened = await page.goto(link.url);
    }
    await keepAnswer('leave page', page, opened);
    assert.equal(opened.status(), 200, await bodyText(page));
    assert.equal(await page.locator('h1').innerText(), 'Leave the City Coordinators Group');
    const said = await bodyText(page);
    assert.match(said, /contact details are deleted/i, said);
    assert.match(said, /not decided yet is withdrawn/i, said);
    assert.match(said, /keeps a paid claim for \d+ years after the payment/i, said);
    // Opening the page changed nothing.
    if (DESK) assert.equal(contactRow(email).length, 1, 'opening the leave page removed the contact');

    const done = await press(page, 'Leave the group');
    await keepAnswer('left the group', page, done);
    await expectStatus(page, done, 200, 'Leave the group');
    assert.equal(await page.locator('h1').innerText(), 'You have left the group');
    assert.match(await bodyText(page), /contact details are deleted/i);

    // The same link now answers 410 (never 404: the CDN would replace it), to a person and to a second press.
    const again = await page.goto(link.url);
    await keepAnswer('leave link after leaving', page, again);
    assert.equal(again.status(), 410, await bodyText(page));
    assert.equal(again.headers()['cache-control'], 'no-store');
    const repost = await formPost('leave', { token: link.token });
    assert.equal(repost.status, 410, repost.text.slice(0, 300));
    await ctx.close();

    if (DESK) {
      assert.deepEqual(contactRow(email), [], `desk contacts still lists ${email}:\n${desk('contacts')}`);
      const history = desk('history');
      assert.match(history, /contact\.left/, history);
      assert.ok(!history.toLowerCase().includes(email.toLowerCase()), `the history still names ${email}:\n${history}`);
    }
  });
});

/** Fills the claim form on `p` with `values` (a claim body). */
async function fillClaim(p, values) {
  const form = formOf(p, 'travel-claims');
  for (const [k, v] of Object.entries(values)) {
    // The declaration is asked on the check-answers page, not on the form.
    if (k === 'website' || k === 'declaration') continue;
    await setField(form, k, v);
  }
  assert.deepEqual(await emptyRequired(form), [], 'required fields the test did not fill');
  return form;
}

/** On the "Check your answers" page (JavaScript off): ticks the declaration and sends the claim. */
async function declareAndSend(page) {
  assert.equal(await page.locator('h1').innerText(), 'Check your answers before sending your claim', (await bodyText(page)).slice(0, 600));
  await page.getByLabel(RULES.declaration).check();
  return press(page, 'Send my claim');
}

/** Nu checker errors of `pages` ({ name, status, html }), one run for all. */
function htmlErrors(pages) {
  const dir = tempDir('answers');
  try {
    const files = new Map();
    pages.forEach((a, i) => {
      const f = join(dir, `page-${i}.html`);
      writeFileSync(f, a.html);
      files.set(f, a.status ? `${a.name} (${a.status})` : a.name);
    });
    return vnuErrors(files);
  } finally {
    cleanup(dir);
  }
}

/** axe's WCAG A/AA violations of `pages`, each replayed at its own address so its CSS loads as it did (axe needs JavaScript). */
async function wcagViolations(pages) {
  const ctx = await browser.newContext();
  const violations = [];
  for (const a of pages) {
    const p = await openPage(ctx);
    await p.route(a.url, (route) => route.fulfill({ status: a.status, contentType: 'text/html; charset=utf-8', body: a.html }));
    await p.goto(a.url);
    violations.push(...(await axeViolations(p, a.name)));
    await p.close();
  }
  await ctx.close();
  return violations;
}

test('the pages the forms answer with are valid HTML without WCAG A/AA violations', { timeout: 300_000 }, async () => {
  assert.ok(answerPages.length >= 3, `only ${answerPages.length} answer pages were collected`);
  assert.deepEqual(htmlErrors(answerPages), []);
  assert.deepEqual(await wcagViolations(answerPages), []);
});

test("the preview's /_outbox/ pages and the emails' HTML parts are valid HTML; the pages have no WCAG A/AA violations", { timeout: 300_000 }, async (t) => {
  // One email of each kind (subject).
  const bySubject = new Map();
  for (const m of outbox()) if (!bySubject.has(m.subject)) bySubject.set(m.subject, { name: `email "${m.subject}" (HTML part)`, html: m.html });
  assert.ok(bySubject.size >= 3, `only ${bySubject.size} kinds of email were sent`);
  if (!outboxPage) t.diagnostic('serve has no /_outbox/ page: only the emails are checked');
  else assert.equal(outboxSeen.length, 2, 'the tests did not go through the /_outbox/ list and a message');
  // The list repeats its rows: one line per kind of error and page.
  const kinds = htmlErrors([...outboxSeen, ...bySubject.values()]).map((e) => e.replace(/:\d+:\d+:/, ':').replace(/“[^”]*\d[^”]*”/g, '“…”').replace(/\s*\[.*\]$/, ''));
  assert.deepEqual([...new Set(kinds)], []);
  assert.deepEqual(await wcagViolations(outboxSeen), []);
});
