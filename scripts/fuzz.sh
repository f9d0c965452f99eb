#!/usr/bin/env bash
# Longer fuzzing with cargo-fuzz (libFuzzer; needs a nightly toolchain) of the
# same targets the test command runs briefly on stable (fuzz/src/lib.rs):
# form_body, json_body, event, markdown, passkey_answer, sign_in_body. Each target starts from the committed
# corpus (fuzz/corpus/<target>/) and works in a copy, so the committed corpus
# only grows by hand: copy a crash (fuzz/libfuzzer/artifacts/<target>/) into
# fuzz/corpus/<target>/ and it becomes a regression test of the short run.
#
#   scripts/fuzz.sh                 every target, 600 s each
#   scripts/fuzz.sh markdown 3600   one target for an hour
#   FUZZ_JOBS=2 scripts/fuzz.sh     two processes per target
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh needs a nightly toolchain (rustup toolchain install nightly); the stable short run is: cargo test -p ccg-fuzz" >&2
  exit 2
fi
if ! command -v cargo-fuzz >/dev/null; then
  [ -x "$root/.cache/cargo-fuzz/bin/cargo-fuzz" ] || cargo install cargo-fuzz --version 0.13.2 --locked --root "$root/.cache/cargo-fuzz"
  export PATH=$root/.cache/cargo-fuzz/bin:$PATH
fi

all=(form_body json_body event markdown passkey_answer sign_in_body)
targets=("${1:-all}")
[ "${targets[0]}" = all ] && targets=("${all[@]}")
seconds=${2:-600}
work=${FUZZ_WORK:-$root/target/fuzz-work}
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp -n fuzz/corpus/"$t"/* "$work/$t/" 2>/dev/null || true
  echo "==> $t for ${seconds}s (working corpus: ${work#"$root"/}/$t)"
  args=(-max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  [ "${FUZZ_JOBS:-1}" -gt 1 ] && args+=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
  if ! cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer "$t" "$work/$t" -- "${args[@]}"; then
    echo "$t: a crash; see fuzz/libfuzzer/artifacts/$t/" >&2
    status=1
  fi
done
exit "$status"
