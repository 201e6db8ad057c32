/* libFuzzer: the config reader (libinih and mxhost's key table,
 * src/core/config.c) over any bytes. Nothing may crash, overrun or leak;
 * a failure always says why, and a config that loads has its limits in
 * their ranges. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char path[64], err[1024];
	int fd = memfd_create("config", MFD_CLOEXEC);

	log_set_level(LOG_LEVEL_ERROR);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
	} else {
		if (cfg.smtp.hostname == NULL || cfg.smtp.hostname[0] == '\0')
			abort(); /* always set: the system's name by default */
		if (cfg.dns.edns_payload < 512 || cfg.smtp.max_recipients < 100 ||
		    cfg.smtp.retry_min > cfg.smtp.retry_max)
			abort();
	}
	config_free(&cfg);
	close(fd);
	return 0;
}
