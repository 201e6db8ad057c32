/* workpool: see workpool.h. Finished jobs reach the loop through an
 * eventfd, so that this works whether or not libevent was set up for
 * threads; one wake-up collects every job finished since the last. */
#include "queue/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"

struct workpool {
	struct event_base *base;
	const char *name;
	pthread_t *threads;
	unsigned nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workpool_job *head, *tail; /* waiting to run */
	struct workpool_job *finished;	  /* run, waiting for done() (LIFO) */
	int stopping;
	unsigned pending; /* loop thread only */
	int efd;
	struct event *ev;
};

static void *worker(void *arg)
{
	struct workpool *wp = arg;
	struct workpool_job *job;
	int wake;

	pthread_mutex_lock(&wp->mu);
	for (;;) {
		while (wp->head == NULL && !wp->stopping)
			pthread_cond_wait(&wp->cv, &wp->mu);
		if (wp->head == NULL)
			break;
		job = wp->head;
		wp->head = job->next;
		if (wp->head == NULL)
			wp->tail = NULL;
		pthread_mutex_unlock(&wp->mu);

		job->work(job);

		pthread_mutex_lock(&wp->mu);
		wake = wp->finished == NULL;
		job->next = wp->finished;
		wp->finished = job;
		if (wake) {
			uint64_t one = 1;
			/* Cannot fail short of a bug: the counter does not
			 * overflow with one write per empty-to-full edge. */
			if (write(wp->efd, &one, sizeof(one)) != sizeof(one))
				log_warn("%s: eventfd write", wp->name);
		}
	}
	pthread_mutex_unlock(&wp->mu);
	return NULL;
}

/* Runs done() for every finished job, oldest first. */
static void collect(struct workpool *wp)
{
	struct workpool_job *list, *rev = NULL, *job;

	pthread_mutex_lock(&wp->mu);
	list = wp->finished;
	wp->finished = NULL;
	pthread_mutex_unlock(&wp->mu);
	while (list) {
		job = list;
		list = job->next;
		job->next = rev;
		rev = job;
	}
	while (rev) {
		job = rev;
		rev = job->next;
		wp->pending--;
		job->done(job);
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("workpool: eventfd read");
	collect(arg);
}

struct workpool *workpool_new(struct event_base *base, unsigned nthreads, const char *name)
{
	struct workpool *wp = calloc(1, sizeof(*wp));

	if (wp == NULL) {
		log_warn("%s: cannot allocate", name);
		return NULL;
	}
	wp->base = base;
	wp->name = name;
	wp->efd = -1;
	pthread_mutex_init(&wp->mu, NULL);
	pthread_cond_init(&wp->cv, NULL);
	wp->threads = calloc(nthreads ? nthreads : 1, sizeof(*wp->threads));
	wp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wp->threads == NULL || wp->efd < 0) {
		log_warn("%s: cannot set up", name);
		goto fail;
	}
	wp->ev = event_new(base, wp->efd, EV_READ | EV_PERSIST, on_wake, wp);
	if (wp->ev == NULL || event_add(wp->ev, NULL) < 0) {
		log_warnx("%s: cannot register with the event loop", name);
		goto fail;
	}
	for (; wp->nthreads < (nthreads ? nthreads : 1); wp->nthreads++) {
		int e = pthread_create(&wp->threads[wp->nthreads], NULL, worker, wp);
		if (e != 0) {
			errno = e;
			log_warn("%s: cannot start a thread", name);
			goto fail;
		}
	}
	return wp;
fail:
	workpool_free(wp);
	return NULL;
}

void workpool_submit(struct workpool *wp, struct workpool_job *job)
{
	job->next = NULL;
	wp->pending++;
	pthread_mutex_lock(&wp->mu);
	if (wp->tail)
		wp->tail->next = job;
	else
		wp->head = job;
	wp->tail = job;
	pthread_cond_signal(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
}

unsigned workpool_pending(const struct workpool *wp)
{
	return wp->pending;
}

void workpool_free(struct workpool *wp)
{
	if (wp == NULL)
		return;
	/* Workers drain the queue before they see stopping. */
	pthread_mutex_lock(&wp->mu);
	wp->stopping = 1;
	pthread_cond_broadcast(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
	for (unsigned i = 0; i < wp->nthreads; i++)
		pthread_join(wp->threads[i], NULL);
	collect(wp);
	if (wp->ev)
		event_free(wp->ev);
	if (wp->efd >= 0)
		close(wp->efd);
	pthread_cond_destroy(&wp->cv);
	pthread_mutex_destroy(&wp->mu);
	free(wp->threads);
	free(wp);
}
