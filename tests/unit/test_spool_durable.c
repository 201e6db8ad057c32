/* Unit tests for the spool's building blocks: the durable-write helper
 * (src/core/durable.c) and the worker pool (src/queue/workpool.c). The
 * group commit tests put a folder fsync of their own in the durable_dir,
 * which waits until the test lets it finish, so that callers arrive in
 * an order the test chooses. */
#include "unit.h"

#include "qtest.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "core/durable.h"
#include "core/log.h"
#include "queue/workpool.h"

static void test_write_errors(void **state)
{
	int fd = open("/dev/full", O_WRONLY);
	if (fd < 0)
		skip();
	assert_int_equal(durable_write_all(fd, "x", 1), -1);
	assert_int_equal(errno, ENOSPC);
	struct iovec iov[2] = {{"a", 1}, {"b", 1}};
	assert_int_equal(durable_writev_all(fd, iov, 2), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
	assert_int_equal(durable_close(-1), -1);
	assert_int_equal(errno, EBADF);
}

static void test_replace(void **state)
{
	char *dir = scratch_dir(), path[4096];
	int root = open(dir, O_RDONLY | O_DIRECTORY);
	struct durable_dir dd;
	/* Many pieces: more than one writev window. */
	struct iovec iov[200];
	char expect[200];

	for (int i = 0; i < 200; i++) {
		expect[i] = (char)('A' + i % 26);
		iov[i].iov_base = &expect[i];
		iov[i].iov_len = 1;
	}
	int sub = durable_opendir(root, "a/b/c", 0700);
	assert_true(sub >= 0);
	int tmp = durable_opendir(root, "tmp", 0700);
	assert_int_equal(durable_dir_init(&dd, sub), 0);
	assert_int_equal(durable_replace(tmp, "t", &dd, "file", iov, 200), 0);
	snprintf(path, sizeof(path), "%s/a/b/c/file", dir);
	size_t len;
	char *got = slurp(path, &len);
	assert_int_equal(len, 200);
	assert_memory_equal(got, expect, 200);
	free(got);
	assert_int_equal(count_files(dir, "tmp"), 0);
	/* Replacing is atomic: the new content, whole. */
	assert_int_equal(durable_replace(tmp, "t", &dd, "file", iov, 3), 0);
	got = slurp(path, &len);
	assert_int_equal(len, 3);
	free(got);
	assert_int_equal(dd.nsyncs, 2);
	/* A leftover temporary name is not overwritten (O_EXCL). */
	snprintf(path, sizeof(path), "%s/tmp/t", dir);
	assert_int_equal(spit(path, "x", 1), 0);
	assert_int_equal(durable_replace(tmp, "t", &dd, "file", iov, 3), -1);
	assert_int_equal(errno, EEXIST);
	/* An absolute path works too, and an existing folder just opens. */
	int again = durable_opendir(AT_FDCWD, dir, 0700);
	assert_true(again >= 0);
	close(again);
	durable_dir_destroy(&dd);
	close(sub);
	close(tmp);
	close(root);
	rm_rf(dir);
	free(dir);
}

struct syncer {
	struct durable_dir *dd;
	int rc;
};

static void *sync_thread(void *arg)
{
	struct syncer *s = arg;
	for (int i = 0; i < 50 && s->rc == 0; i++)
		s->rc = durable_dir_sync(s->dd);
	return NULL;
}

/* Concurrent callers all return, and never need more syncs than calls. */
static void test_dir_sync_shared(void **state)
{
	char *dir = scratch_dir();
	struct durable_dir dd;
	pthread_t t[8];
	struct syncer s[8];

	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(durable_dir_init(&dd, fd), 0);
	for (int i = 0; i < 8; i++) {
		s[i].dd = &dd;
		s[i].rc = 0;
		pthread_create(&t[i], NULL, sync_thread, &s[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(s[i].rc, 0);
	}
	assert_int_equal(dd.announced, 400);
	assert_true(dd.nsyncs >= 1 && dd.nsyncs <= 400);
	assert_int_equal(dd.nfailed, 0);
	assert_null(dd.waiting);
	print_message("400 sync requests, %lu directory fsyncs\n", (unsigned long)dd.nsyncs);
	durable_dir_destroy(&dd);
	close(fd);
	rm_rf(dir);
	free(dir);
}

/* ---- an fsync the test orders ---- */

/* Sync k (from 1) waits until the test opens gate k, then fails with
 * result[k] (0: succeeds). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, opened;
	int result[16];
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, {0}};

static int gated_sync(int fd)
{
	int k, e;

	(void)fd;
	pthread_mutex_lock(&gate.mu);
	k = ++gate.started;
	pthread_cond_broadcast(&gate.cv);
	while (gate.opened < k)
		pthread_cond_wait(&gate.cv, &gate.mu);
	e = k < 16 ? gate.result[k] : 0;
	pthread_mutex_unlock(&gate.mu);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static void gate_reset(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.started = gate.opened = 0;
	memset(gate.result, 0, sizeof(gate.result));
	pthread_mutex_unlock(&gate.mu);
}

/* Lets syncs up to k finish, the k-th with result e. */
static void gate_open(int k, int e)
{
	pthread_mutex_lock(&gate.mu);
	gate.result[k] = e;
	gate.opened = k;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

/* Sync k has started (and waits at its gate). Waits at most 10 s. */
static void started(int k)
{
	int now = 0;
	for (int i = 0; i < 10000 && now < k; i++) {
		pthread_mutex_lock(&gate.mu);
		now = gate.started;
		pthread_mutex_unlock(&gate.mu);
		if (now < k)
			usleep(1000);
	}
	assert_true(now >= k);
}

/* n renames have been announced: their callers wait inside
 * durable_dir_sync (or run the sync). Waits at most 10 s. */
static void announced(struct durable_dir *dd, uint64_t n)
{
	uint64_t now = 0;
	for (int i = 0; i < 10000 && now < n; i++) {
		pthread_mutex_lock(&dd->mu);
		now = dd->announced;
		pthread_mutex_unlock(&dd->mu);
		if (now < n)
			usleep(1000);
	}
	assert_true(now >= n);
}

struct caller {
	pthread_t t;
	struct durable_dir *dd;
	int rc, err;
};

static void *caller_run(void *arg)
{
	struct caller *c = arg;
	c->rc = durable_dir_sync(c->dd);
	c->err = c->rc < 0 ? errno : 0;
	return NULL;
}

static void call(struct caller *c, struct durable_dir *dd)
{
	c->dd = dd;
	c->rc = c->err = 99;
	assert_int_equal(pthread_create(&c->t, NULL, caller_run, c), 0);
}

static void join(struct caller *c, int rc, int err)
{
	pthread_join(c->t, NULL);
	assert_int_equal(c->rc, rc);
	assert_int_equal(c->err, err);
}

/* Group commit: while one fsync runs, N callers announce their renames;
 * when it ends, exactly one more fsync covers all N. */
static void test_group_commit(void **state)
{
	enum { N = 8 };
	struct durable_dir dd;
	struct caller first, c[N];

	gate_reset();
	assert_int_equal(durable_dir_init(&dd, -1), 0);
	dd.sync = gated_sync;
	call(&first, &dd);
	started(1);
	for (int i = 0; i < N; i++)
		call(&c[i], &dd);
	announced(&dd, 1 + N);
	gate_open(2, 0); /* the running sync and the next one may finish */
	join(&first, 0, 0);
	for (int i = 0; i < N; i++)
		join(&c[i], 0, 0);
	assert_int_equal(dd.nsyncs, 2);
	assert_int_equal(gate.started, 2);
	assert_int_equal(dd.synced, 1 + N);
	assert_null(dd.waiting);
	durable_dir_destroy(&dd);
}

/* A failed sync fails every caller it covered, and only those: the next
 * caller gets the next sync's result (a lost write is reported once). */
static void test_dir_sync_error(void **state)
{
	enum { N = 5 };
	struct durable_dir dd;
	struct caller first, c[N], later;

	gate_reset();
	assert_int_equal(durable_dir_init(&dd, -1), 0);
	dd.sync = gated_sync;
	call(&first, &dd);
	started(1);
	for (int i = 0; i < N; i++)
		call(&c[i], &dd);
	announced(&dd, 1 + N);
	gate_open(1, 0);
	join(&first, 0, 0); /* its sync succeeded */
	started(2);
	gate_open(2, EIO); /* the sync of the N fails */
	for (int i = 0; i < N; i++)
		join(&c[i], -1, EIO);
	gate_open(3, 0);
	call(&later, &dd);
	join(&later, 0, 0);
	assert_int_equal(dd.nsyncs, 3);
	assert_int_equal(dd.nfailed, 1);
	assert_int_equal(dd.synced, 1 + N + 1);
	durable_dir_destroy(&dd);

	/* The real fsync's error comes through too. */
	assert_int_equal(durable_dir_init(&dd, -1), 0); /* fsync(-1): EBADF */
	assert_int_equal(durable_dir_sync(&dd), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dd.nfailed, 1);
	durable_dir_destroy(&dd);
}

/* A caller held up (by a signal handler that waits) inside
 * durable_dir_sync, so that syncs run and end before it looks again. */
static sem_t paused, resume;

static void on_pause(int sig)
{
	int e = errno;
	(void)sig;
	sem_post(&paused);
	while (sem_wait(&resume) < 0 && errno == EINTR)
		;
	errno = e;
}

static void hold_up(struct caller *c)
{
	struct timespec ts;

	assert_int_equal(pthread_kill(c->t, SIGUSR1), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	assert_int_equal(sem_timedwait(&paused, &ts), 0);
}

/*
 * The review's case: a sync covering a caller's rename succeeds, and a
 * later sync fails before that caller gets the mutex back. The caller
 * must get the success (its rename is durable; an error would make the
 * spool unlink a durable message and answer 452). And the converse: a
 * caller whose sync failed gets the failure even if a later one
 * succeeds before it looks.
 */
static void test_dir_sync_first_result(void **state)
{
	struct durable_dir dd;
	struct caller t0, w, t1, t2, w2, t3, t4;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_pause;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	sem_init(&paused, 0, 0);
	sem_init(&resume, 0, 0);
	gate_reset();
	assert_int_equal(durable_dir_init(&dd, -1), 0);
	dd.sync = gated_sync;

	call(&t0, &dd); /* rename 1, sync 1 */
	started(1);
	call(&w, &dd); /* rename 2: waits for sync 2 */
	announced(&dd, 2);
	hold_up(&w);
	call(&t1, &dd); /* rename 3 */
	announced(&dd, 3);
	gate_open(1, 0);
	join(&t0, 0, 0);
	started(2); /* run by t1, covers renames 2 and 3 */
	gate_open(2, 0);
	join(&t1, 0, 0);

	call(&t2, &dd); /* rename 4, sync 3 */
	started(3);
	call(&w2, &dd); /* rename 5: waits for sync 4 */
	announced(&dd, 5);
	hold_up(&w2);
	gate_open(3, EIO);
	join(&t2, -1, EIO);
	call(&t3, &dd); /* rename 6, sync 4: covers 5 and 6, fails */
	started(4);
	gate_open(4, EIO);
	join(&t3, -1, EIO);
	call(&t4, &dd); /* rename 7, sync 5: succeeds */
	started(5);
	gate_open(5, 0);
	join(&t4, 0, 0);

	/* w's sync (2) succeeded, though syncs 3 and 4 failed since; w2's
	 * (4) failed, though sync 5 succeeded since. */
	sem_post(&resume);
	sem_post(&resume);
	join(&w, 0, 0);
	join(&w2, -1, EIO);
	assert_int_equal(dd.nsyncs, 5);
	assert_int_equal(dd.nfailed, 2);
	assert_int_equal(dd.synced, 7); /* sync 5's */
	assert_null(dd.waiting);
	durable_dir_destroy(&dd);
	signal(SIGUSR1, SIG_DFL);
	sem_destroy(&paused);
	sem_destroy(&resume);
}

/* After the rename, a failed folder sync leaves a replacing file in place
 * (the one it replaced is gone: a state file must not vanish), and takes
 * a published one away (a mail must not be there twice after a retry). */
static void test_sync_fails_after_rename(void **state)
{
	char *dir = scratch_dir(), path[4096];
	int root = open(dir, O_RDONLY | O_DIRECTORY);
	int tmp = durable_opendir(root, "tmp", 0700);
	int dst = durable_opendir(root, "dst", 0700);
	int dst_path = openat(root, "dst", O_PATH | O_DIRECTORY); /* fsync: EBADF */
	struct durable_dir good, bad;
	struct iovec old = {"old", 3}, new = {"new!", 4};
	size_t len;
	char *got;

	assert_true(tmp >= 0 && dst >= 0 && dst_path >= 0);
	assert_int_equal(durable_dir_init(&good, dst), 0);
	assert_int_equal(durable_dir_init(&bad, dst_path), 0);
	assert_int_equal(durable_replace(tmp, "t", &good, "state", &old, 1), 0);
	assert_int_equal(durable_replace(tmp, "t", &bad, "state", &new, 1), -1);
	assert_int_equal(errno, EBADF);
	snprintf(path, sizeof(path), "%s/dst/state", dir);
	got = slurp(path, &len);
	assert_non_null(got); /* not unlinked */
	assert_int_equal(len, 4);
	assert_memory_equal(got, "new!", 4);
	free(got);
	assert_int_equal(count_files(dir, "tmp"), 0);

	assert_int_equal(durable_publish(tmp, "m", dst_path, "mail", &new, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(count_files(dir, "dst"), 1); /* the state only */
	assert_int_equal(count_files(dir, "tmp"), 0);
	assert_int_equal(durable_publish(tmp, "m", dst, "mail", &new, 1), 0);
	assert_int_equal(count_files(dir, "dst"), 2);
	assert_int_equal(count_files(dir, "tmp"), 0);

	durable_dir_destroy(&good);
	durable_dir_destroy(&bad);
	close(dst_path);
	close(dst);
	close(tmp);
	close(root);
	rm_rf(dir);
	free(dir);
}

struct opener {
	pthread_t t;
	int dirfd, fd;
	const char *path;
	atomic_int done;
};

static void *opener_run(void *arg)
{
	struct opener *o = arg;
	o->fd = durable_opendir(o->dirfd, o->path, 0700);
	atomic_store(&o->done, 1);
	return NULL;
}

static void open_in_thread(struct opener *o, int dirfd, const char *path)
{
	o->dirfd = dirfd;
	o->path = path;
	o->fd = -1;
	atomic_store(&o->done, 0);
	assert_int_equal(pthread_create(&o->t, NULL, opener_run, o), 0);
}

/* A folder another thread has just made, and whose parent it is still
 * syncing, is not handed out before that sync has ended: the caller
 * would fill it and count on what it put there (a delivery, a message
 * leaving the queue) while a crash could still lose the folder's name. */
static void test_opendir_waits_for_new_folder(void **state)
{
	char *dir = scratch_dir();
	int root = open(dir, O_RDONLY | O_DIRECTORY);
	struct opener maker, finder;

	gate_reset();
	durable_opendir_sync = gated_sync;
	open_in_thread(&maker, root, "box/new");
	started(1); /* box made, the fsync of its parent waits */
	open_in_thread(&finder, root, "box");
	usleep(100 * 1000);
	assert_int_equal(atomic_load(&finder.done), 0);
	gate_open(15, 0);
	pthread_join(maker.t, NULL);
	pthread_join(finder.t, NULL);
	durable_opendir_sync = durable_fsync;
	assert_true(maker.fd >= 0);
	assert_true(finder.fd >= 0);
	assert_int_equal(gate.started, 2); /* the parents of box and of new */
	close(maker.fd);
	close(finder.fd);
	close(root);
	rm_rf(dir);
	free(dir);
}

struct job {
	struct workpool_job job;
	pthread_t worker;
	int ran, order, *counter, *done_order;
};

static pthread_t loop_thread;

static void work(struct workpool_job *j)
{
	struct job *job = (struct job *)j;
	job->worker = pthread_self();
	job->ran = 1;
}

static void done(struct workpool_job *j)
{
	struct job *job = (struct job *)j;
	assert_true(pthread_equal(pthread_self(), loop_thread));
	job->order = (*job->counter)++;
}

static void test_workpool(void **state)
{
	struct event_base *base = event_base_new();
	struct workpool *wp = workpool_new(base, 3, "test");
	struct job jobs[100];
	int counter = 0;

	loop_thread = pthread_self();
	for (int i = 0; i < 100; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].job.work = work;
		jobs[i].job.done = done;
		jobs[i].counter = &counter;
		workpool_submit(wp, &jobs[i].job);
	}
	assert_int_equal(workpool_pending(wp), 100);
	assert_int_equal(loop_until(base, &counter, 90), 0);
	workpool_free(wp); /* finishes the rest */
	assert_int_equal(counter, 100);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(jobs[i].ran, 1);
		assert_false(pthread_equal(jobs[i].worker, loop_thread));
	}
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_errors),
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_dir_sync_shared),
	    cmocka_unit_test(test_group_commit),
	    cmocka_unit_test(test_dir_sync_error),
	    cmocka_unit_test(test_dir_sync_first_result),
	    cmocka_unit_test(test_sync_fails_after_rename),
	    cmocka_unit_test(test_opendir_waits_for_new_folder),
	    cmocka_unit_test(test_workpool),
	};
	log_init("test_spool_durable", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
