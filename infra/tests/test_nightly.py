"""The nightly rebuild's decision (scripts/nightly-decision.py), night by night.

Every night of 2025 and 2026, both crons of deploy.yml fire and start 0 to 3
hours late (every 5 minutes of delay): exactly one of them deploys, the one due
at 00:15 in Brussels, whatever the delay. The rule it replaces (the Brussels
hour on the clock when the job starts) is simulated alongside, to show what
it missed.
"""

import importlib.util
import re
import subprocess
import sys
import unittest
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts/nightly-decision.py"
spec = importlib.util.spec_from_file_location("nightly_decision", SCRIPT)
nightly = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nightly)

BRUSSELS = ZoneInfo("Europe/Brussels")
DELAYS = [timedelta(minutes=m) for m in range(0, 181, 5)]


def workflow_crons():
    text = (ROOT / ".github/workflows/deploy.yml").read_text(encoding="utf-8")
    return re.findall(r'-\s*cron:\s*"([^"]+)"', text)


def old_rule(now):
    return now.astimezone(BRUSSELS).hour == 0


class Nightly(unittest.TestCase):
    def test_the_workflow_has_the_two_crons(self):
        self.assertEqual(sorted(workflow_crons()), ["15 22 * * *", "15 23 * * *"])

    def test_every_night_of_2025_and_2026_deploys_once_whatever_the_delay(self):
        crons = workflow_crons()
        nights = {}
        old_missed = {}  # delay -> nights the old rule missed
        day = date(2024, 12, 31)
        while day <= date(2026, 12, 31):
            for cron in crons:
                minute, hour = (int(x) for x in cron.split()[:2])
                at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)
                local = at.astimezone(BRUSSELS)
                for delay in DELAYS:
                    go, _ = nightly.decide("schedule", cron, at + delay)
                    if go:
                        nights.setdefault(local.date(), set()).add((cron, delay))
                        self.assertEqual((local.hour, local.minute), (0, 15), f"{cron} due {at} deployed at a wrong hour")
                    if (local.hour, local.minute) == (0, 15) and not old_rule(at + delay) and local.year in (2025, 2026):
                        old_missed.setdefault(delay, set()).add(local.date())
            day += timedelta(days=1)
        wanted = [date(2025, 1, 1) + timedelta(days=n) for n in range((date(2027, 1, 1) - date(2025, 1, 1)).days)]
        missed = [d for d in wanted if d not in nights]
        twice = [d for d in wanted if len({cron for cron, _ in nights.get(d, ())}) > 1]
        partial = [d for d in wanted if d in nights and len(nights[d]) != len(DELAYS)]
        self.assertEqual(missed, [])
        self.assertEqual(twice, [])
        self.assertEqual(partial, [], "a night whose run deploys only for some delays")
        old = old_missed.get(timedelta(minutes=50), set())
        any_delay = set().union(*old_missed.values())
        print(
            f"\nnightly: {len(wanted)} nights of 2025-2026, each cron started 0-3 h late ({len(DELAYS)} delays): "
            f"{len(wanted) - len(missed)} deployed, {len(missed)} missed, {len(twice)} twice; "
            f"the old rule (the Brussels hour at the start) missed {len(old)} nights when 50 minutes late, "
            f"{len(any_delay)} for some delay up to 3 h",
            file=sys.stderr,
        )
        self.assertGreater(len(old), 200, "the simulation no longer shows the bug it guards against")

    def test_other_events_and_doubt_deploy(self):
        now = datetime(2026, 7, 1, 22, 40, tzinfo=timezone.utc)
        for event in ("push", "workflow_dispatch"):
            self.assertTrue(nightly.decide(event, "", now)[0])
        self.assertTrue(nightly.decide("schedule", "*/5 * * * *", now)[0])
        self.assertTrue(nightly.decide("schedule", "", now)[0])
        # Summer: 22:15 UTC is 00:15 in Brussels, 23:15 UTC is 01:15.
        self.assertTrue(nightly.decide("schedule", "15 22 * * *", now)[0])
        self.assertFalse(nightly.decide("schedule", "15 23 * * *", now + timedelta(hours=1))[0])
        # A start more than 20 hours late: in doubt, go.
        self.assertTrue(nightly.decide("schedule", "15 23 * * *", datetime(2026, 7, 2, 21, 0, tzinfo=timezone.utc))[0])

    def test_the_command_line_prints_the_output_line(self):
        run = subprocess.run(
            [sys.executable, SCRIPT, "--event", "schedule", "--schedule", "15 23 * * *", "--now", "2026-01-15T00:50:00Z"],
            capture_output=True, text=True, check=True,
        )
        self.assertEqual(run.stdout, "go=true\n")
        self.assertIn("tonight's rebuild", run.stderr)
        run = subprocess.run(
            [sys.executable, SCRIPT, "--event", "schedule", "--schedule", "15 22 * * *", "--now", "2026-01-14T23:50:00+00:00"],
            capture_output=True, text=True, check=True,
        )
        self.assertEqual(run.stdout, "go=false\n")


if __name__ == "__main__":
    unittest.main()
