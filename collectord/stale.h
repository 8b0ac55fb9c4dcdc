/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * isms-collectord: stale-host alerts (stale.c).
 *
 * A timer looks for hosts silent for longer than stale_after and for
 * hosts alerted so that report again; each change of state is one
 * alert, worded by the agent's alert.c (event host_stale, host_back):
 * a syslog(3) key=value line and one body per webhook, queued in the
 * collector store in the same transaction as the host's alert mark
 * and delivered by the agent's transport.c (libcurl multi on the
 * collector's event base) with exponential backoff and full jitter.
 */
#ifndef STALE_H
#define STALE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "yamltree.h"

#define STALE_TICK_MAX		300	/* s, at most between two checks */
#define STALE_RETRY_BASE	10	/* s, first retry within */
#define STALE_RETRY_CAP		3600	/* s, longest wait between tries */
#define STALE_ALERT_MAX_AGE	(7 * 86400)	/* s, then dropped undelivered */
#define STALE_RATE_WINDOW	3600	/* s, of webhooks' rate_limit */

struct webhook;
struct event_base;
struct cstore;
struct stale;

/* The collector's alerts: section (the agent's keys it shares). */
struct stale_conf {
	int		 syslog;	/* alerts.syslog, default on */
	char		*syslog_ident;
	int		 syslog_facility;
	struct webhook	*webhooks;
	size_t		 nwebhooks;
};

/* Defaults, then the alerts: mapping if not NULL; errors appended to e. */
struct stale_conf *stale_conf_load(const struct ynode *, struct yerrors *e);
void		 stale_conf_free(struct stale_conf *);

/*
 * Reads the webhooks' CA files (as root, before the drop of privileges)
 * and makes the transport: NULL with *cause.
 */
struct stale	*stale_new(struct event_base *, const struct stale_conf *,
		    int64_t stale_after, char **cause);
/* After the drop (and daemon(3)): opens syslog, checks now and then. */
void		 stale_start(struct stale *, struct cstore *);
void		 stale_free(struct stale *);

/* Milliseconds between two checks: a quarter of stale_after, <= 5 min. */
long		 stale_interval_ms(int64_t stale_after);
/*
 * Seconds to wait after "failed" failed attempts: full jitter (rnd) up
 * to a ceiling doubling from STALE_RETRY_BASE to STALE_RETRY_CAP, at
 * least 1, at least retry_after (-1 none; capped too).
 */
int64_t		 stale_backoff(int failed, int64_t retry_after, uint32_t rnd);

#endif
