/* Unit tests for the queue's file format (src/queue/qfile.c) and its
 * checksum: round trips, the reader refusing every truncated, bit-flipped
 * or malformed file, and out of memory told apart from corruption. */
#include "unit.h"

#include "qtest.h"

#include <errno.h>

#include "core/crc32c.h"
#include "core/log.h"
#include "queue/qfile.h"

/*
 * Failing allocations: while alloc_countdown is armed, the allocation
 * that brings it to 0 fails. These wrappers stand in for the C library's
 * (which they call); sanitizers bring their own allocator, so under them
 * the test that needs them is skipped.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_ALLOC_HOOK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_HOOK 1
#endif

#ifndef NO_ALLOC_HOOK
static long alloc_countdown;
static int alloc_failed;

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static int alloc_fails(void)
{
	if (alloc_countdown > 0 && --alloc_countdown == 0) {
		alloc_failed = 1;
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	return alloc_fails() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __libc_realloc(p, n);
}
#endif

static struct envelope_rcpt rcpts[] = {
    {.addr = "b@example.test", .orcpt = "B@Example.test", .kind = RCPT_LOCAL},
    {.addr = "c@elsewhere.test",
     .kind = RCPT_REMOTE,
     .state = RCPT_DEFERRED,
     .attempts = 3,
     .next_try = 1700009999,
     .last_error = "421 4.4.2 timeout"},
};

static struct envelope sample(void)
{
	struct envelope e = {
	    .id = "65A1B2C3D4E5",
	    .sender = "",
	    .received = 1700000000,
	    .helo = "[127.0.0.1]",
	    .client_addr = "::1",
	    .smtputf8 = 1,
	    .size = 11,
	    .rcpts = rcpts,
	    .nrcpts = 2,
	};
	return e;
}

/* Appends E with correct checksums: what the spool writes. */
static uint8_t *finish(struct evbuffer *b, size_t env_off, size_t *len)
{
	size_t n = evbuffer_get_length(b);
	uint8_t *flat = evbuffer_pullup(b, -1);
	uint32_t env_crc = crc32c(0, flat + env_off, n - env_off);
	uint32_t file_crc = crc32c(0, flat, n);
	assert_int_equal(qfile_put_end(b, env_off, env_crc, file_crc), 0);
	*len = evbuffer_get_length(b);
	uint8_t *out = malloc(*len);
	evbuffer_remove(b, out, *len);
	evbuffer_free(b);
	return out;
}

static uint8_t *message_file(const struct envelope *env, size_t *len)
{
	struct evbuffer *b = evbuffer_new();
	assert_int_equal(qfile_put_header(b, QFILE_MESSAGE), 0);
	assert_int_equal(qfile_put_data_header(b, 5), 0);
	evbuffer_add(b, "hello", 5);
	assert_int_equal(qfile_put_data_header(b, 6), 0);
	evbuffer_add(b, " world", 6);
	size_t env_off = evbuffer_get_length(b);
	assert_int_equal(qfile_put_envelope(b, env), 0);
	return finish(b, env_off, len);
}

static char last_err[256];

static int parses(const uint8_t *file, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct envelope env;
	size_t body;
	char *err = last_err;
	memcpy(copy, file, len);
	err[0] = '\0';
	int rc = qfile_parse_message(copy, len, &env, &body, err, sizeof(last_err));
	if (rc == 0)
		envelope_free(&env);
	free(copy);
	return rc == 0;
}

static void test_crc32c(void **state)
{
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283);
	assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xE3069283);
	assert_int_equal(crc32c_portable(0, "123456789", 9), 0xE3069283);
	/* The CPU's instruction and the tables agree at every length and
	 * alignment. */
	{
		uint8_t data[300];
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 7 + 3);
		for (size_t off = 0; off < 9; off++)
			for (size_t len = 0; len + off <= sizeof(data); len += 13)
				assert_int_equal(crc32c(5, data + off, len),
						 crc32c_portable(5, data + off, len));
	}
	assert_int_equal(crc32c(0, "", 0), 0);
	/* The slicing path over a long buffer equals the byte-wise one. */
	uint8_t buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (uint8_t)(i * 7);
	uint32_t c = 0;
	for (int i = 0; i < 1000; i++)
		c = crc32c(c, buf + i, 1);
	assert_int_equal(crc32c(0, buf, 1000), c);
}

/* An evbuffer of many chains (as small SMTP writes make) is checksummed
 * whole. */
static void test_crc_evbuffer(void **state)
{
	static char data[100000];
	struct evbuffer *b = evbuffer_new();

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 + 7);
	for (size_t at = 0; at < sizeof(data); at += 100)
		evbuffer_add_reference(b, data + at, 100, NULL, NULL);
	assert_true(evbuffer_peek(b, (ev_ssize_t)sizeof(data), NULL, NULL, 0) > 16);
	assert_int_equal(qfile_crc_evbuffer(0, b), crc32c(0, data, sizeof(data)));
	assert_int_equal(qfile_crc_evbuffer(5, b), crc32c(5, data, sizeof(data)));
	evbuffer_free(b);
	b = evbuffer_new();
	assert_int_equal(qfile_crc_evbuffer(0, b), 0);
	evbuffer_free(b);
}

static void test_round_trip(void **state)
{
	struct envelope in = sample(), out;
	size_t len, body;
	char err[256];
	uint8_t *file = message_file(&in, &len);

	assert_int_equal(qfile_parse_message(file, len, &out, &body, err, sizeof(err)), 0);
	assert_int_equal(body, 11);
	assert_memory_equal(file, "hello world", 11);
	assert_string_equal(out.id, "65A1B2C3D4E5");
	assert_string_equal(out.sender, "");
	assert_string_equal(out.helo, "[127.0.0.1]");
	assert_string_equal(out.client_addr, "::1");
	assert_int_equal(out.received, 1700000000);
	assert_int_equal(out.smtputf8, 1);
	assert_int_equal(out.body_8bit, 0);
	assert_int_equal(out.size, 11);
	assert_int_equal(out.nrcpts, 2);
	assert_string_equal(out.rcpts[0].orcpt, "B@Example.test");
	assert_null(out.rcpts[0].last_error);
	assert_int_equal(out.rcpts[1].state, RCPT_DEFERRED);
	assert_int_equal(out.rcpts[1].attempts, 3);
	assert_int_equal(out.rcpts[1].next_try, 1700009999);
	assert_string_equal(out.rcpts[1].last_error, "421 4.4.2 timeout");
	envelope_free(&out);
	free(file);
}

/* Every prefix of a good file is refused, by both readers. */
static void test_truncated(void **state)
{
	struct envelope in = sample(), env;
	size_t len;
	char *dir = scratch_dir(), path[4096], err[256];
	uint8_t *file = message_file(&in, &len);

	snprintf(path, sizeof(path), "%s/f", dir);
	assert_true(parses(file, len));
	for (size_t n = 0; n < len; n++) {
		assert_false(parses(file, n));
		assert_int_equal(spit(path, file, n), 0);
		int fd = open(path, O_RDONLY);
		assert_int_equal(qfile_read_envelope(fd, &env, err, sizeof(err)), -1);
		close(fd);
	}
	/* The whole file passes the start-up reader too. */
	assert_int_equal(spit(path, file, len), 0);
	int fd = open(path, O_RDONLY);
	assert_int_equal(qfile_read_envelope(fd, &env, err, sizeof(err)), 0);
	close(fd);
	assert_string_equal(env.rcpts[1].addr, "c@elsewhere.test");
	envelope_free(&env);
	rm_rf(dir);
	free(dir);
	free(file);
}

/* Every single flipped bit is caught (CRC-32C finds them all). */
static void test_bit_flips(void **state)
{
	struct envelope in = sample();
	size_t len;
	uint8_t *file = message_file(&in, &len);

	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			file[i] ^= (uint8_t)(1u << bit);
			assert_false(parses(file, len));
			file[i] ^= (uint8_t)(1u << bit);
		}
	assert_true(parses(file, len));
	free(file);
}

/* Raw records, so that malformed files carry valid checksums. */
static void rec(struct evbuffer *b, uint8_t type, const void *p, uint32_t n)
{
	uint8_t h[5] = {type, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			(uint8_t)n};
	evbuffer_add(b, h, 5);
	evbuffer_add(b, p, n);
}

static const uint8_t u64_0[8], u32_0[4];
static const uint8_t u64_5[8] = {0, 0, 0, 0, 0, 0, 0, 5};

/* A file with envelope records: I T S H C F Z, then extra. */
static uint8_t *custom(const char *sender, const uint8_t *size8, const uint8_t *rcpt,
		       uint32_t rcptlen, char extra, size_t *len)
{
	struct evbuffer *b = evbuffer_new();
	qfile_put_header(b, QFILE_MESSAGE);
	rec(b, 'D', "hello", 5);
	size_t env_off = evbuffer_get_length(b);
	rec(b, 'I', "65A1B2C3D4E5", 12);
	rec(b, 'T', u64_0, 8);
	rec(b, 'S', sender, (uint32_t)strlen(sender) + (sender[0] == 'N')); /* 'N...': with NUL */
	rec(b, 'H', "h", 1);
	rec(b, 'C', "c", 1);
	rec(b, 'F', u32_0, 4);
	rec(b, 'Z', size8, 8);
	if (rcpt)
		rec(b, 'R', rcpt, rcptlen);
	if (extra)
		rec(b, (uint8_t)extra, "", 0);
	return finish(b, env_off, len);
}

static void test_malformed(void **state)
{
	/* kind, state, attempts, next_try, addr "a", orcpt none, error none */
	static const uint8_t good_r[] = {0, 0, 0, 0, 0,	  0,   0,   0,	 0,   0,   0,	0,   0,	 0,
					 0, 0, 0, 1, 'a', 255, 255, 255, 255, 255, 255, 255, 255};
	uint8_t r[sizeof(good_r)];
	size_t len;
	uint8_t *f;

	f = custom("s", u64_5, good_r, sizeof(good_r), 0, &len);
	assert_true(parses(f, len)); /* the baseline is good */
	free(f);
#define REFUSED(why)                                                                               \
	do {                                                                                       \
		assert_false(parses(f, len));                                                      \
		if (strstr(last_err, why) == NULL)                                                 \
			fail_msg("refused for '%s', not '%s'", last_err, why);                     \
		free(f);                                                                           \
	} while (0)
	f = custom("s", u64_0, good_r, sizeof(good_r), 0, &len);
	REFUSED("envelope says 0");
	f = custom("s", u64_5, NULL, 0, 0, &len);
	REFUSED("no recipients");
	f = custom("N", u64_5, good_r, sizeof(good_r), 0, &len);
	REFUSED("record 'S': bad string");
	f = custom("s", u64_5, good_r, sizeof(good_r), 'X', &len);
	REFUSED("record 'X' where 'R' was expected");
	f = custom("s", u64_5, good_r, sizeof(good_r) - 1, 0, &len);
	REFUSED("recipient record: bad string");
	memcpy(r, good_r, sizeof(r));
	r[0] = 2; /* no such kind */
	f = custom("s", u64_5, r, sizeof(r), 0, &len);
	REFUSED("bad kind");
	memcpy(r, good_r, sizeof(r));
	r[1] = 4; /* no such state */
	f = custom("s", u64_5, r, sizeof(r), 0, &len);
	REFUSED("bad kind, state");
	memcpy(r, good_r, 18); /* empty address: length 0, no 'a' */
	r[17] = 0;
	memcpy(r + 18, good_r + 19, 8);
	f = custom("s", u64_5, r, sizeof(r) - 1, 0, &len);
	REFUSED("without an address");
	memcpy(r, good_r, sizeof(r));
	r[14] = 0x7F; /* string length past the record */
	f = custom("s", u64_5, r, sizeof(r), 0, &len);
	REFUSED("bad string");
	memcpy(r, good_r, sizeof(r));
	f = custom("s", u64_5, r, sizeof(r) - 8, 0, &len); /* error string cut */
	REFUSED("bad string");

	/* A newer format version, and a state file where a message belongs. */
	struct envelope in = sample();
	f = message_file(&in, &len);
	f[12] = 2;
	assert_false(parses(f, len));
	assert_non_null(strstr(last_err, "version 2"));
	f[12] = 1;
	f[8] = 'S';
	REFUSED("kind 'S'");
}

static void test_state(void **state)
{
	struct envelope in = sample(), env, other;
	size_t len, body;
	char err[256];
	uint8_t *file = message_file(&in, &len);

	assert_int_equal(qfile_parse_message(file, len, &env, &body, err, sizeof(err)), 0);
	free(file);
	assert_int_equal(envelope_copy(&other, &env), 0);

	/* Write states, read them onto a fresh copy. */
	env.rcpts[0].state = RCPT_DELIVERED;
	env.rcpts[0].attempts = 1;
	env.rcpts[1].state = RCPT_FAILED;
	env.rcpts[1].attempts = 9;
	free(env.rcpts[1].last_error);
	env.rcpts[1].last_error = strdup("550 5.1.1 no such user");
	env.warned = 1700000100;
	struct evbuffer *b = qfile_state_file(&env);
	assert_non_null(b);
	size_t slen = evbuffer_get_length(b);
	uint8_t *st = malloc(slen);
	evbuffer_remove(b, st, slen);
	evbuffer_free(b);
	assert_int_equal(qfile_parse_state(st, slen, &other, err, sizeof(err)), 0);
	assert_int_equal(other.rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(other.rcpts[1].state, RCPT_FAILED);
	assert_int_equal(other.rcpts[1].attempts, 9);
	assert_string_equal(other.rcpts[1].last_error, "550 5.1.1 no such user");
	assert_int_equal(other.warned, 1700000100);
	assert_true(envelope_final(&other));

	/* Every truncation fails and leaves the envelope untouched. */
	other.rcpts[0].state = RCPT_PENDING;
	for (size_t n = 0; n < slen; n++) {
		assert_int_equal(qfile_parse_state(st, n, &other, err, sizeof(err)), -1);
		assert_int_equal(other.rcpts[0].state, RCPT_PENDING);
	}
	/* The state of another message, or of a different recipient count. */
	strcpy(other.id, "65A1B2C3D4E6");
	assert_int_equal(qfile_parse_state(st, slen, &other, err, sizeof(err)), -1);
	strcpy(other.id, env.id);
	other.nrcpts = 1;
	assert_int_equal(qfile_parse_state(st, slen, &other, err, sizeof(err)), -1);
	other.nrcpts = 2;
	/* A message file is not a state file. */
	file = message_file(&in, &len);
	assert_int_equal(qfile_parse_state(file, len, &other, err, sizeof(err)), -1);
	free(file);
	free(st);
	envelope_free(&env);
	envelope_free(&other);
}

#ifndef NO_ALLOC_HOOK
/* What one reader needs: the file image, on disk too, and a message
 * envelope for the state readers. */
struct oom_case {
	const uint8_t *file;
	size_t len;
	uint8_t *scratch;
	int fd;
	struct envelope *base;
};

static int oom_parse_message(struct oom_case *c)
{
	struct envelope env;
	size_t body;
	char err[128];
	memcpy(c->scratch, c->file, c->len);
	int rc = qfile_parse_message(c->scratch, c->len, &env, &body, err, sizeof(err));
	if (rc == 0)
		envelope_free(&env);
	return rc;
}

static int oom_read_envelope(struct oom_case *c)
{
	struct envelope env;
	char err[128];
	int rc = qfile_read_envelope(c->fd, &env, err, sizeof(err));
	if (rc == 0)
		envelope_free(&env);
	return rc;
}

static int oom_load(struct oom_case *c)
{
	struct envelope env;
	uint8_t *data;
	size_t body;
	char err[128];
	int rc = qfile_load(c->fd, &env, &data, &body, err, sizeof(err));
	if (rc == 0) {
		envelope_free(&env);
		free(data);
	}
	return rc;
}

static int oom_parse_state(struct oom_case *c)
{
	char err[128];
	return qfile_parse_state(c->file, c->len, c->base, err, sizeof(err));
}

static int oom_read_state(struct oom_case *c)
{
	char err[128];
	return qfile_read_state(c->fd, c->base, err, sizeof(err));
}

/* Fails each allocation fn makes, one run at a time, until a run makes
 * none fail (it must then succeed). Returns how many were failed. */
static int fail_each_allocation(int (*fn)(struct oom_case *), struct oom_case *c)
{
	for (int k = 1; k < 1000; k++) {
		alloc_failed = 0;
		alloc_countdown = k;
		int rc = fn(c), e = errno;
		alloc_countdown = 0;
		if (!alloc_failed) {
			assert_int_equal(rc, 0);
			return k - 1;
		}
		if (rc != -1 || e != ENOMEM)
			fail_msg("allocation %d failed: returned %d, errno %s (not ENOMEM)", k, rc,
				 strerror(e));
	}
	fail_msg("more than 1000 allocations");
	return -1;
}
#endif

/* Out of memory is not corruption: whichever allocation of a reader
 * fails, the reader says ENOMEM, never EBADMSG (which quarantines a good
 * file at delivery and at start-up). */
static void test_out_of_memory(void **state)
{
#ifdef NO_ALLOC_HOOK
	skip();
#else
	struct envelope in = sample(), env;
	struct oom_case c = {0};
	size_t len, body, slen;
	char *dir = scratch_dir(), path[4096], err[256];
	uint8_t *file = message_file(&in, &len), *st;

	/* The allocator hook does fail (or this test proves nothing). */
	alloc_countdown = 1;
	void *volatile p = malloc(16);
	assert_null(p);
	assert_int_equal(alloc_countdown, 0);

	c.file = file;
	c.len = len;
	c.scratch = malloc(len);
	snprintf(path, sizeof(path), "%s/msg", dir);
	assert_int_equal(spit(path, file, len), 0);
	c.fd = open(path, O_RDONLY);
	assert_true(c.fd >= 0);
	/* Strings in every record that has them, and a recipient array. */
	assert_true(fail_each_allocation(oom_parse_message, &c) >= 5);
	assert_true(fail_each_allocation(oom_read_envelope, &c) >= 6);
	assert_true(fail_each_allocation(oom_load, &c) >= 6);
	close(c.fd);

	memcpy(c.scratch, file, len);
	assert_int_equal(qfile_parse_message(c.scratch, len, &env, &body, err, sizeof(err)), 0);
	struct evbuffer *b = qfile_state_file(&env);
	slen = evbuffer_get_length(b);
	st = malloc(slen);
	evbuffer_remove(b, st, slen);
	evbuffer_free(b);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(spit(path, st, slen), 0);
	c.file = st;
	c.len = slen;
	c.base = &env;
	c.fd = open(path, O_RDONLY);
	assert_true(fail_each_allocation(oom_parse_state, &c) >= 2); /* array, error text */
	assert_true(fail_each_allocation(oom_read_state, &c) >= 3);
	close(c.fd);
	envelope_free(&env);
	free(st);
	free(c.scratch);
	free(file);
	rm_rf(dir);
	free(dir);
#endif
}

static void test_ids(void **state)
{
	assert_true(qfile_id_valid("0123456789AB"));
	assert_false(qfile_id_valid("0123456789ab"));
	assert_false(qfile_id_valid("0123456789A"));
	assert_false(qfile_id_valid("0123456789ABC"));
	assert_false(qfile_id_valid("../../etc/pw"));
	assert_false(qfile_id_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c),     cmocka_unit_test(test_crc_evbuffer),
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_bit_flips),  cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_state),      cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_ids),
	};
	log_init("test_spool_qfile", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
