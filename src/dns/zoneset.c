/* zoneset: see zoneset.h. Origins sit in an open-addressing hash table;
 * finding the zone of a name hashes its suffixes, longest first. */
#include "dns/zoneset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dns/zone.h"

struct zoneset {
	size_t n;
	struct zoneset_entry *entries;
	size_t mask;	/* table size - 1 (a power of two) */
	uint32_t *slot; /* entry index + 1; 0 is empty */
	int max_labels; /* of the longest origin: shorter suffixes first */
};

static const struct zoneset_entry *table_get(const struct zoneset *zs, const uint8_t *name,
					     uint32_t h)
{
	for (size_t i = h & zs->mask;; i = (i + 1) & zs->mask) {
		uint32_t s = zs->slot[i];
		if (s == 0)
			return NULL;
		if (dname_equal(zs->entries[s - 1].origin, name))
			return &zs->entries[s - 1];
	}
}

const struct zoneset_entry *zoneset_get(const struct zoneset *zs, const uint8_t *origin)
{
	if (zs == NULL || zs->n == 0)
		return NULL;
	return table_get(zs, origin, dname_hash(origin));
}

const struct zoneset_entry *zoneset_find(const struct zoneset *zs, const uint8_t *name)
{
	int labels;

	if (zs == NULL || zs->n == 0)
		return NULL;
	labels = dname_labels(name);
	/* Suffixes with more labels than any origin cannot match. */
	for (; labels > zs->max_labels; labels--)
		name += *name + 1;
	for (;;) {
		const struct zoneset_entry *e = table_get(zs, name, dname_hash(name));
		if (e)
			return e;
		if (*name == 0)
			return NULL;
		name += *name + 1;
	}
}

size_t zoneset_count(const struct zoneset *zs)
{
	return zs ? zs->n : 0;
}

const struct zoneset_entry *zoneset_entry_at(const struct zoneset *zs, size_t i)
{
	return zs && i < zs->n ? &zs->entries[i] : NULL;
}

static void entry_clear(struct zoneset_entry *e)
{
	free(e->origin);
	free(e->path);
}

void zoneset_free(struct zoneset *zs, const struct zoneset *keep)
{
	if (zs == NULL)
		return;
	for (size_t i = 0; i < zs->n; i++) {
		struct zoneset_entry *e = &zs->entries[i];
		const struct zoneset_entry *k = keep ? zoneset_get(keep, e->origin) : NULL;
		if (e->zone && (k == NULL || k->zone != e->zone))
			zone_free(e->zone);
		entry_clear(e);
	}
	free(zs->entries);
	free(zs->slot);
	free(zs);
}

/* Adds entry n (already filled) to the table; 0, or -1 for a duplicate. */
static int table_put(struct zoneset *zs, size_t n)
{
	const uint8_t *origin = zs->entries[n].origin;
	size_t i = dname_hash(origin) & zs->mask;

	for (; zs->slot[i]; i = (i + 1) & zs->mask)
		if (dname_equal(zs->entries[zs->slot[i] - 1].origin, origin))
			return -1;
	zs->slot[i] = (uint32_t)n + 1;
	return 0;
}

/* "file:line: message", or "file: message" when no line applies. */
static void error_text(const struct zonefile_error *err, const char *path, char *buf, size_t size)
{
	const char *file = err->file[0] ? err->file : path;
	if (err->line)
		snprintf(buf, size, "%s:%u: %s", file, err->line, err->msg);
	else
		snprintf(buf, size, "%s: %s", file, err->msg);
}

/* Loads one zone into e; logs and returns -1 when the file is bad. */
static int load_one(struct zoneset_entry *e, const struct zoneset *old)
{
	struct zonefile_error err = {{0}, 0, {0}};
	const struct zoneset_entry *prev = zoneset_get(old, e->origin);
	char name[DNAME_TEXT_MAX], why[1024];

	dname_to_text(e->origin, name, sizeof(name));
	e->zone = zone_load(e->path, e->origin, &err);
	if (e->zone) {
		log_info("dns: zone %s: loaded serial %u, %zu records", name, zone_serial(e->zone),
			 zone_record_count(e->zone));
		return 0;
	}
	error_text(&err, e->path, why, sizeof(why));
	if (prev && prev->zone) {
		/* The old data stays; it belongs to both sets now. */
		e->zone = prev->zone;
		log_error("dns: zone %s: %s; still serving serial %u", name, why,
			  zone_serial(prev->zone));
	} else {
		log_error("dns: zone %s: %s; not served (SERVFAIL) until it loads", name, why);
	}
	return -1;
}

/* An empty set with room for n entries. */
static struct zoneset *zoneset_alloc(size_t n)
{
	struct zoneset *zs = calloc(1, sizeof(*zs));
	size_t size = 8;

	if (zs == NULL)
		return NULL;
	while (size < 2 * n)
		size *= 2;
	zs->mask = size - 1;
	zs->slot = calloc(size, sizeof(*zs->slot));
	zs->entries = calloc(n ? n : 1, sizeof(*zs->entries));
	if (zs->slot == NULL || zs->entries == NULL) {
		free(zs->slot);
		free(zs->entries);
		free(zs);
		return NULL;
	}
	return zs;
}

/* Fills entry zs->n with origin and path, and puts it in the table: 0,
 * -1 for a duplicate origin (the entry is then cleared), -2 no memory. */
static int entry_add(struct zoneset *zs, const uint8_t *origin, const char *path)
{
	struct zoneset_entry *e = &zs->entries[zs->n];
	size_t len = dname_len(origin);

	e->origin = malloc(len);
	e->path = strdup(path);
	if (e->origin == NULL || e->path == NULL) {
		entry_clear(e);
		return -2;
	}
	dname_copy_lower(e->origin, origin);
	if (table_put(zs, zs->n) < 0) {
		entry_clear(e);
		return -1;
	}
	if (dname_labels(e->origin) > zs->max_labels)
		zs->max_labels = dname_labels(e->origin);
	zs->n++;
	return 0;
}

struct zoneset *zoneset_from_zones(struct zone *const *zones, size_t n)
{
	struct zoneset *zs = zoneset_alloc(n);
	size_t i;

	for (i = 0; zs && i < n; i++) {
		if (entry_add(zs, zone_origin(zones[i]), "") < 0)
			break;
		zs->entries[zs->n - 1].zone = zones[i];
	}
	if (zs == NULL || i < n) {
		zoneset_free(zs, NULL);
		for (; i < n; i++)
			zone_free(zones[i]);
		return NULL;
	}
	return zs;
}

struct zoneset *zoneset_load(const struct zoneset_spec *specs, size_t n, const struct zoneset *old,
			     size_t *nfailed)
{
	struct zoneset *zs = zoneset_alloc(n);
	size_t failed = 0;

	if (zs == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		char name[DNAME_TEXT_MAX];
		int r = entry_add(zs, specs[i].origin, specs[i].path);

		if (r == -2)
			goto nomem;
		if (r == -1) {
			dname_to_text(specs[i].origin, name, sizeof(name));
			log_warnx("dns: zone %s is configured twice; using the first (%s)", name,
				  zoneset_get(zs, specs[i].origin)->path);
			continue;
		}
		if (load_one(&zs->entries[zs->n - 1], old) < 0)
			failed++;
	}
	if (nfailed)
		*nfailed = failed;
	return zs;
nomem:
	log_error("dns: out of memory loading zones");
	/* Zones taken over from old stay with old. */
	zoneset_free(zs, old);
	return NULL;
}
