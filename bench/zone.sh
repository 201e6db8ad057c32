#!/bin/sh
# Zone loading and lookup speed. Generates a zone of about 100,000
# records (A, AAAA, MX, TXT, delegations with glue, a wildcard), then:
#   - checks it with mxhost zonecheck, nsd-checkzone and named-checkzone
#     (each parses and loads the whole zone; best of 3 wall-clock runs)
#     and prints records per second and mxhost's ratio to each;
#   - times zone_load and zone_lookup in-process (bench/zone_speed.c).
# Run from the top of the repo after `make` (make bench does both).
set -eu

BUILD=${BUILD:-build}
RECORDS=${RECORDS:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/big.test.zone" "$RECORDS" <<'EOF'
import sys
path, want = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 1h\n@ SOA ns1 hostmaster 1 2h 30m 2w 5m\n"
            "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n@ MX 10 mx1\n"
            "mx1 A 192.0.2.3\n*.wild TXT \"w\"\n")
    n = i = 0
    while n < want:
        h = "host%d.dept%d" % (i, i % 500)
        f.write("%s A 10.%d.%d.%d\n" % (h, (i >> 16) & 255, (i >> 8) & 255, i & 255)); n += 1
        if i % 3 == 0:
            f.write("%s AAAA 2001:db8::%x\n" % (h, i)); n += 1
        if i % 5 == 0:
            f.write("%s MX 10 mx1\n" % h); n += 1
        if i % 7 == 0:
            f.write("%s TXT \"v=spf1 mx -all\" \"host %d\"\n" % (h, i)); n += 1
        if i % 50 == 0:
            f.write("sub%d NS ns.sub%d\nns.sub%d A 10.9.%d.%d\n"
                    % (i, i, i, (i >> 8) & 255, i & 255)); n += 2
        i += 1
EOF
records=$(grep -c . "$tmp/big.test.zone")

# Best of three wall-clock runs of a command, in seconds.
best() {
	b=""
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
		e=$(date +%s.%N)
		b=$(echo "$s $e ${b:-999999}" | awk '{d = $2 - $1; print (d < $3) ? d : $3}')
	done
	echo "$b"
}

mx=$(best "$BUILD/mxhost" zonecheck "$tmp/big.test.zone" big.test)
echo "zone of $records records (file lines), check and load, best of 3:"
printf '  mxhost zonecheck   %6.3f s  %9.0f records/s\n' "$mx" "$(echo "$records $mx" | awk '{print $1 / $2}')"
for peer in "nsd-checkzone big.test" "named-checkzone -i local big.test"; do
	set -- $peer
	cmd=$1
	command -v "$cmd" >/dev/null || { echo "  $cmd: not installed (make deps)"; continue; }
	t=$(best "$@" "$tmp/big.test.zone")
	printf '  %-18s %6.3f s  %9.0f records/s   mxhost is %.1fx as fast\n' "$cmd" "$t" \
		"$(echo "$records $t" | awk '{print $1 / $2}')" "$(echo "$t $mx" | awk '{print $1 / $2}')"
done

cc -O2 -std=c11 -Isrc -D_GNU_SOURCE -o "$tmp/zone_speed" bench/zone_speed.c "$BUILD/libmxhost.a"
"$tmp/zone_speed" "$tmp/big.test.zone" big.test. 20
