/* Zone load and lookup speed: loads FILE as ORIGIN (timing zone_load),
 * then looks up a mix of names from the zone, names below them that do
 * not exist, and names in other zones, in a tight loop. Built and run by
 * bench/zone.sh; prints records/s and lookups/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/zone.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint8_t origin[DNAME_MAX], (*names)[DNAME_MAX];
	struct zonefile_error err;
	struct zone *z;
	size_t n, count = 0, hits[5] = {0};
	double t0, t1;
	long rounds = argc > 3 ? atol(argv[3]) : 20;

	if (argc < 3 || dname_from_text(origin, argv[2], strlen(argv[2]), NULL) < 0) {
		fprintf(stderr, "usage: zone_speed FILE ORIGIN [ROUNDS]\n");
		return 2;
	}
	t0 = now();
	z = zone_load(argv[1], origin, &err);
	t1 = now();
	if (z == NULL) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.msg);
		return 1;
	}
	printf("load: %zu records in %.3f s: %.0f records/s\n", zone_record_count(z), t1 - t0,
	       (double)zone_record_count(z) / (t1 - t0));

	/* The query mix: every node's name (case changed), a name below it
	 * (NXDOMAIN or wildcard), and one outside the zone, per node. */
	n = zone_node_count(z) * 3;
	names = malloc(n * sizeof(*names));
	for (size_t i = 0; i < zone_node_count(z); i++) {
		const uint8_t *nm = zone_node_name(zone_node_at(z, i));
		size_t len = dname_copy(names[count], nm);
		for (size_t k = 0; k < len; k++)
			if (names[count][k] >= 'a' && names[count][k] <= 'z' && (k & 1))
				names[count][k] -= 32;
		count++;
		if (dname_concat(names[count], (const uint8_t *)"\5nope1", nm) > 0)
			count++;
		if (dname_concat(names[count], (const uint8_t *)"\3www\5other\4test",
				 (const uint8_t *)"") > 0)
			count++;
	}
	t0 = now();
	for (long r = 0; r < rounds; r++)
		for (size_t i = 0; i < count; i++) {
			struct zone_result res;
			zone_lookup(z, names[i], &res);
			hits[res.match]++;
		}
	t1 = now();
	printf(
	    "lookup (all names): %zu lookups in %.3f s: %.0f lookups/s (exact %zu, wildcard %zu, "
	    "delegation %zu, nxdomain %zu, not in zone %zu)\n",
	    count * (size_t)rounds, t1 - t0, (double)count * (double)rounds / (t1 - t0),
	    hits[ZONE_EXACT], hits[ZONE_WILDCARD], hits[ZONE_DELEGATION], hits[ZONE_NXDOMAIN],
	    hits[ZONE_NOTINZONE]);
	/* The same with a hot set of 300 names (what a benchmark's query
	 * file does): the cost without cache misses. */
	if (count > 300)
		count = 300;
	memset(hits, 0, sizeof(hits));
	t0 = now();
	for (long r = 0; r < rounds * 10000; r++)
		for (size_t i = 0; i < count; i++) {
			struct zone_result res;
			zone_lookup(z, names[i], &res);
			hits[res.match]++;
		}
	t1 = now();
	printf("lookup (300 hot names): %.0f lookups/s\n",
	       (double)count * (double)rounds * 10000 / (t1 - t0));
	free(names);
	zone_free(z);
	return 0;
}
