/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Tests for the backup collector.  Git does not keep modification
 * times, so each test builds its tree in a temporary directory and sets
 * the times relative to the run's clock.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector.h"

extern const struct collector collector_backup;

#define NOW	1795312800	/* 2026-11-22T02:00:00Z */
#define HOUR	3600

static char	tmp[64];

static int
setup(void **state)
{
	strlcpy(tmp, "/tmp/test_backup.XXXXXX", sizeof tmp);
	return (mkdtemp(tmp) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	return (system(cmd) == 0 ? 0 : -1);
}

/* Runs a shell command, which must succeed. */
static void __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* Creates file rel under the root with mtime NOW - age. */
static void
mkfile(const char *rel, time_t age)
{
	struct timeval	tv[2];
	char		path[512];

	sh("mkdir -p \"$(dirname %s/%s)\" && echo x > %s/%s", tmp, rel, tmp,
	    rel);
	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	tv[0].tv_sec = tv[1].tv_sec = NOW - age;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(path, tv), 0);
}

static json_t *
run(struct backup_target *t, size_t n)
{
	struct collector_ctx	ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = tmp;
	ctx.now = NOW;
	ctx.backup_targets = t;
	ctx.nbackup_targets = n;
	return (collector_backup.collect(&ctx));
}

static json_t *
target(json_t *f, size_t i)
{
	return (json_array_get(json_object_get(f, "targets"), i));
}

static int64_t
ival(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	assert_true(json_is_integer(v));
	return (json_integer_value(v));
}

static void
test_recent_directory(void **state)
{
	struct backup_target	 t = { "home", "/var/backups/home", 26 * HOUR,
	    "agent.yaml:4" };
	json_t			*f, *o;

	mkfile("var/backups/home/2026-11-20/deep/home.tar", 30 * HOUR);
	mkfile("var/backups/home/2026-11-21/home.tar", 2 * HOUR);
	mkfile("var/backups/home/old.tar", 100 * HOUR);
	sh("ln -s /etc/passwd %s/var/backups/home/link", tmp);
	f = run(&t, 1);
	assert_true(json_is_true(json_object_get(f, "configured")));
	o = target(f, 0);
	assert_null(json_object_get(o, "_error"));
	assert_string_equal(json_string_value(json_object_get(o, "name")),
	    "home");
	assert_true(json_is_true(json_object_get(o, "exists")));
	assert_int_equal(ival(o, "age_s"), 2 * HOUR);
	assert_int_equal(ival(o, "newest_at"), NOW - 2 * HOUR);
	assert_int_equal(ival(o, "max_age_s"), 26 * HOUR);
	/* the symlink is neither followed nor counted */
	assert_int_equal(ival(o, "files_scanned"), 3);
	assert_true(json_is_false(json_object_get(o, "truncated")));
	assert_string_equal(json_string_value(json_object_get(o,
	    "newest_file")), "/var/backups/home/2026-11-21/home.tar");
	assert_string_equal(json_string_value(json_object_get(o, "where")),
	    "agent.yaml:4");
	json_decref(f);
}

static void
test_stale_file(void **state)
{
	struct backup_target	 t = { "etc", "/var/backups/etc.ok", 48 * HOUR,
	    NULL };
	json_t			*f, *o;

	mkfile("var/backups/etc.ok", 12 * 24 * HOUR);
	f = run(&t, 1);
	o = target(f, 0);
	assert_int_equal(ival(o, "age_s"), 12 * 24 * HOUR);
	assert_int_equal(ival(o, "files_scanned"), 1);
	assert_string_equal(json_string_value(json_object_get(o, "kind")),
	    "file");
	json_decref(f);
}

/* A symlink to a newer file outside the tree must not make it look fresh. */
static void
test_symlink_not_followed(void **state)
{
	struct backup_target	 t = { "home", "/b", 26 * HOUR, NULL };
	json_t			*f, *o;

	mkfile("b/old.tar", 50 * HOUR);
	mkfile("elsewhere/new/fresh.tar", 1 * HOUR);
	sh("ln -s ../elsewhere/new %s/b/newdir && ln -s ../elsewhere/new/fresh.tar %s/b/fresh.tar",
	    tmp, tmp);
	f = run(&t, 1);
	o = target(f, 0);
	assert_int_equal(ival(o, "age_s"), 50 * HOUR);
	assert_int_equal(ival(o, "files_scanned"), 1);
	json_decref(f);
}

static void
test_missing_and_empty(void **state)
{
	struct backup_target	 t[2] = {
		{ "home", "/var/backups/home", 26 * HOUR, NULL },
		{ "db", "/srv/db-dumps", 26 * HOUR, NULL },
	};
	json_t			*f, *o;

	sh("mkdir -p %s/srv/db-dumps/empty", tmp);
	f = run(t, 2);
	o = target(f, 0);
	assert_true(json_is_false(json_object_get(o, "exists")));
	assert_null(json_object_get(o, "age_s"));
	assert_null(json_object_get(o, "_error"));
	o = target(f, 1);
	assert_true(json_is_true(json_object_get(o, "exists")));
	assert_int_equal(ival(o, "files_scanned"), 0);
	assert_null(json_object_get(o, "age_s"));
	json_decref(f);
}

static void
test_none_configured(void **state)
{
	json_t	*f;

	f = run(NULL, 0);
	assert_true(json_is_false(json_object_get(f, "configured")));
	assert_int_equal(json_array_size(json_object_get(f, "targets")), 0);
	json_decref(f);
}

/* Depth bound: a tree deeper than 32 levels is reported truncated. */
static void
test_depth_truncated(void **state)
{
	struct backup_target	 t = { "deep", "/d", 26 * HOUR, NULL };
	char			 rel[512] = "d";
	json_t			*f, *o;
	int			 i;

	mkfile("d/top.tar", 40 * HOUR);
	for (i = 0; i < 40; i++)
		strlcat(rel, "/x", sizeof rel);
	strlcat(rel, "/bottom.tar", sizeof rel);
	mkfile(rel, 1 * HOUR);
	f = run(&t, 1);
	o = target(f, 0);
	assert_true(json_is_true(json_object_get(o, "truncated")));
	/* the file below the bound is not seen: the backup looks older */
	assert_int_equal(ival(o, "age_s"), 40 * HOUR);
	json_decref(f);
}

/* Files modified after the run's clock do not count as the newest. */
static void
test_future_ignored(void **state)
{
	struct backup_target	 t = { "home", "/h", 26 * HOUR, NULL };
	json_t			*f, *o;

	mkfile("h/old.tar", 30 * HOUR);
	mkfile("h/future.tar", -5 * HOUR);
	f = run(&t, 1);
	o = target(f, 0);
	assert_int_equal(ival(o, "age_s"), 30 * HOUR);
	assert_int_equal(ival(o, "future_files"), 1);
	assert_int_equal(ival(o, "files_scanned"), 2);
	json_decref(f);
}

/* An unreadable target is an error on that target only. */
static void
test_not_file_or_dir(void **state)
{
	struct backup_target	 t[2] = {
		{ "fifo", "/p", 26 * HOUR, NULL },
		{ "ok", "/ok", 26 * HOUR, NULL },
	};
	json_t			*f;

	sh("mkfifo %s/p", tmp);
	mkfile("ok", HOUR);
	f = run(t, 2);
	assert_non_null(json_object_get(target(f, 0), "_error"));
	assert_null(json_object_get(target(f, 1), "_error"));
	assert_int_equal(ival(target(f, 1), "age_s"), HOUR);
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recent_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_followed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_none_configured, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_depth_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_future_ignored, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_file_or_dir, setup,
		    teardown),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
