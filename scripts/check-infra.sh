#!/usr/bin/env bash
# Checks the deployment template, offline (no AWS account needed):
#  1. cfn-lint on infra/template.yaml as written (SAM resources included);
#  2. the template expanded by AWS's own SAM translator (what CloudFormation
#     will really create: roles, stage, permissions), linted again.
# Fails on any cfn-lint error; warnings are printed (the template has none).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Pinned so CI and laptops judge the template by the same rules.
CFN_LINT_VERSION="1.58.0"
SAM_TRANSLATOR_VERSION="1.115.0"
venv=".cache/venv-cfn"
template="infra/template.yaml"
expanded=".cache/infra-template.expanded.json"

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" - "$CFN_LINT_VERSION" "$SAM_TRANSLATOR_VERSION" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(version("cfn-lint") != sys.argv[1] or version("aws-sam-translator") != sys.argv[2])
EOF
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "cfn-lint==$CFN_LINT_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
fi

# cfn-lint exit status is a bit mask: 1 fatal, 2 error, 4 warning, 8 info.
lint() {
    local status=0
    "$venv/bin/cfn-lint" --regions eu-central-1 eu-west-1 -- "$1" || status=$?
    if (( status & 3 )); then
        echo "check-infra: cfn-lint found errors in $2" >&2
        exit 1
    fi
    if (( status & 4 )); then
        echo "check-infra: warnings in $2 (see above); not failing on them"
    fi
}

lint "$template" "$template"

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
expanded = transform(template, {"SiteOrigin": "https://ccg.example.eu"}, NoManagedPolicies())
with open(target, "w", encoding="utf-8") as f:
    json.dump(expanded, f, indent=1)
EOF
lint "$expanded" "$template (after the SAM transform)"

echo "check-infra: $template passes cfn-lint $CFN_LINT_VERSION, before and after the SAM transform"
