#!/usr/bin/env bash
# Deploys a built release to one environment, keeps it for a rollback, smoke
# tests it, and rolls back to the previous release when either fails:
#
#   scripts/release.sh DIR STACK
#
#  1. the release DIR (scripts/build-release.sh's, e.g. CI's artifact) is kept
#     as s3://$CCG_ARTIFACTS_BUCKET/releases/ID/release.tar.gz (ID: its
#     release.json's run), before anything changes;
#  2. scripts/deploy.sh --prebuilt DIR STACK (it checks DIR against its
#     SHA256SUMS and deploys; no compiling);
#  3. scripts/smoke-test.sh on the stack's SiteUrl with the release's content
#     version;
#  4. both passed: releases/current.json names this release, and
#     releases/previous.json the one before. Either failed: the release named
#     by releases/current.json (the last good one) is fetched, checked and
#     deployed again, smoke tested, and this script exits 1 all the same, so
#     the run shows red with "rolled back to ID".
#
# The environment is scripts/deploy.sh's (AWS_REGION, CCG_ENVIRONMENT,
# CCG_PERMISSIONS_BOUNDARY_ARN, ...), plus CCG_ARTIFACTS_BUCKET (required).
# For the tests: CCG_DEPLOY and CCG_SMOKE_TEST replace the two scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

[ $# -eq 2 ] || { echo "usage: scripts/release.sh DIR STACK" >&2; exit 2; }
dir=$(cd "$1" && pwd)
stack=$2
bucket=${CCG_ARTIFACTS_BUCKET:?set CCG_ARTIFACTS_BUCKET (the pipeline stack output ArtifactsBucketName)}
region=${AWS_REGION:-${AWS_DEFAULT_REGION:?set AWS_REGION}}
deploy=${CCG_DEPLOY:-$root/scripts/deploy.sh}
smoke=${CCG_SMOKE_TEST:-$root/scripts/smoke-test.sh}
releases=s3://$bucket/releases
work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-release.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { printf '[release] %s\n' "$*"; }
summary() {
  say "$*"
  [ -z "${GITHUB_STEP_SUMMARY:-}" ] || printf '%s\n' "$*" >>"$GITHUB_STEP_SUMMARY"
}
die() { printf '[release] ERROR: %s\n' "$*" >&2; exit 1; }
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"; }

[ -f "$dir/release.json" ] || die "$dir has no release.json"
id=$(field "$dir/release.json" run)
content=$(field "$dir/release.json" content)
commit=$(field "$dir/release.json" commit)
[[ $id =~ ^[A-Za-z0-9._-]+$ ]] || die "release.json names no usable run id: '$id'"

# The last good release, if any (the first deploy has none).
previous=""
if aws s3 cp --only-show-errors "$releases/current.json" "$work/current.json" 2>/dev/null; then
  previous=$(field "$work/current.json" id)
fi
say "release $id (commit $commit, content $content) to $stack; the last good one: ${previous:-none}"

# deploy_and_check DIR CONTENT: deploy.sh then the smoke test on the stack's address.
deploy_and_check() {
  "$deploy" --prebuilt "$1" "$stack" || return 1
  local url
  url=$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='SiteUrl'].OutputValue" --output text) || return 1
  "$smoke" "$url" "$2"
}

tar -C "$dir" -czf "$work/release.tar.gz" .
aws s3 cp --only-show-errors "$work/release.tar.gz" "$releases/$id/release.tar.gz"

if deploy_and_check "$dir" "$content"; then
  [ -z "$previous" ] || aws s3 cp --only-show-errors "$work/current.json" "$releases/previous.json"
  printf '{"id":"%s","commit":"%s","content":"%s","stack":"%s","at":"%s"}\n' \
    "$id" "$commit" "$content" "$stack" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/new-current.json"
  aws s3 cp --only-show-errors "$work/new-current.json" "$releases/current.json"
  summary "Release $id (commit $commit, content $content) is live on $stack."
  exit 0
fi

if [ -z "$previous" ] || [ "$previous" = "$id" ]; then
  summary "Release $id FAILED on $stack, and there is no earlier release to roll back to."
  exit 1
fi
summary "Release $id FAILED on $stack: rolling back to $previous."
mkdir "$work/previous"
aws s3 cp --only-show-errors "$releases/$previous/release.tar.gz" "$work/previous.tar.gz" \
  || die "the previous release $previous is gone from $releases (it expires after 90 days)"
tar -C "$work/previous" -xzf "$work/previous.tar.gz"
if deploy_and_check "$work/previous" "$(field "$work/previous/release.json" content)"; then
  summary "Rolled back to $previous on $stack; release $id is not live."
else
  summary "The rollback to $previous FAILED too: $stack needs a person (infra/README.md, \"Promote to production, and roll back\")."
fi
exit 1
