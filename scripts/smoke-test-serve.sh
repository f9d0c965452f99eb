#!/usr/bin/env bash
# scripts/smoke-test.sh against a local `generator serve` (offline): the same
# three checks the pipeline runs between staging and production, on the
# preview's version.json, its forms' origin check and its iCal feed.
#
#   CCG_GENERATOR=target/debug/generator scripts/smoke-test-serve.sh
#
# Without CCG_GENERATOR it builds the generator (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

generator=${CCG_GENERATOR:-}
if [ -z "$generator" ]; then
  cargo build --release -p generator
  generator=${CARGO_TARGET_DIR:-$root/target}/release/generator
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-smoke-serve.XXXXXX")
serve_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp -r content templates "$work/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CCG_ANSWER_FLOOR_MS=0 "$generator" serve --root "$work" --port "$port" --data "$work/data" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 150); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/version.json', timeout=1)" 2>/dev/null; then break; fi
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; echo "serve did not start" >&2; exit 1; }
  sleep 0.2
done
content=$(python3 -c 'import json, urllib.request, sys; print(json.load(urllib.request.urlopen(sys.argv[1]))["content"])' \
  "http://127.0.0.1:$port/version.json")
./scripts/smoke-test.sh "http://127.0.0.1:$port" "$content"
