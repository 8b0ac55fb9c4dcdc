/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * agent.yaml: the agent configuration (isms-agent.yaml(5)).
 *
 * Besides the fixed keys, every threshold a policy declares can be set
 * under its dotted name split at the first dot: the threshold
 * "screen_lock.max_idle" is "screen_lock: {max_idle: 10m}".  The set of
 * valid keys therefore follows the loaded policies, and a typo is an
 * error that names the file and line rather than a silently ignored
 * setting.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "agentd.h"
#include "util.h"
#include "xmalloc.h"

#define CONFIG_DEFAULT_INTERVAL	(15 * 60)	/* seconds */
#define CONFIG_DEFAULT_BACKUP_AGE (48 * 3600)	/* seconds */
#define CONFIG_DEFAULT_COLLECTOR_TIMEOUT 60	/* seconds */
#define CONFIG_DEFAULT_JITTER	60		/* seconds */
#define CONFIG_DEFAULT_NET_IDLE	30		/* seconds */
#define CONFIG_DEFAULT_MAX_DEFER (4 * 3600)	/* seconds */

char *
config_default_path(const char *root)
{
	return (root_path(root, SYSCONFDIR "/isms-agent/agent.yaml"));
}

/*
 * The store lives under /var/lib/isms-agent for root; other users get
 * their own under $XDG_STATE_HOME, so "ismsctl check" works for them.
 */
char *
config_default_store(void)
{
	const char	*state, *home;
	struct passwd	*pw;
	char		*s;

	if (geteuid() == 0)
		return (xstrdup(LOCALSTATEDIR "/lib/isms-agent/store.db"));
	if ((state = getenv("XDG_STATE_HOME")) != NULL && *state == '/') {
		xasprintf(&s, "%s/isms-agent/store.db", state);
		return (s);
	}
	if ((home = getenv("HOME")) == NULL || *home != '/') {
		pw = getpwuid(geteuid());
		home = pw != NULL ? pw->pw_dir : "/tmp";
	}
	xasprintf(&s, "%s/.local/state/isms-agent/store.db", home);
	return (s);
}

/* A threshold override "section: {key: value}". */
static int
config_threshold(struct policy *p, const char *section, const struct ynode *k,
    const struct ynode *v, struct yerrors *e)
{
	struct threshold	*t;
	json_t			*val;
	char			*name, where[512];

	xasprintf(&name, "%s.%s", section, k->value);
	t = policy_find_threshold(p, name);
	free(name);
	if (t == NULL)
		return (0);
	if ((val = policy_threshold_parse(t->type, v, e)) == NULL)
		return (1);
	json_decref(t->value);
	t->value = val;
	free(t->source);
	ynode_where(v, where, sizeof where);
	t->source = xstrdup(where);
	return (1);
}

static void
config_backup(struct agent_conf *conf, const struct ynode *n,
    struct yerrors *e)
{
	static const char *const keys[] = { "name", "path", "max_age", NULL };
	struct backup_target	*bt;
	struct ynode		*item, *name, *path, *age;
	size_t			 i, j;
	int64_t			 secs;
	char			 where[512];

	if (n->type != YNODE_SEQ) {
		yerr(e, n, "backup.targets must be a list");
		return;
	}
	for (i = 0; i < n->nitems; i++) {
		item = n->items[i];
		if (item->type != YNODE_MAP) {
			yerr(e, item, "a backup target must be a mapping "
			    "with name, path and max_age");
			continue;
		}
		ynode_check_keys(item, keys, e);
		name = ynode_get(item, "name");
		path = ynode_get(item, "path");
		age = ynode_get(item, "max_age");
		if (name == NULL || name->type != YNODE_SCALAR) {
			yerr(e, item, "backup target needs a name");
			continue;
		}
		if (path == NULL || path->type != YNODE_SCALAR ||
		    path->value[0] != '/') {
			yerr(e, path != NULL ? path : item, "backup target "
			    "%s needs an absolute path", name->value);
			continue;
		}
		secs = CONFIG_DEFAULT_BACKUP_AGE;
		if (age != NULL && ynode_duration(age, &secs, e) == -1)
			continue;
		for (j = 0; j < conf->nbackup_targets; j++)
			if (strcmp(conf->backup_targets[j].name,
			    name->value) == 0)
				yerr(e, name, "backup target %s defined twice",
				    name->value);
		conf->backup_targets = xreallocarray(conf->backup_targets,
		    conf->nbackup_targets + 1, sizeof *conf->backup_targets);
		bt = &conf->backup_targets[conf->nbackup_targets++];
		bt->name = xstrdup(name->value);
		bt->path = xstrdup(path->value);
		bt->max_age_s = secs;
		ynode_where(age != NULL ? age : item, where, sizeof where);
		bt->where = xstrdup(age != NULL ? where : "default 48h");
	}
}

/* "HH:MM" as a minute of the day, or -1 after an error. */
static int
config_clock(const struct ynode *v, struct yerrors *e)
{
	unsigned int	h, m;
	char		c;

	if (v->type != YNODE_SCALAR || sscanf(v->value, "%2u:%2u%c", &h, &m,
	    &c) != 2 || h > 23 || m > 59) {
		yerr(e, v, "expected a time of day HH:MM, found \"%s\"",
		    v->type == YNODE_SCALAR ? v->value : "?");
		return (-1);
	}
	return (h * 60 + m);
}

static void
config_str(const struct ynode *v, char **out, struct yerrors *e)
{
	const char	*s;

	if (ynode_string(v, &s, e) == 0) {
		free(*out);
		*out = xstrdup(s);
	}
}

int
config_facility(const char *name)
{
	static const struct {
		const char	*name;
		int		 value;
	} f[] = {
		{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },
		{ "authpriv", LOG_AUTHPRIV }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	size_t	i;

	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		if (strcmp(f[i].name, name) == 0)
			return (f[i].value);
	return (-1);
}

/*
 * A webhook URL is https://, or plain http:// to this host only: the
 * host, up to the port or path, must be "localhost", "[::1]" or a
 * dotted 127.x.y.z.  A prefix test would let "http://127.0.0.1.evil.example/"
 * or "http://localhost@evil.example/" through.
 */
static int
config_webhook_url(const char *url)
{
	const char	*h, *end;
	size_t		 len, i, dots = 0;
	int		 octet = 0;

	if (strncmp(url, "https://", 8) == 0)
		return (url[8] != '\0');
	if (strncmp(url, "http://", 7) != 0)
		return (0);
	h = url + 7;
	if (*h == '[')
		end = strchr(h, ']') != NULL ? strchr(h, ']') + 1 : h;
	else
		end = h + strcspn(h, ":/?#");
	len = end - h;
	if (strcspn(h, "/?#") < len || memchr(h, '@', strcspn(h, "/?#")) !=
	    NULL)
		return (0);
	if (*end != '\0' && strchr(":/?", *end) == NULL)
		return (0);
	if ((len == 9 && strncmp(h, "localhost", 9) == 0) ||
	    (len == 5 && strncmp(h, "[::1]", 5) == 0))
		return (1);
	if (len < 9 || strncmp(h, "127.", 4) != 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (i == 0 || h[i - 1] == '.')
				return (0);
			dots++;
			octet = 0;
		} else if (h[i] < '0' || h[i] > '9' ||
		    (octet = octet * 10 + (h[i] - '0')) > 255)
			return (0);
	}
	return (dots == 3 && h[len - 1] != '.');
}

void
config_webhooks_parse(const struct ynode *n, struct webhook **list,
    size_t *nlist, struct yerrors *e)
{
	static const char *const keys[] = { "url", "format", "rate_limit",
	    "ca", NULL };
	struct webhook	 one;
	struct ynode	*item, *url, *fmt, *rate, *ca;
	int64_t		 r;
	size_t		 i;
	int		 ok;

	if (n->type != YNODE_SEQ) {
		yerr(e, n, "alerts.webhooks must be a list");
		return;
	}
	for (i = 0; i < n->nitems; i++) {
		item = n->items[i];
		if (item->type != YNODE_MAP) {
			yerr(e, item, "a webhook must be a mapping with url "
			    "and format");
			continue;
		}
		ynode_check_keys(item, keys, e);
		url = ynode_get(item, "url");
		fmt = ynode_get(item, "format");
		rate = ynode_get(item, "rate_limit");
		ca = ynode_get(item, "ca");
		/* Every field is checked, whatever is wrong with the url. */
		memset(&one, 0, sizeof one);
		one.format = WEBHOOK_JSON;
		one.rate_per_hour = 60;
		ok = 1;
		if (url == NULL || url->type != YNODE_SCALAR ||
		    !config_webhook_url(url->value)) {
			yerr(e, url != NULL ? url : item, "webhook url must be "
			    "https:// (plain http only to this host)");
			ok = 0;
		}
		if (fmt != NULL) {
			if (fmt->type != YNODE_SCALAR)
				yerr(e, fmt, "format must be slack, teams or "
				    "json");
			else if (strcmp(fmt->value, "slack") == 0)
				one.format = WEBHOOK_SLACK;
			else if (strcmp(fmt->value, "teams") == 0)
				one.format = WEBHOOK_TEAMS;
			else if (strcmp(fmt->value, "json") != 0)
				yerr(e, fmt, "unknown webhook format \"%s\" "
				    "(slack, teams or json)", fmt->value);
		}
		if (rate != NULL && ynode_int(rate, &r, e) == 0) {
			if (r < 0 || r > 3600)
				yerr(e, rate, "rate_limit is alerts per hour, "
				    "0 (unlimited) to 3600");
			else
				one.rate_per_hour = (int)r;
		}
		if (ca != NULL)
			config_str(ca, &one.ca, e);
		if (!ok) {
			free(one.ca);
			continue;
		}
		one.url = xstrdup(url->value);
		*list = xreallocarray(*list, *nlist + 1, sizeof **list);
		(*list)[(*nlist)++] = one;
	}
}

void
config_webhooks_free(struct webhook *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(list[i].url);
		free(list[i].ca);
	}
	free(list);
}

static void
config_remote_syslog(struct agent_conf *conf, const struct ynode *n,
    struct yerrors *e)
{
	static const char *const keys[] = { "host", "port", "tls", "ca",
	    NULL };
	struct remote_syslog	*rs;
	struct ynode		*v;
	int64_t			 port;

	if (n->type != YNODE_MAP) {
		yerr(e, n, "alerts.remote_syslog must be a mapping");
		return;
	}
	ynode_check_keys(n, keys, e);
	if ((v = ynode_get(n, "host")) == NULL) {
		yerr(e, n, "alerts.remote_syslog needs a host");
		return;
	}
	rs = xcalloc(1, sizeof *rs);
	config_str(v, &rs->host, e);
	rs->tls = 1;
	if ((v = ynode_get(n, "tls")) != NULL)
		ynode_bool(v, &rs->tls, e);
	port = rs->tls ? 6514 : 514;
	if ((v = ynode_get(n, "port")) != NULL && ynode_int(v, &port, e) == 0 &&
	    (port < 1 || port > 65535))
		yerr(e, v, "port must be 1 to 65535");
	xasprintf(&rs->port, "%lld", (long long)port);
	if ((v = ynode_get(n, "ca")) != NULL)
		config_str(v, &rs->ca, e);
	if (conf->remote_syslog != NULL) {
		free(conf->remote_syslog->host);
		free(conf->remote_syslog->port);
		free(conf->remote_syslog->ca);
		free(conf->remote_syslog);
	}
	conf->remote_syslog = rs;
}

static void
config_flap(struct agent_conf *conf, const struct ynode *n, struct yerrors *e)
{
	static const char *const keys[] = { "window", "max_changes",
	    "stable_runs", NULL };
	struct ynode	*v;
	int64_t		 x;

	if (n->type != YNODE_MAP) {
		yerr(e, n, "alerts.flap must be a mapping");
		return;
	}
	ynode_check_keys(n, keys, e);
	if ((v = ynode_get(n, "window")) != NULL && ynode_int(v, &x, e) == 0) {
		if (x < 2 || x > 100)
			yerr(e, v, "flap window must be 2 to 100 runs");
		conf->flap_window = (int)x;
	}
	if ((v = ynode_get(n, "max_changes")) != NULL &&
	    ynode_int(v, &x, e) == 0) {
		if (x < 2 || x > 100)
			yerr(e, v, "max_changes must be 2 to 100");
		conf->flap_max_changes = (int)x;
	}
	if ((v = ynode_get(n, "stable_runs")) != NULL &&
	    ynode_int(v, &x, e) == 0) {
		if (x < 1 || x > 100)
			yerr(e, v, "stable_runs must be 1 to 100");
		conf->flap_stable_runs = (int)x;
	}
}

/* One key of a fixed section; 0 if the key is unknown. */
static int
config_key(struct agent_conf *conf, struct policy *p, const char *section,
    const struct ynode *k, const struct ynode *v, struct yerrors *e)
{
	const char	*key = k->value;
	const struct ynode *d;
	size_t		 j;
	int		 b, m;
	char		*dash;

#define IS(sec, name) (strcmp(section, sec) == 0 && strcmp(key, name) == 0)
	if (IS("collector", "url")) {
		config_str(v, &conf->collector_url, e);
		if (conf->collector_url != NULL &&
		    strncmp(conf->collector_url, "https://", 8) != 0)
			yerr(e, v, "collector.url must be https://");
	} else if (IS("collector", "ca"))
		config_str(v, &conf->collector_ca, e);
	else if (IS("collector", "key"))
		config_str(v, &conf->collector_key, e);
	else if (IS("collector", "cert"))
		config_str(v, &conf->collector_cert, e);
	else if (IS("schedule", "interval")) {
		if (ynode_duration(v, &conf->interval_s, e) == 0 &&
		    conf->interval_s < 1)
			yerr(e, v, "schedule.interval must be at least 1s");
	} else if (IS("schedule", "jitter"))
		ynode_duration(v, &conf->jitter_s, e);
	else if (IS("schedule", "run_at_start"))
		ynode_bool(v, &conf->run_at_start, e);
	else if (IS("schedule", "quiet_hours")) {
		/* "22:00-06:00" */
		if (v->type != YNODE_SCALAR ||
		    (dash = strchr(v->value, '-')) == NULL) {
			yerr(e, v, "quiet_hours must be HH:MM-HH:MM");
			return (1);
		}
		*dash = '\0';
		conf->quiet_start = config_clock(v, e);
		*dash = '-';
		m = -1;
		if (conf->quiet_start != -1) {
			struct ynode tmp = *v;
			tmp.value = dash + 1;
			m = config_clock(&tmp, e);
		}
		conf->quiet_end = m;
		if (m == -1)
			conf->quiet_start = -1;
	} else if (IS("schedule", "nightly"))
		conf->nightly = config_clock(v, e);
	else if (IS("schedule", "defer_on_battery"))
		ynode_bool(v, &conf->defer_on_battery, e);
	else if (IS("schedule", "max_defer"))
		ynode_duration(v, &conf->max_defer_s, e);
	else if (IS("backup", "targets"))
		config_backup(conf, v, e);
	else if (IS("store", "path")) {
		config_str(v, &conf->store_path, e);
		if (conf->store_path != NULL && *conf->store_path != '/')
			yerr(e, v, "store.path must be absolute");
	} else if (IS("alerts", "syslog")) {
		if (ynode_bool(v, &b, e) == 0)
			conf->alerts_syslog = b;
	} else if (IS("alerts", "syslog_ident"))
		config_str(v, &conf->syslog_ident, e);
	else if (IS("alerts", "syslog_facility")) {
		if (v->type != YNODE_SCALAR ||
		    (conf->syslog_facility = config_facility(v->value)) == -1) {
			yerr(e, v, "unknown syslog facility (daemon, auth, "
			    "authpriv, user, local0 to local7)");
			conf->syslog_facility = LOG_DAEMON;
		}
	} else if (IS("alerts", "summary_at")) {
		if (v->type == YNODE_SCALAR && strcmp(v->value, "never") == 0)
			conf->summary_at = -1;
		else
			conf->summary_at = config_clock(v, e);
	} else if (IS("alerts", "flap"))
		config_flap(conf, v, e);
	else if (IS("alerts", "remote_syslog"))
		config_remote_syslog(conf, v, e);
	else if (IS("alerts", "webhooks"))
		config_webhooks_parse(v, &conf->webhooks, &conf->nwebhooks, e);
	else if (IS("daemon", "user"))
		config_str(v, &conf->user, e);
	else if (IS("daemon", "control_socket")) {
		config_str(v, &conf->control_socket, e);
		if (conf->control_socket != NULL &&
		    *conf->control_socket != '/')
			yerr(e, v, "daemon.control_socket must be absolute");
	} else if (IS("daemon", "control_group"))
		config_str(v, &conf->control_group, e);
	else if (IS("daemon", "collector_timeout"))
		ynode_duration(v, &conf->collector_timeout_s, e);
	else if (IS("daemon", "net_idle")) {
		if (ynode_duration(v, &conf->net_idle_s, e) == 0 &&
		    conf->net_idle_s < 1)
			yerr(e, v, "daemon.net_idle must be at least 1s");
	}
	else if (IS("checks", "disable")) {
		if (v->type != YNODE_SEQ) {
			yerr(e, v, "checks.disable must be a list of check "
			    "ids");
			return (1);
		}
		for (j = 0; j < v->nitems; j++) {
			d = v->items[j];
			if (d->type != YNODE_SCALAR ||
			    policy_find_check(p, d->value) == NULL) {
				yerr(e, d, "checks.disable: unknown check "
				    "\"%s\"", d->type == YNODE_SCALAR ?
				    d->value : "?");
				continue;
			}
			policy_find_check(p, d->value)->disabled = 1;
			conf->disabled_checks = xreallocarray(
			    conf->disabled_checks, conf->ndisabled_checks + 1,
			    sizeof(char *));
			conf->disabled_checks[conf->ndisabled_checks++] =
			    xstrdup(d->value);
		}
	} else
		return (0);
#undef IS
	return (1);
}

/* Reads one top-level section against its fixed keys and thresholds. */
static void
config_section(struct agent_conf *conf, struct policy *p, const char *section,
    const struct ynode *map, struct yerrors *e)
{
	size_t	i;

	if (map->type != YNODE_MAP) {
		yerr(e, map, "%s must be a mapping", section);
		return;
	}
	for (i = 0; i + 1 < map->nitems; i += 2) {
		if (config_threshold(p, section, map->items[i],
		    map->items[i + 1], e))
			continue;
		if (!config_key(conf, p, section, map->items[i],
		    map->items[i + 1], e))
			yerr(e, map->items[i], "unknown key \"%s.%s\"",
			    section, map->items[i]->value);
	}
}

static int
config_known_section(struct policy *p, const char *name)
{
	static const char *const fixed[] = { "collector", "schedule",
	    "backup", "alerts", "store", "checks", "daemon", NULL };
	struct threshold	*t;
	size_t			 i, len = strlen(name);

	for (i = 0; fixed[i] != NULL; i++)
		if (strcmp(fixed[i], name) == 0)
			return (1);
	TAILQ_FOREACH(t, &p->thresholds, entry)
		if (strncmp(t->name, name, len) == 0 && t->name[len] == '.')
			return (1);
	return (0);
}

static struct agent_conf *
config_defaults(void)
{
	struct agent_conf	*conf;

	conf = xcalloc(1, sizeof *conf);
	conf->interval_s = CONFIG_DEFAULT_INTERVAL;
	conf->alerts_syslog = 1;
	conf->collector_ca = xstrdup(SYSCONFDIR "/isms-agent/ca.pem");
	conf->collector_key = xstrdup(SYSCONFDIR "/isms-agent/agent.key");
	conf->collector_cert = xstrdup(SYSCONFDIR "/isms-agent/agent.pem");
	conf->user = xstrdup(ISMS_USER);
	conf->control_socket = xstrdup(RUNSTATEDIR "/isms-agent/control");
	conf->collector_timeout_s = CONFIG_DEFAULT_COLLECTOR_TIMEOUT;
	conf->net_idle_s = CONFIG_DEFAULT_NET_IDLE;
	conf->jitter_s = CONFIG_DEFAULT_JITTER;
	conf->run_at_start = 1;
	conf->quiet_start = conf->quiet_end = conf->nightly = -1;
	conf->max_defer_s = CONFIG_DEFAULT_MAX_DEFER;
	conf->syslog_ident = xstrdup("isms-agentd");
	conf->syslog_facility = LOG_DAEMON;
	conf->summary_at = 9 * 60;
	conf->flap_window = 10;
	conf->flap_max_changes = 4;
	conf->flap_stable_runs = 3;
	return (conf);
}

static void
config_apply(struct agent_conf *conf, struct ytree *t, struct policy *p,
    struct yerrors *e)
{
	struct ynode	*r;
	size_t		 i;

	conf->tree = t;
	if ((r = t->root) == NULL)
		return;
	if (r->type != YNODE_MAP) {
		yerr(e, r, "the configuration must be a mapping");
		return;
	}
	for (i = 0; i + 1 < r->nitems; i += 2) {
		if (!config_known_section(p, r->items[i]->value)) {
			yerr(e, r->items[i], "unknown section \"%s\"",
			    r->items[i]->value);
			continue;
		}
		config_section(conf, p, r->items[i]->value, r->items[i + 1], e);
	}
}

struct agent_conf *
config_load(const char *path, int must_exist, struct policy *p,
    struct yerrors *e)
{
	struct agent_conf	*conf;
	struct ytree		*t;
	struct stat		 sb;

	conf = config_defaults();
	if (path == NULL)
		return (conf);
	if (stat(path, &sb) == -1 && errno == ENOENT && !must_exist)
		return (conf);
	conf->file = xstrdup(path);
	if ((t = ytree_load(path, e)) != NULL)
		config_apply(conf, t, p, e);
	return (conf);
}

struct agent_conf *
config_load_buffer(const char *name, const char *buf, size_t len,
    struct policy *p, struct yerrors *e)
{
	struct agent_conf	*conf;
	struct ytree		*t;

	conf = config_defaults();
	conf->file = xstrdup(name);
	if ((t = ytree_parse(name, buf, len, e)) != NULL)
		config_apply(conf, t, p, e);
	return (conf);
}

void
config_free(struct agent_conf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->nbackup_targets; i++) {
		free(conf->backup_targets[i].name);
		free(conf->backup_targets[i].path);
		free(conf->backup_targets[i].where);
	}
	free(conf->backup_targets);
	for (i = 0; i < conf->ndisabled_checks; i++)
		free(conf->disabled_checks[i]);
	free(conf->disabled_checks);
	free(conf->file);
	free(conf->store_path);
	free(conf->collector_url);
	free(conf->collector_ca);
	free(conf->collector_key);
	free(conf->collector_cert);
	ytree_free(conf->tree);
	free(conf->user);
	free(conf->control_socket);
	free(conf->control_group);
	free(conf->syslog_ident);
	if (conf->remote_syslog != NULL) {
		free(conf->remote_syslog->host);
		free(conf->remote_syslog->port);
		free(conf->remote_syslog->ca);
		free(conf->remote_syslog);
	}
	config_webhooks_free(conf->webhooks, conf->nwebhooks);
	free(conf);
}
