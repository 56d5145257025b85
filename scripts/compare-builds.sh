#!/usr/bin/env bash
# What `cargo test`'s default profile adds to measured latencies: the same sequential case
# against a server that answers after a fixed 10 ms, run through `cargo test --test perf` as
# built by default (the dev profile, with this repository's profile settings) and with
# `--release`, in interleaved rounds. Prints p50 and p99 of each build per round and the
# difference of the medians.
#
#   scripts/compare-builds.sh [ROUNDS]        (default 5)
#
# The delay server (examples/delay_server) listens on 127.0.0.1:${DELAY_PORT:-18281} and is
# stopped by PID; every run is bounded by `timeout`. Work files go to target/bench/builds.
set -euo pipefail
ROUNDS=${1:-5}
PORT=${DELAY_PORT:-18281}
cd "$(dirname "$0")/.."
WORK=$PWD/target/bench/builds
rm -rf "$WORK" && mkdir -p "$WORK/suites"
cargo build -q --release --example delay_server
cargo test -q --no-run --test perf
cargo test -q --no-run --release --test perf
target/release/examples/delay_server "127.0.0.1:$PORT" 2>"$WORK/delay_server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/?ms=1" && break; sleep 0.1; done
cat >"$WORK/suites/delay.yaml" <<YAML
suite: builds
base_url: http://127.0.0.1:$PORT
cases:
  - name: delay_10ms
    kind: sequential
    iterations: 300
    warmup: 20
    request: { path: "/?ms=10" }
YAML
: >"$WORK/thresholds.yaml"
measure() { # PROFILE ROUND -> "p50_ms p99_ms"
    local flags=() dir="$WORK/$1-$2"
    [ "$1" = release ] && flags=(--release)
    PERF_SUITES="$WORK/suites" PERF_THRESHOLDS="$WORK/thresholds.yaml" PERF_REPORT_DIR="$dir" \
        timeout 120 cargo test -q "${flags[@]}" --test perf >"$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
    awk -F, '$2 == "builds::delay_10ms" { printf "%.3f %.3f\n", $12, $19 }' "$dir/stats.csv"
}
printf '%-6s %12s %12s %12s %12s\n' round dev_p50_ms release_p50 dev_p99_ms release_p99
: >"$WORK/rows"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order=(dev release); else order=(release dev); fi
    declare -A got=()
    for profile in "${order[@]}"; do got[$profile]=$(measure "$profile" "$round"); done
    read -r dp50 dp99 <<<"${got[dev]}"; read -r rp50 rp99 <<<"${got[release]}"
    printf '%-6s %12s %12s %12s %12s\n' "$round" "$dp50" "$rp50" "$dp99" "$rp99"
    echo "$dp50 $rp50" >>"$WORK/rows"
done
python3 - "$WORK/rows" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
dev, rel = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
diffs = [r[0] - r[1] for r in rows]
print(f"median p50: dev {dev:.3f} ms, release {rel:.3f} ms, difference {dev - rel:+.3f} ms "
      f"(per round {min(diffs):+.3f} to {max(diffs):+.3f})")
PY
