/*
 * Unit tests for agentd/store.c: runs are kept exactly (canonical
 * document and its hash), results are de-duplicated, verdict changes
 * recorded, and history is append-only; the report outbox is written
 * with its run, delivered in order, compacted and durable.
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

#include <sqlite3.h>

#include "agentd.h"
#include "util.h"

static char dir[] = "/tmp/test_store.XXXXXX";
static char path[256];

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(path, sizeof path, "%s/sub/store.db", dir);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return (system(cmd));
}

static json_t *
report(const char *at, const char *st1, const char *st2)
{
	return (json_pack("{s:s,s:{s:s,s:s,s:s,s:{}},s:s,s:[{s:s,s:s,s:s,"
	    "s:{s:{s:b},s:s}},{s:s,s:s,s:s,s:{s:{s:i},s:s}}],"
	    "s:{s:i,s:i,s:i,s:i}}",
	    "schema", REPORT_SCHEMA,
	    "agent", "version", "0.1.0", "host_id", "abc", "hostname", "h",
	    "os",
	    "generated_at", at,
	    "results",
	    "check", "disk.encryption.root", "status", st1, "message", "m1",
	    "evidence", "observed", "disk.root.encrypted",
	    strcmp(st1, "pass") == 0, "collected_at", at,
	    "check", "screen_lock.effective", "status", st2, "message", "m2",
	    "evidence", "observed", "x", 1, "collected_at", at,
	    "summary", "pass", 1, "fail", 1, "error", 0, "not_applicable", 0));
}

static int64_t
count(struct store *s, const char *table)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 sql[128];
	int64_t		 n = -1;

	(void)s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}

static void
test_roundtrip_dedup_history(void **state)
{
	struct store	*s;
	json_t		*r, *h;
	char		*cause = NULL, *doc, *canon;
	int64_t		 id1, id2, id3;

	s = store_open(path, &cause);
	assert_non_null(s);
	r = report("2026-11-22T02:00:00Z", "pass", "pass");
	id1 = store_put_run(s, r, &cause);
	assert_true(id1 > 0);
	/* The stored document is exactly the canonical one. */
	doc = store_get_run(s, id1, &cause);
	assert_non_null(doc);
	canon = report_canonical(r);
	assert_string_equal(doc, canon);
	free(doc);
	free(canon);
	json_decref(r);
	assert_int_equal(count(s, "blobs"), 3);

	/* Same results an hour later: one new run, no new blobs. */
	r = report("2026-11-22T03:00:00Z", "pass", "pass");
	id2 = store_put_run(s, r, &cause);
	assert_true(id2 > id1);
	json_decref(r);
	assert_int_equal(count(s, "blobs"), 3);
	assert_int_equal(count(s, "runs"), 2);
	doc = store_get_run(s, id2, &cause);
	assert_non_null(strstr(doc, "\"collected_at\":\"2026-11-22T03:00:00Z\""));
	free(doc);

	/* A change: one new blob, one change row. */
	r = report("2026-11-22T04:00:00Z", "fail", "pass");
	id3 = store_put_run(s, r, &cause);
	json_decref(r);
	assert_int_equal(count(s, "blobs"), 4);
	h = store_history(s, NULL, 0, &cause);
	/* Two "new" changes at the first run, then pass -> fail. */
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(h, 2), "old")), "pass");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(h, 2), "new")), "fail");
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(h, 2), "run")), id3);
	json_decref(h);
	h = store_history(s, "screen_lock.effective", 0, &cause);
	assert_int_equal(json_array_size(h), 1);
	assert_true(json_is_null(json_object_get(json_array_get(h, 0),
	    "old")));
	json_decref(h);
	h = store_history(s, NULL, 1795316400 + 1, &cause);
	assert_int_equal(json_array_size(h), 1);
	json_decref(h);
	store_close(s);
}

static void
test_append_only_and_tamper(void **state)
{
	sqlite3		*db;
	struct store	*s;
	char		*cause = NULL, *err = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM runs", NULL, NULL,
	    &err), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	sqlite3_free(err);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE changes SET new = "
	    "'pass'", NULL, NULL, NULL), SQLITE_OK);
	/* Tamper with a blob behind the triggers' back. */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER blobs_append_only_u;"
	    "UPDATE blobs SET body = replace(body, 'm1', 'mX')", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	s = store_open(path, &cause);
	assert_non_null(s);
	assert_null(store_get_run(s, 1, &cause));
	assert_non_null(strstr(cause, "does not match its recorded SHA-256"));
	free(cause);
	store_close(s);
}

static void
test_open_errors(void **state)
{
	char	*cause = NULL;

	assert_null(store_open("/proc/no/such/dir/store.db", &cause));
	assert_non_null(strstr(cause, "/proc/no"));
	free(cause);
}

/* Each outbox test has its own store. */
static struct store *
fresh(const char *name)
{
	struct store	*s;
	char		*cause = NULL;

	snprintf(path, sizeof path, "%s/outbox-%s.db", dir, name);
	s = store_open(path, &cause);
	assert_non_null(s);
	return (s);
}

/* A report at time t. */
static json_t *
report_at(time_t t, const char *st1, const char *st2)
{
	char	ts[RFC3339_LEN];

	time_format_rfc3339(t, ts, sizeof ts);
	return (report(ts, st1, st2));
}

static int64_t
put_outbox(struct store *s, time_t t, const char *st1, const char *st2)
{
	json_t	*r;
	char	*cause = NULL;
	int64_t	 id;

	r = report_at(t, st1, st2);
	id = store_put_run_outbox(s, r, t, &cause);
	json_decref(r);
	if (id == -1)
		fail_msg("store_put_run_outbox: %s", cause);
	return (id);
}

/* Lower-case UUID version 4, variant 10. */
static int
is_uuid_v4(const char *u)
{
	size_t	i;

	if (strlen(u) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return (0);
		} else if (strchr("0123456789abcdef", u[i]) == NULL)
			return (0);
	}
	return (u[14] == '4' && strchr("89ab", u[19]) != NULL);
}

static void
test_outbox_atomic(void **state)
{
	struct store	*s;
	sqlite3		*db;
	json_t		*r, *res;
	char		*cause = NULL;
	int64_t		 id;

	s = fresh("atomic");
	/* A plain run is history only. */
	r = report_at(1795316400, "pass", "pass");
	assert_true(store_put_run(s, r, &cause) > 0);
	json_decref(r);
	assert_int_equal(count(s, "runs"), 1);
	assert_int_equal(count(s, "outbox"), 0);

	/*
	 * A report that fails after its run row is written (a result
	 * without a check id breaks the changes insert) leaves neither
	 * run nor outbox row.
	 */
	r = report_at(1795320000, "fail", "pass");
	res = json_array_get(json_object_get(r, "results"), 0);
	json_object_del(res, "check");
	assert_int_equal(store_put_run_outbox(s, r, 1795320000, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	json_decref(r);
	assert_int_equal(count(s, "runs"), 1);
	assert_int_equal(count(s, "changes"), 2);
	assert_int_equal(count(s, "outbox"), 0);

	/* The outbox insert fails: the run is not stored either. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER outbox_full BEFORE "
	    "INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END",
	    NULL, NULL, NULL), SQLITE_OK);
	r = report_at(1795320000, "fail", "pass");
	assert_int_equal(store_put_run_outbox(s, r, 1795320000, &cause), -1);
	assert_non_null(strstr(cause, "disk full"));
	free(cause);
	cause = NULL;
	assert_int_equal(count(s, "runs"), 1);
	assert_int_equal(count(s, "changes"), 2);
	assert_int_equal(count(s, "outbox"), 0);

	/* Both, once the outbox works again. */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER outbox_full", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	id = store_put_run_outbox(s, r, 1795320000, &cause);
	json_decref(r);
	assert_true(id > 1);
	assert_int_equal(count(s, "runs"), 2);
	assert_int_equal(count(s, "changes"), 3);
	assert_int_equal(count(s, "outbox"), 1);
	assert_int_equal(store_outbox_depth(s), 1);
	store_close(s);
}

static void
test_outbox_fifo_retry(void **state)
{
	struct store		*s;
	struct outbox_item	 oi;
	char			 first[STORE_UUID_LEN];
	int64_t			 id1, id2, id3;

	s = fresh("fifo");
	assert_int_equal(store_outbox_next_at(s), 0);
	assert_int_equal(store_outbox_next(s, 5000, &oi), -1);
	id1 = put_outbox(s, 1000, "pass", "pass");
	id2 = put_outbox(s, 1001, "pass", "pass");
	id3 = put_outbox(s, 1002, "pass", "fail");
	assert_int_equal(store_outbox_depth(s), 3);
	assert_int_equal(store_outbox_next_at(s), 1000);
	/* Not due before its time. */
	assert_int_equal(store_outbox_next(s, 999, &oi), -1);
	assert_int_equal(store_outbox_next(s, 1000, &oi), 0);
	assert_int_equal(oi.run_id, id1);
	assert_int_equal(oi.created_at, 1000);
	assert_int_equal(oi.attempts, 0);
	assert_string_equal(oi.kind, "run");
	assert_null(oi.last_error);
	assert_true(is_uuid_v4(oi.report_id));
	strlcpy(first, oi.report_id, sizeof first);
	store_outbox_item_clear(&oi);

	/* A failed attempt holds the queue back until it is due again. */
	assert_int_equal(store_outbox_retry(s, first, 2000,
	    "connect: Connection refused"), 0);
	assert_int_equal(store_outbox_next_at(s), 2000);
	assert_int_equal(store_outbox_next(s, 1999, &oi), -1);
	assert_int_equal(store_outbox_next(s, 2000, &oi), 0);
	assert_string_equal(oi.report_id, first);
	assert_int_equal(oi.run_id, id1);
	assert_int_equal(oi.attempts, 1);
	assert_int_equal(oi.next_at, 2000);
	assert_string_equal(oi.last_error, "connect: Connection refused");
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_retry(s, first, 2100, "HTTP 503"), 0);
	assert_int_equal(store_outbox_next(s, 2100, &oi), 0);
	assert_int_equal(oi.attempts, 2);
	assert_string_equal(oi.last_error, "HTTP 503");
	store_outbox_item_clear(&oi);

	/* Delivered: the next one, in run order. */
	assert_int_equal(store_outbox_sent(s, first), 0);
	assert_int_equal(store_outbox_depth(s), 2);
	assert_int_equal(store_outbox_next(s, 2100, &oi), 0);
	assert_int_equal(oi.run_id, id2);
	assert_int_equal(oi.attempts, 0);
	assert_int_equal(store_outbox_sent(s, oi.report_id), 0);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_next(s, 2100, &oi), 0);
	assert_int_equal(oi.run_id, id3);
	assert_int_equal(store_outbox_sent(s, oi.report_id), 0);
	/* A duplicate acknowledgement is harmless. */
	assert_int_equal(store_outbox_sent(s, oi.report_id), 0);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_depth(s), 0);
	assert_int_equal(store_outbox_next(s, 99999, &oi), -1);
	assert_int_equal(store_outbox_next_at(s), 0);
	/* The history is untouched. */
	assert_int_equal(store_run_count(s), 3);
	store_close(s);
}

static void
test_outbox_body(void **state)
{
	struct store		*s;
	struct outbox_item	 oi;
	json_t			*j;
	char			*cause = NULL, *body, *run, *canon;
	int64_t			 id;

	s = fresh("body");
	id = put_outbox(s, 1795316400, "fail", "pass");
	assert_int_equal(store_outbox_next(s, 1795316400, &oi), 0);
	assert_int_equal(oi.run_id, id);
	assert_int_equal(store_outbox_body(s, oi.report_id, &body, &cause), 0);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j,
	    "report_id")), oi.report_id);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
	    "run");
	assert_string_equal(json_string_value(json_object_get(j, "schema")),
	    REPORT_SCHEMA);
	/* The body is canonical, and the stored run plus the two keys. */
	canon = report_canonical(j);
	assert_string_equal(body, canon);
	free(canon);
	json_object_del(j, "report_id");
	json_object_del(j, "kind");
	canon = report_canonical(j);
	run = store_get_run(s, id, &cause);
	assert_non_null(run);
	assert_string_equal(canon, run);
	free(canon);
	free(run);
	free(body);
	json_decref(j);

	/* An unknown id. */
	assert_int_equal(store_outbox_body(s,
	    "00000000-0000-4000-8000-000000000000", &body, &cause), -1);
	assert_null(body);
	assert_non_null(strstr(cause, "not in the outbox"));
	free(cause);
	cause = NULL;
	/* Once sent, it is gone. */
	assert_int_equal(store_outbox_sent(s, oi.report_id), 0);
	assert_int_equal(store_outbox_body(s, oi.report_id, &body, &cause), -1);
	free(cause);
	store_outbox_item_clear(&oi);
	store_close(s);
}

/*
 * A month offline: 1000 runs, three of which changed a verdict.
 * Compaction keeps those three and the newest, in order; the report ids
 * are unique UUIDs; all of it survives closing the store.
 */
static void
test_outbox_compact_durable(void **state)
{
	struct store		*s;
	struct outbox_item	 oi;
	sqlite3			*db;
	sqlite3_stmt		*st;
	json_t			*r, *j, *ch;
	const char		*st1;
	char			*cause = NULL, *body, ids[4][STORE_UUID_LEN];
	int64_t			 id, runs[4];
	time_t			 t0 = 1795316400, t;
	int			 i, n, nuuid;

	s = fresh("compact");
	/* The first run (every check new) was delivered long ago. */
	r = report_at(t0, "pass", "pass");
	assert_true(store_put_run(s, r, &cause) > 0);
	json_decref(r);
	n = 0;
	for (i = 0; i < 1000; i++) {
		t = t0 + 3600 + (time_t)i * 2400;
		st1 = (i == 100 || i >= 500) ? "fail" : "pass";
		id = put_outbox(s, t, st1, "pass");
		if (i == 100 || i == 101 || i == 500 || i == 999)
			runs[n++] = id;
	}
	assert_int_equal(store_outbox_depth(s), 1000);

	/* Every report id is a distinct UUID v4. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT report_id FROM outbox",
	    -1, &st, NULL), SQLITE_OK);
	nuuid = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!is_uuid_v4((const char *)sqlite3_column_text(st, 0)))
			fail_msg("not a UUID v4: %s",
			    sqlite3_column_text(st, 0));
		nuuid++;
	}
	sqlite3_finalize(st);
	assert_int_equal(nuuid, 1000);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(DISTINCT "
	    "report_id) FROM outbox", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1000);
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* Under the limit nothing happens. */
	assert_int_equal(store_outbox_compact(s, 1000), 0);
	assert_int_equal(store_outbox_depth(s), 1000);
	assert_int_equal(store_outbox_next(s, t0, &oi), -1);
	assert_int_equal(store_outbox_next(s, t0 + 3600, &oi), 0);
	assert_string_equal(oi.kind, "run");
	store_outbox_item_clear(&oi);

	assert_int_equal(store_outbox_compact(s, 100), 996);
	assert_int_equal(store_outbox_depth(s), 4);
	/* The history keeps every run. */
	assert_int_equal(store_run_count(s), 1001);
	/* A failed attempt before the agent stops. */
	assert_int_equal(store_outbox_next(s, t0 + 3600, &oi), -1);
	assert_int_equal(store_outbox_next_at(s), t0 + 3600 + 100 * 2400);
	assert_int_equal(store_outbox_next(s, t0 + 3600 + 100 * 2400, &oi),
	    0);
	assert_int_equal(oi.run_id, runs[0]);
	assert_int_equal(store_outbox_retry(s, oi.report_id, t0 + 9999999,
	    "HTTP 502"), 0);
	store_outbox_item_clear(&oi);
	store_close(s);

	/* Reopened: the same four, in order, with their state. */
	s = store_open(path, &cause);
	assert_non_null(s);
	assert_int_equal(store_outbox_depth(s), 4);
	assert_int_equal(store_outbox_next(s, t0 + 9999998, &oi), -1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(store_outbox_next(s, t0 + 9999999, &oi), 0);
		assert_int_equal(oi.run_id, runs[i]);
		assert_int_equal(oi.attempts, i == 0 ? 1 : 0);
		if (i == 0)
			assert_string_equal(oi.last_error, "HTTP 502");
		assert_string_equal(oi.kind, i < 3 ? "catch_up" : "run");
		assert_true(is_uuid_v4(oi.report_id));
		/* The kept older runs are the ones that drifted. */
		ch = store_run_changes(s, oi.run_id);
		assert_int_equal(json_array_size(ch), i < 3 ? 1 : 0);
		json_decref(ch);
		assert_int_equal(store_outbox_body(s, oi.report_id, &body,
		    &cause), 0);
		j = json_loads(body, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j,
		    "kind")), oi.kind);
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(json_object_get(j, "results"), 0),
		    "status")), i == 1 ? "pass" : "fail");
		json_decref(j);
		free(body);
		strlcpy(ids[i], oi.report_id, sizeof ids[i]);
		assert_int_equal(store_outbox_sent(s, oi.report_id), 0);
		store_outbox_item_clear(&oi);
	}
	assert_string_not_equal(ids[0], ids[3]);
	assert_int_equal(store_outbox_depth(s), 0);
	/* Compacting an empty or small outbox changes nothing. */
	assert_int_equal(store_outbox_compact(s, 0), 0);
	id = put_outbox(s, t0 + 10000000, "fail", "pass");
	assert_int_equal(store_outbox_compact(s, 0), 0);
	assert_int_equal(store_outbox_next(s, t0 + 10000000, &oi), 0);
	assert_int_equal(oi.run_id, id);
	assert_string_equal(oi.kind, "run");
	store_outbox_item_clear(&oi);
	store_close(s);
}

/*
 * A rejected item no longer holds back the newer ones: the oldest item
 * not rejected goes first, a rejected one only when it is due and no
 * other item is; refused again it stays rejected (since its first
 * refusal); a 200 deletes it like any other; retry and drop.
 */
static void
test_outbox_rejected(void **state)
{
	struct store		*s;
	struct outbox_item	 oi;
	json_t			*l, *v;
	char			 first[STORE_UUID_LEN], second[STORE_UUID_LEN];
	int64_t			 id1, id2, id3, run;

	s = fresh("rejected");
	id1 = put_outbox(s, 1000, "pass", "pass");
	id2 = put_outbox(s, 1001, "pass", "fail");
	assert_int_equal(store_outbox_rejected(s), 0);
	assert_int_equal(store_outbox_next(s, 1001, &oi), 0);
	assert_int_equal(oi.run_id, id1);
	assert_int_equal(oi.rejected_at, 0);
	strlcpy(first, oi.report_id, sizeof first);
	store_outbox_item_clear(&oi);

	/* Refused for good: set aside for a day, the next one goes. */
	assert_int_equal(store_outbox_reject(s, first, 1002, 1002 + 86400,
	    "HTTP 422: /agent/host_id: not this host"), 0);
	assert_int_equal(store_outbox_rejected(s), 1);
	assert_int_equal(store_outbox_depth(s), 2);
	assert_int_equal(store_outbox_next_at(s), 1001);
	assert_int_equal(store_outbox_next(s, 1002, &oi), 0);
	assert_int_equal(oi.run_id, id2);
	strlcpy(second, oi.report_id, sizeof second);
	store_outbox_item_clear(&oi);

	/* The collector is down: the normal one backs off to 1100. */
	assert_int_equal(store_outbox_retry(s, second, 1100, "HTTP 503"), 0);
	assert_int_equal(store_outbox_next_at(s), 1100);
	assert_int_equal(store_outbox_next(s, 1099, &oi), -1);
	/* A newer run waits behind the normal head, not the rejected. */
	id3 = put_outbox(s, 1050, "fail", "fail");
	assert_int_equal(store_outbox_next(s, 1100, &oi), 0);
	assert_int_equal(oi.run_id, id2);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_sent(s, second), 0);
	assert_int_equal(store_outbox_next(s, 1100, &oi), 0);
	assert_int_equal(oi.run_id, id3);
	/*
	 * The rejected one is due, but a normal item is too: the normal
	 * one goes; once it backs off, the rejected one may go.
	 */
	assert_int_equal(store_outbox_next(s, 1002 + 86400, &oi), 0);
	assert_int_equal(oi.run_id, id3);
	assert_int_equal(store_outbox_retry(s, oi.report_id, 1002 + 90000,
	    "HTTP 503"), 0);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_next_at(s), 1002 + 86400);
	assert_int_equal(store_outbox_next(s, 1002 + 86400, &oi), 0);
	assert_int_equal(oi.run_id, id1);
	assert_int_equal(oi.rejected_at, 1002);
	assert_string_equal(oi.last_error,
	    "HTTP 422: /agent/host_id: not this host");
	store_outbox_item_clear(&oi);
	/* Refused again: still rejected, since the first refusal. */
	assert_int_equal(store_outbox_reject(s, first, 87402, 87402 + 86400,
	    "HTTP 422: again"), 0);
	assert_int_equal(store_outbox_rejected(s), 1);
	l = store_outbox_list(s, NULL);
	assert_non_null(l);
	assert_int_equal(json_array_size(l), 2);
	v = json_array_get(l, 0);
	assert_string_equal(json_string_value(json_object_get(v,
	    "report_id")), first);
	assert_int_equal(json_integer_value(json_object_get(v, "run")), id1);
	assert_int_equal(json_integer_value(json_object_get(v, "attempts")),
	    2);
	assert_string_equal(json_string_value(json_object_get(v, "rejected")),
	    "1970-01-01T00:16:42Z");
	assert_string_equal(json_string_value(json_object_get(v,
	    "last_error")), "HTTP 422: again");
	assert_true(json_is_null(json_object_get(json_array_get(l, 1),
	    "rejected")));
	json_decref(l);

	/* Not due: nothing; retry makes it due and not rejected. */
	assert_int_equal(store_outbox_next(s, 87500, &oi), -1);
	assert_int_equal(store_outbox_requeue(s, first, 87500), 1);
	assert_int_equal(store_outbox_requeue(s,
	    "00000000-0000-4000-8000-000000000000", 87500), 0);
	assert_int_equal(store_outbox_rejected(s), 0);
	assert_int_equal(store_outbox_next(s, 87500, &oi), 0);
	assert_int_equal(oi.run_id, id1);	/* in order again */
	store_outbox_item_clear(&oi);

	/* --all: every item, rejected or not. */
	assert_int_equal(store_outbox_reject(s, first, 87501, 90000, "x"), 0);
	assert_int_equal(store_outbox_requeue(s, NULL, 87600), 2);
	assert_int_equal(store_outbox_rejected(s), 0);
	assert_int_equal(store_outbox_next_at(s), 87600);

	/* A 200 deletes a rejected item like any other. */
	assert_int_equal(store_outbox_reject(s, first, 87501, 90000, "x"), 0);
	assert_int_equal(store_outbox_sent(s, first), 0);
	assert_int_equal(store_outbox_rejected(s), 0);
	assert_int_equal(store_outbox_depth(s), 1);

	/* Drop: out of the outbox, the run kept; unknown: 0. */
	assert_int_equal(store_outbox_next(s, 99999999, &oi), 0);
	assert_int_equal(store_outbox_drop(s, oi.report_id, &run), 1);
	assert_int_equal(run, id3);
	assert_int_equal(store_outbox_drop(s, oi.report_id, &run), 0);
	/* The engine's answer for a dropped item changes nothing. */
	assert_int_equal(store_outbox_retry(s, oi.report_id, 5, "x"), 0);
	assert_int_equal(store_outbox_reject(s, oi.report_id, 5, 5, "x"), 0);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_depth(s), 0);
	assert_int_equal(store_outbox_next_at(s), 0);
	assert_int_equal(store_run_count(s), 3);
	store_close(s);
}

/*
 * Compaction: a rejected newest item supersedes nothing; rejected items
 * without changes are superseded by a newer normal one.
 */
static void
test_outbox_rejected_compact(void **state)
{
	struct store		*s;
	struct outbox_item	 oi;
	json_t			*l;
	int64_t			 id[5];
	int			 i;

	s = fresh("rejcompact");
	/* id[0] records changes (every check new); the others do not. */
	for (i = 0; i < 4; i++)
		id[i] = put_outbox(s, 1000 + i, "pass", "pass");
	/* The newest rejected: it supersedes nothing, id[2] does. */
	l = store_outbox_list(s, NULL);
	assert_non_null(l);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l,
	    3), "run")), id[3]);
	assert_int_equal(store_outbox_reject(s, json_string_value(
	    json_object_get(json_array_get(l, 3), "report_id")), 2000, 90000,
	    "HTTP 413"), 0);
	json_decref(l);
	assert_int_equal(store_outbox_compact(s, 1), 1);
	assert_int_equal(store_outbox_depth(s), 3);	/* 0, 2, 3 */
	assert_int_equal(store_outbox_next(s, 5000, &oi), 0);
	assert_int_equal(oi.run_id, id[0]);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_rejected(s), 1);
	/* A newer normal run supersedes the rejected one and id[2]. */
	id[4] = put_outbox(s, 1004, "pass", "pass");
	assert_int_equal(store_outbox_compact(s, 1), 2);
	assert_int_equal(store_outbox_depth(s), 2);
	assert_int_equal(store_outbox_rejected(s), 0);
	assert_int_equal(store_outbox_next(s, 5000, &oi), 0);
	assert_int_equal(oi.run_id, id[0]);
	assert_string_equal(oi.kind, "catch_up");
	assert_int_equal(store_outbox_sent(s, oi.report_id), 0);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_next(s, 5000, &oi), 0);
	assert_int_equal(oi.run_id, id[4]);
	store_outbox_item_clear(&oi);
	store_close(s);
}

/*
 * A store of schema version 1 (no outbox.rejected_at) gets the column in
 * place when opened, keeps its items and runs, and records version 2.
 */
static void
test_store_upgrade_v1(void **state)
{
	struct store		*s;
	struct outbox_item	 oi;
	sqlite3			*db;
	sqlite3_stmt		*st;
	char			*cause = NULL;
	int64_t			 id;
	int			 have = 0;

	s = fresh("v1");
	id = put_outbox(s, 1000, "pass", "pass");
	store_close(s);
	/* Make it a version 1 store, as an older agent left it. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE outbox DROP COLUMN "
	    "rejected_at; UPDATE meta SET value = '1' WHERE key = "
	    "'schema_version'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = fresh("v1");
	assert_int_equal(store_outbox_depth(s), 1);
	assert_int_equal(store_outbox_next(s, 1000, &oi), 0);
	assert_int_equal(oi.run_id, id);
	assert_int_equal(store_outbox_reject(s, oi.report_id, 1001, 2000,
	    "HTTP 422"), 0);
	store_outbox_item_clear(&oi);
	assert_int_equal(store_outbox_rejected(s), 1);
	assert_int_equal(store_run_count(s), 1);
	store_close(s);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA table_info(outbox)",
	    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1),
		    "rejected_at") == 0)
			have++;
	sqlite3_finalize(st);
	assert_int_equal(have, 1);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE "
	    "key = 'schema_version'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "2");
	sqlite3_finalize(st);
	/* A newer agent's store is refused, not damaged. */
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = '3' WHERE "
	    "key = 'schema_version'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(path, &cause));
	assert_non_null(strstr(cause, "schema version 3 is newer"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_dedup_history),
		cmocka_unit_test(test_append_only_and_tamper),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_outbox_atomic),
		cmocka_unit_test(test_outbox_fifo_retry),
		cmocka_unit_test(test_outbox_body),
		cmocka_unit_test(test_outbox_compact_durable),
		cmocka_unit_test(test_outbox_rejected),
		cmocka_unit_test(test_outbox_rejected_compact),
		cmocka_unit_test(test_store_upgrade_v1),
	};
	return (cmocka_run_group_tests(tests, setup, teardown));
}
