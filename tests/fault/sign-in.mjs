// Sign-in traffic in the serve fault run (issue 19): members registered and
// confirmed before the run; during it, one submission in SIGNIN_EVERY is a
// member signing in (the address form, the emailed link read from the
// outbox, the account page with the cookie), retried through the kills. A
// sign-in has no Idempotency-Key: a retry may send a second email, and a
// link whose answer a kill cut answers 410 when tried again (it worked, the
// answer was lost): the member asks for a new one, as a person would.
// Afterwards (checks()): every emailed link works exactly once, every cookie
// still opens the account page, and the store holds per member as many used
// links as sessions as `signin.link` lines (nothing half-written).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SIGNIN_EVERY = 20;
export const isSignIn = (i) => i % SIGNIN_EVERY === 7;
export const memberOf = (i) => `member${Math.floor(i / SIGNIN_EVERY)}@example.org`;
const COOKIE = '__Host-ccg_session';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function signInTraffic({ base, data, total, deadline, registration, problems }) {
  const members = Array.from({ length: Math.ceil(total / SIGNIN_EVERY) }, (_, j) => memberOf(j * SIGNIN_EVERY));
  const fig = { members: members.length, signIns: 0, signInRequests: 0, requestsCut: 0, linkAnswersLost: 0, cookies: 0, linksUnusedAfter: 0 };
  const cookies = [];

  // The outbox, read as it grows: links per address, in the order sent.
  const outbox = join(data, 'outbox');
  const seen = new Set();
  const links = new Map(); // address -> [token] (sign-in)
  const confirms = new Map(); // address -> [token] (registration)
  let scanning = null;
  const scan = () =>
    (scanning ??= (async () => {
      let names = [];
      try {
        names = readdirSync(outbox).filter((n) => n.endsWith('.json') && !seen.has(n)).sort();
      } catch {
        // no email yet
      }
      for (const n of names) {
        seen.add(n);
        const m = JSON.parse(readFileSync(join(outbox, n), 'utf8'));
        for (const [re, into] of [[/\/sign-in\/link\?token=([^\s"<>&]+)/, links], [/\/api\/register\/confirm\?token=([^\s"<>&]+)/, confirms]]) {
          const t = m.text.match(re)?.[1];
          if (t) into.set(m.to, [...(into.get(m.to) ?? []), t]);
        }
      }
      await sleep(20);
      scanning = null;
    })());
  async function newToken(into, address, after) {
    for (let tries = 0; tries < 250; tries++) {
      const got = into.get(address) ?? [];
      if (got.length > after) return got[got.length - 1];
      await scan();
    }
    return null;
  }

  // A request sent until an answer that is not an outage (a kill, or a 503); cut: whether a kill cut one.
  async function until(path, init) {
    let cut = false;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
        const text = await r.text();
        if (r.status !== 503) return { r, text, cut };
      } catch {
        cut = true;
        fig.requestsCut++;
      }
      await sleep(20 + Math.random() * 30);
    }
    throw new Error(`${path}: no answer before the deadline`);
  }
  const json = (body, extra = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...extra },
    body: JSON.stringify(body),
  });

  async function setup() {
    let next = 0;
    const one = async () => {
      while (next < members.length) {
        const email = members[next++];
        const sent = await until('/api/register', json(registration(email), { 'idempotency-key': `member-${email}` }));
        if (sent.r.status !== 202) throw new Error(`${email}: registration answered ${sent.r.status}: ${sent.text}`);
        const token = await newToken(confirms, email, 0);
        const done = await until('/api/register/confirm', json({ token }));
        if (done.r.status !== 200) throw new Error(`${email}: confirmation answered ${done.r.status}: ${done.text}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, one));
  }

  async function signIn(i) {
    const email = memberOf(i);
    for (let round = 0; round < 4; round++) {
      const before = (links.get(email) ?? []).length;
      const asked = await until('/sign-in/', json({ email }));
      fig.signInRequests++;
      if (asked.r.status !== 202) return problems.push(`${email}: /sign-in/ answered ${asked.r.status}: ${asked.text}`);
      const token = await newToken(links, email, before);
      if (!token) return problems.push(`${email}: /sign-in/ answered 202, and no email came`);
      const used = await until('/sign-in/link', json({ token }));
      if (used.r.status === 410 && used.cut) {
        fig.linkAnswersLost++;
        continue;
      }
      const cookie = (used.r.headers.get('set-cookie') ?? '').match(new RegExp(`^${COOKIE}=([^;]+)`))?.[1];
      if (used.r.status !== 200 || !cookie) return problems.push(`${email}: the link answered ${used.r.status} (cookie: ${!!cookie}): ${used.text}`);
      cookies.push(cookie);
      const account = await until('/account/', { headers: { cookie: `${COOKIE}=${cookie}`, accept: 'application/json' } });
      if (account.r.status !== 200) problems.push(`${email}: /account/ with the new cookie answered ${account.r.status}`);
      fig.signIns++;
      return;
    }
    problems.push(`${email}: no sign-in in 4 rounds`);
  }

  // With serve up after the run: every emailed link works exactly once, every cookie still works.
  async function afterRun() {
    await scan();
    fig.cookies = cookies.length;
    for (const [email, tokens] of links) {
      for (const token of tokens) {
        const first = await until('/sign-in/link', json({ token }));
        if (first.r.status === 200) {
          fig.linksUnusedAfter++;
          cookies.push((first.r.headers.get('set-cookie') ?? '').match(new RegExp(`^${COOKIE}=([^;]+)`))?.[1]);
          const again = await until('/sign-in/link', json({ token }));
          if (again.r.status !== 410) problems.push(`${email}: a link worked twice (${again.r.status})`);
        } else if (first.r.status !== 410) {
          problems.push(`${email}: an emailed link answered ${first.r.status}`);
        }
      }
    }
    for (const cookie of cookies) {
      const a = await until('/account/', { headers: { cookie: `${COOKIE}=${cookie}`, accept: 'application/json' } });
      if (a.r.status !== 200) problems.push(`a session ended by the kills: /account/ answered ${a.r.status}`);
    }
  }

  // From the SQLite file (serve stopped): per member, used links = sessions = signin.link lines.
  function storeChecks(rows) {
    const sessions = rows.sessions.reduce((n, [, c]) => n + c, 0);
    const expected = fig.cookies + fig.linksUnusedAfter + fig.linkAnswersLost;
    if (sessions !== expected) problems.push(`${sessions} sessions stored, ${expected} sign-ins answered or cut after their commit`);
    const per = new Map();
    for (const [what, list] of Object.entries(rows)) for (const [key, n] of list) per.set(key, { ...per.get(key), [what]: n });
    for (const [key, c] of per) {
      if ((c.used ?? 0) !== (c.sessions ?? 0) || (c.sessions ?? 0) !== (c.audit ?? 0)) {
        problems.push(`${key}: ${c.used ?? 0} links used, ${c.sessions ?? 0} sessions, ${c.audit ?? 0} signin.link lines`);
      }
    }
    fig.sessions = sessions;
  }

  // The secrets the log must never show: every link's secret and every cookie.
  const secrets = () => [...[...links.values()].flat().map((t) => t.split('.')[1]), ...cookies];

  return { fig, members, setup, signIn, afterRun, storeChecks, secrets };
}

export const STORE_QUERY = `import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
q = lambda s: c.execute(s).fetchall()
print(json.dumps({
  "used": q("SELECT email_key, COUNT(*) FROM sign_in_links WHERE used = 1 GROUP BY email_key"),
  "sessions": q("SELECT email_key, COUNT(*) FROM sessions GROUP BY email_key"),
  "audit": q("SELECT subject, COUNT(*) FROM audit WHERE action = 'signin.link' GROUP BY subject"),
}))`;
