// Every generated page is valid HTML, as the Nu HTML Checker (vnu.jar) sees it:
// the published build and the build with drafts (the example events and the
// draft labels of the preview), one Java start for all files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { draftsBuild, listFiles, publishedBuild } from './support.mjs';

const VNU = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'vnu-jar', 'build', 'dist', 'vnu.jar');

/** Runs vnu once over all files; returns its messages. */
function vnu(files) {
  assert.ok(existsSync(VNU), `${VNU} is missing: run ./scripts/setup-test-deps.sh`);
  const res = spawnSync('java', ['-jar', VNU, '--errors-only', '--format', 'json', ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  assert.ok(res.status === 0 || res.status === 1, `vnu failed to run (status ${res.status}, signal ${res.signal}): ${res.error ?? ''}\n${res.stderr}`);
  let report;
  try {
    report = JSON.parse(res.stderr || res.stdout);
  } catch {
    assert.fail(`vnu did not answer JSON:\n${res.stdout}\n${res.stderr}`);
  }
  return report.messages;
}

test('every page is valid HTML (Nu HTML Checker)', { timeout: 600_000 }, () => {
  const files = new Map(); // path on disk -> name in the report
  const seen = new Set(); // page bytes already queued (most pages are the same in both builds)
  for (const [label, site] of [['published', publishedBuild()], ['drafts', draftsBuild()]]) {
    const pages = listFiles(site).filter((f) => f.endsWith('.html'));
    assert.ok(pages.length >= 8, `only ${pages.length} .html files in the ${label} build ${site}`);
    for (const f of pages) {
      const bytes = readFileSync(join(site, f), 'latin1');
      if (seen.has(bytes)) continue;
      seen.add(bytes);
      files.set(join(site, f), `${label} /${f}`);
    }
  }
  const messages = vnu([...files.keys()]);
  const errors = messages.filter((m) => m.type === 'error' || m.type === 'non-document-error' || m.subType === 'fatal');
  const lines = errors.map((m) => {
    let where = m.url;
    try {
      where = files.get(fileURLToPath(m.url)) ?? m.url; // vnu writes file:/x, not file:///x
    } catch {
      // not a file URL: keep it
    }
    const extract = m.extract ? ` [${m.extract.replace(/\s+/g, ' ').trim()}]` : '';
    return `${where}:${m.lastLine ?? m.firstLine ?? '?'}:${m.firstColumn ?? m.lastColumn ?? '?'}: ${m.message}${extract}`;
  });
  assert.equal(errors.length, 0, `${errors.length} HTML error(s) in ${files.size} pages:\n${lines.join('\n')}`);
});
