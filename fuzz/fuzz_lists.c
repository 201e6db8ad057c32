/* libFuzzer: the three list files of [smtp] (domains, mailboxes,
 * relay_domains; src/smtp/policy.c) over any bytes. The input is split at
 * NUL bytes into the three files. Nothing may crash, overrun or leak; a
 * policy that loads must answer lookups with recipients that are real
 * addresses. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/log.h"
#include "smtp/policy.h"
#include "smtp/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A file holding p[0..n), named by its /proc path; -1 when none. */
static int memfile(const uint8_t *p, size_t n, char *path, size_t pathlen)
{
	int fd = memfd_create("list", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (n && write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

static const char *const probes[] = {
    "postmaster",   "postmaster@example.test", "user@example.test", "a@b.test",
    "x@other.test", "alias@example.test",      "u%v@example.test",  "User@EXAMPLE.TEST",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3] = {data, NULL, NULL};
	size_t len[3] = {size, 0, 0};
	char path[3][64], err[512];
	int fd[3] = {-1, -1, -1};
	struct policy *p;

	log_set_level(LOG_LEVEL_ERROR); /* a warning per odd line would flood the log */
	/* Split at the first two NUL bytes. */
	for (int k = 1; k < 3; k++) {
		const uint8_t *z = memchr(part[k - 1], 0, len[k - 1]);
		if (z == NULL)
			break;
		part[k] = z + 1;
		len[k] = len[k - 1] - (size_t)(z + 1 - part[k - 1]);
		len[k - 1] = (size_t)(z - part[k - 1]);
	}
	for (int k = 0; k < 3; k++)
		if (part[k] && (fd[k] = memfile(part[k], len[k], path[k], sizeof(path[k]))) < 0)
			goto out;
	p = policy_load(fd[0] >= 0 ? path[0] : NULL, fd[1] >= 0 ? path[1] : NULL,
			fd[2] >= 0 ? path[2] : NULL, "mx1.example.test", err, sizeof(err));
	if (p == NULL) {
		if (err[0] == '\0')
			abort(); /* a failure always says why */
		goto out;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct smtp_addr a;
		struct policy_result res;
		if (smtp_addr_parse(probes[i], strlen(probes[i]),
				    SMTP_ADDR_ALLOW_POSTMASTER | SMTP_ADDR_ALLOW_BARE, &a) < 0)
			continue;
		for (int trusted = 0; trusted < 2; trusted++) {
			policy_lookup(p, &a, trusted, &res);
			if (res.verdict == POLICY_ACCEPT && res.nrcpts == 0)
				abort();
			for (size_t r = 0; r < res.nrcpts; r++)
				if (res.rcpts[r].addr == NULL || res.rcpts[r].addr[0] == '\0')
					abort();
		}
	}
	policy_free(p);
out:
	for (int k = 0; k < 3; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	return 0;
}
