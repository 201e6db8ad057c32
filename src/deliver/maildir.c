/* maildir: see maildir.h. */
#include "deliver/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/durable.h"
#include "core/strutil.h"

static atomic_uint deliveries; /* the Q part of unique names */

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

/* Opens the mailbox ROOT/BOX and its tmp/ and new/ (one open each when
 * they exist), creating what is missing, cur/ included. */
static int open_box(const char *root, const char *box, int *tmpfd, int *newfd)
{
	char full[PATH_MAX];
	int boxfd, curfd, saved;

	*tmpfd = *newfd = -1;
	if (snprintf(full, sizeof(full), "%s/%s", root, box) >= (int)sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	boxfd = durable_opendir(AT_FDCWD, full, 0700);
	if (boxfd < 0)
		return -1;
	*tmpfd = durable_opendir(boxfd, "tmp", 0700);
	*newfd = *tmpfd < 0 ? -1 : durable_opendir(boxfd, "new", 0700);
	curfd = *newfd < 0 ? -1 : durable_opendir(boxfd, "cur", 0700);
	saved = errno;
	close(boxfd);
	if (curfd >= 0) {
		close(curfd);
		return 0;
	}
	if (*tmpfd >= 0)
		close(*tmpfd);
	if (*newfd >= 0)
		close(*newfd);
	*tmpfd = *newfd = -1;
	errno = saved;
	return -1;
}

int maildir_deliver(const struct maildir_msg *m, char *path, size_t pathlen, char *err,
		    size_t errlen)
{
	char box[1024], host[256], name[512];
	int tmpfd = -1, newfd = -1, rc = -1, saved;
	struct timeval tv;
	struct iovec iov;
	size_t len;
	char *file = NULL;

	if (maildir_mailbox(m->rcpt, box, sizeof(box)) < 0) {
		str_seterr(err, errlen, "address cannot name a mailbox: %s", m->rcpt);
		return -1;
	}
	if (open_box(m->root, box, &tmpfd, &newfd) < 0) {
		str_seterr(err, errlen, "cannot open maildir %s/%s: %s", m->root, box,
			   strerror(errno));
		return -1;
	}
	file = build(m, &len);
	if (file == NULL) {
		saved = ENOMEM;
		str_seterr(err, errlen, "out of memory");
		goto out;
	}
	gettimeofday(&tv, NULL);
	clean_host(m->hostname ? m->hostname : "", host, sizeof(host));
	snprintf(name, sizeof(name), "%lld.M%06ldP%ldQ%u_%s.%s,S=%zu", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (long)getpid(), atomic_fetch_add(&deliveries, 1) + 1, m->qid,
		 host, len);
	iov.iov_base = file;
	iov.iov_len = len;
	/* Durable in new/ or gone: a copy left after a failed sync of new/
	 * would be delivered again by the retry. */
	rc = durable_publish(tmpfd, name, newfd, name, &iov, 1);
	saved = errno;
	if (rc < 0)
		str_seterr(err, errlen, "cannot write maildir %s/%s: %s", m->root, box,
			   strerror(saved));
	else
		snprintf(path, pathlen, "%s/new/%s", box, name);
out:
	free(file);
	close(tmpfd);
	close(newfd);
	if (rc < 0)
		errno = saved;
	return rc;
}
