/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's storage interface.  A backend fills in a struct
 * cstore_ops; the rest of the collector calls only through it, so a
 * PostgreSQL backend for several collector nodes can sit beside the
 * embedded SQLite one (cstore_sqlite.c, the only file that includes
 * sqlite3.h).
 *
 * Every operation that must be atomic is one call: enrollment checks
 * and consumes a use of its token, revokes the host's previous
 * certificates, keeps the one host row and records the new certificate
 * in a single transaction, so two agents racing for the last use of a
 * token cannot both get a certificate that the store knows of.
 *
 * Times are seconds since the epoch (UTC); 0 means "never" or "none".
 * Tokens are only ever seen here as their SHA-256 (hex).
 *
 * Reports are stored by change: a report is one reports row and its
 * host's last_seen; per host the latest verdict of each check is one
 * row, rewritten only when something of it changed, and a row is
 * appended to the history only when a check's status changed (or the
 * check is new).  A report older than the newest one applied for its
 * host (a late delivery) is recorded but does not move the latest
 * verdicts back.
 */
#ifndef CSTORE_H
#define CSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cstore;

/* Why a token was refused (cstore_ops.token_check, .enroll). */
enum cstore_refusal {
	CSTORE_OK = 0,
	CSTORE_TOKEN_UNKNOWN,
	CSTORE_TOKEN_EXPIRED,
	CSTORE_TOKEN_USED_UP
};

/* What the store knows of a client certificate's serial. */
enum cstore_cert_state {
	CSTORE_CERT_VALID,
	CSTORE_CERT_REVOKED,
	CSTORE_CERT_UNKNOWN
};

struct cstore_token {
	char		 hash[65];	/* SHA-256 hex of the token */
	int64_t		 uses_left;
	time_t		 expires_at;
	time_t		 created_at;
	char		*note;		/* may be NULL */
};

struct cstore_enroll {
	const char	*token_hash;
	const char	*host_id;
	const char	*hostname;	/* may be NULL */
	const char	*serial;	/* of the new certificate, lowercase hex */
	time_t		 not_after;
	time_t		 now;
};

/* What report_add did (besides -1, a store error). */
enum cstore_report_state {
	CSTORE_REPORT_ADDED = 0,
	CSTORE_REPORT_DUPLICATE,	/* report_id seen before: nothing written */
	CSTORE_REPORT_CONFLICT		/* report_id seen from another host */
};

/* One check's verdict in a report; strings borrowed. */
struct cstore_verdict {
	const char	*check_id;
	const char	*status;	/* pass, fail, error, not_applicable */
	const char	*message;
	const char	*severity;
	const char	*controls;	/* compact JSON array */
};

struct cstore_report {
	const char	*report_id;	/* UUID, lower case */
	const char	*host_id;	/* the client certificate's */
	const char	*hostname;	/* may be NULL: kept as it was */
	const char	*kind;		/* run, catch_up */
	time_t		 generated_at;	/* the agent's clock */
	time_t		 received_at;	/* ours */
	const char	*summary;	/* compact JSON object */
	const char	*sha256;	/* hex, of the canonical document */
	/*
	 * Hex SHA-256 of the verdict list in order (check, status,
	 * severity, message, controls), or NULL.  The same as the host's
	 * last applied list: nothing per check to look at (a report whose
	 * verdicts did not change costs the store two rows).
	 */
	const char	*verdicts_sha;
	const struct cstore_verdict *verdicts;
	size_t		 nverdicts;
};

/* A check's latest verdict (cstore_ops.latest); strings owned. */
struct cstore_latest {
	char		*check_id;
	char		*status;
	char		*message;
	char		*severity;
	char		*controls;
	time_t		 since;		/* generated_at of the change */
};

/* Fleet API roles, in order: a role may do what those below it may. */
enum cstore_role {
	CSTORE_ROLE_NONE = 0,
	CSTORE_ROLE_VIEWER,
	CSTORE_ROLE_AUDITOR,
	CSTORE_ROLE_ADMIN
};

/* A fleet API bearer token (api_token_*); note owned. */
struct cstore_api_token {
	char		 hash[65];	/* SHA-256 hex of the token */
	int		 role;		/* enum cstore_role */
	time_t		 created_at;
	time_t		 revoked_at;	/* 0: in force */
	char		*note;		/* may be NULL */
};

/* A host as the fleet API shows it (hosts); strings owned. */
struct cstore_host {
	char		*host_id;
	char		*hostname;	/* may be NULL */
	time_t		 enrolled_at;
	time_t		 last_seen;	/* 0: never reported */
	time_t		 last_report_at;	/* generated_at of the newest */
	int		 revoked;	/* no certificate in force */
	char		*summary;	/* the newest report's, or NULL */
};

/* One row of results_history (results_as_of, drift); strings owned. */
struct cstore_change {
	char		*host_id;
	char		*check_id;
	char		*status;
	char		*old_status;	/* NULL: the check was new */
	char		*message;
	time_t		 at;		/* generated_at of the report */
};

/* Per control, the hosts by their worst verdict of its checks. */
struct cstore_control {
	char		*control;
	int64_t		 pass;
	int64_t		 fail;
	int64_t		 error;
	int64_t		 not_applicable;
};

/* A host for a stale-host alert (stale_hosts); strings owned. */
struct cstore_stale {
	char		*host_id;
	char		*hostname;	/* may be NULL */
	time_t		 last_seen;	/* 0: never reported */
	time_t		 since;		/* last_seen, or enrollment if never */
};

/* A queued webhook body (alert_next); body owned. */
struct cstore_alert {
	int64_t		 id;
	char		*body;
	int		 attempts;
	time_t		 created_at;
	time_t		 next_at;	/* not to be tried before */
};

struct cstore_ops {
	const char	*name;
	void		 (*close)(struct cstore *);

	/* Adds a token by hash: 0, or -1 with *cause. */
	int		 (*token_add)(struct cstore *, const char *hash,
			    int64_t uses, time_t expires_at, time_t now,
			    const char *note, char **cause);
	/* Every token, newest first: 0, or -1 with *cause. */
	int		 (*token_list)(struct cstore *, struct cstore_token **,
			    size_t *, char **cause);
	/*
	 * Whether a token could be used now, without consuming it: -1 with
	 * *cause on a store error, else an enum cstore_refusal.
	 */
	int		 (*token_check)(struct cstore *, const char *hash,
			    time_t now, char **cause);
	/*
	 * Enrollment in one transaction (above): -1 with *cause on a store
	 * error, else an enum cstore_refusal (CSTORE_OK: recorded; *revoked,
	 * if not NULL, counts the previous certificates revoked).
	 */
	int		 (*enroll)(struct cstore *, const struct cstore_enroll *,
			    int *revoked, char **cause);
	/* -1 with *cause on a store error, else an enum cstore_cert_state. */
	int		 (*cert_state)(struct cstore *, const char *serial,
			    char **cause);
	/*
	 * Revokes every certificate of a host: the number revoked (0 if
	 * the host has none left), -2 for an unknown host, -1 with *cause.
	 */
	int		 (*host_revoke)(struct cstore *, const char *host_id,
			    time_t now, char **cause);
	/*
	 * Stores a report in one transaction (above): -1 with *cause, else
	 * an enum cstore_report_state; *changes (if not NULL) counts the
	 * checks whose status changed or which are new.
	 */
	int		 (*report_add)(struct cstore *,
			    const struct cstore_report *, int *changes,
			    char **cause);
	/*
	 * Group commit: between batch_begin and batch_end every report_add
	 * goes into one transaction (PostgreSQL: BEGIN, a SAVEPOINT per
	 * report, COMMIT).  Each report stays all or nothing: one that
	 * fails (-1) is undone alone; a report_id added earlier in the
	 * batch is a duplicate.  Nothing is durable, so no report may be
	 * acknowledged, before batch_end(commit 1) returns 0; on -1 (or
	 * commit 0) the whole batch is rolled back.  No other operation
	 * may run while a batch is open.  0, or -1 with *cause.
	 */
	int		 (*batch_begin)(struct cstore *, char **cause);
	int		 (*batch_end)(struct cstore *, int commit,
			    char **cause);
	/* A host's latest verdicts by check id: 0, or -1 with *cause. */
	int		 (*latest)(struct cstore *, const char *host_id,
			    struct cstore_latest **, size_t *, char **cause);

	/* Adds a fleet API token by hash: 0, or -1 with *cause. */
	int		 (*api_token_add)(struct cstore *, const char *hash,
			    int role, time_t now, const char *note,
			    char **cause);
	/* Every fleet API token, newest first: 0, or -1 with *cause. */
	int		 (*api_token_list)(struct cstore *,
			    struct cstore_api_token **, size_t *, char **cause);
	/*
	 * The tokens in force whose hash begins with the first 16 hex
	 * digits of hash: the caller compares the whole hash (in constant
	 * time).  0, or -1 with *cause.
	 */
	int		 (*api_token_find)(struct cstore *, const char *hash,
			    struct cstore_api_token **, size_t *, char **cause);
	/*
	 * Revokes the one token in force whose hash begins with prefix:
	 * 1 done, 0 none, -2 more than one, -1 with *cause.
	 */
	int		 (*api_token_revoke)(struct cstore *,
			    const char *prefix, time_t now, char **cause);
	/*
	 * Hosts by id (every host if host_id is NULL, else that one):
	 * 0, or -1 with *cause.
	 */
	int		 (*hosts)(struct cstore *, const char *host_id,
			    struct cstore_host **, size_t *, char **cause);
	/*
	 * The number of hosts and of those silent since before stale_before
	 * (never seen: since enrollment).  0, or -1 with *cause.
	 */
	int		 (*host_counts)(struct cstore *, time_t stale_before,
			    int64_t *hosts, int64_t *stale, char **cause);
	/*
	 * The verdict of each check of a host in force at as_of: the last
	 * history row at or before it, by check id (old_status NULL).  0, or
	 * -1 with *cause.
	 */
	int		 (*results_as_of)(struct cstore *, const char *host_id,
			    time_t as_of, struct cstore_change **, size_t *,
			    char **cause);
	/*
	 * History rows at or after since across the fleet, oldest first,
	 * each with the status it replaced; at most max rows, *more set if
	 * there were more.  0, or -1 with *cause.
	 */
	int		 (*drift)(struct cstore *, time_t since, size_t max,
			    struct cstore_change **, size_t *, int *more,
			    char **cause);
	/*
	 * Stale-host alerts.  With stale 1, the hosts in force silent since
	 * before stale_before (never seen: since enrollment) and not yet
	 * alerted; with stale 0, those alerted that reported since.
	 * Revoked hosts are never listed.  0, or -1 with *cause.
	 */
	int		 (*stale_hosts)(struct cstore *, int stale,
			    time_t stale_before, struct cstore_stale **,
			    size_t *, char **cause);
	/*
	 * In one transaction: sets (stale 1) or clears (0) the host's alert
	 * mark and queues bodies[i] for dests[i], due now.  1 done, 0 the
	 * mark was already so (nothing queued), -1 with *cause.
	 */
	int		 (*stale_mark)(struct cstore *, const char *host_id,
			    int stale, time_t now, const char *const *dests,
			    const char *const *bodies, size_t n, char **cause);
	/* The oldest undelivered alert of dest: 1, 0 none, -1 with *cause. */
	int		 (*alert_next)(struct cstore *, const char *dest,
			    struct cstore_alert *, char **cause);
	int		 (*alert_delivered)(struct cstore *, int64_t id,
			    time_t now, char **cause);
	/* Next try at next_at; an attempt is counted if count is set. */
	int		 (*alert_retry)(struct cstore *, int64_t id,
			    time_t next_at, int count, const char *error,
			    char **cause);
	/* Deliveries to dest at or after since, and the oldest of them. */
	int		 (*alert_sent_since)(struct cstore *, const char *dest,
			    time_t since, int64_t *n, time_t *oldest,
			    char **cause);
	/*
	 * Forgets deliveries before delivered_before and drops undelivered
	 * alerts created before created_before: the number dropped, or -1.
	 */
	int		 (*alert_prune)(struct cstore *, time_t delivered_before,
			    time_t created_before, char **cause);
	/*
	 * Per control named in the latest verdicts, the hosts whose worst
	 * verdict among its checks is fail, error, pass or not_applicable
	 * (in that order of precedence).  0, or -1 with *cause.
	 */
	int		 (*controls)(struct cstore *, struct cstore_control **,
			    size_t *, char **cause);
	/*
	 * Renewal in one transaction: if old_serial is a certificate of
	 * host_id in force, revokes the host's certificates in force and
	 * records serial (not_after) as its certificate.  -1 with *cause on
	 * a store error, else the enum cstore_cert_state that old_serial
	 * had (CSTORE_CERT_VALID: renewed).
	 */
	int		 (*renew)(struct cstore *, const char *host_id,
			    const char *old_serial, const char *serial,
			    time_t not_after, time_t now, char **cause);
};

/* A backend's handle begins with its operations. */
struct cstore {
	const struct cstore_ops	*ops;
};

/* The SQLite backend (WAL) on the database file path, made if missing. */
struct cstore	*cstore_sqlite_open(const char *path, char **cause);

void		 cstore_tokens_free(struct cstore_token *, size_t);
void		 cstore_latest_free(struct cstore_latest *, size_t);
void		 cstore_api_tokens_free(struct cstore_api_token *, size_t);
void		 cstore_hosts_free(struct cstore_host *, size_t);
void		 cstore_changes_free(struct cstore_change *, size_t);
void		 cstore_controls_free(struct cstore_control *, size_t);
void		 cstore_stale_free(struct cstore_stale *, size_t);
void		 cstore_alert_clear(struct cstore_alert *);
const char	*cstore_role_name(int);
int		 cstore_role_parse(const char *);

#endif
