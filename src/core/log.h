/*
 * log: one line per event on stderr.
 *
 * log_warn appends strerror(errno); log_warnx does not. fatal is for the
 * environment (a file that cannot be opened at start-up) and exits;
 * panic is for a bug (a state that cannot happen) and aborts.
 */
#ifndef MXHOST_CORE_LOG_H
#define MXHOST_CORE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ident prefixes every line ("mxhost"); lines below level are dropped. */
void log_init(const char *ident, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
__attribute__((noreturn)) void fatal(const char *fmt, ...) LOG_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2);
__attribute__((noreturn)) void panic(const char *fmt, ...) LOG_PRINTF(1, 2);

void log_vwrite(enum log_level level, int with_errno, const char *fmt, va_list ap);

#endif
