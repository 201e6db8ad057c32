/*
 * workpool: a few threads that run blocking jobs (fsync, file writes,
 * deliveries) off the event loop, and hand each finished job back to the
 * loop thread. The spool's commits and the queue's deliveries both run on
 * one of these.
 *
 * A job is embedded in the caller's own struct: work() runs on a worker
 * thread, then done() runs on the event loop's thread. Jobs start in the
 * order submitted.
 */
#ifndef MXHOST_QUEUE_WORKPOOL_H
#define MXHOST_QUEUE_WORKPOOL_H

#include <event2/event.h>

struct workpool_job {
	void (*work)(struct workpool_job *job); /* worker thread */
	void (*done)(struct workpool_job *job); /* loop thread; may free the job */
	struct workpool_job *next;		/* the pool's */
};

struct workpool;

/* Starts nthreads workers whose finished jobs come back on base. NULL
 * after logging why. */
struct workpool *workpool_new(struct event_base *base, unsigned nthreads, const char *name);

/* Queues a job. Never blocks; call on the loop thread. */
void workpool_submit(struct workpool *wp, struct workpool_job *job);

/* Jobs submitted and not yet done() (queued, running or finishing). */
unsigned workpool_pending(const struct workpool *wp);

/* Waits for every submitted job to run, calls their done() (on the caller's
 * thread, which must be the loop's), stops the threads and frees. A done()
 * run from here must not submit to this pool. */
void workpool_free(struct workpool *wp);

#endif
