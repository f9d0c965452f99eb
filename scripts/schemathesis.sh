#!/usr/bin/env bash
# The written contract, tested as a property: schemathesis (pinned, from PyPI)
# generates requests from openapi.yaml, valid and invalid, and checks every
# answer of a real `generator serve` against it (statuses, content types,
# headers, bodies, 5xx, the Allow header of 405s...). Loopback only: the
# preview runs on 127.0.0.1 with a temporary copy of content/ and templates/
# and its own store folder. Bounded in time (< 2 minutes); exits non-zero on
# any failure.
#
#   scripts/schemathesis.sh                  builds the generator (release) if CCG_GENERATOR is not set
#   CCG_GENERATOR=target/release/generator scripts/schemathesis.sh
#   CCG_SCHEMATHESIS_EXAMPLES=200 CCG_SCHEMATHESIS_TIMEOUT=900 scripts/schemathesis.sh    a longer run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=4.32.5
venv=$root/.cache/venv-schemathesis
installed=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)
if [ "$installed" != "$version" ] || ! "$venv/bin/st" --version >/dev/null 2>&1; then
  echo "installing schemathesis $version into ${venv#"$root"/}"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

generator=${CCG_GENERATOR:-}
if [ -z "$generator" ]; then
  cargo build --release -p generator
  generator=${CARGO_TARGET_DIR:-$root/target}/release/generator
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-schemathesis.XXXXXX")
serve_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp -r content templates "$work/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# No answer floor (forms.answer_floor_ms): thousands of requests, none about timing.
CCG_ANSWER_FLOOR_MS=0 "$generator" serve --root "$work" --port "$port" --data "$work/data" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then break; fi
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; echo "serve did not start"; exit 1; }
  sleep 0.2
done

# Every check; each request judged against the operation it was generated
# for. The 303s of plain forms are not followed (their pages are the site's).
# Positive data is documented as 2xx or 422: the schema cannot say which cities,
# projects and meetings exist (content/ does), so a well-formed submission may
# still be a field error. The examples per operation keep the whole run well
# under two minutes on a shared 2-core machine.
# From the temporary folder: schemathesis keeps its own state in .schemathesis/ there.
cd "$work"
# Two runs: the forms under the API base, then the signed-in pages' JSON,
# which openapi.yaml documents under the site's root (a path-level server
# that --url would override).
st_run() {
  timeout "${CCG_SCHEMATHESIS_TIMEOUT:-150}" "$venv/bin/st" --config-file "$root/scripts/schemathesis.toml" run "$root/openapi.yaml" \
    --checks all \
    --max-examples "${CCG_SCHEMATHESIS_EXAMPLES:-40}" \
    --seed "${CCG_SCHEMATHESIS_SEED:-12}" \
    --max-redirects 0 \
    --request-timeout 10 \
    --workers 1 \
    --generation-database none \
    --no-color \
    "$@"
}
signed_in='^/(sign-in|account|desk|members)/'
set +e
st_run --url "http://127.0.0.1:$port/api" --exclude-path-regex "$signed_in"
rc=$?
st_run --url "http://127.0.0.1:$port" --include-path-regex "$signed_in" || rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "--- serve's log (last 40 lines)"
  tail -n 40 "$work/serve.log"
fi
exit "$rc"
