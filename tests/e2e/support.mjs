// Shared helpers of the end-to-end tests: where things are, building the site,
// starting `generator serve` or a static server, crawling, the browser.
//
// Environment (scripts/test.sh sets all of them; each has a default so one file
// can be run alone with `node --test tests/e2e/ical.test.mjs`):
//   CCG_REPO           the workspace root
//   CCG_GENERATOR      the generator binary (default target/release/generator)
//   CCG_SITE           a published build of the site (default: built on first use)
//   CCG_SITE_DRAFTS    a build with --drafts, the example events included (same default)
//   SOURCE_DATE_EPOCH  the build's "now" (default below); two builds with the same
//                      value must be byte-identical

import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));

export const REPO = resolve(process.env.CCG_REPO || join(here, '..', '..'));
export const CONTENT = join(REPO, 'content');
export const GENERATOR = resolve(process.env.CCG_GENERATOR || join(REPO, 'target', 'release', 'generator'));
// 2026-01-01T00:00:00Z: the real 2021 events are past, the 2027 examples upcoming.
export const SOURCE_DATE_EPOCH = process.env.SOURCE_DATE_EPOCH || '1767225600';
export const CHROMIUM = '/usr/bin/chromium';

export function requireGenerator() {
  if (!existsSync(GENERATOR)) {
    throw new Error(`generator binary not found at ${GENERATOR}: run ./scripts/test.sh (or cargo build --release -p generator)`);
  }
  return GENERATOR;
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `ccg-e2e-${prefix}-`));
}

// The public addresses a publishing build is given (scripts/test.sh passes the
// same): without them `generator build` refuses the config's example placeholders.
export const PUBLISHED_BASE_URL = 'https://ccg.scalable-cities.eu';
export const PUBLISH_ARGS = ['--base-url', PUBLISHED_BASE_URL, '--contact-email', 'ccg@scalable-cities.eu'];

/** Runs `generator build --out <out>` on the repo's content (a build without --drafts with PUBLISH_ARGS); throws with its output on failure. */
export function buildSite(out, extraArgs = []) {
  const publish = extraArgs.includes('--drafts') ? [] : PUBLISH_ARGS;
  const res = spawnSync(requireGenerator(), ['build', '--out', out, ...publish, ...extraArgs], {
    cwd: REPO,
    env: { ...process.env, SOURCE_DATE_EPOCH },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (res.status !== 0) {
    throw new Error(`generator build --out ${out} ${extraArgs.join(' ')} failed (status ${res.status}, signal ${res.signal}):\n${res.stdout}\n${res.stderr}`);
  }
  return out;
}

let publishedSite;
/** The published build: CCG_SITE when given, else one build into a temp dir per test file. */
export function publishedBuild() {
  if (process.env.CCG_SITE) return resolve(process.env.CCG_SITE);
  if (!publishedSite) publishedSite = buildSite(tempDir('site'));
  return publishedSite;
}

let draftsSite;
/** The build with drafts (what the preview shows): CCG_SITE_DRAFTS, else built on first use. */
export function draftsBuild() {
  if (process.env.CCG_SITE_DRAFTS) return resolve(process.env.CCG_SITE_DRAFTS);
  if (!draftsSite) draftsSite = buildSite(tempDir('site-drafts'), ['--drafts']);
  return draftsSite;
}

process.on('exit', () => {
  // Only what this process built itself; CCG_SITE* belong to the caller.
  for (const d of [publishedSite, draftsSite]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Every file under `dir`, as paths relative to it with `/` separators, sorted. */
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForHttp(url, proc, output, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`server exited (code ${proc.exitCode}, signal ${proc.signalCode}) before answering:\n${output()}`);
    }
    try {
      const r = await fetch(url, { redirect: 'manual' });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  throw new Error(`no answer from ${url} after ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts `generator serve --port P --data D --out O` on the repo's content (drafts shown,
 * forms working). Returns { base, port, dataDir, output(), stop() }.
 */
export async function startServe({ dataDir, port } = {}) {
  port ??= await freePort();
  // A data folder of its own unless the caller keeps one across restarts.
  const ownData = !dataDir;
  dataDir ??= tempDir('data');
  // Its own output folder: never the developer's target/ccg-serve.
  const outDir = tempDir('serve-out');
  const proc = spawn(requireGenerator(), ['serve', '--port', String(port), '--data', dataDir, '--out', outDir], {
    cwd: REPO,
    env: { ...process.env, SOURCE_DATE_EPOCH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b) => {
    log += b.toString();
    if (log.length > 20_000) log = log.slice(-20_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      cleanup(outDir);
      if (ownData) cleanup(dataDir);
      return;
    }
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    cleanup(outDir);
    if (ownData) cleanup(dataDir);
  };
  try {
    await waitForHttp(`${base}/`, proc, () => log, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, port, dataDir, proc, output: () => log, stop };
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.ics': 'text/calendar; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves a built site the way the static hosting does: `/x/` -> x/index.html,
 * exact files, and /404.html with status 404 for anything else.
 */
export async function startStatic(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = join(root, path);
    if (!file.startsWith(root)) {
      res.writeHead(400).end();
      return;
    }
    if (path.endsWith('/')) file = join(file, 'index.html');
    let status = 200;
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (existsSync(join(file, 'index.html'))) {
        res.writeHead(301, { location: `${path}/` }).end();
        return;
      }
      status = 404;
      file = join(root, '404.html');
      if (!existsSync(file)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
    }
    res.writeHead(status, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  // close() waits for every open connection, and a browser context that outlives
  // the server (the journeys' axe context) may keep one alive: end them all, or
  // the test hangs until its timeout (seen once in CI).
  const stop = () =>
    new Promise((r) => {
      server.close(r);
      server.closeAllConnections();
    });
  return { base, stop };
}

/** href/src values of an HTML text (good enough for generated pages). */
export function linksOf(html) {
  const out = [];
  for (const m of html.matchAll(/\s(?:href|src|action)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
    out.push((m[1] ?? m[2]).replaceAll('&amp;', '&'));
  }
  return out;
}

/**
 * Follows every same-origin link from `/` (and the sitemap) and returns
 * { pages: [path of each HTML page], broken: [{from, to, status}], assets: Map(path -> status) }.
 */
export async function crawl(base, { limit = 2000 } = {}) {
  const origin = new URL(base).origin;
  const seen = new Map(); // path -> status
  const pages = [];
  const broken = [];
  const queue = [['/', '(start)']];
  try {
    const sm = await fetch(`${base}/sitemap.xml`);
    if (sm.ok) {
      for (const m of (await sm.text()).matchAll(/<loc>([^<]+)<\/loc>/g)) queue.push([new URL(m[1]).pathname, '/sitemap.xml']);
    }
  } catch {
    // the sitemap is checked elsewhere
  }
  while (queue.length && seen.size < limit) {
    const [path, from] = queue.shift();
    if (seen.has(path)) {
      if (seen.get(path) >= 400) broken.push({ from, to: path, status: seen.get(path) });
      continue;
    }
    const r = await fetch(base + path, { redirect: 'manual' });
    seen.set(path, r.status);
    const type = r.headers.get('content-type') || '';
    if (r.status >= 300 && r.status < 400) {
      const loc = new URL(r.headers.get('location'), base + path);
      if (loc.origin === origin) queue.push([loc.pathname, path]);
      await r.arrayBuffer();
      continue;
    }
    if (r.status >= 400) {
      broken.push({ from, to: path, status: r.status });
      await r.arrayBuffer();
      continue;
    }
    if (!type.startsWith('text/html')) {
      await r.arrayBuffer();
      continue;
    }
    pages.push(path);
    const html = await r.text();
    for (const href of linksOf(html)) {
      let u;
      try {
        u = new URL(href, base + path);
      } catch {
        continue;
      }
      if (u.origin !== origin || !/^https?:$/.test(u.protocol)) continue;
      if (u.pathname.startsWith('/api/')) continue; // form actions answer POST only
      if (/^\/(sign-in|account|desk|members)\//.test(u.pathname)) continue; // the signed-in pages: the account function's, not files
      queue.push([u.pathname, path]);
    }
  }
  return { pages: pages.sort(), broken, statuses: seen };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Whether a request URL stays on this machine. */
export function isLocal(url) {
  const u = new URL(url);
  if (['data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/**
 * The top-level fields of each file's YAML front matter (plain, quoted and
 * folded scalars; nested maps are returned as their raw text). Enough to read
 * what the tests compare with; not a YAML parser.
 */
export function frontMatter(text) {
  const m = text.match(/^---\r?\n([\s\S]*?)\r?\n---/);
  if (!m) return {};
  const lines = m[1].split(/\r?\n/);
  const out = {};
  for (let i = 0; i < lines.length; i++) {
    const kv = lines[i].match(/^([A-Za-z_][\w-]*):\s*(.*)$/);
    if (!kv) continue;
    let [, key, value] = kv;
    value = value.replace(/\s+#.*$/, '');
    if (/^[>|][-+]?$/.test(value)) {
      const block = [];
      while (i + 1 < lines.length && (/^\s/.test(lines[i + 1]) || lines[i + 1] === '')) block.push(lines[++i].trim());
      value = value.startsWith('>') ? block.filter(Boolean).join(' ') : block.join('\n');
    } else if (value === '') {
      const block = [];
      while (i + 1 < lines.length && /^\s/.test(lines[i + 1])) block.push(lines[++i]);
      value = block.join('\n');
    } else if (value.startsWith('"')) {
      value = JSON.parse(value.replace(/\s+#.*$/, ''));
    } else if (value.startsWith("'")) {
      value = value.slice(1, -1).replaceAll("''", "'");
    }
    out[key] = value;
  }
  return out;
}

/** The events of content/events, with their front matter. */
export function contentEvents() {
  const dir = join(CONTENT, 'events');
  return listFiles(dir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => ({ file: `content/events/${f}`, ...frontMatter(readFileSync(join(dir, f), 'utf8')) }));
}

export function isDraft(ev) {
  return ev.draft === 'true';
}

/** The site config values the tests need (flat keys and calendar.*). */
export function siteConfig() {
  const text = readFileSync(join(CONTENT, 'config.yaml'), 'utf8');
  const fm = frontMatter(`---\n${text}\n---`);
  const cal = frontMatter(`---\n${(fm.calendar || '').replace(/^ {2}/gm, '')}\n---`);
  return { ...fm, calendar: cal };
}

/** The travel-support limits, in cents. */
export function travelRules() {
  const text = readFileSync(join(CONTENT, 'data', 'travel-support.yaml'), 'utf8');
  const fm = frontMatter(`---\n${text}\n---`);
  const cents = (v) => Math.round(Number(v) * 100);
  return {
    // The words of the claim's declaration (claim_form.declaration), as the check-answers page shows them.
    declaration: text.match(/^ {2}declaration:\s*(.+?)\s*$/m)?.[1] ?? 'I declare that the costs are real and not paid by anyone else',
    maxPerTripCents: cents(fm.max_per_trip),
    maxPerYearCents: cents(fm.max_per_year),
    maxTripsPerYear: Number(fm.max_trips_per_year),
  };
}

/** Every SCC city with its country and role, from the project data. */
export function sccCities() {
  const text = readFileSync(join(CONTENT, 'data', 'scc-projects.yaml'), 'utf8');
  const out = [];
  let project = null;
  let role = null;
  let pending = null;
  for (const line of text.split('\n')) {
    const p = line.match(/^- acronym:\s*(.+)$/);
    if (p) project = { acronym: p[1].trim(), end: null };
    const e = line.match(/^ {2}end:\s*"?(\d{4}-\d{2})"?/);
    if (e && project) project.end = e[1];
    const r = line.match(/^ {2}(lighthouse|fellow|observer)_cities:/);
    if (r) role = r[1];
    else if (/^ {2}\S/.test(line)) role = null;
    const unquote = (v) => (v.startsWith('"') ? JSON.parse(v) : v.trim());
    const c = line.match(/\{\s*name:\s*("(?:[^"\\]|\\.)*"|[^,]+),\s*country:\s*"?([A-Z]{2})"?/);
    if (c && role && project) {
      out.push({ name: unquote(c[1]), country: c[2], role, project: project.acronym, projectEnd: project.end });
    }
    // Block style: `- name: X` with `country: YY` on a following line.
    const b = line.match(/^ {4}- name:\s*(.+)$/);
    if (b && role && project) pending = { name: unquote(b[1]), role, project: project.acronym, projectEnd: project.end };
    const bc = line.match(/^ {6}country:\s*"?([A-Z]{2})"?/);
    if (bc && pending) {
      out.push({ ...pending, country: bc[1] });
      pending = null;
    }
  }
  return out;
}

/** Local wall time in an IANA zone -> epoch ms (earlier of two on a repeated hour). */
export function zonedToUtc(localIso, timeZone) {
  const [d, t = '00:00'] = localIso.split('T');
  const [y, mo, da] = d.split('-').map(Number);
  const [h, mi] = t.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, da, h, mi);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const offsetAt = (ms) => {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
    return asUtc - ms;
  };
  // Two passes settle the offset except inside a DST gap, where the later offset wins.
  let guess = wall - offsetAt(wall);
  guess = wall - offsetAt(guess);
  return guess;
}

/**
 * Every email the preview whose data folder is `dataDir` sent, oldest first:
 * { file, to, subject, text, html, sent_at, id?, headers: [[name, value]],
 * attachments: [{ filename, content_type, body (a Buffer) }] }. A message
 * with an id is in a file named from the id; its `order` says when it was
 * sent (functions/src/mail/outbox/).
 */
export function outboxAll(dataDir) {
  const dir = join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((file) => {
      const m = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const attachments = (m.attachments ?? []).map((a) => ({ filename: a.filename, content_type: a.content_type, body: Buffer.from(a.base64, 'base64') }));
      return { file, ...m, order: m.order ?? file.slice(0, -'.json'.length), headers: m.headers ?? [], attachments };
    })
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
}

/** Every email the preview whose data folder is `dataDir` sent to `email` (any letter case), oldest first. */
export function outboxMails(dataDir, email) {
  return outboxAll(dataDir).filter((m) => m.to.toLowerCase() === email.toLowerCase());
}

export function cleanup(dir) {
  if (dir && dir.includes('ccg-e2e-')) rmSync(dir, { recursive: true, force: true });
}

/** City names folded as ccg_model::normalize_name does: no case, no diacritics, punctuation as spaces. */
export function normalize(s) {
  const special = { 'ı': 'i', 'ø': 'o', 'Ø': 'o', 'æ': 'ae', 'Æ': 'ae', 'ß': 'ss', 'ł': 'l', 'Ł': 'l', 'đ': 'd', 'Đ': 'd' };
  return String(s)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[ıøØæÆßłŁđĐ]/g, (c) => special[c])
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
let axeSource;
/** axe-core's WCAG 2.0/2.1 A and AA violations on the loaded page, one line per element. */
export async function axeViolations(page, label = new URL(page.url()).pathname) {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_TAGS,
  );
  return result.violations.flatMap((v) => v.nodes.map((n) => `${label}: ${v.id} (${v.impact}) at ${n.target.join(' ')}: ${v.help}`));
}

const VNU = join(here, 'node_modules', 'vnu-jar', 'build', 'dist', 'vnu.jar');

/**
 * Runs the Nu HTML Checker once over `files` (Map: path on disk -> name for
 * messages) and returns its errors as `name:line:column: message [extract]`.
 */
export function vnuErrors(files) {
  if (!existsSync(VNU)) throw new Error(`${VNU} is missing: run ./scripts/setup-test-deps.sh`);
  const res = spawnSync('java', ['-jar', VNU, '--errors-only', '--format', 'json', ...files.keys()], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  if (res.status !== 0 && res.status !== 1) {
    throw new Error(`vnu failed to run (status ${res.status}, signal ${res.signal}): ${res.error ?? ''}\n${res.stderr}`);
  }
  let report;
  try {
    report = JSON.parse(res.stderr || res.stdout);
  } catch {
    throw new Error(`vnu did not answer JSON:\n${res.stdout}\n${res.stderr}`);
  }
  return report.messages
    .filter((m) => m.type === 'error' || m.type === 'non-document-error' || m.subType === 'fatal')
    .map((m) => {
      let where = m.url;
      try {
        where = files.get(fileURLToPath(m.url)) ?? m.url; // vnu writes file:/x, not file:///x
      } catch {
        // not a file URL: keep it
      }
      const extract = m.extract ? ` [${m.extract.replace(/\s+/g, ' ').trim()}]` : '';
      return `${where}:${m.lastLine ?? m.firstLine ?? '?'}:${m.firstColumn ?? m.lastColumn ?? '?'}: ${m.message}${extract}`;
    });
}
