/*
 * server: the ESMTP listener of the [smtp] role. Accepts connections on
 * every `listen` address, enforces the connection limits, and runs one
 * session (session.c) per client on the caller's event loop. Messages go
 * into the spool; the RCPT decisions come from a policy (policy.h) that
 * the caller owns and may swap on reload.
 */
#ifndef MXHOST_SMTP_SERVER_H
#define MXHOST_SMTP_SERVER_H

#include <event2/event.h>
#include <stddef.h>

#include "core/config.h"
#include "core/netaddr.h"

struct smtp_server;
struct spool;
struct policy;

/* Binds and starts. mynet lists the clients that may relay (copied).
 * NULL after logging why. */
struct smtp_server *smtp_server_start(struct event_base *base, const struct config_smtp *cfg,
				      const struct cidr *mynet, size_t nmynet,
				      const struct policy *policy, struct spool *spool);

/* Applies new limits, hostname, mynetworks and policy to new commands of
 * every session. Listen addresses are not changed (a restart is). */
int smtp_server_reload(struct smtp_server *srv, const struct config_smtp *cfg,
		       const struct cidr *mynet, size_t nmynet, const struct policy *policy);

/* Stops listening and closes sessions (421 to idle ones). A session
 * waiting for a commit stays until its callback, which spool_close runs:
 * stop the server, then close the spool, then free the server. */
void smtp_server_stop(struct smtp_server *srv);
void smtp_server_free(struct smtp_server *srv);

#endif
