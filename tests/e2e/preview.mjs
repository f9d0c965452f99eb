// What the browser tests do through the preview's API and the secretariat's
// desk to set a scene: a confirmed member, an approved representative with a
// counted claim. Shared by documents.test.mjs, signin.test.mjs and desk.test.mjs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, contentEvents, normalize, outboxMails, sccCities } from './support.mjs';

/** The helpers bound to one running preview (`serve` from startServe), its data folder and the desk binary. */
export function previewKit({ serve, dataDir, deskBin, operator = 'E2E' }) {
  const mailsTo = (email) => outboxMails(dataDir, email);

  /** The link matching `pattern` in the newest email to `email`. */
  const newestLinkMatching = (email, pattern, what) => {
    const mail = mailsTo(email).at(-1);
    const m = mail?.text.match(pattern);
    assert.ok(m, `no ${what} link in the newest email to ${email}:\n${mail?.text}`);
    return m[0];
  };

  const newestLink = (email, form) => newestLinkMatching(email, new RegExp(`https?://[^\\s"<>]+/api/${form}/confirm\\?token=[^\\s"<>&]+`), form);

  const jsonPost = async (path, body) => {
    const r = await fetch(`${serve.base}/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, text: await r.text() };
  };

  const desk = (...args) => {
    const res = spawnSync(deskBin, ['--sqlite', join(dataDir, 'forms.sqlite3'), '--operator', operator, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    assert.equal(res.status, 0, `desk ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
    return res.stdout;
  };

  /** The meeting the claim form offers first, or null. */
  const openMeeting = async () => {
    const html = await (await fetch(`${serve.base}/financial-support/`)).text();
    const m = html.match(/name="event" type="radio" value="([^"]+)" required data-travel-from="([\d-]+)" data-travel-until="([\d-]+)"/);
    if (!m) return null;
    const e = contentEvents().find((ev) => ev.id === m[1]);
    return { id: m[1], start: e.start.slice(0, 10), end: e.end.slice(0, 10) };
  };

  /** A confirmed contact (a member) with a fresh address in `city` (any SCC city when none), named `name` ("Who Member" when none). */
  const member = async (who, city = sccCities()[0], name = `${who[0].toUpperCase()}${who.slice(1)} Member`) => {
    const email = `${who}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.org`;
    let r = await jsonPost('register', { name, email, city: city.name, country: city.country, organisation: `City of ${city.name}`, position: 'Officer', city_status: city.role, project: '', consent: 'yes', website: '' });
    assert.equal(r.status, 202, r.text);
    r = await jsonPost('register/confirm', { token: decodeURIComponent(newestLink(email, 'register').split('token=')[1]) });
    assert.equal(r.status, 200, r.text);
    return { email, city };
  };

  const usedCities = new Set();
  /** A counted claim of a fresh approved representative (named `name`, if given) of a city that qualifies for `meeting`: its link, id and reference. */
  const countedClaim = async (who, meeting, name = undefined) => {
    const ended = (ym) => new Date(Date.UTC(Number(ym.slice(0, 4)), Number(ym.slice(5, 7)), 0)).toISOString().slice(0, 10) < meeting.start;
    const city = sccCities().find((c) => ['lighthouse', 'fellow'].includes(c.role) && c.projectEnd && ended(c.projectEnd) && !usedCities.has(`${normalize(c.name)}|${c.country}`));
    assert.ok(city, 'no qualifying city left');
    usedCities.add(`${normalize(city.name)}|${city.country}`);
    const { email } = await member(who, city, name);
    desk('approve', email, '--city', city.name, '--country', city.country);
    let r = await jsonPost('travel-claims', { email, event: meeting.id, travel_start: meeting.start, travel_end: meeting.end, transport_eur: '120', accommodation_eur: '80', consent: 'yes', declaration: 'yes', website: '' });
    assert.equal(r.status, 202, r.text);
    const link = newestLink(email, 'travel-claims');
    r = await jsonPost('travel-claims/confirm', { token: decodeURIComponent(link.split('token=')[1]) });
    assert.equal(r.status, 200, r.text);
    const { id, reference } = JSON.parse(r.text);
    return { link, id, reference, email, city };
  };

  return { mailsTo, newestLink, newestLinkMatching, jsonPost, desk, openMeeting, member, countedClaim };
}
