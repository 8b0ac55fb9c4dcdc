/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The sudo collector on the sudo-* fixture trees, and on sudoers texts
 * written here for the parsing corner cases.
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

#include <jansson.h>

#include "collector.h"
#include "unit.h"

extern const struct collector collector_sudo;

static json_t *
collect_root(const char *root)
{
	return (unit_collect_root(&collector_sudo, root, UNIT_NOW));
}

static json_t *
collect_fixture(const char *name)
{
	return (unit_collect(&collector_sudo, name, UNIT_NOW));
}

/* A root whose /etc/sudoers is text, with an empty sudoers.d. */
static char *
tmp_root(const char *text)
{
	char	*root = unit_tmpdir("test_sudo"), dir[1024];

	unit_put(root, "/etc/sudoers", text);
	snprintf(dir, sizeof dir, "%s/etc/sudoers.d", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	return (root);
}

/* The rule named WHERE ("file:line"), or NULL. */
static json_t *
rule(json_t *facts, const char *where)
{
	return (unit_named(json_object_get(facts, "rules"), where));
}

/* Whether the JSON array of strings holds s. */
static int
has(json_t *arr, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return (1);
	}
	return (0);
}

static void
test_default(void **state)
{
	json_t	*f = collect_fixture("sudo-default"), *r;

	assert_null(json_object_get(f, "_error"));
	assert_null(json_object_get(f, "_na"));
	assert_int_equal(json_array_size(json_object_get(f, "rules")), 2);
	assert_non_null(r = rule(f, "/etc/sudoers:50"));
	assert_true(has(json_object_get(r, "users"), "%sudo"));
	assert_true(has(json_object_get(r, "runas"), "ALL:ALL"));
	assert_true(unit_bool(r, "all_commands"));
	assert_false(unit_bool(r, "nopasswd"));
	assert_false(unit_bool(r, "nopasswd_all"));
	assert_true(unit_bool(rule(f, "/etc/sudoers:47"), "root_only"));
	assert_true(unit_bool(json_object_get(f, "settings"), "use_pty"));
	assert_true(unit_bool(json_object_get(f, "settings"), "authenticate"));
	assert_true(unit_bool(json_object_get(f, "settings"), "logged"));
	assert_true(has(json_object_get(f, "files"), "/etc/sudoers.d/README"));
	json_decref(f);
}

static void
test_nopasswd_dropin(void **state)
{
	json_t	*f = collect_fixture("sudo-nopasswd-dropin"), *r;

	r = rule(f, "/etc/sudoers.d/90-cloud-init-users:5");
	assert_non_null(r);
	assert_true(unit_bool(r, "nopasswd"));
	assert_true(unit_bool(r, "all_commands"));
	assert_true(unit_bool(r, "nopasswd_all"));
	assert_false(unit_bool(r, "root_only"));
	json_decref(f);
}

static void
test_alias(void **state)
{
	json_t	*f = collect_fixture("sudo-alias"), *r, *ops;

	ops = json_object_get(json_object_get(json_object_get(f, "aliases"),
	    "user"), "OPS");
	assert_int_equal(json_array_size(ops), 3);
	/* "#1005" is a uid, not a comment; "# the on-call..." is one. */
	assert_true(has(ops, "#1005"));
	assert_non_null(r = rule(f, "/etc/sudoers.d/ops:6"));
	assert_true(has(json_object_get(r, "users_expanded"), "bob"));
	assert_true(unit_bool(r, "all_commands"));
	assert_true(unit_bool(r, "nopasswd_all"));
	json_decref(f);
}

static void
test_skipped_files(void **state)
{
	json_t	*f = collect_fixture("sudo-skipped-files"), *r;
	size_t	 i;

	assert_int_equal(json_array_size(json_object_get(f, "skipped")), 3);
	assert_true(has(json_object_get(f, "skipped"),
	    "/etc/sudoers.d/90-admin~"));
	assert_true(has(json_object_get(f, "skipped"),
	    "/etc/sudoers.d/90-admin.dpkg-old"));
	json_array_foreach(json_object_get(f, "rules"), i, r)
		assert_false(unit_bool(r, "nopasswd"));
	json_decref(f);
}

static void
test_noauth(void **state)
{
	json_t	*f = collect_fixture("sudo-noauth"), *r, *d;

	assert_non_null(r = rule(f, "/etc/sudoers.d/50-deploy:2"));
	assert_true(unit_bool(r, "nopasswd_all"));
	/* Defaults:deploy does not reach %sudo. */
	assert_false(unit_bool(rule(f, "/etc/sudoers:50"), "nopasswd"));
	assert_true(unit_bool(json_object_get(f, "settings"), "authenticate"));
	d = json_array_get(json_object_get(f, "defaults"), 4);
	assert_string_equal(json_string_value(json_object_get(d, "setting")),
	    "!authenticate");
	assert_string_equal(json_string_value(json_object_get(d,
	    "binding_type")), ":");
	json_decref(f);
}

static void
test_unreadable_and_missing(void **state)
{
	json_t	*f;

	f = collect_fixture("sudo-unreadable");
	assert_string_equal(json_string_value(json_object_get(f, "_error")),
	    "open /etc/sudoers.d/50-broken: No such file or directory");
	json_decref(f);
	f = collect_fixture("sudo-not-installed");
	assert_non_null(json_object_get(f, "_na"));
	json_decref(f);
}

/* Tags carry on, PASSWD: resets, shells count as everything. */
static void
test_tags_and_shells(void **state)
{
	char	*root;
	json_t	*f, *r;

	root = tmp_root(
	    "ops ALL = (root) NOPASSWD: /usr/bin/apt, PASSWD: ALL\n"
	    "dev ALL = NOPASSWD: /usr/bin/systemctl, /bin/bash\n"
	    "root ALL = (ALL) NOPASSWD: ALL\n"
	    "web ALL = (www-data) NOPASSWD: /usr/bin/php\\: x\n"
	    "ci host1, host2 = (ALL) /usr/bin/make : host3 = NOPASSWD: ALL\n"
	    "Cmnd_Alias CHK = sha256:0GomF8mNN3wlDt1HD9XldjJ3SNgpFdbjO1 /bin/ls\n"
	    "lint ALL = CHK, !ALL\n");
	f = collect_root(root);
	r = rule(f, "/etc/sudoers:1");
	assert_true(unit_bool(r, "nopasswd"));
	assert_true(unit_bool(r, "all_commands"));
	assert_false(unit_bool(r, "nopasswd_all"));
	r = rule(f, "/etc/sudoers:2");
	assert_true(unit_bool(r, "grants_shell"));
	assert_true(unit_bool(r, "nopasswd_all"));
	r = rule(f, "/etc/sudoers:3");
	assert_true(unit_bool(r, "nopasswd_all"));
	assert_true(unit_bool(r, "root_only"));
	r = rule(f, "/etc/sudoers:4");
	assert_false(unit_bool(r, "all_commands"));
	assert_int_equal(json_array_size(json_object_get(r, "commands")), 1);
	r = rule(f, "/etc/sudoers:5");
	assert_true(has(json_object_get(r, "hosts"), "host3"));
	assert_true(unit_bool(r, "nopasswd_all"));
	r = rule(f, "/etc/sudoers:7");
	assert_false(unit_bool(r, "all_commands"));
	json_decref(f);
	unit_rmtree(root);
}

/* Continuations, #include relative paths, Defaults settings. */
static void
test_include_and_defaults(void **state)
{
	char	*root;
	json_t	*f, *s;

	root = tmp_root(
	    "Defaults\tlogfile=\"/var/log/sudo.log\", !syslog, \\\n"
	    "\ttimestamp_timeout=2.5\n"
	    "#include extra\n"
	    "#includedir /etc/sudoers.d\n");
	unit_put(root, "/etc/extra", "Defaults !authenticate\n"
	    "alice ALL = ALL # NOPASSWD: ALL in a comment\n");
	unit_put(root, "/etc/sudoers.d/zz", "Defaults authenticate\n");
	f = collect_root(root);
	assert_true(has(json_object_get(f, "files"), "/etc/extra"));
	assert_true(has(json_object_get(f, "files"), "/etc/sudoers.d/zz"));
	s = json_object_get(f, "settings");
	assert_string_equal(json_string_value(json_object_get(s, "logfile")),
	    "/var/log/sudo.log");
	assert_false(unit_bool(s, "syslog"));
	assert_true(unit_bool(s, "logged"));
	assert_int_equal(json_integer_value(json_object_get(s,
	    "timestamp_timeout_s")), 150);
	/* The later "Defaults authenticate" restores it. */
	assert_true(unit_bool(s, "authenticate"));
	assert_false(unit_bool(rule(f, "/etc/extra:2"), "nopasswd"));
	json_decref(f);
	unit_rmtree(root);

	/* Global !authenticate, and !syslog without logfile. */
	root = tmp_root("Defaults !authenticate, !syslog\n"
	    "alice ALL = (ALL) ALL\n");
	f = collect_root(root);
	assert_true(unit_bool(rule(f, "/etc/sudoers:2"), "nopasswd_all"));
	assert_false(unit_bool(json_object_get(f, "settings"), "logged"));
	json_decref(f);
	unit_rmtree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_nopasswd_dropin),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_skipped_files),
		cmocka_unit_test(test_noauth),
		cmocka_unit_test(test_unreadable_and_missing),
		cmocka_unit_test(test_tags_and_shells),
		cmocka_unit_test(test_include_and_defaults),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
