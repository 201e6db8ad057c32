/* Unit tests for src/queue/spool.c: commit, abort, write failures,
 * recovery and quarantine, queue IDs, state files. */
#include "unit.h"

#include "qtest.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include "core/log.h"
#include "queue/qfile.h"
#include "queue/spool.h"

struct fixture {
	char *dir;
	struct event_base *base;
	struct spool *sp;
	int done, errs, last_err;
	int hooked;
	struct envelope hooked_env;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = scratch_dir();
	f->base = event_base_new();
	assert_non_null(f->dir);
	assert_non_null(f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	spool_close(f->sp);
	envelope_free(&f->hooked_env);
	event_base_free(f->base);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void on_done(void *arg, int err)
{
	struct fixture *f = arg;
	f->done++;
	if (err) {
		f->errs++;
		f->last_err = err;
	}
}

static void on_hook(void *arg, struct envelope *env)
{
	struct fixture *f = arg;
	f->hooked++;
	envelope_free(&f->hooked_env);
	f->hooked_env = *env;
	free(env);
}

static struct envelope_rcpt rcpts2[] = {
    {.addr = "b@example.test", .orcpt = "alias@example.test", .kind = RCPT_LOCAL},
    {.addr = "c@elsewhere.test", .kind = RCPT_REMOTE},
};

static struct envelope sample_env(void)
{
	struct envelope e = {
	    .sender = "a@example.org",
	    .received = 1700000000,
	    .helo = "client.example.org",
	    .client_addr = "127.0.0.1",
	    .body_8bit = 1,
	    .rcpts = rcpts2,
	    .nrcpts = 2,
	};
	return e;
}

/* Writes len bytes of a recognisable pattern in pieces of piece bytes. */
static char *pattern(size_t len)
{
	char *p = malloc(len);
	for (size_t i = 0; i < len; i++)
		p[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : (char)('a' + i % 26);
	return p;
}

static void commit_one(struct fixture *f, const char *data, size_t len, size_t piece, char *id)
{
	struct envelope e = sample_env();
	struct spool_txn *tx = spool_begin(f->sp);
	int want = f->done + 1;

	assert_non_null(tx);
	if (id)
		strcpy(id, spool_txn_id(tx));
	for (size_t at = 0; at < len; at += piece)
		assert_int_equal(
		    spool_txn_write(tx, data + at, len - at < piece ? len - at : piece), 0);
	spool_txn_commit(tx, &e, on_done, f);
	assert_int_equal(loop_until(f->base, &f->done, want), 0);
}

/* Reads queue/ID back through the full checker. */
static uint8_t *load(struct fixture *f, const char *id, struct envelope *env, size_t *len)
{
	char path[4096], err[256];
	uint8_t *data;
	snprintf(path, sizeof(path), "%s/queue/%s", f->dir, id);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	int rc = qfile_load(fd, env, &data, len, err, sizeof(err));
	close(fd);
	if (rc < 0)
		fail_msg("%s", err);
	return data;
}

static void test_commit(void **state)
{
	struct fixture *f = *state;
	char id[32], *msg = pattern(5000);
	struct envelope env;
	size_t len;

	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	spool_set_commit_hook(f->sp, on_hook, f);
	commit_one(f, msg, 5000, 1000, id);
	assert_int_equal(f->errs, 0);
	assert_true(qfile_id_valid(id));

	/* The hook saw it, with the spool's ID and size. */
	assert_int_equal(f->hooked, 1);
	assert_string_equal(f->hooked_env.id, id);
	assert_int_equal(f->hooked_env.size, 5000);
	assert_int_equal(f->hooked_env.nrcpts, 2);

	/* On disk: queue/ID only, and it reads back intact. */
	assert_int_equal(count_files(f->dir, "queue"), 1);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	uint8_t *data = load(f, id, &env, &len);
	assert_int_equal(len, 5000);
	assert_memory_equal(data, msg, 5000);
	assert_string_equal(env.id, id);
	assert_string_equal(env.sender, "a@example.org");
	assert_string_equal(env.helo, "client.example.org");
	assert_string_equal(env.client_addr, "127.0.0.1");
	assert_int_equal(env.received, 1700000000);
	assert_int_equal(env.body_8bit, 1);
	assert_int_equal(env.smtputf8, 0);
	assert_int_equal(env.nrcpts, 2);
	assert_string_equal(env.rcpts[0].addr, "b@example.test");
	assert_string_equal(env.rcpts[0].orcpt, "alias@example.test");
	assert_int_equal(env.rcpts[0].kind, RCPT_LOCAL);
	assert_null(env.rcpts[1].orcpt);
	assert_int_equal(env.rcpts[1].kind, RCPT_REMOTE);
	assert_int_equal(env.rcpts[1].state, RCPT_PENDING);
	envelope_free(&env);
	free(data);
	free(msg);
}

/* A delivered message's file goes to free/ and the next message is
 * written over it: shorter content must leave nothing of the longer one
 * (the file is cut to length), and start-up empties free/. */
static void test_recycle(void **state)
{
	struct fixture *f = *state;
	char id1[32], id2[32], *big = pattern(200000), *small = pattern(300);
	struct envelope env;
	size_t len;

	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	commit_one(f, big, 60000, 4096, id1);
	assert_int_equal(spool_remove(f->sp, id1), 0);
	assert_int_equal(count_files(f->dir, "queue"), 0);
	assert_int_equal(count_files(f->dir, "free"), 1);

	/* Not before a sync of queue/ has covered its leaving: the next
	 * commit (which syncs queue/ only after taking its file) makes a
	 * new file, the one after it reuses. */
	commit_one(f, small, 300, 300, id2);
	assert_int_equal(count_files(f->dir, "free"), 1);
	assert_int_equal(spool_remove(f->sp, id2), 0);
	assert_int_equal(count_files(f->dir, "free"), 2);
	commit_one(f, small, 300, 300, id2);
	assert_int_equal(f->errs, 0);
	assert_int_equal(count_files(f->dir, "free"), 1);
	uint8_t *data = load(f, id2, &env, &len);
	assert_int_equal(len, 300);
	assert_memory_equal(data, small, 300);
	envelope_free(&env);
	free(data);

	/* A file too large for the pool is unlinked, not kept. */
	commit_one(f, big, 200000, 65536, id1);
	assert_int_equal(spool_remove(f->sp, id1), 0);
	assert_int_equal(count_files(f->dir, "free"), 0);

	/* A leftover name on a queued message's inode (what a crash can leave
	 * on a file system without a journal) is left alone at start-up. */
	{
		char qpath[4096], tpath[4096];
		commit_one(f, small, 300, 300, id1);
		snprintf(qpath, sizeof(qpath), "%s/queue/%s", f->dir, id1);
		snprintf(tpath, sizeof(tpath), "%s/free/Fdeadbeef", f->dir);
		assert_int_equal(link(qpath, tpath), 0);
		spool_close(f->sp);
		f->sp = spool_open(f->dir, f->base);
		assert_non_null(f->sp);
		assert_int_equal(access(tpath, F_OK), 0);
		assert_int_equal(unlink(tpath), 0);
		uint8_t *again = load(f, id1, &env, &len);
		assert_int_equal(len, 300);
		envelope_free(&env);
		free(again);
		assert_int_equal(spool_remove(f->sp, id1), 0);
	}

	/* Start-up empties free/. */
	assert_int_equal(spool_remove(f->sp, id2), 0);
	assert_true(count_files(f->dir, "free") >= 1);
	spool_close(f->sp);
	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	assert_int_equal(count_files(f->dir, "free"), 0);
	free(big);
	free(small);
}

/* Past 128 KB the content spills to tmp/ID while it arrives. */
static void test_commit_large(void **state)
{
	struct fixture *f = *state;
	size_t big = 1000 * 1000 + 7;
	char id[32], *msg = pattern(big);
	struct envelope env;
	size_t len;

	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	struct spool_txn *tx = spool_begin(f->sp);
	strcpy(id, spool_txn_id(tx));
	assert_int_equal(spool_txn_write(tx, msg, 300000), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 1); /* spilled */
	assert_int_equal(spool_txn_write(tx, msg + 300000, big - 300000), 0);
	struct envelope e = sample_env();
	spool_txn_commit(tx, &e, on_done, f);
	assert_int_equal(loop_until(f->base, &f->done, 1), 0);
	assert_int_equal(f->errs, 0);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	uint8_t *data = load(f, id, &env, &len);
	assert_int_equal(len, big);
	assert_memory_equal(data, msg, big);
	assert_int_equal(env.size, big);
	envelope_free(&env);
	free(data);
	free(msg);
}

/* Many small writes (as the SMTP server makes) spill and commit intact:
 * the content sits in many evbuffer chains. */
static void test_commit_small_writes(void **state)
{
	struct fixture *f = *state;
	size_t big = 400000;
	char id[32], *msg = pattern(big);
	struct envelope env;
	size_t len;

	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	for (size_t piece = 37; piece <= 2000; piece *= 7) {
		commit_one(f, msg, big, piece, id);
		assert_int_equal(f->errs, 0);
		uint8_t *data = load(f, id, &env, &len);
		assert_int_equal(len, big);
		assert_memory_equal(data, msg, big);
		envelope_free(&env);
		free(data);
		commit_one(f, msg, 100000, piece, id); /* in memory only */
		data = load(f, id, &env, &len);
		assert_int_equal(len, 100000);
		assert_memory_equal(data, msg, 100000);
		envelope_free(&env);
		free(data);
	}
	free(msg);
}

static void test_abort(void **state)
{
	struct fixture *f = *state;
	char *msg = pattern(400000);

	f->sp = spool_open(f->dir, f->base);
	struct spool_txn *tx = spool_begin(f->sp);
	assert_int_equal(spool_txn_write(tx, msg, 100), 0);
	spool_txn_abort(tx);
	tx = spool_begin(f->sp);
	assert_int_equal(spool_txn_write(tx, msg, 400000), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 1);
	spool_txn_abort(tx);
	/* The unlink runs on a worker; closing waits for it. */
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "queue"), 0);
	free(msg);
}

/* IDs grow strictly and stay above every ID found on disk. */
static void test_ids(void **state)
{
	struct fixture *f = *state;
	char path[4096], prev[32] = "", future[] = "FFFFFFF00000";

	snprintf(path, sizeof(path), "%s/state", f->dir);
	mkdir(f->dir, 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/state/%s", f->dir, future);
	assert_int_equal(spit(path, "x", 1), 0); /* an orphan: removed, but counted */
	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	for (int i = 0; i < 1000; i++) {
		struct spool_txn *tx = spool_begin(f->sp);
		const char *id = spool_txn_id(tx);
		assert_true(qfile_id_valid(id));
		assert_true(strcmp(id, future) > 0);
		assert_true(strcmp(id, prev) > 0);
		strcpy(prev, id);
		spool_txn_abort(tx);
	}
	assert_int_equal(count_files(f->dir, "state"), 0);
}

/* A second daemon on the same spool is refused. */
static void test_lock(void **state)
{
	struct fixture *f = *state;

	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	log_set_level(LOG_LEVEL_ERROR);
	assert_null(spool_open(f->dir, f->base));
	log_set_level(LOG_LEVEL_WARN);
}

/* Many commits at once: all succeed; the directory syncs are shared. */
static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct spool_stats st;
	char *msg = pattern(1024);
	int n = 300;

	f->sp = spool_open(f->dir, f->base);
	for (int i = 0; i < n; i++) {
		struct envelope e = sample_env();
		struct spool_txn *tx = spool_begin(f->sp);
		assert_non_null(tx);
		assert_int_equal(spool_txn_write(tx, msg, 1024), 0);
		spool_txn_commit(tx, &e, on_done, f);
	}
	assert_int_equal(loop_until(f->base, &f->done, n), 0);
	assert_int_equal(f->errs, 0);
	assert_int_equal(count_files(f->dir, "queue"), n);
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.commits, n);
	assert_true(st.dir_syncs >= 1 && st.dir_syncs <= (unsigned long)n);
	print_message("%d commits, %lu directory syncs\n", n, st.dir_syncs);
	free(msg);
}

/* A write that fails (here past RLIMIT_FSIZE: EFBIG, as ENOSPC would)
 * fails the transaction cleanly and leaves no file behind. */
static void test_write_failure(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, lim;
	char *msg = pattern(400000);

	signal(SIGXFSZ, SIG_IGN);
	f->sp = spool_open(f->dir, f->base);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 50000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	/* Failing while spilling: spool_txn_write says so. */
	struct spool_txn *tx = spool_begin(f->sp);
	assert_int_equal(spool_txn_write(tx, msg, 400000), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(spool_txn_write(tx, msg, 10), -1); /* sticky */
	spool_txn_abort(tx);

	/* Failing in the commit's worker: the callback says so. */
	tx = spool_begin(f->sp);
	assert_int_equal(spool_txn_write(tx, msg, 100000), 0);
	struct envelope e = sample_env();
	spool_txn_commit(tx, &e, on_done, f);
	assert_int_equal(loop_until(f->base, &f->done, 1), 0);
	assert_int_equal(f->errs, 1);
	assert_int_equal(f->last_err, EFBIG);

	/* The spool goes on: a small message still commits. */
	commit_one(f, msg, 1000, 1000, NULL);
	assert_int_equal(f->errs, 1);
	setrlimit(RLIMIT_FSIZE, &old);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "queue"), 1);
	free(msg);
}

struct taken {
	struct envelope envs[16];
	int n;
};

static void take(void *arg, struct envelope *env)
{
	struct taken *t = arg;
	assert_true(t->n < 16);
	t->envs[t->n++] = *env;
	free(env);
}

static void copy_file(const char *from, const char *to, size_t truncate_to)
{
	size_t len = 0;
	char *data = slurp(from, &len);
	assert_non_null(data);
	assert_int_equal(spit(to, data, truncate_to < len ? truncate_to : len), 0);
	free(data);
}

/* What a crash leaves, and what start-up makes of it (docs/QUEUE.md). */
static void test_recovery(void **state)
{
	struct fixture *f = *state;
	char ids[3][32], from[4096], to[4096];
	char *msg = pattern(3000);
	struct taken t = {0};

	f->sp = spool_open(f->dir, f->base);
	for (int i = 0; i < 3; i++)
		commit_one(f, msg, 3000, 3000, ids[i]);

	/* Message 1 partly delivered: its state file says so. */
	struct envelope env;
	size_t len;
	uint8_t *data = load(f, ids[1], &env, &len);
	free(data);
	env.rcpts[0].state = RCPT_DELIVERED;
	env.rcpts[0].attempts = 1;
	env.rcpts[1].state = RCPT_DEFERRED;
	env.rcpts[1].attempts = 2;
	env.rcpts[1].next_try = 1700003600;
	env.rcpts[1].last_error = strdup("451 4.4.1 no answer");
	env.warned = 1700001234;
	assert_int_equal(spool_write_state(f->sp, &env), 0);
	spool_close(f->sp);
	f->sp = NULL;

	/* Leftovers: an unfinished reception, a state update in progress,
	 * a truncated message file (a copy of message 2 without its end), a
	 * stray file, and the state of a message already gone. */
	snprintf(to, sizeof(to), "%s/tmp/%s", f->dir, "0000000000AA");
	assert_int_equal(spit(to, "partial", 7), 0);
	snprintf(to, sizeof(to), "%s/tmp/%s.state", f->dir, ids[1]);
	assert_int_equal(spit(to, "half", 4), 0);
	snprintf(from, sizeof(from), "%s/queue/%s", f->dir, ids[2]);
	snprintf(to, sizeof(to), "%s/queue/%s", f->dir, "0000000000BB");
	copy_file(from, to, 3000);
	snprintf(to, sizeof(to), "%s/queue/%s", f->dir, "core");
	assert_int_equal(spit(to, "junk", 4), 0);
	snprintf(to, sizeof(to), "%s/state/%s", f->dir, "0000000000CC");
	assert_int_equal(spit(to, "old", 3), 0);
	/* And a queue entry that is no regular file (a folder): no message
	 * the spool wrote, so quarantined (never followed or written to). */
	snprintf(to, sizeof(to), "%s/queue/%s", f->dir, "0000000000DD");
	assert_int_equal(mkdir(to, 0700), 0);

	f->sp = spool_open(f->dir, f->base);
	assert_non_null(f->sp);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "quarantine"), 3);
	snprintf(to, sizeof(to), "%s/quarantine/queue.0000000000BB", f->dir);
	assert_int_equal(access(to, F_OK), 0);
	snprintf(to, sizeof(to), "%s/quarantine/queue.core", f->dir);
	assert_int_equal(access(to, F_OK), 0);
	assert_int_equal(count_files(f->dir, "state"), 1); /* the orphan is gone */
	snprintf(to, sizeof(to), "%s/quarantine/queue.%s", f->dir, "0000000000DD");
	assert_int_equal(rmdir(to), 0); /* moved there whole */

	spool_take_recovered(f->sp, take, &t);
	assert_int_equal(t.n, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(t.envs[i].id, ids[i]); /* in ID order */
	assert_int_equal(t.envs[0].rcpts[0].state, RCPT_PENDING);
	assert_int_equal(t.envs[1].rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(t.envs[1].rcpts[1].state, RCPT_DEFERRED);
	assert_int_equal(t.envs[1].rcpts[1].attempts, 2);
	assert_int_equal(t.envs[1].rcpts[1].next_try, 1700003600);
	assert_string_equal(t.envs[1].rcpts[1].last_error, "451 4.4.1 no answer");
	assert_int_equal(t.envs[1].warned, 1700001234);
	/* Taken once: the spool keeps no copy. */
	spool_take_recovered(f->sp, take, &t);
	assert_int_equal(t.n, 3);
	for (int i = 0; i < t.n; i++)
		envelope_free(&t.envs[i]);

	/* Removing a message takes its state along. */
	struct spool_txn *tx = spool_begin(f->sp);
	spool_txn_abort(tx);
	assert_int_equal(spool_remove(f->sp, ids[1]), 0);
	assert_int_equal(count_files(f->dir, "state"), 0);
	assert_int_equal(count_files(f->dir, "queue"), 2);

	/* And quarantining one at delivery time moves it aside. */
	log_set_level(LOG_LEVEL_ERROR);
	assert_int_equal(spool_quarantine(f->sp, ids[0], "test"), 0);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(count_files(f->dir, "queue"), 1);
	assert_int_equal(count_files(f->dir, "quarantine"), 3);
	envelope_free(&env);
	free(msg);
}

/* A state file that does not parse is quarantined; the message goes on
 * with every recipient pending (at least once). */
static void test_recovery_bad_state(void **state)
{
	struct fixture *f = *state;
	char id[32], path[4096];
	char *msg = pattern(100);
	struct taken t = {0};

	f->sp = spool_open(f->dir, f->base);
	commit_one(f, msg, 100, 100, id);
	spool_close(f->sp);
	snprintf(path, sizeof(path), "%s/state/%s", f->dir, id);
	assert_int_equal(spit(path, "garbage", 7), 0);
	log_set_level(LOG_LEVEL_ERROR);
	f->sp = spool_open(f->dir, f->base);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(count_files(f->dir, "quarantine"), 1);
	spool_take_recovered(f->sp, take, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.envs[0].rcpts[0].state, RCPT_PENDING);
	envelope_free(&t.envs[0]);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_large, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_small_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recovery_bad_state, setup, teardown),
	};
	log_init("test_spool", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
