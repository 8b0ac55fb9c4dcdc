/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Clock synchronisation (A.8.17): which time-sync daemons are installed
 * and enabled, which servers and pools they are configured with, and, on
 * the live host only, whether the kernel clock is synchronised and by
 * how much it is off.
 *
 * Enabled state comes from the unit symlinks (common/systemd.c), not
 * from systemctl, so the same facts come out of an image.  The clock
 * state comes from ntp_adjtime(2) with modes 0, a read-only query that
 * every NTP daemon on Linux (chronyd, systemd-timesyncd, ntpd) feeds:
 * STA_UNSYNC is cleared and maxerror kept small while a daemon
 * disciplines the clock.  No command is run.
 */
#include <sys/types.h>
#include <sys/timex.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "facts.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define TIME_SYNTAX_CHRONY	0	/* "server X", "pool X", "peer X" */
#define TIME_SYNTAX_NTPD	1	/* ntp.conf, also ntpsec */
#define TIME_SYNTAX_OPENNTPD	2	/* "server(s) X", no "pool" */
#define TIME_SYNTAX_TIMESYNCD	3	/* [Time] NTP=, FallbackNTP= */

struct time_daemon {
	const char	*name;
	const char	*unit;
	const char	*aliases[3];
	int		 syntax;
	const char	*configs[3];	/* first that exists is read */
};

static const struct time_daemon time_daemons[] = {
	{ "chrony", "chrony.service", { "chronyd.service", NULL },
	  TIME_SYNTAX_CHRONY,
	  { "/etc/chrony/chrony.conf", "/etc/chrony.conf", NULL } },
	{ "systemd-timesyncd", "systemd-timesyncd.service", { NULL },
	  TIME_SYNTAX_TIMESYNCD, { "/etc/systemd/timesyncd.conf", NULL } },
	{ "ntpsec", "ntpsec.service", { NULL },
	  TIME_SYNTAX_NTPD, { "/etc/ntpsec/ntp.conf", NULL } },
	{ "ntp", "ntp.service", { NULL },
	  TIME_SYNTAX_NTPD, { "/etc/ntp.conf", NULL } },
	{ "openntpd", "openntpd.service", { NULL },
	  TIME_SYNTAX_OPENNTPD, { "/etc/openntpd/ntpd.conf", NULL } },
};
#define TIME_NDAEMONS (sizeof time_daemons / sizeof time_daemons[0])

static void	time_read_config(struct collector_ctx *, json_t *,
		    const char *, int, int);

/* Append a source {type, host, file} to the daemon's list. */
static void
time_add_source(json_t *sources, const char *type, const char *host,
    const char *file)
{
	json_t	*o = json_object();

	fact_set_str(o, "name", host);
	fact_set_str(o, "type", type);
	fact_set_str(o, "file", file);
	json_array_append_new(sources, o);
}

/* Read every file in dir ending in suffix, in name order. */
static void
time_read_dir(struct collector_ctx *ctx, json_t *d, const char *dir,
    const char *suffix, int syntax)
{
	char	**v, *path;
	size_t	  i;

	if ((v = root_list_dir(ctx->root, dir, NULL)) == NULL)
		return;
	for (i = 0; v[i] != NULL; i++) {
		if (!str_endswith(v[i], suffix))
			continue;
		xasprintf(&path, "%s/%s", dir, v[i]);
		time_read_config(ctx, d, path, syntax, 0);
		free(path);
	}
	strv_free(v);
}

/*
 * Timesyncd: NTP= and FallbackNTP= hold space-separated names; a later
 * assignment (a later drop-in) replaces an earlier one, and an empty one
 * clears it (systemd.syntax(7)).
 */
static void
time_timesyncd_line(json_t *d, char *line, const char *file)
{
	json_t	*list;
	char	*key, *val, *host, *last;

	if ((val = strchr(line, '=')) == NULL)
		return;
	*val++ = '\0';
	key = str_trim(line);
	if (strcmp(key, "NTP") == 0)
		key = "ntp";
	else if (strcmp(key, "FallbackNTP") == 0)
		key = "fallback";
	else
		return;
	list = json_array();
	for (host = strtok_r(val, " \t", &last); host != NULL;
	    host = strtok_r(NULL, " \t", &last))
		time_add_source(list, key, host, file);
	json_object_set_new(d, strcmp(key, "ntp") == 0 ?
	    "_ntp" : "_fallback", list);
}

/* Parse one daemon configuration file into d's "sources". */
static void
time_read_config(struct collector_ctx *ctx, json_t *d, const char *path,
    int syntax, int main_file)
{
	json_t	*sources = json_object_get(d, "sources");
	char	*buf, *cur, *line, *cause, *w, *arg, *last, *p;

	if (root_read_file(ctx->root, path, &buf, NULL, &cause) == -1) {
		if (main_file)
			fact_error(d, "%s", cause);
		free(cause);
		return;
	}
	fact_source(d, "%s", path);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if (syntax == TIME_SYNTAX_CHRONY &&
		    (line[0] == '!' || line[0] == ';' || line[0] == '%'))
			continue;
		if (syntax == TIME_SYNTAX_TIMESYNCD) {
			time_timesyncd_line(d, line, path);
			continue;
		}
		if ((w = strtok_r(line, " \t", &last)) == NULL)
			continue;
		arg = strtok_r(NULL, " \t", &last);
		if (syntax == TIME_SYNTAX_CHRONY && arg != NULL) {
			if (strcmp(w, "confdir") == 0)
				time_read_dir(ctx, d, arg, ".conf", syntax);
			else if (strcmp(w, "sourcedir") == 0)
				time_read_dir(ctx, d, arg, ".sources", syntax);
			else if (strcmp(w, "include") == 0)
				time_read_config(ctx, d, arg, syntax, 0);
		}
		if (arg == NULL)
			continue;
		if (strcmp(w, "server") == 0 || strcmp(w, "pool") == 0 ||
		    strcmp(w, "peer") == 0)
			time_add_source(sources, w, arg, path);
		else if (syntax == TIME_SYNTAX_OPENNTPD &&
		    strcmp(w, "servers") == 0)
			time_add_source(sources, "pool", arg, path);
	}
	free(buf);
}

/* Timesyncd: the main file, then drop-ins; the last NTP= wins. */
static void
time_read_timesyncd(struct collector_ctx *ctx, json_t *d)
{
	static const char *const dirs[] = {
		"/usr/lib/systemd/timesyncd.conf.d",
		"/etc/systemd/timesyncd.conf.d", NULL
	};
	json_t	*sources = json_object_get(d, "sources"), *l;
	size_t	 i;

	if (root_exists(ctx->root, "/etc/systemd/timesyncd.conf"))
		time_read_config(ctx, d, "/etc/systemd/timesyncd.conf",
		    TIME_SYNTAX_TIMESYNCD, 1);
	for (i = 0; dirs[i] != NULL; i++)
		time_read_dir(ctx, d, dirs[i], ".conf", TIME_SYNTAX_TIMESYNCD);
	if ((l = json_object_get(d, "_ntp")) != NULL)
		json_array_extend(sources, l);
	if ((l = json_object_get(d, "_fallback")) != NULL)
		json_array_extend(sources, l);
	/*
	 * With neither set, timesyncd uses the FallbackNTP list compiled
	 * in (Debian: 0-3.debian.pool.ntp.org); say so rather than count
	 * servers nobody configured.
	 */
	fact_set_bool(d, "builtin_fallback", json_array_size(sources) == 0);
	json_object_del(d, "_ntp");
	json_object_del(d, "_fallback");
}

/* One daemon's facts. */
static json_t *
time_daemon_facts(struct collector_ctx *ctx, const struct time_daemon *td)
{
	struct unit_state	 st;
	json_t			*d = json_object();
	char			*cause = NULL;
	size_t			 i;

	fact_set_str(d, "name", td->name);
	fact_set_str(d, "unit", td->unit);
	json_object_set_new(d, "sources", json_array());
	if (systemd_unit_state(ctx->root, td->unit, td->aliases, &st,
	    &cause) == -1) {
		fact_error(d, "%s", cause);
		free(cause);
		return (d);
	}
	fact_set_bool(d, "installed", st.installed);
	fact_set_bool(d, "enabled", st.enabled);
	fact_set_bool(d, "masked", st.masked);
	if (st.file != NULL)
		fact_source(d, "%s", st.file);
	if (st.link != NULL)
		fact_source(d, "%s", st.link);
	systemd_unit_clear(&st);
	if (!json_is_true(json_object_get(d, "installed")))
		return (d);

	if (td->syntax == TIME_SYNTAX_TIMESYNCD) {
		time_read_timesyncd(ctx, d);
		return (d);
	}
	for (i = 0; td->configs[i] != NULL; i++) {
		if (!root_exists(ctx->root, td->configs[i]))
			continue;
		fact_set_str(d, "config", td->configs[i]);
		time_read_config(ctx, d, td->configs[i], td->syntax, 1);
		return (d);
	}
	fact_set_str(d, "config", NULL);
	return (d);
}

/*
 * The kernel's view of the clock (ntp_adjtime(2), modes 0: read only).
 * offset is the PLL's remaining offset; maxerror grows by 500 ppm while
 * nobody feeds the kernel, and the kernel sets STA_UNSYNC past 16 s.
 */
static json_t *
time_clock_facts(struct collector_ctx *ctx)
{
	struct timex	 tx;
	json_t		*c = json_object();
	double		 off, div;
	int		 state, sync;

	if (!ctx->live)
		return (fact_na_ja(fact_na(c,
		    "clock offset is measurable only on the live host"),
		    "時刻のずれは稼働中のホストでのみ測定できる"));
	fact_source(c, "ntp_adjtime(2)");
	memset(&tx, 0, sizeof tx);
	if ((state = ntp_adjtime(&tx)) == -1)
		return (fact_error(c, "ntp_adjtime: %s", strerror(errno)));
	div = (tx.status & STA_NANO) ? 1e9 : 1e6;
	off = tx.offset / div;
	sync = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
	fact_set_str(c, "method", "ntp_adjtime");
	fact_set_bool(c, "synchronised", sync);
	json_object_set_new(c, "offset_s", json_real(off));
	json_object_set_new(c, "offset_abs_s", json_real(fabs(off)));
	json_object_set_new(c, "maxerror_s", json_real(tx.maxerror / 1e6));
	json_object_set_new(c, "esterror_s", json_real(tx.esterror / 1e6));
	fact_set_int(c, "kernel_status", tx.status);
	return (c);
}

/* Returns the "time" facts; never NULL. */
static json_t *
time_collect(struct collector_ctx *ctx)
{
	json_t	*facts = json_object(), *services = json_array();
	json_t	*enabled = json_array(), *sources = json_array(), *d, *s;
	size_t	 i, j;

	for (i = 0; i < TIME_NDAEMONS; i++) {
		d = time_daemon_facts(ctx, &time_daemons[i]);
		json_array_append_new(services, d);
		if (!json_is_true(json_object_get(d, "enabled")))
			continue;
		json_array_append_new(enabled,
		    json_string(time_daemons[i].name));
		json_array_foreach(json_object_get(d, "sources"), j, s)
			json_array_append(sources, s);
	}
	json_object_set_new(facts, "services", services);
	fact_set_int(facts, "enabled_count", json_array_size(enabled));
	if (json_array_size(enabled) > 0)
		json_object_set(facts, "enabled_service",
		    json_array_get(enabled, 0));
	else
		json_object_set_new(facts, "enabled_service", json_null());
	json_object_set_new(facts, "enabled_services", enabled);
	fact_set_int(facts, "sources_count", json_array_size(sources));
	json_object_set_new(facts, "sources", sources);
	json_object_set_new(facts, "clock", time_clock_facts(ctx));
	return (facts);
}

const struct collector collector_time = {
	.name = "time",
	.collect = time_collect,
};
