/*
 * pcache: answers already built, kept to be sent again (PowerDNS's packet
 * cache). The response to a query depends only on the query's header
 * flags, its question (the name compared without case), the EDNS fields it
 * carries, the transport and the zones. So for a UDP query of the plain
 * form — one question, no compression, at most an OPT record without
 * options, nothing else — the response is the same bytes every time but
 * for the ID and the question, which is echoed as asked: the rest points
 * into the question by offset, whatever its case.
 *
 * The server asks the cache first and stores what answer_query built on a
 * miss; it empties the cache whenever the zones or its parameters change.
 * Single-threaded (the event loop's); never allocates after pcache_new.
 */
#ifndef MXHOST_DNS_PCACHE_H
#define MXHOST_DNS_PCACHE_H

#include <stddef.h>
#include <stdint.h>

struct pcache;

/* A cache of nslots answers (rounded up to a power of two) of at most
 * resp_max bytes each. NULL when out of memory. */
struct pcache *pcache_new(size_t nslots, size_t resp_max);
void pcache_free(struct pcache *pc);
void pcache_clear(struct pcache *pc);

/* The answer to query q (qlen bytes) received over UDP (ipv6: over IPv6)
 * written into out, if the cache holds it; its length, or 0. */
size_t pcache_answer(struct pcache *pc, const uint8_t *q, size_t qlen, int ipv6, uint8_t *out,
		     size_t cap);

/* Keeps resp (rlen bytes), the answer just built for q, when q is of the
 * plain form and resp echoes its question. */
void pcache_store(struct pcache *pc, const uint8_t *q, size_t qlen, int ipv6, const uint8_t *resp,
		  size_t rlen);

#endif
