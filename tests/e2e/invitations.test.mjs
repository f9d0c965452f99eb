// Invitations to a meeting as a representative receives them (issue 21): the
// secretariat sends the round (`desk invite EVENT`), the email in the
// preview's outbox carries `invite.ics` (iMIP, METHOD:REQUEST) with the
// feed's UID and SEQUENCE, RFC 5545 bytes that ical.js reads, the one-click
// unsubscribe headers, and links that answer without signing in: at 390 px,
// the link shows one button and the button records the answer. Sending
// again sends nothing more.
//
// Environment (besides what support.mjs reads): CCG_DESK, the desk binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import ICAL from 'ical.js';
import { axeViolations, cleanup, launchBrowser, startServe, tempDir } from './support.mjs';
import { previewKit } from './preview.mjs';

const DESK = process.env.CCG_DESK ? resolve(process.env.CCG_DESK) : null;
const NO_DESK = DESK ? false : 'CCG_DESK is not set: representatives are approved and invitations sent with the desk';

let serve;
let dataDir;
let kit;
let browser;

before(async () => {
  if (!DESK) return;
  dataDir = tempDir('invitations-data');
  serve = await startServe({ dataDir });
  kit = previewKit({ serve, dataDir, deskBin: DESK, operator: 'E2E Invitations' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (dataDir) cleanup(dataDir);
});

/** RFC 5545 section 3.1 on raw bytes: CRLF only, lines of at most 75 octets. */
function byteProblems(bytes) {
  const text = bytes.toString('latin1');
  const problems = [];
  text.split('\r\n').forEach((line, i) => {
    if (line.includes('\n') || line.includes('\r')) problems.push(`line ${i + 1}: a bare CR or LF`);
    if (Buffer.byteLength(line, 'latin1') > 75) problems.push(`line ${i + 1}: over 75 octets`);
  });
  if (!text.endsWith('\r\n')) problems.push('does not end with CRLF');
  return problems;
}

const vevent = (text) => new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent');

test('an invitation: its .ics is the feed\'s event (UID, SEQUENCE) for calendar apps, its link answers without signing in at 390 px, and a second send sends nothing', { skip: NO_DESK, timeout: 120_000 }, async () => {
  const meeting = await kit.openMeeting();
  assert.ok(meeting, 'the preview offers a meeting that takes claims');
  const ana = await kit.member('ana');
  kit.desk('approve', ana.email, '--city', ana.city.name, '--country', ana.city.country);

  const out = kit.desk('invite', meeting.id);
  assert.match(out, /1/, `desk invite says what it sent:\n${out}`);
  const invitations = kit.mailsTo(ana.email).filter((m) => m.attachments.some((a) => a.filename === 'invite.ics'));
  assert.equal(invitations.length, 1, 'one invitation');
  const mail = invitations[0];
  assert.match(mail.subject, /^Invitation: /);
  assert.match(mail.text, new RegExp(`/calendar/${meeting.id}/`), 'a link to the meeting\'s page');

  // One-click unsubscribe (RFC 8058).
  const header = (name) => mail.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  assert.match(header('List-Unsubscribe') ?? '', /^<https?:\/\/[^>]+\/api\/invitations\/unsubscribe\?token=[^>]+>$/);
  assert.equal(header('List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');

  // The calendar object: RFC 5545 bytes, read by ical.js, the feed's UID and SEQUENCE.
  const ics = mail.attachments.find((a) => a.filename === 'invite.ics');
  assert.match(ics.content_type, /^text\/calendar;.*method=REQUEST/i);
  assert.deepEqual(byteProblems(ics.body), []);
  const text = ics.body.toString('utf8');
  const cal = new ICAL.Component(ICAL.parse(text));
  assert.equal(cal.getFirstPropertyValue('method'), 'REQUEST');
  const ev = cal.getFirstSubcomponent('vevent');
  const feed = await (await fetch(`${serve.base}/calendar/${meeting.id}.ics`)).text();
  const published = vevent(feed);
  assert.equal(ev.getFirstPropertyValue('uid'), published.getFirstPropertyValue('uid'));
  assert.equal(ev.getFirstPropertyValue('sequence'), published.getFirstPropertyValue('sequence'));
  assert.equal(ev.getFirstPropertyValue('dtstart').toString(), published.getFirstPropertyValue('dtstart').toString());
  assert.equal(String(ev.getFirstPropertyValue('attendee')).toLowerCase(), `mailto:${ana.email}`.toLowerCase());
  assert.match(String(ev.getFirstPropertyValue('organizer')), /^mailto:/i);

  // A second send of the same meeting and sequence sends nothing.
  kit.desk('invite', meeting.id);
  assert.equal(kit.mailsTo(ana.email).filter((m) => m.attachments.some((a) => a.filename === 'invite.ics')).length, 1, 'still one invitation');

  // The answer link, at 390 px, without signing in: one button, then the answer recorded.
  const attend = mail.text.match(/https?:\/\/[^\s"<>]+\/api\/invitations\/answer\?token=[^\s"<>]+answer=attend/);
  assert.ok(attend, `an "I will attend" link:\n${mail.text}`);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 800 } });
  await ctx.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
  const page = await ctx.newPage();
  await page.goto(attend[0].replace(/^https?:\/\/[^/]+/, serve.base));
  assert.deepEqual(await axeViolations(page), []);
  await page.getByRole('button', { name: 'I will attend' }).click();
  await page.waitForLoadState();
  const said = await page.locator('main').innerText();
  assert.match(said, /you have a place at this meeting/, said);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling at 390 px');
  await ctx.close();
});
