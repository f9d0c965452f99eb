#!/usr/bin/env bash
# One command from the repository to the running site:
#
#   scripts/deploy.sh [--dry-run] [--skip-tests] STACK
#
#  1. the tests (scripts/test.sh), unless --skip-tests (CI runs them first);
#  2. the site (generator build into public/, with public/version.json);
#  3. the four functions (register, travel-claim, account, desk-web) for arm64 with
#     cargo-lambda (profile release-lambda: LTO, stripped), each checked: under
#     8 MB, needing glibc 2.34 at most (provided.al2023 has 2.34), AArch64;
#  4. the web ACL stack STACK-edge in us-east-1 (infra/web-acl.yaml; CloudFront
#     only takes web ACLs from there), unless CCG_WEB_ACL=none;
#  5. the stack STACK (sam deploy infra/template.yaml);
#  6. the site uploaded (aws s3 sync --delete) and CloudFront's cache invalidated;
#  7. the check: the deployed site's /version.json and the functions'
#     X-Content-Version (GET {site}/api/register/confirm, GET {site}/sign-in/
#     for the account function and GET {site}/desk/ for the desk's) all equal
#     the version just built, so the functions enforce the content the site shows.
#
# --dry-run prints each step's command and runs none (no AWS account needed).
#
# AWS credentials and region come from the usual places (AWS_PROFILE,
# AWS_REGION, or the OIDC role in CI). Parameters of the stack, needed on the
# first deploy (later deploys keep the previous values of those not given):
#   CCG_SITE_ORIGIN        SiteOrigin, e.g. https://ccg.example.eu
#   CCG_MAIL_FROM          MailFromAddress, verified in SES
#   CCG_ALARM_EMAIL        AlarmEmail, who gets the alarms
#   CCG_TABLE_NAME         TableName (default ccg-forms)
#   CCG_EXTRA_PARAMETERS   more Key=Value overrides, space separated
#                          (SiteDomainName=... CertificateArn=... SesSandbox=true ...)
#   CCG_WEB_ACL            "none": deploy without the web ACL (not advised)
# The site's public addresses, for `generator build --base-url --contact-email`
# (it refuses the example placeholders of content/config.yaml without them):
#   CCG_BASE_URL           the site's address (default: CCG_SITE_ORIGIN)
#   CCG_CONTACT_EMAIL      the secretariat's public contact address
# CI also gives (infra/pipeline.yaml's outputs):
#   CCG_ARTIFACTS_BUCKET   sam deploy --s3-bucket (else --resolve-s3)
#   CCG_CLOUDFORMATION_ROLE_ARN  the role CloudFormation deploys with
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

dry_run=0
skip_tests=0
stack=""
for arg in "$@"; do
  case $arg in
    --dry-run) dry_run=1 ;;
    --skip-tests) skip_tests=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "deploy: unknown option $arg" >&2; exit 2 ;;
    *) [ -z "$stack" ] || { echo "deploy: one STACK only" >&2; exit 2; }; stack=$arg ;;
  esac
done
[ -n "$stack" ] || { echo "usage: scripts/deploy.sh [--dry-run] [--skip-tests] STACK" >&2; exit 2; }
[[ $stack =~ ^[a-z][a-z0-9-]{0,40}$ ]] || { echo "deploy: STACK must be lowercase letters, digits and -, e.g. ccg" >&2; exit 2; }

MAX_BINARY_BYTES=$((8 * 1024 * 1024))
MAX_GLIBC=2.34
edge_stack="$stack-edge"
site_dir=$root/public
lambda_dir=$root/target/lambda
# cargo-lambda and its Zig: the tests' pinned venv (scripts/setup-test-deps.sh)
# if there is one, else whatever is on PATH.
if [ -x "$root/.cache/venv-cargo-lambda/bin/cargo-lambda" ]; then
  PATH="$root/.cache/venv-cargo-lambda/bin:$PATH"
fi

step_no=0
say() { printf '[deploy] %s\n' "$*"; }
step() { step_no=$((step_no + 1)); printf '\n[deploy] %d. %s\n' "$step_no" "$*"; }
die() { printf '[deploy] ERROR: %s\n' "$*" >&2; exit 1; }

# run CMD...: runs it, or with --dry-run prints it.
run() {
  if [ "$dry_run" -eq 1 ]; then
    printf '  $'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# output STACK REGION KEY: a stack output (a placeholder in a dry run).
output() {
  if [ "$dry_run" -eq 1 ]; then
    printf '<%s output %s>' "$1" "$3"
    return
  fi
  aws cloudformation describe-stacks --region "$2" --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$3'].OutputValue" --output text
}

region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -z "$region" ] && [ "$dry_run" -eq 0 ]; then
  region=$(aws configure get region || true)
fi
[ -n "$region" ] || { [ "$dry_run" -eq 1 ] && region="<AWS_REGION>"; } || die "set AWS_REGION (an EU region)"
if [ "$dry_run" -eq 0 ]; then
  for tool in aws sam curl readelf cargo-lambda; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
  aws sts get-caller-identity --query Account --output text >/dev/null || die "no AWS credentials"
fi

# ---------------------------------------------------------------------------- 1
step "tests"
if [ "$skip_tests" -eq 1 ]; then
  say "skipped (--skip-tests)"
else
  run ./scripts/test.sh
fi

# ---------------------------------------------------------------------------- 2
step "the site, into public/"
publish_args=()
base_url=${CCG_BASE_URL:-${CCG_SITE_ORIGIN:-}}
[ -z "$base_url" ] || publish_args+=(--base-url "$base_url")
[ -z "${CCG_CONTACT_EMAIL:-}" ] || publish_args+=(--contact-email "$CCG_CONTACT_EMAIL")
run cargo run --release -p generator -- build --out "$site_dir" "${publish_args[@]}"

# ---------------------------------------------------------------------------- 3
# Each one is a CodeUri folder of infra/template.yaml (target/lambda/NAME).
functions=(register travel-claim account desk-web)
step "the functions, for arm64 (target/lambda/{register,travel-claim,account,desk-web}/bootstrap)"
bin_args=()
for fn in "${functions[@]}"; do bin_args+=(--bin "$fn"); done
run cargo lambda build --profile release-lambda --arm64 \
  --output-format binary -p ccg-functions "${bin_args[@]}" --lambda-dir "$lambda_dir"
for fn in "${functions[@]}"; do
  bin=$lambda_dir/$fn/bootstrap
  if [ "$dry_run" -eq 1 ]; then
    say "would check $bin: AArch64, < $MAX_BINARY_BYTES bytes, glibc <= $MAX_GLIBC"
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
  say "$fn: $size bytes, glibc $glibc, AArch64"
done

# ---------------------------------------------------------------------------- 4
step "the web ACL, stack $edge_stack in us-east-1"
if [ "${CCG_WEB_ACL:-}" = "none" ]; then
  say "skipped (CCG_WEB_ACL=none): the site runs without a web ACL"
  web_acl=none
else
  run aws cloudformation deploy --region us-east-1 --stack-name "$edge_stack" \
    --template-file infra/web-acl.yaml --no-fail-on-empty-changeset --tags project=ccg \
    ${CCG_CLOUDFORMATION_ROLE_ARN:+--role-arn "$CCG_CLOUDFORMATION_ROLE_ARN"}
  web_acl=$(output "$edge_stack" us-east-1 WebAclArn)
fi

# ---------------------------------------------------------------------------- 5
step "the stack $stack in $region"
overrides=("WebAclArn=$web_acl")
[ -z "${CCG_SITE_ORIGIN:-}" ] || overrides+=("SiteOrigin=$CCG_SITE_ORIGIN")
[ -z "${CCG_MAIL_FROM:-}" ] || overrides+=("MailFromAddress=$CCG_MAIL_FROM")
[ -z "${CCG_CONTACT_EMAIL:-}" ] || overrides+=("ContactEmail=$CCG_CONTACT_EMAIL")
[ -z "${CCG_ALARM_EMAIL:-}" ] || overrides+=("AlarmEmail=$CCG_ALARM_EMAIL")
[ -z "${CCG_TABLE_NAME:-}" ] || overrides+=("TableName=$CCG_TABLE_NAME")
if [ -n "${CCG_EXTRA_PARAMETERS:-}" ]; then
  read -r -a extra <<<"$CCG_EXTRA_PARAMETERS"
  overrides+=("${extra[@]}")
fi
bucket_args=(--resolve-s3)
[ -z "${CCG_ARTIFACTS_BUCKET:-}" ] || bucket_args=(--s3-bucket "$CCG_ARTIFACTS_BUCKET" --s3-prefix "$stack")
role_args=()
[ -z "${CCG_CLOUDFORMATION_ROLE_ARN:-}" ] || role_args=(--role-arn "$CCG_CLOUDFORMATION_ROLE_ARN")
run env SAM_CLI_TELEMETRY=0 sam deploy --template-file infra/template.yaml --stack-name "$stack" \
  --region "$region" --capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset \
  "${bucket_args[@]}" "${role_args[@]}" --tags project=ccg --parameter-overrides "${overrides[@]}"
bucket=$(output "$stack" "$region" SiteBucketName)
distribution=$(output "$stack" "$region" DistributionId)
site_url=$(output "$stack" "$region" SiteUrl)

# ---------------------------------------------------------------------------- 6
step "the site, uploaded; CloudFront's cache invalidated"
run aws s3 sync "$site_dir/" "s3://$bucket" --delete --exclude '.ccg-*' --region "$region"
if [ "$dry_run" -eq 1 ]; then
  run aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*'
  run aws cloudfront wait invalidation-completed --distribution-id "$distribution" --id '<invalidation id>'
else
  invalidation=$(aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*' \
    --query Invalidation.Id --output text)
  aws cloudfront wait invalidation-completed --distribution-id "$distribution" --id "$invalidation"
fi

# ---------------------------------------------------------------------------- 7
step "the deployed site and functions carry the content just built"
if [ "$dry_run" -eq 1 ]; then
  run curl -fsS "$site_url/version.json"
  run curl -sS -o /dev/null -D - "$site_url/api/register/confirm"
  run curl -sS -o /dev/null -D - "$site_url/sign-in/"
  run curl -sS -o /dev/null -D - "$site_url/desk/"
  say "would compare all four with public/version.json"
  say "dry run: nothing was deployed"
  exit 0
fi
built=$(sed -n 's/.*"content":"\([0-9a-f]*\)".*/\1/p' "$site_dir/version.json")
[ -n "$built" ] || die "public/version.json has no content version"
# content_version URL: the X-Content-Version a function answers URL with.
content_version() {
  curl -sS -o /dev/null -D - "$1" | tr -d '\r' | awk 'tolower($1) == "x-content-version:" { print $2 }' || true
}
site_version="" function_version="" account_version="" desk_version=""
for _ in 1 2 3 4 5 6; do
  site_version=$(curl -fsS "$site_url/version.json" | sed -n 's/.*"content":"\([0-9a-f]*\)".*/\1/p' || true)
  # A confirmation link without a token: the function answers it (410), with its version.
  function_version=$(content_version "$site_url/api/register/confirm")
  # The sign-in page, from the account function (through its own CloudFront behaviour).
  account_version=$(content_version "$site_url/sign-in/")
  # The desk without a session: the desk function's redirect to /sign-in/, with its version.
  desk_version=$(content_version "$site_url/desk/")
  [ "$site_version" = "$built" ] && [ "$function_version" = "$built" ] && [ "$account_version" = "$built" ] \
    && [ "$desk_version" = "$built" ] && break
  sleep 10
done
[ "$site_version" = "$built" ] || die "the site at $site_url reports content ${site_version:-nothing}, not $built"
[ "$function_version" = "$built" ] || die "the functions at $site_url/api/ report content ${function_version:-nothing}, not $built"
[ "$account_version" = "$built" ] || die "the account function at $site_url/sign-in/ reports content ${account_version:-nothing}, not $built"
[ "$desk_version" = "$built" ] || die "the desk function at $site_url/desk/ reports content ${desk_version:-nothing}, not $built"
say "done: $site_url serves content $built, and its functions enforce the same"
