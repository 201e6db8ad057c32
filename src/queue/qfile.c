/* qfile: the readers; see qfile.h, and docs/QUEUE.md for the records.
 * The encoders are in qfile_put.c. */
#include "queue/qfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/crc32c.h"
#include "core/strutil.h"

#define MAX_ENV_LEN (64u << 20) /* an envelope section larger than this is corrupt */
#define MAX_FILE    (1ull << 32)

/* A file that does not check: the reason into err, errno EBADMSG. */
static int corrupt(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int corrupt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	str_vseterr(err, errlen, fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

/* Out of memory: the file is not known to be bad (errno ENOMEM). */
static int nomem(char *err, size_t errlen)
{
	str_seterr(err, errlen, "out of memory");
	errno = ENOMEM;
	return -1;
}

int qfile_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < QFILE_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[i] == '\0';
}

/* ---- parsing ---- */

struct rec {
	uint8_t type;
	const uint8_t *p;
	uint32_t len;
};

static int next_rec(struct rbuf *r, struct rec *rec)
{
	if (rbuf_u8(r, &rec->type) < 0 || rbuf_u32(r, &rec->len) < 0)
		return -1;
	if (rbuf_left(r) < rec->len)
		return -1;
	rec->p = r->data + r->pos;
	r->pos += rec->len;
	return 0;
}

/* A string of n bytes at p: no NUL, not too long. NULL on error; sets
 * *bad for syntax (as opposed to memory). */
static char *dup_bytes(const uint8_t *p, size_t n, int *bad)
{
	char *s;

	if (n > QFILE_MAX_STRING || memchr(p, '\0', n) != NULL) {
		*bad = 1;
		return NULL;
	}
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A length-prefixed string inside a record; *out NULL for "none". */
static int rbuf_str(struct rbuf *r, char **out, int *bad)
{
	uint32_t n;

	*out = NULL;
	if (rbuf_u32(r, &n) < 0) {
		*bad = 1;
		return -1;
	}
	if (n == QFILE_NONE)
		return 0;
	if (rbuf_left(r) < n) {
		*bad = 1;
		return -1;
	}
	*out = dup_bytes(r->data + r->pos, n, bad);
	if (*out == NULL)
		return -1;
	r->pos += n;
	return 0;
}

static int expect(struct rbuf *r, struct rec *rec, uint8_t type, char *err, size_t errlen)
{
	if (next_rec(r, rec) < 0)
		return corrupt(err, errlen, "truncated record where '%c' was expected", type);
	if (rec->type != type)
		return corrupt(err, errlen, "record '%c' where '%c' was expected", rec->type, type);
	return 0;
}

/* A record holding exactly one number of 4 or 8 bytes. */
static int expect_num(struct rbuf *r, uint8_t type, size_t size, uint64_t *v, char *err,
		      size_t errlen)
{
	struct rec rec;
	struct rbuf p;
	uint32_t v32;

	if (expect(r, &rec, type, err, errlen) < 0)
		return -1;
	if (rec.len != size)
		return corrupt(err, errlen, "record '%c' has length %" PRIu32, type, rec.len);
	rbuf_init(&p, rec.p, rec.len);
	if (size == 4) {
		rbuf_u32(&p, &v32);
		*v = v32;
	} else {
		rbuf_u64(&p, v);
	}
	return 0;
}

static int expect_str(struct rbuf *r, uint8_t type, char **s, char *err, size_t errlen)
{
	struct rec rec;
	int bad = 0;

	if (expect(r, &rec, type, err, errlen) < 0)
		return -1;
	*s = dup_bytes(rec.p, rec.len, &bad);
	if (*s == NULL)
		return bad ? corrupt(err, errlen, "record '%c': bad string", type)
			   : nomem(err, errlen);
	return 0;
}

static int expect_id(struct rbuf *r, char *id, size_t idsize, char *err, size_t errlen)
{
	struct rec rec;

	if (expect(r, &rec, 'I', err, errlen) < 0)
		return -1;
	if (rec.len != QFILE_ID_LEN || rec.len >= idsize)
		return corrupt(err, errlen, "bad queue ID");
	memcpy(id, rec.p, rec.len);
	id[rec.len] = '\0';
	if (!qfile_id_valid(id))
		return corrupt(err, errlen, "bad queue ID");
	return 0;
}

static int time_ok(uint64_t t)
{
	return t <= (uint64_t)INT64_MAX;
}

static int parse_rcpt(const struct rec *rec, struct envelope_rcpt *rc, char *err, size_t errlen)
{
	struct rbuf r;
	uint8_t kind, state;
	uint64_t next;
	int bad = 0;

	rbuf_init(&r, rec->p, rec->len);
	if (rbuf_u8(&r, &kind) < 0 || rbuf_u8(&r, &state) < 0 || rbuf_u32(&r, &rc->attempts) < 0 ||
	    rbuf_u64(&r, &next) < 0)
		return corrupt(err, errlen, "recipient record truncated");
	if (kind > RCPT_REMOTE || state > RCPT_FAILED || !time_ok(next))
		return corrupt(err, errlen, "recipient record: bad kind, state or time");
	rc->kind = (enum rcpt_kind)kind;
	rc->state = (enum rcpt_state)state;
	rc->next_try = (time_t)next;
	if (rbuf_str(&r, &rc->addr, &bad) < 0 || rbuf_str(&r, &rc->orcpt, &bad) < 0 ||
	    rbuf_str(&r, &rc->last_error, &bad) < 0)
		return bad ? corrupt(err, errlen, "recipient record: bad string")
			   : nomem(err, errlen);
	if (rc->addr == NULL || rc->addr[0] == '\0')
		return corrupt(err, errlen, "recipient record without an address");
	if (rbuf_left(&r) != 0)
		return corrupt(err, errlen, "recipient record: trailing bytes");
	return 0;
}

/* Frees env after a failure, keeping errno (EBADMSG or ENOMEM). */
static int fail_envelope(struct envelope *env)
{
	int e = errno;
	envelope_free(env);
	errno = e;
	return -1;
}

int qfile_parse_envelope(const uint8_t *data, size_t len, struct envelope *env, char *err,
			 size_t errlen)
{
	struct rbuf r;
	struct rec rec;
	uint64_t v;
	size_t cap = 0;

	memset(env, 0, sizeof(*env));
	rbuf_init(&r, data, len);
	if (expect_id(&r, env->id, sizeof(env->id), err, errlen) < 0 ||
	    expect_num(&r, 'T', 8, &v, err, errlen) < 0)
		return fail_envelope(env);
	if (!time_ok(v)) {
		corrupt(err, errlen, "bad received time");
		return fail_envelope(env);
	}
	env->received = (time_t)v;
	if (expect_str(&r, 'S', &env->sender, err, errlen) < 0 ||
	    expect_str(&r, 'H', &env->helo, err, errlen) < 0 ||
	    expect_str(&r, 'C', &env->client_addr, err, errlen) < 0 ||
	    expect_num(&r, 'F', 4, &v, err, errlen) < 0)
		return fail_envelope(env);
	if (v & ~(uint64_t)(QFILE_F_8BIT | QFILE_F_UTF8)) {
		corrupt(err, errlen, "bad flags record");
		return fail_envelope(env);
	}
	env->body_8bit = (v & QFILE_F_8BIT) != 0;
	env->smtputf8 = (v & QFILE_F_UTF8) != 0;
	if (expect_num(&r, 'Z', 8, &env->size, err, errlen) < 0)
		return fail_envelope(env);
	while (rbuf_left(&r) > 0) {
		if (expect(&r, &rec, 'R', err, errlen) < 0)
			return fail_envelope(env);
		if (env->nrcpts == QFILE_MAX_RCPTS) {
			corrupt(err, errlen, "more than %d recipients", QFILE_MAX_RCPTS);
			return fail_envelope(env);
		}
		if (env->nrcpts == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct envelope_rcpt *g = realloc(env->rcpts, ncap * sizeof(*g));
			if (g == NULL) {
				nomem(err, errlen);
				return fail_envelope(env);
			}
			env->rcpts = g;
			cap = ncap;
		}
		struct envelope_rcpt *rc = &env->rcpts[env->nrcpts];
		memset(rc, 0, sizeof(*rc));
		env->nrcpts++; /* counted now so that envelope_free frees its strings */
		if (parse_rcpt(&rec, rc, err, errlen) < 0)
			return fail_envelope(env);
	}
	if (env->nrcpts == 0) {
		corrupt(err, errlen, "no recipients");
		return fail_envelope(env);
	}
	return 0;
}

/* Checks the V record at the front and the E record at the back of a file
 * image of len bytes (head: its first 13 bytes, tail: its last 21). */
static int check_frame(const uint8_t *head, const uint8_t *tail, uint64_t len, enum qfile_kind kind,
		       uint64_t *env_off, uint32_t *env_crc, uint32_t *file_crc, char *err,
		       size_t errlen)
{
	struct rbuf h, t;
	uint8_t type, magic[3], k;
	uint32_t n, version;

	if (len < QFILE_HEADER_SIZE + QFILE_END_SIZE)
		return corrupt(err, errlen, "incomplete: %" PRIu64 " bytes", len);
	rbuf_init(&h, head, QFILE_HEADER_SIZE);
	if (rbuf_u8(&h, &type) < 0 || rbuf_u32(&h, &n) < 0 || rbuf_bytes(&h, magic, 3) < 0 ||
	    rbuf_u8(&h, &k) < 0 || rbuf_u32(&h, &version) < 0 || type != 'V' || n != 8 ||
	    memcmp(magic, "MXQ", 3) != 0)
		return corrupt(err, errlen, "not a queue file");
	if (k != (uint8_t)kind)
		return corrupt(err, errlen, "a queue file of kind '%c', not '%c'", k, kind);
	if (version == 0 || version > QFILE_VERSION)
		return corrupt(err, errlen, "format version %" PRIu32 " (this reader knows %d)",
			       version, QFILE_VERSION);
	rbuf_init(&t, tail, QFILE_END_SIZE);
	if (rbuf_u8(&t, &type) < 0 || rbuf_u32(&t, &n) < 0 || type != 'E' || n != 16 ||
	    rbuf_u64(&t, env_off) < 0 || rbuf_u32(&t, env_crc) < 0 || rbuf_u32(&t, file_crc) < 0)
		return corrupt(err, errlen, "incomplete: no end record");
	if (*env_off < QFILE_HEADER_SIZE || *env_off > len - QFILE_END_SIZE)
		return corrupt(err, errlen, "end record: bad envelope offset");
	return 0;
}

int qfile_parse_message(uint8_t *data, size_t len, struct envelope *env, size_t *body_len,
			char *err, size_t errlen)
{
	uint64_t env_off;
	uint32_t env_crc, file_crc;
	size_t end, body = 0, w = 0;
	struct rbuf r;
	struct rec rec;

	memset(env, 0, sizeof(*env));
	if (len < QFILE_HEADER_SIZE + QFILE_END_SIZE)
		return corrupt(err, errlen, "incomplete: %zu bytes", len);
	end = len - QFILE_END_SIZE;
	if (check_frame(data, data + end, len, QFILE_MESSAGE, &env_off, &env_crc, &file_crc, err,
			errlen) < 0)
		return -1;
	if (crc32c(0, data, end) != file_crc)
		return corrupt(err, errlen, "file checksum mismatch");
	if (crc32c(0, data + env_off, end - env_off) != env_crc)
		return corrupt(err, errlen, "envelope checksum mismatch");
	/* Content: D records from the header to the envelope, nothing else. */
	rbuf_init(&r, data, (size_t)env_off);
	r.pos = QFILE_HEADER_SIZE;
	while (rbuf_left(&r) > 0) {
		if (next_rec(&r, &rec) < 0 || rec.type != 'D')
			return corrupt(err, errlen, "bad content record");
		body += rec.len;
	}
	if (qfile_parse_envelope(data + env_off, end - env_off, env, err, errlen) < 0)
		return -1;
	if (env->size != body) {
		corrupt(err, errlen, "content is %zu bytes, envelope says %" PRIu64, body,
			env->size);
		return fail_envelope(env);
	}
	/* Move the content to the front. Each payload moves left, over headers
	 * already read, so the next header is intact when it is read. */
	rbuf_init(&r, data, (size_t)env_off);
	r.pos = QFILE_HEADER_SIZE;
	while (rbuf_left(&r) > 0 && next_rec(&r, &rec) == 0) {
		memmove(data + w, rec.p, rec.len);
		w += rec.len;
	}
	*body_len = w;
	return 0;
}

int qfile_parse_state(const uint8_t *data, size_t len, struct envelope *env, char *err,
		      size_t errlen)
{
	uint64_t env_off, warned;
	uint32_t env_crc, file_crc;
	size_t end;
	struct rbuf r;
	struct rec rec;
	char id[sizeof(env->id)];
	struct envelope_rcpt *st = NULL;
	size_t n = 0;
	int rc = -1;

	if (len < QFILE_HEADER_SIZE + QFILE_END_SIZE)
		return corrupt(err, errlen, "incomplete: %zu bytes", len);
	end = len - QFILE_END_SIZE;
	if (check_frame(data, data + end, len, QFILE_STATE, &env_off, &env_crc, &file_crc, err,
			errlen) < 0)
		return -1;
	if (env_off != QFILE_HEADER_SIZE || crc32c(0, data, end) != file_crc ||
	    crc32c(0, data + env_off, end - env_off) != env_crc)
		return corrupt(err, errlen, "checksum mismatch");
	rbuf_init(&r, data, end);
	r.pos = QFILE_HEADER_SIZE;
	if (expect_id(&r, id, sizeof(id), err, errlen) < 0)
		return -1;
	if (strcmp(id, env->id) != 0)
		return corrupt(err, errlen, "state of %s, not of %s", id, env->id);
	if (expect_num(&r, 'W', 8, &warned, err, errlen) < 0)
		return -1;
	if (!time_ok(warned))
		return corrupt(err, errlen, "bad warning time");
	if (env->nrcpts > QFILE_MAX_RCPTS)
		return corrupt(err, errlen, "too many recipients");
	st = calloc(env->nrcpts ? env->nrcpts : 1, sizeof(*st));
	if (st == NULL)
		return nomem(err, errlen);
	while (rbuf_left(&r) > 0) {
		struct rbuf q;
		uint32_t index;
		uint8_t state;
		uint64_t next;
		int bad = 0;

		if (expect(&r, &rec, 'Q', err, errlen) < 0)
			goto out;
		if (n == env->nrcpts) {
			corrupt(err, errlen, "more recipient states than recipients (%zu)",
				env->nrcpts);
			goto out;
		}
		rbuf_init(&q, rec.p, rec.len);
		if (rbuf_u32(&q, &index) < 0 || rbuf_u8(&q, &state) < 0 ||
		    rbuf_u32(&q, &st[n].attempts) < 0 || rbuf_u64(&q, &next) < 0) {
			corrupt(err, errlen, "recipient state truncated");
			goto out;
		}
		if (index != n || state > RCPT_FAILED || !time_ok(next)) {
			corrupt(err, errlen, "recipient state %zu: bad index, state or time", n);
			goto out;
		}
		st[n].state = (enum rcpt_state)state;
		st[n].next_try = (time_t)next;
		n++; /* from here on its string is freed at out */
		if (rbuf_str(&q, &st[n - 1].last_error, &bad) < 0) {
			if (bad)
				corrupt(err, errlen, "recipient state: bad string");
			else
				nomem(err, errlen);
			goto out;
		}
		if (rbuf_left(&q) != 0) {
			corrupt(err, errlen, "recipient state: trailing bytes");
			goto out;
		}
	}
	if (n != env->nrcpts) {
		corrupt(err, errlen, "%zu recipient states for %zu recipients", n, env->nrcpts);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct envelope_rcpt *d = &env->rcpts[i];
		free(d->last_error);
		d->state = st[i].state;
		d->attempts = st[i].attempts;
		d->next_try = st[i].next_try;
		d->last_error = st[i].last_error;
		st[i].last_error = NULL;
	}
	env->warned = (time_t)warned;
	rc = 0;
out:;
	int e = errno;
	for (size_t i = 0; i < n; i++)
		free(st[i].last_error);
	free(st);
	errno = e;
	return rc;
}

/* ---- files ---- */

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENODATA; /* shrank under us */
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* A failed system call: the reason into err, errno kept. */
static int sys_fail(const char *what, char *err, size_t errlen)
{
	str_seterr(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

int qfile_read_envelope(int fd, struct envelope *env, char *err, size_t errlen)
{
	struct stat st;
	uint8_t head[QFILE_HEADER_SIZE], tail[QFILE_END_SIZE], *sect;
	uint64_t env_off, len, n;
	uint32_t env_crc, file_crc;
	int rc = -1;

	memset(env, 0, sizeof(*env));
	if (fstat(fd, &st) < 0)
		return sys_fail("stat", err, errlen);
	len = (uint64_t)st.st_size;
	if (len < QFILE_HEADER_SIZE + QFILE_END_SIZE)
		return corrupt(err, errlen, "incomplete: %" PRIu64 " bytes", len);
	if (pread_all(fd, head, sizeof(head), 0) < 0 ||
	    pread_all(fd, tail, sizeof(tail), (off_t)(len - QFILE_END_SIZE)) < 0)
		return sys_fail("read", err, errlen);
	if (check_frame(head, tail, len, QFILE_MESSAGE, &env_off, &env_crc, &file_crc, err,
			errlen) < 0)
		return -1;
	n = len - QFILE_END_SIZE - env_off;
	if (n > MAX_ENV_LEN)
		return corrupt(err, errlen, "envelope section of %" PRIu64 " bytes", n);
	sect = malloc(n ? n : 1);
	if (sect == NULL)
		return nomem(err, errlen);
	if (pread_all(fd, sect, n, (off_t)env_off) < 0)
		sys_fail("read", err, errlen);
	else if (crc32c(0, sect, n) != env_crc)
		corrupt(err, errlen, "envelope checksum mismatch");
	else
		rc = qfile_parse_envelope(sect, n, env, err, errlen);
	int e = errno;
	free(sect);
	errno = e;
	return rc;
}

/* Reads a whole file of at most max bytes into a malloc'd buffer. */
static uint8_t *read_whole(int fd, uint64_t max, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *data;
	int e;

	if (fstat(fd, &st) < 0) {
		sys_fail("stat", err, errlen);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		corrupt(err, errlen, "file of %lld bytes is too large", (long long)st.st_size);
		return NULL;
	}
	*len = (size_t)st.st_size;
	data = malloc(*len ? *len : 1);
	if (data == NULL) {
		nomem(err, errlen);
		return NULL;
	}
	if (pread_all(fd, data, *len, 0) < 0) {
		sys_fail("read", err, errlen);
		e = errno;
		free(data);
		errno = e;
		return NULL;
	}
	return data;
}

int qfile_load(int fd, struct envelope *env, uint8_t **data, size_t *body_len, char *err,
	       size_t errlen)
{
	size_t len;

	memset(env, 0, sizeof(*env));
	*data = read_whole(fd, MAX_FILE, &len, err, errlen);
	if (*data == NULL)
		return -1;
	if (qfile_parse_message(*data, len, env, body_len, err, errlen) < 0) {
		int e = errno; /* EBADMSG, or ENOMEM: not known to be bad */
		free(*data);
		*data = NULL;
		errno = e;
		return -1;
	}
	return 0;
}

int qfile_read_state_alone(int fd, struct envelope *env, char *err, size_t errlen)
{
	size_t len, n = 0;
	uint8_t *data;
	struct rbuf r;
	struct rec rec;
	int rc = -1, e;

	memset(env, 0, sizeof(*env));
	data = read_whole(fd, MAX_ENV_LEN, &len, err, errlen);
	if (data == NULL)
		return -1;
	/* The ID, and one recipient per Q record; qfile_parse_state then
	 * checks the whole file and fills in the states. */
	rbuf_init(&r, data, len);
	r.pos = QFILE_HEADER_SIZE;
	if (len < QFILE_HEADER_SIZE + QFILE_END_SIZE ||
	    expect_id(&r, env->id, sizeof(env->id), err, errlen) < 0) {
		if (len < QFILE_HEADER_SIZE + QFILE_END_SIZE)
			corrupt(err, errlen, "incomplete: %zu bytes", len);
		goto out;
	}
	while (r.pos < len - QFILE_END_SIZE && next_rec(&r, &rec) == 0)
		n += rec.type == 'Q';
	if (n > QFILE_MAX_RCPTS) {
		corrupt(err, errlen, "too many recipient states");
		goto out;
	}
	env->rcpts = calloc(n ? n : 1, sizeof(*env->rcpts));
	if (env->rcpts == NULL) {
		nomem(err, errlen);
		goto out;
	}
	env->nrcpts = n;
	rc = qfile_parse_state(data, len, env, err, errlen);
out:
	e = errno;
	free(data);
	if (rc < 0)
		envelope_free(env);
	errno = e;
	return rc;
}

int qfile_open(int dirfd, const char *name, int nofollow)
{
	struct stat st;
	int fd =
	    openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENODEV;
		return -1;
	}
	return fd;
}

int qfile_kind(int fd)
{
	uint8_t head[QFILE_HEADER_SIZE];

	if (pread_all(fd, head, sizeof(head), 0) < 0 || head[0] != 'V' ||
	    memcmp(head + 5, "MXQ", 3) != 0 || (head[8] != QFILE_MESSAGE && head[8] != QFILE_STATE))
		return -1;
	return head[8];
}

int qfile_read_state(int fd, struct envelope *env, char *err, size_t errlen)
{
	size_t len;
	uint8_t *data = read_whole(fd, MAX_ENV_LEN, &len, err, errlen);
	int rc, e;

	if (data == NULL)
		return -1;
	rc = qfile_parse_state(data, len, env, err, errlen);
	e = errno;
	free(data);
	errno = e;
	return rc;
}
