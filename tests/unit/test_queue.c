/* Unit tests for src/queue/queue.c: the scheduler and runner over a real
 * spool, delivering into a real Maildir: local delivery, remote recipients
 * deferred, unwritable mailboxes deferred then retried, restart, a corrupt
 * file quarantined at delivery, an unreadable one held and retried, out of
 * memory never taken for corruption, expiry, backoff. */
#include "unit.h"

#include "qtest.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/log.h"
#include "queue/qfile.h"
#include "queue/queue.h"
#include "queue/spool.h"

/*
 * Failing allocations: while fail_size is set, allocations of exactly that
 * size fail, on the loop thread or on the others (fail_on_loop). These
 * wrappers stand in for the C library's (which they call); sanitizers
 * bring their own allocator, so under them the tests that need them are
 * skipped.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_ALLOC_HOOK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_HOOK 1
#endif

static pthread_t loop_thread;
static atomic_size_t fail_size;
static atomic_int fail_on_loop, failed_allocs;

#ifndef NO_ALLOC_HOOK
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static int alloc_fails(size_t n)
{
	size_t want = atomic_load(&fail_size);

	if (want == 0 || n != want ||
	    !pthread_equal(pthread_self(), loop_thread) != !atomic_load(&fail_on_loop))
		return 0;
	atomic_fetch_add(&failed_allocs, 1);
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	return alloc_fails(n) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return n && size <= SIZE_MAX / n && alloc_fails(n * size) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return alloc_fails(n) ? NULL : __libc_realloc(p, n);
}
#endif

/* Arms (size > 0: counting from 0) or disarms (0: the count stays). */
static void fail_allocations(size_t size, int on_loop)
{
	atomic_store(&fail_on_loop, on_loop);
	if (size)
		atomic_store(&failed_allocs, 0);
	atomic_store(&fail_size, size);
}

/* The log (stderr) into a file while a test looks for a line in it. */
static char log_path[4200];
static int saved_stderr = -1;

static void log_capture(const char *dir)
{
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(fd >= 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void log_release(void)
{
	if (saved_stderr < 0)
		return;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
}

static int logged(const char *what)
{
	char *text = slurp(log_path, NULL);
	int found = text != NULL && strstr(text, what) != NULL;
	free(text);
	return found;
}

struct fixture {
	char *dir, spool[4096], mail[4096];
	struct event_base *base;
	struct spool *sp;
	struct queue *q;
	struct config_smtp cfg;
	int done, errs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = scratch_dir();
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
	snprintf(f->mail, sizeof(f->mail), "%s/mail", f->dir);
	f->base = event_base_new();
	f->cfg.hostname = "mx1.example.test";
	f->cfg.maildir_root = f->mail;
	f->cfg.retry_min = 1;
	f->cfg.retry_max = 4;
	f->cfg.queue_lifetime = 3600;
	f->cfg.delay_warning = 3600;
	f->cfg.delivery_workers = 2;
	*state = f;
	return 0;
}

static void start(struct fixture *f)
{
	f->sp = spool_open(f->spool, f->base);
	assert_non_null(f->sp);
	f->q = queue_start(f->base, f->sp, &f->cfg);
	assert_non_null(f->q);
}

static void stop(struct fixture *f)
{
	queue_stop(f->q);
	spool_close(f->sp);
	f->q = NULL;
	f->sp = NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fail_allocations(0, 0);
	log_release();
	queue_stop(f->q);
	spool_close(f->sp);
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
	f->errs += err != 0;
}

/* Commits a message from sender for the given recipients; returns its ID. */
static void commit_from(struct fixture *f, const char *sender, struct envelope_rcpt *rcpts,
			size_t n, char *id)
{
	static const char msg[] = "Subject: test\r\n\r\nhello\r\n";
	struct envelope e = {.sender = (char *)sender,
			     .helo = "h",
			     .client_addr = "127.0.0.1",
			     .rcpts = rcpts,
			     .nrcpts = n};
	struct spool_txn *tx = spool_begin(f->sp);
	int want = f->done + 1;

	assert_non_null(tx);
	if (id)
		strcpy(id, spool_txn_id(tx));
	assert_int_equal(spool_txn_write(tx, msg, sizeof(msg) - 1), 0);
	spool_txn_commit(tx, &e, on_done, f);
	assert_int_equal(loop_until(f->base, &f->done, want), 0);
	assert_int_equal(f->errs, 0);
}

static void commit(struct fixture *f, struct envelope_rcpt *rcpts, size_t n, char *id)
{
	commit_from(f, "a@example.org", rcpts, n, id);
}

/* Runs the loop until pred holds, for at most seconds. */
static int run_until(struct fixture *f, int (*pred)(struct fixture *), double seconds)
{
	struct timeval tick = {0, 10000};
	for (int i = 0; i < seconds * 100 && !pred(f); i++) {
		event_base_loopexit(f->base, &tick);
		event_base_dispatch(f->base);
	}
	return pred(f) ? 0 : -1;
}

static int queue_empty(struct fixture *f)
{
	return queue_count(f->q) == 0;
}

static int mails(struct fixture *f, const char *box)
{
	char p[8192];
	snprintf(p, sizeof(p), "%s/%s", f->mail, box);
	return count_files(p, "new");
}

/* The recipient states on disk for id (state/ID over queue/ID). */
static int read_states(struct fixture *f, const char *id, struct envelope *env)
{
	char p[8192], err[256];
	snprintf(p, sizeof(p), "%s/queue/%s", f->spool, id);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	int rc = qfile_read_envelope(fd, env, err, sizeof(err));
	close(fd);
	if (rc < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/state/%s", f->spool, id);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return 0;
	rc = qfile_read_state(fd, env, err, sizeof(err));
	close(fd);
	return rc;
}

static void test_local_delivery(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}, {.addr = "c@example.test"}};

	start(f);
	commit(f, r, 2, NULL);
	assert_int_equal(queue_count(f->q), 1);
	assert_int_equal(run_until(f, queue_empty, 10), 0);
	assert_int_equal(mails(f, "example.test/b"), 1);
	assert_int_equal(mails(f, "example.test/c"), 1);
	assert_int_equal(count_files(f->spool, "queue"), 0);
	assert_int_equal(count_files(f->spool, "state"), 0);
}

static char watched[32];
static struct fixture *watched_f;

static int attempts_at_least_2(struct fixture *f)
{
	struct envelope env;
	int ok = 0;
	if (read_states(f, watched, &env) == 0) {
		ok = env.rcpts[1].attempts >= 2;
		envelope_free(&env);
	}
	return ok;
}

/* Remote recipients stay queued (no outbound delivery yet), retried
 * with backoff; the local one is delivered once. */
static void test_remote_deferred(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"},
				    {.addr = "x@elsewhere.test", .kind = RCPT_REMOTE}};
	struct envelope env;
	time_t before = time(NULL);

	start(f);
	commit(f, r, 2, watched);
	watched_f = f;
	assert_int_equal(run_until(f, attempts_at_least_2, 10), 0);
	assert_int_equal(queue_count(f->q), 1);
	assert_int_equal(mails(f, "example.test/b"), 1); /* not twice */
	assert_int_equal(read_states(f, watched, &env), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(env.rcpts[0].attempts, 1);
	assert_int_equal(env.rcpts[1].state, RCPT_DEFERRED);
	/* After the second failure: retry_min doubled once. */
	assert_true(env.rcpts[1].next_try >= before + 1 + 2);
	assert_true(env.rcpts[1].next_try <= time(NULL) + 2);
	assert_string_equal(env.rcpts[1].last_error, "4.4.0 remote delivery is not available yet");
	envelope_free(&env);
}

static int delivered_b(struct fixture *f)
{
	return mails(f, "example.test/b") == 1 && queue_count(f->q) == 0;
}

/* An unwritable mailbox defers; once fixed, the retry delivers. */
static void test_unwritable_then_fixed(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}};
	struct envelope env;
	char p[8192], id[32];

	snprintf(p, sizeof(p), "%s/example.test", f->mail);
	assert_int_equal(mkdir(f->mail, 0700), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/example.test/b", f->mail);
	assert_int_equal(spit(p, "in the way", 10), 0);
	start(f);
	commit(f, r, 1, id);
	/* Wait for the first attempt to be recorded. */
	char sp[8192];
	snprintf(sp, sizeof(sp), "%s/state/%s", f->spool, id);
	for (int i = 0; i < 500 && access(sp, F_OK) != 0; i++) {
		struct timeval tick = {0, 10000};
		event_base_loopexit(f->base, &tick);
		event_base_dispatch(f->base);
	}
	assert_int_equal(read_states(f, id, &env), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_DEFERRED);
	assert_non_null(strstr(env.rcpts[0].last_error, "4.2.0 cannot open maildir"));
	envelope_free(&env);
	assert_int_equal(queue_count(f->q), 1);
	unlink(p);
	assert_int_equal(run_until(f, delivered_b, 10), 0);
	assert_int_equal(count_files(f->spool, "state"), 0);
}

/* What was queued when the daemon stopped is delivered after a start. */
static void test_restart(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}};

	f->sp = spool_open(f->spool, f->base);
	for (int i = 0; i < 5; i++)
		commit(f, r, 1, NULL);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(count_files(f->spool, "queue"), 5);
	start(f);
	assert_int_equal(queue_count(f->q), 5);
	assert_int_equal(run_until(f, queue_empty, 10), 0);
	assert_int_equal(mails(f, "example.test/b"), 5);
}

/* Stopping with deliveries in flight finishes them; nothing is lost. */
static void test_stop_in_flight(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}};

	start(f);
	for (int i = 0; i < 40; i++)
		commit(f, r, 1, NULL);
	stop(f);
	start(f);
	assert_int_equal(run_until(f, queue_empty, 10), 0);
	assert_int_equal(mails(f, "example.test/b"), 40);
}

/* Content damaged on disk is caught by the full check at delivery and
 * quarantined, never delivered. */
static void test_corrupt_quarantined(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}};
	char id[32], p[8192];

	f->sp = spool_open(f->spool, f->base);
	commit(f, r, 1, id);
	spool_close(f->sp);
	f->sp = NULL;
	snprintf(p, sizeof(p), "%s/queue/%s", f->spool, id);
	size_t len = 0;
	char *data = slurp(p, &len);
	char *hello = memmem(data, len, "hello", 5);
	assert_non_null(hello);
	hello[0] = 'j';
	assert_int_equal(spit(p, data, len), 0);
	free(data);
	log_set_level(LOG_LEVEL_ERROR);
	start(f);
	assert_int_equal(queue_count(f->q), 1); /* the envelope still checks */
	assert_int_equal(run_until(f, queue_empty, 10), 0);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(count_files(f->spool, "quarantine"), 1);
	assert_int_equal(count_files(f->spool, "queue"), 0);
	assert_true(mails(f, "example.test/b") <= 0);
}

static char held_line[128];

static int read_was_tried(struct fixture *f)
{
	(void)f;
	return logged(held_line);
}

/* A queue file that cannot be read (not corrupt: here a folder in its
 * place, EISDIR) is held and tried later, never quarantined. */
static void test_unreadable_held(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "x@elsewhere.test", .kind = RCPT_REMOTE}};
	struct envelope env;
	char id[32], p[8192], bak[8300], st[8192];

	start(f);
	commit(f, r, 1, id);
	snprintf(st, sizeof(st), "%s/state/%s", f->spool, id);
	for (int i = 0; i < 500 && access(st, F_OK) != 0; i++) {
		struct timeval tick = {0, 10000};
		event_base_loopexit(f->base, &tick);
		event_base_dispatch(f->base);
	}
	assert_int_equal(access(st, F_OK), 0); /* first attempt done: deferred 1 s */
	snprintf(p, sizeof(p), "%s/queue/%s", f->spool, id);
	snprintf(bak, sizeof(bak), "%s.bak", p);
	assert_int_equal(rename(p, bak), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	/* The retry comes, cannot read the file, and says why. */
	snprintf(held_line, sizeof(held_line), "%s: cannot read the queue file: Is a directory",
		 id);
	log_capture(f->dir);
	assert_int_equal(run_until(f, read_was_tried, 10), 0);
	log_release();
	assert_int_equal(queue_count(f->q), 1);
	assert_int_equal(count_files(f->spool, "quarantine"), 0);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(rename(bak, p), 0);
	/* Not an attempt: the recipient's state is the first attempt's. */
	assert_int_equal(read_states(f, id, &env), 0);
	assert_int_equal(env.rcpts[0].attempts, 1);
	envelope_free(&env);
}

#ifndef NO_ALLOC_HOOK
static int read_or_quarantined(struct fixture *f)
{
	return logged(held_line) || count_files(f->spool, "quarantine") > 0;
}

static char long_box[4096];

static int delivered_long(struct fixture *f)
{
	(void)f;
	return count_files(long_box, "new") == 1;
}
#endif

/* Out of memory while a good queue file is read for delivery says
 * nothing about the file: the message is held and tried again, never
 * quarantined. (The allocation failed is the sender's copy.) */
static void test_out_of_memory_held(void **state)
{
#ifdef NO_ALLOC_HOOK
	skip();
#else
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}};
	char sender[160], id[32], p[8192];

	memset(sender, 'o', 150);
	strcpy(sender + 150, "@e.org");
	f->sp = spool_open(f->spool, f->base);
	commit_from(f, sender, r, 1, id);
	spool_close(f->sp);
	f->sp = NULL;
	snprintf(held_line, sizeof(held_line),
		 "%s: cannot read the queue file: Cannot allocate memory", id);
	log_capture(f->dir);
	fail_allocations(strlen(sender) + 1, 0); /* on the delivery workers */
	start(f);
	assert_int_equal(run_until(f, read_or_quarantined, 10), 0);
	fail_allocations(0, 0);
	log_release();
	assert_true(atomic_load(&failed_allocs) >= 1);
	assert_int_equal(count_files(f->spool, "quarantine"), 0);
	assert_int_equal(queue_count(f->q), 1);
	snprintf(p, sizeof(p), "%s/queue/%s", f->spool, id);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(mails(f, "example.test/b"), -1); /* not delivered yet */
#endif
}

/* A delivery job takes no allocation of its own for the configuration
 * (it once copied maildir_root, and when that failed deferred the mail
 * as "maildir_root is not configured"): with every allocation of that
 * size failing on the loop thread, mail is still delivered. */
static void test_no_config_copy(void **state)
{
#ifdef NO_ALLOC_HOOK
	skip();
#else
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "b@example.test"}};
	static char root[4096];
	size_t n;

	/* A length nothing else allocates: 1236 bytes in 200-byte parts. */
	snprintf(root, sizeof(root), "%s", f->mail);
	while ((n = strlen(root)) < 1236) {
		size_t part = 1236 - n - 1 < 200 ? 1236 - n - 1 : 200;
		root[n] = '/';
		memset(root + n + 1, 'm', part);
		root[n + 1 + part] = '\0';
	}
	assert_int_equal(strlen(root), 1236);
	snprintf(long_box, sizeof(long_box), "%s/example.test/b", root);
	f->cfg.maildir_root = root;
	start(f);
	fail_allocations(strlen(root) + 1, 1);
	void *volatile p = malloc(strlen(root) + 1); /* the hook does fail */
	assert_null(p);
	commit(f, r, 1, NULL);
	assert_int_equal(run_until(f, delivered_long, 10), 0);
	fail_allocations(0, 0);
	assert_int_equal(run_until(f, queue_empty, 10), 0);
#endif
}

/* Past queue_lifetime a temporary failure is final. */
static void test_expired(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt r[] = {{.addr = "x@elsewhere.test", .kind = RCPT_REMOTE}};

	f->cfg.queue_lifetime = 0;
	log_set_level(LOG_LEVEL_ERROR);
	start(f);
	commit(f, r, 1, NULL);
	assert_int_equal(run_until(f, queue_empty, 10), 0);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(count_files(f->spool, "queue"), 0);
	assert_int_equal(count_files(f->spool, "state"), 0);
}

static void test_retry_delay(void **state)
{
	assert_int_equal(queue_retry_delay(1, 300, 14400), 300);
	assert_int_equal(queue_retry_delay(2, 300, 14400), 600);
	assert_int_equal(queue_retry_delay(3, 300, 14400), 1200);
	assert_int_equal(queue_retry_delay(6, 300, 14400), 9600);
	assert_int_equal(queue_retry_delay(7, 300, 14400), 14400);
	assert_int_equal(queue_retry_delay(4000000000u, 300, 14400), 14400);
	assert_int_equal(queue_retry_delay(1, 0, 0), 1);
	assert_int_equal(queue_retry_delay(5, 600, 300), 600); /* max below min */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_local_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_deferred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unwritable_then_fixed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_in_flight, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_quarantined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreadable_held, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_memory_held, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_config_copy, setup, teardown),
	    cmocka_unit_test(test_retry_delay),
	};
	loop_thread = pthread_self();
	log_init("test_queue", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
