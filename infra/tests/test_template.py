"""The deployment's essentials, read from what CloudFormation will really get.

Run by scripts/check-infra.sh after it expanded infra/template.yaml with the
SAM translator into .cache/infra-template.expanded.json (the path is given
as CCG_EXPANDED_TEMPLATE). Reads openapi.yaml and infra/web-acl.yaml too: the
routes are compared with the interface, never with a list written here.
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

    def test_routes_are_the_interface(self):
        base = self.api["servers"][0]["url"].rstrip("/")
        documented = {
            (method.upper(), base + path)
            for path, item in self.api["paths"].items()
            for method in item
            if method in METHODS
        }
        (api,) = of_type(self.t, "AWS::ApiGatewayV2::Api").values()
        deployed = {
            (method.upper(), path)
            for path, item in api["Properties"]["Body"]["paths"].items()
            for method in item
            if method in METHODS
        }
        self.assertTrue(documented, "openapi.yaml documents no operation")
        self.assertEqual(sorted(deployed - documented), [], "routes in the template that openapi.yaml does not document")
        self.assertEqual(sorted(documented - deployed), [], "operations of openapi.yaml with no route in the template")

    def test_every_route_is_throttled_and_only_real_routes_are_named(self):
        (stage,) = of_type(self.t, "AWS::ApiGatewayV2::Stage").values()
        props = stage["Properties"]
        default = props["DefaultRouteSettings"]
        self.assertGreater(default["ThrottlingRateLimit"], 0)
        self.assertGreater(default["ThrottlingBurstLimit"], 0)
        (api,) = of_type(self.t, "AWS::ApiGatewayV2::Api").values()
        routes = {f"{m.upper()} {p}" for p, item in api["Properties"]["Body"]["paths"].items() for m in item if m in METHODS}
        per_route = props.get("RouteSettings", {})
        self.assertTrue(per_route, "no per-route throttling")
        for key, s in per_route.items():
            self.assertIn(key, routes, f"RouteSettings names a route that does not exist: {key}")
            self.assertGreater(s["ThrottlingRateLimit"], 0)
        for route in routes:
            if route.startswith(("POST /api/register", "POST /api/travel-claims")) and route.count("/") == 2:
                self.assertIn(route, per_route, f"{route}: a submission route without its own limit")

    def test_the_api_does_not_answer_cors_itself(self):
        (api,) = of_type(self.t, "AWS::ApiGatewayV2::Api").values()
        self.assertNotIn("x-amazon-apigateway-cors", api["Properties"]["Body"])
        self.assertNotIn("CorsConfiguration", api["Properties"])

    def test_no_wildcard_in_any_allow_statement(self):
        seen = 0
        for where, doc in policy_documents(self.t):
            for s in statements(doc):
                seen += 1
                if s["Effect"] == "Deny":
                    continue  # a Deny with a wildcard only takes away
                self.assertNotIn("NotAction", s, where)
                self.assertNotIn("NotResource", s, where)
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
        rate = [r for r in props["Rules"] if "RateBasedStatement" in r["Statement"]]
        self.assertEqual(len(rate), 1)
        rule = rate[0]["Statement"]["RateBasedStatement"]
        self.assertEqual(rule["AggregateKeyType"], "IP")
        self.assertIn("Block", rate[0]["Action"])
        scope = rule["ScopeDownStatement"]["AndStatement"]["Statements"]
        matched = {(next(iter(s["ByteMatchStatement"]["FieldToMatch"])), s["ByteMatchStatement"]["PositionalConstraint"], s["ByteMatchStatement"]["SearchString"]) for s in scope}
        self.assertEqual(matched, {("Method", "EXACTLY", "POST"), ("UriPath", "STARTS_WITH", "/api/")})

    def test_alarms_reach_someone(self):
        topics = of_type(self.t, "AWS::SNS::Topic")
        self.assertEqual(len(topics), 1)
        (topic,) = topics
        subs = [s["Properties"] for s in of_type(self.t, "AWS::SNS::Subscription").values()]
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
            ("AWS/ApiGateway", "5xx"),
            ("AWS/DynamoDB", "SystemErrors"),
            ("AWS/DynamoDB", "ReadThrottleEvents"),
            ("AWS/DynamoDB", "WriteThrottleEvents"),
        ]:
            self.assertIn(needed, watched, f"no alarm on {needed}")
        (budget,) = of_type(self.t, "AWS::Budgets::Budget").values()
        subscribers = [s for n in budget["Properties"]["NotificationsWithSubscribers"] for s in n["Subscribers"]]
        self.assertTrue(subscribers)
        for s in subscribers:
            self.assertEqual(s, {"SubscriptionType": "SNS", "Address": {"Ref": topic}})

    def test_only_cloudfront_reaches_the_functions(self):
        (dist,) = of_type(self.t, "AWS::CloudFront::Distribution").values()
        (api_origin,) = [o for o in dist["Properties"]["DistributionConfig"]["Origins"] if o["Id"] == "api"]
        (header,) = api_origin["OriginCustomHeaders"]
        lambda_rs = (ROOT / "functions/src/lambda.rs").read_text(encoding="utf-8")
        m = re.search(r'ORIGIN_HEADER: &str = "([^"]+)"', lambda_rs)
        self.assertIsNotNone(m, "functions/src/lambda.rs names the origin header as ORIGIN_HEADER")
        self.assertEqual(header["HeaderName"].lower(), m.group(1))
        functions = of_type(self.t, "AWS::Lambda::Function")
        self.assertEqual(len(functions), 2)
        for name, f in functions.items():
            env = f["Properties"]["Environment"]["Variables"]
            self.assertEqual(env["CCG_ORIGIN_SECRET"], header["HeaderValue"], f"{name} checks another value than CloudFront sends")
            # The person key: generated by AWS, resolved from its secret, never a literal.
            self.assertEqual(env["CCG_PERSON_KEY"], {"Fn::Sub": "{{resolve:secretsmanager:${PersonKey}}}"}, name)
            self.assertEqual(f["Properties"]["Architectures"], ["arm64"], name)
        for name, out in self.t.get("Outputs", {}).items():
            self.assertNotIn("execute-api", json.dumps(out), f"output {name} gives the API's own address")

    def test_every_taggable_resource_is_tagged(self):
        untaggable = {
            "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy", "AWS::CloudFront::OriginAccessControl",
            "AWS::CloudFront::Function", "AWS::CloudFront::ResponseHeadersPolicy", "AWS::SNS::TopicPolicy",
            "AWS::SNS::Subscription", "AWS::Lambda::Permission",
        }
        for name, r in self.t["Resources"].items():
            if r["Type"] in untaggable:
                continue
            props = r["Properties"]
            # An HTTP API's tags are in its OpenAPI body.
            tags = props.get("Tags") or props.get("ResourceTags") or props.get("Body", {}).get("tags")
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
