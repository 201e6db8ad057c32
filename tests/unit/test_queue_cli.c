/* Unit tests for `mxhost queue list|show` (src/cli/queue.c), run against
 * a spool written by the real spool code, with no daemon running. */
#include "unit.h"

#include "qtest.h"

#include "cli/cli.h"
#include "core/log.h"
#include "queue/qfile.h"
#include "queue/spool.h"

struct fixture {
	char *dir, conf[4096], spool[4096];
	int done;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char text[8192];
	f->dir = scratch_dir();
	snprintf(f->conf, sizeof(f->conf), "%s/mxhost.conf", f->dir);
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
	snprintf(text, sizeof(text), "[smtp]\nspool = spool\nmaildir_root = mail\n");
	assert_int_equal(spit(f->conf, text, strlen(text)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Runs `mxhost queue ARGS...` with stdout into a string. */
static char *run(struct fixture *f, int *rc, const char *a1, const char *a2)
{
	char out[4096];
	const char *argv[] = {"queue", "-c", f->conf, a1, a2, NULL};
	int argc = a2 ? 5 : 4;

	snprintf(out, sizeof(out), "%s/out", f->dir);
	fflush(stdout);
	int saved = dup(1);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	*rc = cmd_queue(argc, (char **)argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return slurp(out, NULL);
}

static void on_done(void *arg, int err)
{
	struct fixture *f = arg;
	assert_int_equal(err, 0);
	f->done++;
}

static void test_list_show(void **state)
{
	struct fixture *f = *state;
	struct event_base *base = event_base_new();
	struct envelope_rcpt r[] = {{.addr = "b@example.test"},
				    {.addr = "x@elsewhere.test", .kind = RCPT_REMOTE}};
	struct envelope e = {.sender = "a@example.org",
			     .helo = "h",
			     .client_addr = "127.0.0.1",
			     .received = 1700000000,
			     .rcpts = r,
			     .nrcpts = 2};
	char id[32];
	int rc;

	char *out = run(f, &rc, "list", NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "Mail queue is empty\n");
	free(out);

	struct spool *sp = spool_open(f->spool, base);
	struct spool_txn *tx = spool_begin(sp);
	strcpy(id, spool_txn_id(tx));
	spool_txn_write(tx, "Subject: x\r\n\r\nbody\r\n", 20);
	spool_txn_commit(tx, &e, on_done, f);
	assert_int_equal(loop_until(base, &f->done, 1), 0);
	/* One recipient delivered, the other deferred. */
	e.rcpts[0].state = RCPT_DELIVERED;
	e.rcpts[1].state = RCPT_DEFERRED;
	e.rcpts[1].attempts = 1;
	e.rcpts[1].next_try = 1700000300;
	e.rcpts[1].last_error = "4.4.0 remote delivery is not available yet";
	strcpy(e.id, id);
	assert_int_equal(spool_write_state(sp, &e), 0);

	/* The daemon's spool is open: the tool reads it all the same. */
	out = run(f, &rc, "list", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "-Queue ID-"));
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "a@example.org"));
	assert_non_null(strstr(out, "(4.4.0 remote delivery is not available yet)"));
	assert_non_null(strstr(out, "x@elsewhere.test"));
	assert_null(strstr(out, "b@example.test")); /* delivered: not listed */
	assert_non_null(strstr(out, "-- 1 Kbytes in 1 Request."));
	free(out);

	out = run(f, &rc, "show", id);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "sender: a@example.org"));
	assert_non_null(strstr(out, "recipient: b@example.test, local, delivered, 0 attempts"));
	assert_non_null(strstr(out, "recipient: x@elsewhere.test, remote, deferred, 1 attempt"));
	assert_non_null(strstr(out, "*** MESSAGE CONTENTS"));
	assert_non_null(strstr(out, "Subject: x\r\n\r\nbody\r\n*** END OF MESSAGE ***"));
	free(out);

	/* A damaged file (here: cut short) is named with the reason. */
	char p[8192];
	snprintf(p, sizeof(p), "%s/queue/%s", f->spool, id);
	assert_int_equal(truncate(p, 50), 0);
	out = run(f, &rc, "show", p);
	assert_int_equal(rc, 1);
	free(out);
	out = run(f, &rc, "show", "0123456789AB");
	assert_int_equal(rc, 1);
	free(out);
	spool_close(sp);
	event_base_free(base);
}

static void test_usage(void **state)
{
	struct fixture *f = *state;
	int rc;
	char *out = run(f, &rc, "frobnicate", NULL);
	assert_int_equal(rc, 2);
	free(out);
	out = run(f, &rc, "show", NULL);
	assert_int_equal(rc, 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_list_show, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};
	log_init("test_queue_cli", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
