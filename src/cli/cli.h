/*
 * cli: one function per subcommand, each in its own file; main.c only
 * dispatches. Each returns the process exit status.
 */
#ifndef MXHOST_CLI_CLI_H
#define MXHOST_CLI_CLI_H

int cmd_serve(int argc, char **argv);
int cmd_configcheck(int argc, char **argv);
int cmd_zonecheck(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_nslookup(int argc, char **argv);
int cmd_queue(int argc, char **argv);

/* Shared by subcommands taking -c FILE: the path given, or the default. */
const char *cli_config_path(int argc, char **argv, int *next);

#endif
