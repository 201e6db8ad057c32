/* maildir: see maildir.h. */
#include "deliver/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/durable.h"

static atomic_uint deliveries; /* the Q part of unique names */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* One path component taken from an address: it must stay one. */
static int safe_part(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return 0; /* also refuses "." and ".." */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/' || c < 0x20 || c == 0x7F)
			return 0;
	}
	return 1;
}

int maildir_mailbox(const char *rcpt, char *out, size_t outlen)
{
	const char *at = strrchr(rcpt, '@');

	if (at == NULL || !safe_part(rcpt, (size_t)(at - rcpt)) ||
	    !safe_part(at + 1, strlen(at + 1))) {
		errno = EINVAL;
		return -1;
	}
	int n = snprintf(out, outlen, "%s/%.*s", at + 1, (int)(at - rcpt), rcpt);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Copies a header value without control characters (no header injection
 * from an odd envelope). */
static size_t put_clean(char *dst, const char *src)
{
	size_t n = 0;
	for (; *src; src++)
		if ((unsigned char)*src >= 0x20 && *src != 0x7F)
			dst[n++] = *src;
	return n;
}

/* The file: Return-Path, Delivered-To, then the content with CRLF -> LF. */
static char *build(const struct maildir_msg *m, size_t *len)
{
	size_t cap = strlen(m->sender) + strlen(m->rcpt) + 40 + m->len;
	char *out = malloc(cap), *p;
	const uint8_t *c = m->content, *end = m->content + m->len;

	if (out == NULL)
		return NULL;
	p = out;
	p += sprintf(p, "Return-Path: <");
	p += put_clean(p, m->sender);
	p += sprintf(p, ">\nDelivered-To: ");
	p += put_clean(p, m->rcpt);
	*p++ = '\n';
	while (c < end) {
		const uint8_t *cr = memchr(c, '\r', (size_t)(end - c));
		if (cr == NULL) {
			memcpy(p, c, (size_t)(end - c));
			p += end - c;
			break;
		}
		memcpy(p, c, (size_t)(cr - c));
		p += cr - c;
		if (cr + 1 < end && cr[1] == '\n') {
			*p++ = '\n';
			c = cr + 2;
		} else {
			*p++ = '\r'; /* a bare CR stays as it was */
			c = cr + 1;
		}
	}
	*len = (size_t)(p - out);
	return out;
}

/* Hostname as the Maildir spec wants it in a name: '/' and ':' escaped
 * (and ',', which Dovecot reads as a field separator). */
static void clean_host(const char *h, char *out, size_t outlen)
{
	size_t n = 0;
	for (; *h && n + 5 < outlen; h++) {
		if (*h == '/' || *h == ':' || *h == ',')
			n += (size_t)snprintf(out + n, outlen - n, "\\%03o", (unsigned char)*h);
		else if ((unsigned char)*h > 0x20 && *h != 0x7F)
			out[n++] = *h;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outlen, "localhost");
}

int maildir_deliver(const struct maildir_msg *m, char *path, size_t pathlen, char *err,
		    size_t errlen)
{
	char box[1024], host[256], name[512];
	int boxfd = -1, tmpfd = -1, newfd = -1, curfd = -1, rc = -1, saved;
	struct durable_dir dd;
	struct timeval tv;
	struct iovec iov;
	size_t len;
	char *file = NULL;

	if (maildir_mailbox(m->rcpt, box, sizeof(box)) < 0) {
		saved = errno;
		seterr(err, errlen, "address cannot name a mailbox: %s", m->rcpt);
		errno = saved;
		return -1;
	}
	boxfd = durable_opendir(AT_FDCWD, m->root, 0700);
	if (boxfd >= 0) {
		int fd = durable_opendir(boxfd, box, 0700);
		saved = errno;
		close(boxfd);
		boxfd = fd;
		errno = saved;
	}
	if (boxfd < 0) {
		saved = errno;
		seterr(err, errlen, "cannot open maildir %s/%s: %s", m->root, box, strerror(saved));
		errno = saved;
		return -1;
	}
	tmpfd = durable_opendir(boxfd, "tmp", 0700);
	newfd = tmpfd < 0 ? -1 : durable_opendir(boxfd, "new", 0700);
	curfd = newfd < 0 ? -1 : durable_opendir(boxfd, "cur", 0700);
	if (curfd < 0) {
		saved = errno;
		seterr(err, errlen, "cannot open maildir %s/%s: %s", m->root, box, strerror(saved));
		goto out;
	}
	file = build(m, &len);
	if (file == NULL) {
		saved = ENOMEM;
		seterr(err, errlen, "out of memory");
		goto out;
	}
	gettimeofday(&tv, NULL);
	clean_host(m->hostname ? m->hostname : "", host, sizeof(host));
	snprintf(name, sizeof(name), "%lld.M%06ldP%ldQ%u_%s.%s,S=%zu", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (long)getpid(), atomic_fetch_add(&deliveries, 1) + 1, m->qid,
		 host, len);
	if (durable_dir_init(&dd, newfd) < 0) {
		saved = errno;
		seterr(err, errlen, "out of resources");
		goto out;
	}
	iov.iov_base = file;
	iov.iov_len = len;
	rc = durable_replace(tmpfd, name, &dd, name, &iov, 1);
	saved = errno;
	durable_dir_destroy(&dd);
	if (rc < 0)
		seterr(err, errlen, "cannot write maildir %s/%s: %s", m->root, box,
		       strerror(saved));
	else
		snprintf(path, pathlen, "%s/new/%s", box, name);
out:
	free(file);
	if (boxfd >= 0)
		close(boxfd);
	if (tmpfd >= 0)
		close(tmpfd);
	if (newfd >= 0)
		close(newfd);
	if (curfd >= 0)
		close(curfd);
	if (rc < 0)
		errno = saved;
	return rc;
}
