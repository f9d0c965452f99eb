"""The deployment's essentials, read from what CloudFormation will really get.

Run by scripts/check-infra.sh after it expanded infra/template.yaml with the
SAM translator into .cache/infra-template.expanded.json (the path is given
as CCG_EXPANDED_TEMPLATE). Reads openapi.yaml and infra/web-acl.yaml too: every
operation of the interface is followed through CloudFront's behaviours to the
function that answers its part of the site (FUNCTION_OF).
"""

import json
import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

import yaml
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
EXPANDED = Path(os.environ.get("CCG_EXPANDED_TEMPLATE", ROOT / ".cache/infra-template.expanded.json"))
METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
# The paths that need a session (issue 19): the sign-in function's and the
# desk's, the only ones CloudFront passes the session cookie to.
SESSION_PREFIXES = ("/sign-in", "/account", "/desk", "/members")
# The desk's pages, its own function's (issue 20): the desk's rights stay off the sign-in function.
DESK_PREFIX = "/desk"
# The two that only ever read or list: each in its own statement, and only the desk's.
LISTING = {"dynamodb:Scan", "dynamodb:Query"}
SHARED_FILES = {"Fn::Sub": "${DocumentsBucket.Arn}/shared/*"}
# The desk's browser uploads to the repository, until it adds them (service::shared_uploads).
INCOMING_FILES = {"Fn::Sub": "${DocumentsBucket.Arn}/incoming/shared/*"}
# The indexes' partitions of the members' repository: the one list the account function may Query.
SHARED_PARTITIONS = ["SHARED", "SHARED#*"]
INDEXES = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/index/*"
SESSION_COOKIE = "__Host-ccg_session"
# CloudFront's managed cache policies that put no cookie in the cache key (nor
# pass one on): CachingOptimized, CachingDisabled.
COOKIELESS_CACHE_POLICIES = {"658327ea-f89d-4fab-a63d-7e88639e58f6", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# Which function answers which part of the site (functions/src/routes.rs,
# `Route::form`; functions/src/http/mod.rs, `Serves`): a leave link is
# answered by both forms' functions, and sent to the travel claim's.
FUNCTION_OF = {
    "/api/register": "RegisterFunction",
    "/api/invitations": "RegisterFunction",
    "/api/travel-claims": "TravelClaimFunction",
    "/api/leave": "TravelClaimFunction",
    "/sign-in": "AccountFunction",
    "/account": "AccountFunction",
    "/members": "AccountFunction",
    "/desk": "DeskFunction",
}
# X-Ray's two write actions have no resource type: IAM takes only "*" for
# them. The one Allow with a wildcard, and only for exactly these two.
TRACING = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Functions that answer no request of the site: invoked by AWS only (SNS).
NOT_HTTP = {"MailEventsFunction", "DailyFunction"}


def load_expanded():
    with open(EXPANDED, encoding="utf-8") as f:
        return json.load(f)


def of_type(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def strings(value):
    """Every string inside a value, intrinsic functions included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)


def as_list(value):
    return value if isinstance(value, list) else [value]


def policy_documents(template):
    """(where, document) of every IAM policy document in the template."""
    for name, r in template["Resources"].items():
        props = r.get("Properties", {})
        kind = r["Type"]
        if kind == "AWS::IAM::Role":
            yield f"{name} (trust)", props["AssumeRolePolicyDocument"]
            for p in props.get("Policies", []):
                yield f"{name}/{p['PolicyName']}", p["PolicyDocument"]
        elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            yield name, props["PolicyDocument"]
        elif kind in ("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"):
            yield name, props["PolicyDocument"]


def statements(doc):
    """A statement list, each branch of an Fn::If included."""
    stmts = doc["Statement"]
    if isinstance(stmts, dict) and "Fn::If" in stmts:
        stmts = stmts["Fn::If"][1] + stmts["Fn::If"][2]
    return as_list(stmts)


class Template(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = load_expanded()
        with open(ROOT / "openapi.yaml", encoding="utf-8") as f:
            cls.api = yaml.safe_load(f)
        with open(ROOT / "infra/web-acl.yaml", encoding="utf-8") as f:
            cls.acl = yaml_parse(f.read())
        with open(ROOT / "infra/template.yaml", encoding="utf-8") as f:
            cls.source = yaml_parse(f.read())

    def function_of_origin(self, origin):
        """The logical id of the function whose URL an origin is, or None (the site's bucket)."""
        domain = origin["DomainName"]
        if not (isinstance(domain, dict) and "Fn::Select" in domain):
            return None
        index, split = domain["Fn::Select"]
        self.assertEqual(index, 2, origin["Id"])
        separator, url = split["Fn::Split"]
        self.assertEqual(separator, "/", origin["Id"])
        (url_id, attribute) = url["Fn::GetAtt"]
        self.assertEqual(attribute, "FunctionUrl", origin["Id"])
        target = self.t["Resources"][url_id]
        self.assertEqual(target["Type"], "AWS::Lambda::Url", origin["Id"])
        (function, arn) = target["Properties"]["TargetFunctionArn"]["Fn::GetAtt"]
        self.assertEqual(arn, "Arn")
        return function

    def behaviour_for(self, path):
        """The cache behaviour CloudFront picks for a path: the first whose pattern matches, else the default."""
        dist = self.distribution()
        for b in dist["CacheBehaviors"]:
            pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in b["PathPattern"])
            if re.fullmatch(pattern, path):
                return b
        return dist["DefaultCacheBehavior"]

    def function_for(self, path):
        """The function CloudFront sends a path to, or None (the site's bucket)."""
        target = self.behaviour_for(path)["TargetOriginId"]
        (origin,) = [o for o in self.distribution()["Origins"] if o["Id"] == target]
        return self.function_of_origin(origin)

    def documented(self):
        """Every (METHOD, path) openapi.yaml documents, under its server's base."""
        ops = set()
        for path, item in self.api["paths"].items():
            for method, op in item.items():
                if method not in METHODS:
                    continue
                servers = op.get("servers") or item.get("servers") or self.api["servers"]
                ops.add((method.upper(), servers[0]["url"].rstrip("/") + path))
        return ops

    def test_routes_are_the_interface(self):
        # Every operation of openapi.yaml reaches, through CloudFront, the
        # function that answers it (FUNCTION_OF), with its method allowed;
        # each function answers the paths of its part and 404 to the rest.
        ops = self.documented()
        self.assertTrue(ops, "openapi.yaml documents no operation")
        for method, path in sorted(ops):
            owner = [fn for prefix, fn in FUNCTION_OF.items() if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?")]
            self.assertEqual(len(owner), 1, f"{method} {path}: no part of the site (FUNCTION_OF) claims it")
            self.assertEqual(self.function_for(path), owner[0], f"{method} {path}: CloudFront sends it elsewhere")
            self.assertIn(method, self.behaviour_for(path)["AllowedMethods"], f"{method} {path}")
            if not path.startswith("/api/"):
                self.assertIn(method, ("GET", "POST"), path)
                self.assertTrue(path.startswith(tuple(p + "/" for p in SESSION_PREFIXES)), f"{method} {path}: documented outside /api and outside the session paths")
        # Every part is documented or a session prefix (no behaviour for a part the interface lacks).
        documented_parts = {prefix for prefix in FUNCTION_OF for _, path in ops if path == prefix or path.startswith(prefix + "/")}
        self.assertEqual(set(FUNCTION_OF) - documented_parts - set(SESSION_PREFIXES), set(), "a part of FUNCTION_OF that openapi.yaml does not document")

    def test_session_paths_go_whole_to_the_account_function_and_the_desk_to_its_own(self):
        for prefix in SESSION_PREFIXES:
            want = "DeskFunction" if prefix == DESK_PREFIX else "AccountFunction"
            for tail in ("/", "/anything", "/a/b/c?x=1"):
                self.assertEqual(self.function_for(prefix + tail), want, prefix + tail)
        # ...and nothing else reaches them: /api/ is the forms'; the bare prefixes are the site's redirect.
        for path in ("/api/register", "/api/leave", "/api/unknown", "/sign-in", "/desk", "/index.html", "/sign-in-help/"):
            self.assertNotIn(self.function_for(path), ("AccountFunction", "DeskFunction"), path)
        self.assertEqual(self.function_for("/api/unknown/path"), "RegisterFunction", "an unknown /api/ path gets a function's 404")

    def test_no_wildcard_in_any_allow_statement(self):
        seen = 0
        for where, doc in policy_documents(self.t):
            for s in statements(doc):
                seen += 1
                if s["Effect"] == "Deny":
                    continue  # a Deny with a wildcard only takes away
                self.assertNotIn("NotAction", s, where)
                self.assertNotIn("NotResource", s, where)
                if set(as_list(s["Action"])) == TRACING and s["Resource"] == "*" and "Condition" not in s:
                    continue
                for action in as_list(s.get("Action", [])):
                    self.assertNotIn("*", action, f"{where}: wildcard action {action!r}")
                for resource in as_list(s.get("Resource", [])):
                    for text in strings(resource):
                        self.assertNotEqual(text.strip(), "*", f"{where}: Resource '*'")
                principal = s.get("Principal")
                if principal is not None:
                    self.assertNotEqual(principal, "*", f"{where}: Allow to everyone")
                    self.assertNotIn("*", list(strings(principal)), f"{where}: Allow to everyone")
        self.assertGreater(seen, 10)

    def test_table_is_protected(self):
        (table,) = of_type(self.t, "AWS::DynamoDB::Table").values()
        props = table["Properties"]
        self.assertIs(props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], True)
        self.assertIs(props["DeletionProtectionEnabled"], True)
        self.assertEqual(table["DeletionPolicy"], "Retain")
        self.assertEqual(table["UpdateReplacePolicy"], "Retain")
        self.assertEqual(props["TableName"], {"Ref": "TableName"})
        self.assertEqual(props["TimeToLiveSpecification"], {"AttributeName": "expires_at", "Enabled": True})

    def test_table_indexes_are_the_desks(self):
        # The indexes' names and keys are compared with the code's
        # (functions/src/store/dynamo/index.rs) by functions/tests/it/lists/table.rs.
        (table,) = of_type(self.t, "AWS::DynamoDB::Table").values()
        props = table["Properties"]
        defined = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        indexes = props["GlobalSecondaryIndexes"]
        self.assertEqual(sorted(i["IndexName"] for i in indexes), ["about", "lists"])
        for i in indexes:
            self.assertEqual(i["Projection"], {"ProjectionType": "ALL"}, i["IndexName"])
            self.assertEqual([k["KeyType"] for k in i["KeySchema"]], ["HASH", "RANGE"], i["IndexName"])
            for k in i["KeySchema"]:
                self.assertEqual(defined.get(k["AttributeName"]), "S", i["IndexName"])
        used = {k["AttributeName"] for i in indexes for k in i["KeySchema"]} | {"pk"}
        self.assertEqual(set(defined), used, "an attribute defined and in no key")
        # The desk (the command) queries the indexes and nothing else with Query.
        desk = [s for s in statements(self.t["Resources"]["DeskPolicy"]["Properties"]["PolicyDocument"]) if "dynamodb:Query" in as_list(s["Action"])]
        self.assertEqual(len(desk), 1)
        self.assertEqual(as_list(desk[0]["Action"]), ["dynamodb:Query"])
        self.assertEqual(
            desk[0]["Resource"], {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/index/*"}
        )

    def test_web_acl_is_on_by_default(self):
        params = self.t["Parameters"]
        self.assertNotIn("Default", params["WebAclArn"], "the web ACL must not be left out by forgetting a parameter")
        (dist,) = of_type(self.t, "AWS::CloudFront::Distribution").values()
        acl = dist["Properties"]["DistributionConfig"]["WebACLId"]
        self.assertEqual(acl, {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]})
        (web_acl,) = of_type(self.acl, "AWS::WAFv2::WebACL").values()
        props = web_acl["Properties"]
        self.assertEqual(props["Scope"], "CLOUDFRONT")
        managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in props["Rules"] if "ManagedRuleGroupStatement" in r["Statement"]}
        self.assertIn("AWSManagedRulesCommonRuleSet", managed)
        rate = [r for r in props["Rules"] if r["Statement"].get("RateBasedStatement", {}).get("AggregateKeyType") == "IP"]
        self.assertEqual(len(rate), 1)
        rule = rate[0]["Statement"]["RateBasedStatement"]
        self.assertEqual(rule["AggregateKeyType"], "IP")
        self.assertIn("Block", rate[0]["Action"])
        method, paths = rule["ScopeDownStatement"]["AndStatement"]["Statements"]

        def match(s):
            b = s["ByteMatchStatement"]
            return (next(iter(b["FieldToMatch"])), b["PositionalConstraint"], b["SearchString"])

        self.assertEqual(match(method), ("Method", "EXACTLY", "POST"))
        matched = {match(s) for s in paths["OrStatement"]["Statements"]}
        want = {("UriPath", "STARTS_WITH", p + "/") for p in ("/api",) + SESSION_PREFIXES}
        self.assertEqual(matched, want, "the per-address rate rule counts POSTs to the forms and to the session paths")

    def test_alarms_reach_someone(self):
        # The alarms' topic: the one an address subscribes to (the other carries SES's events to mail-events).
        subs = [s["Properties"] for s in of_type(self.t, "AWS::SNS::Subscription").values()]
        emailed = [s["TopicArn"]["Ref"] for s in subs if s["Protocol"] == "email"]
        self.assertEqual(len(emailed), 1)
        (topic,) = emailed
        self.assertIn(topic, of_type(self.t, "AWS::SNS::Topic"))
        self.assertIn({"TopicArn": {"Ref": topic}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}, subs)
        self.assertNotIn("Default", self.t["Parameters"]["AlarmEmail"])
        watched = set()
        for name, alarm in of_type(self.t, "AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            self.assertEqual(props["AlarmActions"], [{"Ref": topic}], name)
            if "MetricName" in props:
                watched.add((props["Namespace"], props["MetricName"]))
            for m in props.get("Metrics", []):
                if "MetricStat" in m:
                    watched.add((m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"]))
        for needed in [
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Throttles"),
            ("AWS/Lambda", "Url5xxCount"),
            ("AWS/DynamoDB", "SystemErrors"),
            ("AWS/DynamoDB", "ReadThrottleEvents"),
            ("AWS/DynamoDB", "WriteThrottleEvents"),
        ]:
            self.assertIn(needed, watched, f"no alarm on {needed}")
        # The budget is the us-east-1 edge stack's (infra/tests/test_edge.py): AWS::Budgets::Budget is not in every EU region.
        self.assertEqual(of_type(self.t, "AWS::Budgets::Budget"), {})

    def test_only_cloudfront_reaches_the_functions(self):
        origins = [o for o in self.distribution()["Origins"] if self.function_of_origin(o)]
        self.assertEqual(sorted(self.function_of_origin(o) for o in origins), ["AccountFunction", "DeskFunction", "RegisterFunction", "TravelClaimFunction"])
        (header,) = origins[0]["OriginCustomHeaders"]
        for o in origins:
            self.assertEqual(o["OriginCustomHeaders"], [header], f"{o['Id']}: another origin header than the others")
        lambda_rs = (ROOT / "functions/src/lambda/edge.rs").read_text(encoding="utf-8")
        m = re.search(r'ORIGIN_HEADER: &str = "([^"]+)"', lambda_rs)
        self.assertIsNotNone(m, "functions/src/lambda/edge.rs names the origin header as ORIGIN_HEADER")
        self.assertEqual(header["HeaderName"].lower(), m.group(1))
        functions = {n: f for n, f in of_type(self.t, "AWS::Lambda::Function").items() if n not in NOT_HTTP}
        self.assertEqual(sorted(functions), ["AccountFunction", "DeskFunction", "RegisterFunction", "TravelClaimFunction"])
        # What answers no request may be invoked by its topic alone (mail-events),
        # or by no resource policy at all (daily: its schedule's role invokes it).
        invokers = {"MailEventsFunction": [("sns.amazonaws.com", {"Ref": "MailEventsTopic"})], "DailyFunction": []}
        self.assertEqual(set(invokers), NOT_HTTP)
        for name in NOT_HTTP:
            perms = [p["Properties"] for p in of_type(self.t, "AWS::Lambda::Permission").values() if p["Properties"]["FunctionName"] == {"Ref": name}]
            self.assertEqual([(p["Principal"], p["SourceArn"]) for p in perms], invokers[name], name)
        # The sign-in and desk functions run with what the forms' functions
        # run with; the register function alone has no documents bucket (the
        # account function reads the members' repository's files, shared/, only).
        env = lambda name: functions[name]["Properties"]["Environment"]
        account = dict(env("AccountFunction")["Variables"])
        self.assertEqual(account.pop("CCG_DOCUMENTS_BUCKET"), {"Ref": "DocumentsBucket"})
        self.assertEqual({"Variables": account}, env("RegisterFunction"))
        self.assertEqual(env("DeskFunction"), env("TravelClaimFunction"))
        for key in ("Runtime", "Architectures", "Handler", "MemorySize", "Timeout"):
            for name in ("AccountFunction", "DeskFunction"):
                if (name, key) == ("DeskFunction", "MemorySize"):
                    # Adding a shared document reads and puts back up to 20 MB.
                    self.assertEqual(functions[name]["Properties"][key], 256)
                    continue
                self.assertEqual(functions[name]["Properties"][key], functions["RegisterFunction"]["Properties"][key], f"{name}: {key}")
        for name, f in functions.items():
            env = f["Properties"]["Environment"]["Variables"]
            self.assertEqual(env["CCG_ORIGIN_SECRET"], header["HeaderValue"], f"{name} checks another value than CloudFront sends")
            # The person key: generated by AWS, resolved from its secret, never a literal.
            self.assertEqual(env["CCG_PERSON_KEY"], {"Fn::Sub": "{{resolve:secretsmanager:${PersonKey}}}"}, name)
            self.assertEqual(f["Properties"]["Architectures"], ["arm64"], name)
        for name, out in self.t.get("Outputs", {}).items():
            self.assertNotIn("FunctionUrl", json.dumps(out), f"output {name} gives a function's own address")

    def distribution(self):
        (dist,) = of_type(self.t, "AWS::CloudFront::Distribution").values()
        return dist["Properties"]["DistributionConfig"]

    def origin_request_policy(self, behaviour):
        """The origin request policy's config, or None; a managed one (an id) is refused: its cookies are not known here."""
        ref = behaviour.get("OriginRequestPolicyId")
        if ref is None:
            return None
        self.assertIsInstance(ref, dict, f"{behaviour.get('PathPattern', 'default')}: a managed origin request policy; use one of the template's, whose cookies are checked")
        resource = self.t["Resources"][ref["Ref"]]
        self.assertEqual(resource["Type"], "AWS::CloudFront::OriginRequestPolicy")
        return resource["Properties"]["OriginRequestPolicyConfig"]

    def test_session_paths_pass_the_session_cookie_alone_and_are_never_cached(self):
        dist = self.distribution()
        by_pattern = {b["PathPattern"]: b for b in dist["CacheBehaviors"]}
        api = by_pattern["/api/*"]
        function_origins = {o["Id"] for o in dist["Origins"] if self.function_of_origin(o)}
        for prefix in SESSION_PREFIXES:
            b = by_pattern.get(prefix + "/*")
            self.assertIsNotNone(b, f"no cache behaviour for {prefix}/*")
            self.assertIn(b["TargetOriginId"], function_origins, prefix)
            self.assertEqual(b["CachePolicyId"], CACHING_DISABLED, f"{prefix}/* may be cached")
            self.assertEqual(b["ViewerProtocolPolicy"], "https-only", prefix)
            for key in ("AllowedMethods", "ResponseHeadersPolicyId"):
                self.assertEqual(b[key], api[key], f"{prefix}/*: {key} differs from /api/*")
            self.assertNotIn("FunctionAssociations", b, f"{prefix}/*: the directory function would rewrite /sign-in/ to an S3 key")
            self.assertNotIn("ForwardedValues", b, prefix)
            policy = self.origin_request_policy(b)
            self.assertEqual(policy["CookiesConfig"], {"CookieBehavior": "whitelist", "Cookies": [SESSION_COOKIE]}, prefix)
            self.assertEqual(policy["QueryStringsConfig"], {"QueryStringBehavior": "all"}, f"{prefix}/*: ?token= must reach the function")
            self.assertEqual(policy["HeadersConfig"], {"HeaderBehavior": "allExcept", "Headers": ["Host"]}, prefix)
        # The function refuses what lacks the origin header: every function's origin carries it.
        for o in dist["Origins"]:
            if o["Id"] in function_origins:
                self.assertEqual([h["HeaderName"] for h in o["OriginCustomHeaders"]], ["X-Ccg-Origin-Verify"], o["Id"])
        # The CSP lets the passkeys' fetches reach the site itself.
        csp = json.dumps(self.t["Resources"]["SecurityHeadersPolicy"]["Properties"])
        self.assertRegex(csp, r"connect-src 'self'[;\s]")
        # The claims' and the desk's upload forms post straight to the documents bucket, at the address files::s3 gives them.
        self.assertIn("form-action 'self' https://${DocumentsBucket}.s3.${AWS::Region}.amazonaws.com;", csp)
        # The session cookie is a __Host- cookie: it needs https, and its name is the one the function sets.
        self.assertTrue(SESSION_COOKIE.startswith("__Host-"))

    def test_no_other_path_gets_a_cookie(self):
        dist = self.distribution()
        default = dist["DefaultCacheBehavior"]
        self.assertIn(default["CachePolicyId"], COOKIELESS_CACHE_POLICIES, "the static site's cache policy may key on cookies")
        self.assertNotIn("ForwardedValues", default)
        self.assertIsNone(self.origin_request_policy(default), "the static site passes a request policy (cookies?) to S3")
        for b in dist["CacheBehaviors"]:
            pattern = b["PathPattern"]
            self.assertNotIn("ForwardedValues", b, pattern)
            policy = self.origin_request_policy(b)
            if any(pattern == p + "/*" for p in SESSION_PREFIXES):
                continue
            self.assertIsNotNone(policy, pattern)
            self.assertEqual(policy["CookiesConfig"], {"CookieBehavior": "none"}, f"{pattern} passes cookies on")
            self.assertIn(b["CachePolicyId"], COOKIELESS_CACHE_POLICIES, pattern)

    def allows(self, role):
        docs = [p["PolicyDocument"] for p in self.t["Resources"][role]["Properties"]["Policies"]]
        return [s for d in docs for s in statements(d) if s["Effect"] == "Allow"]

    def assert_own_logs_and_role(self, function, role, log_group):
        (logs,) = [s for s in self.allows(role) if "logs:PutLogEvents" in as_list(s["Action"])]
        self.assertEqual(logs["Resource"], {"Fn::GetAtt": [log_group, "Arn"]})
        fn = self.t["Resources"][function]["Properties"]
        self.assertEqual(fn["Role"], {"Fn::GetAtt": [role, "Arn"]})
        self.assertEqual(fn["LoggingConfig"], {"LogGroup": {"Ref": log_group}})

    def assert_mail_and_documents_as_the_forms(self, stmts):
        for s in stmts:
            if "ses:SendEmail" in as_list(s["Action"]):
                self.assertEqual(s["Condition"], {"StringEquals": {"ses:FromAddress": {"Ref": "MailFromAddress"}}})
            if any(a.startswith("s3:") for a in as_list(s["Action"])) and s["Resource"] not in (SHARED_FILES, INCOMING_FILES):
                self.assertEqual(as_list(s["Action"]), ["s3:GetObject"], "the desk reads documents, and only that")
                self.assertEqual(s["Resource"], {"Fn::Sub": "${DocumentsBucket.Arn}/claims/*"})

    def shared_files_rights(self, role, files=SHARED_FILES):
        """The S3 actions a role has on the members' repository's files (shared/*), or on `files`."""
        return {a for s in self.allows(role) if s["Resource"] == files for a in as_list(s["Action"])}

    @staticmethod
    def wide(stmts):
        return {t for s in stmts for r in as_list(s["Resource"]) for t in strings(r) if "*" in t}

    def test_account_role_asks_for_nothing_the_forms_roles_do_not_have_nor_anything_of_the_desks(self):
        account = self.allows("AccountRole")
        forms = self.allows("RegisterRole") + self.allows("TravelClaimRole")
        # Beyond the forms': the members' repository (its files, its list's index partitions; checked below).
        repository = {SHARED_FILES["Fn::Sub"], INDEXES}
        self.assertLessEqual(self.wide(account), self.wide(forms) | repository, "AccountRole: a resource with * that the forms' roles do not have")
        actions = {a for s in account for a in as_list(s["Action"])}
        self.assertLessEqual(
            actions,
            {
                "logs:CreateLogStream", "logs:PutLogEvents", "ses:SendEmail",
                "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
                "dynamodb:Query", "dynamodb:BatchGetItem", "s3:GetObject",
            } | TRACING,
        )
        # The members' repository: its files read (a download's presigned GET), nothing else of the bucket.
        self.assertEqual(self.shared_files_rights("AccountRole"), {"s3:GetObject"})
        for s in account:
            if "dynamodb:Query" in as_list(s["Action"]):
                self.assertEqual(as_list(s["Action"]), ["dynamodb:Query"])
                self.assertIn(
                    s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
                    [SHARED_PARTITIONS, ["CONTACT#confirmed", "CONTACT#approved"]],
                    "the repository's list and the directory's partitions only",
                )
            if any(a.startswith("s3:") for a in as_list(s["Action"])):
                self.assertEqual(s["Resource"], SHARED_FILES, "no claim's document")
        env = self.t["Resources"]["AccountFunction"]["Properties"]["Environment"]["Variables"]
        self.assertEqual(env["CCG_DOCUMENTS_BUCKET"], {"Ref": "DocumentsBucket"})
        reached = set()
        for s in account:
            # The repository's Query is checked below: its partitions are the indexes', not items' prefixes.
            if any(a.startswith("dynamodb:") for a in as_list(s["Action"])) and as_list(s["Action"]) != ["dynamodb:Query"]:
                keys = s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                self.assertTrue(keys and all(k.endswith("#*") and k.count("*") == 1 for k in keys), keys)
                reached |= set(keys)
                # Who is staff is the desk's to change: sign-in only reads it.
                if "STAFF#*" in keys:
                    self.assertEqual(as_list(s["Action"]), ["dynamodb:GetItem"], keys)
        # Members withdraw their own claims and leave as the forms' links do; a claim's reference
        # and the staff records stay the desk's (STAFF# is read only, above).
        self.assertNotIn("REF#*", reached)
        forms_keys = set()
        for st in forms:
            cond = st.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
            if cond:
                forms_keys |= set(as_list(cond))
        own = {"SIGNIN#*", "SESSION#*", "PASSKEY#*", "CEREMONY#*", "ACCOUNT#*", "STAFF#*", "SHARED#*", "INVSEND#*"}
        self.assertLessEqual(reached, forms_keys | own, "AccountRole reaches an item kind neither the forms nor sign-in have")
        self.assertIn("SESSION#*", reached)
        self.assert_mail_and_documents_as_the_forms(account)
        self.assert_own_logs_and_role("AccountFunction", "AccountRole", "AccountLogGroup")

    def test_desk_role_has_what_desk_policy_has_and_no_more(self):
        desk = self.allows("DeskFunctionRole")
        policy = self.t["Resources"]["DeskPolicy"]["Properties"]["PolicyDocument"]
        granted = {(a, json.dumps(r, sort_keys=True)) for s in statements(policy) for a in as_list(s["Action"]) for r in as_list(s["Resource"])}
        index = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/index/*"}
        forms = self.allows("RegisterRole") + self.allows("TravelClaimRole")
        self.assertLessEqual(
            self.wide(desk),
            self.wide(forms) | {index["Fn::Sub"], SHARED_FILES["Fn::Sub"], INCOMING_FILES["Fn::Sub"]},
            "DeskFunctionRole: a resource with * beyond the forms', the table's indexes, shared/ and incoming/shared/",
        )
        for s in desk:
            for a in as_list(s["Action"]):
                if a.startswith("logs:") or a in TRACING:
                    continue
                for r in as_list(s["Resource"]):
                    # As the other functions' roles: the configuration set the functions send with, the sandbox's recipients.
                    if a == "ses:SendEmail" and isinstance(r, dict) and "Fn::If" in r:
                        self.assertIn(r["Fn::If"][0], ("HasSesConfigurationSet", "InSesSandbox"))
                        continue
                    if a == "dynamodb:Query":
                        self.assertEqual(r, index, "the desk Queries the table's indexes only")
                        continue
                    self.assertIn((a, json.dumps(r, sort_keys=True)), granted, f"DeskFunctionRole: {a} on {r}, which DeskPolicy does not grant")
        actions = {a for s in desk for a in as_list(s["Action"])}
        self.assertLessEqual(LISTING, actions, "the desk's lists")
        claims_files = {a for s in desk if s["Resource"] not in (SHARED_FILES, INCOMING_FILES) for a in as_list(s["Action"])}
        self.assertNotIn("s3:DeleteObject", claims_files, "deleting claims' documents stays the command's (desk sweep)")
        self.assertEqual(self.shared_files_rights("DeskFunctionRole"), {"s3:PutObject", "s3:DeleteObject"}, "the repository's files: written and deleted")
        # Its uploads from the browser: put by the form the role signs (S3 allows what the signer may), read and deleted by the desk.
        self.assertEqual(self.shared_files_rights("DeskFunctionRole", INCOMING_FILES), {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"})
        for role in ("AccountRole", "RegisterRole", "TravelClaimRole"):
            self.assertEqual(self.shared_files_rights(role, INCOMING_FILES), set(), f"{role}: the desk's uploads are the desk's")
        # `desk sweep` lists them to delete those never added.
        (listing,) = [s for s in statements(policy) if "s3:ListBucket" in as_list(s["Action"])]
        self.assertIn("incoming/shared/*", as_list(listing["Condition"]["StringLike"]["s3:prefix"]))
        self.assert_mail_and_documents_as_the_forms(desk)
        self.assert_own_logs_and_role("DeskFunction", "DeskFunctionRole", "DeskLogGroup")

    def test_only_the_desk_scans_or_queries(self):
        for where, doc in policy_documents(self.t):
            if where.startswith(("DeskFunctionRole/", "DeskPolicy")):
                continue
            for s in statements(doc):
                if s["Effect"] != "Allow":
                    continue
                # The members' repository's list and the directory, from their own partitions of the indexes only.
                if where == "AccountRole/table" and as_list(s["Action"]) == ["dynamodb:Query"]:
                    self.assertEqual(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], SHARED_PARTITIONS)
                    continue
                if where == "AccountRole/members" and as_list(s["Action"]) == ["dynamodb:Query"]:
                    self.assertEqual(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], ["CONTACT#confirmed", "CONTACT#approved"])
                    continue
                # The daily job (desk sweep's work): the sweep reads the table whole (a Scan of the table
                # alone, its own statement), a round its sends, answers and unsubscriptions from the
                # invitations' partitions of the indexes only (infra/tests/test_backup.py).
                if where == "DailyRole/table" and as_list(s["Action"]) == ["dynamodb:Scan"]:
                    self.assertEqual(s["Resource"], {"Fn::Sub": INDEXES.removesuffix("/index/*")})
                    continue
                if where == "DailyRole/table" and as_list(s["Action"]) == ["dynamodb:Query"]:
                    self.assertEqual(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], ["INVSEND#*", "INVANS#*", "UNSUB"])
                    continue
                self.assertEqual(LISTING & set(as_list(s.get("Action", []))), set(), f"{where} may list the table")

    def test_every_function_is_alarmed(self):
        functions = set(of_type(self.t, "AWS::Lambda::Function"))
        for metric in ("Errors", "Throttles"):
            watched = set()
            for alarm in of_type(self.t, "AWS::CloudWatch::Alarm").values():
                for m in alarm["Properties"].get("Metrics", []):
                    stat = m.get("MetricStat", {}).get("Metric", {})
                    if stat.get("Namespace") == "AWS/Lambda" and stat.get("MetricName") == metric:
                        watched |= {d["Value"]["Ref"] for d in stat["Dimensions"] if d["Name"] == "FunctionName"}
            self.assertEqual(watched, functions, f"functions without an alarm on {metric}")
        # A metric fetched but left out of the alarm's expression watches nothing.
        for name, alarm in of_type(self.t, "AWS::CloudWatch::Alarm").items():
            metrics = alarm["Properties"].get("Metrics", [])
            (expression,) = [m["Expression"] for m in metrics if "Expression" in m] or [None]
            for m in metrics:
                if "MetricStat" in m:
                    self.assertRegex(expression, rf"\b{m['Id']}\b", f"{name}: {m['Id']} is not in its expression")

    def test_every_taggable_resource_is_tagged(self):
        untaggable = {
            "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy", "AWS::CloudFront::OriginAccessControl",
            "AWS::CloudFront::Function", "AWS::CloudFront::ResponseHeadersPolicy", "AWS::CloudFront::OriginRequestPolicy",
            "AWS::SNS::TopicPolicy",
            "AWS::SNS::Subscription", "AWS::Lambda::Permission", "AWS::Lambda::Url",
            "AWS::SES::ConfigurationSetEventDestination", "AWS::CloudWatch::Dashboard",
            # No Tags property in CloudFormation: the daily job's schedule, the backup plan's selection.
            "AWS::Scheduler::Schedule", "AWS::Backup::BackupSelection",
        }
        for name, r in self.t["Resources"].items():
            if r["Type"] in untaggable:
                continue
            props = r["Properties"]
            tags = props.get("Tags") or props.get("ResourceTags")
            # AWS Backup names its tags after the resource.
            tags = tags or props.get("BackupVaultTags") or props.get("BackupPlanTags")
            self.assertTrue(tags, f"{name} ({r['Type']}) has no tags")
            text = json.dumps(tags)
            self.assertIn("project", text, name)

    def test_directory_redirect_stays_on_the_site(self):
        (fn,) = of_type(self.t, "AWS::CloudFront::Function").values()
        code = fn["Properties"]["FunctionCode"]
        cases = {
            "/join": ("redirect", "/join/"),
            "/join/": ("uri", "/join/index.html"),
            "/css/site.css": ("uri", "/css/site.css"),
            "//other.example/x": ("redirect", "/other.example/x/"),
            "///other.example/x": ("redirect", "/other.example/x/"),
            "//other.example": ("uri", "//other.example"),
            "/\\\\other.example/x": ("redirect", "/other.example/x/"),
            "/\\/other/x": ("redirect", "/other/x/"),
        }
        harness = code + "\nconst cases = " + json.dumps(list(cases)) + ";\n" + """
const out = {};
for (const uri of cases) {
  const r = handler({ request: { uri: uri, headers: {} } });
  out[uri] = r.statusCode ? ["redirect", r.headers.location.value] : ["uri", r.uri];
}
console.log(JSON.stringify(out));
"""
        with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
            f.write(harness)
        try:
            got = json.loads(subprocess.run(["node", f.name], check=True, capture_output=True, text=True).stdout)
        finally:
            os.unlink(f.name)
        for uri, want in cases.items():
            self.assertEqual(tuple(got[uri]), want, uri)
            if want[0] == "redirect":
                location = got[uri][1]
                self.assertTrue(location.startswith("/") and not location.startswith(("//", "/\\")), f"{uri} -> {location}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
