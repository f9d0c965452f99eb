"""Backups and the daily job (issue 22, items 11 and 9), on the SAM expansion.

The vault has a key of its own and a lock; the plan backs the table up every
month and keeps each backup at least as long as the data's longest retention
(read from content/config.yaml, never written here); the selection covers the
table; the daily function runs on a schedule, its role holds no wildcard and
only what the sweep and the site's age need; the staleness alarm treats a
missing reading as breaching. Run like test_template.py (scripts/check-infra.sh
expands the template into $CCG_EXPANDED_TEMPLATE).
"""

import json
import math
import os
import re
import sys
import unittest
from pathlib import Path

import yaml

# The shared readers of the expansion are test_template.py's (its folder is on
# the path under `unittest discover -s infra/tests`, and is put there for a direct run).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_template import as_list, of_type, strings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXPANDED = Path(os.environ.get("CCG_EXPANDED_TEMPLATE", ROOT / ".cache/infra-template.expanded.json"))
TABLE_ARN = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"
# One backup a month: the copy taken before a change is at most this old.
BETWEEN_BACKUPS_DAYS = 31





def days_of_years(years):
    """The most days `years` calendar years can hold (a leap day every four years, rounded up)."""
    return years * 365 + math.ceil(years / 4)


def longest_retention_days():
    """The longest time content/config.yaml keeps a record after its end, in days at their most."""
    with open(ROOT / "content/config.yaml", encoding="utf-8") as f:
        retention = yaml.safe_load(f)["retention"]
    return max(
        days_of_years(retention["paid_claim_years"]),
        days_of_years(retention["closed_claim_years"]),
        math.ceil(retention["declined_contact_months"] * 31),
    )


class Backup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(EXPANDED, encoding="utf-8") as f:
            cls.t = json.load(f)

    def one(self, kind):
        found = of_type(self.t, kind)
        self.assertEqual(len(found), 1, f"one {kind}: {sorted(found)}")
        return next(iter(found.items()))

    def rule(self):
        _, plan = self.one("AWS::Backup::BackupPlan")
        (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
        return rule

    def vault_key(self):
        """The key the vault names: its own, used by nothing else of the stack."""
        _, vault = self.one("AWS::Backup::BackupVault")
        key_name = vault["Properties"]["EncryptionKeyArn"]["Fn::GetAtt"][0]
        self.assertEqual(self.t["Resources"][key_name]["Type"], "AWS::KMS::Key")
        others = {n for n, r in self.t["Resources"].items() if n != vault_name_of(self.t) and key_name in json.dumps(r)} - {key_name}
        self.assertEqual(others, set(), f"{key_name} is the vault's alone")
        return key_name, self.t["Resources"][key_name]

    def test_the_vault_has_its_own_rotated_key_kept_with_it(self):
        vault_name, vault = self.one("AWS::Backup::BackupVault")
        key_name, key = self.vault_key()
        self.assertIs(key["Properties"]["EnableKeyRotation"], True)
        for name, r in ((vault_name, vault), (key_name, key)):
            self.assertEqual((r.get("DeletionPolicy"), r.get("UpdateReplacePolicy")), ("Retain", "Retain"), f"{name} must outlive the stack")

    def test_the_key_is_for_aws_backup_in_this_account_only(self):
        _, key = self.vault_key()
        statements = key["Properties"]["KeyPolicy"]["Statement"]
        role = {"Fn::GetAtt": ["BackupRole", "Arn"]}
        for s in statements:
            self.assertEqual(s["Effect"], "Allow")
            principal = s["Principal"]["AWS"]
            self.assertNotEqual(principal, "*")
            if principal == role:
                # Every use by the backup role: in this account, and encryption only through AWS Backup.
                self.assertEqual(s["Condition"]["StringEquals"]["kms:CallerAccount"], {"Ref": "AWS::AccountId"})
                if s["Action"] != "kms:CreateGrant":
                    self.assertEqual(s["Condition"]["StringEquals"]["kms:ViaService"], {"Fn::Sub": "backup.${AWS::Region}.amazonaws.com"})
                else:
                    self.assertEqual(s["Condition"]["Bool"]["kms:GrantIsForAWSResource"], "true")
            else:
                # The account's own administration (through IAM), nobody else's.
                self.assertEqual(principal, {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"})
        self.assertTrue(any(s["Principal"]["AWS"] == role for s in statements), "AWS Backup cannot use the key")

    def test_the_vault_is_locked_around_the_plans_retention(self):
        _, vault = self.one("AWS::Backup::BackupVault")
        lock = vault["Properties"]["LockConfiguration"]
        kept = self.rule()["Lifecycle"]["DeleteAfterDays"]
        self.assertLessEqual(lock["MinRetentionDays"], kept)
        self.assertLessEqual(kept, lock["MaxRetentionDays"])
        # No backup shorter than the paid claims' retention may go in.
        self.assertGreaterEqual(lock["MinRetentionDays"], longest_retention_days())
        # Undone only during the first deploys (AWS: at least 3 days), then immutable.
        self.assertGreaterEqual(lock["ChangeableForDays"], 3)
        self.assertLessEqual(lock["ChangeableForDays"], 30)

    def test_the_plan_is_monthly_and_keeps_backups_as_long_as_the_data_is_kept(self):
        rule = self.rule()
        # cron(minutes hours day-of-month month day-of-week year): one day of every month.
        fields = re.fullmatch(r"cron\((.+)\)", rule["ScheduleExpression"]).group(1).split()
        self.assertEqual(len(fields), 6, rule["ScheduleExpression"])
        self.assertRegex(fields[2], r"^\d{1,2}$", "one day of the month")
        self.assertEqual((fields[3], fields[4], fields[5]), ("*", "?", "*"), "every month of every year")
        self.assertGreaterEqual(rule["Lifecycle"]["DeleteAfterDays"], longest_retention_days() + BETWEEN_BACKUPS_DAYS)
        # No move to cold storage: DynamoDB's needs the account's advanced backup features, and the table is small.
        self.assertNotIn("MoveToColdStorageAfterDays", rule["Lifecycle"])
        vault_name, _ = self.one("AWS::Backup::BackupVault")
        self.assertEqual(rule["TargetBackupVault"], {"Ref": vault_name})

    def test_the_selection_covers_the_table_with_its_own_role(self):
        _, selection = self.one("AWS::Backup::BackupSelection")
        s = selection["Properties"]["BackupSelection"]
        self.assertEqual(s["Resources"], [{"Fn::Sub": TABLE_ARN}])
        plan_name, _ = self.one("AWS::Backup::BackupPlan")
        self.assertEqual(selection["Properties"]["BackupPlanId"], {"Ref": plan_name})
        self.assertEqual(s["IamRoleArn"], {"Fn::GetAtt": ["BackupRole", "Arn"]})
        role = self.t["Resources"]["BackupRole"]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(trust["Principal"], {"Service": "backup.amazonaws.com"})
        # AWS's managed policies for the service, the only managed policies a role here has.
        self.assertEqual(
            sorted(role["ManagedPolicyArns"], key=json.dumps),
            [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"},
            ],
        )
        for name, r in of_type(self.t, "AWS::IAM::Role").items():
            if name != "BackupRole":
                self.assertNotIn("ManagedPolicyArns", r["Properties"], name)

    def test_the_table_keeps_its_own_protection(self):
        (table,) = of_type(self.t, "AWS::DynamoDB::Table").values()
        self.assertIs(table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], True)
        self.assertIs(table["Properties"]["DeletionProtectionEnabled"], True)

    def test_the_daily_function_runs_on_a_schedule_in_brusselss_time(self):
        (schedule,) = of_type(self.t, "AWS::Scheduler::Schedule").values()
        p = schedule["Properties"]
        self.assertRegex(p["ScheduleExpression"], r"^cron\(\d+ \d+ \* \* \? \*\)$", "once a day")
        self.assertEqual(p["ScheduleExpressionTimezone"], "Europe/Brussels")
        self.assertEqual(p["Target"]["Arn"], {"Fn::GetAtt": ["DailyFunction", "Arn"]})
        self.assertEqual(p["Target"]["RoleArn"], {"Fn::GetAtt": ["DailySchedulerRole", "Arn"]})
        self.assertEqual(p.get("State", "ENABLED"), "ENABLED")
        fn = self.t["Resources"]["DailyFunction"]["Properties"]
        self.assertEqual(fn["Code"]["S3Key"], "daily.zip", "CodeUri: target/lambda/daily")
        self.assertEqual(fn["Environment"]["Variables"]["CCG_SITE_BUCKET"], {"Ref": "SiteBucket"})
        # The scheduler may call this function and nothing else.
        role = self.t["Resources"]["DailySchedulerRole"]["Properties"]
        (policy,) = role["Policies"]
        (s,) = policy["PolicyDocument"]["Statement"]
        self.assertEqual((s["Action"], s["Resource"]), ("lambda:InvokeFunction", {"Fn::GetAtt": ["DailyFunction", "Arn"]}))
        # Nothing but the schedule reaches it: no permission for another service, no URL, no route.
        for r in of_type(self.t, "AWS::Lambda::Permission").values():
            self.assertNotIn("DailyFunction", json.dumps(r["Properties"]["FunctionName"]))
        self.assertNotIn("DailyFunction", json.dumps(of_type(self.t, "AWS::Lambda::Url")))

    def daily_statements(self):
        role = self.t["Resources"]["DailyRole"]["Properties"]
        return [(p["PolicyName"], s) for p in role["Policies"] for s in as_list(p["PolicyDocument"]["Statement"])]

    def test_the_daily_role_has_no_wildcard_and_only_what_the_job_needs(self):
        actions = set()
        for where, s in self.daily_statements():
            self.assertEqual(s["Effect"], "Allow", where)
            if set(as_list(s["Action"])) == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}:
                # X-Ray's two write actions have no resource type: "*" is IAM's only form (test_template.py).
                continue
            for a in as_list(s["Action"]):
                self.assertNotIn("*", a, f"DailyRole/{where}: {a}")
                actions.add(a)
            for r in as_list(s["Resource"]):
                for text in strings(r):
                    self.assertNotEqual(text.strip(), "*", f"DailyRole/{where}")
        allowed = {
            "logs:CreateLogStream", "logs:PutLogEvents",
            "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
            "s3:ListBucket", "s3:DeleteObject", "s3:GetObject", "ses:SendEmail",
        }
        self.assertLessEqual(actions, allowed)
        # The site's bucket: version.json alone, read only.
        site = [s for _, s in self.daily_statements() if "SiteBucket" in json.dumps(s["Resource"])]
        self.assertEqual([(s["Action"], s["Resource"]) for s in site], [("s3:GetObject", {"Fn::Sub": "${SiteBucket.Arn}/version.json"})])
        # The documents: list and delete claims/ (and the desk's unadded uploads) only, never read a file.
        docs = [s for _, s in self.daily_statements() if "DocumentsBucket" in json.dumps(s["Resource"])]
        for s in docs:
            self.assertNotIn("s3:GetObject", as_list(s["Action"]))
            self.assertIn("claims/", json.dumps(s))
        # Nothing written on the desk's records: claims, counters, references, contacts, staff, sessions.
        for where, s in self.daily_statements():
            writes = set(as_list(s["Action"])) & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
            if not writes:
                continue
            keys = s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            for forbidden in ("CLAIM#", "YEAR#", "REF#", "PERSON#", "CONTACT#", "STAFF#", "SESSION#"):
                self.assertFalse(any(k.startswith(forbidden) for k in keys), f"DailyRole/{where} writes {forbidden}")
        # The Scan is on the table alone; a Query only on the invitations' partitions of the indexes.
        for _, s in self.daily_statements():
            if as_list(s["Action"]) == ["dynamodb:Scan"]:
                self.assertEqual(s["Resource"], {"Fn::Sub": TABLE_ARN})
            if "dynamodb:Query" in as_list(s["Action"]):
                self.assertEqual(as_list(s["Action"]), ["dynamodb:Query"])
                self.assertEqual(s["Resource"], {"Fn::Sub": TABLE_ARN + "/index/*"})
                self.assertTrue(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])

    def test_a_stale_or_missing_site_age_rings(self):
        alarms = [a["Properties"] for a in of_type(self.t, "AWS::CloudWatch::Alarm").values() if a["Properties"].get("MetricName") == "SiteAgeHours"]
        self.assertEqual(len(alarms), 1)
        (a,) = alarms
        # What functions/src/daily.rs emits.
        daily_rs = (ROOT / "functions/src/daily.rs").read_text(encoding="utf-8")
        self.assertIn(f'NAMESPACE: &str = "{a["Namespace"]}"', daily_rs)
        self.assertIn('METRIC: &str = "SiteAgeHours"', daily_rs)
        self.assertEqual(a["Dimensions"], [{"Name": "Function", "Value": {"Ref": "DailyFunction"}}])
        self.assertEqual(a["TreatMissingData"], "breaching")
        self.assertEqual((a["ComparisonOperator"], a["Threshold"]), ("GreaterThanThreshold", 26))
        self.assertIn("STALE_AFTER_HOURS: f64 = 26.0", daily_rs)
        # Every period in the window must breach: one good reading in the last ~30 hours keeps it quiet,
        # and the window is longer than the 25 hours between two runs when the clocks go back.
        window_hours = a["Period"] * a["EvaluationPeriods"] / 3600
        self.assertEqual(a["DatapointsToAlarm"], a["EvaluationPeriods"])
        self.assertGreater(window_hours, 26)
        self.assertEqual(a["Statistic"], "Minimum")
        self.assertEqual(a["AlarmActions"], [{"Ref": "AlarmTopic"}])

    def test_the_daily_functions_failures_ring(self):
        watched = set()
        for a in of_type(self.t, "AWS::CloudWatch::Alarm").values():
            for m in a["Properties"].get("Metrics", []):
                stat = m.get("MetricStat", {}).get("Metric", {})
                if stat.get("Namespace") == "AWS/Lambda" and {"Name": "FunctionName", "Value": {"Ref": "DailyFunction"}} in stat.get("Dimensions", []):
                    watched.add(stat["MetricName"])
                    self.assertEqual(a["Properties"]["AlarmActions"], [{"Ref": "AlarmTopic"}])
        self.assertLessEqual({"Errors", "Throttles"}, watched)


if __name__ == "__main__":
    unittest.main(verbosity=2)


def vault_name_of(t):
    (name,) = [n for n, r in t["Resources"].items() if r["Type"] == "AWS::Backup::BackupVault"]
    return name
