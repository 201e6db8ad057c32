/*
 * queue: the scheduler and runner over the spool. The disk is the truth;
 * this is a RAM index of the queued messages (a min-heap on the time each
 * is next due), rebuilt at start from what the spool recovered, fed by the
 * spool's commit hook afterwards. Due messages go to delivery worker
 * threads: local recipients into Maildir (deliver/maildir.h), remote ones
 * stay deferred until outbound delivery exists. Each recipient's new state
 * is written durably before the scheduler forgets the attempt; a message
 * leaves the queue when every recipient is final. docs/QUEUE.md has the
 * states and the retry rules.
 */
#ifndef MXHOST_QUEUE_QUEUE_H
#define MXHOST_QUEUE_QUEUE_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "queue/spool.h"

struct queue;

/* Indexes what sp recovered, hooks into its commits and starts delivering
 * (cfg: maildir_root, hostname, retry_min, retry_max, queue_lifetime,
 * delay_warning, delivery_workers). sp must outlive the queue. NULL after
 * logging why. */
struct queue *queue_start(struct event_base *base, struct spool *sp, const struct config_smtp *cfg);

/* Takes new retry times and paths; -1 (logged, old values kept) if cfg
 * cannot be applied. The number of workers changes at restart only. */
int queue_reload(struct queue *q, const struct config_smtp *cfg);

/* Finishes the deliveries in progress, unhooks from the spool, frees. */
void queue_stop(struct queue *q);

/* Messages in the RAM index (queued, not yet final). */
size_t queue_count(const struct queue *q);

/* Seconds to wait after the n-th failed attempt (n >= 1): retry_min
 * doubled n-1 times, at most retry_max, at least 1. */
uint32_t queue_retry_delay(uint32_t attempts, uint32_t retry_min, uint32_t retry_max);

#endif
