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
#include "unit.h"

extern const struct collector collector_time;

static char	root[1024];

/* Collects the time facts of one fixture case (--root mode). */
static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_time, name, UNIT_NOW));
}

/* The element of arr named name; fails the test if absent. */
static json_t *
named(json_t *arr, const char *name)
{
	json_t	*v;

	if ((v = unit_named(arr, name)) == NULL)
		fail_msg("no element %s", name);
	return (v);
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
	assert_true(unit_bool(c, "installed"));
	assert_true(unit_bool(c, "enabled"));
	assert_false(unit_bool(c, "masked"));
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
	assert_false(unit_bool(named(json_object_get(f, "services"),
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
	assert_true(unit_bool(t, "installed"));
	assert_true(unit_bool(t, "masked"));
	/* The sysinit.target.wants link is still there, but masked wins. */
	assert_false(unit_bool(t, "enabled"));
	json_decref(f);
}

static void
test_timesyncd_dropin(void **state)
{
	json_t	*f = collect("time-timesyncd"), *t;

	assert_int_equal(json_integer_value(json_object_get(f,
	    "enabled_count")), 1);
	t = named(json_object_get(f, "services"), "systemd-timesyncd");
	assert_true(unit_bool(t, "enabled"));
	assert_false(unit_bool(t, "builtin_fallback"));
	assert_int_equal(json_array_size(json_object_get(t, "sources")), 2);
	named(json_object_get(t, "sources"), "ntp1.example.org");
	named(json_object_get(f, "sources"), "ntp2.example.org");
	json_decref(f);

	/* time-none has no NTP=: timesyncd's compiled-in list is used. */
	f = collect("time-none");
	t = named(json_object_get(f, "services"), "systemd-timesyncd");
	assert_true(unit_bool(t, "builtin_fallback"));
	json_decref(f);
}

static void
test_conflict(void **state)
{
	json_t	*f = collect("time-conflict");

	assert_int_equal(json_integer_value(json_object_get(f,
	    "enabled_count")), 2);
	assert_true(unit_bool(named(json_object_get(f, "services"), "ntpsec"),
	    "enabled"));
	/* ntpsec's Alias=ntp.service link does not make "ntp" installed. */
	assert_false(unit_bool(named(json_object_get(f, "services"), "ntp"),
	    "installed"));
	assert_false(unit_bool(named(json_object_get(f, "services"), "ntp"),
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
	char	*tmp = unit_tmpdir("test_timesync");
	json_t	*f, *c;

	/* /etc/systemd/system exists but is not a directory. */
	unit_put(tmp, "/etc/systemd/system", "");
	f = unit_collect_root(&collector_time, tmp, UNIT_NOW);
	c = named(json_object_get(f, "services"), "chrony");
	assert_non_null(json_object_get(c, "_error"));
	assert_non_null(strstr(json_string_value(json_object_get(c,
	    "_error")), "/etc/systemd/system"));
	json_decref(f);
	unit_rmtree(tmp);
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
