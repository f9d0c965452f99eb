// The members' repository, in Chromium, on the preview: the secretariat
// shares a PDF (`desk documents add`), and in the browser with JavaScript off
// at 390 px adds one and replaces its file, the file going from the browser
// straight to the preview's bucket and back to the desk (never in a desk
// page's body: in AWS CloudFront's Lambda@Edge sees 1 MB at most), a text
// renamed .pdf refused and deleted; a member signs in by emailed link,
// opens /members/documents/ at 390 and 1280 px, downloads the PDF (the same
// bytes), and a browser that is not signed in gets the sign-in page for the
// same addresses, never the file. The page passes axe-core and the Nu HTML
// Checker; CCG_UPDATE_SCREENSHOTS=1 writes docs/screenshots/members-documents-{390,1280}.png.
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary
// (without it this skips: documents are added with `desk documents add`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, cleanup, launchBrowser, startServe, tempDir, vnuErrors } from './support.mjs';
import { previewKit } from './preview.mjs';
import { signInLink, signInWithNewPasskey } from './passkeys.mjs';

const README_SHOTS = process.env.CCG_UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'screenshots') : null;
const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: documents are added with the desk';
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

let serve;
let browser;
let dataDir;
let htmlDir;
let kit;
let site;
let doc; // the shared document's id
let added; // the one added in the browser: { id, title, bytes }
const seen = new Map();

before(async () => {
  if (!DESK) return;
  if (README_SHOTS) mkdirSync(README_SHOTS, { recursive: true });
  dataDir = tempDir('repository-data');
  htmlDir = tempDir('repository-html');
  serve = await startServe({ dataDir });
  site = serve.base.replace('127.0.0.1', 'localhost');
  kit = previewKit({ serve, dataDir, deskBin: DESK, operator: 'E2E Repository' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
  if (htmlDir) cleanup(htmlDir);
});

async function newContext(width) {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width, height: 900 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
  return ctx;
}

test('the secretariat shares a PDF from the command line; a text renamed .pdf is refused by its content', { skip: NO_DESK, timeout: 120_000 }, () => {
  const file = join(dataDir, 'Minutes Porto.pdf');
  writeFileSync(file, PDF);
  const out = kit.desk('documents', 'add', file, '--title', 'Minutes of the Porto meeting', '--date', '2027-03-16', '--language', 'en', '--kind', 'minutes');
  doc = out.match(/shd_[0-9a-f]+/)?.[0];
  assert.ok(doc, out);
  assert.match(kit.desk('documents', 'list'), /Minutes of the Porto meeting/);
  const fake = join(dataDir, 'fake.pdf');
  writeFileSync(fake, 'just text, not a PDF');
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const res = spawnSync(DESK, ['--sqlite', join(dataDir, 'forms.sqlite3'), '--operator', 'E2E', 'documents', 'add', fake, '--title', 'Fake'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(res.status, 1);
  assert.match(res.stderr, /not a PDF or an OpenDocument file/);
});

/** Every file under the preview bucket's incoming folder (the uploads not added yet). */
function incomingFiles() {
  const dir = join(dataDir, 'files', 'incoming');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
}

/** Keeps the page's HTML for the Nu checker, and checks it does not scroll sideways at its width. */
async function keep(page, name) {
  const file = join(htmlDir, `${seen.size}.html`);
  writeFileSync(file, await page.content());
  seen.set(file, name);
  const width = page.viewportSize().width;
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, `${name}: scrolls sideways at ${width} px`);
}

test('the secretariat adds and replaces a document in the browser, JavaScript off, 390 px: the file goes to the bucket, never through the desk', { skip: NO_DESK, timeout: 240_000 }, async () => {
  const staff = `eva.${Date.now().toString(36)}@secretariat.example.org`;
  kit.desk('staff', 'add', staff, '--name', 'Eva Staff');
  // A passkey needs JavaScript: signed in with it once, the session's cookie carries over.
  const js = await newContext(1280);
  const signing = await js.newPage();
  await signInWithNewPasskey(signing, { site, kit, email: staff });
  const cookies = (await js.cookies(site)).filter((c) => c.name === '__Host-ccg_session');
  await js.close();
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
  await ctx.addCookies(cookies);
  const page = await ctx.newPage();
  const bodies = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/desk/')) bodies.push(r.postDataBuffer()?.length ?? 0);
  });

  await page.goto(`${site}/desk/documents/`);
  await keep(page, 'desk documents, JavaScript off');
  // A text renamed .pdf: the bucket takes it, the desk judges it by its content, says why and deletes it.
  const fake = join(dataDir, 'agenda.pdf');
  writeFileSync(fake, 'just text, not a PDF');
  await page.getByLabel('File', { exact: true }).setInputFiles(fake);
  await Promise.all([page.waitForURL(/\/desk\/documents\/new\?/), page.getByRole('button', { name: 'Upload the file' }).click()]);
  let main = await page.locator('main').innerText();
  assert.match(main, /The document was not added: see File below/);
  assert.match(main, /not a PDF or an OpenDocument file .*so it was deleted/);
  assert.deepEqual(incomingFiles(), [], 'the refused file is deleted');
  await keep(page, 'desk document refused, JavaScript off');

  // The PDF, from the page's new form: the desk shows what arrived and asks for the details.
  const bytes = Buffer.concat([PDF, Buffer.from('% the agenda\n')]);
  const file = join(dataDir, 'Agenda Valladolid.pdf');
  writeFileSync(file, bytes);
  await page.getByLabel('File', { exact: true }).setInputFiles(file);
  await Promise.all([page.waitForURL(/\/desk\/documents\/new\?/), page.getByRole('button', { name: 'Upload the file' }).click()]);
  main = await page.locator('main').innerText();
  for (const want of ['Agenda Valladolid.pdf', 'PDF (judged by its content)', `${bytes.length} bytes`]) assert.ok(main.includes(want), `${want}: ${main}`);
  assert.equal(incomingFiles().length, 1, 'the upload waits in the incoming folder');
  await keep(page, 'desk document arrived, JavaScript off');
  const title = 'Agenda of the Valladolid meeting';
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Date of the document').fill('2027-05-04');
  await page.getByLabel('Language').selectOption('es');
  await page.getByLabel('Kind').selectOption('agenda');
  await Promise.all([page.waitForURL(/\/desk\/documents\/shd_[0-9a-f]+\/\?done=added$/), page.getByRole('button', { name: 'Add the document' }).click()]);
  main = await page.locator('main').innerText();
  assert.match(main, /The document is added: members see it now\./);
  assert.match(main, /Agenda Valladolid\.pdf/);
  assert.deepEqual(incomingFiles(), [], 'the added file left the incoming folder');
  const id = new URL(page.url()).pathname.split('/')[3];

  // Replacing its file: the same way, then a confirmation.
  const second = Buffer.concat([PDF, Buffer.from('% the agenda, second edition\n')]);
  const v2 = join(dataDir, 'Agenda v2.pdf');
  writeFileSync(v2, second);
  await page.getByLabel('File', { exact: true }).setInputFiles(v2);
  await Promise.all([page.waitForURL(new RegExp(`/desk/documents/${id}/replacement\\?`)), page.getByRole('button', { name: 'Upload the new file' }).click()]);
  main = await page.locator('main').innerText();
  assert.ok(main.includes('Agenda Valladolid.pdf') && main.includes('Agenda v2.pdf'), main);
  await keep(page, 'desk document replacement, JavaScript off');
  await Promise.all([page.waitForURL(/\?done=replaced$/), page.getByRole('button', { name: 'Replace the file' }).click()]);
  assert.match(await page.locator('main').innerText(), /The file is replaced: members download the new one now\./);
  assert.deepEqual(incomingFiles(), []);
  // Every desk POST carried a form's fields only; the files went to the bucket.
  assert.ok(bodies.length >= 2 && bodies.every((n) => n < 4096), `desk POST bodies: ${bodies}`);
  added = { id, title, bytes: second };
  await ctx.close();
});

for (const width of [390, 1280]) {
  test(`a member signs in, opens the repository and downloads the PDF at ${width} px`, { skip: NO_DESK, timeout: 180_000 }, async () => {
    assert.ok(doc, 'the document was added');
    const { email } = await kit.member(`reader${width}`);
    const ctx = await newContext(width);
    const page = await ctx.newPage();
    await page.goto(`${site}/sign-in/`);
    await page.getByLabel('Email address').fill(email);
    await Promise.all([page.waitForURL(/\/sign-in\/sent\/$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
    await page.goto(signInLink(kit, email));
    await Promise.all([page.waitForURL(/\/members\/$/), page.getByRole('button', { name: 'Sign in' }).click()]);

    await page.goto(`${site}/members/documents/`);
    const main = await page.locator('main').innerText();
    for (const want of ['Minutes of the Porto meeting', '16 March 2027', 'English', 'Minutes', `PDF, ${PDF.length} bytes`]) assert.ok(main.includes(want), `${want}: ${main}`);
    // The filters work without a script: a GET form.
    await page.getByLabel('Year').selectOption('2027');
    await Promise.all([page.waitForURL(/year=2027/), page.getByRole('button', { name: 'Show' }).click()]);
    assert.match(await page.locator('main').innerText(), /Minutes of the Porto meeting/);
    await page.goto(`${site}/members/documents/`);

    const html = await page.content();
    const file = join(htmlDir, `${seen.size}.html`);
    writeFileSync(file, html);
    seen.set(file, `members documents ${width}`);
    assert.deepEqual(await axeViolations(page, `members documents ${width}`), [], 'axe-core');
    const png = await page.screenshot({ fullPage: true });
    if (README_SHOTS) writeFileSync(join(README_SHOTS, `members-documents-${width}.png`), png);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Minutes of the Porto meeting' }).click()]);
    assert.equal(download.suggestedFilename(), 'Minutes Porto.pdf');
    const saved = join(dataDir, `downloaded-${width}.pdf`);
    await download.saveAs(saved);
    assert.deepEqual(readFileSync(saved), PDF, 'the same bytes');
    // The one the secretariat added and replaced in the browser: its new file.
    assert.ok(added, 'the document was added in the browser');
    const [second] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: added.title }).click()]);
    assert.equal(second.suggestedFilename(), 'Agenda v2.pdf');
    const saved2 = join(dataDir, `downloaded-${width}-v2.pdf`);
    await second.saveAs(saved2);
    assert.deepEqual(readFileSync(saved2), added.bytes, 'the replacement, byte for byte');

    // Another browser, not signed in: the sign-in page for the list and for the file's own address.
    const stranger = await newContext(width);
    const other = await stranger.newPage();
    for (const path of ['/members/documents/', `/members/documents/${doc}`]) {
      const r = await other.goto(`${site}${path}`);
      assert.equal(new URL(other.url()).pathname, '/sign-in/', path);
      assert.equal(r.status(), 200);
      assert.doesNotMatch(await r.text(), /%PDF-/);
    }
    const direct = await fetch(`${serve.base}/members/documents/${doc}`, { redirect: 'manual' });
    assert.equal(direct.status, 303);
    assert.equal(direct.headers.get('location'), '/sign-in/');
    assert.doesNotMatch(await direct.text(), /%PDF-/);
    await stranger.close();
    await ctx.close();
  });
}

test("the desk's Documents pages, read by staff signed in by link, pass axe-core", { skip: NO_DESK, timeout: 180_000 }, async () => {
  const staff = `sam.${Date.now().toString(36)}@secretariat.example.org`;
  kit.desk('staff', 'add', staff, '--name', 'Sam Staff');
  const ctx = await newContext(390);
  const page = await ctx.newPage();
  await page.goto(`${site}/sign-in/`);
  await page.getByLabel('Email address').fill(staff);
  await Promise.all([page.waitForURL(/\/sign-in\/sent\/$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
  await page.goto(signInLink(kit, staff));
  await Promise.all([page.waitForURL(/\/desk\/$/), page.getByRole('button', { name: 'Sign in' }).click()]);
  await Promise.all([page.waitForURL(/\/desk\/documents\/$/), page.getByRole('navigation', { name: 'Desk' }).getByRole('link', { name: 'Documents', exact: true }).click()]);
  for (const [path, want] of [['/desk/documents/', /Add a document/], [`/desk/documents/${doc}/`, /Replace the file/]]) {
    await page.goto(`${site}${path}`);
    assert.match(await page.locator('main').innerText(), want);
    assert.match(await page.locator('main').innerText(), /Minutes of the Porto meeting/);
    const file = join(htmlDir, `${seen.size}.html`);
    writeFileSync(file, await page.content());
    seen.set(file, `desk ${path}`);
    assert.deepEqual(await axeViolations(page, `desk ${path}`), [], `axe-core on ${path}`);
  }
  // The pages the bucket sends the browser back to: a new document's details, a replacement's confirmation.
  const file = join(dataDir, 'axe.pdf');
  writeFileSync(file, PDF);
  for (const [path, button, url, name] of [
    ['/desk/documents/', 'Upload the file', /\/desk\/documents\/new\?/, 'arrived'],
    [`/desk/documents/${doc}/`, 'Upload the new file', /\/replacement\?/, 'replacement'],
  ]) {
    await page.goto(`${site}${path}`);
    await page.getByLabel('File', { exact: true }).setInputFiles(file);
    await Promise.all([page.waitForURL(url), page.getByRole('button', { name: button }).click()]);
    assert.match(await page.locator('main').innerText(), /PDF.{0,3}judged by its content/);
    const html = join(htmlDir, `${seen.size}.html`);
    writeFileSync(html, await page.content());
    seen.set(html, `desk document ${name}`);
    assert.deepEqual(await axeViolations(page, `desk document ${name}`), [], `axe-core on the ${name} page`);
  }
  await ctx.close();
});

test("the repository page and the desk's Documents pages are valid HTML (Nu HTML Checker)", { skip: NO_DESK, timeout: 180_000 }, () => {
  assert.ok(seen.size > 0, 'no page was kept');
  assert.deepEqual(vnuErrors(seen), []);
});
