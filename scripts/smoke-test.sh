#!/usr/bin/env bash
# The smoke test between staging and production, and after each deploy:
#
#   scripts/smoke-test.sh URL [CONTENT_VERSION]
#
#  1. URL/version.json answers 200 with a content version (equal to
#     CONTENT_VERSION when given: the release just deployed);
#  2. a form post from another site (POST URL/api/register with
#     Origin: https://smoke-test.invalid) is answered 403, before anything is
#     stored or emailed;
#  3. the iCal feed URL/calendar.ics parses: one VCALENDAR with VERSION:2.0 and
#     PRODID, BEGIN/END balanced, each VEVENT with UID, DTSTART and DTSTAMP,
#     lines of at most 75 octets.
#
# Exits non-zero, saying which check failed, on the first failure. Needs curl
# and python3. Works offline against a local `generator serve`
# (scripts/smoke-test-serve.sh starts one and runs this on it), and
# infra/tests/test_release.py runs it against a stand-in server.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: scripts/smoke-test.sh URL [CONTENT_VERSION]" >&2
  exit 2
fi
url=${1%/}
expected=${2:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { printf '[smoke] %s\n' "$*"; }
fail() { printf '[smoke] FAILED: %s\n' "$*" >&2; exit 1; }
curl_() { curl -sS --max-time 20 --retry 3 --retry-delay 2 --retry-connrefused "$@"; }

# 1. ------------------------------------------------------------- version.json
status=$(curl_ -o "$work/version.json" -w '%{http_code}' "$url/version.json") || fail "$url/version.json: no answer"
[ "$status" = 200 ] || fail "$url/version.json answered $status"
content=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["content"])' "$work/version.json" 2>/dev/null) \
  || fail "$url/version.json is not JSON with a content version"
[ -n "$content" ] || fail "$url/version.json has an empty content version"
if [ -n "$expected" ] && [ "$content" != "$expected" ]; then
  fail "$url/version.json reports content $content, not $expected"
fi
say "version.json: content $content"

# 2. ---------------------------------------------------- a foreign form post
status=$(curl_ -o /dev/null -w '%{http_code}' -X POST "$url/api/register" \
  -H 'Origin: https://smoke-test.invalid' -H 'Sec-Fetch-Site: cross-site' \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data 'email=smoke-test%40invalid.example&name=Smoke+test') || fail "POST $url/api/register: no answer"
[ "$status" = 403 ] || fail "POST $url/api/register from another origin answered $status, not 403"
say "a form post from another origin: 403"

# 3. ------------------------------------------------------------ the iCal feed
status=$(curl_ -o "$work/calendar.ics" -w '%{http_code}' "$url/calendar.ics") || fail "$url/calendar.ics: no answer"
[ "$status" = 200 ] || fail "$url/calendar.ics answered $status"
events=$(python3 - "$work/calendar.ics" <<'PY'
import sys

raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\r\n")
if lines and lines[-1] == b"":
    lines.pop()
def bad(why):
    print(why)
    sys.exit(1)
if not lines or lines[0] != b"BEGIN:VCALENDAR" or lines[-1] != b"END:VCALENDAR":
    bad("not one VCALENDAR (CRLF line ends)")
for n, line in enumerate(lines, 1):
    if len(line) > 75:
        bad(f"line {n} is longer than 75 octets")
    if b"\n" in line or b"\r" in line:
        bad(f"line {n}: a bare CR or LF")
# Unfold (RFC 5545 3.1), then check the component structure.
props = []
for line in lines:
    if line[:1] in (b" ", b"\t") and props:
        props[-1] += line[1:]
    else:
        props.append(line)
stack, events, seen = [], 0, set()
for p in props:
    name, _, value = p.decode("utf-8").partition(":")
    key = name.split(";")[0].upper()
    if key == "BEGIN":
        stack.append((value, set()))
    elif key == "END":
        if not stack or stack[-1][0] != value:
            bad(f"END:{value} closes nothing open")
        comp, keys = stack.pop()
        if comp == "VEVENT":
            events += 1
            missing = {"UID", "DTSTART", "DTSTAMP"} - keys
            if missing:
                bad(f"a VEVENT without {', '.join(sorted(missing))}")
        if comp == "VCALENDAR":
            seen |= keys
    elif stack:
        stack[-1][1].add(key)
if stack:
    bad("BEGIN without END")
if not {"VERSION", "PRODID"} <= seen:
    bad("the VCALENDAR lacks VERSION or PRODID")
print(events)
PY
) || fail "$url/calendar.ics does not parse: $events"
say "calendar.ics: parses, $events events"
say "passed: $url"
