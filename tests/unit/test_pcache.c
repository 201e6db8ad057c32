/* Unit tests for src/dns/pcache.c: what is kept, what is given back, and
 * that it is what answer_query builds. */
#include "unit.h"

#include <stdlib.h>

#include "dns/answer.h"
#include "dns/pcache.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "dns/zoneset.h"

static struct zoneset *zs;

static int setup(void **state)
{
	struct zonefile_error err;
	uint8_t origin[DNAME_MAX];
	struct zone *z;

	dname_from_text(origin, "example.test.", 13, NULL);
	z = zone_load("../../examples/zones/example.test.zone", origin, &err);
	assert_non_null(z);
	zs = zoneset_from_zones(&z, 1);
	assert_non_null(zs);
	return 0;
}

static int teardown(void **state)
{
	zoneset_free(zs, NULL);
	return 0;
}

static size_t query(uint8_t *buf, uint16_t id, const char *name, uint16_t type, uint16_t edns)
{
	uint8_t n[DNAME_MAX];
	assert_true(dname_from_text(n, name, strlen(name), NULL) > 0);
	int len = dns_build_query(buf, 512, id, DNS_F_RD, n, type, DNS_C_IN, edns);
	assert_true(len > 0);
	return (size_t)len;
}

static size_t fresh(const uint8_t *q, size_t qlen, uint8_t *out)
{
	struct answer_params p = {0, 0, 1232};
	return answer_query(zs, q, qlen, out, 4096, &p);
}

static void test_hit_with_other_id_and_case(void **state)
{
	struct pcache *pc = pcache_new(16, 2048);
	uint8_t q[512], a[4096], b[4096];
	size_t qlen, alen, blen;

	assert_non_null(pc);
	qlen = query(q, 1, "example.test.", DNS_T_MX, 1232);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, a, sizeof(a)), 0); /* empty */
	alen = fresh(q, qlen, a);
	pcache_store(pc, q, qlen, 0, a, alen);

	qlen = query(q, 0xbeef, "ExAmPlE.TEST.", DNS_T_MX, 1232);
	blen = pcache_answer(pc, q, qlen, 0, b, sizeof(b));
	alen = fresh(q, qlen, a);
	assert_int_equal(blen, alen);
	assert_memory_equal(a, b, alen); /* ID and case as asked */
	assert_int_equal(b[0], 0xbe);

	/* Another family, another payload, no EDNS: other keys. */
	assert_int_equal(pcache_answer(pc, q, qlen, 1, b, sizeof(b)), 0);
	qlen = query(q, 2, "example.test.", DNS_T_MX, 4096);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);
	qlen = query(q, 2, "example.test.", DNS_T_MX, 0);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);

	/* Emptied: nothing comes back. */
	qlen = query(q, 3, "example.test.", DNS_T_MX, 1232);
	assert_true(pcache_answer(pc, q, qlen, 0, b, sizeof(b)) > 0);
	pcache_clear(pc);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);
	pcache_free(pc);
}

static void test_only_plain_queries(void **state)
{
	struct pcache *pc = pcache_new(16, 2048);
	uint8_t q[512], a[4096], b[4096];
	size_t qlen, alen;

	/* An OPT with an option (a cookie): answered afresh every time. */
	qlen = query(q, 1, "mx1.example.test.", DNS_T_A, 1232);
	memcpy(q + qlen, "\0\12\0\10\1\2\3\4\5\6\7\10", 12);
	q[qlen - 1] = 12; /* OPT rdlength */
	qlen += 12;
	alen = fresh(q, qlen, a);
	assert_true(alen > 0);
	pcache_store(pc, q, qlen, 0, a, alen);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);

	/* Trailing bytes, a response, two questions: likewise. */
	qlen = query(q, 1, "mx1.example.test.", DNS_T_A, 0);
	alen = fresh(q, qlen, a);
	q[qlen] = 0;
	pcache_store(pc, q, qlen + 1, 0, a, alen);
	assert_int_equal(pcache_answer(pc, q, qlen + 1, 0, b, sizeof(b)), 0);
	q[2] |= 0x80;
	pcache_store(pc, q, qlen, 0, a, alen);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);
	q[2] &= 0x7f;
	q[5] = 2;
	pcache_store(pc, q, qlen, 0, a, alen);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);

	/* An answer larger than a slot is not kept. */
	q[5] = 1;
	pcache_free(pc);
	pc = pcache_new(16, 40);
	pcache_store(pc, q, qlen, 0, a, alen);
	assert_int_equal(pcache_answer(pc, q, qlen, 0, b, sizeof(b)), 0);
	pcache_free(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hit_with_other_id_and_case),
	    cmocka_unit_test(test_only_plain_queries),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
