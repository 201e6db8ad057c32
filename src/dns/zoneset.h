/*
 * zoneset: the zones one server answers for, and which of them serves a
 * name: the zone with the longest origin that the name is at or below, as
 * NSD and BIND choose (a child zone served here wins over its parent).
 *
 * A set is built once and then only read, so the answer path needs no
 * lock: a reload builds a new set on a worker thread, reusing the zones
 * whose files failed to load (they keep serving their previous data), and
 * the server switches to it on its own thread (see server.h).
 */
#ifndef MXHOST_DNS_ZONESET_H
#define MXHOST_DNS_ZONESET_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

struct zone;
struct zoneset;

/* One configured zone: its name and its master file. */
struct zoneset_spec {
	uint8_t origin[DNAME_MAX];
	const char *path;
};

struct zoneset_entry {
	uint8_t *origin;   /* lower case */
	char *path;	   /* the master file */
	struct zone *zone; /* NULL: configured, but never loaded (SERVFAIL) */
};

/*
 * Loads every zone of specs. A zone whose file fails to load keeps the
 * data it has in old (when old is not NULL and serves it), and the log
 * says why, with file and line; a zone that never loaded is kept in the
 * set without data. Duplicate origins after the first are ignored with a
 * warning. *nfailed (if not NULL) counts the zones that failed. NULL
 * only when out of memory.
 */
struct zoneset *zoneset_load(const struct zoneset_spec *specs, size_t n, const struct zoneset *old,
			     size_t *nfailed);

/* A set of zones already loaded (tests, the fuzzer), which it takes
 * over: zoneset_free frees them. NULL when out of memory or for two
 * zones of the same name (the zones are then freed). */
struct zoneset *zoneset_from_zones(struct zone *const *zones, size_t n);

/* The entry serving name (the longest origin it is at or below), or NULL
 * when no zone of the set encloses it. */
const struct zoneset_entry *zoneset_find(const struct zoneset *zs, const uint8_t *name);

/* The entry whose origin is exactly name, or NULL. */
const struct zoneset_entry *zoneset_get(const struct zoneset *zs, const uint8_t *origin);

size_t zoneset_count(const struct zoneset *zs);
const struct zoneset_entry *zoneset_entry_at(const struct zoneset *zs, size_t i);

/* Frees zs and every zone of it that keep does not also hold (keep is the
 * set that replaced zs, or NULL to free every zone). */
void zoneset_free(struct zoneset *zs, const struct zoneset *keep);

#endif
