/* server: see server.h. */
#include "smtp/server.h"

#include <errno.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strutil.h"
#include "smtp/session.h"

struct smtp_server {
	struct smtp_ctx ctx;
	struct evconnlistener **listeners;
	size_t nlisteners;
	struct event *resume; /* re-enables listening after accept failed */
};

static void apply(struct smtp_ctx *ctx, const struct config_smtp *cfg, struct cidr *mynet,
		  size_t nmynet, const struct policy *policy)
{
	str_copy(ctx->hostname, cfg->hostname, sizeof(ctx->hostname));
	ctx->size_limit = cfg->message_size_limit;
	ctx->max_recipients = cfg->max_recipients;
	ctx->max_connections = cfg->max_connections;
	ctx->max_per_client = cfg->max_connections_per_client;
	ctx->max_errors = cfg->max_errors;
	ctx->timeout_command = cfg->timeout_command;
	ctx->timeout_data = cfg->timeout_data;
	free(ctx->mynet);
	ctx->mynet = mynet;
	ctx->nmynet = nmynet;
	ctx->policy = policy;
}

static struct cidr *copy_cidrs(const struct cidr *c, size_t n)
{
	struct cidr *out = malloc((n ? n : 1) * sizeof(*out));
	if (out && n)
		memcpy(out, c, n * sizeof(*out));
	return out;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
		      void *arg)
{
	struct smtp_server *srv = arg;
	(void)l;
	session_accept(&srv->ctx, fd, sa, (socklen_t)len);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_server *srv = arg;
	(void)fd;
	(void)what;
	for (size_t i = 0; i < srv->nlisteners; i++)
		evconnlistener_enable(srv->listeners[i]);
}

/* accept() failed (out of file descriptors, most likely): pause a moment
 * instead of spinning on a listener that stays readable. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct smtp_server *srv = arg;
	struct timeval tv = {1, 0};
	(void)l;
	log_warn("smtp: accept");
	for (size_t i = 0; i < srv->nlisteners; i++)
		evconnlistener_disable(srv->listeners[i]);
	evtimer_add(srv->resume, &tv);
}

struct smtp_server *smtp_server_start(struct event_base *base, const struct config_smtp *cfg,
				      const struct cidr *mynet, size_t nmynet,
				      const struct policy *policy, struct spool *spool)
{
	struct smtp_server *srv = calloc(1, sizeof(*srv));
	struct cidr *nets = copy_cidrs(mynet, nmynet);

	if (srv == NULL || nets == NULL || cfg->nlisten == 0 ||
	    (srv->listeners = calloc(cfg->nlisten, sizeof(*srv->listeners))) == NULL ||
	    (srv->resume = evtimer_new(base, on_resume, srv)) == NULL) {
		log_warnx("smtp: %s", cfg->nlisten ? "out of memory" : "no listen address");
		free(nets);
		smtp_server_free(srv);
		return NULL;
	}
	srv->ctx.base = base;
	srv->ctx.spool = spool;
	apply(&srv->ctx, cfg, nets, nmynet, policy);
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct netaddr *na = &cfg->listen[i];
		char text[NETADDR_STRLEN];
		struct evconnlistener *l;

		netaddr_format((const struct sockaddr *)&na->ss, text, sizeof(text));
		l = evconnlistener_new_bind(base, on_accept, srv,
					    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						LEV_OPT_CLOSE_ON_EXEC,
					    511, (const struct sockaddr *)&na->ss, (int)na->len);
		if (l == NULL) {
			log_warn("smtp: cannot listen on %s", text);
			smtp_server_free(srv);
			return NULL;
		}
		evconnlistener_set_error_cb(l, on_accept_error);
		srv->listeners[srv->nlisteners++] = l;
		log_info("smtp: listening on %s as %s", text, srv->ctx.hostname);
	}
	return srv;
}

int smtp_server_reload(struct smtp_server *srv, const struct config_smtp *cfg,
		       const struct cidr *mynet, size_t nmynet, const struct policy *policy)
{
	struct cidr *nets = copy_cidrs(mynet, nmynet);
	if (nets == NULL) {
		log_warnx("smtp: reload: out of memory");
		return -1;
	}
	apply(&srv->ctx, cfg, nets, nmynet, policy);
	return 0;
}

void smtp_server_stop(struct smtp_server *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++)
		evconnlistener_free(srv->listeners[i]);
	srv->nlisteners = 0;
	srv->ctx.stopping = 1;
	session_shutdown_all(&srv->ctx);
}

void smtp_server_free(struct smtp_server *srv)
{
	if (srv == NULL)
		return;
	for (size_t i = 0; i < srv->nlisteners; i++)
		evconnlistener_free(srv->listeners[i]);
	session_free_all(&srv->ctx);
	if (srv->resume)
		event_free(srv->resume);
	free(srv->listeners);
	free(srv->ctx.mynet);
	free(srv);
}
