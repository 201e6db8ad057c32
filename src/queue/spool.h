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

/* Waits for commits in flight, then frees. Their done callbacks run
 * inside spool_close, so what their arg points to must still be alive:
 * close the spool before freeing sessions that wait on a commit. Every
 * transaction must be committed or aborted by then. */
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

/* ---- for the queue (scheduler, delivery) and tools ---- */

/* Hands over, once, each message spool_open found queued, with its
 * recipients' states: fn owns env (envelope_free). The scheduler's RAM
 * index is built from these at start. */
void spool_take_recovered(struct spool *sp, void (*fn)(void *arg, struct envelope *env), void *arg);

/* Runs on the loop thread for each message committed, before the
 * commit's done callback, with a copy of its envelope (id and size set)
 * that the hook owns. One hook (the queue's); NULL removes it. */
void spool_set_commit_hook(struct spool *sp, void (*hook)(void *arg, struct envelope *env),
			   void *arg);

/* Counters, for measurements: commits done, directory fsyncs of queue/
 * (fewer than commits when group commit shares them). */
struct spool_stats {
	unsigned long commits;
	unsigned long failed;
	unsigned long dir_syncs;
};
void spool_get_stats(struct spool *sp, struct spool_stats *st);

/*
 * These block on the disk: worker threads only, never the loop. Each
 * returns 0 (or a descriptor), or -1 with errno.
 */

/* Opens a queued message's file for reading (qfile_load reads it). */
int spool_open_message(struct spool *sp, const char *id);

/* Records env's recipient states durably (state/ID, replaced whole). */
int spool_write_state(struct spool *sp, const struct envelope *env);

/* Removes a message whose recipients are all final: queue/ID, then
 * state/ID. Not synced: a crash may bring it back, to be delivered again
 * (at least once). */
int spool_remove(struct spool *sp, const char *id);

/* Moves a queued message (and its state) into quarantine/, logging why. */
int spool_quarantine(struct spool *sp, const char *id, const char *reason);

#endif
