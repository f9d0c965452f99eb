#!/usr/bin/env bash
# One command from the repository (or a built release) to the running site:
#
#   scripts/deploy.sh [--dry-run] [--skip-tests] [--new-table] [--prebuilt DIR] STACK
#
#  1. the tests (scripts/test.sh), unless --skip-tests or --prebuilt;
#  2. the release: scripts/build-release.sh into target/ccg-release/ (the site in
#     site/ENV/, the functions of infra/functions.txt in lambda/NAME/bootstrap,
#     release.json, SHA256SUMS), or with --prebuilt DIR one built before (CI's
#     build job: this then compiles nothing); either way every file is checked
#     against DIR/SHA256SUMS and a file it does not list is refused;
#  3. the edge stack STACK-edge in us-east-1 (infra/web-acl.yaml: the web ACL,
#     the origin-request function that signs the bodies, the budget);
#  4. the stack STACK (sam deploy infra/template.yaml). It refuses a TableName
#     other than the one the stack has (a new, empty table behind a live site)
#     unless --new-table; then the stack policy infra/stack-policy.json (no
#     replacement or removal of the table and the buckets) and termination
#     protection are set on it;
#  5. the site uploaded (aws s3 sync --delete) and CloudFront's cache invalidated;
#  6. the check: the deployed site's /version.json and the functions'
#     X-Content-Version (GET {site}/api/register/confirm, GET {site}/sign-in/
#     for the account function and GET {site}/desk/ for the desk's) all equal
#     the release's, so the functions enforce the content the site shows.
#
# --dry-run prints each step's command and runs none (no AWS account needed).
#
# AWS credentials and region come from the usual places (AWS_PROFILE,
# AWS_REGION, or the OIDC role in CI). Parameters of the stack, needed on the
# first deploy (later deploys keep the previous values of those not given):
#   CCG_ENVIRONMENT        production (default) or staging: the site built for
#                          it (site/ENV/), the stacks' Environment parameter
#   CCG_PERMISSIONS_BOUNDARY_ARN  PermissionsBoundaryArn: the pipeline stack's
#                          output of that name (infra/pipeline.yaml)
#   CCG_SITE_ORIGIN        SiteOrigin, e.g. https://ccg.example.eu
#   CCG_MAIL_FROM          MailFromAddress, verified in SES
#   CCG_ALARM_EMAIL        AlarmEmail, who gets the alarms (both stacks)
#   CCG_MONTHLY_BUDGET_USD MonthlyBudgetUsd (the edge stack's, if it has it)
#   CCG_ORIGIN_SECRET_VERSION  OriginSecretVersion (if the template has it)
#   CCG_TABLE_NAME         TableName (default ccg-forms)
#   CCG_EXTRA_PARAMETERS   more Key=Value overrides, space separated
#                          (SiteDomainName=... CertificateArn=... SesSandbox=true ...)
#   CCG_WEB_ACL            "none": the site without its web ACL (not advised)
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
new_table=0
prebuilt=""
stack=""
usage="usage: scripts/deploy.sh [--dry-run] [--skip-tests] [--new-table] [--prebuilt DIR] STACK"
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --skip-tests) skip_tests=1 ;;
    --new-table) new_table=1 ;;
    --prebuilt) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; prebuilt=$(cd "$2" && pwd); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "deploy: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$stack" ] || { echo "deploy: one STACK only" >&2; exit 2; }; stack=$1 ;;
  esac
  shift
done
[ -n "$stack" ] || { echo "$usage" >&2; exit 2; }
[[ $stack =~ ^[a-z][a-z0-9-]{0,40}$ ]] || { echo "deploy: STACK must be lowercase letters, digits and -, e.g. ccg" >&2; exit 2; }
environment=${CCG_ENVIRONMENT:-production}
[[ $environment =~ ^(production|staging)$ ]] || { echo "deploy: CCG_ENVIRONMENT is production or staging" >&2; exit 2; }

edge_stack="$stack-edge"
lambda_dir=$root/target/lambda
mapfile -t functions < <(grep -v '^[[:space:]]*\(#\|$\)' infra/functions.txt)

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

# table_change_allowed CURRENT WANTED NEW_TABLE: a new stack, the same table,
# or --new-table.
table_change_allowed() {
  [ -z "$1" ] || [ "$1" = None ] || [ -z "$2" ] || [ "$1" = "$2" ] || [ "$3" -eq 1 ]
}

# verify_release DIR: every file is listed in DIR/SHA256SUMS with its hash,
# and nothing else is there.
verify_release() {
  local dir=$1 listed present
  [ -f "$dir/SHA256SUMS" ] || die "$dir has no SHA256SUMS"
  (cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS) || die "$dir does not match its SHA256SUMS"
  listed=$(sed 's/^[0-9a-f]\{64\}  //' "$dir/SHA256SUMS" | sort)
  present=$(cd "$dir" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort)
  [ "$listed" = "$present" ] || die "$dir holds files SHA256SUMS does not list: $(comm -13 <(printf '%s\n' "$listed") <(printf '%s\n' "$present") | tr '\n' ' ')"
  say "$dir: $(wc -l <"$dir/SHA256SUMS") files match SHA256SUMS"
}

region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -z "$region" ] && [ "$dry_run" -eq 0 ]; then
  region=$(aws configure get region || true)
fi
[ -n "$region" ] || { [ "$dry_run" -eq 1 ] && region="<AWS_REGION>"; } || die "set AWS_REGION (an EU region)"
if [ "$dry_run" -eq 0 ]; then
  tools=(aws sam curl sha256sum)
  [ -n "$prebuilt" ] || tools+=(readelf cargo cargo-lambda)
  for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
  aws sts get-caller-identity --query Account --output text >/dev/null || die "no AWS credentials"
fi

# ---------------------------------------------------------------------------- 1
step "tests"
if [ "$skip_tests" -eq 1 ] || [ -n "$prebuilt" ]; then
  say "skipped (${prebuilt:+--prebuilt}${prebuilt:---skip-tests})"
else
  run ./scripts/test.sh
fi

# ---------------------------------------------------------------------------- 2
if [ -n "$prebuilt" ]; then
  step "the release built before, $prebuilt"
  release=$prebuilt
else
  step "the release, built into target/ccg-release/"
  release=$root/target/ccg-release
  [ "$environment" = production ] || export CCG_STAGING_BASE_URL=${CCG_STAGING_BASE_URL:-${CCG_BASE_URL:-${CCG_SITE_ORIGIN:-}}}
  dry=()
  [ "$dry_run" -eq 0 ] || dry=(--dry-run)
  ./scripts/build-release.sh "${dry[@]}" "$release"
fi
site_dir=$release/site/$environment
if [ "$dry_run" -eq 1 ] && [ -z "$prebuilt" ]; then
  say "would check every file of $release against its SHA256SUMS and copy lambda/*/bootstrap to target/lambda/"
else
  verify_release "$release"
  [ -f "$site_dir/version.json" ] || die "$release has no site for $environment (site/$environment/version.json)"
  for fn in "${functions[@]}"; do
    [ -f "$release/lambda/$fn/bootstrap" ] || die "$release has no lambda/$fn/bootstrap"
    mkdir -p "$lambda_dir/$fn"
    if [ "$(cd "$release/lambda/$fn" && pwd -P)" != "$(cd "$lambda_dir/$fn" && pwd -P)" ]; then
      run cp "$release/lambda/$fn/bootstrap" "$lambda_dir/$fn/bootstrap"
    fi
  done
  say "release $(cat "$release/release.json")"
fi

# ---------------------------------------------------------------------------- 3
step "the edge stack $edge_stack in us-east-1"
edge_template=infra/web-acl.yaml
# Always deployed: besides the web ACL it holds the origin-request function
# without which no form's POST reaches a function, and the budget.
edge_overrides=("Environment=$environment")
[ -z "${CCG_PERMISSIONS_BOUNDARY_ARN:-}" ] || edge_overrides+=("PermissionsBoundaryArn=$CCG_PERMISSIONS_BOUNDARY_ARN")
[ -z "${CCG_ALARM_EMAIL:-}" ] || edge_overrides+=("AlarmEmail=$CCG_ALARM_EMAIL")
[ -z "${CCG_MONTHLY_BUDGET_USD:-}" ] || edge_overrides+=("MonthlyBudgetUsd=$CCG_MONTHLY_BUDGET_USD")
run aws cloudformation deploy --region us-east-1 --stack-name "$edge_stack" \
  --template-file "$edge_template" --no-fail-on-empty-changeset --tags project=ccg "environment=$environment" \
  --capabilities CAPABILITY_IAM \
  ${CCG_CLOUDFORMATION_ROLE_ARN:+--role-arn "$CCG_CLOUDFORMATION_ROLE_ARN"} --parameter-overrides "${edge_overrides[@]}"
origin_request=$(output "$edge_stack" us-east-1 OriginRequestFunctionArn)
if [ "${CCG_WEB_ACL:-}" = "none" ]; then
  say "the site runs without its web ACL (CCG_WEB_ACL=none)"
  web_acl=none
else
  web_acl=$(output "$edge_stack" us-east-1 WebAclArn)
fi

# ---------------------------------------------------------------------------- 4
step "the stack $stack in $region"
overrides=("WebAclArn=$web_acl")
[ -z "${CCG_PERMISSIONS_BOUNDARY_ARN:-}" ] || overrides+=("PermissionsBoundaryArn=$CCG_PERMISSIONS_BOUNDARY_ARN")
overrides+=("OriginRequestFunctionArn=$origin_request")
[ -z "${CCG_ORIGIN_SECRET_VERSION:-}" ] || overrides+=("OriginSecretVersion=$CCG_ORIGIN_SECRET_VERSION")
[ -z "${CCG_SITE_ORIGIN:-}" ] || overrides+=("SiteOrigin=$CCG_SITE_ORIGIN")
[ -z "${CCG_MAIL_FROM:-}" ] || overrides+=("MailFromAddress=$CCG_MAIL_FROM")
[ -z "${CCG_CONTACT_EMAIL:-}" ] || overrides+=("ContactEmail=$CCG_CONTACT_EMAIL")
[ -z "${CCG_ALARM_EMAIL:-}" ] || overrides+=("AlarmEmail=$CCG_ALARM_EMAIL")
[ -z "${CCG_TABLE_NAME:-}" ] || overrides+=("TableName=$CCG_TABLE_NAME")
if [ -n "${CCG_EXTRA_PARAMETERS:-}" ]; then
  read -r -a extra <<<"$CCG_EXTRA_PARAMETERS"
  overrides+=("${extra[@]}")
fi

# A deploy that names another table would start the site on an empty one
# (CreateTable makes it) while the data stays in the old: only on purpose.
if [ "$dry_run" -eq 0 ]; then
  current_table=$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query "Stacks[0].Parameters[?ParameterKey=='TableName'].ParameterValue" --output text 2>/dev/null || true)
else
  current_table="<the stack's TableName>"
fi
wanted_table=${CCG_TABLE_NAME:-}
for o in "${overrides[@]}"; do [[ $o == TableName=* ]] && wanted_table=${o#TableName=}; done
if ! table_change_allowed "$current_table" "$wanted_table" "$new_table"; then
  die "the stack $stack uses the table $current_table; TableName=$wanted_table would start the site on another (empty) table. Pass --new-table if that is what you mean (infra/README.md, \"First deploy\")."
fi

bucket_args=(--resolve-s3)
[ -z "${CCG_ARTIFACTS_BUCKET:-}" ] || bucket_args=(--s3-bucket "$CCG_ARTIFACTS_BUCKET" --s3-prefix "$stack")
role_args=()
[ -z "${CCG_CLOUDFORMATION_ROLE_ARN:-}" ] || role_args=(--role-arn "$CCG_CLOUDFORMATION_ROLE_ARN")
run env SAM_CLI_TELEMETRY=0 sam deploy --template-file infra/template.yaml --stack-name "$stack" \
  --region "$region" --capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset \
  "${bucket_args[@]}" "${role_args[@]}" --tags project=ccg "environment=$environment" \
  --parameter-overrides "${overrides[@]}"
# The stateful stack: its table and buckets are never replaced or removed by
# an update, and the stack is not deleted by a slip.
run aws cloudformation set-stack-policy --region "$region" --stack-name "$stack" \
  --stack-policy-body "file://$root/infra/stack-policy.json"
run aws cloudformation update-termination-protection --region "$region" --stack-name "$stack" \
  --enable-termination-protection
bucket=$(output "$stack" "$region" SiteBucketName)
distribution=$(output "$stack" "$region" DistributionId)
site_url=$(output "$stack" "$region" SiteUrl)

# ---------------------------------------------------------------------------- 5
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

# ---------------------------------------------------------------------------- 6
step "the deployed site and functions carry the content just built"
if [ "$dry_run" -eq 1 ]; then
  run curl -fsS "$site_url/version.json"
  run curl -sS -o /dev/null -D - "$site_url/api/register/confirm"
  run curl -sS -o /dev/null -D - "$site_url/sign-in/"
  run curl -sS -o /dev/null -D - "$site_url/desk/"
  say "would compare all four with the release's site/$environment/version.json"
  say "dry run: nothing was deployed"
  exit 0
fi
built=$(sed -n 's/.*"content":"\([0-9a-f]*\)".*/\1/p' "$site_dir/version.json")
[ -n "$built" ] || die "$site_dir/version.json has no content version"
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
