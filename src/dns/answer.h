/*
 * answer: what an answer packet says about the question asked — the
 * records of the type asked after following the CNAMEs in the answer, or
 * NXDOMAIN, or NODATA, or a server failure — and for how long that may be
 * cached (the records' TTL; for a negative answer the lesser of the SOA's
 * TTL and MINIMUM, RFC 2308 section 5). Pure, over a parsed message: the
 * resolver, the unit tests and the fuzzer call it the same way.
 */
#ifndef MXHOST_DNS_ANSWER_H
#define MXHOST_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define ANSWER_CHAIN_MAX   8	  /* CNAMEs followed within one answer */
#define ANSWER_TTL_MAX	   604800 /* a week, as BIND's max-cache-ttl */
#define ANSWER_NEG_TTL_MAX 10800  /* 3 hours, as BIND's max-ncache-ttl */

enum answer_kind {
	ANSWER_RECORDS,	 /* rrs holds the records of the type asked */
	ANSWER_NODATA,	 /* canonical exists, no records of the type */
	ANSWER_NXDOMAIN, /* canonical does not exist */
	ANSWER_REQUERY,	 /* the CNAME chain leads to canonical, about which the
			    answer says nothing: ask again for it */
	ANSWER_FAIL,	 /* the server could not answer (why says how): ask another */
};

struct answer {
	enum answer_kind kind;
	const char *why; /* ANSWER_FAIL: "SERVFAIL", "REFUSED", "referral", ... */
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
void answer_classify(const struct dns_msg *m, const uint8_t *qname, uint16_t qtype,
		     struct answer *a, const struct dns_rr **rrs, size_t cap);

#endif
