/* transport: see transport.h. */
#include "dns/transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/random.h"
#include "dns/wire.h"

/* Datagrams read per wakeup: a flood of forged packets must not starve
 * the rest of the event loop. */
#define UDP_BURST 32

struct transport {
	struct event_base *base;
	struct transport_hook hook;
	struct netaddr server;
	uint8_t *query; /* 2-byte TCP length prefix, then the query */
	size_t qlen;
	uint32_t timeout_ms;
	int tcp;
	int no_fallback;
	int fd;
	struct event *io, *timer;
	transport_cb cb;
	void *arg;
	/* TCP */
	int connected;
	size_t woff;   /* bytes of prefix + query written */
	uint8_t *rbuf; /* 2-byte length, then the message */
	size_t rlen;
	/* test seam: the answer the hook gave, delivered by io as a timer */
	uint8_t *canned;
	int canned_len;
};

int transport_match(const uint8_t *query, size_t qlen, const uint8_t *answer, size_t alen)
{
	struct dns_header qh, ah;
	struct dns_question qq, aq;
	size_t qpos = DNS_HEADER_LEN, apos = DNS_HEADER_LEN;
	unsigned rcode;

	if (dns_header_read(query, qlen, &qh) < 0 || dns_header_read(answer, alen, &ah) < 0)
		return 0;
	if (qh.id != ah.id || !(ah.flags & DNS_F_QR) ||
	    DNS_OPCODE(qh.flags) != DNS_OPCODE(ah.flags))
		return 0;
	if (qh.qdcount == 0)
		return 1;
	if (dns_question_read(query, qlen, &qpos, &qq) < 0)
		return 0;
	if (ah.qdcount == 0) {
		rcode = ah.flags & DNS_F_RCODE_MASK;
		return rcode != DNS_R_NOERROR && rcode != DNS_R_NXDOMAIN;
	}
	if (ah.qdcount != qh.qdcount)
		return 0; /* one question asked, one answered (RFC 9619) */
	if (dns_question_read(answer, alen, &apos, &aq) < 0)
		return 0;
	return aq.type == qq.type && aq.qclass == qq.qclass && dname_equal(aq.name, qq.name);
}

static void close_io(struct transport *t)
{
	if (t->io) {
		event_free(t->io);
		t->io = NULL;
	}
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

static void transport_free(struct transport *t)
{
	close_io(t);
	if (t->timer)
		event_free(t->timer);
	free(t->query);
	free(t->rbuf);
	free(t->canned);
	free(t);
}

void transport_cancel(struct transport *t)
{
	if (t)
		transport_free(t);
}

/* Reports and frees. pkt may point into t, so the callback runs first. */
static void finish(struct transport *t, int err, const uint8_t *pkt, size_t len)
{
	close_io(t);
	evtimer_del(t->timer);
	t->cb(t->arg, err, pkt, len);
	transport_free(t);
}

static void arm_timer(struct transport *t)
{
	struct timeval tv = {t->timeout_ms / 1000, (t->timeout_ms % 1000) * 1000};
	evtimer_add(t->timer, &tv);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, ETIMEDOUT, NULL, 0);
}

static int start_udp(struct transport *t);
static int start_tcp(struct transport *t);
static int start_canned(struct transport *t);

static int start_io(struct transport *t)
{
	if (t->hook.fn)
		return start_canned(t);
	return t->tcp ? start_tcp(t) : start_udp(t);
}

/*
 * A packet that came from the server's address: 0 to keep reading, 1 when
 * the socket read from is done with (the exchange reported and t freed,
 * or moved over to TCP).
 */
static int consider(struct transport *t, const uint8_t *pkt, size_t len)
{
	char sbuf[NETADDR_STRLEN];
	struct dns_header h;

	if (!transport_match(t->query + 2, t->qlen, pkt, len)) {
		log_debug(
		    "resolver: ignoring a packet from %s that does not answer the query",
		    netaddr_format((const struct sockaddr *)&t->server.ss, sbuf, sizeof(sbuf)));
		return 0;
	}
	dns_header_read(pkt, len, &h);
	if ((h.flags & DNS_F_TC) && !t->tcp && !t->no_fallback) {
		/* Truncated: the same question again over TCP, with a new ID
		 * (the UDP one has been seen on the wire). */
		log_debug(
		    "resolver: truncated answer from %s, retrying over TCP",
		    netaddr_format((const struct sockaddr *)&t->server.ss, sbuf, sizeof(sbuf)));
		close_io(t);
		evtimer_del(t->timer);
		t->tcp = 1;
		random_bytes(t->query + 2, 2);
		if (start_io(t) < 0) {
			finish(t, errno ? errno : EIO, NULL, 0);
			return 1;
		}
		arm_timer(t);
		return 1; /* this packet is done with; the exchange goes on */
	}
	finish(t, 0, pkt, len);
	return 1;
}

static void on_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct transport *t = arg;
	uint8_t buf[DNS_MSG_MAX];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	(void)what;
	for (int i = 0; i < UDP_BURST; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ICMP errors on a connected socket: port unreachable
			 * is ECONNREFUSED. */
			finish(t, errno, NULL, 0);
			return;
		}
		/* connect() filters in the kernel already; this is the
		 * rule written down where it is read. */
		if (!netaddr_equal((struct sockaddr *)&from, (struct sockaddr *)&t->server.ss))
			continue;
		if (consider(t, buf, (size_t)n))
			return;
	}
}

static int new_socket(struct transport *t, int type)
{
	int family = t->server.ss.ss_family;

	t->fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return t->fd < 0 ? -1 : 0;
}

static int start_udp(struct transport *t)
{
	struct sockaddr_storage any;
	socklen_t anylen;

	if (new_socket(t, SOCK_DGRAM) < 0)
		return -1;
	/* Port 0: the kernel picks a random ephemeral port, new for every
	 * exchange. */
	memset(&any, 0, sizeof(any));
	any.ss_family = t->server.ss.ss_family;
	anylen =
	    any.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (bind(t->fd, (struct sockaddr *)&any, anylen) < 0 ||
	    connect(t->fd, (struct sockaddr *)&t->server.ss, t->server.len) < 0 ||
	    send(t->fd, t->query + 2, t->qlen, 0) < 0)
		return -1;
	t->io = event_new(t->base, t->fd, EV_READ | EV_PERSIST, on_udp_read, t);
	if (t->io == NULL || event_add(t->io, NULL) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void on_tcp(evutil_socket_t fd, short what, void *arg)
{
	struct transport *t = arg;
	ssize_t n;

	if (!t->connected) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			finish(t, err, NULL, 0);
			return;
		}
		t->connected = 1;
	}
	if (what & EV_WRITE) {
		n = send(fd, t->query + t->woff, t->qlen + 2 - t->woff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				finish(t, errno, NULL, 0);
			return;
		}
		t->woff += (size_t)n;
		if (t->woff == t->qlen + 2) {
			event_del(t->io);
			event_assign(t->io, t->base, fd, EV_READ | EV_PERSIST, on_tcp, t);
			event_add(t->io, NULL);
		}
		return;
	}
	for (;;) {
		size_t want = t->rlen < 2 ? 2 : 2 + (size_t)buf_get_u16(t->rbuf);
		if (want == 2 && t->rlen == 2) {
			t->rlen = 0; /* an empty message: nothing to consider */
			continue;
		}
		if (t->rlen == want) {
			/* A whole message: the answer, or one to ignore. */
			if (consider(t, t->rbuf + 2, want - 2))
				return;
			t->rlen = 0;
			continue;
		}
		n = recv(fd, t->rbuf + t->rlen, want - t->rlen, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				finish(t, errno, NULL, 0);
			return;
		}
		if (n == 0) {
			finish(t, ECONNRESET, NULL, 0);
			return;
		}
		t->rlen += (size_t)n;
	}
}

static int start_tcp(struct transport *t)
{
	t->connected = 0;
	t->woff = 0;
	t->rlen = 0;
	if (t->rbuf == NULL && (t->rbuf = malloc(2 + DNS_MSG_MAX)) == NULL)
		return -1;
	if (new_socket(t, SOCK_STREAM) < 0)
		return -1;
	if (connect(t->fd, (struct sockaddr *)&t->server.ss, t->server.len) < 0 &&
	    errno != EINPROGRESS)
		return -1;
	t->io = event_new(t->base, t->fd, EV_WRITE | EV_PERSIST, on_tcp, t);
	if (t->io == NULL || event_add(t->io, NULL) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void on_canned(evutil_socket_t fd, short what, void *arg)
{
	struct transport *t = arg;

	(void)fd;
	(void)what;
	if (t->canned_len < 0) {
		finish(t, ECONNREFUSED, NULL, 0);
		return;
	}
	if (t->canned_len > 0)
		consider(t, t->canned, (size_t)t->canned_len);
	/* Otherwise no answer: the timer will end it. */
}

static int start_canned(struct transport *t)
{
	struct timeval now = {0, 0};

	if (t->canned == NULL && (t->canned = malloc(DNS_MSG_MAX)) == NULL)
		return -1;
	t->canned_len = t->hook.fn(t->hook.arg, &t->server, t->tcp, t->query + 2, t->qlen,
				   t->canned, DNS_MSG_MAX);
	if (t->canned_len > DNS_MSG_MAX)
		t->canned_len = 0;
	t->io = evtimer_new(t->base, on_canned, t);
	if (t->io == NULL || evtimer_add(t->io, &now) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

struct transport *transport_start(struct event_base *base, const struct transport_hook *hook,
				  const struct netaddr *server, const uint8_t *query, size_t len,
				  uint32_t timeout_ms, unsigned flags, transport_cb cb, void *arg)
{
	struct transport *t;
	int saved;

	if (len < DNS_HEADER_LEN || len > DNS_MSG_MAX) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->base = base;
	if (hook)
		t->hook = *hook;
	t->server = *server;
	t->fd = -1;
	t->tcp = (flags & TRANSPORT_TCP) != 0;
	t->no_fallback = (flags & TRANSPORT_NO_FALLBACK) != 0;
	t->timeout_ms = timeout_ms;
	t->cb = cb;
	t->arg = arg;
	t->qlen = len;
	t->query = malloc(len + 2);
	t->timer = evtimer_new(base, on_timeout, t);
	if (t->query == NULL || t->timer == NULL) {
		transport_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->query[0] = (uint8_t)(len >> 8);
	t->query[1] = (uint8_t)len;
	memcpy(t->query + 2, query, len);
	random_bytes(t->query + 2, 2);
	if (start_io(t) < 0) {
		saved = errno ? errno : EIO;
		transport_free(t);
		errno = saved;
		return NULL;
	}
	arm_timer(t);
	return t;
}
