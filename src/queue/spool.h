/*
 * spool: the durable message store. A message is received into a
 * transaction and committed; commit calls back only once the message and
 * its envelope are on stable storage (written, fsync'd, renamed into place,
 * directory fsync'd), which is when the SMTP server may say 250.
 *
 * fsync runs on worker threads, never on the event loop; the syncs of
 * concurrent transactions overlap and share directory syncs (group commit).
 * docs/QUEUE.md defines the states by the files that exist.
 *
 * Contract between the SMTP server and the queue. Extend, do not break.
 */
#ifndef MXHOST_QUEUE_SPOOL_H
#define MXHOST_QUEUE_SPOOL_H

#include <event2/event.h>
#include <stddef.h>

#include "queue/envelope.h"

struct spool;
struct spool_txn;

/* Opens (creating as needed) the spool under dir, recovering what a crash
 * left (see docs/QUEUE.md). Callbacks run on base's thread. NULL after
 * logging why. */
struct spool *spool_open(const char *dir, struct event_base *base);

/* Waits for commits in flight, then frees. */
void spool_close(struct spool *sp);

/* Starts a new message; assigns its queue ID. NULL with errno set when
 * the spool cannot take it (disk full, I/O error). */
struct spool_txn *spool_begin(struct spool *sp);

const char *spool_txn_id(const struct spool_txn *tx);

/* Appends message bytes (headers and body, as they will be delivered,
 * CRLF line ends). -1 with errno on error (ENOSPC, EIO, EFBIG): the
 * caller answers 452 4.3.1 (or 552 for EFBIG) and aborts. */
int spool_txn_write(struct spool_txn *tx, const void *data, size_t len);

/* Makes the message durable with env (env->id is ignored; the txn's is
 * used), then calls done(arg, 0) on the loop thread; or done(arg, errno)
 * if it could not, in which case nothing of it remains queued. The txn
 * is consumed either way. env is copied before spool_txn_commit returns. */
void spool_txn_commit(struct spool_txn *tx, const struct envelope *env,
		      void (*done)(void *arg, int err), void *arg);

/* Drops a message being received; nothing remains. */
void spool_txn_abort(struct spool_txn *tx);

#endif
