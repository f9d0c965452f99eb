"""The functions behind CloudFront only, the origin secret, the time-outs and
the us-east-1 edge stack (issue 22, items 4, 5, 6 and 12).

Reads the SAM-expanded site template ($CCG_EXPANDED_TEMPLATE, as
test_template.py does), infra/web-acl.yaml (the edge stack), openapi.yaml and
the Rust sources that hold the time-outs; runs the origin-request function's
inline code with node.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import tempfile
import sys
import unittest
from datetime import timedelta
from pathlib import Path

import yaml
from samtranslator.yaml_helper import yaml_parse

# The shared readers of the expansion are test_template.py's (its folder is on
# the path under `unittest discover -s infra/tests`, and is put there for a direct run).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_template import as_list, of_type, strings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXPANDED = Path(os.environ.get("CCG_EXPANDED_TEMPLATE", ROOT / ".cache/infra-template.expanded.json"))
DISTRIBUTION_ARN = {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}
# Principals of functions that are not behind CloudFront (scheduled or
# event-driven ones other parts add): allowed on a function without a URL only.
EVENT_PRINCIPALS = {"events.amazonaws.com", "sns.amazonaws.com", "scheduler.amazonaws.com"}
HASH_HEADER = "x-amz-content-sha256"



def duration(text, what):
    """A Rust `Duration::from_secs(N)` / `from_millis(N)` in `text` after `what`."""
    m = re.search(re.escape(what) + r"\s*\(?\s*(?:std::time::)?Duration::from_(secs|millis)\((\d+)\)", text)
    assert m, f"no {what} Duration found"
    n = int(m.group(2))
    return timedelta(seconds=n) if m.group(1) == "secs" else timedelta(milliseconds=n)


def rust(path):
    return (ROOT / path).read_text(encoding="utf-8")


class Edge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(EXPANDED, encoding="utf-8") as f:
            cls.t = json.load(f)
        with open(ROOT / "infra/web-acl.yaml", encoding="utf-8") as f:
            cls.edge = yaml_parse(f.read())
        with open(ROOT / "openapi.yaml", encoding="utf-8") as f:
            cls.api = yaml.safe_load(f)
        (dist,) = of_type(cls.t, "AWS::CloudFront::Distribution").values()
        cls.dist = dist["Properties"]["DistributionConfig"]

    # ------------------------------------------------------------ no public invoke path
    def function_urls(self):
        """function logical id -> its AWS::Lambda::Url's logical id."""
        urls = {}
        for name, u in of_type(self.t, "AWS::Lambda::Url").items():
            (function, _) = u["Properties"]["TargetFunctionArn"]["Fn::GetAtt"]
            self.assertNotIn(function, urls, f"{function}: two URLs")
            urls[function] = name
        return urls

    def function_origins(self):
        """origin id -> the function whose URL it is."""
        urls = {url: fn for fn, url in self.function_urls().items()}
        out = {}
        for o in self.dist["Origins"]:
            text = json.dumps(o["DomainName"])
            named = [url for url in urls if f'"{url}"' in text]
            if named:
                self.assertEqual(o["DomainName"], {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": [named[0], "FunctionUrl"]}]}]}, o["Id"])
                out[o["Id"]] = urls[named[0]]
        return out

    def test_no_api_gateway_remains(self):
        kinds = {r["Type"] for r in self.t["Resources"].values()}
        self.assertEqual({k for k in kinds if k.startswith(("AWS::ApiGateway", "AWS::Serverless::"))}, set())
        self.assertNotIn("execute-api", json.dumps(self.t))
        # SAM turns a function's events into resources of their own: read them as written.
        with open(ROOT / "infra/template.yaml", encoding="utf-8") as f:
            source = yaml_parse(f.read())
        self.assertNotIn("AWS::Serverless::HttpApi", {r["Type"] for r in source["Resources"].values()})
        self.assertNotIn("Api", source.get("Globals", {}), "no API defaults left in Globals")
        for name, r in of_type(source, "AWS::Serverless::Function").items():
            for event, e in r["Properties"].get("Events", {}).items():
                self.assertNotIn(e["Type"], ("Api", "HttpApi"), f"{name}.{event}: an API Gateway event")

    def test_every_function_url_needs_iam_and_only_this_distribution_may_call(self):
        urls = self.function_urls()
        functions = set(of_type(self.t, "AWS::Lambda::Function"))
        self.assertEqual(set(urls), {"RegisterFunction", "TravelClaimFunction", "AccountFunction", "DeskFunction"})
        for name, u in of_type(self.t, "AWS::Lambda::Url").items():
            self.assertEqual(u["Properties"]["AuthType"], "AWS_IAM", name)
            self.assertNotIn("Cors", u["Properties"], f"{name}: the functions answer CORS themselves")
        granted = {fn: set() for fn in urls}
        for name, p in of_type(self.t, "AWS::Lambda::Permission").items():
            props = p["Properties"]
            fn = props["FunctionName"]["Ref"] if isinstance(props["FunctionName"], dict) else None
            self.assertIn(fn, functions, f"{name}: a permission on {props['FunctionName']}")
            if fn not in urls:
                # A function other parts add that is not behind CloudFront (a schedule, SES events): an event principal, its source named.
                self.assertIn(props["Principal"], EVENT_PRINCIPALS, name)
                self.assertEqual(props["Action"], "lambda:InvokeFunction", name)
                self.assertIn("SourceArn", props, name)
                continue
            self.assertEqual(props["Principal"], "cloudfront.amazonaws.com", name)
            self.assertEqual(props["SourceArn"], DISTRIBUTION_ARN, name)
            self.assertNotIn("SourceAccount", props, name)
            if props["Action"] == "lambda:InvokeFunctionUrl":
                self.assertEqual(props["FunctionUrlAuthType"], "AWS_IAM", name)
            else:
                self.assertEqual(props["Action"], "lambda:InvokeFunction", name)
                self.assertIs(props["InvokedViaFunctionUrl"], True, f"{name}: InvokeFunction outside the URL")
            granted[fn].add(props["Action"])
        for fn, actions in granted.items():
            self.assertEqual(actions, {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}, fn)

    def test_every_function_origin_is_signed_by_the_lambda_origin_access_control(self):
        origins = self.function_origins()
        self.assertEqual(sorted(set(origins.values())), ["AccountFunction", "DeskFunction", "RegisterFunction", "TravelClaimFunction"])
        for o in self.dist["Origins"]:
            if o["Id"] not in origins:
                continue
            ref = o.get("OriginAccessControlId")
            self.assertIsNotNone(ref, f"{o['Id']}: a function URL without the Origin Access Control")
            (oac, _) = ref["Fn::GetAtt"]
            config = self.t["Resources"][oac]["Properties"]["OriginAccessControlConfig"]
            self.assertEqual(
                (config["OriginAccessControlOriginType"], config["SigningBehavior"], config["SigningProtocol"]), ("lambda", "always", "sigv4"), o["Id"]
            )
            self.assertEqual(o["CustomOriginConfig"]["OriginProtocolPolicy"], "https-only", o["Id"])

    def test_every_function_behaviour_hashes_the_body_at_the_edge(self):
        origins = self.function_origins()
        association = [{"EventType": "origin-request", "LambdaFunctionARN": {"Ref": "OriginRequestFunctionArn"}, "IncludeBody": True}]
        behaviours = self.dist["CacheBehaviors"] + [self.dist["DefaultCacheBehavior"]]
        to_functions = [b for b in behaviours if b["TargetOriginId"] in origins]
        self.assertGreaterEqual(len(to_functions), 4)
        for b in behaviours:
            where = b.get("PathPattern", "default")
            if b["TargetOriginId"] in origins:
                self.assertEqual(b.get("LambdaFunctionAssociations"), association, where)
                self.assertIn("POST", b["AllowedMethods"], where)
                # The function URL must see its own Host (CloudFront's signature covers it).
                policy = self.t["Resources"][b["OriginRequestPolicyId"]["Ref"]]["Properties"]["OriginRequestPolicyConfig"]
                self.assertEqual(policy["HeadersConfig"], {"HeaderBehavior": "allExcept", "Headers": ["Host"]}, where)
            else:
                self.assertNotIn("LambdaFunctionAssociations", b, where)
        param = self.t["Parameters"]["OriginRequestFunctionArn"]
        self.assertNotIn("Default", param, "the origin-request function must not be left out by forgetting a parameter")
        self.assertRegex("arn:aws:lambda:us-east-1:123456789012:function:ccg-edge-origin-request:7", param["AllowedPattern"])
        self.assertNotRegex("arn:aws:lambda:us-east-1:123456789012:function:ccg-edge-origin-request", param["AllowedPattern"], "unversioned")
        self.assertNotRegex("arn:aws:lambda:eu-west-1:123456789012:function:ccg-edge-origin-request:7", param["AllowedPattern"])

    # ------------------------------------------------------------ origin secret
    def test_one_secret_version_moves_cloudfront_and_the_functions_together(self):
        params = self.t["Parameters"]
        for p in ("OriginSecretVersion", "OriginSecretPreviousVersion"):
            self.assertEqual(params[p]["Default"], "", p)
            self.assertRegex("0b7e9b28-3c5f-4a2b-9a51-5f7a2c1d9e04", params[p]["AllowedPattern"])
            self.assertNotRegex("AWSCURRENT", params[p]["AllowedPattern"], f"{p}: a stage would not change the reference's text")
        current = {
            "Fn::If": [
                "HasOriginSecretVersion",
                {"Fn::Sub": "{{resolve:secretsmanager:${OriginSecret}:SecretString:::${OriginSecretVersion}}}"},
                {"Fn::Sub": "{{resolve:secretsmanager:${OriginSecret}}}"},
            ]
        }
        previous = {"Fn::If": ["HasPreviousOriginSecret", {"Fn::Sub": "{{resolve:secretsmanager:${OriginSecret}:SecretString:::${OriginSecretPreviousVersion}}}"}, ""]}
        origins = self.function_origins()
        for o in self.dist["Origins"]:
            if o["Id"] in origins:
                self.assertEqual(o["OriginCustomHeaders"], [{"HeaderName": "X-Ccg-Origin-Verify", "HeaderValue": current}], o["Id"])
        for name, f in of_type(self.t, "AWS::Lambda::Function").items():
            env = f["Properties"]["Environment"]["Variables"]
            self.assertEqual(env["CCG_ORIGIN_SECRET"], current, name)
            self.assertEqual(env["CCG_ORIGIN_SECRET_PREVIOUS"], previous, name)
        lambda_rs = rust("functions/src/lambda/edge.rs")
        self.assertIn('ORIGIN_SECRET_VAR: &str = "CCG_ORIGIN_SECRET"', lambda_rs)
        self.assertIn('ORIGIN_SECRET_PREVIOUS_VAR: &str = "CCG_ORIGIN_SECRET_PREVIOUS"', lambda_rs)

    def test_the_runbook_rotates_the_origin_secret(self):
        readme = (ROOT / "infra/README.md").read_text(encoding="utf-8")
        m = re.search(r"^### Rotate the origin secret\n(.*?)(?=^##)", readme, re.S | re.M)
        self.assertIsNotNone(m, "infra/README.md has no runbook 'Rotate the origin secret'")
        text = m.group(1)
        self.assertNotIn("to be written", text)
        for needed in ("OriginSecretVersion", "OriginSecretPreviousVersion", "put-secret-value"):
            self.assertIn(needed, text)

    # ------------------------------------------------------------ time-outs
    def test_the_deadline_lies_between_the_worst_case_and_the_platforms_timeouts(self):
        lambda_rs = rust("functions/src/lambda/edge.rs")
        deadline = duration(lambda_rs, "REQUEST_DEADLINE: Duration =")
        store = max(duration(rust("functions/src/lambda.rs"), "store_timeout:"), duration(rust("functions/src/store/dynamo/mod.rs"), ".operation_timeout"))
        ses = duration(rust("functions/src/mail/ses.rs"), ".operation_timeout")
        s3 = duration(rust("functions/src/files/s3.rs"), ".operation_timeout")
        worst = 6 * store + ses + s3
        self.assertGreater(deadline, worst, "the deadline would cut calls that end in their own time-outs")
        timeouts = {name: f["Properties"]["Timeout"] for name, f in of_type(self.t, "AWS::Lambda::Function").items() if name in self.function_urls()}
        self.assertEqual(len(set(timeouts.values())), 1, timeouts)
        timeout = timedelta(seconds=next(iter(timeouts.values())))
        self.assertGreater(timeout, deadline, "the platform would end the function before its own 503")
        self.assertGreaterEqual(timeout - deadline, timedelta(seconds=1), "no time left to write the 503")
        origins = self.function_origins()
        for o in self.dist["Origins"]:
            if o["Id"] in origins:
                read = timedelta(seconds=o["CustomOriginConfig"]["OriginReadTimeout"])
                self.assertGreater(read, timeout, f"{o['Id']}: CloudFront would give up before the function")
                self.assertLessEqual(read, timedelta(seconds=60), f"{o['Id']}: above 60 s needs a quota increase")
        # The numbers in the comments are the ones in force.
        source = (ROOT / "infra/template.yaml").read_text(encoding="utf-8")
        self.assertIn(f"Timeout: {int(timeout.total_seconds())}", source)
        self.assertIn(f"({int(deadline.total_seconds())} s", lambda_rs)

    # ------------------------------------------------------------ the web ACL's ceilings
    def test_each_forms_email_sending_post_has_a_ceiling_for_all_callers(self):
        (acl,) = of_type(self.edge, "AWS::WAFv2::WebACL").values()
        ceilings = []
        for r in acl["Properties"]["Rules"]:
            rate = r["Statement"].get("RateBasedStatement")
            if not rate or rate["AggregateKeyType"] != "CONSTANT":
                continue
            self.assertIn("Block", r["Action"], r["Name"])
            self.assertEqual(rate["Limit"], {"Ref": "FormPostCeiling"}, r["Name"])
            method, path = rate["ScopeDownStatement"]["AndStatement"]["Statements"]
            b = method["ByteMatchStatement"]
            self.assertEqual((next(iter(b["FieldToMatch"])), b["PositionalConstraint"], b["SearchString"]), ("Method", "EXACTLY", "POST"), r["Name"])
            regex = path["RegexMatchStatement"]
            self.assertEqual(regex["FieldToMatch"], {"UriPath": {}}, r["Name"])
            ceilings.append(re.compile(regex["RegexString"]))
        submissions = [p for p, item in self.api["paths"].items() if "post" in item and (p.count("/") == 1 or p.endswith("/resend")) and p != "/leave"]
        self.assertGreaterEqual(len(submissions), 4, submissions)
        base = self.api["servers"][0]["url"].rstrip("/")
        for p in submissions + ["/sign-in/"]:
            full = (base + p) if p != "/sign-in/" else p
            for variant in {full, full.rstrip("/"), full.rstrip("/") + "/"}:
                matched = [c.pattern for c in ceilings if c.search(variant)]
                self.assertEqual(len(matched), 1, f"POST {variant}: {matched}")
        # Confirmations and the other pages stay outside every ceiling.
        for path in ("/api/register/confirm", "/api/travel-claims/confirm", "/api/travel-claims/withdraw", "/sign-in/passkey", "/api/registerx"):
            self.assertEqual([c.pattern for c in ceilings if c.search(path)], [], path)
        param = self.edge["Parameters"]["FormPostCeiling"]
        self.assertGreaterEqual(param["MinValue"], 10, "WAF's smallest rate limit")

    # ------------------------------------------------------------ the budget
    def test_the_budget_is_the_edge_stacks_per_environment(self):
        self.assertEqual(of_type(self.t, "AWS::Budgets::Budget"), {}, "AWS::Budgets::Budget does not exist in eu-north-1, eu-south-1, eu-south-2")
        params = self.edge["Parameters"]
        self.assertEqual(params["MonthlyBudgetUsd"]["Type"], "Number")
        self.assertEqual(params["MonthlyBudgetUsd"]["Default"], 20)
        self.assertNotIn("Default", params["AlarmEmail"])
        self.assertIn("Environment", params)
        (budget,) = of_type(self.edge, "AWS::Budgets::Budget").values()
        data = budget["Properties"]["Budget"]
        self.assertEqual(data["BudgetLimit"], {"Amount": {"Ref": "MonthlyBudgetUsd"}, "Unit": "USD"})
        self.assertEqual(data["CostFilters"], {"TagKeyValue": [{"Fn::Join": ["", ["user:environment$", {"Ref": "Environment"}]]}]})
        subscribers = [s for n in budget["Properties"]["NotificationsWithSubscribers"] for s in n["Subscribers"]]
        self.assertEqual(len(subscribers), 2)
        for s in subscribers:
            self.assertEqual(s, {"SubscriptionType": "EMAIL", "Address": {"Ref": "AlarmEmail"}})
        self.assertEqual(self.edge["Rules"]["InUsEast1"]["Assertions"][0]["Assert"], {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
        readme = (ROOT / "infra/README.md").read_text(encoding="utf-8")
        self.assertTrue("cost allocation tag" in " ".join(readme.split()), "infra/README.md does not say the cost allocation tag must be activated")

    # ------------------------------------------------------------ the origin-request function
    def origin_request(self):
        r = self.edge["Resources"]
        return r["OriginRequestFunction"]["Properties"], r["OriginRequestVersion"]

    def test_the_origin_request_function_is_published_as_lambda_at_edge_needs(self):
        fn, version = self.origin_request()
        self.assertIn(fn["Runtime"], ("nodejs20.x", "nodejs22.x"))
        self.assertEqual(fn["Architectures"], ["x86_64"])
        self.assertLessEqual(fn["Timeout"], 30, "origin-request functions run at most 30 s")
        self.assertNotIn("Environment", fn, "Lambda@Edge takes no environment variables")
        (role, _) = fn["Role"]["Fn::GetAtt"]
        (trust,) = self.edge["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(sorted(trust["Principal"]["Service"]), ["edgelambda.amazonaws.com", "lambda.amazonaws.com"])
        self.assertEqual(trust["Action"], "sts:AssumeRole")
        self.assertEqual(version["Type"], "AWS::Lambda::Version")
        self.assertEqual(version["Properties"]["FunctionName"], {"Ref": "OriginRequestFunction"})
        self.assertEqual((version["DeletionPolicy"], version["UpdateReplacePolicy"]), ("Retain", "Retain"), "a replicated version cannot be deleted at once")
        code_hash = hashlib.sha256(fn["Code"]["ZipFile"].encode("utf-8")).hexdigest()[:16]
        self.assertEqual(
            version["Properties"]["Description"], f"origin-request code sha256 {code_hash}", "the code changed: a new Description publishes its new version"
        )
        self.assertEqual(self.edge["Outputs"]["OriginRequestFunctionArn"]["Value"], {"Ref": "OriginRequestVersion"})

    def run_handler(self, events):
        fn, _ = self.origin_request()
        with tempfile.TemporaryDirectory() as d:
            Path(d, "index.js").write_text(fn["Code"]["ZipFile"], encoding="utf-8")
            harness = Path(d, "run.js")
            harness.write_text(
                """
const { handler } = require('./index.js');
const crypto = require('crypto');
(async () => {
  const out = [];
  for (const event of JSON.parse(process.argv[2])) {
    const body = event.Records[0].cf.request.body;
    const nodeHash = body && body.data !== undefined ? crypto.createHash('sha256').update(Buffer.from(body.data, 'base64')).digest('hex') : null;
    out.push({ result: await handler(event), nodeHash });
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
""",
                encoding="utf-8",
            )
            done = subprocess.run(["node", str(harness), json.dumps(events)], check=True, capture_output=True, text=True, timeout=60)
        return json.loads(done.stdout)

    @staticmethod
    def event(method, data=None, truncated=False, headers=None):
        request = {"method": method, "uri": "/api/register", "querystring": "", "headers": headers or {}, "clientIp": "192.0.2.1"}
        if data is not None:
            request["body"] = {"inputTruncated": truncated, "action": "read-only", "encoding": "base64", "data": base64.b64encode(data).decode()}
        return {"Records": [{"cf": {"config": {"eventType": "origin-request"}, "request": request}}]}

    def test_the_origin_request_function_hashes_bodies_and_refuses_truncated_ones(self):
        form = "name=Ana+L%C3%B3pez&email=ana%40valladolid.es&city=Valladolid".encode()
        binary = bytes(range(256)) * 3
        forged = {HASH_HEADER: [{"key": HASH_HEADER, "value": "0" * 64}]}
        cases = [
            ("a form's post", self.event("POST", form, headers=forged), form),
            ("a body that is not text", self.event("POST", binary), binary),
            ("a post without a body", self.event("POST", b""), b""),
            ("an empty GET with a forged hash", self.event("GET", b"", headers=dict(forged)), None),
            ("a GET without a body field", self.event("GET"), None),
            ("a body over 1 MB, cut by CloudFront", self.event("POST", b"x" * 1000, truncated=True), "413"),
        ]
        results = self.run_handler([c[1] for c in cases])
        for (what, event, want), got in zip(cases, results):
            result = got["result"]
            if want == "413":
                self.assertEqual(result["status"], "413", what)
                self.assertEqual(result["headers"]["cache-control"][0]["value"], "no-store", what)
                self.assertNotIn("uri", result, f"{what}: passed on to the function")
                continue
            self.assertEqual(result["uri"], "/api/register", what)
            self.assertEqual(result["method"], event["Records"][0]["cf"]["request"]["method"], what)
            if want is None:
                self.assertNotIn(HASH_HEADER, result["headers"], what)
                continue
            expected = hashlib.sha256(want).hexdigest()
            self.assertEqual(result["headers"][HASH_HEADER], [{"key": HASH_HEADER, "value": expected}], what)
            self.assertEqual(got["nodeHash"], expected, what)
            # The body itself goes on untouched (read-only: CloudFront sends the original).
            self.assertEqual(result["body"], event["Records"][0]["cf"]["request"]["body"], what)


if __name__ == "__main__":
    unittest.main(verbosity=2)
