/*
 * durable: the one audited way to put a file on stable storage. Every
 * write that a promise rests on (a queued message, a recipient's state, a
 * delivered mail) goes through here: create a temporary file, write it
 * whole, fsync it, close it (checking the result), rename it into place,
 * fsync the folder. Every return value is checked; on failure errno says
 * why, and the functions below say what is left of the file.
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
 *
 * The result a caller gets is the result of the first fsync that started
 * after its call, never of a later one: Linux reports a lost write once,
 * to the fsync that follows it, so a later success proves nothing for a
 * rename an earlier failure covered, and a later failure says nothing of
 * a rename an earlier success covered.
 */
struct durable_waiter; /* one per caller inside durable_dir_sync */

struct durable_dir {
	int fd;
	/* The fsync itself: durable_fsync. Tests put one here that waits
	 * or fails, to order concurrent callers. Set before any sync. */
	int (*sync)(int fd);
	pthread_mutex_t mu;
	struct durable_waiter *waiting; /* callers no finished fsync covered yet */
	uint64_t announced;		/* renames announced */
	uint64_t synced;		/* announced when the latest good fsync began */
	int syncing;			/* an fsync is running */
	uint64_t nsyncs;		/* fsyncs done, for tests and measurements */
	uint64_t nfailed;		/* of which failed */
};

/* fd stays the caller's (not closed by destroy). */
int durable_dir_init(struct durable_dir *d, int fd);
void durable_dir_destroy(struct durable_dir *d);

/* 0 once the renames done so far are durable; -1 with errno if the first
 * fsync of the folder that started after the call failed. */
int durable_dir_sync(struct durable_dir *d);

/*
 * The whole sequence for a file that replaces another (a recipient state):
 * durable_create(tmpdirfd, tmpname), rename to dst/name, durable_dir_sync
 * (dst). 0 once the new file is durable. On failure -1 with errno: before
 * the rename, the temporary file is unlinked and dst/name is as it was;
 * after it (the folder sync failed), the new file stays in place, since
 * the one it replaced is gone already and unlinking the new one would
 * leave neither. A crash then leaves either the old file (if there was
 * one) or the new one.
 */
int durable_replace(int tmpdirfd, const char *tmpname, struct durable_dir *dst, const char *name,
		    const struct iovec *iov, int iovcnt);

/*
 * The same sequence for a new file that must be durable or absent (a
 * delivered mail), in a folder without concurrent committers to share a
 * sync with: dstfd itself is fsync'd. If that fails, dstfd/name is unlinked
 * again, so that a retry does not find, beside its own copy, one that
 * might not last: -1 with errno, and nothing of the file remains.
 */
int durable_publish(int tmpdirfd, const char *tmpname, int dstfd, const char *name,
		    const struct iovec *iov, int iovcnt);

/* Opens dirfd/path as a folder (O_RDONLY, O_DIRECTORY), creating each
 * missing component with mode and making each creation durable (fsync of
 * its parent). path may be absolute (dirfd is then ignored). When the
 * folder exists this is one open; the folders above it need only search
 * permission, as for open(2). A folder another thread of this process is
 * still making durable is returned once it is. fd or -1. */
int durable_opendir(int dirfd, const char *path, int mode);

/* The fsync durable_opendir runs on a parent after making a folder in it:
 * durable_fsync. Tests put one here that waits. */
extern int (*durable_opendir_sync)(int fd);

#endif
