#!/usr/bin/env bash
# Benchmark of the site generator against Hugo (Debian's /usr/bin/hugo) on the
# same synthetic site: N pages of 600-1,200 words of varied markdown and N/10
# events (generator/examples/synth.rs writes both versions, with minimal
# equivalent Hugo templates). Both tools run in the same session, alternating,
# each into a fresh output folder; the best wall time of RUNS runs is kept, and
# the highest peak memory (maximum resident set size, /usr/bin/time -v).
#
#   scripts/bench-site.sh            # N = 1000 and 10000
#   scripts/bench-site.sh 2000       # other sizes
#   RUNS=5 BENCH_DIR=/dev/shm/b scripts/bench-site.sh   # more runs, in memory
#
# Not a test: it prints figures, it does not judge them.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
HUGO=${HUGO:-/usr/bin/hugo}
NOW=2026-01-01T00:00:00Z
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(1000 10000)
BASE=${BENCH_DIR:-$(mktemp -d /tmp/ccg-bench.XXXXXX)}
mkdir -p "$BASE"

command -v "$HUGO" >/dev/null || { echo "hugo not found (apt-get install hugo)" >&2; exit 1; }
cargo build --release -p generator --bin generator --example synth
GEN=$PWD/target/release/generator
SYNTH=$PWD/target/release/examples/synth
echo "generator: $GEN"
echo "hugo:      $("$HUGO" version)"
echo "machine:   $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "folder:    $BASE (RUNS=$RUNS)"

# Runs a command under /usr/bin/time -v; prints "wall_seconds peak_kb".
measure() {
  local log
  log=$(mktemp)
  if ! /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$log.err"; then
    echo "failed: $*" >&2
    cat "$log.err" "$log" >&2
    exit 1
  fi
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; wall = s }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.3f %d\n", wall, rss }' "$log"
  rm -f "$log" "$log.err"
}

# best wall time and highest peak memory over the lines "wall kb" on stdin
best() { awk 'NR == 1 || $1 < w { w = $1 } $2 > m { m = $2 } END { printf "%.3f %d\n", w, m }'; }

row() { # label pages "wall kb"
  awk -v label="$1" -v pages="$2" -v w="$3" -v kb="$4" \
    'BEGIN { printf "  %-30s %8.2f s %10.0f pages/s %8.0f MB\n", label, w, pages / w, kb / 1024 }'
}

# A build without --drafts is a publishing one: it needs real public addresses.
PUBLISH=(--base-url https://ccg.scalable-cities.eu --contact-email ccg@scalable-cities.eu)

for N in "${SIZES[@]}"; do
  DIR=$BASE/n$N
  "$SYNTH" "$N" "$DIR" 2>&1
  PAGES=$((N + N / 10))
  : >"$DIR/gen-full" ; : >"$DIR/hugo-full"; : >"$DIR/gen-same"; : >"$DIR/hugo-same"; : >"$DIR/gen-edit"
  for r in $(seq 1 "$RUNS"); do
    sync; measure "$GEN" build --root "$DIR/site" --out "$DIR/out-gen-$r" --now "$NOW" "${PUBLISH[@]}" >>"$DIR/gen-full"
    sync; measure "$HUGO" --source "$DIR/hugo" --destination "$DIR/out-hugo-$r" --quiet >>"$DIR/hugo-full"
  done
  for r in $(seq 1 "$RUNS"); do
    measure "$GEN" build --root "$DIR/site" --out "$DIR/out-gen-1" --now "$NOW" "${PUBLISH[@]}" >>"$DIR/gen-same"
    measure "$HUGO" --source "$DIR/hugo" --destination "$DIR/out-hugo-1" --quiet >>"$DIR/hugo-same"
  done
  # One page edited: only it is rendered and written again.
  for r in $(seq 1 "$RUNS"); do
    printf '\nEdited in run %s.\n' "$r" >>"$DIR/site/content/pages/section-00/page-00001.md"
    measure "$GEN" build --root "$DIR/site" --out "$DIR/out-gen-1" --now "$NOW" "${PUBLISH[@]}" >>"$DIR/gen-edit"
  done
  read -r GW GK < <(best <"$DIR/gen-full")
  read -r HW HK < <(best <"$DIR/hugo-full")
  read -r GSW GSK < <(best <"$DIR/gen-same")
  read -r HSW HSK < <(best <"$DIR/hugo-same")
  read -r GEW GEK < <(best <"$DIR/gen-edit")
  FILES_G=$(find "$DIR/out-gen-1" -type f | wc -l)
  FILES_H=$(find "$DIR/out-hugo-1" -type f | wc -l)
  echo
  echo "N = $N pages + $((N / 10)) events ($PAGES HTML pages; files written: generator $FILES_G, hugo $FILES_H)"
  row "generator, full build" "$PAGES" "$GW" "$GK"
  row "hugo, full build" "$PAGES" "$HW" "$HK"
  row "generator, nothing changed" "$PAGES" "$GSW" "$GSK"
  row "hugo, nothing changed" "$PAGES" "$HSW" "$HSK"
  row "generator, one page edited" "$PAGES" "$GEW" "$GEK"
  awk -v gw="$GW" -v hw="$HW" -v gk="$GK" -v hk="$HK" -v gs="$GSW" \
    'BEGIN { printf "  generator is %.1fx faster than hugo and uses 1/%.1f of its peak memory; an unchanged rebuild takes %.0f%% of a full one\n", hw / gw, hk / gk, 100 * gs / gw }'
done
echo
echo "outputs kept in $BASE (remove with: rm -rf $BASE)"
