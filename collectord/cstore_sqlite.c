/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's embedded store: one SQLite database in WAL mode, so
 * the TLS verify callback's certificate look-ups and the admin commands
 * (separate processes) read while the daemon writes.  The only file of
 * the collector that includes sqlite3.h.
 *
 * Schema (version 4):
 *   hosts(host_id PK, hostname, cert_serial, enrolled_at, last_seen,
 *       last_report_at, stale_alerted_at)
 *   certs(serial PK, host_id, not_after, revoked_at)
 *   tokens(hash PK, uses_left, expires_at, created_at, note)
 *   reports(report_id PK, host_id, generated_at, received_at, kind,
 *       summary, sha256)
 *   latest(host_id, check_id, status, message, severity, controls,
 *       since; PK (host_id, check_id))
 *   results_history(host_id, check_id, status, message, at)
 *   api_tokens(hash PK, id, role, created_at, revoked_at, note)
 *   alert_queue(id PK, dest, body, created_at, attempts, next_at,
 *       last_error, delivered_at)
 * A host is one row for its whole life; each enrollment adds a certs
 * row and revokes the host's earlier ones.  hosts.last_report_at is the
 * generated_at of the newest report applied to latest, so that a late
 * delivery does not undo a newer verdict.  Version 1 had the first
 * three tables only, version 2 not api_tokens; opening such a store
 * adds the rest.  api_tokens.id is the hash's first 16 hex digits: a
 * bearer token is looked up by it and its whole hash compared by the
 * caller, in constant time.  Version 4 adds hosts.stale_alerted_at
 * (when the host's "stale" alert was raised; NULL when none is
 * outstanding) and alert_queue, the webhook bodies of those alerts kept
 * until delivered (then kept a while for the rate limit): setting or
 * clearing the mark and queueing the bodies is one transaction, so an
 * alert is raised once across restarts and crashes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cstore.h"
#include "log.h"
#include "xmalloc.h"

#define CSTORE_SQLITE_BUSY_MS	5000	/* wait for another writer, ms */
#define CSTORE_SQLITE_VERSION	5	/* PRAGMA user_version */
#define CSTORE_TOKEN_ID_LEN	16	/* hex digits of api_tokens.id */

struct cstore_sqlite {
	struct cstore	 base;		/* first: the handle callers see */
	sqlite3		*db;
	sqlite3_stmt	*st_cert;	/* cert_state, per TLS handshake */
	/* report_add, per report or per check of one. */
	sqlite3_stmt	*st_rep_add;
	sqlite3_stmt	*st_rep_host;
	sqlite3_stmt	*st_host_last;
	sqlite3_stmt	*st_host_seen;
	sqlite3_stmt	*st_latest_get;
	sqlite3_stmt	*st_latest_put;
	sqlite3_stmt	*st_hist_add;
	sqlite3_stmt	*st_api_find;	/* per fleet API request */
	/* Group commit (batch_begin, batch_end): per batch or report. */
	sqlite3_stmt	*st_begin;
	sqlite3_stmt	*st_commit;
	sqlite3_stmt	*st_sp;
	sqlite3_stmt	*st_sp_release;
	sqlite3_stmt	*st_sp_undo;
	int		 batch;		/* a batch transaction is open */
	int		 batch_failed;	/* it can only be rolled back */
};

static const char cstore_sqlite_schema[] =
	"CREATE TABLE IF NOT EXISTS hosts ("
	"  host_id TEXT PRIMARY KEY,"
	"  hostname TEXT,"
	"  cert_serial TEXT,"
	"  enrolled_at INTEGER NOT NULL,"
	"  last_seen INTEGER);"
	"CREATE TABLE IF NOT EXISTS certs ("
	"  serial TEXT PRIMARY KEY,"
	"  host_id TEXT NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  revoked_at INTEGER);"
	"CREATE INDEX IF NOT EXISTS certs_host ON certs(host_id);"
	"CREATE TABLE IF NOT EXISTS tokens ("
	"  hash TEXT PRIMARY KEY,"
	"  uses_left INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  note TEXT);";

/* From version 1 to 2: reports, latest verdicts, their history. */
static const char cstore_sqlite_schema2[] =
	"ALTER TABLE hosts ADD COLUMN last_report_at INTEGER;"
	"CREATE TABLE IF NOT EXISTS reports ("
	"  report_id TEXT PRIMARY KEY,"
	"  host_id TEXT NOT NULL,"
	"  generated_at INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  summary TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS reports_host ON reports(host_id,"
	"  generated_at);"
	"CREATE TABLE IF NOT EXISTS latest ("
	"  host_id TEXT NOT NULL,"
	"  check_id TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  message TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  controls TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  PRIMARY KEY (host_id, check_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS results_history ("
	"  host_id TEXT NOT NULL,"
	"  check_id TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  message TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS results_history_host ON"
	"  results_history(host_id, check_id, at);"
	"CREATE INDEX IF NOT EXISTS results_history_at ON"
	"  results_history(at);";

/* From version 2 to 3: the fleet API's bearer tokens. */
static const char cstore_sqlite_schema3[] =
	"CREATE TABLE IF NOT EXISTS api_tokens ("
	"  hash TEXT PRIMARY KEY,"
	"  id TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER,"
	"  note TEXT);"
	"CREATE INDEX IF NOT EXISTS api_tokens_id ON api_tokens(id);";

/* From version 3 to 4: stale-host alerts and their webhook queue. */
static const char cstore_sqlite_schema4[] =
	"ALTER TABLE hosts ADD COLUMN stale_alerted_at INTEGER;"
	"CREATE TABLE IF NOT EXISTS alert_queue ("
	"  id INTEGER PRIMARY KEY,"
	"  dest TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  delivered_at INTEGER);"
	"CREATE INDEX IF NOT EXISTS alert_queue_dest ON"
	"  alert_queue(dest, delivered_at, id);";

static void cstore_sqlite_cause(struct cstore_sqlite *, char **,
    const char *, ...) __attribute__((format(printf, 3, 4)));

/* *cause = "what: sqlite's message". */
static void
cstore_sqlite_cause(struct cstore_sqlite *s, char **cause, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*what;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (cause != NULL)
		xasprintf(cause, "%s: %s", what, sqlite3_errmsg(s->db));
	free(what);
}

static sqlite3_stmt *
cstore_sqlite_prepare(struct cstore_sqlite *s, const char *sql, char **cause)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		cstore_sqlite_cause(s, cause, "prepare");
		return (NULL);
	}
	return (st);
}

static int
cstore_sqlite_exec(struct cstore_sqlite *s, const char *sql, char **cause)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		cstore_sqlite_cause(s, cause, "%.40s", sql);
		return (-1);
	}
	return (0);
}

static void
cstore_sqlite_close(struct cstore *cs)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;

	if (s == NULL)
		return;
	sqlite3_finalize(s->st_cert);
	sqlite3_finalize(s->st_rep_add);
	sqlite3_finalize(s->st_rep_host);
	sqlite3_finalize(s->st_host_last);
	sqlite3_finalize(s->st_host_seen);
	sqlite3_finalize(s->st_latest_get);
	sqlite3_finalize(s->st_latest_put);
	sqlite3_finalize(s->st_hist_add);
	sqlite3_finalize(s->st_api_find);
	sqlite3_finalize(s->st_begin);
	sqlite3_finalize(s->st_commit);
	sqlite3_finalize(s->st_sp);
	sqlite3_finalize(s->st_sp_release);
	sqlite3_finalize(s->st_sp_undo);
	sqlite3_close(s->db);
	free(s);
}

static int
cstore_sqlite_token_add(struct cstore *cs, const char *hash, int64_t uses,
    time_t expires_at, time_t now, const char *note, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rv = 0;

	if ((st = cstore_sqlite_prepare(s, "INSERT INTO tokens (hash, "
	    "uses_left, expires_at, created_at, note) VALUES (?, ?, ?, ?, ?)",
	    cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uses);
	sqlite3_bind_int64(st, 3, expires_at);
	sqlite3_bind_int64(st, 4, now);
	if (note != NULL)
		sqlite3_bind_text(st, 5, note, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "insert token");
		rv = -1;
	}
	sqlite3_finalize(st);
	return (rv);
}

static int
cstore_sqlite_token_list(struct cstore *cs, struct cstore_token **out,
    size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	struct cstore_token	*t = NULL, *tk;
	sqlite3_stmt		*st;
	size_t			 n = 0;
	const char		*hash, *note;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((st = cstore_sqlite_prepare(s, "SELECT hash, uses_left, "
	    "expires_at, created_at, note FROM tokens ORDER BY created_at "
	    "DESC, hash", cause)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = xreallocarray(t, n + 1, sizeof *t);
		tk = &t[n++];
		memset(tk, 0, sizeof *tk);
		hash = (const char *)sqlite3_column_text(st, 0);
		strlcpy(tk->hash, hash != NULL ? hash : "", sizeof tk->hash);
		tk->uses_left = sqlite3_column_int64(st, 1);
		tk->expires_at = sqlite3_column_int64(st, 2);
		tk->created_at = sqlite3_column_int64(st, 3);
		if ((note = (const char *)sqlite3_column_text(st, 4)) != NULL)
			tk->note = xstrdup(note);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "list tokens");
		sqlite3_finalize(st);
		cstore_tokens_free(t, n);
		return (-1);
	}
	sqlite3_finalize(st);
	*out = t;
	*nout = n;
	return (0);
}

/* The state of a token row: an enum cstore_refusal, or -1. */
static int
cstore_sqlite_token_state(struct cstore_sqlite *s, const char *hash,
    time_t now, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc, rv;

	if ((st = cstore_sqlite_prepare(s, "SELECT uses_left, expires_at "
	    "FROM tokens WHERE hash = ?", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rv = CSTORE_TOKEN_UNKNOWN;
	else if (rc != SQLITE_ROW) {
		cstore_sqlite_cause(s, cause, "look up token");
		rv = -1;
	} else if (sqlite3_column_int64(st, 1) <= now)
		rv = CSTORE_TOKEN_EXPIRED;
	else if (sqlite3_column_int64(st, 0) <= 0)
		rv = CSTORE_TOKEN_USED_UP;
	else
		rv = CSTORE_OK;
	sqlite3_finalize(st);
	return (rv);
}

static int
cstore_sqlite_token_check(struct cstore *cs, const char *hash, time_t now,
    char **cause)
{
	return (cstore_sqlite_token_state((struct cstore_sqlite *)cs, hash,
	    now, cause));
}

/* Runs one statement with text/int64 parameters given as a format. */
static int
cstore_sqlite_run(struct cstore_sqlite *s, char **cause, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	const char	*str;
	int		 i, rv = 0;

	if ((st = cstore_sqlite_prepare(s, sql, cause)) == NULL)
		return (-1);
	va_start(ap, types);
	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 's') {
			str = va_arg(ap, const char *);
			if (str != NULL)
				sqlite3_bind_text(st, i + 1, str, -1,
				    SQLITE_STATIC);
		} else
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	if (sqlite3_step(st) != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "%.40s", sql);
		rv = -1;
	}
	sqlite3_finalize(st);
	return (rv);
}

static int
cstore_sqlite_enroll(struct cstore *cs, const struct cstore_enroll *en,
    int *revoked, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	int			 state;

	if (revoked != NULL)
		*revoked = 0;
	/* IMMEDIATE: the token's check and its use under one write lock. */
	if (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return (-1);
	state = cstore_sqlite_token_state(s, en->token_hash, en->now, cause);
	if (state != CSTORE_OK)
		goto rollback;
	if (cstore_sqlite_run(s, cause, "UPDATE tokens SET uses_left = "
	    "uses_left - 1 WHERE hash = ?", "s", en->token_hash) == -1)
		goto fail;
	if (cstore_sqlite_run(s, cause, "UPDATE certs SET revoked_at = ? "
	    "WHERE host_id = ? AND revoked_at IS NULL", "is",
	    (int64_t)en->now, en->host_id) == -1)
		goto fail;
	if (revoked != NULL)
		*revoked = sqlite3_changes(s->db);
	if (cstore_sqlite_run(s, cause, "INSERT INTO hosts (host_id, "
	    "hostname, cert_serial, enrolled_at) VALUES (?, ?, ?, ?) "
	    "ON CONFLICT (host_id) DO UPDATE SET hostname = "
	    "coalesce(excluded.hostname, hostname), cert_serial = "
	    "excluded.cert_serial, enrolled_at = excluded.enrolled_at",
	    "sssi", en->host_id, en->hostname, en->serial,
	    (int64_t)en->now) == -1)
		goto fail;
	if (cstore_sqlite_run(s, cause, "INSERT INTO certs (serial, host_id, "
	    "not_after) VALUES (?, ?, ?)", "ssi", en->serial, en->host_id,
	    (int64_t)en->not_after) == -1)
		goto fail;
	if (cstore_sqlite_exec(s, "COMMIT", cause) == -1)
		goto fail;
	return (CSTORE_OK);
fail:
	state = -1;
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (revoked != NULL)
		*revoked = 0;
	return (state);
}

static int
cstore_sqlite_cert_state(struct cstore *cs, const char *serial, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rc, rv;

	if (s->st_cert == NULL && (s->st_cert = cstore_sqlite_prepare(s,
	    "SELECT revoked_at IS NOT NULL FROM certs WHERE serial = ?",
	    cause)) == NULL)
		return (-1);
	st = s->st_cert;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rv = CSTORE_CERT_UNKNOWN;
	else if (rc != SQLITE_ROW) {
		cstore_sqlite_cause(s, cause, "look up certificate");
		rv = -1;
	} else
		rv = sqlite3_column_int(st, 0) ? CSTORE_CERT_REVOKED :
		    CSTORE_CERT_VALID;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rv);
}

static int
cstore_sqlite_host_revoke(struct cstore *cs, const char *host_id, time_t now,
    char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rc, n;

	if (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return (-1);
	if ((st = cstore_sqlite_prepare(s, "SELECT 1 FROM hosts WHERE "
	    "host_id = ?", cause)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, host_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return (-2);
	}
	if (rc != SQLITE_ROW) {
		cstore_sqlite_cause(s, cause, "look up host");
		goto fail;
	}
	if (cstore_sqlite_run(s, cause, "UPDATE certs SET revoked_at = ? "
	    "WHERE host_id = ? AND revoked_at IS NULL", "is", (int64_t)now,
	    host_id) == -1)
		goto fail;
	n = sqlite3_changes(s->db);
	if (cstore_sqlite_run(s, cause, "UPDATE hosts SET cert_serial = NULL "
	    "WHERE host_id = ?", "s", host_id) == -1 ||
	    cstore_sqlite_exec(s, "COMMIT", cause) == -1)
		goto fail;
	return (n);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* A cached statement, prepared on first use; NULL with *cause. */
static sqlite3_stmt *
cstore_sqlite_cached(struct cstore_sqlite *s, sqlite3_stmt **st,
    const char *sql, char **cause)
{
	if (*st == NULL)
		*st = cstore_sqlite_prepare(s, sql, cause);
	return (*st);
}

/* Binds text, NULL for a NULL pointer. */
static void
cstore_sqlite_bind(sqlite3_stmt *st, int i, const char *str)
{
	if (str == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, str, -1, SQLITE_STATIC);
}

/* Steps a cached statement that returns no row, then resets it. */
static int
cstore_sqlite_done(struct cstore_sqlite *s, sqlite3_stmt *st,
    const char *what, char **cause)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		cstore_sqlite_cause(s, cause, "%s", what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Whether a text column equals str. */
static int
cstore_sqlite_col_eq(sqlite3_stmt *st, int col, const char *str)
{
	const char	*v = (const char *)sqlite3_column_text(st, col);

	return (v != NULL && strcmp(v, str) == 0);
}

/*
 * One check of a report against the host's latest verdict: the latest
 * row is rewritten if any of it differs, a history row appended if the
 * status differs or the check is new.  1 if so, 0 if not, -1.
 */
static int
cstore_sqlite_verdict(struct cstore_sqlite *s, const struct cstore_report *r,
    const struct cstore_verdict *v, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc, found, same_status = 0, same = 0;
	int64_t		 since = r->generated_at;

	if ((st = cstore_sqlite_cached(s, &s->st_latest_get, "SELECT status, "
	    "message, severity, controls, since FROM latest WHERE host_id = ? "
	    "AND check_id = ?", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, r->host_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v->check_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if ((found = rc == SQLITE_ROW)) {
		same_status = cstore_sqlite_col_eq(st, 0, v->status);
		same = same_status && cstore_sqlite_col_eq(st, 1, v->message) &&
		    cstore_sqlite_col_eq(st, 2, v->severity) &&
		    cstore_sqlite_col_eq(st, 3, v->controls);
		if (same_status)
			since = sqlite3_column_int64(st, 4);
	} else if (rc != SQLITE_DONE)
		cstore_sqlite_cause(s, cause, "look up latest verdict");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	if (same)
		return (0);

	if ((st = cstore_sqlite_cached(s, &s->st_latest_put, "INSERT INTO "
	    "latest (host_id, check_id, status, message, severity, controls, "
	    "since) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id, "
	    "check_id) DO UPDATE SET status = excluded.status, message = "
	    "excluded.message, severity = excluded.severity, controls = "
	    "excluded.controls, since = excluded.since", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, r->host_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v->check_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, v->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v->message, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, v->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, v->controls, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, since);
	if (cstore_sqlite_done(s, st, "store latest verdict", cause) == -1)
		return (-1);
	if (found && same_status)
		return (0);

	if ((st = cstore_sqlite_cached(s, &s->st_hist_add, "INSERT INTO "
	    "results_history (host_id, check_id, status, message, at) "
	    "VALUES (?, ?, ?, ?, ?)", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, r->host_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v->check_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, v->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v->message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)r->generated_at);
	if (cstore_sqlite_done(s, st, "append history", cause) == -1)
		return (-1);
	return (1);
}

/* A cached statement without parameters or rows (BEGIN, SAVEPOINT ...). */
static int
cstore_sqlite_step(struct cstore_sqlite *s, sqlite3_stmt **st,
    const char *sql, char **cause)
{
	if (cstore_sqlite_cached(s, st, sql, cause) == NULL)
		return (-1);
	return (cstore_sqlite_done(s, *st, sql, cause));
}

/*
 * Group commit: one write transaction for the reports that follow, so
 * the WAL is appended and synced once per batch rather than per report.
 */
static int
cstore_sqlite_batch_begin(struct cstore *cs, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;

	if (s->batch) {
		*cause = xstrdup("a batch is already open");
		return (-1);
	}
	if (cstore_sqlite_step(s, &s->st_begin, "BEGIN IMMEDIATE",
	    cause) == -1)
		return (-1);
	s->batch = 1;
	s->batch_failed = 0;
	return (0);
}

static int
cstore_sqlite_batch_end(struct cstore *cs, int commit, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	int			 rv = 0;

	if (!s->batch) {
		*cause = xstrdup("no batch is open");
		return (-1);
	}
	s->batch = 0;
	if (commit && s->batch_failed) {
		*cause = xstrdup("a statement of the batch failed: rolled "
		    "back");
		rv = -1;
	} else if (commit && cstore_sqlite_step(s, &s->st_commit, "COMMIT",
	    cause) == 0)
		return (0);
	else if (commit)
		rv = -1;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (rv);
}

/*
 * A report's own transaction, or inside a batch its savepoint, so that
 * a failed report is undone alone and the others of the batch stay.
 */
static int
cstore_sqlite_report_begin(struct cstore_sqlite *s, char **cause)
{
	if (!s->batch)
		return (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause));
	if (s->batch_failed || sqlite3_get_autocommit(s->db)) {
		/* SQLite rolled the batch back on an error of its own. */
		s->batch_failed = 1;
		*cause = xstrdup("the batch transaction was rolled back");
		return (-1);
	}
	if (cstore_sqlite_step(s, &s->st_sp, "SAVEPOINT report",
	    cause) == -1) {
		s->batch_failed = 1;
		return (-1);
	}
	return (0);
}

static int
cstore_sqlite_report_commit(struct cstore_sqlite *s, char **cause)
{
	if (!s->batch)
		return (cstore_sqlite_exec(s, "COMMIT", cause));
	return (cstore_sqlite_step(s, &s->st_sp_release, "RELEASE report",
	    cause));
}

/* Undoes what a report wrote (nothing, for a duplicate). */
static void
cstore_sqlite_report_undo(struct cstore_sqlite *s)
{
	char	*cause = NULL;

	if (!s->batch) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return;
	}
	if (sqlite3_get_autocommit(s->db) ||
	    cstore_sqlite_step(s, &s->st_sp_undo, "ROLLBACK TO report",
	    &cause) == -1 ||
	    cstore_sqlite_step(s, &s->st_sp_release, "RELEASE report",
	    &cause) == -1)
		s->batch_failed = 1;
	free(cause);
}

static int
cstore_sqlite_report_add(struct cstore *cs, const struct cstore_report *r,
    int *changes, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	size_t			 i;
	int64_t			 last = 0;
	int			 rc, n = 0, k, state, same = 0;

	if (changes != NULL)
		*changes = 0;
	if (cstore_sqlite_report_begin(s, cause) == -1)
		return (-1);

	/* Seen before: from this host a duplicate, else a conflict. */
	if ((st = cstore_sqlite_cached(s, &s->st_rep_host, "SELECT host_id "
	    "FROM reports WHERE report_id = ?", cause)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, r->report_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	state = rc == SQLITE_ROW ? (cstore_sqlite_col_eq(st, 0, r->host_id) ?
	    CSTORE_REPORT_DUPLICATE : CSTORE_REPORT_CONFLICT) : -1;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		cstore_sqlite_cause(s, cause, "look up report");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		goto rollback;
	if (rc != SQLITE_DONE)
		goto fail;

	if ((st = cstore_sqlite_cached(s, &s->st_rep_add, "INSERT INTO "
	    "reports (report_id, host_id, generated_at, received_at, kind, "
	    "summary, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)", cause)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, r->report_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->host_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)r->generated_at);
	sqlite3_bind_int64(st, 4, (int64_t)r->received_at);
	sqlite3_bind_text(st, 5, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->sha256, -1, SQLITE_STATIC);
	if (cstore_sqlite_done(s, st, "insert report", cause) == -1)
		goto fail;

	if ((st = cstore_sqlite_cached(s, &s->st_host_last, "SELECT "
	    "coalesce(last_report_at, 0), verdicts_sha FROM hosts WHERE "
	    "host_id = ?", cause)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, r->host_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		same = r->verdicts_sha != NULL &&
		    sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    cstore_sqlite_col_eq(st, 1, r->verdicts_sha);
	} else
		cstore_sqlite_cause(s, cause, rc == SQLITE_DONE ?
		    "no host %s" : "look up host %s", r->host_id);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		goto fail;

	/*
	 * A late delivery is kept but moves no verdict back.  The same
	 * verdict list as the last one applied changes nothing per check.
	 */
	if (r->generated_at >= last) {
		for (i = 0; !same && i < r->nverdicts; i++) {
			if ((k = cstore_sqlite_verdict(s, r, &r->verdicts[i],
			    cause)) == -1)
				goto fail;
			n += k;
		}
		last = r->generated_at;
	}

	if ((st = cstore_sqlite_cached(s, &s->st_host_seen, "UPDATE hosts SET "
	    "last_seen = ?1, last_report_at = ?2, hostname = coalesce(?3, "
	    "hostname), verdicts_sha = CASE WHEN ?5 THEN ?6 ELSE "
	    "verdicts_sha END WHERE host_id = ?4", cause)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (int64_t)r->received_at);
	sqlite3_bind_int64(st, 2, last);
	cstore_sqlite_bind(st, 3, r->hostname);
	sqlite3_bind_text(st, 4, r->host_id, -1, SQLITE_STATIC);
	/* Applied (not late): its list is now the host's latest. */
	sqlite3_bind_int(st, 5, r->generated_at >= last);
	cstore_sqlite_bind(st, 6, r->verdicts_sha);
	if (cstore_sqlite_done(s, st, "update host", cause) == -1 ||
	    cstore_sqlite_report_commit(s, cause) == -1)
		goto fail;
	if (changes != NULL)
		*changes = n;
	return (CSTORE_REPORT_ADDED);
fail:
	state = -1;
rollback:
	cstore_sqlite_report_undo(s);
	return (state);
}

/* Copies a text column, "" for NULL. */
static char *
cstore_sqlite_col_dup(sqlite3_stmt *st, int col)
{
	const char	*v = (const char *)sqlite3_column_text(st, col);

	return (xstrdup(v != NULL ? v : ""));
}

static int
cstore_sqlite_latest(struct cstore *cs, const char *host_id,
    struct cstore_latest **out, size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	struct cstore_latest	*l = NULL, *e;
	sqlite3_stmt		*st;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((st = cstore_sqlite_prepare(s, "SELECT check_id, status, "
	    "message, severity, controls, since FROM latest WHERE host_id = ? "
	    "ORDER BY check_id", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, host_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l = xreallocarray(l, n + 1, sizeof *l);
		e = &l[n++];
		e->check_id = cstore_sqlite_col_dup(st, 0);
		e->status = cstore_sqlite_col_dup(st, 1);
		e->message = cstore_sqlite_col_dup(st, 2);
		e->severity = cstore_sqlite_col_dup(st, 3);
		e->controls = cstore_sqlite_col_dup(st, 4);
		e->since = sqlite3_column_int64(st, 5);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "list latest verdicts");
		sqlite3_finalize(st);
		cstore_latest_free(l, n);
		return (-1);
	}
	sqlite3_finalize(st);
	*out = l;
	*nout = n;
	return (0);
}

const char *
cstore_role_name(int role)
{
	switch (role) {
	case CSTORE_ROLE_VIEWER:
		return ("viewer");
	case CSTORE_ROLE_AUDITOR:
		return ("auditor");
	case CSTORE_ROLE_ADMIN:
		return ("admin");
	}
	return ("none");
}

/* A role's name to its enum cstore_role, CSTORE_ROLE_NONE if unknown. */
int
cstore_role_parse(const char *s)
{
	if (s == NULL)
		return (CSTORE_ROLE_NONE);
	if (strcmp(s, "viewer") == 0)
		return (CSTORE_ROLE_VIEWER);
	if (strcmp(s, "auditor") == 0)
		return (CSTORE_ROLE_AUDITOR);
	if (strcmp(s, "admin") == 0)
		return (CSTORE_ROLE_ADMIN);
	return (CSTORE_ROLE_NONE);
}

static int
cstore_sqlite_api_token_add(struct cstore *cs, const char *hash, int role,
    time_t now, const char *note, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	char			 id[CSTORE_TOKEN_ID_LEN + 1];

	strlcpy(id, hash, sizeof id);
	return (cstore_sqlite_run(s, cause, "INSERT INTO api_tokens (hash, "
	    "id, role, created_at, note) VALUES (?, ?, ?, ?, ?)", "sssis",
	    hash, id, cstore_role_name(role), (int64_t)now, note));
}

/* The api_tokens rows of a statement: hash, role, created, revoked, note. */
static int
cstore_sqlite_api_tokens(struct cstore_sqlite *s, sqlite3_stmt *st,
    struct cstore_api_token **out, size_t *nout, char **cause)
{
	struct cstore_api_token	*t = NULL, *tk;
	size_t			 n = 0;
	const char		*v;
	int			 rc;

	*out = NULL;
	*nout = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = xreallocarray(t, n + 1, sizeof *t);
		tk = &t[n++];
		memset(tk, 0, sizeof *tk);
		v = (const char *)sqlite3_column_text(st, 0);
		strlcpy(tk->hash, v != NULL ? v : "", sizeof tk->hash);
		tk->role = cstore_role_parse(
		    (const char *)sqlite3_column_text(st, 1));
		tk->created_at = sqlite3_column_int64(st, 2);
		tk->revoked_at = sqlite3_column_int64(st, 3);
		if ((v = (const char *)sqlite3_column_text(st, 4)) != NULL)
			tk->note = xstrdup(v);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "list API tokens");
		cstore_api_tokens_free(t, n);
		return (-1);
	}
	*out = t;
	*nout = n;
	return (0);
}

static int
cstore_sqlite_api_token_list(struct cstore *cs, struct cstore_api_token **out,
    size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rv;

	if ((st = cstore_sqlite_prepare(s, "SELECT hash, role, created_at, "
	    "coalesce(revoked_at, 0), note FROM api_tokens ORDER BY "
	    "created_at DESC, hash", cause)) == NULL)
		return (-1);
	rv = cstore_sqlite_api_tokens(s, st, out, nout, cause);
	sqlite3_finalize(st);
	return (rv);
}

static int
cstore_sqlite_api_token_find(struct cstore *cs, const char *hash,
    struct cstore_api_token **out, size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	char			 id[CSTORE_TOKEN_ID_LEN + 1];
	int			 rv;

	*out = NULL;
	*nout = 0;
	if ((st = cstore_sqlite_cached(s, &s->st_api_find, "SELECT hash, "
	    "role, created_at, 0, note FROM api_tokens WHERE id = ? AND "
	    "revoked_at IS NULL", cause)) == NULL)
		return (-1);
	strlcpy(id, hash, sizeof id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rv = cstore_sqlite_api_tokens(s, st, out, nout, cause);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rv);
}

static int
cstore_sqlite_api_token_revoke(struct cstore *cs, const char *prefix,
    time_t now, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int64_t			 n;
	int			 rc;

	if (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return (-1);
	if ((st = cstore_sqlite_prepare(s, "SELECT count(*) FROM api_tokens "
	    "WHERE substr(hash, 1, length(?1)) = ?1 AND revoked_at IS NULL",
	    cause)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if (rc != SQLITE_ROW)
		cstore_sqlite_cause(s, cause, "look up API token");
	sqlite3_finalize(st);
	if (n == -1)
		goto fail;
	if (n != 1) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return (n == 0 ? 0 : -2);
	}
	if (cstore_sqlite_run(s, cause, "UPDATE api_tokens SET revoked_at = ? "
	    "WHERE substr(hash, 1, length(?)) = ? AND revoked_at IS NULL",
	    "iss", (int64_t)now, prefix, prefix) == -1 ||
	    cstore_sqlite_exec(s, "COMMIT", cause) == -1)
		goto fail;
	return (1);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* A text column copied, NULL for NULL. */
static char *
cstore_sqlite_col_dupnull(sqlite3_stmt *st, int col)
{
	const char	*v = (const char *)sqlite3_column_text(st, col);

	return (v != NULL ? xstrdup(v) : NULL);
}

static int
cstore_sqlite_hosts(struct cstore *cs, const char *host_id,
    struct cstore_host **out, size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	struct cstore_host	*h = NULL, *e;
	sqlite3_stmt		*st;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((st = cstore_sqlite_prepare(s, "SELECT h.host_id, h.hostname, "
	    "h.enrolled_at, coalesce(h.last_seen, 0), "
	    "coalesce(h.last_report_at, 0), h.cert_serial IS NULL, "
	    "(SELECT r.summary FROM reports r WHERE r.host_id = h.host_id "
	    "ORDER BY r.generated_at DESC, r.received_at DESC LIMIT 1) "
	    "FROM hosts h WHERE ?1 IS NULL OR h.host_id = ?1 "
	    "ORDER BY h.host_id", cause)) == NULL)
		return (-1);
	cstore_sqlite_bind(st, 1, host_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h = xreallocarray(h, n + 1, sizeof *h);
		e = &h[n++];
		e->host_id = cstore_sqlite_col_dup(st, 0);
		e->hostname = cstore_sqlite_col_dupnull(st, 1);
		e->enrolled_at = sqlite3_column_int64(st, 2);
		e->last_seen = sqlite3_column_int64(st, 3);
		e->last_report_at = sqlite3_column_int64(st, 4);
		e->revoked = sqlite3_column_int(st, 5);
		e->summary = cstore_sqlite_col_dupnull(st, 6);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "list hosts");
		sqlite3_finalize(st);
		cstore_hosts_free(h, n);
		return (-1);
	}
	sqlite3_finalize(st);
	*out = h;
	*nout = n;
	return (0);
}

static int
cstore_sqlite_host_counts(struct cstore *cs, time_t stale_before,
    int64_t *hosts, int64_t *stale, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rc;

	*hosts = *stale = 0;
	if ((st = cstore_sqlite_prepare(s, "SELECT count(*), coalesce(sum("
	    "coalesce(last_seen, enrolled_at) < ?), 0) FROM hosts",
	    cause)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, (int64_t)stale_before);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*hosts = sqlite3_column_int64(st, 0);
		*stale = sqlite3_column_int64(st, 1);
	} else
		cstore_sqlite_cause(s, cause, "count hosts");
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

static int
cstore_sqlite_stale_hosts(struct cstore *cs, int stale, time_t stale_before,
    struct cstore_stale **out, size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	struct cstore_stale	*h = NULL, *e;
	sqlite3_stmt		*st;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	/*
	 * Revoked hosts (no certificate in force) are never alerted.  A
	 * host is back once it reported at or after its alert.
	 */
	if ((st = cstore_sqlite_prepare(s, stale ?
	    "SELECT host_id, hostname, coalesce(last_seen, 0), "
	    "coalesce(last_seen, enrolled_at) FROM hosts WHERE cert_serial "
	    "IS NOT NULL AND stale_alerted_at IS NULL AND "
	    "coalesce(last_seen, enrolled_at) < ? ORDER BY host_id" :
	    "SELECT host_id, hostname, coalesce(last_seen, 0), "
	    "coalesce(last_seen, enrolled_at) FROM hosts WHERE cert_serial "
	    "IS NOT NULL AND stale_alerted_at IS NOT NULL AND "
	    "last_seen >= stale_alerted_at ORDER BY host_id",
	    cause)) == NULL)
		return (-1);
	if (stale)
		sqlite3_bind_int64(st, 1, (int64_t)stale_before);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h = xreallocarray(h, n + 1, sizeof *h);
		e = &h[n++];
		e->host_id = cstore_sqlite_col_dup(st, 0);
		e->hostname = cstore_sqlite_col_dupnull(st, 1);
		e->last_seen = sqlite3_column_int64(st, 2);
		e->since = sqlite3_column_int64(st, 3);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "list stale hosts");
		sqlite3_finalize(st);
		cstore_stale_free(h, n);
		return (-1);
	}
	sqlite3_finalize(st);
	*out = h;
	*nout = n;
	return (0);
}

static int
cstore_sqlite_stale_mark(struct cstore *cs, const char *host_id, int stale,
    time_t now, const char *const *dests, const char *const *bodies,
    size_t n, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	size_t			 i;

	if (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return (-1);
	if ((stale ? cstore_sqlite_run(s, cause, "UPDATE hosts SET "
	    "stale_alerted_at = ? WHERE host_id = ? AND stale_alerted_at IS "
	    "NULL", "is", (int64_t)now, host_id) :
	    cstore_sqlite_run(s, cause, "UPDATE hosts SET stale_alerted_at = "
	    "NULL WHERE host_id = ? AND stale_alerted_at IS NOT NULL", "s",
	    host_id)) == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return (0);
	}
	for (i = 0; i < n; i++) {
		if (cstore_sqlite_run(s, cause, "INSERT INTO alert_queue "
		    "(dest, body, created_at, next_at) VALUES (?, ?, ?, ?)",
		    "ssii", dests[i], bodies[i], (int64_t)now,
		    (int64_t)now) == -1)
			goto fail;
	}
	if (cstore_sqlite_exec(s, "COMMIT", cause) == -1)
		goto fail;
	return (1);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

static int
cstore_sqlite_alert_next(struct cstore *cs, const char *dest,
    struct cstore_alert *a, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rc;

	memset(a, 0, sizeof *a);
	if ((st = cstore_sqlite_prepare(s, "SELECT id, body, attempts, "
	    "created_at, next_at FROM alert_queue WHERE dest = ? AND "
	    "delivered_at IS NULL ORDER BY id LIMIT 1", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->body = cstore_sqlite_col_dup(st, 1);
		a->attempts = sqlite3_column_int(st, 2);
		a->created_at = sqlite3_column_int64(st, 3);
		a->next_at = sqlite3_column_int64(st, 4);
	} else if (rc != SQLITE_DONE)
		cstore_sqlite_cause(s, cause, "next alert");
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1);
}

static int
cstore_sqlite_alert_delivered(struct cstore *cs, int64_t id, time_t now,
    char **cause)
{
	return (cstore_sqlite_run((struct cstore_sqlite *)cs, cause,
	    "UPDATE alert_queue SET delivered_at = ?, attempts = attempts + 1 "
	    "WHERE id = ?", "ii", (int64_t)now, id));
}

static int
cstore_sqlite_alert_retry(struct cstore *cs, int64_t id, time_t next_at,
    int count, const char *error, char **cause)
{
	return (cstore_sqlite_run((struct cstore_sqlite *)cs, cause,
	    "UPDATE alert_queue SET next_at = ?, attempts = attempts + ?, "
	    "last_error = coalesce(?, last_error) WHERE id = ?", "iisi",
	    (int64_t)next_at, (int64_t)(count ? 1 : 0), error, id));
}

static int
cstore_sqlite_alert_sent_since(struct cstore *cs, const char *dest,
    time_t since, int64_t *n, time_t *oldest, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rc;

	*n = 0;
	*oldest = 0;
	if ((st = cstore_sqlite_prepare(s, "SELECT count(*), "
	    "coalesce(min(delivered_at), 0) FROM alert_queue WHERE dest = ? "
	    "AND delivered_at >= ?", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)since);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		*oldest = sqlite3_column_int64(st, 1);
	} else
		cstore_sqlite_cause(s, cause, "count alerts");
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

static int
cstore_sqlite_alert_prune(struct cstore *cs, time_t delivered_before,
    time_t created_before, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;

	if (cstore_sqlite_run(s, cause, "DELETE FROM alert_queue WHERE "
	    "delivered_at IS NOT NULL AND delivered_at < ?", "i",
	    (int64_t)delivered_before) == -1 ||
	    cstore_sqlite_run(s, cause, "DELETE FROM alert_queue WHERE "
	    "delivered_at IS NULL AND created_at < ?", "i",
	    (int64_t)created_before) == -1)
		return (-1);
	return (sqlite3_changes(s->db));
}

/* The rows of a statement: host, check, status, old status, message, at. */
static int
cstore_sqlite_changes(struct cstore_sqlite *s, sqlite3_stmt *st, size_t max,
    struct cstore_change **out, size_t *nout, int *more, char **cause)
{
	struct cstore_change	*c = NULL, *e;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if (more != NULL)
		*more = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == max) {
			if (more != NULL)
				*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		c = xreallocarray(c, n + 1, sizeof *c);
		e = &c[n++];
		e->host_id = cstore_sqlite_col_dup(st, 0);
		e->check_id = cstore_sqlite_col_dup(st, 1);
		e->status = cstore_sqlite_col_dup(st, 2);
		e->old_status = cstore_sqlite_col_dupnull(st, 3);
		e->message = cstore_sqlite_col_dup(st, 4);
		e->at = sqlite3_column_int64(st, 5);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "read history");
		cstore_changes_free(c, n);
		return (-1);
	}
	*out = c;
	*nout = n;
	return (0);
}

static int
cstore_sqlite_results_as_of(struct cstore *cs, const char *host_id,
    time_t as_of, struct cstore_change **out, size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rv;

	/*
	 * History rows of a host are appended in the order of their
	 * reports' generated_at (a late report adds none), so the newest
	 * row of a check at or before as_of is the one of highest rowid.
	 */
	if ((st = cstore_sqlite_prepare(s, "SELECT host_id, check_id, status, "
	    "NULL, message, at FROM results_history WHERE rowid IN (SELECT "
	    "max(rowid) FROM results_history WHERE host_id = ? AND at <= ? "
	    "GROUP BY check_id) ORDER BY check_id", cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, host_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)as_of);
	rv = cstore_sqlite_changes(s, st, SIZE_MAX, out, nout, NULL, cause);
	sqlite3_finalize(st);
	return (rv);
}

static int
cstore_sqlite_drift(struct cstore *cs, time_t since, size_t max,
    struct cstore_change **out, size_t *nout, int *more, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rv;

	if ((st = cstore_sqlite_prepare(s, "SELECT h.host_id, h.check_id, "
	    "h.status, (SELECT p.status FROM results_history p WHERE "
	    "p.host_id = h.host_id AND p.check_id = h.check_id AND "
	    "p.rowid < h.rowid ORDER BY p.rowid DESC LIMIT 1), h.message, "
	    "h.at FROM results_history h WHERE h.at >= ? ORDER BY h.at, "
	    "h.rowid", cause)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, (int64_t)since);
	rv = cstore_sqlite_changes(s, st, max, out, nout, more, cause);
	sqlite3_finalize(st);
	return (rv);
}

static int
cstore_sqlite_controls(struct cstore *cs, struct cstore_control **out,
    size_t *nout, char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	struct cstore_control	*c = NULL, *e;
	sqlite3_stmt		*st;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	/* Per (control, host) the worst verdict: fail, error, pass, n/a. */
	if ((st = cstore_sqlite_prepare(s, "WITH hc AS (SELECT j.value AS "
	    "control, l.host_id, max(CASE l.status WHEN 'fail' THEN 3 "
	    "WHEN 'error' THEN 2 WHEN 'pass' THEN 1 ELSE 0 END) AS w "
	    "FROM latest l, json_each(CASE WHEN json_valid(l.controls) "
	    "THEN l.controls ELSE '[]' END) j WHERE j.type = 'text' "
	    "GROUP BY 1, 2) SELECT control, sum(w = 1), sum(w = 3), "
	    "sum(w = 2), sum(w = 0) FROM hc GROUP BY control ORDER BY "
	    "control", cause)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = xreallocarray(c, n + 1, sizeof *c);
		e = &c[n++];
		e->control = cstore_sqlite_col_dup(st, 0);
		e->pass = sqlite3_column_int64(st, 1);
		e->fail = sqlite3_column_int64(st, 2);
		e->error = sqlite3_column_int64(st, 3);
		e->not_applicable = sqlite3_column_int64(st, 4);
	}
	if (rc != SQLITE_DONE) {
		cstore_sqlite_cause(s, cause, "count hosts per control");
		sqlite3_finalize(st);
		cstore_controls_free(c, n);
		return (-1);
	}
	sqlite3_finalize(st);
	*out = c;
	*nout = n;
	return (0);
}

static int	cstore_sqlite_renew(struct cstore *, const char *,
		    const char *, const char *, time_t, time_t, char **);

static const struct cstore_ops cstore_sqlite_ops = {
	.name = "sqlite",
	.close = cstore_sqlite_close,
	.token_add = cstore_sqlite_token_add,
	.token_list = cstore_sqlite_token_list,
	.token_check = cstore_sqlite_token_check,
	.enroll = cstore_sqlite_enroll,
	.cert_state = cstore_sqlite_cert_state,
	.host_revoke = cstore_sqlite_host_revoke,
	.report_add = cstore_sqlite_report_add,
	.batch_begin = cstore_sqlite_batch_begin,
	.batch_end = cstore_sqlite_batch_end,
	.latest = cstore_sqlite_latest,
	.api_token_add = cstore_sqlite_api_token_add,
	.api_token_list = cstore_sqlite_api_token_list,
	.api_token_find = cstore_sqlite_api_token_find,
	.api_token_revoke = cstore_sqlite_api_token_revoke,
	.hosts = cstore_sqlite_hosts,
	.host_counts = cstore_sqlite_host_counts,
	.results_as_of = cstore_sqlite_results_as_of,
	.drift = cstore_sqlite_drift,
	.stale_hosts = cstore_sqlite_stale_hosts,
	.stale_mark = cstore_sqlite_stale_mark,
	.alert_next = cstore_sqlite_alert_next,
	.alert_delivered = cstore_sqlite_alert_delivered,
	.alert_retry = cstore_sqlite_alert_retry,
	.alert_sent_since = cstore_sqlite_alert_sent_since,
	.alert_prune = cstore_sqlite_alert_prune,
	.controls = cstore_sqlite_controls,
	.renew = cstore_sqlite_renew
};

/* From version 4 to 5: the digest of each host's latest verdict list. */
static const char cstore_sqlite_schema5[] =
	"ALTER TABLE hosts ADD COLUMN verdicts_sha TEXT;";

/* PRAGMA user_version, or -1 with *cause. */
static int
cstore_sqlite_version(struct cstore_sqlite *s, char **cause)
{
	sqlite3_stmt	*st;
	int		 version = -1;

	if ((st = cstore_sqlite_prepare(s, "PRAGMA user_version",
	    cause)) == NULL)
		return (-1);
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else
		cstore_sqlite_cause(s, cause, "PRAGMA user_version");
	sqlite3_finalize(st);
	return (version);
}

struct cstore *
cstore_sqlite_open(const char *path, char **cause)
{
	struct cstore_sqlite	*s;
	int			 version;

	s = xcalloc(1, sizeof *s);
	s->base.ops = &cstore_sqlite_ops;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (s->db != NULL)
			cstore_sqlite_cause(s, cause, "open %s", path);
		else
			xasprintf(cause, "open %s: out of memory", path);
		cstore_sqlite_close(&s->base);
		return (NULL);
	}
	sqlite3_busy_timeout(s->db, CSTORE_SQLITE_BUSY_MS);
	if (cstore_sqlite_exec(s, "PRAGMA journal_mode = WAL", cause) == -1 ||
	    cstore_sqlite_exec(s, "PRAGMA synchronous = FULL", cause) == -1 ||
	    cstore_sqlite_exec(s, "PRAGMA foreign_keys = ON", cause) == -1)
		goto fail;
	if ((version = cstore_sqlite_version(s, cause)) == -1)
		goto fail;
	if (version < CSTORE_SQLITE_VERSION) {
		/* Again under the write lock: another process may have begun. */
		if (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause) == -1)
			goto fail;
		if ((version = cstore_sqlite_version(s, cause)) == -1 ||
		    (version < 1 &&
		    cstore_sqlite_exec(s, cstore_sqlite_schema, cause) == -1) ||
		    (version < 2 &&
		    cstore_sqlite_exec(s, cstore_sqlite_schema2, cause) == -1) ||
		    (version < 3 && cstore_sqlite_exec(s,
		    cstore_sqlite_schema3, cause) == -1) ||
		    (version < 4 && cstore_sqlite_exec(s,
		    cstore_sqlite_schema4, cause) == -1) ||
		    (version < 5 && cstore_sqlite_exec(s,
		    cstore_sqlite_schema5, cause) == -1) ||
		    (version < CSTORE_SQLITE_VERSION &&
		    cstore_sqlite_exec(s, "PRAGMA user_version = 5",
		    cause) == -1) ||
		    cstore_sqlite_exec(s, "COMMIT", cause) == -1) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	if (version > CSTORE_SQLITE_VERSION) {
		xasprintf(cause, "%s: schema version %d is newer than this "
		    "isms-collectord (%d)", path, version,
		    CSTORE_SQLITE_VERSION);
		goto fail;
	}
	return (&s->base);
fail:
	cstore_sqlite_close(&s->base);
	return (NULL);
}

void
cstore_tokens_free(struct cstore_token *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(t[i].note);
	free(t);
}

void
cstore_latest_free(struct cstore_latest *l, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(l[i].check_id);
		free(l[i].status);
		free(l[i].message);
		free(l[i].severity);
		free(l[i].controls);
	}
	free(l);
}

void
cstore_api_tokens_free(struct cstore_api_token *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(t[i].note);
	free(t);
}

void
cstore_hosts_free(struct cstore_host *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(h[i].host_id);
		free(h[i].hostname);
		free(h[i].summary);
	}
	free(h);
}

void
cstore_stale_free(struct cstore_stale *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(h[i].host_id);
		free(h[i].hostname);
	}
	free(h);
}

void
cstore_alert_clear(struct cstore_alert *a)
{
	free(a->body);
	a->body = NULL;
}

void
cstore_changes_free(struct cstore_change *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(c[i].host_id);
		free(c[i].check_id);
		free(c[i].status);
		free(c[i].old_status);
		free(c[i].message);
	}
	free(c);
}

void
cstore_controls_free(struct cstore_control *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(c[i].control);
	free(c);
}

static int
cstore_sqlite_renew(struct cstore *cs, const char *host_id,
    const char *old_serial, const char *serial, time_t not_after, time_t now,
    char **cause)
{
	struct cstore_sqlite	*s = (struct cstore_sqlite *)cs;
	sqlite3_stmt		*st;
	int			 rc, state;

	/* IMMEDIATE: no revocation between the check and the new row. */
	if (cstore_sqlite_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return (-1);
	if ((st = cstore_sqlite_prepare(s, "SELECT revoked_at IS NOT NULL "
	    "FROM certs WHERE serial = ? AND host_id = ?", cause)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, old_serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, host_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		state = CSTORE_CERT_UNKNOWN;
	else if (rc == SQLITE_ROW)
		state = sqlite3_column_int(st, 0) ? CSTORE_CERT_REVOKED :
		    CSTORE_CERT_VALID;
	else {
		cstore_sqlite_cause(s, cause, "look up certificate");
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (state != CSTORE_CERT_VALID) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return (state);
	}
	if (cstore_sqlite_run(s, cause, "UPDATE certs SET revoked_at = ? "
	    "WHERE host_id = ? AND revoked_at IS NULL", "is", (int64_t)now,
	    host_id) == -1 ||
	    cstore_sqlite_run(s, cause, "UPDATE hosts SET cert_serial = ? "
	    "WHERE host_id = ?", "ss", serial, host_id) == -1 ||
	    cstore_sqlite_run(s, cause, "INSERT INTO certs (serial, host_id, "
	    "not_after) VALUES (?, ?, ?)", "ssi", serial, host_id,
	    (int64_t)not_after) == -1 ||
	    cstore_sqlite_exec(s, "COMMIT", cause) == -1)
		goto fail;
	return (CSTORE_CERT_VALID);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}
