/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Logging (A.8.15, A.8.16): whether the journal survives a reboot,
 * whether a syslog daemon writes to /var/log, whether auditd runs with
 * rules, and whether logs leave the host (rsyslog or syslog-ng
 * forwarding, systemd-journal-upload, audisp-remote, a log shipper).
 *
 * Everything is read from configuration and unit symlinks, so that the
 * facts come out the same from an image.  journald's own precedence is
 * followed: journald.conf, then the drop-ins of /usr/lib, /usr/local/lib,
 * /run (live only) and /etc, sorted by file name, a later file winning;
 * a drop-in in /etc replaces one of the same name further down
 * (systemd.unit(5), "drop-in").
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "collector.h"
#include "facts.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define LOG_MAXINCLUDE	8	/* nested include depth */

/* Log shippers whose enabled unit means logs leave the host. */
static const char *const log_shippers[] = {
	"wazuh-agent.service", "fluent-bit.service", "td-agent-bit.service",
	"vector.service", "filebeat.service", "auditbeat.service",
	"elastic-agent.service", "promtail.service", "nxlog.service",
	"SplunkForwarder.service", "datadog-agent.service",
	"google-cloud-ops-agent.service", "amazon-cloudwatch-agent.service",
	"otelcol-contrib.service", "alloy.service", NULL
};

/* Unit facts onto o; returns whether the unit is enabled. */
static int
log_unit(struct collector_ctx *ctx, json_t *o, const char *unit,
    const char *const *aliases)
{
	struct unit_state	 st;
	char			*cause = NULL;
	int			 enabled;

	if (systemd_unit_state(ctx->root, unit, aliases, &st, &cause) == -1) {
		fact_error(o, "%s", cause);
		free(cause);
		return (0);
	}
	fact_set_bool(o, "installed", st.installed);
	fact_set_bool(o, "enabled", st.enabled);
	if (st.file != NULL)
		fact_source(o, "%s", st.file);
	if (st.link != NULL)
		fact_source(o, "%s", st.link);
	enabled = st.enabled;
	systemd_unit_clear(&st);
	return (enabled);
}

/* Expand a glob under root; calls fn with each host path. */
static void
log_glob(struct collector_ctx *ctx, const char *pattern,
    void (*fn)(struct collector_ctx *, const char *, void *, int),
    void *arg, int level)
{
	glob_t	 g;
	char	*full, *rootp;
	size_t	 i, rlen;

	full = root_path(ctx->root, pattern);
	rootp = root_path(ctx->root, "/");
	rlen = strcmp(rootp, "/") == 0 ? 0 : strlen(rootp);
	if (rlen > 0 && rootp[rlen - 1] == '/')
		rlen--;
	free(rootp);
	if (glob(full, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			fn(ctx, g.gl_pathv[i] + rlen, arg, level);
		globfree(&g);
	}
	free(full);
}

/* --- journald -------------------------------------------------------- */

/* Apply one journald file's [Journal] keys to j. */
static void
log_journald_file(struct collector_ctx *ctx, json_t *j, const char *path,
    int main_file)
{
	static const char *const keys[][2] = {
		{ "Storage", "storage" },
		{ "SystemMaxUse", "system_max_use" },
		{ "MaxRetentionSec", "max_retention" },
		{ "ForwardToSyslog", "forward_to_syslog" },
	};
	char	*buf, *cur, *line, *cause, *val;
	size_t	 i;
	int	 section = 0;

	if (root_read_file(ctx->root, path, &buf, NULL, &cause) == -1) {
		if (main_file)
			fact_error(j, "%s", cause);
		free(cause);
		return;
	}
	fact_source(j, "%s", path);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '#' || *line == ';' || *line == '\0')
			continue;
		if (*line == '[') {
			section = strcmp(line, "[Journal]") == 0;
			continue;
		}
		if (!section || (val = strchr(line, '=')) == NULL)
			continue;
		*val++ = '\0';
		line = str_trim(line);
		val = str_trim(val);
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (strcmp(line, keys[i][0]) != 0)
				continue;
			/* An empty assignment resets to the default. */
			if (*val == '\0')
				json_object_del(j, keys[i][1]);
			else
				fact_set_str(j, keys[i][1], val);
		}
	}
	free(buf);
}

/* Order host paths by file name, as systemd applies drop-ins. */
static int
log_basename_cmp(const void *a, const void *b)
{
	const char	*x = *(char *const *)a, *y = *(char *const *)b;

	return (strcmp(strrchr(x, '/'), strrchr(y, '/')));
}

/* journald: Storage= (auto means persistent if /var/log/journal exists). */
static json_t *
log_journald(struct collector_ctx *ctx)
{
	static const char *const dirs[] = {
		"/usr/lib/systemd/journald.conf.d",
		"/usr/local/lib/systemd/journald.conf.d",
		"/run/systemd/journald.conf.d",
		"/etc/systemd/journald.conf.d", NULL
	};
	json_t		*j = json_object(), *names = json_object(), *v;
	struct stat	 sb;
	const char	*storage, *key, *ret;
	char		**list, *path, *target, buf[16];
	size_t		 i, k;
	int64_t		 secs;
	int		 vlj, persistent;

	if (root_exists(ctx->root, "/etc/systemd/journald.conf"))
		log_journald_file(ctx, j, "/etc/systemd/journald.conf", 1);
	if (json_object_get(j, "_error") != NULL) {
		json_decref(names);
		return (j);
	}
	for (i = 0; dirs[i] != NULL; i++) {
		if (!ctx->live && str_startswith(dirs[i], "/run/"))
			continue;
		if ((list = root_list_dir(ctx->root, dirs[i], NULL)) == NULL)
			continue;
		for (k = 0; list[k] != NULL; k++) {
			if (!str_endswith(list[k], ".conf"))
				continue;
			xasprintf(&path, "%s/%s", dirs[i], list[k]);
			json_object_set_new(names, list[k], json_string(path));
			free(path);
		}
		strv_free(list);
	}
	/* A later directory replaced same-named files; apply by name. */
	list = xcalloc(json_object_size(names) + 1, sizeof *list);
	k = 0;
	json_object_foreach(names, key, v)
		list[k++] = xstrdup(json_string_value(v));
	qsort(list, k, sizeof *list, log_basename_cmp);
	for (i = 0; i < k; i++) {
		/* A drop-in linked to /dev/null masks the name. */
		target = root_readlink(ctx->root, list[i]);
		if (target == NULL || strcmp(target, "/dev/null") != 0)
			log_journald_file(ctx, j, list[i], 0);
		free(target);
	}
	strv_free(list);
	json_decref(names);

	if ((v = json_object_get(j, "storage")) == NULL)
		fact_set_str(j, "storage", "auto");
	storage = json_string_value(json_object_get(j, "storage"));
	vlj = root_stat(ctx->root, "/var/log/journal", &sb, NULL) == 0 &&
	    S_ISDIR(sb.st_mode);
	fact_set_bool(j, "var_log_journal", vlj);
	persistent = strcmp(storage, "persistent") == 0 ||
	    (strcmp(storage, "auto") == 0 && vlj);
	fact_set_bool(j, "persistent", persistent);
	snprintf(buf, sizeof buf, "%s", persistent ? "persistent" :
	    strcmp(storage, "none") == 0 ? "none" : "volatile");
	fact_set_str(j, "storage_effective", buf);
	if ((ret = json_string_value(json_object_get(j, "max_retention")))
	    != NULL && duration_parse(ret, &secs, NULL) == 0)
		fact_set_int(j, "max_retention_s", secs);
	return (j);
}

/* --- rsyslog --------------------------------------------------------- */

struct log_syslog {
	json_t	*d;		/* the daemon object */
	json_t	*fwd;		/* forwarding targets */
	int	 var_log;
	char	*error;
};

/* Value of name="..." inside an action(...) text, or NULL. */
static char *
log_param(const char *s, const char *name)
{
	const char	*p = s;
	size_t		 len = strlen(name);

	while ((p = strcasestr(p, name)) != NULL) {
		if ((p == s || !isalnum((unsigned char)p[-1])) &&
		    p[len] == '=' && p[len + 1] == '"')
			return (xstrndup(p + len + 2, strcspn(p + len + 2,
			    "\"")));
		p += len;
	}
	return (NULL);
}

/* Record a forwarding destination. */
static void
log_add_forward(struct log_syslog *s, const char *target, const char *port,
    const char *proto, const char *file)
{
	json_t	*o = json_object();
	char	*name;

	xasprintf(&name, "%s:%s", target, port != NULL ? port : "514");
	fact_set_str(o, "name", name);
	fact_set_str(o, "protocol", proto);
	fact_set_str(o, "file", file);
	json_array_append_new(s->fwd, o);
	free(name);
}

/* A legacy selector line's action: "/var/log/x", "@@host:port", ... */
static void
log_rsyslog_legacy(struct log_syslog *s, char *line, const char *file)
{
	char	*act, *host, *port;
	const char *proto;

	act = line + strcspn(line, " \t");
	if (*act == '\0')
		return;
	*act++ = '\0';
	if (strchr(line, '.') == NULL)
		return;		/* not a facility.priority selector */
	act = str_trim(act);
	if (*act == '-')
		act++;
	if (str_startswith(act, "/var/log/"))
		s->var_log = 1;
	else if (*act == '@') {
		proto = act[1] == '@' ? "tcp" : "udp";
		host = act + (act[1] == '@' ? 2 : 1);
		if (*host == '(')	/* @(o)host: options */
			host = strchr(host, ')') != NULL ?
			    strchr(host, ')') + 1 : host;
		host = xstrndup(host, strcspn(host, " \t;"));
		if ((port = strrchr(host, ':')) != NULL &&
		    strchr(host, ']') < port)
			*port++ = '\0';
		log_add_forward(s, host, port, proto, file);
		free(host);
	} else if (str_startswith(act, ":omrelp:")) {
		host = xstrdup(act + 8);
		if ((port = strchr(host, ':')) != NULL)
			*port++ = '\0';
		log_add_forward(s, host, port, "relp", file);
		free(host);
	}
}

/* action(type="omfile"|"omfwd"|"omrelp" ...). */
static void
log_rsyslog_action(struct log_syslog *s, const char *text, const char *file)
{
	char	*type, *t, *port, *proto, *f;

	if ((type = log_param(text, "type")) == NULL)
		return;
	if (strcmp(type, "omfile") == 0) {
		if ((f = log_param(text, "file")) != NULL &&
		    str_startswith(f, "/var/log/"))
			s->var_log = 1;
		free(f);
	} else if (strcmp(type, "omfwd") == 0 || strcmp(type, "omrelp") == 0) {
		if ((t = log_param(text, "target")) != NULL) {
			port = log_param(text, "port");
			proto = log_param(text, "protocol");
			log_add_forward(s, t, port, strcmp(type, "omrelp") == 0 ?
			    "relp" : proto != NULL ? proto : "udp", file);
			free(port);
			free(proto);
			free(t);
		}
	}
	free(type);
}

static void	log_rsyslog_file(struct collector_ctx *, const char *, void *,
		    int);

/* Parse one rsyslog file, following $IncludeConfig and include(). */
static void
log_rsyslog_file(struct collector_ctx *ctx, const char *path, void *arg,
    int level)
{
	struct log_syslog	*s = arg;
	char			*buf, *cur, *line, *cause, *p, *e, *f, *text;

	if (level > LOG_MAXINCLUDE)
		return;
	if (root_read_file(ctx->root, path, &buf, NULL, &cause) == -1) {
		if (s->error == NULL)
			s->error = cause;
		else
			free(cause);
		return;
	}
	fact_source(s->d, "%s", path);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '#' || *line == '\0')
			continue;
		if (str_startswith(line, "$IncludeConfig")) {
			f = str_trim(line + strlen("$IncludeConfig"));
			log_glob(ctx, f, log_rsyslog_file, s, level + 1);
			continue;
		}
		if ((p = strstr(line, "include(")) != NULL) {
			if ((f = log_param(p, "file")) != NULL) {
				log_glob(ctx, f, log_rsyslog_file, s,
				    level + 1);
				free(f);
			}
			continue;
		}
		if ((p = strstr(line, "action(")) != NULL) {
			/* RainerScript actions may span lines until ")". */
			if ((e = strchr(p, ')')) == NULL && cur != NULL &&
			    (e = strchr(cur, ')')) != NULL) {
				if (cur[-1] == '\0')
					cur[-1] = ' ';
				cur = e + 1;
			}
			text = xstrndup(p, e != NULL ? (size_t)(e - p) :
			    strlen(p));
			log_rsyslog_action(s, text, path);
			free(text);
			continue;
		}
		if (*line == '$' || *line == '&' || *line == ':' ||
		    strchr(line, '(') != NULL)
			continue;
		log_rsyslog_legacy(s, line, path);
	}
	free(buf);
}

/* --- syslog-ng ------------------------------------------------------- */

/* Scan destination { ... }; blocks for file("/var/log...") and network. */
static void
log_syslogng_file(struct collector_ctx *ctx, const char *path, void *arg,
    int level)
{
	static const char *const drivers[] = {
		"network(", "syslog(", "tcp(", "udp(", "tcp6(", "udp6(", NULL
	};
	struct log_syslog	*s = arg;
	char			*buf, *cause, *p, *q, *b, *e, *host, *inc;
	char			*port, *pp;
	size_t			 i;
	int			 depth;

	if (level > LOG_MAXINCLUDE)
		return;
	if (root_read_file(ctx->root, path, &buf, NULL, &cause) == -1) {
		if (s->error == NULL)
			s->error = cause;
		else
			free(cause);
		return;
	}
	fact_source(s->d, "%s", path);
	/* Blank out comments. */
	for (p = buf; (p = strchr(p, '#')) != NULL; )
		while (*p != '\0' && *p != '\n')
			*p++ = ' ';
	for (p = buf; (p = strstr(p, "@include")) != NULL; p++) {
		if ((q = strchr(p, '"')) == NULL)
			break;
		inc = xstrndup(q + 1, strcspn(q + 1, "\""));
		if (*inc != '/') {
			char *abs;
			xasprintf(&abs, "/etc/syslog-ng/%s", inc);
			free(inc);
			inc = abs;
		}
		log_glob(ctx, inc, log_syslogng_file, s, level + 1);
		free(inc);
	}
	for (p = buf; (p = strstr(p, "destination")) != NULL; p = e) {
		if ((b = strchr(p, '{')) == NULL)
			break;
		for (e = b + 1, depth = 1; *e != '\0' && depth > 0; e++) {
			if (*e == '{')
				depth++;
			else if (*e == '}')
				depth--;
		}
		for (q = b; q < e; q++) {
			if (strncmp(q, "file(", 5) == 0 &&
			    strncmp(q + 5 + strspn(q + 5, " \"'"),
			    "/var/log/", 9) == 0)
				s->var_log = 1;
			for (i = 0; drivers[i] != NULL; i++) {
				if (strncmp(q, drivers[i], strlen(drivers[i]))
				    != 0 || (q > b && isalnum((unsigned char)
				    q[-1])))
					continue;
				host = q + strlen(drivers[i]);
				host += strspn(host, " \"'");
				host = xstrndup(host, strcspn(host, " \"')"));
				/* port(N) within the same block, if given. */
				port = NULL;
				for (pp = q; pp < e; pp++) {
					if (strncmp(pp, "port(", 5) == 0 &&
					    !isalnum((unsigned char)pp[-1])) {
						port = xstrndup(pp + 5,
						    strspn(pp + 5, "0123456789"));
						break;
					}
				}
				log_add_forward(s, host, port,
				    drivers[i][0] == 'u' ? "udp" : "tcp", path);
				free(port);
				free(host);
			}
		}
	}
	free(buf);
}

/* One syslog daemon's facts. */
static json_t *
log_syslog_daemon(struct collector_ctx *ctx, const char *name,
    const char *unit, const char *conf,
    void (*parse)(struct collector_ctx *, const char *, void *, int),
    json_t *methods)
{
	struct log_syslog	 s;
	json_t			*d = json_object(), *o;
	size_t			 i;
	int			 enabled;

	fact_set_str(d, "name", name);
	fact_set_str(d, "unit", unit);
	/*
	 * No aliases: syslog.service is the alias every syslog daemon
	 * installs, so it says nothing about which one is enabled.
	 */
	enabled = log_unit(ctx, d, unit, NULL);
	fact_set_bool(d, "writes_var_log", 0);
	json_object_set_new(d, "forwarding", json_array());
	if (!json_is_true(json_object_get(d, "installed")))
		return (d);
	memset(&s, 0, sizeof s);
	s.d = d;
	s.fwd = json_object_get(d, "forwarding");
	parse(ctx, conf, &s, 0);
	if (s.error != NULL) {
		fact_error(d, "%s", s.error);
		free(s.error);
		return (d);
	}
	fact_set_bool(d, "writes_var_log", s.var_log);
	if (enabled) {
		json_array_foreach(s.fwd, i, o) {
			json_t *m = json_object();
			char *n;
			xasprintf(&n, "%s -> %s (%s)", name,
			    json_string_value(json_object_get(o, "name")),
			    json_string_value(json_object_get(o, "protocol")));
			fact_set_str(m, "name", n);
			fact_set_str(m, "kind", "syslog");
			json_array_append_new(methods, m);
			free(n);
		}
	}
	return (d);
}

/* --- auditd ---------------------------------------------------------- */

/* Count -a/-w rules and note -e 2 in one rules file. */
static void
log_audit_rules(struct collector_ctx *ctx, json_t *a, const char *path,
    int *rules, int *immutable)
{
	char	*buf, *cur, *line;

	if (root_read_file(ctx->root, path, &buf, NULL, NULL) == -1)
		return;
	fact_source(a, "%s", path);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (str_startswith(line, "-a ") || str_startswith(line, "-A ") ||
		    str_startswith(line, "-w "))
			(*rules)++;
		else if (str_startswith(line, "-e 2"))
			*immutable = 1;
	}
	free(buf);
}

/* The value of "key = value" in an auditd-style file, or NULL. */
static char *
log_eq_get(const char *buf, const char *key)
{
	char	*copy = xstrdup(buf), *cur = copy, *line, *v, *r = NULL;

	while ((line = str_nextline(&cur)) != NULL) {
		if ((v = strchr(line, '=')) == NULL || *line == '#')
			continue;
		*v++ = '\0';
		if (strcmp(str_trim(line), key) == 0) {
			free(r);
			r = xstrdup(str_trim(v));
		}
	}
	free(copy);
	return (r);
}

/* auditd: unit, rules (rules.d, as augenrules reads), auditd.conf. */
static json_t *
log_auditd(struct collector_ctx *ctx, json_t *methods)
{
	json_t	*a = json_object(), *m;
	char	**v, *path, *buf, *cause, *val;
	size_t	 i;
	int	 rules = 0, immutable = 0, files = 0;

	log_unit(ctx, a, "auditd.service", NULL);
	if (!json_is_true(json_object_get(a, "installed")))
		return (a);
	if ((v = root_list_dir(ctx->root, "/etc/audit/rules.d", NULL)) != NULL) {
		for (i = 0; v[i] != NULL; i++) {
			if (!str_endswith(v[i], ".rules"))
				continue;
			xasprintf(&path, "/etc/audit/rules.d/%s", v[i]);
			log_audit_rules(ctx, a, path, &rules, &immutable);
			files++;
			free(path);
		}
		strv_free(v);
	} else
		log_audit_rules(ctx, a, "/etc/audit/audit.rules", &rules,
		    &immutable);
	fact_set_int(a, "rules_files", files);
	fact_set_int(a, "rules_count", rules);
	fact_set_bool(a, "immutable", immutable);
	if (root_read_file(ctx->root, "/etc/audit/auditd.conf", &buf, NULL,
	    &cause) == -1) {
		fact_error(a, "%s", cause);
		free(cause);
		return (a);
	}
	fact_source(a, "/etc/audit/auditd.conf");
	val = log_eq_get(buf, "max_log_file_action");
	fact_set_str(a, "max_log_file_action", val);
	free(val);
	val = log_eq_get(buf, "num_logs");
	fact_set_str(a, "num_logs", val);
	free(val);
	free(buf);

	/* audisp-remote sends events to a remote auditd. */
	if (root_read_file(ctx->root, "/etc/audit/plugins.d/au-remote.conf",
	    &buf, NULL, NULL) == 0) {
		val = log_eq_get(buf, "active");
		if (val != NULL && strcmp(val, "yes") == 0 &&
		    json_is_true(json_object_get(a, "enabled"))) {
			m = json_object();
			fact_set_str(m, "name", "audisp-remote");
			fact_set_str(m, "kind", "audit");
			json_array_append_new(methods, m);
		}
		free(val);
		free(buf);
	}
	return (a);
}

/* --- forwarding ------------------------------------------------------ */

/* systemd-journal-upload with URL=, and enabled shippers. */
static void
log_forwarders(struct collector_ctx *ctx, json_t *fw, json_t *methods)
{
	json_t	*o, *m;
	char	*buf, *url, *name;
	size_t	 i;

	o = json_object();
	if (log_unit(ctx, o, "systemd-journal-upload.service", NULL)) {
		url = NULL;
		if (root_read_file(ctx->root, "/etc/systemd/journal-upload.conf",
		    &buf, NULL, NULL) == 0) {
			url = log_eq_get(buf, "URL");
			free(buf);
			fact_source(fw, "/etc/systemd/journal-upload.conf");
		}
		m = json_object();
		xasprintf(&name, "systemd-journal-upload -> %s",
		    url != NULL ? url : "(URL not set)");
		fact_set_str(m, "name", name);
		fact_set_str(m, "kind", "journal");
		json_array_append_new(methods, m);
		free(name);
		free(url);
	}
	json_decref(o);
	for (i = 0; log_shippers[i] != NULL; i++) {
		o = json_object();
		if (log_unit(ctx, o, log_shippers[i], NULL)) {
			m = json_object();
			fact_set_str(m, "name", log_shippers[i]);
			fact_set_str(m, "kind", "shipper");
			json_array_append_new(methods, m);
			json_t *src;
			size_t j;
			json_array_foreach(json_object_get(o, "_sources"), j,
			    src)
				fact_source(fw, "%s", json_string_value(src));
		}
		json_decref(o);
	}
}

/* Returns the "logging" facts; never NULL. */
static json_t *
logging_collect(struct collector_ctx *ctx)
{
	json_t	*facts = json_object(), *syslog = json_array();
	json_t	*methods = json_array(), *fw = json_object();
	json_t	*var_log = json_array(), *d;
	size_t	 i;

	json_object_set_new(facts, "journald", log_journald(ctx));
	json_array_append_new(syslog, log_syslog_daemon(ctx, "rsyslog",
	    "rsyslog.service", "/etc/rsyslog.conf", log_rsyslog_file,
	    methods));
	json_array_append_new(syslog, log_syslog_daemon(ctx, "syslog-ng",
	    "syslog-ng.service", "/etc/syslog-ng/syslog-ng.conf",
	    log_syslogng_file, methods));
	/* Enabled syslog daemons that keep logs on disk. */
	json_array_foreach(syslog, i, d) {
		if (json_is_true(json_object_get(d, "enabled")) &&
		    json_is_true(json_object_get(d, "writes_var_log")))
			json_array_append(var_log, json_object_get(d, "name"));
	}
	fact_set_int(facts, "syslog_var_log_count", json_array_size(var_log));
	json_object_set_new(facts, "syslog_var_log", var_log);
	json_object_set_new(facts, "syslog", syslog);
	json_object_set_new(facts, "auditd", log_auditd(ctx, methods));
	log_forwarders(ctx, fw, methods);
	fact_set_bool(fw, "configured", json_array_size(methods) > 0);
	fact_set_int(fw, "methods_count", json_array_size(methods));
	json_object_set_new(fw, "methods", methods);
	json_object_set_new(facts, "forwarding", fw);
	return (facts);
}

const struct collector collector_logging = {
	.name = "logging",
	.collect = logging_collect,
};
