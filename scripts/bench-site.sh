#!/usr/bin/env bash
# Benchmark of the site generator against Hugo (Debian's /usr/bin/hugo) on the
# same synthetic site: N pages of 600-1,200 words of varied markdown and N/10
# events (generator/examples/synth.rs writes both versions, with minimal
# equivalent Hugo templates). Both tools run in the same session, alternating,
# each into a fresh output folder; the best wall time of RUNS runs is kept, and
# the highest peak memory (maximum resident set size, /usr/bin/time -v).
# Then the incremental builder `serve` keeps (generator/examples/rebuild.rs,
# the same `Builder`): unchanged rebuild, one page edited, one event edited
# (its title and body), each against a full build of the same site.
# Without Hugo (HUGO unset or not installed) its rows are skipped.
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

HAVE_HUGO=1
command -v "$HUGO" >/dev/null || { HAVE_HUGO=0; echo "hugo not found at $HUGO: its rows are skipped (apt-get install hugo)"; }
cargo build --release -p generator --bin generator --example synth --example rebuild
GEN=$PWD/target/release/generator
SYNTH=$PWD/target/release/examples/synth
REBUILD=$PWD/target/release/examples/rebuild
echo "generator: $GEN"
if [ "$HAVE_HUGO" = 1 ]; then echo "hugo:      $("$HUGO" version)"; fi
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

# Publishing builds need real addresses (the synthetic config has example ones).
PUBLISH=(--base-url https://ccg.scalable-cities.eu --contact-email ccg@scalable-cities.eu)

for N in "${SIZES[@]}"; do
  DIR=$BASE/n$N
  "$SYNTH" "$N" "$DIR" 2>&1
  PAGES=$((N + N / 10))
  : >"$DIR/gen-full" ; : >"$DIR/hugo-full"; : >"$DIR/gen-same"; : >"$DIR/hugo-same"; : >"$DIR/gen-edit"
  for r in $(seq 1 "$RUNS"); do
    sync; measure "$GEN" build --root "$DIR/site" --out "$DIR/out-gen-$r" --now "$NOW" "${PUBLISH[@]}" >>"$DIR/gen-full"
    if [ "$HAVE_HUGO" = 1 ]; then sync; measure "$HUGO" --source "$DIR/hugo" --destination "$DIR/out-hugo-$r" --quiet >>"$DIR/hugo-full"; fi
  done
  for r in $(seq 1 "$RUNS"); do
    measure "$GEN" build --root "$DIR/site" --out "$DIR/out-gen-1" --now "$NOW" "${PUBLISH[@]}" >>"$DIR/gen-same"
    if [ "$HAVE_HUGO" = 1 ]; then measure "$HUGO" --source "$DIR/hugo" --destination "$DIR/out-hugo-1" --quiet >>"$DIR/hugo-same"; fi
  done
  # One page edited: only it is rendered and written again.
  for r in $(seq 1 "$RUNS"); do
    printf '\nEdited in run %s.\n' "$r" >>"$DIR/site/content/pages/section-00/page-00001.md"
    measure "$GEN" build --root "$DIR/site" --out "$DIR/out-gen-1" --now "$NOW" "${PUBLISH[@]}" >>"$DIR/gen-edit"
  done
  # The builder serve keeps, in one process: full build, then rebuilds (time: best of RUNS).
  "$REBUILD" "$DIR/site" "$DIR/out-serve" "$NOW" "$RUNS" >"$DIR/serve"
  read -r GW GK < <(best <"$DIR/gen-full")
  read -r GSW GSK < <(best <"$DIR/gen-same")
  read -r GEW GEK < <(best <"$DIR/gen-edit")
  FILES_G=$(find "$DIR/out-gen-1" -type f | wc -l)
  echo
  echo "N = $N pages + $((N / 10)) events ($PAGES HTML pages; files written: generator $FILES_G)"
  row "generator build, full" "$PAGES" "$GW" "$GK"
  row "generator build, nothing changed" "$PAGES" "$GSW" "$GSK"
  row "generator build, one page edited" "$PAGES" "$GEW" "$GEK"
  while read -r CASE W KB RENDERED; do
    case $CASE in
      full) LABEL="serve builder, full" ;;
      same) LABEL="serve builder, nothing changed" ;;
      page) LABEL="serve builder, one page edited" ;;
      event) LABEL="serve builder, one event edited" ;;
    esac
    awk -v label="$LABEL" -v w="$W" -v kb="$KB" -v n="$RENDERED" -v full="$GW" \
      'BEGIN { printf "  %-30s %8.3f s %8.0f MB  %5d pages rendered  %5.1f%% of a full build (1/%.0f)\n", label, w, kb / 1024, n, 100 * w / full, full / w }'
  done <"$DIR/serve"
  if [ "$HAVE_HUGO" = 1 ]; then
    read -r HW HK < <(best <"$DIR/hugo-full")
    read -r HSW HSK < <(best <"$DIR/hugo-same")
    echo "  hugo: $(find "$DIR/out-hugo-1" -type f | wc -l) files"
    row "hugo, full build" "$PAGES" "$HW" "$HK"
    row "hugo, nothing changed" "$PAGES" "$HSW" "$HSK"
    awk -v gw="$GW" -v hw="$HW" -v gk="$GK" -v hk="$HK" \
      'BEGIN { printf "  generator is %.1fx faster than hugo and uses 1/%.1f of its peak memory\n", hw / gw, hk / gk }'
  fi
done
echo
echo "outputs kept in $BASE (remove with: rm -rf $BASE)"
