/* cache: see cache.h. */
#include "dns/cache.h"

#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"

#define NBUCKETS	1024
#define CACHE_BYTES_MAX (8u << 20) /* what a hostile zone can make it hold */

struct centry {
	struct centry *hnext;	      /* hash chain */
	struct centry *older, *newer; /* insertion order, for eviction */
	uint32_t hash;
	uint16_t type;
	uint64_t expires;
	size_t size;
	enum resolver_status status;
	int via_cname;
	uint8_t name[DNAME_MAX]; /* lower case */
	uint8_t canonical[DNAME_MAX];
	size_t nrrs;
	struct dns_rr *rr;
	const struct dns_rr **rrp;
	/* record owners and data follow */
};

struct cache {
	struct centry *bucket[NBUCKETS];
	struct centry *oldest, *newest;
	size_t count, max;
	size_t bytes;
};

struct cache *cache_new(size_t max_entries)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (c)
		c->max = max_entries ? max_entries : 1;
	return c;
}

static void unlink_entry(struct cache *c, struct centry *e)
{
	struct centry **pp = &c->bucket[e->hash % NBUCKETS];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	c->bytes -= e->size;
	free(e);
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	while (c->oldest)
		unlink_entry(c, c->oldest);
	free(c);
}

size_t cache_count(const struct cache *c)
{
	return c->count;
}

static struct centry *find(struct cache *c, const uint8_t *name, uint32_t hash, uint16_t type)
{
	for (struct centry *e = c->bucket[hash % NBUCKETS]; e; e = e->hnext)
		if (e->hash == hash && e->type == type && dname_equal(e->name, name))
			return e;
	return NULL;
}

int cache_put(struct cache *c, const uint8_t *name, uint16_t type, const struct resolver_result *r,
	      uint32_t ttl, uint64_t now)
{
	uint32_t hash = dname_hash(name);
	size_t need = 0;
	struct centry *e, *old;
	uint8_t *p;

	if (ttl == 0 || r->status == RESOLVER_TEMPFAIL)
		return 0;
	for (size_t i = 0; i < r->nrrs; i++)
		need += dname_len(r->rrs[i]->owner) + r->rrs[i]->rdlen;
	need += sizeof(*e) + r->nrrs * (sizeof(struct dns_rr) + sizeof(void *));
	if (need > CACHE_BYTES_MAX / 16)
		return 0; /* not worth a sixteenth of the cache */
	e = calloc(1, need);
	if (e == NULL)
		return -1;
	e->size = need;
	e->hash = hash;
	e->type = type;
	e->expires = now + ttl;
	e->status = r->status;
	e->via_cname = r->via_cname;
	dname_copy_lower(e->name, name);
	dname_copy(e->canonical, r->canonical ? r->canonical : name);
	e->nrrs = r->nrrs;
	e->rr = (struct dns_rr *)(e + 1);
	e->rrp = (const struct dns_rr **)(e->rr + r->nrrs);
	p = (uint8_t *)(e->rrp + r->nrrs);
	for (size_t i = 0; i < r->nrrs; i++) {
		const struct dns_rr *src = r->rrs[i];
		size_t ol = dname_len(src->owner);
		e->rr[i] = *src;
		memcpy(p, src->owner, ol);
		e->rr[i].owner = p;
		p += ol;
		if (src->rdlen)
			memcpy(p, src->rdata, src->rdlen);
		e->rr[i].rdata = p;
		p += src->rdlen;
		e->rrp[i] = &e->rr[i];
	}
	/* Only now, as r may point into the entry replaced or evicted. */
	if ((old = find(c, name, hash, type)) != NULL)
		unlink_entry(c, old);
	while (c->oldest && (c->count >= c->max || c->bytes + e->size > CACHE_BYTES_MAX))
		unlink_entry(c, c->oldest);
	e->hnext = c->bucket[hash % NBUCKETS];
	c->bucket[hash % NBUCKETS] = e;
	e->older = c->newest;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
	c->bytes += e->size;
	return 0;
}

int cache_get(struct cache *c, const uint8_t *name, uint16_t type, uint64_t now,
	      struct resolver_result *r)
{
	struct centry *e = find(c, name, dname_hash(name), type);
	uint32_t left;

	if (e == NULL)
		return -1;
	if (e->expires <= now) {
		unlink_entry(c, e);
		return -1;
	}
	left = (uint32_t)(e->expires - now);
	for (size_t i = 0; i < e->nrrs; i++)
		e->rr[i].ttl = left;
	r->status = e->status;
	r->canonical = e->canonical;
	r->via_cname = e->via_cname;
	r->rrs = e->rrp;
	r->nrrs = e->nrrs;
	r->msg = NULL;
	r->ttl = left;
	r->cached = 1;
	return 0;
}
