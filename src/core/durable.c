/* durable: see durable.h. */
#include "core/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	if (pthread_mutex_init(&d->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&d->cv, NULL) != 0) {
		pthread_mutex_destroy(&d->mu);
		return -1;
	}
	return 0;
}

void durable_dir_destroy(struct durable_dir *d)
{
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
}

int durable_dir_sync(struct durable_dir *d)
{
	uint64_t mine;
	int err = 0;

	pthread_mutex_lock(&d->mu);
	/* The caller's rename is complete, so a sync that starts from here
	 * on covers it: number it, and wait for a sync whose start saw it. */
	mine = ++d->announced;
	for (;;) {
		if (d->failed >= mine) {
			err = d->failed_errno;
			break;
		}
		if (d->synced >= mine)
			break;
		if (d->syncing) {
			pthread_cond_wait(&d->cv, &d->mu);
			continue;
		}
		uint64_t upto = d->announced;
		d->syncing = 1;
		pthread_mutex_unlock(&d->mu);
		int r = durable_fsync(d->fd);
		int e = errno;
		pthread_mutex_lock(&d->mu);
		d->syncing = 0;
		d->nsyncs++;
		if (r == 0) {
			d->synced = upto;
		} else {
			d->failed = upto;
			d->failed_errno = e ? e : EIO;
		}
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int durable_replace(int tmpdirfd, const char *tmpname, struct durable_dir *dst, const char *name,
		    const struct iovec *iov, int iovcnt)
{
	int saved;

	if (durable_create(tmpdirfd, tmpname, iov, iovcnt) < 0)
		return -1;
	if (renameat(tmpdirfd, tmpname, dst->fd, name) < 0) {
		saved = errno;
		unlinkat(tmpdirfd, tmpname, 0);
		errno = saved;
		return -1;
	}
	if (durable_dir_sync(dst) < 0) {
		saved = errno;
		unlinkat(dst->fd, name, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Opens one component below parent, creating it durably when absent. */
static int opendir_one(int parent, const char *name, int mode)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (mkdirat(parent, name, (mode_t)mode) < 0 && errno != EEXIST)
		return -1;
	if (durable_fsync(parent) < 0)
		return -1;
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int durable_opendir(int dirfd, const char *path, int mode)
{
	char buf[PATH_MAX], *p, *slash;
	int fd, next, saved;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	p = buf;
	if (*p == '/') {
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (*p == '/')
			p++;
	} else {
		fd = dirfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				       : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
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
	return fd;
}
