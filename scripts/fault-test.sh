#!/usr/bin/env bash
# Fault test of the local preview's forms (issue 12): `generator serve` on a
# temporary copy of the site, SIGKILLed and started again while many clients
# send 10,000 submissions (registrations with Idempotency-Keys); then the SQLite
# file must hold every success exactly once and no error (tests/fault/serve-kill.mjs).
# One submission in 20 is a member signing in (tests/fault/sign-in.mjs): every
# emailed link works exactly once, every session has its `signin.link` line,
# and serve's log shows no address, link secret or cookie.
# Loopback only; bounded (the driver gives up after 150 s).
#
#   scripts/fault-test.sh                     uses target/release/generator
#   CCG_GENERATOR=path scripts/fault-test.sh
#   CCG_FAULT_SUBMISSIONS=50000 CCG_FAULT_KILLS=10 scripts/fault-test.sh   a longer run
#
# The other fault tests (DynamoDB Local stopped and started again, SQLite
# locked, for the forms and the sign-in pages) and the crash-retry regression
# are Rust tests: cargo test -p ccg-functions --test it fault::.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
generator=${CCG_GENERATOR:-${CARGO_TARGET_DIR:-$root/target}/release/generator}
if [ ! -x "$generator" ]; then
  echo "no generator binary at $generator: cargo build --release -p generator, or set CCG_GENERATOR" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-fault.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/site" "$work/data"
for d in content templates static; do
  [ -d "$root/$d" ] && cp -a "$root/$d" "$work/site/"
done
# serve reads the build's "now" like the published build does.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}
# No answer floor (forms.answer_floor_ms): this test is about crashes, not timing.
CCG_ANSWER_FLOOR_MS=0 CCG_GENERATOR=$generator CCG_FAULT_ROOT=$work/site CCG_FAULT_DATA=$work/data \
  node tests/fault/serve-kill.mjs
