#!/usr/bin/env bash
# loadgate's `kind: sequential` on one connection as one tool of compare-engines.sh:
#   scripts/seq-probe.sh BUILD URL REQUESTS
#
# BUILD is `test` (the perf test binary as `cargo test --test perf` builds it, the default
# profile, run directly so cargo's own start-up is not counted) or `release` (the release
# `loadgate` command line). Writes a suite with one sequential case of REQUESTS measured
# requests after 200 warm-up ones against URL, runs it, and prints
# `requests=N rps=R p50_us=P p99_us=Q` from its stats.csv. Build first:
# `cargo test --test perf --no-run` and `cargo build --release --bin loadgate`.
set -euo pipefail
build=$1 url=$2 requests=$3
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scheme_host=$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
path=${url#"$scheme_host"}
mkdir -p "$work/suites"
cat >"$work/suites/probe.yaml" <<YAML
suite: probe
base_url: $scheme_host
cases:
  - name: seq
    kind: sequential
    iterations: $requests
    warmup: 200
    request: { path: "${path:-/}", timeout: 10s }
    thresholds: { error_rate: 100% }
YAML
: >"$work/thresholds.yaml"
case $build in
    test)
        bin=$(cd "$root" && cargo test -q --test perf --no-run --message-format=json 2>/dev/null \
            | grep '"kind":\["test"\][^}]*"name":"perf"' \
            | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
        [ -x "$bin" ] || { echo "seq-probe: cannot find the perf test binary" >&2; exit 1; }
        PERF_SUITES=$work/suites PERF_THRESHOLDS=$work/thresholds.yaml \
            PERF_REPORT_DIR=$work/perf "$bin" --exact probe::seq >/dev/null
        ;;
    release)
        "${CARGO_TARGET_DIR:-$root/target}/release/loadgate" run \
            --thresholds "$work/thresholds.yaml" --report-dir "$work/perf" "$work/suites" >/dev/null
        ;;
    *) echo "seq-probe: BUILD is test or release" >&2; exit 2 ;;
esac
awk -F, '$2 == "probe::seq" {
    printf "requests=%d rps=%.1f p50_us=%.1f p99_us=%.1f\n", $3, $10, $12 * 1000, $19 * 1000
}' "$work/perf/stats.csv"
