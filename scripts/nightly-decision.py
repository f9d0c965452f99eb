#!/usr/bin/env python3
"""Whether a run of deploy.yml rebuilds tonight (issue 22, item 9).

The site is rebuilt every night at 00:15 in Brussels so that "upcoming"
follows the calendar. Cron runs in UTC and Brussels is UTC+1 in winter and
UTC+2 in summer, so deploy.yml has two schedules, 23:15 and 22:15 UTC, and one
of them is tonight's. GitHub may start a scheduled run late (an hour or more
when it is busy), so the decision is made from the schedule that fired
(`github.event.schedule`) and the moment it was *due*, never from the clock
when the job starts: a run due at 22:15 UTC in summer is tonight's even if it
starts at 01:30.

    scripts/nightly-decision.py --event EVENT [--schedule CRON] [--now ISO-8601]

prints `go=true` or `go=false` (for $GITHUB_OUTPUT) and the reason on stderr.
Anything but a schedule goes. When in doubt (a cron this script does not
know, or a start more than 20 hours after it was due) it goes too: a deploy
is idempotent, a missed night is not. infra/tests/test_nightly.py simulates
every night of 2025 and 2026 with starts up to three hours late.
"""

import argparse
import re
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
# The local time the nightly rebuild is for (deploy.yml's two crons are it in CET and CEST).
LOCAL = (0, 15)
LATEST_START = timedelta(hours=20)


def due(schedule, now):
    """The moment a daily cron `M H * * *` was last due at or before `now` (UTC); None if not such a cron."""
    m = re.fullmatch(r"\s*(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*\s*", schedule or "")
    if not m:
        return None
    minute, hour = int(m.group(1)), int(m.group(2))
    if minute > 59 or hour > 23:
        return None
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at <= now else at - timedelta(days=1)


def decide(event, schedule, now):
    """(go, reason) for a run of deploy.yml started at `now` (aware, any zone)."""
    if event != "schedule":
        return True, f"a {event} run always deploys"
    now = now.astimezone(timezone.utc)
    at = due(schedule, now)
    if at is None:
        return True, f"unknown schedule {schedule!r}: deploying (idempotent) rather than missing a night"
    if now - at > LATEST_START:
        return True, f"started {now - at} after it was due: deploying rather than guessing"
    local = at.astimezone(BRUSSELS)
    if (local.hour, local.minute) == LOCAL:
        return True, f"due {at:%H:%M} UTC = {local:%H:%M} in Brussels (UTC{local:%z}): tonight's rebuild"
    return False, f"due {at:%H:%M} UTC = {local:%H:%M} in Brussels (UTC{local:%z}): the other schedule is tonight's"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--event", required=True)
    p.add_argument("--schedule", default="")
    p.add_argument("--now", help="ISO 8601 with an offset (default: the clock)")
    a = p.parse_args(argv)
    now = datetime.fromisoformat(a.now.replace("Z", "+00:00")) if a.now else datetime.now(timezone.utc)
    if now.tzinfo is None:
        p.error("--now needs an offset, e.g. 2026-07-01T22:40:00Z")
    go, reason = decide(a.event, a.schedule, now)
    print(reason, file=sys.stderr)
    print(f"go={'true' if go else 'false'}")


if __name__ == "__main__":
    main()
