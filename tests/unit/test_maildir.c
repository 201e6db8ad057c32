/* Unit tests for src/deliver/maildir.c: layout, unique names, content
 * (headers prepended, CRLF made LF), unsafe addresses, unwritable
 * mailboxes, a mail root below folders that may be searched, not read. */
#include "unit.h"

#include "qtest.h"

#include <errno.h>
#include <grp.h>
#include <sys/wait.h>

#include "core/log.h"
#include "deliver/maildir.h"

static const char content[] = "Subject: hi\r\nX-Bare: a\rb\r\n\r\nline 1\r\nline 2\r\n";

static void test_deliver(void **state)
{
	char *root = scratch_dir(), path[2048], err[256], full[4096], names[2][2048];
	struct maildir_msg m = {
	    .root = root,
	    .hostname = "mx1.example.test",
	    .qid = "65A1B2C3D4E5",
	    .sender = "a@example.org",
	    .rcpt = "b@example.test",
	    .content = (const uint8_t *)content,
	    .len = sizeof(content) - 1,
	};

	for (int i = 0; i < 2; i++) {
		assert_int_equal(maildir_deliver(&m, path, sizeof(path), err, sizeof(err)), 0);
		strcpy(names[i], path);
	}
	/* Two deliveries, two distinct names in new/, and tmp, cur exist. */
	assert_string_not_equal(names[0], names[1]);
	snprintf(full, sizeof(full), "%s/example.test/b", root);
	assert_int_equal(count_files(full, "new"), 2);
	assert_int_equal(count_files(full, "tmp"), 0);
	assert_int_equal(count_files(full, "cur"), 0);
	/* time.M<usec>P<pid>Q<n>_<qid>.<host>,S=<size> */
	assert_non_null(strstr(names[0], "example.test/b/new/"));
	assert_non_null(strstr(names[0], "_65A1B2C3D4E5.mx1.example.test,S="));
	snprintf(full, sizeof(full), "%s/%s", root, names[0]);
	size_t len = 0;
	char *got = slurp(full, &len);
	const char *want = "Return-Path: <a@example.org>\nDelivered-To: b@example.test\n"
			   "Subject: hi\nX-Bare: a\rb\n\nline 1\nline 2\n";
	assert_string_equal(got, want);
	/* The S= size is the file's. */
	char size[32];
	snprintf(size, sizeof(size), ",S=%zu", len);
	assert_non_null(strstr(names[0], size));
	free(got);
	rm_rf(root);
	free(root);
}

static void test_null_sender_and_host(void **state)
{
	char *root = scratch_dir(), path[2048], err[256], full[4096];
	struct maildir_msg m = {
	    .root = root,
	    .hostname = "odd/host:name",
	    .qid = "65A1B2C3D4E5",
	    .sender = "",
	    .rcpt = "b@example.test",
	    .content = (const uint8_t *)"x\r\n",
	    .len = 3,
	};
	assert_int_equal(maildir_deliver(&m, path, sizeof(path), err, sizeof(err)), 0);
	assert_non_null(strstr(path, "odd\\057host\\072name,S="));
	snprintf(full, sizeof(full), "%s/%s", root, path);
	char *got = slurp(full, NULL);
	assert_string_equal(got, "Return-Path: <>\nDelivered-To: b@example.test\nx\n");
	free(got);
	rm_rf(root);
	free(root);
}

static void test_unsafe_addresses(void **state)
{
	char out[256];
	const char *bad[] = {"noat",
			     "@example.test",
			     "b@",
			     "../x@example.test",
			     "b@..",
			     "b@.",
			     "a/b@example.test",
			     "b@exa/mple",
			     ".b@example.test",
			     "b@ex\nample",
			     "b\r@example.test"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(maildir_mailbox(bad[i], out, sizeof(out)), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(maildir_mailbox("first.last+tag@example.test", out, sizeof(out)), 0);
	assert_string_equal(out, "example.test/first.last+tag");
	assert_int_equal(maildir_mailbox("\"a@b\"@example.test", out, sizeof(out)), 0);
	assert_string_equal(out, "example.test/\"a@b\"");

	char *root = scratch_dir(), path[256], err[256];
	struct maildir_msg m = {.root = root,
				.hostname = "h",
				.qid = "65A1B2C3D4E5",
				.sender = "",
				.rcpt = "../../etc@x",
				.content = (const uint8_t *)"",
				.len = 0};
	assert_int_equal(maildir_deliver(&m, path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "cannot name a mailbox"));
	assert_int_equal(count_files(root, "."), 0);
	rm_rf(root);
	free(root);
}

/* A mailbox that cannot be written fails with a temporary error (here a
 * file where the folder should be: ENOTDIR, which holds even for root). */
static void test_unwritable(void **state)
{
	char *root = scratch_dir(), path[2048], err[512], p[4096];
	struct maildir_msg m = {.root = root,
				.hostname = "h",
				.qid = "65A1B2C3D4E5",
				.sender = "",
				.rcpt = "b@example.test",
				.content = (const uint8_t *)"x\r\n",
				.len = 3};

	snprintf(p, sizeof(p), "%s/example.test", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/example.test/b", root);
	assert_int_equal(spit(p, "not a folder", 12), 0);
	assert_int_equal(maildir_deliver(&m, path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err, "cannot open maildir"));
	/* Fixed, it works. */
	unlink(p);
	assert_int_equal(maildir_deliver(&m, path, sizeof(path), err, sizeof(err)), 0);
	rm_rf(root);
	free(root);
}

/* Delivers twice (a new mailbox, then the same one again) into root;
 * 0, or the errno of the first failure. */
static int deliver_twice(const char *root)
{
	char path[2048], err[512];
	struct maildir_msg m = {.root = root,
				.hostname = "h",
				.qid = "65A1B2C3D4E5",
				.sender = "",
				.rcpt = "b@example.test",
				.content = (const uint8_t *)"x\r\n",
				.len = 3};

	for (int i = 0; i < 2; i++)
		if (maildir_deliver(&m, path, sizeof(path), err, sizeof(err)) < 0)
			return errno ? errno : EIO;
	return 0;
}

/*
 * The mail root below a folder that its user may search but not read
 * (mode 0711, as home folders often are): the mailbox is opened by its
 * path, as open(2) would, not component by component from "/" (which
 * needs to read every folder on the way). As root, the delivery runs in
 * a child that became nobody, since root reads everything.
 */
static void test_search_only_parent(void **state)
{
	char *top = scratch_dir(), root[4096], p[8192];
	int rc;

	snprintf(root, sizeof(root), "%s/mail", top);
	assert_int_equal(mkdir(root, 0700), 0);
	if (geteuid() != 0) {
		assert_int_equal(chmod(top, 0311), 0); /* no read for its owner */
		rc = deliver_twice(root);
		chmod(top, 0700);
	} else {
		assert_int_equal(chmod(top, 0711), 0);
		assert_int_equal(chown(root, 65534, 65534), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
				_exit(100);
			_exit(deliver_twice(root));
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		rc = WEXITSTATUS(status);
	}
	if (rc != 0)
		fail_msg("delivery failed: %s", rc == 100 ? "cannot become nobody" : strerror(rc));
	snprintf(p, sizeof(p), "%s/example.test/b", root);
	assert_int_equal(count_files(p, "new"), 2);
	assert_int_equal(count_files(p, "cur"), 0);
	assert_int_equal(count_files(p, "tmp"), 0);
	rm_rf(top);
	free(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deliver),
	    cmocka_unit_test(test_null_sender_and_host),
	    cmocka_unit_test(test_unsafe_addresses),
	    cmocka_unit_test(test_unwritable),
	    cmocka_unit_test(test_search_only_parent),
	};
	log_init("test_maildir", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
