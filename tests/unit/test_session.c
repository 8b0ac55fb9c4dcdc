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

extern const struct collector collector_session;

static char	tmproot[64];

static json_t *
collect_root(const char *root)
{
	struct collector_ctx	 ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = 1795317600;	/* 2026-11-22T02:00:00Z */
	return (collector_session.collect(&ctx));
}

static json_t *
collect(const char *name)
{
	char	root[1024];

	snprintf(root, sizeof root, "%s/%s/root", FIXTURES, name);
	return (collect_root(root));
}

static int64_t
num(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return (json_integer_value(v));
}

static int
flag(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	if (!json_is_boolean(v))
		fail_msg("%s is not a boolean", key);
	return (json_is_true(v));
}

/* Writes a file under the temporary root, creating directories. */
static void
put(const char *path, const char *text)
{
	char	 full[1024], *p;
	FILE	*f;

	snprintf(full, sizeof full, "%s%s", tmproot, path);
	for (p = full + strlen(tmproot) + 1; (p = strchr(p, '/')) != NULL;
	    p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	if ((f = fopen(full, "w")) == NULL)
		fail_msg("fopen %s", full);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	snprintf(tmproot, sizeof tmproot, "/tmp/test_session.XXXXXX");
	return (mkdtemp(tmproot) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	char	cmd[1100];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
	return (system(cmd) == 0 ? 0 : -1);
}

static void
test_tmout_fixture(void **state)
{
	json_t	*f, *t, *s;

	f = collect("session-tmout");
	t = json_object_get(f, "tmout");
	assert_null(json_object_get(t, "_error"));
	/* The later "TMOUT=0" fails at run time: TMOUT is readonly. */
	assert_int_equal(num(t, "value_s"), 600);
	assert_true(flag(t, "readonly"));
	assert_true(flag(t, "exported"));
	assert_string_equal(json_string_value(json_object_get(t, "source")),
	    "/etc/profile.d/tmout.sh:2");
	assert_int_equal(json_array_size(json_object_get(t, "settings")), 4);
	s = json_object_get(f, "ssh");
	assert_false(flag(s, "installed"));
	assert_int_equal(num(s, "idle_cutoff_s"), 0);
	json_decref(f);
}

static void
test_none_fixture(void **state)
{
	json_t	*f, *t, *s;

	f = collect("session-none");
	t = json_object_get(f, "tmout");
	assert_false(flag(t, "set"));
	assert_false(flag(t, "readonly"));
	assert_int_equal(num(t, "value_s"), 0);
	s = json_object_get(f, "ssh");
	assert_true(flag(s, "installed"));
	assert_int_equal(num(s, "client_alive_interval_s"), 0);
	assert_int_equal(num(s, "client_alive_count_max"), 3);
	assert_int_equal(num(s, "idle_cutoff_s"), 0);
	json_decref(f);
}

static void
test_ssh_cutoff(void **state)
{
	json_t	*f, *s;

	/* ClientAliveInterval 5m x ClientAliveCountMax 3 from a drop-in. */
	f = collect("sshd-dropin-override");
	s = json_object_get(f, "ssh");
	assert_int_equal(num(s, "client_alive_interval_s"), 300);
	assert_int_equal(num(s, "idle_cutoff_s"), 900);
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

	put("/etc/profile", "if [ -n \"$BASH\" ]; then declare -rx "
	    "TMOUT=\"300\"; fi\n");
	f = collect_root(tmproot);
	t = json_object_get(f, "tmout");
	assert_int_equal(num(t, "value_s"), 300);
	assert_true(flag(t, "readonly"));
	assert_true(flag(t, "exported"));
	json_decref(f);

	put("/etc/profile", "# TMOUT=60\n");
	put("/etc/bash.bashrc", "typeset -r TMOUT='900'\n");
	f = collect_root(tmproot);
	t = json_object_get(f, "tmout");
	assert_int_equal(num(t, "value_s"), 900);
	assert_true(flag(t, "readonly"));
	assert_false(flag(t, "exported"));
	assert_int_equal(json_array_size(json_object_get(t, "settings")), 1);
	json_decref(f);

	/* Not readonly: the last assignment wins; unset clears it. */
	put("/etc/bash.bashrc", "TMOUT=900 ; export TMOUT\n");
	put("/etc/profile.d/a.sh", "TMOUT=1200\n");
	put("/etc/profile.d/b.txt", "readonly TMOUT=1\n");
	f = collect_root(tmproot);
	t = json_object_get(f, "tmout");
	assert_int_equal(num(t, "value_s"), 1200);
	assert_false(flag(t, "readonly"));
	json_decref(f);

	put("/etc/profile.d/c.sh", "unset TMOUT\n");
	f = collect_root(tmproot);
	t = json_object_get(f, "tmout");
	assert_false(flag(t, "set"));
	assert_int_equal(num(t, "value_s"), 0);
	json_decref(f);

	/* TMOUT=5 cmd only sets it for cmd. */
	put("/etc/profile.d/c.sh", "TMOUT=5 true\n");
	f = collect_root(tmproot);
	assert_int_equal(num(json_object_get(f, "tmout"), "value_s"), 1200);
	json_decref(f);
}

static void
test_not_a_number(void **state)
{
	json_t		*f;
	const char	*e;

	put("/etc/profile.d/tmout.sh", "readonly TMOUT=$IDLE\n");
	f = collect_root(tmproot);
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
		cmocka_unit_test_setup_teardown(test_shell_forms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_number, setup,
		    teardown),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
