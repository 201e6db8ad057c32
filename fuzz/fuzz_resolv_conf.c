/* libFuzzer: the resolv.conf reader (both of its readings) over any
 * bytes. Nothing may crash, overrun or leak, and what it returns must stay
 * within the struct's bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolv_conf rc;
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		return 0;
	resolv_conf_parse(f, &rc);
	fclose(f);
	if (rc.nservers > 3 || rc.irs_nservers > 3 || rc.nsearch > RESOLV_SEARCH_MAX)
		abort();
	for (size_t i = 0; i < rc.nsearch; i++)
		if (strlen(rc.search[i]) >= sizeof(rc.search[i]) || rc.search[i][0] == '\0')
			abort();
	if ((rc.ndots_set && rc.ndots_raw > 255) || (rc.timeout_set && rc.timeout_raw > 255) ||
	    (rc.attempts_set && rc.attempts_raw > 255))
		abort();
	return 0;
}
