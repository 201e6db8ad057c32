/* Unit tests for src/dns: names, record data, messages. */
#include "unit.h"

#include <stdlib.h>

#include "dns/dname.h"
#include "dns/rdata.h"
#include "dns/wire.h"

static int from(uint8_t *out, const char *text, const char *origin_text)
{
	uint8_t origin[DNAME_MAX];
	if (origin_text) {
		assert_true(dname_from_text(origin, origin_text, strlen(origin_text), NULL) > 0);
		return dname_from_text(out, text, strlen(text), origin);
	}
	return dname_from_text(out, text, strlen(text), NULL);
}

static const char *text(const uint8_t *name)
{
	static char buf[DNAME_TEXT_MAX];
	assert_true(dname_to_text(name, buf, sizeof(buf)) > 0);
	return buf;
}

static void test_name_text(void **state)
{
	uint8_t n[DNAME_MAX];
	char long_label[80];

	assert_int_equal(from(n, "www.Example.test.", NULL), 18);
	assert_string_equal(text(n), "www.Example.test.");
	assert_int_equal(from(n, "www", "example.test."), 18);
	assert_string_equal(text(n), "www.example.test.");
	assert_int_equal(from(n, "@", "example.test."), 14);
	assert_int_equal(from(n, ".", NULL), 1);
	assert_string_equal(text(n), ".");
	assert_true(from(n, "a\\.b.test.", NULL) > 0);
	assert_int_equal(n[0], 3);
	assert_string_equal(text(n), "a\\.b.test.");
	assert_true(from(n, "\\065\\032x.", NULL) > 0);
	assert_string_equal(text(n), "A\\032x.");
	assert_int_equal(from(n, "a..b", NULL), -1);
	assert_int_equal(from(n, "", NULL), -1);
	assert_int_equal(from(n, "", "example.test."), -1);
	assert_int_equal(from(n, ".a", NULL), -1);
	assert_int_equal(from(n, "a\\25", NULL), -1);
	assert_int_equal(from(n, "a\\256", NULL), -1);
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	assert_int_equal(from(n, long_label, NULL), -1);
	long_label[63] = '\0';
	assert_int_equal(from(n, long_label, NULL), 65);
}

static void test_name_text_nodot(void **state)
{
	uint8_t n[DNAME_MAX];
	char buf[DNAME_TEXT_MAX];

	from(n, "www.Example.test.", NULL);
	assert_string_equal(dname_to_text_nodot(n, buf, sizeof(buf)), "www.Example.test");
	from(n, "a\\.", NULL); /* a label ending in an escaped dot keeps it */
	assert_string_equal(dname_to_text_nodot(n, buf, sizeof(buf)), "a\\.");
	from(n, ".", NULL);
	assert_string_equal(dname_to_text_nodot(n, buf, sizeof(buf)), ".");
	from(n, "www.example.test.", NULL);
	assert_string_equal(dname_to_text_nodot(n, buf, 5), "");
}

static void test_name_too_long(void **state)
{
	uint8_t n[DNAME_MAX];
	char t[400] = "";
	/* 63+1 * 4 = 256 > 255 */
	for (int i = 0; i < 4; i++) {
		strcat(t, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.");
	}
	assert_int_equal(from(n, t, NULL), -1);
	/* 3 * 64 + 62 + 1 = 255 exactly */
	t[3 * 64 + 61] = '.';
	t[3 * 64 + 62] = '\0';
	assert_int_equal(from(n, t, NULL), 255);
}

static void test_name_compare(void **state)
{
	uint8_t a[DNAME_MAX], b[DNAME_MAX], p[DNAME_MAX];
	from(a, "WWW.example.test.", NULL);
	from(b, "www.EXAMPLE.test.", NULL);
	from(p, "example.test.", NULL);
	assert_true(dname_equal(a, b));
	assert_int_equal(dname_hash(a), dname_hash(b));
	assert_int_equal(dname_compare(a, b), 0);
	assert_true(dname_is_subdomain(a, p));
	assert_false(dname_is_subdomain(p, a));
	assert_true(dname_compare(p, a) < 0);
	from(b, "z.example.test.", NULL);
	assert_true(dname_compare(a, b) < 0);
	from(b, "\\001.z.example.test.", NULL);
	assert_true(dname_compare(a, b) < 0); /* RFC 4034 6.1 example order */
	assert_int_equal(dname_labels(a), 3);
	assert_string_equal(text(dname_parent(a)), "example.test.");
}

static void test_unpack_compression(void **state)
{
	/* header, then "example.test" at 12, then "www" + ptr to 12 */
	uint8_t pkt[64] = {0};
	size_t pos;
	uint8_t out[DNAME_MAX];
	memcpy(pkt + 12, "\7example\4test\0", 14);
	memcpy(pkt + 26, "\3www\xc0\x0c", 6);
	pos = 26;
	assert_int_equal(dname_unpack(pkt, 32, &pos, out), 18);
	assert_int_equal(pos, 32);
	assert_string_equal(text(out), "www.example.test.");
	/* a pointer to itself: a loop */
	pkt[40] = 0xc0;
	pkt[41] = 40;
	pos = 40;
	assert_int_equal(dname_unpack(pkt, 42, &pos, out), -1);
	/* forward pointer */
	pkt[40] = 0xc0;
	pkt[41] = 41;
	pos = 40;
	assert_int_equal(dname_unpack(pkt, 42, &pos, out), -1);
	/* a label running past the end */
	pkt[50] = 10;
	pos = 50;
	assert_int_equal(dname_unpack(pkt, 55, &pos, out), -1);
	/* reserved label type */
	pkt[50] = 0x40;
	pos = 50;
	assert_int_equal(dname_unpack(pkt, 55, &pos, out), -1);
}

static void test_pack_compression(void **state)
{
	uint8_t buf[128], n1[DNAME_MAX], n2[DNAME_MAX], out[DNAME_MAX];
	struct wbuf w;
	struct dname_ctab ct = {0};
	size_t pos;

	from(n1, "example.test.", NULL);
	from(n2, "mx1.EXAMPLE.test.", NULL);
	wbuf_init(&w, buf, sizeof(buf));
	w.len = 12;
	assert_int_equal(dname_pack(&w, n1, &ct), 0);
	assert_int_equal(w.len, 26);
	assert_int_equal(dname_pack(&w, n2, &ct), 0);
	assert_int_equal(w.len, 26 + 4 + 2); /* "mx1" + pointer */
	assert_int_equal(dname_pack(&w, n2, &ct), 0);
	assert_int_equal(w.len, 32 + 2); /* whole name is a pointer */
	pos = 26;
	assert_int_equal(dname_unpack(buf, w.len, &pos, out), 18);
	assert_true(dname_equal(out, n2));

	/* A name repeating its own labels must not point into itself
	 * (found by fuzz_wire: "1.0.0." once compressed "0." to "0.0."). */
	memset(buf, 0xee, sizeof(buf));
	ct.n = 0;
	from(n1, "1.0.0.", NULL);
	wbuf_init(&w, buf, sizeof(buf));
	w.len = 12;
	assert_int_equal(dname_pack(&w, n1, &ct), 0);
	assert_int_equal(w.len, 12 + 7);
	pos = 12;
	assert_int_equal(dname_unpack(buf, w.len, &pos, out), 7);
}

static void test_rdata_text(void **state)
{
	char buf[512];
	const uint8_t mx[] = "\0\12\3mx1\7example\4test";
	const uint8_t txt[] = "\5hello\6a \"b\"\\";
	const uint8_t caa[] = "\0\5issueletsencrypt.org";
	const uint8_t a[] = {192, 0, 2, 1};
	const uint8_t opaque[] = {0x0a, 0, 0, 1};
	uint16_t t;

	assert_true(rdata_to_text(DNS_T_MX, mx, sizeof(mx), buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "10 mx1.example.test.");
	assert_true(rdata_to_text(DNS_T_TXT, txt, sizeof(txt) - 1, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "\"hello\" \"a \\\"b\\\"\\\\\"");
	assert_true(rdata_to_text(DNS_T_CAA, caa, sizeof(caa) - 1, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "0 issue \"letsencrypt.org\"");
	assert_true(rdata_to_text(DNS_T_A, a, 4, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "192.0.2.1");
	assert_true(rdata_to_text(65280, opaque, 4, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "\\# 4 0A000001");
	assert_int_equal(rdata_to_text(DNS_T_MX, mx, sizeof(mx), buf, 5), -1);
	/* MX with trailing garbage is not well formed: shown generically */
	assert_int_equal(rdata_check(DNS_T_MX, mx, sizeof(mx) + 0), 0);
	assert_int_equal(rdata_check(DNS_T_MX, mx, sizeof(mx) - 1), -1);
	assert_int_equal(rr_type_from_name("mx", &t), 0);
	assert_int_equal(t, DNS_T_MX);
	assert_int_equal(rr_type_from_name("TYPE65280", &t), 0);
	assert_int_equal(t, 65280);
	assert_int_equal(rr_type_from_name("BOGUS", &t), -1);
	assert_string_equal(rr_type_name(65280, buf, sizeof(buf)), "TYPE65280");
}

static void test_message_roundtrip(void **state)
{
	uint8_t buf[512], owner[DNAME_MAX], target[DNAME_MAX], rdata[DNAME_MAX + 2];
	struct wbuf w;
	struct dname_ctab ct = {0};
	struct dns_header h = {0x1234, DNS_F_QR | DNS_F_AA, 1, 1, 0, 1};
	struct dns_msg *m;

	from(owner, "Example.test.", NULL);
	from(target, "mx1.example.test.", NULL);
	rdata[0] = 0;
	rdata[1] = 5;
	memcpy(rdata + 2, target, 18);
	wbuf_init(&w, buf, sizeof(buf));
	w.len = DNS_HEADER_LEN;
	assert_int_equal(dns_put_question(&w, &ct, owner, DNS_T_MX, DNS_C_IN), 0);
	assert_int_equal(dns_put_rr(&w, &ct, owner, DNS_T_MX, DNS_C_IN, 300, rdata, 20), 0);
	assert_int_equal(dns_put_opt(&w, 1232, 0, 0, DNS_EDNS_DO, NULL, 0), 0);
	dns_header_put(buf, &h);

	assert_int_equal(dns_msg_parse(buf, w.len, &m), DNS_PARSE_OK);
	assert_int_equal(m->h.id, 0x1234);
	assert_int_equal(m->nan, 1);
	assert_int_equal(m->nar, 0);
	assert_true(m->edns.present);
	assert_int_equal(m->edns.udp_size, 1232);
	assert_int_equal(m->edns.flags, DNS_EDNS_DO);
	assert_true(dname_equal(m->q.name, owner));
	assert_int_equal(m->rr[0].ttl, 300);
	assert_int_equal(m->rr[0].rdlen, 20);
	/* the target was compressed against the question's "Example" */
	assert_memory_equal(m->rr[0].rdata, rdata, 2);
	assert_true(dname_equal(m->rr[0].rdata + 2, target));
	dns_msg_free(m);

	/* every truncation of it is an error, never a crash */
	for (size_t len = 0; len < w.len; len++) {
		int r = dns_msg_parse(buf, len, &m);
		assert_true(r < 0);
		assert_null(m);
	}
	/* counts that lie */
	h.ancount = 5;
	dns_header_put(buf, &h);
	assert_int_equal(dns_msg_parse(buf, w.len, &m), DNS_PARSE_MALFORMED);
}

static void test_two_opts_malformed(void **state)
{
	uint8_t buf[128], name[DNAME_MAX];
	struct dns_msg *m;
	int len;

	from(name, "example.test.", NULL);
	len = dns_build_query(buf, sizeof(buf), 7, DNS_F_RD, name, DNS_T_A, DNS_C_IN, 1232);
	assert_true(len > 0);
	assert_int_equal(dns_msg_parse(buf, (size_t)len, &m), DNS_PARSE_OK);
	assert_true(m->edns.present);
	dns_msg_free(m);
	/* append a second OPT and count it */
	memcpy(buf + len, buf + len - 11, 11);
	buf[11] = 2;
	assert_int_equal(dns_msg_parse(buf, (size_t)len + 11, &m), DNS_PARSE_MALFORMED);
}

/* The header's four bits and the OPT record's eight make one rcode. */
static void test_msg_rcode(void **state)
{
	static const struct {
		unsigned low, ext, edns, want;
	} cases[] = {{DNS_R_SERVFAIL, 0, 0, DNS_R_SERVFAIL},
		     {DNS_R_NXDOMAIN, 0, 1, DNS_R_NXDOMAIN},
		     {DNS_R_NOERROR, 1, 1, DNS_R_BADVERS},
		     {DNS_R_NXDOMAIN, 1, 1, 19},
		     {DNS_R_REFUSED, 0xff, 1, 0xff5}};
	uint8_t buf[128], name[DNAME_MAX];
	struct dns_msg *m;

	from(name, "example.test.", NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_header h = {
		    1, (uint16_t)(DNS_F_QR | cases[i].low), 1, 0, 0, (uint16_t)cases[i].edns};
		struct wbuf w;
		wbuf_init(&w, buf, sizeof(buf));
		w.len = DNS_HEADER_LEN;
		assert_int_equal(dns_put_question(&w, NULL, name, DNS_T_A, DNS_C_IN), 0);
		if (cases[i].edns)
			assert_int_equal(
			    dns_put_opt(&w, 1232, (uint8_t)cases[i].ext, 0, 0, NULL, 0), 0);
		dns_header_put(buf, &h);
		assert_int_equal(dns_msg_parse(buf, w.len, &m), DNS_PARSE_OK);
		assert_int_equal(dns_msg_rcode(m), cases[i].want);
		dns_msg_free(m);
	}
}

static void test_name_lower_offsets(void **state)
{
	uint8_t n[DNAME_MAX], l[DNAME_MAX], off[DNAME_LABELS_MAX + 1];
	char longest[2 * DNAME_LABELS_MAX + 1];

	from(n, "WwW.Ex-AMPLE.test.", NULL);
	assert_int_equal(dname_copy_lower(l, n), 19);
	assert_string_equal(text(l), "www.ex-ample.test.");
	assert_string_equal(text(n), "WwW.Ex-AMPLE.test."); /* the source is untouched */
	assert_int_equal(dname_label_offsets(l, off), 3);
	assert_int_equal(off[0], 0);
	assert_int_equal(off[1], 4);
	assert_int_equal(off[2], 13);
	assert_int_equal(off[3], 18); /* the root label */
	/* in place, with the longest label: its length octet stays */
	memset(n, 0, sizeof(n));
	n[0] = DNAME_LABEL_MAX;
	memset(n + 1, 'Q', DNAME_LABEL_MAX);
	assert_int_equal(dname_copy_lower(n, n), DNAME_LABEL_MAX + 2);
	assert_int_equal(n[0], DNAME_LABEL_MAX);
	assert_int_equal(n[1], 'q');
	assert_int_equal(n[DNAME_LABEL_MAX], 'q');
	assert_int_equal(n[DNAME_LABEL_MAX + 1], 0);
	assert_int_equal(dname_label_offsets(n, off), 1);
	/* the most labels a name can have */
	for (int i = 0; i < DNAME_LABELS_MAX; i++) {
		longest[2 * i] = 'X';
		longest[2 * i + 1] = '.';
	}
	longest[2 * DNAME_LABELS_MAX] = '\0';
	assert_int_equal(from(n, longest, NULL), DNAME_MAX);
	assert_int_equal(dname_label_offsets(n, off), DNAME_LABELS_MAX);
	assert_int_equal(off[DNAME_LABELS_MAX], DNAME_MAX - 1);
	dname_lower(n);
	assert_int_equal(n[1], 'x');
	assert_int_equal(n[DNAME_MAX - 2], 'x');
}

/* Names in lower case, nothing else: not the numbers, not TXT. */
static void test_rdata_canonical(void **state)
{
	uint8_t mx[2 + DNAME_MAX], soa[2 * DNAME_MAX + 20], out[sizeof(soa)];
	int l1, l2;
	static const uint8_t txt[] = {3, 'A', 'b', 'C'}, bad[] = {0, 1, 3, 'M', 'X'};

	mx[0] = 'A'; /* a preference of 0x4142 */
	mx[1] = 'B';
	l1 = from(mx + 2, "MX1.Example.TEST.", NULL);
	rdata_canonical(DNS_T_MX, mx, (size_t)l1 + 2, out);
	assert_memory_equal(out, "AB", 2);
	assert_string_equal(text(out + 2), "mx1.example.test.");

	l1 = from(soa, "NS1.Example.TEST.", NULL);
	l2 = from(soa + l1, "Host\\.Master.Example.TEST.", NULL);
	memset(soa + l1 + l2, 'Q', 20);
	rdata_canonical(DNS_T_SOA, soa, (size_t)(l1 + l2 + 20), out);
	assert_string_equal(text(out), "ns1.example.test.");
	assert_string_equal(text(out + l1), "host\\.master.example.test.");
	assert_memory_equal(out + l1 + l2, soa + l1 + l2, 20);

	rdata_canonical(DNS_T_TXT, txt, sizeof(txt), out);
	assert_memory_equal(out, txt, sizeof(txt));
	rdata_canonical(65280, mx, 4, out); /* unknown: opaque */
	assert_memory_equal(out, mx, 4);
	/* a name running past the data: copied, never read beyond */
	rdata_canonical(DNS_T_MX, bad, sizeof(bad), out);
	assert_memory_equal(out, bad, sizeof(bad));
	rdata_canonical(DNS_T_MX, bad, 0, out);
}

/* Names whose octets differ only above bit 3 must still spread over a
 * table of 16 slots (plain FNV-1a puts all 16 in one slot). */
static void test_hash_low_bits(void **state)
{
	static const char c[] = "0@`p"; /* 0x30 0x40 0x60 0x70: low four bits 0 */
	uint8_t n[DNAME_MAX];
	int used[16] = {0}, slots = 0;

	for (int i = 0; i < 16; i++) {
		char t[3] = {c[i / 4], c[i % 4], 0};
		from(n, t, NULL);
		used[dname_hash(n) & 15]++;
	}
	for (int i = 0; i < 16; i++)
		slots += used[i] > 0;
	assert_true(slots >= 8);
	from(n, "MiXeD.test.", NULL);
	{
		uint8_t l[DNAME_MAX];
		dname_copy_lower(l, n);
		assert_int_equal(dname_hash(n), dname_hash(l));
	}
}

/* The fixed-place readers agree with the walking ones. */
static void test_buf_get(void **state)
{
	static const uint8_t b[] = {0x80, 0x01, 0xfe, 0x7f, 0x00};
	struct rbuf r;
	uint16_t v16;
	uint32_t v32;

	assert_int_equal(buf_get_u16(b), 0x8001);
	assert_int_equal(buf_get_u16(b + 2), 0xfe7f);
	assert_int_equal(buf_get_u32(b), 0x8001fe7fu);
	assert_int_equal(buf_get_u32(b + 1), 0x01fe7f00u);
	rbuf_init(&r, b, sizeof(b));
	assert_int_equal(rbuf_u16(&r, &v16), 0);
	assert_int_equal(v16, 0x8001);
	assert_int_equal(rbuf_u16(&r, &v16), 0);
	assert_int_equal(rbuf_u32(&r, &v32), -1); /* one byte left */
	rbuf_init(&r, b + 1, 4);
	assert_int_equal(rbuf_u32(&r, &v32), 0);
	assert_int_equal(v32, 0x01fe7f00u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_text),	      cmocka_unit_test(test_name_too_long),
	    cmocka_unit_test(test_name_compare),      cmocka_unit_test(test_unpack_compression),
	    cmocka_unit_test(test_pack_compression),  cmocka_unit_test(test_rdata_text),
	    cmocka_unit_test(test_message_roundtrip), cmocka_unit_test(test_two_opts_malformed),
	    cmocka_unit_test(test_msg_rcode),	      cmocka_unit_test(test_name_text_nodot),
	    cmocka_unit_test(test_buf_get),	      cmocka_unit_test(test_name_lower_offsets),
	    cmocka_unit_test(test_rdata_canonical),   cmocka_unit_test(test_hash_low_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
