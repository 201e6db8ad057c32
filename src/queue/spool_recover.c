/* spool_recover: what spool_open does with what a crash left; see
 * docs/QUEUE.md for each state and spool_private.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strutil.h"
#include "queue/qfile.h"
#include "queue/spool_private.h"

int spool_rename_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return renameat(fromfd, from, tofd, to); /* file system without it */
}

static uint64_t id_value(const char *id)
{
	return strtoull(id, NULL, 16);
}

/* Moves dirfd/name (dirname is its folder's name) into quarantine/. */
int spool_quarantine_file(struct spool *sp, int dirfd, const char *dirname, const char *name,
			  const char *reason)
{
	char dst[NAME_MAX + 1];

	for (int i = 0; i < 1000; i++) {
		if (i == 0)
			snprintf(dst, sizeof(dst), "%s.%s", dirname, name);
		else
			snprintf(dst, sizeof(dst), "%s.%s.%d", dirname, name, i);
		if (spool_rename_noreplace(dirfd, name, sp->quarfd, dst) == 0) {
			log_warnx("spool: %s/%s moved to quarantine/%s: %s", dirname, name, dst,
				  reason);
			/* Both folders changed: make the move durable, so
			 * that it is not undone by a crash. */
			if (durable_fsync(sp->quarfd) < 0 || durable_fsync(dirfd) < 0)
				log_warn("spool: fsync after quarantining %s", name);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	log_warn("spool: cannot quarantine %s/%s (%s)", dirname, name, reason);
	return -1;
}

/* Calls fn for each entry of dirfd except . and .., with its inode number
 * (names copied first, so fn may rename or unlink). */
typedef void entry_fn(struct spool *sp, const char *name, ino_t ino, void *arg);

static int each_entry(int dirfd, entry_fn *fn, struct spool *sp, void *arg)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d;
	struct dirent *de;
	struct {
		char *name;
		ino_t ino;
	} *ents = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *g = realloc(ents, ncap * sizeof(*ents));
			if (g == NULL)
				break;
			ents = g;
			cap = ncap;
		}
		if ((ents[n].name = strdup(de->d_name)) == NULL)
			break;
		ents[n++].ino = de->d_ino;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		fn(sp, ents[i].name, ents[i].ino, arg);
		free(ents[i].name);
	}
	free(ents);
	return 0;
}

struct recovery {
	size_t removed, quarantined, orphans, cap;
	ino_t *held; /* inodes that queue/ and state/ name, sorted */
	size_t nheld, held_cap;
	int held_failed;
};

static int cmp_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;
	return x < y ? -1 : x > y;
}

/* Notes an inode queue/ or state/ holds. */
static void note_held(struct spool *sp, const char *name, ino_t ino, void *arg)
{
	struct recovery *rc = arg;
	(void)sp;
	(void)name;
	if (rc->nheld == rc->held_cap) {
		size_t ncap = rc->held_cap ? rc->held_cap * 2 : 256;
		ino_t *g = realloc(rc->held, ncap * sizeof(*g));
		if (g == NULL) {
			rc->held_failed = 1;
			return;
		}
		rc->held = g;
		rc->held_cap = ncap;
	}
	rc->held[rc->nheld++] = ino;
}

/*
 * Unlinks a leftover of tmp/ or free/ — unless queue/ or state/ names the
 * same inode. A rename is atomic on a journaled file system; without a
 * journal a crash can leave the old name beside the new one on one inode
 * whose link count is 1, and unlinking the old name would free a queued
 * message's file. Such a name is left alone, with a warning.
 */
static void remove_leftover(int dirfd, const char *dirname, const char *name, ino_t ino,
			    struct recovery *rc, const char *why)
{
	/* Inode numbers as readdir gives them, on both sides (on overlay
	 * file systems they may differ from stat's). */
	if (rc->nheld && bsearch(&ino, rc->held, rc->nheld, sizeof(ino_t), cmp_ino) != NULL) {
		log_warnx(
		    "spool: %s/%s is the same file as a queued one (a rename the file "
		    "system did not finish before a crash): left alone; check the file system",
		    dirname, name);
		return;
	}
	if (unlinkat(dirfd, name, 0) == 0) {
		if (why)
			log_info("spool: removed %s/%s (%s)", dirname, name, why);
		rc->removed++;
	} else {
		log_warn("spool: cannot remove %s/%s", dirname, name);
	}
}

static void note_id(struct spool *sp, const char *id)
{
	uint64_t v = id_value(id);
	if (v > sp->last_id)
		sp->last_id = v;
}

/* Notes the queue ID at the start of name (ID, ID.state, ...), if any:
 * new IDs stay above every ID named anywhere in the spool. */
static void note_id_prefix(struct spool *sp, const char *name)
{
	char id[QFILE_ID_LEN + 1];

	if (strlen(name) < QFILE_ID_LEN)
		return;
	memcpy(id, name, QFILE_ID_LEN);
	id[QFILE_ID_LEN] = '\0';
	if (qfile_id_valid(id) && (name[QFILE_ID_LEN] == '\0' || name[QFILE_ID_LEN] == '.'))
		note_id(sp, id);
}

static void recover_tmp(struct spool *sp, const char *name, ino_t ino, void *arg)
{
	/* Never acknowledged: the client got no 250 and sends it again. A
	 * name kept (same file as a queued one) must never be met again. */
	note_id_prefix(sp, name);
	remove_leftover(sp->tmpfd, "tmp", name, ino, arg, "unfinished, never acknowledged");
}

/* quarantine/queue.ID[.N] and state.ID[.N]: their IDs are not handed out
 * again, so that logs and `mxhost queue show` never mix two messages. */
static void note_quarantined(struct spool *sp, const char *name, ino_t ino, void *arg)
{
	(void)ino;
	(void)arg;
	if (strncmp(name, "queue.", 6) == 0 || strncmp(name, "state.", 6) == 0)
		note_id_prefix(sp, name + 6);
}

static void recover_free(struct spool *sp, const char *name, ino_t ino, void *arg)
{
	struct recovery *rc = arg;
	size_t removed = rc->removed;

	/* A recycled file: nothing in it matters (docs/QUEUE.md). */
	remove_leftover(sp->freefd, "free", name, ino, rc, NULL);
	rc->removed = removed;
}

static void recover_queue(struct spool *sp, const char *name, ino_t ino, void *arg)
{
	(void)ino;
	struct recovery *rc = arg;
	struct envelope env;
	char err[256];
	int fd;

	if (!qfile_id_valid(name)) {
		if (spool_quarantine_file(sp, sp->queuefd, "queue", name, "not a queue ID") == 0)
			rc->quarantined++;
		return;
	}
	note_id(sp, name);
	fd = qfile_open(sp->queuefd, name, 1);
	if (fd < 0 && (errno == ELOOP || errno == ENODEV)) {
		/* A link or a FIFO, a folder: no message the spool wrote, and
		 * never a file it may write through (docs/QUEUE.md). */
		if (spool_quarantine_file(sp, sp->queuefd, "queue", name, "not a regular file") ==
		    0)
			rc->quarantined++;
		return;
	}
	if (fd < 0) {
		log_warn("spool: queue/%s", name);
		return;
	}
	if (qfile_read_envelope(fd, &env, err, sizeof(err)) < 0 && errno != EBADMSG) {
		/* Not known to be bad: out of memory or descriptors, an I/O
		 * error. It stays where it is for the next start. */
		log_warnx("spool: queue/%s not read (%s), left for the next start", name, err);
		close(fd);
		return;
	}
	if (env.nrcpts == 0 || strcmp(env.id, name) != 0) {
		close(fd);
		if (env.nrcpts)
			snprintf(err, sizeof(err), "holds queue ID %s", env.id);
		envelope_free(&env);
		if (spool_quarantine_file(sp, sp->queuefd, "queue", name, err) == 0)
			rc->quarantined++;
		/* Its state goes along, so that it is not taken for the
		 * state of a message already delivered. */
		if (faccessat(sp->statefd, name, F_OK, 0) == 0 &&
		    spool_quarantine_file(sp, sp->statefd, "state", name,
					  "its message was quarantined") == 0)
			rc->quarantined++;
		return;
	}
	close(fd);
	if (sp->nrecovered == rc->cap) {
		size_t ncap = rc->cap ? rc->cap * 2 : 64;
		struct envelope *g = realloc(sp->recovered, ncap * sizeof(*g));
		if (g == NULL) {
			/* It stays on disk and is found at the next start. */
			log_warn("spool: queue/%s not indexed", name);
			envelope_free(&env);
			return;
		}
		sp->recovered = g;
		rc->cap = ncap;
	}
	sp->recovered[sp->nrecovered++] = env;
}

static int cmp_env(const void *a, const void *b)
{
	return strcmp(((const struct envelope *)a)->id, ((const struct envelope *)b)->id);
}

static void recover_state(struct spool *sp, const char *name, ino_t ino, void *arg)
{
	(void)ino;
	struct recovery *rc = arg;
	struct envelope key, *env;
	char err[256];
	int fd;

	if (!qfile_id_valid(name)) {
		if (spool_quarantine_file(sp, sp->statefd, "state", name, "not a queue ID") == 0)
			rc->quarantined++;
		return;
	}
	note_id(sp, name);
	str_copy(key.id, name, sizeof(key.id));
	env = sp->nrecovered ? bsearch(&key, sp->recovered, sp->nrecovered, sizeof(key), cmp_env)
			     : NULL;
	if (env == NULL) {
		char quarantined[NAME_MAX + 1];
		if (faccessat(sp->queuefd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return; /* not indexed (out of memory): leave it be */
		/* A crash in the middle of quarantining the message: the state
		 * joins it, keeping the record of who has the message. */
		snprintf(quarantined, sizeof(quarantined), "queue.%s", name);
		if (faccessat(sp->quarfd, quarantined, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			if (spool_quarantine_file(sp, sp->statefd, "state", name,
						  "its message was quarantined") == 0)
				rc->quarantined++;
			return;
		}
		/* Its message was delivered and removed (state 5). */
		if (unlinkat(sp->statefd, name, 0) == 0) {
			log_info("spool: removed state/%s of a message already gone", name);
			rc->orphans++;
		}
		return;
	}
	fd = qfile_open(sp->statefd, name, 1);
	if (fd < 0 && (errno == ELOOP || errno == ENODEV)) {
		/* env keeps every recipient pending: delivered again, at
		 * least once. */
		if (spool_quarantine_file(sp, sp->statefd, "state", name, "not a regular file") ==
		    0)
			rc->quarantined++;
		return;
	}
	if (fd < 0) {
		log_warn("spool: state/%s", name);
		return;
	}
	if (qfile_read_state(fd, env, err, sizeof(err)) < 0) {
		/* env keeps every recipient pending: delivered again, at
		 * least once. A state file merely unreadable stays. */
		if (errno != EBADMSG)
			log_warnx("spool: state/%s not read (%s)", name, err);
		else if (spool_quarantine_file(sp, sp->statefd, "state", name, err) == 0)
			rc->quarantined++;
	}
	close(fd);
}

int spool_recover(struct spool *sp)
{
	struct recovery rc = {0};

	if (each_entry(sp->queuefd, note_held, sp, &rc) < 0 ||
	    each_entry(sp->statefd, note_held, sp, &rc) < 0 || rc.held_failed) {
		free(rc.held);
		return -1;
	}
	if (rc.nheld)
		qsort(rc.held, rc.nheld, sizeof(ino_t), cmp_ino);
	if (each_entry(sp->tmpfd, recover_tmp, sp, &rc) < 0 ||
	    each_entry(sp->freefd, recover_free, sp, &rc) < 0 ||
	    each_entry(sp->quarfd, note_quarantined, sp, &rc) < 0) {
		free(rc.held);
		return -1;
	}
	free(rc.held);
	if (each_entry(sp->queuefd, recover_queue, sp, &rc) < 0)
		return -1;
	if (sp->nrecovered)
		qsort(sp->recovered, sp->nrecovered, sizeof(*sp->recovered), cmp_env);
	if (each_entry(sp->statefd, recover_state, sp, &rc) < 0)
		return -1;
	log_info("spool: %s: %zu queued, %zu unfinished removed, %zu quarantined", sp->dir,
		 sp->nrecovered, rc.removed, rc.quarantined);
	return 0;
}

void spool_take_recovered(struct spool *sp, void (*fn)(void *arg, struct envelope *env), void *arg)
{
	for (size_t i = 0; i < sp->nrecovered; i++) {
		struct envelope *env = malloc(sizeof(*env));
		if (env == NULL) {
			log_warn("spool: %s not indexed", sp->recovered[i].id);
			envelope_free(&sp->recovered[i]);
			continue;
		}
		*env = sp->recovered[i];
		fn(arg, env);
	}
	free(sp->recovered);
	sp->recovered = NULL;
	sp->nrecovered = 0;
}

int spool_quarantine(struct spool *sp, const char *id, const char *reason)
{
	if (!qfile_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (spool_quarantine_file(sp, sp->queuefd, "queue", id, reason) < 0)
		return -1;
	if (faccessat(sp->statefd, id, F_OK, 0) == 0)
		spool_quarantine_file(sp, sp->statefd, "state", id, reason);
	return 0;
}
