#!/usr/bin/env bash
# loadgate's `kind: load` as one tool of compare-engines.sh: URL CONNECTIONS SECONDS.
#
#   scripts/load-probe.sh http://127.0.0.1:18180/ 50 10
#
# Writes a suite with one load case (CONNECTIONS virtual users, no think time, SECONDS long)
# against URL, runs it with the release `loadgate` command line (the same pipeline as
# `cargo test --test perf`), and prints `requests=N rps=R p50_us=P p99_us=Q` from its
# stats.csv. Build first: `cargo build --release --bin loadgate`.
set -euo pipefail
url=$1 users=$2 secs=$3
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release/loadgate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scheme_host=$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
path=${url#"$scheme_host"}
mkdir -p "$work/suites"
cat >"$work/suites/probe.yaml" <<YAML
suite: probe
base_url: $scheme_host
cases:
  - name: load
    kind: load
    users: $users
    duration: ${secs}s
    request: { path: "${path:-/}", timeout: 10s }
    thresholds: { error_rate: 100% }
YAML
: >"$work/thresholds.yaml"
"$bin" run --thresholds "$work/thresholds.yaml" --report-dir "$work/perf" "$work/suites" >/dev/null
# The case's row of the Locust-style stats.csv (milliseconds): read with awk, so the probe's
# CPU time is the harness's own and not an interpreter's start-up.
awk -F, '$2 == "probe::load" {
    printf "requests=%d rps=%.1f p50_us=%.1f p99_us=%.1f\n", $3, $10, $12 * 1000, $19 * 1000
}' "$work/perf/stats.csv"
