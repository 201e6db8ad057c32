/*
 * outcome: what an answer packet says about the question asked — the
 * records of the type asked after following the CNAMEs in the answer, or
 * NXDOMAIN, or NODATA, or a server failure — and for how long that may be
 * cached (the records' TTL; for a negative answer the lesser of the SOA's
 * TTL and MINIMUM, RFC 2308 section 5). Pure, over a parsed message: the
 * resolver, the unit tests and the fuzzer call it the same way.
 */
#ifndef MXHOST_DNS_OUTCOME_H
#define MXHOST_DNS_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define OUTCOME_CHAIN_MAX   8	   /* CNAMEs followed within one answer */
#define OUTCOME_TTL_MAX	    604800 /* a week, as BIND's max-cache-ttl */
#define OUTCOME_NEG_TTL_MAX 10800  /* 3 hours, as BIND's max-ncache-ttl */

enum outcome_kind {
	OUTCOME_RECORDS,  /* rrs holds the records of the type asked */
	OUTCOME_NODATA,	  /* canonical exists, no records of the type */
	OUTCOME_NXDOMAIN, /* canonical does not exist */
	OUTCOME_REQUERY,  /* the CNAME chain leads to canonical, about which the
		     answer says nothing: ask again for it */
	OUTCOME_FAIL,	  /* the server could not answer (why says how): ask another */
};

struct outcome {
	enum outcome_kind kind;
	const char *why; /* OUTCOME_FAIL: "SERVFAIL", "REFUSED", "referral", ... */
	uint8_t canonical[DNAME_MAX];
	unsigned hops;		   /* CNAMEs followed */
	uint32_t ttl;		   /* seconds the result may be cached; 0: not at all */
	const struct dns_rr **rrs; /* the caller's array, cap entries */
	size_t nrrs;
};

/*
 * Reads m as the answer to qname/qtype (class IN). rrs receives pointers
 * into m, at most cap (the answer's record count is always enough).
 */
void outcome_read(const struct dns_msg *m, const uint8_t *qname, uint16_t qtype, struct outcome *a,
		  const struct dns_rr **rrs, size_t cap);

#endif
