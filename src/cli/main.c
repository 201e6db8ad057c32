/* mxhost: one binary, a subcommand per role or tool. Dispatch only. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"

#ifndef MXHOST_VERSION
#define MXHOST_VERSION "0.1"
#endif

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
    {"serve", cmd_serve, "serve [-c FILE] [-d]       run the roles the config enables"},
    {"configcheck", cmd_configcheck, "configcheck [-c FILE]      validate a config file"},
    {"zonecheck", cmd_zonecheck, "zonecheck [-D] FILE [ORIGIN] validate a zone file"},
    {"route", cmd_route, "route [-c FILE] [-s SERVER] [...] DOMAIN  where mail for DOMAIN goes"},
    {"nslookup", cmd_nslookup, "nslookup [-opt ...] [NAME [SERVER]]  BIND's nslookup"},
    {"queue", cmd_queue, "queue [-c FILE] list|show  the mail queue (reads the spool)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mxhost COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  mxhost %s\n", commands[i].usage);
	fprintf(out, "  mxhost version\n");
}

int main(int argc, char **argv)
{
	log_init("mxhost", LOG_LEVEL_INFO);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("mxhost %s\n", MXHOST_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mxhost: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
