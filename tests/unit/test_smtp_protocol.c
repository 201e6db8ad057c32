/* Unit tests for src/smtp/protocol: commands, addresses, replies, and the
 * DATA/BDAT/content state machines fed in every split. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "smtp/protocol.h"

static struct smtp_cmd cmd;

static enum smtp_perr parse(const char *line, unsigned state)
{
	return smtp_cmd_parse(line, strlen(line), state, 0, 1000, &cmd);
}

static enum smtp_perr parse_flags(const char *line, unsigned state, unsigned flags)
{
	return smtp_cmd_parse(line, strlen(line), state, flags, 1000, &cmd);
}

static void test_verbs(void **state)
{
	assert_int_equal(parse("EHLO client.example", SMTP_ST_INIT), SMTP_P_OK);
	assert_int_equal(cmd.verb, SMTP_EHLO);
	assert_int_equal(cmd.arglen, strlen("client.example"));
	assert_memory_equal(cmd.arg, "client.example", cmd.arglen);
	assert_int_equal(parse("ehlo   x  ", SMTP_ST_INIT), SMTP_P_OK);
	assert_int_equal(cmd.arglen, 1);
	assert_int_equal(parse("EHLO", SMTP_ST_INIT), SMTP_P_SYNTAX);
	assert_int_equal(parse("HELO ", SMTP_ST_INIT), SMTP_P_SYNTAX);
	assert_int_equal(parse("NOOP", SMTP_ST_INIT), SMTP_P_OK);
	assert_int_equal(parse("noop anything", SMTP_ST_RCPT), SMTP_P_OK);
	assert_int_equal(parse("RSET", SMTP_ST_RCPT), SMTP_P_OK);
	assert_int_equal(parse("RSET x", SMTP_ST_RCPT), SMTP_P_SYNTAX);
	assert_int_equal(parse("QUIT", SMTP_ST_INIT), SMTP_P_OK);
	assert_int_equal(cmd.verb, SMTP_QUIT);
	assert_int_equal(parse("VRFY user", SMTP_ST_INIT), SMTP_P_OK);
	assert_int_equal(parse("VRFY", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("HELP", SMTP_ST_READY), SMTP_P_OK);
	assert_int_equal(parse("DATA x", SMTP_ST_RCPT), SMTP_P_SYNTAX);
	assert_int_equal(parse("EXPN list", SMTP_ST_READY), SMTP_P_NOTIMPL);
	assert_int_equal(parse("STARTTLS", SMTP_ST_READY), SMTP_P_NOTIMPL);
	assert_int_equal(parse("FOO", SMTP_ST_READY), SMTP_P_UNKNOWN);
	assert_int_equal(parse("", SMTP_ST_READY), SMTP_P_UNKNOWN);
	assert_int_equal(parse("MAILFROM:<a@b.c>", SMTP_ST_READY), SMTP_P_UNKNOWN);
	assert_int_equal(parse("NOOP \x01", SMTP_ST_READY), SMTP_P_BADCHAR);
	assert_int_equal(smtp_cmd_parse("NOOP\0x", 6, SMTP_ST_READY, 0, 0, &cmd), SMTP_P_BADCHAR);
}

static void test_sequence(void **state)
{
	struct smtp_reply_text r;

	assert_int_equal(parse("MAIL FROM:<a@b.c>", SMTP_ST_INIT), SMTP_P_SEQUENCE);
	r = smtp_cmd_reply(SMTP_P_SEQUENCE, &cmd, SMTP_ST_INIT);
	assert_int_equal(r.code, 503);
	assert_string_equal(r.enh, "5.5.1");
	assert_string_equal(r.text, "Error: send HELO/EHLO first");
	assert_int_equal(parse("MAIL FROM:<a@b.c>", SMTP_ST_RCPT), SMTP_P_SEQUENCE);
	assert_string_equal(smtp_cmd_reply(SMTP_P_SEQUENCE, &cmd, SMTP_ST_RCPT).text,
			    "Error: nested MAIL command");
	assert_int_equal(parse("RCPT TO:<a@b.c>", SMTP_ST_READY), SMTP_P_SEQUENCE);
	assert_string_equal(smtp_cmd_reply(SMTP_P_SEQUENCE, &cmd, SMTP_ST_READY).text,
			    "Error: need MAIL command");
	assert_int_equal(parse("DATA", SMTP_ST_MAIL), SMTP_P_SEQUENCE);
	assert_string_equal(smtp_cmd_reply(SMTP_P_SEQUENCE, &cmd, SMTP_ST_MAIL).text,
			    "Error: need RCPT command");
	assert_int_equal(parse("DATA", SMTP_ST_BDAT), SMTP_P_SEQUENCE);
	assert_int_equal(parse("RCPT TO:<a@b.c>", SMTP_ST_RCPT), SMTP_P_OK);
	assert_int_equal(parse("EHLO x", SMTP_ST_RCPT), SMTP_P_OK);
	/* BDAT's size is known even when it is out of sequence */
	assert_int_equal(parse("BDAT 1234", SMTP_ST_READY), SMTP_P_SEQUENCE);
	assert_true(cmd.chunk_ok);
	assert_int_equal(cmd.chunk, 1234);
	assert_int_equal(parse("BDAT x", SMTP_ST_READY), SMTP_P_SEQUENCE);
	assert_false(cmd.chunk_ok);
	/* every error has its reply */
	for (int e = SMTP_P_OK; e <= SMTP_P_TOOBIG; e++) {
		r = smtp_cmd_reply((enum smtp_perr)e, &cmd, SMTP_ST_READY);
		assert_true(r.code >= 250 && r.code <= 555);
		assert_non_null(r.text);
	}
	r = smtp_cmd_reply(SMTP_P_UNKNOWN, &cmd, 0);
	assert_int_equal(r.code, 500);
	assert_string_equal(r.enh, "5.5.1");
	r = smtp_cmd_reply(SMTP_P_PARAM, &cmd, 0);
	assert_int_equal(r.code, 555);
	r = smtp_cmd_reply(SMTP_P_TOOBIG, &cmd, 0);
	assert_int_equal(r.code, 552);
	assert_string_equal(r.enh, "5.3.4");
}

static void test_mail(void **state)
{
	struct smtp_reply_text r;

	assert_int_equal(parse("MAIL FROM:<a@b.c>", SMTP_ST_READY), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "a@b.c");
	assert_int_equal(parse("mail from:<>", SMTP_ST_READY), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "");
	assert_int_equal(cmd.path.len, 0);
	assert_int_equal(parse("MAIL FROM: <User@Example.TEST>", SMTP_ST_READY), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "User@example.test");
	assert_int_equal(cmd.path.at, 4);
	assert_int_equal(parse("MAIL FROM:user@example.test", SMTP_ST_READY), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "user@example.test");
	assert_int_equal(parse("MAIL FROM:<a@b.c> SIZE=999 BODY=8BITMIME SMTPUTF8", SMTP_ST_READY),
			 SMTP_P_OK);
	assert_int_equal(cmd.size, 999);
	assert_int_equal(cmd.body, SMTP_BODY_8BITMIME);
	assert_true(cmd.smtputf8);
	assert_int_equal(parse("MAIL FROM:<a@b.c> body=7bit", SMTP_ST_READY), SMTP_P_OK);
	assert_int_equal(cmd.body, SMTP_BODY_7BIT);
	assert_int_equal(parse("MAIL FROM:<a@b.c> SIZE=1001", SMTP_ST_READY), SMTP_P_TOOBIG);
	assert_int_equal(parse("MAIL FROM:<a@b.c> SIZE=99999999999999999999999", SMTP_ST_READY),
			 SMTP_P_TOOBIG);
	assert_int_equal(parse("MAIL FROM:<a@b.c> SIZE=", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.c> SIZE=12x", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.c> SIZE=1 SIZE=2", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.c> BODY=BINARYMIME", SMTP_ST_READY), SMTP_P_PARAM);
	assert_int_equal(parse("MAIL FROM:<a@b.c> RET=HDRS", SMTP_ST_READY), SMTP_P_PARAM);
	assert_int_equal(parse("MAIL FROM:<a@b.c> SMTPUTF8=yes", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.c> -X", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.c>SIZE=1", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM <a@b.c>", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL TO:<a@b.c>", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.c", SMTP_ST_READY), SMTP_P_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a>", SMTP_ST_READY), SMTP_P_SENDER);
	assert_int_equal(parse("MAIL FROM:<postmaster>", SMTP_ST_READY), SMTP_P_SENDER);
	r = smtp_cmd_reply(SMTP_P_SENDER, &cmd, SMTP_ST_READY);
	assert_int_equal(r.code, 501);
	assert_string_equal(r.enh, "5.1.7");
	assert_int_equal(parse("MAIL FROM:<a@b..c>", SMTP_ST_READY), SMTP_P_SENDER);
	/* non-ASCII needs SMTPUTF8 */
	assert_int_equal(parse("MAIL FROM:<j\xc3\xb6rg@b.c>", SMTP_ST_READY), SMTP_P_UTF8);
	r = smtp_cmd_reply(SMTP_P_UTF8, &cmd, SMTP_ST_READY);
	assert_int_equal(r.code, 553);
	assert_string_equal(r.enh, "5.6.7");
	assert_int_equal(parse("MAIL FROM:<j\xc3\xb6rg@b.c> SMTPUTF8", SMTP_ST_READY), SMTP_P_OK);
	assert_true(cmd.path.utf8);
	assert_int_equal(parse("MAIL FROM:<j\xc3rg@b.c> SMTPUTF8", SMTP_ST_READY), SMTP_P_SENDER);
	/* a SYNTAX reply names the command's syntax */
	assert_int_equal(parse("MAIL FROM <a@b.c>", SMTP_ST_READY), SMTP_P_SYNTAX);
	r = smtp_cmd_reply(SMTP_P_SYNTAX, &cmd, SMTP_ST_READY);
	assert_int_equal(r.code, 501);
	assert_string_equal(r.enh, "5.5.4");
	assert_non_null(strstr(r.text, "MAIL FROM:<address>"));
}

static void test_rcpt(void **state)
{
	assert_int_equal(parse("RCPT TO:<User@EXAMPLE.test>", SMTP_ST_MAIL), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "User@example.test");
	assert_false(cmd.path.routing);
	assert_int_equal(parse("RCPT TO:<postmaster>", SMTP_ST_MAIL), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "postmaster");
	assert_int_equal(cmd.path.at, cmd.path.len);
	assert_int_equal(parse("RCPT TO:<PostMaster>", SMTP_ST_MAIL), SMTP_P_OK);
	assert_string_equal(cmd.path.addr, "postmaster");
	assert_int_equal(parse("RCPT TO:<>", SMTP_ST_MAIL), SMTP_P_RECIPIENT);
	assert_int_equal(parse("RCPT TO:<user>", SMTP_ST_MAIL), SMTP_P_RECIPIENT);
	assert_int_equal(parse("RCPT TO:<a@b.c> NOTIFY=NEVER", SMTP_ST_MAIL), SMTP_P_PARAM);
	assert_int_equal(parse("RCPT TO:<a@b.c> ORCPT=rfc822;a@b.c", SMTP_ST_MAIL), SMTP_P_PARAM);
	assert_int_equal(parse("RCPT TO:<\xe7\x94\xa8@b.c>", SMTP_ST_MAIL), SMTP_P_UTF8);
	assert_int_equal(parse_flags("RCPT TO:<\xe7\x94\xa8@b.c>", SMTP_ST_MAIL, SMTP_PF_UTF8),
			 SMTP_P_OK);
	assert_int_equal(parse("RCPT TO:", SMTP_ST_MAIL), SMTP_P_SYNTAX);
	assert_int_equal(parse("RCPT FROM:<a@b.c>", SMTP_ST_MAIL), SMTP_P_SYNTAX);
}

static void test_bdat(void **state)
{
	assert_int_equal(parse("BDAT 100", SMTP_ST_RCPT), SMTP_P_OK);
	assert_int_equal(cmd.chunk, 100);
	assert_false(cmd.last);
	assert_int_equal(parse("BDAT 0 LAST", SMTP_ST_BDAT), SMTP_P_OK);
	assert_int_equal(cmd.chunk, 0);
	assert_true(cmd.last);
	assert_int_equal(parse("bdat 5 last", SMTP_ST_RCPT), SMTP_P_OK);
	assert_true(cmd.last);
	assert_int_equal(parse("BDAT", SMTP_ST_RCPT), SMTP_P_SYNTAX);
	assert_int_equal(parse("BDAT -1", SMTP_ST_RCPT), SMTP_P_SYNTAX);
	assert_int_equal(parse("BDAT 5 FIRST", SMTP_ST_RCPT), SMTP_P_SYNTAX);
	assert_int_equal(parse("BDAT 5x", SMTP_ST_RCPT), SMTP_P_SYNTAX);
	assert_int_equal(parse("BDAT 99999999999999999999999", SMTP_ST_RCPT), SMTP_P_SYNTAX);
}

static int addr(const char *s, unsigned flags, const char *want)
{
	struct smtp_addr a;
	int r = smtp_addr_parse(s, strlen(s), flags, &a);
	if (r == 0 && want && strcmp(a.addr, want) != 0) {
		fprintf(stderr, "%s -> %s, want %s\n", s, a.addr, want);
		return -2;
	}
	return r;
}

static void test_addresses(void **state)
{
	struct smtp_addr a;
	const unsigned B = SMTP_ADDR_ALLOW_BARE;

	assert_int_equal(addr("<a.b+tag@x.example>", 0, "a.b+tag@x.example"), 0);
	assert_int_equal(addr("a@x", 0, NULL), -1); /* brackets needed unless BARE */
	assert_int_equal(addr("a@x", B, "a@x"), 0);
	assert_int_equal(addr("<>", 0, NULL), -1);
	assert_int_equal(addr("<>", SMTP_ADDR_ALLOW_NULL, ""), 0);
	/* quoted local parts: unquoted when they need not be */
	assert_int_equal(addr("<\"john\"@x.test>", 0, "john@x.test"), 0);
	assert_int_equal(addr("<\"john smith\"@x.test>", 0, "\"john smith\"@x.test"), 0);
	assert_int_equal(addr("<\"a\\\"b\"@x.test>", 0, "\"a\\\"b\"@x.test"), 0);
	assert_int_equal(addr("<\"a\\b\"@x.test>", 0, "ab@x.test"), 0);
	assert_int_equal(addr("<\"\"@x.test>", 0, "\"\"@x.test"), 0);
	assert_int_equal(addr("<\"unterminated@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<\"a\x01\"@x.test>", 0, NULL), -1);
	/* dot-strings */
	assert_int_equal(addr("<.a@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a.@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a..b@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a b@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a(b)@x.test>", 0, NULL), -1);
	/* domains */
	assert_int_equal(addr("<a@X.Test>", 0, "a@x.test"), 0);
	assert_int_equal(addr("<a@x.test.>", 0, NULL), -1); /* trailing dot */
	assert_int_equal(addr("<a@.x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a@x..test>", 0, NULL), -1);
	assert_int_equal(addr("<a@-x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a@x-.test>", 0, NULL), -1);
	assert_int_equal(addr("<a@x_y.test>", 0, NULL), -1);
	assert_int_equal(addr("<a@>", 0, NULL), -1);
	assert_int_equal(addr("<@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<a@b@x.test>", 0, NULL), -1);
	assert_int_equal(
	    addr("<a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test>", 0,
		 NULL),
	    -1); /* a 64-octet label */
	/* address literals */
	assert_int_equal(smtp_addr_parse("<a@[192.0.2.1]>", 15, 0, &a), 0);
	assert_string_equal(a.addr, "a@[192.0.2.1]");
	assert_true(a.literal);
	assert_int_equal(addr("<a@[IPv6:2001:DB8::1]>", 0, "a@[IPv6:2001:db8::1]"), 0);
	assert_int_equal(addr("<a@[192.0.2.256]>", 0, NULL), -1);
	assert_int_equal(addr("<a@[example.test]>", 0, NULL), -1);
	assert_int_equal(addr("<a@[1.2.3.4>", 0, NULL), -1);
	/* source routes are dropped, and said to be */
	assert_int_equal(smtp_addr_parse("<@r1.test,@r2.test:u@x.test>", 28, 0, &a), 0);
	assert_string_equal(a.addr, "u@x.test");
	assert_true(a.had_route);
	assert_int_equal(addr("<@r1.test:>", 0, NULL), -1);
	assert_int_equal(addr("<@:u@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<@r1.test u@x.test>", 0, NULL), -1);
	assert_int_equal(addr("<@r1.test,r2.test:u@x.test>", 0, NULL), -1);
	/* routing characters in local parts are flagged for the policy */
	assert_int_equal(smtp_addr_parse("<u%other.test@x.test>", 21, 0, &a), 0);
	assert_true(a.routing);
	assert_int_equal(smtp_addr_parse("<other.test!u@x.test>", 21, 0, &a), 0);
	assert_true(a.routing);
	assert_int_equal(smtp_addr_parse("<\"u@other.test\"@x.test>", 23, 0, &a), 0);
	assert_true(a.routing);
	assert_string_equal(a.addr, "\"u@other.test\"@x.test");
	assert_int_equal(smtp_addr_parse("<u@x.test>", 10, 0, &a), 0);
	assert_false(a.routing);
	assert_int_equal(addr("<other.test!u>", 0, NULL), -1);
	/* postmaster only where allowed */
	assert_int_equal(addr("<postmaster>", SMTP_ADDR_ALLOW_POSTMASTER, "postmaster"), 0);
	assert_int_equal(addr("<postmaster>", 0, NULL), -1);
	assert_int_equal(addr("<@r.test:postmaster>", SMTP_ADDR_ALLOW_POSTMASTER, NULL), -1);
	/* UTF-8 */
	assert_int_equal(smtp_addr_parse("<\xc3\xa9@\xc3\xa9.test>", 12, 0, &a), 0);
	assert_true(a.utf8);
	assert_int_equal(addr("<\xc0\xaf@x.test>", 0, NULL), -1);     /* overlong */
	assert_int_equal(addr("<\xed\xa0\x80@x.test>", 0, NULL), -1); /* surrogate */
	assert_int_equal(addr("<a@\xff.test>", 0, NULL), -1);
}

static void test_utf8(void **state)
{
	assert_true(smtp_utf8_valid("abc", 3));
	assert_true(smtp_utf8_valid("\xe2\x82\xac", 3));
	assert_true(smtp_utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_false(smtp_utf8_valid("\xe2\x82", 2));
	assert_false(smtp_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(smtp_utf8_valid("\xe0\x80\x80", 3));     /* overlong */
}

static void test_domain(void **state)
{
	char out[SMTP_DOMAIN_MAX + 1];
	char longname[300];

	assert_int_equal(smtp_domain_parse("Mx1.Example.TEST", 16, 0, out), 0);
	assert_string_equal(out, "mx1.example.test");
	assert_int_equal(smtp_domain_parse("localhost", 9, 0, out), 0);
	assert_int_equal(smtp_domain_parse("a.b.", 4, 0, out), -1);
	assert_int_equal(smtp_domain_parse("\xc3\xa9.test", 7, 0, out), -1);
	assert_int_equal(smtp_domain_parse("\xc3\xa9.test", 7, 1, out), 0);
	memset(longname, 'a', sizeof(longname));
	for (int i = 60; i < 300; i += 61)
		longname[i] = '.';
	assert_int_equal(smtp_domain_parse(longname, 255, 0, out), 0);
	assert_int_equal(smtp_domain_parse(longname, 256, 0, out), -1);
}

static void test_reply(void **state)
{
	uint8_t buf[1024];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(smtp_reply(&w, 250, "2.1.0", "Ok"), 0);
	assert_int_equal(w.len, strlen("250 2.1.0 Ok\r\n"));
	assert_memory_equal(buf, "250 2.1.0 Ok\r\n", w.len);

	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(smtp_reply(&w, 250, NULL, "mx.test\nPIPELINING\nSIZE 10\nCHUNKING"), 0);
	buf[w.len] = 0;
	assert_string_equal((char *)buf,
			    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10\r\n250 CHUNKING\r\n");

	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(smtp_reply(&w, 214, "2.0.0", "a\nb"), 0);
	buf[w.len] = 0;
	assert_string_equal((char *)buf, "214-2.0.0 a\r\n214 2.0.0 b\r\n");

	wbuf_init(&w, buf, 10);
	assert_int_equal(smtp_reply(&w, 250, "2.0.0", "this does not fit"), -1);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(smtp_reply(&w, 99, NULL, "x"), -1);

	/* a line longer than 512 octets is cut to 512, CR LF included */
	{
		char longtext[700];
		memset(longtext, 'x', sizeof(longtext) - 1);
		longtext[sizeof(longtext) - 1] = 0;
		wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(smtp_reply(&w, 550, "5.1.1", longtext), 0);
		assert_int_equal(w.len, SMTP_REPLY_LINE_MAX);
		assert_memory_equal(buf + w.len - 3, "x\r\n", 3);
	}
}

/* ---- streams ---- */

struct sink {
	char buf[8192];
	size_t len;
	size_t calls;
};

static void sink_emit(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;
	assert_true(n > 0);
	assert_true(s->len + n < sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->calls++;
}

/* Feeds in to a DATA reader in pieces of at most step bytes, starting with
 * a first piece of first bytes; returns the bytes consumed (end found). */
static size_t data_run(const char *in, size_t len, size_t first, size_t step, struct sink *out,
		       int *end)
{
	struct smtp_data d;
	size_t pos = 0;

	smtp_data_init(&d);
	memset(out, 0, sizeof(*out));
	*end = 0;
	while (pos < len && !*end) {
		size_t n = pos == 0 && first ? first : step;
		if (n > len - pos)
			n = len - pos;
		pos += smtp_data_feed(&d, (const uint8_t *)in + pos, n, end, sink_emit, out);
	}
	return pos;
}

/* in is DATA content, its end, then rest (commands after it). */
static void data_case(const char *in, const char *want, const char *rest)
{
	size_t len = strlen(in), consumed_want = len - strlen(rest);
	struct sink out;
	int end;

	/* whole, every two-piece split, and byte by byte */
	for (size_t first = 0; first <= len; first++) {
		size_t used = data_run(in, len, first, len, &out, &end);
		if (!end || used != consumed_want || out.len != strlen(want) ||
		    memcmp(out.buf, want, out.len) != 0)
			fail_msg("split at %zu of \"%s\": end %d, used %zu, got \"%.*s\"", first,
				 in, end, used, (int)out.len, out.buf);
	}
	data_run(in, len, 0, 1, &out, &end);
	assert_true(end);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.buf, want, out.len);
}

static void test_data(void **state)
{
	struct sink out;
	int end;

	data_case(".\r\n", "", "");
	data_case("a\r\n.\r\n", "a\r\n", "");
	data_case("a\r\n.\r\nMAIL FROM:<>\r\n", "a\r\n", "MAIL FROM:<>\r\n");
	data_case("..\r\n.\r\n", ".\r\n", "");
	data_case("..a\r\n.b\r\n.\r\n", ".a\r\nb\r\n", "");
	data_case("x\r\n..\r\n.\r\n", "x\r\n.\r\n", "");
	data_case(".\rx\r\n.\r\n", "\rx\r\n", "");
	data_case("a.\r\n.\r\n", "a.\r\n", "");
	/* only CR LF . CR LF ends: the smuggling sequences stay content */
	data_case("a\n.\nb\r\n.\r\n", "a\n.\nb\r\n", "");
	data_case("a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n", "");
	data_case("a\r\n.\nb\r\n.\r\n", "a\r\n.\nb\r\n", "");
	data_case("a\r.\r\nb\r\n.\r\n", "a\r.\r\nb\r\n", "");
	data_case("a\n..b\r\n.\r\n", "a\n.b\r\n", "");

	/* no end yet: everything is content so far, minus a withheld dot */
	data_run("abc\r\n.", 6, 0, 100, &out, &end);
	assert_false(end);
	assert_int_equal(out.len, 5);
	data_run("abc\r\n.\r", 7, 0, 100, &out, &end);
	assert_false(end);
	assert_int_equal(out.len, 5);
}

static void test_bdat_reader(void **state)
{
	struct smtp_bdat b;
	struct sink out = {0};
	int end;
	size_t used;

	smtp_bdat_init(&b, 5);
	used = smtp_bdat_feed(&b, (const uint8_t *)"abc", 3, &end, sink_emit, &out);
	assert_int_equal(used, 3);
	assert_false(end);
	used = smtp_bdat_feed(&b, (const uint8_t *)"deRSET\r\n", 8, &end, sink_emit, &out);
	assert_int_equal(used, 2);
	assert_true(end);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.buf, "abcde", 5);
	smtp_bdat_init(&b, 0);
	used = smtp_bdat_feed(&b, (const uint8_t *)"x", 1, &end, sink_emit, &out);
	assert_int_equal(used, 0);
	assert_true(end);
}

static void content_run(struct smtp_content *c, const char *in, size_t len, size_t step)
{
	for (size_t pos = 0; pos < len; pos += step)
		smtp_content_feed(c, (const uint8_t *)in + pos,
				  len - pos < step ? len - pos : step);
}

static void test_content(void **state)
{
	struct smtp_content c;
	struct sink out;
	char *big;
	size_t n;

	/* bare LF becomes CR LF, in any split */
	for (size_t step = 1; step <= 12; step++) {
		memset(&out, 0, sizeof(out));
		smtp_content_init(&c, 0, sink_emit, &out);
		content_run(&c, "A: b\nc\r\n\nd\r", 12, step);
		assert_int_equal(c.flags, 0);
		out.buf[out.len] = 0;
		assert_string_equal(out.buf, "A: b\r\nc\r\n\r\nd\r");
		assert_int_equal(c.size, out.len);
		assert_false(c.in_header);
	}
	/* size limit */
	memset(&out, 0, sizeof(out));
	smtp_content_init(&c, 10, sink_emit, &out);
	content_run(&c, "0123456789", 10, 3);
	assert_int_equal(c.flags, 0);
	content_run(&c, "x", 1, 1);
	assert_int_equal(c.flags, SMTP_CONTENT_TOOBIG);
	assert_int_equal(smtp_content_error(&c)->code, 552);
	assert_string_equal(smtp_content_error(&c)->enh, "5.3.4");
	assert_int_equal(out.len, 10);

	/* Received: headers, counted in the header only */
	big = malloc(200 * 40);
	assert_non_null(big);
	n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(big + n, "%s: from x by y\r\n",
				     i % 2 ? "Received" : "RECEIVED");
	n += (size_t)sprintf(big + n, "\r\nReceived: in the body\r\n");
	for (size_t step = 1; step < 40; step += 7) {
		memset(&out, 0, sizeof(out));
		smtp_content_init(&c, 0, sink_emit, &out);
		content_run(&c, big, n, step);
		assert_int_equal(c.received, 100);
		assert_null(smtp_content_error(&c));
	}
	n = 0;
	for (int i = 0; i < 101; i++)
		n += (size_t)sprintf(big + n, "Received: from x\r\n");
	smtp_content_init(&c, 0, sink_emit, &out);
	content_run(&c, big, n, 5);
	assert_int_equal(c.flags, SMTP_CONTENT_LOOP);
	assert_int_equal(smtp_content_error(&c)->code, 554);
	assert_string_equal(smtp_content_error(&c)->enh, "5.4.6");
	/* continuation lines and look-alikes are not Received: headers */
	smtp_content_init(&c, 0, sink_emit, &out);
	content_run(&c, "X-Received: a\r\n Received: b\r\nReceived : c\r\n", 43, 4);
	assert_int_equal(c.received, 0);

	/* 1000 octets with CR LF is the longest line */
	memset(big, 'a', 998);
	memcpy(big + 998, "\r\n", 2);
	for (size_t step = 1; step <= 1000; step += 333) {
		memset(&out, 0, sizeof(out));
		smtp_content_init(&c, 0, sink_emit, &out);
		content_run(&c, big, 1000, step);
		assert_int_equal(c.flags, 0);
	}
	memset(big, 'a', 999);
	memcpy(big + 999, "\n", 1); /* bare LF: 999 + CR LF = 1001 */
	smtp_content_init(&c, 0, sink_emit, &out);
	content_run(&c, big, 1000, 100);
	assert_int_equal(c.flags, SMTP_CONTENT_LONGLINE);
	assert_int_equal(smtp_content_error(&c)->code, 554);
	memset(big, 'a', 2000);
	smtp_content_init(&c, 0, sink_emit, &out);
	content_run(&c, big, 2000, 100); /* no line end at all */
	assert_int_equal(c.flags, SMTP_CONTENT_LONGLINE);
	/* too big and broken: too big is the answer, the size still counts */
	smtp_content_init(&c, 1500, sink_emit, &out);
	content_run(&c, big, 2000, 100);
	assert_true(c.flags & SMTP_CONTENT_TOOBIG);
	assert_int_equal(smtp_content_error(&c)->code, 552);
	free(big);
}

static void test_data_into_content(void **state)
{
	const char *in = "Received: a\r\nSubject: x\n\r\n..body\r\n.\r\nQUIT\r\n";
	for (size_t step = 1; step < 8; step++) {
		struct sink out = {0};
		struct smtp_content c;
		struct smtp_data d;
		size_t pos = 0, len = strlen(in);
		int end = 0;
		smtp_content_init(&c, 0, sink_emit, &out);
		smtp_data_init(&d);
		while (!end && pos < len)
			pos += smtp_data_feed(&d, (const uint8_t *)in + pos,
					      len - pos < step ? len - pos : step, &end,
					      smtp_content_emit, &c);
		assert_true(end);
		assert_string_equal(in + pos, "QUIT\r\n");
		out.buf[out.len] = 0;
		assert_string_equal(out.buf, "Received: a\r\nSubject: x\r\n\r\n.body\r\n");
		assert_int_equal(c.received, 1);
	}
}

static void test_received(void **state)
{
	char buf[1024];
	size_t n;

	n = smtp_received(buf, sizeof(buf), "client\r\n(evil)", "127.0.0.1", "mx1.example.test",
			  "ESMTP", "4F3A9C2E1B", "u@example.test", 0);
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "Received: from client???evil? ([127.0.0.1])\r\n"));
	assert_non_null(strstr(buf, "\tby mx1.example.test (mxhost) with ESMTP id 4F3A9C2E1B\r\n"));
	assert_non_null(strstr(buf, "\tfor <u@example.test>;\r\n"));
	assert_memory_equal(buf + n - 2, "\r\n", 2);
	n = smtp_received(buf, sizeof(buf), "", "::1", "mx", "SMTP", "1", NULL, 0);
	assert_non_null(strstr(buf, "from unknown ([IPv6:::1])"));
	assert_null(strstr(buf, "for <"));
	assert_int_equal(smtp_received(buf, 20, "h", "::1", "mx", "SMTP", "1", NULL, 0), 0);
	{
		/* the longest of everything fits in what the session gives it */
		char helo[300], host[256], rcpt[SMTP_ADDR_MAX + 1], big[2048];
		memset(helo, 'h', sizeof(helo) - 1);
		helo[sizeof(helo) - 1] = 0;
		memset(host, 'm', sizeof(host) - 1);
		host[sizeof(host) - 1] = 0;
		memset(rcpt, 'r', sizeof(rcpt) - 1);
		rcpt[sizeof(rcpt) - 1] = 0;
		assert_true(smtp_received(big, sizeof(big), helo,
					  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", host,
					  "UTF8SMTP", "FFFFFFFFFFFFFFFFFFFFFFF", rcpt, 0) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verbs),
	    cmocka_unit_test(test_sequence),
	    cmocka_unit_test(test_mail),
	    cmocka_unit_test(test_rcpt),
	    cmocka_unit_test(test_bdat),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_domain),
	    cmocka_unit_test(test_reply),
	    cmocka_unit_test(test_data),
	    cmocka_unit_test(test_bdat_reader),
	    cmocka_unit_test(test_content),
	    cmocka_unit_test(test_data_into_content),
	    cmocka_unit_test(test_received),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
