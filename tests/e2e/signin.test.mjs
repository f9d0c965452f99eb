// Signing in, in Chromium, on the preview (generator serve, the embedded
// store, the outbox) at its localhost address (a passkey's relying party must
// be a host name): a member signs in by emailed link (JavaScript off and on);
// the secretariat signs in by link, is refused a decision until it adds a
// passkey (Chromium's virtual authenticator, over the DevTools protocol),
// signs out, signs in with the passkey and decides a claim; "sign out
// everywhere" ends another browser's session. Every page seen is checked
// with axe-core (JavaScript on), at 320 px for sideways scrolling, and
// through the Nu HTML Checker.
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary
// (without it this skips: staff are added with `desk staff add`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, cleanup, launchBrowser, startServe, tempDir, vnuErrors } from './support.mjs';
import { previewKit } from './preview.mjs';
import { signInLink, virtualAuthenticator } from './passkeys.mjs';

const SHOTS = resolve(process.env.CCG_SCREENSHOTS || join(REPO, 'target', 'e2e-screenshots'));
const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: staff are added with the desk';

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
  dataDir = tempDir('signin-data');
  htmlDir = tempDir('signin-html');
  serve = await startServe({ dataDir });
  site = serve.base.replace('127.0.0.1', 'localhost');
  kit = previewKit({ serve, dataDir, deskBin: DESK, operator: 'E2E Sign-in' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
  if (htmlDir) cleanup(htmlDir);
});

async function newContext(js, width = 390) {
  const ctx = await browser.newContext({ javaScriptEnabled: js, viewport: { width, height: 900 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
  return ctx;
}

/** Checks the page as it stands: no sideways scrolling at 320 px, axe-core (JavaScript on), and keeps its HTML for the Nu checker. */
async function check(page, name, js) {
  await page.screenshot({ path: join(SHOTS, `signin-${name.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
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

/** Asks for a sign-in link on the page, as a person does. */
async function askForLink(page, email, js) {
  await page.goto(`${site}/sign-in/`);
  await page.getByLabel('Email address').fill(email);
  await Promise.all([page.waitForURL(/\/sign-in\/sent\/$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
  assert.match(await page.locator('main').innerText(), /If this address belongs to a member of the group or to the secretariat, an email with a sign-in link is on its way/);
  await check(page, `sign-in sent js=${js}`, js);
}

/** Opens the emailed link and presses its button: where it lands. */
async function useLink(page, link, js) {
  await page.goto(link);
  await check(page, `sign-in link js=${js}`, js);
  await Promise.all([page.waitForURL(/\/(members|desk)\/$/), page.getByRole('button', { name: 'Sign in' }).click()]);
  return new URL(page.url()).pathname;
}

for (const js of [false, true]) {
  test(`a member signs in by emailed link, JavaScript ${js ? 'on' : 'off'}; the link works once; an unknown address gets the same answer and no email`, { skip: NO_DESK, timeout: 180_000 }, async () => {
    const { email } = await kit.member(js ? 'mina' : 'milo');
    const ctx = await newContext(js);
    const page = await ctx.newPage();
    await page.goto(`${site}/sign-in/`);
    await check(page, `sign-in page js=${js}`, js);
    // A passkey button only where it can work.
    assert.equal(await page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible(), js, 'the passkey button shows only with JavaScript');

    const stranger = `nobody.${Date.now()}@example.org`;
    await askForLink(page, stranger, js);
    const strangerText = await page.locator('main').innerText();
    assert.equal(kit.mailsTo(stranger).length, 0, 'an unknown address got an email');

    await askForLink(page, email, js);
    assert.equal(await page.locator('main').innerText(), strangerText, 'the answer tells a member from a stranger');
    const link = signInLink(kit, email);
    assert.ok(link.startsWith(site), `the link leads to ${link}, not the localhost address`);
    // A member lands on their page in the members' area; the account page is still theirs.
    assert.equal(await useLink(page, link, js), '/members/');
    assert.match(await page.locator('main').innerText(), /My page/);
    await page.goto(`${site}/account/`);
    const text = await page.locator('main').innerText();
    assert.match(text, /Your account/);
    assert.match(text, new RegExp(email.replace(/[.]/g, '\\.')));
    assert.match(text, /a member of the group/);
    await check(page, `account js=${js}`, js);

    const [cookie] = (await ctx.cookies(site)).filter((c) => c.name === '__Host-ccg_session');
    assert.ok(cookie, 'no session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    const resp = await page.goto(`${site}/account/`);
    assert.equal(resp.headers()['cache-control'], 'no-store');
    assert.match(resp.headers().vary ?? '', /Cookie/);

    // The link worked once.
    const again = await page.goto(link);
    assert.equal(again.status(), 410, 'a used link still opens its button');
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    await check(page, `used link js=${js}`, js);
    await ctx.close();
  });
}

test('the secretariat signs in by link, is refused a decision, adds a passkey, signs out, signs in with it and decides a claim', { skip: NO_DESK, timeout: 240_000 }, async () => {
  const meeting = await kit.openMeeting();
  assert.ok(meeting, 'the claim form offers no meeting');
  const claim = await kit.countedClaim('desk-claim', meeting);
  const staff = `secretariat.${Date.now().toString(36)}@example.org`;
  kit.desk('staff', 'add', staff, '--name', 'Sam Staff');

  const ctx = await newContext(true, 1280);
  const page = await ctx.newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  await askForLink(page, staff, true);
  assert.equal(await useLink(page, signInLink(kit, staff), true), '/desk/');
  let text = await page.locator('main').innerText();
  assert.match(text, /you can read, not change anything/);
  assert.match(text, new RegExp(claim.reference));
  await check(page, 'desk signed in by link', true);

  // Signed in by link alone: a decision is refused with a page that says how to go on; nothing changes.
  const refused = page.waitForResponse((r) => r.url().endsWith('/desk/claims/decide'));
  await page.getByRole('button', { name: `Approve ${claim.reference}` }).click();
  assert.equal((await refused).status(), 403);
  await page.getByRole('heading', { name: 'Confirm it is you with your passkey' }).waitFor();
  assert.match(await page.locator('main').innerText(), /add a passkey on your account page/);
  await check(page, 'step up needed', true);
  assert.match(kit.desk('claim', claim.id), /counted/i, 'the refused decision changed the claim');

  // A passkey, added on the account page.
  await page.goto(`${site}/account/`);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add a passkey' }).click()]);
  await page.getByText(/Added on .* with Chrome on Linux, not used yet\./).waitFor();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'the authenticator holds no passkey');
  await check(page, 'account with a passkey', true);
  // Its owner is told, in case it was not them.
  assert.ok(kit.mailsTo(staff).some((m) => m.subject === 'A passkey was added to your account' && m.text.includes('Chrome on Linux')), 'no email about the passkey added');

  // Signed out, then in again with the passkey alone.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Signed out' }).waitFor();
  assert.equal((await ctx.cookies(site)).filter((c) => c.name === '__Host-ccg_session').length, 0, 'the cookie stayed');
  assert.equal((await page.goto(`${site}/desk/`)).url(), `${site}/sign-in/`, 'the desk is open after signing out');
  await Promise.all([page.waitForURL(`${site}/desk/`), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
  text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /you can read, not change anything/);

  await Promise.all([page.waitForURL(/\/desk\/\?decided=/), page.getByRole('button', { name: `Approve ${claim.reference}` }).click()]);
  assert.match(await page.locator('main').innerText(), new RegExp(`Decided: ${claim.reference}`));
  await check(page, 'desk after a decision', true);
  assert.match(kit.desk('claim', claim.id), /approved/i);
  const history = kit.desk('history');
  for (const action of ['staff.added', 'signin.link', 'passkey.added', 'signin.passkey', 'claim.approved']) assert.match(history, new RegExp(action), `the history lacks ${action}`);
  assert.match(history, /Sam Staff \(desk\)/);
  // Staff are records: a colleague added from the desk, with the passkey just used.
  await page.goto(`${site}/desk/staff/`);
  await check(page, 'desk staff', true);
  const colleague = `colleague.${Date.now().toString(36)}@example.org`;
  await page.getByLabel('Email address').fill(colleague);
  await page.getByLabel('Name').fill('Cleo Colleague');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add to the staff' }).click()]);
  await page.getByText('Cleo Colleague can now sign in to the desk.').waitFor();
  await check(page, 'desk staff added', true);
  assert.match(kit.desk('staff', 'list'), new RegExp(colleague.replace(/[.]/g, '\\.')));
  // Removing the passkey: gone from the list, and its owner is told.
  await page.goto(`${site}/account/`);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: /^Remove this passkey/ }).click()]);
  await page.getByText('The passkey is removed.', { exact: false }).waitFor();
  assert.match(await page.locator('main').innerText(), /You have no passkey yet\./);
  assert.ok(kit.mailsTo(staff).some((m) => m.subject === 'A passkey was removed from your account'), 'no email about the passkey removed');
  await ctx.close();
});

test('"sign out everywhere" ends the session of another browser', { skip: NO_DESK, timeout: 180_000 }, async () => {
  const { email } = await kit.member('two-browsers');
  const a = await newContext(false);
  const b = await newContext(false);
  const pa = await a.newPage();
  const pb = await b.newPage();
  await askForLink(pa, email, false);
  assert.equal(await useLink(pa, signInLink(kit, email), false), '/members/');
  await askForLink(pb, email, false);
  assert.equal(await useLink(pb, signInLink(kit, email), false), '/members/');
  await pa.reload();
  assert.equal((await pa.locator('main li', { hasText: 'signed in on' }).count()), 2, 'my page does not list both sessions');
  await pa.getByRole('button', { name: 'Sign out everywhere' }).click();
  await pa.getByText(/You are signed out everywhere: 2 sessions ended\./).waitFor();
  await pb.goto(`${site}/account/`);
  assert.equal(pb.url(), `${site}/sign-in/`, 'the other browser is still signed in');
  await a.close();
  await b.close();
});

test('the sign-in pages are valid HTML (Nu HTML Checker)', { skip: NO_DESK, timeout: 180_000 }, () => {
  assert.ok(seen.size > 0, 'no page was kept');
  assert.deepEqual(vnuErrors(seen), []);
});
