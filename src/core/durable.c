/* durable: see durable.h. */
#include "core/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int durable_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) { /* cannot happen for files; do not spin */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int durable_writev_all(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec local[64];
	int i = 0;

	/* writev may write short: copy a window of the array and advance it. */
	while (i < iovcnt) {
		int n = iovcnt - i < 64 ? iovcnt - i : 64;
		memcpy(local, iov + i, (size_t)n * sizeof(*local));
		int at = 0;
		while (at < n) {
			ssize_t w = writev(fd, local + at, n - at);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (w == 0) {
				errno = EIO;
				return -1;
			}
			size_t left = (size_t)w;
			while (at < n && left >= local[at].iov_len) {
				left -= local[at].iov_len;
				at++;
			}
			if (at < n) {
				local[at].iov_base = (char *)local[at].iov_base + left;
				local[at].iov_len -= left;
			}
		}
		i += n;
	}
	return 0;
}

int durable_fsync(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int durable_close(int fd)
{
	if (close(fd) < 0 && errno != EINTR)
		return -1;
	return 0;
}

int durable_create(int dirfd, const char *name, const struct iovec *iov, int iovcnt)
{
	int fd, saved;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (durable_writev_all(fd, iov, iovcnt) < 0 || durable_fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = saved;
		return -1;
	}
	if (durable_close(fd) < 0) {
		saved = errno;
		unlinkat(dirfd, name, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int durable_dir_init(struct durable_dir *d, int fd)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->sync = durable_fsync;
	return pthread_mutex_init(&d->mu, NULL) == 0 ? 0 : -1;
}

void durable_dir_destroy(struct durable_dir *d)
{
	pthread_mutex_destroy(&d->mu);
}

/* A caller waiting for the first fsync that starts after its rename. */
struct durable_waiter {
	uint64_t seq; /* its rename's number */
	int done, err;
	pthread_cond_t cv;
	struct durable_waiter *next;
};

int durable_dir_sync(struct durable_dir *d)
{
	struct durable_waiter me = {0};
	int rc;

	if ((rc = pthread_cond_init(&me.cv, NULL)) != 0) {
		errno = rc;
		return -1;
	}
	pthread_mutex_lock(&d->mu);
	/* The caller's rename is complete, so a sync that starts from here
	 * on covers it: number it, and wait for the first sync whose start
	 * saw it. That sync hands this caller its result, whatever syncs
	 * run before the caller gets the mutex back. */
	me.seq = ++d->announced;
	me.next = d->waiting;
	d->waiting = &me;
	while (!me.done) {
		if (d->syncing) {
			pthread_cond_wait(&me.cv, &d->mu);
			continue;
		}
		uint64_t upto = d->announced;
		d->syncing = 1;
		pthread_mutex_unlock(&d->mu);
		int r = d->sync(d->fd);
		int e = r < 0 ? (errno ? errno : EIO) : 0;
		pthread_mutex_lock(&d->mu);
		d->syncing = 0;
		d->nsyncs++;
		d->nfailed += r < 0;
		if (r == 0)
			d->synced = upto;
		/* Its result goes to every caller it covered, each woken on
		 * its own; of the others (announced while it ran), one is
		 * woken to run the next sync, for all of them. */
		for (struct durable_waiter **w = &d->waiting; *w != NULL;) {
			struct durable_waiter *x = *w;
			if (x->seq <= upto) {
				*w = x->next;
				x->done = 1;
				x->err = e;
				pthread_cond_signal(&x->cv);
			} else {
				w = &x->next;
			}
		}
		if (d->waiting != NULL)
			pthread_cond_signal(&d->waiting->cv);
	}
	pthread_mutex_unlock(&d->mu);
	pthread_cond_destroy(&me.cv);
	if (me.err) {
		errno = me.err;
		return -1;
	}
	return 0;
}

/* Steps 1 to 3: the file written, synced, closed and renamed to
 * dstfd/name. On failure nothing of it is left. */
static int create_and_rename(int tmpdirfd, const char *tmpname, int dstfd, const char *name,
			     const struct iovec *iov, int iovcnt)
{
	int saved;

	if (durable_create(tmpdirfd, tmpname, iov, iovcnt) < 0)
		return -1;
	if (renameat(tmpdirfd, tmpname, dstfd, name) < 0) {
		saved = errno;
		unlinkat(tmpdirfd, tmpname, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int durable_replace(int tmpdirfd, const char *tmpname, struct durable_dir *dst, const char *name,
		    const struct iovec *iov, int iovcnt)
{
	if (create_and_rename(tmpdirfd, tmpname, dst->fd, name, iov, iovcnt) < 0)
		return -1;
	/* A failed sync leaves the new file: see durable.h. */
	return durable_dir_sync(dst);
}

int durable_publish(int tmpdirfd, const char *tmpname, int dstfd, const char *name,
		    const struct iovec *iov, int iovcnt)
{
	int saved;

	if (create_and_rename(tmpdirfd, tmpname, dstfd, name, iov, iovcnt) < 0)
		return -1;
	if (durable_fsync(dstfd) < 0) {
		saved = errno;
		unlinkat(dstfd, name, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int (*durable_opendir_sync)(int fd) = durable_fsync;

/*
 * Folders being made: from just before a mkdir to the end of the fsync of
 * its parent. Another thread may find such a folder there already, and
 * must not take it as durable (and fill it, and count on what it put
 * there) before that fsync has ended: durable_opendir waits until no
 * folder is being made. That is rare (a spool's first start, a mailbox's
 * first delivery), so the wait is too.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
} making = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void making_add(int delta)
{
	pthread_mutex_lock(&making.mu);
	making.n += delta;
	if (making.n == 0)
		pthread_cond_broadcast(&making.cv);
	pthread_mutex_unlock(&making.mu);
}

static void making_wait(void)
{
	pthread_mutex_lock(&making.mu);
	while (making.n > 0)
		pthread_cond_wait(&making.cv, &making.mu);
	pthread_mutex_unlock(&making.mu);
}

/* Opens one component below parent (O_PATH: search permission on parent
 * is all it needs), creating it durably when absent. parent may be an
 * O_PATH descriptor too: the fsync goes through a readable one. */
static int opendir_one(int parent, const char *name, int mode)
{
	const int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	int fd = openat(parent, name, flags), pfd, r = -1, saved;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	making_add(1);
	if (mkdirat(parent, name, (mode_t)mode) == 0 || errno == EEXIST) {
		pfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0) {
			r = durable_opendir_sync(pfd);
			saved = errno;
			close(pfd);
			errno = saved;
		}
	}
	saved = errno;
	making_add(-1);
	if (r < 0) {
		errno = saved;
		return -1;
	}
	return openat(parent, name, flags);
}

int durable_opendir(int dirfd, const char *path, int mode)
{
	char buf[PATH_MAX], *p, *slash;
	int fd, next, saved;

	/* Usually it is all there: one open. */
	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		making_wait();
		return fd;
	}
	if (errno != ENOENT)
		return -1;
	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	p = buf;
	if (*p == '/') {
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		while (*p == '/')
			p++;
	} else {
		fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	while (*p) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (*p && strcmp(p, ".") != 0) {
			next = opendir_one(fd, p, mode);
			saved = errno;
			close(fd);
			if (next < 0) {
				errno = saved;
				return -1;
			}
			fd = next;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	/* The walk holds an O_PATH descriptor: open the folder itself. */
	next = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	close(fd);
	if (next >= 0)
		making_wait(); /* components it found may be another's, new */
	errno = saved;
	return next;
}
