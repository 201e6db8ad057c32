/* Unit tests for src/smtp/policy: the list files and RCPT decisions. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "smtp/policy.h"

static char dir[64];

static const char *put(const char *name, const char *text)
{
	static char paths[4][128];
	static int next;
	char *path = paths[next++ % 4];
	FILE *f;
	snprintf(path, 128, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/mxhost-policy-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct policy *load(const char *domains, const char *mailboxes, const char *relay, char *err)
{
	const char *d = domains ? put("domains", domains) : NULL;
	const char *m = mailboxes ? put("mailboxes", mailboxes) : NULL;
	const char *r = relay ? put("relay", relay) : NULL;
	return policy_load(d, m, r, "mx1.example.test", err, 512);
}

static struct policy_result res;

static enum policy_verdict look(struct policy *p, const char *rcpt, int trusted)
{
	static struct smtp_addr a;
	if (smtp_addr_parse(rcpt, strlen(rcpt), SMTP_ADDR_ALLOW_POSTMASTER | SMTP_ADDR_ALLOW_BARE,
			    &a) < 0)
		fail_msg("bad test address %s", rcpt);
	policy_lookup(p, &a, trusted, &res);
	return res.verdict;
}

static const char domains[] = "# hosted\n"
			      "example.test\n"
			      "  Other.TEST  \n"
			      "\n";
static const char mailboxes[] = "user@example.test\n"
				"Mixed.Case@EXAMPLE.test\n"
				"postmaster@example.test\n"
				"alias@example.test: user@example.test, someone@elsewhere.test\n"
				"list@example.test: alias@example.test,\n"
				"   mixed.case@example.test  user@example.test\n"
				"\"john smith\"@example.test\n"
				"@other.test: user@example.test\n";
static const char relay[] = "backup.test\n"
			    "listed.test: a@listed.test, B@Listed.test\n";

static void test_lookup(void **state)
{
	char err[512];
	struct policy *p = load(domains, mailboxes, relay, err);
	struct policy_stats st;

	if (p == NULL)
		fail_msg("%s", err);
	policy_stats(p, &st);
	assert_int_equal(st.domains, 2);
	assert_int_equal(st.mailboxes, 4);
	assert_int_equal(st.aliases, 2);
	assert_int_equal(st.catchalls, 1);
	assert_int_equal(st.relay_domains, 2);
	assert_int_equal(st.relay_rcpts, 2);
	assert_true(policy_hosted(p, "other.test"));
	assert_false(policy_hosted(p, "backup.test"));
	assert_true(policy_relayed(p, "backup.test"));

	/* a mailbox, in any case */
	assert_int_equal(look(p, "user@example.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_LOCAL);
	assert_int_equal(look(p, "USER@Example.Test", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");
	assert_int_equal(look(p, "mixed.case@example.test", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "mixed.case@example.test");
	assert_int_equal(look(p, "\"john smith\"@example.test", 0), POLICY_ACCEPT);
	assert_int_equal(look(p, "\"user\"@example.test", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");

	/* unknown users of a hosted domain, also for trusted clients */
	assert_int_equal(look(p, "nobody@example.test", 0), POLICY_UNKNOWN_USER);
	assert_int_equal(look(p, "nobody@example.test", 1), POLICY_UNKNOWN_USER);

	/* aliases, expanded, deduplicated */
	assert_int_equal(look(p, "alias@example.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 2);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_LOCAL);
	assert_string_equal(res.rcpts[1].addr, "someone@elsewhere.test");
	assert_int_equal(res.rcpts[1].kind, RCPT_REMOTE);
	assert_int_equal(look(p, "list@example.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 3);
	assert_string_equal(res.rcpts[2].addr, "mixed.case@example.test");

	/* catch-all */
	assert_int_equal(look(p, "anything@other.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");

	/* relay domains */
	assert_int_equal(look(p, "Anyone@Backup.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "Anyone@backup.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_REMOTE);
	assert_int_equal(look(p, "b@listed.test", 0), POLICY_ACCEPT);
	assert_int_equal(look(p, "c@listed.test", 0), POLICY_UNKNOWN_USER);

	/* everything else: relaying, for mynetworks only */
	assert_int_equal(look(p, "victim@elsewhere.test", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "victim@elsewhere.test", 1), POLICY_ACCEPT);
	assert_int_equal(res.rcpts[0].kind, RCPT_REMOTE);
	assert_int_equal(look(p, "victim@[192.0.2.1]", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "victim@example.test.example", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "victim@sub.example.test", 0), POLICY_RELAY_DENIED);

	/* the classic tricks */
	assert_int_equal(look(p, "victim%elsewhere.test@example.test", 0), POLICY_ROUTING_DENIED);
	assert_int_equal(look(p, "elsewhere.test!victim@example.test", 0), POLICY_ROUTING_DENIED);
	assert_int_equal(look(p, "\"victim@elsewhere.test\"@example.test", 0),
			 POLICY_ROUTING_DENIED);
	assert_int_equal(look(p, "victim%elsewhere.test@other.test", 0), POLICY_ROUTING_DENIED);
	assert_int_equal(look(p, "victim%elsewhere.test@backup.test", 0), POLICY_ROUTING_DENIED);
	assert_int_equal(look(p, "<@example.test:victim@elsewhere.test>", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "<@elsewhere.test:user@example.test>", 0), POLICY_ACCEPT);

	/* <postmaster> resolves in the hostname's domain */
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	policy_free(p);
}

static void test_errors(void **state)
{
	char err[512];
	struct policy *p;

	p = load("example.test\nbad_domain.test\n", NULL, NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "/domains:2: bad domain name 'bad_domain.test'"));

	p = load("example.test.\n", NULL, NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "domains:1:"));

	p = load("a.test b.test\n", NULL, NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "domains:1: expected one domain name per line"));

	p = load("example.test\n", "user@example.test\n\nuser\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "mailboxes:3: bad address 'user'"));

	p = load("example.test\n", "a@example.test: b@example.test\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "mailboxes:1: alias target b@example.test is not a mailbox"));

	p = load("example.test\n",
		 "a@example.test: b@example.test\nb@example.test: a@example.test\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "alias loop"));

	p = load("example.test\n", "a@example.test\na@example.test: x@y.test\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "mailboxes:2: a@example.test is defined twice (line 1)"));

	p = load("example.test\n", "a@example.test:\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "mailboxes:1: no targets"));

	p = load("example.test\n", "@example.test\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "catch-all needs targets"));

	p = load("example.test\n", "a%b@example.test\n", NULL, err);
	assert_null(p);
	assert_non_null(strstr(err, "routing characters"));

	p = load("example.test\n", NULL, "example.test\n", err);
	assert_null(p);
	assert_non_null(strstr(err, "relay:1: example.test is also a hosted domain"));

	p = load(NULL, NULL, "r.test: a@other.test\n", err);
	assert_null(p);
	assert_non_null(strstr(err, "relay:1: a@other.test is not in r.test"));

	p = load("example.test\n", "a@example.test: x@r.test\n", "r.test: y@r.test\n", err);
	assert_null(p);
	assert_non_null(strstr(err, "not a recipient of relay domain r.test"));

	p = policy_load(NULL, "/nonexistent/mailboxes", NULL, "h", err, 512);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/mailboxes: No such file or directory"));

	/* warnings only: a mailbox of a domain that is not hosted, duplicates */
	p = load("example.test\nexample.test\n",
		 "a@example.test\na@example.test\nb@unhosted.test\n", NULL, err);
	assert_non_null(p);
	assert_int_equal(look(p, "b@unhosted.test", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	policy_free(p);

	/* empty lists: nothing hosted */
	p = policy_load(NULL, NULL, NULL, "h", err, 512);
	assert_non_null(p);
	assert_int_equal(look(p, "a@example.test", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_UNKNOWN_USER);
	policy_free(p);
}

/* RFC 5321 4.5.1: postmaster at every hosted domain, and <postmaster>
 * alone, are accepted whether the lists name them or not. */
static void test_postmaster(void **state)
{
	char err[512];
	struct policy *p;

	p = policy_load(put("domains", "first.test\nexample.test\nfwd.test\nother.test\n"),
			put("mailboxes", "user@example.test\n"
					 "postmaster@other.test: user@example.test\n"
					 "@fwd.test: user@example.test\n"
					 "abuse@example.test: postmaster@example.test\n"),
			put("relay", "backup.test\nlisted.test: a@listed.test\n"),
			"mx1.example.test", err, sizeof(err));
	if (p == NULL)
		fail_msg("%s", err);

	/* not listed: its own mailbox, in any case */
	assert_int_equal(look(p, "postmaster@example.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_LOCAL);
	assert_int_equal(look(p, "<Postmaster@Example.TEST>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	assert_int_equal(look(p, "\"POSTMASTER\"@first.test", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@first.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_LOCAL);
	/* only postmaster: other users stay unknown */
	assert_int_equal(look(p, "hostmaster@example.test", 0), POLICY_UNKNOWN_USER);
	assert_int_equal(look(p, "postmaster2@example.test", 0), POLICY_UNKNOWN_USER);
	assert_int_equal(look(p, "postmaster@sub.example.test", 0), POLICY_RELAY_DENIED);
	/* an alias may name it */
	assert_int_equal(look(p, "abuse@example.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	/* listed: the list wins; a catch-all counts as listing it */
	assert_int_equal(look(p, "postmaster@other.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");
	assert_int_equal(look(p, "postmaster@fwd.test", 0), POLICY_ACCEPT);
	assert_int_equal(res.nrcpts, 1);
	assert_string_equal(res.rcpts[0].addr, "user@example.test");

	/* relay domains: like any recipient there, also past a list */
	assert_int_equal(look(p, "postmaster@backup.test", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@backup.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_REMOTE);
	assert_int_equal(look(p, "PostMaster@Listed.test", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "PostMaster@listed.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_REMOTE);
	assert_int_equal(look(p, "b@listed.test", 0), POLICY_UNKNOWN_USER);
	/* elsewhere it is relaying like any other address */
	assert_int_equal(look(p, "postmaster@elsewhere.test", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "postmaster@[192.0.2.1]", 0), POLICY_RELAY_DENIED);
	assert_int_equal(look(p, "postmaster%elsewhere.test@example.test", 0),
			 POLICY_ROUTING_DENIED);

	/* <postmaster>: the hostname's parent example.test, not first.test */
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	assert_int_equal(look(p, "<POSTMASTER>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@example.test");
	policy_free(p);

	/* the hostname is hosted itself: there */
	p = policy_load(put("domains", "example.test\nmx1.example.test\n"), NULL, NULL,
			"MX1.example.test", err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@mx1.example.test");
	assert_int_equal(look(p, "postmaster@example.test", 0), POLICY_ACCEPT);
	policy_free(p);

	/* neither the hostname nor a parent is hosted: the first domain listed */
	p = policy_load(put("domains", "# customers\nzz.test\naa.test\n"), NULL, NULL,
			"mx1.provider.test", err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_ACCEPT);
	assert_string_equal(res.rcpts[0].addr, "postmaster@zz.test");
	assert_int_equal(res.rcpts[0].kind, RCPT_LOCAL);
	policy_free(p);

	/* a relay-only host (nothing hosted) has no postmaster of its own */
	p = policy_load(NULL, NULL, put("relay", "backup.test\n"), "mx2.example.test", err,
			sizeof(err));
	assert_non_null(p);
	assert_int_equal(look(p, "<postmaster>", 0), POLICY_UNKNOWN_USER);
	assert_int_equal(look(p, "postmaster@backup.test", 0), POLICY_ACCEPT);
	policy_free(p);
}

/* Tens of thousands of mailboxes, as a hosting provider has. */
static void test_many(void **state)
{
	char path[128], dpath[128], err[512], addr[64];
	struct policy *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 50000; i++)
		fprintf(f, "user%d@d%d.test\n", i, i % 100);
	fclose(f);
	f = fopen(put("domains", ""), "w");
	for (int i = 0; i < 100; i++)
		fprintf(f, "d%d.test\n", i);
	fclose(f);
	snprintf(dpath, sizeof(dpath), "%s/domains", dir);
	p = policy_load(dpath, path, NULL, "h", err, sizeof(err));
	if (p == NULL)
		fail_msg("%s", err);
	for (int i = 0; i < 50000; i += 997) {
		snprintf(addr, sizeof(addr), "user%d@d%d.test", i, i % 100);
		assert_int_equal(look(p, addr, 0), POLICY_ACCEPT);
		snprintf(addr, sizeof(addr), "user%d@d%d.test", i, (i + 1) % 100);
		assert_int_equal(look(p, addr, 0), POLICY_UNKNOWN_USER);
	}
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_postmaster),
	    cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
