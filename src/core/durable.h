/*
 * durable: the one audited way to put a file on stable storage. Every
 * write that a promise rests on (a queued message, a recipient's state, a
 * delivered mail) goes through here: create a temporary file, write it
 * whole, fsync it, close it (checking the result), rename it into place,
 * fsync the folder. Every return value is checked; on failure the file is
 * unlinked and errno says why.
 *
 * These functions block on the disk: call them from worker threads, never
 * from the event loop.
 */
#ifndef MXHOST_CORE_DURABLE_H
#define MXHOST_CORE_DURABLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Writes all of buf, retrying short writes and EINTR. 0, or -1 with errno. */
int durable_write_all(int fd, const void *buf, size_t len);

/* The same for an iovec array (left untouched). */
int durable_writev_all(int fd, const struct iovec *iov, int iovcnt);

/* fsync, retried on EINTR. */
int durable_fsync(int fd);

/* close, with its error reported (EINTR counts as closed, as on Linux). */
int durable_close(int fd);

/* Creates dirfd/name (O_EXCL, mode 0600), writes iov, fsyncs and closes
 * it. On failure the file is unlinked and -1 returned with errno. The file
 * is not yet in place: rename it, then sync the folder. */
int durable_create(int dirfd, const char *name, const struct iovec *iov, int iovcnt);

/*
 * A folder whose directory fsyncs are shared (group commit). After renaming
 * a file into the folder, a thread calls durable_dir_sync, which returns
 * once an fsync of the folder that started after the call has finished.
 * One fsync serves every rename announced before it started, so concurrent
 * committers pay for one directory sync between them.
 */
struct durable_dir {
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t announced; /* renames announced */
	uint64_t synced;    /* renames covered by a successful sync */
	uint64_t failed;    /* renames covered by a failed sync */
	int failed_errno;
	int syncing;
	uint64_t nsyncs; /* fsyncs done, for tests and measurements */
};

/* fd stays the caller's (not closed by destroy). */
int durable_dir_init(struct durable_dir *d, int fd);
void durable_dir_destroy(struct durable_dir *d);

/* 0 once the renames done so far are durable; -1 with errno if the sync
 * covering them failed (even if a later one succeeded: Linux reports a
 * lost write once, so a later success proves nothing). */
int durable_dir_sync(struct durable_dir *d);

/* The whole sequence: durable_create(tmpdirfd, tmpname), rename to
 * dst/name, durable_dir_sync(dst). On failure unlinks whichever of the two
 * names exists and returns -1 with errno. */
int durable_replace(int tmpdirfd, const char *tmpname, struct durable_dir *dst, const char *name,
		    const struct iovec *iov, int iovcnt);

/* Opens dirfd/path as a folder (O_DIRECTORY), creating each missing
 * component with mode and making each creation durable (fsync of its
 * parent). path may be absolute (dirfd is then ignored). fd or -1. */
int durable_opendir(int dirfd, const char *path, int mode);

#endif
