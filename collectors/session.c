/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Idle timeouts of text sessions: the shell's TMOUT as set by the
 * system-wide startup files, and the OpenSSH server's
 * ClientAliveInterval x ClientAliveCountMax (read through sshdconf.c).
 *
 * The startup files are read in the order a Debian login shell runs
 * them: /etc/profile, /etc/bash.bashrc (sourced by /etc/profile for
 * bash), then /etc/profile.d/[*].sh in glob order.  Statements are
 * recognised, not executed: plain assignments, export, readonly,
 * declare/typeset with -r/-x, unset.  Once TMOUT is readonly a later
 * assignment fails in the shell, so it is ignored here too.  Conditions
 * around a statement (if/case) are not evaluated.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "facts.h"
#include "sshdconf.h"
#include "util.h"
#include "xmalloc.h"

#define SESSION_PROFILE_D	"/etc/profile.d"
#define SESSION_MAXWORDS	64	/* words per shell statement */

struct tmout {
	int	 set;
	char	*value;		/* as written, quotes removed */
	char	*source;	/* file:line of the value */
	int	 readonly;
	int	 exported;
	json_t	*settings;	/* every statement touching TMOUT */
};

/* Records one statement in the settings list. */
static void
session_note(struct tmout *t, const char *where, const char *what)
{
	json_t	*o = json_object();

	fact_set_str(o, "name", where);
	fact_set_str(o, "statement", what);
	json_array_append_new(t->settings, o);
}

/* Applies "TMOUT" or "TMOUT=value" with attributes. */
static void
session_apply(struct tmout *t, const char *word, int ro, int ex,
    int unset, const char *where)
{
	const char	*eq;
	char		*v, *o;
	char		 q = '\0';

	if (unset) {
		session_note(t, where, "unset TMOUT");
		if (!t->readonly) {
			t->set = 0;
			free(t->value);
			t->value = NULL;
			free(t->source);
			t->source = xstrdup(where);
		}
		return;
	}
	if ((eq = strchr(word, '=')) != NULL) {
		/* Strip one level of quotes. */
		v = o = xstrdup(eq + 1);
		for (eq = eq + 1; *eq != '\0'; eq++) {
			if (q == '\0' && (*eq == '"' || *eq == '\''))
				q = *eq;
			else if (q != '\0' && *eq == q)
				q = '\0';
			else
				*o++ = *eq;
		}
		*o = '\0';
		session_note(t, where, word);
		if (t->readonly)
			free(v);	/* "readonly variable" at run time */
		else {
			free(t->value);
			t->value = v;
			t->set = 1;
			free(t->source);
			t->source = xstrdup(where);
		}
	} else if (ro || ex)
		session_note(t, where, ro ? "readonly TMOUT" : "export TMOUT");
	if (ro)
		t->readonly = 1;
	if (ex)
		t->exported = 1;
}

/* Whether a word names TMOUT, alone or in an assignment. */
static int
session_is_tmout(const char *w)
{
	return (strcmp(w, "TMOUT") == 0 || str_startswith(w, "TMOUT="));
}

/* Handles one simple command (words already split). */
static void
session_statement(struct tmout *t, char **w, int n, const char *where)
{
	int	 i = 0, ro = 0, ex = 0, unset = 0, k;

	/* Shell keywords that may precede a command. */
	while (i < n && (strcmp(w[i], "then") == 0 ||
	    strcmp(w[i], "else") == 0 || strcmp(w[i], "do") == 0 ||
	    strcmp(w[i], "{") == 0 || strcmp(w[i], "(") == 0))
		i++;
	if (i == n)
		return;
	if (strcmp(w[i], "readonly") == 0 || strcmp(w[i], "export") == 0 ||
	    strcmp(w[i], "declare") == 0 || strcmp(w[i], "typeset") == 0 ||
	    strcmp(w[i], "unset") == 0) {
		if (w[i][0] == 'r')
			ro = 1;
		else if (w[i][0] == 'e')
			ex = 1;
		else if (w[i][0] == 'u')
			unset = 1;
		for (i++; i < n && w[i][0] == '-'; i++) {
			if (unset)
				continue;
			for (k = 1; w[i][k] != '\0'; k++) {
				if (w[i][k] == 'r')
					ro = 1;
				else if (w[i][k] == 'x')
					ex = 1;
			}
		}
		for (; i < n; i++) {
			if (session_is_tmout(w[i]))
				session_apply(t, w[i], ro, ex, unset, where);
		}
		return;
	}
	/* Assignments only; "TMOUT=1 cmd" sets it for cmd alone. */
	for (k = i; k < n; k++) {
		if (strchr(w[k], '=') == NULL || w[k][0] == '=')
			return;
	}
	for (; i < n; i++) {
		if (str_startswith(w[i], "TMOUT="))
			session_apply(t, w[i], 0, 0, 0, where);
	}
}

/*
 * Splits a line into simple commands at ; & | and newlines outside
 * quotes, and each into words; a word starting with '#' ends the line.
 */
static void
session_line(struct tmout *t, char *line, const char *where)
{
	char	*w[SESSION_MAXWORDS], *p = line;
	char	 q = '\0';
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#') {
			session_statement(t, w, n, where);
			return;
		}
		if (*p == ';' || *p == '&' || *p == '|') {
			*p++ = '\0';
			session_statement(t, w, n, where);
			n = 0;
			continue;
		}
		if (n == SESSION_MAXWORDS)
			return;
		w[n++] = p;
		for (; *p != '\0'; p++) {
			if (q != '\0') {
				if (*p == q)
					q = '\0';
				continue;
			}
			if (*p == '"' || *p == '\'')
				q = *p;
			else if (*p == ' ' || *p == '\t' || *p == ';' ||
			    *p == '&' || *p == '|')
				break;
		}
		if (*p == ' ' || *p == '\t')
			*p++ = '\0';
		else if (*p != '\0') {
			/* A separator right after the word. */
			*p++ = '\0';
			session_statement(t, w, n, where);
			n = 0;
		}
	}
}

/* Reads one startup file; a missing file is skipped. */
static int
session_file(struct collector_ctx *ctx, struct tmout *t, json_t *obj,
    const char *path, char **cause)
{
	char	*buf, *cursor, *line, *where;
	u_int	 lineno = 0;

	if (!root_exists(ctx->root, path))
		return (0);
	if (root_read_file(ctx->root, path, &buf, NULL, cause) != 0)
		return (-1);
	fact_source(obj, "%s", path);
	cursor = buf;
	while ((line = str_nextline(&cursor)) != NULL) {
		lineno++;
		if (strstr(line, "TMOUT") == NULL)
			continue;
		xasprintf(&where, "%s:%u", path, lineno);
		session_line(t, line, where);
		free(where);
	}
	free(buf);
	return (0);
}

/* The "tmout" object. */
static json_t *
session_tmout(struct collector_ctx *ctx)
{
	struct tmout	 t;
	json_t		*obj = json_object();
	char		**names, *cause = NULL, *path;
	const char	*e;
	size_t		 i;
	int		 r = 0;
	long long	 v;

	memset(&t, 0, sizeof t);
	t.settings = json_array();
	if (session_file(ctx, &t, obj, "/etc/profile", &cause) != 0 ||
	    session_file(ctx, &t, obj, "/etc/bash.bashrc", &cause) != 0)
		r = -1;
	if (r == 0 && root_exists(ctx->root, SESSION_PROFILE_D)) {
		if ((names = root_list_dir(ctx->root, SESSION_PROFILE_D,
		    &cause)) == NULL)
			r = -1;
		for (i = 0; r == 0 && names[i] != NULL; i++) {
			if (!str_endswith(names[i], ".sh"))
				continue;
			xasprintf(&path, "%s/%s", SESSION_PROFILE_D, names[i]);
			r = session_file(ctx, &t, obj, path, &cause);
			free(path);
		}
		strv_free(names);
	}
	json_object_set_new(obj, "settings", t.settings);
	if (r != 0) {
		fact_error(obj, "%s", cause);
		free(cause);
		goto out;
	}
	fact_set_bool(obj, "set", t.set);
	fact_set_bool(obj, "readonly", t.readonly);
	fact_set_bool(obj, "exported", t.exported);
	if (t.source != NULL)
		fact_set_str(obj, "source", t.source);
	if (!t.set) {
		/* Unset and 0 both mean no timeout. */
		fact_set_int(obj, "value_s", 0);
		goto out;
	}
	errno = 0;
	v = strtoll(t.value, (char **)&e, 10);
	if (*t.value == '\0' || *e != '\0' || errno != 0 || v < 0) {
		fact_error(obj, "%s: TMOUT value \"%s\" is not a number of "
		    "seconds", t.source, t.value);
		goto out;
	}
	fact_set_int(obj, "value_s", v);
out:
	free(t.value);
	free(t.source);
	return (obj);
}

/* The "ssh" object: keepalive-based cutoff of unresponsive sessions. */
static json_t *
session_ssh(struct collector_ctx *ctx)
{
	struct sshdconf	 conf;
	json_t		*obj = json_object();
	const char	*iv, *cm, *isrc, *csrc;
	char		*cause = NULL, *end;
	int64_t		 interval;
	long long	 count;
	size_t		 i;

	fact_source(obj, "%s", SSHDCONF_PATH);
	if (!root_exists(ctx->root, SSHDCONF_PATH)) {
		if (root_exists(ctx->root, "/usr/sbin/sshd"))
			return (fact_error(obj, "open %s: %s", SSHDCONF_PATH,
			    strerror(ENOENT)));
		/* No ssh sessions to cut: only TMOUT can count. */
		fact_set_bool(obj, "installed", 0);
		fact_set_int(obj, "idle_cutoff_s", 0);
		return (obj);
	}
	if (sshdconf_read(ctx->root, &conf, &cause) != 0) {
		fact_error(obj, "%s", cause);
		free(cause);
		return (obj);
	}
	fact_set_bool(obj, "installed", 1);
	for (i = 0; i < conf.nfiles; i++)
		fact_source(obj, "%s", conf.files[i]);
	iv = sshdconf_get(&conf, "clientaliveinterval", &isrc);
	cm = sshdconf_get(&conf, "clientalivecountmax", &csrc);
	interval = sshdconf_time(iv);
	errno = 0;
	count = strtoll(cm, &end, 10);
	if (interval < 0) {
		fact_error(obj, "%s: bad ClientAliveInterval \"%s\"", isrc, iv);
		goto out;
	}
	if (*cm == '\0' || *end != '\0' || errno != 0 || count < 0) {
		fact_error(obj, "%s: bad ClientAliveCountMax \"%s\"", csrc, cm);
		goto out;
	}
	fact_set_int(obj, "client_alive_interval_s", interval);
	fact_set_int(obj, "client_alive_count_max", count);
	fact_set_str(obj, "client_alive_interval_source", isrc);
	fact_set_str(obj, "client_alive_count_max_source", csrc);
	/* An interval of 0 sends no probes; a count of 0 never disconnects. */
	fact_set_int(obj, "idle_cutoff_s",
	    interval == 0 || count == 0 ? 0 : interval * count);
out:
	sshdconf_clear(&conf);
	return (obj);
}

/* Collects the session facts; never NULL. */
static json_t *
session_collect(struct collector_ctx *ctx)
{
	json_t	*facts = json_object();

	json_object_set_new(facts, "tmout", session_tmout(ctx));
	json_object_set_new(facts, "ssh", session_ssh(ctx));
	return (facts);
}

const struct collector collector_session = {
	.name = "session",
	.collect = session_collect,
};
