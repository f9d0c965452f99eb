// What the built site says about the events, checked against content/ as a
// reader, a search engine and a crawler see it: event pages (times, zone,
// schema.org JSON-LD, draft label), calendar filter pages, sitemap, robots,
// the 404 page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_BASE_URL, contentEvents, draftsBuild, isDraft, linksOf, listFiles, publishedBuild, startServe, zonedToUtc } from './support.mjs';

const read = (site, path) => readFileSync(join(site, path), 'utf8');
const mainOf = (html) => html.match(/<main[\s>][\s\S]*<\/main>/)?.[0] ?? '';
const textOf = (html) => html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;|&#x27;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
const isAllDay = (ev) => /^\d{4}-\d{2}-\d{2}$/.test(ev.start);
/** Event ids an HTML fragment links to. */
const eventLinks = (html) =>
  new Set(linksOf(html).map((h) => new URL(h, 'https://x.test/calendar/').pathname.match(/^\/calendar\/([a-z0-9-]+)\/$/)?.[1]).filter((id) => id && !['kind', 'format'].includes(id)));

test('event pages: times in the event zone, zone named, JSON-LD, draft label', () => {
  const site = draftsBuild();
  const problems = [];
  for (const ev of contentEvents()) {
    const path = `calendar/${ev.id}/index.html`;
    if (!existsSync(join(site, path))) {
      problems.push(`${ev.file}: no /${path}`);
      continue;
    }
    const html = read(site, path);
    const main = mainOf(html);
    const text = textOf(main);
    if (!text.includes(ev.title)) problems.push(`/${path}: the title ${JSON.stringify(ev.title)} is not shown`);
    const ld = [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]));
    const event = ld.find((x) => x['@type'] === 'Event');
    if (!event) {
      problems.push(`/${path}: no schema.org Event JSON-LD`);
      continue;
    }
    if (event.name !== ev.title) problems.push(`/${path}: JSON-LD name ${JSON.stringify(event.name)}`);
    const times = [...main.matchAll(/<time[^>]*datetime="([^"]+)"/g)].map((m) => m[1]);
    if (isAllDay(ev)) {
      if (event.startDate !== ev.start) problems.push(`/${path}: JSON-LD startDate ${event.startDate}, expected ${ev.start}`);
      if (event.endDate !== ev.end) problems.push(`/${path}: JSON-LD endDate ${event.endDate}, expected ${ev.end}`);
      if (!times.includes(ev.start)) problems.push(`/${path}: no <time datetime="${ev.start}">`);
    } else {
      const start = zonedToUtc(ev.start, ev.timezone);
      const end = zonedToUtc(ev.end, ev.timezone);
      if (Date.parse(event.startDate) !== start) problems.push(`/${path}: JSON-LD startDate ${event.startDate} is not ${ev.start} ${ev.timezone}`);
      if (Date.parse(event.endDate) !== end) problems.push(`/${path}: JSON-LD endDate ${event.endDate} is not ${ev.end} ${ev.timezone}`);
      if (!times.some((t) => Date.parse(t) === start)) problems.push(`/${path}: no <time datetime> at the start (${times.join(', ')})`);
      // Shown in the event's own local time, with the zone named.
      const hhmm = ev.start.slice(11, 16);
      if (!text.includes(hhmm)) problems.push(`/${path}: the local start time ${hhmm} is not shown`);
      const city = ev.timezone.split('/').pop().replaceAll('_', ' ');
      if (!text.includes(ev.timezone) && !text.includes(city)) problems.push(`/${path}: the time zone ${ev.timezone} is not named`);
    }
    const cancelled = ev.status === 'cancelled';
    if (cancelled !== (event.eventStatus === 'https://schema.org/EventCancelled')) problems.push(`/${path}: JSON-LD eventStatus ${event.eventStatus}, content status ${ev.status ?? 'scheduled'}`);
    if (cancelled && !/cancel/i.test(text)) problems.push(`/${path}: a cancelled event does not say so`);
    if (isDraft(ev) && !/\bDraft\b/.test(text)) problems.push(`/${path}: a draft is not labelled "Draft"`);
  }
  assert.deepEqual(problems, []);
});

test('drafts stay out of the published site and its sitemap', () => {
  const site = publishedBuild();
  const files = listFiles(site);
  const drafts = contentEvents().filter(isDraft);
  for (const d of drafts) {
    assert.ok(!files.some((f) => f.includes(d.id)), `draft ${d.id} is published: ${files.filter((f) => f.includes(d.id)).join(', ')}`);
    for (const f of files.filter((x) => x.endsWith('.html') || x.endsWith('.xml') || x.endsWith('.ics'))) {
      assert.ok(!read(site, f).includes(d.id), `/${f} mentions draft ${d.id}`);
    }
  }
});

test('calendar filter pages list exactly the events of their kind or format', () => {
  const site = draftsBuild();
  const events = contentEvents();
  const pages = listFiles(site).filter((f) => /^calendar\/(kind|format)\/[^/]+\/index\.html$/.test(f));
  assert.ok(pages.length >= 6, `only ${pages.length} filter pages: ${pages.join(', ')}`);
  const problems = [];
  for (const f of pages) {
    const [, field, value] = f.match(/^calendar\/(kind|format)\/([^/]+)\//);
    const expected = new Set(events.filter((e) => e[field] === value).map((e) => e.id));
    const got = eventLinks(mainOf(read(site, f)));
    const extra = [...got].filter((id) => !expected.has(id));
    const missing = [...expected].filter((id) => !got.has(id));
    if (extra.length || missing.length) problems.push(`/${f}: extra ${extra.join(', ') || '-'}; missing ${missing.join(', ') || '-'}`);
  }
  const all = eventLinks(mainOf(read(site, 'calendar/index.html')));
  const missing = events.map((e) => e.id).filter((id) => !all.has(id));
  if (missing.length) problems.push(`/calendar/ does not list ${missing.join(', ')}`);
  assert.deepEqual(problems, []);
});

test('sitemap.xml and robots.txt point at real pages of the configured site', () => {
  const site = publishedBuild();
  const base = PUBLISHED_BASE_URL;
  const locs = [...read(site, 'sitemap.xml').matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
  assert.ok(locs.length >= 8, `only ${locs.length} URLs in sitemap.xml`);
  for (const loc of locs) {
    assert.ok(loc.startsWith(`${base}/`), `${loc} is not under base_url ${base}`);
    const path = loc.slice(base.length);
    const file = path.endsWith('/') ? `${path}index.html` : path;
    assert.ok(existsSync(join(site, file)), `${loc} has no file ${file}`);
  }
  for (const ev of contentEvents().filter((e) => !isDraft(e))) {
    assert.ok(locs.includes(`${base}/calendar/${ev.id}/`), `sitemap.xml lacks the event ${ev.id}`);
  }
  assert.match(read(site, 'robots.txt'), new RegExp(`^Sitemap: ${base.replace(/[.]/g, '\\.')}/sitemap\\.xml$`, 'm'));
  // The pages after a form is sent are for the person who sent it: not indexed, not in the sitemap.
  for (const thanks of ['join/thanks/', 'financial-support/thanks/']) {
    assert.ok(existsSync(join(site, thanks, 'index.html')), `no /${thanks}`);
    assert.ok(!locs.includes(`${base}/${thanks}`), `sitemap.xml lists /${thanks}`);
    assert.match(read(site, `${thanks}index.html`), /<meta name="robots" content="noindex">/, `/${thanks} can be indexed`);
  }
});

test('an unknown address gets the 404 page with status 404 in the preview', async () => {
  const serve = await startServe();
  try {
    const r = await fetch(`${serve.base}/no-such-page/`);
    const html = await r.text();
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    assert.ok(mainOf(html).length > 0, 'the 404 answer is not the site page');
    assert.ok(existsSync(join(publishedBuild(), '404.html')), 'no 404.html in the published build');
  } finally {
    await serve.stop();
  }
});
