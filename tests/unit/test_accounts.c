/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The accounts collector on the accounts-* fixture trees, and on small
 * trees written here for the PAM precedence cases.
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

extern const struct collector collector_accounts;

static const char *passwd_base =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
static const char *shadow_base =
    "root:*:20777:0:99999:7:::\n"
    "daemon:*:20777:0:99999:7:::\n"
    "alice:$y$j9T$Fw1dG0v3aZ9Q1c2eR5t7u/$ihuivHNc7EYL.s5W2IaOOFYUPivgRWSxfpqwD2hDnlA:20777:0:99999:7:::\n";

/* Collects the fixture tree tests/fixtures/NAME/root. */
static json_t *
collect_fixture(const char *name)
{
	return (unit_collect(&collector_accounts, name, UNIT_NOW));
}

static json_t *
collect_root(const char *root)
{
	return (unit_collect_root(&collector_accounts, root, UNIT_NOW));
}

/* A temporary root with passwd, shadow, login.defs and the PAM files. */
static char *
tmp_root(const char *password, const char *auth)
{
	char	*root = unit_tmpdir("test_accounts");

	unit_put(root, "/etc/passwd", passwd_base);
	unit_put(root, "/etc/shadow", shadow_base);
	unit_put(root, "/etc/login.defs", "UID_MIN 1000\nUID_MAX 60000\n");
	unit_put(root, "/etc/pam.d/common-password", password);
	unit_put(root, "/etc/pam.d/common-auth", auth);
	return (root);
}

/* The shadow user NAME, or NULL. */
static json_t *
shadow_user(json_t *facts, const char *name)
{
	return (unit_named(unit_path(facts, "shadow.users"), name));
}

/* Whether the serialised facts contain needle. */
static int
dump_has(json_t *f, const char *needle)
{
	char	*s = json_dumps(f, 0);
	int	 r = strstr(s, needle) != NULL;

	free(s);
	return (r);
}

static void
test_good(void **state)
{
	json_t	*f = collect_fixture("accounts-good"), *u;

	assert_null(json_object_get(f, "_error"));
	assert_int_equal(json_array_size(json_object_get(f, "uid0")), 1);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(f, "uid0"), 0)), "root");
	assert_int_equal(json_array_size(json_object_get(f,
	    "duplicate_uids")), 0);
	assert_non_null(u = shadow_user(f, "alice"));
	assert_string_equal(unit_string(u, "hash"), "yescrypt");
	assert_false(json_is_true(json_object_get(u, "empty_password")));
	assert_true(json_is_true(json_object_get(u, "interactive")));
	assert_non_null(u = shadow_user(f, "root"));
	assert_string_equal(unit_string(u, "hash"), "no-password");
	/* Never the hash itself. */
	assert_false(dump_has(f, "$y$"));
	assert_string_equal(unit_string(f, "login_defs.encrypt_method"),
	    "SHA512");
	assert_int_equal(unit_int(f, "login_defs.pass_max_days"), 99999);
	assert_string_equal(unit_string(f, "pwquality.module"),
	    "pam_pwquality.so");
	assert_int_equal(unit_int(f, "pwquality.minlen"), 14);
	assert_int_equal(unit_int(f, "pwquality.min_length"), 14);
	assert_string_equal(unit_string(f, "pwquality.minlen_source"),
	    "/etc/security/pwquality.conf:11");
	assert_true(unit_bool(f, "pwquality.dictcheck"));
	assert_true(unit_bool(f, "faillock.in_stack"));
	assert_true(unit_bool(f, "faillock.authfail"));
	assert_int_equal(unit_int(f, "faillock.deny"), 5);
	assert_int_equal(unit_int(f, "faillock.unlock_time_s"), 900);
	json_decref(f);
}

static void
test_debian_default(void **state)
{
	json_t	*f = collect_fixture("accounts-debian-default");

	assert_false(unit_bool(f, "pwquality.in_stack"));
	assert_string_equal(unit_string(f, "pwquality.module"), "pam_unix.so");
	assert_int_equal(unit_int(f, "pwquality.min_length"), 6);
	assert_string_equal(unit_string(f, "pwquality.minlen_source"),
	    "default");
	assert_false(unit_bool(f, "faillock.in_stack"));
	assert_int_equal(unit_int(f, "faillock.deny"), 3);
	assert_string_equal(unit_string(f, "faillock.deny_source"), "default");
	json_decref(f);
}

static void
test_extra_uid0(void **state)
{
	json_t	*f = collect_fixture("accounts-extra-uid0"), *d;

	assert_int_equal(json_array_size(json_object_get(f, "uid0")), 2);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(f, "uid0"), 1)), "toor");
	d = json_array_get(json_object_get(f, "duplicate_uids"), 0);
	assert_non_null(d);
	assert_string_equal(unit_string(d, "name"), "0");
	assert_int_equal(json_array_size(json_object_get(d, "users")), 2);
	json_decref(f);
}

static void
test_empty_password(void **state)
{
	json_t	*f = collect_fixture("accounts-empty-password"), *u;

	assert_non_null(u = shadow_user(f, "bob"));
	assert_string_equal(unit_string(u, "hash"), "empty");
	assert_true(json_is_true(json_object_get(u, "empty_password")));
	assert_true(json_is_true(json_object_get(u, "login_shell")));
	json_decref(f);
}

static void
test_md5_hash(void **state)
{
	json_t	*f = collect_fixture("accounts-md5-hash"), *u;

	assert_non_null(u = shadow_user(f, "carol"));
	assert_string_equal(unit_string(u, "hash"), "md5");
	assert_false(dump_has(f, "$1$"));
	json_decref(f);
}

/* Module arguments win over pwquality.conf, which wins over its .d. */
static void
test_pwquality_precedence(void **state)
{
	json_t	*f = collect_fixture("accounts-pwquality");

	assert_int_equal(unit_int(f, "pwquality.minlen"), 14);
	assert_string_equal(unit_string(f, "pwquality.minlen_source"),
	    "/etc/pam.d/common-password:25");
	assert_int_equal(unit_int(f, "pwquality.minclass"), 3);
	assert_string_equal(unit_string(f, "pwquality.minclass_source"),
	    "/etc/security/pwquality.conf.d/50-local.conf:3");
	assert_true(unit_bool(f, "pwquality.enforce_for_root"));
	json_decref(f);
}

static void
test_shadow_unreadable(void **state)
{
	json_t	*f = collect_fixture("accounts-shadow-unreadable");

	assert_null(json_object_get(f, "_error"));
	assert_string_equal(unit_string(f, "shadow._error"),
	    "open /etc/shadow: No such file or directory");
	/* Facts that do not need shadow are still there. */
	assert_int_equal(json_array_size(json_object_get(f, "uid0")), 1);
	assert_int_equal(unit_int(f, "pwquality.minlen"), 14);
	json_decref(f);
}

/* Without /etc/passwd nothing about accounts can be said. */
static void
test_no_passwd(void **state)
{
	json_t	*f = collect_fixture("sudo-not-installed");

	assert_string_equal(unit_string(f, "_error"),
	    "open /etc/passwd: No such file or directory");
	json_decref(f);
}

/* Every scheme crypt(5) names, and the non-hash markers. */
static void
test_hash_kinds(void **state)
{
	static const char *const cases[][2] = {
		{ "", "empty" },
		{ "!", "locked" },
		{ "!$y$j9T$abc$def", "locked" },
		{ "*", "no-password" },
		{ "x", "no-password" },
		{ "$y$j9T$abc$def", "yescrypt" },
		{ "$gy$j9T$abc$def", "gost-yescrypt" },
		{ "$7$CU..../....abc$def", "scrypt" },
		{ "$2b$05$abcdefghijklmnopqrstuu", "bcrypt" },
		{ "$6$salt$hash", "sha512" },
		{ "$5$salt$hash", "sha256" },
		{ "$1$salt$hash", "md5" },
		{ "$sha1$1$salt$hash", "sha1" },
		{ "abJnggxhB/yWI", "des" },
		{ "_J9..abcdefghijklmno", "des" },
		{ "$9$what", "unknown" },
	};
	char	*root, shadow[4096];
	json_t	*f, *u;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		root = tmp_root("password required pam_unix.so\n", "");
		snprintf(shadow, sizeof shadow, "alice:%s:20777:0:99999:7:::\n",
		    cases[i][0]);
		unit_put(root, "/etc/shadow", shadow);
		f = collect_root(root);
		assert_non_null(u = shadow_user(f, "alice"));
		assert_string_equal(unit_string(u, "hash"), cases[i][1]);
		/* root has no shadow line here. */
		assert_non_null(u = shadow_user(f, "root"));
		assert_false(json_is_true(json_object_get(u, "shadow_entry")));
		json_decref(f);
		unit_rmtree(root);
	}
}

/* pam_unix minlen=, and positive credits lowering the real minimum. */
static void
test_unix_minlen_and_credits(void **state)
{
	char	*root;
	json_t	*f;

	root = tmp_root("password\t[success=1 default=ignore]\tpam_unix.so "
	    "obscure minlen=10 yescrypt\n", "");
	f = collect_root(root);
	assert_int_equal(unit_int(f, "pwquality.minlen"), 10);
	assert_string_equal(unit_string(f, "pwquality.minlen_source"),
	    "/etc/pam.d/common-password:1");
	json_decref(f);
	unit_rmtree(root);

	root = tmp_root("# comment\n"
	    "password requisite pam_pwquality.so retry=3 \\\n"
	    "    minlen=14 dcredit=1 ucredit=1 ocredit=-1\n"
	    "password [success=1 default=ignore] pam_unix.so use_authtok\n", "");
	f = collect_root(root);
	assert_int_equal(unit_int(f, "pwquality.minlen"), 14);
	assert_int_equal(unit_int(f, "pwquality.credits"), 2);
	assert_int_equal(unit_int(f, "pwquality.min_length"), 12);
	json_decref(f);
	unit_rmtree(root);

	/* optional cannot reject anything; minlen below 6 is raised to 6. */
	root = tmp_root("password optional pam_pwquality.so minlen=3\n", "");
	f = collect_root(root);
	assert_false(unit_bool(f, "pwquality.enforced"));
	assert_int_equal(unit_int(f, "pwquality.minlen"), 6);
	json_decref(f);
	unit_rmtree(root);

	/* No password module at all: an error, not a default. */
	root = tmp_root("password required pam_sss.so\n", "");
	f = collect_root(root);
	assert_non_null(unit_string(f, "pwquality._error"));
	json_decref(f);
	unit_rmtree(root);
}

/* faillock module arguments override faillock.conf; "never" is 0. */
static void
test_faillock_args(void **state)
{
	char	*root;
	json_t	*f;

	root = tmp_root("password required pam_unix.so\n",
	    "auth required pam_faillock.so preauth deny=10\n"
	    "auth [success=1 default=ignore] pam_unix.so nullok\n"
	    "auth [default=die] pam_faillock.so authfail deny=10 "
	    "unlock_time=never\n");
	unit_put(root, "/etc/security/faillock.conf",
	    "deny = 4\nunlock_time = 1200\neven_deny_root\n");
	f = collect_root(root);
	assert_int_equal(unit_int(f, "faillock.deny"), 10);
	assert_string_equal(unit_string(f, "faillock.deny_source"),
	    "/etc/pam.d/common-auth:3");
	assert_int_equal(unit_int(f, "faillock.unlock_time_s"), 0);
	assert_true(unit_bool(f, "faillock.even_deny_root"));
	json_decref(f);
	unit_rmtree(root);

	/* preauth alone counts nothing. */
	root = tmp_root("password required pam_unix.so\n",
	    "auth required pam_faillock.so preauth\n"
	    "#auth [default=die] pam_faillock.so authfail\n");
	f = collect_root(root);
	assert_true(unit_bool(f, "faillock.in_stack"));
	assert_false(unit_bool(f, "faillock.authfail"));
	json_decref(f);
	unit_rmtree(root);
}

/* A user whose account expired (shadow field 8) is marked so. */
static void
test_expired(void **state)
{
	char	*root;
	json_t	*f, *u;

	root = tmp_root("password required pam_unix.so\n", "");
	unit_put(root, "/etc/shadow", "alice:$6$s$h:20000:0:99999:7::20000:\n");
	f = collect_root(root);
	assert_non_null(u = shadow_user(f, "alice"));
	assert_true(json_is_true(json_object_get(u, "expired")));
	json_decref(f);
	unit_rmtree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_debian_default),
		cmocka_unit_test(test_extra_uid0),
		cmocka_unit_test(test_empty_password),
		cmocka_unit_test(test_md5_hash),
		cmocka_unit_test(test_pwquality_precedence),
		cmocka_unit_test(test_shadow_unreadable),
		cmocka_unit_test(test_no_passwd),
		cmocka_unit_test(test_hash_kinds),
		cmocka_unit_test(test_unix_minlen_and_credits),
		cmocka_unit_test(test_faillock_args),
		cmocka_unit_test(test_expired),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
