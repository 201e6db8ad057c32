/*
 * fuzz_smtp_data: the DATA and BDAT readers with the content checks behind
 * them. The first input bytes pick how the rest is split; the result
 * (bytes consumed, end found, whether a check failed, and when none did
 * the content itself) must not depend on the split, and must equal one
 * run over the whole input. After a failed check the content is dropped
 * wherever the split put it, and which check fails first may depend on
 * it (the transaction is refused either way).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/protocol.h"

struct out {
	uint8_t *buf;
	size_t len, cap;
};

static void collect(void *arg, const uint8_t *p, size_t n)
{
	struct out *o = arg;
	if (n == 0)
		abort(); /* emitters never pass empty spans */
	if (o->len + n > o->cap)
		abort(); /* content can only shrink, or grow by CR per LF */
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

struct result {
	size_t used;
	int end;
	unsigned flags;
	uint64_t size;
	uint32_t received;
};

/* Runs DATA (bdat < 0) or BDAT of bdat octets over in, split by step
 * (0: whole), into o. */
static struct result run(const uint8_t *in, size_t n, size_t step, long bdat, struct out *o,
			 uint64_t limit)
{
	struct smtp_data d;
	struct smtp_bdat b;
	struct smtp_content c;
	struct result r = {0, 0, 0, 0, 0};

	o->len = 0;
	smtp_data_init(&d);
	smtp_bdat_init(&b, bdat < 0 ? 0 : (uint64_t)bdat);
	smtp_content_init(&c, limit, collect, o);
	while (r.used < n && !r.end) {
		size_t k = step && step < n - r.used ? step : n - r.used;
		size_t used =
		    bdat < 0 ? smtp_data_feed(&d, in + r.used, k, &r.end, smtp_content_emit, &c)
			     : smtp_bdat_feed(&b, in + r.used, k, &r.end, smtp_content_emit, &c);
		if (used > k || (used < k && !r.end))
			abort(); /* a reader takes all it is given until the end */
		r.used += used;
	}
	if (bdat >= 0 && bdat == 0)
		r.end = 1;
	r.flags = c.flags;
	r.size = c.size;
	r.received = c.received;
	if (c.flags == 0 && c.size != o->len)
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out whole, split;
	struct result a, b;
	size_t step;
	long bdat;
	uint64_t limit;

	if (size < 2)
		return 0;
	step = (size_t)(data[0] & 0x3f) + 1;
	bdat = data[1] & 0x80 ? (long)((data[1] & 0x7f) * 7) : -1;
	limit = data[0] & 0x40 ? 512 : 0;
	data += 2;
	size -= 2;
	whole.cap = split.cap = 2 * size + 1;
	whole.buf = malloc(whole.cap);
	split.buf = malloc(split.cap);
	if (whole.buf == NULL || split.buf == NULL)
		goto out;
	a = run(data, size, 0, bdat, &whole, limit);
	for (int i = 0; i < 2; i++) {
		b = run(data, size, i ? 1 : step, bdat, &split, limit);
		if (a.used != b.used || a.end != b.end || !a.flags != !b.flags)
			abort();
		if (a.flags == 0 &&
		    (a.size != b.size || a.received != b.received || whole.len != split.len ||
		     memcmp(whole.buf, split.buf, whole.len) != 0))
			abort();
	}
out:
	free(whole.buf);
	free(split.buf);
	return 0;
}
