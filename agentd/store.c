/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The local store: an append-only history of runs in SQLite (WAL).
 *
 * Design.  Each run is one canonical JSON document (report/v1, sorted
 * keys, compact), but it is not stored whole: its results are stored as
 * content-addressed blobs (SHA-256 of the result without its collection
 * time), so a host whose results did not change adds one small row per
 * run and no new blobs.  The document is rebuilt exactly from its parts
 * and checked against the SHA-256 recorded at insertion; each run also
 * records the hash of the previous run's document, a hash chain that a
 * later change can sign for auditors.  Triggers refuse UPDATE and
 * DELETE on runs, blobs and changes.
 *
 * Verdict changes (pass -> fail, a new check, ...) are computed at
 * insertion against the latest verdict of each check and appended to
 * "changes", which "ismsctl history" reads.
 *
 * Every run is written in one IMMEDIATE transaction with synchronous=
 * FULL: a crash or kill -9 leaves either the whole run or none of it.
 *
 * The report outbox holds runs not yet delivered to the collector, each
 * with a random UUID v4 report_id made in the run's own transaction (a
 * run is stored and queued, or neither).  The body is not kept: it is
 * the run's document, rebuilt when sent, plus report_id and kind.  It is
 * delivered in order: the oldest item not rejected goes first.  An item
 * the collector refused for good (rejected_at set by the engine) is set
 * aside: it no longer holds the others back and is tried again on its own
 * slower schedule, only when no other item is due.  Compaction keeps the
 * newest item and the older ones whose run recorded verdict changes
 * ("catch_up"); the others are superseded by the newest run not rejected
 * and deleted.  Deleting from the outbox is allowed: it is not part of
 * the history.
 *
 * Schema version 2 adds outbox.rejected_at; a version 1 store gets the
 * column in place when it is opened.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agentd.h"
#include "sha256.h"
#include "util.h"
#include "xmalloc.h"

#define STORE_BUSY_TIMEOUT	10000	/* milliseconds */
#define STORE_SCHEMA_VERSION	2
#define STORE_SCHEMA_VERSION_S	"2"
#define STORE_CACHE_KB		"512"	/* KiB of page cache; the store is small */

struct store {
	sqlite3		*db;
	char		*path;
};

static const char *store_schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS blobs ("
    "  id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,"
    "  body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs ("
    "  id INTEGER PRIMARY KEY, generated_at INTEGER NOT NULL,"
    "  host_id TEXT, agent_blob INTEGER NOT NULL REFERENCES blobs(id),"
    "  result_blobs TEXT NOT NULL, summary TEXT NOT NULL,"
    "  doc_sha256 TEXT NOT NULL, prev_sha256 TEXT);"
    "CREATE TABLE IF NOT EXISTS changes ("
    "  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  at INTEGER NOT NULL, check_id TEXT NOT NULL, old TEXT,"
    "  new TEXT NOT NULL, message TEXT);"
    "CREATE INDEX IF NOT EXISTS changes_check ON changes(check_id, at);"
    "CREATE INDEX IF NOT EXISTS changes_at ON changes(at);"
    "CREATE INDEX IF NOT EXISTS changes_run ON changes(run_id);"
    "CREATE TABLE IF NOT EXISTS verdicts ("
    "  check_id TEXT PRIMARY KEY, status TEXT NOT NULL,"
    "  run_id INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS flap ("
    "  check_id TEXT PRIMARY KEY, flapping INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS alert_queue ("
    "  id INTEGER PRIMARY KEY, dest TEXT NOT NULL, body BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL, delivered_at INTEGER, last_error TEXT);"
    "CREATE INDEX IF NOT EXISTS alert_queue_due ON alert_queue(dest,"
    "  delivered_at, next_at);"
    "CREATE TABLE IF NOT EXISTS outbox ("
    "  report_id TEXT PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  created_at INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,"
    "  last_error TEXT, rejected_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS outbox_run ON outbox(run_id);"
    "CREATE TRIGGER IF NOT EXISTS runs_append_only_u BEFORE UPDATE ON runs"
    "  BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS runs_append_only_d BEFORE DELETE ON runs"
    "  BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS blobs_append_only_u BEFORE UPDATE ON blobs"
    "  BEGIN SELECT RAISE(ABORT, 'blobs are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS changes_append_only_u BEFORE UPDATE ON"
    "  changes BEGIN SELECT RAISE(ABORT, 'changes are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS changes_append_only_d BEFORE DELETE ON"
    "  changes BEGIN SELECT RAISE(ABORT, 'changes are append-only'); END;";

static int
store_fail(struct store *s, char **cause, const char *what)
{
	if (cause != NULL)
		xasprintf(cause, "%s: %s: %s", s->path, what,
		    sqlite3_errmsg(s->db));
	return (-1);
}

/*
 * Brings a store of an older schema up to STORE_SCHEMA_VERSION in place,
 * in one IMMEDIATE transaction (the daemon and ismsctl may open it at
 * once): version 1 lacks outbox.rejected_at.
 */
static int
store_upgrade(struct store *s, char **cause)
{
	sqlite3_stmt	*st;
	int		 have = 0;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return (store_fail(s, cause, "begin"));
	if (sqlite3_prepare_v2(s->db, "PRAGMA table_info(outbox)", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1),
		    "rejected_at") == 0)
			have = 1;
	sqlite3_finalize(st);
	if (!have && sqlite3_exec(s->db, "ALTER TABLE outbox ADD COLUMN "
	    "rejected_at INTEGER", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(s->db, "INSERT OR REPLACE INTO meta VALUES "
	    "('schema_version', '" STORE_SCHEMA_VERSION_S "')", NULL, NULL,
	    NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return (0);
fail:
	store_fail(s, cause, "upgrade to schema version "
	    STORE_SCHEMA_VERSION_S);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* The schema version recorded in meta, 0 if none. */
static int
store_version(struct store *s)
{
	sqlite3_stmt	*st;
	int		 v = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT CAST(value AS INTEGER) FROM "
	    "meta WHERE key = 'schema_version'", -1, &st, NULL) != SQLITE_OK)
		return (0);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* Creates the parent directories of path, mode 0700. */
static int
store_mkdirs(const char *path, char **cause)
{
	char	*dir, *p;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return (0);
	}
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		goto fail;
	free(dir);
	return (0);
fail:
	if (cause != NULL)
		xasprintf(cause, "mkdir %s: %s", dir, strerror(errno));
	free(dir);
	return (-1);
}

struct store *
store_open(const char *path, char **cause)
{
	struct store	*s;
	char		*err = NULL;
	int		 fd, v;

	if (store_mkdirs(path, cause) == -1)
		return (NULL);
	/* Create the file 0600 before SQLite does with the umask. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		if (cause != NULL)
			xasprintf(cause, "open %s: %s", path, strerror(errno));
		return (NULL);
	}
	close(fd);
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_fail(s, cause, "open");
		store_close(s);
		return (NULL);
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    "PRAGMA cache_size=-" STORE_CACHE_KB ";", NULL, NULL,
	    &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, store_schema, NULL, NULL, &err) != SQLITE_OK) {
		if (cause != NULL)
			xasprintf(cause, "%s: %s", path, err != NULL ? err :
			    "schema");
		sqlite3_free(err);
		store_close(s);
		return (NULL);
	}
	if ((v = store_version(s)) > STORE_SCHEMA_VERSION) {
		if (cause != NULL)
			xasprintf(cause, "%s: schema version %d is newer than "
			    "this agent's (%d)", path, v, STORE_SCHEMA_VERSION);
		store_close(s);
		return (NULL);
	}
	if (v < STORE_SCHEMA_VERSION && store_upgrade(s, cause) == -1) {
		store_close(s);
		return (NULL);
	}
	return (s);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* Stores a blob once; returns its id or -1. */
static int64_t
store_blob(struct store *s, const char *body, char **cause)
{
	sqlite3_stmt	*st;
	char		 hex[65];
	int64_t		 id = -1;

	sha256_hex(body, strlen(body), hex);
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO blobs(sha256, "
	    "body) VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return (store_fail(s, cause, "prepare"));
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return (store_fail(s, cause, "insert blob"));
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM blobs WHERE sha256 = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return (store_fail(s, cause, "prepare"));
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (id == -1)
		return (store_fail(s, cause, "blob lookup"));
	return (id);
}

/* Records the verdict of one check, and a change if it differs. */
static int
store_verdict(struct store *s, int64_t run, time_t at, json_t *result,
    char **cause)
{
	sqlite3_stmt	*st;
	const char	*id, *status, *msg;
	char		*old = NULL;
	int		 r = 0;

	id = json_string_value(json_object_get(result, "check"));
	status = json_string_value(json_object_get(result, "status"));
	msg = json_string_value(json_object_get(result, "message"));
	if (sqlite3_prepare_v2(s->db, "SELECT status FROM verdicts WHERE "
	    "check_id = ?", -1, &st, NULL) != SQLITE_OK)
		return (store_fail(s, cause, "prepare"));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		old = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (old != NULL && strcmp(old, status) == 0) {
		free(old);
		return (0);
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO changes(run_id, at, "
	    "check_id, old, new, message) VALUES (?, ?, ?, ?, ?, ?)", -1, &st,
	    NULL) != SQLITE_OK) {
		free(old);
		return (store_fail(s, cause, "prepare"));
	}
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	if (old != NULL)
		sqlite3_bind_text(st, 4, old, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, msg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_fail(s, cause, "insert change");
	sqlite3_finalize(st);
	free(old);
	if (r == -1)
		return (-1);
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO verdicts("
	    "check_id, status, run_id) VALUES (?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return (store_fail(s, cause, "prepare"));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, run);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_fail(s, cause, "update verdict");
	sqlite3_finalize(st);
	return (r);
}

/* The result as stored: without its collection time (the run's). */
static char *
result_body(json_t *result)
{
	json_t	*copy, *ev;
	char	*body;

	copy = json_deep_copy(result);
	if ((ev = json_object_get(copy, "evidence")) != NULL)
		json_object_del(ev, "collected_at");
	body = report_canonical(copy);
	json_decref(copy);
	return (body);
}

/* Queues a run in the outbox, inside the caller's transaction. */
static int
store_outbox_add(struct store *s, int64_t run, time_t now, char **cause)
{
	sqlite3_stmt	*st;
	char		 id[STORE_UUID_LEN];
	int		 r = 0;

	uuid_v4(id);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO outbox(report_id, run_id, "
	    "created_at, kind, next_at) VALUES (?, ?, ?, 'run', ?)", -1, &st,
	    NULL) != SQLITE_OK)
		return (store_fail(s, cause, "prepare"));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, run);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_fail(s, cause, "insert outbox");
	sqlite3_finalize(st);
	return (r);
}

/* Appends a run and, if outbox, queues it for the collector. */
static int64_t
store_put(struct store *s, json_t *report, int outbox, time_t now,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	json_t		*results, *r;
	char		*doc, *body, *ids = NULL, *tmp, hex[65], *prev = NULL;
	const char	*gen;
	time_t		 at;
	int64_t		 agent, blob, run = -1;
	size_t		 i;

	gen = json_string_value(json_object_get(report, "generated_at"));
	if (gen == NULL || time_parse_rfc3339(gen, &at) == -1) {
		if (cause != NULL)
			*cause = xstrdup("report has no generated_at");
		return (-1);
	}
	doc = report_canonical(report);
	sha256_hex(doc, strlen(doc), hex);
	free(doc);

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return (store_fail(s, cause, "begin"));
	body = report_canonical(json_object_get(report, "agent"));
	agent = store_blob(s, body, cause);
	free(body);
	if (agent == -1)
		goto fail;
	results = json_object_get(report, "results");
	ids = xstrdup("");
	json_array_foreach(results, i, r) {
		body = result_body(r);
		blob = store_blob(s, body, cause);
		free(body);
		if (blob == -1)
			goto fail;
		xasprintf(&tmp, "%s%s%lld", ids, i == 0 ? "" : ",",
		    (long long)blob);
		free(ids);
		ids = tmp;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT doc_sha256 FROM runs ORDER BY "
	    "id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto fail_db;
	if (sqlite3_step(st) == SQLITE_ROW)
		prev = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	body = report_canonical(json_object_get(report, "summary"));
	if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(generated_at, host_id, "
	    "agent_blob, result_blobs, summary, doc_sha256, prev_sha256) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		free(body);
		goto fail_db;
	}
	sqlite3_bind_int64(st, 1, at);
	if (json_is_string(json_object_get(json_object_get(report, "agent"),
	    "host_id")))
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(
		    json_object_get(report, "agent"), "host_id")), -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, agent);
	sqlite3_bind_text(st, 4, ids, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, hex, -1, SQLITE_STATIC);
	if (prev != NULL)
		sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	free(body);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail_db;
	}
	sqlite3_finalize(st);
	run = sqlite3_last_insert_rowid(s->db);
	json_array_foreach(results, i, r)
		if (store_verdict(s, run, at, r, cause) == -1)
			goto fail;
	if (outbox && store_outbox_add(s, run, now, cause) == -1)
		goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_db;
	free(ids);
	free(prev);
	return (run);
fail_db:
	store_fail(s, cause, "insert run");
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	free(ids);
	free(prev);
	return (-1);
}

int64_t
store_put_run(struct store *s, json_t *report, char **cause)
{
	return (store_put(s, report, 0, 0, cause));
}

int64_t
store_put_run_outbox(struct store *s, json_t *report, time_t now,
    char **cause)
{
	return (store_put(s, report, 1, now, cause));
}

/* Loads a blob as JSON. */
static json_t *
store_load_blob(struct store *s, int64_t id)
{
	sqlite3_stmt	*st;
	json_t		*j = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT body FROM blobs WHERE id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return (NULL);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_loads((const char *)sqlite3_column_text(st, 0), 0,
		    NULL);
	sqlite3_finalize(st);
	return (j);
}

char *
store_get_run(struct store *s, int64_t id, char **cause)
{
	sqlite3_stmt	*st;
	json_t		*doc, *results, *r, *ev;
	char		 ts[RFC3339_LEN], hex[65], *out = NULL, *ids, *tok;
	char		*save, *sha = NULL;
	int64_t		 agent = 0;
	time_t		 at = 0;
	json_t		*summary = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT generated_at, agent_blob, "
	    "result_blobs, summary, doc_sha256 FROM runs WHERE id = ?", -1,
	    &st, NULL) != SQLITE_OK) {
		store_fail(s, cause, "prepare");
		return (NULL);
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (cause != NULL)
			xasprintf(cause, "run %lld not found", (long long)id);
		return (NULL);
	}
	at = sqlite3_column_int64(st, 0);
	agent = sqlite3_column_int64(st, 1);
	ids = xstrdup((const char *)sqlite3_column_text(st, 2));
	summary = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
	sha = xstrdup((const char *)sqlite3_column_text(st, 4));
	sqlite3_finalize(st);

	time_format_rfc3339(at, ts, sizeof ts);
	results = json_array();
	for (tok = strtok_r(ids, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((r = store_load_blob(s, strtoll(tok, NULL, 10))) == NULL)
			continue;
		if ((ev = json_object_get(r, "evidence")) != NULL)
			json_object_set_new(ev, "collected_at",
			    json_string(ts));
		json_array_append_new(results, r);
	}
	doc = json_pack("{s:s,s:o,s:s,s:o,s:o}", "schema", REPORT_SCHEMA,
	    "agent", store_load_blob(s, agent), "generated_at", ts,
	    "results", results, "summary", summary);
	out = report_canonical(doc);
	json_decref(doc);
	sha256_hex(out, strlen(out), hex);
	if (strcmp(hex, sha) != 0) {
		if (cause != NULL)
			xasprintf(cause, "run %lld: document does not match "
			    "its recorded SHA-256", (long long)id);
		free(out);
		out = NULL;
	}
	free(ids);
	free(sha);
	return (out);
}

json_t *
store_history(struct store *s, const char *check, time_t since, char **cause)
{
	sqlite3_stmt	*st;
	json_t		*arr;
	char		 ts[RFC3339_LEN];

	if (sqlite3_prepare_v2(s->db, "SELECT at, check_id, old, new, run_id, "
	    "message FROM changes WHERE (?1 IS NULL OR check_id = ?1) AND "
	    "at >= ?2 ORDER BY at, id", -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, cause, "prepare");
		return (NULL);
	}
	if (check != NULL)
		sqlite3_bind_text(st, 1, check, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, since);
	arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		time_format_rfc3339(sqlite3_column_int64(st, 0), ts, sizeof ts);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o,s:s,s:I,"
		    "s:o}", "at", ts,
		    "check", (const char *)sqlite3_column_text(st, 1),
		    "old", sqlite3_column_type(st, 2) == SQLITE_NULL ?
		    json_null() : json_string((const char *)
		    sqlite3_column_text(st, 2)),
		    "new", (const char *)sqlite3_column_text(st, 3),
		    "run", (json_int_t)sqlite3_column_int64(st, 4),
		    "message", sqlite3_column_type(st, 5) == SQLITE_NULL ?
		    json_null() : json_string((const char *)
		    sqlite3_column_text(st, 5))));
	}
	sqlite3_finalize(st);
	return (arr);
}

json_t *
store_run_changes(struct store *s, int64_t run)
{
	sqlite3_stmt	*st;
	json_t		*arr = json_array();

	if (sqlite3_prepare_v2(s->db, "SELECT check_id, old, new, message "
	    "FROM changes WHERE run_id = ? ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return (arr);
	sqlite3_bind_int64(st, 1, run);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s,s:o,s:s,s:o}",
		    "check", (const char *)sqlite3_column_text(st, 0),
		    "old", sqlite3_column_type(st, 1) == SQLITE_NULL ?
		    json_null() : json_string((const char *)
		    sqlite3_column_text(st, 1)),
		    "new", (const char *)sqlite3_column_text(st, 2),
		    "message", sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    json_null() : json_string((const char *)
		    sqlite3_column_text(st, 3))));
	sqlite3_finalize(st);
	return (arr);
}

size_t
store_check_statuses(struct store *s, const char *check, int64_t run,
    size_t n, char ***out)
{
	sqlite3_stmt	*st;
	int64_t		*runs = NULL, r;
	char		**v, *cur = NULL;
	size_t		 nruns = 0, i, count = 0;

	*out = NULL;
	/* The last n run ids before run, newest first. */
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM runs WHERE id < ? "
	    "ORDER BY id DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	runs = xcalloc(n + 1, sizeof *runs);
	while (sqlite3_step(st) == SQLITE_ROW && nruns < n)
		runs[nruns++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	v = xcalloc(nruns + 1, sizeof *v);
	/* Walk the check's changes up to each run, oldest run first. */
	if (sqlite3_prepare_v2(s->db, "SELECT new FROM changes WHERE "
	    "check_id = ? AND run_id <= ? ORDER BY id DESC LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK) {
		free(runs);
		free(v);
		return (0);
	}
	for (i = nruns; i > 0; i--) {
		r = runs[i - 1];
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, check, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r);
		free(cur);
		cur = NULL;
		if (sqlite3_step(st) == SQLITE_ROW)
			cur = xstrdup((const char *)sqlite3_column_text(st, 0));
		if (cur != NULL)
			v[count++] = xstrdup(cur);
	}
	free(cur);
	sqlite3_finalize(st);
	free(runs);
	*out = v;
	return (count);
}

int
store_flap_get(struct store *s, const char *check)
{
	sqlite3_stmt	*st;
	int		 f = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT flapping FROM flap WHERE "
	    "check_id = ?", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_text(st, 1, check, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		f = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (f);
}

void
store_flap_set(struct store *s, const char *check, int flapping)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO flap(check_id, "
	    "flapping) VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, check, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, flapping);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

/* A single integer from a query with up to two text/int parameters. */
static int64_t
store_int(struct store *s, const char *sql, const char *text, int64_t num,
    int nparams)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if (nparams >= 1) {
		if (text != NULL)
			sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 1);
	}
	if (nparams >= 2)
		sqlite3_bind_int64(st, 2, num);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

int64_t
store_run_count(struct store *s)
{
	return (store_int(s, "SELECT count(*) FROM runs", NULL, 0, 0));
}

int64_t
store_queue_push(struct store *s, const char *dest, const char *body,
    size_t len, time_t now)
{
	sqlite3_stmt	*st;
	int64_t		 id = -1;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO alert_queue(dest, body, "
	    "created_at, next_at) VALUES (?, ?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return (id);
}

int
store_queue_next(struct store *s, const char *dest, time_t now,
    struct queue_item *qi)
{
	sqlite3_stmt	*st;
	const void	*b;
	int		 r = -1;

	memset(qi, 0, sizeof *qi);
	/*
	 * First in, first out: only the oldest pending item may go, so a
	 * recovery never overtakes the failure it ends, and an endpoint
	 * that is down gets one item retried, not all of them.
	 */
	if (sqlite3_prepare_v2(s->db, "SELECT id, body, attempts, created_at "
	    "FROM (SELECT * FROM alert_queue WHERE dest = ? AND delivered_at "
	    "IS NULL ORDER BY id LIMIT 1) WHERE next_at <= ?", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		qi->id = sqlite3_column_int64(st, 0);
		b = sqlite3_column_blob(st, 1);
		qi->len = sqlite3_column_bytes(st, 1);
		qi->body = xmalloc(qi->len + 1);
		if (qi->len != 0)
			memcpy(qi->body, b, qi->len);
		qi->body[qi->len] = '\0';
		qi->attempts = sqlite3_column_int(st, 2);
		qi->created_at = sqlite3_column_int64(st, 3);
		qi->dest = xstrdup(dest);
		r = 0;
	}
	sqlite3_finalize(st);
	return (r);
}

void
store_queue_item_clear(struct queue_item *qi)
{
	free(qi->dest);
	free(qi->body);
	memset(qi, 0, sizeof *qi);
}

void
store_queue_delivered(struct store *s, int64_t id, time_t now)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, "UPDATE alert_queue SET delivered_at = "
	    "?, attempts = attempts + 1 WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void
store_queue_retry(struct store *s, int64_t id, time_t next_at,
    const char *error)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, "UPDATE alert_queue SET attempts = "
	    "attempts + 1, next_at = ?, last_error = ? WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, next_at);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

int64_t
store_queue_depth(struct store *s, const char *dest)
{
	return (store_int(s, "SELECT count(*) FROM alert_queue WHERE "
	    "delivered_at IS NULL AND (?1 IS NULL OR dest = ?1)", dest, 0, 1));
}

int64_t
store_queue_delivered_since(struct store *s, const char *dest, time_t t)
{
	return (store_int(s, "SELECT count(*) FROM alert_queue WHERE "
	    "dest = ?1 AND delivered_at >= ?2", dest, t, 2));
}

int
store_queue_attempts(struct store *s, int64_t id)
{
	return ((int)store_int(s, "SELECT attempts FROM alert_queue WHERE "
	    "id = ?2", NULL, id, 2));
}

json_t *
store_flapping(struct store *s)
{
	sqlite3_stmt	*st;
	json_t		*arr = json_array();

	if (sqlite3_prepare_v2(s->db, "SELECT check_id FROM flap WHERE "
	    "flapping != 0 ORDER BY check_id", -1, &st, NULL) != SQLITE_OK)
		return (arr);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_string((const char *)
		    sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return (arr);
}

void
store_release_memory(struct store *s)
{
	sqlite3_db_release_memory(s->db);
}

time_t
store_queue_next_at(struct store *s, const char *dest)
{
	/* Queues are first in, first out: the oldest item decides. */
	return (store_int(s, "SELECT coalesce((SELECT next_at FROM "
	    "alert_queue WHERE dest = ?1 AND delivered_at IS NULL ORDER BY id "
	    "LIMIT 1), 0)", dest, 0, 1));
}

/* The columns of an outbox_item, in its order. */
#define OUTBOX_COLUMNS	"report_id, run_id, created_at, kind, attempts, " \
	"next_at, last_error, rejected_at"

/* Fills oi from a row of OUTBOX_COLUMNS. */
static void
store_outbox_row(sqlite3_stmt *st, struct outbox_item *oi)
{
	strlcpy(oi->report_id, (const char *)sqlite3_column_text(st, 0),
	    sizeof oi->report_id);
	oi->run_id = sqlite3_column_int64(st, 1);
	oi->created_at = sqlite3_column_int64(st, 2);
	strlcpy(oi->kind, (const char *)sqlite3_column_text(st, 3),
	    sizeof oi->kind);
	oi->attempts = sqlite3_column_int(st, 4);
	oi->next_at = sqlite3_column_int64(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		oi->last_error = xstrdup((const char *)
		    sqlite3_column_text(st, 6));
	oi->rejected_at = sqlite3_column_int64(st, 7);
}

int
store_outbox_next(struct store *s, time_t now, struct outbox_item *oi)
{
	static const char *const sql[] = {
		/*
		 * In order: only the oldest item not rejected may go, so
		 * the collector sees runs as they happened, and one item
		 * is retried while it is down.
		 */
		"SELECT " OUTBOX_COLUMNS " FROM (SELECT * FROM outbox "
		"WHERE rejected_at IS NULL ORDER BY run_id LIMIT 1) "
		"WHERE next_at <= ?1",
		/* Then, if that one is not due, a rejected one that is. */
		"SELECT " OUTBOX_COLUMNS " FROM outbox WHERE rejected_at "
		"IS NOT NULL AND next_at <= ?1 ORDER BY run_id LIMIT 1"
	};
	sqlite3_stmt	*st;
	size_t		 i;
	int		 r = -1;

	memset(oi, 0, sizeof *oi);
	for (i = 0; i < sizeof sql / sizeof sql[0] && r == -1; i++) {
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) !=
		    SQLITE_OK)
			return (-1);
		sqlite3_bind_int64(st, 1, now);
		if (sqlite3_step(st) == SQLITE_ROW) {
			store_outbox_row(st, oi);
			r = 0;
		}
		sqlite3_finalize(st);
	}
	return (r);
}

void
store_outbox_item_clear(struct outbox_item *oi)
{
	free(oi->last_error);
	memset(oi, 0, sizeof *oi);
}

time_t
store_outbox_next_at(struct store *s)
{
	/* The oldest item not rejected decides, or a rejected one. */
	return (store_int(s, "SELECT coalesce(min(t), 0) FROM ("
	    "SELECT (SELECT next_at FROM outbox WHERE rejected_at IS NULL "
	    "ORDER BY run_id LIMIT 1) AS t UNION ALL SELECT min(next_at) "
	    "FROM outbox WHERE rejected_at IS NOT NULL)", NULL, 0, 0));
}

/* Runs one statement on a report_id with an optional time and text. */
static int
store_outbox_exec(struct store *s, const char *sql, const char *id,
    time_t t, const char *text)
{
	sqlite3_stmt	*st;
	int		 r = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, t);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = -1;
	sqlite3_finalize(st);
	return (r);
}

int
store_outbox_sent(struct store *s, const char *report_id)
{
	return (store_outbox_exec(s, "DELETE FROM outbox WHERE report_id = ?1",
	    report_id, 0, NULL));
}

int
store_outbox_retry(struct store *s, const char *report_id, time_t next_at,
    const char *error)
{
	return (store_outbox_exec(s, "UPDATE outbox SET attempts = attempts "
	    "+ 1, next_at = ?2, last_error = ?3 WHERE report_id = ?1",
	    report_id, next_at, error));
}

int
store_outbox_reject(struct store *s, const char *report_id, time_t now,
    time_t next_at, const char *error)
{
	sqlite3_stmt	*st;
	int		 r = 0;

	/* Rejected since the first refusal; a later one keeps that time. */
	if (sqlite3_prepare_v2(s->db, "UPDATE outbox SET attempts = attempts "
	    "+ 1, next_at = ?2, last_error = ?3, rejected_at = "
	    "coalesce(rejected_at, ?4) WHERE report_id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next_at);
	sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = -1;
	sqlite3_finalize(st);
	return (r);
}

int64_t
store_outbox_requeue(struct store *s, const char *report_id, time_t now)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if (sqlite3_prepare_v2(s->db, "UPDATE outbox SET next_at = ?2, "
	    "rejected_at = NULL WHERE ?1 IS NULL OR report_id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	if (report_id != NULL)
		sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return (n);
}

int64_t
store_outbox_drop(struct store *s, const char *report_id, int64_t *run)
{
	sqlite3_stmt	*st;
	int64_t		 n = 0;
	int		 rc;

	*run = 0;
	/* One statement: the run of the row it deleted, if any. */
	if (sqlite3_prepare_v2(s->db, "DELETE FROM outbox WHERE report_id = "
	    "? RETURNING run_id", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*run = sqlite3_column_int64(st, 0);
		n++;
	}
	if (rc != SQLITE_DONE)
		n = -1;
	sqlite3_finalize(st);
	return (n);
}

json_t *
store_outbox_list(struct store *s, char **cause)
{
	sqlite3_stmt		*st;
	struct outbox_item	 oi;
	json_t			*arr;
	char			 created[RFC3339_LEN], next[RFC3339_LEN];
	char			 rej[RFC3339_LEN];
	int			 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " OUTBOX_COLUMNS " FROM outbox "
	    "ORDER BY run_id", -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, cause, "prepare");
		return (NULL);
	}
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&oi, 0, sizeof oi);
		store_outbox_row(st, &oi);
		time_format_rfc3339(oi.created_at, created, sizeof created);
		time_format_rfc3339(oi.next_at, next, sizeof next);
		time_format_rfc3339(oi.rejected_at, rej, sizeof rej);
		json_array_append_new(arr, json_pack("{s:s,s:I,s:s,s:s,s:i,"
		    "s:s,s:o,s:o}", "report_id", oi.report_id,
		    "run", (json_int_t)oi.run_id, "kind", oi.kind,
		    "created", created, "attempts", oi.attempts,
		    "next_try", next,
		    "rejected", oi.rejected_at != 0 ? json_string(rej) :
		    json_null(),
		    "last_error", oi.last_error != NULL ?
		    json_string(oi.last_error) : json_null()));
		store_outbox_item_clear(&oi);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, cause, "outbox");
		json_decref(arr);
		return (NULL);
	}
	return (arr);
}

int64_t
store_outbox_depth(struct store *s)
{
	return (store_int(s, "SELECT count(*) FROM outbox", NULL, 0, 0));
}

int64_t
store_outbox_rejected(struct store *s)
{
	return (store_int(s, "SELECT count(*) FROM outbox WHERE rejected_at "
	    "IS NOT NULL", NULL, 0, 0));
}

int
store_outbox_body(struct store *s, const char *report_id, char **json,
    char **cause)
{
	sqlite3_stmt	*st;
	json_t		*doc;
	char		*kind = NULL, *run;
	int64_t		 id = -1;

	*json = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT run_id, kind FROM outbox WHERE "
	    "report_id = ?", -1, &st, NULL) != SQLITE_OK)
		return (store_fail(s, cause, "prepare"));
	sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		kind = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (kind == NULL) {
		if (cause != NULL)
			xasprintf(cause, "report %s not in the outbox",
			    report_id);
		return (-1);
	}
	/* The run's document, checked against its SHA-256. */
	if ((run = store_get_run(s, id, cause)) == NULL) {
		free(kind);
		return (-1);
	}
	doc = json_loads(run, 0, NULL);
	free(run);
	if (doc == NULL) {
		if (cause != NULL)
			xasprintf(cause, "run %lld: bad document",
			    (long long)id);
		free(kind);
		return (-1);
	}
	json_object_set_new(doc, "report_id", json_string(report_id));
	json_object_set_new(doc, "kind", json_string(kind));
	*json = report_canonical(doc);
	json_decref(doc);
	free(kind);
	return (0);
}

/* The run that supersedes older items without changes. */
#define OUTBOX_NEWEST	"coalesce((SELECT max(run_id) FROM outbox WHERE " \
	"rejected_at IS NULL), (SELECT max(run_id) FROM outbox))"

int64_t
store_outbox_compact(struct store *s, int64_t keep_runs)
{
	sqlite3_stmt	*st;
	int64_t		 n;

	if ((n = store_outbox_depth(s)) == -1)
		return (-1);
	if (n <= keep_runs)
		return (0);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return (-1);
	/*
	 * The newest run states every check; an older run adds to it only
	 * the verdict changes it recorded (drift), so only those are kept.
	 * The newest is the newest not rejected (one that may never arrive
	 * supersedes nothing), or the newest of all if all were rejected.
	 */
	if (sqlite3_prepare_v2(s->db, "DELETE FROM outbox WHERE run_id < "
	    OUTBOX_NEWEST " AND NOT EXISTS (SELECT 1 FROM changes WHERE "
	    "changes.run_id = outbox.run_id)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	/* Runs were left out between the survivors: they catch up. */
	if ((n = sqlite3_changes(s->db)) > 0 && sqlite3_exec(s->db,
	    "UPDATE outbox SET kind = 'catch_up' WHERE run_id < "
	    OUTBOX_NEWEST, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return (n);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

void
store_queue_defer(struct store *s, int64_t id, time_t next_at)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, "UPDATE alert_queue SET next_at = ? "
	    "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, next_at);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

time_t
store_queue_oldest_delivery(struct store *s, const char *dest, time_t since)
{
	return (store_int(s, "SELECT coalesce(min(delivered_at), ?2) FROM "
	    "alert_queue WHERE dest = ?1 AND delivered_at >= ?2", dest, since,
	    2));
}
