/*
 * fuzz_smtp_cmd: the SMTP command parser (smtp_cmd_parse) and the address
 * parser, on every line of the input, in every session state. Besides not
 * crashing, a parsed address must be in canonical form: parsing it again
 * gives the same address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/protocol.h"

static const unsigned states[] = {SMTP_ST_INIT, SMTP_ST_READY, SMTP_ST_MAIL, SMTP_ST_RCPT,
				  SMTP_ST_BDAT};

static void check_canonical(const struct smtp_addr *a, unsigned flags)
{
	char again[SMTP_ADDR_MAX + 3];
	struct smtp_addr b;

	if (a->len != strlen(a->addr) || (a->at < a->len && a->addr[a->at] != '@') ||
	    a->at > a->len)
		abort();
	snprintf(again, sizeof(again), "<%s>", a->addr);
	if (smtp_addr_parse(again, strlen(again), flags, &b) < 0 || strcmp(a->addr, b.addr) != 0 ||
	    a->at != b.at || a->utf8 != b.utf8 || a->routing != b.routing)
		abort();
}

static void one_line(const char *line, size_t len)
{
	struct smtp_cmd cmd;
	struct smtp_addr a;
	static const unsigned aflags[] = {0, SMTP_ADDR_ALLOW_NULL, SMTP_ADDR_ALLOW_POSTMASTER,
					  SMTP_ADDR_ALLOW_BARE | SMTP_ADDR_ALLOW_NULL};

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		for (unsigned flags = 0; flags < 2; flags++) {
			enum smtp_perr e = smtp_cmd_parse(line, len, states[i], flags, 1000, &cmd);
			struct smtp_reply_text r = smtp_cmd_reply(e, &cmd, states[i]);
			if (r.code < 200 || r.code > 599 || r.text == NULL)
				abort();
			if (e == SMTP_P_OK && (cmd.verb == SMTP_MAIL || cmd.verb == SMTP_RCPT))
				check_canonical(&cmd.path, cmd.verb == SMTP_MAIL
							       ? SMTP_ADDR_ALLOW_NULL
							       : SMTP_ADDR_ALLOW_POSTMASTER);
			if (cmd.arg && (cmd.arg < line || cmd.arg + cmd.arglen > line + len))
				abort();
		}
	}
	for (size_t i = 0; i < sizeof(aflags) / sizeof(aflags[0]); i++)
		if (smtp_addr_parse(line, len, aflags[i], &a) == 0)
			check_canonical(&a, aflags[i] & ~SMTP_ADDR_ALLOW_BARE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	size_t start = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t i = 0; i <= size; i++) {
		if (i == size || copy[i] == '\n') {
			size_t len = i - start;
			if (len && copy[start + len - 1] == '\r')
				len--;
			if (len < SMTP_LINE_MAX)
				one_line(copy + start, len);
			start = i + 1;
		}
	}
	free(copy);
	return 0;
}
