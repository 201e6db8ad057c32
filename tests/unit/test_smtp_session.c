/* Unit tests for src/smtp/session.c, without a listener: a session runs
 * on one end of a socketpair, a whole pipelined dialogue goes in at once
 * from the other, and the replies come back as text. A real spool takes
 * the messages (docs/SMTP.md: 250 only once it is on disk). */
#include "unit.h"

#include "qtest.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/strutil.h"
#include "queue/spool.h"
#include "smtp/policy.h"
#include "smtp/session.h"

struct fixture {
	char *dir;
	struct event_base *base;
	struct spool *sp;
	struct policy *policy;
	struct smtp_ctx ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[512], dom[512], mbox[512], err[512];

	log_set_level(LOG_LEVEL_ERROR);
	assert_non_null(f);
	f->dir = scratch_dir();
	assert_non_null(f->dir);
	f->base = event_base_new();
	assert_non_null(f->base);
	snprintf(path, sizeof(path), "%s/spool", f->dir);
	f->sp = spool_open(path, f->base);
	assert_non_null(f->sp);
	snprintf(dom, sizeof(dom), "%s/domains", f->dir);
	snprintf(mbox, sizeof(mbox), "%s/mailboxes", f->dir);
	assert_int_equal(spit(dom, "example.test\n", 13), 0);
	assert_int_equal(spit(mbox, "user@example.test\n", 18), 0);
	f->policy = policy_load(dom, mbox, NULL, "mx1.example.test", err, sizeof(err));
	if (f->policy == NULL)
		fail_msg("%s", err);

	f->ctx.base = f->base;
	str_copy(f->ctx.hostname, "mx1.example.test", sizeof(f->ctx.hostname));
	f->ctx.size_limit = 20000;
	f->ctx.max_recipients = 100;
	f->ctx.max_connections = 10;
	f->ctx.max_per_client = 10;
	f->ctx.max_errors = 5; /* as in the review that found the BDAT bug */
	f->ctx.timeout_command = 10;
	f->ctx.timeout_data = 10;
	f->ctx.policy = f->policy;
	f->ctx.spool = f->sp;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	session_shutdown_all(&f->ctx);
	spool_close(f->sp);
	session_free_all(&f->ctx);
	policy_free(f->policy);
	event_base_free(f->base);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* A growing byte string. */
struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const void *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
	t->p[t->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void text_printf(struct text *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	text_add(t, buf, (size_t)n);
}

/* "BDAT n[ LAST]" followed by n octets: lines "QUIT xxx...", so that a
 * chunk whose framing were lost would show up as commands answered. */
static void bdat(struct text *t, size_t n, int last)
{
	static const char line[] = "QUIT xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
	text_printf(t, "BDAT %zu%s\r\n", n, last ? " LAST" : "");
	while (n >= sizeof(line) - 1) {
		text_add(t, line, sizeof(line) - 1);
		n -= sizeof(line) - 1;
	}
	for (; n > 2; n--)
		text_add(t, "y", 1);
	text_add(t, "\r\n", n); /* the last one or two octets */
}

/* Runs a session on one end of a socketpair; writes input to the other
 * end, then shuts its sending side, and reads the replies until the
 * session has closed. Returns the final line of each reply, one per line
 * ("250 2.1.0 Ok\n"); the continuation lines of EHLO's are left out. */
static char *dialogue(struct fixture *f, const struct text *in)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(41234)};
	struct text out = {0}, lines = {0};
	size_t sent = 0;
	int sv[2], eof = 0;
	char buf[65536];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(evutil_make_socket_nonblocking(sv[0]), 0);
	assert_int_equal(evutil_make_socket_nonblocking(sv[1]), 0);
	sin.sin_addr.s_addr = htonl(0xC0000201); /* 192.0.2.1: not in mynetworks */
	session_accept(&f->ctx, sv[0], (struct sockaddr *)&sin, sizeof(sin));
	for (int i = 0; i < 2000 && !eof; i++) {
		struct timeval tick = {0, 5000};
		ssize_t n;
		if (sent < in->len) {
			n = send(sv[1], in->p + sent, in->len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			if (sent == in->len)
				shutdown(sv[1], SHUT_WR);
		}
		event_base_loopexit(f->base, &tick);
		event_base_loop(f->base, EVLOOP_ONCE);
		while ((n = recv(sv[1], buf, sizeof(buf), 0)) > 0)
			text_add(&out, buf, (size_t)n);
		if (n == 0)
			eof = 1;
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			eof = 1; /* reset: what came is what there is */
	}
	close(sv[1]);
	assert_true(eof);
	assert_null(f->ctx.sessions);
	for (char *p = out.p, *nl; p && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (nl - p >= 4 && p[3] == '-')
			continue;
		text_add(&lines, p, (size_t)(nl - p) - (nl > p && nl[-1] == '\r'));
		text_add(&lines, "\n", 1);
	}
	free(out.p);
	return lines.p ? lines.p : strdup("");
}

static void expect(const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("replies:\n%s\nwanted:\n%s", got, want);
}

/* Writes the literal "ID" over the queue ID of each "queued as 4F3A...",
 * in place, so that the replies compare with a fixed text. */
static void mask_ids(char *s)
{
	char *p;
	while ((p = strstr(s, "queued as ")) != NULL) {
		char *id = p + 10, *end = id;
		while ((*end >= '0' && *end <= '9') || (*end >= 'A' && *end <= 'F'))
			end++;
		assert_true(end - id >= 8);
		memcpy(id, "ID", 2);
		memmove(id + 2, end, strlen(end) + 1);
		s = id + 2;
	}
}

#define GREETING                                                                                   \
	"220 mx1.example.test ESMTP mxhost\n"                                                      \
	"250 CHUNKING\n"

/* RFC 3030: after a chunk fails (here 552, the message over the size
 * limit), the chunks pipelined behind it get the same answer, their
 * octets are read and dropped, they do not count as errors, and after
 * LAST the session is as before. With max_errors = 5, the five chunks
 * that got 503 each used to cut the client off with 421. */
static void test_bdat_failed_chunk(void **state)
{
	struct fixture *f = *state;
	struct text in = {0};
	char *got;

	text_printf(&in,
		    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n");
	bdat(&in, 25000, 0);
	for (int i = 0; i < 5; i++)
		bdat(&in, 100 + (size_t)i, 0);
	bdat(&in, 7, 1);
	text_printf(&in, "NOOP\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n");
	bdat(&in, 300, 1);
	/* four errors: below max_errors only if none of the above counted */
	text_printf(&in, "BOGUS\r\nBOGUS\r\nBOGUS\r\nBOGUS\r\nNOOP\r\nQUIT\r\n");
	got = dialogue(f, &in);
	mask_ids(got);
	expect(got, GREETING "250 2.1.0 Ok\n"
			     "250 2.1.5 Ok\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "250 2.0.0 Ok\n"
			     "250 2.1.0 Ok\n"
			     "250 2.1.5 Ok\n"
			     "250 2.0.0 Ok: queued as ID\n"
			     "500 5.5.1 Error: command not recognized\n"
			     "500 5.5.1 Error: command not recognized\n"
			     "500 5.5.1 Error: command not recognized\n"
			     "500 5.5.1 Error: command not recognized\n"
			     "250 2.0.0 Ok\n"
			     "221 2.0.0 Bye\n");
	free(got);
	free(in.p);
}

/* A BDAT that fails at once (no valid recipient: 503) is one error; the
 * chunks behind it get the same 503 without counting, until LAST. */
static void test_bdat_without_recipient(void **state)
{
	struct fixture *f = *state;
	struct text in = {0};
	char *got;

	text_printf(
	    &in, "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@example.test>\r\n");
	for (int i = 0; i < 4; i++)
		bdat(&in, 60, 0);
	bdat(&in, 60, 1);
	text_printf(&in, "NOOP\r\nRCPT TO:<user@example.test>\r\nBOGUS\r\nNOOP\r\nQUIT\r\n");
	got = dialogue(f, &in);
	expect(got, GREETING "250 2.1.0 Ok\n"
			     "550 5.1.1 <nobody@example.test>: Recipient address rejected: User "
			     "unknown\n"
			     "503 5.5.1 Error: need RCPT command\n"
			     "503 5.5.1 Error: need RCPT command\n"
			     "503 5.5.1 Error: need RCPT command\n"
			     "503 5.5.1 Error: need RCPT command\n"
			     "503 5.5.1 Error: need RCPT command\n"
			     "250 2.0.0 Ok\n"
			     "250 2.1.5 Ok\n"
			     "500 5.5.1 Error: command not recognized\n"
			     "250 2.0.0 Ok\n"
			     "221 2.0.0 Bye\n");
	free(got);
	free(in.p);
}

/* RSET, MAIL and EHLO end the failed transfer too; a command other than
 * BDAT meanwhile is answered as usual (and counted). */
static void test_bdat_failed_then_rset_or_mail(void **state)
{
	struct fixture *f = *state;
	struct text in = {0};
	char *got;

	text_printf(&in,
		    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n");
	bdat(&in, 21000, 0);
	text_printf(&in, "DATA\r\nRSET\r\n");
	bdat(&in, 10, 0); /* no transaction any more: 503, as without the failure */
	text_printf(&in, "MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n");
	bdat(&in, 21000, 0);
	text_printf(&in, "MAIL FROM:<a@b.test>\r\nRCPT TO:<user@example.test>\r\n");
	bdat(&in, 100, 0);
	bdat(&in, 100, 1);
	text_printf(&in, "QUIT\r\n");
	got = dialogue(f, &in);
	mask_ids(got);
	expect(got, GREETING "250 2.1.0 Ok\n"
			     "250 2.1.5 Ok\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "503 5.5.1 Error: BDAT transfer in progress\n"
			     "250 2.0.0 Ok\n"
			     "503 5.5.1 Error: need MAIL command\n"
			     "250 2.1.0 Ok\n"
			     "250 2.1.5 Ok\n"
			     "552 5.3.4 Message size exceeds fixed limit\n"
			     "250 2.1.0 Ok\n"
			     "250 2.1.5 Ok\n"
			     "250 2.0.0 Ok: 100 octets received\n"
			     "250 2.0.0 Ok: queued as ID\n"
			     "221 2.0.0 Bye\n");
	free(got);
	free(in.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bdat_failed_chunk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bdat_without_recipient, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bdat_failed_then_rset_or_mail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
