#!/usr/bin/env bash
# The restore drill (issue 22; infra/README.md, "Restore from a backup"):
# restore the table into a new one, then check it with `desk check-table`
# (items per kind; each city's yearly counters equal to what its claims add
# up to). Never touches the table in use.
#
#   scripts/restore-drill.sh [--cities N]          (default 60: about 2,200 items)
#       Here, without an AWS account (the test command runs this): DynamoDB
#       Local; a table made as the template defines it and filled through the
#       forms and the desk (functions/examples/drill_seed.rs); exported as
#       DynamoDB JSON lines ({"Item": {...}}, the shape of DynamoDB's export
#       to S3); imported into a new table; both checked, their reports and
#       their exports compared byte for byte; and a copy with one counter
#       changed must fail the check.
#   scripts/restore-drill.sh --from-backup RECOVERY_POINT_ARN --table NEW [--role ROLE_ARN]
#       In AWS: AWS Backup restores the recovery point (a monthly backup in
#       the vault of the stack's output BackupVaultName) into table NEW, with the stack's
#       backup role (output BackupRoleArn; or CCG_BACKUP_ROLE_ARN); then the check.
#   scripts/restore-drill.sh --from-pitr TIME --source TABLE --table NEW
#       In AWS: point-in-time recovery of TABLE as it was at TIME (RFC 3339,
#       within the last 35 days) into table NEW; then the check.
#
# Environment: CCG_DESK (a built desk, default target/debug/desk),
# CCG_DRILL_SEED (the built example, default target/debug/examples/drill_seed),
# CCG_DYNAMODB_LOCAL_JAR (default: .cache/dynamodb-local's), and in AWS the
# usual AWS_REGION and credentials (the desk's DeskPolicy reads the table;
# restoring needs backup:StartRestoreJob or dynamodb:RestoreTableToPointInTime
# and iam:PassRole on the backup role).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
desk=${CCG_DESK:-$target_dir/debug/desk}
seed=${CCG_DRILL_SEED:-$target_dir/debug/examples/drill_seed}

mode=local cities=60 from="" source_table="" new_table="" role=${CCG_BACKUP_ROLE_ARN:-}
while [ $# -gt 0 ]; do
  case $1 in
    --cities) cities=$2; shift 2 ;;
    --from-backup) mode=backup; from=$2; shift 2 ;;
    --from-pitr) mode=pitr; from=$2; shift 2 ;;
    --source) source_table=$2; shift 2 ;;
    --table) new_table=$2; shift 2 ;;
    --role) role=$2; shift 2 ;;
    *) echo "restore-drill: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
[ -x "$desk" ] || { echo "restore-drill: no desk binary at $desk (cargo build --workspace, or set CCG_DESK)" >&2; exit 1; }

# check TABLE: desk check-table, its report on stdout; fails when the table does not hold together.
check() {
  echo "restore-drill: desk check-table on $1" >&2
  "$desk" --dynamodb "$1" check-table
}

restored_next_steps() {
  cat <<EOF
restore-drill: $1 is restored and holds together. It is not in use yet: it has no TTL,
no point-in-time recovery and no deletion protection (a restore does not carry them).
Next: infra/README.md, "Restore from a backup", steps 4 to 6.
EOF
}

case $mode in
  backup)
    [ -n "$new_table" ] || { echo "restore-drill: --from-backup needs --table NEW" >&2; exit 2; }
    [ -n "$role" ] || { echo "restore-drill: give --role (the stack's output BackupRoleArn) or CCG_BACKUP_ROLE_ARN" >&2; exit 2; }
    job=$(aws backup start-restore-job --recovery-point-arn "$from" --iam-role-arn "$role" --resource-type DynamoDB \
      --metadata "targetTableName=$new_table,encryptionType=Default" --query RestoreJobId --output text)
    echo "restore-drill: restore job $job into $new_table"
    while :; do
      status=$(aws backup describe-restore-job --restore-job-id "$job" --query Status --output text)
      case $status in
        COMPLETED) break ;;
        ABORTED|FAILED) echo "restore-drill: restore job $job $status:" >&2
          aws backup describe-restore-job --restore-job-id "$job" --query StatusMessage --output text >&2; exit 1 ;;
        *) sleep 30 ;;
      esac
    done
    aws dynamodb wait table-exists --table-name "$new_table"
    check "$new_table"
    restored_next_steps "$new_table"
    exit 0
    ;;
  pitr)
    if [ -z "$new_table" ] || [ -z "$source_table" ]; then
      echo "restore-drill: --from-pitr needs --source TABLE and --table NEW" >&2
      exit 2
    fi
    aws dynamodb restore-table-to-point-in-time --source-table-name "$source_table" --target-table-name "$new_table" \
      --restore-date-time "$from" --sse-specification-override Enabled=true,SSEType=KMS >/dev/null
    echo "restore-drill: restoring $source_table as of $from into $new_table"
    aws dynamodb wait table-exists --table-name "$new_table"
    check "$new_table"
    restored_next_steps "$new_table"
    exit 0
    ;;
esac

# ---------------------------------------------------------------- here, on DynamoDB Local
[ -x "$seed" ] || { echo "restore-drill: no $seed (cargo test --workspace --no-run builds it; or set CCG_DRILL_SEED)" >&2; exit 1; }
jar=${CCG_DYNAMODB_LOCAL_JAR:-$(compgen -G "$root/.cache/dynamodb-local/package/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort | tail -n 1)}
[ -f "$jar" ] || { echo "restore-drill: DynamoDB Local is not installed (scripts/setup-test-deps.sh)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ccg-restore-drill.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# As functions/tests/it/common does: in memory, its native libraries next to the jar.
(cd "$(dirname "$jar")" && exec java -Xmx512m -Djava.library.path="$(dirname "$jar")/DynamoDBLocal_lib" -jar "$jar" \
  -inMemory -sharedDb -disableTelemetry -port "$port" >"$work/dynamodb-local.log" 2>&1) &
local_pid=$!
# DynamoDB Local ends with 143 on SIGTERM: that is not the drill's outcome
# (set -e would otherwise make it the script's exit status).
trap 'kill "$local_pid" 2>/dev/null || true; wait "$local_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$port AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=drill AWS_SECRET_ACCESS_KEY=drill
for _ in $(seq 1 120); do
  curl -s -o /dev/null "$AWS_ENDPOINT_URL_DYNAMODB" && break
  sleep 0.5
done
t0=$SECONDS

"$seed" --endpoint "$AWS_ENDPOINT_URL_DYNAMODB" --table ccg-drill --cities "$cities"
check ccg-drill | tee "$work/source.check"
"$desk" --dynamodb ccg-drill export-table --out "$work/export.jsonl"
"$desk" --dynamodb ccg-drill-restored import-table --create "$work/export.jsonl"
check ccg-drill-restored | tee "$work/restored.check"

# The same report (kinds, counts, counters) and the same items, byte for byte.
diff -u "$work/source.check" "$work/restored.check"
"$desk" --dynamodb ccg-drill-restored export-table --out "$work/restored.jsonl"
cmp "$work/export.jsonl" "$work/restored.jsonl"
items=$(wc -l <"$work/export.jsonl")
[ "$items" -ge 2000 ] || { echo "restore-drill: only $items items; the drill wants a table of thousands" >&2; exit 1; }

# The check can fail: one city-year's counter off by one trip, in a third table.
python3 - "$work/export.jsonl" "$work/tampered.jsonl" <<'EOF'
import json, sys
done = False
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        item = json.loads(line)
        if not done and item["Item"]["pk"]["S"].startswith("YEAR#"):
            item["Item"]["trips"]["N"] = str(int(item["Item"]["trips"]["N"]) + 1)
            done = True
        out.write(json.dumps(item) + "\n")
sys.exit(0 if done else 1)
EOF
"$desk" --dynamodb ccg-drill-tampered import-table --create "$work/tampered.jsonl" >/dev/null
if "$desk" --dynamodb ccg-drill-tampered check-table >"$work/tampered.check" 2>&1; then
  echo "restore-drill: a table with a wrong counter passed the check" >&2
  cat "$work/tampered.check" >&2
  exit 1
fi
grep '^problem:' "$work/tampered.check"
echo "restore-drill: passed: $items items exported, imported into a new table and checked equal, in $((SECONDS - t0)) s (DynamoDB Local)"
