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
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { axeViolations, cleanup, launchBrowser, startServe, tempDir } from './support.mjs';
import { previewKit } from './preview.mjs';

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
  kit = previewKit({ serve, dataDir, deskBin: DESK, operator: 'E2E Documents' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
});

let kit;

for (const js of [false, true]) {
  test(`a PDF added from the claim's link at 320 px, JavaScript ${js ? 'on' : 'off'}, is listed for the claimant and the desk`, { skip: NO_DESK, timeout: 180_000 }, async () => {
    // The preview's example meetings always take claims: none offered is a failure, not a reason to skip.
    const meeting = await kit.openMeeting();
    assert.ok(meeting, 'the claim form offers no meeting');
    const { link, id } = await kit.countedClaim(js ? 'docs-js' : 'docs', meeting);
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
    assert.match(kit.desk('claim', id), /Documents \(1;[\s\S]*PDF\s+\d+ bytes[\s\S]*train ticket\.pdf/);
    const out = tempDir('documents-out');
    kit.desk('files', id, '--out', out);
    const written = readdirSync(out);
    assert.equal(written.length, 1);
    assert.deepEqual(readFileSync(join(out, written[0])), PDF);
    cleanup(out);
    await ctx.close();
  });
}
