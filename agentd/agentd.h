/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The engine shared by ismsctl and isms-agentd: configuration, policy,
 * the condition language, evaluation, reports and the local store.
 *
 * Data flow of one run:  collectors -> facts (JSON) -> evaluator with
 * the loaded policy and thresholds -> results -> report document (the
 * canonical JSON of schema isms-agent/report/v1) -> printed, stored.
 */
#ifndef AGENTD_H
#define AGENTD_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "collector.h"
#include "yamltree.h"

#define REPORT_SCHEMA	"isms-agent/report/v1"
#define AGENT_VERSION	PACKAGE_VERSION_STR

#define EXIT_PASS	0	/* every applicable check passed */
#define EXIT_FAIL	1	/* at least one check failed */
#define EXIT_USAGE	2	/* usage, configuration or policy error */
#define EXIT_INTERNAL	3	/* internal error */

enum lang {
	LANG_EN,
	LANG_JA
};

/* annex.c */
struct annex_control {
	const char	*id;
	const char	*title;
	const char	*theme;
	const char	*title_ja;
	const char	*theme_ja;
	const char	*related;	/* 2022: old 2013 ids; 2013: new 2022 ids */
};
extern const struct annex_control annex_2022[];
extern const size_t annex_2022_count;
extern const struct annex_control annex_2013[];
extern const size_t annex_2013_count;
const struct annex_control *annex_find_2022(const char *);
/* 2013 identifiers of a list of 2022 ones, from the crosswalk, sorted. */
json_t		*annex_2013_of(const json_t *controls_2022);
/* Orders "A.8.9" before "A.8.10". */
int		 annex_id_cmp(const char *, const char *);

/* policies_data.c (generated) */
struct builtin_policy {
	const char	*name;
	const char	*text;
	size_t		 len;
};
extern const struct builtin_policy builtin_policies[];
extern const size_t builtin_policies_count;

/* expr.c: the condition language of policies (see isms-policy.5). */
struct expr;
struct expr	*expr_parse(const char *src, char **cause, int *errcol);
void		 expr_free(struct expr *);
/* Names of the thresholds ($name) an expression uses, appended to arr. */
void		 expr_thresholds(const struct expr *, json_t *arr);

enum status {
	STATUS_PASS,
	STATUS_FAIL,
	STATUS_ERROR,
	STATUS_NA
};
const char	*status_name(enum status);

struct expr_outcome {
	enum status	 status;
	char		*reason;	/* error or not-applicable reason */
	char		*reason_ja;	/* Japanese, when the facts gave one */
	json_t		*observed;	/* {"path": value, ...} */
	json_t		*failures;	/* [{"subject","observed","op",
					    "expected","threshold"}, ...] */
};
/* Evaluates against facts and thresholds ({"name": value}). */
void		 expr_eval(const struct expr *, json_t *facts,
		    json_t *thresholds, struct expr_outcome *);
void		 expr_outcome_clear(struct expr_outcome *);

/* policy.c */
enum severity {
	SEV_LOW,
	SEV_MEDIUM,
	SEV_HIGH,
	SEV_CRITICAL
};
const char	*severity_name(enum severity);

struct text {
	char		*en;
	char		*ja;		/* may be NULL: falls back to en */
};
const char	*text_get(const struct text *, enum lang);

enum threshold_type {
	THR_DURATION,
	THR_NUMBER,
	THR_BOOL,
	THR_STRING
};

struct threshold {
	char			*name;		/* "screen_lock.max_idle" */
	enum threshold_type	 type;
	json_t			*value;		/* seconds for durations */
	char			*source;	/* "default (file:line)" or
						   "agent.yaml:12" */
	struct text		 description;
	TAILQ_ENTRY(threshold)	 entry;
};

struct check {
	char			*id;
	struct text		 title;
	enum severity		 severity;
	json_t			*controls;	/* ["A.8.24", ...] */
	json_t			*controls_2013;	/* derived */
	struct text		 rationale;
	struct text		 remediation;
	struct expr		*applies;	/* NULL: always */
	struct text		 na_reason;
	struct text		 msg_pass;	/* optional, with {path} */
	struct text		 msg_fail;
	struct expr		*condition;
	char			*condition_src;
	char			*where;		/* "file:line" */
	int			 disabled;
	TAILQ_ENTRY(check)	 entry;
};

struct policy {
	TAILQ_HEAD(, check)	 checks;
	TAILQ_HEAD(, threshold)	 thresholds;
	size_t			 nchecks;
};

struct policy	*policy_new(void);
void		 policy_free(struct policy *);
/* Adds the checks of one YAML document; errors appended to e. */
void		 policy_load_buffer(struct policy *, const char *name,
		    const char *buf, size_t len, struct yerrors *e);
void		 policy_load_builtin(struct policy *, struct yerrors *);
void		 policy_load_file(struct policy *, const char *,
		    struct yerrors *);
struct check	*policy_find_check(struct policy *, const char *);
struct threshold *policy_find_threshold(struct policy *, const char *);
/* Thresholds in force as {"name": value}. */
json_t		*policy_threshold_values(struct policy *);
/* A threshold value of the given type from a YAML node, or NULL. */
json_t		*policy_threshold_parse(enum threshold_type,
		    const struct ynode *, struct yerrors *);

/* config.c */
struct agent_conf {
	char			*file;		/* NULL: built-in defaults */
	char			*store_path;
	char			*collector_url;
	char			*collector_ca;	/* written by ismsctl enroll */
	char			*collector_key;	/* the agent's key, 0600 */
	char			*collector_cert; /* its client certificate */
	int64_t			 interval_s;
	struct backup_target	*backup_targets;
	size_t			 nbackup_targets;
	char			**disabled_checks;
	size_t			 ndisabled_checks;
	int			 alerts_syslog;
	struct ytree		*tree;		/* kept for later readers */

	/* The daemon (isms-agentd.8). */
	char			*user;		/* unprivileged processes */
	char			*control_socket;
	char			*control_group;	/* NULL: root's */
	int64_t			 collector_timeout_s;
	int64_t			 net_idle_s;	/* net process stops after */
	int64_t			 jitter_s;
	int			 run_at_start;
	int			 quiet_start;	/* minute of day, -1 none */
	int			 quiet_end;
	int			 nightly;	/* minute of day, -1 none */
	int			 defer_on_battery;
	int64_t			 max_defer_s;
	char			*syslog_ident;
	int			 syslog_facility; /* LOG_DAEMON etc. */
	int			 summary_at;	/* minute of day, -1 none */
	int			 flap_window;
	int			 flap_max_changes;
	int			 flap_stable_runs;
	struct remote_syslog	*remote_syslog;	/* NULL: none */
	struct webhook		*webhooks;
	size_t			 nwebhooks;
};

struct remote_syslog {
	char			*host;
	char			*port;
	int			 tls;
	char			*ca;		/* PEM file, for TLS */
};

enum webhook_format {
	WEBHOOK_SLACK,
	WEBHOOK_TEAMS,
	WEBHOOK_JSON
};

struct webhook {
	char			*url;
	enum webhook_format	 format;
	int			 rate_per_hour;	/* 0: unlimited */
	char			*ca;		/* PEM file, NULL: system */
};
/*
 * Loads agent.yaml and applies its threshold overrides and disabled
 * checks to the policy.  A missing default file is not an error
 * (must_exist 0); every problem is appended to e.
 */
struct agent_conf *config_load(const char *path, int must_exist,
		    struct policy *, struct yerrors *e);
/* The same from a buffer named "name" (the daemon's engine, chrooted). */
struct agent_conf *config_load_buffer(const char *name, const char *buf,
		    size_t len, struct policy *, struct yerrors *e);
void		 config_free(struct agent_conf *);
/*
 * The alerts.webhooks list (isms-agent.yaml(5)), also read by
 * isms-collectord: each valid webhook appended to *list, every problem
 * to e.
 */
void		 config_webhooks_parse(const struct ynode *,
		    struct webhook **list, size_t *nlist, struct yerrors *e);
void		 config_webhooks_free(struct webhook *, size_t);
/* A syslog facility by name ("daemon", "local4"), or -1. */
int		 config_facility(const char *);
char		*config_default_path(const char *root);
char		*config_default_store(void);

/* evaluator.c */
struct result {
	const struct check	*check;
	enum status		 status;
	char			*message;	/* English */
	char			*message_ja;
	json_t			*evidence;
};
struct results {
	struct result		*v;
	size_t			 n;
	size_t			 count[4];	/* by enum status */
};
/* Pure: facts + policy + now -> results. */
void		 evaluate(struct policy *, json_t *facts, time_t now,
		    struct results *);
void		 results_clear(struct results *);

/* report.c */
/* The canonical report document (schema isms-agent/report/v1). */
json_t		*report_build(struct results *, json_t *facts, time_t now,
		    enum lang);
void		 report_print_text(FILE *, json_t *report, enum lang,
		    int colour);
/* Deterministic serialisation: sorted keys, compact. */
char		*report_canonical(json_t *);

/* store.c */
struct store;
struct store	*store_open(const char *path, char **cause);
void		 store_close(struct store *);
/* Appends a run; returns the run id or -1. */
int64_t		 store_put_run(struct store *, json_t *report, char **cause);
/*
 * Appends a run and queues it in the report outbox (new report_id, kind
 * "run", due at now) in the same transaction: both or neither.
 */
int64_t		 store_put_run_outbox(struct store *, json_t *report,
		    time_t now, char **cause);
/* Verdict changes as an array of {at, check, old, new, run, message}. */
json_t		*store_history(struct store *, const char *check, time_t since,
		    char **cause);
/* A stored run's canonical document (for export and tests). */
char		*store_get_run(struct store *, int64_t id, char **cause);
/* The changes a run recorded: [{check, old, new, message}]. */
json_t		*store_run_changes(struct store *, int64_t run);
/*
 * Statuses of a check over the last n runs before (not including) run,
 * oldest first, as new strings; returns the count.  Runs before the
 * check existed are left out.
 */
size_t		 store_check_statuses(struct store *, const char *check,
		    int64_t run, size_t n, char ***out);
int		 store_flap_get(struct store *, const char *check);
/* Checks now flapping, as a JSON array of ids. */
json_t		*store_flapping(struct store *);
void		 store_flap_set(struct store *, const char *check, int);
/* Gives the page cache back between runs of the daemon. */
void		 store_release_memory(struct store *);
/* Number of runs stored. */
int64_t		 store_run_count(struct store *);

/*
 * The durable alert queue: one row per alert and destination, kept
 * until delivered; attempts and the next attempt time survive restarts.
 */
struct queue_item {
	int64_t		 id;
	char		*dest;
	char		*body;
	size_t		 len;
	int		 attempts;
	time_t		 created_at;
};
int64_t		 store_queue_push(struct store *, const char *dest,
		    const char *body, size_t len, time_t now);
/*
 * The oldest pending item of dest if it is due (next_at <= now), or -1:
 * each destination's queue is delivered in order.
 */
int		 store_queue_next(struct store *, const char *dest, time_t now,
		    struct queue_item *);
void		 store_queue_item_clear(struct queue_item *);
void		 store_queue_delivered(struct store *, int64_t id, time_t now);
void		 store_queue_retry(struct store *, int64_t id, time_t next_at,
		    const char *error);
/* The oldest delivery to dest at or after since (since if none). */
time_t		 store_queue_oldest_delivery(struct store *, const char *dest,
		    time_t since);
/* Holds an item back without counting an attempt (rate limits). */
void		 store_queue_defer(struct store *, int64_t id, time_t next_at);
/* Delivery attempts made for an item so far. */
int		 store_queue_attempts(struct store *, int64_t id);
/* Pending items of dest (NULL: all). */
int64_t		 store_queue_depth(struct store *, const char *dest);
/* Delivered to dest since t. */
int64_t		 store_queue_delivered_since(struct store *, const char *dest,
		    time_t t);
/* When the oldest pending item of dest is due, or 0 if none. */
time_t		 store_queue_next_at(struct store *, const char *dest);

/*
 * The report outbox: runs not yet accepted by the collector, in run
 * order.  The body is rebuilt from the run when sent.  An item the
 * collector refused for good is "rejected": it is set aside and no
 * longer holds back the newer ones.
 */
#define STORE_UUID_LEN	37	/* UUID text and NUL */
struct outbox_item {
	char		 report_id[STORE_UUID_LEN];
	int64_t		 run_id;
	time_t		 created_at;
	char		 kind[16];	/* "run" or "catch_up" */
	int		 attempts;
	time_t		 next_at;
	char		*last_error;	/* NULL if none */
	time_t		 rejected_at;	/* 0 if not rejected */
};
/*
 * The oldest item not rejected if it is due (next_at <= now), else the
 * oldest due rejected item: 0, else -1.
 */
int		 store_outbox_next(struct store *, time_t now,
		    struct outbox_item *);
void		 store_outbox_item_clear(struct outbox_item *);
/*
 * When store_outbox_next will next find an item (the oldest not
 * rejected, or the earliest rejected), or 0 if the outbox is empty.
 */
time_t		 store_outbox_next_at(struct store *);
/* The collector accepted it (or had it already): deletes it. */
int		 store_outbox_sent(struct store *, const char *report_id);
/* A failed attempt: counts it, sets the next try and the error. */
int		 store_outbox_retry(struct store *, const char *report_id,
		    time_t next_at, const char *error);
/*
 * Refused for good: counts the attempt, sets the next try and the
 * error, and marks it rejected (since now, or since an earlier refusal).
 */
int		 store_outbox_reject(struct store *, const char *report_id,
		    time_t now, time_t next_at, const char *error);
/*
 * Makes an item (NULL: every item) due at now and not rejected; returns
 * the number changed or -1.
 */
int64_t		 store_outbox_requeue(struct store *, const char *report_id,
		    time_t now);
/*
 * Removes an item from the outbox (its run stays in the history); sets
 * *run; returns the number removed (0 or 1) or -1.
 */
int64_t		 store_outbox_drop(struct store *, const char *report_id,
		    int64_t *run);
/*
 * The items in run order: [{report_id, run, kind, created, attempts,
 * next_try, rejected (time or null), last_error (or null)}], or NULL.
 */
json_t		*store_outbox_list(struct store *, char **cause);
/* Items in the outbox, and how many of them are rejected. */
int64_t		 store_outbox_depth(struct store *);
int64_t		 store_outbox_rejected(struct store *);
/*
 * The report to upload: the run's canonical document (checked against
 * its SHA-256) plus "report_id" and "kind", canonical; the caller frees.
 */
int		 store_outbox_body(struct store *, const char *report_id,
		    char **json, char **cause);
/*
 * If more than keep_runs items wait, keeps the newest and those whose run
 * recorded verdict changes (now kind "catch_up") and deletes the others.
 * Returns the number deleted or -1.
 */
int64_t		 store_outbox_compact(struct store *, int64_t keep_runs);

/* alert.c: the wording of every alert, and local syslog (only here). */
enum drift_kind {
	DRIFT_CHANGE,		/* a verdict changed, or a new check */
	DRIFT_FLAPPING,		/* a check alternates; alerted once */
	DRIFT_SUMMARY,		/* daily list of still-failing checks */
	DRIFT_HOST_STALE,	/* isms-collectord: a host fell silent */
	DRIFT_HOST_BACK		/* isms-collectord: it reports again */
};
struct drift_event {
	enum drift_kind	 kind;
	const char	*id;		/* UUID, the same for every destination:
					   receivers de-duplicate by it */
	time_t		 at;
	const char	*host;		/* hostname */
	const char	*host_id;	/* machine-id */
	const char	*check;		/* NULL for DRIFT_SUMMARY */
	const char	*title;
	const char	*severity;
	const json_t	*controls;	/* 2022 ids */
	const json_t	*controls_2013;
	const char	*old_status;	/* NULL: a new check */
	const char	*new_status;
	const char	*observed;	/* the result message */
	const char	*threshold;	/* "name=15m, ..." or NULL */
	const json_t	*failing;	/* DRIFT_SUMMARY: [{check, title,
					   severity, message, since}] */
	time_t		 last_seen;	/* DRIFT_HOST_*: last report, 0 never */
	int64_t		 stale_after;	/* DRIFT_HOST_*: seconds of silence */
};
/* One line of stable key=value fields (values quoted when needed). */
char		*alert_kv_line(const struct drift_event *);
/* syslog(3) of alert_kv_line(); openlog() is the caller's. */
void		 alert_syslog(const struct drift_event *);
/* RFC 5424 message in RFC 6587 octet-counting framing ("LEN SP MSG"). */
char		*alert_rfc5424(const struct drift_event *, int facility,
		    const char *app_name, const char *procid, size_t *len);
json_t		*alert_slack(const struct drift_event *);
json_t		*alert_teams(const struct drift_event *);
json_t		*alert_json(const struct drift_event *);

/* drift.c: flap damping, pure. */
struct flap_params {
	int		 window;	/* runs looked at */
	int		 max_changes;	/* changes in window = flapping */
	int		 stable_runs;	/* equal runs that end flapping */
};
enum drift_action {
	DRIFT_NONE,		/* no change, nothing to say */
	DRIFT_ALERT,		/* alert this change */
	DRIFT_ALERT_FLAPPING,	/* alert once: the check is flapping */
	DRIFT_SUPPRESS		/* a change while flapping: stay quiet */
};
/*
 * history: the check's previous statuses, oldest first (not including
 * new_status); *flapping is the check's flap state, updated.
 */
enum drift_action drift_decide(const char *const *history, size_t n,
		    const char *new_status, int *flapping,
		    const struct flap_params *);

/* schedule.c: when the next run is due, pure. */
struct sched_params {
	int64_t		 interval_s;
	int64_t		 jitter_s;	/* uniform 0..jitter added */
	int		 quiet_start;	/* minute of the local day, -1 none */
	int		 quiet_end;	/* minute of the local day */
	int		 nightly;	/* minute of the local day, -1 none */
};
/*
 * The next run after "now" given the last run (0: never ran: run now,
 * unless in quiet hours); rnd is a random 32-bit value for the jitter.
 * *nightly is set when the run is the nightly full run.
 */
time_t		 sched_next(const struct sched_params *, time_t now,
		    time_t last_run, uint32_t rnd, int *nightly);
/* Whether t falls in the quiet-hours window (local time). */
int		 sched_in_quiet(const struct sched_params *, time_t t);

/*
 * Messages between the daemon's processes (common/ipc.h framing, JSON
 * payloads).  The comment gives the direction and the payload.
 */
enum imsg_type {
	IMSG_NONE,
	IMSG_CONF_FILE,		/* parent > engine, net: {name, text} */
	IMSG_CONF_END,		/* parent > engine, net: {reload, root,
				   reports: enrolled with a collector} */
	IMSG_READY,		/* engine > parent: {} */
	IMSG_COLLECT,		/* engine > parent: {run, nightly} */
	IMSG_FACTS,		/* parent > engine: {name, facts} */
	IMSG_COLLECT_DONE,	/* parent > engine: {run, now, deferred} */
	IMSG_DELIVER,		/* engine > parent > net: {id, dest,
				   url|host, ...}; a report (dest "report")
				   has id -run, alerts their queue id */
	IMSG_DELIVERED,		/* net > parent > engine: {id, dest, ok,
				   status, error, retry_after} */
	IMSG_CA,		/* parent > net: {path, pem} */
	IMSG_SHUTDOWN,		/* parent > engine, net: {} */
	IMSG_STATUS,		/* engine > parent: {status} for sd_notify */
	IMSG_NET_IDLE,		/* net > parent: {} nothing to do, may exit */
	IMSG_CLIENT_CERT,	/* parent > net: {cert, key, ca} PEM for
				   reports (ca null: system store), or
				   {} when not enrolled */
	IMSG_MEMO,		/* collection worker > parent: the
				   collectors' memo, kept for the next
				   run's worker (collector_memo_get) */
	IMSG_MAX
};

/* engine.c, net.c: the unprivileged processes of isms-agentd. */
struct engine_args {
	const char	*store;		/* store path (before chroot) */
	const char	*control;	/* control socket path */
	const char	*group;		/* its group, or NULL */
	const char	*user;
	const char	*syslog_ident;
	int		 syslog_facility;
	int		 foreground;
	int		 verbose;
};
void		 engine_main(struct engine_args *) __attribute__((noreturn));
void		 net_main(const char *user, int foreground, int verbose,
		    long idle_s) __attribute__((noreturn));

/* check.c */
struct check_opts {
	const char	*root;		/* "" for the live host */
	const char	*config;	/* NULL: default */
	const char	**policies;	/* extra policy files */
	size_t		 npolicies;
	time_t		 now;
	int		 store;
	const char	*store_path;	/* NULL: from agent.yaml or default */
	enum lang	 lang;
	int		 json;
	int		 colour;
};
int		 check_load(struct check_opts *, struct policy **,
		    struct agent_conf **);
int		 check_main(struct check_opts *);

/* enroll.c: ismsctl enroll (isms-collectord's POST /api/v1/enroll). */
struct enroll_opts {
	const char	*server;	/* https://host[:port] */
	const char	*token;		/* secret: never printed */
	const char	*ca;		/* PEM file, or NULL */
	const char	*pin;		/* base64 SHA-256 of the CA's SPKI */
	int		 renew;		/* POST /api/v1/renew over mTLS */
	int		 if_needed;	/* renew only when a third is left */
};
/*
 * Makes a key pair and obtains a client certificate for the host (under
 * o->root, paths from o->config); returns the exit status.
 */
int		 enroll_main(struct check_opts *, struct enroll_opts *);

#endif
