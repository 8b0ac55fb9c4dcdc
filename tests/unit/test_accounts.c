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
	struct collector_ctx	 ctx;
	char			 root[1024];

	snprintf(root, sizeof root, "%s/%s/root", FIXTURES, name);
	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = 1795313000;	/* 2026-11-22 */
	return (collector_accounts.collect(&ctx));
}

static void
put(const char *root, const char *path, const char *text)
{
	char	 full[1024], *slash;
	FILE	*f;

	snprintf(full, sizeof full, "%s%s", root, path);
	for (slash = full + strlen(root) + 1; (slash = strchr(slash, '/')) !=
	    NULL; slash++) {
		*slash = '\0';
		mkdir(full, 0755);
		*slash = '/';
	}
	assert_non_null(f = fopen(full, "w"));
	fputs(text, f);
	fclose(f);
}

/* A temporary root with passwd, shadow, login.defs and the PAM files. */
static char *
tmp_root(const char *password, const char *auth)
{
	char	*root = strdup("/tmp/test_accounts.XXXXXX");

	assert_non_null(mkdtemp(root));
	put(root, "/etc/passwd", passwd_base);
	put(root, "/etc/shadow", shadow_base);
	put(root, "/etc/login.defs", "UID_MIN 1000\nUID_MAX 60000\n");
	put(root, "/etc/pam.d/common-password", password);
	put(root, "/etc/pam.d/common-auth", auth);
	return (root);
}

static void
rm_root(char *root)
{
	char	cmd[1100];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

static json_t *
collect_root(const char *root)
{
	struct collector_ctx	ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = 1795313000;
	return (collector_accounts.collect(&ctx));
}

/* The shadow user NAME, or NULL. */
static json_t *
shadow_user(json_t *facts, const char *name)
{
	json_t	*users, *u;
	size_t	 i;

	users = json_object_get(json_object_get(facts, "shadow"), "users");
	json_array_foreach(users, i, u) {
		if (strcmp(json_string_value(json_object_get(u, "name")),
		    name) == 0)
			return (u);
	}
	return (NULL);
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

static const char *
str_at(json_t *obj, const char *a, const char *b)
{
	json_t	*v = json_object_get(obj, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return (json_string_value(v));
}

static json_int_t
int_at(json_t *obj, const char *a, const char *b)
{
	json_t	*v = json_object_get(json_object_get(obj, a), b);

	assert_true(json_is_integer(v));
	return (json_integer_value(v));
}

static int
bool_at(json_t *obj, const char *a, const char *b)
{
	json_t	*v = json_object_get(json_object_get(obj, a), b);

	assert_true(json_is_boolean(v));
	return (json_is_true(v));
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
	assert_string_equal(str_at(u, "hash", NULL), "yescrypt");
	assert_false(json_is_true(json_object_get(u, "empty_password")));
	assert_true(json_is_true(json_object_get(u, "interactive")));
	assert_non_null(u = shadow_user(f, "root"));
	assert_string_equal(str_at(u, "hash", NULL), "no-password");
	/* Never the hash itself. */
	assert_false(dump_has(f, "$y$"));
	assert_string_equal(str_at(f, "login_defs", "encrypt_method"),
	    "SHA512");
	assert_int_equal(int_at(f, "login_defs", "pass_max_days"), 99999);
	assert_string_equal(str_at(f, "pwquality", "module"),
	    "pam_pwquality.so");
	assert_int_equal(int_at(f, "pwquality", "minlen"), 14);
	assert_int_equal(int_at(f, "pwquality", "min_length"), 14);
	assert_string_equal(str_at(f, "pwquality", "minlen_source"),
	    "/etc/security/pwquality.conf:11");
	assert_true(bool_at(f, "pwquality", "dictcheck"));
	assert_true(bool_at(f, "faillock", "in_stack"));
	assert_true(bool_at(f, "faillock", "authfail"));
	assert_int_equal(int_at(f, "faillock", "deny"), 5);
	assert_int_equal(int_at(f, "faillock", "unlock_time_s"), 900);
	json_decref(f);
}

static void
test_debian_default(void **state)
{
	json_t	*f = collect_fixture("accounts-debian-default");

	assert_false(bool_at(f, "pwquality", "in_stack"));
	assert_string_equal(str_at(f, "pwquality", "module"), "pam_unix.so");
	assert_int_equal(int_at(f, "pwquality", "min_length"), 6);
	assert_string_equal(str_at(f, "pwquality", "minlen_source"),
	    "default");
	assert_false(bool_at(f, "faillock", "in_stack"));
	assert_int_equal(int_at(f, "faillock", "deny"), 3);
	assert_string_equal(str_at(f, "faillock", "deny_source"), "default");
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
	assert_string_equal(str_at(d, "name", NULL), "0");
	assert_int_equal(json_array_size(json_object_get(d, "users")), 2);
	json_decref(f);
}

static void
test_empty_password(void **state)
{
	json_t	*f = collect_fixture("accounts-empty-password"), *u;

	assert_non_null(u = shadow_user(f, "bob"));
	assert_string_equal(str_at(u, "hash", NULL), "empty");
	assert_true(json_is_true(json_object_get(u, "empty_password")));
	assert_true(json_is_true(json_object_get(u, "login_shell")));
	json_decref(f);
}

static void
test_md5_hash(void **state)
{
	json_t	*f = collect_fixture("accounts-md5-hash"), *u;

	assert_non_null(u = shadow_user(f, "carol"));
	assert_string_equal(str_at(u, "hash", NULL), "md5");
	assert_false(dump_has(f, "$1$"));
	json_decref(f);
}

/* Module arguments win over pwquality.conf, which wins over its .d. */
static void
test_pwquality_precedence(void **state)
{
	json_t	*f = collect_fixture("accounts-pwquality");

	assert_int_equal(int_at(f, "pwquality", "minlen"), 14);
	assert_string_equal(str_at(f, "pwquality", "minlen_source"),
	    "/etc/pam.d/common-password:25");
	assert_int_equal(int_at(f, "pwquality", "minclass"), 3);
	assert_string_equal(str_at(f, "pwquality", "minclass_source"),
	    "/etc/security/pwquality.conf.d/50-local.conf:3");
	assert_true(bool_at(f, "pwquality", "enforce_for_root"));
	json_decref(f);
}

static void
test_shadow_unreadable(void **state)
{
	json_t	*f = collect_fixture("accounts-shadow-unreadable");

	assert_null(json_object_get(f, "_error"));
	assert_string_equal(str_at(f, "shadow", "_error"),
	    "open /etc/shadow: No such file or directory");
	/* Facts that do not need shadow are still there. */
	assert_int_equal(json_array_size(json_object_get(f, "uid0")), 1);
	assert_int_equal(int_at(f, "pwquality", "minlen"), 14);
	json_decref(f);
}

/* Without /etc/passwd nothing about accounts can be said. */
static void
test_no_passwd(void **state)
{
	json_t	*f = collect_fixture("sudo-not-installed");

	assert_string_equal(str_at(f, "_error", NULL),
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
		put(root, "/etc/shadow", shadow);
		f = collect_root(root);
		assert_non_null(u = shadow_user(f, "alice"));
		assert_string_equal(str_at(u, "hash", NULL), cases[i][1]);
		/* root has no shadow line here. */
		assert_non_null(u = shadow_user(f, "root"));
		assert_false(json_is_true(json_object_get(u, "shadow_entry")));
		json_decref(f);
		rm_root(root);
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
	assert_int_equal(int_at(f, "pwquality", "minlen"), 10);
	assert_string_equal(str_at(f, "pwquality", "minlen_source"),
	    "/etc/pam.d/common-password:1");
	json_decref(f);
	rm_root(root);

	root = tmp_root("# comment\n"
	    "password requisite pam_pwquality.so retry=3 \\\n"
	    "    minlen=14 dcredit=1 ucredit=1 ocredit=-1\n"
	    "password [success=1 default=ignore] pam_unix.so use_authtok\n", "");
	f = collect_root(root);
	assert_int_equal(int_at(f, "pwquality", "minlen"), 14);
	assert_int_equal(int_at(f, "pwquality", "credits"), 2);
	assert_int_equal(int_at(f, "pwquality", "min_length"), 12);
	json_decref(f);
	rm_root(root);

	/* optional cannot reject anything; minlen below 6 is raised to 6. */
	root = tmp_root("password optional pam_pwquality.so minlen=3\n", "");
	f = collect_root(root);
	assert_false(bool_at(f, "pwquality", "enforced"));
	assert_int_equal(int_at(f, "pwquality", "minlen"), 6);
	json_decref(f);
	rm_root(root);

	/* No password module at all: an error, not a default. */
	root = tmp_root("password required pam_sss.so\n", "");
	f = collect_root(root);
	assert_non_null(str_at(f, "pwquality", "_error"));
	json_decref(f);
	rm_root(root);
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
	put(root, "/etc/security/faillock.conf",
	    "deny = 4\nunlock_time = 1200\neven_deny_root\n");
	f = collect_root(root);
	assert_int_equal(int_at(f, "faillock", "deny"), 10);
	assert_string_equal(str_at(f, "faillock", "deny_source"),
	    "/etc/pam.d/common-auth:3");
	assert_int_equal(int_at(f, "faillock", "unlock_time_s"), 0);
	assert_true(bool_at(f, "faillock", "even_deny_root"));
	json_decref(f);
	rm_root(root);

	/* preauth alone counts nothing. */
	root = tmp_root("password required pam_unix.so\n",
	    "auth required pam_faillock.so preauth\n"
	    "#auth [default=die] pam_faillock.so authfail\n");
	f = collect_root(root);
	assert_true(bool_at(f, "faillock", "in_stack"));
	assert_false(bool_at(f, "faillock", "authfail"));
	json_decref(f);
	rm_root(root);
}

/* A user whose account expired (shadow field 8) is marked so. */
static void
test_expired(void **state)
{
	char	*root;
	json_t	*f, *u;

	root = tmp_root("password required pam_unix.so\n", "");
	put(root, "/etc/shadow", "alice:$6$s$h:20000:0:99999:7::20000:\n");
	f = collect_root(root);
	assert_non_null(u = shadow_user(f, "alice"));
	assert_true(json_is_true(json_object_get(u, "expired")));
	json_decref(f);
	rm_root(root);
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
