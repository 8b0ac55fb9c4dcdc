/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's SQLite store, report side: a first report records
 * every check, a repeated report_id writes nothing, unchanged verdicts
 * cost one reports row and no history, a flipped status one history
 * row, a changed message only its latest row; a late report moves no
 * verdict back, another host's report_id is a conflict, an unknown host
 * rolls everything back; a version 1 store is upgraded in place.  In a
 * batch (group commit) the reports are invisible to other connections
 * until batch_end commits them, a repeated id is a duplicate, a failed
 * report is undone alone, and batch_end without commit keeps nothing.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "cstoretest.h"

static int
setup(void **state)
{
	struct fx	*f;

	cfx_setup(state, "test_cstore");
	f = *state;
	enroll(f->s, HOST_A, "a1", "old-name");
	enroll(f->s, HOST_B, "b1", "old-name");
	return (0);
}

static int
teardown(void **state)
{
	return (cfx_teardown(state));
}

static struct cstore_verdict base_verdicts[] = {
	{ "accounts.uid0", "pass", "1 account", "critical", "[\"A.8.2\"]" },
	{ "disk.encryption", "fail", "/ is plain", "high", "[\"A.8.24\"]" },
	{ "time.sync", "not_applicable", "container", "low", "[]" }
};
#define NBASE	(sizeof base_verdicts / sizeof base_verdicts[0])

/* Adds a report of verdicts v for host at T0 + dt: the state. */
static int
add_sha(struct fx *f, const char *id, const char *host, int dt,
    const struct cstore_verdict *v, size_t n, const char *vsha,
    int *changes);

static int
add(struct fx *f, const char *id, const char *host, int dt,
    const struct cstore_verdict *v, size_t n, int *changes)
{
	return (add_sha(f, id, host, dt, v, n, NULL, changes));
}

/* add with the digest of the verdict list the collector works out. */
static int
add_sha(struct fx *f, const char *id, const char *host, int dt,
    const struct cstore_verdict *v, size_t n, const char *vsha,
    int *changes)
{
	struct cstore_report	 r;
	char			*cause = NULL;
	int			 rv;

	memset(&r, 0, sizeof r);
	r.report_id = id;
	r.host_id = host;
	r.hostname = "laptop-1";
	r.kind = "run";
	r.generated_at = T0 + dt;
	r.received_at = T0 + dt + 1;
	r.summary = "{\"pass\":1,\"fail\":1,\"error\":0,\"not_applicable\":1}";
	r.sha256 = "00";
	r.verdicts_sha = vsha;
	r.verdicts = v;
	r.nverdicts = n;
	rv = f->s->ops->report_add(f->s, &r, changes, &cause);
	if (rv == -1) {
		assert_non_null(cause);
		free(cause);
	}
	return (rv);
}

/* The latest status and since of one check of HOST_A. */
static void
latest_of(struct fx *f, const char *check, char *status, size_t len,
    time_t *since, char *message, size_t mlen)
{
	struct cstore_latest	*l;
	size_t			 n, i;
	char			*cause = NULL;

	assert_int_equal(f->s->ops->latest(f->s, HOST_A, &l, &n, &cause), 0);
	for (i = 0; i < n; i++)
		if (strcmp(l[i].check_id, check) == 0)
			break;
	assert_true(i < n);
	snprintf(status, len, "%s", l[i].status);
	snprintf(message, mlen, "%s", l[i].message);
	*since = l[i].since;
	cstore_latest_free(l, n);
}

static void
test_by_change(void **state)
{
	struct fx		*f = *state;
	struct cstore_verdict	 v[NBASE];
	char			 st[32], msg[64];
	time_t			 since;
	int			 ch;

	/* First report: every check is new. */
	assert_int_equal(add(f, "r1", HOST_A, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 3);
	assert_int_equal(count(f, "SELECT count(*) FROM latest"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 3);
	assert_int_equal(count(f, "SELECT last_seen FROM hosts WHERE "
	    "host_id = '" HOST_A "'"), T0 + 1);
	assert_int_equal(count(f, "SELECT count(*) FROM hosts WHERE "
	    "hostname = 'laptop-1'"), 1);

	/* The same id: nothing written. */
	assert_int_equal(add(f, "r1", HOST_A, 50, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_DUPLICATE);
	assert_int_equal(ch, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 1);
	assert_int_equal(count(f, "SELECT last_seen FROM hosts WHERE "
	    "host_id = '" HOST_A "'"), T0 + 1);

	/* Unchanged verdicts: one reports row. */
	assert_int_equal(add(f, "r2", HOST_A, 100, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 3);
	assert_int_equal(count(f, "SELECT last_seen FROM hosts WHERE "
	    "host_id = '" HOST_A "'"), T0 + 101);

	/* One status flipped: one history row, latest rewritten. */
	memcpy(v, base_verdicts, sizeof v);
	v[1].status = "pass";
	v[1].message = "/ is on LUKS";
	assert_int_equal(add(f, "r3", HOST_A, 200, v, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 4);
	assert_int_equal(count(f, "SELECT at FROM results_history WHERE "
	    "check_id = 'disk.encryption' AND status = 'pass'"), T0 + 200);
	latest_of(f, "disk.encryption", st, sizeof st, &since, msg,
	    sizeof msg);
	assert_string_equal(st, "pass");
	assert_string_equal(msg, "/ is on LUKS");
	assert_int_equal(since, T0 + 200);

	/* Only a message changed: latest, but no history, since kept. */
	v[0].message = "1 account (root)";
	assert_int_equal(add(f, "r4", HOST_A, 300, v, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 4);
	latest_of(f, "accounts.uid0", st, sizeof st, &since, msg, sizeof msg);
	assert_string_equal(msg, "1 account (root)");
	assert_int_equal(since, T0);

	/* A late report (older than r4) moves nothing back. */
	assert_int_equal(add(f, "r-late", HOST_A, 150, base_verdicts, NBASE,
	    &ch), CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 0);
	latest_of(f, "disk.encryption", st, sizeof st, &since, msg,
	    sizeof msg);
	assert_string_equal(st, "pass");
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 5);
	assert_int_equal(count(f, "SELECT last_report_at FROM hosts WHERE "
	    "host_id = '" HOST_A "'"), T0 + 300);

	/* Host B's verdicts are its own. */
	assert_int_equal(add(f, "b1", HOST_B, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 3);
	/* Host A's report id from host B: a conflict, nothing written. */
	assert_int_equal(add(f, "r3", HOST_B, 400, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_CONFLICT);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 6);
}

static void
test_unknown_host_rolls_back(void **state)
{
	struct fx	*f = *state;
	int		 ch = -1;

	assert_int_equal(add(f, "x1", "11111111111111111111111111111111", 0,
	    base_verdicts, NBASE, &ch), -1);
	assert_int_equal(ch, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM latest"), 0);
	/* The store is usable after the rollback. */
	assert_int_equal(add(f, "x1", HOST_A, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 3);
}

static void
test_batch(void **state)
{
	struct fx	*f = *state;
	char		*cause = NULL;
	int		 ch;

	assert_int_equal(f->s->ops->batch_end(f->s, 1, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(f->s->ops->batch_begin(f->s, &cause), 0);
	assert_int_equal(f->s->ops->batch_begin(f->s, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(add(f, "b1", HOST_A, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 3);
	assert_int_equal(add(f, "b1", HOST_A, 10, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_DUPLICATE);
	assert_int_equal(add(f, "b1", HOST_B, 10, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_CONFLICT);
	/* An unknown host fails alone: its report row is undone. */
	assert_int_equal(add(f, "x1", "11111111111111111111111111111111", 20,
	    base_verdicts, NBASE, &ch), -1);
	assert_int_equal(add(f, "b2", HOST_A, 30, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 0);
	/* Not committed: another connection sees nothing yet. */
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 0);
	assert_int_equal(f->s->ops->batch_end(f->s, 1, &cause), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM reports WHERE "
	    "report_id = 'x1'"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 3);
	assert_int_equal(count(f, "SELECT last_seen FROM hosts WHERE "
	    "host_id = '" HOST_A "'"), T0 + 31);

	/* Rolled back: nothing of it stays. */
	assert_int_equal(f->s->ops->batch_begin(f->s, &cause), 0);
	assert_int_equal(add(f, "b3", HOST_B, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(f->s->ops->batch_end(f->s, 0, &cause), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM latest"), 3);

	/* Outside a batch, a report is its own transaction again. */
	assert_int_equal(add(f, "b3", HOST_B, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 3);
}

/* A store of schema version 1 (enrollment only) gains the report tables. */
static void
test_upgrade_v1(void **state)
{
	struct fx	*f = *state;
	sqlite3		*db;
	char		 path[128], *cause = NULL;
	int		 ch;

	snprintf(path, sizeof path, "%s/v1.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE hosts (host_id TEXT PRIMARY KEY, hostname TEXT,"
	    "  cert_serial TEXT, enrolled_at INTEGER NOT NULL,"
	    "  last_seen INTEGER);"
	    "CREATE TABLE certs (serial TEXT PRIMARY KEY, host_id TEXT NOT NULL,"
	    "  not_after INTEGER NOT NULL, revoked_at INTEGER);"
	    "CREATE TABLE tokens (hash TEXT PRIMARY KEY, uses_left INTEGER "
	    "  NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER "
	    "  NOT NULL, note TEXT);"
	    "INSERT INTO hosts VALUES ('" HOST_A "', 'v1-host', 'aa', 1, NULL);"
	    "INSERT INTO certs VALUES ('aa', '" HOST_A "', 9999999999, NULL);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	f->s->ops->close(f->s);
	f->s = cstore_sqlite_open(path, &cause);
	assert_non_null(f->s);
	snprintf(f->path, sizeof f->path, "%s", path);
	assert_int_equal(count(f, "PRAGMA user_version"), 5);
	assert_int_equal(f->s->ops->cert_state(f->s, "aa", &cause),
	    CSTORE_CERT_VALID);
	assert_int_equal(add(f, "u1", HOST_A, 0, base_verdicts, NBASE, &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 3);
	/* Opening it again changes nothing. */
	f->s->ops->close(f->s);
	f->s = cstore_sqlite_open(path, &cause);
	assert_non_null(f->s);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 3);
}

/*
 * The digest of the verdict list: the same digest as the host's last
 * applied list skips the per-check work (white box: a list that differs
 * under the same digest shows the skip); a new digest, a late report
 * and no digest behave as without it.
 */
static void
test_verdicts_sha(void **state)
{
	struct fx		*f = *state;
	struct cstore_verdict	 v[NBASE];
	int			 ch;

	assert_int_equal(add_sha(f, "r1", HOST_A, 0, base_verdicts, NBASE,
	    "aa", &ch), CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 3);
	assert_int_equal(count(f, "SELECT count(*) FROM hosts WHERE "
	    "verdicts_sha = 'aa'"), 1);
	memcpy(v, base_verdicts, sizeof v);
	v[1].status = "pass";
	assert_int_equal(add_sha(f, "r2", HOST_A, 100, v, NBASE, "aa", &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM reports"), 2);
	assert_int_equal(count(f, "SELECT last_seen FROM hosts WHERE "
	    "host_id = '" HOST_A "'"), T0 + 101);
	/* Another digest: compared check by check. */
	assert_int_equal(add_sha(f, "r3", HOST_A, 200, v, NBASE, "bb", &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM results_history"), 4);
	/* A late report keeps the host's digest. */
	assert_int_equal(add_sha(f, "r-late", HOST_A, 150, base_verdicts,
	    NBASE, "cc", &ch), CSTORE_REPORT_ADDED);
	assert_int_equal(count(f, "SELECT count(*) FROM hosts WHERE "
	    "verdicts_sha = 'bb'"), 1);
	/* No digest: compared check by check, and none kept. */
	assert_int_equal(add_sha(f, "r4", HOST_A, 300, base_verdicts, NBASE,
	    NULL, &ch), CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM hosts WHERE "
	    "verdicts_sha IS NULL AND host_id = '" HOST_A "'"), 1);
	assert_int_equal(add_sha(f, "r5", HOST_A, 400, v, NBASE, "bb", &ch),
	    CSTORE_REPORT_ADDED);
	assert_int_equal(ch, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_by_change, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_host_rolls_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_v1, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts_sha, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
