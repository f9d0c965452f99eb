// The members' repository, in Chromium, on the preview: the secretariat
// shares a PDF (`desk documents add`), a member signs in by emailed link,
// opens /members/documents/ at 390 and 1280 px, downloads the PDF (the same
// bytes), and a browser that is not signed in gets the sign-in page for the
// same addresses, never the file. The page passes axe-core and the Nu HTML
// Checker; CCG_UPDATE_SCREENSHOTS=1 writes docs/screenshots/members-documents-{390,1280}.png.
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary
// (without it this skips: documents are added with `desk documents add`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, axeViolations, cleanup, launchBrowser, startServe, tempDir, vnuErrors } from './support.mjs';
import { previewKit } from './preview.mjs';
import { signInLink } from './passkeys.mjs';

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
  await ctx.close();
});

test("the repository page and the desk's Documents pages are valid HTML (Nu HTML Checker)", { skip: NO_DESK, timeout: 180_000 }, () => {
  assert.ok(seen.size > 0, 'no page was kept');
  assert.deepEqual(vnuErrors(seen), []);
});
