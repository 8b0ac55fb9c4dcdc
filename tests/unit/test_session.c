/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the session idle-timeout collector, on the
 * tests/fixtures/session-* and sshd-* trees and on small trees written
 * to a temporary directory.
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
#include "unit.h"

extern const struct collector collector_session;

static json_t *
collect_root(const char *root)
{
	return (unit_collect_root(&collector_session, root, UNIT_NOW));
}

static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_session, name, UNIT_NOW));
}

static void
test_tmout_fixture(void **state)
{
	json_t	*f, *t, *s;

	f = collect("session-tmout");
	t = json_object_get(f, "tmout");
	assert_null(json_object_get(t, "_error"));
	/* The later "TMOUT=0" fails at run time: TMOUT is readonly. */
	assert_int_equal(unit_int(t, "value_s"), 600);
	assert_true(unit_bool(t, "readonly"));
	assert_true(unit_bool(t, "exported"));
	assert_string_equal(json_string_value(json_object_get(t, "source")),
	    "/etc/profile.d/tmout.sh:2");
	assert_int_equal(json_array_size(json_object_get(t, "settings")), 4);
	s = json_object_get(f, "ssh");
	assert_false(unit_bool(s, "installed"));
	assert_int_equal(unit_int(s, "idle_cutoff_s"), 0);
	json_decref(f);
}

static void
test_none_fixture(void **state)
{
	json_t	*f, *t, *s;

	f = collect("session-none");
	t = json_object_get(f, "tmout");
	assert_false(unit_bool(t, "set"));
	assert_false(unit_bool(t, "readonly"));
	assert_int_equal(unit_int(t, "value_s"), 0);
	s = json_object_get(f, "ssh");
	assert_true(unit_bool(s, "installed"));
	assert_int_equal(unit_int(s, "client_alive_interval_s"), 0);
	assert_int_equal(unit_int(s, "client_alive_count_max"), 3);
	assert_int_equal(unit_int(s, "idle_cutoff_s"), 0);
	json_decref(f);
}

static void
test_ssh_cutoff(void **state)
{
	json_t	*f, *s;

	/* ClientAliveInterval 5m x ClientAliveCountMax 3 from a drop-in. */
	f = collect("sshd-dropin-override");
	s = json_object_get(f, "ssh");
	assert_int_equal(unit_int(s, "client_alive_interval_s"), 300);
	assert_int_equal(unit_int(s, "idle_cutoff_s"), 900);
	assert_string_equal(json_string_value(json_object_get(s,
	    "client_alive_interval_source")),
	    "/etc/ssh/sshd_config.d/20-idle.conf:1");
	json_decref(f);

	f = collect("sshd-include-loop");
	s = json_object_get(f, "ssh");
	assert_non_null(json_object_get(s, "_error"));
	json_decref(f);
}

static void
test_shell_forms(void **state)
{
	json_t	*f, *t;

	unit_put(unit_tmproot, "/etc/profile",
	    "if [ -n \"$BASH\" ]; then declare -rx "
	    "TMOUT=\"300\"; fi\n");
	f = collect_root(unit_tmproot);
	t = json_object_get(f, "tmout");
	assert_int_equal(unit_int(t, "value_s"), 300);
	assert_true(unit_bool(t, "readonly"));
	assert_true(unit_bool(t, "exported"));
	json_decref(f);

	unit_put(unit_tmproot, "/etc/profile", "# TMOUT=60\n");
	unit_put(unit_tmproot, "/etc/bash.bashrc", "typeset -r TMOUT='900'\n");
	f = collect_root(unit_tmproot);
	t = json_object_get(f, "tmout");
	assert_int_equal(unit_int(t, "value_s"), 900);
	assert_true(unit_bool(t, "readonly"));
	assert_false(unit_bool(t, "exported"));
	assert_int_equal(json_array_size(json_object_get(t, "settings")), 1);
	json_decref(f);

	/* Not readonly: the last assignment wins; unset clears it. */
	unit_put(unit_tmproot, "/etc/bash.bashrc",
	    "TMOUT=900 ; export TMOUT\n");
	unit_put(unit_tmproot, "/etc/profile.d/a.sh", "TMOUT=1200\n");
	unit_put(unit_tmproot, "/etc/profile.d/b.txt", "readonly TMOUT=1\n");
	f = collect_root(unit_tmproot);
	t = json_object_get(f, "tmout");
	assert_int_equal(unit_int(t, "value_s"), 1200);
	assert_false(unit_bool(t, "readonly"));
	json_decref(f);

	unit_put(unit_tmproot, "/etc/profile.d/c.sh", "unset TMOUT\n");
	f = collect_root(unit_tmproot);
	t = json_object_get(f, "tmout");
	assert_false(unit_bool(t, "set"));
	assert_int_equal(unit_int(t, "value_s"), 0);
	json_decref(f);

	/* TMOUT=5 cmd only sets it for cmd. */
	unit_put(unit_tmproot, "/etc/profile.d/c.sh", "TMOUT=5 true\n");
	f = collect_root(unit_tmproot);
	assert_int_equal(unit_int(f, "tmout.value_s"), 1200);
	json_decref(f);
}

static void
test_not_a_number(void **state)
{
	json_t		*f;
	const char	*e;

	unit_put(unit_tmproot, "/etc/profile.d/tmout.sh",
	    "readonly TMOUT=$IDLE\n");
	f = collect_root(unit_tmproot);
	e = json_string_value(json_object_get(json_object_get(f, "tmout"),
	    "_error"));
	assert_non_null(e);
	assert_non_null(strstr(e, "/etc/profile.d/tmout.sh:1"));
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmout_fixture),
		cmocka_unit_test(test_none_fixture),
		cmocka_unit_test(test_ssh_cutoff),
		cmocka_unit_test_setup_teardown(test_shell_forms,
		    unit_setup_tmproot, unit_teardown_tmproot),
		cmocka_unit_test_setup_teardown(test_not_a_number,
		    unit_setup_tmproot, unit_teardown_tmproot),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
