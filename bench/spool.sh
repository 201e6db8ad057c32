#!/bin/sh
# bench/spool.sh: what a durable commit costs on this disk (one alone, and
# many threads at once), and the commits per second the spool reaches with
# 1, 20 and 100 transactions in flight, for 1 KB and 100 KB messages.
# Figures go into docs/QUEUE.md. BENCH_DIR picks the disk (default var/).
set -eu
cd "$(dirname "$0")/.."
make -s build/libmxhost.a
dir=${BENCH_DIR:-var/bench-spool}
rm -rf "$dir"
mkdir -p "$dir"
cc -std=c11 -O2 -Isrc -D_GNU_SOURCE -o build/spool_fsync bench/spool_fsync.c build/libmxhost.a \
	$(pkg-config --libs libevent libevent_pthreads libevent_openssl openssl inih) -lcrypt -lpthread
echo "spool bench in $dir ($(df -T "$dir" | awk 'NR==2 {print $2}'))"
for size in 1024 102400; do
	echo
	build/spool_fsync "$dir" "$size"
done
rm -rf "$dir"
