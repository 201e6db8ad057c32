/*
 * Unit tests for the resolver (src/dns/resolver.c, answer.c, cache.c,
 * transport.c, resolv_conf.c), answering from canned packets through the
 * resolver's test seam: the packets go through the same matching and
 * parsing as packets from the network.
 */
#include "unit.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "canned.h"
#include "dns/cache.h"
#include "dns/outcome.h"
#include "dns/resolver.h"
#include "dns/transport.h"

#define S1 "127.0.0.1:5300"
#define S2 "127.0.0.1:5301"

struct fixture {
	struct event_base *base;
	struct resolver *res;
	struct ctable table;
	uint64_t clock;
	struct netaddr servers[2];
};

/* What a callback saw, copied out (the result lives only in the call). */
struct seen {
	int called;
	enum resolver_status status;
	char reason[512];
	char canonical[DNAME_TEXT_MAX];
	int via_cname, cached, has_msg;
	uint32_t ttl;
	size_t nrrs;
	char rr[8][300];
};

static uint64_t test_clock(void *arg)
{
	return ((struct fixture *)arg)->clock;
}

static struct fixture *setup_opts(struct canswer *e, size_t n, struct resolver_opts *o)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	netaddr_parse(S1, 0, &f->servers[0]);
	netaddr_parse(S2, 0, &f->servers[1]);
	if (o->nservers)
		o->servers = f->servers;
	f->res = resolver_new(f->base, o);
	assert_non_null(f->res);
	f->table.e = e;
	f->table.n = n;
	f->clock = 1000;
	resolver_set_answer_fn(f->res, canned_answer, &f->table);
	resolver_set_clock(f->res, test_clock, f);
	return f;
}

static struct fixture *setup(struct canswer *e, size_t n, int nservers, unsigned attempts)
{
	struct resolver_opts o = {0};

	o.nservers = (size_t)nservers;
	o.timeout_ms = 30;
	o.attempts = attempts;
	return setup_opts(e, n, &o);
}

static void teardown(struct fixture *f)
{
	resolver_free(f->res);
	event_base_free(f->base);
	free(f);
}

static void on_result(void *arg, const struct resolver_result *r)
{
	struct seen *s = arg;
	char type[16], data[256];

	s->called++;
	s->status = r->status;
	snprintf(s->reason, sizeof(s->reason), "%s", r->reason ? r->reason : "");
	dname_to_text(r->canonical, s->canonical, sizeof(s->canonical));
	s->via_cname = r->via_cname;
	s->cached = r->cached;
	s->has_msg = r->msg != NULL;
	s->ttl = r->ttl;
	s->nrrs = r->nrrs;
	for (size_t i = 0; i < r->nrrs && i < 8; i++) {
		rdata_to_text(r->rrs[i]->type, r->rrs[i]->rdata, r->rrs[i]->rdlen, data,
			      sizeof(data));
		snprintf(s->rr[i], sizeof(s->rr[i]), "%s %s",
			 rr_type_name(r->rrs[i]->type, type, sizeof(type)), data);
	}
}

static struct seen lookup(struct fixture *f, const char *name, uint16_t type)
{
	struct seen s = {0};
	uint8_t n[DNAME_MAX];

	assert_true(dname_from_text(n, name, strlen(name), NULL) > 0);
	resolver_lookup(f->res, n, type, on_result, &s);
	while (!s.called)
		assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	assert_int_equal(s.called, 1);
	return s;
}

/* ---- answers ---- */

static void test_answer(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A,
	     .an = {{"www.example.test.", DNS_T_A, 300, "192.0.2.1"},
		    {"www.example.test.", DNS_T_A, 120, "192.0.2.2"},
		    {"www.example.test.", DNS_T_TXT, 100, "x"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "WWW.Example.TEST", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_ANSWER);
	assert_int_equal(s.nrrs, 2);
	assert_string_equal(s.rr[0], "A 192.0.2.1");
	assert_string_equal(s.rr[1], "A 192.0.2.2");
	assert_int_equal(s.ttl, 120); /* the least of the records used */
	assert_false(s.via_cname);
	assert_false(s.cached);
	assert_true(s.has_msg);
	assert_string_equal(s.reason, "answer from " S1);
	assert_int_equal(e[0].asked_edns, 1); /* EDNS0 by default */
	teardown(f);
}

static void test_cname_in_answer(void **state)
{
	struct canswer e[] = {
	    {"mx.example.test.", DNS_T_A,
	     .an = {{"mx.example.test.", DNS_T_CNAME, 600, "host.example.test."},
		    {"host.example.test.", DNS_T_A, 300, "192.0.2.9"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "mx.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_ANSWER);
	assert_true(s.via_cname);
	assert_string_equal(s.canonical, "host.example.test.");
	assert_int_equal(s.nrrs, 1);
	assert_string_equal(s.rr[0], "A 192.0.2.9");
	assert_int_equal(e[0].asked, 1);
	teardown(f);
}

static void test_cname_requery(void **state)
{
	/* A server authoritative for the alias only: the chain ends at a
	 * name it says nothing about, without an SOA. Ask again for it. */
	struct canswer e[] = {
	    {"alias.example.test.", DNS_T_MX, .aa = 1,
	     .an = {{"alias.example.test.", DNS_T_CNAME, 100, "real.other.test."}}},
	    {"real.other.test.", DNS_T_MX,
	     .an = {{"real.other.test.", DNS_T_MX, 900, "5 mx.other.test."}}},
	};
	struct fixture *f = setup(e, 2, 1, 1);
	struct seen s = lookup(f, "alias.example.test", DNS_T_MX);

	assert_int_equal(s.status, RESOLVER_ANSWER);
	assert_true(s.via_cname);
	assert_string_equal(s.canonical, "real.other.test.");
	assert_string_equal(s.rr[0], "MX 5 mx.other.test.");
	assert_int_equal(s.ttl, 100); /* the chain's CNAME counts too */
	assert_int_equal(e[0].asked, 1);
	assert_int_equal(e[1].asked, 1);
	/* the whole result is cached under the name asked */
	s = lookup(f, "alias.example.test", DNS_T_MX);
	assert_true(s.cached);
	assert_true(s.via_cname);
	assert_string_equal(s.canonical, "real.other.test.");
	assert_int_equal(e[0].asked + e[1].asked, 2);
	teardown(f);
}

static void test_cname_to_nodata_with_soa(void **state)
{
	/* The chain ends at a name of the same zone with no records of the
	 * type: the SOA says so; no second query. */
	struct canswer e[] = {
	    {"alias.example.test.", DNS_T_AAAA, .aa = 1,
	     .an = {{"alias.example.test.", DNS_T_CNAME, 100, "host.example.test."}},
	     .ns = {SOA_REC("example.test.", 300, 30)}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "alias.example.test", DNS_T_AAAA);

	assert_int_equal(s.status, RESOLVER_NODATA);
	assert_true(s.via_cname);
	assert_string_equal(s.canonical, "host.example.test.");
	assert_int_equal(s.ttl, 30);
	assert_int_equal(e[0].asked, 1);
	teardown(f);
}

static void test_cname_loop(void **state)
{
	struct canswer e[] = {
	    {"a.example.test.", DNS_T_A,
	     .an = {{"a.example.test.", DNS_T_CNAME, 100, "b.example.test."},
		    {"b.example.test.", DNS_T_CNAME, 100, "a.example.test."}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "a.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_non_null(strstr(s.reason, "CNAME chain too long"));
	teardown(f);
}

static void test_cname_requery_bounded(void **state)
{
	/* Each answer leads one step further, out of zone: the re-queries
	 * stop after a few. */
	struct canswer e[8];
	char names[9][32];
	struct seen s;
	struct fixture *f;

	memset(e, 0, sizeof(e));
	for (int i = 0; i < 9; i++)
		snprintf(names[i], sizeof(names[i]), "n%d.test.", i);
	for (int i = 0; i < 8; i++) {
		e[i].qname = names[i];
		e[i].qtype = DNS_T_A;
		e[i].an[0] = (struct crec){names[i], DNS_T_CNAME, 60, names[i + 1]};
	}
	f = setup(e, 8, 1, 1);
	s = lookup(f, "n0.test", DNS_T_A);
	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "CNAME chain too long");
	assert_true(f->table.total <= 6);
	teardown(f);
}

static void test_nxdomain_negative_ttl(void **state)
{
	struct canswer e[] = {
	    /* SOA TTL 300, MINIMUM 60: 60 */
	    {"nx.example.test.", DNS_T_MX, .rcode = DNS_R_NXDOMAIN, .aa = 1,
	     .ns = {SOA_REC("example.test.", 300, 60)}},
	    /* SOA TTL 20, MINIMUM 3600: 20 */
	    {"nx2.example.test.", DNS_T_MX, .rcode = DNS_R_NXDOMAIN, .aa = 1,
	     .ns = {SOA_REC("example.test.", 20, 3600)}},
	};
	struct fixture *f = setup(e, 2, 1, 1);
	struct seen s = lookup(f, "nx.example.test", DNS_T_MX);

	assert_int_equal(s.status, RESOLVER_NXDOMAIN);
	assert_int_equal(s.ttl, 60);
	assert_string_equal(s.reason, "NXDOMAIN from " S1);
	s = lookup(f, "nx2.example.test", DNS_T_MX);
	assert_int_equal(s.status, RESOLVER_NXDOMAIN);
	assert_int_equal(s.ttl, 20);

	/* cached for exactly that long */
	f->clock += 59;
	s = lookup(f, "nx.example.test", DNS_T_MX);
	assert_true(s.cached);
	assert_int_equal(s.status, RESOLVER_NXDOMAIN);
	assert_int_equal(s.ttl, 1);
	assert_int_equal(e[0].asked, 1);
	f->clock += 1;
	s = lookup(f, "nx.example.test", DNS_T_MX);
	assert_false(s.cached);
	assert_int_equal(e[0].asked, 2);
	teardown(f);
}

static void test_negative_ttl_capped(void **state)
{
	struct canswer e[] = {
	    {"nx.example.test.", DNS_T_A, .rcode = DNS_R_NXDOMAIN,
	     .ns = {SOA_REC("example.test.", 86400, 86400)}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "nx.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_NXDOMAIN);
	assert_int_equal(s.ttl, OUTCOME_NEG_TTL_MAX);
	teardown(f);
}

static void test_nodata(void **state)
{
	struct canswer e[] = {
	    {"host.example.test.", DNS_T_MX, .aa = 1, .ns = {SOA_REC("example.test.", 300, 45)}},
	    /* no SOA: NODATA still, but not cached (RFC 2308 section 5) */
	    {"bare.example.test.", DNS_T_MX, .aa = 1},
	    /* an SOA of an unrelated zone does not count */
	    {"odd.example.test.", DNS_T_MX, .aa = 1, .ns = {SOA_REC("other.test.", 300, 45)}},
	};
	struct fixture *f = setup(e, 3, 1, 1);
	struct seen s = lookup(f, "host.example.test", DNS_T_MX);

	assert_int_equal(s.status, RESOLVER_NODATA);
	assert_int_equal(s.ttl, 45);
	assert_int_equal(s.nrrs, 0);
	assert_string_equal(s.reason, "NODATA from " S1);
	s = lookup(f, "host.example.test", DNS_T_MX);
	assert_true(s.cached);
	assert_int_equal(s.status, RESOLVER_NODATA);
	assert_int_equal(e[0].asked, 1);

	s = lookup(f, "bare.example.test", DNS_T_MX);
	assert_int_equal(s.status, RESOLVER_NODATA);
	assert_int_equal(s.ttl, 0);
	s = lookup(f, "bare.example.test", DNS_T_MX);
	assert_false(s.cached);
	assert_int_equal(e[1].asked, 2);

	s = lookup(f, "odd.example.test", DNS_T_MX);
	assert_int_equal(s.status, RESOLVER_NODATA);
	assert_int_equal(s.ttl, 0);
	teardown(f);
}

static void test_positive_cache(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .an = {{"www.example.test.", DNS_T_A, 10, "192.0.2.1"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_false(s.cached);
	f->clock += 4;
	s = lookup(f, "www.EXAMPLE.test", DNS_T_A);
	assert_true(s.cached);
	assert_false(s.has_msg);
	assert_int_equal(s.ttl, 6);
	assert_string_equal(s.rr[0], "A 192.0.2.1");
	assert_string_equal(s.reason, "cached");
	assert_int_equal(e[0].asked, 1);
	f->clock += 6;
	s = lookup(f, "www.example.test", DNS_T_A);
	assert_false(s.cached);
	assert_int_equal(e[0].asked, 2);
	/* another type is another entry */
	s = lookup(f, "www.example.test", DNS_T_AAAA);
	assert_int_equal(s.status, RESOLVER_TEMPFAIL); /* not in the table: REFUSED */
	teardown(f);
}

/* ---- failures ---- */

static void test_servfail_then_next_server(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .port = 5300, .rcode = DNS_R_SERVFAIL},
	    {"www.example.test.", DNS_T_A, .port = 5301,
	     .an = {{"www.example.test.", DNS_T_A, 300, "192.0.2.1"}}},
	};
	struct fixture *f = setup(e, 2, 2, 2);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_ANSWER);
	assert_string_equal(s.reason, "answer from " S2);
	assert_int_equal(e[0].asked, 1);
	assert_int_equal(e[1].asked, 1);
	teardown(f);
}

static void test_servfail_everywhere(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .port = 5300, .rcode = DNS_R_SERVFAIL},
	    {"www.example.test.", DNS_T_A, .port = 5301, .rcode = DNS_R_REFUSED},
	};
	struct fixture *f = setup(e, 2, 2, 3);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "SERVFAIL (" S1 "), REFUSED (" S2 ")");
	/* a server that said SERVFAIL is not asked again in later rounds */
	assert_int_equal(e[0].asked, 1);
	assert_int_equal(e[1].asked, 1);
	assert_int_equal(s.ttl, 0);
	/* and the failure is not cached */
	s = lookup(f, "www.example.test", DNS_T_A);
	assert_false(s.cached);
	assert_int_equal(e[0].asked, 2);
	teardown(f);
}

static void test_timeout_retries(void **state)
{
	struct canswer e[] = {
	    {"slow.example.test.", DNS_T_A, .mode = C_SILENT},
	};
	struct fixture *f = setup(e, 1, 2, 2);
	struct seen s = lookup(f, "slow.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "timed out (" S1 "), timed out (" S2 ")");
	assert_int_equal(e[0].asked, 4); /* 2 rounds over 2 servers */
	teardown(f);
}

static void test_connection_refused(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .port = 5300, .mode = C_REFUSE_CONN},
	    {"www.example.test.", DNS_T_A, .port = 5301, .mode = C_SILENT},
	};
	struct fixture *f = setup(e, 2, 2, 2);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_non_null(strstr(s.reason, "Connection refused (" S1 ")"));
	assert_non_null(strstr(s.reason, "timed out (" S2 ")"));
	assert_int_equal(e[0].asked, 1);
	assert_int_equal(e[1].asked, 2);
	teardown(f);
}

static void test_malformed(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .mode = C_GARBAGE},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "malformed answer (" S1 ")");
	teardown(f);
}

static void test_wrong_id_ignored(void **state)
{
	/* The only answer carries another ID: it must not be taken. */
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .mode = C_WRONG_ID,
	     .an = {{"www.example.test.", DNS_T_A, 300, "192.0.2.66"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "timed out (" S1 ")");
	teardown(f);
}

static void test_wrong_question_ignored(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A, .mode = C_WRONG_QNAME,
	     .an = {{"www.example.test.", DNS_T_A, 300, "192.0.2.66"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "www.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "timed out (" S1 ")");
	teardown(f);
}

static void test_truncated_uses_tcp(void **state)
{
	struct canswer e[] = {
	    {"big.example.test.", DNS_T_TXT, .mode = C_TRUNCATE,
	     .an = {{"big.example.test.", DNS_T_TXT, 300, "over tcp"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "big.example.test", DNS_T_TXT);

	assert_int_equal(s.status, RESOLVER_ANSWER);
	assert_string_equal(s.rr[0], "TXT \"over tcp\"");
	assert_int_equal(e[0].asked, 2);
	assert_int_equal(e[0].asked_tcp, 1);
	teardown(f);
}

static void test_edns_fallback(void **state)
{
	struct canswer e[] = {
	    {"old.example.test.", DNS_T_A, .mode = C_NO_EDNS,
	     .an = {{"old.example.test.", DNS_T_A, 300, "192.0.2.3"}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "old.example.test", DNS_T_A);

	assert_int_equal(s.status, RESOLVER_ANSWER);
	assert_int_equal(e[0].asked, 2);
	assert_int_equal(e[0].asked_edns, 1);
	teardown(f);
}

static void test_referral_is_failure(void **state)
{
	struct canswer e[] = {
	    {"sub.example.test.", DNS_T_MX,
	     .ns = {{"sub.example.test.", DNS_T_NS, 300, "ns.sub.example.test."}}},
	};
	struct fixture *f = setup(e, 1, 1, 1);
	struct seen s = lookup(f, "sub.example.test", DNS_T_MX);

	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_non_null(strstr(s.reason, "referral"));
	teardown(f);
}

static void test_query_ids_random(void **state)
{
	/* Every try carries a fresh ID: 16 tries, not all the same. */
	struct canswer e[] = {{"slow.example.test.", DNS_T_A, .mode = C_SILENT}};
	struct fixture *f = setup(e, 1, 1, 1);
	uint16_t ids[16];
	int distinct = 0;

	for (int i = 0; i < 16; i++) {
		lookup(f, "slow.example.test", DNS_T_A);
		ids[i] = (uint16_t)(f->table.last_query[0] << 8 | f->table.last_query[1]);
	}
	for (int i = 0; i < 16; i++) {
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= ids[j] == ids[i];
		distinct += !dup;
	}
	assert_true(distinct >= 12);
	teardown(f);
}

static void never(void *arg, const struct resolver_result *r)
{
	(void)arg;
	(void)r;
	fail_msg("callback of a cancelled lookup");
}

static void test_cancel_and_free(void **state)
{
	struct canswer e[] = {{"slow.example.test.", DNS_T_A, .mode = C_SILENT}};
	struct fixture *f = setup(e, 1, 1, 1);
	uint8_t n[DNAME_MAX];
	struct resolver_query *q;

	dname_from_text(n, "slow.example.test", 17, NULL);
	q = resolver_lookup(f->res, n, DNS_T_A, never, NULL);
	assert_non_null(q);
	resolver_cancel(q);
	usleep(50000); /* past the timeout */
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	/* in flight when the resolver goes: no callback, no leak */
	assert_non_null(resolver_lookup(f->res, n, DNS_T_A, never, NULL));
	teardown(f);
}

/* ---- raw exchange (nslookup's) ---- */

struct xseen {
	int called, err;
	uint8_t pkt[512];
	size_t len;
};

static void on_exchange(void *arg, int err, const uint8_t *pkt, size_t len)
{
	struct xseen *x = arg;
	x->called++;
	x->err = err;
	x->len = len;
	if (pkt && len <= sizeof(x->pkt))
		memcpy(x->pkt, pkt, len);
}

static struct xseen exchange_flags(struct fixture *f, const char *name, uint16_t type,
				   unsigned tries, int flags)
{
	struct xseen x = {0};
	uint8_t n[DNAME_MAX], q[512];
	int len;

	dname_from_text(n, name, strlen(name), NULL);
	len = dns_build_query(q, sizeof(q), 0xbeef, DNS_F_RD, n, type, DNS_C_IN, 0);
	resolver_exchange(f->res, &f->servers[0], q, (size_t)len, 30, tries, flags, on_exchange,
			  &x);
	while (!x.called)
		event_base_loop(f->base, EVLOOP_ONCE);
	return x;
}

static struct xseen exchange(struct fixture *f, const char *name, uint16_t type, unsigned tries)
{
	return exchange_flags(f, name, type, tries, 0);
}

static void test_exchange(void **state)
{
	struct canswer e[] = {
	    {"www.example.test.", DNS_T_A,
	     .an = {{"www.example.test.", DNS_T_A, 300, "192.0.2.1"}}},
	    {"slow.example.test.", DNS_T_A, .mode = C_SILENT},
	    {"bad.example.test.", DNS_T_A, .mode = C_WRONG_ID},
	    {"closed.example.test.", DNS_T_A, .mode = C_REFUSE_CONN},
	    {"big.example.test.", DNS_T_A, .mode = C_TRUNCATE,
	     .an = {{"big.example.test.", DNS_T_A, 300, "192.0.2.2"}}},
	};
	struct fixture *f = setup(e, 5, 1, 1);
	struct xseen x = exchange(f, "www.example.test", DNS_T_A, 1);
	struct dns_msg *m;

	assert_int_equal(x.err, 0);
	/* the caller's ID is back; on the wire it was another */
	assert_int_equal(x.pkt[0], 0xbe);
	assert_int_equal(x.pkt[1], 0xef);
	assert_int_equal(dns_msg_parse(x.pkt, x.len, &m), DNS_PARSE_OK);
	assert_int_equal(m->nan, 1);
	dns_msg_free(m);
	assert_int_equal(e[0].asked_edns, 0); /* the query is sent as given */

	x = exchange(f, "slow.example.test", DNS_T_A, 3);
	assert_int_equal(x.err, ETIMEDOUT);
	assert_int_equal(x.len, 0);
	assert_int_equal(e[1].asked, 3);

	x = exchange(f, "bad.example.test", DNS_T_A, 1);
	assert_int_equal(x.err, ETIMEDOUT);

	x = exchange(f, "closed.example.test", DNS_T_A, 2);
	assert_int_equal(x.err, ECONNREFUSED);
	assert_int_equal(e[3].asked, 2);

	x = exchange(f, "big.example.test", DNS_T_A, 1);
	assert_int_equal(x.err, 0);
	assert_int_equal(e[4].asked_tcp, 1);
	assert_false(x.pkt[2] & (DNS_F_TC >> 8));

	/* the tool that retries over TCP itself gets the truncated answer */
	x = exchange_flags(f, "big.example.test", DNS_T_A, 1, RESOLVER_X_NO_FALLBACK);
	assert_int_equal(x.err, 0);
	assert_true(x.pkt[2] & (DNS_F_TC >> 8));
	assert_int_equal(e[4].asked_tcp, 1);
	/* and TCP from the start */
	x = exchange_flags(f, "big.example.test", DNS_T_A, 1, RESOLVER_X_TCP);
	assert_int_equal(x.err, 0);
	assert_int_equal(e[4].asked_tcp, 2);
	assert_int_equal(e[4].asked, 4);
	teardown(f);
}

/* ---- pieces ---- */

static int build(uint8_t *buf, uint16_t id, uint16_t flags, const char *name, uint16_t type)
{
	uint8_t n[DNAME_MAX];
	dname_from_text(n, name, strlen(name), NULL);
	return dns_build_query(buf, 512, id, flags, n, type, DNS_C_IN, 0);
}

static void test_transport_match(void **state)
{
	uint8_t q[512], a[512];
	int ql = build(q, 7, DNS_F_RD, "www.example.test.", DNS_T_A), al;

	al = build(a, 7, DNS_F_QR, "WWW.example.TEST.", DNS_T_A);
	assert_true(transport_match(q, (size_t)ql, a, (size_t)al));
	al = build(a, 8, DNS_F_QR, "www.example.test.", DNS_T_A);
	assert_false(transport_match(q, (size_t)ql, a, (size_t)al)); /* ID */
	al = build(a, 7, 0, "www.example.test.", DNS_T_A);
	assert_false(transport_match(q, (size_t)ql, a, (size_t)al)); /* not an answer */
	al = build(a, 7, DNS_F_QR, "www.example.test.", DNS_T_AAAA);
	assert_false(transport_match(q, (size_t)ql, a, (size_t)al)); /* type */
	al = build(a, 7, DNS_F_QR, "ww.example.test.", DNS_T_A);
	assert_false(transport_match(q, (size_t)ql, a, (size_t)al)); /* name */
	al = build(a, 7, DNS_F_QR, "www.example.test.", DNS_T_A);
	a[al - 1] = 3; /* class CH */
	assert_false(transport_match(q, (size_t)ql, a, (size_t)al));
	/* no question: only with an error rcode */
	memset(a, 0, 12);
	a[0] = 0, a[1] = 7, a[2] = 0x80, a[3] = DNS_R_FORMERR;
	assert_true(transport_match(q, (size_t)ql, a, 12));
	a[3] = DNS_R_NOERROR;
	assert_false(transport_match(q, (size_t)ql, a, 12));
	a[3] = DNS_R_NXDOMAIN;
	assert_false(transport_match(q, (size_t)ql, a, 12));
	assert_false(transport_match(q, (size_t)ql, a, 11)); /* short */
}

static void test_outcome_read_direct(void **state)
{
	/* an rcode the answer cannot be read past */
	uint8_t pkt[512];
	int len = build(pkt, 1, DNS_F_QR | DNS_R_NOTIMP, "x.test.", DNS_T_A);
	struct dns_msg *m;
	struct outcome a;
	const struct dns_rr *rrs[1];

	assert_int_equal(dns_msg_parse(pkt, (size_t)len, &m), DNS_PARSE_OK);
	outcome_read(m, m->q.name, DNS_T_A, &a, rrs, 0);
	assert_int_equal(a.kind, OUTCOME_FAIL);
	assert_string_equal(a.why, "NOTIMP");
	dns_msg_free(m);
}

static void test_cache_bounded(void **state)
{
	struct cache *c = cache_new(2);
	struct resolver_result r = {0}, got;
	uint8_t a[DNAME_MAX], b[DNAME_MAX], d[DNAME_MAX];

	dname_from_text(a, "a.test.", 7, NULL);
	dname_from_text(b, "b.test.", 7, NULL);
	dname_from_text(d, "d.test.", 7, NULL);
	r.status = RESOLVER_NXDOMAIN;
	assert_int_equal(cache_put(c, a, DNS_T_A, &r, 100, 0), 0);
	assert_int_equal(cache_put(c, b, DNS_T_A, &r, 100, 0), 0);
	assert_int_equal(cache_put(c, d, DNS_T_A, &r, 100, 0), 0);
	assert_int_equal(cache_count(c), 2);
	assert_int_equal(cache_get(c, a, DNS_T_A, 1, &got), -1); /* the oldest went */
	assert_int_equal(cache_get(c, d, DNS_T_A, 1, &got), 0);
	assert_int_equal(got.status, RESOLVER_NXDOMAIN);
	/* TEMPFAIL and TTL 0 are never stored */
	r.status = RESOLVER_TEMPFAIL;
	cache_put(c, a, DNS_T_A, &r, 100, 0);
	assert_int_equal(cache_get(c, a, DNS_T_A, 1, &got), -1);
	r.status = RESOLVER_ANSWER;
	cache_put(c, a, DNS_T_A, &r, 0, 0);
	assert_int_equal(cache_get(c, a, DNS_T_A, 1, &got), -1);
	cache_free(c);
}

static void test_resolv_conf(void **state)
{
	char path[] = "/tmp/mxhost-resolv-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct resolv_conf rc;
	char buf[NETADDR_STRLEN];

	fputs("# comment\n"
	      "domain ignored.test\n"
	      "search example.test other.test\n"
	      "nameserver 127.0.0.53\n"
	      "  nameserver ::1\n"
	      "nameserver fe80::1%eth0\n"
	      "nameserver 192.0.2.4\n" /* a fourth: ignored, as glibc does */
	      "nameserver bogus\n"
	      "options ndots:2 timeout:3 attempts:4 rotate\n",
	      fp);
	fclose(fp);
	assert_int_equal(resolv_conf_read(path, &rc), 3);
	assert_string_equal(netaddr_format((struct sockaddr *)&rc.servers[0].ss, buf, sizeof(buf)),
			    "127.0.0.53:53");
	assert_string_equal(netaddr_format((struct sockaddr *)&rc.servers[1].ss, buf, sizeof(buf)),
			    "[::1]:53");
	assert_string_equal(netaddr_format((struct sockaddr *)&rc.servers[2].ss, buf, sizeof(buf)),
			    "[fe80::1]:53");
	assert_int_equal(rc.nsearch, 2);
	assert_string_equal(rc.search[0], "example.test");
	assert_string_equal(rc.search[1], "other.test");
	assert_int_equal(rc.ndots, 2);
	assert_int_equal(rc.timeout, 3);
	assert_int_equal(rc.attempts, 4);
	unlink(path);
	assert_int_equal(resolv_conf_read(path, &rc), 0);
	assert_int_equal(rc.ndots, 1);
	assert_int_equal(rc.timeout, 5);
	assert_int_equal(rc.attempts, 2);
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Without servers of its own, the resolver takes resolv.conf's timeout
 * and attempts, except those the caller sets. */
static void test_resolv_conf_limits(void **state)
{
	struct canswer e[] = {
	    {"slow.example.test.", DNS_T_A, .mode = C_SILENT},
	};
	char path[] = "/tmp/mxhost-resolv-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct resolver_opts o = {0};
	struct fixture *f;
	struct seen s;
	double t0, t1;

	fputs("nameserver 127.0.0.1\noptions timeout:1 attempts:3\n", fp);
	fclose(fp);
	o.resolv_conf = path;

	/* attempts:3 from the file: three rounds over its one server */
	o.timeout_ms = 30;
	f = setup_opts(e, 1, &o);
	s = lookup(f, "slow.example.test", DNS_T_A);
	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_string_equal(s.reason, "timed out (127.0.0.1:53)");
	assert_int_equal(e[0].asked, 3);
	teardown(f);

	/* timeout:1 from the file: one second, not the 2 s default */
	e[0].asked = 0;
	o.timeout_ms = 0;
	o.attempts = 1;
	f = setup_opts(e, 1, &o);
	t0 = seconds();
	s = lookup(f, "slow.example.test", DNS_T_A);
	t1 = seconds();
	assert_int_equal(s.status, RESOLVER_TEMPFAIL);
	assert_int_equal(e[0].asked, 1);
	assert_true(t1 - t0 >= 0.95);
	assert_true(t1 - t0 < 1.9);
	teardown(f);

	/* no options: glibc's two attempts */
	fp = fopen(path, "w");
	fputs("nameserver 127.0.0.1\n", fp);
	fclose(fp);
	e[0].asked = 0;
	o.timeout_ms = 30;
	o.attempts = 0;
	f = setup_opts(e, 1, &o);
	s = lookup(f, "slow.example.test", DNS_T_A);
	assert_int_equal(e[0].asked, 2);
	teardown(f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_cname_in_answer),
	    cmocka_unit_test(test_cname_requery),
	    cmocka_unit_test(test_cname_to_nodata_with_soa),
	    cmocka_unit_test(test_cname_loop),
	    cmocka_unit_test(test_cname_requery_bounded),
	    cmocka_unit_test(test_nxdomain_negative_ttl),
	    cmocka_unit_test(test_negative_ttl_capped),
	    cmocka_unit_test(test_nodata),
	    cmocka_unit_test(test_positive_cache),
	    cmocka_unit_test(test_servfail_then_next_server),
	    cmocka_unit_test(test_servfail_everywhere),
	    cmocka_unit_test(test_timeout_retries),
	    cmocka_unit_test(test_resolv_conf_limits),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_wrong_id_ignored),
	    cmocka_unit_test(test_wrong_question_ignored),
	    cmocka_unit_test(test_truncated_uses_tcp),
	    cmocka_unit_test(test_edns_fallback),
	    cmocka_unit_test(test_referral_is_failure),
	    cmocka_unit_test(test_query_ids_random),
	    cmocka_unit_test(test_cancel_and_free),
	    cmocka_unit_test(test_exchange),
	    cmocka_unit_test(test_transport_match),
	    cmocka_unit_test(test_outcome_read_direct),
	    cmocka_unit_test(test_cache_bounded),
	    cmocka_unit_test(test_resolv_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
