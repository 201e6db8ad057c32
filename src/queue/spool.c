/*
 * spool: see spool.h, and docs/QUEUE.md for the files and the recovery.
 *
 * A transaction keeps the content in memory (an evbuffer) while it
 * arrives; past SPOOL_MEM_MAX it appends what it has to tmp/ID as D
 * records with plain write(2) (no fsync) on the loop thread, which keeps
 * memory bounded for big messages. The commit is a job on the spool's
 * worker pool: it writes the rest, the envelope and the end record,
 * fsyncs, closes, renames into queue/ and joins the shared directory sync
 * of queue/ (durable_dir_sync). The CRC runs over the bytes in file order
 * as they are emitted, so the content is checksummed once.
 */
#include "queue/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "core/durable.h"
#include "core/log.h"
#include "queue/qfile.h"
#include "queue/spool_private.h"
#include "queue/workpool.h"

#ifndef SPOOL_WORKERS
#define SPOOL_WORKERS 16 /* commits whose fsyncs overlap (docs/QUEUE.md) */
#endif
#define SPOOL_MEM_MAX	 (128 * 1024) /* content kept in memory per message */
#define SPOOL_MIN_FREE	 (1 << 20)    /* below this, spool_begin says ENOSPC */
#define SPOOL_MIN_INODES 64	      /* likewise for free inodes */
#define SPOOL_FREE_MAX	 16384	      /* delivered files kept for reuse, */
#define SPOOL_FREE_BYTES (64u << 20)  /* their bytes in all, */
#define SPOOL_FREE_SIZE	 (128 * 1024) /* and the largest one kept */

struct spool_txn {
	struct workpool_job job;
	struct spool *sp;
	char id[QFILE_ID_LEN + 1];
	struct evbuffer *buf; /* content not yet written */
	int fd;		      /* tmp/ID once content spilled, else -1 */
	int recycled;	      /* tmp/ID is a file written over (may be longer) */
	uint64_t size;	      /* content bytes received */
	uint64_t off;	      /* file bytes written */
	uint32_t crc;	      /* CRC-32C of those */
	int err;	      /* a write failed: the txn can only fail */
	struct envelope env;
	void (*done)(void *arg, int err);
	void *arg;
};

/* ---- queue IDs ---- */

#define ID_MAX 0xFFFFFFFFFFFFu /* 12 hex digits */

/* 0, or -1 (EOVERFLOW) when no ID is left above those on disk. */
static int next_id(struct spool *sp, char *out)
{
	uint64_t now = (uint64_t)time(NULL) << 16;

	/* Strictly increasing and above every ID found on disk at start, so
	 * a new message cannot meet an old file even if the clock steps back.
	 * Past the last 12-digit ID they would wrap round to old ones: an ID
	 * that high is a file put there by hand, and no message is taken
	 * until it is gone. */
	if (now <= sp->last_id && sp->last_id >= ID_MAX) {
		log_warnx("spool: no queue ID left above %012" PRIX64 " (a file named so in the "
			  "spool?): refusing mail",
			  sp->last_id);
		errno = EOVERFLOW;
		return -1;
	}
	sp->last_id = now > sp->last_id ? now : sp->last_id + 1;
	snprintf(out, QFILE_ID_LEN + 1, "%012" PRIX64, sp->last_id & ID_MAX);
	return 0;
}

/* ---- writing ---- */

/* Writes the whole evbuffer to fd and empties it. */
static int write_evbuffer(int fd, struct evbuffer *b)
{
	struct evbuffer_iovec v[64];
	struct iovec iov[64];

	while (evbuffer_get_length(b) > 0) {
		int n = evbuffer_peek(b, -1, NULL, v, 64);
		size_t len = 0;
		if (n > 64)
			n = 64;
		for (int i = 0; i < n; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
			len += v[i].iov_len;
		}
		if (durable_writev_all(fd, iov, n) < 0)
			return -1;
		evbuffer_drain(b, len);
	}
	return 0;
}

/* Moves the buffered content into out as one D record (with the V
 * record first if nothing was written yet). */
static int frame_content(struct spool_txn *tx, struct evbuffer *out)
{
	size_t n = evbuffer_get_length(tx->buf);

	if (tx->off == 0 && qfile_put_header(out, QFILE_MESSAGE) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (qfile_put_data_header(out, n) < 0 || evbuffer_add_buffer(out, tx->buf) < 0)
		return -1;
	return 0;
}

/*
 * ---- recycling ----
 *
 * A delivered message's file is not unlinked but renamed into free/, and a
 * new message is written over it. On ext4 creating an inode costs more
 * than everything else a commit does once many files have just been
 * deleted (the allocator walks past every recently deleted inode; without
 * a journal it may not reuse them for a while), and overwriting blocks
 * already allocated spares the block allocator too. So the pool must be
 * deep enough that a burst of deliveries does not spill into unlinks: up
 * to SPOOL_FREE_MAX files and SPOOL_FREE_BYTES in all, none larger than
 * SPOOL_FREE_SIZE, and all of it given back when the disk runs short. A
 * file in free/ holds nothing that matters; recovery empties free/.
 *
 * A file is written over only once a sync of queue/ that began after it
 * left queue/ has finished: until then a power cut could bring its old
 * name back, and it would come back holding another message's bytes
 * (quarantined, never delivered, but an alarm for nothing). The pool is a
 * ring, oldest first, so the file taken is the one most likely synced.
 */

static void free_name(uint32_t n, char *out)
{
	snprintf(out, 16, "F%08" PRIx32, n);
}

/* Renames queued by the queue/ folder so far (durable.h's counters). */
static uint64_t qdir_announced(struct spool *sp)
{
	uint64_t n;
	pthread_mutex_lock(&sp->qdir.mu);
	n = sp->qdir.announced;
	pthread_mutex_unlock(&sp->qdir.mu);
	return n;
}

static uint64_t qdir_synced(struct spool *sp)
{
	uint64_t n;
	pthread_mutex_lock(&sp->qdir.mu);
	n = sp->qdir.synced;
	pthread_mutex_unlock(&sp->qdir.mu);
	return n;
}

/* Moves the oldest file of the pool to tmp/id, if a sync of queue/ has
 * covered its leaving; -1 when there is none to take. */
static int recycled_take(struct spool *sp, const char *id)
{
	uint64_t synced = qdir_synced(sp);
	struct spool_free f;
	char name[16];

	pthread_mutex_lock(&sp->free_mu);
	if (sp->nfree == 0 || sp->free[sp->free_head].after >= synced) {
		pthread_mutex_unlock(&sp->free_mu);
		return -1;
	}
	f = sp->free[sp->free_head];
	sp->free_head = (sp->free_head + 1) % SPOOL_FREE_MAX;
	sp->nfree--;
	sp->free_bytes -= f.size;
	pthread_mutex_unlock(&sp->free_mu);
	free_name(f.name, name);
	/* Never over a name recovery kept in tmp/ (spool_recover.c): it may
	 * be a queued message's file. Taken or not, the pool file is spent. */
	if (spool_rename_noreplace(sp->freefd, name, sp->tmpfd, id) == 0)
		return 0;
	unlinkat(sp->freefd, name, 0);
	return -1;
}

/* Moves queue/id to free/; 0 when done, -1 (errno) when the caller should
 * unlink it instead. A place is reserved before the rename, so that puts
 * running at once never overfill the pool. */
static int recycled_put(struct spool *sp, const char *id)
{
	struct spool_free f;
	struct stat st;
	char name[16];
	int rc = -1;

	if (__atomic_load_n(&sp->space_low, __ATOMIC_RELAXED) ||
	    fstatat(sp->queuefd, id, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SPOOL_FREE_SIZE) {
		errno = ENOSPC;
		return -1;
	}
	f.size = (uint32_t)st.st_size;
	pthread_mutex_lock(&sp->free_mu);
	if (sp->nfree + sp->free_reserved >= SPOOL_FREE_MAX ||
	    sp->free_bytes + f.size > SPOOL_FREE_BYTES) {
		pthread_mutex_unlock(&sp->free_mu);
		errno = ENOSPC;
		return -1;
	}
	sp->free_reserved++;
	sp->free_reserved_bytes += f.size;
	sp->free_bytes += f.size;
	pthread_mutex_unlock(&sp->free_mu);

	/* Never over an existing name: recovery may have kept one in free/
	 * on purpose (spool_recover.c). */
	for (int tries = 0; tries < 8 && rc < 0; tries++) {
		pthread_mutex_lock(&sp->free_mu);
		f.name = sp->free_next++;
		pthread_mutex_unlock(&sp->free_mu);
		free_name(f.name, name);
		rc = spool_rename_noreplace(sp->queuefd, id, sp->freefd, name);
		if (rc < 0 && errno != EEXIST)
			break;
	}
	/* Any queue/ sync that starts from now on covers this rename. */
	f.after = qdir_announced(sp);

	pthread_mutex_lock(&sp->free_mu);
	sp->free_reserved--;
	sp->free_reserved_bytes -= f.size;
	if (rc == 0) {
		sp->free[(sp->free_head + sp->nfree) % SPOOL_FREE_MAX] = f;
		sp->nfree++;
	} else {
		sp->free_bytes -= f.size;
	}
	pthread_mutex_unlock(&sp->free_mu);
	return rc;
}

struct release_job {
	struct workpool_job job;
	struct spool *sp;
	size_t n;
	uint32_t names[];
};

static void release_work(struct workpool_job *job)
{
	struct release_job *r = (struct release_job *)job;
	char name[16];

	for (size_t i = 0; i < r->n; i++) {
		free_name(r->names[i], name);
		unlinkat(r->sp->freefd, name, 0);
	}
}

static void release_done(struct workpool_job *job)
{
	free(job);
}

/* Gives the pool's space back (the disk runs short): the pool is emptied
 * at once, its files unlinked on a worker thread. Loop thread. */
static void recycled_release(struct spool *sp)
{
	struct release_job *r;

	pthread_mutex_lock(&sp->free_mu);
	if (sp->nfree == 0 || (r = malloc(sizeof(*r) + sp->nfree * sizeof(r->names[0]))) == NULL) {
		pthread_mutex_unlock(&sp->free_mu);
		return;
	}
	r->job.work = release_work;
	r->job.done = release_done;
	r->sp = sp;
	r->n = sp->nfree;
	for (size_t i = 0; i < r->n; i++)
		r->names[i] = sp->free[(sp->free_head + i) % SPOOL_FREE_MAX].name;
	sp->free_head = 0;
	sp->nfree = 0;
	sp->free_bytes = sp->free_reserved_bytes; /* puts in flight keep theirs */
	pthread_mutex_unlock(&sp->free_mu);
	workpool_submit(sp->pool, &r->job);
}

static int open_tmp(struct spool_txn *tx)
{
	struct spool *sp = tx->sp;

	if (recycled_take(sp, tx->id) == 0) {
		tx->fd = openat(sp->tmpfd, tx->id, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (tx->fd >= 0) {
			tx->recycled = 1;
			return 0;
		}
		unlinkat(sp->tmpfd, tx->id, 0);
	}
	tx->fd = openat(sp->tmpfd, tx->id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	return tx->fd < 0 ? -1 : 0;
}

/* A recycled file may be longer than what was written over it. */
static int cut_to_written(struct spool_txn *tx)
{
	off_t end;
	if (!tx->recycled)
		return 0;
	end = lseek(tx->fd, 0, SEEK_CUR);
	return end < 0 ? -1 : ftruncate(tx->fd, end);
}

/* Appends what is buffered to tmp/ID (loop thread, no fsync). */
static int spill(struct spool_txn *tx)
{
	struct evbuffer *out = evbuffer_new();
	int rc = -1;

	if (out == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if ((tx->fd < 0 && open_tmp(tx) < 0) || frame_content(tx, out) < 0)
		goto done;
	size_t n = evbuffer_get_length(out);
	tx->crc = qfile_crc_evbuffer(tx->crc, out);
	if (write_evbuffer(tx->fd, out) < 0)
		goto done;
	tx->off += n;
	rc = 0;
done:
	if (rc < 0 && errno == 0)
		errno = ENOMEM;
	evbuffer_free(out);
	return rc;
}

/* Drops the temporary file, if any. */
static void unlink_tmp(struct spool_txn *tx)
{
	if (tx->fd >= 0) {
		close(tx->fd);
		tx->fd = -1;
		unlinkat(tx->sp->tmpfd, tx->id, 0);
	}
}

static void txn_free(struct spool_txn *tx)
{
	if (tx->buf)
		evbuffer_free(tx->buf);
	envelope_free(&tx->env);
	free(tx);
}

/* Worker thread: the durable half of a commit. Leaves tx->err set on
 * failure, with every file of the message gone. */
static void commit_work(struct workpool_job *job)
{
	struct spool_txn *tx = (struct spool_txn *)job;
	struct spool *sp = tx->sp;
	struct evbuffer *out = NULL, *envb = NULL;
	uint64_t env_off;
	uint32_t env_crc;

	if (tx->err)
		goto fail;
	out = evbuffer_new();
	envb = evbuffer_new();
	if (out == NULL || envb == NULL || frame_content(tx, out) < 0 ||
	    qfile_put_envelope(envb, &tx->env) < 0) {
		errno = ENOMEM;
		goto fail_errno;
	}
	env_off = tx->off + evbuffer_get_length(out);
	tx->crc = qfile_crc_evbuffer(tx->crc, out);
	env_crc = qfile_crc_evbuffer(0, envb);
	tx->crc = qfile_crc_evbuffer(tx->crc, envb);
	if (evbuffer_add_buffer(out, envb) < 0 ||
	    qfile_put_end(out, env_off, env_crc, tx->crc) < 0) {
		errno = ENOMEM;
		goto fail_errno;
	}
	if ((tx->fd < 0 && open_tmp(tx) < 0) || write_evbuffer(tx->fd, out) < 0 ||
	    cut_to_written(tx) < 0 || durable_fsync(tx->fd) < 0)
		goto fail_errno;
	int fd = tx->fd;
	tx->fd = -1;
	if (durable_close(fd) < 0) {
		int e = errno;
		unlinkat(sp->tmpfd, tx->id, 0);
		errno = e;
		goto fail_errno;
	}
	if (spool_rename_noreplace(sp->tmpfd, tx->id, sp->queuefd, tx->id) < 0) {
		int e = errno;
		unlinkat(sp->tmpfd, tx->id, 0);
		errno = e;
		goto fail_errno;
	}
	if (durable_dir_sync(&sp->qdir) < 0) {
		int e = errno;
		unlinkat(sp->queuefd, tx->id, 0);
		errno = e;
		goto fail_errno;
	}
	evbuffer_free(out);
	evbuffer_free(envb);
	return;
fail_errno:
	tx->err = errno ? errno : EIO;
fail:
	unlink_tmp(tx);
	if (out)
		evbuffer_free(out);
	if (envb)
		evbuffer_free(envb);
}

/* Loop thread: report the commit. */
static void commit_done(struct workpool_job *job)
{
	struct spool_txn *tx = (struct spool_txn *)job;
	struct spool *sp = tx->sp;
	int err = tx->err;

	if (err) {
		sp->failed++;
		if (err == ENOSPC) {
			sp->enospc_at = time(NULL);
			recycled_release(sp);
		}
		errno = err;
		log_warn("spool: %s: commit failed", tx->id);
	} else {
		sp->commits++;
		if (sp->hook) {
			struct envelope *env = malloc(sizeof(*env));
			if (env != NULL) {
				*env = tx->env;
				memset(&tx->env, 0, sizeof(tx->env));
				sp->hook(sp->hook_arg, env);
			} else {
				/* Queued on disk; the scheduler finds it at
				 * the next start. */
				log_warn("%s: queued, but not indexed", tx->id);
			}
		}
	}
	tx->done(tx->arg, err);
	txn_free(tx);
}

static void abort_work(struct workpool_job *job)
{
	unlink_tmp((struct spool_txn *)job);
}

static void abort_done(struct workpool_job *job)
{
	txn_free((struct spool_txn *)job);
}

/* ---- transactions ---- */

/*
 * Whether the spool's file system has room. While there is plenty, statvfs
 * runs at most once a second; while space is short (or a write has just
 * failed with ENOSPC) it runs for every new message, so that mail flows
 * again the moment space returns. statvfs is cheap; a 452 is not.
 */
static int space_ok(struct spool *sp)
{
	time_t now = time(NULL);
	struct statvfs vfs;

	if (sp->space_low || sp->enospc_at || now != sp->space_checked) {
		sp->space_checked = now;
		if (fstatvfs(sp->queuefd, &vfs) == 0) {
			int low = (uint64_t)vfs.f_bavail * vfs.f_frsize < SPOOL_MIN_FREE ||
				  (vfs.f_files > 0 && vfs.f_favail < SPOOL_MIN_INODES);
			__atomic_store_n(&sp->space_low, low, __ATOMIC_RELAXED);
			if (low)
				recycled_release(sp);
			else
				sp->enospc_at = 0;
		}
	}
	return !sp->space_low;
}

struct spool_txn *spool_begin(struct spool *sp)
{
	struct spool_txn *tx;

	if (!space_ok(sp)) {
		errno = ENOSPC;
		return NULL;
	}
	tx = calloc(1, sizeof(*tx));
	if (tx == NULL)
		return NULL;
	tx->buf = evbuffer_new();
	if (tx->buf == NULL) {
		free(tx);
		errno = ENOMEM;
		return NULL;
	}
	tx->sp = sp;
	tx->fd = -1;
	if (next_id(sp, tx->id) < 0) {
		evbuffer_free(tx->buf);
		free(tx);
		errno = EOVERFLOW;
		return NULL;
	}
	return tx;
}

const char *spool_txn_id(const struct spool_txn *tx)
{
	return tx->id;
}

int spool_txn_write(struct spool_txn *tx, const void *data, size_t len)
{
	if (tx->err) {
		errno = tx->err;
		return -1;
	}
	if (len == 0)
		return 0;
	if (evbuffer_add(tx->buf, data, len) < 0) {
		tx->err = ENOMEM;
		errno = ENOMEM;
		return -1;
	}
	tx->size += len;
	if (evbuffer_get_length(tx->buf) >= SPOOL_MEM_MAX && spill(tx) < 0) {
		tx->err = errno;
		if (tx->err == ENOSPC)
			tx->sp->enospc_at = time(NULL);
		return -1;
	}
	return 0;
}

void spool_txn_commit(struct spool_txn *tx, const struct envelope *env,
		      void (*done)(void *arg, int err), void *arg)
{
	tx->done = done;
	tx->arg = arg;
	if (!tx->err && envelope_copy(&tx->env, env) < 0)
		tx->err = ENOMEM;
	if (!tx->err && env->nrcpts == 0)
		tx->err = EINVAL; /* a message for nobody is a caller's bug */
	memcpy(tx->env.id, tx->id, sizeof(tx->id));
	tx->env.size = tx->size;
	if (tx->env.received == 0)
		tx->env.received = time(NULL);
	tx->job.work = commit_work;
	tx->job.done = commit_done;
	workpool_submit(tx->sp->pool, &tx->job);
}

void spool_txn_abort(struct spool_txn *tx)
{
	if (tx->fd < 0) {
		txn_free(tx);
		return;
	}
	/* Unlinking waits on the file system's journal: not on the loop. */
	tx->job.work = abort_work;
	tx->job.done = abort_done;
	workpool_submit(tx->sp->pool, &tx->job);
}

/* ---- open and close ---- */

struct spool *spool_open(const char *dir, struct event_base *base)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	uint16_t rnd = 0;

	if (sp == NULL) {
		log_warn("spool: cannot allocate");
		return NULL;
	}
	sp->base = base;
	sp->rootfd = sp->tmpfd = sp->queuefd = sp->statefd = sp->quarfd = sp->freefd = sp->lockfd =
	    -1;
	sp->dir = strdup(dir);
	if (sp->dir == NULL)
		goto fail;
	sp->rootfd = durable_opendir(AT_FDCWD, dir, 0700);
	if (sp->rootfd < 0) {
		log_warn("spool: %s", dir);
		goto fail;
	}
	sp->lockfd = openat(sp->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lockfd < 0) {
		log_warn("spool: %s/lock", dir);
		goto fail;
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0) {
		log_warn("spool: %s is in use by another process", dir);
		goto fail;
	}
	sp->tmpfd = durable_opendir(sp->rootfd, "tmp", 0700);
	sp->queuefd = durable_opendir(sp->rootfd, "queue", 0700);
	sp->statefd = durable_opendir(sp->rootfd, "state", 0700);
	sp->quarfd = durable_opendir(sp->rootfd, "quarantine", 0700);
	sp->freefd = durable_opendir(sp->rootfd, "free", 0700);
	if (sp->tmpfd < 0 || sp->queuefd < 0 || sp->statefd < 0 || sp->quarfd < 0 ||
	    sp->freefd < 0) {
		log_warn("spool: %s: cannot open its folders", dir);
		goto fail;
	}
	if (pthread_mutex_init(&sp->free_mu, NULL) != 0)
		goto fail;
	sp->free_mu_ok = 1;
	sp->free = calloc(SPOOL_FREE_MAX, sizeof(*sp->free));
	if (sp->free == NULL)
		goto fail;
	if (durable_dir_init(&sp->qdir, sp->queuefd) < 0)
		goto fail;
	sp->qdir_ok = 1;
	if (durable_dir_init(&sp->sdir, sp->statefd) < 0)
		goto fail;
	sp->sdir_ok = 1;
	if (spool_recover(sp) < 0) {
		log_warn("spool: %s: recovery", dir);
		goto fail;
	}
	/* Random low bits make IDs of two runs in one second unlikely to
	 * meet in the logs; on disk they cannot meet anyway (next_id). */
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint16_t)getpid();
	uint64_t start = ((uint64_t)time(NULL) << 16) | (rnd & 0x7FFF);
	if (start > sp->last_id)
		sp->last_id = start;
	sp->pool = workpool_new(base, SPOOL_WORKERS, "spool");
	if (sp->pool == NULL)
		goto fail;
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

void spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	workpool_free(sp->pool); /* runs the done callbacks of commits in flight */
	for (size_t i = 0; i < sp->nrecovered; i++)
		envelope_free(&sp->recovered[i]);
	free(sp->recovered);
	if (sp->qdir_ok)
		durable_dir_destroy(&sp->qdir);
	if (sp->sdir_ok)
		durable_dir_destroy(&sp->sdir);
	if (sp->free_mu_ok)
		pthread_mutex_destroy(&sp->free_mu);
	free(sp->free);
	int fds[] = {sp->tmpfd,	 sp->queuefd, sp->statefd, sp->quarfd,
		     sp->freefd, sp->lockfd,  sp->rootfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(sp->dir);
	free(sp);
}

void spool_set_commit_hook(struct spool *sp, void (*hook)(void *arg, struct envelope *env),
			   void *arg)
{
	sp->hook = hook;
	sp->hook_arg = arg;
}

void spool_get_stats(struct spool *sp, struct spool_stats *st)
{
	st->commits = sp->commits;
	st->failed = sp->failed;
	pthread_mutex_lock(&sp->qdir.mu);
	st->dir_syncs = (unsigned long)sp->qdir.nsyncs;
	pthread_mutex_unlock(&sp->qdir.mu);
}

/* ---- blocking helpers for delivery ---- */

int spool_open_message(struct spool *sp, const char *id)
{
	if (!qfile_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	return openat(sp->queuefd, id, O_RDONLY | O_CLOEXEC);
}

int spool_write_state(struct spool *sp, const struct envelope *env)
{
	char tmp[sizeof(env->id) + 8];
	struct evbuffer *b;
	struct iovec iov;
	int rc;

	if (!qfile_id_valid(env->id)) {
		errno = EINVAL;
		return -1;
	}
	b = qfile_state_file(env);
	if (b == NULL) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.state", env->id);
	unlinkat(sp->tmpfd, tmp, 0); /* left by a failed attempt */
	iov.iov_len = evbuffer_get_length(b);
	iov.iov_base = evbuffer_pullup(b, -1);
	if (iov.iov_base == NULL) {
		evbuffer_free(b);
		errno = ENOMEM;
		return -1;
	}
	rc = durable_replace(sp->tmpfd, tmp, &sp->sdir, env->id, &iov, 1);
	evbuffer_free(b);
	return rc;
}

int spool_remove(struct spool *sp, const char *id)
{
	if (!qfile_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	/* The message first: a crash between the two leaves an orphan state
	 * file, which recovery removes; the other order would bring the
	 * message back with every recipient pending. */
	if (recycled_put(sp, id) < 0 && unlinkat(sp->queuefd, id, 0) < 0)
		return -1;
	if (unlinkat(sp->statefd, id, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
