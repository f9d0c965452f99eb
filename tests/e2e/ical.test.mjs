// The calendar feeds as a calendar app reads them, parsed by ical.js (an
// independent parser) and checked byte by byte against RFC 5545 and against
// the events in content/:
//   /calendar.ics (the subscription feed) and /calendar/<id>.ics (add to calendar),
//   in the published build and in the build with drafts (files on disk).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import ICAL from 'ical.js';
import {
  buildSite,
  cleanup,
  contentEvents,
  draftsBuild,
  isDraft,
  linksOf,
  listFiles,
  publishedBuild,
  PUBLISH_ARGS,
  REPO,
  requireGenerator,
  SOURCE_DATE_EPOCH,
  siteConfig,
  startServe,
  tempDir,
  zonedToUtc,
} from './support.mjs';

const LAUNCH = 'ccg-2021-10-launch';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 5545 section 3.1: CRLF, at most 75 octets a line, folds not inside a UTF-8 character. */
function checkBytes(name, bytes) {
  const problems = [];
  if (bytes.length === 0) return [`${name}: empty`];
  let start = 0;
  let lineNo = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a) problems.push(`${name}:${lineNo + 1}: CR without LF`);
    if (bytes[i] !== 0x0a) continue;
    lineNo++;
    if (bytes[i - 1] !== 0x0d) problems.push(`${name}:${lineNo}: LF without CR`);
    const line = bytes.subarray(start, bytes[i - 1] === 0x0d ? i - 1 : i);
    if (line.length > 75) problems.push(`${name}:${lineNo}: ${line.length} octets (max 75)`);
    try {
      utf8.decode(line);
    } catch {
      problems.push(`${name}:${lineNo}: not valid UTF-8 on its own (a fold splits a character?)`);
    }
    start = i + 1;
  }
  if (start !== bytes.length) problems.push(`${name}: does not end with CRLF`);
  return problems;
}

/** Unfolded content lines (for what ical.js does not keep, such as VALUE=DATE). */
function contentLines(text) {
  return text.replace(/\r\n[ \t]/g, '').split('\r\n').filter(Boolean);
}

/** Parses one .ics; returns the calendar, its events (with UTC times) and the problems found. */
function readCalendar(name, bytes) {
  const problems = checkBytes(name, bytes);
  const text = Buffer.from(bytes).toString('utf8');
  let cal;
  try {
    cal = new ICAL.Component(ICAL.parse(text));
  } catch (e) {
    return { problems: [...problems, `${name}: ical.js cannot parse it: ${e.message}`], events: [] };
  }
  if (cal.name !== 'vcalendar') problems.push(`${name}: top component is ${cal.name}`);
  if (cal.getFirstPropertyValue('version') !== '2.0') problems.push(`${name}: VERSION is not 2.0`);
  if (!cal.getFirstPropertyValue('prodid')) problems.push(`${name}: no PRODID`);

  const zones = new Map();
  for (const vtz of cal.getAllSubcomponents('vtimezone')) {
    zones.set(vtz.getFirstPropertyValue('tzid'), new ICAL.Timezone(vtz));
  }
  const lines = contentLines(text);
  const events = [];
  const uids = new Set();
  for (const ve of cal.getAllSubcomponents('vevent')) {
    const uid = ve.getFirstPropertyValue('uid');
    const where = `${name} VEVENT ${uid ?? '(no UID)'}`;
    for (const p of ['uid', 'dtstamp', 'dtstart', 'summary']) {
      if (!ve.hasProperty(p)) problems.push(`${where}: no ${p.toUpperCase()}`);
    }
    if (uid && uids.has(uid)) problems.push(`${where}: UID used twice in the file`);
    uids.add(uid);
    const stamp = ve.getFirstProperty('dtstamp');
    if (stamp && !/^DTSTAMP:\d{8}T\d{6}Z$/.test(lines.find((l) => l.startsWith('DTSTAMP')) ?? '')) {
      problems.push(`${where}: DTSTAMP is not a UTC date-time`);
    }
    const instant = (prop) => {
      const p = ve.getFirstProperty(prop);
      if (!p) return null;
      const t = p.getFirstValue().clone();
      if (p.type === 'date') return { date: t.toString() };
      const tzid = p.getParameter('tzid');
      if (tzid) {
        if (!zones.has(tzid)) {
          problems.push(`${where}: ${prop.toUpperCase()} uses TZID=${tzid} without a matching VTIMEZONE`);
          return null;
        }
        t.zone = zones.get(tzid);
      } else if (!t.toString().endsWith('Z')) {
        problems.push(`${where}: ${prop.toUpperCase()} is a floating time (no TZID, not UTC)`);
        return null;
      }
      return { ms: t.toUnixTime() * 1000 };
    };
    events.push({
      uid,
      summary: ve.getFirstPropertyValue('summary'),
      status: ve.getFirstPropertyValue('status'),
      start: instant('dtstart'),
      end: ve.hasProperty('dtend') ? instant('dtend') : null,
      hasDuration: ve.hasProperty('duration'),
    });
  }
  // VALUE=DATE must be spelt out for date-only DTSTART/DTEND (ical.js infers it silently).
  for (const l of lines) {
    const m = l.match(/^(DTSTART|DTEND)([^:]*):(\d{8})$/);
    if (m && !/;VALUE=DATE(;|$)/.test(m[2])) problems.push(`${name}: ${l}: a date without VALUE=DATE`);
  }
  return { cal, text, events, problems };
}

const dayAfter = (iso) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
};
const iso = (ms) => new Date(ms).toISOString();

/** What a calendar must show for a content event. */
function expectedTimes(ev) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(ev.start)) return { allDay: true, start: ev.start, end: dayAfter(ev.end) };
  return { allDay: false, start: zonedToUtc(ev.start.replace(' ', 'T'), ev.timezone), end: zonedToUtc(ev.end.replace(' ', 'T'), ev.timezone) };
}

/**
 * Checks one site's feeds: `get(path)` returns the bytes or null. `events` are
 * the content events that must be in it. Returns a list of problems.
 */
async function checkFeeds(label, get, events, { exactSummary }) {
  const config = siteConfig();
  const problems = [];
  const feedBytes = await get('/calendar.ics');
  if (!feedBytes) return [`${label}: no /calendar.ics`];
  const feed = readCalendar(`${label} /calendar.ics`, feedBytes);
  problems.push(...feed.problems);
  if (!feed.cal) return problems;

  const calname = feed.cal.getFirstPropertyValue('x-wr-calname');
  if (calname !== config.calendar.name) problems.push(`${label} /calendar.ics: X-WR-CALNAME is ${JSON.stringify(calname)}, config says ${JSON.stringify(config.calendar.name)}`);
  const refresh = feed.cal.getFirstProperty('refresh-interval');
  if (!refresh) problems.push(`${label} /calendar.ics: no REFRESH-INTERVAL`);
  else if (!/^REFRESH-INTERVAL;VALUE=DURATION:/.test(contentLines(feed.text).find((l) => l.startsWith('REFRESH-INTERVAL')))) {
    problems.push(`${label} /calendar.ics: REFRESH-INTERVAL without VALUE=DURATION`);
  } else if (refresh.getFirstValue().toSeconds() !== Number(config.calendar.refresh_hours) * 3600) {
    problems.push(`${label} /calendar.ics: REFRESH-INTERVAL is ${refresh.getFirstValue()}, config says ${config.calendar.refresh_hours} hours`);
  }
  const ttl = feed.cal.getFirstProperty('x-published-ttl');
  if (ttl && ICAL.Duration.fromString(ttl.getFirstValue()).toSeconds() !== Number(config.calendar.refresh_hours) * 3600) {
    problems.push(`${label} /calendar.ics: X-PUBLISHED-TTL ${ttl.getFirstValue()} disagrees with refresh_hours`);
  }

  const byUid = new Map(feed.events.map((e) => [e.uid, e]));
  if (feed.events.length !== events.length) {
    problems.push(`${label} /calendar.ics: ${feed.events.length} VEVENTs, expected ${events.length} (${events.map((e) => e.id).join(', ')})`);
  }
  for (const ev of events) {
    const path = `/calendar/${ev.id}.ics`;
    const bytes = await get(path);
    if (!bytes) {
      problems.push(`${label}: no ${path} for ${ev.file}`);
      continue;
    }
    const single = readCalendar(`${label} ${path}`, bytes);
    problems.push(...single.problems);
    if (single.events.length !== 1) {
      problems.push(`${label} ${path}: ${single.events.length} VEVENTs, expected 1`);
      continue;
    }
    const one = single.events[0];
    const where = `${label} ${path}`;
    if (!one.uid?.endsWith(`@${config.uid_domain}`)) problems.push(`${where}: UID ${one.uid} is not in the configured uid_domain ${config.uid_domain}`);
    const inFeed = byUid.get(one.uid);
    if (!inFeed) {
      problems.push(`${where}: its UID ${one.uid} is not in /calendar.ics (a download and the subscription would show the event twice)`);
      continue;
    }
    const exp = expectedTimes(ev);
    for (const [got, src] of [[one, path], [inFeed, '/calendar.ics']]) {
      const at = `${label} ${src} ${ev.id}`;
      if (exactSummary ? got.summary !== ev.title : !got.summary?.includes(ev.title)) {
        problems.push(`${at}: SUMMARY ${JSON.stringify(got.summary)}, title is ${JSON.stringify(ev.title)}`);
      }
      const cancelled = ev.status === 'cancelled';
      if (cancelled !== (got.status === 'CANCELLED')) problems.push(`${at}: STATUS ${got.status ?? '(none)'} but content status is ${ev.status ?? 'scheduled'}`);
      if (exp.allDay) {
        if (got.start?.date !== exp.start) problems.push(`${at}: all-day DTSTART ${JSON.stringify(got.start)}, expected the date ${exp.start}`);
        if (got.end?.date !== exp.end) problems.push(`${at}: all-day DTEND ${JSON.stringify(got.end)}, expected the date ${exp.end} (the day after the last day)`);
      } else {
        if (got.start?.ms !== exp.start) problems.push(`${at}: starts ${got.start?.ms ? iso(got.start.ms) : JSON.stringify(got.start)}, expected ${iso(exp.start)} (${ev.start} ${ev.timezone})`);
        if (got.end?.ms !== exp.end) problems.push(`${at}: ends ${got.end?.ms ? iso(got.end.ms) : JSON.stringify(got.end)}, expected ${iso(exp.end)} (${ev.end} ${ev.timezone})`);
      }
    }
  }
  return problems;
}

const diskGetter = (root) => async (path) => {
  const f = join(root, path);
  return existsSync(f) ? new Uint8Array(readFileSync(f)) : null;
};

test('content has the example events the feed checks need', () => {
  const all = contentEvents();
  assert.ok(all.some((e) => e.id === LAUNCH), `${LAUNCH} is missing from content/events`);
  const drafts = all.filter(isDraft);
  assert.ok(all.some((e) => /^\d{4}-\d{2}-\d{2}$/.test(e.start)), 'no all-day event in content/events (an example draft should show one)');
  assert.ok(all.some((e) => e.status === 'cancelled'), 'no cancelled event in content/events (an example draft should show one)');
  const zones = new Set(all.map((e) => e.timezone));
  assert.ok(zones.size >= 3, `events use only the zones ${[...zones].join(', ')}; examples should cover several`);
  assert.ok(drafts.length >= 1, 'no draft example event');
});

test('published feeds: RFC 5545 bytes, fields and times match content', async () => {
  const site = publishedBuild();
  const published = contentEvents().filter((e) => !isDraft(e));
  const problems = await checkFeeds('published', diskGetter(site), published, { exactSummary: true });
  assert.deepEqual(problems, []);
  // Drafts never leave the preview.
  for (const d of contentEvents().filter(isDraft)) {
    assert.ok(!existsSync(join(site, 'calendar', `${d.id}.ics`)), `draft ${d.id} has a published .ics`);
    assert.ok(!existsSync(join(site, 'calendar', d.id)), `draft ${d.id} has a published page`);
    assert.ok(!readFileSync(join(site, 'calendar.ics'), 'utf8').includes(d.id), `draft ${d.id} is in the published feed`);
  }
});

test('the launch meeting is a date with its hours in words: its source gives no time zone', () => {
  const site = publishedBuild();
  const feed = readCalendar('calendar.ics', new Uint8Array(readFileSync(join(site, 'calendar.ics'))));
  const one = readCalendar(`${LAUNCH}.ics`, new Uint8Array(readFileSync(join(site, 'calendar', `${LAUNCH}.ics`))));
  const ev = feed.events.find((e) => e.uid === one.events[0]?.uid);
  assert.ok(ev, `${LAUNCH} not found in calendar.ics`);
  assert.deepEqual([ev.start, ev.end], [{ date: '2021-10-07' }, { date: '2021-10-08' }]);
  const vevent = one.cal.getFirstSubcomponent('vevent');
  assert.match(vevent.getFirstPropertyValue('description'), /^Thursday 7 October 2021, 15:00 to 16:30\./);
  assert.ok(!/TZID|Brussels/.test(one.text), 'no zone is claimed');
});

/** A copy of the repository's content/ and templates/ the test may change. */
function siteCopy(prefix) {
  const root = tempDir(prefix);
  for (const d of ['content', 'templates']) cpSync(join(REPO, d), join(root, d), { recursive: true });
  return root;
}

/** `generator build --root root --out root/public`: { ok, output }. */
function buildCopy(root) {
  const res = spawnSync(requireGenerator(), ['build', '--root', root, '--out', join(root, 'public'), ...PUBLISH_ARGS], {
    env: { ...process.env, SOURCE_DATE_EPOCH },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ok: res.status === 0, output: `${res.stdout}${res.stderr}` };
}

/** The VEVENT with this UID as ical.js reads it: times in UTC, SEQUENCE, DTSTAMP. */
function entry(bytes, uid) {
  const cal = new ICAL.Component(ICAL.parse(Buffer.from(bytes).toString('utf8')));
  const ve = cal.getAllSubcomponents('vevent').find((v) => v.getFirstPropertyValue('uid') === uid);
  assert.ok(ve, `${uid} is not in the calendar`);
  const utc = (p) => iso(ve.getFirstPropertyValue(p).toUnixTime() * 1000);
  return { start: utc('dtstart'), end: utc('dtend'), sequence: ve.getFirstPropertyValue('sequence'), stamp: utc('dtstamp') };
}

/** What a subscribed calendar keeps (RFC 5546 3.2 / 2.1.5): the later revision, by SEQUENCE then DTSTAMP. */
function keep(stored, incoming) {
  if (incoming.sequence > stored.sequence) return incoming;
  if (incoming.sequence === stored.sequence && incoming.stamp > stored.stamp) return incoming;
  return stored;
}

test('a meeting moved to another time reaches subscribed calendars: SEQUENCE goes up, the parser reads the new time', () => {
  const root = siteCopy('moved');
  try {
    const file = join(root, 'content', 'events', 'moved-meeting.md');
    const event = (start, extra = '') =>
      `---\nid: moved-meeting\ntitle: Moved meeting\nstart: ${start}\nend: 2027-05-12T17:00\ntimezone: Europe/Brussels\nformat: physical\nkind: co-creation\nlocation:\n  city: Porto\n  country: PT\n${extra}---\nBody\n`;
    writeFileSync(file, event('2027-05-12T09:00'));
    let b = buildCopy(root);
    assert.ok(b.ok, b.output);
    const uid = `moved-meeting@${siteConfig().uid_domain}`;
    const feedPath = join(root, 'public', 'calendar.ics');
    const before = entry(readFileSync(feedPath), uid);
    assert.deepEqual([before.start, before.sequence], ['2027-05-12T07:00:00.000Z', 0]);

    // Moved by an hour but the sequence forgotten: refused, the published feed untouched.
    writeFileSync(file, event('2027-05-12T10:00'));
    b = buildCopy(root);
    assert.ok(!b.ok, 'a moved meeting without a higher sequence was published');
    assert.match(b.output, /moved-meeting\.md:\d+:\d+: .*DTSTART changed.*sequence: 1/);
    assert.equal(entry(readFileSync(feedPath), uid).start, before.start);

    // With the sequence raised: the feed and the event's own file carry it, and a calendar takes the new time.
    writeFileSync(file, event('2027-05-12T10:00', 'sequence: 1\nupdated: 2027-04-20T12:00:00+02:00\n'));
    b = buildCopy(root);
    assert.ok(b.ok, b.output);
    for (const path of [feedPath, join(root, 'public', 'calendar', 'moved-meeting.ics')]) {
      const after = entry(readFileSync(path), uid);
      assert.ok(after.sequence > before.sequence, `${path}: SEQUENCE ${after.sequence} is not above ${before.sequence}`);
      assert.equal(after.stamp, '2027-04-20T10:00:00.000Z', 'DTSTAMP is the time of the change');
      const shown = keep(before, after);
      assert.deepEqual([shown.start, shown.end], ['2027-05-12T08:00:00.000Z', '2027-05-12T15:00:00.000Z'], `${path}: the calendar keeps the old time`);
    }
  } finally {
    cleanup(root);
  }
});

test('feeds with drafts (all-day, cancelled, several zones) are right too', async () => {
  const problems = await checkFeeds('drafts', diskGetter(draftsBuild()), contentEvents(), { exactSummary: false });
  assert.deepEqual(problems, []);
});

test('the preview serves the feeds as text/calendar', async () => {
  const serve = await startServe();
  try {
    for (const path of ['/calendar.ics', `/calendar/${LAUNCH}.ics`]) {
      const r = await fetch(serve.base + path);
      await r.arrayBuffer();
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', /^text\/calendar/, path);
    }
  } finally {
    await serve.stop();
  }
});

test('two builds of the same content are byte-identical (feeds and pages), so UIDs never change', () => {
  const a = tempDir('build-a');
  const b = tempDir('build-b');
  try {
    buildSite(a);
    buildSite(b);
    // Dot files are the generator's own bookkeeping (its write cache keeps mtimes), not the site.
    const site = (dir) => listFiles(dir).filter((f) => !f.split('/').some((s) => s.startsWith('.')));
    const fa = site(a);
    assert.deepEqual(site(b), fa, 'the two builds wrote different files');
    const ics = fa.filter((f) => f.endsWith('.ics'));
    assert.ok(ics.includes('calendar.ics'));
    const differ = fa.filter((f) => !readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
    assert.deepEqual(differ.filter((f) => f.endsWith('.ics')), [], 'feeds differ between two builds');
    assert.deepEqual(differ, [], 'files differ between two builds');
    const uidsA = readFileSync(join(a, 'calendar.ics'), 'latin1').match(/^UID:.*$/gm);
    assert.ok(uidsA?.length >= 1, 'no UID line in calendar.ics');
  } finally {
    cleanup(a);
    cleanup(b);
  }
});

test('pages offer the feed and the per-event download', () => {
  const site = publishedBuild();
  const base = 'https://site.test';
  const links = (path) => linksOf(readFileSync(join(site, path), 'utf8')).map((h) => new URL(h, `${base}/${path.replace(/index\.html$/, '')}`));
  const calendar = links('calendar/index.html');
  assert.ok(calendar.some((u) => u.protocol === 'webcal:' && u.pathname === '/calendar.ics'), '/calendar/ has no webcal:// subscribe link');
  assert.ok(calendar.some((u) => u.protocol === 'https:' && u.pathname === '/calendar.ics'), '/calendar/ has no https link to the feed');
  // The launch took place in 2021: a past meeting offers no "add to calendar"
  // (issue 18), while its .ics stays published for calendars that hold it.
  const event = links(`calendar/${LAUNCH}/index.html`);
  assert.ok(!event.some((u) => u.pathname === `/calendar/${LAUNCH}.ics`), `/calendar/${LAUNCH}/ offers its .ics although it is past`);
  assert.ok(!event.some((u) => u.hostname === 'calendar.google.com' || u.hostname === 'www.google.com'), `/calendar/${LAUNCH}/ offers Google Calendar although it is past`);
  assert.ok(existsSync(join(site, 'calendar', `${LAUNCH}.ics`)), `calendar/${LAUNCH}.ics is no longer published`);
});

test('an upcoming meeting offers its .ics and Google Calendar', () => {
  const site = draftsBuild();
  const base = 'https://site.test';
  const id = 'example-2027-03-co-creation';
  const event = linksOf(readFileSync(join(site, 'calendar', id, 'index.html'), 'utf8')).map((h) => new URL(h, `${base}/calendar/${id}/`));
  assert.ok(event.some((u) => u.pathname === `/calendar/${id}.ics`), `/calendar/${id}/ does not link its .ics`);
  assert.ok(event.some((u) => u.hostname === 'calendar.google.com'), `/calendar/${id}/ has no Google Calendar link`);
});
