/*
 * cache: the resolver's results by name and type, each kept for its TTL
 * (negative ones for the SOA-derived time, RFC 2308), bounded in count;
 * when full, the oldest entry goes first. Times are seconds on a
 * monotonic clock the caller passes in, so tests can move time.
 */
#ifndef MXHOST_DNS_CACHE_H
#define MXHOST_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/resolver.h"

struct cache;

struct cache *cache_new(size_t max_entries);
void cache_free(struct cache *c);

/*
 * Stores a copy of r's status, canonical name, via_cname and records
 * under name/type, for ttl seconds from now (replacing what was there).
 * Nothing is stored for ttl 0 or RESOLVER_TEMPFAIL. -1: no memory.
 */
int cache_put(struct cache *c, const uint8_t *name, uint16_t type, const struct resolver_result *r,
	      uint32_t ttl, uint64_t now);

/*
 * Fills r from a live entry (qname and reason are the caller's): pointers
 * into the cache, valid until the next cache_put or cache_free; record
 * TTLs and r->ttl are the time left. 0 if found, -1 if not.
 */
int cache_get(struct cache *c, const uint8_t *name, uint16_t type, uint64_t now,
	      struct resolver_result *r);

size_t cache_count(const struct cache *c);

#endif
