/*
 * zone: one zone's data in memory, loaded from its master file with the
 * checks NSD and BIND make, and the lookup of RFC 1034 section 4.3.2:
 * walk down from the apex, stop at a zone cut (referral), find the name,
 * or else its closest encloser and the wildcard below it (RFC 4592).
 *
 * Every name that has records has a node, and so does every empty
 * non-terminal between such a name and the apex, so that "no such name"
 * (NXDOMAIN) and "name without that type" (NODATA) are told apart by the
 * lookup alone. A loaded zone is never modified: a reload builds a new
 * one, and the server switches to it (see server.h).
 *
 * Contract between the zone's owner (storage, loading, lookup) and the
 * answer builder, zonecheck and (later) zone transfers. Extend, do not
 * break.
 */
#ifndef MXHOST_DNS_ZONE_H
#define MXHOST_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/zonefile.h"

struct zone;
struct zone_node;

struct zone_rdata {
	uint16_t len;
	uint8_t data[]; /* uncompressed form */
};

struct zone_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;			       /* one TTL per set (the lowest written) */
	const struct zone_rdata *const *rdata; /* count of them, duplicates removed */
};

/* Loads the file for the zone named origin, with the semantic checks:
 * exactly one SOA, at the apex; NS at the apex; no data outside the zone;
 * CNAME alone at its name and not at the apex; records of a set differing
 * in TTL are warned about (the lowest TTL wins). NULL with err filled. */
struct zone *zone_load(const char *path, const uint8_t *origin, struct zonefile_error *err);
void zone_free(struct zone *z);

/* Loading with options: warnings to a callback instead of the log, and
 * an observer that sees every record accepted into the zone, in file
 * order, with where it comes from (zonecheck uses it for its per-record
 * checks). A non-zero return from observe stops the load, as for
 * zonefile_rr_fn. */
struct zone_load_opts {
	zonefile_warn_fn warn;
	void *warn_arg;
	zonefile_rr_fn observe;
	void *observe_arg;
	int no_include; /* $INCLUDE is an error */
};

struct zone *zone_load_with(const char *path, const uint8_t *origin,
			    const struct zone_load_opts *opts, struct zonefile_error *err);
/* The same from text in memory (tests, fuzzing); name is for messages. */
struct zone *zone_load_text(const char *text, size_t len, const char *name, const uint8_t *origin,
			    const struct zone_load_opts *opts, struct zonefile_error *err);

const uint8_t *zone_origin(const struct zone *z);
const struct zone_node *zone_apex(const struct zone *z);
uint32_t zone_serial(const struct zone *z);
size_t zone_record_count(const struct zone *z);

/* Every node, empty non-terminals included, in no particular order. */
size_t zone_node_count(const struct zone *z);
const struct zone_node *zone_node_at(const struct zone *z, size_t i);

const uint8_t *zone_node_name(const struct zone_node *n);
/* The node one label up (NULL for the apex). */
const struct zone_node *zone_node_parent(const struct zone_node *n);
/* The set of that type at the node, or NULL. */
const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type);
/* All sets at the node (in a stable order); returns how many. */
size_t zone_node_rrsets(const struct zone_node *n, const struct zone_rrset *const **sets);

enum zone_match {
	ZONE_EXACT,	 /* node is qname (it may have no records: an empty non-terminal) */
	ZONE_WILDCARD,	 /* node is "*.<closest encloser>", which stands for qname */
	ZONE_DELEGATION, /* node is the topmost zone cut at or above qname (not the
			    apex); qname is the cut itself when its name equals node's
			    (a DS query there is answered from this side of the cut) */
	ZONE_NXDOMAIN,	 /* no such name; closest is the closest encloser */
	ZONE_NOTINZONE,	 /* qname is not at or below the origin */
};

struct zone_result {
	enum zone_match match;
	const struct zone_node *node;	 /* see enum zone_match; NULL for NXDOMAIN, NOTINZONE */
	const struct zone_node *closest; /* the closest encloser (all matches but NOTINZONE) */
};

/* Finds qname as RFC 1034 4.3.2 step 3 and RFC 4592 describe. No
 * allocation, no locking: a hash probe per label between qname and its
 * closest encloser. */
void zone_lookup(const struct zone *z, const uint8_t *qname, struct zone_result *r);

/* The node of exactly that name, ignoring zone cuts (for glue below a
 * delegation), or NULL. */
const struct zone_node *zone_find(const struct zone *z, const uint8_t *name);

#endif
