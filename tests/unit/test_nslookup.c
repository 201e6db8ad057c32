/* Unit tests for nslookup's output (BIND's and -legacy) over canned
 * answers, and for its options. The expected texts are BIND 9.18's
 * nslookup output for the same packets. */
#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/nslookup.h"
#include "dns/rdata.h"
#include "dns/wire.h"

/* ---- building answers ---------------------------------------------- */

struct rec {
	const char *owner;
	uint16_t type;
	uint32_t ttl;
	uint8_t data[512];
	uint16_t len;
};

static size_t name(uint8_t *out, const char *text)
{
	int n = dname_from_text(out, text, strlen(text), NULL);
	assert_true(n > 0);
	return (size_t)n;
}

static struct rec r_a(const char *owner, const char *addr)
{
	struct rec r = {owner, DNS_T_A, 3600, {0}, 4};
	assert_int_equal(inet_pton(AF_INET, addr, r.data), 1);
	return r;
}

static struct rec r_aaaa(const char *owner, const char *addr)
{
	struct rec r = {owner, DNS_T_AAAA, 3600, {0}, 16};
	assert_int_equal(inet_pton(AF_INET6, addr, r.data), 1);
	return r;
}

static struct rec r_name(const char *owner, uint16_t type, const char *target)
{
	struct rec r = {owner, type, 3600, {0}, 0};
	r.len = (uint16_t)name(r.data, target);
	return r;
}

static struct rec r_mx(const char *owner, unsigned pref, const char *target)
{
	struct rec r = {owner, DNS_T_MX, 3600, {(uint8_t)(pref >> 8), (uint8_t)pref}, 2};
	r.len = (uint16_t)(2 + name(r.data + 2, target));
	return r;
}

/* TXT from strings separated by '|'. */
static struct rec r_txt(const char *owner, const char *strings)
{
	struct rec r = {owner, DNS_T_TXT, 3600, {0}, 0};
	const char *p = strings;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		r.data[r.len++] = (uint8_t)n;
		memcpy(r.data + r.len, p, n);
		r.len = (uint16_t)(r.len + n);
		if (!bar)
			break;
		p = bar + 1;
	}
	return r;
}

static struct rec r_soa(const char *owner, uint32_t ttl)
{
	struct rec r = {owner, DNS_T_SOA, ttl, {0}, 0};
	const uint32_t nums[] = {2024010101, 7200, 3600, 1209600, 300};
	r.len = (uint16_t)name(r.data, "ns1.example.test.");
	r.len = (uint16_t)(r.len + name(r.data + r.len, "hostmaster.example.test."));
	for (int i = 0; i < 5; i++) {
		r.data[r.len++] = (uint8_t)(nums[i] >> 24);
		r.data[r.len++] = (uint8_t)(nums[i] >> 16);
		r.data[r.len++] = (uint8_t)(nums[i] >> 8);
		r.data[r.len++] = (uint8_t)nums[i];
	}
	return r;
}

/* An answer to qname/qtype with flags and the records of each section. */
static struct dns_msg *answer(const char *qname, uint16_t qtype, uint16_t flags,
			      const struct rec *an, int nan, const struct rec *ns, int nns,
			      const struct rec *ar, int nar)
{
	static uint8_t pkt[4096];
	struct wbuf w;
	struct dname_ctab ct = {0};
	struct dns_header h = {
	    0x1234, (uint16_t)(DNS_F_QR | flags), 1, (uint16_t)nan, (uint16_t)nns, (uint16_t)nar};
	uint8_t q[DNAME_MAX], o[DNAME_MAX];
	struct dns_msg *m = NULL;
	const struct rec *sec[3] = {an, ns, ar};
	int cnt[3] = {nan, nns, nar};

	wbuf_init(&w, pkt, sizeof(pkt));
	w.len = DNS_HEADER_LEN;
	name(q, qname);
	assert_int_equal(dns_put_question(&w, &ct, q, qtype, DNS_C_IN), 0);
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < cnt[s]; i++) {
			name(o, sec[s][i].owner);
			assert_int_equal(dns_put_rr(&w, &ct, o, sec[s][i].type, DNS_C_IN,
						    sec[s][i].ttl, sec[s][i].data, sec[s][i].len),
					 0);
		}
	assert_false(w.overflow);
	dns_header_put(pkt, &h);
	assert_int_equal(dns_msg_parse(pkt, w.len, &m), DNS_PARSE_OK);
	return m;
}

/* ---- printing into a string ---------------------------------------- */

static char *outbuf;
static size_t outlen;

static FILE *open_out(void)
{
	free(outbuf);
	outbuf = NULL;
	FILE *f = open_memstream(&outbuf, &outlen);
	assert_non_null(f);
	return f;
}

static const char *close_out(FILE *f)
{
	fclose(f);
	return outbuf;
}

static uint8_t qn[DNAME_MAX];

static struct nsl_view view(const char *qname, const char *textname, uint16_t qtype,
			    int default_lookups)
{
	struct nsl_view v = {
	    "127.0.0.1", "127.0.0.1#53", textname, qn, qtype, default_lookups, 0, 0, NULL};
	name(qn, qname);
	return v;
}

static const char *print(const struct nsl_view *v, struct dns_msg *m, struct nsl_result *r)
{
	FILE *f = open_out();
	nsl_print_message(f, v, m, r);
	dns_msg_free(m);
	return close_out(f);
}

#define HEADER "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1#53\n\n"

/* ---- BIND's format --------------------------------------------------- */

static void test_mx_authoritative(void **state)
{
	struct rec an[] = {r_mx("example.test.", 0, "mx1.example.test."),
			   r_mx("example.test.", 10, "mx2.example.test.")};
	struct rec ns[] = {r_name("example.test.", DNS_T_NS, "ns1.example.test.")};
	struct rec ar[] = {r_a("mx1.example.test.", "192.0.2.10")};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_MX, 0);
	struct nsl_result r;

	assert_string_equal(
	    print(&v, answer("example.test.", DNS_T_MX, DNS_F_AA, an, 2, ns, 1, ar, 1), &r),
	    HEADER "example.test\tmail exchanger = 0 mx1.example.test.\n"
		   "example.test\tmail exchanger = 10 mx2.example.test.\n");
	assert_false(r.rcode_error);
	assert_false(r.want_aaaa);
}

static void test_mx_non_authoritative(void **state)
{
	struct rec an[] = {r_mx("example.test.", 0, "mx1.example.test.")};
	struct rec ns[] = {r_name("example.test.", DNS_T_NS, "ns1.example.test.")};
	struct rec ar[] = {r_a("mx1.example.test.", "192.0.2.10"),
			   r_aaaa("mx1.example.test.", "2001:db8::10"),
			   r_a("ns1.example.test.", "127.0.0.1")};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_MX, 0);
	struct nsl_result r;

	/* Records stay in packet order: BIND does not group them by name. */
	assert_string_equal(
	    print(&v, answer("example.test.", DNS_T_MX, DNS_F_RA, an, 1, ns, 1, ar, 3), &r),
	    HEADER "Non-authoritative answer:\n"
		   "example.test\tmail exchanger = 0 mx1.example.test.\n"
		   "\nAuthoritative answers can be found from:\n"
		   "example.test\tnameserver = ns1.example.test.\n"
		   "mx1.example.test\tinternet address = 192.0.2.10\n"
		   "mx1.example.test\thas AAAA address 2001:db8::10\n"
		   "ns1.example.test\tinternet address = 127.0.0.1\n");
}

static void test_default_lookup_follows_cname(void **state)
{
	struct rec an[] = {r_name("www.example.test.", DNS_T_CNAME, "alias.example.test."),
			   r_name("alias.example.test.", DNS_T_CNAME, "example.test."),
			   r_a("example.test.", "192.0.2.1")};
	struct nsl_view v = view("www.example.test.", "www.example.test", DNS_T_A, 1);
	struct nsl_result r;

	assert_string_equal(
	    print(&v, answer("www.example.test.", DNS_T_A, DNS_F_AA, an, 3, NULL, 0, NULL, 0), &r),
	    HEADER "www.example.test\tcanonical name = alias.example.test.\n"
		   "alias.example.test\tcanonical name = example.test.\n"
		   "Name:\texample.test\nAddress: 192.0.2.1\n");
	assert_true(r.want_aaaa);
	assert_string_equal(r.aaaa_name, "example.test");
	assert_false(r.a_noanswer);
}

static void test_default_lookup_no_answer(void **state)
{
	struct rec ns[] = {r_soa("example.test.", 300)};
	struct nsl_view v = view("txt.example.test.", "txt.example.test", DNS_T_A, 1);
	struct nsl_result r;

	/* The A half says nothing but the header... */
	assert_string_equal(
	    print(&v, answer("txt.example.test.", DNS_T_A, DNS_F_AA, NULL, 0, ns, 1, NULL, 0), &r),
	    HEADER);
	assert_true(r.a_noanswer);
	assert_true(r.want_aaaa);
	/* ...and the AAAA half, empty too, says there is nothing. */
	v = view("txt.example.test.", "txt.example.test", DNS_T_AAAA, 1);
	v.a_noanswer = 1;
	assert_string_equal(
	    print(&v, answer("txt.example.test.", DNS_T_AAAA, DNS_F_AA, NULL, 0, ns, 1, NULL, 0),
		  &r),
	    "*** Can't find txt.example.test: No answer\n");
	/* Without an empty A before it, an empty AAAA says nothing at all. */
	v.a_noanswer = 0;
	assert_string_equal(
	    print(&v, answer("txt.example.test.", DNS_T_AAAA, DNS_F_AA, NULL, 0, ns, 1, NULL, 0),
		  &r),
	    "");
}

static void test_aaaa_half_has_no_header(void **state)
{
	struct rec an[] = {r_aaaa("example.test.", "2001:db8::1")};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_AAAA, 1);
	struct nsl_result r;

	assert_string_equal(
	    print(&v, answer("example.test.", DNS_T_AAAA, 0, an, 1, NULL, 0, NULL, 0), &r),
	    "Name:\texample.test\nAddress: 2001:db8::1\n");
}

static void test_nxdomain(void **state)
{
	struct rec ns[] = {r_soa("example.test.", 300)};
	struct nsl_view v = view("nope.example.test.", "nope", DNS_T_MX, 0);
	struct nsl_result r;

	assert_string_equal(print(&v,
				  answer("nope.example.test.", DNS_T_MX, DNS_F_AA | DNS_R_NXDOMAIN,
					 NULL, 0, ns, 1, NULL, 0),
				  &r),
			    HEADER "** server can't find nope.example.test: NXDOMAIN\n");
	assert_true(r.rcode_error);
	v = view("nope.example.test.", "nope", DNS_T_MX, 0);
	assert_string_equal(
	    print(&v, answer("nope.example.test.", DNS_T_MX, 9, NULL, 0, NULL, 0, NULL, 0), &r),
	    HEADER "** server can't find nope.example.test: NOTAUTH\n");
}

static void test_nodata_non_authoritative_shows_soa(void **state)
{
	struct rec ns[] = {r_soa("example.test.", 300)};
	struct nsl_view v = view("txt.example.test.", "txt", DNS_T_MX, 0);
	struct nsl_result r;

	assert_string_equal(
	    print(&v, answer("txt.example.test.", DNS_T_MX, DNS_F_RA, NULL, 0, ns, 1, NULL, 0), &r),
	    HEADER "Non-authoritative answer:\n"
		   "*** Can't find txt: No answer\n"
		   "\nAuthoritative answers can be found from:\n"
		   "example.test\n"
		   "\torigin = ns1.example.test\n"
		   "\tmail addr = hostmaster.example.test\n"
		   "\tserial = 2024010101\n"
		   "\trefresh = 7200\n"
		   "\tretry = 3600\n"
		   "\texpire = 1209600\n"
		   "\tminimum = 300\n");
	assert_false(r.rcode_error);
}

static void test_txt_escapes(void **state)
{
	struct rec an[] = {r_txt("example.test.", "say \"hi\"|back\\slash|tab\there")};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_TXT, 0);
	struct nsl_result r;

	assert_string_equal(
	    print(&v, answer("example.test.", DNS_T_TXT, DNS_F_AA, an, 1, NULL, 0, NULL, 0), &r),
	    HEADER "example.test\ttext = \"say \\\"hi\\\"\" \"back\\\\slash\" "
		   "\"tab\\009here\"\n");
}

static void test_ptr_default_has_no_header(void **state)
{
	struct rec an[] = {r_name("1.2.0.192.in-addr.arpa.", DNS_T_PTR, "example.test.")};
	struct nsl_view v =
	    view("1.2.0.192.in-addr.arpa.", "1.2.0.192.in-addr.arpa.", DNS_T_PTR, 1);
	struct nsl_result r;

	assert_string_equal(
	    print(&v,
		  answer("1.2.0.192.in-addr.arpa.", DNS_T_PTR, DNS_F_AA, an, 1, NULL, 0, NULL, 0),
		  &r),
	    "1.2.0.192.in-addr.arpa\tname = example.test.\n");
	/* With a type set, the header comes back. */
	v.default_lookups = 0;
	an[0] = r_name("1.2.0.192.in-addr.arpa.", DNS_T_PTR, "example.test.");
	assert_string_equal(
	    print(&v,
		  answer("1.2.0.192.in-addr.arpa.", DNS_T_PTR, DNS_F_AA, an, 1, NULL, 0, NULL, 0),
		  &r),
	    HEADER "1.2.0.192.in-addr.arpa\tname = example.test.\n");
}

static void test_types_past_41_and_root(void **state)
{
	struct rec an[] = {
	    {"example.test.", DNS_T_CAA, 60, {0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a'}, 9},
	    r_mx("null.example.test.", 0, ".")};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_ANY, 0);
	struct nsl_result r;

	assert_string_equal(
	    print(&v, answer("example.test.", DNS_T_ANY, DNS_F_AA, an, 2, NULL, 0, NULL, 0), &r),
	    HEADER "example.test\trdata_257 = 0 issue \"ca\"\n"
		   "null.example.test\tmail exchanger = 0 .\n");
}

static void test_debug_sections(void **state)
{
	struct rec an[] = {r_mx("example.test.", 0, "mx1.example.test.")};
	struct rec ns[] = {r_soa("example.test.", 300)};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_MX, 0);
	struct nsl_result r;

	v.debug = 1;
	assert_string_equal(
	    print(&v, answer("example.test.", DNS_T_MX, DNS_F_AA, an, 1, ns, 1, NULL, 0), &r),
	    HEADER "------------\n"
		   "    QUESTIONS:\n"
		   "\texample.test, type = MX, class = IN\n"
		   "    ANSWERS:\n"
		   "    ->  example.test\n"
		   "\tmail exchanger = 0 mx1.example.test.\n"
		   "\tttl = 3600\n"
		   "    AUTHORITY RECORDS:\n"
		   "    ->  example.test\n"
		   "\torigin = ns1.example.test\n"
		   "\tmail addr = hostmaster.example.test\n"
		   "\tserial = 2024010101\n"
		   "\trefresh = 7200\n"
		   "\tretry = 3600\n"
		   "\texpire = 1209600\n"
		   "\tminimum = 300\n"
		   "\tttl = 300\n"
		   "    ADDITIONAL RECORDS:\n"
		   "------------\n"
		   "example.test\tmail exchanger = 0 mx1.example.test.\n");
}

/* ---- -legacy ----------------------------------------------------------- */

static void test_legacy_mx(void **state)
{
	struct rec an[] = {r_mx("example.test.", 0, "mx1.example.test.")};
	struct rec ns[] = {r_name("example.test.", DNS_T_NS, "ns1.example.test.")};
	struct rec ar[] = {r_a("mx1.example.test.", "192.0.2.10"),
			   r_aaaa("mx1.example.test.", "2001:db8::10")};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_MX, 0);
	struct nsl_result r;
	struct dns_msg *m = answer("example.test.", DNS_T_MX, DNS_F_AA, an, 1, ns, 1, ar, 2);
	FILE *f = open_out();

	v.server_addr = "127.0.0.1";
	nsl_legacy_print_records(f, &v, m, &r);
	dns_msg_free(m);
	assert_string_equal(close_out(f),
			    "Server:  127.0.0.1\nAddress:  127.0.0.1\n\n"
			    "example.test\tpreference = 0, mail exchanger = mx1.example.test\n"
			    "example.test\tnameserver = ns1.example.test\n"
			    "mx1.example.test\tinternet address = 192.0.2.10\n"
			    "mx1.example.test\tIPv6 address = 2001:db8::10\n\n");

	m = answer("example.test.", DNS_T_MX, 0, an, 1, ns, 1, NULL, 0);
	f = open_out();
	nsl_legacy_print_records(f, &v, m, &r);
	dns_msg_free(m);
	assert_string_equal(close_out(f),
			    "Server:  127.0.0.1\nAddress:  127.0.0.1\n\n"
			    "Non-authoritative answer:\n"
			    "example.test\tpreference = 0, mail exchanger = mx1.example.test\n"
			    "\nAuthoritative answers can be found from:\n"
			    "example.test\tnameserver = ns1.example.test\n\n");
}

static void test_legacy_soa_and_errors(void **state)
{
	struct rec an[] = {r_soa("example.test.", 300)};
	struct nsl_view v = view("example.test.", "example.test", DNS_T_SOA, 0);
	struct nsl_result r;
	struct dns_msg *m = answer("example.test.", DNS_T_SOA, DNS_F_AA, an, 1, NULL, 0, NULL, 0);
	FILE *f = open_out();

	v.server_addr = "127.0.0.1#5300";
	nsl_legacy_print_records(f, &v, m, &r);
	dns_msg_free(m);
	assert_string_equal(close_out(f), "Server:  127.0.0.1\nAddress:  127.0.0.1#5300\n\n"
					  "example.test\n"
					  "\torigin = ns1.example.test\n"
					  "\tmail addr = hostmaster.example.test\n"
					  "\tserial = 2024010101\n"
					  "\trefresh = 7200 (2 hours)\n"
					  "\tretry   = 3600 (1 hour)\n"
					  "\texpire  = 1209600 (14 days)\n"
					  "\tminimum ttl = 300 (5 mins)\n\n");

	m = answer("nope.example.test.", DNS_T_MX, DNS_R_NXDOMAIN, NULL, 0, NULL, 0, NULL, 0);
	v = view("nope.example.test.", "nope", DNS_T_MX, 0);
	f = open_out();
	nsl_legacy_print_records(f, &v, m, &r);
	dns_msg_free(m);
	assert_string_equal(close_out(f), "Server:  127.0.0.1\nAddress:  127.0.0.1#53\n\n"
					  "*** 127.0.0.1 can't find nope.example.test: "
					  "Non-existent host/domain\n");
	assert_true(r.rcode_error);
}

static void test_legacy_host(void **state)
{
	struct rec an4[] = {r_name("www.example.test.", DNS_T_CNAME, "example.test."),
			    r_a("example.test.", "192.0.2.1")};
	struct rec an6[] = {r_aaaa("example.test.", "2001:db8::1")};
	struct nsl_view v = view("www.example.test.", "www.example.test", DNS_T_A, 1);
	struct nsl_result r;
	struct dns_msg *a = answer("www.example.test.", DNS_T_A, 0, an4, 2, NULL, 0, NULL, 0);
	struct dns_msg *aaaa = answer("example.test.", DNS_T_AAAA, 0, an6, 1, NULL, 0, NULL, 0);
	FILE *f = open_out();

	v.server_addr = "127.0.0.1";
	nsl_legacy_print_host(f, &v, a, aaaa, &r);
	dns_msg_free(a);
	dns_msg_free(aaaa);
	assert_string_equal(close_out(f), "Server:  127.0.0.1\nAddress:  127.0.0.1\n\n"
					  "Non-authoritative answer:\n"
					  "Name:    example.test\n"
					  "Addresses:  192.0.2.1, 2001:db8::1\n"
					  "Aliases:  www.example.test\n\n");
}

static void test_legacy_time(void **state)
{
	char b[64];
	assert_string_equal(nsl_legacy_time(0, b, sizeof(b)), "0 secs");
	assert_string_equal(nsl_legacy_time(1, b, sizeof(b)), "1 sec");
	assert_string_equal(nsl_legacy_time(90061, b, sizeof(b)), "1 day 1 hour 1 min 1 sec");
	assert_string_equal(nsl_legacy_time(172800 + 7200, b, sizeof(b)), "2 days 2 hours");
	assert_string_equal(nsl_legacy_time(4294967295u, b, sizeof(b)),
			    "49710 days 6 hours 28 mins 15 secs");
}

/* ---- options ----------------------------------------------------------- */

static const char *set(struct nsl_settings *s, const char *opt)
{
	FILE *f = open_out();
	nsl_set_option(s, opt, f);
	return close_out(f);
}

static void test_options_and_abbreviations(void **state)
{
	struct nsl_settings s;
	nsl_settings_init(&s);

	assert_string_equal(set(&s, "q=mx"), "");
	assert_int_equal(s.qtype, DNS_T_MX);
	assert_false(s.default_lookups);
	assert_string_equal(set(&s, "QueryType=txt"), "");
	assert_int_equal(s.qtype, DNS_T_TXT);
	assert_string_equal(s.type_text, "txt");
	assert_string_equal(set(&s, "type=bogus"), "unknown query type: bogus\n");
	assert_int_equal(s.qtype, DNS_T_TXT);
	assert_string_equal(set(&s, "deb"), "");
	assert_true(s.debug);
	assert_string_equal(set(&s, "debugx"), "*** Invalid option: debugx\n");
	assert_string_equal(set(&s, "nodeb"), "");
	assert_false(s.debug);
	assert_string_equal(set(&s, "nod"), "*** Invalid option: nod\n");
	assert_string_equal(set(&s, "po=5300"), "");
	assert_int_equal(s.port, 5300);
	assert_string_equal(set(&s, "port=70000"), "invalid port '70000': out of range\n");
	assert_string_equal(set(&s, "port=+1"), "invalid port '+1': not a valid number\n");
	assert_string_equal(set(&s, "t=2"), "");
	assert_int_equal(s.timeout, 2);
	assert_string_equal(set(&s, "ret=0"), "");
	assert_int_equal(s.tries, 0);
	assert_string_equal(set(&s, "retry=x"), "invalid tries 'x': not a valid number\n");
	assert_string_equal(set(&s, "ndots=129"), "invalid ndots '129': out of range\n");
	assert_string_equal(set(&s, "class=chaos"), "");
	assert_int_equal(s.qclass, DNS_C_CH);
	assert_string_equal(set(&s, "cl=XX"), "unknown query class: XX\n");
	assert_string_equal(set(&s, "vc"), "");
	assert_true(s.vc);
	assert_string_equal(set(&s, "norec"), "");
	assert_false(s.recurse);
	assert_string_equal(set(&s, "leg"), "");
	assert_true(s.legacy);
	assert_string_equal(set(&s, "nolegacy"), "");
	assert_false(s.legacy);
}

static void test_set_all(void **state)
{
	struct nsl_settings s;
	char err[300];

	nsl_settings_init(&s);
	assert_int_equal(nsl_set_server(&s, "127.0.0.1", err, sizeof(err)), 0);
	set(&s, "domain=example.test");
	set(&s, "type=mx");
	assert_string_equal(set(&s, "all"), "Default server: 127.0.0.1\n"
					    "Address: 127.0.0.1#53\n"
					    "\nSet options:\n"
					    "  novc\t\t\tnodebug\t\tnod2\n"
					    "  search\t\trecurse\n"
					    "  timeout = 0\t\tretry = 3\tport = 53\tndots = 1\n"
					    "  querytype = mx      \tclass = IN\n"
					    "  srchlist = example.test\n");
	assert_int_equal(nsl_set_server(&s, "::1", err, sizeof(err)), 0);
	assert_string_equal(s.servers[0].addr, "::1");
	assert_int_equal(s.nservers, 1);
}

static void test_reverse_names(void **state)
{
	char b[DNAME_TEXT_MAX];
	assert_int_equal(nsl_reverse_name("192.0.2.1", b, sizeof(b)), 0);
	assert_string_equal(b, "1.2.0.192.in-addr.arpa.");
	assert_int_equal(nsl_reverse_name("2001:db8::1", b, sizeof(b)), 0);
	assert_string_equal(
	    b, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(nsl_reverse_name("192.0.2", b, sizeof(b)), -1);
	assert_int_equal(nsl_reverse_name("example.test", b, sizeof(b)), -1);
	assert_int_equal(nsl_reverse_name("192.0.2.1", b, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mx_authoritative),
	    cmocka_unit_test(test_mx_non_authoritative),
	    cmocka_unit_test(test_default_lookup_follows_cname),
	    cmocka_unit_test(test_default_lookup_no_answer),
	    cmocka_unit_test(test_aaaa_half_has_no_header),
	    cmocka_unit_test(test_nxdomain),
	    cmocka_unit_test(test_nodata_non_authoritative_shows_soa),
	    cmocka_unit_test(test_txt_escapes),
	    cmocka_unit_test(test_ptr_default_has_no_header),
	    cmocka_unit_test(test_types_past_41_and_root),
	    cmocka_unit_test(test_debug_sections),
	    cmocka_unit_test(test_legacy_mx),
	    cmocka_unit_test(test_legacy_soa_and_errors),
	    cmocka_unit_test(test_legacy_host),
	    cmocka_unit_test(test_legacy_time),
	    cmocka_unit_test(test_options_and_abbreviations),
	    cmocka_unit_test(test_set_all),
	    cmocka_unit_test(test_reverse_names),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(outbuf);
	return rc;
}
