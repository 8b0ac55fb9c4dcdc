/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the sshd_config reader and the sshd collector, on the
 * tests/fixtures/sshd-* trees (their effective values were checked
 * against "sshd -T" of Debian 12 OpenSSH 9.2p1) and on small trees
 * written to a temporary directory.
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
#include "sshdconf.h"
#include "unit.h"

extern const struct collector collector_sshd;

/* Reads a fixture's configuration; asserts it parses. */
static void
read_fixture(const char *name, struct sshdconf *conf)
{
	char	 root[1024], *cause = NULL;

	unit_fixture_root(root, sizeof root, name);
	if (sshdconf_read(root, conf, &cause) != 0)
		fail_msg("%s: %s", name, cause);
}

static void
assert_opt(const struct sshdconf *conf, const char *key, const char *value,
    const char *source)
{
	const char	*v, *s;

	v = sshdconf_get(conf, key, &s);
	assert_non_null(v);
	assert_string_equal(v, value);
	if (source != NULL)
		assert_string_equal(s, source);
}

static void
test_debian_default(void **state)
{
	struct sshdconf	conf;

	read_fixture("sshd-debian-default", &conf);
	assert_opt(&conf, "permitrootlogin", "prohibit-password", "default");
	assert_opt(&conf, "passwordauthentication", "yes", "default");
	assert_opt(&conf, "kbdinteractiveauthentication", "no",
	    "/etc/ssh/sshd_config:62");
	assert_opt(&conf, "usepam", "yes", "/etc/ssh/sshd_config:85");
	assert_opt(&conf, "x11forwarding", "yes", "/etc/ssh/sshd_config:90");
	assert_opt(&conf, "maxauthtries", "6", "default");
	assert_opt(&conf, "clientaliveinterval", "0", "default");
	assert_opt(&conf, "acceptenv", "LANG LC_*", NULL);
	assert_int_equal(conf.nmatches, 0);
	assert_int_equal(conf.nfiles, 1);
	assert_int_equal(conf.nwarnings, 0);
	sshdconf_clear(&conf);
}

static void
test_dropin_wins(void **state)
{
	struct sshdconf	conf;

	read_fixture("sshd-dropin-override", &conf);
	/* "permitrootlogin=no" in the drop-in beats line 33 "yes". */
	assert_opt(&conf, "permitrootlogin", "no",
	    "/etc/ssh/sshd_config.d/10-hardening.conf:2");
	assert_opt(&conf, "passwordauthentication", "no",
	    "/etc/ssh/sshd_config.d/10-hardening.conf:3");
	assert_opt(&conf, "kbdinteractiveauthentication", "no",
	    "/etc/ssh/sshd_config.d/10-hardening.conf:5");
	assert_opt(&conf, "maxauthtries", "3", NULL);
	/* "5m" as seconds, like sshd -T. */
	assert_opt(&conf, "clientaliveinterval", "300",
	    "/etc/ssh/sshd_config.d/20-idle.conf:1");
	assert_int_equal(conf.nfiles, 3);
	assert_string_equal(conf.files[1],
	    "/etc/ssh/sshd_config.d/10-hardening.conf");
	assert_string_equal(conf.files[2], "/etc/ssh/sshd_config.d/20-idle.conf");
	sshdconf_clear(&conf);
}

static void
test_main_wins(void **state)
{
	struct sshdconf	conf;

	read_fixture("sshd-main-wins", &conf);
	assert_opt(&conf, "permitrootlogin", "yes", "/etc/ssh/sshd_config:32");
	/* Not set in the main file: the late drop-in still counts. */
	assert_opt(&conf, "passwordauthentication", "no",
	    "/etc/ssh/sshd_config.d/10-hardening.conf:2");
	sshdconf_clear(&conf);
}

static void
test_match_blocks(void **state)
{
	struct sshdconf	conf;

	read_fixture("sshd-match-block", &conf);
	assert_opt(&conf, "passwordauthentication", "no",
	    "/etc/ssh/sshd_config:57");
	/* The Match in the drop-in ends with that file. */
	assert_opt(&conf, "allowtcpforwarding", "yes", "default");
	assert_opt(&conf, "x11forwarding", "yes", "/etc/ssh/sshd_config:90");
	assert_int_equal(conf.nmatches, 2);
	assert_string_equal(conf.matches[0].criteria, "Group sftponly");
	assert_int_equal(conf.matches[0].nopts, 3);
	assert_string_equal(conf.matches[1].criteria,
	    "Group legacy Address 10.0.0.0/8");
	assert_string_equal(conf.matches[1].source, "/etc/ssh/sshd_config:125");
	assert_int_equal(conf.matches[1].nopts, 2);
	assert_string_equal(conf.matches[1].opts[0].key,
	    "passwordauthentication");
	assert_string_equal(conf.matches[1].opts[0].value, "yes");
	sshdconf_clear(&conf);
}

static void
test_include_loop(void **state)
{
	struct sshdconf	 conf;
	char		 root[1024], *cause = NULL;

	unit_fixture_root(root, sizeof root, "sshd-include-loop");
	assert_int_equal(sshdconf_read(root, &conf, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause,
	    "/etc/ssh/sshd_config.d/10-loop.conf:3: Include loop"));
	free(cause);
}

static void
test_include_depth(void **state)
{
	struct sshdconf	 conf;
	char		 path[64], text[64], *cause = NULL;
	int		 i;

	/* A chain of 17 distinct files: one level more than sshd allows. */
	unit_put(unit_tmproot, "/etc/ssh/sshd_config", "Include d/0.conf\n");
	for (i = 0; i < 17; i++) {
		snprintf(path, sizeof path, "/etc/ssh/d/%d.conf", i);
		snprintf(text, sizeof text, "Include d/%d.conf\n", i + 1);
		unit_put(unit_tmproot, path, text);
	}
	unit_put(unit_tmproot, "/etc/ssh/d/17.conf", "PermitRootLogin no\n");
	assert_int_equal(sshdconf_read(unit_tmproot, &conf, &cause), -1);
	assert_non_null(strstr(cause, "too many recursive Includes"));
	assert_non_null(strstr(cause, "/etc/ssh/d/15.conf:1"));
	free(cause);

	unit_put(unit_tmproot, "/etc/ssh/d/15.conf", "PermitRootLogin no\n");
	cause = NULL;
	assert_int_equal(sshdconf_read(unit_tmproot, &conf, &cause), 0);
	assert_opt(&conf, "permitrootlogin", "no", "/etc/ssh/d/15.conf:1");
	assert_int_equal(conf.nfiles, 17);
	sshdconf_clear(&conf);
}

static void
test_syntax(void **state)
{
	struct sshdconf	 conf;
	char		*cause = NULL;

	unit_put(unit_tmproot, "/etc/ssh/sshd_config",
	    "# comment\n"
	    "   \n"
	    "PERMITROOTLOGIN = Without-Password   # trailing comment\n"
	    "PasswordAuthentication=NO\n"
	    "passwordauthentication yes\n"
	    "Banner \"/etc/issue net\"\n"
	    "AuthorizedKeysFile .ssh/authorized_keys .ssh/keys2\r\n"
	    "ChallengeResponseAuthentication no\n"
	    "MaxAuthTries\n"
	    "AllowUsers alice\n"
	    "AllowUsers bob\n"
	    "LoginGraceTime 1m30s\n"
	    "Include nothing-matches-*.conf\n"
	    "Ciphers -*-gcm@openssh.com,chacha20*\n"
	    "MACs ^hmac-sha1\n"
	    "KexAlgorithms curve25519-sha256\n"
	    "Match all\n"
	    "PermitRootLogin yes\n");
	assert_int_equal(sshdconf_read(unit_tmproot, &conf, &cause), 0);
	assert_opt(&conf, "permitrootlogin", "prohibit-password",
	    "/etc/ssh/sshd_config:3");
	assert_opt(&conf, "passwordauthentication", "no",
	    "/etc/ssh/sshd_config:4");
	assert_opt(&conf, "banner", "/etc/issue net", NULL);
	assert_opt(&conf, "authorizedkeysfile",
	    ".ssh/authorized_keys .ssh/keys2", NULL);
	assert_opt(&conf, "kbdinteractiveauthentication", "no",
	    "/etc/ssh/sshd_config:8");
	assert_opt(&conf, "maxauthtries", "6", "default");
	assert_int_equal(conf.nwarnings, 1);
	assert_non_null(strstr(conf.warnings[0], "sshd_config:9"));
	assert_opt(&conf, "allowusers", "alice bob", "/etc/ssh/sshd_config:10");
	assert_opt(&conf, "logingracetime", "90", NULL);
	assert_opt(&conf, "ciphers", "aes128-ctr,aes192-ctr,aes256-ctr", NULL);
	assert_opt(&conf, "macs", "hmac-sha1,umac-64-etm@openssh.com,"
	    "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
	    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,"
	    "umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,"
	    "hmac-sha2-512,hmac-sha1", NULL);
	assert_opt(&conf, "kexalgorithms", "curve25519-sha256", NULL);
	assert_int_equal(conf.nmatches, 1);
	assert_string_equal(conf.matches[0].criteria, "all");
	assert_string_equal(conf.matches[0].opts[0].value, "yes");
	sshdconf_clear(&conf);
}

static void
test_include_in_match(void **state)
{
	struct sshdconf	 conf;
	char		*cause = NULL;

	/* An Include inside a Match is conditional; the Match ends there. */
	unit_put(unit_tmproot, "/etc/ssh/sshd_config",
	    "Match User backup\n"
	    "Include /etc/ssh/backup.conf\n");
	unit_put(unit_tmproot, "/etc/ssh/backup.conf",
	    "PasswordAuthentication yes\n"
	    "Match User other\n"
	    "X11Forwarding yes\n");
	assert_int_equal(sshdconf_read(unit_tmproot, &conf, &cause), 0);
	assert_opt(&conf, "passwordauthentication", "yes", "default");
	assert_int_equal(conf.nmatches, 2);
	assert_int_equal(conf.matches[0].nopts, 1);
	assert_string_equal(conf.matches[0].opts[0].source,
	    "/etc/ssh/backup.conf:1");
	assert_int_equal(conf.matches[1].nopts, 1);
	sshdconf_clear(&conf);
}

static void
test_time(void **state)
{
	assert_int_equal(sshdconf_time("0"), 0);
	assert_int_equal(sshdconf_time("300"), 300);
	assert_int_equal(sshdconf_time("5m"), 300);
	assert_int_equal(sshdconf_time("1h30m"), 5400);
	assert_int_equal(sshdconf_time("2W"), 1209600);
	assert_int_equal(sshdconf_time("10x"), -1);
	assert_int_equal(sshdconf_time(""), -1);
	assert_int_equal(sshdconf_time("-5"), -1);
}

/* The collector on a fixture. */
static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_sshd, name, UNIT_NOW));
}

static void
test_collector(void **state)
{
	json_t	*f, *eff, *o;

	f = collect("sshd-not-installed");
	assert_string_equal(json_string_value(json_object_get(f, "_na")),
	    "OpenSSH server not installed");
	json_decref(f);

	f = collect("sshd-include-loop");
	assert_non_null(strstr(json_string_value(json_object_get(f, "_error")),
	    "10-loop.conf:3: Include loop"));
	json_decref(f);

	f = collect("sshd-debian-default");
	assert_null(json_object_get(f, "_error"));
	assert_true(json_is_true(json_object_get(f, "installed")));
	eff = json_object_get(f, "effective");
	assert_string_equal(json_string_value(json_object_get(eff,
	    "permitrootlogin")), "prohibit-password");
	assert_int_equal(json_integer_value(json_object_get(eff,
	    "maxauthtries")), 6);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(f, "sources"), "permitrootlogin")), "default");
	o = json_object_get(f, "mfa");
	assert_true(json_is_false(json_object_get(o, "pam_mfa")));
	assert_int_equal(json_array_size(json_object_get(o, "_sources")), 2);
	json_decref(f);

	f = collect("sshd-match-block");
	o = json_array_get(json_object_get(f, "match_overrides"), 3);
	assert_string_equal(json_string_value(json_object_get(o, "key")),
	    "passwordauthentication");
	assert_string_equal(json_string_value(json_object_get(o, "source")),
	    "/etc/ssh/sshd_config:126");
	assert_int_equal(json_integer_value(json_object_get(f,
	    "match_blocks")), 2);
	json_decref(f);

	f = collect("sshd-weak-crypto");
	o = json_object_get(f, "crypto");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(o, "macs"), 1)), "hmac-md5");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(o, "ciphers"), 7)), "3des-cbc");
	assert_int_equal(json_array_size(json_object_get(o, "kexalgorithms")),
	    7);
	json_decref(f);
}

static void
test_pam_mfa(void **state)
{
	json_t	*f, *o;

	unit_put(unit_tmproot, "/etc/ssh/sshd_config", "UsePAM yes\n"
	    "AuthenticationMethods publickey,keyboard-interactive publickey,password\n");
	unit_put(unit_tmproot, "/etc/pam.d/sshd", "@include common-auth\n"
	    "# auth required pam_u2f.so\n");
	unit_put(unit_tmproot, "/etc/pam.d/common-auth",
	    "auth required pam_google_authenticator.so nullok\n");
	f = unit_collect_root(&collector_sshd, unit_tmproot, UNIT_NOW);
	o = json_object_get(f, "mfa");
	assert_true(json_is_true(json_object_get(o, "pam_mfa")));
	assert_true(json_is_true(json_object_get(o,
	    "authentication_methods_mfa")));
	assert_int_equal(json_array_size(json_object_get(o, "pam_modules")), 1);
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_default),
		cmocka_unit_test(test_dropin_wins),
		cmocka_unit_test(test_main_wins),
		cmocka_unit_test(test_match_blocks),
		cmocka_unit_test(test_include_loop),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_collector),
		cmocka_unit_test_setup_teardown(test_include_depth,
		    unit_setup_tmproot, unit_teardown_tmproot),
		cmocka_unit_test_setup_teardown(test_syntax,
		    unit_setup_tmproot, unit_teardown_tmproot),
		cmocka_unit_test_setup_teardown(test_include_in_match,
		    unit_setup_tmproot, unit_teardown_tmproot),
		cmocka_unit_test_setup_teardown(test_pam_mfa,
		    unit_setup_tmproot, unit_teardown_tmproot),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
