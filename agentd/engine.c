/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The engine process of isms-agentd: unprivileged, chrooted into the
 * store's directory.
 *
 * Design.  Everything here is driven by one event loop and nothing
 * blocks on the network: the engine decides when to run (schedule.c),
 * asks the parent for facts, evaluates them exactly as "ismsctl check"
 * does, appends the run to the store, turns verdict changes into drift
 * events (with flap damping, drift.c) and queues one alert per event
 * and destination in the store.  Delivery is the net process's work;
 * the engine hands it one queued alert per destination at a time, so a
 * slow or dead endpoint delays only its own queue, never collection.
 * Queued alerts survive restarts and outages and are retried with
 * exponential backoff and full jitter.
 *
 * Reports.  When collector.url is set and the host is enrolled (the
 * parent found the client certificate and key), each run is stored and
 * queued in the store's outbox in one transaction, and the outbox is
 * compacted (ENGINE_OUTBOX_KEEP).  The oldest item is uploaded on its
 * own, one at a time, through the parent to the net process (which
 * compresses it); a 200 deletes it, anything else retries it with the
 * alerts' backoff.  A refusal of the report itself (400, 409, 413, 422:
 * malformed, report_id clash, too large, schema) rejects it: it is kept
 * (evidence is never dropped silently), logged as a warning, shown by
 * "ismsctl status" and "ismsctl outbox", and set aside so that newer
 * reports go on; it is tried again daily, only when no other item is
 * due.  Other 4xx (401, 403: the certificate; 404, 415: the URL or the
 * collector's version) are not the report's fault and would refuse every
 * report alike: the item stays at the head and waits the longest backoff.
 *
 * When idle the loop holds only the next-run timer and, while alerts or
 * reports are pending, their next-retry timers: no periodic wake-ups.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "agentd.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

#define ENGINE_CONTROL_MAX	256	/* bytes of a control request */
#define ENGINE_CONTROL_TIMEOUT	5	/* seconds for a control client */
#define ENGINE_RETRY_BASE	10	/* seconds, first retry ceiling */
#define ENGINE_RETRY_CAP	3600	/* seconds, largest retry ceiling */
#define ENGINE_MAX_DESTS	32
#define ENGINE_OUTBOX_KEEP	20	/* reports kept beyond the drift ones */
#define ENGINE_REPORT_DEST	"report"
#define ENGINE_REJECTED_RETRY	86400	/* seconds between tries of a
					   rejected report */

struct dest {
	char		*name;		/* "webhook:<url>" or "syslog" */
	int		 webhook;	/* index, or -1 for remote syslog */
	int64_t		 in_flight;	/* queue id being delivered, or 0 */
};

struct engine {
	struct event_base	*base;
	struct engine_args	*args;
	struct ipc		*parent;
	struct store		*store;
	struct policy		*policy;
	struct agent_conf	*conf;
	char			*conf_name, *conf_text;
	size_t			 conf_len;
	char			*root;
	int			 ready;

	/* Runs. */
	struct event		*run_timer;
	time_t			 next_run;
	int			 next_nightly;
	time_t			 last_run;
	int64_t			 run_seq;
	int			 running;
	int			 run_again;
	json_t			*facts;		/* being collected */
	json_t			*last_report;
	time_t			 first_deferred;

	/* Alerts. */
	struct dest		 dests[ENGINE_MAX_DESTS];
	size_t			 ndests;
	struct event		*queue_timer;
	struct event		*summary_timer;

	/* Reports to the collector. */
	int			 reports;	/* enrolled: the parent says */
	char			 report_id[STORE_UUID_LEN]; /* in flight */
	int64_t			 report_run;
	int			 report_attempts;
	int			 report_rejected; /* it was, before this try */
	struct event		*report_timer;

	/* Control socket. */
	struct evconnlistener	*listener;
};

static struct engine	*E;

static void engine_schedule(struct engine *);
static void engine_queue_kick(struct engine *);
static void engine_report_kick(struct engine *);

/* Random 32 bits for jitter; arc4random from libbsd. */
static uint32_t
engine_random(void)
{
	return (arc4random());
}

static void
engine_status_notify(struct engine *e)
{
	json_t	*sum;
	char	 ts[RFC3339_LEN], *s;

	if (e->last_report == NULL)
		return;
	sum = json_object_get(e->last_report, "summary");
	time_format_rfc3339(e->last_run, ts, sizeof ts);
	xasprintf(&s, "last run %s: %lld pass, %lld fail, %lld error", ts,
	    (long long)json_integer_value(json_object_get(sum, "pass")),
	    (long long)json_integer_value(json_object_get(sum, "fail")),
	    (long long)json_integer_value(json_object_get(sum, "error")));
	ipc_send_json(e->parent, IMSG_STATUS, json_pack("{s:s}", "status", s));
	free(s);
}

/* Destinations from the configuration, keeping in-flight state. */
static void
engine_dests(struct engine *e)
{
	struct dest	 old[ENGINE_MAX_DESTS];
	size_t		 nold = e->ndests, i, j;
	char		*name;

	memcpy(old, e->dests, sizeof old);
	e->ndests = 0;
	for (i = 0; i <= e->conf->nwebhooks && e->ndests < ENGINE_MAX_DESTS;
	    i++) {
		if (i < e->conf->nwebhooks)
			xasprintf(&name, "webhook:%s", e->conf->webhooks[i].url);
		else if (e->conf->remote_syslog != NULL)
			name = xstrdup("syslog");
		else
			break;
		e->dests[e->ndests].name = name;
		e->dests[e->ndests].webhook = i < e->conf->nwebhooks ?
		    (int)i : -1;
		e->dests[e->ndests].in_flight = 0;
		for (j = 0; j < nold; j++)
			if (strcmp(old[j].name, name) == 0)
				e->dests[e->ndests].in_flight =
				    old[j].in_flight;
		e->ndests++;
	}
	for (j = 0; j < nold; j++)
		free(old[j].name);
}

static struct dest *
engine_dest(struct engine *e, const char *name)
{
	size_t	i;

	for (i = 0; i < e->ndests; i++)
		if (strcmp(e->dests[i].name, name) == 0)
			return (&e->dests[i]);
	return (NULL);
}

/* Queues one drift event for every destination, and logs it. */
static void
engine_alert(struct engine *e, const struct drift_event *ev)
{
	json_t	*j;
	char	*body;
	size_t	 i, len;
	time_t	 now = time(NULL);

	if (e->conf->alerts_syslog)
		alert_syslog(ev);
	for (i = 0; i < e->ndests; i++) {
		if (e->dests[i].webhook == -1) {
			body = alert_rfc5424(ev, e->conf->syslog_facility >> 3,
			    e->conf->syslog_ident, "-", &len);
		} else {
			switch (e->conf->webhooks[e->dests[i].webhook].format) {
			case WEBHOOK_SLACK:
				j = alert_slack(ev);
				break;
			case WEBHOOK_TEAMS:
				j = alert_teams(ev);
				break;
			default:
				j = alert_json(ev);
				break;
			}
			body = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			len = strlen(body);
		}
		if (store_queue_push(e->store, e->dests[i].name, body, len,
		    now) == -1)
			log_warnx("alert for %s not queued",
			    e->dests[i].name);
		free(body);
	}
}

/* The thresholds a result used, as "name=15m, ...". */
static char *
engine_thresholds(json_t *result)
{
	json_t		*thr, *t;
	const char	*name;
	char		*s = NULL, *n;

	thr = json_object_get(json_object_get(result, "evidence"),
	    "thresholds");
	json_object_foreach(thr, name, t) {
		xasprintf(&n, "%s%s%s=%s", s != NULL ? s : "", s != NULL ?
		    ", " : "", name, json_string_value(json_object_get(t,
		    "display")));
		free(s);
		s = n;
	}
	return (s);
}

static json_t *
engine_result(json_t *report, const char *check)
{
	json_t	*r;
	size_t	 i;

	json_array_foreach(json_object_get(report, "results"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "check")),
		    check) == 0)
			return (r);
	return (NULL);
}

static void
engine_event_init(struct drift_event *ev, json_t *report, enum drift_kind k)
{
	static char	 id[37];
	json_t		*agent = json_object_get(report, "agent");

	memset(ev, 0, sizeof *ev);
	uuid_v4(id);
	ev->id = id;
	ev->kind = k;
	ev->at = time(NULL);
	ev->host = json_string_value(json_object_get(agent, "hostname"));
	ev->host_id = json_string_value(json_object_get(agent, "host_id"));
}

/* One event listing every failing or erroring check. */
static void
engine_summary(struct engine *e, json_t *report)
{
	struct drift_event	 ev;
	json_t			*failing, *r;
	size_t			 i;
	const char		*st;

	failing = json_array();
	json_array_foreach(json_object_get(report, "results"), i, r) {
		st = json_string_value(json_object_get(r, "status"));
		if (strcmp(st, "fail") != 0 && strcmp(st, "error") != 0)
			continue;
		json_array_append_new(failing, json_pack("{s:O,s:O,s:O,s:O,"
		    "s:s}", "check", json_object_get(r, "check"), "title",
		    json_object_get(r, "title"), "severity",
		    json_object_get(r, "severity"), "message",
		    json_object_get(r, "message"), "status", st));
	}
	if (json_array_size(failing) > 0) {
		engine_event_init(&ev, report, DRIFT_SUMMARY);
		ev.failing = failing;
		engine_alert(e, &ev);
	}
	json_decref(failing);
}

static json_t *
engine_change(json_t *changes, const char *check)
{
	json_t	*c;
	size_t	 i;

	json_array_foreach(changes, i, c)
		if (strcmp(json_string_value(json_object_get(c, "check")),
		    check) == 0)
			return (c);
	return (NULL);
}

/* Drift: the verdict changes of a run, damped, become alerts. */
static void
engine_drift(struct engine *e, int64_t run, json_t *report, int first)
{
	struct flap_params	 fp;
	struct drift_event	 ev;
	enum drift_action	 act;
	json_t			*changes, *c, *r, *flaps;
	const char		*check, *old, *new;
	char			**hist, *thr;
	size_t			 i, n, k;
	int			 flapping;

	if (first) {
		/* The first run is the baseline: one summary, no flood. */
		engine_summary(e, report);
		return;
	}
	fp.window = e->conf->flap_window;
	fp.max_changes = e->conf->flap_max_changes;
	fp.stable_runs = e->conf->flap_stable_runs;
	changes = store_run_changes(e->store, run);
	/*
	 * Flapping checks are looked at on every run, changed or not: the
	 * run on which one settles is the one that reports it.
	 */
	flaps = store_flapping(e->store);
	json_array_foreach(flaps, i, c) {
		check = json_string_value(c);
		if (engine_change(changes, check) == NULL &&
		    (r = engine_result(report, check)) != NULL)
			json_array_append_new(changes, json_pack("{s:s,s:s,"
			    "s:O,s:b}", "check", check, "old", "flapping",
			    "new", json_object_get(r, "status"), "settling",
			    1));
	}
	json_decref(flaps);
	json_array_foreach(changes, i, c) {
		check = json_string_value(json_object_get(c, "check"));
		old = json_string_value(json_object_get(c, "old"));
		new = json_string_value(json_object_get(c, "new"));
		if (json_is_true(json_object_get(c, "settling"))) {
			/* Unchanged, but flapping: may settle now. */
			n = store_check_statuses(e->store, check, run,
			    (size_t)fp.window, &hist);
			flapping = store_flap_get(e->store, check);
			act = drift_decide((const char *const *)hist, n, new,
			    &flapping, &fp);
			store_flap_set(e->store, check, flapping);
			for (k = 0; k < n; k++)
				free(hist[k]);
			free(hist);
			if (act != DRIFT_ALERT)
				continue;
			goto alert;
		}
		n = store_check_statuses(e->store, check, run,
		    (size_t)fp.window, &hist);
		flapping = store_flap_get(e->store, check);
		act = drift_decide((const char *const *)hist, n, new,
		    &flapping, &fp);
		store_flap_set(e->store, check, flapping);
		for (k = 0; k < n; k++)
			free(hist[k]);
		free(hist);
		/* A new check that passes is recorded, not alerted. */
		if (old == NULL && strcmp(new, "pass") == 0 &&
		    act == DRIFT_ALERT)
			act = DRIFT_NONE;
		if (act != DRIFT_ALERT && act != DRIFT_ALERT_FLAPPING) {
			if (act == DRIFT_SUPPRESS)
				log_debug("%s: %s -> %s suppressed (flapping)",
				    check, old != NULL ? old : "new", new);
			continue;
		}
alert:
		r = engine_result(report, check);
		engine_event_init(&ev, report, act == DRIFT_ALERT_FLAPPING ?
		    DRIFT_FLAPPING : DRIFT_CHANGE);
		ev.check = check;
		ev.title = json_string_value(json_object_get(r, "title"));
		ev.severity = json_string_value(json_object_get(r,
		    "severity"));
		ev.controls = json_object_get(r, "controls");
		ev.controls_2013 = json_object_get(r, "controls_2013");
		ev.old_status = old;
		ev.new_status = new;
		ev.observed = json_string_value(json_object_get(r, "message"));
		thr = engine_thresholds(r);
		ev.threshold = thr;
		engine_alert(e, &ev);
		free(thr);
	}
	json_decref(changes);
}

/* Facts are complete: evaluate, store, detect drift. */
static void
engine_run_finish(struct engine *e, time_t now)
{
	struct results	 rs;
	json_t		*report, *r;
	size_t		 i;
	char		*cause;
	int64_t		 run, before;

	evaluate(e->policy, e->facts, now, &rs);
	report = report_build(&rs, e->facts, now, LANG_EN);
	results_clear(&rs);
	json_decref(e->facts);
	e->facts = NULL;
	before = store_run_count(e->store);
	if (e->reports)
		run = store_put_run_outbox(e->store, report, now, &cause);
	else
		run = store_put_run(e->store, report, &cause);
	if (run == -1) {
		log_warnx("run not stored: %s", cause);
		free(cause);
	} else {
		log_info("run %lld stored: %lld pass, %lld fail, %lld error, "
		    "%lld not applicable", (long long)run,
		    (long long)json_integer_value(json_object_get(
		    json_object_get(report, "summary"), "pass")),
		    (long long)json_integer_value(json_object_get(
		    json_object_get(report, "summary"), "fail")),
		    (long long)json_integer_value(json_object_get(
		    json_object_get(report, "summary"), "error")),
		    (long long)json_integer_value(json_object_get(
		    json_object_get(report, "summary"), "not_applicable")));
		engine_drift(e, run, report, before == 0);
		if (e->reports && store_outbox_compact(e->store,
		    ENGINE_OUTBOX_KEEP) == -1)
			log_warnx("report outbox not compacted");
	}
	/* Keep what status and summaries need, not the evidence. */
	json_array_foreach(json_object_get(report, "results"), i, r) {
		json_object_del(r, "evidence");
		json_object_del(r, "remediation");
	}
	json_decref(e->last_report);
	e->last_report = report;
	e->last_run = now;
	e->running = 0;
	/* Idle between runs: give back what the run needed. */
	store_release_memory(e->store);
	malloc_trim(0);
	engine_status_notify(e);
	engine_queue_kick(e);
	engine_report_kick(e);
	if (e->run_again) {
		e->run_again = 0;
		e->next_run = time(NULL);
	}
	engine_schedule(e);
}

static void
engine_run_start(struct engine *e, int nightly, int force)
{
	if (e->running) {
		e->run_again = 1;
		return;
	}
	e->running = 1;
	e->facts = json_object();
	e->run_seq++;
	log_debug("run %lld starting%s", (long long)e->run_seq,
	    nightly ? " (nightly)" : "");
	ipc_send_json(e->parent, IMSG_COLLECT, json_pack("{s:I,s:b,s:b}",
	    "run", (json_int_t)e->run_seq, "nightly", nightly, "force",
	    force));
}

static void
engine_run_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct engine	*e = arg;

	engine_run_start(e, e->next_nightly, 0);
}

/* Arms the next-run timer from the schedule. */
static void
engine_schedule(struct engine *e)
{
	struct sched_params	 sp;
	struct timeval		 tv;
	time_t			 now = time(NULL);
	int			 nightly = 0;

	if (e->running)
		return;
	sp.interval_s = e->conf->interval_s;
	sp.jitter_s = e->conf->jitter_s;
	sp.quiet_start = e->conf->quiet_start;
	sp.quiet_end = e->conf->quiet_end;
	sp.nightly = e->conf->nightly;
	if (e->next_run != 0 && e->next_run <= now && e->last_run < e->next_run)
		e->next_run = now;	/* run-now, or a missed run */
	else
		e->next_run = sched_next(&sp, now, e->last_run != 0 ?
		    e->last_run : (e->conf->run_at_start ? 0 : now),
		    engine_random(), &nightly);
	e->next_nightly = nightly;
	tv.tv_sec = e->next_run > now ? e->next_run - now : 0;
	tv.tv_usec = 0;
	evtimer_add(e->run_timer, &tv);
}

/* Arms the timer of the daily summary for the next alerts.summary_at. */
static void
engine_summary_arm(struct engine *e)
{
	struct timeval	 tv;
	struct tm	 tm;
	time_t		 now = time(NULL), next;

	evtimer_del(e->summary_timer);
	if (e->conf->summary_at < 0)
		return;
	localtime_r(&now, &tm);
	tm.tm_hour = e->conf->summary_at / 60;
	tm.tm_min = e->conf->summary_at % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((next = mktime(&tm)) <= now) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		next = mktime(&tm);
	}
	tv.tv_sec = next - now;
	tv.tv_usec = 0;
	evtimer_add(e->summary_timer, &tv);
}

/*
 * Daily summary of still-failing checks, at alerts.summary_at.  (A
 * timer's callback gets fd -1: that cannot tell it from a direct call.)
 */
static void
engine_summary_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct engine	*e = arg;

	if (e->last_report != NULL)
		engine_summary(e, e->last_report);
	engine_queue_kick(e);
	engine_summary_arm(e);
}

/* Alert delivery. */

static void
engine_queue_timer(evutil_socket_t fd, short ev, void *arg)
{
	engine_queue_kick(arg);
}

/* Hands the net process the oldest due alert of each idle destination. */
static void
engine_queue_kick(struct engine *e)
{
	struct queue_item	 qi;
	struct webhook		*w;
	struct timeval		 tv;
	struct dest		*d;
	time_t			 now = time(NULL), earliest, t;
	size_t			 i;
	json_t			*msg;

	for (i = 0; i < e->ndests; i++) {
		d = &e->dests[i];
		if (d->in_flight != 0)
			continue;
		if (store_queue_next(e->store, d->name, now, &qi) == -1)
			continue;
		w = d->webhook >= 0 ? &e->conf->webhooks[d->webhook] : NULL;
		if (w != NULL && w->rate_per_hour > 0 &&
		    store_queue_delivered_since(e->store, d->name,
		    now - 3600) >= w->rate_per_hour) {
			/*
			 * Over the rate: hold it until the oldest delivery of
			 * the last hour leaves the window; not an attempt.
			 */
			store_queue_defer(e->store, qi.id,
			    store_queue_oldest_delivery(e->store, d->name,
			    now - 3600) + 3600 + 1);
			store_queue_item_clear(&qi);
			continue;
		}
		if (w != NULL)
			msg = json_pack("{s:I,s:s,s:s,s:s,s:s?,s:s%}", "id",
			    (json_int_t)qi.id, "dest", d->name, "kind", "http",
			    "url", w->url, "ca", w->ca, "body", qi.body,
			    qi.len);
		else
			msg = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:s?,s:s%}",
			    "id", (json_int_t)qi.id, "dest", d->name, "kind",
			    "syslog", "host", e->conf->remote_syslog->host,
			    "port", e->conf->remote_syslog->port, "tls",
			    e->conf->remote_syslog->tls, "ca",
			    e->conf->remote_syslog->ca, "body", qi.body,
			    qi.len);
		ipc_send_json(e->parent, IMSG_DELIVER, msg);
		d->in_flight = qi.id;
		store_queue_item_clear(&qi);
	}
	/*
	 * Wake up for the earliest retry of an idle destination; nothing
	 * pending, no timer.  Alerts for destinations no longer configured
	 * stay queued (they go out if the destination comes back) but do
	 * not hold the timer.
	 */
	evtimer_del(e->queue_timer);
	earliest = 0;
	for (i = 0; i < e->ndests; i++) {
		if (e->dests[i].in_flight != 0)
			continue;
		t = store_queue_next_at(e->store, e->dests[i].name);
		if (t > now && (earliest == 0 || t < earliest))
			earliest = t;
	}
	if (earliest != 0) {
		tv.tv_sec = earliest - now;
		tv.tv_usec = 0;
		evtimer_add(e->queue_timer, &tv);
	}
}

/*
 * Exponential backoff with full jitter, at least retry_after: "failed"
 * earlier failures double the ceiling, so the first retry comes within
 * ENGINE_RETRY_BASE.
 */
static time_t
engine_backoff(int failed, int64_t retry_after)
{
	int64_t	ceiling = ENGINE_RETRY_BASE, delay;
	int	i;

	for (i = 0; i < failed && ceiling < ENGINE_RETRY_CAP; i++)
		ceiling *= 2;
	if (ceiling > ENGINE_RETRY_CAP)
		ceiling = ENGINE_RETRY_CAP;
	delay = 1 + engine_random() % ceiling;
	if (retry_after > delay)
		delay = retry_after > ENGINE_RETRY_CAP ? ENGINE_RETRY_CAP :
		    retry_after;
	return (time(NULL) + delay);
}

/* Reports: the oldest due item of the outbox, if none is in flight. */

static void
engine_report_timer(evutil_socket_t fd, short ev, void *arg)
{
	engine_report_kick(arg);
}

static void
engine_report_kick(struct engine *e)
{
	struct outbox_item	 oi;
	struct timeval		 tv;
	const char		*base;
	char			*body, *cause, *url;
	time_t			 now = time(NULL), t;
	size_t			 n;

	evtimer_del(e->report_timer);
	if (!e->reports || e->report_id[0] != '\0' || e->conf == NULL ||
	    (base = e->conf->collector_url) == NULL)
		return;
	if (store_outbox_next(e->store, now, &oi) == 0) {
		if (store_outbox_body(e->store, oi.report_id, &body,
		    &cause) == -1) {
			/* Not sendable now (a damaged run?): keep it. */
			log_warnx("report %s (run %lld) not sent: %s",
			    oi.report_id, (long long)oi.run_id, cause);
			store_outbox_retry(e->store, oi.report_id, now +
			    ENGINE_RETRY_CAP, cause);
			free(cause);
			store_outbox_item_clear(&oi);
			goto arm;
		}
		n = strlen(base);
		while (n > 0 && base[n - 1] == '/')
			n--;
		xasprintf(&url, "%.*s/api/v1/reports", (int)n, base);
		strlcpy(e->report_id, oi.report_id, sizeof e->report_id);
		e->report_run = oi.run_id;
		e->report_attempts = oi.attempts;
		e->report_rejected = oi.rejected_at != 0;
		ipc_send_json(e->parent, IMSG_DELIVER, json_pack(
		    "{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)-oi.run_id,
		    "dest", ENGINE_REPORT_DEST, "kind", "report", "url", url,
		    "report_id", oi.report_id, "body", body));
		log_debug("report %s (run %lld, %s) sent", oi.report_id,
		    (long long)oi.run_id, oi.kind);
		free(url);
		free(body);
		store_outbox_item_clear(&oi);
		return;
	}
arm:
	/* Pending but not due: wake up then; empty: no timer. */
	if ((t = store_outbox_next_at(e->store)) != 0) {
		tv.tv_sec = t > now ? t - now : 1;
		tv.tv_usec = 0;
		evtimer_add(e->report_timer, &tv);
	}
}

/*
 * Whether a collector's answer refuses the report itself, for good:
 * malformed (400), its report_id already another host's (409), too
 * large (413), a schema violation (422).
 */
static int
engine_report_refused(int64_t status)
{
	return (status == 400 || status == 409 || status == 413 ||
	    status == 422);
}

/*
 * The collector's answer to the report in flight: a 200 (accepted or a
 * duplicate) deletes it; a refusal of the report rejects it; any other
 * 4xx but 408 and 429 waits the longest backoff; the rest is retried
 * with backoff.  A rejected report not delivered on its daily try stays
 * rejected.  The item may have been dropped or retried with "ismsctl
 * outbox" meanwhile: updating or deleting a missing row does nothing.
 */
static void
engine_report_delivered(struct engine *e, json_t *j, int64_t run)
{
	const char	*err, *id = e->report_id;
	int64_t		 status;
	time_t		 now = time(NULL), next;

	if (e->report_id[0] == '\0' || run != e->report_run)
		fatalx("%s: answer for a report not in flight", __func__);
	status = json_integer_value(json_object_get(j, "status"));
	err = json_string_value(json_object_get(j, "error"));
	if (err == NULL)
		err = "failed";
	if (json_is_true(json_object_get(j, "ok")) && status == 200) {
		if (store_outbox_sent(e->store, id) == -1)
			log_warnx("report %s delivered but still in the "
			    "outbox", id);
		else
			log_info("report %s (run %lld) delivered", id,
			    (long long)run);
	} else if (engine_report_refused(status)) {
		/* Kept (losing evidence is worse), set aside, tried daily. */
		next = now + ENGINE_REJECTED_RETRY;
		store_outbox_reject(e->store, id, now, next, err);
		log_warnx("report %s (run %lld) rejected by the collector "
		    "(%s)%s: kept apart, newer reports go on, next try in %ds "
		    "(see ismsctl outbox)", id, (long long)run, err,
		    e->report_rejected ? " again" : "", ENGINE_REJECTED_RETRY);
	} else if (e->report_rejected) {
		next = now + ENGINE_REJECTED_RETRY;
		store_outbox_retry(e->store, id, next, err);
		log_info("rejected report %s (run %lld) not delivered (%s), "
		    "next try in %ds", id, (long long)run, err,
		    ENGINE_REJECTED_RETRY);
	} else if (status >= 400 && status < 500 && status != 408 &&
	    status != 429) {
		/* Not the report's fault (certificate, URL): every one waits. */
		next = now + ENGINE_RETRY_CAP;
		store_outbox_retry(e->store, id, next, err);
		log_warnx("report %s (run %lld) refused by the collector "
		    "(%s): the certificate or collector.url?  Kept, next try "
		    "in %ds", id, (long long)run, err, ENGINE_RETRY_CAP);
	} else {
		next = engine_backoff(e->report_attempts, json_integer_value(
		    json_object_get(j, "retry_after")));
		store_outbox_retry(e->store, id, next, err);
		log_info("report %s (run %lld) not delivered (%s), next try "
		    "in %llds", id, (long long)run, err,
		    (long long)(next - time(NULL)));
	}
	e->report_id[0] = '\0';
	e->report_run = 0;
	e->report_rejected = 0;
	engine_report_kick(e);
}

static void
engine_delivered(struct engine *e, json_t *j)
{
	struct dest		*d;
	const char		*dest, *err;
	int64_t			 id;
	int			 attempts = 0;

	id = json_integer_value(json_object_get(j, "id"));
	dest = json_string_value(json_object_get(j, "dest"));
	if (dest != NULL && strcmp(dest, ENGINE_REPORT_DEST) == 0 && id < 0) {
		engine_report_delivered(e, j, -id);
		return;
	}
	if (dest == NULL || id <= 0)
		fatalx("%s: malformed delivery report", __func__);
	if ((d = engine_dest(e, dest)) != NULL && d->in_flight == id)
		d->in_flight = 0;
	if (json_is_true(json_object_get(j, "ok"))) {
		store_queue_delivered(e->store, id, time(NULL));
		log_debug("alert %lld delivered to %s", (long long)id, dest);
	} else {
		err = json_string_value(json_object_get(j, "error"));
		attempts = store_queue_attempts(e->store, id);
		store_queue_retry(e->store, id, engine_backoff(attempts,
		    json_integer_value(json_object_get(j, "retry_after"))),
		    err != NULL ? err : "failed");
		log_info("alert %lld to %s failed (%s), will retry",
		    (long long)id, dest, err != NULL ? err : "?");
	}
	engine_queue_kick(e);
}

/* Control socket: one request line, one JSON reply, then close. */

static json_t *
engine_status_json(struct engine *e)
{
	json_t		*st, *failing, *queues, *r;
	char		 ts[RFC3339_LEN];
	size_t		 i;
	const char	*s;

	st = json_pack("{s:s,s:s,s:i,s:b,s:I}", "version", AGENT_VERSION,
	    "schema", REPORT_SCHEMA, "pid", (int)getpid(), "running",
	    e->running, "runs_stored", (json_int_t)store_run_count(e->store));
	if (e->last_report != NULL) {
		time_format_rfc3339(e->last_run, ts, sizeof ts);
		json_object_set_new(st, "last_run", json_pack("{s:s,s:O}",
		    "at", ts, "summary", json_object_get(e->last_report,
		    "summary")));
		json_object_set(st, "host", json_object_get(json_object_get(
		    e->last_report, "agent"), "hostname"));
	} else
		json_object_set_new(st, "last_run", json_null());
	if (e->next_run != 0 && !e->running) {
		time_format_rfc3339(e->next_run, ts, sizeof ts);
		json_object_set_new(st, "next_run", json_string(ts));
	} else
		json_object_set_new(st, "next_run", json_null());
	failing = json_array();
	if (e->last_report != NULL)
		json_array_foreach(json_object_get(e->last_report, "results"),
		    i, r) {
			s = json_string_value(json_object_get(r, "status"));
			if (strcmp(s, "fail") == 0 || strcmp(s, "error") == 0)
				json_array_append_new(failing, json_pack(
				    "{s:O,s:s,s:O}", "check",
				    json_object_get(r, "check"), "status", s,
				    "message", json_object_get(r, "message")));
		}
	json_object_set_new(st, "failing", failing);
	queues = json_object();
	for (i = 0; i < e->ndests; i++)
		json_object_set_new(queues, e->dests[i].name, json_integer(
		    store_queue_depth(e->store, e->dests[i].name)));
	json_object_set_new(st, "queues", queues);
	json_object_set_new(st, "queued_total", json_integer(
	    store_queue_depth(e->store, NULL)));
	json_object_set_new(st, "outbox", json_integer(
	    store_outbox_depth(e->store)));
	json_object_set_new(st, "outbox_rejected", json_integer(
	    store_outbox_rejected(e->store)));
	json_object_set_new(st, "reports", json_boolean(e->reports));
	return (st);
}

static void
control_reply(struct bufferevent *bev, json_t *reply)
{
	char	*s;

	s = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	bufferevent_write(bev, s, strlen(s));
	bufferevent_write(bev, "\n", 1);
	free(s);
	/* Close once written (see control_write_cb). */
	bufferevent_disable(bev, EV_READ);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
}

static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	if (!(bufferevent_get_enabled(bev) & EV_READ))
		bufferevent_free(bev);
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct engine	*e = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len, i;

	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > ENGINE_CONTROL_MAX)
			control_reply(bev, json_pack("{s:s}", "error",
			    "request too long"));
		return;
	}
	for (i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			break;
	if (len > ENGINE_CONTROL_MAX || i != len)
		control_reply(bev, json_pack("{s:s}", "error",
		    "malformed request"));
	else if (strcmp(line, "status") == 0)
		control_reply(bev, engine_status_json(e));
	else if (strcmp(line, "run-now") == 0) {
		control_reply(bev, json_pack("{s:b,s:s}", "ok", 1, "run",
		    e->running ? "queued after the current run" : "started"));
		engine_run_start(e, 0, 1);
	} else if (strcmp(line, "outbox-kick") == 0) {
		/* "ismsctl outbox retry" changed the store: look again. */
		control_reply(bev, json_pack("{s:b}", "ok", 1));
		engine_report_kick(e);
	} else
		control_reply(bev, json_pack("{s:s,s:s}", "error",
		    "unknown command", "commands",
		    "status, run-now, outbox-kick"));
	free(line);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	bufferevent_free(bev);
}

static void
control_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct engine		*e = arg;
	struct bufferevent	*bev;
	struct timeval		 tv = { ENGINE_CONTROL_TIMEOUT, 0 };

	bev = bufferevent_socket_new(e->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, control_read_cb, control_write_cb,
	    control_event_cb, e);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Creates the control socket before the chroot, mode 0660. */
static int
control_open(struct engine_args *a)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, a->control, sizeof sun.sun_path) >=
	    sizeof sun.sun_path)
		fatalx("control socket path too long: %s", a->control);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("%s: socket", __func__);
	unlink(a->control);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		fatal("bind %s", a->control);
	umask(old);
	if (a->group != NULL && geteuid() == 0) {
		if ((gr = getgrnam(a->group)) == NULL)
			fatalx("unknown group %s", a->group);
		if (chown(a->control, 0, gr->gr_gid) == -1)
			fatal("chown %s", a->control);
	}
	if (chmod(a->control, 0660) == -1)
		fatal("chmod %s", a->control);
	if (listen(fd, 16) == -1)
		fatal("listen %s", a->control);
	return (fd);
}

/* Configuration from the parent. */
static void
engine_configure(struct engine *e, int reload)
{
	struct yerrors		 ye = { NULL, 0 };
	struct policy		*p;
	struct agent_conf	*c;
	size_t			 i;

	p = policy_new();
	policy_load_builtin(p, &ye);
	c = config_load_buffer(e->conf_name, e->conf_text, e->conf_len, p,
	    &ye);
	if (ye.n != 0) {
		/* The parent checked it; this is a bug, not bad input. */
		for (i = 0; i < ye.n; i++)
			log_warnx("%s", ye.msgs[i]);
		yerrors_clear(&ye);
		config_free(c);
		policy_free(p);
		if (!reload)
			fatalx("%s: configuration refused", __func__);
		return;
	}
	policy_free(e->policy);
	config_free(e->conf);
	e->policy = p;
	e->conf = c;
	engine_dests(e);
	if (!e->ready) {
		e->ready = 1;
		ipc_send_json(e->parent, IMSG_READY, json_object());
	}
	/* A reload may move alerts.summary_at, or set it to never. */
	engine_summary_arm(e);
	evtimer_del(e->run_timer);
	if (reload && e->next_run > time(NULL))
		e->next_run = 0;
	engine_schedule(e);
	engine_queue_kick(e);
	engine_report_kick(e);
}

static void
engine_dispatch_parent(struct ipc *ipc, uint32_t type, const char *data,
    size_t len, void *arg)
{
	struct engine	*e = arg;
	json_t		*j, *facts;
	const char	*name, *text;
	time_t		 now;

	j = ipc_json(ipc, type, data, len);
	switch (type) {
	case IMSG_CONF_FILE:
		name = json_string_value(json_object_get(j, "name"));
		text = json_string_value(json_object_get(j, "text"));
		if (name == NULL || text == NULL)
			fatalx("%s: malformed configuration", __func__);
		free(e->conf_name);
		free(e->conf_text);
		e->conf_name = xstrdup(name);
		e->conf_len = json_string_length(json_object_get(j, "text"));
		e->conf_text = xmalloc(e->conf_len + 1);
		memcpy(e->conf_text, text, e->conf_len + 1);
		break;
	case IMSG_CONF_END:
		if (e->conf_text == NULL)
			fatalx("%s: configuration end without a file",
			    __func__);
		e->reports = json_is_true(json_object_get(j, "reports"));
		engine_configure(e, json_is_true(json_object_get(j,
		    "reload")));
		break;
	case IMSG_FACTS:
		name = json_string_value(json_object_get(j, "name"));
		facts = json_object_get(j, "facts");
		if (!e->running || name == NULL || !json_is_object(facts))
			fatalx("%s: unexpected facts", __func__);
		json_object_set(e->facts, name, facts);
		break;
	case IMSG_COLLECT_DONE:
		if (!e->running)
			fatalx("%s: unexpected end of collection", __func__);
		now = json_integer_value(json_object_get(j, "now"));
		if (json_is_true(json_object_get(j, "deferred"))) {
			if (e->first_deferred == 0)
				e->first_deferred = now;
			json_decref(e->facts);
			e->facts = NULL;
			e->running = 0;
			if (now - e->first_deferred < e->conf->max_defer_s) {
				log_info("on battery: run deferred");
				e->last_run = now;
				engine_schedule(e);
				break;
			}
			/* Deferred long enough: run on battery. */
			e->first_deferred = 0;
			engine_run_start(e, 0, 1);
			break;
		}
		e->first_deferred = 0;
		engine_run_finish(e, now);
		break;
	case IMSG_DELIVERED:
		engine_delivered(e, j);
		break;
	case IMSG_SHUTDOWN:
		log_info("engine exiting");
		store_close(e->store);
		exit(0);
	default:
		fatalx("%s: unexpected message %u", __func__, type);
	}
	json_decref(j);
}

void
engine_main(struct engine_args *a)
{
	struct engine	 e;
	char		*copy, *dir, *file, *cause;
	int		 lfd, chrooted;

	memset(&e, 0, sizeof e);
	e.args = a;
	E = &e;
	log_init(a->foreground ? "isms-agentd/engine" : a->syslog_ident,
	    a->foreground, a->verbose);
	/* What the chroot hides: time zone, syslog socket, our socket. */
	tzset();
	json_object_seed(0);	/* from /dev/urandom, while it is there */
	openlog(a->syslog_ident, LOG_PID | LOG_NDELAY, a->syslog_facility);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	lfd = control_open(a);
	copy = xstrdup(a->store);
	dir = xstrdup(dirname(copy));
	free(copy);
	copy = xstrdup(a->store);
	xasprintf(&file, "/%s", basename(copy));
	free(copy);
	chrooted = geteuid() == 0;
	proc_confine(a->user, chrooted ? dir : NULL);
	if ((e.store = store_open(chrooted ? file : a->store, &cause)) == NULL)
		fatalx("store: %s", cause);
	free(file);
	free(dir);

	if ((e.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	e.parent = ipc_new(e.base, PROC_IPC_FD, "parent",
	    engine_dispatch_parent, NULL, &e);
	e.run_timer = evtimer_new(e.base, engine_run_timer, &e);
	e.queue_timer = evtimer_new(e.base, engine_queue_timer, &e);
	e.summary_timer = evtimer_new(e.base, engine_summary_timer, &e);
	e.report_timer = evtimer_new(e.base, engine_report_timer, &e);
	e.listener = evconnlistener_new(e.base, control_accept, &e,
	    LEV_OPT_CLOSE_ON_FREE, -1, lfd);
	if (e.listener == NULL)
		fatalx("evconnlistener_new");
	event_base_dispatch(e.base);
	exit(0);
}
