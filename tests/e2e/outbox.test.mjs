// The preview's outbox with an invitation in it (issue 21): a message with
// an id, headers of its own and a calendar attachment, as the outbox's files
// hold it (functions/src/mail/outbox/stored.rs). Read back in the order it
// was sent by support.mjs's outboxAll, shown at /_outbox/ (valid HTML, the
// headers, the attachment to download with its own type and bytes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, outboxAll, startServe, tempDir, vnuErrors } from './support.mjs';

const ICS = 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev-1@ccg.example.eu\r\nSUMMARY:Atelier à Lisboa\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
const UNSUBSCRIBE = '<https://ccg.example.eu/leave/?t=abc&x=1>';

test('an invitation in the outbox: read back, shown, downloaded', async (t) => {
  const serve = await startServe();
  const pages = tempDir('outbox-pages');
  t.after(async () => {
    await serve.stop();
    cleanup(pages);
  });
  const dir = join(serve.dataDir, 'outbox');
  mkdirSync(dir, { recursive: true });
  const plain = { to: 'bo@example.eu', subject: 'Confirm your email', text: 'Hello Bo', html: '<p>Hello Bo</p>', sent_at: '2026-01-01T00:00:00Z' };
  writeFileSync(join(dir, '01767225600000000000-7-0.json'), JSON.stringify(plain));
  const id = 'invitation/ev-1/0/pk_a';
  const name = `id-${createHash('sha256').update(id).digest('hex')}`;
  const invitation = {
    to: 'ana@example.eu',
    subject: 'Invitation: Atelier à Lisboa',
    text: 'You are invited: https://ccg.example.eu/calendar/ev-1/',
    html: '<p>You are invited.</p>',
    sent_at: '2026-01-01T00:00:01Z',
    order: '01767225601000000000-7-1',
    id,
    headers: [
      ['List-Unsubscribe', UNSUBSCRIBE],
      ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
    ],
    attachments: [{ filename: 'invite.ics', content_type: 'text/calendar; charset=UTF-8; method=REQUEST', base64: Buffer.from(ICS).toString('base64') }],
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(invitation));
  // Sent after both: its time-sorted name is greater than the id's `order`, smaller than "id-".
  writeFileSync(join(dir, '01767225602000000000-7-2.json'), JSON.stringify({ ...plain, subject: 'Third', sent_at: '2026-01-01T00:00:02Z' }));

  const all = outboxAll(serve.dataDir);
  assert.deepEqual(
    all.map((m) => m.subject),
    ['Confirm your email', 'Invitation: Atelier à Lisboa', 'Third'],
    'oldest first, the id message by its order',
  );
  assert.equal(all[1].attachments[0].body.toString('utf8'), ICS);
  assert.deepEqual(all[1].headers[1], ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click']);
  assert.deepEqual(all[0].attachments, []);

  const list = await fetch(`${serve.base}/_outbox/`);
  const listHtml = await list.text();
  assert.equal(list.status, 200);
  const links = [...listHtml.matchAll(/href="(\/_outbox\/[^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(links, ['/_outbox/01767225602000000000-7-2', `/_outbox/${name}`, '/_outbox/01767225600000000000-7-0'], 'newest first');

  const msg = await fetch(`${serve.base}/_outbox/${name}`);
  const msgHtml = await msg.text();
  assert.equal(msg.status, 200);
  assert.ok(msgHtml.includes('<dt>List-Unsubscribe-Post</dt><dd>List-Unsubscribe=One-Click</dd>'), msgHtml);
  assert.ok(msgHtml.includes('https://ccg.example.eu/leave/?t=abc&amp;x=1'), msgHtml);
  const href = msgHtml.match(/href="([^"]+)" download>invite\.ics</)?.[1];
  assert.equal(href, `/_outbox/${name}/invite.ics`);

  const file = await fetch(`${serve.base}${href}`);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'text/calendar; charset=UTF-8; method=REQUEST');
  assert.match(file.headers.get('content-disposition') ?? '', /^attachment; filename="invite\.ics"$/);
  assert.equal(Buffer.from(await file.arrayBuffer()).toString('utf8'), ICS);
  assert.equal((await fetch(`${serve.base}/_outbox/${name}/other.ics`)).status, 404);

  const files = new Map();
  for (const [label, html] of [['outbox list', listHtml], ['outbox invitation', msgHtml]]) {
    const f = join(pages, `${label.replace(' ', '-')}.html`);
    writeFileSync(f, html);
    files.set(f, label);
  }
  assert.deepEqual(vnuErrors(files), []);
});
