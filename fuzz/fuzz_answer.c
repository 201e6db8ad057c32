/* libFuzzer: the authoritative answer path (answer_query) with arbitrary
 * query bytes against a zone set with every kind of name (wildcards,
 * CNAME chains and loops, delegations, a child zone, big sets). The first
 * byte picks the transport, family and EDNS payload; the rest is the
 * query. Whatever the packet, the response must be well formed (our own
 * parser reads it back) and never exceed the size it may have. And the
 * packet cache (pcache) must never answer other than answer_query would,
 * for the query as it came or with its question in another case. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/pcache.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "dns/zoneset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char example_zone[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 7200 1800 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2.sub\n"
    "@ MX 0 mx1\n"
    "@ MX 10 mx.wild\n"
    "@ MX 20 mx.other.test.\n"
    "@ TXT \"v=spf1 mx -all\" \"two\"\n"
    "@ CAA 0 issue \"ca.test\"\n"
    "ns1 A 192.0.2.1\n"
    "ns1 AAAA 2001:db8::1\n"
    "mx1 A 192.0.2.2\n"
    "www CNAME @\n"
    "c1 CNAME c2\n"
    "c2 CNAME www.other.test.\n"
    "l1 CNAME l2\n"
    "l2 CNAME l1\n"
    "d CNAME nothere\n"
    "*.wild A 192.0.2.3\n"
    "*.wild MX 10 mx1\n"
    "*.cn CNAME x.cn\n"
    "a.b.ent SRV 0 0 25 mx1\n"
    "deleg NS ns.deleg\n"
    "ns.deleg A 192.0.2.4\n"
    "sub NS ns2.sub\n"
    "ns2.sub A 192.0.2.5\n"
    "null MX 0 .\n"
    "unk TYPE65280 \\# 2 0102\n"
    "many A 10.0.0.1\nmany A 10.0.0.2\nmany A 10.0.0.3\nmany A 10.0.0.4\n"
    "many A 10.0.0.5\nmany A 10.0.0.6\nmany A 10.0.0.7\nmany A 10.0.0.8\n"
    "many A 10.0.0.9\nmany A 10.0.0.10\nmany A 10.0.0.11\nmany A 10.0.0.12\n"
    "many A 10.0.0.13\nmany A 10.0.0.14\nmany A 10.0.0.15\nmany A 10.0.0.16\n"
    "many A 10.0.0.17\nmany A 10.0.0.18\nmany A 10.0.0.19\nmany A 10.0.0.20\n"
    "many A 10.0.0.21\nmany A 10.0.0.22\nmany A 10.0.0.23\nmany A 10.0.0.24\n"
    "many A 10.0.0.25\nmany A 10.0.0.26\nmany A 10.0.0.27\nmany A 10.0.0.28\n"
    "many A 10.0.0.29\nmany A 10.0.0.30\nmany A 10.0.0.31\nmany A 10.0.0.32\n";

static const char child_zone[] = "$TTL 60\n"
				 "@ SOA ns2 h 1 1 1 1 1\n"
				 "@ NS ns2\n"
				 "ns2 A 192.0.2.5\n"
				 "www CNAME www.example.test.\n";

static const char other_zone[] = "$TTL 60\n"
				 "@ SOA ns h 1 1 1 1 1\n"
				 "@ NS ns.example.test.\n"
				 "www CNAME c1.example.test.\n"
				 "mx A 192.0.2.9\n";

static struct zone *load(const char *text, const char *origin)
{
	struct zone_load_opts o = {NULL, NULL, NULL, NULL, 1};
	struct zonefile_error err;
	uint8_t name[DNAME_MAX];
	struct zone *z;

	if (dname_from_text(name, origin, strlen(origin), NULL) < 0)
		abort();
	z = zone_load_text(text, strlen(text), origin, name, &o, &err);
	if (z == NULL) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.msg);
		abort();
	}
	return z;
}

static struct zoneset *zones(void)
{
	static struct zoneset *zs;
	if (zs == NULL) {
		struct zone *z[3] = {load(example_zone, "example.test."),
				     load(child_zone, "sub.example.test."),
				     load(other_zone, "other.test.")};
		zs = zoneset_from_zones(z, 3);
		if (zs == NULL)
			abort();
	}
	return zs;
}

/* The question's letters in the other case (labels walked as far as
 * they go). */
static void flip_case(uint8_t *q, size_t len)
{
	size_t pos = DNS_HEADER_LEN;
	while (pos < len && q[pos] != 0 && q[pos] <= 63) {
		size_t end = pos + 1 + q[pos];
		for (size_t i = pos + 1; i < end && i < len; i++)
			if ((q[i] | 0x20) >= 'a' && (q[i] | 0x20) <= 'z')
				q[i] ^= 0x20;
		pos = end;
	}
}

/* Whatever the cache holds for q must be what answer_query builds. */
static void check_cache(struct pcache *pc, const uint8_t *q, size_t qlen,
			const struct answer_params *p)
{
	static uint8_t fresh[DNS_MSG_MAX], cached[DNS_MSG_MAX];
	size_t flen = answer_query(zones(), q, qlen, fresh, sizeof(fresh), p);
	size_t clen = pcache_answer(pc, q, qlen, p->ipv6, cached, sizeof(cached));
	if (clen && (clen != flen || memcmp(cached, fresh, clen) != 0))
		abort();
	if (flen)
		pcache_store(pc, q, qlen, p->ipv6, fresh, flen);
	clen = pcache_answer(pc, q, qlen, p->ipv6, cached, sizeof(cached));
	if (clen && (clen != flen || memcmp(cached, fresh, clen) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_MAX], flipped[DNS_MSG_MAX];
	static struct pcache *pc;
	static uint16_t pc_payload;
	struct answer_params p;
	struct dns_msg *m;
	size_t len, limit;

	if (size < 1)
		return 0;
	p.tcp = data[0] & 1;
	p.ipv6 = (data[0] >> 1) & 1;
	p.edns_payload = (uint16_t)(512 + (data[0] >> 2) * 64);
	len = answer_query(zones(), data + 1, size - 1, out, sizeof(out), &p);
	if (len == 0)
		return 0;
	limit = p.tcp ? DNS_MSG_MAX : p.edns_payload > DNS_UDP_MAX ? p.edns_payload : DNS_UDP_MAX;
	if (len > limit || len < DNS_HEADER_LEN)
		abort();
	if (!(out[2] & 0x80) || memcmp(out, data + 1, 2) != 0)
		abort(); /* a response, with the query's ID */
	if (dns_msg_parse(out, len, &m) != DNS_PARSE_OK)
		abort();
	dns_msg_free(m);

	/* The cache is for UDP, and holds answers for one edns_payload (the
	 * server empties it when that changes). */
	if (!p.tcp && size - 1 <= sizeof(flipped)) {
		if (pc == NULL && (pc = pcache_new(64, 4096)) == NULL)
			abort();
		if (pc_payload != p.edns_payload) {
			pcache_clear(pc);
			pc_payload = p.edns_payload;
		}
		check_cache(pc, data + 1, size - 1, &p);
		memcpy(flipped, data + 1, size - 1);
		flip_case(flipped, size - 1);
		check_cache(pc, flipped, size - 1, &p);
	}
	return 0;
}
