/* Unit tests for src/dns/zonefile.c, zonelex.c and rdata_parse.c: every
 * syntax feature of master files, and every error, with its line. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dns/rdata_parse.h"
#include "dns/zonefile.h"

#define MAXREC 64

struct rec {
	char owner[DNAME_TEXT_MAX];
	char file[256];
	uint16_t type, rclass;
	uint32_t ttl;
	unsigned line;
	char data[2048];
	uint16_t rdlen;
	uint8_t rdata[1024];
};

static struct rec recs[MAXREC];
static int nrec;
static char warnings[4096];
static int stop_at; /* the callback refuses record number stop_at (1-based) */

static int collect(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
		   struct zonefile_error *err)
{
	struct rec *r;
	(void)arg;
	if (stop_at && nrec + 1 == stop_at) {
		snprintf(err->msg, sizeof(err->msg), "refused by the callback");
		return -1;
	}
	assert_true(nrec < MAXREC);
	r = &recs[nrec++];
	assert_true(dname_to_text(rr->owner, r->owner, sizeof(r->owner)) > 0);
	snprintf(r->file, sizeof(r->file), "%s", pos->file);
	r->type = rr->type;
	r->rclass = rr->rclass;
	r->ttl = rr->ttl;
	r->line = pos->line;
	r->rdlen = rr->rdlen;
	if (rr->rdlen <= sizeof(r->rdata))
		memcpy(r->rdata, rr->rdata, rr->rdlen);
	assert_true(rdata_to_text(rr->type, rr->rdata, rr->rdlen, r->data, sizeof(r->data)) >= 0);
	return 0;
}

static void warned(void *arg, const struct zonefile_pos *pos, const char *msg)
{
	size_t n = strlen(warnings);
	(void)arg;
	snprintf(warnings + n, sizeof(warnings) - n, "%s:%u: %s\n", pos->file, pos->line, msg);
}

static const uint8_t *origin(void)
{
	static uint8_t o[DNAME_MAX];
	assert_true(dname_from_text(o, "example.test.", 13, NULL) > 0);
	return o;
}

static struct zonefile_opts opts = {warned, NULL, 0};

/* Parses text as "t.zone" with origin example.test.; returns 0 or -1. */
static int parse(const char *text, struct zonefile_error *err)
{
	nrec = 0;
	warnings[0] = '\0';
	return zonefile_parse_text_opts(text, strlen(text), "t.zone", origin(), &opts, collect,
					NULL, err);
}

/* Parses text expecting success with exactly n records. */
static void parse_ok(const char *text, int n)
{
	struct zonefile_error err;
	int r = parse(text, &err);
	if (r != 0)
		fail_msg("unexpected error: %s:%u: %s", err.file, err.line, err.msg);
	assert_int_equal(nrec, n);
}

/* Parses text expecting an error at line whose message contains what. */
static void parse_err(const char *text, unsigned line, const char *what)
{
	struct zonefile_error err;
	int r = parse(text, &err);
	if (r == 0)
		fail_msg("expected an error containing '%s' for: %s", what, text);
	if (strstr(err.msg, what) == NULL || err.line != line)
		fail_msg("got %s:%u: %s, expected line %u with '%s'", err.file, err.line, err.msg,
			 line, what);
	assert_string_equal(err.file, "t.zone");
}

#define SOA "@ 3600 IN SOA ns1 hostmaster 1 2h 30m 2w 5m\n"

static void test_basic_records(void **state)
{
	parse_ok("$TTL 300\n" SOA "  IN NS ns1\n"
		 "ns1 IN A 192.0.2.1\n"
		 "www.example.test. IN AAAA 2001:db8::1\n"
		 "@ MX 10 mx1\n",
		 5);
	assert_string_equal(recs[0].owner, "example.test.");
	assert_int_equal(recs[0].type, DNS_T_SOA);
	assert_int_equal(recs[0].ttl, 3600);
	assert_string_equal(recs[0].data,
			    "ns1.example.test. hostmaster.example.test. 1 7200 1800 1209600 300");
	assert_int_equal(recs[0].line, 2);
	assert_string_equal(recs[1].owner, "example.test."); /* omitted owner */
	assert_int_equal(recs[1].ttl, 300);
	assert_string_equal(recs[1].data, "ns1.example.test.");
	assert_string_equal(recs[2].owner, "ns1.example.test.");
	assert_string_equal(recs[2].data, "192.0.2.1");
	assert_int_equal(recs[2].rclass, DNS_C_IN);
	assert_string_equal(recs[3].owner, "www.example.test.");
	assert_string_equal(recs[3].data, "2001:db8::1");
	assert_string_equal(recs[4].data, "10 mx1.example.test.");
	assert_int_equal(recs[4].line, 6);
	assert_string_equal(warnings, "");
}

static void test_origin_directive(void **state)
{
	parse_ok("$TTL 1h\n$ORIGIN other.test.\nwww A 192.0.2.1\n$ORIGIN sub\nx A 192.0.2.2\n"
		 "$origin .\ny.z A 192.0.2.3\n@ NS a\n",
		 4);
	assert_string_equal(recs[0].owner, "www.other.test.");
	assert_string_equal(recs[1].owner, "x.sub.other.test."); /* relative $ORIGIN */
	assert_string_equal(recs[2].owner, "y.z.");
	assert_string_equal(recs[3].owner, ".");
	assert_string_equal(recs[3].data, "a.");
}

static void test_ttl_and_class_order(void **state)
{
	parse_ok("$TTL 1h\n"
		 "a 60 IN A 192.0.2.1\n"
		 "b IN 60 A 192.0.2.1\n"
		 "c IN A 192.0.2.1\n"
		 "d 1h30m A 192.0.2.1\n"
		 "e 2W IN A 192.0.2.1\n"
		 "f CLASS1 TYPE1 192.0.2.1\n"
		 "g 1d2h3m4s A 192.0.2.1\n",
		 7);
	assert_int_equal(recs[0].ttl, 60);
	assert_int_equal(recs[1].ttl, 60);
	assert_int_equal(recs[2].ttl, 3600);
	assert_int_equal(recs[3].ttl, 5400);
	assert_int_equal(recs[4].ttl, 1209600);
	assert_int_equal(recs[5].type, DNS_T_A);
	assert_int_equal(recs[5].rclass, DNS_C_IN);
	assert_int_equal(recs[6].ttl, 86400 + 7200 + 180 + 4);
}

static void test_other_class_passed_on(void **state)
{
	/* The parser reports the class; the zone loader refuses it. */
	parse_ok("$TTL 1h\na CH A 192.0.2.1\nb CLASS7 TYPE1 \\# 4 C0000201\n", 2);
	assert_int_equal(recs[0].rclass, DNS_C_CH);
	assert_int_equal(recs[1].rclass, 7);
}

static void test_parentheses_and_comments(void **state)
{
	parse_ok("$TTL 1h ; default\n"
		 "@ IN SOA ns1 hostmaster ( ; comment inside\n"
		 "   2026112601 ; serial\n"
		 "   2h ; refresh\n"
		 "   30m 2w\n"
		 "   5m ) ; after\n"
		 "; a whole-line comment\n"
		 "\n"
		 "   \t \n"
		 "txt IN TXT ( \"a\" ( \"b\" ) \"c\" )\n"
		 "next IN A 192.0.2.1\n",
		 3);
	assert_string_equal(recs[0].data, "ns1.example.test. hostmaster.example.test. 2026112601 "
					  "7200 1800 1209600 300");
	assert_int_equal(recs[0].line, 2);
	assert_string_equal(recs[1].data, "\"a\" \"b\" \"c\""); /* nested, as BIND allows */
	assert_int_equal(recs[1].line, 10);
	assert_int_equal(recs[2].line, 11);
}

static void test_strings(void **state)
{
	parse_ok("$TTL 1h\n"
		 "a TXT \"v=spf1 mx -all\"\n"
		 "b TXT \"one\" \"two\" three\n"
		 "c TXT \"quote \\\" and backslash \\\\ and \\065\\066 and ; and ( )\"\n"
		 "d TXT \"\"\n"
		 "e TXT unquoted\\ word\\;x\n"
		 "f TXT \"\\255\\000\"\n",
		 6);
	assert_string_equal(recs[0].data, "\"v=spf1 mx -all\"");
	assert_string_equal(recs[1].data, "\"one\" \"two\" \"three\"");
	assert_string_equal(recs[2].data, "\"quote \\\" and backslash \\\\ and AB and ; and ( )\"");
	assert_int_equal(recs[3].rdlen, 1);
	assert_int_equal(recs[3].rdata[0], 0);
	assert_string_equal(recs[4].data, "\"unquoted word;x\"");
	assert_int_equal(recs[5].rdlen, 3);
	assert_int_equal(recs[5].rdata[1], 255);
	assert_int_equal(recs[5].rdata[2], 0);
}

static void test_long_string(void **state)
{
	char text[1200], s[300];
	memset(s, 'x', 255);
	s[255] = '\0';
	snprintf(text, sizeof(text), "$TTL 1h\na TXT \"%s\" %s\n", s, s);
	parse_ok(text, 1);
	assert_int_equal(recs[0].rdlen, 512);
	snprintf(text, sizeof(text), "$TTL 1h\na TXT \"%sx\"\n", s);
	parse_err(text, 2, "longer than 255 characters");
}

static void test_types(void **state)
{
	parse_ok("$TTL 1h\n"
		 "@ MX 0 .\n"
		 "www CNAME @\n"
		 "1.2 PTR host.example.test.\n"
		 "_sip._tcp SRV 10 20 5060 sip\n"
		 "@ CAA 0 issue \"letsencrypt.org\"\n"
		 "@ CAA 128 iodef mailto:security@example.test\n"
		 "h HINFO \"x86 PC\" Linux\n"
		 "x TYPE65280 \\# 4 0A000001\n"
		 "y A \\# 4 C0 00 02 01\n"
		 "z TYPE999 \\# 0\n"
		 "m MX \\# 003 0001 00\n"
		 "r RP mbox txt\n"
		 "s SPF \"v=spf1 -all\"\n"
		 "d DNAME other.test.\n"
		 "n NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:x@example.test!\" .\n",
		 15);
	assert_string_equal(recs[0].data, "0 .");
	assert_int_equal(recs[0].rdlen, 3);
	assert_string_equal(recs[1].data, "example.test.");
	assert_string_equal(recs[2].owner, "1.2.example.test.");
	assert_string_equal(recs[2].data, "host.example.test.");
	assert_string_equal(recs[3].data, "10 20 5060 sip.example.test.");
	assert_string_equal(recs[4].data, "0 issue \"letsencrypt.org\"");
	assert_string_equal(recs[5].data, "128 iodef \"mailto:security@example.test\"");
	assert_string_equal(recs[6].data, "\"x86 PC\" \"Linux\"");
	assert_int_equal(recs[7].type, 65280);
	assert_string_equal(recs[7].data, "\\# 4 0A000001");
	assert_string_equal(recs[8].data, "192.0.2.1");
	assert_int_equal(recs[9].rdlen, 0);
	assert_string_equal(recs[10].data, "1 .");
	assert_string_equal(recs[11].data, "mbox.example.test. txt.example.test.");
	assert_int_equal(recs[12].type, DNS_T_SPF);
	assert_string_equal(recs[13].data, "other.test.");
	assert_int_equal(recs[14].type, DNS_T_NAPTR);
}

static void test_keyish_types(void **state)
{
	/* Types kept opaque, read from their usual text form. */
	parse_ok("$TTL 1h\n"
		 "_25._tcp.mx1 TLSA 3 1 1 ( AABB\n cc dd )\n"
		 "@ DS 12345 8 3 0102 0304\n"
		 "h SSHFP 4 3 0A0B\n"
		 "@ DNSKEY 256 3 8 AwEA AQ==\n"
		 "@ DNSKEY 257 3 RSASHA256 AwEAAQ==\n" /* a mnemonic (RFC 4034 5.3) */
		 "x CDS 0 0 0 00\n",
		 6);
	assert_int_equal(recs[0].type, 52);
	assert_string_equal(recs[0].data, "\\# 7 030101AABBCCDD");
	assert_string_equal(recs[1].data, "\\# 8 3039080301020304");
	assert_string_equal(recs[2].data, "\\# 4 04030A0B");
	assert_string_equal(recs[3].data, "\\# 8 0100030803010001");
	assert_string_equal(recs[4].data, "\\# 8 0101030803010001");
	assert_string_equal(recs[5].data, "\\# 5 0000000000");
	parse_err("$TTL 1h\na TLSA 3 1 1\n", 2, "record is missing its TLSA data");
	parse_err("$TTL 1h\na TLSA 3 1 1 ABC\n", 2, "odd number of hex digits");
	parse_err("$TTL 1h\na TLSA 3 1 1 ABCG\n", 2, "'G' is not a hex digit");
	parse_err("$TTL 1h\na TLSA 3 1\n", 2, "TLSA record is missing its matching type");
	parse_err("$TTL 1h\na DS 70000 8 2 00\n", 2, "bad DS key tag '70000'");
	parse_err("$TTL 1h\na DS 1 8 2 0102\n", 2, "DS digest has 2 octets; digest type 2 has 32");
	parse_err("$TTL 1h\na SSHFP 4 1 0102\n", 2, "digest type 1 has 20");
	parse_err("$TTL 1h\na DNSKEY 256 3 8 AwE*\n", 2, "'*' is not a base64 digit");
	parse_err("$TTL 1h\na DNSKEY 256 3 8 AwEAA\n", 2, "truncated base64");
	parse_err("$TTL 1h\na DNSKEY 256 3 8 AQ==AQ\n", 2, "not a base64 digit");
	parse_err("$TTL 1h\na DNSKEY 256 3 8 AwEAAQ\n", 2, "not padded to a multiple of 4");
	parse_err("$TTL 1h\na DNSKEY 256 3 NOSUCHALG AwEAAQ==\n", 2, "bad DNSKEY algorithm");
	parse_err("$TTL 1h\na NSEC next A\n", 2, "NSEC data can only be written in the generic");
}

static void test_names(void **state)
{
	parse_ok("$TTL 1h\n"
		 "a\\.b A 192.0.2.1\n"
		 "\\065x A 192.0.2.1\n"
		 "* A 192.0.2.1\n"
		 "a\\ b A 192.0.2.1\n"
		 "UPPER.Example.TEST. A 192.0.2.1\n",
		 5);
	assert_string_equal(recs[0].owner, "a\\.b.example.test.");
	assert_string_equal(recs[1].owner, "Ax.example.test.");
	assert_string_equal(recs[2].owner, "*.example.test.");
	assert_string_equal(recs[3].owner, "a\\032b.example.test.");
	assert_string_equal(recs[4].owner, "UPPER.Example.TEST.");
}

static void test_crlf(void **state)
{
	parse_ok("$TTL 1h\r\n@ SOA ns1 hm ( 1\r\n 2 3 4 5 )\r\n  NS ns1\r\nx TXT \"a\"\r\n", 3);
	assert_string_equal(recs[1].owner, "example.test.");
	assert_int_equal(recs[2].line, 5);
}

static void test_default_ttl_from_soa(void **state)
{
	/* BIND: no $TTL and no TTL on the SOA: its MINIMUM, with a warning. */
	parse_ok("@ IN SOA ns1 hostmaster 1 2h 30m 2w 5m\n  NS ns1\nx A 192.0.2.1\n", 3);
	assert_int_equal(recs[0].ttl, 300);
	assert_int_equal(recs[1].ttl, 300);
	assert_int_equal(recs[2].ttl, 300);
	assert_non_null(
	    strstr(warnings, "t.zone:1: no TTL and no $TTL: using the SOA's minimum (300)"));
}

static void test_rfc1035_ttl(void **state)
{
	/* No $TTL: a record without TTL takes the last one given. */
	parse_ok("@ 60 IN SOA ns1 hm 1 2 3 4 5\n  NS ns1\nx 30 A 192.0.2.1\ny A 192.0.2.2\n", 4);
	assert_int_equal(recs[1].ttl, 60);
	assert_int_equal(recs[2].ttl, 30);
	assert_int_equal(recs[3].ttl, 30);
	assert_non_null(strstr(warnings, "t.zone:2: no $TTL: using the TTL of the record before"));
	/* With $TTL, a record without TTL takes $TTL, not the last one. */
	parse_ok("$TTL 100\na 5 A 192.0.2.1\nb A 192.0.2.1\n", 2);
	assert_int_equal(recs[1].ttl, 100);
	assert_string_equal(warnings, "");
}

static void test_ttl_over_max(void **state)
{
	parse_ok("$TTL 4294967295\na A 192.0.2.1\nb 2147483648 A 192.0.2.1\nc 2147483647 A "
		 "192.0.2.1\n",
		 3);
	assert_int_equal(recs[0].ttl, 0);
	assert_int_equal(recs[1].ttl, 0);
	assert_int_equal(recs[2].ttl, 2147483647);
	assert_non_null(strstr(warnings, "t.zone:1: $TTL 4294967295 is over the maximum"));
	assert_non_null(strstr(warnings, "t.zone:3: TTL 2147483648 is over the maximum"));
}

static void test_no_ttl(void **state)
{
	parse_err("a A 192.0.2.1\n", 1, "no TTL");
}

static void test_syntax_errors(void **state)
{
	parse_err("$TTL 1h\nwww IN MXX 10 mx\n", 2, "unknown type 'MXX'");
	parse_err("$TTL 1h\nwww 1x IN A 192.0.2.1\n", 2, "bad TTL '1x'");
	parse_err("$TTL 1h\nwww 60 60 A 192.0.2.1\n", 2, "two TTLs");
	parse_err("$TTL 1h\nwww IN IN A 192.0.2.1\n", 2, "two classes");
	parse_err("$TTL 1h\nwww IN 60\n", 2, "record has no type");
	parse_err("$TTL 1h\nwww\n", 2, "record has no type");
	parse_err("$TTL 1h\nwww ANY 192.0.2.1\n", 2, "only exists in queries");
	parse_err("$TTL 1h\nwww AXFR\n", 2, "only exists in queries");
	parse_err("$TTL 1h\nwww OPT \\# 0\n", 2, "only exists in queries");
	parse_err(" A 192.0.2.1\n", 1, "no owner name");
	parse_err("$TTL 1h\n\"www\" A 192.0.2.1\n", 2, "owner name must not be quoted");
	parse_err("$TTL abc\n", 1, "bad $TTL 'abc'");
	parse_err("$TTL\n", 1, "$TTL needs a value");
	parse_err("$TTL 1 2\n", 1, "extra text after $TTL");
	parse_err("$ORIGIN\n", 1, "$ORIGIN needs a domain name");
	parse_err("$ORIGIN a..b.\n", 1, "empty label");
	parse_err("$FOO bar\n", 1, "unknown directive '$FOO'");
	parse_err("$GENERATE 1-10 a$ A 10.0.0.$\n", 1, "$GENERATE");
}

static void test_name_errors(void **state)
{
	char text[600], label[70];
	parse_err("$TTL 1h\na..b A 192.0.2.1\n", 2, "empty label");
	parse_err("$TTL 1h\n.a A 192.0.2.1\n", 2, "empty label");
	memset(label, 'x', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text), "$TTL 1h\n%s A 192.0.2.1\n", label);
	parse_err(text, 2, "label longer than 63 characters");
	label[63] = '\0';
	snprintf(text, sizeof(text), "$TTL 1h\n%s.%s.%s.%s A 192.0.2.1\n", label, label, label,
		 label);
	parse_err(text, 2, "name longer than 255 octets");
	parse_err("$TTL 1h\na\\25 A 192.0.2.1\n", 2, "bad \\DDD escape");
	parse_err("$TTL 1h\na\\256 A 192.0.2.1\n", 2, "bad \\DDD escape");
	parse_err("$TTL 1h\n@ MX 10 a..b\n", 2, "bad MX exchange 'a..b': empty label");
	parse_err("$TTL 1h\n@ MX 10 \"mx\"\n", 2, "MX exchange must be a domain name");
}

static void test_lexer_errors(void **state)
{
	parse_err("$TTL 1h\na TXT \"abc\nb A 192.0.2.1\n", 2, "missing closing quote");
	parse_err("$TTL 1h\na TXT \"abc", 2, "missing closing quote");
	parse_err("$TTL 1h\na TXT ( \"abc\"\n\nb A 192.0.2.1\n", 5,
		  "'(' on line 2 is never closed");
	parse_err("$TTL 1h\na TXT \"abc\" )\n", 2, "')' without an opening '('");
	parse_err("$TTL 1h\na TXT abc\\", 2, "backslash at the end of a line");
	parse_err("$TTL 1h\na TXT abc\\\nb A 192.0.2.1\n", 2, "backslash at the end of a line");
	{
		static const char nul[] = "$TTL 1h\na TXT ab\0c\n";
		struct zonefile_error err;
		nrec = 0;
		assert_int_equal(zonefile_parse_text_opts(nul, sizeof(nul) - 1, "t.zone", origin(),
							  &opts, collect, NULL, &err),
				 -1);
		assert_int_equal(err.line, 2);
		assert_non_null(strstr(err.msg, "NUL"));
	}
}

static void test_rdata_errors(void **state)
{
	parse_err("$TTL 1h\na A 192.0.2\n", 2, "bad IPv4 address '192.0.2'");
	parse_err("$TTL 1h\na A 192.0.2.256\n", 2, "bad IPv4 address");
	parse_err("$TTL 1h\na A \"192.0.2.1\"\n", 2, "bad IPv4 address");
	parse_err("$TTL 1h\na AAAA 2001:db8::g\n", 2, "bad IPv6 address");
	parse_err("$TTL 1h\na A 192.0.2.1 5\n", 2, "extra text after the A record's data: '5'");
	parse_err("$TTL 1h\na MX 70000 mx\n", 2, "bad MX preference '70000'");
	parse_err("$TTL 1h\na MX -1 mx\n", 2, "bad MX preference '-1'");
	parse_err("$TTL 1h\na MX 10\n", 2, "MX record is missing its exchange");
	parse_err("$TTL 1h\na MX\n", 2, "MX record is missing its preference");
	parse_err("$TTL 1h\na SRV 1 2 mx\n", 2, "bad SRV port 'mx'");
	parse_err("$TTL 1h\na SRV 1 2 3\n", 2, "SRV record is missing its target");
	parse_err("$TTL 1h\na HINFO \"x86\"\n", 2, "HINFO record is missing its OS");
	parse_err("$TTL 1h\na TXT\n", 2, "TXT record is missing its text");
	parse_err("$TTL 1h\na TXT \"bad \\2x\"\n", 2, "bad escape in TXT string");
	parse_err("$TTL 1h\na CAA 0 iss-ue \"x\"\n", 2, "letters and digits only");
	parse_err("$TTL 1h\na CAA 256 issue \"x\"\n", 2, "bad CAA flags '256'");
	parse_err("$TTL 1h\na CAA 0 \"issue\" \"x\"\n", 2, "CAA tag must not be quoted");
	parse_err("$TTL 1h\na CAA 0 issue\n", 2, "CAA record is missing its value");
	parse_err("$TTL 1h\n@ SOA ns1 hm 1 2 3 4\n", 2, "SOA record is missing its minimum");
	parse_err("$TTL 1h\n@ SOA ns1 hm 1x 2 3 4 5\n", 2, "bad SOA serial '1x'");
	parse_err("$TTL 1h\n@ SOA ns1 hm 1 2 3 4 5x\n", 2, "bad SOA minimum '5x'");
	/* The line of the word at fault, inside a multi-line record. */
	parse_err("$TTL 1h\n@ SOA ns1 hm (\n 1\n 2\n bad\n 4 5 )\n", 5, "bad SOA retry 'bad'");
}

static void test_generic_errors(void **state)
{
	parse_err("$TTL 1h\na TYPE65280 0A000001\n", 2, "generic form \\# LENGTH HEX");
	parse_err("$TTL 1h\na RRSIG A 8 2 3600 x\n", 2,
		  "RRSIG data can only be written in the generic");
	parse_err("$TTL 1h\na TYPE65280 \\#\n", 2, "\\# needs the data's length");
	parse_err("$TTL 1h\na TYPE65280 \\# x\n", 2, "bad length 'x'");
	parse_err("$TTL 1h\na TYPE65280 \\# 4 0A0000\n", 2, "3 octets, 4 announced");
	parse_err("$TTL 1h\na TYPE65280 \\# 2 0A0000\n", 2, "longer than the 2 octets");
	parse_err("$TTL 1h\na TYPE65280 \\# 2 0A0\n", 2, "odd number of hex digits");
	parse_err("$TTL 1h\na TYPE65280 \\# 2 0A0Z\n", 2, "bad hex digit 'Z'");
	parse_err("$TTL 1h\na TYPE65280 \\# 1 \"00\"\n", 2, "not a quoted string");
	parse_err("$TTL 1h\na A \\# 3 0A0000\n", 2, "not valid A data");
	parse_err("$TTL 1h\na MX \\# 3 000A05\n", 2, "not valid MX data");
	parse_err("$TTL 1h\na TXT \\# 0\n", 2, "not valid TXT data");
	parse_err("$TTL 1h\na TYPE99 \\# 0\n", 2, "not valid SPF data");
}

static void test_callback_stops(void **state)
{
	struct zonefile_error err;
	stop_at = 2;
	assert_int_equal(parse("$TTL 1h\na A 192.0.2.1\nb A 192.0.2.2\nc A 192.0.2.3\n", &err), -1);
	stop_at = 0;
	assert_int_equal(nrec, 1);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.msg, "refused by the callback");
}

/* ---- $INCLUDE, with files in a temporary folder ---- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int parse_path(const char *name, struct zonefile_error *err)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	nrec = 0;
	warnings[0] = '\0';
	return zonefile_parse_opts(path, origin(), &opts, collect, NULL, err);
}

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mxhost-zonefile-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static void test_include(void **state)
{
	struct zonefile_error err;
	write_file("main.zone", "$TTL 1h\n"
				"@ SOA ns1 hm 1 2 3 4 5\n"
				"$INCLUDE hosts.inc\n"
				"  NS ns1 ; owner is still @, not the last in hosts.inc\n"
				"$INCLUDE \"sub.inc\" sub\n"
				"after A 192.0.2.9\n");
	write_file("hosts.inc", "ns1 A 192.0.2.1\n  AAAA 2001:db8::1\n$ORIGIN elsewhere.test.\n"
				"x A 192.0.2.2\n");
	write_file("sub.inc", "@ A 192.0.2.3\nwww CNAME @\n");
	assert_int_equal(parse_path("main.zone", &err), 0);
	assert_int_equal(nrec, 8);
	assert_string_equal(recs[1].owner, "ns1.example.test.");
	assert_non_null(strstr(recs[1].file, "/hosts.inc"));
	assert_int_equal(recs[1].line, 1);
	assert_string_equal(recs[2].owner, "ns1.example.test.");
	assert_string_equal(recs[3].owner, "x.elsewhere.test.");
	assert_string_equal(recs[4].owner, "example.test.");
	assert_int_equal(recs[4].type, DNS_T_NS);
	assert_non_null(strstr(recs[4].file, "/main.zone"));
	assert_int_equal(recs[4].line, 4);
	assert_string_equal(recs[5].owner, "sub.example.test.");
	assert_string_equal(recs[6].data, "sub.example.test.");
	/* The included $ORIGIN did not leak back. */
	assert_string_equal(recs[7].owner, "after.example.test.");
}

static void test_include_errors(void **state)
{
	struct zonefile_error err;
	write_file("loop.zone", "$TTL 1h\n$INCLUDE loop2.inc\n");
	write_file("loop2.inc", "a A 192.0.2.1\n$INCLUDE loop.zone\n");
	assert_int_equal(parse_path("loop.zone", &err), -1);
	assert_non_null(strstr(err.msg, "$INCLUDE loop"));
	assert_non_null(strstr(err.file, "loop2.inc"));
	assert_int_equal(err.line, 2);

	write_file("missing.zone", "$TTL 1h\n\n$INCLUDE nope.inc\n");
	assert_int_equal(parse_path("missing.zone", &err), -1);
	assert_non_null(strstr(err.msg, "cannot read $INCLUDE file"));
	assert_non_null(strstr(err.msg, "No such file"));
	assert_int_equal(err.line, 3);

	write_file("bad.zone", "$TTL 1h\n$INCLUDE bad.inc\n");
	write_file("bad.inc", "\n\nx A 1.2.3\n");
	assert_int_equal(parse_path("bad.zone", &err), -1);
	assert_non_null(strstr(err.file, "bad.inc"));
	assert_int_equal(err.line, 3);

	write_file("extra.zone", "$INCLUDE a b c\n");
	assert_int_equal(parse_path("extra.zone", &err), -1);
	assert_non_null(strstr(err.msg, "extra text after $INCLUDE"));

	assert_int_equal(parse_path("nothere.zone", &err), -1);
	assert_non_null(strstr(err.msg, "cannot read"));
	assert_int_equal(parse_path("", &err), -1); /* the folder itself */
	assert_non_null(strstr(err.msg, "Is a directory"));
}

static void test_include_depth(void **state)
{
	struct zonefile_error err;
	char name[32], text[64];
	/* d0 includes d1 ... d19: distinct files, too deep. */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "d%d.zone", i);
		snprintf(text, sizeof(text), "$INCLUDE d%d.zone\n", i + 1);
		write_file(name, text);
	}
	write_file("d20.zone", "$TTL 1h\n");
	assert_int_equal(parse_path("d0.zone", &err), -1);
	assert_non_null(strstr(err.msg, "nested more than 16 deep"));
	/* Ten levels are fine. */
	write_file("d10.zone", "$TTL 1h\na A 192.0.2.1\n");
	assert_int_equal(parse_path("d0.zone", &err), 0);
	assert_int_equal(nrec, 1);
}

static void test_include_disabled(void **state)
{
	struct zonefile_opts no = {warned, NULL, 1};
	struct zonefile_error err;
	const char *t = "$INCLUDE /etc/passwd\n";
	assert_int_equal(
	    zonefile_parse_text_opts(t, strlen(t), "t.zone", origin(), &no, collect, NULL, &err),
	    -1);
	assert_non_null(strstr(err.msg, "$INCLUDE is not allowed"));
}

static void test_rdata_parse_direct(void **state)
{
	struct rdata_token t[2] = {{"10", 2, 0}, {"mx", 2, 0}};
	uint8_t out[64];
	char err[128];
	size_t et;
	assert_int_equal(
	    rdata_parse(DNS_T_MX, t, 2, origin(), out, sizeof(out), err, sizeof(err), &et),
	    2 + 3 + 14);
	/* Too small an output buffer is an error, not an overflow. */
	assert_int_equal(rdata_parse(DNS_T_MX, t, 2, origin(), out, 10, err, sizeof(err), &et), -1);
	assert_int_equal(et, 1);
	assert_int_equal(rdata_parse_string("a\\\"\\255", 7, out, sizeof(out)), 3);
	assert_int_equal(rdata_parse_string("a\\", 2, out, sizeof(out)), -1);
	assert_int_equal(rdata_parse_string("abc", 3, out, 2), -1);
	assert_int_equal(rdata_parse_string("abc", 3, NULL, 0), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_records),
	    cmocka_unit_test(test_origin_directive),
	    cmocka_unit_test(test_ttl_and_class_order),
	    cmocka_unit_test(test_other_class_passed_on),
	    cmocka_unit_test(test_parentheses_and_comments),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_long_string),
	    cmocka_unit_test(test_types),
	    cmocka_unit_test(test_keyish_types),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_default_ttl_from_soa),
	    cmocka_unit_test(test_rfc1035_ttl),
	    cmocka_unit_test(test_ttl_over_max),
	    cmocka_unit_test(test_no_ttl),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_name_errors),
	    cmocka_unit_test(test_lexer_errors),
	    cmocka_unit_test(test_rdata_errors),
	    cmocka_unit_test(test_generic_errors),
	    cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_include_errors),
	    cmocka_unit_test(test_include_depth),
	    cmocka_unit_test(test_include_disabled),
	    cmocka_unit_test(test_rdata_parse_direct),
	};
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
