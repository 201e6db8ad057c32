/* Unit tests for src/dns/answer.c and zoneset.c: the response to one
 * query, built from zones loaded from text, read back with the wire
 * parser. The end-to-end and differential tests check the same rules
 * against the running server and NSD; these pin them at the packet. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "dns/zoneset.h"

/*
 * Counting allocations: the answer path must make none. These wrappers
 * stand in for the C library's (which they call); sanitizers bring their
 * own allocator, so under them the check is skipped.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MALLOC_COUNT 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NO_MALLOC_COUNT 1
#endif

static long allocations;
#ifndef NO_MALLOC_COUNT
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n)
{
	allocations++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	allocations++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	allocations++;
	return __libc_realloc(p, n);
}
#endif

static const char example_zone[] = "$ORIGIN example.test.\n"
				   "$TTL 3600\n"
				   "@ SOA ns1 hostmaster 1 7200 1800 1209600 300\n"
				   "  NS ns1\n"
				   "  NS ns2\n"
				   "  MX 0 mx1\n"
				   "  MX 10 mx2\n"
				   "  MX 20 mx.elsewhere.test.\n"
				   "  TXT \"v=spf1 mx -all\"\n"
				   "ns1 A 192.0.2.1\n"
				   "ns2 A 192.0.2.2\n"
				   "    AAAA 2001:db8::2\n"
				   "mx1 A 192.0.2.11\n"
				   "    AAAA 2001:db8::11\n"
				   "mx2 A 192.0.2.12\n"
				   "www CNAME @\n"
				   "chain1 CNAME chain2\n"
				   "chain2 CNAME mx1\n"
				   "loop1 CNAME loop2\n"
				   "loop2 CNAME loop1\n"
				   "dangling CNAME nothere\n"
				   "out CNAME www.elsewhere.test.\n"
				   "*.wild 600 A 192.0.2.50\n"
				   "*.wild MX 10 mx1\n"
				   "*.cn CNAME mx1\n"
				   "a.b.ent A 192.0.2.60\n"
				   "deleg NS ns.deleg\n"
				   "deleg NS ns.elsewhere.test.\n"
				   "ns.deleg A 192.0.2.70\n"
				   "mxglue MX 10 ns.deleg\n"
				   "mxwild MX 10 host.wild\n"
				   "nullmx MX 0 .\n"
				   "_smtp._tcp SRV 0 1 25 mx1\n"
				   "any TXT \"t\"\n"
				   "any CAA 0 issue \"ca.test\"\n";

static const char child_zone[] = "$TTL 3600\n"
				 "@ SOA ns hostmaster 1 7200 1800 1209600 7200\n"
				 "@ NS ns\n"
				 "ns A 192.0.2.80\n"
				 "www A 192.0.2.81\n";

static struct zoneset *zs;

static const uint8_t *name(const char *text)
{
	static uint8_t buf[4][DNAME_MAX];
	static int i;
	uint8_t *n = buf[i++ % 4];
	assert_true(dname_from_text(n, text, strlen(text), NULL) > 0);
	return n;
}

static struct zone *load(const char *text, const char *origin)
{
	struct zone_load_opts o = {NULL, NULL, NULL, NULL, 1};
	struct zonefile_error err;
	struct zone *z = zone_load_text(text, strlen(text), "t.zone", name(origin), &o, &err);
	if (z == NULL)
		fail_msg("%s:%u: %s", err.file, err.line, err.msg);
	return z;
}

static int setup(void **state)
{
	struct zone *z[2];
	(void)state;
	z[0] = load(example_zone, "example.test.");
	z[1] = load(child_zone, "sub.example.test.");
	zs = zoneset_from_zones(z, 2);
	return zs == NULL;
}

static int teardown(void **state)
{
	(void)state;
	zoneset_free(zs, NULL);
	return 0;
}

/* The raw response, and its parse. */
static uint8_t out[DNS_MSG_MAX];
static size_t outlen;

static struct dns_msg *send_raw(const uint8_t *q, size_t len, int tcp)
{
	struct answer_params p = {tcp, 0, 1232};
	struct dns_msg *m;

	outlen = answer_query(zs, q, len, out, sizeof(out), &p);
	if (outlen == 0)
		return NULL;
	assert_int_equal(dns_msg_parse(out, outlen, &m), DNS_PARSE_OK);
	return m;
}

static struct dns_msg *ask_full(const char *qname, uint16_t type, uint16_t qclass, uint16_t edns,
				int tcp)
{
	uint8_t q[512];
	int len = dns_build_query(q, sizeof(q), 0x4242, DNS_F_RD, name(qname), type, qclass, edns);
	assert_true(len > 0);
	return send_raw(q, (size_t)len, tcp);
}

static struct dns_msg *ask(const char *qname, uint16_t type)
{
	return ask_full(qname, type, DNS_C_IN, 0, 0);
}

static int rcode(const struct dns_msg *m)
{
	return m->h.flags & DNS_F_RCODE_MASK;
}

/* How many records of a type a section holds (0 answer, 1 authority,
 * 2 additional). */
static int count(const struct dns_msg *m, int section, uint16_t type)
{
	unsigned from = section == 0 ? 0 : section == 1 ? m->nan : m->nan + m->nns;
	unsigned to = section == 0 ? m->nan : section == 1 ? m->nan + m->nns : from + m->nar;
	int n = 0;
	for (unsigned i = from; i < to; i++)
		n += m->rr[i].type == type;
	return n;
}

/* Whether a section holds a record of that owner and type. */
static const struct dns_rr *find(const struct dns_msg *m, int section, const char *owner,
				 uint16_t type)
{
	unsigned from = section == 0 ? 0 : section == 1 ? m->nan : m->nan + m->nns;
	unsigned to = section == 0 ? m->nan : section == 1 ? m->nan + m->nns : from + m->nar;
	for (unsigned i = from; i < to; i++)
		if (m->rr[i].type == type && dname_equal(m->rr[i].owner, name(owner)))
			return &m->rr[i];
	return NULL;
}

static void test_mx_with_addresses(void **state)
{
	struct dns_msg *m = ask("example.test.", DNS_T_MX);
	(void)state;
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_true(m->h.flags & DNS_F_AA);
	assert_true(m->h.flags & DNS_F_QR);
	assert_true(m->h.flags & DNS_F_RD);
	assert_int_equal(m->nan, 3);
	/* The zone's NS in authority; A and AAAA of in-zone targets only. */
	assert_int_equal(count(m, 1, DNS_T_NS), 2);
	assert_non_null(find(m, 2, "mx1.example.test.", DNS_T_A));
	assert_non_null(find(m, 2, "mx1.example.test.", DNS_T_AAAA));
	assert_non_null(find(m, 2, "mx2.example.test.", DNS_T_A));
	assert_non_null(find(m, 2, "ns2.example.test.", DNS_T_AAAA));
	assert_int_equal(m->nar, 6);
	dns_msg_free(m);
}

static void test_compression(void **state)
{
	struct dns_msg *m = ask("EXAMPLE.test.", DNS_T_MX);
	size_t qend = DNS_HEADER_LEN + 14 + 4;
	(void)state;
	/* The question as asked; the first answer's owner points at it. */
	assert_memory_equal(out + DNS_HEADER_LEN, "\007EXAMPLE\004test", 13);
	assert_int_equal(out[qend], 0xc0);
	assert_int_equal(out[qend + 1], DNS_HEADER_LEN);
	/* Uncompressed this answer would be well over 400 bytes. */
	assert_true(outlen < 300);
	dns_msg_free(m);
}

static void test_nxdomain_and_nodata(void **state)
{
	struct dns_msg *m = ask("nothere.example.test.", DNS_T_A);
	const struct dns_rr *soa;
	(void)state;
	assert_int_equal(rcode(m), DNS_R_NXDOMAIN);
	assert_true(m->h.flags & DNS_F_AA);
	assert_int_equal(m->nan, 0);
	soa = find(m, 1, "example.test.", DNS_T_SOA);
	assert_non_null(soa);
	assert_int_equal(soa->ttl, 300); /* capped at MINIMUM (RFC 2308) */
	dns_msg_free(m);

	m = ask("mx2.example.test.", DNS_T_AAAA);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(m->nan, 0);
	assert_int_equal(count(m, 1, DNS_T_SOA), 1);
	dns_msg_free(m);

	/* An empty non-terminal exists: NODATA, not NXDOMAIN. */
	m = ask("b.ent.example.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(count(m, 1, DNS_T_SOA), 1);
	dns_msg_free(m);
}

static void test_cname(void **state)
{
	struct dns_msg *m = ask("chain1.example.test.", DNS_T_A);
	(void)state;
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(count(m, 0, DNS_T_CNAME), 2);
	assert_non_null(find(m, 0, "mx1.example.test.", DNS_T_A));
	dns_msg_free(m);

	/* A loop ends when a CNAME would repeat. */
	m = ask("loop1.example.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(m->nan, 2);
	dns_msg_free(m);

	/* To a name that does not exist: NXDOMAIN with the CNAME. */
	m = ask("dangling.example.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_NXDOMAIN);
	assert_int_equal(m->nan, 1);
	assert_int_equal(count(m, 1, DNS_T_SOA), 1);
	dns_msg_free(m);

	/* Out of our zones: the CNAME alone, authoritative. */
	m = ask("out.example.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_true(m->h.flags & DNS_F_AA);
	assert_int_equal(m->nan, 1);
	assert_int_equal(m->nns, 0);
	dns_msg_free(m);
}

static void test_wildcard(void **state)
{
	struct dns_msg *m = ask("a.b.wild.example.test.", DNS_T_A);
	const struct dns_rr *a;
	(void)state;
	a = find(m, 0, "a.b.wild.example.test.", DNS_T_A);
	assert_non_null(a); /* synthesized with the query name as owner */
	assert_int_equal(a->ttl, 600);
	dns_msg_free(m);

	m = ask("x.wild.example.test.", DNS_T_TXT);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(m->nan, 0);
	assert_int_equal(count(m, 1, DNS_T_SOA), 1);
	dns_msg_free(m);

	/* A wildcard CNAME, followed. */
	m = ask("z.cn.example.test.", DNS_T_A);
	assert_non_null(find(m, 0, "z.cn.example.test.", DNS_T_CNAME));
	assert_non_null(find(m, 0, "mx1.example.test.", DNS_T_A));
	dns_msg_free(m);

	/* An MX target matched by a wildcard gets its address too. */
	m = ask("mxwild.example.test.", DNS_T_MX);
	assert_non_null(find(m, 2, "host.wild.example.test.", DNS_T_A));
	dns_msg_free(m);

	/* The wildcard itself does not cover the wild node. */
	m = ask("wild.example.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(m->nan, 0);
	dns_msg_free(m);
}

static void test_delegation(void **state)
{
	struct dns_msg *m = ask("www.deleg.example.test.", DNS_T_A);
	(void)state;
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_false(m->h.flags & DNS_F_AA);
	assert_int_equal(m->nan, 0);
	assert_int_equal(count(m, 1, DNS_T_NS), 2);
	assert_non_null(find(m, 2, "ns.deleg.example.test.", DNS_T_A)); /* glue */
	dns_msg_free(m);

	/* DS at the cut is the parent's: authoritative NODATA. */
	m = ask("deleg.example.test.", DNS_T_DS);
	assert_true(m->h.flags & DNS_F_AA);
	assert_int_equal(count(m, 1, DNS_T_SOA), 1);
	dns_msg_free(m);

	/* Glue is not an address for an MX target. */
	m = ask("mxglue.example.test.", DNS_T_MX);
	assert_null(find(m, 2, "ns.deleg.example.test.", DNS_T_A));
	dns_msg_free(m);
}

static void test_child_zone(void **state)
{
	struct dns_msg *m = ask("www.sub.example.test.", DNS_T_A);
	const struct dns_rr *soa;
	(void)state;
	assert_true(m->h.flags & DNS_F_AA);
	assert_non_null(find(m, 0, "www.sub.example.test.", DNS_T_A));
	dns_msg_free(m);

	m = ask("nope.sub.example.test.", DNS_T_A);
	soa = find(m, 1, "sub.example.test.", DNS_T_SOA);
	assert_non_null(soa);
	assert_int_equal(soa->ttl, 3600); /* MINIMUM 7200 is above the TTL */
	dns_msg_free(m);

	/* DS at the child's apex comes from the parent served here. */
	m = ask("sub.example.test.", DNS_T_DS);
	assert_non_null(find(m, 1, "example.test.", DNS_T_SOA));
	dns_msg_free(m);
}

static void test_refused_and_classes(void **state)
{
	struct dns_msg *m = ask("example.org.", DNS_T_A);
	(void)state;
	assert_int_equal(rcode(m), DNS_R_REFUSED);
	assert_false(m->h.flags & DNS_F_AA);
	assert_int_equal(m->h.qdcount, 1);
	dns_msg_free(m);

	m = ask_full("example.test.", DNS_T_TXT, DNS_C_CH, 0, 0);
	assert_int_equal(rcode(m), DNS_R_REFUSED);
	dns_msg_free(m);

	/* Class ANY: data, but AA clear and no SOA when negative. */
	m = ask_full("example.test.", DNS_T_MX, DNS_C_ANY, 0, 0);
	assert_int_equal(m->nan, 3);
	assert_false(m->h.flags & DNS_F_AA);
	dns_msg_free(m);
	m = ask_full("nothere.example.test.", DNS_T_MX, DNS_C_ANY, 0, 0);
	assert_int_equal(rcode(m), DNS_R_NXDOMAIN);
	assert_int_equal(m->nns, 0);
	dns_msg_free(m);
}

static void test_any_and_transfers(void **state)
{
	struct dns_msg *m = ask("any.example.test.", DNS_T_ANY);
	(void)state;
	/* One set (RFC 8482), as NSD picks it. */
	assert_int_equal(m->nan, 1);
	assert_int_equal(count(m, 0, DNS_T_CAA), 1);
	dns_msg_free(m);
	m = ask("example.test.", DNS_T_ANY);
	assert_int_equal(m->nan, 1);
	assert_int_equal(count(m, 0, DNS_T_SOA), 1);
	dns_msg_free(m);

	m = ask("example.test.", DNS_T_AXFR);
	assert_int_equal(rcode(m), DNS_R_NOTIMP);
	dns_msg_free(m);
	m = ask_full("example.test.", DNS_T_AXFR, DNS_C_IN, 0, 1);
	assert_int_equal(rcode(m), DNS_R_REFUSED);
	dns_msg_free(m);
}

static void test_edns(void **state)
{
	struct dns_msg *m = ask_full("example.test.", DNS_T_MX, DNS_C_IN, 4096, 0);
	uint8_t q[512];
	int len;
	(void)state;
	assert_true(m->edns.present);
	assert_int_equal(m->edns.udp_size, 1232);
	assert_int_equal(m->edns.version, 0);
	dns_msg_free(m);

	/* Version 1: BADVERS, which is 16: 0 in the header, 1 in the OPT. */
	len = dns_build_query(q, sizeof(q), 1, 0, name("example.test."), DNS_T_A, DNS_C_IN, 1232);
	q[len - 11 + 6] = 1;
	m = send_raw(q, (size_t)len, 0);
	assert_int_equal(rcode(m), 0);
	assert_true(m->edns.present);
	assert_int_equal(m->edns.ext_rcode, 1);
	assert_int_equal(m->nan, 0);
	dns_msg_free(m);

	/* DO is echoed. */
	len = dns_build_query(q, sizeof(q), 1, 0, name("example.test."), DNS_T_A, DNS_C_IN, 1232);
	q[len - 11 + 7] = 0x80;
	m = send_raw(q, (size_t)len, 0);
	assert_int_equal(m->edns.flags, DNS_EDNS_DO);
	dns_msg_free(m);
}

static void test_truncation(void **state)
{
	static char big[65536];
	struct zone *z[1];
	struct zoneset *saved = zs;
	struct dns_msg *m;
	size_t n;
	(void)state;

	n = (size_t)snprintf(big, sizeof(big),
			     "$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "many A 10.0.0.%d\n", i + 1);
	for (int i = 0; i < 30; i++)
		n +=
		    (size_t)snprintf(big + n, sizeof(big) - n,
				     "bigmx MX %d mx%d\nmx%d A 10.1.0.%d\nmx%d AAAA 2001:db8::%d\n",
				     i, i, i, i + 1, i, i + 1);
	z[0] = load(big, "big.test.");
	zs = zoneset_from_zones(z, 1);

	/* The answer does not fit 512 bytes: TC, the set left out whole. */
	m = ask("many.big.test.", DNS_T_A);
	assert_true(m->h.flags & DNS_F_TC);
	assert_int_equal(m->nan, 0);
	dns_msg_free(m);
	/* It fits with EDNS, and over TCP. */
	m = ask_full("many.big.test.", DNS_T_A, DNS_C_IN, 1232, 0);
	assert_false(m->h.flags & DNS_F_TC);
	assert_int_equal(m->nan, 40);
	dns_msg_free(m);
	m = ask_full("many.big.test.", DNS_T_A, DNS_C_IN, 0, 1);
	assert_false(m->h.flags & DNS_F_TC);
	assert_int_equal(m->nan, 40);
	dns_msg_free(m);

	/* Additional records that do not fit are left out, without TC
	 * (RFC 2181 section 9). */
	m = ask_full("bigmx.big.test.", DNS_T_MX, DNS_C_IN, 1232, 0);
	assert_false(m->h.flags & DNS_F_TC);
	assert_int_equal(m->nan, 30);
	assert_true(m->nar < 61);
	assert_true(m->nar > 0);
	assert_true(outlen <= 1232);
	dns_msg_free(m);
	m = ask_full("bigmx.big.test.", DNS_T_MX, DNS_C_IN, 0, 1);
	assert_int_equal(m->nar, 61); /* 30 A, 30 AAAA and the NS's A */
	dns_msg_free(m);

	zoneset_free(zs, NULL);
	zs = saved;
}

static void test_malformed(void **state)
{
	uint8_t q[512];
	int len;
	struct dns_msg *m;
	(void)state;

	len =
	    dns_build_query(q, sizeof(q), 7, DNS_F_RD, name("example.test."), DNS_T_A, DNS_C_IN, 0);
	/* Shorter than a header, or a response: no answer at all. */
	assert_null(send_raw(q, 11, 0));
	q[2] |= 0x80;
	assert_null(send_raw(q, (size_t)len, 0));
	q[2] &= 0x7f;

	/* Cut in the question: FORMERR, no question echoed. */
	m = send_raw(q, (size_t)len - 3, 0);
	assert_int_equal(rcode(m), DNS_R_FORMERR);
	assert_int_equal(m->h.qdcount, 0);
	assert_int_equal(m->h.id, 7);
	dns_msg_free(m);

	/* Two questions. */
	q[5] = 2;
	m = send_raw(q, (size_t)len, 0);
	assert_int_equal(rcode(m), DNS_R_FORMERR);
	dns_msg_free(m);
	q[5] = 1;

	/* A count that lies about an additional record. */
	q[11] = 1;
	m = send_raw(q, (size_t)len, 0);
	assert_int_equal(rcode(m), DNS_R_FORMERR);
	dns_msg_free(m);
	q[11] = 0;

	/* A compression pointer in the question. */
	memcpy(q + DNS_HEADER_LEN, "\xc0\x0c\x00\x01\x00\x01", 6);
	m = send_raw(q, DNS_HEADER_LEN + 6, 0);
	assert_int_equal(rcode(m), DNS_R_FORMERR);
	dns_msg_free(m);

	/* Another opcode: NOTIMP. */
	len =
	    dns_build_query(q, sizeof(q), 7, 5 << 11, name("example.test."), DNS_T_A, DNS_C_IN, 0);
	m = send_raw(q, (size_t)len, 0);
	assert_int_equal(rcode(m), DNS_R_NOTIMP);
	assert_int_equal(DNS_OPCODE(m->h.flags), 5);
	dns_msg_free(m);

	/* An OPT whose option runs past its data. */
	len = dns_build_query(q, sizeof(q), 7, 0, name("example.test."), DNS_T_A, DNS_C_IN, 1232);
	memcpy(q + len - 2, "\x00\x04\x00\x0a\x00\x05", 6);
	m = send_raw(q, (size_t)len + 4, 0);
	assert_int_equal(rcode(m), DNS_R_FORMERR);
	dns_msg_free(m);
}

/* The response in out ends with an OPT record whose only option is the
 * Extended DNS Error info_code with text (RFC 8914). */
static void assert_ede(const struct dns_msg *m, uint16_t info_code, const char *text)
{
	size_t tlen = strlen(text);
	const uint8_t *o = out + outlen - (6 + tlen);

	assert_true(m->edns.present);
	assert_int_equal(m->edns.optlen, 6 + tlen);
	assert_int_equal(buf_get_u16(o), 15);
	assert_int_equal(buf_get_u16(o + 2), 2 + tlen);
	assert_int_equal(buf_get_u16(o + 4), info_code);
	assert_memory_equal(o + 6, text, tlen);
}

static void test_servfail_and_reuse(void **state)
{
	struct zoneset_spec spec[3];
	struct zoneset *a, *b;
	struct dns_msg *m;
	struct zoneset *saved = zs;
	FILE *f;
	char path[] = "/tmp/mxhost-test-answer-XXXXXX";
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(child_zone, f);
	fclose(f);
	assert_true(dname_from_text(spec[0].origin, "t.test.", 7, NULL) > 0);
	spec[0].path = path;
	assert_true(dname_from_text(spec[1].origin, "missing.test.", 13, NULL) > 0);
	spec[1].path = "/nonexistent/zone";
	assert_true(dname_from_text(spec[2].origin, "t.missing.test.", 15, NULL) > 0);
	spec[2].path = path;
	a = zoneset_load(spec, 3, NULL, NULL);
	assert_non_null(a);
	zs = a;
	/* A zone that never loaded: SERVFAIL, and with EDNS0 the reason. */
	m = ask("www.missing.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_SERVFAIL);
	assert_false(m->edns.present);
	dns_msg_free(m);
	m = ask_full("www.missing.test.", DNS_T_A, DNS_C_IN, 1232, 0);
	assert_int_equal(rcode(m), DNS_R_SERVFAIL);
	assert_ede(m, 14, "Zone is configured but not loaded");
	dns_msg_free(m);
	/* The same for a DS, which the parent would answer. */
	m = ask_full("t.missing.test.", DNS_T_DS, DNS_C_IN, 1232, 0);
	assert_int_equal(rcode(m), DNS_R_SERVFAIL);
	assert_int_equal(m->nan + m->nns, 0);
	assert_ede(m, 14, "Zone is configured but not loaded");
	dns_msg_free(m);
	/* The child itself answers. */
	m = ask_full("www.t.missing.test.", DNS_T_A, DNS_C_IN, 1232, 0);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(m->edns.optlen, 0);
	dns_msg_free(m);

	/* The file breaks: the next set keeps the old data. */
	f = fopen(path, "w");
	fputs("@ SOA broken\n", f);
	fclose(f);
	b = zoneset_load(spec, 3, a, NULL);
	assert_non_null(b);
	assert_ptr_equal(zoneset_get(b, name("t.test."))->zone,
			 zoneset_get(a, name("t.test."))->zone);
	zoneset_free(a, b);
	zs = b;
	m = ask("www.t.test.", DNS_T_A);
	assert_int_equal(rcode(m), DNS_R_NOERROR);
	assert_int_equal(m->nan, 1);
	dns_msg_free(m);
	/* Longest match. */
	assert_null(zoneset_find(b, name("test.")));
	assert_ptr_equal(zoneset_find(b, name("a.b.t.test.")), zoneset_get(b, name("t.test.")));
	zoneset_free(b, NULL);
	unlink(path);
	zs = saved;
}

static void test_no_allocation(void **state)
{
	static const char *const names[] = {"example.test.",	     "mx1.example.test.",
					    "x.wild.example.test.",  "chain1.example.test.",
					    "nothere.example.test.", "www.deleg.example.test.",
					    "example.org."};
	static const uint16_t types[] = {DNS_T_MX, DNS_T_AAAA, DNS_T_MX, DNS_T_A,
					 DNS_T_A,  DNS_T_A,    DNS_T_A};
	struct answer_params p = {0, 0, 1232};
	uint8_t q[7][512];
	int len[7];
	long before;
	(void)state;
#ifdef NO_MALLOC_COUNT
	skip();
#endif
	for (int i = 0; i < 7; i++) {
		len[i] = dns_build_query(q[i], sizeof(q[i]), 1, 0, name(names[i]), types[i],
					 DNS_C_IN, i % 2 ? 1232 : 0);
		assert_true(len[i] > 0);
	}
	before = allocations;
	for (int n = 0; n < 1000; n++)
		for (int i = 0; i < 7; i++)
			assert_true(answer_query(zs, q[i], (size_t)len[i], out, sizeof(out), &p) >
				    0);
	assert_int_equal(allocations, before);
	/* The wrappers do count (or this test proves nothing). */
	{
		void *volatile v = malloc(1); /* volatile: the pair is not optimized away */
		free(v);
	}
	assert_int_equal(allocations, before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mx_with_addresses),
	    cmocka_unit_test(test_compression),
	    cmocka_unit_test(test_nxdomain_and_nodata),
	    cmocka_unit_test(test_cname),
	    cmocka_unit_test(test_wildcard),
	    cmocka_unit_test(test_delegation),
	    cmocka_unit_test(test_child_zone),
	    cmocka_unit_test(test_refused_and_classes),
	    cmocka_unit_test(test_any_and_transfers),
	    cmocka_unit_test(test_edns),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_servfail_and_reuse),
	    cmocka_unit_test(test_no_allocation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
