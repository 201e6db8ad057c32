/*
 * answer: the authoritative server's response to one query, built from a
 * zone set the way NSD builds it (docs/DNS.md has the rules and the few
 * deliberate differences). A pure function over buffers — query bytes in,
 * response bytes out — so the server, the unit tests and the fuzzer all
 * call it alike. It never allocates: the per-query path is bounded work
 * on the caller's buffers and the stack.
 */
#ifndef MXHOST_DNS_ANSWER_H
#define MXHOST_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

struct zoneset;

struct answer_params {
	int tcp;	       /* the query came over TCP: no UDP size limit */
	int ipv6;	       /* over IPv6: AAAA glue before A glue, as NSD orders it */
	uint16_t edns_payload; /* largest UDP response with EDNS0; also advertised */
};

/* The smallest out buffer answer_query accepts. */
#define ANSWER_MIN_CAP 512

/*
 * Writes the response to the query q (qlen bytes) into out (cap bytes,
 * at least ANSWER_MIN_CAP; over TCP a response never exceeds 65535 bytes
 * or cap). Returns the response length, or 0 when the query deserves no
 * response at all: shorter than a header, or itself a response.
 */
size_t answer_query(const struct zoneset *zs, const uint8_t *q, size_t qlen, uint8_t *out,
		    size_t cap, const struct answer_params *p);

#endif
