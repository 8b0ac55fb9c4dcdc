/*
 * Unit tests for agentd/config.c: agent.yaml keys, threshold overrides
 * by dotted name, disabled checks and error reporting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd.h"
#include "unit.h"

static char path[] = "/tmp/test_config.XXXXXX";

static void
write_config(const char *text)
{
	FILE	*f;
	int	 fd;

	strcpy(path, "/tmp/test_config.XXXXXX");
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		fail_msg("mkstemp");
	fputs(text, f);
	fclose(f);
}

static struct policy *
builtin(void)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();
	const char	*text =
	    "thresholds:\n"
	    "  - {name: screen_lock.max_idle, type: duration, default: 15m}\n"
	    "  - {name: patch.max_days_since_update, type: number, "
	    "default: 14}\n"
	    "checks:\n"
	    "  - id: a.b\n"
	    "    title: {en: t, ja: t}\n"
	    "    severity: low\n"
	    "    controls: [A.8.8]\n"
	    "    remediation: {en: r, ja: r}\n"
	    "    condition: 'x.y < $patch.max_days_since_update'\n";

	policy_load_buffer(p, "t.yaml", text, strlen(text), &e);
	assert_int_equal(e.n, 0);
	return (p);
}

static void
test_contract_example(void **state)
{
	struct yerrors		 e = { NULL, 0 };
	struct policy		*p = builtin();
	struct agent_conf	*c;
	struct threshold	*t;
	char			 want[256];

	write_config(
	    "collector:\n"
	    "  url: https://collector.example.org:8443\n"
	    "  ca: /etc/isms-agent/ca.pem\n"
	    "schedule:\n"
	    "  interval: 15m\n"
	    "backup:\n"
	    "  targets:\n"
	    "    - name: home\n"
	    "      path: /var/backups/home\n"
	    "      max_age: 26h\n"
	    "screen_lock:\n"
	    "  max_idle: 10m\n"
	    "patch:\n"
	    "  max_days_since_update: 7\n"
	    "alerts:\n"
	    "  syslog: true\n"
	    "  webhooks:\n"
	    "    - url: https://chat.example.org/hooks/abc\n"
	    "      format: slack\n"
	    "checks:\n"
	    "  disable: [a.b]\n");
	c = config_load(path, 1, p, &e);
	assert_int_equal(e.n, 0);
	assert_string_equal(c->collector_url,
	    "https://collector.example.org:8443");
	assert_int_equal(c->interval_s, 900);
	assert_int_equal(c->nbackup_targets, 1);
	assert_string_equal(c->backup_targets[0].name, "home");
	assert_int_equal(c->backup_targets[0].max_age_s, 26 * 3600);
	t = policy_find_threshold(p, "screen_lock.max_idle");
	assert_int_equal(json_integer_value(t->value), 600);
	snprintf(want, sizeof want, "%s:12", path);
	assert_string_equal(t->source, want);
	t = policy_find_threshold(p, "patch.max_days_since_update");
	assert_int_equal(json_integer_value(t->value), 7);
	assert_true(policy_find_check(p, "a.b")->disabled);
	config_free(c);
	policy_free(p);
	unlink(path);
}

static void
test_errors_name_lines(void **state)
{
	struct yerrors		 e = { NULL, 0 };
	struct policy		*p = builtin();
	struct agent_conf	*c;

	write_config(
	    "screen_lock:\n"
	    "  max_idle: soon\n"
	    "  max_idel: 5m\n"
	    "scheduel:\n"
	    "  interval: 1m\n"
	    "backup:\n"
	    "  targets:\n"
	    "    - name: x\n"
	    "      path: relative/path\n"
	    "checks:\n"
	    "  disable: [no.such.check]\n");
	c = config_load(path, 1, p, &e);
	assert_int_equal(e.n, 5);
	assert_true(unit_has_error(&e, ":2:13: invalid duration \"soon\""));
	assert_true(unit_has_error(&e, ":3:3: unknown key "
	    "\"screen_lock.max_idel\""));
	assert_true(unit_has_error(&e, ":4:1: unknown section \"scheduel\""));
	assert_true(unit_has_error(&e,
	    ":9:13: backup target x needs an absolute "
	    "path"));
	assert_true(unit_has_error(&e, ":11:13: checks.disable: unknown check "
	    "\"no.such.check\""));
	/* The threshold kept its default. */
	assert_int_equal(json_integer_value(policy_find_threshold(p,
	    "screen_lock.max_idle")->value), 900);
	yerrors_clear(&e);
	config_free(c);
	policy_free(p);
	unlink(path);
}

static void
test_missing_file(void **state)
{
	struct yerrors		 e = { NULL, 0 };
	struct policy		*p = builtin();
	struct agent_conf	*c;

	/* A missing default file is fine; a missing named file is not. */
	c = config_load("/nonexistent/agent.yaml", 0, p, &e);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->nbackup_targets, 0);
	config_free(c);
	c = config_load("/nonexistent/agent.yaml", 1, p, &e);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msgs[0], "/nonexistent/agent.yaml: open "
	    "/nonexistent/agent.yaml: No such file or directory");
	yerrors_clear(&e);
	config_free(c);
	policy_free(p);
}

static void
test_daemon_keys(void **state)
{
	struct yerrors		 e = { NULL, 0 };
	struct policy		*p = builtin();
	struct agent_conf	*c;

	write_config(
	    "daemon:\n"
	    "  user: nobody\n"
	    "  control_socket: /tmp/x/control\n"
	    "  collector_timeout: 30s\n"
	    "schedule:\n"
	    "  interval: 2s\n"
	    "  jitter: 0s\n"
	    "  quiet_hours: 22:00-06:30\n"
	    "  nightly: \"02:15\"\n"
	    "alerts:\n"
	    "  syslog_facility: local3\n"
	    "  summary_at: never\n"
	    "  flap: {window: 6, max_changes: 3, stable_runs: 2}\n"
	    "  remote_syslog: {host: 127.0.0.1, port: 6514, tls: true}\n"
	    "  webhooks:\n"
	    "    - {url: 'https://hooks.slack.com/services/x', format: slack}\n"
	    "    - {url: 'http://127.0.0.1:8080/t', format: teams, "
	    "rate_limit: 10}\n");
	c = config_load(path, 1, p, &e);
	assert_int_equal(e.n, 0);
	assert_string_equal(c->user, "nobody");
	assert_int_equal(c->collector_timeout_s, 30);
	assert_int_equal(c->interval_s, 2);
	assert_int_equal(c->quiet_start, 22 * 60);
	assert_int_equal(c->quiet_end, 6 * 60 + 30);
	assert_int_equal(c->nightly, 2 * 60 + 15);
	assert_int_equal(c->summary_at, -1);
	assert_int_equal(c->flap_window, 6);
	assert_string_equal(c->remote_syslog->port, "6514");
	assert_int_equal(c->nwebhooks, 2);
	assert_int_equal(c->webhooks[1].format, WEBHOOK_TEAMS);
	assert_int_equal(c->webhooks[1].rate_per_hour, 10);
	config_free(c);
	unlink(path);

	write_config(
	    "schedule: {quiet_hours: 'late', nightly: '25:00'}\n"
	    "alerts:\n"
	    "  syslog_facility: kern\n"
	    "  webhooks: [{url: 'http://example.org/x', format: discord}]\n");
	c = config_load(path, 1, p, &e);
	assert_true(unit_has_error(&e,
	    ":1:25: quiet_hours must be HH:MM-HH:MM"));
	assert_true(unit_has_error(&e, ":1:42: expected a time of day HH:MM"));
	assert_true(unit_has_error(&e, ":3:20: unknown syslog facility"));
	assert_true(unit_has_error(&e, ":4:20: webhook url must be https://"));
	yerrors_clear(&e);
	config_free(c);
	policy_free(p);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contract_example),
		cmocka_unit_test(test_errors_name_lines),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_daemon_keys),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
