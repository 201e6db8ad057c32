/*
 * spool_fsync: what a durable commit costs on this disk, and what the
 * spool makes of it.
 *
 *   raw:   create, write, fsync, close, rename, fsync the folder, one
 *          after another (the cost of one commit alone), then the same
 *          from T threads at once, each syncing the folder itself;
 *   spool: the real spool (src/queue/spool.c) with C transactions kept
 *          in flight, as C concurrent SMTP sessions would, counting
 *          commits per second and directory syncs per commit.
 *
 * Usage: spool_fsync DIR [SIZE]   (bench/spool.sh builds and runs it)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/durable.h"
#include "core/log.h"
#include "queue/spool.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- raw ---- */

struct raw {
	int tmpfd, dstfd;
	size_t size;
	int n;
	atomic_int next;
};

static void *raw_thread(void *arg)
{
	struct raw *r = arg;
	char *buf = malloc(r->size), name[64];
	memset(buf, 'x', r->size);
	struct iovec iov = {buf, r->size};
	struct durable_dir dd;
	durable_dir_init(&dd, r->dstfd);
	for (;;) {
		int i = atomic_fetch_add(&r->next, 1);
		if (i >= r->n)
			break;
		snprintf(name, sizeof(name), "%d", i);
		/* Each thread its own durable_dir: no sharing of folder syncs. */
		if (durable_replace(r->tmpfd, name, &dd, name, &iov, 1) < 0) {
			perror("durable_replace");
			exit(1);
		}
		unlinkat(r->dstfd, name, 0);
	}
	durable_dir_destroy(&dd);
	free(buf);
	return NULL;
}

static void raw(const char *dir, size_t size, int threads, int n)
{
	char p[4096];
	struct raw r = {.size = size, .n = n};
	pthread_t t[256];

	snprintf(p, sizeof(p), "%s/raw-tmp", dir);
	mkdir(p, 0700);
	r.tmpfd = open(p, O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof(p), "%s/raw-dst", dir);
	mkdir(p, 0700);
	r.dstfd = open(p, O_RDONLY | O_DIRECTORY);
	double t0 = now();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, raw_thread, &r);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double dt = now() - t0;
	printf("raw   %6zu B  %3d threads: %7.0f files/s  (%.3f ms per file%s)\n", size, threads,
	       n / dt, dt * 1000 / n * threads, threads > 1 ? " per thread" : "");
	close(r.tmpfd);
	close(r.dstfd);
}

/* ---- spool ---- */

struct load {
	struct spool *sp;
	struct event_base *base;
	char *msg;
	size_t size;
	int inflight, started, done, total, errors;
};

static void start_one(struct load *l);

static void on_done(void *arg, int err)
{
	struct load *l = arg;
	l->done++;
	l->inflight--;
	if (err)
		l->errors++;
	if (l->started < l->total)
		start_one(l);
	if (l->done == l->total)
		event_base_loopbreak(l->base);
}

static void start_one(struct load *l)
{
	struct envelope_rcpt r = {.addr = "b@example.test"};
	struct envelope e = {.sender = "a@example.org", .rcpts = &r, .nrcpts = 1};
	struct spool_txn *tx = spool_begin(l->sp);

	if (tx == NULL || spool_txn_write(tx, l->msg, l->size) < 0) {
		perror("spool");
		exit(1);
	}
	l->started++;
	l->inflight++;
	spool_txn_commit(tx, &e, on_done, l);
}

static void spool_run(const char *dir, size_t size, int concurrent, int n)
{
	char p[4096];
	struct load l = {.size = size, .total = n};
	struct spool_stats st;

	snprintf(p, sizeof(p), "%s/spool-%d-%zu", dir, concurrent, size);
	l.base = event_base_new();
	l.sp = spool_open(p, l.base);
	if (l.sp == NULL)
		exit(1);
	l.msg = malloc(size);
	memset(l.msg, 'x', size);
	double t0 = now();
	for (int i = 0; i < concurrent && l.started < n; i++)
		start_one(&l);
	event_base_dispatch(l.base);
	double dt = now() - t0;
	spool_get_stats(l.sp, &st);
	printf("spool %6zu B  %3d in flight: %7.0f commits/s  (%lu folder syncs for %lu commits, "
	       "%d errors)\n",
	       size, concurrent, n / dt, st.dir_syncs, st.commits, l.errors);
	spool_close(l.sp);
	event_base_free(l.base);
	free(l.msg);
}

int main(int argc, char **argv)
{
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 1024;
	int n = size > 10000 ? 1000 : 3000;

	if (argc < 2) {
		fprintf(stderr, "usage: spool_fsync DIR [SIZE]\n");
		return 2;
	}
	log_init("bench", LOG_LEVEL_WARN);
	mkdir(argv[1], 0700);
	raw(argv[1], size, 1, n / 3);
	raw(argv[1], size, 20, n);
	raw(argv[1], size, 100, n);
	spool_run(argv[1], size, 1, n / 3);
	spool_run(argv[1], size, 20, n);
	spool_run(argv[1], size, 100, n);
	return 0;
}
