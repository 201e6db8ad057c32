/*
 * spool_fsync: what a durable commit costs on this disk, and what the
 * spool makes of it.
 *
 *   raw:   create, write, fsync, close, rename, fsync the folder, one
 *          after another (the cost of one commit alone), then the same
 *          from T threads at once, each syncing the folder itself;
 *   spool: the real spool (src/queue/spool.c) with C transactions kept
 *          in flight, as C concurrent SMTP sessions would, counting
 *          commits per second and directory syncs per commit;
 *   queue: the runner (src/queue/queue.c) draining those messages into
 *          Maildir with its default 4 delivery workers.
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
#include "queue/queue.h"
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

static double raw(const char *dir, size_t size, int threads, int n)
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
	close(r.tmpfd);
	close(r.dstfd);
	return n / dt;
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

static double spool_run(const char *dir, size_t size, int concurrent, int n, double *per_sync,
			double *deliveries)
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
	double rate = n / dt;
	spool_get_stats(l.sp, &st);
	if (l.errors || st.commits != (unsigned long)n) {
		fprintf(stderr, "spool: %d errors\n", l.errors);
		exit(1);
	}
	*per_sync = (double)st.commits / (st.dir_syncs ? st.dir_syncs : 1);
	spool_close(l.sp);

	/* The same messages, delivered: recovered at open, then drained. */
	if (deliveries) {
		char mail[4096];
		struct config_smtp cfg = {.hostname = "bench",
					  .maildir_root = mail,
					  .retry_min = 300,
					  .retry_max = 3600,
					  .queue_lifetime = 86400,
					  .delivery_workers = 4};
		snprintf(mail, sizeof(mail), "%s/mail-%zu", dir, size);
		l.sp = spool_open(p, l.base);
		struct queue *q = queue_start(l.base, l.sp, &cfg);
		t0 = now();
		while (queue_count(q) > 0)
			event_base_loop(l.base, EVLOOP_ONCE);
		dt = now() - t0;
		*deliveries = n / dt;
		queue_stop(q);
		spool_close(l.sp);
	}
	event_base_free(l.base);
	free(l.msg);
	return rate;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define ROUNDS 5

/* The median of ROUNDS figures, with the lowest and highest. */
static void report(const char *what, double *v, const char *unit)
{
	qsort(v, ROUNDS, sizeof(*v), cmp_double);
	printf("%-34s %8.0f %s  (%.0f .. %.0f)\n", what, v[ROUNDS / 2], unit, v[0], v[ROUNDS - 1]);
}

int main(int argc, char **argv)
{
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 1024;
	int n = size > 10000 ? 600 : 1500;
	double r1[ROUNDS], r20[ROUNDS], r100[ROUNDS], s1[ROUNDS], s20[ROUNDS], s100[ROUNDS];
	double sync20[ROUNDS], sync100[ROUNDS], dl[ROUNDS], unused;
	char label[128], sub[4096];

	if (argc < 2) {
		fprintf(stderr, "usage: spool_fsync DIR [SIZE]\n");
		return 2;
	}
	log_init("bench", LOG_LEVEL_ERROR);
	mkdir(argv[1], 0700);
	/* Rounds interleave the cases, so that a disk shared with others,
	 * whose latency wanders, weighs on each case alike. */
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(sub, sizeof(sub), "%s/%d", argv[1], i);
		mkdir(sub, 0700);
		r1[i] = raw(sub, size, 1, n / 5);
		r20[i] = raw(sub, size, 20, n);
		r100[i] = raw(sub, size, 100, n);
		s1[i] = spool_run(sub, size, 1, n / 5, &unused, NULL);
		s20[i] = spool_run(sub, size, 20, n, &sync20[i], NULL);
		s100[i] = spool_run(sub, size, 100, n, &sync100[i], &dl[i]);
	}
	printf("%zu-byte messages, median of %d rounds (lowest .. highest):\n", size, ROUNDS);
	report("raw commit, one at a time", r1, "/s");
	report("raw commits, 20 threads", r20, "/s");
	report("raw commits, 100 threads", r100, "/s");
	report("spool, 1 txn in flight", s1, "commits/s");
	report("spool, 20 txns in flight", s20, "commits/s");
	report("spool, 100 txns in flight", s100, "commits/s");
	snprintf(label, sizeof(label), "  commits per folder sync at 20");
	qsort(sync20, ROUNDS, sizeof(double), cmp_double);
	printf("%-34s %8.1f\n", label, sync20[ROUNDS / 2]);
	qsort(sync100, ROUNDS, sizeof(double), cmp_double);
	printf("%-34s %8.1f\n", "  commits per folder sync at 100", sync100[ROUNDS / 2]);
	report("queue, 4 workers, into Maildir", dl, "deliveries/s");
	return 0;
}
