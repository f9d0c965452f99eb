// Every generated page is valid HTML, as the Nu HTML Checker (vnu.jar) sees it:
// the published build and the build with drafts (the example events and the
// draft labels of the preview), one Java start for all files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { draftsBuild, listFiles, publishedBuild, vnuErrors } from './support.mjs';

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
  const errors = vnuErrors(files);
  assert.equal(errors.length, 0, `${errors.length} HTML error(s) in ${files.size} pages:\n${errors.join('\n')}`);
});
