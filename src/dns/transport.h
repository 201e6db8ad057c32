/*
 * transport: one DNS exchange with one server, for the resolver.
 *
 * Each exchange uses a fresh UDP socket on a port the kernel picks at
 * random and a fresh random query ID. An answer is taken only if it comes
 * from the server's address and port and carries the ID and the question
 * asked; anything else is ignored and the wait goes on, so that a forged
 * or stray packet can neither end nor poison the exchange. A truncated
 * UDP answer is asked again over TCP, with a fresh timeout.
 */
#ifndef MXHOST_DNS_TRANSPORT_H
#define MXHOST_DNS_TRANSPORT_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"

/* err 0 with the answer (its ID is the random one sent), or an errno:
 * ETIMEDOUT, ECONNREFUSED, ECONNRESET, ... and no packet. */
typedef void (*transport_cb)(void *arg, int err, const uint8_t *pkt, size_t len);

/*
 * Test seam: a function that answers in place of the network. It gets
 * the query as sent (random ID included) and whether it came over TCP,
 * writes an answer into answer (cap bytes) and returns its length; 0
 * means no answer (the exchange times out), -1 a refused connection. The
 * answer goes through the same matching as a real one, delivered from the
 * event loop.
 */
typedef int (*transport_answer_fn)(void *arg, const struct netaddr *server, int tcp,
				   const uint8_t *query, size_t len, uint8_t *answer, size_t cap);

struct transport_hook {
	transport_answer_fn fn; /* NULL: the network */
	void *arg;
};

struct transport;

#define TRANSPORT_TCP	      1 /* TCP from the start */
#define TRANSPORT_NO_FALLBACK 2 /* a truncated UDP answer is the answer */

/*
 * Sends query (its ID replaced by a random one) to server over UDP, or
 * TCP with TRANSPORT_TCP in flags, and waits up to timeout_ms. The callback runs once,
 * from the event loop, never from within this call; it must not cancel
 * the exchange it reports. NULL with errno set if the query could not be
 * sent at all (no socket, no route).
 */
struct transport *transport_start(struct event_base *base, const struct transport_hook *hook,
				  const struct netaddr *server, const uint8_t *query, size_t len,
				  uint32_t timeout_ms, unsigned flags, transport_cb cb, void *arg);

/* Stops the exchange; its callback will not run. */
void transport_cancel(struct transport *t);

/*
 * Whether answer answers query: same ID and opcode, QR set, and the same
 * question (name case-insensitively, type, class). An answer without a
 * question is taken only with an error rcode other than NXDOMAIN (some
 * servers drop the question from FORMERR and REFUSED). 1 or 0.
 */
int transport_match(const uint8_t *query, size_t qlen, const uint8_t *answer, size_t alen);

#endif
