/*
 * Unit tests for the resolv.conf reader (src/dns/resolv_conf.c): glibc's
 * reading for the resolver, libirs' (BIND 9.18's) for nslookup. The
 * expectations for libirs are what BIND's nslookup was seen to do with the
 * same files (tests/e2e/test_nslookup_diff.py compares the two for real).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dns/resolver.h"

static void parse(const char *text, struct resolv_conf *rc)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	resolv_conf_parse(f, rc);
	fclose(f);
}

static const char *addr(const struct netaddr *a)
{
	static char buf[NETADDR_STRLEN];
	return netaddr_format((const struct sockaddr *)&a->ss, buf, sizeof(buf));
}

static void test_well_formed(void **state)
{
	struct resolv_conf rc;
	(void)state;

	parse("# a comment\n"
	      "nameserver 127.0.0.53\n"
	      "nameserver ::1\n"
	      "search example.test other.test\n"
	      "options ndots:2 timeout:3 attempts:4 rotate edns0\n",
	      &rc);
	/* glibc's reading */
	assert_int_equal(rc.nservers, 2);
	assert_string_equal(addr(&rc.servers[0]), "127.0.0.53:53");
	assert_string_equal(addr(&rc.servers[1]), "[::1]:53");
	assert_int_equal(rc.ndots, 2);
	assert_int_equal(rc.timeout, 3);
	assert_int_equal(rc.attempts, 4);
	/* libirs' reading agrees */
	assert_int_equal(rc.irs_nservers, 2);
	assert_string_equal(addr(&rc.irs_servers[0]), "127.0.0.53:53");
	assert_string_equal(addr(&rc.irs_servers[1]), "[::1]:53");
	assert_int_equal(rc.nsearch, 2);
	assert_string_equal(rc.search[0], "example.test");
	assert_string_equal(rc.search[1], "other.test");
	assert_true(rc.ndots_set && rc.timeout_set && rc.attempts_set);
	assert_int_equal(rc.ndots_raw, 2);
	assert_int_equal(rc.timeout_raw, 3);
	assert_int_equal(rc.attempts_raw, 4);
	assert_false(rc.malformed);
}

/* What nslookup could not tell apart through glibc's view: an option
 * written with glibc's default value, and no option at all. */
static void test_set_or_default(void **state)
{
	struct resolv_conf rc;
	(void)state;

	parse("nameserver 127.0.0.1\n", &rc);
	assert_int_equal(rc.timeout, 5);
	assert_int_equal(rc.attempts, 2);
	assert_int_equal(rc.ndots, 1);
	assert_false(rc.timeout_set || rc.attempts_set || rc.ndots_set);

	parse("nameserver 127.0.0.1\noptions timeout:5 attempts:2 ndots:1\n", &rc);
	assert_int_equal(rc.timeout, 5);
	assert_int_equal(rc.attempts, 2);
	assert_true(rc.timeout_set && rc.attempts_set && rc.ndots_set);
	assert_int_equal(rc.timeout_raw, 5);
	assert_int_equal(rc.attempts_raw, 2);
	assert_int_equal(rc.ndots_raw, 1);

	/* Zero is a value too (BIND then uses its own defaults); for the
	 * resolver, timeout and attempts are at least 1. */
	parse("options timeout:0 attempts:0 ndots:0\n", &rc);
	assert_true(rc.timeout_set && rc.attempts_set && rc.ndots_set);
	assert_int_equal(rc.timeout_raw + rc.attempts_raw + rc.ndots_raw, 0);
	assert_int_equal(rc.timeout, 1);
	assert_int_equal(rc.attempts, 1);
	assert_int_equal(rc.ndots, 0);
	assert_false(rc.malformed);
}

/* Beyond glibc's limits (30 s, 5 tries, ndots 15), kept as written up to
 * libirs' own (255), and clamped to glibc's for the resolver; strtol's
 * forms ("+2", "-0", "") are numbers in both. */
static void test_values_beyond_limits(void **state)
{
	struct resolv_conf rc;
	(void)state;

	parse("options timeout:40 attempts:9 ndots:20\n", &rc);
	assert_int_equal(rc.timeout_raw, 40);
	assert_int_equal(rc.attempts_raw, 9);
	assert_int_equal(rc.ndots_raw, 20);
	assert_int_equal(rc.timeout, 30);
	assert_int_equal(rc.attempts, 5);
	assert_int_equal(rc.ndots, 15);
	assert_false(rc.malformed);

	parse("options timeout:255 attempts:255 ndots:255\n", &rc);
	assert_int_equal(rc.timeout_raw, 255);
	assert_int_equal(rc.attempts_raw, 255);
	assert_int_equal(rc.ndots_raw, 255);
	assert_int_equal(rc.timeout, 30);
	assert_int_equal(rc.attempts, 5);
	assert_int_equal(rc.ndots, 15);

	parse("options ndots:+2 attempts:-0 timeout:\n", &rc);
	assert_int_equal(rc.ndots_raw, 2);
	assert_int_equal(rc.attempts_raw, 0);
	assert_int_equal(rc.timeout_raw, 0);
	assert_true(rc.timeout_set);
	assert_false(rc.malformed);
	assert_int_equal(rc.ndots, 2);
	assert_int_equal(rc.attempts, 1);
	assert_int_equal(rc.timeout, 1);

	/* A later line overrides an earlier one, option by option. */
	parse("options timeout:7 ndots:3\noptions timeout:2\n", &rc);
	assert_int_equal(rc.timeout_raw, 2);
	assert_int_equal(rc.ndots_raw, 3);
}

static void test_search_list(void **state)
{
	struct resolv_conf rc;
	(void)state;

	/* Eight names kept, as libirs does (glibc's classic limit was 6). */
	parse("search a.test b.test c.test d.test e.test f.test g.test h.test i.test j.test\n",
	      &rc);
	assert_int_equal(rc.nsearch, RESOLV_SEARCH_MAX);
	assert_int_equal(RESOLV_SEARCH_MAX, 8);
	assert_string_equal(rc.search[6], "g.test");
	assert_string_equal(rc.search[7], "h.test");

	/* domain and search replace each other; the last one wins. */
	parse("domain d.test\nsearch a.test b.test\n", &rc);
	assert_int_equal(rc.nsearch, 2);
	assert_string_equal(rc.search[0], "a.test");
	parse("search a.test b.test\ndomain d.test\n", &rc);
	assert_int_equal(rc.nsearch, 1);
	assert_string_equal(rc.search[0], "d.test");

	/* A word starting with '#' or ';' ends the line; tabs and a CR are
	 * blanks between words. */
	parse("search\ta.test ;b.test\nsearch x.test y.test # z.test\r\n", &rc);
	assert_int_equal(rc.nsearch, 2);
	assert_string_equal(rc.search[1], "y.test");
	parse("search a.test\r\n", &rc);
	assert_int_equal(rc.nsearch, 1);
	assert_string_equal(rc.search[0], "a.test");

	/* A keyword alone on its line takes its words from the next one. */
	parse("search\nexample.test other.test\n", &rc);
	assert_int_equal(rc.nsearch, 2);
	assert_string_equal(rc.search[0], "example.test");
	assert_false(rc.malformed);

	/* A keyword at the very end of the file is not read at all. */
	parse("search a.test\nsearch", &rc);
	assert_int_equal(rc.nsearch, 1);
	assert_false(rc.malformed);
}

static void test_servers(void **state)
{
	struct resolv_conf rc;
	(void)state;

	/* Three kept; a fourth is checked for its form, then ignored. */
	parse("nameserver 127.0.0.1\nnameserver 127.0.0.2\nnameserver 127.0.0.3\n"
	      "nameserver 127.0.0.4\nnameserver bogus\n",
	      &rc);
	assert_int_equal(rc.nservers, 3);
	assert_int_equal(rc.irs_nservers, 3);
	assert_string_equal(addr(&rc.irs_servers[2]), "127.0.0.3:53");
	assert_false(rc.malformed);

	/* libirs reads 0.0.0.0 as the loopback address. */
	parse("nameserver 0.0.0.0\n", &rc);
	assert_string_equal(addr(&rc.irs_servers[0]), "127.0.0.1:53");

	/* A comment after the address is fine, for both readers. */
	parse("  nameserver 127.0.0.2\t# the local one\n", &rc);
	assert_int_equal(rc.nservers, 1);
	assert_int_equal(rc.irs_nservers, 1);
	assert_false(rc.malformed);

	/* The address on the next line: libirs takes it, glibc does not. */
	parse("nameserver\n127.0.0.2\n", &rc);
	assert_int_equal(rc.nservers, 0);
	assert_int_equal(rc.irs_nservers, 1);
	assert_string_equal(addr(&rc.irs_servers[0]), "127.0.0.2:53");
	assert_false(rc.malformed);

	/* "search" swallows the nameserver line that follows it. */
	parse("search\nnameserver 127.0.0.2\n", &rc);
	assert_int_equal(rc.irs_nservers, 0);
	assert_int_equal(rc.nsearch, 2);
	assert_string_equal(rc.search[0], "nameserver");
}

#define SORT9 "sortlist 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9\n"

/* Files libirs refuses as a whole (BIND: "parse of ... failed"), each
 * for one rule, and near misses it accepts. */
static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "options timeout:256\n",
	    "options attempts:256\n",
	    "options ndots:-1\n",
	    "options ndots:2x timeout:3\n",
	    "options timeout:abc\n",
	    "options timeout:0x10\n",
	    "options\n",
	    "options # nothing\n",
	    "nameserver\n",
	    "nameserver 127.0.0.1 junk\n",
	    "nameserver 127.0.0.1\r\n",
	    "nameserver 127.0.0.1#x\n",
	    "nameserver ns.example.test\n",
	    "nameserver [::1]\n",
	    "nameserver 127.0.0.1:53\n",
	    "nameserver 1.1.1.1\nnameserver 1.1.1.2\nnameserver 1.1.1.3\nnameserver x y\n",
	    "domain\n",
	    "domain a.test b.test\n",
	    "domain a.test\r\n",
	    "search \n",
	    "search # only a comment\n",
	    "sortlist 127.1\n",
	    "sortlist 10.0.0.0/255.0.0.0 bogus\n",
	    /* eleven entries, counted over all sortlist lines */
	    SORT9 "sortlist 1.1.1.10 1.1.1.11\n",
	    /* an error anywhere, even before good lines */
	    "options timeout:999\nnameserver 127.0.0.1\nsearch a.test\n",
	};
	static const char *const good[] = {
	    "",
	    "\n\n   \n",
	    "# nameserver junk junk\n; options\n",
	    "foo bar baz\nlookup file bind\n",
	    "nameserver 127.0.0.1 \r\n",
	    "nameserver 127.1\n",
	    "nameserver 1.1.1.1\nnameserver 1.1.1.2\nnameserver 1.1.1.3\nnameserver bogus\n",
	    "domain a.test # comment\n",
	    "sortlist 10.0.0.0/255.0.0.0 2001:db8::/ffff::\n",
	    SORT9 "sortlist 1.1.1.10\n",
	    "options debug rotate edns0 single-request ndots:2\n",
	    "options timeout:255\n",
	    "search a.test\nsearch",
	};
	struct resolv_conf rc;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], &rc);
		if (!rc.malformed)
			fail_msg("accepted: %s", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parse(good[i], &rc);
		if (rc.malformed)
			fail_msg("refused: %s", good[i]);
	}
}

/* Words longer than libirs' 255 bytes are cut there, and nothing may
 * overrun on long lines or words. */
static void test_long_words(void **state)
{
	struct resolv_conf rc;
	char *text = malloc(5000);
	(void)state;

	assert_non_null(text);
	strcpy(text, "search ");
	memset(text + 7, 'a', 4000);
	strcpy(text + 4007, "\nnameserver 127.0.0.2\n");
	parse(text, &rc);
	assert_int_equal(rc.nsearch, 1);
	assert_int_equal(strlen(rc.search[0]), 255);
	free(text);
}

static void test_files(void **state)
{
	char path[] = "/tmp/mxhost-resolv-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct resolv_conf rc;
	(void)state;

	assert_non_null(f);
	fputs("nameserver 127.0.0.9\noptions attempts:3\n", f);
	fclose(f);
	assert_int_equal(resolv_conf_read(path, &rc), 1);
	assert_int_equal(rc.attempts_raw, 3);
	assert_false(rc.malformed);
	unlink(path);

	/* No file reads as an empty one, as for both libraries... */
	assert_int_equal(resolv_conf_read(path, &rc), 0);
	assert_false(rc.malformed);
	assert_int_equal(rc.timeout, 5);
	assert_false(rc.timeout_set);
	/* ...but one that is there and cannot be opened is refused. */
	assert_int_equal(resolv_conf_read("/dev/null/resolv.conf", &rc), 0);
	assert_true(rc.malformed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_well_formed),
	    cmocka_unit_test(test_set_or_default),
	    cmocka_unit_test(test_values_beyond_limits),
	    cmocka_unit_test(test_search_list),
	    cmocka_unit_test(test_servers),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_long_words),
	    cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
