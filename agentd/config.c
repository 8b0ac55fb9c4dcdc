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
#include <unistd.h>

#include "agentd.h"
#include "util.h"
#include "xmalloc.h"

#define CONFIG_DEFAULT_INTERVAL	(15 * 60)	/* seconds */
#define CONFIG_DEFAULT_BACKUP_AGE (48 * 3600)	/* seconds */

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

/* Reads one top-level section against its fixed keys and thresholds. */
static void
config_section(struct agent_conf *conf, struct policy *p, const char *section,
    const struct ynode *map, struct yerrors *e)
{
	const struct ynode	*k, *v, *d;
	const char		*s;
	size_t			 i, j;
	int			 b;

	if (map->type != YNODE_MAP) {
		yerr(e, map, "%s must be a mapping", section);
		return;
	}
	for (i = 0; i + 1 < map->nitems; i += 2) {
		k = map->items[i];
		v = map->items[i + 1];
		if (config_threshold(p, section, k, v, e))
			continue;
		if (strcmp(section, "collector") == 0 &&
		    strcmp(k->value, "url") == 0) {
			if (ynode_string(v, &s, e) == 0) {
				if (strncmp(s, "https://", 8) != 0)
					yerr(e, v, "collector.url must be "
					    "https://");
				free(conf->collector_url);
				conf->collector_url = xstrdup(s);
			}
		} else if (strcmp(section, "collector") == 0 &&
		    strcmp(k->value, "ca") == 0) {
			if (ynode_string(v, &s, e) == 0) {
				free(conf->collector_ca);
				conf->collector_ca = xstrdup(s);
			}
		} else if (strcmp(section, "schedule") == 0 &&
		    strcmp(k->value, "interval") == 0) {
			if (ynode_duration(v, &conf->interval_s, e) == 0 &&
			    conf->interval_s < 60)
				yerr(e, v, "schedule.interval must be at "
				    "least 1m");
		} else if (strcmp(section, "backup") == 0 &&
		    strcmp(k->value, "targets") == 0) {
			config_backup(conf, v, e);
		} else if (strcmp(section, "store") == 0 &&
		    strcmp(k->value, "path") == 0) {
			if (ynode_string(v, &s, e) == 0) {
				if (*s != '/')
					yerr(e, v, "store.path must be "
					    "absolute");
				free(conf->store_path);
				conf->store_path = xstrdup(s);
			}
		} else if (strcmp(section, "alerts") == 0 &&
		    strcmp(k->value, "syslog") == 0) {
			if (ynode_bool(v, &b, e) == 0)
				conf->alerts_syslog = b;
		} else if (strcmp(section, "alerts") == 0 &&
		    strcmp(k->value, "webhooks") == 0) {
			/* Read by the daemon (alert.c); shape checked here. */
			if (v->type != YNODE_SEQ)
				yerr(e, v, "alerts.webhooks must be a list");
		} else if (strcmp(section, "checks") == 0 &&
		    strcmp(k->value, "disable") == 0) {
			if (v->type != YNODE_SEQ) {
				yerr(e, v, "checks.disable must be a list of "
				    "check ids");
				continue;
			}
			for (j = 0; j < v->nitems; j++) {
				d = v->items[j];
				if (d->type != YNODE_SCALAR ||
				    policy_find_check(p, d->value) == NULL) {
					yerr(e, d, "checks.disable: unknown "
					    "check \"%s\"", d->type ==
					    YNODE_SCALAR ? d->value : "?");
					continue;
				}
				policy_find_check(p, d->value)->disabled = 1;
				conf->disabled_checks = xreallocarray(
				    conf->disabled_checks,
				    conf->ndisabled_checks + 1, sizeof(char *));
				conf->disabled_checks[
				    conf->ndisabled_checks++] =
				    xstrdup(d->value);
			}
		} else
			yerr(e, k, "unknown key \"%s.%s\"", section, k->value);
	}
}

static int
config_known_section(struct policy *p, const char *name)
{
	static const char *const fixed[] = { "collector", "schedule",
	    "backup", "alerts", "store", "checks", NULL };
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

struct agent_conf *
config_load(const char *path, int must_exist, struct policy *p,
    struct yerrors *e)
{
	struct agent_conf	*conf;
	struct ytree		*t;
	struct ynode		*r;
	struct stat		 sb;
	size_t			 i;

	conf = xcalloc(1, sizeof *conf);
	conf->interval_s = CONFIG_DEFAULT_INTERVAL;
	conf->alerts_syslog = 1;
	if (path == NULL)
		return (conf);
	if (stat(path, &sb) == -1 && errno == ENOENT && !must_exist)
		return (conf);
	conf->file = xstrdup(path);
	if ((t = ytree_load(path, e)) == NULL)
		return (conf);
	conf->tree = t;
	if ((r = t->root) == NULL)
		return (conf);
	if (r->type != YNODE_MAP) {
		yerr(e, r, "the configuration must be a mapping");
		return (conf);
	}
	for (i = 0; i + 1 < r->nitems; i += 2) {
		if (!config_known_section(p, r->items[i]->value)) {
			yerr(e, r->items[i], "unknown section \"%s\"",
			    r->items[i]->value);
			continue;
		}
		config_section(conf, p, r->items[i]->value, r->items[i + 1], e);
	}
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
	ytree_free(conf->tree);
	free(conf);
}
