#!/usr/bin/env bash
# compare.sh runs the performance targets of issue 3 against the reference
# `etcd --enable-v2` and against this repository's bin/etcd, one server after the other on
# this machine, and prints a markdown table with both figures and their ratio.
#
# Usage: tools/benchmark/compare.sh            (from anywhere; builds what it needs)
#
# Settings (environment):
#   BENCH_DURATION=10s        length of each throughput scenario (GET 64, PUT 64, PUT 1)
#   BENCH_CLIENTS=64          clients of the throughput scenarios
#   BENCH_WATCHERS=1000       watchers of the fan-out scenario
#   BENCH_WATCH_ROUNDS=10     rounds of the fan-out scenario
#   BENCH_FILL_KEYS=100000    keys written for the RSS and restart scenarios
#   BENCH_FILL_VAL=256        their value size
#   BENCH_RESTART_ROUNDS=3    restarts of the filled data dir (the median is reported)
#   BENCH_PIN=auto            auto|0: pin the server to CPU 1 and the load tool to CPU 0
#                             with taskset when there are at least 2 CPUs
#   BENCH_REF=etcd            reference binary
#   BENCH_OURS=<root>/bin/etcd  our binary (built from the module root unless set)
#   BENCH_DIR=${TMPDIR:-/tmp} where the work dir (data dirs, logs, JSON results) goes; it
#                             should be a real disk, as fsync on tmpfs costs nothing
#   BENCH_KEEP=0              1 keeps the work dir after the run
#
# Each server runs alone with a fresh data dir in a temporary work dir, on free ports of
# 127.0.0.1. With the defaults a full run takes about 3 to 5 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${BENCH_DURATION:-10s}
CLIENTS=${BENCH_CLIENTS:-64}
WATCHERS=${BENCH_WATCHERS:-1000}
WATCH_ROUNDS=${BENCH_WATCH_ROUNDS:-10}
FILL_KEYS=${BENCH_FILL_KEYS:-100000}
FILL_VAL=${BENCH_FILL_VAL:-256}
RESTART_ROUNDS=${BENCH_RESTART_ROUNDS:-3}
PIN=${BENCH_PIN:-auto}
REF_BIN=${BENCH_REF:-etcd}
OURS_BIN=${BENCH_OURS:-}

log() { printf '== %s\n' "$*" >&2; }

command -v jq >/dev/null || { echo "compare.sh needs jq (apt-get install jq)" >&2; exit 1; }
command -v "$REF_BIN" >/dev/null || { echo "reference $REF_BIN not found (apt-get install etcd-server)" >&2; exit 1; }

WORK=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/etcd2-bench.XXXXXX")
SRV_PID=
cleanup() {
	if [[ -n $SRV_PID ]]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "work dir kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BENCH=$WORK/benchmark
(cd "$ROOT" && go build -o "$BENCH" ./tools/benchmark)

# Ours: build it unless given; a failed build leaves it unavailable, with the reason.
OURS_NOTE=
if [[ -z $OURS_BIN ]]; then
	OURS_BIN=$ROOT/bin/etcd
	if ! (cd "$ROOT" && go build -o bin/etcd .) >"$WORK/ours-build.log" 2>&1; then
		OURS_NOTE="bin/etcd does not build: $(head -3 "$WORK/ours-build.log" | tr '\n' ' ')"
	fi
fi

# Two CPUs or more: the server gets CPU 1, the load tool CPU 0, so neither steals the
# other's core. On a 2-core machine that leaves the server one core (the same for both
# servers, so the ratios stay fair), and other processes on the machine are not excluded.
SERVER_PIN=()
TOOL_PIN=()
PIN_NOTE="no CPU pinning"
if [[ $PIN != 0 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
	SERVER_PIN=(taskset -c 1)
	TOOL_PIN=(taskset -c 0)
	PIN_NOTE="server pinned to CPU 1, load tool to CPU 0 (taskset)"
fi

NOT_SERVING=
CMDS=$WORK/commands.txt
: >"$CMDS"

# start_server BIN DATADIR LOG: starts a single member with v2 on free ports; sets
# SRV_PID, SRV_URL and SRV_ARGS. Fails, with nothing left running, if it does not serve.
start_server() {
	local bin=$1 dir=$2 log=$3 ports
	ports=$("$BENCH" ports --count 2)
	local cport=${ports%%$'\n'*} pport=${ports##*$'\n'}
	SRV_URL=http://127.0.0.1:$cport
	local peer=http://127.0.0.1:$pport
	SRV_ARGS=(--name bench --data-dir "$dir" --enable-v2=true
		--listen-client-urls "$SRV_URL" --advertise-client-urls "$SRV_URL"
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer"
		--initial-cluster "bench=$peer")
	quote "${SERVER_PIN[@]}" "$bin" "${SRV_ARGS[@]}" >>"$CMDS"
	"${SERVER_PIN[@]}" "$bin" "${SRV_ARGS[@]}" >>"$log" 2>&1 &
	SRV_PID=$!
	if ! "$BENCH" ready --endpoints "$SRV_URL" --timeout 30s --pid "$SRV_PID" 2>"$log.ready"; then
		NOT_SERVING="$(cat "$log.ready"); its last output: $(tail -1 "$log")"
		stop_server
		return 1
	fi
}

# quote ARGS...: prints the arguments as one shell line, quoting those that need it.
quote() {
	local out=() a
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then
			out+=("$a")
		else
			out+=("'${a//\'/\'\\\'\'}'")
		fi
	done
	echo "${out[*]}"
}

stop_server() {
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}

# bench SIDE NAME ARGS...: runs one scenario, its JSON to $WORK/SIDE-NAME.json, progress
# to the terminal. A failed scenario is reported and leaves no JSON behind.
bench() {
	local side=$1 name=$2
	shift 2
	log "$side: $name"
	quote "${TOOL_PIN[@]}" benchmark "$@" --json >>"$CMDS"
	if ! "${TOOL_PIN[@]}" "$BENCH" "$@" --json >"$WORK/$side-$name.json"; then
		log "$side: $name failed"
		rm -f "$WORK/$side-$name.json"
	fi
}

# run_side SIDE BIN: every target scenario against one server.
run_side() {
	local side=$1 bin=$2
	echo "# $side" >>"$CMDS"
	# Throughput, latency and fan-out on one fresh member.
	if ! start_server "$bin" "$WORK/$side-a.etcd" "$WORK/$side-a.log"; then
		log "$side: server did not serve: $NOT_SERVING"
		return 1
	fi
	bench "$side" get64 get --endpoints "$SRV_URL" --clients "$CLIENTS" --duration "$DURATION" \
		--key-space 1 --val-size 64 --pid "$SRV_PID"
	bench "$side" put64 put --endpoints "$SRV_URL" --clients "$CLIENTS" --duration "$DURATION" \
		--key-space 10000 --val-size 64 --pid "$SRV_PID"
	bench "$side" put1 put --endpoints "$SRV_URL" --clients 1 --duration "$DURATION" \
		--key-space 10000 --val-size 64
	bench "$side" watch watch --endpoints "$SRV_URL" --watchers "$WATCHERS" --rounds "$WATCH_ROUNDS" \
		--pid "$SRV_PID"
	stop_server

	# Memory per key on another fresh member, then restarts of its data dir.
	if ! start_server "$bin" "$WORK/$side-b.etcd" "$WORK/$side-b.log"; then
		log "$side: server did not serve: $NOT_SERVING"
		return 1
	fi
	bench "$side" fill fill --endpoints "$SRV_URL" --keys "$FILL_KEYS" --val-size "$FILL_VAL" \
		--clients "$CLIENTS" --pid "$SRV_PID"
	stop_server
	local cmd
	cmd=$(quote "${SERVER_PIN[@]}" "$bin" "${SRV_ARGS[@]}")
	bench "$side" restart restart --endpoints "$SRV_URL" --key /bench/0 --rounds "$RESTART_ROUNDS" \
		--cmd "$cmd" --log "$WORK/$side-restart.log"
}

log "reference: $($REF_BIN --version | head -1)"
run_side ref "$REF_BIN" || true

if [[ -z $OURS_NOTE ]]; then
	# Today's bin/etcd may only say it is not implemented: tell that apart from a slow start.
	if ! run_side ours "$OURS_BIN"; then
		OURS_NOTE="bin/etcd does not serve ($NOT_SERVING)"
	fi
fi
[[ -n $OURS_NOTE ]] && log "ours: $OURS_NOTE"

# metric SIDE NAME JQ: one figure of a scenario, empty when the scenario did not run.
metric() {
	local f=$WORK/$1-$2.json
	[[ -s $f ]] && jq -r "$3 // empty" "$f" || true
}

# errs SIDE NAME: the scenario's error count when non-zero.
errs() {
	local n
	n=$(metric "$1" "$2" .errors)
	[[ -n $n && $n != 0 ]] && echo " ($n errors)" || true
}

# row LABEL NAME JQ DIRECTION TARGET: a table row; DIRECTION ge means ours/ref must be at
# least TARGET, le at most.
row() {
	local label=$1 name=$2 expr=$3 dir=$4 target=$5 ref ours ratio met
	ref=$(metric ref "$name" "$expr")
	ours=$(metric ours "$name" "$expr")
	ratio=n/a
	met=n/a
	if [[ -n $ref && -n $ours ]]; then
		read -r ratio met < <(awk -v o="$ours" -v r="$ref" -v t="$target" -v d="$dir" 'BEGIN {
			if (r == 0) { print "n/a n/a"; exit }
			x = o / r; ok = (d == "ge") ? (x >= t) : (x <= t)
			printf "%.2f %s\n", x, ok ? "yes" : "no" }')
	fi
	local sym="≤"
	[[ $dir == ge ]] && sym="≥"
	printf '| %s | %s%s | %s%s | %s | %s %s | %s |\n' "$label" "$(fmt "${ref:-n/a}")" "$(errs ref "$name")" \
		"$(fmt "${ours:-n/a}")" "$(errs ours "$name")" "$ratio" "$sym" "$target" "$met"
}

fmt() {
	if [[ $1 =~ ^-?[0-9.e+-]+$ ]]; then
		awk -v v="$1" 'BEGIN { if (v >= 100 || v <= -100) printf "%.0f", v; else printf "%.3g", v }'
	else
		printf '%s' "$1"
	fi
}

echo
echo "Single member, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $PIN_NOTE."
echo "Reference: $($REF_BIN --version | head -1). Ours: ${OURS_NOTE:-${OURS_BIN#"$ROOT"/}}."
echo "Data dirs on $(df -T "$WORK" | awk 'NR == 2 { print $2 " (" $1 ")" }')."
echo "Throughput scenarios ran $DURATION each; fan-out $WATCHERS watchers × $WATCH_ROUNDS rounds;"
echo "fill $FILL_KEYS keys × $FILL_VAL B; restart median of $RESTART_ROUNDS."
echo
echo "| scenario | reference | ours | ours/ref | target | met |"
echo "|---|---|---|---|---|---|"
row "GET QPS, $CLIENTS clients, one key" get64 .qps ge 1.3
row "server CPU per GET (µs), $CLIENTS clients" get64 .server.cpu_us_per_request le 0.5
row "PUT QPS, $CLIENTS clients, fsync on" put64 .qps ge 2
row "PUT p50 (ms), 1 client" put1 .latency.p50_ms le 0.8
row "watch fan-out p99 (ms), $WATCHERS watchers" watch .latency.p99_ms le 0.5
row "RSS growth per key (B), $FILL_KEYS × $FILL_VAL B" fill .fill.bytes_per_key le 0.2
row "restart of the $FILL_KEYS-key data dir to first read (ms)" restart .latency.p50_ms le 0.25
echo
# With the tool pinned to one core, a tool near 1.0 core may be what limits the QPS.
for side in ref ours; do
	for name in get64 put64; do
		cores=$(metric "$side" "$name" .client.cpu_cores)
		[[ -n $cores ]] && printf 'Load tool CPU during %s %s: %.2f cores.\n' "$side" "$name" "$cores"
	done
done
echo
echo "Commands (benchmark = go build -o bin/benchmark ./tools/benchmark):"
echo
echo '```'
sed -e "s|$WORK/||g" -e "s|$ROOT/||g" "$CMDS"
echo '```'
