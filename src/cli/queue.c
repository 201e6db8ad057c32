/*
 * mxhost queue [-c FILE] list | show ID|FILE...
 *
 * Reads the spool directly, as mailq and postcat do, so that it works
 * whether or not the daemon runs (queue files are immutable once in
 * queue/, and state files are replaced by rename, so a reader never sees
 * half of one). list prints every queued message with its recipients that
 * are not delivered yet, mailq style; show prints one message's envelope,
 * recipient states and content, postcat style; it also reads a file given
 * by path, such as one in quarantine/, and says why it does not check.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "queue/qfile.h"

static const char usage_text[] = "usage: mxhost queue [-c FILE] list\n"
				 "       mxhost queue [-c FILE] show ID|FILE...\n";

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Queue IDs in spool/queue, sorted (arrival order); -1 with errno when
 * the folder cannot be read (a spool never used has none: ENOENT). */
static int list_ids(const char *spool, char ***out, size_t *n)
{
	char path[4096], **ids = NULL;
	size_t cap = 0;
	DIR *d;
	struct dirent *de;

	*n = 0;
	*out = NULL;
	snprintf(path, sizeof(path), "%s/queue", spool);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!qfile_id_valid(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			char **g = realloc(ids, cap * sizeof(*g));
			if (g == NULL)
				break;
			ids = g;
		}
		if ((ids[*n] = strdup(de->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(ids, *n, sizeof(*ids), cmp_str);
	*out = ids;
	return 0;
}

/* What qfile_open's failure means, for a message. */
static const char *open_error(int err, int nofollow)
{
	if (err == ELOOP && nofollow)
		return "a symbolic link, not a queue file";
	return err == ENODEV ? "not a regular file" : strerror(err);
}

/* The envelope of spool/queue/ID with the states of spool/state/ID. */
static int read_queued(const char *spool, const char *id, struct envelope *env, char *err,
		       size_t errlen)
{
	char path[4096];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/queue/%s", spool, id);
	fd = qfile_open(AT_FDCWD, path, 1);
	if (fd < 0) {
		snprintf(err, errlen, "%s", open_error(errno, 1));
		return -1;
	}
	rc = qfile_read_envelope(fd, env, err, errlen);
	close(fd);
	if (rc < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state/%s", spool, id);
	fd = qfile_open(AT_FDCWD, path, 1);
	if (fd >= 0) {
		char serr[256];
		if (qfile_read_state(fd, env, serr, sizeof(serr)) < 0)
			fprintf(stderr, "mxhost queue: state/%s: %s\n", id, serr);
		close(fd);
	}
	return 0;
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%a %b %e %H:%M:%S", &tm);
}

static int do_list(const char *spool)
{
	size_t n, shown = 0;
	unsigned long long bytes = 0;
	char **ids, err[256], when[64];

	if (list_ids(spool, &ids, &n) < 0 && errno != ENOENT) {
		fprintf(stderr, "mxhost queue: %s/queue: %s\n", spool, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct envelope env;
		if (read_queued(spool, ids[i], &env, err, sizeof(err)) < 0) {
			if (strcmp(err, strerror(ENOENT)) != 0) /* delivered meanwhile */
				printf("%-12s  (unreadable: %s)\n", ids[i], err);
			free(ids[i]);
			continue;
		}
		if (shown++ == 0)
			printf(
			    "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
		fmt_time(env.received, when, sizeof(when));
		printf("%-12s %8llu %-20s  %s\n", env.id, (unsigned long long)env.size, when,
		       env.sender[0] ? env.sender : "MAILER-DAEMON");
		for (size_t r = 0; r < env.nrcpts; r++) {
			const struct envelope_rcpt *rc = &env.rcpts[r];
			if (rc->state == RCPT_DELIVERED)
				continue;
			if (rc->last_error)
				printf("%44s(%s)\n", "", rc->last_error);
			printf("%44s%s%s\n", "", rc->addr,
			       rc->state == RCPT_FAILED ? " (failed)" : "");
		}
		printf("\n");
		bytes += env.size;
		envelope_free(&env);
		free(ids[i]);
	}
	free(ids);
	if (shown == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %llu Kbytes in %zu Request%s.\n", (bytes + 1023) / 1024, shown,
		       shown == 1 ? "" : "s");
	return 0;
}

/* ", STATE, N attempts[, next try T]" and the last error, if any. */
static void print_rcpt_state(const struct envelope_rcpt *r)
{
	char when[64];

	printf(", %s, %u attempt%s", rcpt_state_name(r->state), r->attempts,
	       r->attempts == 1 ? "" : "s");
	if (r->state == RCPT_DEFERRED) {
		fmt_time(r->next_try, when, sizeof(when));
		printf(", next try %s", when);
	}
	printf("\n");
	if (r->last_error)
		printf("  last error: %s\n", r->last_error);
}

static void print_envelope(const struct envelope *env)
{
	char when[64];

	printf("*** ENVELOPE RECORDS %s ***\n", env->id);
	fmt_time(env->received, when, sizeof(when));
	printf("message_size: %llu\n", (unsigned long long)env->size);
	printf("message_arrival_time: %s\n", when);
	printf("sender: %s\n", env->sender);
	printf("helo_name: %s\n", env->helo);
	printf("client_address: %s\n", env->client_addr);
	printf("body: %s%s\n", env->body_8bit ? "8BITMIME" : "7BIT",
	       env->smtputf8 ? ", SMTPUTF8" : "");
	if (env->warned) {
		fmt_time(env->warned, when, sizeof(when));
		printf("delay_warning_sent: %s\n", when);
	}
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		printf("recipient: %s", r->addr);
		if (r->orcpt && strcmp(r->orcpt, r->addr) != 0)
			printf(" (original %s)", r->orcpt);
		printf(", %s", r->kind == RCPT_LOCAL ? "local" : "remote");
		print_rcpt_state(r);
	}
}

/* A state file shown on its own: the recipients by number, since their
 * addresses are in the message file. */
static int show_state(int fd, const char *path)
{
	struct envelope env;
	char err[256], when[64];

	if (qfile_read_state_alone(fd, &env, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxhost queue: %s: %s\n", path, err);
		return 1;
	}
	printf("*** STATE RECORDS %s ***\n", env.id);
	if (env.warned) {
		fmt_time(env.warned, when, sizeof(when));
		printf("delay_warning_sent: %s\n", when);
	}
	for (size_t i = 0; i < env.nrcpts; i++) {
		printf("recipient #%zu", i + 1);
		print_rcpt_state(&env.rcpts[i]);
	}
	envelope_free(&env);
	return 0;
}

/* Shows spool/queue/ID, or the file at a path. */
static int do_show(const char *spool, const char *what)
{
	char path[4096], err[256], id[32] = "";
	struct envelope env, states;
	uint8_t *data;
	size_t len;
	int fd, rc;

	if (strchr(what, '/') == NULL && qfile_id_valid(what)) {
		snprintf(path, sizeof(path), "%s/queue/%s", spool, what);
		snprintf(id, sizeof(id), "%s", what);
	} else {
		snprintf(path, sizeof(path), "%s", what);
	}
	fd = qfile_open(AT_FDCWD, path, id[0] != 0);
	if (fd < 0) {
		fprintf(stderr, "mxhost queue: %s: %s\n", id[0] ? id : path,
			open_error(errno, id[0] != 0));
		return 1;
	}
	if (qfile_kind(fd) == QFILE_STATE) {
		rc = show_state(fd, path);
		close(fd);
		return rc;
	}
	rc = qfile_load(fd, &env, &data, &len, err, sizeof(err));
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "mxhost queue: %s: %s\n", path, err);
		return 1;
	}
	/* The states that count are in state/ID, when it exists. */
	if (id[0] && read_queued(spool, id, &states, err, sizeof(err)) == 0) {
		envelope_free(&env);
		env = states;
	}
	print_envelope(&env);
	printf("*** MESSAGE CONTENTS %s ***\n", env.id);
	fwrite(data, 1, len, stdout);
	if (len && data[len - 1] != '\n')
		printf("\n");
	printf("*** END OF MESSAGE ***\n");
	envelope_free(&env);
	free(data);
	return 0;
}

int cmd_queue(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH, *action = NULL;
	char **args = calloc((size_t)argc + 1, sizeof(*args)), err[1024];
	int nargs = 0, rc = 0;
	struct config cfg;

	if (args == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (action == NULL)
			action = argv[i];
		else
			args[nargs++] = argv[i];
	}
	if (action == NULL || (strcmp(action, "list") == 0 && nargs != 0) ||
	    (strcmp(action, "show") == 0 && nargs == 0) ||
	    (strcmp(action, "list") != 0 && strcmp(action, "show") != 0)) {
		fputs(usage_text, stderr);
		free(args);
		return 2;
	}
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxhost queue: %s\n", err);
		rc = 1;
	} else if (cfg.smtp.spool == NULL) {
		fprintf(stderr, "mxhost queue: %s: no [smtp] spool\n", path);
		rc = 1;
	} else if (strcmp(action, "list") == 0) {
		rc = do_list(cfg.smtp.spool);
	} else {
		for (int i = 0; i < nargs; i++)
			if (do_show(cfg.smtp.spool, args[i]) != 0)
				rc = 1;
	}
	config_free(&cfg);
	free(args);
	return rc;
}
