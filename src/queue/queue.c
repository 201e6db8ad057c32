/*
 * queue: see queue.h and docs/QUEUE.md.
 *
 * One message is with at most one delivery job at a time (out of the heap
 * while the job runs), so the job may work on its own copy of the
 * envelope and hand it back: the loop thread then replaces the RAM copy
 * and puts the message back in the heap, or forgets it once it left the
 * queue. Nothing in the RAM index is touched off the loop thread.
 */
#include "queue/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "deliver/maildir.h"
#include "queue/qfile.h"
#include "queue/workpool.h"

#define HOLD_SECONDS 60 /* after a queue file could not be read */

struct qmsg {
	struct envelope env;
	double arrived; /* for delay=: sub-second when committed in this run */
	time_t due;	/* earliest next try among its non-final recipients */
	TAILQ_ENTRY(qmsg) all;
};

TAILQ_HEAD(qmsg_list, qmsg);

/* What a job needs from the config. Never changed once made: a reload
 * makes a new one, and a job keeps a reference to the one it started
 * with, so that nothing changes under it. The count is the loop
 * thread's (jobs take and drop references there). */
struct queue_conf {
	char *maildir_root;
	char *hostname;
	uint32_t retry_min, retry_max, lifetime;
	unsigned refs;
};

struct queue {
	struct spool *sp;
	struct workpool *pool;
	struct event *timer;
	struct queue_conf *conf; /* current; each job holds a reference */
	unsigned workers, inflight;
	struct qmsg **heap;
	size_t nheap, capheap;
	struct qmsg_list all;
	size_t count;
};

struct qjob {
	struct workpool_job job;
	struct queue *q;
	struct qmsg *m;
	struct envelope env;	 /* the job's copy; comes back updated */
	struct queue_conf *conf; /* a reference */
	double arrived;
	int removed; /* left the queue (all final, or quarantined) */
	time_t hold; /* the file could not be read: not again before this */
};

/* ---- time ---- */

static double now_d(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

uint32_t queue_retry_delay(uint32_t attempts, uint32_t retry_min, uint32_t retry_max)
{
	uint64_t d = retry_min ? retry_min : 1;

	if (retry_max < d)
		retry_max = (uint32_t)d;
	for (uint32_t i = 1; i < attempts && d < retry_max; i++)
		d *= 2;
	return d > retry_max ? retry_max : (uint32_t)d;
}

/* ---- the heap, on due ---- */

static void heap_swap(struct queue *q, size_t a, size_t b)
{
	struct qmsg *t = q->heap[a];
	q->heap[a] = q->heap[b];
	q->heap[b] = t;
}

static void heap_up(struct queue *q, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (q->heap[p]->due <= q->heap[i]->due)
			break;
		heap_swap(q, i, p);
		i = p;
	}
}

static void heap_down(struct queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->nheap && q->heap[l]->due < q->heap[m]->due)
			m = l;
		if (r < q->nheap && q->heap[r]->due < q->heap[m]->due)
			m = r;
		if (m == i)
			break;
		heap_swap(q, i, m);
		i = m;
	}
}

static int heap_push(struct queue *q, struct qmsg *m)
{
	if (q->nheap == q->capheap) {
		size_t ncap = q->capheap ? q->capheap * 2 : 256;
		struct qmsg **g = realloc(q->heap, ncap * sizeof(*g));
		if (g == NULL)
			return -1;
		q->heap = g;
		q->capheap = ncap;
	}
	q->heap[q->nheap++] = m;
	heap_up(q, q->nheap - 1);
	return 0;
}

static struct qmsg *heap_pop(struct queue *q)
{
	struct qmsg *top = q->heap[0];
	q->nheap--;
	if (q->nheap > 0) {
		q->heap[0] = q->heap[q->nheap];
		heap_down(q, 0);
	}
	return top;
}

/* ---- the index ---- */

static time_t due_of(const struct envelope *env)
{
	time_t due = 0;
	int any = 0;

	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		time_t t;
		if (r->state == RCPT_DELIVERED || r->state == RCPT_FAILED)
			continue;
		t = r->state == RCPT_DEFERRED ? r->next_try : 0;
		if (!any || t < due)
			due = t;
		any = 1;
	}
	return due;
}

static void msg_free(struct qmsg *m)
{
	envelope_free(&m->env);
	free(m);
}

static void schedule(struct queue *q);

/* Adds a message (taking env); it is due as its recipients say. */
static void index_add(struct queue *q, struct envelope *env, double arrived)
{
	struct qmsg *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		/* It is safe on disk and indexed at the next start. */
		log_warn("%s: not scheduled until restart", env->id);
		envelope_free(env);
		free(env);
		return;
	}
	m->env = *env;
	free(env);
	m->arrived = arrived;
	m->due = due_of(&m->env);
	if (heap_push(q, m) < 0) {
		log_warn("%s: not scheduled until restart", m->env.id);
		msg_free(m);
		return;
	}
	TAILQ_INSERT_TAIL(&q->all, m, all);
	q->count++;
}

static void index_remove(struct queue *q, struct qmsg *m)
{
	TAILQ_REMOVE(&q->all, m, all);
	q->count--;
	msg_free(m);
}

size_t queue_count(const struct queue *q)
{
	return q->count;
}

/* ---- delivery (worker threads) ---- */

static void rcpt_set_error(struct envelope_rcpt *r, const char *text)
{
	free(r->last_error);
	r->last_error = strdup(text);
}

static void log_rcpt(const struct qjob *j, const struct envelope_rcpt *r, const char *relay,
		     const char *dsn, const char *status, const char *text)
{
	int orig = r->orcpt && strcmp(r->orcpt, r->addr) != 0;
	double delay = now_d() - j->arrived;

	log_info("%s: to=<%s>%s%s%s, relay=%s, delay=%.1f, dsn=%s, status=%s (%s)", j->env.id,
		 r->addr, orig ? ", orig_to=<" : "", orig ? r->orcpt : "", orig ? ">" : "", relay,
		 delay < 0 ? 0 : delay, dsn, status, text);
}

/* A temporary failure: deferred with backoff, or failed if expired. */
static void defer(struct qjob *j, struct envelope_rcpt *r, time_t now, const char *relay,
		  const char *dsn, const char *text)
{
	char buf[1024];
	time_t expires = j->env.received + (time_t)j->conf->lifetime;

	snprintf(buf, sizeof(buf), "%s %s", dsn, text);
	rcpt_set_error(r, buf);
	if (now >= expires) {
		r->state = RCPT_FAILED;
		log_rcpt(j, r, relay, dsn, "expired", text);
		return;
	}
	r->state = RCPT_DEFERRED;
	r->next_try = now + queue_retry_delay(r->attempts, j->conf->retry_min, j->conf->retry_max);
	if (r->next_try > expires)
		r->next_try = expires; /* one last try when the lifetime ends */
	log_rcpt(j, r, relay, dsn, "deferred", text);
}

static const char *maildir_dsn(int err)
{
	switch (err) {
	case EDQUOT: return "4.2.2";
	case ENOSPC: return "4.3.1";
	default: return "4.2.0";
	}
}

static void deliver_local(struct qjob *j, struct envelope_rcpt *r, const uint8_t *content,
			  size_t len, time_t now)
{
	struct maildir_msg mm = {
	    .root = j->conf->maildir_root,
	    .hostname = j->conf->hostname,
	    .qid = j->env.id,
	    .sender = j->env.sender ? j->env.sender : "",
	    .rcpt = r->addr,
	    .content = content,
	    .len = len,
	};
	char path[2048], err[1024];

	if (j->conf->maildir_root == NULL) {
		defer(j, r, now, "local", "4.3.5", "maildir_root is not configured");
		return;
	}
	if (maildir_deliver(&mm, path, sizeof(path), err, sizeof(err)) == 0) {
		r->state = RCPT_DELIVERED;
		free(r->last_error);
		r->last_error = NULL;
		log_rcpt(j, r, "local", "2.0.0", "sent", "delivered to maildir");
		return;
	}
	if (errno == EINVAL) {
		char buf[1100];
		r->state = RCPT_FAILED;
		snprintf(buf, sizeof(buf), "5.1.3 %s", err);
		rcpt_set_error(r, buf);
		log_rcpt(j, r, "local", "5.1.3", "bounced", err);
		return;
	}
	defer(j, r, now, "local", maildir_dsn(errno), err);
}

static void deliver_work(struct workpool_job *job)
{
	struct qjob *j = (struct qjob *)job;
	struct spool *sp = j->q->sp;
	struct envelope ondisk;
	uint8_t *data = NULL;
	size_t len = 0;
	char err[256];
	time_t now = time(NULL);
	int fd, tried = 0;

	fd = spool_open_message(sp, j->env.id);
	if (fd < 0 && errno == ENOENT) {
		/* Removed behind our back (by hand): nothing to deliver. */
		log_warnx("%s: queue file gone", j->env.id);
		j->removed = 1;
		return;
	}
	if (fd < 0 || qfile_load(fd, &ondisk, &data, &len, err, sizeof(err)) < 0) {
		if (fd < 0 || errno != EBADMSG) {
			/* Out of file descriptors, memory, an I/O error:
			 * the file may be fine. Try again in a while. */
			log_warn("%s: cannot read the queue file", j->env.id);
			j->hold = now + HOLD_SECONDS;
		} else if (spool_quarantine(sp, j->env.id, err) == 0) {
			/* Never delivered half: set aside for a human. */
			j->removed = 1;
		} else {
			log_warnx("%s: unreadable (%s), left in place", j->env.id, err);
			j->hold = now + HOLD_SECONDS;
		}
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	envelope_free(&ondisk); /* the states that count are the RAM index's */

	for (size_t i = 0; i < j->env.nrcpts; i++) {
		struct envelope_rcpt *r = &j->env.rcpts[i];
		if (r->state == RCPT_DELIVERED || r->state == RCPT_FAILED)
			continue;
		if (r->state == RCPT_DEFERRED && r->next_try > now)
			continue;
		r->attempts++;
		tried++;
		if (r->kind == RCPT_LOCAL)
			deliver_local(j, r, data, len, now);
		else
			defer(j, r, now, "none", "4.4.0", "remote delivery is not available yet");
	}
	free(data);

	if (envelope_final(&j->env)) {
		int bounced = 0;
		for (size_t i = 0; i < j->env.nrcpts; i++)
			bounced += j->env.rcpts[i].state == RCPT_FAILED;
		if (bounced && j->env.sender && j->env.sender[0])
			log_warnx("%s: %d recipient(s) failed; no bounce sent to <%s>: DSNs are "
				  "not implemented yet",
				  j->env.id, bounced, j->env.sender);
		if (spool_remove(sp, j->env.id) < 0)
			log_warn("%s: cannot remove from the queue (delivered again after a "
				 "restart)",
				 j->env.id);
		else
			log_info("%s: removed", j->env.id);
		j->removed = 1;
	} else if (tried && spool_write_state(sp, &j->env) < 0) {
		/* The attempts are repeated after a restart: at least once. */
		log_warn("%s: cannot record recipient states", j->env.id);
	}
}

static void dispatch(struct queue *q);

/* Drops a reference; the last one frees. */
static void conf_put(struct queue_conf *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	free(c->maildir_root);
	free(c->hostname);
	free(c);
}

static void deliver_done(struct workpool_job *job)
{
	struct qjob *j = (struct qjob *)job;
	struct queue *q = j->q;
	struct qmsg *m = j->m;

	q->inflight--;
	if (j->removed) {
		envelope_free(&j->env);
		index_remove(q, m);
	} else {
		envelope_free(&m->env);
		m->env = j->env;
		m->due = due_of(&m->env);
		if (m->due < j->hold)
			m->due = j->hold;
		if (heap_push(q, m) < 0) {
			log_warn("%s: not scheduled until restart", m->env.id);
			index_remove(q, m);
		}
	}
	conf_put(j->conf);
	free(j);
	schedule(q);
}

/* Hands due messages to the workers, keeping each busy with two. */
static void dispatch(struct queue *q)
{
	time_t now = time(NULL);

	while (q->nheap > 0 && q->inflight < q->workers * 2 && q->heap[0]->due <= now) {
		struct qmsg *m = heap_pop(q);
		struct qjob *j = calloc(1, sizeof(*j));
		if (j == NULL || envelope_copy(&j->env, &m->env) < 0) {
			free(j);
			m->due = now + 1;
			heap_push(q, m); /* cannot fail: it was just popped */
			break;
		}
		j->q = q;
		j->m = m;
		j->arrived = m->arrived;
		j->conf = q->conf;
		j->conf->refs++;
		j->job.work = deliver_work;
		j->job.done = deliver_done;
		q->inflight++;
		workpool_submit(q->pool, &j->job);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dispatch(arg);
	schedule(arg);
}

/* Arms the timer for the earliest due message (now, if one is due and a
 * worker is free; the callback then runs in the next loop turn, which
 * batches messages committed together). */
static void schedule(struct queue *q)
{
	struct timeval tv = {0, 0};
	time_t now = time(NULL);

	if (q->nheap == 0 || q->inflight >= q->workers * 2) {
		evtimer_del(q->timer);
		return;
	}
	if (q->heap[0]->due > now)
		tv.tv_sec = q->heap[0]->due - now;
	evtimer_add(q->timer, &tv);
}

/* ---- hooks and life cycle ---- */

static void on_commit(void *arg, struct envelope *env)
{
	struct queue *q = arg;

	log_info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)", env->id,
		 env->sender ? env->sender : "", (unsigned long long)env->size, env->nrcpts);
	index_add(q, env, now_d());
	schedule(q);
}

static void on_recovered(void *arg, struct envelope *env)
{
	index_add(arg, env, (double)env->received);
}

static struct queue_conf *conf_new(const struct config_smtp *cfg)
{
	struct queue_conf *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->hostname = strdup(cfg->hostname);
	p->maildir_root = cfg->maildir_root ? strdup(cfg->maildir_root) : NULL;
	p->retry_min = cfg->retry_min;
	p->retry_max = cfg->retry_max;
	p->lifetime = cfg->queue_lifetime;
	p->refs = 1;
	if (p->hostname == NULL || (cfg->maildir_root && p->maildir_root == NULL)) {
		conf_put(p);
		return NULL;
	}
	return p;
}

struct queue *queue_start(struct event_base *base, struct spool *sp, const struct config_smtp *cfg)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		log_warn("queue: cannot allocate");
		return NULL;
	}
	q->sp = sp;
	TAILQ_INIT(&q->all);
	q->workers = cfg->delivery_workers ? cfg->delivery_workers : 1;
	q->conf = conf_new(cfg);
	q->timer = evtimer_new(base, on_timer, q);
	if (q->conf == NULL || q->timer == NULL) {
		log_warn("queue: cannot allocate");
		goto fail;
	}
	if (cfg->maildir_root == NULL)
		log_warnx("queue: maildir_root is not set: local recipients stay deferred");
	q->pool = workpool_new(base, q->workers, "delivery");
	if (q->pool == NULL)
		goto fail;
	spool_take_recovered(sp, on_recovered, q);
	spool_set_commit_hook(sp, on_commit, q);
	if (q->count)
		log_info("queue: %zu messages queued", q->count);
	schedule(q);
	return q;
fail:
	queue_stop(q);
	return NULL;
}

int queue_reload(struct queue *q, const struct config_smtp *cfg)
{
	struct queue_conf *p = conf_new(cfg);

	if (p == NULL) {
		log_warn("queue: reload");
		return -1;
	}
	if (cfg->delivery_workers != q->workers)
		log_warnx("queue: delivery_workers changes at restart");
	conf_put(q->conf); /* jobs in flight keep theirs */
	q->conf = p;
	schedule(q);
	return 0;
}

void queue_stop(struct queue *q)
{
	struct qmsg *m;

	if (q == NULL)
		return;
	if (q->sp)
		spool_set_commit_hook(q->sp, NULL, NULL);
	if (q->timer)
		evtimer_del(q->timer);
	/* Finishes the jobs in flight; their done() puts messages back. */
	q->workers = 0; /* and keeps schedule() from arming the timer */
	workpool_free(q->pool);
	while ((m = TAILQ_FIRST(&q->all)) != NULL)
		index_remove(q, m);
	if (q->timer)
		event_free(q->timer);
	conf_put(q->conf);
	free(q->heap);
	free(q);
}
