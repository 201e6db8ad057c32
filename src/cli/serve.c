/*
 * mxhost serve [-c FILE] [-d]: runs every role the config enables on one
 * event loop, in the foreground, logging to stderr. SIGHUP re-reads the
 * config and hands it to each role; SIGTERM and SIGINT stop cleanly.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/roles.h"
#include "core/config.h"
#include "core/log.h"

struct serve {
	struct event_base *base;
	const char *config_path;
	void *state[8]; /* per role, same index as roles[] */
};

static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct serve *sv = arg;
	struct config cfg;
	char err[1024];

	(void)sig;
	(void)what;
	log_info("reload: reading %s", sv->config_path);
	if (config_load(sv->config_path, &cfg, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		config_free(&cfg);
		return;
	}
	for (size_t i = 0; roles[i]; i++) {
		int on = roles[i]->enabled(&cfg);
		if (on && sv->state[i])
			roles[i]->reload(sv->state[i], &cfg);
		else if (on != (sv->state[i] != NULL))
			log_warnx("reload: [%s] was %s; restart to apply", roles[i]->name,
				  on ? "added" : "removed");
	}
	config_free(&cfg);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct serve *sv = arg;
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(sv->base, NULL);
}

int cmd_serve(int argc, char **argv)
{
	struct serve sv = {0};
	struct config cfg;
	struct event *ev_hup, *ev_term, *ev_int;
	char err[1024];
	int next, started = 0, rc = 0;

	sv.config_path = cli_config_path(argc, argv, &next);
	for (; next < argc; next++) {
		if (strcmp(argv[next], "-d") == 0) {
			log_set_level(LOG_LEVEL_DEBUG);
		} else if (strcmp(argv[next], "-c") == 0 && next + 1 < argc) {
			sv.config_path = argv[++next]; /* -c after -d */
		} else {
			fprintf(stderr, "usage: mxhost serve [-c FILE] [-d]\n");
			return 2;
		}
	}
	if (config_load(sv.config_path, &cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		config_free(&cfg);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	sv.base = event_base_new();
	if (sv.base == NULL)
		fatalx("cannot create the event loop");

	for (size_t i = 0; roles[i]; i++) {
		if (!roles[i]->enabled(&cfg))
			continue;
		sv.state[i] = roles[i]->start(sv.base, &cfg);
		if (sv.state[i] == NULL) {
			rc = 1;
			goto out;
		}
		started++;
	}
	if (started == 0) {
		log_error("%s: no role enabled ([dns] or [smtp])", sv.config_path);
		rc = 1;
		goto out;
	}
	config_free(&cfg);

	ev_hup = evsignal_new(sv.base, SIGHUP, on_reload, &sv);
	ev_term = evsignal_new(sv.base, SIGTERM, on_stop, &sv);
	ev_int = evsignal_new(sv.base, SIGINT, on_stop, &sv);
	event_add(ev_hup, NULL);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	log_info("ready");
	event_base_dispatch(sv.base);
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
out:
	for (size_t i = 0; roles[i]; i++)
		if (sv.state[i])
			roles[i]->stop(sv.state[i]);
	if (rc)
		config_free(&cfg);
	event_base_free(sv.base);
	log_info("stopped");
	return rc;
}
