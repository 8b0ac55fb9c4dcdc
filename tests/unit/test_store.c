/*
 * Unit tests for agentd/store.c: runs are kept exactly (canonical
 * document and its hash), results are de-duplicated, verdict changes
 * recorded, and history is append-only.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_dedup_history),
		cmocka_unit_test(test_append_only_and_tamper),
		cmocka_unit_test(test_open_errors),
	};
	return (cmocka_run_group_tests(tests, setup, teardown));
}
