/*
 * Fuzzes the queue-file reader (src/queue/qfile.c): message files, bare
 * envelope sections and state files. Whatever a reader accepts must
 * survive a round trip: encoded again and read back, it is the same.
 * Seeds in fuzz/corpus/envelope/ are real queue and state files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "core/log.h"
#include "queue/qfile.h"

static int same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void check_same(const struct envelope *a, const struct envelope *b)
{
	if (strcmp(a->id, b->id) || !same_str(a->sender, b->sender) ||
	    !same_str(a->helo, b->helo) || !same_str(a->client_addr, b->client_addr) ||
	    a->received != b->received || a->body_8bit != b->body_8bit ||
	    a->smtputf8 != b->smtputf8 || a->size != b->size || a->nrcpts != b->nrcpts ||
	    a->warned != b->warned)
		abort();
	for (size_t i = 0; i < a->nrcpts; i++) {
		const struct envelope_rcpt *x = &a->rcpts[i], *y = &b->rcpts[i];
		if (!same_str(x->addr, y->addr) || !same_str(x->orcpt, y->orcpt) ||
		    !same_str(x->last_error, y->last_error) || x->kind != y->kind ||
		    x->state != y->state || x->attempts != y->attempts ||
		    x->next_try != y->next_try)
			abort();
	}
}

/* Encodes env with content body as a message file and parses it again. */
static void round_trip(const struct envelope *env, const uint8_t *body, size_t body_len)
{
	struct evbuffer *b = evbuffer_new();
	struct envelope again;
	size_t len, got_len;
	char err[256];

	if (qfile_put_header(b, QFILE_MESSAGE) < 0)
		abort();
	if (body_len &&
	    (qfile_put_data_header(b, body_len) < 0 || evbuffer_add(b, body, body_len) < 0))
		abort();
	size_t env_off = evbuffer_get_length(b);
	if (qfile_put_envelope(b, env) < 0)
		abort();
	uint8_t *flat = evbuffer_pullup(b, -1);
	size_t n = evbuffer_get_length(b);
	if (qfile_put_end(b, env_off, crc32c(0, flat + env_off, n - env_off), crc32c(0, flat, n)) <
	    0)
		abort();
	len = evbuffer_get_length(b);
	uint8_t *file = malloc(len);
	evbuffer_remove(b, file, len);
	evbuffer_free(b);
	if (qfile_parse_message(file, len, &again, &got_len, err, sizeof(err)) < 0)
		abort(); /* what we write, we must read */
	if (got_len != body_len || (body_len && memcmp(file, body, body_len) != 0))
		abort();
	check_same(env, &again);
	envelope_free(&again);
	free(file);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Rewrites the checksums of an E record at the end of data so that the
 * fuzzer reaches past them (random bytes never carry a good CRC). */
static void fix_checksums(uint8_t *data, size_t size)
{
	if (size < QFILE_HEADER_SIZE + QFILE_END_SIZE)
		return;
	size_t end = size - QFILE_END_SIZE;
	uint8_t *e = data + end;
	uint64_t off = 0;
	for (int i = 0; i < 8; i++)
		off = off << 8 | e[5 + i];
	if (e[0] != 'E' || off > end)
		return;
	put32(e + 13, crc32c(0, data + off, end - off));
	put32(e + 17, crc32c(0, data, end));
}

static void parse_message(const uint8_t *data, size_t size, int fix)
{
	struct envelope env;
	size_t body_len;
	char err[256];
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	if (fix)
		fix_checksums(copy, size);
	if (qfile_parse_message(copy, size, &env, &body_len, err, sizeof(err)) == 0) {
		round_trip(&env, copy, body_len);
		envelope_free(&env);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope env;
	char err[256];
	static int quiet;

	if (!quiet) {
		log_init("fuzz", LOG_LEVEL_ERROR);
		quiet = 1;
	}
	parse_message(data, size, 0);
	parse_message(data, size, 1);

	if (qfile_parse_envelope(data, size, &env, err, sizeof(err)) == 0) {
		/* The size record need not match content here: make it. */
		env.size = 0;
		round_trip(&env, NULL, 0);
		envelope_free(&env);
	}

	/* A state file applies to the envelope it names, with as many
	 * recipients as it has: try it against a two-recipient one. */
	struct envelope_rcpt r[2] = {{.addr = (char *)"a@x"}, {.addr = (char *)"b@y"}};
	struct envelope base = {.id = "65A1B2C3D4E5", .rcpts = r, .nrcpts = 2};
	uint8_t *fixed = malloc(size ? size : 1);
	memcpy(fixed, data, size);
	fix_checksums(fixed, size);
	if (envelope_copy(&env, &base) == 0) {
		if (qfile_parse_state(fixed, size, &env, err, sizeof(err)) == 0) {
			struct evbuffer *b = qfile_state_file(&env);
			struct envelope again;
			if (b == NULL || envelope_copy(&again, &base) < 0)
				abort();
			size_t n = evbuffer_get_length(b);
			uint8_t *st = evbuffer_pullup(b, -1);
			if (qfile_parse_state(st, n, &again, err, sizeof(err)) < 0)
				abort();
			check_same(&env, &again);
			envelope_free(&again);
			evbuffer_free(b);
		}
		envelope_free(&env);
	}
	free(fixed);
	return 0;
}
