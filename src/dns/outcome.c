/* outcome: see outcome.h. */
#include "dns/outcome.h"

#include <string.h>

#include "core/buf.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A TTL as RFC 2181 section 8 reads it: with the top bit set, zero. */
static uint32_t ttl_of(uint32_t v)
{
	return v > 0x7FFFFFFFu ? 0 : v;
}

/* The negative-caching time from the authority section's SOA, or 0 when
 * there is none for name (RFC 2308 section 5: then do not cache). */
static int negative_ttl(const struct dns_msg *m, const uint8_t *name, uint32_t *ttl)
{
	for (unsigned i = m->nan; i < (unsigned)m->nan + m->nns; i++) {
		const struct dns_rr *rr = &m->rr[i];
		const uint8_t *p;
		uint32_t minimum;

		if (rr->type != DNS_T_SOA || rr->rclass != DNS_C_IN || rr->rdlen < 22 ||
		    !dname_is_subdomain(name, rr->owner))
			continue;
		p = rr->rdata + rr->rdlen - 4;
		minimum = ttl_of(buf_get_u32(p));
		*ttl = min_u32(min_u32(ttl_of(rr->ttl), minimum), OUTCOME_NEG_TTL_MAX);
		return 1;
	}
	*ttl = 0;
	return 0;
}

static int has_ns(const struct dns_msg *m)
{
	for (unsigned i = m->nan; i < (unsigned)m->nan + m->nns; i++)
		if (m->rr[i].type == DNS_T_NS)
			return 1;
	return 0;
}

static const char *rcode_why(unsigned rcode)
{
	switch (rcode) {
	case DNS_R_SERVFAIL: return "SERVFAIL";
	case DNS_R_REFUSED: return "REFUSED";
	case DNS_R_FORMERR: return "FORMERR";
	case DNS_R_NOTIMP: return "NOTIMP";
	case DNS_R_BADVERS: return "BADVERS";
	default: return "unexpected rcode";
	}
}

void outcome_read(const struct dns_msg *m, const uint8_t *qname, uint16_t qtype, struct outcome *a,
		  const struct dns_rr **rrs, size_t cap)
{
	unsigned rcode = dns_msg_rcode(m);
	uint32_t ttl = OUTCOME_TTL_MAX, neg;
	int soa;

	memset(a, 0, sizeof(*a));
	a->rrs = rrs;
	dname_copy(a->canonical, qname);
	if (rcode != DNS_R_NOERROR && rcode != DNS_R_NXDOMAIN) {
		a->kind = OUTCOME_FAIL;
		a->why = rcode_why(rcode);
		return;
	}
	/* Follow the chain from qname through the answer section: the
	 * records of the type at the current name, else its CNAME. */
	for (;;) {
		const struct dns_rr *cname = NULL;
		for (unsigned i = 0; i < m->nan; i++) {
			const struct dns_rr *rr = &m->rr[i];
			if (rr->rclass != DNS_C_IN || !dname_equal(rr->owner, a->canonical))
				continue;
			if (rr->type == qtype) {
				if (a->nrrs < cap)
					rrs[a->nrrs++] = rr;
				ttl = min_u32(ttl, ttl_of(rr->ttl));
			} else if (rr->type == DNS_T_CNAME && cname == NULL) {
				cname = rr;
			}
		}
		if (a->nrrs > 0) {
			a->kind = OUTCOME_RECORDS;
			a->ttl = ttl;
			return;
		}
		if (cname == NULL || qtype == DNS_T_CNAME)
			break;
		if (a->hops == OUTCOME_CHAIN_MAX) {
			a->kind = OUTCOME_FAIL;
			a->why = "CNAME chain too long";
			return;
		}
		a->hops++;
		ttl = min_u32(ttl, ttl_of(cname->ttl));
		dname_copy(a->canonical, cname->rdata);
	}
	/* Nothing of the type at the end of the chain. The rcode speaks of
	 * the last name (RFC 6604), and so does the SOA. */
	soa = negative_ttl(m, a->canonical, &neg);
	if (rcode == DNS_R_NXDOMAIN) {
		a->kind = OUTCOME_NXDOMAIN;
		a->ttl = min_u32(ttl, neg);
		return;
	}
	if (a->hops > 0 && !soa) {
		/* A CNAME out of the server's zone: it could not say more. */
		a->kind = OUTCOME_REQUERY;
		a->ttl = ttl;
		return;
	}
	if (a->hops == 0 && !soa && has_ns(m) && !(m->h.flags & DNS_F_AA)) {
		/* A delegation, not an answer: the server does not recurse. */
		a->kind = OUTCOME_FAIL;
		a->why = "referral (server does not recurse)";
		return;
	}
	a->kind = OUTCOME_NODATA;
	a->ttl = min_u32(ttl, neg);
}
