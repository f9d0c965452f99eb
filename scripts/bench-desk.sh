#!/usr/bin/env bash
# Benchmark of the secretariat desk's lists (issue 20): 10,000 claims and
# 5,000 contacts with their history, on SQLite and on DynamoDB Local (started
# on a free port from the jar ./scripts/test.sh installs, stopped at the end).
# Prints, for the first page and the fifth of each list, the median and 95th
# percentile in ms and the DynamoDB requests the page took, by kind.
#
#   ./scripts/bench-desk.sh [options of the bench, e.g. --claims 20000 --contacts 10000 --runs 50]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# The DynamoDB store without the Lambdas' and the desk's features: less to build.
cargo build --release -p ccg-functions --no-default-features --features dynamodb --example bench_desk
"${CARGO_TARGET_DIR:-target}/release/examples/bench_desk" "$@"
