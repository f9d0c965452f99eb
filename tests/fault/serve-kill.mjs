// `generator serve` killed (SIGKILL) and started again while many clients
// send registrations with Idempotency-Keys (issue 12). Clients retry with the
// same key on a connection error, a 503 or a 409. At the end, from the SQLite
// file itself: every submission answered with success is stored exactly once,
// none answered with an error is stored, and a retry of an answered key gets
// the first answer back. Loopback only.
//
// One submission in SIGNIN_EVERY is a member signing in instead
// (tests/fault/sign-in.mjs): every emailed link works exactly once, every
// session has its audit line. And no line serve logs shows an address, a
// link's secret or a cookie.
//
//   node tests/fault/serve-kill.mjs   (scripts/fault-test.sh sets the env)
//   CCG_GENERATOR   the generator binary (release)
//   CCG_FAULT_ROOT  a site root (a copy of content/, templates/, static/)
//   CCG_FAULT_DATA  an empty data folder for the run
//   CCG_FAULT_SUBMISSIONS (10000), CCG_FAULT_CLIENTS (48), CCG_FAULT_KILLS (3)

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSignIn, signInTraffic, STORE_QUERY } from './sign-in.mjs';

const generator = need('CCG_GENERATOR');
const root = need('CCG_FAULT_ROOT');
const data = need('CCG_FAULT_DATA');
const total = Number(process.env.CCG_FAULT_SUBMISSIONS || 10000);
const clients = Number(process.env.CCG_FAULT_CLIENTS || 48);
const kills = Number(process.env.CCG_FAULT_KILLS || 3);
// One submission in INVALID_EVERY has no consent: answered 422, never stored.
const INVALID_EVERY = 25;
// A success is sent again with its key now and then: it must come back the same.
const REPLAY_EVERY = 10;
const DEADLINE_MS = 150_000;

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set (scripts/fault-test.sh sets it)`);
    process.exit(2);
  }
  return v;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const out = mkdtempSync(join(tmpdir(), 'ccg-fault-out-'));
let server = null;
let log = '';
// Every line serve wrote to stderr, for the check that none carries personal data or a secret.
const fullLog = [];

function startServe() {
  const proc = spawn(generator, ['serve', '--root', root, '--port', String(port), '--data', data, '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr.on('data', (b) => {
    log = (log + b.toString()).slice(-20_000);
    fullLog.push(b.toString());
  });
  proc.exited = new Promise((r) => proc.once('exit', r));
  return proc;
}

async function waitReady() {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/api/register`, { signal: AbortSignal.timeout(5000) });
      await r.arrayBuffer();
      if (r.status !== 503) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`serve did not answer within 60 s:\n${log}`);
    await sleep(50);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function registration(email, name = 'Fault Tester') {
  return {
    name,
    email,
    city: 'Valladolid',
    country: 'ES',
    organisation: 'Ayuntamiento de Valladolid',
    position: 'Project officer',
    city_status: 'lighthouse',
    project: 'REMOURBAN',
    consent: 'yes',
    website: '',
  };
}

function body(i) {
  return JSON.stringify({ ...registration(`fault${i}@example.org`, `Fault Tester ${i}`), consent: i % INVALID_EVERY === 0 ? '' : 'yes' });
}

function send(i) {
  return fetch(`${base}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': `fault-key-${i}` },
    body: body(i),
    signal: AbortSignal.timeout(15_000),
  });
}

const fig = { submissions: total, kills: 0, successes: 0, errors: 0, unanswered: 0, attempts: 0, connectionErrors: 0, unavailable: 0, inProgress: 0, replays: 0 };
const outcome = new Array(total); // {status, text} of the answer that settled it
const problems = [];
const started = Date.now();
const signIns = signInTraffic({ base, data, total, deadline: started + DEADLINE_MS, registration, problems });
let next = 0;
let done = 0;

async function submit(i) {
  for (;;) {
    if (Date.now() - started > DEADLINE_MS) {
      fig.unanswered++;
      return;
    }
    fig.attempts++;
    let r;
    let text;
    try {
      r = await send(i);
      text = await r.text();
    } catch {
      // Killed mid-request, or not listening yet: the same key again.
      fig.connectionErrors++;
      await sleep(20 + Math.random() * 30);
      continue;
    }
    if (r.status === 503 || r.status === 409) {
      if (r.status === 503) fig.unavailable++;
      else fig.inProgress++;
      await sleep(20 + Math.random() * 30);
      continue;
    }
    outcome[i] = { status: r.status, text };
    if (r.status === 202) fig.successes++;
    else fig.errors++;
    const invalid = i % INVALID_EVERY === 0;
    if ((r.status === 202) === invalid) problems.push(`submission ${i}: answered ${r.status}: ${text.slice(0, 200)}`);
    if (i % REPLAY_EVERY === 1) await replay(i);
    return;
  }
}

async function replay(i) {
  for (let tries = 0; tries < 50; tries++) {
    try {
      const r = await send(i);
      const text = await r.text();
      fig.replays++;
      const first = outcome[i];
      if (r.status !== first.status || text !== first.text || r.headers.get('idempotency-replayed') !== 'true') {
        problems.push(`submission ${i}: the retry got ${r.status} (replayed: ${r.headers.get('idempotency-replayed')}), not the first answer ${first.status}`);
      }
      return;
    } catch {
      await sleep(50);
    }
  }
  problems.push(`submission ${i}: no answer to its retry`);
}

async function client() {
  while (next < total) {
    const i = next++;
    await (isSignIn(i) ? signIns.signIn(i) : submit(i));
    done++;
  }
}

async function killer() {
  for (let k = 1; k <= kills; k++) {
    const at = Math.floor((total * k) / (kills + 1));
    while (done < at && Date.now() - started < DEADLINE_MS) await sleep(5);
    server.kill('SIGKILL');
    await server.exited;
    fig.kills++;
    server = startServe();
  }
}

server = startServe();
await waitReady();
const t0 = Date.now();
await signIns.setup();
const setupSecs = (Date.now() - t0) / 1000;
await Promise.all([killer(), ...Array.from({ length: clients }, client)]);
const secs = (Date.now() - t0) / 1000;
await signIns.afterRun();
server.kill('SIGTERM');
await server.exited;
rmSync(out, { recursive: true, force: true });

// What the store holds, read from the file (python3's sqlite3: no extra package).
signIns.storeChecks(JSON.parse(execFileSync('python3', ['-c', STORE_QUERY, join(data, 'forms.sqlite3')]).toString()));
const rows = JSON.parse(
  execFileSync('python3', [
    '-c',
    `import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
q = "SELECT email_key, COUNT(*), MAX(json_array_length(token_hashes)) FROM pending WHERE kind = 'registration' GROUP BY email_key"
print(json.dumps(c.execute(q).fetchall()))`,
    join(data, 'forms.sqlite3'),
  ]).toString(),
);
const stored = new Map(rows.map(([email, n]) => [email, n]));
// A record with a second link: its first attempt stored it, then serve died
// before answering; the retry found it (same key, same id) and sent a new link.
const storedBeforeCrash = rows.filter(([, , links]) => links > 1).length;
let losses = 0;
let duplicates = 0;
let storedErrors = 0;
for (const m of signIns.members) stored.delete(m);
for (let i = 0; i < total; i++) {
  if (isSignIn(i)) continue;
  const n = stored.get(`fault${i}@example.org`) ?? 0;
  stored.delete(`fault${i}@example.org`);
  if (n > 1) duplicates++;
  const o = outcome[i];
  if (!o) continue; // never answered: stored or not, nobody was told either way
  if (o.status === 202 && n === 0) losses++;
  if (o.status !== 202 && n > 0) storedErrors++;
}
const strangers = stored.size;

// No line of serve's log shows an address (every one in this run ends so), a name, a link's secret or a cookie.
const logText = fullLog.join('');
const leaks = ['@example.org', 'Fault Tester', ...signIns.secrets()].filter((s) => s && logText.includes(s));
if (leaks.length) problems.push(`serve's log shows personal data or secrets: ${leaks.slice(0, 5).join(', ')}`);
if (!logText.includes('account answered')) problems.push("serve's log has no line of the sign-in pages: the log check saw nothing");

console.log(`serve fault run: ${secs.toFixed(1)} s (of which ${setupSecs.toFixed(1)} s registering the members), ${clients} clients`);
for (const [k, v] of Object.entries({ ...fig, storedBeforeCrash, losses, duplicates, storedErrors, strangers })) console.log(`  ${k}: ${v}`);
console.log('  sign-ins:');
for (const [k, v] of Object.entries(signIns.fig)) console.log(`    ${k}: ${v}`);
const bad = [];
if (fig.kills !== kills) bad.push(`${fig.kills} kills, not ${kills}`);
if (fig.unanswered) bad.push(`${fig.unanswered} submissions never answered within ${DEADLINE_MS / 1000} s`);
if (losses) bad.push(`${losses} submissions answered with success are not stored`);
if (duplicates) bad.push(`${duplicates} submissions are stored more than once`);
if (storedErrors) bad.push(`${storedErrors} submissions answered with an error are stored`);
if (strangers) bad.push(`${strangers} stored addresses nobody sent`);
// After a crash the retry takes the dead server's mark over: never "in progress".
if (fig.inProgress) bad.push(`${fig.inProgress} retries were told "in progress"`);
if (fig.connectionErrors === 0) bad.push('no request was cut by a kill: the run did not test what it says');
bad.push(...problems.slice(0, 20));
if (bad.length) {
  console.error(`FAILED:\n  ${bad.join('\n  ')}\nserve's log (end):\n${log.slice(-3000)}`);
  process.exit(1);
}
console.log('ok: every success stored exactly once, no error stored, retries got the first answer;');
console.log('    every sign-in link worked once, every session has its audit line, no personal data in the log');
