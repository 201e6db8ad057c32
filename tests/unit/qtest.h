/* qtest: helpers shared by the queue's unit tests (spool, queue, maildir):
 * scratch folders, reading files back, running the event loop until a
 * condition holds. Included after unit.h. */
#ifndef MXHOST_TESTS_QTEST_H
#define MXHOST_TESTS_QTEST_H

#include <dirent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh folder under TMPDIR (or /tmp); free() the result after rm_rf. */
static inline char *scratch_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *p;
	if (asprintf(&p, "%s/mxhost-test-XXXXXX", t && *t ? t : "/tmp") < 0)
		return NULL;
	if (mkdtemp(p) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static inline void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Entries in dir/sub, not counting . and .. (-1 if it cannot be read). */
static inline int count_files(const char *dir, const char *sub)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), fd;
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY);
	close(dfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A whole file into a malloc'd buffer (NUL-terminated too). */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

static inline int spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Runs the loop until *flag reaches want, for at most 20 s. 0 on success. */
static inline int loop_until(struct event_base *base, const int *flag, int want)
{
	struct timeval tick = {0, 20000};
	for (int i = 0; i < 1000 && *flag < want; i++) {
		event_base_loopexit(base, &tick);
		event_base_loop(base, EVLOOP_ONCE);
	}
	return *flag >= want ? 0 : -1;
}

#endif
