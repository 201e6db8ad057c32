/* Unit tests for the spool's building blocks: the durable-write helper
 * (src/core/durable.c) and the worker pool (src/queue/workpool.c). */
#include "unit.h"

#include "qtest.h"

#include <errno.h>
#include <pthread.h>

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
	assert_int_equal(dd.synced, 400);
	assert_true(dd.nsyncs >= 1 && dd.nsyncs <= 400);
	print_message("400 sync requests, %lu directory fsyncs\n", (unsigned long)dd.nsyncs);
	durable_dir_destroy(&dd);
	close(fd);
	rm_rf(dir);
	free(dir);
}

/* A failed sync fails every caller it covered. */
static void test_dir_sync_error(void **state)
{
	struct durable_dir dd;
	assert_int_equal(durable_dir_init(&dd, -1), 0); /* fsync(-1): EBADF */
	assert_int_equal(durable_dir_sync(&dd), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dd.failed, 1);
	durable_dir_destroy(&dd);
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
	    cmocka_unit_test(test_write_errors),    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_dir_sync_shared), cmocka_unit_test(test_dir_sync_error),
	    cmocka_unit_test(test_workpool),
	};
	log_init("test_spool_durable", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
