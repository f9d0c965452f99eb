#!/usr/bin/env bash
# Builds a release: everything a deploy needs, so that the job that holds AWS
# credentials compiles nothing (issue 22). No AWS access, no network but cargo's.
#
#   scripts/build-release.sh [--dry-run] OUT
#
# OUT gets:
#   site/ENV/               the site (generator build), once per environment, each
#                           with its own --base-url: production from CCG_BASE_URL
#                           (else CCG_SITE_ORIGIN), staging from CCG_STAGING_BASE_URL
#                           if set (same commit, same content version)
#   lambda/NAME/bootstrap   each function of infra/functions.txt, for arm64
#                           (cargo-lambda, profile release-lambda), checked: AArch64,
#                           under 8 MB, glibc 2.34 at most (provided.al2023's)
#   release.json            commit, content version, functions, sites, run
#   SHA256SUMS              sha256sum of every other file; scripts/deploy.sh
#                           --prebuilt refuses a release that does not match it
#
# CCG_CONTACT_EMAIL is the secretariat's public address (generator build
# --contact-email). The build's "now" is the clock's unless SOURCE_DATE_EPOCH
# is set: the nightly rebuild moves "upcoming" with the calendar.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

dry_run=0
out=""
for arg in "$@"; do
  case $arg in
    --dry-run) dry_run=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-release: unknown option $arg" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "build-release: one OUT only" >&2; exit 2; }; out=$arg ;;
  esac
done
[ -n "$out" ] || { echo "usage: scripts/build-release.sh [--dry-run] OUT" >&2; exit 2; }

MAX_BINARY_BYTES=$((8 * 1024 * 1024))
MAX_GLIBC=2.34
lambda_dir=$root/target/lambda
mapfile -t functions < <(grep -v '^[[:space:]]*\(#\|$\)' infra/functions.txt)
[ "${#functions[@]}" -gt 0 ] || { echo "build-release: infra/functions.txt names no function" >&2; exit 1; }
if [ -x "$root/.cache/venv-cargo-lambda/bin/cargo-lambda" ]; then
  PATH="$root/.cache/venv-cargo-lambda/bin:$PATH"
fi

say() { printf '[build-release] %s\n' "$*"; }
die() { printf '[build-release] ERROR: %s\n' "$*" >&2; exit 1; }
run() {
  if [ "$dry_run" -eq 1 ]; then printf '  $'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}

# ENV=BASE_URL of each site to build.
sites=()
production_url=${CCG_BASE_URL:-${CCG_SITE_ORIGIN:-}}
sites+=("production=$production_url")
[ -z "${CCG_STAGING_BASE_URL:-}" ] || sites+=("staging=$CCG_STAGING_BASE_URL")

run rm -rf "$out"
run mkdir -p "$out/site" "$out/lambda"

for site in "${sites[@]}"; do
  env_name=${site%%=*}
  url=${site#*=}
  args=(--out "$out/site/$env_name")
  [ -z "$url" ] || args+=(--base-url "$url")
  [ -z "${CCG_CONTACT_EMAIL:-}" ] || args+=(--contact-email "$CCG_CONTACT_EMAIL")
  say "the site for $env_name (${url:-the base_url of content/config.yaml})"
  run cargo run --release -p generator -- build "${args[@]}"
done

say "the functions, for arm64: ${functions[*]}"
bin_args=()
for fn in "${functions[@]}"; do bin_args+=(--bin "$fn"); done
run cargo lambda build --profile release-lambda --arm64 \
  --output-format binary -p ccg-functions "${bin_args[@]}" --lambda-dir "$lambda_dir"
for fn in "${functions[@]}"; do
  bin=$lambda_dir/$fn/bootstrap
  if [ "$dry_run" -eq 1 ]; then
    say "would check $bin (AArch64, < $MAX_BINARY_BYTES bytes, glibc <= $MAX_GLIBC) and copy it to $out/lambda/$fn/"
    continue
  fi
  [ -f "$bin" ] || die "$bin was not built"
  readelf -h "$bin" | grep -q 'Machine:[[:space:]]*AArch64' || die "$bin is not an arm64 binary"
  size=$(stat -c %s "$bin")
  [ "$size" -lt "$MAX_BINARY_BYTES" ] || die "$bin is $size bytes: more than 8 MB (cold starts grow with it)"
  glibc=$(readelf --version-info "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
  [ -n "$glibc" ] || die "$bin names no glibc version"
  [ "$(printf '%s\n%s\n' "$glibc" "$MAX_GLIBC" | sort -V | tail -n 1)" = "$MAX_GLIBC" ] \
    || die "$bin needs glibc $glibc; provided.al2023 has $MAX_GLIBC"
  mkdir -p "$out/lambda/$fn"
  cp "$bin" "$out/lambda/$fn/bootstrap"
  say "$fn: $size bytes, glibc $glibc, AArch64"
done

if [ "$dry_run" -eq 1 ]; then
  say "would write $out/release.json and $out/SHA256SUMS"
  exit 0
fi

content=""
for site in "${sites[@]}"; do
  v=$(sed -n 's/.*"content":"\([0-9a-f]*\)".*/\1/p' "$out/site/${site%%=*}/version.json")
  [ -n "$v" ] || die "site/${site%%=*}/version.json has no content version"
  [ -z "$content" ] || [ "$v" = "$content" ] || die "the sites' content versions differ ($content, $v)"
  content=$v
done
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
json_list() { local first=1; printf '['; for x in "$@"; do [ $first -eq 1 ] || printf ','; first=0; printf '"%s"' "$x"; done; printf ']'; }
site_names=()
for site in "${sites[@]}"; do site_names+=("${site%%=*}"); done
printf '{"commit":"%s","content":"%s","run":"%s","built":"%s","functions":%s,"sites":%s}\n' \
  "$commit" "$content" "${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-0}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(json_list "${functions[@]}")" "$(json_list "${site_names[@]}")" >"$out/release.json"
sums=$(cd "$out" && find . -type f -printf '%P\0' | sort -z | xargs -0 sha256sum)
printf '%s\n' "$sums" >"$out/SHA256SUMS"
say "done: $out ($(wc -l <"$out/SHA256SUMS") files, content $content, commit $commit)"
