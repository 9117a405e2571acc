#!/usr/bin/env bash
# cluster_compare.sh runs the three-member figures of issue 4 against three reference
# `etcd --enable-v2` members and against three of this repository's bin/etcd, one cluster
# after the other on this machine, and prints a markdown table with both figures and their
# ratio: PUT QPS at 64 clients spread over the members, GET QPS spread over the members,
# and the leader-kill recovery time (last write acknowledged before a kill -9 of the leader
# to the first write acknowledged after it, writing through the other two members).
#
# Usage: tools/benchmark/cluster_compare.sh    (from anywhere; builds what it needs)
#
# Settings (environment):
#   BENCH_DURATION=10s         length of each throughput scenario
#   BENCH_CLIENTS=64           clients of the throughput scenarios
#   BENCH_FAILOVER_ROUNDS=3    leader kills per cluster (the median is reported)
#   BENCH_FAILOVER_CLIENTS=32  writers during a leader kill
#   BENCH_REF=etcd             reference binary
#   BENCH_OURS=<root>/bin/etcd our binary (built from the module root unless set)
#   BENCH_DIR=${TMPDIR:-/tmp}  where the work dir goes (a real disk: fsync on tmpfs is free)
#   BENCH_KEEP=0               1 keeps the work dir after the run
#
# Members use the default --heartbeat-interval 100 and --election-timeout 1000 on both
# sides. No CPU pinning: three members and the load tool share the machine's CPUs alike
# for both clusters. A full run takes about 2 to 3 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${BENCH_DURATION:-10s}
CLIENTS=${BENCH_CLIENTS:-64}
ROUNDS=${BENCH_FAILOVER_ROUNDS:-3}
FO_CLIENTS=${BENCH_FAILOVER_CLIENTS:-32}
REF_BIN=${BENCH_REF:-etcd}
OURS_BIN=${BENCH_OURS:-}

log() { printf '== %s\n' "$*" >&2; }

command -v jq >/dev/null || { echo "cluster_compare.sh needs jq (apt-get install jq)" >&2; exit 1; }
command -v "$REF_BIN" >/dev/null || { echo "reference $REF_BIN not found (apt-get install etcd-server)" >&2; exit 1; }

WORK=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/etcd2-cluster-bench.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
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
if [[ -z $OURS_BIN ]]; then
	OURS_BIN=$ROOT/bin/etcd
	(cd "$ROOT" && go build -o bin/etcd .)
fi

CMDS=$WORK/commands.txt
: >"$CMDS"

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

# Per cluster: CLIENT[i], PEER[i] URLs, INITIAL the --initial-cluster value, EPS the
# client URLs comma-separated, SIDE and BIN.
CLIENT=()
PEER=()
INITIAL=
EPS=

# start_member I: starts member I of the current cluster in the background.
start_member() {
	local i=$1
	local args=(--name "m$i" --data-dir "$WORK/$SIDE-m$i.etcd" --enable-v2=true
		--listen-client-urls "${CLIENT[$i]}" --advertise-client-urls "${CLIENT[$i]}"
		--listen-peer-urls "${PEER[$i]}" --initial-advertise-peer-urls "${PEER[$i]}"
		--initial-cluster "$INITIAL" --initial-cluster-token "bench-$SIDE" --initial-cluster-state new)
	quote "$BIN" "${args[@]}" >>"$CMDS"
	"$BIN" "${args[@]}" >>"$WORK/$SIDE-m$i.log" 2>&1 &
	PIDS[i]=$!
}

# start_cluster SIDE BIN: three members on free ports, ready to serve.
start_cluster() {
	SIDE=$1 BIN=$2
	echo "# $SIDE" >>"$CMDS"
	local ports i
	mapfile -t ports < <("$BENCH" ports --count 6)
	CLIENT=() PEER=() INITIAL=
	for i in 0 1 2; do
		CLIENT[i]=http://127.0.0.1:${ports[2 * i]}
		PEER[i]=http://127.0.0.1:${ports[2 * i + 1]}
		INITIAL+=${INITIAL:+,}m$i=${PEER[i]}
	done
	EPS=$(
		IFS=,
		echo "${CLIENT[*]}"
	)
	for i in 0 1 2; do
		start_member "$i"
	done
	"$BENCH" ready --endpoints "$EPS" --timeout 60s
}

stop_cluster() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	PIDS=()
}

# bench NAME ARGS...: one scenario, its JSON to $WORK/$SIDE-NAME.json.
bench() {
	local name=$1
	shift
	log "$SIDE: $name"
	quote benchmark "$@" --json >>"$CMDS"
	if ! "$BENCH" "$@" --json >"$WORK/$SIDE-$name.json"; then
		log "$SIDE: $name failed"
		rm -f "$WORK/$SIDE-$name.json"
	fi
}

run_side() {
	start_cluster "$1" "$2"
	bench put64 put --endpoints "$EPS" --clients "$CLIENTS" --duration "$DURATION" --key-space 10000 --val-size 64
	bench get64 get --endpoints "$EPS" --clients "$CLIENTS" --duration "$DURATION" --key-space 1 --val-size 64
	local r killed i
	for ((r = 1; r <= ROUNDS; r++)); do
		bench "failover$r" failover --endpoints "$EPS" --pids "$(
			IFS=,
			echo "${PIDS[*]}"
		)" --clients "$FO_CLIENTS"
		killed=$(jq -r '.failover.killed_pid // empty' "$WORK/$SIDE-failover$r.json" 2>/dev/null || true)
		for i in 0 1 2; do
			if [[ ${PIDS[i]} == "$killed" ]]; then
				wait "${PIDS[i]}" 2>/dev/null || true
				start_member "$i"
			fi
		done
		"$BENCH" ready --endpoints "$EPS" --timeout 60s
	done
	stop_cluster
}

log "reference: $($REF_BIN --version | head -1)"
run_side ref "$REF_BIN"
run_side ours "$OURS_BIN"

metric() {
	local f=$WORK/$1-$2.json
	[[ -s $f ]] && jq -r "$3 // empty" "$f" || true
}

# median SIDE: the median failover recovery of a side, in ms.
median() {
	local side=$1 r v=()
	for ((r = 1; r <= ROUNDS; r++)); do
		v+=("$(metric "$side" "failover$r" .failover.recovery_ms)")
	done
	printf '%s\n' "${v[@]}" | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.0f", a[int((NR + 1) / 2)] }'
}

ratio() {
	awk -v o="$2" -v r="$1" 'BEGIN { if (r == "" || o == "" || r == 0) print "n/a"; else printf "%.2f", o / r }'
}

row() {
	local label=$1 ref=$2 ours=$3 target=$4
	printf '| %s | %s | %s | %s | %s |\n' "$label" "${ref:-n/a}" "${ours:-n/a}" "$(ratio "$ref" "$ours")" "$target"
}

qps() { metric "$1" "$2" .qps | awk '{ printf "%.0f", $1 }'; }

echo
echo "Three members on one machine, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), no pinning."
echo "Reference: $($REF_BIN --version | head -1). Ours: ${OURS_BIN#"$ROOT"/}."
echo "Throughput scenarios ran $DURATION each with $CLIENTS clients spread over the members;"
echo "failover: $FO_CLIENTS writers on the two other members, median of $ROUNDS leader kills."
echo
echo "| scenario | reference | ours | ours/ref | target |"
echo "|---|---|---|---|---|"
row "PUT QPS, $CLIENTS clients over 3 members, fsync on" "$(qps ref put64)" "$(qps ours put64)" "≥ 2"
row "GET QPS, $CLIENTS clients over 3 members" "$(qps ref get64)" "$(qps ours get64)" ""
row "leader kill -9: last write acknowledged before → first after (ms)" "$(median ref)" "$(median ours)" ""
for side in ref ours; do
	for name in put64 get64; do
		e=$(metric "$side" "$name" .errors)
		[[ -n $e && $e != 0 ]] && echo "$side $name: $e errors ($(metric "$side" "$name" .first_error))"
	done
done
echo
echo "Commands (benchmark = go build -o bin/benchmark ./tools/benchmark):"
echo
echo '```'
sed -e "s|$WORK/||g" -e "s|$ROOT/||g" "$CMDS"
echo '```'
