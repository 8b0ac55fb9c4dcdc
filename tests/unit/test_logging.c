/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the logging collector on tests/fixtures/logging-*,
 * plus journald and syslog-ng layouts written to a temporary root.
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

extern const struct collector collector_logging;

/* Collects the logging facts under root. */
static json_t *
collect_root(const char *root)
{
	return (unit_collect_root(&collector_logging, root, UNIT_NOW));
}

static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_logging, name, UNIT_NOW));
}

static json_t *
syslogd(json_t *f, size_t i)
{
	return (json_array_get(json_object_get(f, "syslog"), i));
}

static void
test_journal_persistent(void **state)
{
	json_t	*f = collect("logging-journal-persistent");
	json_t	*j = json_object_get(f, "journald");

	/* Debian's journald.conf: Storage= commented out, so auto. */
	assert_string_equal(unit_string(j, "storage"), "auto");
	assert_true(unit_bool(j, "var_log_journal"));
	assert_true(unit_bool(j, "persistent"));
	assert_false(unit_bool(json_object_get(f, "auditd"), "installed"));
	assert_false(unit_bool(json_object_get(f, "forwarding"),
	    "configured"));
	json_decref(f);
}

static void
test_volatile(void **state)
{
	json_t	*f = collect("logging-volatile");
	json_t	*j = json_object_get(f, "journald");

	/* The /etc drop-in (50-) overrides the vendor one (10-). */
	assert_string_equal(unit_string(j, "storage"), "volatile");
	assert_true(unit_bool(j, "var_log_journal"));
	assert_false(unit_bool(j, "persistent"));
	assert_int_equal(json_integer_value(json_object_get(f,
	    "syslog_var_log_count")), 0);
	assert_false(unit_bool(syslogd(f, 0), "installed"));
	json_decref(f);
}

static void
test_auditd_rsyslog(void **state)
{
	json_t	*f = collect("logging-auditd"), *a, *r, *fw, *t;

	a = json_object_get(f, "auditd");
	assert_true(unit_bool(a, "enabled"));
	/* Debian's audit.rules has no -w/-a; 50-identity.rules has 5. */
	assert_int_equal(json_integer_value(json_object_get(a,
	    "rules_count")), 5);
	assert_int_equal(json_integer_value(json_object_get(a,
	    "rules_files")), 3);
	assert_true(unit_bool(a, "immutable"));
	assert_string_equal(unit_string(a, "max_log_file_action"), "ROTATE");

	/* No /var/log/journal: auto is volatile, rsyslog keeps the logs. */
	assert_false(unit_bool(json_object_get(f, "journald"), "persistent"));
	r = syslogd(f, 0);
	assert_string_equal(unit_string(r, "name"), "rsyslog");
	assert_true(unit_bool(r, "enabled"));
	assert_true(unit_bool(r, "writes_var_log"));
	assert_int_equal(json_integer_value(json_object_get(f,
	    "syslog_var_log_count")), 1);

	/* Multi-line omfwd action and a legacy @@ selector. */
	fw = json_object_get(r, "forwarding");
	assert_int_equal(json_array_size(fw), 2);
	t = json_array_get(fw, 0);
	assert_string_equal(unit_string(t, "name"), "logs.example.org:6514");
	assert_string_equal(unit_string(t, "protocol"), "tcp");
	t = json_array_get(fw, 1);
	assert_string_equal(unit_string(t, "name"), "siem.example.org:514");
	assert_true(unit_bool(json_object_get(f, "forwarding"), "configured"));
	json_decref(f);
}

static void
mkdirs(const char *root, const char *const *dirs)
{
	char	full[1200];

	for (; *dirs != NULL; dirs++) {
		snprintf(full, sizeof full, "%s%s", root, *dirs);
		assert_int_equal(mkdir(full, 0755), 0);
	}
}

static void
test_tmp_layouts(void **state)
{
	static const char *const dirs[] = {
		"/etc", "/etc/systemd", "/etc/systemd/journald.conf.d",
		"/etc/systemd/system", "/etc/systemd/system/multi-user.target.wants",
		"/etc/syslog-ng", "/lib", "/lib/systemd", "/lib/systemd/system",
		NULL
	};
	char	*tmp = unit_tmpdir("test_logging"), full[1200];
	json_t	*f, *s;

	mkdirs(tmp, dirs);
	unit_put(tmp, "/etc/systemd/journald.conf",
	    "[Journal]\nStorage=persistent\nMaxRetentionSec=90d\n");
	/* A drop-in linked to /dev/null is masked and ignored. */
	snprintf(full, sizeof full,
	    "%s/etc/systemd/journald.conf.d/none.conf", tmp);
	assert_int_equal(symlink("/dev/null", full), 0);
	unit_put(tmp, "/lib/systemd/system/syslog-ng.service",
	    "[Service]\nExecStart=/usr/sbin/syslog-ng -F\n");
	snprintf(full, sizeof full,
	    "%s/etc/systemd/system/multi-user.target.wants/syslog-ng.service",
	    tmp);
	assert_int_equal(symlink("/lib/systemd/system/syslog-ng.service",
	    full), 0);
	unit_put(tmp, "/etc/syslog-ng/syslog-ng.conf",
	    "@version: 3.38\n"
	    "source s_net { network(ip(0.0.0.0) port(514)); };\n"
	    "destination d_auth { file(\"/var/log/auth.log\"); };\n"
	    "# destination d_old { udp(\"old.example.org\"); };\n"
	    "destination d_central { network(\"central.example.org\" "
	    "transport(\"tls\") port(6514)); };\n");
	f = collect_root(tmp);
	assert_true(unit_bool(json_object_get(f, "journald"), "persistent"));
	assert_int_equal(json_integer_value(json_object_get(
	    json_object_get(f, "journald"), "max_retention_s")), 90 * 86400);
	s = syslogd(f, 1);
	assert_string_equal(unit_string(s, "name"), "syslog-ng");
	assert_true(unit_bool(s, "enabled"));
	assert_true(unit_bool(s, "writes_var_log"));
	/* The receiving network() source and the comment do not count. */
	assert_int_equal(json_array_size(json_object_get(s, "forwarding")), 1);
	assert_string_equal(unit_string(json_array_get(json_object_get(s,
	    "forwarding"), 0), "name"), "central.example.org:6514");
	json_decref(f);

	unit_rmtree(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_persistent),
		cmocka_unit_test(test_volatile),
		cmocka_unit_test(test_auditd_rsyslog),
		cmocka_unit_test(test_tmp_layouts),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
