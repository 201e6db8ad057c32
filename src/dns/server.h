/*
 * server: the authoritative server's sockets on the event loop. UDP
 * sockets are drained in batches (recvmmsg/sendmmsg) from one readable
 * event; TCP connections carry length-prefixed messages (RFC 1035 4.2.2,
 * RFC 7766), several per connection, with an idle timeout and a cap on
 * connections. Every response comes from answer_query over the current
 * zone set.
 *
 * Everything runs on the loop's thread, and a query is answered before
 * the next event, so swapping the zone set there is enough for a reload:
 * no query is dropped, and once the swap returns no answer in progress
 * holds the old set.
 */
#ifndef MXHOST_DNS_SERVER_H
#define MXHOST_DNS_SERVER_H

#include <event2/event.h>
#include <stdint.h>
#include <sys/socket.h>

struct dns_server;
struct zoneset;

struct dns_server_params {
	uint16_t edns_payload;	      /* largest UDP response with EDNS0 */
	uint32_t tcp_idle_timeout;    /* seconds a connection may stay silent */
	uint32_t tcp_max_connections; /* beyond it, new connections wait in the backlog */
};

struct dns_server *dns_server_new(struct event_base *base, const struct dns_server_params *p);

/* Binds UDP and TCP on the address and starts answering there. -1 after
 * logging why. */
int dns_server_listen(struct dns_server *s, const struct sockaddr *sa, socklen_t len);

/* New limits; open connections keep their timeout until their next read. */
void dns_server_set_params(struct dns_server *s, const struct dns_server_params *p);

/* Answers from zs from now on; returns the set used until now, which the
 * caller may free at once. */
const struct zoneset *dns_server_swap_zones(struct dns_server *s, const struct zoneset *zs);

/* Open TCP connections (for tests and logs). */
unsigned dns_server_tcp_count(const struct dns_server *s);

/* Closes every socket and connection; does not free the zone set. */
void dns_server_free(struct dns_server *s);

#endif
