// Supporting documents in the browser at 320 px, JavaScript off and on: from
// the claim's link (once the claim is counted), the claimant uploads a PDF
// straight to the bucket (the preview's own, which checks the signed policy
// as S3 does), comes back to the button that adds it, and sees it listed;
// the secretariat's desk lists it and writes it out.
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary
// (without it this skips: a claim needs an approved representative).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, cleanup, outboxMails, contentEvents, launchBrowser, normalize, sccCities, startServe, tempDir } from './support.mjs';

const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: a claim needs the desk to approve a representative';
// A real (tiny) PDF: one empty page.
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

let serve;
let browser;
let dataDir;

before(async () => {
  if (!DESK) return;
  dataDir = tempDir('documents-data');
  serve = await startServe({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
});

function mailsTo(email) {
  return outboxMails(dataDir, email);
}

function newestLink(email, form) {
  const mail = mailsTo(email).at(-1);
  const m = mail?.text.match(new RegExp(`https?://[^\\s"<>]+/api/${form}/confirm\\?token=[^\\s"<>&]+`));
  assert.ok(m, `no ${form} link to ${email}`);
  return m[0];
}

async function jsonPost(path, body) {
  const r = await fetch(`${serve.base}/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
}

function desk(...args) {
  const res = spawnSync(DESK, ['--sqlite', join(dataDir, 'forms.sqlite3'), '--operator', 'E2E Documents', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, `desk ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** The meeting the claim form offers first, or null. */
async function openMeeting() {
  const html = await (await fetch(`${serve.base}/financial-support/`)).text();
  const m = html.match(/name="event" type="radio" value="([^"]+)" required data-travel-from="([\d-]+)" data-travel-until="([\d-]+)"/);
  if (!m) return null;
  const e = contentEvents().find((ev) => ev.id === m[1]);
  return { id: m[1], start: e.start.slice(0, 10), end: e.end.slice(0, 10) };
}

const usedCities = new Set();
/** A counted claim of a fresh approved representative: its link (which then shows the claim). */
async function countedClaim(who, meeting) {
  const ended = (ym) => new Date(Date.UTC(Number(ym.slice(0, 4)), Number(ym.slice(5, 7)), 0)).toISOString().slice(0, 10) < meeting.start;
  const city = sccCities().find((c) => ['lighthouse', 'fellow'].includes(c.role) && c.projectEnd && ended(c.projectEnd) && !usedCities.has(`${normalize(c.name)}|${c.country}`));
  assert.ok(city, 'no qualifying city left');
  usedCities.add(`${normalize(city.name)}|${city.country}`);
  const email = `${who}.${Date.now().toString(36)}@example.org`;
  let r = await jsonPost('register', { name: 'Doc Traveller', email, city: city.name, country: city.country, organisation: `City of ${city.name}`, position: 'Officer', city_status: city.role, project: '', consent: 'yes', website: '' });
  assert.equal(r.status, 202, r.text);
  r = await jsonPost('register/confirm', { token: decodeURIComponent(newestLink(email, 'register').split('token=')[1]) });
  assert.equal(r.status, 200, r.text);
  desk('approve', email, '--city', city.name, '--country', city.country);
  r = await jsonPost('travel-claims', { email, event: meeting.id, travel_start: meeting.start, travel_end: meeting.end, transport_eur: '120', accommodation_eur: '80', consent: 'yes', declaration: 'yes', website: '' });
  assert.equal(r.status, 202, r.text);
  const link = newestLink(email, 'travel-claims');
  r = await jsonPost('travel-claims/confirm', { token: decodeURIComponent(link.split('token=')[1]) });
  assert.equal(r.status, 200, r.text);
  return { link, id: JSON.parse(r.text).id };
}

for (const js of [false, true]) {
  test(`a PDF added from the claim's link at 320 px, JavaScript ${js ? 'on' : 'off'}, is listed for the claimant and the desk`, { skip: NO_DESK, timeout: 180_000 }, async () => {
    // The preview's example meetings always take claims: none offered is a failure, not a reason to skip.
    const meeting = await openMeeting();
    assert.ok(meeting, 'the claim form offers no meeting');
    const { link, id } = await countedClaim(js ? 'docs-js' : 'docs', meeting);
    const ctx = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 320, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(link);
    assert.match(await page.locator('body').innerText(), /Supporting documents[\s\S]*No documents yet\./);
    await page.getByLabel('File').setInputFiles({ name: 'train ticket.pdf', mimeType: 'application/pdf', buffer: PDF });
    await Promise.all([page.waitForURL(/\/api\/travel-claims\/documents\?/), page.getByRole('button', { name: 'Upload the file' }).click()]);
    assert.match(await page.locator('body').innerText(), /The file train ticket\.pdf was uploaded/);
    await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Add this document' }).click()]);
    await page.getByText('train ticket.pdf was added to your claim.').waitFor();
    const listed = await page.locator('ul.documents li').allInnerTexts();
    assert.deepEqual(listed, [`train ticket.pdf (PDF, ${PDF.length} bytes)`]);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 320, `the page scrolls sideways at 320 px (${wide} px)`);
    if (js) assert.deepEqual(await axeViolations(page), [], 'axe-core on the claim page with its document');
    // The claim's link shows it from now on, and the desk has it.
    await page.goto(link);
    assert.deepEqual(await page.locator('ul.documents li').allInnerTexts(), listed);
    assert.match(desk('claim', id), /Documents \(1;[\s\S]*PDF\s+\d+ bytes[\s\S]*train ticket\.pdf/);
    const out = tempDir('documents-out');
    desk('files', id, '--out', out);
    const written = readdirSync(out);
    assert.equal(written.length, 1);
    assert.deepEqual(readFileSync(join(out, written[0])), PDF);
    cleanup(out);
    await ctx.close();
  });
}
