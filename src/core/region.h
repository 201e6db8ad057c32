/*
 * region: an allocator for data that lives and dies together (a loaded
 * zone, a set of recipient lists). Allocation is a pointer bump inside
 * large chunks; nothing is freed on its own; region_free frees it all.
 * NSD's region, with the bounds checked at run time.
 */
#ifndef MXHOST_CORE_REGION_H
#define MXHOST_CORE_REGION_H

#include <stddef.h>

struct region_chunk;

struct region {
	struct region_chunk *chunks;
	size_t chunk_size; /* 0: 64 KB */
};

/* n bytes, 16-byte aligned, uninitialised; NULL when out of memory. */
void *region_alloc(struct region *r, size_t n);

/* A copy of s in the region. */
char *region_strdup(struct region *r, const char *s);

/* Frees every allocation; the region can be used again. */
void region_free(struct region *r);

#endif
