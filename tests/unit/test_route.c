/*
 * Unit tests for MX routing (src/route), one or more per rule of RFC 5321
 * section 5.1 as the issue lists them, with the resolver answering from
 * canned packets (tests/unit/canned.h).
 */
#include "unit.h"

#include <unistd.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "canned.h"
#include "route/route.h"

struct fixture {
	struct event_base *base;
	struct resolver *res;
	struct ctable table;
	struct netaddr server;
};

static struct fixture *setup(struct canswer *e, size_t n)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct resolver_opts o = {0};

	f->base = event_base_new();
	netaddr_parse("127.0.0.1:5300", 0, &f->server);
	o.servers = &f->server;
	o.nservers = 1;
	o.timeout_ms = 20;
	o.attempts = 1;
	o.no_cache = 1; /* every route asks afresh, so that counts add up */
	f->res = resolver_new(f->base, &o);
	f->table.e = e;
	f->table.n = n;
	resolver_set_answer_fn(f->res, canned_answer, &f->table);
	return f;
}

static void teardown(struct fixture *f)
{
	resolver_free(f->res);
	event_base_free(f->base);
	free(f);
}

static void on_route(void *arg, struct route *r)
{
	*(struct route **)arg = r;
}

static struct route *route(struct fixture *f, const char *domain, const struct route_opts *o)
{
	struct route *r = NULL;
	struct route_opts none = {0};

	route_lookup(f->res, domain, o ? o : &none, on_route, &r);
	while (r == NULL)
		assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	return r;
}

static const char *ip(const struct route_mx *mx, size_t i)
{
	static char buf[4][NETADDR_STRLEN];
	static int n;
	char *b = buf[n++ % 4];
	assert_true(i < mx->naddrs);
	return netaddr_format((const struct sockaddr *)&mx->addrs[i].ss, b, NETADDR_STRLEN);
}

#define A(name, addr)                                                                              \
	{                                                                                          \
		name, DNS_T_A, .an = { {name, DNS_T_A, 300, addr} }                                \
	}
#define AAAA(name, addr)                                                                           \
	{                                                                                          \
		name, DNS_T_AAAA, .an = { {name, DNS_T_AAAA, 300, addr} }                          \
	}
#define NODATA(name, type)                                                                         \
	{                                                                                          \
		name, type, .aa = 1, .ns = { SOA_REC("example.test.", 300, 60) }                   \
	}
#define NXDOMAIN(name, type)                                                                       \
	{                                                                                          \
		name, type, .aa = 1, .rcode = DNS_R_NXDOMAIN,                                      \
			    .ns = { SOA_REC("example.test.", 300, 60) }                            \
	}

static void test_sorted_by_preference(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "30 mx3.example.test."},
		    {"example.test.", DNS_T_MX, 300, "10 mx1.example.test."},
		    {"example.test.", DNS_T_MX, 300, "20 mx2.example.test."}}},
	    A("mx1.example.test.", "192.0.2.1"),
	    A("mx2.example.test.", "192.0.2.2"),
	    A("mx3.example.test.", "192.0.2.3"),
	    NODATA("mx1.example.test.", DNS_T_AAAA),
	    NODATA("mx2.example.test.", DNS_T_AAAA),
	    NODATA("mx3.example.test.", DNS_T_AAAA),
	};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	struct route *r = route(f, "Example.TEST", NULL);

	assert_int_equal(r->status, ROUTE_OK);
	assert_string_equal(r->dsn, "");
	assert_int_equal(r->nmx, 3);
	assert_string_equal(r->mx[0].name, "mx1.example.test");
	assert_int_equal(r->mx[0].pref, 10);
	assert_string_equal(r->mx[1].name, "mx2.example.test");
	assert_string_equal(r->mx[2].name, "mx3.example.test");
	assert_int_equal(r->mx[2].pref, 30);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r->mx[i].skip, ROUTE_USE);
		assert_int_equal(r->mx[i].flags, 0);
		assert_int_equal(r->mx[i].naddrs, 1);
	}
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.1:25"); /* the default port */
	assert_int_equal(route_usable(r), 3);
	route_free(r);
	teardown(f);
}

static void test_equal_preferences_shuffled(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 a.example.test."},
		    {"example.test.", DNS_T_MX, 300, "10 b.example.test."},
		    {"example.test.", DNS_T_MX, 300, "5 first.example.test."},
		    {"example.test.", DNS_T_MX, 300, "20 last.example.test."}}},
	    A("a.example.test.", "192.0.2.1"),
	    A("b.example.test.", "192.0.2.2"),
	    A("first.example.test.", "192.0.2.3"),
	    A("last.example.test.", "192.0.2.4"),
	};
	struct route_opts o = {.families = {AF_INET}};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	int a_first = 0, b_first = 0;

	for (int i = 0; i < 64; i++) {
		struct route *r = route(f, "example.test", &o);
		assert_int_equal(r->nmx, 4);
		assert_string_equal(r->mx[0].name, "first.example.test");
		assert_string_equal(r->mx[3].name, "last.example.test");
		assert_int_equal(r->mx[1].pref, 10);
		assert_int_equal(r->mx[2].pref, 10);
		a_first += strcmp(r->mx[1].name, "a.example.test") == 0;
		b_first += strcmp(r->mx[1].name, "b.example.test") == 0;
		/* the addresses travel with their exchanger */
		assert_string_equal(ip(&r->mx[1], 0),
				    r->mx[1].name[0] == 'a' ? "192.0.2.1:25" : "192.0.2.2:25");
		route_free(r);
	}
	/* both orders come up (a failure here has odds of 2^-63) */
	assert_int_equal(a_first + b_first, 64);
	assert_true(a_first > 0 && b_first > 0);
	teardown(f);
}

static void test_implicit_mx(void **state)
{
	struct canswer e[] = {
	    NODATA("example.test.", DNS_T_MX),
	    A("example.test.", "192.0.2.7"),
	    AAAA("example.test.", "2001:db8::7"),
	};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	struct route *r = route(f, "example.test", NULL);

	assert_int_equal(r->status, ROUTE_OK);
	assert_true(r->implicit);
	assert_int_equal(r->nmx, 1);
	assert_string_equal(r->mx[0].name, "example.test");
	assert_int_equal(r->mx[0].pref, 0);
	assert_int_equal(r->mx[0].flags, ROUTE_MX_IMPLICIT);
	assert_int_equal(r->mx[0].naddrs, 2);
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.7:25");
	assert_string_equal(ip(&r->mx[0], 1), "[2001:db8::7]:25");
	route_free(r);
	teardown(f);
}

static void test_no_mx_no_address(void **state)
{
	struct canswer e[] = {
	    NODATA("example.test.", DNS_T_MX),
	    NODATA("example.test.", DNS_T_A),
	    NODATA("example.test.", DNS_T_AAAA),
	};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	struct route *r = route(f, "example.test", NULL);

	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.4.4");
	assert_string_equal(r->reason, "domain example.test has no MX and no address records");
	assert_int_equal(r->mx[0].skip, ROUTE_SKIP_NOADDR);
	route_free(r);
	teardown(f);
}

static void test_implicit_mx_tempfail(void **state)
{
	struct canswer e[] = {
	    NODATA("example.test.", DNS_T_MX),
	    {"example.test.", DNS_T_A, .rcode = DNS_R_SERVFAIL},
	    NODATA("example.test.", DNS_T_AAAA),
	};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	struct route *r = route(f, "example.test", NULL);

	assert_int_equal(r->status, ROUTE_TEMPFAIL);
	assert_string_equal(r->dsn, "4.4.3");
	assert_non_null(strstr(r->reason, "SERVFAIL"));
	route_free(r);
	teardown(f);
}

static void test_nxdomain_permanent(void **state)
{
	struct canswer e[] = {NXDOMAIN("nx.example.test.", DNS_T_MX)};
	struct fixture *f = setup(e, 1);
	struct route *r = route(f, "nx.example.test", NULL);

	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.1.2");
	assert_non_null(strstr(r->reason, "does not exist"));
	assert_int_equal(r->nmx, 0);
	/* no address lookups for a domain that does not exist */
	assert_int_equal(f->table.total, 1);
	route_free(r);
	teardown(f);
}

static void test_dns_failure_temporary(void **state)
{
	struct canswer e[] = {
	    {"servfail.test.", DNS_T_MX, .rcode = DNS_R_SERVFAIL},
	    {"silent.test.", DNS_T_MX, .mode = C_SILENT},
	    {"refused.test.", DNS_T_MX, .rcode = DNS_R_REFUSED},
	    {"garbage.test.", DNS_T_MX, .mode = C_GARBAGE},
	};
	const char *names[] = {"servfail.test", "silent.test", "refused.test", "garbage.test"};
	const char *why[] = {"SERVFAIL", "timed out", "REFUSED", "malformed"};
	struct fixture *f = setup(e, 4);

	for (int i = 0; i < 4; i++) {
		struct route *r = route(f, names[i], NULL);
		assert_int_equal(r->status, ROUTE_TEMPFAIL);
		assert_string_equal(r->dsn, "4.4.3");
		assert_non_null(strstr(r->reason, why[i]));
		route_free(r);
	}
	teardown(f);
}

static void test_null_mx(void **state)
{
	struct canswer e[] = {
	    {"null.test.", DNS_T_MX, .an = {{"null.test.", DNS_T_MX, 300, "0 ."}}},
	};
	struct fixture *f = setup(e, 1);
	struct route *r = route(f, "null.test", NULL);

	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.1.10");
	assert_string_equal(r->reason, "domain null.test does not accept mail (null MX)");
	assert_true(r->null_mx);
	assert_int_equal(f->table.total, 1); /* nothing else asked */
	route_free(r);
	teardown(f);
}

static void test_null_mx_among_others(void **state)
{
	struct canswer e[] = {
	    {"mixed.test.", DNS_T_MX,
	     .an = {{"mixed.test.", DNS_T_MX, 300, "0 ."},
		    {"mixed.test.", DNS_T_MX, 300, "10 mx.mixed.test."}}},
	    A("mx.mixed.test.", "192.0.2.1"),
	};
	struct route_opts o = {.families = {AF_INET}};
	struct fixture *f = setup(e, 2);
	struct route *r = route(f, "mixed.test", &o);

	assert_int_equal(r->status, ROUTE_OK);
	assert_false(r->null_mx);
	assert_int_equal(r->nmx, 2);
	assert_string_equal(r->mx[0].name, ".");
	assert_int_equal(r->mx[0].skip, ROUTE_SKIP_NULLMX);
	assert_int_equal(r->mx[1].skip, ROUTE_USE);
	route_free(r);
	teardown(f);
}

static void test_exchanger_skipped_with_reason(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 gone.example.test."},
		    {"example.test.", DNS_T_MX, 300, "20 bare.example.test."},
		    {"example.test.", DNS_T_MX, 300, "30 ok.example.test."}}},
	    NXDOMAIN("gone.example.test.", DNS_T_A),
	    NXDOMAIN("gone.example.test.", DNS_T_AAAA),
	    NODATA("bare.example.test.", DNS_T_A),
	    NODATA("bare.example.test.", DNS_T_AAAA),
	    A("ok.example.test.", "192.0.2.30"),
	    NODATA("ok.example.test.", DNS_T_AAAA),
	};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	struct route *r = route(f, "example.test", NULL);

	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->nmx, 3);
	assert_int_equal(r->mx[0].skip, ROUTE_SKIP_NXDOMAIN);
	assert_string_equal(r->mx[0].reason, "does not exist (NXDOMAIN from 127.0.0.1:5300)");
	assert_int_equal(r->mx[1].skip, ROUTE_SKIP_NOADDR);
	assert_string_equal(r->mx[1].reason, "has no address records");
	assert_int_equal(r->mx[2].skip, ROUTE_USE);
	assert_int_equal(route_usable(r), 1);
	route_free(r);
	teardown(f);
}

static void test_no_exchanger_resolves(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 gone.example.test."},
		    {"example.test.", DNS_T_MX, 300, "20 bare.example.test."}}},
	    NXDOMAIN("gone.example.test.", DNS_T_A),
	    NODATA("bare.example.test.", DNS_T_A),
	};
	struct route_opts o = {.families = {AF_INET}};
	struct fixture *f = setup(e, sizeof(e) / sizeof(e[0]));
	struct route *r = route(f, "example.test", &o);

	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.4.4");
	assert_non_null(strstr(r->reason, "gone.example.test: does not exist"));
	assert_non_null(strstr(r->reason, "bare.example.test: has no IPv4 address"));
	route_free(r);

	/* one of them failing for now makes the whole wait */
	e[2] = (struct canswer){"bare.example.test.", DNS_T_A, .mode = C_SILENT};
	r = route(f, "example.test", &o);
	assert_int_equal(r->status, ROUTE_TEMPFAIL);
	assert_string_equal(r->dsn, "4.4.3");
	assert_int_equal(r->mx[1].skip, ROUTE_SKIP_TEMPFAIL);
	assert_non_null(strstr(r->mx[1].reason, "timed out"));
	route_free(r);
	teardown(f);
}

static void test_ip_address_as_exchanger(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 192.0.2.55."},
		    {"example.test.", DNS_T_MX, 300, "20 2001:db8::55."}}},
	};
	struct fixture *f = setup(e, 1);
	struct route_opts o = {.port = 2525};
	struct route *r = route(f, "example.test", &o);

	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->nmx, 2);
	assert_string_equal(r->mx[0].name, "192.0.2.55");
	assert_int_equal(r->mx[0].flags, ROUTE_MX_IP);
	assert_int_equal(r->mx[0].naddrs, 1);
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.55:2525");
	assert_int_equal(r->mx[1].flags, ROUTE_MX_IP);
	assert_string_equal(ip(&r->mx[1], 0), "[2001:db8::55]:2525");
	assert_int_equal(f->table.total, 1); /* no A query for an address */
	route_free(r);

	/* an IPv6 address with only IPv4 allowed: skipped, flagged, why */
	o.families[0] = AF_INET;
	r = route(f, "example.test", &o);
	assert_int_equal(r->mx[1].skip, ROUTE_SKIP_NOADDR);
	assert_int_equal(r->mx[1].flags, ROUTE_MX_IP);
	assert_string_equal(r->mx[1].reason, "IPv6 address, and only IPv4 is allowed");
	route_free(r);
	teardown(f);
}

static void test_cname_exchanger(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 alias.example.test."}}},
	    {"alias.example.test.", DNS_T_A,
	     .an = {{"alias.example.test.", DNS_T_CNAME, 300, "host.example.test."},
		    {"host.example.test.", DNS_T_A, 300, "192.0.2.8"}}},
	};
	struct route_opts o = {.families = {AF_INET}};
	struct fixture *f = setup(e, 2);
	struct route *r = route(f, "example.test", &o);

	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->mx[0].skip, ROUTE_USE);
	assert_int_equal(r->mx[0].flags, ROUTE_MX_CNAME);
	assert_string_equal(r->mx[0].name, "alias.example.test");
	assert_string_equal(r->mx[0].canonical, "host.example.test");
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.8:25");
	route_free(r);
	teardown(f);
}

static void test_domain_is_alias(void **state)
{
	struct canswer e[] = {
	    {"alias.test.", DNS_T_MX,
	     .an = {{"alias.test.", DNS_T_CNAME, 300, "real.test."},
		    {"real.test.", DNS_T_MX, 300, "10 mx.real.test."}}},
	    A("mx.real.test.", "192.0.2.9"),
	};
	struct route_opts o = {.families = {AF_INET}};
	struct fixture *f = setup(e, 2);
	struct route *r = route(f, "alias.test", &o);

	assert_int_equal(r->status, ROUTE_OK);
	assert_true(r->domain_cname);
	assert_string_equal(r->mx[0].name, "mx.real.test");
	route_free(r);
	teardown(f);
}

static struct canswer loop_table[] = {
    {"example.test.", DNS_T_MX,
     .an = {{"example.test.", DNS_T_MX, 300, "10 mx1.example.test."},
	    {"example.test.", DNS_T_MX, 300, "20 mx2.example.test."},
	    {"example.test.", DNS_T_MX, 300, "20 mx2b.example.test."},
	    {"example.test.", DNS_T_MX, 300, "30 mx3.example.test."}}},
    A("mx1.example.test.", "192.0.2.1"),
    A("mx2.example.test.", "192.0.2.2"),
    A("mx2b.example.test.", "192.0.2.22"),
    A("mx3.example.test.", "192.0.2.3"),
};

static void test_self_as_backup_drops_worse(void **state)
{
	struct netaddr local;
	struct route_opts o = {.families = {AF_INET}, .local = &local, .nlocal = 1};
	struct fixture *f = setup(loop_table, sizeof(loop_table) / sizeof(loop_table[0]));
	struct route *r;

	/* this host is mx2, by address */
	netaddr_parse("192.0.2.2", 25, &local);
	r = route(f, "example.test", &o);
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(route_usable(r), 1);
	assert_string_equal(r->mx[0].name, "mx1.example.test");
	assert_int_equal(r->mx[0].skip, ROUTE_USE);
	for (int i = 1; i < 4; i++)
		assert_int_equal(r->mx[i].skip, ROUTE_SKIP_LOOP);
	for (int i = 1; i < 3; i++) {
		if (strcmp(r->mx[i].name, "mx2.example.test") == 0) {
			assert_true(r->mx[i].flags & ROUTE_MX_SELF);
			assert_string_equal(r->mx[i].reason, "this host");
		} else {
			/* equal preference to this host's: dropped too */
			assert_false(r->mx[i].flags & ROUTE_MX_SELF);
			assert_string_equal(r->mx[i].reason,
					    "preference 20 is not better than this host's (20)");
		}
	}
	route_free(r);
	teardown(f);
}

static void test_self_best_loops(void **state)
{
	struct route_opts o = {.families = {AF_INET}, .hostname = "MX1.example.test."};
	struct fixture *f = setup(loop_table, sizeof(loop_table) / sizeof(loop_table[0]));
	struct route *r = route(f, "example.test", &o);

	/* this host is the best, by name */
	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.4.6");
	assert_string_equal(r->reason, "mail for example.test loops back to myself");
	assert_true(r->mx[0].flags & ROUTE_MX_SELF);
	assert_int_equal(route_usable(r), 0);
	route_free(r);
	teardown(f);
}

static void test_self_backup_no_primary(void **state)
{
	/* This host is mx2; mx1, the only better one, has no address. */
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 mx1.example.test."},
		    {"example.test.", DNS_T_MX, 300, "20 mx2.example.test."}}},
	    NXDOMAIN("mx1.example.test.", DNS_T_A),
	    A("mx2.example.test.", "192.0.2.2"),
	};
	struct netaddr local;
	struct route_opts o = {.families = {AF_INET}, .local = &local, .nlocal = 1};
	struct fixture *f = setup(e, 3);
	struct route *r;

	netaddr_parse("192.0.2.2", 25, &local);
	r = route(f, "example.test", &o);
	assert_int_equal(r->status, ROUTE_TEMPFAIL);
	assert_string_equal(r->dsn, "4.4.4");
	assert_int_equal(r->mx[0].skip, ROUTE_SKIP_NXDOMAIN);
	assert_int_equal(r->mx[1].skip, ROUTE_SKIP_LOOP);
	route_free(r);
	teardown(f);
}

static void test_self_implicit_loops(void **state)
{
	struct canswer e[] = {
	    NODATA("example.test.", DNS_T_MX),
	    A("example.test.", "127.0.0.9"),
	};
	struct netaddr local;
	struct route_opts o = {.families = {AF_INET}, .local = &local, .nlocal = 1};
	struct fixture *f = setup(e, 2);
	struct route *r;

	netaddr_parse("127.0.0.9", 25, &local);
	r = route(f, "example.test", &o);
	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.4.6");
	route_free(r);
	teardown(f);
}

static struct canswer family_table[] = {
    {"example.test.", DNS_T_MX,
     .an = {{"example.test.", DNS_T_MX, 300, "10 dual.example.test."},
	    {"example.test.", DNS_T_MX, 300, "20 v4.example.test."}}},
    {"dual.example.test.", DNS_T_A,
     .an = {{"dual.example.test.", DNS_T_A, 300, "192.0.2.1"},
	    {"dual.example.test.", DNS_T_A, 300, "192.0.2.2"}}},
    AAAA("dual.example.test.", "2001:db8::1"),
    A("v4.example.test.", "192.0.2.4"),
    NODATA("v4.example.test.", DNS_T_AAAA),
};

static void test_families(void **state)
{
	struct fixture *f = setup(family_table, sizeof(family_table) / sizeof(family_table[0]));
	struct route_opts o = {.families = {AF_INET6, AF_INET}};
	struct route *r;
	struct canswer *aaaa = canned_find(&f->table, "v4.example.test.", DNS_T_AAAA);

	/* IPv6 first */
	r = route(f, "example.test", &o);
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->mx[0].naddrs, 3);
	assert_string_equal(ip(&r->mx[0], 0), "[2001:db8::1]:25");
	assert_string_equal(ip(&r->mx[0], 1), "192.0.2.1:25");
	assert_string_equal(ip(&r->mx[0], 2), "192.0.2.2:25");
	route_free(r);

	/* IPv4 only: no AAAA query at all */
	aaaa->asked = 0;
	o.families[0] = AF_INET;
	o.families[1] = 0;
	r = route(f, "example.test", &o);
	assert_int_equal(r->mx[0].naddrs, 2);
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.1:25");
	assert_int_equal(aaaa->asked, 0);
	route_free(r);

	/* IPv6 only: the IPv4-only exchanger is skipped, with the reason */
	o.families[0] = AF_INET6;
	r = route(f, "example.test", &o);
	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->mx[0].naddrs, 1);
	assert_int_equal(r->mx[1].skip, ROUTE_SKIP_NOADDR);
	assert_string_equal(r->mx[1].reason, "has no IPv6 address");
	route_free(r);

	/* neither given: both, IPv4 first */
	memset(o.families, 0, sizeof(o.families));
	r = route(f, "example.test", &o);
	assert_int_equal(r->mx[0].naddrs, 3);
	assert_string_equal(ip(&r->mx[0], 2), "[2001:db8::1]:25");
	route_free(r);
	teardown(f);
}

static void test_partial_family_failure(void **state)
{
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 mx.example.test."}}},
	    A("mx.example.test.", "192.0.2.1"),
	    {"mx.example.test.", DNS_T_AAAA, .rcode = DNS_R_SERVFAIL},
	};
	struct fixture *f = setup(e, 3);
	struct route *r = route(f, "example.test", NULL);

	assert_int_equal(r->status, ROUTE_OK);
	assert_int_equal(r->mx[0].skip, ROUTE_USE);
	assert_int_equal(r->mx[0].flags, ROUTE_MX_PARTIAL);
	assert_non_null(strstr(r->mx[0].reason, "SERVFAIL"));
	route_free(r);
	teardown(f);
}

static void test_address_literal(void **state)
{
	struct fixture *f = setup(NULL, 0);
	struct netaddr local;
	struct route_opts o = {.local = &local, .nlocal = 1};
	struct route *r = route(f, "[192.0.2.5]", NULL);

	assert_int_equal(r->status, ROUTE_OK);
	assert_true(r->literal);
	assert_int_equal(r->mx[0].flags, ROUTE_MX_IP);
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.5:25");
	route_free(r);
	r = route(f, "[IPv6:2001:db8::5]", NULL);
	assert_int_equal(r->status, ROUTE_OK);
	assert_string_equal(ip(&r->mx[0], 0), "[2001:db8::5]:25");
	route_free(r);
	r = route(f, "[not an address]", NULL);
	assert_int_equal(r->status, ROUTE_PERMFAIL);
	route_free(r);
	/* a literal of this host loops */
	netaddr_parse("192.0.2.5", 25, &local);
	r = route(f, "[192.0.2.5]", &o);
	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.4.6");
	route_free(r);
	assert_int_equal(f->table.total, 0); /* no DNS for any of it */
	teardown(f);
}

static void test_bad_domain(void **state)
{
	struct fixture *f = setup(NULL, 0);
	struct route *r = route(f, "a..b", NULL);

	assert_int_equal(r->status, ROUTE_PERMFAIL);
	assert_string_equal(r->dsn, "5.1.2");
	route_free(r);
	teardown(f);
}

static void never(void *arg, struct route *r)
{
	route_free(r);
	fail_msg("callback of a cancelled route");
}

static void count_route(void *arg, struct route *r)
{
	(*(int *)arg)++;
	route_free(r);
}

static void test_cancel(void **state)
{
	struct canswer e[] = {{"example.test.", DNS_T_MX, .mode = C_SILENT}};
	struct fixture *f = setup(e, 1);
	struct route_opts o = {0};
	int control = 0;
	struct route_query *c = route_lookup(f->res, "example.test", &o, count_route, &control);
	struct route_query *q = route_lookup(f->res, "example.test", &o, never, NULL);

	assert_non_null(c);
	assert_non_null(q);
	route_cancel(q);
	/* Past the timeout: the control route ends (temporary failure), so
	 * the cancelled one would have been called by now too. */
	usleep(60000);
	for (int i = 0; i < 3; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(control, 1);
	teardown(f);
}

static void on_cached_route(void *arg, struct route *r)
{
	*(struct route **)arg = r;
}

static void test_all_from_cache(void **state)
{
	/* With a cache, the second route comes before route_lookup returns. */
	struct canswer e[] = {
	    {"example.test.", DNS_T_MX,
	     .an = {{"example.test.", DNS_T_MX, 300, "10 mx.example.test."}}},
	    A("mx.example.test.", "192.0.2.1"),
	};
	struct event_base *base = event_base_new();
	struct ctable t = {e, 2, 0, {0}, 0};
	struct netaddr server;
	struct resolver_opts ro = {&server, 1, 20, 1, 0, 0, 0, NULL};
	struct route_opts o = {.families = {AF_INET}};
	struct resolver *res;
	struct route *r = NULL;

	netaddr_parse("127.0.0.1:5300", 0, &server);
	res = resolver_new(base, &ro);
	resolver_set_answer_fn(res, canned_answer, &t);
	assert_non_null(route_lookup(res, "example.test", &o, on_cached_route, &r));
	while (r == NULL)
		event_base_loop(base, EVLOOP_ONCE);
	route_free(r);
	r = NULL;
	assert_null(route_lookup(res, "example.test", &o, on_cached_route, &r));
	assert_non_null(r);
	assert_int_equal(r->status, ROUTE_OK);
	assert_string_equal(ip(&r->mx[0], 0), "192.0.2.1:25");
	assert_int_equal(t.total, 2);
	route_free(r);
	resolver_free(res);
	event_base_free(base);
}

static void test_local_addrs(void **state)
{
	struct netaddr listen[2], *out;
	int n;

	netaddr_parse("127.0.0.7:2525", 0, &listen[0]);
	netaddr_parse("127.0.0.7:2526", 0, &listen[1]);
	n = route_local_addrs(listen, 2, &out);
	assert_int_equal(n, 1); /* the same address once */
	free(out);
	/* a wildcard stands for every interface address, loopback included */
	netaddr_parse("0.0.0.0:25", 0, &listen[0]);
	n = route_local_addrs(listen, 1, &out);
	assert_true(n >= 1);
	netaddr_parse("127.0.0.1", 25, &listen[1]);
	{
		int found = 0;
		for (int i = 0; i < n; i++)
			found |= netaddr_same_ip((struct sockaddr *)&out[i].ss,
						 (struct sockaddr *)&listen[1].ss);
		assert_true(found);
	}
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sorted_by_preference),
	    cmocka_unit_test(test_equal_preferences_shuffled),
	    cmocka_unit_test(test_implicit_mx),
	    cmocka_unit_test(test_no_mx_no_address),
	    cmocka_unit_test(test_implicit_mx_tempfail),
	    cmocka_unit_test(test_nxdomain_permanent),
	    cmocka_unit_test(test_dns_failure_temporary),
	    cmocka_unit_test(test_null_mx),
	    cmocka_unit_test(test_null_mx_among_others),
	    cmocka_unit_test(test_exchanger_skipped_with_reason),
	    cmocka_unit_test(test_no_exchanger_resolves),
	    cmocka_unit_test(test_ip_address_as_exchanger),
	    cmocka_unit_test(test_cname_exchanger),
	    cmocka_unit_test(test_domain_is_alias),
	    cmocka_unit_test(test_self_as_backup_drops_worse),
	    cmocka_unit_test(test_self_best_loops),
	    cmocka_unit_test(test_self_backup_no_primary),
	    cmocka_unit_test(test_self_implicit_loops),
	    cmocka_unit_test(test_families),
	    cmocka_unit_test(test_partial_family_failure),
	    cmocka_unit_test(test_address_literal),
	    cmocka_unit_test(test_bad_domain),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_all_from_cache),
	    cmocka_unit_test(test_local_addrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
