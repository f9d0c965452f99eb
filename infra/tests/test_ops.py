"""Email reputation and observability (issue 22, items 7, 8 and 13), read from
the SAM-expanded template ($CCG_EXPANDED_TEMPLATE, written by
scripts/check-infra.sh): the SES configuration set and where its events go,
every sender naming it, the alarms, the dashboard, tracing and log retention.
"""

import json
import os
import re
import sys
import unittest
from pathlib import Path

# The shared readers of the expansion are test_template.py's (its folder is on
# the path under `unittest discover -s infra/tests`, and is put there for a direct run).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_template import as_list, of_type, strings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXPANDED = Path(os.environ.get("CCG_EXPANDED_TEMPLATE", ROOT / ".cache/infra-template.expanded.json"))
CONFIGURATION_SET_ARN = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${EmailConfigurationSet}"
SENDING = {"ses:SendEmail", "ses:SendRawEmail"}
# What AWS/Lambda and AWS/SES publish that the dashboard may name.
AWS_METRICS = {
    "AWS/Lambda": {"Invocations", "Duration", "Errors", "Throttles"},
    "AWS/SES": {"Send", "Delivery", "Bounce", "Complaint", "Reject", "Reputation.BounceRate", "Reputation.ComplaintRate"},
}


def load():
    with open(EXPANDED, encoding="utf-8") as f:
        return json.load(f)




def own_metric_names():
    """The CCG/Forms metric names functions/src/metrics.rs can emit (its `name()` arms)."""
    text = (ROOT / "functions/src/metrics.rs").read_text(encoding="utf-8")
    body = text[text.index("pub fn name(self)") :]
    body = body[: body.index("\n    }\n")]
    names = set(re.findall(r'=> "([A-Za-z]+)"', body))
    assert names, "no metric names found in functions/src/metrics.rs"
    return names


def policies_of(t):
    """(where, statements) of every role's inline policy and every managed policy."""
    for name, r in t["Resources"].items():
        if r["Type"] == "AWS::IAM::Role":
            for p in r["Properties"].get("Policies", []):
                yield f"{name}/{p['PolicyName']}", as_list(p["PolicyDocument"]["Statement"])
        elif r["Type"] == "AWS::IAM::ManagedPolicy":
            yield name, as_list(r["Properties"]["PolicyDocument"]["Statement"])


class Ops(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = load()
        cls.r = cls.t["Resources"]

    # ------------------------------------------------------------ item 7
    def test_the_configuration_set_suppresses_and_keeps_reputation(self):
        (name, cs), = of_type(self.t, "AWS::SES::ConfigurationSet").items()
        props = cs["Properties"]
        self.assertEqual(props["ReputationOptions"], {"ReputationMetricsEnabled": True})
        self.assertEqual(sorted(props["SuppressionOptions"]["SuppressedReasons"]), ["BOUNCE", "COMPLAINT"])
        self.assertEqual(props["SendingOptions"], {"SendingEnabled": True})
        self.assertNotIn("SesConfigurationSet", self.t["Parameters"], "the set is the stack's own now")
        for fn_name, fn in of_type(self.t, "AWS::Lambda::Function").items():
            self.assertEqual(fn["Properties"]["Environment"]["Variables"]["CCG_SES_CONFIGURATION_SET"], {"Ref": name}, fn_name)

    def test_events_go_to_an_encrypted_topic_that_mail_events_reads(self):
        (dest,) = of_type(self.t, "AWS::SES::ConfigurationSetEventDestination").values()
        props = dest["Properties"]
        self.assertEqual(props["ConfigurationSetName"], {"Ref": "EmailConfigurationSet"})
        ed = props["EventDestination"]
        self.assertTrue(ed["Enabled"])
        self.assertLessEqual({"bounce", "complaint", "delivery", "reject", "send"}, set(ed["MatchingEventTypes"]))
        topic = ed["SnsDestination"]["TopicARN"]["Ref"]
        self.assertEqual(self.r[topic]["Type"], "AWS::SNS::Topic")
        key = self.r[topic]["Properties"]["KmsMasterKeyId"]
        self.assertEqual(self.r[key["Ref"]]["Type"], "AWS::KMS::Key", "a key SES may use (not the AWS managed SNS key)")
        self.assertTrue(self.r[key["Ref"]]["Properties"]["EnableKeyRotation"])
        ses = [s for s in self.r[key["Ref"]]["Properties"]["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "ses.amazonaws.com"}]
        self.assertEqual([sorted(as_list(s["Action"])) for s in ses], [["kms:Decrypt", "kms:GenerateDataKey"]])
        # SES may publish, from this account's configuration set only.
        (policy,) = [p for p in of_type(self.t, "AWS::SNS::TopicPolicy").values() if p["Properties"]["Topics"] == [{"Ref": topic}]]
        (stmt,) = policy["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual((stmt["Principal"], stmt["Action"]), ({"Service": "ses.amazonaws.com"}, "sns:Publish"))
        self.assertEqual(stmt["Condition"]["StringEquals"]["aws:SourceArn"], {"Fn::Sub": CONFIGURATION_SET_ARN})
        # The topic's one reader is mail-events, built from target/lambda/mail-events.
        subs = [s["Properties"] for s in of_type(self.t, "AWS::SNS::Subscription").values() if s["Properties"]["TopicArn"] == {"Ref": topic}]
        self.assertEqual(len(subs), 1)
        self.assertEqual(subs[0]["Protocol"], "lambda")
        self.assertEqual(subs[0]["Endpoint"], {"Fn::GetAtt": ["MailEventsFunction", "Arn"]})
        code = self.r["MailEventsFunction"]["Properties"]["Code"]
        self.assertEqual(code["S3Key"], "mail-events.zip", "CodeUri ../target/lambda/mail-events")

    def test_mail_events_writes_suppressions_and_their_history_only(self):
        role = self.r["MailEventsFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]
        table = [as_list(p["PolicyDocument"]["Statement"]) for p in self.r[role]["Properties"]["Policies"] if p["PolicyName"] == "table"]
        (stmts,) = table
        reached = {}
        for s in stmts:
            for key in s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]:
                reached.setdefault(key, set()).update(as_list(s["Action"]))
        # A suppression and its history line written; whether the address is a contact's, read.
        self.assertEqual(reached, {"SUPPRESS#*": {"dynamodb:GetItem", "dynamodb:PutItem"}, "AUDIT#*": {"dynamodb:GetItem", "dynamodb:PutItem"}, "CONTACT#*": {"dynamodb:GetItem"}})
        actions = {a for p in self.r[role]["Properties"]["Policies"] for s in as_list(p["PolicyDocument"]["Statement"]) for a in as_list(s["Action"])}
        self.assertEqual(actions & SENDING, set(), "mail-events sends nothing")

    def test_every_sender_names_the_configuration_set(self):
        senders = []
        for where, stmts in policies_of(self.t):
            for s in stmts:
                if s["Effect"] == "Allow" and SENDING & set(as_list(s["Action"])):
                    senders.append(where)
                    self.assertIn({"Fn::Sub": CONFIGURATION_SET_ARN}, as_list(s["Resource"]), f"{where} may send without the configuration set")
        roles = {w.split("/")[0] for w in senders}
        self.assertEqual(roles, {"RegisterRole", "TravelClaimRole", "AccountRole", "DeskFunctionRole", "DeskPolicy", "DailyRole"})
        # Every function that may send is one the environment tells to send with it.
        for fn_name, fn in of_type(self.t, "AWS::Lambda::Function").items():
            role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
            if role in roles:
                self.assertEqual(fn["Properties"]["Environment"]["Variables"]["CCG_SES_CONFIGURATION_SET"], {"Ref": "EmailConfigurationSet"})

    def test_reputation_alarms_ring_at_two_percent_bounces_and_half_a_per_mille_complaints(self):
        by_metric = {}
        for name, a in of_type(self.t, "AWS::CloudWatch::Alarm").items():
            p = a["Properties"]
            if p.get("Namespace") == "AWS/SES":
                by_metric[p["MetricName"]] = p
        bounce, complaint = by_metric["Reputation.BounceRate"], by_metric["Reputation.ComplaintRate"]
        self.assertEqual(bounce["Threshold"], 0.02)
        self.assertEqual(complaint["Threshold"], 0.0005)
        for p in (bounce, complaint):
            self.assertEqual(p["ComparisonOperator"], "GreaterThanOrEqualToThreshold")
            self.assertEqual(p["AlarmActions"], [{"Ref": "AlarmTopic"}])

    # ------------------------------------------------------------ item 8
    def alarm_metrics(self):
        for name, a in of_type(self.t, "AWS::CloudWatch::Alarm").items():
            p = a["Properties"]
            if "MetricName" in p:
                yield name, p["Namespace"], p["MetricName"], p.get("Dimensions", [])
            for m in p.get("Metrics", []):
                if "MetricStat" in m:
                    mm = m["MetricStat"]["Metric"]
                    yield name, mm["Namespace"], mm["MetricName"], mm.get("Dimensions", [])

    def test_no_alarm_on_dynamodb_user_errors(self):
        for name, ns, metric, _ in self.alarm_metrics():
            self.assertNotEqual((ns, metric), ("AWS/DynamoDB", "UserErrors"), name)
        watched = {(ns, metric) for _, ns, metric, _ in self.alarm_metrics()}
        for kept in [("AWS/DynamoDB", "SystemErrors"), ("AWS/DynamoDB", "ReadThrottleEvents"), ("AWS/DynamoDB", "WriteThrottleEvents")]:
            self.assertIn(kept, watched)

    def test_every_function_has_its_unexpected_errors_alarmed(self):
        self.assertIn("UnexpectedError", own_metric_names(), "functions/src/metrics.rs emits UnexpectedError")
        watched = set()
        for name, ns, metric, dims in self.alarm_metrics():
            if (ns, metric) == ("CCG/Forms", "UnexpectedError"):
                self.assertEqual([d["Name"] for d in dims], ["Function"], "the per-function dimension set metrics.rs emits")
                watched.add(dims[0]["Value"]["Ref"])
                self.assertEqual(self.r[name]["Properties"]["Threshold"], 1)
        # The daily job answers no request: its failures are its own alarm's (test_backup.py).
        self.assertEqual(watched, set(of_type(self.t, "AWS::Lambda::Function")) - {"DailyFunction"})

    # ------------------------------------------------------------ item 13
    def dashboard(self):
        (d,) = of_type(self.t, "AWS::CloudWatch::Dashboard").values()
        body = d["Properties"]["DashboardBody"]["Fn::Sub"]
        refs = set(re.findall(r"\$\{([A-Za-z:]+)\}", body))
        # Every ${...} is a resource of the stack or a pseudo parameter.
        for ref in refs:
            self.assertTrue(ref in self.r or ref.startswith("AWS::"), ref)
        return json.loads(re.sub(r"\$\{([A-Za-z:]+)\}", r"\1", body)), refs

    def test_the_dashboard_names_existing_metrics(self):
        body, refs = self.dashboard()
        own = own_metric_names()
        seen = set()
        for w in body["widgets"]:
            for line in w["properties"]["metrics"]:
                if isinstance(line[0], dict):
                    expr = line[0]["expression"]
                    m = re.fullmatch(r"SEARCH\('\{CCG/Forms,Function,Kind\} MetricName=\"(\w+)\"', 'Sum', \d+\)", expr)
                    self.assertIsNotNone(m, expr)
                    self.assertIn(m.group(1), own, expr)
                    seen.add(("CCG/Forms", m.group(1)))
                    continue
                ns, metric = line[0], line[1]
                if ns == "CCG/Forms":
                    self.assertIn(metric, own)
                else:
                    self.assertIn(metric, AWS_METRICS[ns], f"{ns} {metric}")
                seen.add((ns, metric))
                dims = [x for x in line[2:] if isinstance(x, str)]
                if ns == "AWS/Lambda":
                    self.assertEqual(dims[0], "FunctionName")
                    self.assertEqual(self.r[dims[1]]["Type"], "AWS::Lambda::Function")
        for needed in [
            ("AWS/Lambda", "Invocations"),
            ("AWS/Lambda", "Duration"),
            ("CCG/Forms", "Refused"),
            ("CCG/Forms", "UnexpectedError"),
            ("AWS/SES", "Send"),
            ("AWS/SES", "Bounce"),
            ("AWS/SES", "Complaint"),
        ]:
            self.assertIn(needed, seen)
        stats = {line[-1].get("stat") for w in body["widgets"] for line in w["properties"]["metrics"] if line[:2] == ["AWS/Lambda", "Duration"]}
        self.assertEqual(stats, {"p50", "p99"})
        functions = set(of_type(self.t, "AWS::Lambda::Function"))
        for metric in ("Invocations", "Duration"):
            named = {line[3] for w in body["widgets"] for line in w["properties"]["metrics"] if line[:2] == ["AWS/Lambda", metric]}
            self.assertEqual(named, functions, metric)
        self.assertNotIn("HttpApi", refs, "the dashboard reads the functions' metrics, not the API's")

    def test_tracing_on_every_function_and_allowed_by_its_role(self):
        for name, fn in of_type(self.t, "AWS::Lambda::Function").items():
            self.assertEqual(fn["Properties"].get("TracingConfig"), {"Mode": "Active"}, name)
            role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
            actions = {a for p in self.r[role]["Properties"]["Policies"] for s in as_list(p["PolicyDocument"]["Statement"]) for a in as_list(s["Action"])}
            self.assertLessEqual({"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, actions, role)

    def test_every_log_group_keeps_log_retention_days(self):
        groups = of_type(self.t, "AWS::Logs::LogGroup")
        for name, g in groups.items():
            self.assertEqual(g["Properties"]["RetentionInDays"], {"Ref": "LogRetentionDays"}, name)
        for name, fn in of_type(self.t, "AWS::Lambda::Function").items():
            self.assertIn(fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"], groups, f"{name} logs to a group of the stack")


if __name__ == "__main__":
    unittest.main()
