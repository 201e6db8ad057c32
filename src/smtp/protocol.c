/* protocol: see protocol.h. */
#include "smtp/protocol.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- characters ---- */

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* atext (RFC 5322 3.2.3), ASCII part. */
static int is_atext(int c)
{
	return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Length of the well-formed UTF-8 sequence starting at s (1 to 4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int smtp_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* ---- domains and addresses ---- */

int smtp_domain_parse(const char *s, size_t len, int utf8, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t label = 0, i = 0;
	int label_utf8 = 0;

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return -1;
	while (i < len) {
		unsigned c = p[i];
		if (c == '.') {
			/* no empty label, none ending in '-', so no trailing dot */
			if (label == 0 || p[i - 1] == '-' || label > (label_utf8 ? 252u : 63u))
				return -1;
			out[i++] = '.';
			label = 0;
			label_utf8 = 0;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8 ? utf8_seq(p + i, len - i) : 0;
			if (n == 0)
				return -1;
			memcpy(out + i, p + i, n);
			i += n;
			label += n;
			label_utf8 = 1;
			continue;
		}
		if (!is_alpha((int)c) && !is_digit((int)c) && !(c == '-' && label > 0))
			return -1;
		out[i++] = (char)lower((int)c);
		label++;
	}
	if (label == 0 || p[len - 1] == '-' || label > (label_utf8 ? 252u : 63u))
		return -1;
	out[len] = '\0';
	return 0;
}

/* An address literal "[...]" (RFC 5321 4.1.3), written canonically. */
static int literal_parse(const char *s, size_t len, char *out, size_t cap)
{
	char tmp[64];
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' || len - 2 >= sizeof(tmp))
		return -1;
	memcpy(tmp, s + 1, len - 2);
	tmp[len - 2] = '\0';
	if (strncasecmp(tmp, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, tmp + 5, bin) != 1 ||
		    inet_ntop(AF_INET6, bin, text, sizeof(text)) == NULL)
			return -1;
		return snprintf(out, cap, "[IPv6:%s]", text) < (int)cap ? 0 : -1;
	}
	if (inet_pton(AF_INET, tmp, bin) != 1 ||
	    inet_ntop(AF_INET, bin, text, sizeof(text)) == NULL)
		return -1;
	return snprintf(out, cap, "[%s]", text) < (int)cap ? 0 : -1;
}

/* A Dot-string (RFC 5321 4.1.2) with UTF-8 (RFC 6531): atoms joined by
 * single dots; no leading, trailing or doubled dot. Sets *utf8. */
static int dot_string_ok(const unsigned char *p, size_t len, int *utf8)
{
	size_t atom = 0, i = 0;
	if (len == 0)
		return 0;
	while (i < len) {
		if (p[i] == '.') {
			if (atom == 0)
				return 0;
			atom = 0;
			i++;
		} else if (p[i] >= 0x80) {
			size_t n = utf8_seq(p + i, len - i);
			if (n == 0)
				return 0;
			*utf8 = 1;
			i += n;
			atom++;
		} else if (is_atext(p[i])) {
			i++;
			atom++;
		} else {
			return 0;
		}
	}
	return atom > 0;
}

/* Appends to out->addr; -1 when it would not fit. */
static int addr_put(struct smtp_addr *out, const void *p, size_t n)
{
	if (n > SMTP_ADDR_MAX - out->len)
		return -1;
	memcpy(out->addr + out->len, p, n);
	out->len += n;
	out->addr[out->len] = '\0';
	return 0;
}

/* Local part at p (quoted or dot-string), up to the '@' or the end; writes
 * it canonically into out and returns the bytes read, or 0 on error. */
static size_t local_parse(const unsigned char *p, size_t len, struct smtp_addr *out)
{
	unsigned char content[SMTP_ADDR_MAX];
	size_t n = 0, i;

	if (len > 0 && p[0] == '"') {
		/* Quoted-string: qtextSMTP / quoted-pairSMTP, UTF-8 allowed */
		for (i = 1; i < len && p[i] != '"'; i++) {
			if (p[i] == '\\') {
				if (++i >= len || p[i] < 32 || p[i] > 126)
					return 0;
			} else if (p[i] >= 0x80) {
				size_t k = utf8_seq(p + i, len - i);
				if (k == 0 || n + k > sizeof(content))
					return 0;
				memcpy(content + n, p + i, k);
				n += k;
				i += k - 1;
				out->utf8 = 1;
				continue;
			} else if (p[i] < 32 || p[i] > 126) {
				return 0;
			}
			if (n >= sizeof(content))
				return 0;
			content[n++] = p[i];
		}
		if (i >= len)
			return 0; /* no closing quote */
		i++;
		if (memchr(content, '@', n) || memchr(content, '%', n) || memchr(content, '!', n))
			out->routing = 1;
		if (dot_string_ok(content, n, &out->utf8))
			return addr_put(out, content, n) < 0 ? 0 : i;
		/* must stay quoted: escape only what has to be */
		if (addr_put(out, "\"", 1) < 0)
			return 0;
		for (size_t k = 0; k < n; k++) {
			if ((content[k] == '"' || content[k] == '\\') && addr_put(out, "\\", 1) < 0)
				return 0;
			if (addr_put(out, content + k, 1) < 0)
				return 0;
		}
		return addr_put(out, "\"", 1) < 0 ? 0 : i;
	}
	for (i = 0; i < len && p[i] != '@'; i++)
		;
	if (!dot_string_ok(p, i, &out->utf8))
		return 0;
	if (memchr(p, '%', i) || memchr(p, '!', i))
		out->routing = 1;
	return addr_put(out, p, i) < 0 ? 0 : i;
}

/* Skips a source route "@a,@b:" (A-d-l); returns the bytes read or 0. */
static size_t route_skip(const char *s, size_t len)
{
	char dom[SMTP_DOMAIN_MAX + 1];
	size_t i = 0;
	for (;;) {
		size_t start;
		if (i >= len || s[i] != '@')
			return 0;
		start = ++i;
		while (i < len && s[i] != ',' && s[i] != ':')
			i++;
		if (i >= len || smtp_domain_parse(s + start, i - start, 1, dom) < 0)
			return 0;
		if (s[i++] == ':')
			return i;
	}
}

int smtp_addr_parse(const char *s, size_t len, unsigned flags, struct smtp_addr *out)
{
	const unsigned char *p;
	size_t n;

	out->len = 0;
	out->at = 0;
	out->addr[0] = '\0';
	out->utf8 = out->routing = out->literal = out->had_route = 0;

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
		if (len == 0) {
			if (!(flags & SMTP_ADDR_ALLOW_NULL))
				return -1;
			return 0;
		}
		if (s[0] == '@') {
			n = route_skip(s, len);
			if (n == 0)
				return -1;
			s += n;
			len -= n;
			out->had_route = 1;
		}
	} else if (!(flags & SMTP_ADDR_ALLOW_BARE) || len == 0 || s[0] == '<') {
		return -1;
	}
	p = (const unsigned char *)s;
	n = local_parse(p, len, out);
	if (n == 0)
		return -1;
	if (n == len) {
		/* no domain: only the postmaster may go without (RFC 5321 4.5.1) */
		if (!(flags & SMTP_ADDR_ALLOW_POSTMASTER) || out->had_route || n != 10 ||
		    strncasecmp(s, "postmaster", 10) != 0)
			return -1;
		memcpy(out->addr, "postmaster", 10);
		out->at = out->len;
		return 0;
	}
	if (p[n] != '@' || n + 1 == len)
		return -1;
	out->at = out->len;
	if (addr_put(out, "@", 1) < 0)
		return -1;
	s += n + 1;
	len -= n + 1;
	if (s[0] == '[') {
		char lit[SMTP_DOMAIN_MAX + 1];
		if (literal_parse(s, len, lit, sizeof(lit)) < 0)
			return -1;
		out->literal = 1;
		return addr_put(out, lit, strlen(lit));
	} else {
		char dom[SMTP_DOMAIN_MAX + 1];
		if (smtp_domain_parse(s, len, 1, dom) < 0)
			return -1;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)dom[i] >= 0x80)
				out->utf8 = 1;
		return addr_put(out, dom, len);
	}
}

/* ---- commands ---- */

struct span {
	const char *p;
	size_t n;
};

static struct span trim(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return (struct span){p, n};
}

/* "FROM:" or "TO:" then the path, then ESMTP parameters; the path ends at
 * the first space outside a quoted string, or at the '>' closing it. */
static int path_split(const char *arg, size_t len, const char *kw, struct span *path,
		      struct span *params)
{
	size_t kl = strlen(kw), i;
	int quoted = 0;
	if (len < kl || strncasecmp(arg, kw, kl) != 0)
		return -1;
	i = kl;
	while (i < len && arg[i] == ' ') /* "MAIL FROM: <a@b>", common enough */
		i++;
	path->p = arg + i;
	if (i < len && arg[i] == '<') {
		for (; i < len; i++) {
			if (quoted && arg[i] == '\\' && i + 1 < len)
				i++;
			else if (arg[i] == '"')
				quoted = !quoted;
			else if (!quoted && arg[i] == '>')
				break;
		}
		if (i == len)
			return -1;
		i++;
	} else {
		for (; i < len && (quoted || arg[i] != ' '); i++) {
			if (quoted && arg[i] == '\\' && i + 1 < len)
				i++;
			else if (arg[i] == '"')
				quoted = !quoted;
		}
	}
	path->n = (size_t)(arg + i - path->p);
	if (path->n == 0 || (i < len && arg[i] != ' '))
		return -1;
	*params = trim(arg + i, len - i);
	return 0;
}

/* Calls fn for each "KEYWORD[=VALUE]"; keyword syntax checked here. */
static enum smtp_perr params_each(struct span ps, struct smtp_cmd *cmd,
				  enum smtp_perr (*fn)(struct span kw, struct span val, int has_val,
						       struct smtp_cmd *cmd))
{
	size_t i = 0;
	while (i < ps.n) {
		struct span kw, val = {NULL, 0};
		size_t start, eq;
		enum smtp_perr e;
		int has_val = 0;
		while (i < ps.n && ps.p[i] == ' ')
			i++;
		if (i == ps.n)
			break;
		start = i;
		while (i < ps.n && ps.p[i] != ' ')
			i++;
		for (eq = start; eq < i && ps.p[eq] != '='; eq++)
			;
		kw = (struct span){ps.p + start, eq - start};
		if (kw.n == 0 || !(is_alpha(kw.p[0]) || is_digit(kw.p[0])))
			return SMTP_P_SYNTAX;
		for (size_t k = 1; k < kw.n; k++)
			if (!is_alpha(kw.p[k]) && !is_digit(kw.p[k]) && kw.p[k] != '-')
				return SMTP_P_SYNTAX;
		if (eq < i) {
			has_val = 1;
			val = (struct span){ps.p + eq + 1, i - eq - 1};
			if (val.n == 0 || memchr(val.p, '=', val.n))
				return SMTP_P_SYNTAX;
		}
		e = fn(kw, val, has_val, cmd);
		if (e != SMTP_P_OK)
			return e;
	}
	return SMTP_P_OK;
}

static int kw_is(struct span kw, const char *name)
{
	return kw.n == strlen(name) && strncasecmp(kw.p, name, kw.n) == 0;
}

static enum smtp_perr mail_param(struct span kw, struct span val, int has_val, struct smtp_cmd *cmd)
{
	if (kw_is(kw, "SIZE")) {
		uint64_t v = 0;
		if (!has_val || cmd->size)
			return SMTP_P_SYNTAX;
		for (size_t i = 0; i < val.n; i++) {
			if (!is_digit(val.p[i]))
				return SMTP_P_SYNTAX;
			if (v > (UINT64_MAX - 9) / 10)
				v = UINT64_MAX; /* huge is simply too big */
			else
				v = v * 10 + (uint64_t)(val.p[i] - '0');
		}
		cmd->size = v ? v : 1; /* "SIZE=0" still counts as given */
		return SMTP_P_OK;
	}
	if (kw_is(kw, "BODY")) {
		if (!has_val || cmd->body != SMTP_BODY_NONE)
			return SMTP_P_SYNTAX;
		if (val.n == 4 && strncasecmp(val.p, "7BIT", 4) == 0)
			cmd->body = SMTP_BODY_7BIT;
		else if (val.n == 8 && strncasecmp(val.p, "8BITMIME", 8) == 0)
			cmd->body = SMTP_BODY_8BITMIME;
		else
			return SMTP_P_PARAM; /* BINARYMIME is not offered */
		return SMTP_P_OK;
	}
	if (kw_is(kw, "SMTPUTF8")) {
		if (has_val || cmd->smtputf8)
			return SMTP_P_SYNTAX;
		cmd->smtputf8 = 1;
		return SMTP_P_OK;
	}
	return SMTP_P_PARAM;
}

static enum smtp_perr rcpt_param(struct span kw, struct span val, int has_val, struct smtp_cmd *cmd)
{
	(void)kw;
	(void)val;
	(void)has_val;
	(void)cmd;
	return SMTP_P_PARAM; /* DSN (NOTIFY=, ORCPT=) is not offered */
}

struct parse_in {
	const char *arg;
	size_t len;
	unsigned flags;
	uint64_t size_limit;
};

static enum smtp_perr parse_none(const struct parse_in *in, struct smtp_cmd *cmd)
{
	(void)cmd;
	return in->len ? SMTP_P_SYNTAX : SMTP_P_OK;
}

static enum smtp_perr parse_any(const struct parse_in *in, struct smtp_cmd *cmd)
{
	(void)in;
	(void)cmd;
	return SMTP_P_OK;
}

static enum smtp_perr parse_needed(const struct parse_in *in, struct smtp_cmd *cmd)
{
	(void)cmd;
	return in->len ? SMTP_P_OK : SMTP_P_SYNTAX;
}

static enum smtp_perr parse_mail(const struct parse_in *in, struct smtp_cmd *cmd)
{
	struct span path, params;
	enum smtp_perr e;

	if (path_split(in->arg, in->len, "FROM:", &path, &params) < 0)
		return SMTP_P_SYNTAX;
	e = params_each(params, cmd, mail_param);
	if (e != SMTP_P_OK)
		return e;
	if (smtp_addr_parse(path.p, path.n, SMTP_ADDR_ALLOW_NULL | SMTP_ADDR_ALLOW_BARE,
			    &cmd->path) < 0)
		return SMTP_P_SENDER;
	if (cmd->path.utf8 && !cmd->smtputf8)
		return SMTP_P_UTF8;
	if (in->size_limit && cmd->size > in->size_limit)
		return SMTP_P_TOOBIG;
	return SMTP_P_OK;
}

static enum smtp_perr parse_rcpt(const struct parse_in *in, struct smtp_cmd *cmd)
{
	struct span path, params;
	enum smtp_perr e;

	if (path_split(in->arg, in->len, "TO:", &path, &params) < 0)
		return SMTP_P_SYNTAX;
	e = params_each(params, cmd, rcpt_param);
	if (e != SMTP_P_OK)
		return e;
	if (smtp_addr_parse(path.p, path.n, SMTP_ADDR_ALLOW_POSTMASTER | SMTP_ADDR_ALLOW_BARE,
			    &cmd->path) < 0)
		return SMTP_P_RECIPIENT;
	if (cmd->path.utf8 && !(in->flags & SMTP_PF_UTF8))
		return SMTP_P_UTF8;
	return SMTP_P_OK;
}

static enum smtp_perr parse_bdat(const struct parse_in *in, struct smtp_cmd *cmd)
{
	size_t i = 0;
	uint64_t v = 0;
	struct span rest;

	if (in->len == 0 || !is_digit(in->arg[0]))
		return SMTP_P_SYNTAX;
	for (; i < in->len && is_digit(in->arg[i]); i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return SMTP_P_SYNTAX;
		v = v * 10 + (uint64_t)(in->arg[i] - '0');
	}
	if (i < in->len && in->arg[i] != ' ')
		return SMTP_P_SYNTAX;
	/* The size is read: the chunk's octets follow whatever the reply,
	 * and are skipped, never read as commands (RFC 3030 section 2). */
	cmd->chunk = v;
	cmd->chunk_ok = 1;
	rest = trim(in->arg + i, in->len - i);
	if (rest.n == 4 && strncasecmp(rest.p, "LAST", 4) == 0)
		cmd->last = 1;
	else if (rest.n != 0)
		return SMTP_P_SYNTAX;
	return SMTP_P_OK;
}

static const struct cmd_def {
	const char *name;
	enum smtp_verb verb;
	unsigned states; /* where the command may come */
	enum smtp_perr (*parse)(const struct parse_in *in, struct smtp_cmd *cmd);
	const char *syntax; /* the 501 reply */
} cmd_table[] = {
    {"EHLO", SMTP_EHLO, SMTP_ST_ANY, parse_needed, "Syntax: EHLO hostname"},
    {"HELO", SMTP_HELO, SMTP_ST_ANY, parse_needed, "Syntax: HELO hostname"},
    {"MAIL", SMTP_MAIL, SMTP_ST_READY, parse_mail, "Syntax: MAIL FROM:<address> [parameters]"},
    {"RCPT", SMTP_RCPT, SMTP_ST_MAIL | SMTP_ST_RCPT, parse_rcpt, "Syntax: RCPT TO:<address>"},
    {"DATA", SMTP_DATA, SMTP_ST_RCPT, parse_none, "Syntax: DATA"},
    {"BDAT", SMTP_BDAT, SMTP_ST_RCPT | SMTP_ST_BDAT, parse_bdat, "Syntax: BDAT size [LAST]"},
    {"RSET", SMTP_RSET, SMTP_ST_ANY, parse_none, "Syntax: RSET"},
    {"NOOP", SMTP_NOOP, SMTP_ST_ANY, parse_any, "Syntax: NOOP"},
    {"QUIT", SMTP_QUIT, SMTP_ST_ANY, parse_none, "Syntax: QUIT"},
    {"VRFY", SMTP_VRFY, SMTP_ST_ANY, parse_needed, "Syntax: VRFY address"},
    {"HELP", SMTP_HELP, SMTP_ST_ANY, parse_any, "Syntax: HELP"},
    {"EXPN", SMTP_NOTIMPL, SMTP_ST_ANY, parse_any, ""},
    {"STARTTLS", SMTP_NOTIMPL, SMTP_ST_ANY, parse_any, ""},
    {"AUTH", SMTP_NOTIMPL, SMTP_ST_ANY, parse_any, ""},
    {"ETRN", SMTP_NOTIMPL, SMTP_ST_ANY, parse_any, ""},
    {"TURN", SMTP_NOTIMPL, SMTP_ST_ANY, parse_any, ""},
};

static const struct cmd_def *cmd_find(enum smtp_verb verb, const char *name)
{
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
		if (cmd_table[i].verb == verb && (name == NULL || cmd_table[i].name == name))
			return &cmd_table[i];
	return NULL;
}

enum smtp_perr smtp_cmd_parse(const char *line, size_t len, unsigned state, unsigned flags,
			      uint64_t size_limit, struct smtp_cmd *cmd)
{
	const struct cmd_def *def = NULL;
	struct parse_in in;
	struct span arg;
	size_t vl;
	enum smtp_perr e;

	memset(cmd, 0, offsetof(struct smtp_cmd, path));
	cmd->path.len = 0;
	cmd->path.addr[0] = '\0';
	cmd->size = 0;
	cmd->body = SMTP_BODY_NONE;
	cmd->smtputf8 = 0;
	cmd->chunk = 0;
	cmd->chunk_ok = 0;
	cmd->last = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 32 && c != '\t') || c == 127)
			return SMTP_P_BADCHAR;
	}
	for (vl = 0; vl < len && line[vl] != ' '; vl++)
		;
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++) {
		if (strlen(cmd_table[i].name) == vl &&
		    strncasecmp(line, cmd_table[i].name, vl) == 0) {
			def = &cmd_table[i];
			break;
		}
	}
	if (def == NULL)
		return SMTP_P_UNKNOWN;
	cmd->verb = def->verb;
	cmd->name = def->name;
	arg = trim(line + vl, len - vl);
	cmd->arg = arg.p;
	cmd->arglen = arg.n;
	if (def->verb == SMTP_NOTIMPL)
		return SMTP_P_NOTIMPL;
	in = (struct parse_in){arg.p, arg.n, flags, size_limit};
	if (!(def->states & state)) {
		/* the bytes of a BDAT chunk follow the command whatever we
		 * answer, so its size is wanted even now */
		if (def->verb == SMTP_BDAT)
			(void)parse_bdat(&in, cmd);
		return SMTP_P_SEQUENCE;
	}
	e = def->parse(&in, cmd);
	return e;
}

struct smtp_reply_text smtp_cmd_reply(enum smtp_perr err, const struct smtp_cmd *cmd,
				      unsigned state)
{
	const struct cmd_def *def = cmd->name ? cmd_find(cmd->verb, cmd->name) : NULL;
	const char *seq = "Error: bad sequence of commands";

	switch (err) {
	case SMTP_P_OK: return (struct smtp_reply_text){250, "2.0.0", "Ok"};
	case SMTP_P_UNKNOWN:
		return (struct smtp_reply_text){500, "5.5.1", "Error: command not recognized"};
	case SMTP_P_BADCHAR:
		return (struct smtp_reply_text){500, "5.5.2", "Error: bad character in command"};
	case SMTP_P_NOTIMPL:
		return (struct smtp_reply_text){502, "5.5.1", "Error: command not implemented"};
	case SMTP_P_SEQUENCE:
		if (state & SMTP_ST_INIT)
			seq = "Error: send HELO/EHLO first";
		else if (cmd->verb == SMTP_MAIL)
			seq = "Error: nested MAIL command";
		else if (state & SMTP_ST_BDAT)
			seq = "Error: BDAT transfer in progress";
		else if (state & SMTP_ST_READY)
			seq = "Error: need MAIL command";
		else if (state & SMTP_ST_MAIL)
			seq = "Error: need RCPT command";
		return (struct smtp_reply_text){503, "5.5.1", seq};
	case SMTP_P_SYNTAX:
		return (struct smtp_reply_text){501, "5.5.4", def ? def->syntax : "Syntax error"};
	case SMTP_P_SENDER:
		return (struct smtp_reply_text){501, "5.1.7", "Bad sender address syntax"};
	case SMTP_P_RECIPIENT:
		return (struct smtp_reply_text){501, "5.1.3", "Bad recipient address syntax"};
	case SMTP_P_PARAM: return (struct smtp_reply_text){555, "5.5.4", "Unsupported option"};
	case SMTP_P_UTF8:
		return (struct smtp_reply_text){553, "5.6.7",
						"Non-ASCII address needs the SMTPUTF8 option"};
	case SMTP_P_TOOBIG:
		return (struct smtp_reply_text){552, "5.3.4", "Message size exceeds fixed limit"};
	}
	return (struct smtp_reply_text){451, "4.3.0", "Internal error"};
}

/* ---- replies ---- */

int smtp_reply(struct wbuf *out, int code, const char *enh, const char *text)
{
	char head[16];
	const char *line = text;

	if (code < 200 || code > 599)
		return -1;
	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		int hl = snprintf(head, sizeof(head), "%03d%c", code, nl ? '-' : ' ');
		size_t room = SMTP_REPLY_LINE_MAX - 2 - (size_t)hl - (enh ? strlen(enh) + 1 : 0);
		if (n > room)
			n = room; /* a reply line is 512 octets at most (RFC 5321 4.5.3.1.5) */
		wbuf_bytes(out, head, (size_t)hl);
		if (enh) {
			wbuf_bytes(out, enh, strlen(enh));
			if (n)
				wbuf_bytes(out, " ", 1);
		}
		wbuf_bytes(out, line, n);
		wbuf_bytes(out, "\r\n", 2);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return out->overflow ? -1 : 0;
}

/* ---- DATA ---- */

enum {
	D_BOL,	  /* line start, the line before ended in CR LF (or DATA) */
	D_BOL_LF, /* line start after a bare LF */
	D_MID,	  /* inside a line, last octet not CR */
	D_CR,	  /* inside a line, last octet CR */
	D_DOT,	  /* "." at D_BOL, withheld */
	D_DOT_CR, /* ".\r" at D_BOL, both withheld */
	D_DOT_LF, /* "." at D_BOL_LF, withheld */
};

void smtp_data_init(struct smtp_data *d)
{
	d->st = D_BOL;
}

size_t smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t n, int *end, smtp_emit_fn emit,
		      void *arg)
{
	size_t i = 0, run = 0; /* in[run..i) is content not yet passed on */
	int st = d->st;

	*end = 0;
	while (i < n) {
		switch (st) {
		case D_MID:
		case D_CR: {
			const uint8_t *lf = memchr(in + i, '\n', n - i);
			size_t j;
			if (lf == NULL) {
				st = in[n - 1] == '\r' ? D_CR : D_MID;
				i = n;
				break;
			}
			j = (size_t)(lf - in);
			st = (j > i ? in[j - 1] == '\r' : st == D_CR) ? D_BOL : D_BOL_LF;
			i = j + 1;
			break;
		}
		case D_BOL:
		case D_BOL_LF:
			if (in[i] != '.') {
				st = D_MID;
				break;
			}
			if (i > run)
				emit(arg, in + run, i - run);
			run = ++i;
			st = st == D_BOL ? D_DOT : D_DOT_LF;
			break;
		case D_DOT:
			if (in[i] == '\r') {
				/* could be the end: withhold the CR too */
				run = ++i;
				st = D_DOT_CR;
			} else if (in[i] == '\n') {
				/* ". LF" is not the end (only CR LF . CR LF is): a
				 * lone dot stays, unstuffing needs more on the line */
				emit(arg, (const uint8_t *)".", 1);
				st = D_MID;
			} else {
				st = D_MID; /* a stuffed dot: dropped */
			}
			break;
		case D_DOT_CR:
			if (in[i] == '\n') {
				d->st = D_BOL;
				*end = 1;
				return i + 1;
			}
			/* ".\rX": the dot was stuffing, the CR is content */
			emit(arg, (const uint8_t *)"\r", 1);
			st = D_CR;
			break;
		case D_DOT_LF:
			if (in[i] == '\r' || in[i] == '\n')
				emit(arg, (const uint8_t *)".", 1);
			st = D_MID;
			break;
		}
	}
	if (n > run)
		emit(arg, in + run, n - run);
	d->st = st;
	return n;
}

/* ---- BDAT ---- */

void smtp_bdat_init(struct smtp_bdat *b, uint64_t chunk)
{
	b->left = chunk;
}

size_t smtp_bdat_feed(struct smtp_bdat *b, const uint8_t *in, size_t n, int *end, smtp_emit_fn emit,
		      void *arg)
{
	size_t take = b->left < n ? (size_t)b->left : n;
	if (take)
		emit(arg, in, take);
	b->left -= take;
	*end = b->left == 0;
	return take;
}

/* ---- content checks ---- */

static const char received_name[] = "received:";

void smtp_content_init(struct smtp_content *c, uint64_t limit, smtp_emit_fn emit, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->limit = limit;
	c->in_header = 1;
	c->emit = emit;
	c->arg = arg;
}

void smtp_content_emit(void *arg, const uint8_t *p, size_t n)
{
	smtp_content_feed(arg, p, n);
}

/* Counts n octets against the limit. */
static void content_count(struct smtp_content *c, size_t n)
{
	if (c->limit && (n > c->limit || c->size > c->limit - n))
		c->flags |= SMTP_CONTENT_TOOBIG;
	c->size += n;
}

/* Passes p[0..n) on, unless the message is refused already. */
static void content_out(struct smtp_content *c, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	content_count(c, n);
	if (c->flags == 0)
		c->emit(c->arg, p, n);
}

void smtp_content_feed(struct smtp_content *c, const uint8_t *in, size_t n)
{
	size_t i = 0, run = 0;

	if (c->flags) {
		/* refused already: only the size still matters, so that a
		 * message both too big and broken is answered "too big" */
		content_count(c, n);
		return;
	}
	while (i < n) {
		const uint8_t *lf = memchr(in + i, '\n', n - i);
		size_t j = lf ? (size_t)(lf - in) : n, k;

		/* header names: "Received:" at the start of a header line */
		for (k = i; c->in_header && c->match >= 0 && k < j; k++) {
			if (lower(in[k]) != received_name[c->match]) {
				c->match = -1;
				break;
			}
			if (received_name[++c->match] == '\0') {
				c->match = -1;
				if (++c->received > SMTP_RECEIVED_MAX)
					c->flags |= SMTP_CONTENT_LOOP;
				break;
			}
		}
		if (lf == NULL) {
			c->linelen += (uint32_t)(j - i);
			c->last_cr = in[n - 1] == '\r';
			if (c->linelen > SMTP_TEXT_LINE_MAX)
				c->flags |= SMTP_CONTENT_LONGLINE;
			i = n;
			break;
		} else {
			int cr = j > i ? in[j - 1] == '\r' : c->last_cr;
			uint32_t line = c->linelen + (uint32_t)(j - i) + (cr ? 1 : 2);
			if (line > SMTP_TEXT_LINE_MAX)
				c->flags |= SMTP_CONTENT_LONGLINE;
			if (c->in_header && line == 2)
				c->in_header = 0; /* the empty line ending the header */
			if (!cr) {
				/* bare LF: pass the line on, then CR LF for it */
				content_out(c, in + run, j - run);
				content_out(c, (const uint8_t *)"\r\n", 2);
				run = j + 1;
			}
			c->linelen = 0;
			c->last_cr = 0;
			c->match = 0;
			i = j + 1;
		}
	}
	if (i > run)
		content_out(c, in + run, i - run);
}

const struct smtp_reply_text *smtp_content_error(const struct smtp_content *c)
{
	static const struct smtp_reply_text toobig = {552, "5.3.4",
						      "Message size exceeds fixed limit"};
	static const struct smtp_reply_text loop = {554, "5.4.6",
						    "Too many Received: headers: mail loop"};
	static const struct smtp_reply_text longline = {
	    554, "5.6.0", "Message has a line longer than 1000 octets (RFC 5321 4.5.3.1.6)"};
	if (c->flags & SMTP_CONTENT_TOOBIG)
		return &toobig;
	if (c->flags & SMTP_CONTENT_LOOP)
		return &loop;
	if (c->flags & SMTP_CONTENT_LONGLINE)
		return &longline;
	return NULL;
}

/* ---- Received: ---- */

/* Copies untrusted text that goes into a header: printable ASCII other
 * than the header's own delimiters; anything else becomes '?'. */
static size_t clean_copy(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = 0;
	for (; *s && n + 1 < cap && n < max; s++) {
		unsigned char c = (unsigned char)*s;
		out[n++] = c > 32 && c < 127 && !strchr("()\\;\"", c) ? (char)c : '?';
	}
	out[n] = '\0';
	return n;
}

size_t smtp_received(char *out, size_t cap, const char *helo, const char *client_ip,
		     const char *hostname, const char *proto, const char *id, const char *rcpt,
		     time_t now)
{
	char h[256], date[64], for_part[SMTP_ADDR_MAX + 16] = "";
	struct tm tm;
	int n;

	clean_copy(h, sizeof(h), helo && *helo ? helo : "unknown", 255);
	localtime_r(&now, &tm);
	if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		return 0;
	if (rcpt)
		snprintf(for_part, sizeof(for_part), "\r\n\tfor <%s>", rcpt);
	n = snprintf(out, cap,
		     "Received: from %s (%s%s%s)\r\n\tby %s (mxhost) with %s id %s%s;\r\n\t%s\r\n",
		     h, strchr(client_ip, ':') ? "[IPv6:" : "[", client_ip, "]", hostname, proto,
		     id, for_part, date);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
