/*
 * libFuzzer: the resolver's answer parsing — an answer packet turned into
 * a resolver result. Each input goes three ways: outcome_read (CNAME
 * following, NXDOMAIN/NODATA, the RFC 2308 negative TTL) with its
 * invariants checked; the cache, storing and reading back what came out;
 * and the whole lookup path, the packet answering the resolver through
 * its test seam (ID matching, TCP on TC, EDNS0 fallback, re-queries).
 * Nothing a packet holds may crash, hang, leak or break an invariant.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dns/cache.h"
#include "dns/outcome.h"
#include "dns/resolver.h"
#include "dns/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *data;
	size_t size;
};

static int answer_with_input(void *arg, const struct netaddr *server, int tcp, const uint8_t *query,
			     size_t len, uint8_t *answer, size_t cap)
{
	const struct input *in = arg;

	(void)server;
	(void)tcp;
	if (in->size < 2 || in->size > cap || len < 2)
		return 0;
	memcpy(answer, in->data, in->size);
	answer[0] = query[0]; /* the ID the resolver chose */
	answer[1] = query[1];
	return (int)in->size;
}

static void check(const struct dns_msg *m, const uint8_t *qname, uint16_t qtype)
{
	const struct dns_rr **rrs = calloc(m->nan + 1u, sizeof(*rrs));
	struct outcome a;

	if (rrs == NULL)
		return;
	outcome_read(m, qname, qtype, &a, rrs, m->nan);
	if (a.hops > OUTCOME_CHAIN_MAX || a.nrrs > m->nan)
		abort();
	switch (a.kind) {
	case OUTCOME_RECORDS:
		if (a.nrrs == 0 || a.ttl > OUTCOME_TTL_MAX)
			abort();
		for (size_t i = 0; i < a.nrrs; i++)
			if (a.rrs[i]->type != qtype || !dname_equal(a.rrs[i]->owner, a.canonical))
				abort();
		break;
	case OUTCOME_NXDOMAIN:
	case OUTCOME_NODATA:
		if (a.nrrs || a.ttl > OUTCOME_NEG_TTL_MAX)
			abort();
		break;
	case OUTCOME_REQUERY:
		if (a.hops == 0 || dname_equal(a.canonical, qname))
			abort();
		break;
	case OUTCOME_FAIL:
		if (a.why == NULL)
			abort();
		break;
	}
	if (a.kind != OUTCOME_FAIL && a.kind != OUTCOME_REQUERY) {
		/* what the cache stores, it gives back */
		struct cache *c = cache_new(4);
		struct resolver_result r = {0}, got = {0};
		r.status = a.kind == OUTCOME_RECORDS  ? RESOLVER_ANSWER
			   : a.kind == OUTCOME_NODATA ? RESOLVER_NODATA
						      : RESOLVER_NXDOMAIN;
		r.canonical = a.canonical;
		r.rrs = a.rrs;
		r.nrrs = a.nrrs;
		if (c && cache_put(c, qname, qtype, &r, 60, 0) == 0) {
			if (cache_get(c, qname, qtype, 1, &got) < 0 || got.status != r.status ||
			    got.nrrs != r.nrrs || !dname_equal(got.canonical, a.canonical))
				abort();
			for (size_t i = 0; i < got.nrrs; i++)
				if (got.rrs[i]->rdlen != a.rrs[i]->rdlen ||
				    memcmp(got.rrs[i]->rdata, a.rrs[i]->rdata, a.rrs[i]->rdlen))
					abort();
		}
		cache_free(c);
	}
	free(rrs);
}

static void on_result(void *arg, const struct resolver_result *r)
{
	int *done = arg;
	if (r->status == RESOLVER_ANSWER && r->nrrs == 0)
		abort();
	*done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	static struct resolver *res;
	static struct input in;
	static uint8_t query[512];
	struct dns_msg *m;
	uint8_t root[1] = {0};
	int qlen, done = 0;

	if (base == NULL) {
		struct netaddr server;
		struct resolver_opts o = {&server, 1, 1, 1, 0, 0, 1, NULL};
		log_set_level(LOG_LEVEL_ERROR);
		netaddr_parse("127.0.0.1:53", 0, &server);
		base = event_base_new();
		res = resolver_new(base, &o);
		resolver_set_answer_fn(res, answer_with_input, &in);
	}
	if (dns_msg_parse(data, size, &m) != DNS_PARSE_OK) {
		qlen = dns_build_query(query, sizeof(query), 0, 0, root, DNS_T_A, DNS_C_IN, 0);
		transport_match(query, (size_t)qlen, data, size);
		return 0;
	}
	qlen = dns_build_query(query, sizeof(query), m->h.id, 0, m->h.qdcount ? m->q.name : root,
			       m->h.qdcount ? m->q.type : DNS_T_A, DNS_C_IN, 0);
	if (qlen > 0)
		transport_match(query, (size_t)qlen, data, size);
	if (m->h.qdcount) {
		check(m, m->q.name, m->q.type);
		check(m, m->q.name, DNS_T_A);
		check(m, m->q.name, DNS_T_MX);
		/* the whole path: the packet answers a lookup of its question */
		in.data = data;
		in.size = size;
		resolver_lookup(res, m->q.name, m->q.type, on_result, &done);
		while (!done)
			event_base_loop(base, EVLOOP_ONCE);
	}
	dns_msg_free(m);
	return 0;
}
