"""The deploy scripts, offline: a release is checked before it is deployed,
another table name is refused, the stateful stack is protected, the smoke test
catches what it should, and a failed release rolls back to the last good one.

AWS is a stub on PATH (tests/…/aws here: S3 is a folder, CloudFormation
answers fixed outputs); the smoke test runs against a stand-in HTTP server.
"""

import hashlib
import http.server
import json
import os
import subprocess
import tempfile
import threading
import unittest
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = [line.strip() for line in (ROOT / "infra/functions.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
CONTENT = "0123abcd"

AWS_STUB = r"""#!/usr/bin/env bash
printf 'aws %s\n' "$*" >>"$STUB_LOG"
map() { case $1 in s3://*) printf '%s/%s' "$FAKE_S3" "${1#s3://}" ;; *) printf '%s' "$1" ;; esac; }
case "$1 $2" in
  "s3 cp")
    shift 2; args=()
    for a in "$@"; do [ "$a" = --only-show-errors ] || args+=("$a"); done
    src=$(map "${args[0]}"); dst=$(map "${args[1]}")
    [ -f "$src" ] || exit 1
    mkdir -p "$(dirname "$dst")"; cp "$src" "$dst" ;;
  "sts get-caller-identity") echo 111122223333 ;;
  "cloudformation describe-stacks")
    case "$*" in
      *TableName*) [ -n "${STUB_TABLE:-}" ] && echo "$STUB_TABLE" || exit 255 ;;
      *SiteUrl*) echo "https://stub.example" ;;
      *) echo "stub-output" ;;
    esac ;;
  *) exit 0 ;;
esac
"""
SAM_STUB = """#!/usr/bin/env bash
printf 'sam %s\\n' "$*" >>"$STUB_LOG"
exit 3
"""


def make_release(folder, content=CONTENT, run="7-1"):
    folder = Path(folder)
    (folder / "site/production").mkdir(parents=True)
    (folder / "site/production/version.json").write_text(json.dumps({"content": content}, separators=(",", ":")) + "\n")
    (folder / "site/production/index.html").write_text("<!doctype html><title>ccg</title>\n")
    for fn in FUNCTIONS:
        (folder / "lambda" / fn).mkdir(parents=True)
        (folder / "lambda" / fn / "bootstrap").write_bytes(b"\x7fELF" + fn.encode())
    (folder / "release.json").write_text(json.dumps({"commit": "c0ffee", "content": content, "run": run}) + "\n")
    lines = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(folder)}")
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return folder


class Stubs:
    def __init__(self, tmp):
        self.bin = Path(tmp) / "bin"
        self.bin.mkdir()
        for name, text in (("aws", AWS_STUB), ("sam", SAM_STUB)):
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)
        self.log = Path(tmp) / "calls.log"
        self.log.write_text("")
        self.s3 = Path(tmp) / "s3"
        self.s3.mkdir()

    def env(self, **extra):
        env = dict(os.environ)
        env.update(PATH=f"{self.bin}:{env['PATH']}", STUB_LOG=str(self.log), FAKE_S3=str(self.s3), AWS_REGION="eu-central-1")
        for k in ("CCG_TABLE_NAME", "CCG_EXTRA_PARAMETERS", "CCG_ENVIRONMENT", "STUB_TABLE", "GITHUB_STEP_SUMMARY"):
            env.pop(k, None)
        env.update(extra)
        return env

    def calls(self):
        return self.log.read_text()


def run(args, env, cwd=ROOT):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


class Release(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.stubs = Stubs(self.tmp.name)

    def test_the_functions_list_is_the_templates(self):
        with open(ROOT / "infra/template.yaml", encoding="utf-8") as f:
            t = yaml_parse(f.read())
        folders = sorted(r["Properties"]["CodeUri"].rstrip("/").rsplit("/", 1)[-1] for r in t["Resources"].values() if r["Type"] == "AWS::Serverless::Function")
        self.assertEqual(sorted(FUNCTIONS), folders, "infra/functions.txt names the CodeUri folders of infra/template.yaml")

    def test_a_prebuilt_release_is_checked_against_its_sums(self):
        rel = make_release(Path(self.tmp.name) / "rel")
        deploy = [str(ROOT / "scripts/deploy.sh"), "--dry-run", "--prebuilt", str(rel), "ccg"]
        ok = run(deploy, self.stubs.env())
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("files match SHA256SUMS", ok.stdout)
        self.assertIn("set-stack-policy", ok.stdout)
        self.assertIn("--enable-termination-protection", ok.stdout)
        self.assertNotIn("cargo", ok.stdout, "a prebuilt deploy compiles nothing")
        bootstrap = rel / "lambda" / FUNCTIONS[0] / "bootstrap"
        bootstrap.write_bytes(bootstrap.read_bytes() + b"!")
        bad = run(deploy, self.stubs.env())
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("does not match its SHA256SUMS", bad.stderr)
        rel2 = make_release(Path(self.tmp.name) / "rel2")
        (rel2 / "site/production/extra.js").write_text("alert(1)\n")
        extra = run([str(ROOT / "scripts/deploy.sh"), "--dry-run", "--prebuilt", str(rel2), "ccg"], self.stubs.env())
        self.assertNotEqual(extra.returncode, 0)
        self.assertIn("SHA256SUMS does not list: site/production/extra.js", extra.stderr)

    def test_another_table_name_needs_new_table(self):
        rel = make_release(Path(self.tmp.name) / "rel")
        deploy = [str(ROOT / "scripts/deploy.sh"), "--prebuilt", str(rel), "ccg"]
        refused = run(deploy, self.stubs.env(STUB_TABLE="ccg-forms", CCG_TABLE_NAME="ccg-forms-2"))
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("uses the table ccg-forms; TableName=ccg-forms-2", refused.stderr)
        self.assertNotIn("sam deploy", self.stubs.calls())
        # The same through CCG_EXTRA_PARAMETERS.
        refused = run(deploy, self.stubs.env(STUB_TABLE="ccg-forms", CCG_EXTRA_PARAMETERS="TableName=x-forms"))
        self.assertIn("TableName=x-forms", refused.stderr)
        self.assertNotIn("sam deploy", self.stubs.calls())
        for env, args in (
            (dict(STUB_TABLE="ccg-forms", CCG_TABLE_NAME="ccg-forms"), []),  # the same table
            (dict(STUB_TABLE="ccg-forms"), []),  # none given: the stack keeps its own
            (dict(CCG_TABLE_NAME="ccg-forms-2"), []),  # a new stack
            (dict(STUB_TABLE="ccg-forms", CCG_TABLE_NAME="ccg-forms-2"), ["--new-table"]),
        ):
            self.stubs.log.write_text("")
            r = run(deploy[:1] + args + deploy[1:], self.stubs.env(**env))
            self.assertIn("sam deploy", self.stubs.calls(), (env, args, r.stderr))

    def test_the_stack_policy_keeps_the_stateful_resources(self):
        policy = json.loads((ROOT / "infra/stack-policy.json").read_text())
        (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        self.assertEqual(sorted(deny["Action"]), ["Update:Delete", "Update:Replace"])
        with open(ROOT / "infra/template.yaml", encoding="utf-8") as f:
            resources = yaml_parse(f.read())["Resources"]
        protected = {r.split("/", 1)[1] for r in deny["Resource"]}
        self.assertEqual(protected, {"Table", "SiteBucket", "DocumentsBucket", "BackupVault", "BackupKey"})
        for name in protected:
            self.assertIn(name, resources)
        stateful = {n for n, r in resources.items() if r["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Backup::BackupVault")
                    or r.get("DeletionPolicy") == "Retain" and r["Type"] == "AWS::KMS::Key"}
        self.assertEqual(sorted(stateful - protected), [], "a stateful resource the stack policy does not protect")

    def test_a_failed_release_rolls_back_to_the_last_good_one(self):
        deploy_stub = Path(self.tmp.name) / "bin/deploy-stub"
        deploy_stub.write_text('#!/usr/bin/env bash\nprintf "deploy %s %s\\n" "$3" "$(cat "$2/release.json")" >>"$STUB_LOG"\n'
                               '[ "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[\'content\'])" "$2/release.json")" != broken-deploy ]\n')
        smoke_stub = Path(self.tmp.name) / "bin/smoke-stub"
        smoke_stub.write_text('#!/usr/bin/env bash\nprintf "smoke %s %s\\n" "$1" "$2" >>"$STUB_LOG"\n[ "$2" != broken ]\n')
        for s in (deploy_stub, smoke_stub):
            s.chmod(0o755)
        env = self.stubs.env(CCG_ARTIFACTS_BUCKET="artifacts", CCG_DEPLOY=str(deploy_stub), CCG_SMOKE_TEST=str(smoke_stub))
        current = self.stubs.s3 / "artifacts/releases/current.json"

        def release(content, run_id):
            rel = make_release(Path(self.tmp.name) / run_id, content=content, run=run_id)
            self.stubs.log.write_text("")
            return run([str(ROOT / "scripts/release.sh"), str(rel), "ccg"], env)

        first = release("good1", "1-1")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(json.loads(current.read_text())["id"], "1-1")
        self.assertTrue((self.stubs.s3 / "artifacts/releases/1-1/release.tar.gz").is_file())

        for content, run_id in (("broken", "2-1"), ("broken-deploy", "3-1")):
            failed = release(content, run_id)
            self.assertEqual(failed.returncode, 1, failed.stdout + failed.stderr)
            self.assertIn("rolled back to 1-1", (failed.stdout + failed.stderr).lower())
            calls = [c for c in self.stubs.calls().splitlines() if c.startswith(("deploy", "smoke"))]
            self.assertRegex(calls[-2], r'^deploy ccg .*"content": "good1"', calls)
            self.assertEqual(calls[-1], "smoke https://stub.example good1")
            self.assertEqual(json.loads(current.read_text())["id"], "1-1", "a failed release never becomes the last good one")

        third = release("good2", "4-1")
        self.assertEqual(third.returncode, 0, third.stderr)
        self.assertEqual(json.loads(current.read_text())["id"], "4-1")
        self.assertEqual(json.loads((self.stubs.s3 / "artifacts/releases/previous.json").read_text())["id"], "1-1")


class StandIn(http.server.BaseHTTPRequestHandler):
    """What the smoke test asks of a site; `flaws` breaks one answer."""

    flaws = set()

    def log_message(self, *args):
        pass

    def answer(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/version.json":
            self.answer(200, b'{"content":"%s"}\n' % CONTENT.encode(), "application/json")
        elif self.path == "/calendar.ics":
            lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//City Coordinators Group//ccg site generator//EN",
                     "BEGIN:VEVENT", "UID:ev-1@ccg.example.eu", "DTSTAMP:20260101T000000Z", "DTSTART:20260301T090000Z",
                     "SUMMARY:Meeting", "END:VEVENT", "END:VCALENDAR"]
            if "ics" in self.flaws:
                lines.remove("DTSTAMP:20260101T000000Z")
            self.answer(200, ("\r\n".join(lines) + "\r\n").encode(), "text/calendar")
        else:
            self.answer(404, b"not found", "text/plain")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        foreign = self.headers.get("Origin") not in (None, f"http://{self.headers.get('Host')}")
        status = 403 if foreign and "origin" not in self.flaws else 200
        self.answer(status, b"", "text/html")


class SmokeTest(unittest.TestCase):
    def setUp(self):
        StandIn.flaws = set()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def smoke(self, *args):
        return run([str(ROOT / "scripts/smoke-test.sh"), self.url, *args], dict(os.environ))

    def test_a_good_site_passes(self):
        r = self.smoke(CONTENT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("calendar.ics: parses, 1 events", r.stdout)

    def test_each_failure_is_caught(self):
        r = self.smoke("ffff0000")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"reports content {CONTENT}, not ffff0000", r.stderr)
        StandIn.flaws = {"origin"}
        r = self.smoke()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("from another origin answered 200, not 403", r.stderr)
        StandIn.flaws = {"ics"}
        r = self.smoke()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("a VEVENT without DTSTAMP", r.stderr)


if __name__ == "__main__":
    unittest.main()
