/*
 * session: one SMTP client connection, from the greeting to QUIT. Private
 * to src/smtp: the server (server.c) makes sessions and holds what they
 * share, in struct smtp_ctx.
 */
#ifndef MXHOST_SMTP_SESSION_H
#define MXHOST_SMTP_SESSION_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/netaddr.h"

struct spool;
struct policy;
struct session;

/* What every session reads; the server updates it on reload. */
struct smtp_ctx {
	struct event_base *base;
	char hostname[256];
	uint64_t size_limit; /* 0: none */
	uint32_t max_recipients;
	uint32_t max_connections;
	uint32_t max_per_client;
	uint32_t max_errors;
	uint32_t timeout_command; /* seconds */
	uint32_t timeout_data;
	struct cidr *mynet;
	size_t nmynet;
	const struct policy *policy;
	struct spool *spool;
	struct session *sessions; /* every open session, a doubly linked list */
	size_t nsessions;
	int stopping;
};

/* Takes over fd (a connected socket) and greets the client, or refuses
 * it with 421 when a connection limit is reached. */
void session_accept(struct smtp_ctx *ctx, evutil_socket_t fd, const struct sockaddr *sa,
		    socklen_t len);

/* Server shutdown: every session says 421 and closes; one that waits for
 * a commit is closed now and freed by the commit's callback. */
void session_shutdown_all(struct smtp_ctx *ctx);

/* Frees whatever is left (after the spool is closed, nothing should be). */
void session_free_all(struct smtp_ctx *ctx);

#endif
