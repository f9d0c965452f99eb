"""The pipeline's roles (infra/pipeline.yaml), read as IAM would evaluate them.

Run by scripts/check-infra.sh (unittest discover -s infra/tests) with
CCG_EXPANDED_TEMPLATE, the SAM-expanded infra/template.yaml. What it proves:

- only the GitHub *environment* of the stack's name can assume the deploy role;
- the CloudFormation role cannot escalate: it makes roles only under the site's
  path, only with the boundary the pipeline stack defines, never touches the
  pipeline's own roles or the boundary, attaches no administrator policy and
  passes roles only to the services the templates give them to; every role the
  site's templates make carries that boundary and path;
- it allows every permission the CloudFormation resource handlers list for the
  resource types the templates use (infra/tests/handler-permissions.json, which
  must equal the schemas bundled with the pinned cfn-lint), on the resources
  the templates name, but for the exemptions written below with their reason.

Refresh handler-permissions.json after a cfn-lint upgrade or a new resource type:
  CCG_EXPANDED_TEMPLATE=.cache/infra-template.expanded.json \
    .cache/venv-cfn/bin/python infra/tests/test_pipeline.py --refresh
"""

import fnmatch
import json
import os
import re
import sys
import unittest
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
EXPANDED = Path(os.environ.get("CCG_EXPANDED_TEMPLATE", ROOT / ".cache/infra-template.expanded.json"))
HANDLERS = Path(__file__).with_name("handler-permissions.json")

ACCOUNT = "111122223333"
REGION = "eu-central-1"
STACK = "ccg"
TABLE = "ccg-forms"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/ccg-pipeline/{STACK}-function-boundary"
ARTIFACTS = "arn:aws:s3:::ccg-pipeline-artifactsbucket-abc"
PARAMS = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "SiteStackName": STACK,
    "TableName": TABLE,
    "Environment": "production",
    "GitHubRepository": "owner/ccg",
    "FunctionBoundary": BOUNDARY,
    "ArtifactsBucket.Arn": ARTIFACTS,
    "ArtifactsBucket": "ccg-pipeline-artifactsbucket-abc",
    "CloudFormationExecutionRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/ccg-pipeline/ccg-pipeline-CloudFormationExecutionRole-X",
    "GitHubDeployRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/ccg-pipeline/ccg-pipeline-GitHubDeployRole-X",
}
A = f"{REGION}:{ACCOUNT}"
# A resource of each type as CloudFormation names it in the production stacks
# (ccg here, ccg-edge in us-east-1); the role must allow the type's own
# service's handler permissions on it.
SAMPLES = {
    "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/ccg-site/{STACK}/{STACK}-RegisterRole-ABC",
    "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{ACCOUNT}:policy/{STACK}-DeskPolicy-ABC",
    "AWS::Lambda::Function": f"arn:aws:lambda:{A}:function:{STACK}-RegisterFunction-ABC",
    "AWS::Lambda::Permission": f"arn:aws:lambda:{A}:function:{STACK}-TravelClaimFunction-ABC",
    "AWS::Lambda::Url": f"arn:aws:lambda:{A}:function:{STACK}-AccountFunction-ABC",
    "AWS::Lambda::Version": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{STACK}-edge-OriginRequest-ABC:3",
    "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{A}:table/{TABLE}",
    "AWS::Logs::LogGroup": f"arn:aws:logs:{A}:log-group:/aws/lambda/{STACK}-register:*",
    "AWS::S3::Bucket": f"arn:aws:s3:::{STACK}-documentsbucket-abc",
    "AWS::S3::BucketPolicy": f"arn:aws:s3:::{STACK}-sitebucket-abc",
    "AWS::SNS::Topic": f"arn:aws:sns:{A}:{STACK}-alarms",
    "AWS::SNS::TopicPolicy": f"arn:aws:sns:{A}:{STACK}-alarms",
    "AWS::SNS::Subscription": f"arn:aws:sns:{A}:{STACK}-alarms",
    "AWS::CloudWatch::Alarm": f"arn:aws:cloudwatch:{A}:alarm:{STACK}-function-errors",
    "AWS::CloudWatch::Dashboard": f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{STACK}-site",
    "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{A}:secret:{STACK}-origin-verify-AbCdEf",
    "AWS::WAFv2::WebACL": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/{STACK}-edge-site/0123-abcd",
    "AWS::Budgets::Budget": f"arn:aws:budgets::{ACCOUNT}:budget/{STACK}-edge-monthly",
    "AWS::CloudFront::Distribution": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2ABC",
    "AWS::CloudFront::Function": f"arn:aws:cloudfront::{ACCOUNT}:function/{STACK}-directory-index",
    "AWS::CloudFront::OriginAccessControl": f"arn:aws:cloudfront::{ACCOUNT}:origin-access-control/E1ABC",
    "AWS::CloudFront::OriginRequestPolicy": f"arn:aws:cloudfront::{ACCOUNT}:origin-request-policy/0123-abcd",
    "AWS::CloudFront::ResponseHeadersPolicy": f"arn:aws:cloudfront::{ACCOUNT}:response-headers-policy/0123-abcd",
    "AWS::ApiGatewayV2::Api": f"arn:aws:apigateway:{REGION}::/apis/abc123",
    "AWS::ApiGatewayV2::Stage": f"arn:aws:apigateway:{REGION}::/apis/abc123/stages/$default",
    "AWS::SES::ConfigurationSet": f"arn:aws:ses:{A}:configuration-set/{STACK}-mail",
    "AWS::SES::ConfigurationSetEventDestination": f"arn:aws:ses:{A}:configuration-set/{STACK}-mail",
    "AWS::Backup::BackupVault": f"arn:aws:backup:{A}:backup-vault:{STACK}-vault",
    "AWS::Backup::BackupPlan": f"arn:aws:backup:{A}:backup-plan:0123-abcd",
    "AWS::Backup::BackupSelection": f"arn:aws:backup:{A}:backup-plan:0123-abcd",
    "AWS::KMS::Key": f"arn:aws:kms:{A}:key/0123-abcd",
    "AWS::KMS::Alias": f"arn:aws:kms:{A}:alias/{STACK}-backup",
    "AWS::Events::Rule": f"arn:aws:events:{A}:rule/{STACK}-daily",
    "AWS::Scheduler::Schedule": f"arn:aws:scheduler:{A}:schedule/default/{STACK}-daily",
}
# Handler permissions whose resource is not the type's own.
OTHER_RESOURCE = {
    "lambda:GetCodeSigningConfig": f"arn:aws:lambda:{A}:code-signing-config:csc-0123",
    "lambda:GetLayerVersion": f"arn:aws:lambda:{A}:layer:some-layer:1",
}
# The service a type's roles are passed to (iam:PassedToService).
PASSED_TO = {"Backup": "backup.amazonaws.com", "Events": "events.amazonaws.com", "Scheduler": "scheduler.amazonaws.com"}

# Handler permissions the role lacks on purpose. Each is for a feature the
# templates do not use; using it means granting it (and removing it here).
EXEMPT = {
    "ec2:DescribeNetworkInterfaces": "functions outside a VPC",
    "ec2:DescribeSecurityGroups": "functions outside a VPC",
    "ec2:DescribeSubnets": "functions outside a VPC",
    "ec2:DescribeVpcs": "functions outside a VPC",
    "elasticfilesystem:DescribeMountTargets": "no file system mounted in a function",
    "s3files:ListMountTargets": "no file system mounted in a function",
    "lambda:PassCapacityProvider": "no Lambda capacity provider",
    "kinesis:DescribeStream": "no Kinesis stream of the table",
    "kinesis:PutRecords": "no Kinesis stream of the table",
    "dynamodb:EnableKinesisStreamingDestination": "no Kinesis stream of the table",
    "dynamodb:DisableKinesisStreamingDestination": "no Kinesis stream of the table",
    "dynamodb:UpdateKinesisStreamingDestination": "no Kinesis stream of the table",
    "dynamodb:ImportTable": "the table is never imported from S3",
    "dynamodb:DescribeImport": "the table is never imported from S3",
    "s3:GetObjectMetadata": "the table is never imported from S3",
    "logs:CreateLogStream": "the table is never imported from S3 (its import log)",
    "logs:PutLogEvents": "the table is never imported from S3 (its import log)",
    "logs:DescribeLogStreams": "the table is never imported from S3 (its import log)",
    "dynamodb:CreateTableReplica": "no global table",
    "dynamodb:AssociateTableReplica": "no global table",
    "dynamodb:Scan": "items are read and written by the handler only for replicas or an import: CloudFormation reads no personal data",
    "dynamodb:Query": "as dynamodb:Scan",
    "dynamodb:GetItem": "as dynamodb:Scan",
    "dynamodb:PutItem": "as dynamodb:Scan",
    "dynamodb:UpdateItem": "as dynamodb:Scan",
    "dynamodb:DeleteItem": "as dynamodb:Scan",
    "dynamodb:BatchWriteItem": "as dynamodb:Scan",
    "dynamodb:PutResourcePolicy": "no resource policy on the table",
    "dynamodb:DeleteResourcePolicy": "no resource policy on the table",
    "dynamodb:DeleteTable": "never: the table is retained and deletion-protected, and its deletion is the secretariat's decision",
    "firehose:TagDeliveryStream": "no Firehose delivery of a log group",
    "logs:PutBearerTokenAuthentication": "no bearer token on a log group",
    "payments:GetConnectedAccount": "no AWS Marketplace rule group in the web ACL",
    "cloudfront:CreateConnectionGroup": "no CloudFront connection group",
    "cloudfront:GetConnectionGroup": "no CloudFront connection group",
    "cloudfront:GetVpcOrigin": "no VPC origin",
    "cloudfront:UpdateDistributionWithStagingConfig": "no continuous deployment (staging distribution)",
    "iam:DeleteRolePermissionsBoundary": "denied on purpose: a role of the site never loses its boundary",
    "iam:AttachGroupPolicy": "DeskPolicy is attached by hand, never by the stack",
    "iam:AttachUserPolicy": "DeskPolicy is attached by hand, never by the stack",
    "iam:DetachGroupPolicy": "DeskPolicy is attached by hand, never by the stack",
    "iam:DetachUserPolicy": "DeskPolicy is attached by hand, never by the stack",
    "s3:DeleteObject": "the buckets are retained (DeletionPolicy: Retain): never emptied by CloudFormation",
    "s3tables:CreateNamespace": "no S3 table bucket",
    "s3tables:CreateTable": "no S3 table bucket",
    "s3tables:CreateTableBucket": "no S3 table bucket",
    "s3tables:GetTable": "no S3 table bucket",
    "s3tables:GetTableMetadataLocation": "no S3 table bucket",
    "s3tables:PutTableBucketPolicy": "no S3 table bucket",
    "s3tables:PutTableEncryption": "no S3 table bucket",
    "s3tables:PutTablePolicy": "no S3 table bucket",
    "s3tables:UpdateTableMetadataLocation": "no S3 table bucket",
}
for _a in (
    "PutBucketAcl PutObjectAcl PutBucketLogging PutBucketWebsite DeleteBucketWebsite PutAccelerateConfiguration "
    "PutAnalyticsConfiguration DeleteBucketAnalyticsConfiguration PutIntelligentTieringConfiguration "
    "PutInventoryConfiguration PutMetricsConfiguration DeleteBucketMetricsConfiguration PutReplicationConfiguration "
    "PutBucketReplication DeleteBucketReplication PutBucketObjectLockConfiguration PutObjectLockConfiguration "
    "CreateBucketMetadataTableConfiguration DeleteBucketMetadataTableConfiguration PutBucketAbac "
    "UpdateBucketMetadataAnnotationTableConfiguration UpdateBucketMetadataInventoryTableConfiguration "
    "UpdateBucketMetadataJournalTableConfiguration DeleteBucket"
).split():
    EXEMPT[f"s3:{_a}"] = (
        "a bucket feature the templates do not use (ACLs: ownership enforced; website, logging, replication, "
        "object lock, acceleration, analytics, inventory, metrics, tiering, metadata tables, ABAC)"
        if _a != "DeleteBucket"
        else "the buckets are retained (DeletionPolicy: Retain)"
    )
# Per type: the same action is needed for one type and not for another.
EXEMPT_FOR = {
    ("AWS::IAM::ManagedPolicy", "iam:AttachRolePolicy"): "DeskPolicy is attached to no role by the stack",
    ("AWS::IAM::ManagedPolicy", "iam:DetachRolePolicy"): "DeskPolicy is attached to no role by the stack",
    ("AWS::SNS::Topic", "iam:PassRole"): "no delivery status logging role",
    ("AWS::SNS::Topic", "iam:GetRole"): "no delivery status logging role",
    ("AWS::SNS::Subscription", "iam:PassRole"): "no Firehose subscription",
    ("AWS::SNS::Subscription", "iam:GetRole"): "no Firehose subscription",
    ("AWS::S3::Bucket", "iam:PassRole"): "no replication role",
    ("AWS::S3::Bucket", "s3:ListBucket"): "the handler lists only to empty a bucket: retained here",
    ("AWS::DynamoDB::Table", "s3:GetObject"): "the table is never imported from S3",
    ("AWS::DynamoDB::Table", "s3:ListBucket"): "the table is never imported from S3",
    ("AWS::SES::ConfigurationSetEventDestination", "iam:PassRole"): "no Firehose event destination",
}


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


def sub(value):
    """An intrinsic value of pipeline.yaml, resolved with PARAMS."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        (fn, arg), = value.items()
        if fn == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: PARAMS[m.group(1)], text)
        if fn == "Ref":
            return PARAMS[arg]
        if fn == "Fn::GetAtt":
            return PARAMS[".".join(arg) if isinstance(arg, list) else arg]
    raise ValueError(f"cannot resolve {value!r}")


def as_list(value):
    return value if isinstance(value, list) else [value]


def wildcard(pattern, value):
    # IAM: * is any run of characters (slashes and colons included), ? one.
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def condition_holds(condition, ctx):
    for op, tests in (condition or {}).items():
        for key, wanted in tests.items():
            wanted = [sub(w) for w in as_list(wanted)]
            have = ctx.get(key)
            if op == "StringNotEquals":
                ok = have is None or have not in wanted
            elif have is None:
                ok = False
            elif op in ("StringEquals", "ArnEquals"):
                ok = have in wanted
            elif op in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(have, w) for w in wanted)
            else:
                raise AssertionError(f"condition operator {op} not modelled by this test")
            if not ok:
                return False
    return True


class Policy:
    def __init__(self, documents):
        self.statements = [s for doc in documents for s in as_list(doc["Statement"])]

    def matches(self, stmt, action, resource, ctx):
        return (
            any(wildcard(a, action) for a in as_list(stmt["Action"]))
            and any(wildcard(sub(r), resource) for r in as_list(stmt["Resource"]))
            and condition_holds(stmt.get("Condition"), ctx)
        )

    def allows(self, action, resource, ctx=None):
        ctx = ctx or {}
        if any(s["Effect"] == "Deny" and self.matches(s, action, resource, ctx) for s in self.statements):
            return False
        return any(s["Effect"] == "Allow" and self.matches(s, action, resource, ctx) for s in self.statements)

    def allows_somewhere(self, action, ctx):
        """Allowed on some resource the policy names (the action's own resource is another type's)."""
        for s in self.statements:
            if s["Effect"] == "Allow" and any(wildcard(a, action) for a in as_list(s["Action"])):
                for r in as_list(s["Resource"]):
                    if self.allows(action, sub(r).replace("*", "x"), ctx):
                        return True
        return False


def role_policy(resource):
    return Policy(p["PolicyDocument"] for p in resource["Properties"]["Policies"])


def cfn_lint_schemas():
    import cfnlint

    folder = Path(cfnlint.__file__).parent / "data/schemas/resources"
    schemas = {}
    for f in folder.glob("*.json"):
        with open(f, encoding="utf-8") as fh:
            s = json.load(fh)
        schemas[s.get("typeName")] = s
    return schemas


def iam_actions():
    import cfnlint

    with open(Path(cfnlint.__file__).parent / "data/AdditionalSpecs/Policies.json", encoding="utf-8") as f:
        services = json.load(f)
    return {f"{svc}:{a}".lower() for svc, d in services.items() for a in d.get("Actions", {})}


def template_types(site, edge):
    return {r["Type"] for t in (site, edge) for r in t["Resources"].values()}


def handler_lists(schema):
    h = schema.get("handlers", {})
    return {k: sorted(set(h[k].get("permissions", []))) for k in ("create", "read", "update", "delete") if k in h}


class Pipeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = load_yaml(ROOT / "infra/pipeline.yaml")
        cls.r = cls.p["Resources"]
        cls.execution = role_policy(cls.r["CloudFormationExecutionRole"])
        cls.deploy = role_policy(cls.r["GitHubDeployRole"])
        with open(EXPANDED, encoding="utf-8") as f:
            cls.site = json.load(f)
        cls.edge = load_yaml(ROOT / "infra/web-acl.yaml")
        with open(HANDLERS, encoding="utf-8") as f:
            cls.handlers = json.load(f)

    # 1. ------------------------------------------------------------ the trust
    def test_only_the_github_environment_of_the_stack_may_assume_the_deploy_role(self):
        (stmt,) = self.r["GitHubDeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(stmt["Action"], "sts:AssumeRoleWithWebIdentity")
        self.assertEqual(list(stmt["Condition"]), ["StringEquals"], "an exact subject, never StringLike")
        cond = stmt["Condition"]["StringEquals"]
        self.assertEqual(cond["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com")
        self.assertEqual(sub(cond["token.actions.githubusercontent.com:sub"]), "repo:owner/ccg:environment:production")
        self.assertEqual(self.p["Parameters"]["Environment"]["AllowedValues"], ["production", "staging"])
        self.assertNotIn("DeployBranch", self.p["Parameters"], "a branch subject is not what an environment's job presents")

    def test_the_deploy_role_deploys_and_does_nothing_else_in_iam(self):
        for stmt in self.deploy.statements:
            for action in as_list(stmt["Action"]):
                self.assertNotIn("*", action)
                if action.startswith("iam:"):
                    self.assertEqual(action, "iam:PassRole")
                    self.assertEqual(sub(stmt["Resource"]), PARAMS["CloudFormationExecutionRole.Arn"])
                    self.assertEqual(stmt["Condition"], {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}})
        stack = f"arn:aws:cloudformation:{A}:stack/{STACK}/1"
        for action in ("cloudformation:SetStackPolicy", "cloudformation:UpdateTerminationProtection", "cloudformation:ExecuteChangeSet"):
            self.assertTrue(self.deploy.allows(action, stack), action)
            self.assertFalse(self.deploy.allows(action, f"arn:aws:cloudformation:{A}:stack/{STACK}-pipeline/1"), action)
            self.assertFalse(self.deploy.allows(action, f"arn:aws:cloudformation:{A}:stack/staging-ccg/1"), action)
        self.assertFalse(self.deploy.allows("cloudformation:DeleteStack", stack))

    # 2. -------------------------------------------------------- no escalation
    def site_roles(self):
        for name, t in (("infra/template.yaml", self.site), ("infra/web-acl.yaml", self.edge)):
            for logical, r in t["Resources"].items():
                if r["Type"] == "AWS::IAM::Role":
                    yield name, logical, r, t

    def test_every_role_of_the_site_carries_the_boundary_and_the_site_path(self):
        roles = list(self.site_roles())
        self.assertGreaterEqual(len(roles), 4)
        for name, logical, r, t in roles:
            props = r["Properties"]
            self.assertEqual(props.get("PermissionsBoundary"), {"Ref": "PermissionsBoundaryArn"}, f"{name} {logical}")
            self.assertEqual(props.get("Path"), {"Fn::Sub": "/ccg-site/${AWS::StackName}/"}, f"{name} {logical}")
            self.assertNotIn("RoleName", props, f"{name} {logical}: a fixed name would collide between environments")
            self.assertIn("PermissionsBoundaryArn", t["Parameters"], name)
        for name, t in (("infra/template.yaml", self.site), ("infra/web-acl.yaml", self.edge)):
            for logical, r in t["Resources"].items():
                self.assertNotIn(r["Type"], ("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Policy"), f"{name} {logical}")

    def test_the_execution_role_makes_roles_only_inside_the_boundary(self):
        role = SAMPLES["AWS::IAM::Role"]
        edge_role = f"arn:aws:iam::{ACCOUNT}:role/ccg-site/{STACK}-edge/{STACK}-edge-OriginRole-X"
        with_boundary = {"iam:PermissionsBoundary": BOUNDARY}
        for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"):
            self.assertTrue(self.execution.allows(action, role, with_boundary), action)
            self.assertTrue(self.execution.allows(action, edge_role, with_boundary), action)
            self.assertFalse(self.execution.allows(action, role), f"{action} without a boundary")
            other = {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/other"}
            self.assertFalse(self.execution.allows(action, role, other), f"{action} with another boundary")
            for elsewhere in (
                f"arn:aws:iam::{ACCOUNT}:role/{STACK}-RegisterRole-X",  # no path: the old pattern role/ccg-*
                f"arn:aws:iam::{ACCOUNT}:role/ccg-site/staging-ccg/staging-ccg-RegisterRole-X",  # another environment
                f"arn:aws:iam::{ACCOUNT}:role/ccg-site/{STACK}-pipeline/x",
                f"arn:aws:iam::{ACCOUNT}:role/admin",
            ):
                self.assertFalse(self.execution.allows(action, elsewhere, with_boundary), f"{action} on {elsewhere}")
        for action in ("iam:DeleteRolePermissionsBoundary", "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
                       "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"):
            for resource in (role, BOUNDARY, f"arn:aws:iam::{ACCOUNT}:user/x"):
                self.assertFalse(self.execution.allows(action, resource, with_boundary), f"{action} on {resource}")

    def test_the_pipeline_roles_and_the_boundary_cannot_be_changed(self):
        actions = sorted(a for a in iam_actions() if a.startswith("iam:"))
        self.assertGreater(len(actions), 100)
        for arn in (PARAMS["CloudFormationExecutionRole.Arn"], PARAMS["GitHubDeployRole.Arn"], BOUNDARY):
            for action in actions:
                self.assertFalse(self.execution.allows(action, arn, {"iam:PermissionsBoundary": BOUNDARY}), f"{action} on {arn}")
        for name in ("CloudFormationExecutionRole", "GitHubDeployRole"):
            self.assertEqual(self.r[name]["Properties"]["Path"], "/ccg-pipeline/", name)
        self.assertEqual(self.r["FunctionBoundary"]["Properties"]["Path"], "/ccg-pipeline/")

    def test_no_administrator_policy_and_roles_passed_only_to_their_services(self):
        role = SAMPLES["AWS::IAM::Role"]
        ctx = {"iam:PermissionsBoundary": BOUNDARY}
        for policy in ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AmazonDynamoDBFullAccess", "job-function/Billing"):
            self.assertFalse(self.execution.allows("iam:AttachRolePolicy", role, {**ctx, "iam:PolicyARN": f"arn:aws:iam::aws:policy/{policy}"}), policy)
        self.assertFalse(self.execution.allows("iam:AttachRolePolicy", role, {**ctx, "iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/{STACK}-DeskPolicy-X"}))
        backup = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
        self.assertTrue(self.execution.allows("iam:AttachRolePolicy", role, {**ctx, "iam:PolicyARN": backup}))
        self.assertFalse(self.execution.allows("iam:AttachRolePolicy", role, {"iam:PolicyARN": backup}), "a role without the boundary")
        self.assertTrue(self.execution.allows("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}))
        for service in ("ec2.amazonaws.com", "cloudformation.amazonaws.com", "codebuild.amazonaws.com", "glue.amazonaws.com"):
            self.assertFalse(self.execution.allows("iam:PassRole", role, {"iam:PassedToService": service}), service)
        self.assertFalse(self.execution.allows("iam:PassRole", PARAMS["GitHubDeployRole.Arn"], {"iam:PassedToService": "lambda.amazonaws.com"}))

    def test_the_boundary_holds_no_iam_and_no_wildcard_action(self):
        doc = self.r["FunctionBoundary"]["Properties"]["PolicyDocument"]
        for stmt in as_list(doc["Statement"]):
            self.assertEqual(stmt["Effect"], "Allow")
            for action in as_list(stmt["Action"]):
                self.assertNotIn("*", action)
                self.assertFalse(action.split(":")[0] in ("iam", "sts", "organizations", "cloudformation", "lambda"), action)
            if any(r == "*" for r in as_list(stmt["Resource"])):
                self.assertTrue(set(as_list(stmt["Action"])) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                                                  "xray:GetSamplingTargets", "tag:GetResources", "cloudwatch:PutMetricData"}, stmt)
        boundary = Policy([doc])
        self.assertTrue(boundary.allows("dynamodb:PutItem", f"arn:aws:dynamodb:{A}:table/{TABLE}"))
        self.assertFalse(boundary.allows("dynamodb:PutItem", f"arn:aws:dynamodb:{A}:table/other"))
        self.assertFalse(boundary.allows("dynamodb:DeleteTable", f"arn:aws:dynamodb:{A}:table/{TABLE}"))
        self.assertFalse(boundary.allows("s3:GetObject", f"{ARTIFACTS}/x"))
        self.assertFalse(boundary.allows("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "AWS/Lambda"}))
        self.assertTrue(boundary.allows("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "CCG/Forms"}))

    def test_every_function_is_named_in_the_execution_roles_scope(self):
        functions = [n for n, r in self.site["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
        self.assertGreaterEqual(len(functions), 4)
        for logical in functions:
            arn = f"arn:aws:lambda:{A}:function:{STACK}-{logical}-AbC123"
            self.assertTrue(self.execution.allows("lambda:UpdateFunctionCode", arn), f"{logical}: add it to the Functions statement of infra/pipeline.yaml")
            self.assertFalse(self.execution.allows("lambda:UpdateFunctionCode", f"arn:aws:lambda:{A}:function:staging-{STACK}-{logical}-AbC123"))
        self.assertFalse(self.execution.allows("lambda:UpdateFunctionCode", f"arn:aws:lambda:{A}:function:{STACK}-Anything-X"))

    # 10. ------------------------------------------- the handlers' permissions
    def test_handler_permissions_file_is_the_schemas_of_the_pinned_cfn_lint(self):
        schemas = cfn_lint_schemas()
        for kind, lists in self.handlers["types"].items():
            self.assertEqual(lists, handler_lists(schemas[kind]), f"{kind}: refresh infra/tests/handler-permissions.json (see this file's docstring)")

    def test_every_resource_type_of_the_templates_has_its_handler_permissions(self):
        missing = sorted(template_types(self.site, self.edge) - set(self.handlers["types"]))
        self.assertEqual(missing, [], "refresh infra/tests/handler-permissions.json (see this file's docstring)")

    def test_the_execution_role_allows_every_handler_permission(self):
        known = iam_actions()
        used = template_types(self.site, self.edge)
        missing, not_iam = [], set()
        for kind, lists in sorted(self.handlers["types"].items()):
            service = kind.split("::")[1].lower()
            passed = PASSED_TO.get(kind.split("::")[1], "lambda.amazonaws.com")
            ctx = {
                "iam:PermissionsBoundary": BOUNDARY,
                "iam:PassedToService": passed,
                "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                "iam:AWSServiceName": "backup.amazonaws.com" if "Backup" in kind else "replicator.lambda.amazonaws.com",
            }
            for action in sorted({a for perms in lists.values() for a in perms}):
                if action.lower() not in known:
                    not_iam.add(action)
                    continue
                if action in EXEMPT or (kind, action) in EXEMPT_FOR:
                    continue
                own = action.split(":")[0].lower() in (service, service.replace("v2", ""), {"logs": "logs"}.get(service))
                if action in OTHER_RESOURCE:
                    ok = self.execution.allows(action, OTHER_RESOURCE[action], ctx)
                elif own and kind in SAMPLES:
                    ok = self.execution.allows(action, SAMPLES[kind], ctx)
                elif action == "iam:PassRole":
                    ok = self.execution.allows(action, SAMPLES["AWS::IAM::Role"], ctx)
                elif action.startswith("s3:GetObject"):
                    ok = self.execution.allows(action, f"{ARTIFACTS}/{STACK}/abc", ctx)
                else:
                    ok = self.execution.allows_somewhere(action, ctx)
                if not ok:
                    missing.append(f"{kind}: {action}" + ("" if kind in used else " (type not used yet)"))
        self.assertEqual(missing, [], "grant them in infra/pipeline.yaml, or exempt them here with the reason")
        # Names in the handler lists that IAM does not know (typos of the schemas) need nothing.
        print(f"\ntest_pipeline: {len(not_iam)} handler permission(s) IAM does not know, ignored: {', '.join(sorted(not_iam))}", file=sys.stderr)

    def test_every_exemption_is_for_a_permission_some_handler_lists(self):
        listed = {a for lists in self.handlers["types"].values() for perms in lists.values() for a in perms}
        self.assertEqual(sorted(set(EXEMPT) - listed), [])
        for (kind, action) in EXEMPT_FOR:
            self.assertIn(action, {a for perms in self.handlers["types"][kind].values() for a in perms}, kind)


def refresh():
    with open(EXPANDED, encoding="utf-8") as f:
        site = json.load(f)
    edge = load_yaml(ROOT / "infra/web-acl.yaml")
    with open(HANDLERS, encoding="utf-8") as f:
        current = json.load(f)
    schemas = cfn_lint_schemas()
    kinds = sorted(set(current["types"]) | template_types(site, edge))
    current["types"] = {k: handler_lists(schemas[k]) for k in kinds}
    with open(HANDLERS, "w", encoding="utf-8") as f:
        json.dump(current, f, indent=1)
        f.write("\n")
    print(f"{HANDLERS}: {len(kinds)} types")


if __name__ == "__main__":
    if sys.argv[1:] == ["--refresh"]:
        refresh()
    else:
        unittest.main()
