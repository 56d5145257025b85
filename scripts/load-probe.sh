#!/usr/bin/env bash
# loadgate's `kind: load` as one tool of compare-engines.sh: URL CONNECTIONS SECONDS.
#
#   scripts/load-probe.sh http://127.0.0.1:18180/ 50 10
#
# Writes a suite with one load case (CONNECTIONS virtual users, no think time, SECONDS long)
# against URL, runs it with the release `loadgate` command line (the same pipeline as
# `cargo test --test perf`), and prints `requests=N rps=R p50_us=P p99_us=Q` from its
# results.json. Build first: `cargo build --release --bin loadgate`.
set -euo pipefail
url=$1 users=$2 secs=$3
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release/loadgate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base=${url%%/*//*}
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
python3 - "$work/perf/results.json" <<'PY'
import json, sys
case = json.load(open(sys.argv[1]))["cases"][0]
s = case["summary"]
lat = s["latency"]
print(f'requests={s["requests"]} rps={s["throughput"]:.1f} '
      f'p50_us={lat["p50_ns"] / 1000:.1f} p99_us={lat["p99_ns"] / 1000:.1f}')
PY
