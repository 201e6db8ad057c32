#!/bin/sh
# bench/dns.sh: queries per second of mxhost and of NSD, in the same run,
# on the same zone (the demo's example.test) and query mix (MX, A, AAAA,
# NXDOMAIN). Each server is pinned to one core with taskset (NSD with
# server-count: 1), dnsperf to another. The rounds alternate between the
# servers, so that a busy neighbour slows both alike.
#
# Besides queries per second it prints each server's CPU time: on a small
# machine dnsperf (one core) may be the limit, and then queries per
# server CPU-second is the fairer per-core figure.
#
#   sh bench/dns.sh                 10 s per server, in 2 rounds
#   BENCH_SECONDS=20 BENCH_ROUNDS=4 sh bench/dns.sh
set -eu

cd "$(dirname "$0")/.."
SECONDS_PER_SERVER=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
MXHOST=${MXHOST:-./build/mxhost}
NSD=${NSD:-/usr/sbin/nsd}
ROUND=$((SECONDS_PER_SERVER / ROUNDS))
[ "$ROUND" -ge 1 ] || ROUND=1

for tool in "$MXHOST" "$NSD" dnsperf taskset python3; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || {
		echo "bench/dns.sh: $tool is missing (make deps; make)" >&2
		exit 1
	}
done

CPUS=$(nproc)
if [ "$CPUS" -ge 2 ]; then
	SERVER_CPU=1
	CLIENT_CPU=0
else
	echo "bench/dns.sh: one CPU only: server and dnsperf share it" >&2
	SERVER_CPU=0
	CLIENT_CPU=0
fi

WORK=$(mktemp -d /tmp/mxhost-bench-dns.XXXXXX)
NSD_PID=""
MX_PID=""
cleanup() {
	[ -n "$MX_PID" ] && kill "$MX_PID" 2>/dev/null || true
	[ -n "$NSD_PID" ] && kill "$NSD_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
NSD_PORT=$(free_port)
MX_PORT=$(free_port)
while [ "$MX_PORT" = "$NSD_PORT" ]; do MX_PORT=$(free_port); done

cp examples/zones/example.test.zone "$WORK/"

# The query mix: MX, A, AAAA, NXDOMAIN, a quarter each.
cat >"$WORK/queries" <<'EOF'
example.test MX
mx1.example.test A
mx1.example.test AAAA
nothere.example.test A
example.test MX
mx2.example.test A
ns1.example.test AAAA
missing.example.test MX
EOF

cat >"$WORK/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonesdir: "$WORK"
  zonelistfile: "$WORK/zone.list"
  xfrdfile: "$WORK/xfrd.state"
  pidfile: "$WORK/nsd.pid"
  logfile: "$WORK/nsd.log"
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: "$WORK/example.test.zone"
EOF

cat >"$WORK/mxhost.conf" <<EOF
[dns]
listen = 127.0.0.1:$MX_PORT
zone = example.test example.test.zone
EOF

taskset -c "$SERVER_CPU" "$NSD" -d -c "$WORK/nsd.conf" >"$WORK/nsd.out" 2>&1 &
NSD_PID=$!
taskset -c "$SERVER_CPU" "$MXHOST" serve -c "$WORK/mxhost.conf" >"$WORK/mxhost.log" 2>&1 &
MX_PID=$!

wait_answer() {
	for _ in $(seq 100); do
		if dig @127.0.0.1 -p "$1" +short +time=1 +tries=1 example.test SOA 2>/dev/null |
			grep -q hostmaster; then
			return 0
		fi
		sleep 0.1
	done
	echo "bench/dns.sh: nothing answers on port $1" >&2
	cat "$WORK/nsd.log" "$WORK/mxhost.log" >&2 2>/dev/null || true
	exit 1
}
wait_answer "$NSD_PORT"
wait_answer "$MX_PORT"

# CPU ticks (user + system) of a process and its children (NSD's server
# is a child of its main process).
ticks() {
	total=0
	for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
		for k in $(pgrep -P "$p" 2>/dev/null || true) "$p"; do
			[ -r "/proc/$k/stat" ] || continue
			t=$(sed 's/.*) //' "/proc/$k/stat" | awk '{print $12 + $13}')
			total=$((total + t))
		done
	done
	echo "$total"
}

# One dnsperf round against a port; appends "queries cpu_ticks".
round() {
	before=$(ticks "$2")
	out=$(taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries" \
		-l "$ROUND" -c 8 -q 500 2>&1)
	after=$(ticks "$2")
	sent=$(echo "$out" | awk '/Queries completed:/ {print $3}')
	lost=$(echo "$out" | awk '/Queries lost:/ {print $3}')
	echo "$sent $lost $((after - before))" >>"$3"
}

: >"$WORK/nsd.runs"
: >"$WORK/mx.runs"
for r in $(seq "$ROUNDS"); do
	round "$NSD_PORT" "$NSD_PID" "$WORK/nsd.runs"
	round "$MX_PORT" "$MX_PID" "$WORK/mx.runs"
done

HZ=$(getconf CLK_TCK)
summary() {
	awk -v secs="$((ROUND * ROUNDS))" -v hz="$HZ" '
		{ q += $1; lost += $2; t += $3 }
		END {
			cpu = t / hz
			printf "%.0f %.2f %.0f %d\n", q / secs, cpu, (cpu > 0 ? q / cpu : 0), lost
		}' "$1"
}
set -- $(summary "$WORK/nsd.runs")
NSD_QPS=$1 NSD_CPU=$2 NSD_QPC=$3 NSD_LOST=$4
set -- $(summary "$WORK/mx.runs")
MX_QPS=$1 MX_CPU=$2 MX_QPC=$3 MX_LOST=$4

echo "DNS: dnsperf, $ROUNDS rounds of ${ROUND}s per server, server on CPU $SERVER_CPU," \
	"dnsperf on CPU $CLIENT_CPU ($CPUS CPUs), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %12s %10s %16s %6s\n" server "queries/s" "CPU s" "queries/CPU-s" lost
printf "%-8s %12s %10s %16s %6s\n" nsd "$NSD_QPS" "$NSD_CPU" "$NSD_QPC" "$NSD_LOST"
printf "%-8s %12s %10s %16s %6s\n" mxhost "$MX_QPS" "$MX_CPU" "$MX_QPC" "$MX_LOST"
awk -v a="$MX_QPS" -v b="$NSD_QPS" -v c="$MX_QPC" -v d="$NSD_QPC" 'BEGIN {
	printf "ratio mxhost/nsd: %.2f (queries/s), %.2f (queries per CPU-second)\n",
		(b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
