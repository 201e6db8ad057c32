/* region: see region.h. */
#include "core/region.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct region_chunk {
	struct region_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void *region_alloc(struct region *r, size_t n)
{
	struct region_chunk *c = r->chunks;
	size_t chunk = r->chunk_size ? r->chunk_size : 65536;

	if (n > SIZE_MAX - 15)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->size - c->used < n) {
		/* A request larger than a chunk gets a chunk of its own. */
		size_t size = n > chunk ? n : chunk;
		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->next = r->chunks;
		c->used = 0;
		c->size = size;
		r->chunks = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

char *region_strdup(struct region *r, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = region_alloc(r, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void region_free(struct region *r)
{
	while (r->chunks) {
		struct region_chunk *c = r->chunks;
		r->chunks = c->next;
		free(c);
	}
}
