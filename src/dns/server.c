/*
 * server: see server.h. One readable event per UDP socket, after which
 * the socket is drained with recvmmsg and answered with sendmmsg, so that
 * the event loop costs little per packet; the buffers are allocated once,
 * and a query costs no allocation. TCP goes through bufferevents: a
 * connection is rare next to a datagram, and they handle the partial
 * reads and writes.
 */
#include "dns/server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/netaddr.h"
#include "dns/answer.h"
#include "dns/pcache.h"
#include "dns/wire.h"

#define UDP_BATCH     32    /* datagrams per recvmmsg */
#define UDP_ROUNDS    8	    /* batches per readable event, then let others run */
#define UDP_QUERY_MAX 65535 /* the largest datagram: a query is never cut */
/* Query buffers lie this far apart: not a multiple of 4 KiB, so that the
 * first bytes of each, all that a usual query touches, fall in different
 * cache sets (only those pages ever become resident). */
#define UDP_QUERY_STRIDE (65536 + 320)
#define UDP_RCVBUF	 (1 << 20)    /* absorbs bursts between two events */
#define TCP_OUT_MAX	 (256 * 1024) /* responses a client has not read: stop reading */
#define TCP_BACKLOG	 128
#define TCP_BUSY_IDLE_MS 200 /* idle timeout of connections taken past half the cap */
#define ACCEPT_PAUSE_S	 2   /* accept() failed (out of descriptors): wait this long */

struct udp_sock {
	struct dns_server *srv;
	int fd;
	int family;
	int pktinfo; /* bound to the wildcard: reply from the address asked */
	struct event *ev;
	struct udp_sock *next;
};

struct tcp_listener {
	struct evconnlistener *lev;
	struct tcp_listener *next;
};

struct tcp_conn {
	struct dns_server *srv;
	struct bufferevent *bev;
	int ipv6;
	int closing; /* the client is done sending: close once all is written */
	struct tcp_conn *prev, *next;
};

/* What one batch of datagrams needs; allocated once per server. */
struct udp_batch {
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec iov_in[UDP_BATCH], iov_out[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cin[UDP_BATCH], cout[UDP_BATCH];
	/* Neither stride is a multiple of 4 KiB: buffers at such strides
	 * would all fall in the same cache sets. */
	uint8_t query[UDP_BATCH][UDP_QUERY_STRIDE];
	uint8_t *response; /* UDP_BATCH responses of up to stride bytes */
	size_t stride;
};

struct dns_server {
	struct event_base *base;
	struct dns_server_params params;
	const struct zoneset *zones;
	struct udp_sock *udp;
	struct tcp_listener *listeners;
	struct tcp_conn *conns;
	unsigned nconns;
	int accepting;
	int accept_paused; /* accept() failed: resume_accept will end it */
	struct event *resume_accept;
	struct udp_batch *batch;
	struct pcache *cache; /* UDP answers, for the zones in use */
	uint8_t tcp_response[2 + DNS_MSG_MAX];
};

#define CACHE_SLOTS    2048
#define CACHE_RESP_MAX 2048 /* larger answers are built every time */

/* ---- UDP ---- */

/* The local address a datagram came to, as the control message to send
 * the reply from it (sockets bound to 0.0.0.0 or ::). */
static socklen_t reply_control(const struct msghdr *in, void *out)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(in); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)in, cm)) {
		struct msghdr m = {.msg_control = out,
				   .msg_controllen = sizeof(((struct udp_batch *)0)->cout[0])};
		struct cmsghdr *o = CMSG_FIRSTHDR(&m);
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(cm), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static void udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *u = arg;
	struct dns_server *srv = u->srv;
	struct udp_batch *b = srv->batch;
	struct answer_params p = {0, u->family == AF_INET6, srv->params.edns_payload};

	(void)what;
	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n, nout = 0, sent = 0;

		for (int i = 0; i < UDP_BATCH; i++) {
			struct msghdr *m = &b->in[i].msg_hdr;
			b->iov_in[i].iov_base = b->query[i];
			b->iov_in[i].iov_len = UDP_QUERY_MAX;
			m->msg_name = &b->from[i];
			m->msg_namelen = sizeof(b->from[i]);
			m->msg_iov = &b->iov_in[i];
			m->msg_iovlen = 1;
			m->msg_control = u->pktinfo ? b->cin[i].buf : NULL;
			m->msg_controllen = u->pktinfo ? sizeof(b->cin[i].buf) : 0;
			m->msg_flags = 0;
		}
		n = recvmmsg(fd, b->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("dns: udp receive");
			return;
		}
		for (int i = 0; i < n; i++) {
			uint8_t *resp = b->response + (size_t)nout * b->stride;
			size_t qlen = b->in[i].msg_len;
			size_t len = srv->cache ? pcache_answer(srv->cache, b->query[i], qlen,
								p.ipv6, resp, b->stride)
						: 0;
			if (len == 0) {
				len = answer_query(srv->zones, b->query[i], qlen, resp, b->stride,
						   &p);
				if (len && srv->cache)
					pcache_store(srv->cache, b->query[i], qlen, p.ipv6, resp,
						     len);
			}
			struct msghdr *m = &b->out[nout].msg_hdr;
			if (len == 0)
				continue;
			b->iov_out[nout].iov_base = resp;
			b->iov_out[nout].iov_len = len;
			memset(m, 0, sizeof(*m));
			m->msg_name = &b->from[i];
			m->msg_namelen = b->in[i].msg_hdr.msg_namelen;
			m->msg_iov = &b->iov_out[nout];
			m->msg_iovlen = 1;
			if (u->pktinfo) {
				m->msg_control = b->cout[nout].buf;
				m->msg_controllen =
				    reply_control(&b->in[i].msg_hdr, b->cout[nout].buf);
				if (m->msg_controllen == 0)
					m->msg_control = NULL;
			}
			nout++;
		}
		while (sent < nout) {
			int r = sendmmsg(fd, b->out + sent, (unsigned)(nout - sent), 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* A full send buffer or an unreachable client: the
				 * datagram is lost, as UDP allows; skip it. */
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					log_debug("dns: udp send: %s", strerror(errno));
				sent++;
				continue;
			}
			sent += r;
		}
		if (n < UDP_BATCH)
			return;
	}
}

static int udp_open(struct dns_server *srv, const struct sockaddr *sa, socklen_t len)
{
	struct udp_sock *u = calloc(1, sizeof(*u));
	char text[NETADDR_STRLEN];
	int on = 1, rcvbuf = UDP_RCVBUF;

	if (u == NULL)
		return -1;
	u->srv = srv;
	u->family = sa->sa_family;
	u->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		goto fail;
	setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		/* [::] and 0.0.0.0 may both be configured. */
		setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
			u->pktinfo = 1;
			setsockopt(u->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
		}
	} else if (((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY)) {
		u->pktinfo = 1;
		setsockopt(u->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	}
	if (bind(u->fd, sa, len) < 0)
		goto fail;
	u->ev = event_new(srv->base, u->fd, EV_READ | EV_PERSIST, udp_read, u);
	if (u->ev == NULL || event_add(u->ev, NULL) < 0)
		goto fail;
	u->next = srv->udp;
	srv->udp = u;
	return 0;
fail:
	log_warn("dns: udp %s", netaddr_format(sa, text, sizeof(text)));
	if (u->ev)
		event_free(u->ev);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	return -1;
}

/* ---- TCP ---- */

static void tcp_accepting(struct dns_server *srv, int on)
{
	if (srv->accept_paused)
		on = 0;
	if (srv->accepting == on)
		return;
	srv->accepting = on;
	for (struct tcp_listener *l = srv->listeners; l; l = l->next) {
		if (on)
			evconnlistener_enable(l->lev);
		else
			evconnlistener_disable(l->lev);
	}
}

static void tcp_close(struct tcp_conn *c)
{
	struct dns_server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	free(c);
	srv->nconns--;
	if (srv->nconns < srv->params.tcp_max_connections)
		tcp_accepting(srv, 1);
}

/* Answers every complete message in the input, in order. */
static void tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct dns_server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	struct answer_params p = {1, c->ipv6, srv->params.edns_payload};

	while (evbuffer_get_length(out) < TCP_OUT_MAX) {
		uint8_t lenbuf[2], *msg;
		size_t mlen, rlen;

		if (evbuffer_copyout(in, lenbuf, 2) < 2)
			return;
		mlen = buf_get_u16(lenbuf);
		if (evbuffer_get_length(in) < 2 + mlen)
			return;
		msg = evbuffer_pullup(in, (ev_ssize_t)(2 + mlen));
		rlen =
		    answer_query(srv->zones, msg + 2, mlen, srv->tcp_response + 2, DNS_MSG_MAX, &p);
		evbuffer_drain(in, 2 + mlen);
		if (rlen == 0) {
			/* Not a query (a response, or garbage): this is no DNS client. */
			tcp_close(c);
			return;
		}
		srv->tcp_response[0] = (uint8_t)(rlen >> 8);
		srv->tcp_response[1] = (uint8_t)rlen;
		if (evbuffer_add(out, srv->tcp_response, 2 + rlen) < 0) {
			tcp_close(c);
			return;
		}
	}
	/* The client does not read its answers: wait until it has. */
	bufferevent_disable(bev, EV_READ);
	bufferevent_setwatermark(bev, EV_WRITE, TCP_OUT_MAX / 2, 0);
}

static void tcp_written(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			tcp_close(c);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(bev, EV_READ);
		tcp_read(bev, c); /* what arrived meanwhile */
	}
}

static void tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		/* The client has sent all its queries: finish the answers. */
		c->closing = 1;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	tcp_close(c);
}

static void tcp_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		       int salen, void *arg)
{
	struct dns_server *srv = arg;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	struct timeval idle = {(time_t)srv->params.tcp_idle_timeout, 0};
	int on = 1;

	/* Past half the cap, a new connection gets a short idle timeout, so
	 * that clients holding connections open without asking cannot keep
	 * everyone else out (RFC 7766 6.2.3; NSD does the same). */
	if (srv->nconns >= srv->params.tcp_max_connections / 2 && idle.tv_sec != 0) {
		idle.tv_sec = 0;
		idle.tv_usec = TCP_BUSY_IDLE_MS * 1000;
	}

	(void)lev;
	(void)salen;
	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->ipv6 = sa->sa_family == AF_INET6;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	bufferevent_setcb(c->bev, tcp_read, tcp_written, tcp_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	if (++srv->nconns >= srv->params.tcp_max_connections)
		tcp_accepting(srv, 0);
}

static void tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct dns_server *srv = arg;
	(void)fd;
	(void)what;
	srv->accept_paused = 0;
	tcp_accepting(srv, srv->nconns < srv->params.tcp_max_connections);
}

/* accept() failed (out of file descriptors, most likely): the listener
 * would stay readable and libevent would try again at once, spinning and
 * logging each time. Pause accepting a moment instead, and log once. */
static void tcp_accept_error(struct evconnlistener *lev, void *arg)
{
	struct dns_server *srv = arg;
	struct timeval pause = {ACCEPT_PAUSE_S, 0};
	(void)lev;
	if (srv->accept_paused)
		return;
	log_warn("dns: tcp accept (not accepting for %d s)", ACCEPT_PAUSE_S);
	srv->accept_paused = 1;
	tcp_accepting(srv, 0);
	if (srv->resume_accept)
		evtimer_add(srv->resume_accept, &pause);
}

static int tcp_open(struct dns_server *srv, const struct sockaddr *sa, socklen_t len)
{
	struct tcp_listener *l = calloc(1, sizeof(*l));
	char text[NETADDR_STRLEN];
	int on = 1, fd;

	if (l == NULL)
		return -1;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, sa, len) < 0)
		goto fail;
	l->lev =
	    evconnlistener_new(srv->base, tcp_accept, srv, LEV_OPT_CLOSE_ON_FREE, TCP_BACKLOG, fd);
	if (l->lev == NULL)
		goto fail;
	evconnlistener_set_error_cb(l->lev, tcp_accept_error);
	if (!srv->accepting)
		evconnlistener_disable(l->lev);
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
fail:
	log_warn("dns: tcp %s", netaddr_format(sa, text, sizeof(text)));
	if (fd >= 0 && l->lev == NULL)
		close(fd);
	free(l);
	return -1;
}

/* ---- the server ---- */

/* Response buffers for UDP payloads up to edns_payload (a UDP response
 * is never larger). 0, or -1 when out of memory (the old ones stay). */
static int udp_buffers(struct udp_batch *b, uint16_t edns_payload)
{
	size_t size = edns_payload > DNS_UDP_MAX ? edns_payload : DNS_UDP_MAX;
	size_t stride = ((size + 63) & ~(size_t)63) + 64;
	uint8_t *r;

	if (b->response && stride <= b->stride)
		return 0;
	r = malloc(stride * UDP_BATCH);
	if (r == NULL)
		return -1;
	free(b->response);
	b->response = r;
	b->stride = stride;
	return 0;
}

struct dns_server *dns_server_new(struct event_base *base, const struct dns_server_params *p)
{
	struct dns_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->batch = calloc(1, sizeof(*srv->batch));
	if (srv->batch == NULL || udp_buffers(srv->batch, p->edns_payload) < 0) {
		free(srv->batch);
		free(srv);
		return NULL;
	}
	srv->base = base;
	srv->params = *p;
	srv->accepting = 1;
	/* Without it an accept failure still pauses, until a connection
	 * closes. */
	srv->resume_accept = evtimer_new(base, tcp_resume, srv);
	/* Without memory for it, every answer is built afresh. */
	srv->cache = pcache_new(CACHE_SLOTS, CACHE_RESP_MAX);
	return srv;
}

int dns_server_listen(struct dns_server *s, const struct sockaddr *sa, socklen_t len)
{
	char text[NETADDR_STRLEN];

	if (udp_open(s, sa, len) < 0 || tcp_open(s, sa, len) < 0)
		return -1;
	log_info("dns: listening on %s (udp, tcp)", netaddr_format(sa, text, sizeof(text)));
	return 0;
}

void dns_server_set_params(struct dns_server *s, const struct dns_server_params *p)
{
	uint16_t before = s->params.edns_payload;

	s->params = *p;
	if (udp_buffers(s->batch, p->edns_payload) < 0) {
		log_warnx("dns: out of memory: edns_payload stays %u", before);
		s->params.edns_payload = before;
	}
	if (s->cache)
		pcache_clear(s->cache); /* answers depend on edns_payload */
	tcp_accepting(s, s->nconns < s->params.tcp_max_connections);
}

const struct zoneset *dns_server_swap_zones(struct dns_server *s, const struct zoneset *zs)
{
	const struct zoneset *old = s->zones;
	s->zones = zs;
	if (s->cache)
		pcache_clear(s->cache);
	return old;
}

unsigned dns_server_tcp_count(const struct dns_server *s)
{
	return s->nconns;
}

void dns_server_free(struct dns_server *s)
{
	if (s == NULL)
		return;
	while (s->conns)
		tcp_close(s->conns);
	while (s->listeners) {
		struct tcp_listener *l = s->listeners;
		s->listeners = l->next;
		evconnlistener_free(l->lev);
		free(l);
	}
	while (s->udp) {
		struct udp_sock *u = s->udp;
		s->udp = u->next;
		event_free(u->ev);
		close(u->fd);
		free(u);
	}
	if (s->resume_accept)
		event_free(s->resume_accept);
	pcache_free(s->cache);
	free(s->batch->response);
	free(s->batch);
	free(s);
}
