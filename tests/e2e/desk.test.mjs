// The secretariat's day at the desk, in Chromium, on the preview (generator
// serve, the embedded store, the outbox) at its localhost address (a
// passkey's relying party must be a host name). Signed in with a passkey
// (Chromium's virtual authenticator), the secretariat approves a new
// representative from Today, approves one claim, rejects another with a
// reason, records a payment below the amount asked with its reason, exports
// the claims, erases a person and reads the history: at 1280 px with
// JavaScript on, and at 390 px with JavaScript off (a passkey needs
// JavaScript: the session it signed in carries over by its cookie). Two staff
// deciding one claim at once: one wins, the other is told. Every desk page
// seen is checked with axe-core (JavaScript on), at 320 px for sideways
// scrolling, and through the Nu HTML Checker.
//
// Screenshots for the README (Today, a claim, Usage, at 390 and 1280 px, the
// top of the page) go to target/e2e-screenshots/desk-*.png, and also to the
// folder CCG_README_SHOTS names, or to docs/screenshots with
// CCG_UPDATE_SCREENSHOTS=1.
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary
// (without it this skips: staff are added with `desk staff add`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, cleanup, launchBrowser, normalize, sccCities, startServe, tempDir, vnuErrors } from './support.mjs';
import { previewKit } from './preview.mjs';
import { signInWithNewPasskey } from './passkeys.mjs';

const SHOTS = resolve(process.env.CCG_SCREENSHOTS || join(REPO, 'target', 'e2e-screenshots'));
// The README's: where CCG_README_SHOTS says, or docs/screenshots with CCG_UPDATE_SCREENSHOTS=1 (as journeys.test.mjs).
const README_SHOTS = process.env.CCG_README_SHOTS
  ? resolve(REPO, process.env.CCG_README_SHOTS)
  : process.env.CCG_UPDATE_SCREENSHOTS === '1'
    ? join(REPO, 'docs', 'screenshots')
    : null;
const README_SHOT_MAX = 150 * 1024;
const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: staff are added with the desk';

const SAM = { email: `sam.${Date.now().toString(36)}@secretariat.example.org`, name: 'Sam Staff' };
const BEA = { email: `bea.${Date.now().toString(36)}@secretariat.example.org`, name: 'Bea Staff' };

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
  dataDir = tempDir('desk-data');
  htmlDir = tempDir('desk-html');
  serve = await startServe({ dataDir });
  site = serve.base.replace('127.0.0.1', 'localhost');
  kit = previewKit({ serve, dataDir, deskBin: DESK, operator: 'E2E Desk' });
  for (const s of [SAM, BEA]) kit.desk('staff', 'add', s.email, '--name', s.name);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
  if (htmlDir) cleanup(htmlDir);
});

async function newContext(js, width) {
  const ctx = await browser.newContext({ javaScriptEnabled: js, viewport: { width, height: 800 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
  return ctx;
}

const sessions = new Map();
/** The cookies of a session of `staff` signed in with a passkey (once per member of staff: in its own context with JavaScript on). */
function staffCookies(staff) {
  if (!sessions.has(staff.email)) {
    sessions.set(
      staff.email,
      (async () => {
        const ctx = await newContext(true, 1280);
        const page = await ctx.newPage();
        await signInWithNewPasskey(page, { site, kit, email: staff.email });
        const cookies = (await ctx.cookies(site)).filter((c) => c.name === '__Host-ccg_session');
        assert.equal(cookies.length, 1, 'no session cookie');
        await ctx.close();
        return cookies;
      })(),
    );
  }
  return sessions.get(staff.email);
}

/** A context at `width` px, JavaScript on or off, signed in as `staff` with the passkey. */
async function deskContext(staff, js, width) {
  const ctx = await newContext(js, width);
  await ctx.addCookies(await staffCookies(staff));
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

/** The top of the page at 390 and 1280 px, as desk-NAME-WIDTH.png. */
async function shoot(page, name) {
  const size = page.viewportSize();
  for (const [width, height] of [[390, 844], [1280, 800]]) {
    await page.setViewportSize({ width, height });
    const png = await page.screenshot();
    writeFileSync(join(SHOTS, `desk-${name}-${width}.png`), png);
    if (README_SHOTS) {
      assert.ok(png.length < README_SHOT_MAX, `desk-${name}-${width}.png is ${png.length} bytes, more than ${README_SHOT_MAX}`);
      writeFileSync(join(README_SHOTS, `desk-${name}-${width}.png`), png);
    }
  }
  await page.setViewportSize(size);
}

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** SCC cities named once in the projects (one choice on Today), from the end of the list: the claims' cities come from its start. */
const applicantCities = (() => {
  const key = (c) => `${normalize(c.name)}|${c.country}`;
  const all = sccCities();
  return all.filter((c) => all.filter((d) => key(d) === key(c)).length === 1).reverse();
})();

const SECTIONS = { Today: '', People: 'people/', Claims: 'claims/', Usage: 'usage/', Meetings: 'meetings/', Exports: 'exports/', History: 'history/', Staff: 'staff/' };
/** Goes to a section of the desk through its menu. */
async function section(page, name) {
  await Promise.all([page.waitForURL(`${site}/desk/${SECTIONS[name]}`), page.getByRole('navigation', { name: 'Desk' }).getByRole('link', { name, exact: true }).click()]);
}

/** Submits the form of `field` by pressing Enter in it, and waits for the page that answers. */
async function enter(page, field, url) {
  await Promise.all([page.waitForURL(url), field.press('Enter')]);
}

const WALKS = [
  { js: true, width: 1280, tag: 'on', shots: true, people: { applicant: 'Lucía Fernández', leaving: 'Erik Olsen', first: 'Tom Baker', second: 'Eva de Vries' } },
  { js: false, width: 390, tag: 'off', shots: false, people: { applicant: 'Marta Kowalska', leaving: 'Jonas Berg', first: 'Ana Ruiz', second: 'Pieter Jansen' } },
];

for (const [n, { js, width, tag, shots, people }] of WALKS.entries()) {
  test(`the secretariat's day at ${width} px, JavaScript ${js ? 'on' : 'off'}: approve a representative from Today, approve, reject, pay less with its reason, export, erase, read the history`, { skip: NO_DESK, timeout: 120_000 }, async () => {
    const meeting = await kit.openMeeting();
    assert.ok(meeting, 'the claim form offers no meeting');
    const applicant = await kit.member(`${tag}-applicant`, applicantCities[n], people.applicant);
    const leaving = await kit.member(`${tag}-leaving`, applicantCities[n + 2], people.leaving);
    const first = await kit.countedClaim(`${tag}-first`, meeting, people.first);
    const second = await kit.countedClaim(`${tag}-second`, meeting, people.second);
    const ctx = await deskContext(SAM, js, width);
    const page = await ctx.newPage();
    const main = () => page.locator('main').innerText();
    const name = (what) => `${what} (JavaScript ${js ? 'on' : 'off'}, ${width} px)`;

    // Today: the applicant waits, with a button for the one SCC city they named; the claims wait, oldest first.
    await page.goto(`${site}/desk/`);
    let text = await main();
    assert.match(text, new RegExp(`Contacts to approve[\\s\\S]*${esc(people.applicant)}[\\s\\S]*Claims to decide`));
    assert.ok(text.indexOf(first.reference) < text.indexOf(second.reference), 'the oldest claim is not first');
    await check(page, name('Today'), js);
    if (shots) await shoot(page, 'today');
    const approve = page.getByRole('button', { name: new RegExp(`^Approve ${esc(people.applicant)} for `) });
    await Promise.all([page.waitForURL(/\/desk\/people\/[^/]+\/\?done=approved$/), approve.click()]);
    text = await main();
    assert.match(text, /Approved: they are the representative of the city below, and were told by email\./);
    assert.match(text, /contact\.approved by Sam Staff \(desk\): representative of /);
    assert.match(text, /Status\s+approved: the representative of /);
    assert.ok(await page.getByRole('heading', { name: 'Change the city they represent' }).isVisible(), 'an approved person is offered their approval again');
    await check(page, name('a person just approved'), js);
    const approval = kit.mailsTo(applicant.email).at(-1);
    assert.match(approval?.subject ?? '', /^You are approved as the representative of /, 'no approval email in the outbox');

    // The first claim: approved from its page.
    await section(page, 'Today');
    await Promise.all([page.waitForURL(`${site}/desk/claims/${first.reference}/`), page.getByRole('link', { name: first.reference, exact: true }).click()]);
    text = await main();
    assert.match(text, /Status\s+counted/);
    assert.match(text, /Contribution asked for\s+200 EUR\./);
    await check(page, name('a claim to decide'), js);
    await Promise.all([page.waitForURL(/\?done=approved$/), page.getByRole('button', { name: `Approve ${first.reference}` }).click()]);
    text = await main();
    assert.match(text, /Approved\. The claimant was told by email; payment follows\./);
    assert.match(text, /claim\.approved by Sam Staff \(desk\)/);
    if (shots) await shoot(page, 'claim');
    await check(page, name('a claim just approved'), js);
    assert.equal(kit.mailsTo(first.email).at(-1)?.subject, 'Your travel claim is approved');

    // Its payment, below the amount asked: sent back without the reason (nothing changes), recorded with it.
    const amount = page.getByLabel('Amount paid, in euros');
    await amount.fill('150.00');
    await enter(page, amount, `${site}/desk/claims/${first.reference}/pay`);
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    assert.match(await main(), /The payment \(150 EUR\) is less than the amount asked for \(200 EUR\): say why\. The claimant is told it\./);
    await check(page, name('a payment sent back'), js);
    assert.match(kit.desk('claim', first.id), /\sapproved\n/, 'the refused payment changed the claim');
    const why = page.getByLabel(/^Why less than asked for/);
    assert.equal(await amount.inputValue(), '150.00', 'the amount typed is lost');
    await why.fill('The train cost less than planned');
    await enter(page, why, /\?done=paid$/);
    text = await main();
    assert.match(text, /The payment is recorded\. The claimant was told by email\./);
    assert.match(text, /Paid\s+150 EUR on /);
    assert.match(text, /Status\s+paid: The train cost less than planned/);
    const paidMail = kit.mailsTo(first.email).at(-1);
    assert.equal(paidMail?.subject, 'Your travel claim is paid');
    assert.match(paidMail.text, /That is less than the 200 EUR asked for, for this reason: The train cost less than planned\./);
    assert.match(kit.desk('claim', first.id), /\spaid\n[\s\S]*Reason of payment \(less than asked for\): The train cost less than planned/);

    // The second claim: found among the claims to decide, rejected with its reason.
    await section(page, 'Claims');
    await page.getByLabel('Status').selectOption('counted');
    await Promise.all([page.waitForURL(/\/desk\/claims\/\?status=counted/), page.getByRole('button', { name: 'Show' }).click()]);
    text = await main();
    assert.ok(text.includes(second.reference) && !text.includes(first.reference), `the counted claims:\n${text}`);
    await check(page, name('the claims to decide'), js);
    await Promise.all([page.waitForURL(`${site}/desk/claims/${second.reference}/`), page.getByRole('link', { name: second.reference, exact: true }).click()]);
    const reason = page.getByLabel('Reason (the claimant is told it)');
    await reason.fill('The meeting was attended online');
    await enter(page, reason, /\?done=rejected$/);
    text = await main();
    assert.match(text, /Rejected\. Its trip and euros went back to the city's year; the claimant was told the reason by email\./);
    assert.match(text, /Status\s+rejected: The meeting was attended online/);
    await check(page, name('a claim just rejected'), js);
    assert.ok(kit.mailsTo(second.email).some((m) => m.text.includes('The meeting was attended online')), 'the claimant was not told the reason');

    // The claims, exported: a CSV download, recorded in the history.
    await section(page, 'Exports');
    await check(page, name('Exports'), js);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the claims' }).click()]);
    assert.match(download.suggestedFilename(), /^claims-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^id,year,event,/);
    for (const line of [first.id, second.id, 'The train cost less than planned', 'The meeting was attended online']) assert.ok(csv.includes(line), `the export lacks ${line}`);

    // A person erased: found by name, confirmed by typing their address.
    await section(page, 'People');
    const search = page.getByLabel('Name, address, organisation or city');
    await search.fill(people.leaving);
    await enter(page, search, /\/desk\/people\/\?q=/);
    text = await main();
    assert.ok(text.includes(people.leaving) && !text.includes(people.applicant), `the search found:\n${text}`);
    await check(page, name('People, searched'), js);
    await Promise.all([page.waitForURL(/\/desk\/people\/[^/]+\/$/), page.getByRole('link', { name: people.leaving, exact: true }).click()]);
    const personUrl = page.url();
    await check(page, name('a person'), js);
    const mailsBefore = kit.mailsTo(leaving.email).length;
    const confirm = page.getByLabel(/^To confirm, type their email address/);
    await confirm.fill(leaving.email);
    await enter(page, confirm, /\?done=erased$/);
    await page.getByRole('heading', { name: 'Erased' }).waitFor();
    assert.match(await main(), /The person is erased\./);
    await check(page, name('a person just erased'), js);
    await Promise.all([page.waitForURL(/\/desk\/history\/\?what=person\.erased$/), page.getByRole('link', { name: 'See the erasures in the history' }).click()]);
    text = await main();
    assert.match(text, /person\.erased by Sam Staff \(desk\), \[erased\]\s+1 contact\(s\)/);
    assert.doesNotMatch(text, /claim\.paid/, 'the erasures in the history show other lines');
    assert.equal((await page.goto(personUrl)).status(), 404, 'the erased person still has a page');
    assert.equal(kit.mailsTo(leaving.email).length, mailsBefore, 'the erased person was emailed');

    // The history: every change of the day, by whom; then one claim's lines.
    await section(page, 'History');
    text = await main();
    for (const action of ['person.erased', 'export', 'claim.rejected', 'claim.paid', 'claim.approved', 'contact.approved']) {
      assert.match(text, new RegExp(`${esc(action)} by Sam Staff \\(desk\\)`), `the history lacks ${action}`);
    }
    await check(page, name('History'), js);
    const record = page.getByLabel(/^Record: /);
    await record.fill(first.reference);
    await enter(page, record, /\/desk\/history\/\?.*record=/);
    text = await main();
    assert.match(text, /claim\.paid by Sam Staff \(desk\).*\s+150\.00 on \d{4}-\d{2}-\d{2}; reason: The train cost less than planned/);
    assert.match(text, /claim\.approved by Sam Staff \(desk\)/);
    assert.ok(!text.includes('claim.rejected') && !text.includes(second.id), `another claim's lines in the filtered history:\n${text}`);
    await check(page, name('History of a claim'), js);

    // Usage of the claims' year (a meeting's claims count in its year): the chart and the table, then the paid claim's city.
    const year = meeting.start.slice(0, 4);
    await section(page, 'Usage');
    await page.getByRole('combobox', { name: 'Year' }).selectOption(year);
    await Promise.all([page.waitForURL(`${site}/desk/usage/?year=${year}`), page.getByRole('button', { name: 'Show' }).click()]);
    await page.getByRole('img', { name: `Euros used in ${year}, per city` }).waitFor();
    text = await main();
    assert.match(text, /Each city may use \d+ trips and [\d.,]+ EUR a year\./);
    await check(page, name('Usage'), js);
    if (shots) await shoot(page, 'usage');
    await Promise.all([page.waitForURL(/\/desk\/usage\/[^/]+\/\?year=\d{4}$/), page.getByRole('table').getByRole('link', { name: first.city.name }).click()]);
    text = await main();
    assert.ok(text.includes(first.reference), `the city's page lacks its claim:\n${text}`);
    await check(page, name("a city's year"), js);

    if (shots) {
      // The sections the day did not need, seen once.
      await section(page, 'Meetings');
      await check(page, name('Meetings'), js);
      await Promise.all([page.waitForURL(/\/desk\/meetings\/[^/]+\/$/), page.locator('main .desk-list a').first().click()]);
      await check(page, name('a meeting'), js);
      await section(page, 'Staff');
      assert.match(await main(), /Sam Staff, .* \(you\)/);
      await check(page, name('Staff'), js);
    }
    await ctx.close();
  });
}

test('two staff decide one claim at once: one wins, the other is told the claim changed and sees its new state', { skip: NO_DESK, timeout: 90_000 }, async () => {
  const meeting = await kit.openMeeting();
  const claim = await kit.countedClaim('race', meeting, 'Rita Moreau');
  const a = await deskContext(SAM, true, 1280);
  const b = await deskContext(BEA, true, 390);
  const [pa, pb] = [await a.newPage(), await b.newPage()];
  const claimUrl = `${site}/desk/claims/${claim.reference}/`;
  await Promise.all([pa.goto(claimUrl), pb.goto(claimUrl)]);
  await pb.getByLabel('Reason (the claimant is told it)').fill('Sent twice for the same trip');
  // Both saw it counted: Sam approves while Bea rejects.
  const answered = (p) => p.waitForResponse((r) => r.request().method() === 'POST');
  const moved = (p) => p.waitForURL((u) => u.href !== claimUrl);
  const [ra, rb] = await Promise.all([
    answered(pa),
    answered(pb),
    moved(pa),
    moved(pb),
    pa.getByRole('button', { name: `Approve ${claim.reference}` }).click(),
    pb.getByRole('button', { name: `Reject ${claim.reference}` }).click(),
  ]);
  const statuses = [ra.status(), rb.status()];
  assert.ok(statuses.includes(303) && statuses.includes(409), `one wins, the other is told: ${statuses}`);
  const [winner, loser, state] = ra.status() === 303 ? [pa, pb, 'approved'] : [pb, pa, 'rejected'];
  assert.match(winner.url(), new RegExp(`\\?done=${state}$`));
  const told = await loser.locator('main').innerText();
  assert.match(told, new RegExp(`This claim changed meanwhile: it is ${state} now, so your decision was not applied\\. The page shows the claim as it is now\\.`));
  assert.match(told, new RegExp(`Status\\s+${state}`), 'the page does not show the new state');
  await check(loser, `the claim changed meanwhile (${loser === pa ? 1280 : 390} px)`, true);
  const shown = kit.desk('claim', claim.reference);
  assert.match(shown, new RegExp(`^${claim.reference}  ${claim.id}  ${state}\\n`));
  assert.equal(shown.match(/claim\.(approved|rejected)/g)?.length, 1, `a decision applied twice:\n${shown}`);
  await a.close();
  await b.close();
});

test("the desk's pages are valid HTML (Nu HTML Checker)", { skip: NO_DESK, timeout: 120_000 }, () => {
  assert.ok(seen.size > 0, 'no page was kept');
  assert.deepEqual(vnuErrors(seen), []);
});
