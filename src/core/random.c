/* random: see random.h. */
#include "core/random.h"

#include <errno.h>
#include <sys/random.h>

#include "core/log.h"

void random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		p += n;
		len -= (size_t)n;
	}
}

uint32_t random_uniform(uint32_t upper)
{
	uint32_t r, min;

	if (upper < 2)
		return 0;
	/* Values below min would make the low residues more likely. */
	min = -upper % upper;
	do
		random_bytes(&r, sizeof(r));
	while (r < min);
	return r % upper;
}
