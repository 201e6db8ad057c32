/*
 * spool_private: what spool.c (transactions, commits) and spool_recover.c
 * (start-up recovery, quarantine) share. Not for other modules.
 */
#ifndef MXHOST_QUEUE_SPOOL_PRIVATE_H
#define MXHOST_QUEUE_SPOOL_PRIVATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "core/durable.h"
#include "queue/spool.h"
#include "queue/workpool.h"

struct spool {
	char *dir;
	struct event_base *base;
	int rootfd, tmpfd, queuefd, statefd, quarfd, freefd, lockfd;
	/* Files of delivered messages, kept in free/ to be written over by
	 * new ones (see recycling in spool.c). */
	pthread_mutex_t free_mu;
	int free_mu_ok;
	struct spool_free {
		uint32_t name; /* free/F<name in hex> */
		uint32_t size;
		uint64_t after; /* reusable once qdir.synced passes this */
	} * free;		/* a ring: free_head is the oldest */
	size_t free_head, nfree, free_reserved;
	uint64_t free_reserved_bytes; /* of the puts in flight */
	uint64_t free_bytes;	      /* of the files in free/, and of those being put */
	uint32_t free_next;
	struct durable_dir qdir, sdir;
	int qdir_ok, sdir_ok;
	struct workpool *pool;
	uint64_t last_id;
	void (*hook)(void *arg, struct envelope *env);
	void *hook_arg;
	struct envelope *recovered;
	size_t nrecovered;
	time_t space_checked;
	int space_low;
	time_t enospc_at;
	unsigned long commits, failed;
};

/* Start-up recovery (docs/QUEUE.md): cleans tmp/, reads queue/ into
 * sp->recovered (sorted by ID), overlays state/, quarantines what does
 * not check. Raises sp->last_id to the largest ID seen. */
int spool_recover(struct spool *sp);

/* Moves dirfd/name (dirname: its folder's name) into quarantine/, logged. */
int spool_quarantine_file(struct spool *sp, int dirfd, const char *dirname, const char *name,
			  const char *reason);

/* renameat that refuses to replace (where the file system can say so). */
int spool_rename_noreplace(int fromfd, const char *from, int tofd, const char *to);

#endif
