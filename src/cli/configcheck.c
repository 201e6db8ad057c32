/* mxhost configcheck [-c FILE]: reads the config with the daemon's own
 * parser and says what is wrong, or nothing (exit 0) when all is well. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/roles.h"
#include "core/config.h"

const char *cli_config_path(int argc, char **argv, int *next)
{
	const char *path = CONFIG_DEFAULT_PATH;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		path = argv[i + 1];
		i += 2;
	}
	*next = i;
	return path;
}

int cmd_configcheck(int argc, char **argv)
{
	struct config cfg;
	char err[1024];
	int next, rc = 0;
	const char *path = cli_config_path(argc, argv, &next);

	if (next != argc) {
		fprintf(stderr, "usage: mxhost configcheck [-c FILE]\n");
		return 2;
	}
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxhost configcheck: %s\n", err);
		rc = 1;
	} else if (!cfg.dns.enabled && !cfg.smtp.enabled) {
		fprintf(stderr, "mxhost configcheck: %s: no role enabled ([dns] or [smtp])\n",
			path);
		rc = 1;
	} else {
		for (size_t i = 0; roles[i]; i++)
			if (roles[i]->enabled(&cfg) && roles[i]->check(&cfg) != 0)
				rc = 1;
	}
	config_free(&cfg);
	return rc;
}
