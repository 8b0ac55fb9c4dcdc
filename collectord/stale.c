/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Stale-host alerts of isms-collectord (see stale.h).
 *
 * Design.  Every stale_interval_ms() a timer asks the store for two
 * lists: hosts that reported at or after their stale alert (reporting
 * again) and hosts in force silent since before now - stale_after that
 * were not alerted.  Each becomes one event; its webhook bodies are
 * queued and the host's mark set or cleared by one store transaction
 * (cstore stale_mark), so a restart or a crash neither repeats nor
 * loses an alert; the syslog line follows the commit.  A host back in
 * contact is seen at the next tick, not at its report: the report path
 * stays one transaction with no alert work in it.
 *
 * Each webhook is a queue of its own in the store (alert_queue, dest =
 * "format url"), delivered oldest first, one request at a time, through
 * the agent's transport on the collector's event base: a slow or dead
 * endpoint holds only its own queue and never the ingestion of reports.
 * A failure is retried with exponential backoff and full jitter (at
 * least Retry-After), the next try time kept in the store; rate_limit
 * holds bodies back without counting an attempt; a body undelivered
 * after STALE_ALERT_MAX_AGE is dropped with a log line.  Delivery is at
 * least once: the generic JSON body's id lets a receiver drop repeats.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentd.h"
#include "cstore.h"
#include "log.h"
#include "stale.h"
#include "transport.h"
#include "util.h"
#include "xmalloc.h"

#define STALE_CA_MAX		(1024 * 1024)	/* bytes of a CA file */
#define STALE_HTTP_TIMEOUT_MS	30000
#define STALE_TICK_MIN_MS	250

struct stale_dest {
	struct stale		*s;
	const struct webhook	*wh;
	char			*name;		/* "format url": the queue */
	char			*ca;		/* PEM, NULL: system store */
	size_t			 ca_len;
	int			 busy;
	int64_t			 item;		/* in flight */
	int			 attempts;	/* of that item, before */
	struct event		*timer;		/* next try, rate limit */
};

struct stale {
	struct event_base	*base;
	const struct stale_conf	*conf;
	int64_t			 stale_after;
	struct cstore		*store;
	struct transport	*transport;
	struct stale_dest	*dests;
	size_t			 ndests;
	struct event		*tick;
};

static void	stale_pump(struct stale_dest *);

long
stale_interval_ms(int64_t stale_after)
{
	int64_t	ms;

	if (stale_after > STALE_TICK_MAX * 4)
		return (STALE_TICK_MAX * 1000L);
	ms = stale_after * 1000 / 4;
	return (ms < STALE_TICK_MIN_MS ? STALE_TICK_MIN_MS : (long)ms);
}

int64_t
stale_backoff(int failed, int64_t retry_after, uint32_t rnd)
{
	int64_t	ceiling = STALE_RETRY_BASE, delay;
	int	i;

	for (i = 1; i < failed && ceiling < STALE_RETRY_CAP; i++)
		ceiling *= 2;
	if (ceiling > STALE_RETRY_CAP)
		ceiling = STALE_RETRY_CAP;
	delay = 1 + rnd % ceiling;
	if (retry_after > delay)
		delay = retry_after > STALE_RETRY_CAP ? STALE_RETRY_CAP :
		    retry_after;
	return (delay);
}

struct stale_conf *
stale_conf_load(const struct ynode *m, struct yerrors *e)
{
	static const char *const keys[] = { "syslog", "syslog_ident",
	    "syslog_facility", "webhooks", NULL };
	struct stale_conf	*c;
	const struct ynode	*v;
	const char		*str;

	c = xcalloc(1, sizeof *c);
	c->syslog = 1;
	c->syslog_ident = xstrdup("isms-collectord");
	c->syslog_facility = LOG_DAEMON;
	if (m == NULL)
		return (c);
	if (m->type != YNODE_MAP) {
		yerr(e, m, "alerts must be a mapping");
		return (c);
	}
	ynode_check_keys(m, keys, e);
	if ((v = ynode_get(m, "syslog")) != NULL)
		ynode_bool(v, &c->syslog, e);
	if ((v = ynode_get(m, "syslog_ident")) != NULL &&
	    ynode_string(v, &str, e) == 0) {
		free(c->syslog_ident);
		c->syslog_ident = xstrdup(str);
	}
	if ((v = ynode_get(m, "syslog_facility")) != NULL &&
	    (v->type != YNODE_SCALAR ||
	    (c->syslog_facility = config_facility(v->value)) == -1)) {
		yerr(e, v, "unknown syslog facility (daemon, auth, authpriv, "
		    "user, local0 to local7)");
		c->syslog_facility = LOG_DAEMON;
	}
	if ((v = ynode_get(m, "webhooks")) != NULL)
		config_webhooks_parse(v, &c->webhooks, &c->nwebhooks, e);
	return (c);
}

void
stale_conf_free(struct stale_conf *c)
{
	if (c == NULL)
		return;
	free(c->syslog_ident);
	config_webhooks_free(c->webhooks, c->nwebhooks);
	free(c);
}

static const char *
stale_format_name(int format)
{
	switch (format) {
	case WEBHOOK_SLACK:
		return ("slack");
	case WEBHOOK_TEAMS:
		return ("teams");
	}
	return ("json");
}

/* A PEM file read whole: 0, or -1 with *cause. */
static int
stale_read_ca(const char *path, char **out, size_t *len, char **cause)
{
	struct stat	 sb;
	ssize_t		 n;
	size_t		 off = 0;
	char		*buf;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    sb.st_size > STALE_CA_MAX) {
		xasprintf(cause, "%s: not a CA file of 1 byte to 1 MB", path);
		close(fd);
		return (-1);
	}
	buf = xmalloc(sb.st_size + 1);
	while (off < (size_t)sb.st_size &&
	    (n = read(fd, buf + off, sb.st_size - off)) > 0)
		off += n;
	close(fd);
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return (0);
}

static void
stale_dest_timer(evutil_socket_t fd, short ev, void *arg)
{
	stale_pump(arg);
}

struct stale *
stale_new(struct event_base *base, const struct stale_conf *conf,
    int64_t stale_after, char **cause)
{
	struct stale		*s;
	struct stale_dest	*d;
	size_t			 i;

	s = xcalloc(1, sizeof *s);
	s->base = base;
	s->conf = conf;
	s->stale_after = stale_after;
	s->dests = xcalloc(conf->nwebhooks, sizeof *s->dests);
	for (i = 0; i < conf->nwebhooks; i++) {
		d = &s->dests[s->ndests++];
		d->s = s;
		d->wh = &conf->webhooks[i];
		xasprintf(&d->name, "%s %s", stale_format_name(d->wh->format),
		    d->wh->url);
		if ((d->timer = evtimer_new(base, stale_dest_timer,
		    d)) == NULL)
			fatalx("%s: evtimer_new", __func__);
		if (d->wh->ca != NULL && stale_read_ca(d->wh->ca, &d->ca,
		    &d->ca_len, cause) == -1) {
			stale_free(s);
			return (NULL);
		}
	}
	if (s->ndests != 0)
		s->transport = transport_new(base);
	return (s);
}

void
stale_free(struct stale *s)
{
	size_t	i;

	if (s == NULL)
		return;
	/* Requests in flight are cancelled; their items stay queued. */
	transport_free(s->transport);
	for (i = 0; i < s->ndests; i++) {
		free(s->dests[i].name);
		free(s->dests[i].ca);
		if (s->dests[i].timer != NULL)
			event_free(s->dests[i].timer);
	}
	free(s->dests);
	if (s->tick != NULL)
		event_free(s->tick);
	free(s);
}

/* Waits secs (at least 1) before trying the queue again. */
static void
stale_dest_wait(struct stale_dest *d, int64_t secs)
{
	struct timeval	tv;

	tv.tv_sec = secs < 1 ? 1 : secs;
	tv.tv_usec = 0;
	evtimer_add(d->timer, &tv);
}

/* A webhook answered, or could not be reached. */
static void
stale_dest_done(const struct transport_res *res, void *arg)
{
	struct stale_dest	*d = arg;
	struct cstore		*st = d->s->store;
	char			*cause, *err;
	int64_t			 delay;
	time_t			 now = time(NULL);

	d->busy = 0;
	if (res->error == NULL && res->http_status >= 200 &&
	    res->http_status < 300) {
		log_debug("alert %lld delivered to %s (%ld, %ld ms)",
		    (long long)d->item, d->name, res->http_status,
		    res->elapsed_ms);
		if (st->ops->alert_delivered(st, d->item, now, &cause) == -1) {
			log_warnx("alert %lld: %s", (long long)d->item, cause);
			free(cause);
		}
	} else {
		if (res->error != NULL)
			err = xstrdup(res->error);
		else
			xasprintf(&err, "HTTP %ld", res->http_status);
		delay = stale_backoff(d->attempts + 1, res->retry_after_s,
		    arc4random());
		log_warnx("alert %lld to %s: %s; next try in %llds",
		    (long long)d->item, d->name, err, (long long)delay);
		if (st->ops->alert_retry(st, d->item, now + delay, 1, err,
		    &cause) == -1) {
			log_warnx("alert %lld: %s", (long long)d->item, cause);
			free(cause);
		}
		free(err);
	}
	stale_pump(d);
}

/* Sends the oldest queued body of a webhook if it is due and allowed. */
static void
stale_pump(struct stale_dest *d)
{
	struct stale		*s = d->s;
	struct cstore		*st = s->store;
	struct cstore_alert	 a;
	struct transport_req	 req;
	char			*cause;
	int64_t			 sent, delay;
	time_t			 now = time(NULL), oldest;
	int			 r;

	if (d->busy || st == NULL)
		return;
	if ((r = st->ops->alert_next(st, d->name, &a, &cause)) == -1) {
		log_warnx("alerts for %s: %s", d->name, cause);
		free(cause);
		stale_dest_wait(d, STALE_RETRY_BASE);
		return;
	}
	if (r == 0)
		return;
	if (a.next_at > now) {
		stale_dest_wait(d, a.next_at - now);
		goto out;
	}
	if (d->wh->rate_per_hour > 0) {
		if (st->ops->alert_sent_since(st, d->name,
		    now - STALE_RATE_WINDOW, &sent, &oldest, &cause) == -1) {
			log_warnx("alerts for %s: %s", d->name, cause);
			free(cause);
			stale_dest_wait(d, STALE_RETRY_BASE);
			goto out;
		}
		if (sent >= d->wh->rate_per_hour) {
			delay = oldest + STALE_RATE_WINDOW - now;
			log_info("alerts for %s held back %llds by its "
			    "rate limit (%d an hour)", d->name,
			    (long long)delay, d->wh->rate_per_hour);
			if (st->ops->alert_retry(st, a.id, now + delay, 0,
			    NULL, &cause) == -1) {
				log_warnx("alert %lld: %s", (long long)a.id,
				    cause);
				free(cause);
			}
			stale_dest_wait(d, delay);
			goto out;
		}
	}

	memset(&req, 0, sizeof req);
	req.url = d->wh->url;
	req.content_type = "application/json";
	req.body = a.body;
	req.len = strlen(a.body);
	req.ca = d->ca;
	req.ca_len = d->ca_len;
	req.timeout_ms = STALE_HTTP_TIMEOUT_MS;
	/* The configuration allows http:// only to this host. */
	req.allow_http = strncmp(d->wh->url, "http://", 7) == 0;
	d->item = a.id;
	d->attempts = a.attempts;
	if (transport_post(s->transport, &req, stale_dest_done, d) == -1) {
		delay = stale_backoff(a.attempts + 1, -1, arc4random());
		if (st->ops->alert_retry(st, a.id, now + delay, 1,
		    "request not started", &cause) == -1) {
			log_warnx("alert %lld: %s", (long long)a.id, cause);
			free(cause);
		}
		stale_dest_wait(d, delay);
		goto out;
	}
	d->busy = 1;
out:
	cstore_alert_clear(&a);
}

/*
 * One host changed state: its bodies queued and its mark set or cleared
 * together, then the syslog line.
 */
static void
stale_event(struct stale *s, const struct cstore_stale *h, int stale,
    time_t now)
{
	struct drift_event	 ev;
	const char		**dests, **bodies;
	json_t			*j;
	char			 id[37], *cause;
	size_t			 i;
	int			 r;

	memset(&ev, 0, sizeof ev);
	uuid_v4(id);
	ev.kind = stale ? DRIFT_HOST_STALE : DRIFT_HOST_BACK;
	ev.id = id;
	ev.at = now;
	ev.host = h->hostname;
	ev.host_id = h->host_id;
	ev.last_seen = h->last_seen;
	ev.stale_after = s->stale_after;

	dests = xcalloc(s->ndests + 1, sizeof *dests);
	bodies = xcalloc(s->ndests + 1, sizeof *bodies);
	for (i = 0; i < s->ndests; i++) {
		switch (s->dests[i].wh->format) {
		case WEBHOOK_SLACK:
			j = alert_slack(&ev);
			break;
		case WEBHOOK_TEAMS:
			j = alert_teams(&ev);
			break;
		default:
			j = alert_json(&ev);
			break;
		}
		if ((bodies[i] = json_dumps(j, JSON_COMPACT)) == NULL)
			fatalx("%s: json_dumps", __func__);
		json_decref(j);
		dests[i] = s->dests[i].name;
	}
	r = s->store->ops->stale_mark(s->store, h->host_id, stale, now,
	    dests, bodies, s->ndests, &cause);
	for (i = 0; i < s->ndests; i++)
		free((char *)bodies[i]);
	free(bodies);
	free(dests);
	if (r == -1) {
		log_warnx("host %s: alert not recorded: %s", h->host_id,
		    cause);
		free(cause);
		return;
	}
	if (r == 0)
		return;		/* another process did it */
	log_info("host %s%s%s%s: %s", h->host_id, h->hostname != NULL ?
	    " (" : "", h->hostname != NULL ? h->hostname : "",
	    h->hostname != NULL ? ")" : "", stale ? "stale" :
	    "reporting again");
	if (s->conf->syslog)
		alert_syslog(&ev);
}

/* The periodic check: hosts back first, then hosts gone stale. */
static void
stale_tick(evutil_socket_t fd, short what, void *arg)
{
	struct stale		*s = arg;
	struct cstore		*st = s->store;
	struct cstore_stale	*h;
	struct timeval		 tv;
	size_t			 i, n;
	char			*cause;
	time_t			 now = time(NULL);
	long			 ms;
	int			 stale, dropped;

	for (stale = 0; stale <= 1; stale++) {
		if (st->ops->stale_hosts(st, stale, now - s->stale_after, &h,
		    &n, &cause) == -1) {
			log_warnx("stale hosts: %s", cause);
			free(cause);
			continue;
		}
		for (i = 0; i < n; i++)
			stale_event(s, &h[i], stale, now);
		cstore_stale_free(h, n);
	}
	if ((dropped = st->ops->alert_prune(st, now - 2 * STALE_RATE_WINDOW,
	    now - STALE_ALERT_MAX_AGE, &cause)) == -1) {
		log_warnx("alert queue: %s", cause);
		free(cause);
	} else if (dropped > 0)
		log_warnx("%d alert%s dropped: undelivered for %lld days",
		    dropped, dropped == 1 ? "" : "s",
		    (long long)STALE_ALERT_MAX_AGE / 86400);
	for (i = 0; i < s->ndests; i++)
		stale_pump(&s->dests[i]);

	ms = stale_interval_ms(s->stale_after);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->tick, &tv);
}

void
stale_start(struct stale *s, struct cstore *store)
{
	s->store = store;
	/* One ident per process: the daemon's log lines keep LOG_DAEMON. */
	if (s->conf->syslog)
		openlog(s->conf->syslog_ident, LOG_PID | LOG_NDELAY,
		    s->conf->syslog_facility);
	if ((s->tick = evtimer_new(s->base, stale_tick, s)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	stale_tick(-1, 0, s);
}
