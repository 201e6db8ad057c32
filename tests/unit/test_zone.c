/* Unit tests for src/dns/zone.c: the checks zone_load makes, and the
 * lookup of RFC 1034 4.3.2 and RFC 4592 (its section 2.2.1 example zone). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "dns/zone.h"

static char warnings[4096];

static void warned(void *arg, const struct zonefile_pos *pos, const char *msg)
{
	size_t n = strlen(warnings);
	(void)arg;
	snprintf(warnings + n, sizeof(warnings) - n, "%s:%u: %s\n", pos->file, pos->line, msg);
}

static const uint8_t *name(const char *text)
{
	static uint8_t buf[4][DNAME_MAX];
	static int i;
	uint8_t *n = buf[i++ % 4];
	assert_true(dname_from_text(n, text, strlen(text), NULL) > 0);
	return n;
}

static const char *text(const uint8_t *n)
{
	static char buf[DNAME_TEXT_MAX];
	assert_true(dname_to_text(n, buf, sizeof(buf)) > 0);
	return buf;
}

static struct zone *load_as(const char *zone_text, const char *origin_text,
			    struct zonefile_error *err)
{
	struct zone_load_opts o = {warned, NULL, NULL, NULL, 1};
	warnings[0] = '\0';
	return zone_load_text(zone_text, strlen(zone_text), "t.zone", name(origin_text), &o, err);
}

static struct zone *load(const char *zone_text)
{
	struct zonefile_error err;
	struct zone *z = load_as(zone_text, "example.test.", &err);
	if (z == NULL)
		fail_msg("load failed: %s:%u: %s", err.file, err.line, err.msg);
	return z;
}

static void load_err(const char *zone_text, unsigned line, const char *what)
{
	struct zonefile_error err;
	struct zone *z = load_as(zone_text, "example.test.", &err);
	if (z != NULL) {
		zone_free(z);
		fail_msg("expected '%s'", what);
	}
	if (strstr(err.msg, what) == NULL || err.line != line)
		fail_msg("got %s:%u: %s; expected line %u, '%s'", err.file, err.line, err.msg, line,
			 what);
	assert_string_equal(err.file, "t.zone");
}

#define HEAD "$TTL 1h\n@ SOA ns1 hostmaster 2026112601 2h 30m 2w 5m\n  NS ns1\nns1 A 192.0.2.1\n"

static void test_example_zone(void **state)
{
	struct zonefile_error err;
	struct zone *z =
	    zone_load("../../examples/zones/example.test.zone", name("example.test."), &err);
	const struct zone_rrset *mx;
	if (z == NULL)
		fail_msg("%s:%u: %s", err.file, err.line, err.msg);
	assert_int_equal(zone_serial(z), 2026112601);
	assert_string_equal(text(zone_origin(z)), "example.test.");
	assert_int_equal(zone_record_count(z), 13);
	mx = zone_node_rrset(zone_apex(z), DNS_T_MX);
	assert_non_null(mx);
	assert_int_equal(mx->count, 2);
	assert_int_equal(mx->ttl, 3600);
	zone_free(z);
}

static void test_checks(void **state)
{
	load_err("$TTL 1h\nns1 A 192.0.2.1\n", 0, "no SOA record at the top of the zone");
	load_err("$TTL 1h\n@ SOA ns1 hm 1 2 3 4 5\n", 0, "no NS records at the top");
	load_err(HEAD "sub SOA ns1 hm 1 2 3 4 5\n", 5, "SOA record not at the top of the zone");
	load_err(HEAD "@ SOA ns1 hm 2 2 3 4 5\n", 5, "more than one SOA record");
	load_err(HEAD "x.other.test. A 192.0.2.1\n", 5, "outside the zone");
	load_err(HEAD "test. A 192.0.2.1\n", 5, "outside the zone");
	{
		/* A long owner whose last labels are shorter than a long origin:
		 * the suffix compare must check lengths before bytes (found in
		 * review; ASan reported a read past the key). */
		char origin[256], zone[1024], a[64], b[51], c[64];
		struct zonefile_error err;
		struct zone *z;
		memset(a, 'a', 63);
		a[63] = '\0';
		memset(b, 'b', 50);
		b[50] = '\0';
		memset(c, 'c', 63);
		c[63] = '\0';
		snprintf(origin, sizeof(origin), "%s.%s.%s.test.", a, a, b);
		snprintf(zone, sizeof(zone), HEAD "%s.%s.%s.x.y.z.w. A 192.0.2.1\n", c, c, c);
		z = load_as(zone, origin, &err);
		assert_null(z);
		assert_non_null(strstr(err.msg, "outside the zone"));
	}
	load_err(HEAD "www CNAME ns1\nwww A 192.0.2.2\n", 6, "CNAME and other data at www");
	load_err(HEAD "www A 192.0.2.2\nwww CNAME ns1\n", 6, "CNAME and other data at www");
	load_err(HEAD "www CNAME ns1\nwww CNAME ns2\n", 6, "more than one CNAME record at www");
	load_err(HEAD "@ CNAME ns1\n", 5, "CNAME at the top of the zone");
	load_err(HEAD "x CH A 192.0.2.2\n", 5, "class CH differs from the zone's class IN");
	load_err(HEAD "$INCLUDE x\n", 5, "$INCLUDE is not allowed");
}

static void test_cname_companions(void **state)
{
	/* RRSIG and NSEC may sit beside a CNAME (RFC 4035 2.5). */
	struct zone *z = load(HEAD "www CNAME ns1\n"
				   "www NSEC \\# 4 00000140\n" /* next ".", bitmap: A */
				   "www RRSIG \\# 20 0005080200000e105f5e10005f5e1000123400aa\n");
	assert_int_equal(zone_record_count(z), 6);
	zone_free(z);
}

static void test_duplicates_and_ttls(void **state)
{
	struct zone *z =
	    load(HEAD "a 300 A 192.0.2.1\n"
		      "a 600 A 192.0.2.2\n"
		      "a A 192.0.2.1\n" /* the same record again */
		      "m MX 10 mx.example.test.\n"
		      "m MX 10 MX.Example.TEST.\n"   /* the same, names ignore case */
		      "t TXT \"a\"\nt TXT \"A\"\n"); /* not the same: strings keep case */
	const struct zone_node *a = zone_find(z, name("A.example.test."));
	const struct zone_rrset *s;
	assert_non_null(a);
	s = zone_node_rrset(a, DNS_T_A);
	assert_int_equal(s->count, 2);
	assert_int_equal(s->ttl, 300);
	assert_non_null(strstr(warnings, "t.zone:6: a.example.test. A TTL 600 differs from the "
					 "set's TTL 300: using 300"));
	assert_int_equal(zone_node_rrset(zone_find(z, name("m.example.test.")), DNS_T_MX)->count,
			 1);
	assert_int_equal(zone_node_rrset(zone_find(z, name("t.example.test.")), DNS_T_TXT)->count,
			 2);
	assert_int_equal(zone_record_count(z), 3 + 2 + 1 + 2);
	zone_free(z);
}

static void test_rrsets_at_node(void **state)
{
	struct zone *z = load(HEAD "@ MX 0 mx\n@ TXT \"x\"\n@ MX 10 mx2\n");
	const struct zone_rrset *const *sets;
	size_t n = zone_node_rrsets(zone_apex(z), &sets);
	assert_int_equal(n, 4);
	assert_int_equal(sets[0]->type, DNS_T_SOA);
	assert_int_equal(sets[1]->type, DNS_T_NS);
	assert_int_equal(sets[2]->type, DNS_T_MX);
	assert_int_equal(sets[2]->count, 2);
	assert_int_equal(sets[2]->rdata[0]->len, 2 + 3 + 14);
	assert_memory_equal(sets[2]->rdata[0]->data, "\0\0\2mx\7example\4test", 19);
	assert_int_equal(sets[3]->type, DNS_T_TXT);
	assert_null(zone_node_rrset(zone_apex(z), DNS_T_AAAA));
	assert_null(zone_node_parent(zone_apex(z)));
	zone_free(z);
}

/* RFC 4592 section 2.2.1, in our zone's words. */
static const char rfc4592[] = "$ORIGIN example.\n$TTL 3600\n"
			      "example. SOA ns.example.com. hm.example.com. 1 2 3 4 5\n"
			      "example. NS ns.example.com.\n"
			      "example. NS ns.example.net.\n"
			      "*.example. TXT \"this is a wildcard\"\n"
			      "*.example. MX 10 host1.example.\n"
			      "sub.*.example. TXT \"this is not a wildcard\"\n"
			      "host1.example. A 192.0.2.1\n"
			      "_ssh._tcp.host1.example. SRV 0 0 22 host1.example.\n"
			      "_ssh._tcp.host2.example. SRV 0 0 22 host1.example.\n"
			      "subdel.example. NS ns.example.com.\n"
			      "subdel.example. NS ns.example.net.\n"
			      "ns.subdel.example. A 192.0.2.9\n";

static struct zone *load_rfc4592(void)
{
	struct zonefile_error err;
	struct zone *z = load_as(rfc4592, "example.", &err);
	if (z == NULL)
		fail_msg("%s:%u: %s", err.file, err.line, err.msg);
	return z;
}

static void expect(const struct zone *z, const char *q, enum zone_match m, const char *node,
		   const char *closest)
{
	struct zone_result r;
	zone_lookup(z, name(q), &r);
	if (r.match != m)
		fail_msg("%s: match %d, expected %d", q, r.match, m);
	if (node)
		assert_string_equal(text(zone_node_name(r.node)), node);
	else
		assert_null(r.node);
	if (closest)
		assert_string_equal(text(zone_node_name(r.closest)), closest);
	else
		assert_null(r.closest);
}

static void test_lookup_rfc4592(void **state)
{
	struct zone *z = load_rfc4592();

	/* Section 2.2.1's examples. */
	expect(z, "host3.example.", ZONE_WILDCARD, "*.example.", "example.");
	expect(z, "foo.bar.example.", ZONE_WILDCARD, "*.example.", "example.");
	expect(z, "host1.example.", ZONE_EXACT, "host1.example.", "host1.example.");
	expect(z, "sub.*.example.", ZONE_EXACT, "sub.*.example.", "sub.*.example.");
	expect(z, "_telnet._tcp.host1.example.", ZONE_NXDOMAIN, NULL, "_tcp.host1.example.");
	expect(z, "host.subdel.example.", ZONE_DELEGATION, "subdel.example.", "subdel.example.");
	expect(z, "ghost.*.example.", ZONE_NXDOMAIN, NULL, "*.example.");
	/* Empty non-terminals exist: NODATA, not NXDOMAIN, and no wildcard. */
	expect(z, "_tcp.host1.example.", ZONE_EXACT, "_tcp.host1.example.", "_tcp.host1.example.");
	expect(z, "host2.example.", ZONE_EXACT, "host2.example.", "host2.example.");
	expect(z, "*.example.", ZONE_EXACT, "*.example.", "*.example.");
	expect(z, "example.", ZONE_EXACT, "example.", "example.");
	/* The cut itself, and deep below it. */
	expect(z, "subdel.example.", ZONE_DELEGATION, "subdel.example.", "subdel.example.");
	expect(z, "a.b.ns.subdel.example.", ZONE_DELEGATION, "subdel.example.",
	       "ns.subdel.example.");
	/* Case does not matter; the node keeps the file's case. */
	expect(z, "HOST1.EXAMPLE.", ZONE_EXACT, "host1.example.", "host1.example.");
	expect(z, "Host3.Example.", ZONE_WILDCARD, "*.example.", "example.");
	/* Outside. */
	expect(z, "example.com.", ZONE_NOTINZONE, NULL, NULL);
	expect(z, ".", ZONE_NOTINZONE, NULL, NULL);
	expect(z, "xexample.", ZONE_NOTINZONE, NULL, NULL);

	/* Glue below the cut is found by zone_find. */
	assert_non_null(zone_node_rrset(zone_find(z, name("ns.subdel.example.")), DNS_T_A));
	assert_null(zone_find(z, name("nothere.example.")));
	assert_int_equal(zone_node_count(z), 11);
	zone_free(z);
}

static void test_lookup_nested_cuts(void **state)
{
	/* NS below a cut is occluded: the topmost cut answers. */
	struct zone *z = load(HEAD "a NS ns.a\nb.a NS ns.b.a\nx.b.a A 192.0.2.1\n"
				   "deep.one.two TXT \"x\"\n");
	expect(z, "x.b.a.example.test.", ZONE_DELEGATION, "a.example.test.", "x.b.a.example.test.");
	expect(z, "b.a.example.test.", ZONE_DELEGATION, "a.example.test.", "b.a.example.test.");
	/* Empty non-terminals made for a deep name. */
	expect(z, "two.example.test.", ZONE_EXACT, "two.example.test.", "two.example.test.");
	expect(z, "one.two.example.test.", ZONE_EXACT, "one.two.example.test.",
	       "one.two.example.test.");
	expect(z, "zz.one.two.example.test.", ZONE_NXDOMAIN, NULL, "one.two.example.test.");
	assert_string_equal(text(zone_node_name(zone_node_parent(
				zone_find(z, name("deep.one.two.example.test."))))),
			    "one.two.example.test.");
	zone_free(z);
}

static void test_wildcard_below_ent(void **state)
{
	/* The wildcard's parent exists only as an empty non-terminal. */
	struct zone *z = load(HEAD "*.w TXT \"w\"\n");
	expect(z, "x.w.example.test.", ZONE_WILDCARD, "*.w.example.test.", "w.example.test.");
	expect(z, "w.example.test.", ZONE_EXACT, "w.example.test.", "w.example.test.");
	expect(z, "y.example.test.", ZONE_NXDOMAIN, NULL, "example.test.");
	zone_free(z);
}

static void test_root_zone(void **state)
{
	struct zonefile_error err;
	const char *t = "$TTL 1d\n. SOA a.root-servers.net. nstld.verisign-grs.com. 1 2 3 4 5\n"
			". NS a.root-servers.net.\ntest. NS ns.test.\nns.test. A 192.0.2.1\n";
	struct zone *z = load_as(t, ".", &err);
	assert_non_null(z);
	expect(z, ".", ZONE_EXACT, ".", ".");
	expect(z, "www.test.", ZONE_DELEGATION, "test.", "test.");
	expect(z, "com.", ZONE_NXDOMAIN, NULL, ".");
	zone_free(z);
}

static int observed;
static int observe(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
		   struct zonefile_error *err)
{
	observed++;
	if (rr->type == DNS_T_MX) {
		snprintf(err->msg, sizeof(err->msg), "no MX please");
		return -1;
	}
	return 0;
}

static void test_observer(void **state)
{
	struct zone_load_opts o = {warned, NULL, observe, NULL, 1};
	struct zonefile_error err;
	const char *t = HEAD "a A 192.0.2.1\na A 192.0.2.1\n@ MX 0 a\nb A 192.0.2.2\n";
	observed = 0;
	assert_null(zone_load_text(t, strlen(t), "t.zone", name("example.test."), &o, &err));
	assert_int_equal(observed, 3 + 1 + 1); /* the duplicate is not shown */
	assert_int_equal(err.line, 7);
	assert_string_equal(err.msg, "no MX please");
}

static void test_big_zone(void **state)
{
	/* Enough names to grow the tables several times. */
	size_t cap = 20000 * 40 + 200, len;
	char *t = malloc(cap);
	struct zone *z;
	assert_non_null(t);
	len = (size_t)snprintf(t, cap, HEAD);
	for (int i = 0; i < 20000; i++)
		len += (size_t)snprintf(t + len, cap - len, "h%d.s%d A 10.%d.%d.%d\n", i, i % 97,
					i >> 16, (i >> 8) & 255, i & 255);
	z = load(t);
	assert_int_equal(zone_record_count(z), 3 + 20000);
	assert_int_equal(zone_node_count(z), 2 + 20000 + 97);
	for (int i = 0; i < 20000; i += 7) {
		char q[64];
		struct zone_result r;
		snprintf(q, sizeof(q), "H%d.S%d.example.test.", i, i % 97);
		zone_lookup(z, name(q), &r);
		assert_int_equal(r.match, ZONE_EXACT);
		assert_true(dname_equal(zone_node_name(r.node), name(q)));
		assert_non_null(zone_node_rrset(r.node, DNS_T_A));
		snprintf(q, sizeof(q), "x.h%d.s%d.example.test.", i, i % 97);
		zone_lookup(z, name(q), &r);
		assert_int_equal(r.match, ZONE_NXDOMAIN);
		assert_string_equal(text(zone_node_name(r.closest)), q + 2);
	}
	free(t);
	zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_zone),       cmocka_unit_test(test_checks),
	    cmocka_unit_test(test_cname_companions),   cmocka_unit_test(test_duplicates_and_ttls),
	    cmocka_unit_test(test_rrsets_at_node),     cmocka_unit_test(test_lookup_rfc4592),
	    cmocka_unit_test(test_lookup_nested_cuts), cmocka_unit_test(test_wildcard_below_ent),
	    cmocka_unit_test(test_root_zone),	       cmocka_unit_test(test_observer),
	    cmocka_unit_test(test_big_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
