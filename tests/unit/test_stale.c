/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * isms-collectord's stale-host alerts (collectord/stale.c) and their
 * store side: the check interval and the retry backoff, the alerts:
 * section read with the agent's code (errors with file:line), and on a
 * real SQLite store a host alerted once, never when revoked, back once
 * it reports after its alert, the webhook queue in order with retries,
 * deliveries and pruning, and a version 3 store upgraded in place.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "agentd.h"
#include "cstoretest.h"
#include "stale.h"

static int
setup(void **state)
{
	return (cfx_setup(state, "test_stale"));
}

static int
teardown(void **state)
{
	return (cfx_teardown(state));
}

static void
test_interval(void **state)
{
	assert_int_equal(stale_interval_ms(2), 500);
	assert_int_equal(stale_interval_ms(1), 250);
	assert_int_equal(stale_interval_ms(400), 100000);
	assert_int_equal(stale_interval_ms(1200), 300000);
	assert_int_equal(stale_interval_ms(7200), 300000);
	assert_int_equal(stale_interval_ms(365 * 86400), 300000);
}

static void
test_backoff(void **state)
{
	uint32_t	rnd[] = { 0, 1, 9, 10, 12345, UINT32_MAX };
	int64_t		d, ceiling;
	size_t		i;
	int		failed;

	/* The first retry within STALE_RETRY_BASE, never before 1s. */
	assert_int_equal(stale_backoff(1, -1, 0), 1);
	assert_int_equal(stale_backoff(1, -1, 9), 10);
	assert_int_equal(stale_backoff(1, -1, 10), 1);
	for (failed = 1; failed < 40; failed++) {
		ceiling = STALE_RETRY_BASE;
		for (i = 1; i < (size_t)failed && ceiling < STALE_RETRY_CAP;
		    i++)
			ceiling *= 2;
		if (ceiling > STALE_RETRY_CAP)
			ceiling = STALE_RETRY_CAP;
		for (i = 0; i < sizeof rnd / sizeof rnd[0]; i++) {
			d = stale_backoff(failed, -1, rnd[i]);
			assert_true(d >= 1 && d <= ceiling);
		}
	}
	assert_int_equal(stale_backoff(3, -1, 39), 40);
	assert_int_equal(stale_backoff(3, -1, 40), 1);
	/* Retry-After wins when longer, within the cap. */
	assert_int_equal(stale_backoff(1, 100, 0), 100);
	assert_int_equal(stale_backoff(1, 5, 8), 9);
	assert_int_equal(stale_backoff(1, 99999, 0), STALE_RETRY_CAP);
}

static struct stale_conf *
conf_of(const char *yaml, struct yerrors *e, struct ytree **t)
{
	*t = ytree_parse("c.yaml", yaml, strlen(yaml), e);
	assert_non_null(*t);
	return (stale_conf_load(ynode_get((*t)->root, "alerts"), e));
}

static void
test_conf(void **state)
{
	struct yerrors		 e = { NULL, 0 };
	struct stale_conf	*c;
	struct ytree		*t;

	c = stale_conf_load(NULL, &e);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->syslog, 1);
	assert_string_equal(c->syslog_ident, "isms-collectord");
	assert_int_equal(c->syslog_facility, LOG_DAEMON);
	assert_int_equal(c->nwebhooks, 0);
	stale_conf_free(c);

	c = conf_of("alerts:\n"
	    "  syslog_facility: local4\n"
	    "  syslog_ident: fleet\n"
	    "  webhooks:\n"
	    "    - url: https://hooks.example/a\n"
	    "      format: slack\n"
	    "    - url: http://127.0.0.1:9/x\n"
	    "      rate_limit: 0\n", &e, &t);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->syslog_facility, LOG_LOCAL4);
	assert_string_equal(c->syslog_ident, "fleet");
	assert_int_equal(c->nwebhooks, 2);
	assert_int_equal(c->webhooks[0].format, WEBHOOK_SLACK);
	assert_int_equal(c->webhooks[0].rate_per_hour, 60);
	assert_string_equal(c->webhooks[1].url, "http://127.0.0.1:9/x");
	assert_int_equal(c->webhooks[1].format, WEBHOOK_JSON);
	assert_int_equal(c->webhooks[1].rate_per_hour, 0);
	stale_conf_free(c);
	ytree_free(t);

	/* Every error, each with its line. */
	c = conf_of("alerts:\n"
	    "  syslog_facility: kern\n"
	    "  summary_at: never\n"
	    "  webhooks:\n"
	    "    - url: http://127.0.0.1.evil.example/\n"
	    "      format: slack\n"
	    "    - url: https://ok.example/\n"
	    "      format: discord\n", &e, &t);
	assert_int_equal(e.n, 4);
	assert_non_null(strstr(e.msgs[0], "c.yaml:3:"));
	assert_non_null(strstr(e.msgs[0], "summary_at"));
	assert_non_null(strstr(e.msgs[1], "c.yaml:2:"));
	assert_non_null(strstr(e.msgs[1], "facility"));
	assert_non_null(strstr(e.msgs[2], "c.yaml:5:"));
	assert_non_null(strstr(e.msgs[2], "https://"));
	assert_non_null(strstr(e.msgs[3], "c.yaml:8:"));
	assert_non_null(strstr(e.msgs[3], "discord"));
	assert_int_equal(c->nwebhooks, 1);
	stale_conf_free(c);
	ytree_free(t);
	yerrors_clear(&e);
}

static void
test_store_flow(void **state)
{
	struct fx		*f = *state;
	struct cstore		*s = f->s;
	struct cstore_stale	*h;
	struct cstore_alert	 a;
	const char		*dests[] = { "json d1", "slack d2" };
	const char		*bodies[] = { "{\"n\":1}", "{\"n\":2}" };
	const char		*back[] = { "{\"n\":3}", "{\"n\":4}" };
	char			*cause = NULL;
	size_t			 n;
	int64_t			 sent;
	time_t			 oldest;

	enroll(s, HOST_A, "a1", "alpha");
	enroll(s, HOST_B, "b1", NULL);
	sql(f, "UPDATE hosts SET last_seen = " "1795000050 WHERE host_id = '"
	    HOST_A "'");

	/* B never reported: silent since its enrollment. */
	assert_int_equal(s->ops->stale_hosts(s, 1, T0 + 10, &h, &n, &cause),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].host_id, HOST_B);
	assert_null(h[0].hostname);
	assert_int_equal(h[0].last_seen, 0);
	assert_int_equal(h[0].since, T0);
	cstore_stale_free(h, n);

	assert_int_equal(s->ops->stale_hosts(s, 1, T0 + 100, &h, &n, &cause),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].host_id, HOST_A);
	assert_string_equal(h[0].hostname, "alpha");
	assert_int_equal(h[0].last_seen, T0 + 50);
	assert_int_equal(h[0].since, T0 + 50);
	cstore_stale_free(h, n);

	/* Alerted once: the mark and the bodies together. */
	assert_int_equal(s->ops->stale_mark(s, HOST_A, 1, T0 + 150, dests,
	    bodies, 2, &cause), 1);
	assert_int_equal(s->ops->stale_mark(s, HOST_A, 1, T0 + 151, dests,
	    bodies, 2, &cause), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM alert_queue"), 2);
	assert_int_equal(s->ops->stale_hosts(s, 1, T0 + 200, &h, &n, &cause),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].host_id, HOST_B);
	cstore_stale_free(h, n);

	/* A revoked host is never alerted. */
	assert_int_equal(s->ops->host_revoke(s, HOST_B, T0 + 160, &cause), 1);
	assert_int_equal(s->ops->stale_hosts(s, 1, T0 + 200, &h, &n, &cause),
	    0);
	assert_int_equal(n, 0);
	cstore_stale_free(h, n);

	/* Back only once it reported at or after its alert. */
	assert_int_equal(s->ops->stale_hosts(s, 0, T0 + 200, &h, &n, &cause),
	    0);
	assert_int_equal(n, 0);
	cstore_stale_free(h, n);
	sql(f, "UPDATE hosts SET last_seen = 1795000170 WHERE host_id = '"
	    HOST_A "'");
	assert_int_equal(s->ops->stale_hosts(s, 0, T0 + 200, &h, &n, &cause),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].host_id, HOST_A);
	cstore_stale_free(h, n);
	assert_int_equal(s->ops->stale_mark(s, HOST_A, 0, T0 + 200, dests,
	    back, 2, &cause), 1);
	assert_int_equal(s->ops->stale_mark(s, HOST_A, 0, T0 + 201, dests,
	    back, 2, &cause), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM hosts WHERE "
	    "stale_alerted_at IS NOT NULL"), 0);

	/* Each queue in order; a retry keeps the item first. */
	assert_int_equal(s->ops->alert_next(s, "json d1", &a, &cause), 1);
	assert_string_equal(a.body, "{\"n\":1}");
	assert_int_equal(a.attempts, 0);
	assert_int_equal(a.next_at, T0 + 150);
	assert_int_equal(s->ops->alert_retry(s, a.id, T0 + 300, 1, "HTTP 500",
	    &cause), 0);
	cstore_alert_clear(&a);
	assert_int_equal(s->ops->alert_next(s, "json d1", &a, &cause), 1);
	assert_string_equal(a.body, "{\"n\":1}");
	assert_int_equal(a.attempts, 1);
	assert_int_equal(a.next_at, T0 + 300);
	/* Held back by a rate limit: no attempt counted, error kept. */
	assert_int_equal(s->ops->alert_retry(s, a.id, T0 + 400, 0, NULL,
	    &cause), 0);
	assert_int_equal(count(f, "SELECT attempts FROM alert_queue WHERE "
	    "body = '{\"n\":1}'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM alert_queue WHERE "
	    "last_error = 'HTTP 500'"), 1);
	assert_int_equal(s->ops->alert_delivered(s, a.id, T0 + 400, &cause),
	    0);
	cstore_alert_clear(&a);
	assert_int_equal(s->ops->alert_next(s, "json d1", &a, &cause), 1);
	assert_string_equal(a.body, "{\"n\":3}");
	cstore_alert_clear(&a);
	assert_int_equal(s->ops->alert_next(s, "slack d2", &a, &cause), 1);
	assert_string_equal(a.body, "{\"n\":2}");
	cstore_alert_clear(&a);
	assert_int_equal(s->ops->alert_next(s, "none", &a, &cause), 0);
	assert_null(a.body);

	assert_int_equal(s->ops->alert_sent_since(s, "json d1", T0 + 400,
	    &sent, &oldest, &cause), 0);
	assert_int_equal(sent, 1);
	assert_int_equal(oldest, T0 + 400);
	assert_int_equal(s->ops->alert_sent_since(s, "json d1", T0 + 401,
	    &sent, &oldest, &cause), 0);
	assert_int_equal(sent, 0);

	/* Pruning: old deliveries forgotten, old undelivered dropped. */
	assert_int_equal(s->ops->alert_prune(s, T0 + 401, T0 + 151, &cause),
	    1);
	assert_int_equal(count(f, "SELECT count(*) FROM alert_queue"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM alert_queue WHERE "
	    "delivered_at IS NOT NULL"), 0);
}

/* A version 3 store gains the alert mark and queue, its hosts kept. */
static void
test_upgrade_v3(void **state)
{
	struct fx	*f = *state;
	char		*cause = NULL;

	enroll(f->s, HOST_A, "a1", "alpha");
	f->s->ops->close(f->s);
	f->s = NULL;
	sql(f, "ALTER TABLE hosts DROP COLUMN stale_alerted_at;"
	    "ALTER TABLE hosts DROP COLUMN verdicts_sha;"
	    "DROP TABLE alert_queue; PRAGMA user_version = 3;");
	assert_int_equal(count(f, "SELECT count(*) FROM pragma_table_info("
	    "'hosts') WHERE name = 'stale_alerted_at'"), 0);
	f->s = cstore_sqlite_open(f->path, &cause);
	assert_non_null(f->s);
	assert_int_equal(count(f, "PRAGMA user_version"), 5);
	assert_int_equal(count(f, "SELECT count(*) FROM pragma_table_info("
	    "'hosts') WHERE name = 'stale_alerted_at'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM alert_queue"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM hosts WHERE "
	    "hostname = 'alpha' AND stale_alerted_at IS NULL"), 1);
	/* A newer store is refused. */
	f->s->ops->close(f->s);
	f->s = NULL;
	sql(f, "PRAGMA user_version = 6");
	assert_null(cstore_sqlite_open(f->path, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_conf),
		cmocka_unit_test_setup_teardown(test_store_flow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_v3, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
