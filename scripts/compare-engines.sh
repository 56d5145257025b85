#!/usr/bin/env bash
# loadgate's measuring engine side by side with oha and wrk, on this machine, in one run.
#
#   scripts/compare-engines.sh [ROUNDS]        (default 5 rounds)
#
# Two targets on 127.0.0.1, both started here and stopped by PID:
#   throughput  nginx answering `return 200 "ok"`, one worker, keep-alive;
#               50 connections for THROUGHPUT_SECS (10) s per tool
#   latency     examples/delay_server answering after ?ms=10;
#               20 connections for LATENCY_SECS (5) s per tool
# and on one connection, the case most functional suites hold (`kind: sequential`):
#   single      nginx, SINGLE_REQUESTS (20 000) requests one after another
#   single-delay  the delay server at ?ms=10, SINGLE_DELAY_REQUESTS (300) requests
# where loadgate runs twice: `seq-test`, the perf test binary as `cargo test` builds it (the
# default profile), and `seq-release`, the release command line (scripts/seq-probe.sh); wrk,
# which cannot count requests, runs for 5 s on its one connection.
# Each round runs every tool once per target, in an order that rotates from round to round so
# no tool always runs first. Every run is bounded by its own duration and by `timeout`.
#
# Printed per target and tool: requests per second, CPU time per request (user + system time
# of the tool's process and its children, as the kernel reports them to `wait`), p99 at full
# speed (the generator's own queueing) and p50/p99 at the 10 ms delay; each as the median over
# rounds of its ratio to oha in the same round, with the smallest and largest ratio.
#
# Needs: oha (installed with `cargo install oha --locked` if missing, 6-8 minutes), nginx and
# wrk (installed from Debian packages with apt-get if missing, when run as root or with sudo).
# Work files (raw outputs, nginx prefix, results.tsv) go to ${LOADGATE_BENCH_DIR:-target/bench}.
# Ports: NGINX_PORT (18180) and DELAY_PORT (18181) must be free.
set -uo pipefail

ROUNDS=${1:-5}
THROUGHPUT_SECS=${THROUGHPUT_SECS:-10}
LATENCY_SECS=${LATENCY_SECS:-5}
NGINX_PORT=${NGINX_PORT:-18180}
DELAY_PORT=${DELAY_PORT:-18181}
DELAY_MS=10
SINGLE_REQUESTS=${SINGLE_REQUESTS:-20000}
SINGLE_DELAY_REQUESTS=${SINGLE_DELAY_REQUESTS:-300}

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
WORK=$(mkdir -p "${LOADGATE_BENCH_DIR:-target/bench}" && cd "${LOADGATE_BENCH_DIR:-target/bench}" && pwd) || exit 1
RUN=$WORK/compare-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/nginx/logs"
EXAMPLES=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples

# The loadgate side, two tools that take URL CONNECTIONS SECONDS and print
# `requests=N ... rps=R p50_us=P p99_us=Q` (see parse_loadgate):
#   loadgate  a `kind: load` case through the release command line (scripts/load-probe.sh), the
#             same pipeline as `cargo test --test perf`; LOADGATE_CMD replaces it;
#   engine    the HTTP/1.1 engine of load cases alone (examples/engine_probe), without the
#             rest of the harness, to show what the harness itself costs.
read -r -a LOADGATE <<<"${LOADGATE_CMD:-$ROOT/scripts/load-probe.sh}"

die() { echo "compare-engines: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
    else return 1
    fi
}

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
missing=()
[ -x "$NGINX" ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "cannot install ${missing[*]}: run as root or with sudo, or install them first"
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
if ! command -v oha >/dev/null; then
    echo "installing oha with cargo (6-8 minutes)" >&2
    cargo install oha --locked || die "cannot install oha"
    PATH=${CARGO_HOME:-$HOME/.cargo}/bin:$PATH
fi
cargo build --release --bin loadgate --example engine_probe --example delay_server || die "build failed"
cargo test --test perf --no-run || die "build failed"

# --- targets -----------------------------------------------------------------------------------

NGINX_PID=
DELAY_PID=
stop_targets() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
    [ -n "$DELAY_PID" ] && kill "$DELAY_PID" 2>/dev/null
    wait 2>/dev/null
}
trap stop_targets EXIT
trap 'exit 130' INT TERM

for port in "$NGINX_PORT" "$DELAY_PORT"; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        die "port $port is in use; set NGINX_PORT / DELAY_PORT"
    fi
done

cat >"$RUN/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/plain;
    # Keep every connection for the whole run (the default closes after 1000 requests).
    keepalive_requests 10000000;
    keepalive_timeout 65s;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=1024;
        location / { return 200 "ok"; }
    }
}
EOF
"$NGINX" -p "$RUN/nginx/" -c "$RUN/nginx.conf" -e "$RUN/nginx/error.log" &
NGINX_PID=$!
"$EXAMPLES/delay_server" "127.0.0.1:$DELAY_PORT" 2>"$RUN/delay_server.log" &
DELAY_PID=$!

THROUGHPUT_URL=http://127.0.0.1:$NGINX_PORT/
LATENCY_URL="http://127.0.0.1:$DELAY_PORT/?ms=$DELAY_MS"
for _ in $(seq 50); do
    curl -fs -o /dev/null "$THROUGHPUT_URL" && curl -fs -o /dev/null "$LATENCY_URL" && break
    sleep 0.2
done
curl -fs -o /dev/null "$THROUGHPUT_URL" || die "nginx did not start (see $RUN/nginx/error.log)"
curl -fs -o /dev/null "$LATENCY_URL" || die "the delay server did not start"

# --- runs --------------------------------------------------------------------------------------

# Each parser reads a tool's stdout and prints `RPS REQUESTS P50_MS P99_MS`.
parse_oha() {
    awk '/"requestsPerSec":/ && !rps { gsub(/,/, ""); rps = $2 }
         /"total":/ && !total { gsub(/,/, ""); total = $2 }
         /"latencyPercentiles"/ { in_lat = 1 }
         in_lat && /"p50":/ { gsub(/,/, ""); p50 = $2 * 1000 }
         in_lat && /"p99":/ { gsub(/,/, ""); p99 = $2 * 1000; in_lat = 0 }
         END { if (rps) printf "%s %d %s %s\n", rps, rps * total + 0.5, p50, p99 }'
}
parse_wrk() {
    awk 'function ms(v) { if (v ~ /us$/) return v * 0.001; if (v ~ /ms$/) return v + 0; return v * 1000 }
         /requests in/ { requests = $1 }
         /Requests\/sec:/ { rps = $2 }
         $1 == "50%" { p50 = ms($2) }
         $1 == "99%" { p99 = ms($2) }
         END { if (rps) print rps, requests, p50, p99 }'
}
parse_engine() { parse_loadgate; }
parse_seq-test() { parse_loadgate; }
parse_seq-release() { parse_loadgate; }
parse_loadgate() {
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
         END { if (v["rps"]) print v["rps"], v["requests"], v["p50_us"] / 1000, v["p99_us"] / 1000 }'
}

# run TOOL PHASE ROUND URL CONNECTIONS SECONDS [REQUESTS]: one bounded run, one line in
# results.tsv. With REQUESTS (one connection), the run is bounded by count instead of time.
run() {
    local tool=$1 phase=$2 round=$3 url=$4 conns=$5 secs=$6 requests=${7:-}
    local base=$RUN/r$round-$phase-$tool cmd
    case $tool@${requests:+count} in
        oha@) cmd=(oha -z "${secs}s" -c "$conns" --no-tui --output-format json "$url") ;;
        oha@count) cmd=(oha -n "$requests" -c 1 --no-tui --output-format json "$url") ;;
        wrk@) cmd=(wrk -t "$(nproc)" -c "$conns" -d "${secs}s" --latency "$url") ;;
        wrk@count) cmd=(wrk -t 1 -c 1 -d "${secs}s" --latency "$url") ;;
        loadgate@) cmd=("${LOADGATE[@]}" "$url" "$conns" "$secs") ;;
        engine@) cmd=("$EXAMPLES/engine_probe" "$url" "$conns" "$secs") ;;
        seq-test@count) cmd=("$ROOT/scripts/seq-probe.sh" test "$url" "$requests") ;;
        seq-release@count) cmd=("$ROOT/scripts/seq-probe.sh" release "$url" "$requests") ;;
        *) die "no $tool run for $phase" ;;
    esac
    echo "round $round/$ROUNDS  $phase  $tool" >&2
    local TIMEFORMAT='%3U %3S'
    { time timeout -k 5 $((secs + 30)) "${cmd[@]}" >"$base.out" 2>"$base.err"; } 2>"$base.time"
    local figures cpu
    figures=$(parse_"$tool" <"$base.out")
    cpu=$(awk '{ print $1 + $2 }' "$base.time")
    if [ -n "$figures" ]; then
        echo "$phase $round $tool $figures $cpu" >>"$RUN/results.tsv"
    else
        echo "  $tool produced no figures; see $base.out and $base.err" >&2
    fi
    sleep 1
}

TOOLS=(oha wrk loadgate engine)
SINGLE_TOOLS=(oha wrk seq-test seq-release)
[ -n "${ONLY_SINGLE:-}" ] && TOOLS=()
for round in $(seq "$ROUNDS"); do
    for i in "${!TOOLS[@]}"; do
        tool=${TOOLS[$(((round + i) % ${#TOOLS[@]}))]}
        run "$tool" throughput "$round" "$THROUGHPUT_URL" 50 "$THROUGHPUT_SECS"
    done
    for i in "${!TOOLS[@]}"; do
        tool=${TOOLS[$(((round + i) % ${#TOOLS[@]}))]}
        run "$tool" latency "$round" "$LATENCY_URL" 20 "$LATENCY_SECS"
    done
    for i in "${!SINGLE_TOOLS[@]}"; do
        tool=${SINGLE_TOOLS[$(((round + i) % ${#SINGLE_TOOLS[@]}))]}
        run "$tool" single "$round" "$THROUGHPUT_URL" 1 5 "$SINGLE_REQUESTS"
    done
    for i in "${!SINGLE_TOOLS[@]}"; do
        tool=${SINGLE_TOOLS[$(((round + i) % ${#SINGLE_TOOLS[@]}))]}
        [ "$tool" = wrk ] && continue
        run "$tool" single-delay "$round" "$LATENCY_URL" 1 5 "$SINGLE_DELAY_REQUESTS"
    done
done

# --- table -------------------------------------------------------------------------------------

# Reads numbers, prints `median min max`.
spread() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (!NR) exit; m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%s %s %s\n", m, v[1], v[NR] }'
}

# column PHASE TOOL FIELD: the tool's figure in each round (field 4 rps, 5 requests, 6 p50,
# 7 p99, 8 cpu seconds; 0 is cpu microseconds per request), then its ratio to oha's.
values() {
    awk -v phase="$1" -v tool="$2" -v field="$3" '
        function figure() { return field == 0 ? $8 * 1e6 / $5 : $field }
        $1 == phase && $3 == tool { mine[$2] = figure() }
        $1 == phase && $3 == "oha" { oha[$2] = figure() }
        END { for (r in mine) if (r in oha && oha[r] > 0) print mine[r], mine[r] / oha[r] }' \
        "$RUN/results.tsv"
}
cell() { # cell PHASE TOOL FIELD FORMAT -> "value  ratio [min-max]"
    local value ratio
    value=$(values "$1" "$2" "$3" | cut -d' ' -f1 | spread | awk -v f="$4" '{ printf f, $1 }')
    ratio=$(values "$1" "$2" "$3" | cut -d' ' -f2 | spread | awk '{ printf "%.2f [%.2f-%.2f]", $1, $2, $3 }')
    printf "%10s %-18s" "$value" "$ratio"
}

[ -s "$RUN/results.tsv" ] || die "no run produced figures"
echo
echo "Median of $ROUNDS rounds; x oha = median of per-round ratios to oha [min-max]. $(nproc) cores."
echo
echo "nginx return 200, 50 connections, ${THROUGHPUT_SECS} s"
printf "%-9s %10s %-18s %10s %-18s %10s %-18s\n" tool "req/s" "x oha" "CPU us/req" "x oha" \
    "p99 ms" "x oha"
for tool in "${TOOLS[@]}"; do
    printf "%-9s " "$tool"
    cell throughput "$tool" 4 "%.0f"; cell throughput "$tool" 0 "%.2f"
    cell throughput "$tool" 7 "%.3f"; echo
done
echo
echo "${DELAY_MS} ms delay, 20 connections, ${LATENCY_SECS} s"
printf "%-9s %10s %-18s %10s %-18s %10s %-18s %10s %-18s\n" tool "req/s" "x oha" \
    "CPU us/req" "x oha" "p50 ms" "x oha" "p99 ms" "x oha"
for tool in "${TOOLS[@]}"; do
    printf "%-9s " "$tool"
    cell latency "$tool" 4 "%.0f"; cell latency "$tool" 0 "%.2f"
    cell latency "$tool" 6 "%.3f"; cell latency "$tool" 7 "%.3f"; echo
done
echo
echo "nginx return 200, one connection, ${SINGLE_REQUESTS} requests (wrk: 5 s)"
printf "%-11s %10s %-18s %10s %-18s %10s %-18s\n" tool "req/s" "x oha" "CPU us/req" "x oha" \
    "p50 ms" "x oha"
for tool in "${SINGLE_TOOLS[@]}"; do
    printf "%-11s " "$tool"
    cell single "$tool" 4 "%.0f"; cell single "$tool" 0 "%.2f"
    cell single "$tool" 6 "%.3f"; echo
done
echo
echo "${DELAY_MS} ms delay, one connection, ${SINGLE_DELAY_REQUESTS} requests"
printf "%-11s %10s %-18s %10s %-18s\n" tool "p50 ms" "- oha ms" "p99 ms" "x oha"
for tool in "${SINGLE_TOOLS[@]}"; do
    [ "$tool" = wrk ] && continue
    printf "%-11s " "$tool"
    diff=$(awk -v tool="$tool" '$1 == "single-delay" && $3 == tool { mine[$2] = $6 }
        $1 == "single-delay" && $3 == "oha" { oha[$2] = $6 }
        END { for (r in mine) if (r in oha) printf "%.3f\n", mine[r] - oha[r] }' "$RUN/results.tsv" \
        | spread | awk '{ printf "%+.3f [%+.3f..%+.3f]", $1, $2, $3 }')
    value=$(values single-delay "$tool" 6 | cut -d' ' -f1 | spread | awk '{ printf "%.3f", $1 }')
    printf "%10s %-18s" "$value" "$diff"
    cell single-delay "$tool" 7 "%.3f"; echo
done
echo
echo "raw outputs: $RUN" >&2
