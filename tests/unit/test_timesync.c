/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the time collector and the systemd unit-state reader
 * it shares (common/systemd.c), on tests/fixtures/time-*.
 */
#include <sys/stat.h>

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
#include "systemd.h"

extern const struct collector collector_time;

static char	root[1024];

/* Collects the time facts of one fixture case (--root mode). */
static json_t *
collect(const char *name)
{
	struct collector_ctx	 ctx;

	snprintf(root, sizeof root, "%s/%s/root", FIXTURES, name);
	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = 1795317600;	/* 2026-11-22T02:00:00Z */
	return (collector_time.collect(&ctx));
}

/* The element of arr named name; fails the test if absent. */
static json_t *
named(json_t *arr, const char *name)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    name) == 0)
			return (v);
	}
	fail_msg("no element %s", name);
	return (NULL);
}

static int
is_true(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	assert_non_null(v);
	return (json_is_true(v));
}

static void
test_chrony(void **state)
{
	json_t	*f = collect("time-chrony"), *c, *src;

	assert_int_equal(json_integer_value(json_object_get(f,
	    "enabled_count")), 1);
	assert_string_equal(json_string_value(json_object_get(f,
	    "enabled_service")), "chrony");
	c = named(json_object_get(f, "services"), "chrony");
	assert_true(is_true(c, "installed"));
	assert_true(is_true(c, "enabled"));
	assert_false(is_true(c, "masked"));
	/* The Debian pool plus two servers from sources.d/corp.sources. */
	assert_int_equal(json_integer_value(json_object_get(f,
	    "sources_count")), 3);
	src = named(json_object_get(c, "sources"), "2.debian.pool.ntp.org");
	assert_string_equal(json_string_value(json_object_get(src, "type")),
	    "pool");
	src = named(json_object_get(c, "sources"), "ntp2.example.org");
	assert_string_equal(json_string_value(json_object_get(src, "file")),
	    "/etc/chrony/sources.d/corp.sources");
	/* Under --root the clock is never measured. */
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(f, "clock"), "_na")),
	    "clock offset is measurable only on the live host");
	assert_false(is_true(named(json_object_get(f, "services"),
	    "systemd-timesyncd"), "installed"));
	json_decref(f);
}

static void
test_masked_is_not_enabled(void **state)
{
	json_t	*f = collect("time-none"), *t;

	assert_int_equal(json_integer_value(json_object_get(f,
	    "enabled_count")), 0);
	assert_true(json_is_null(json_object_get(f, "enabled_service")));
	t = named(json_object_get(f, "services"), "systemd-timesyncd");
	assert_true(is_true(t, "installed"));
	assert_true(is_true(t, "masked"));
	/* The sysinit.target.wants link is still there, but masked wins. */
	assert_false(is_true(t, "enabled"));
	json_decref(f);
}

static void
test_timesyncd_dropin(void **state)
{
	json_t	*f = collect("time-timesyncd"), *t;

	assert_int_equal(json_integer_value(json_object_get(f,
	    "enabled_count")), 1);
	t = named(json_object_get(f, "services"), "systemd-timesyncd");
	assert_true(is_true(t, "enabled"));
	assert_false(is_true(t, "builtin_fallback"));
	assert_int_equal(json_array_size(json_object_get(t, "sources")), 2);
	named(json_object_get(t, "sources"), "ntp1.example.org");
	named(json_object_get(f, "sources"), "ntp2.example.org");
	json_decref(f);

	/* time-none has no NTP=: timesyncd's compiled-in list is used. */
	f = collect("time-none");
	t = named(json_object_get(f, "services"), "systemd-timesyncd");
	assert_true(is_true(t, "builtin_fallback"));
	json_decref(f);
}

static void
test_conflict(void **state)
{
	json_t	*f = collect("time-conflict");

	assert_int_equal(json_integer_value(json_object_get(f,
	    "enabled_count")), 2);
	assert_true(is_true(named(json_object_get(f, "services"), "ntpsec"),
	    "enabled"));
	/* ntpsec's Alias=ntp.service link does not make "ntp" installed. */
	assert_false(is_true(named(json_object_get(f, "services"), "ntp"),
	    "installed"));
	assert_false(is_true(named(json_object_get(f, "services"), "ntp"),
	    "enabled"));
	assert_int_equal(json_integer_value(json_object_get(f,
	    "sources_count")), 5);
	json_decref(f);
}

static void
test_live_clock(void **state)
{
	struct collector_ctx	 ctx;
	json_t			*f, *c;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = "";
	ctx.live = 1;
	ctx.now = time(NULL);
	f = collector_time.collect(&ctx);
	c = json_object_get(f, "clock");
	assert_null(json_object_get(c, "_na"));
	assert_null(json_object_get(c, "_error"));
	assert_true(json_is_boolean(json_object_get(c, "synchronised")));
	assert_true(json_is_real(json_object_get(c, "offset_abs_s")));
	assert_true(json_real_value(json_object_get(c, "offset_abs_s")) >= 0);
	json_decref(f);
}

static void
test_systemd_alias(void **state)
{
	static const char *const aliases[] = { "chronyd.service", NULL };
	static const char *const real[] = { "chrony.service", NULL };
	struct unit_state	 st;
	char			*cause = NULL;

	snprintf(root, sizeof root, "%s/time-chrony/root", FIXTURES);
	/* Asked by the alias alone, nothing links to that name. */
	assert_int_equal(systemd_unit_state(root, "chronyd.service", NULL,
	    &st, &cause), 0);
	assert_false(st.enabled);
	assert_false(st.installed);	/* /etc alias links are not files */
	systemd_unit_clear(&st);
	/* With the real name as an alias, both are found. */
	assert_int_equal(systemd_unit_state(root, "chronyd.service", real,
	    &st, &cause), 0);
	assert_true(st.enabled);
	assert_true(st.installed);
	systemd_unit_clear(&st);
	assert_int_equal(systemd_unit_state(root, "chrony.service", aliases,
	    &st, &cause), 0);
	assert_true(st.installed);
	assert_string_equal(st.file, "/lib/systemd/system/chrony.service");
	assert_string_equal(st.link,
	    "/etc/systemd/system/multi-user.target.wants/chrony.service");
	systemd_unit_clear(&st);
	assert_int_equal(systemd_unit_state("/nonexistent", "chrony.service",
	    aliases, &st, &cause), 0);
	assert_false(st.installed || st.enabled || st.masked);
	systemd_unit_clear(&st);
}

static void
test_unreadable_unit_dir(void **state)
{
	struct collector_ctx	 ctx;
	char			 tmp[] = "/tmp/test_timesync.XXXXXX", path[1200];
	json_t			*f, *c;
	FILE			*fp;

	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof path, "%s/etc", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/etc/systemd", tmp);
	mkdir(path, 0755);
	/* /etc/systemd/system exists but is not a directory. */
	snprintf(path, sizeof path, "%s/etc/systemd/system", tmp);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	memset(&ctx, 0, sizeof ctx);
	ctx.root = tmp;
	f = collector_time.collect(&ctx);
	c = named(json_object_get(f, "services"), "chrony");
	assert_non_null(json_object_get(c, "_error"));
	assert_non_null(strstr(json_string_value(json_object_get(c,
	    "_error")), "/etc/systemd/system"));
	json_decref(f);
	unlink(path);
	snprintf(path, sizeof path, "%s/etc/systemd", tmp);
	rmdir(path);
	snprintf(path, sizeof path, "%s/etc", tmp);
	rmdir(path);
	rmdir(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrony),
		cmocka_unit_test(test_masked_is_not_enabled),
		cmocka_unit_test(test_timesyncd_dropin),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_live_clock),
		cmocka_unit_test(test_systemd_alias),
		cmocka_unit_test(test_unreadable_unit_dir),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
