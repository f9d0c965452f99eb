// The editor's loop in `generator serve`, in headless Chromium (issue 11): a
// saved edit reloads the open page by itself (keeping its scroll position); a
// broken file shows an overlay with the file and line over the last good page,
// which goes away once the file is fixed; a restarted server makes the page
// reload. Runs on a temporary copy of content/ and templates/ (the repo's own
// files are never edited), under the site's published Content-Security-Policy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SOURCE_DATE_EPOCH, axeViolations, cleanup, freePort, isLocal, launchBrowser, requireGenerator, tempDir } from './support.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The CSP the CDN adds to every published page (infra/template.yaml), minus upgrade-insecure-requests (the preview is plain http). */
function publishedCsp() {
  const yaml = readFileSync(join(REPO, 'infra', 'template.yaml'), 'utf8');
  // The folded value: the lines indented deeper than its key.
  const m = yaml.match(/\n([ ]+)ContentSecurityPolicy: (?:!Sub )?>-\n((?:\1[ ]+\S.*\n)+)/);
  assert.ok(m, 'no ContentSecurityPolicy in infra/template.yaml');
  const csp = m[2].split('\n').map((l) => l.trim()).join(' ').trim();
  assert.match(csp, /script-src 'self'/);
  // The documents bucket's origin is the deployment's (a !Sub); the preview's bucket is 'self'.
  return csp.replace(/;\s*upgrade-insecure-requests/, '').replace(/\s+https:\/\/\$\{[^}]+\}[^\s;]*/g, '');
}

/** `generator serve` on `root`; resolves once it answers. */
async function startServeOn(root, port) {
  const proc = spawn(requireGenerator(), ['serve', '--port', String(port), '--root', root, '--data', join(root, 'data'), '--out', join(root, 'out')], {
    env: { ...process.env, SOURCE_DATE_EPOCH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b) => {
    log = (log + b.toString()).slice(-20_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serve exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${base}/`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`serve did not answer:\n${log}`);
    await sleep(150);
  }
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { base, log: () => log, stop };
}

test('serve: edits reload the open page, errors show over it, a restart reloads it', { timeout: 180_000 }, async () => {
  const root = tempDir('reload');
  cpSync(join(REPO, 'content'), join(root, 'content'), { recursive: true });
  cpSync(join(REPO, 'templates'), join(root, 'templates'), { recursive: true });
  const file = join(root, 'content', 'pages', 'how-it-works.md');
  const original = readFileSync(file, 'utf8');
  const titleLine = original.split('\n').findIndex((l) => l.startsWith('title:')) + 1;
  const port = await freePort();
  let serve = await startServeOn(root, port);
  const browser = await launchBrowser();
  try {
    const csp = publishedCsp();
    const ctx = await browser.newContext({ viewport: { width: 800, height: 400 } });
    // Pages get the published CSP; the event stream is left alone (intercepting would buffer it).
    await ctx.route(
      (url) => url.pathname !== '/_serve/events',
      async (route) => {
        const req = route.request();
        if (!isLocal(req.url())) return route.abort();
        if (req.resourceType() !== 'document') return route.continue();
        const response = await route.fetch();
        return route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': csp } });
      },
    );
    const page = await ctx.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));

    const url = `${serve.base}/how-it-works/`;
    const connected = page.waitForResponse((r) => r.url().endsWith('/_serve/events'));
    await page.goto(url, { waitUntil: 'load' });
    assert.equal(await page.locator('h1').first().innerText(), 'How the group works');
    assert.equal(await page.locator('script[src="/_serve/reload.js"]').count(), 1);
    // Listening for builds; then read further down the page.
    assert.equal((await connected).headers()['content-type'], 'text/event-stream');
    await page.evaluate(() => window.scrollTo(0, 600));
    const scrolled = await page.evaluate(() => window.scrollY);
    assert.ok(scrolled > 100, `the page is too short to scroll (${scrolled})`);

    // 1. A saved edit: the page reloads by itself, shows it, and stays where it was.
    let loaded = page.waitForEvent('load', { timeout: 30_000 });
    writeFileSync(file, original.replace('title: How the group works', 'title: How the group really works'));
    await loaded;
    await page.locator('h1', { hasText: 'How the group really works' }).waitFor({ timeout: 10_000 });
    await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 2, scrolled, { timeout: 5_000 });

    // 2. A broken file: an overlay names the file and line; the last good page stays underneath.
    writeFileSync(file, original.replace('title: How the group works', 'title: [<b>broken'));
    const overlay = page.locator('#ccg-serve-overlay');
    await overlay.waitFor({ state: 'visible', timeout: 30_000 });
    const alert = overlay.locator('[role="alert"]');
    assert.equal(await alert.count(), 1, 'the errors are announced');
    const where = await overlay.locator('.ccg-serve-where').first().innerText();
    assert.match(where, new RegExp(`^content/pages/how-it-works\\.md:(${titleLine}|${titleLine + 1}):\\d+$`), where);
    assert.ok((await overlay.locator('.ccg-serve-message').first().innerText()).length > 0);
    assert.equal(await overlay.locator('b, script, img').count(), 0, 'the messages are text, not markup');
    assert.equal(await page.locator('main h1').innerText(), 'How the group really works');
    // A page opened while the error stands shows it too; checked with axe there
    // (axe is injected inline, which the published CSP rightly refuses).
    const plain = await browser.newContext();
    await plain.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort()));
    const other = await plain.newPage();
    await other.goto(`${serve.base}/`, { waitUntil: 'load' });
    await other.locator('#ccg-serve-overlay [role="alert"]').waitFor({ state: 'visible', timeout: 10_000 });
    assert.deepEqual(await axeViolations(other), []);
    await plain.close();
    // Closed with the keyboard; shown again on a page opened while the error stands.
    await page.keyboard.press('Escape');
    await overlay.waitFor({ state: 'detached', timeout: 5_000 });
    await page.reload({ waitUntil: 'load' });
    await overlay.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await overlay.innerText(), /how-it-works\.md/);
    await overlay.getByRole('button', { name: /close/i }).focus();
    await page.keyboard.press('Enter');
    await overlay.waitFor({ state: 'detached', timeout: 5_000 });
    await page.reload({ waitUntil: 'load' });
    await overlay.waitFor({ state: 'visible', timeout: 10_000 });

    // 3. Fixed: the page reloads without the overlay.
    loaded = page.waitForEvent('load', { timeout: 30_000 });
    writeFileSync(file, original);
    await loaded;
    await page.locator('h1', { hasText: /^How the group works$/ }).waitFor({ timeout: 10_000 });
    await sleep(500);
    assert.equal(await overlay.count(), 0, 'the overlay is gone after a good build');

    // 4. The server restarts (same port): the page reconnects and reloads.
    await serve.stop();
    await sleep(500);
    loaded = page.waitForEvent('load', { timeout: 30_000 });
    serve = await startServeOn(root, port);
    await loaded;
    assert.equal(await page.locator('main h1').innerText(), 'How the group works');

    assert.deepEqual(problems, [], 'no CSP violation or script error');
    assert.equal(readFileSync(join(REPO, 'content', 'pages', 'how-it-works.md'), 'utf8'), original, 'the repo is untouched');
  } finally {
    await browser.close();
    await serve.stop();
    cleanup(root);
  }
});
