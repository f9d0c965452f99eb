#!/usr/bin/env bash
# Benchmark of the form functions, and the figures of their Lambda builds.
#
#   ./scripts/bench-forms.sh [options of the bench, e.g. --requests 20000 --clients 100]
#
# 1. drives the endpoints over HTTP on 127.0.0.1 with 100 concurrent clients,
#    on the embedded SQLite store and on DynamoDB Local (started on a free port,
#    from the jar ./scripts/test.sh installs): requests/s and p50/p99 per endpoint,
#    first as fast as the clients can go (closed loop: latency = clients / throughput),
#    then at a fixed offered load;
# 2. builds the two Lambda binaries (`--profile release-lambda`: LTO, opt-level s,
#    stripped) and prints their sizes (target: < 8 MB each);
# 3. prints the one-time start-up of each binary (embedded catalogue parsed +
#    DynamoDB client built; target: < 10 ms), as the binary itself logs it;
# 4. the time of equal answers (examples/bench_equal_time.rs): a stranger vs an
#    approved representative on the claim form, a new address vs a member's on
#    the join form, without and with the answer floor, on both stores.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${BENCH_RATE:-2000}
# DynamoDB Local (a Java emulator) takes about a hundred transactions a second here.
DDB_RATE=${BENCH_DYNAMODB_RATE:-50}
# Fake credentials: the bench only talks to 127.0.0.1.
export AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench CCG_TABLE=ccg-bench CCG_MAIL_FROM=bench@ccg.example

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p ccg-functions --example bench_forms
bench=target/release/examples/bench_forms

echo "== closed loop: each of the clients sends its next request as soon as the last is answered"
"$bench" --clients 100 "$@"
echo "== offered load: ${RATE} requests/s (DynamoDB Local: ${DDB_RATE}/s) spread over the same 100 clients"
"$bench" --clients 100 --rate "$RATE" --dynamodb-rate "$DDB_RATE" "$@"

echo "== Lambda binaries (cargo build --profile release-lambda)"
cargo build --profile release-lambda -p ccg-functions --bin register --bin travel-claim
for bin in register travel-claim; do
    f=target/release-lambda/$bin
    stripped=$(mktemp)
    strip -o "$stripped" "$f" 2>/dev/null || cp "$f" "$stripped"
    size=$(stat -c %s "$stripped")
    rm -f "$stripped"
    awk -v b="$bin" -v s="$size" 'BEGIN { printf "%-13s %9d bytes stripped (%.2f MiB)%s\n", b, s, s / 1048576, (s < 8 * 1048576 ? "" : "  OVER the 8 MB target") }'
done
echo "   highest glibc symbol needed (provided.al2023 has glibc 2.34):" \
    "$(objdump -T target/release-lambda/register | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1)"

echo "== start-up of the Lambda binaries (5 runs each; the runtime API is unreachable, so each exits after start-up)"
for bin in register travel-claim; do
    for _ in 1 2 3 4 5; do
        # The binary aborts once it finds no runtime API; only its start-up line matters here.
        # shellcheck disable=SC2016 # the inner shell expands its own arguments
        out=$(AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 timeout 10 sh -c '"$0" 2>&1' "target/release-lambda/$bin" 2>/dev/null || true)
        grep -m1 'start-up' <<<"$out" || echo "$bin: no start-up line"
    done
done

echo "== equal answers in equal time: stranger vs representative, new address vs member's (examples/bench_equal_time.rs)"
cargo run --release -p ccg-functions --example bench_equal_time -- --dynamodb
