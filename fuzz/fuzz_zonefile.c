/* libFuzzer: the zone file parser (zonefile_parse_text, $INCLUDE
 * refused), then the zone loader and lookup over the same text. Nothing
 * a file holds may crash, hang or leak; and every record parsed must be
 * well formed and read back the same from its own presentation form. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *arg, const struct zonefile_pos *pos, const char *msg)
{
	(void)arg;
	(void)pos;
	(void)msg;
}

static const struct zonefile_opts opts = {quiet, NULL, 1};
static uint8_t origin[DNAME_MAX];

struct again {
	const struct dns_rr *want;
	int seen;
};

static int compare(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
		   struct zonefile_error *err)
{
	struct again *a = arg;
	(void)pos;
	(void)err;
	if (rr->type != a->want->type || rr->rdlen != a->want->rdlen ||
	    memcmp(rr->rdata, a->want->rdata, rr->rdlen) != 0 ||
	    !dname_equal(rr->owner, a->want->owner))
		abort();
	a->seen++;
	return 0;
}

static int check(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
		 struct zonefile_error *err)
{
	static char line[300000];
	char owner[DNAME_TEXT_MAX], type[16], cls[16];
	struct zonefile_error err2;
	struct again a = {rr, 0};
	int n, m;

	(void)arg;
	(void)pos;
	(void)err;
	if (rdata_check(rr->type, rr->rdata, rr->rdlen) < 0)
		abort();
	if (dname_to_text(rr->owner, owner, sizeof(owner)) < 0)
		abort();
	n = snprintf(line, sizeof(line), "%s %u %s %s ", owner, (unsigned)rr->ttl,
		     rr_class_name(rr->rclass, cls, sizeof(cls)),
		     rr_type_name(rr->type, type, sizeof(type)));
	m = rdata_to_text(rr->type, rr->rdata, rr->rdlen, line + n, sizeof(line) - (size_t)n - 2);
	if (m < 0)
		abort();
	n += m;
	line[n++] = '\n';
	line[n] = '\0';
	if (zonefile_parse_text_opts(line, (size_t)n, "again", origin, &opts, compare, &a, &err2) <
		0 ||
	    a.seen != 1) {
		fprintf(stderr, "does not read back: %s -> %s:%u: %s\n", line, err2.file, err2.line,
			err2.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zone_load_opts zo = {quiet, NULL, NULL, NULL, 1};
	struct zonefile_error err;
	struct zone *z;

	if (origin[0] == 0)
		dname_from_text(origin, "example.test.", 13, NULL);
	zonefile_parse_text_opts((const char *)data, size, "fuzz", origin, &opts, check, NULL,
				 &err);

	z = zone_load_text((const char *)data, size, "fuzz", origin, &zo, &err);
	if (z == NULL)
		return 0;
	for (size_t i = 0; i < zone_node_count(z); i++) {
		const struct zone_node *node = zone_node_at(z, i);
		const uint8_t *name = zone_node_name(node);
		uint8_t below[DNAME_MAX];
		struct zone_result r;

		if (zone_find(z, name) != node)
			abort();
		zone_lookup(z, name, &r);
		if (r.match == ZONE_NXDOMAIN || r.match == ZONE_NOTINZONE || r.closest == NULL)
			abort();
		if (dname_concat(below, (const uint8_t *)"\1x", name) > 0) {
			zone_lookup(z, below, &r);
			if (r.match == ZONE_NOTINZONE || r.closest == NULL)
				abort();
		}
	}
	zone_free(z);
	return 0;
}
