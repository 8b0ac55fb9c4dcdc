/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * sudo privileges: /etc/sudoers and the files it includes, parsed the
 * way sudoers(5) describes them, so that a NOPASSWD grant hidden in a
 * drop-in file or behind an alias is found.
 *
 * Lines end at an unescaped newline; a trailing backslash continues
 * them.  '#' starts a comment, except "#include", "#includedir" and a
 * "#uid" in a user or runas list.  "@includedir" (and "#includedir")
 * reads every file of the directory in lexical order, skipping names
 * that contain a '.' or end in '~', as sudo does.  Aliases may be used
 * before they are defined, so rules are resolved once every file is read.
 * Tags (NOPASSWD: and the like) and the runas list carry on to the
 * following commands of the same rule until changed.
 *
 * sudoers is mode 0440 root: without root, the facts are an error.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "facts.h"
#include "util.h"
#include "xmalloc.h"

#define SUDO_INCLUDE_MAX	16	/* nesting depth; sudo itself allows 128 */
#define SUDO_ALIAS_DEPTH	16	/* alias-in-alias expansion depth */
#define SUDO_TIMESTAMP_DEFAULT	(15 * 60) /* seconds, sudoers(5) */

enum alias_kind { ALIAS_USER, ALIAS_RUNAS, ALIAS_HOST, ALIAS_CMND, ALIAS_NKINDS };
static const char *const alias_keys[ALIAS_NKINDS] = { "user", "runas", "host",
    "cmnd" };

struct strv {
	char	**v;
	size_t	  n;
};

struct alias {
	enum alias_kind	 kind;
	char		*name;
	struct strv	 items;
};

struct sudo_cmnd {
	char	*cmnd;
	char	*runas;
	int	 nopasswd;
};

struct sudo_rule {
	char		*where;		/* "/etc/sudoers.d/admins:3" */
	struct strv	 users;
	struct strv	 hosts;
	struct sudo_cmnd *cmnds;
	size_t		 ncmnds;
};

struct sudo_default {
	char		*where;
	char		 type;		/* '\0', ':', '@', '>' or '!' */
	struct strv	 binding;
	char		*setting;	/* "!authenticate", "logfile=/x" */
};

struct sudo_state {
	struct collector_ctx	*ctx;
	json_t			*obj;
	json_t			*files;
	json_t			*skipped;
	struct alias		*aliases;
	size_t			 naliases;
	struct sudo_rule	*rules;
	size_t			 nrules;
	struct sudo_default	*defaults;
	size_t			 ndefaults;
	char			*cause;
};

static const char *const sudo_tags[] = { "NOPASSWD", "PASSWD", "NOEXEC",
    "EXEC", "SETENV", "NOSETENV", "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT",
    "NOLOG_OUTPUT", "MAIL", "NOMAIL", "FOLLOW", "NOFOLLOW", "INTERCEPT",
    "NOINTERCEPT", NULL };
static const char *const sudo_digests[] = { "sha224", "sha256", "sha384",
    "sha512", NULL };
static const char *const sudo_options[] = { "ROLE", "TYPE", "CWD", "CHROOT",
    "NOTBEFORE", "NOTAFTER", "TIMEOUT", "APPARMOR_PROFILE", "PRIVS",
    "LIMITPRIVS", NULL };
static const char *const sudo_shells[] = { "sh", "bash", "dash", "zsh", "ksh",
    "mksh", "csh", "tcsh", "fish", "su", NULL };

static int	sudo_parse_file(struct sudo_state *, const char *, int);

static void
strv_add(struct strv *sv, const char *s, size_t len)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = xstrndup(s, len);
}

static void
strv_clear(struct strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof *sv);
}

static json_t *
strv_json(const struct strv *sv)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return (a);
}

static int
word_in(const char *w, size_t len, const char *const *list)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++) {
		if (strlen(list[i]) == len && strncmp(w, list[i], len) == 0)
			return (1);
	}
	return (0);
}

/*
 * Cuts the comment off a logical line, in place.  A '#' followed by a
 * digit after a list separator is a uid, not a comment.
 */
static void
sudo_strip_comment(char *s)
{
	char	*p, quote = '\0';

	for (p = s; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (quote != '\0') {
			if (*p == quote)
				quote = '\0';
			continue;
		}
		if (*p == '"') {
			quote = *p;
			continue;
		}
		if (*p != '#')
			continue;
		if (isdigit((unsigned char)p[1]) && p > s &&
		    strchr(" \t,(:=!", p[-1]) != NULL)
			continue;
		*p = '\0';
		return;
	}
}

/* Splits s at top-level sep (outside quotes, parentheses, escapes). */
static void
sudo_split(const char *s, char sep, struct strv *out)
{
	const char	*p, *start = s, *b, *e;
	int		 depth = 0;
	char		 quote = '\0';

	for (p = s;; p++) {
		if (*p != '\0' && *p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != '\0' && quote != '\0') {
			if (*p == quote)
				quote = '\0';
			continue;
		}
		if (*p == '"')
			quote = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if (*p == '\0' || (*p == sep && depth == 0)) {
			b = start;
			e = p;
			while (b < e && isspace((unsigned char)*b))
				b++;
			while (e > b && isspace((unsigned char)e[-1]))
				e--;
			if (e > b)
				strv_add(out, b, e - b);
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
}

/*
 * Finds the next ':' that separates host specifications in a rule: not
 * escaped, not in parentheses, not ending a tag ("NOPASSWD:") or a
 * digest ("sha256:").
 */
static char *
sudo_next_colon(char *s)
{
	char	*p, *w;
	int	 depth = 0;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if (*p != ':' || depth > 0)
			continue;
		for (w = p; w > s && (isalnum((unsigned char)w[-1]) ||
		    w[-1] == '_'); w--)
			;
		if (word_in(w, p - w, sudo_tags) ||
		    word_in(w, p - w, sudo_digests))
			continue;
		return (p);
	}
	return (NULL);
}

/* Parses "NAME = a, b : NAME2 = c" after an alias keyword. */
static void
sudo_parse_alias(struct sudo_state *st, enum alias_kind kind, char *s)
{
	char		*seg, *next, *eq;
	struct alias	*a;

	for (seg = s; seg != NULL; seg = next) {
		next = kind == ALIAS_CMND ? sudo_next_colon(seg) :
		    strchr(seg, ':');
		if (next != NULL)
			*next++ = '\0';
		if ((eq = strchr(seg, '=')) == NULL)
			continue;
		*eq = '\0';
		st->aliases = xreallocarray(st->aliases, st->naliases + 1,
		    sizeof *st->aliases);
		a = &st->aliases[st->naliases++];
		memset(a, 0, sizeof *a);
		a->kind = kind;
		a->name = xstrdup(str_trim(seg));
		sudo_split(eq + 1, ',', &a->items);
	}
}

/* Parses a Defaults line; word is the "Defaults..." token. */
static void
sudo_parse_defaults(struct sudo_state *st, const char *where, char *s)
{
	struct sudo_default	 d, *dp;
	struct strv		 settings;
	char			*p = s + strlen("Defaults"), *list;
	size_t			 i;

	memset(&d, 0, sizeof d);
	memset(&settings, 0, sizeof settings);
	if (*p == ':' || *p == '@' || *p == '>' || *p == '!') {
		d.type = *p++;
		list = p;
		/* The binding list ends at the first unescaped blank. */
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == ',' ) {
				p++;
				while (isspace((unsigned char)*p))
					p++;
				continue;
			}
			p++;
		}
		if (*p != '\0')
			*p++ = '\0';
		sudo_split(list, ',', &d.binding);
	}
	sudo_split(p, ',', &settings);
	for (i = 0; i < settings.n; i++) {
		st->defaults = xreallocarray(st->defaults, st->ndefaults + 1,
		    sizeof *st->defaults);
		dp = &st->defaults[st->ndefaults++];
		memset(dp, 0, sizeof *dp);
		dp->where = xstrdup(where);
		dp->type = d.type;
		dp->setting = xstrdup(settings.v[i]);
		if (d.binding.n > 0) {
			dp->binding.v = xreallocarray(NULL, d.binding.n,
			    sizeof *dp->binding.v);
			for (dp->binding.n = 0; dp->binding.n < d.binding.n;
			    dp->binding.n++)
				dp->binding.v[dp->binding.n] =
				    xstrdup(d.binding.v[dp->binding.n]);
		}
	}
	strv_clear(&settings);
	strv_clear(&d.binding);
}

/* Parses one Cmnd_Spec_List, carrying runas and NOPASSWD along. */
static void
sudo_parse_cmnds(struct sudo_rule *r, const char *list, char **runas,
    int *nopasswd)
{
	struct strv	 items;
	struct sudo_cmnd *c;
	char		*p, *e, *w;
	size_t		 i;

	memset(&items, 0, sizeof items);
	sudo_split(list, ',', &items);
	for (i = 0; i < items.n; i++) {
		p = items.v[i];
		if (*p == '(' && (e = strchr(p, ')')) != NULL) {
			free(*runas);
			*runas = xstrndup(p + 1, e - p - 1);
			p = e + 1;
		}
		for (;;) {
			while (isspace((unsigned char)*p))
				p++;
			for (w = p; isupper((unsigned char)*w) || *w == '_'; w++)
				;
			if (*w == ':' && word_in(p, w - p, sudo_tags)) {
				if (w - p == 8 && strncmp(p, "NOPASSWD", 8) == 0)
					*nopasswd = 1;
				else if (w - p == 6 && strncmp(p, "PASSWD", 6) == 0)
					*nopasswd = 0;
				p = w + 1;
			} else if (*w == '=' && word_in(p, w - p, sudo_options)) {
				p = w + strcspn(w, " \t");
			} else
				break;
		}
		if (*p == '\0')
			continue;
		r->cmnds = xreallocarray(r->cmnds, r->ncmnds + 1,
		    sizeof *r->cmnds);
		c = &r->cmnds[r->ncmnds++];
		c->cmnd = xstrdup(str_trim(p));
		c->runas = xstrdup(*runas != NULL ? *runas : "root");
		c->nopasswd = *nopasswd;
	}
	strv_clear(&items);
}

/* Parses a user specification: users hosts = cmnds [: hosts = cmnds]. */
static void
sudo_parse_userspec(struct sudo_state *st, const char *where, char *s)
{
	struct sudo_rule	 r;
	char			*p = s, *start, *seg, *next, *eq, *runas = NULL;
	int			 nopasswd = 0;

	memset(&r, 0, sizeof r);
	for (;;) {
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p) && *p != ',') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		if (p > start)
			strv_add(&r.users, start, p - start);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != ',')
			break;
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	for (seg = p; seg != NULL; seg = next) {
		if ((next = sudo_next_colon(seg)) != NULL)
			*next++ = '\0';
		if ((eq = strchr(seg, '=')) == NULL)
			continue;
		*eq = '\0';
		sudo_split(seg, ',', &r.hosts);
		sudo_parse_cmnds(&r, eq + 1, &runas, &nopasswd);
	}
	free(runas);
	if (r.users.n == 0 || r.ncmnds == 0) {
		strv_clear(&r.users);
		strv_clear(&r.hosts);
		free(r.cmnds);
		return;
	}
	r.where = xstrdup(where);
	st->rules = xreallocarray(st->rules, st->nrules + 1, sizeof *st->rules);
	st->rules[st->nrules++] = r;
}

/* Resolves an include path: relative paths are relative to the file. */
static char *
sudo_include_path(const char *file, const char *arg)
{
	char		*path;
	const char	*slash;

	if (*arg == '/')
		return (xstrdup(arg));
	slash = strrchr(file, '/');
	xasprintf(&path, "%.*s/%s", (int)(slash - file), file, arg);
	return (path);
}

/* Reads every file of an include directory that sudo would read. */
static int
sudo_parse_dir(struct sudo_state *st, const char *dir, int depth)
{
	char	**names, *path;
	size_t	  i;
	int	  r = 0;

	/* sudoers(5): a missing directory is ignored. */
	if ((names = root_list_dir(st->ctx->root, dir, NULL)) == NULL)
		return (0);
	for (i = 0; names[i] != NULL && r == 0; i++) {
		xasprintf(&path, "%s/%s", dir, names[i]);
		if (strchr(names[i], '.') != NULL ||
		    str_endswith(names[i], "~"))
			json_array_append_new(st->skipped, json_string(path));
		else
			r = sudo_parse_file(st, path, depth + 1);
		free(path);
	}
	strv_free(names);
	return (r);
}

/* Handles one logical line of a sudoers file. */
static int
sudo_parse_line(struct sudo_state *st, const char *file, int lineno,
    char *line, int depth)
{
	char		*p, *arg, *path, *where;
	size_t		 len;
	int		 r = 0;

	p = line + strspn(line, " \t");
	if ((*p == '@' || *p == '#') && str_startswith(p + 1, "include")) {
		arg = p + 1 + strlen("include");
		if (str_startswith(arg, "dir") && isspace((unsigned char)arg[3])) {
			path = sudo_include_path(file, str_trim(arg + 3));
			r = sudo_parse_dir(st, path, depth);
			free(path);
			return (r);
		}
		if (isspace((unsigned char)*arg)) {
			path = sudo_include_path(file, str_trim(arg));
			r = sudo_parse_file(st, path, depth + 1);
			free(path);
			return (r);
		}
	}
	sudo_strip_comment(p);
	p = str_trim(p);
	if (*p == '\0')
		return (0);
	xasprintf(&where, "%s:%d", file, lineno);
	len = strcspn(p, " \t");
	if (str_startswith(p, "Defaults") && (len == 8 ||
	    strchr(":@>!", p[8]) != NULL))
		sudo_parse_defaults(st, where, p);
	else if (len == 10 && strncmp(p, "User_Alias", len) == 0)
		sudo_parse_alias(st, ALIAS_USER, p + len);
	else if (len == 11 && strncmp(p, "Runas_Alias", len) == 0)
		sudo_parse_alias(st, ALIAS_RUNAS, p + len);
	else if (len == 10 && strncmp(p, "Host_Alias", len) == 0)
		sudo_parse_alias(st, ALIAS_HOST, p + len);
	else if ((len == 10 && strncmp(p, "Cmnd_Alias", len) == 0) ||
	    (len == 9 && strncmp(p, "Cmd_Alias", len) == 0))
		sudo_parse_alias(st, ALIAS_CMND, p + len);
	else
		sudo_parse_userspec(st, where, p);
	free(where);
	return (0);
}

/* Parses one sudoers file; returns -1 with st->cause set on failure. */
static int
sudo_parse_file(struct sudo_state *st, const char *file, int depth)
{
	char	*buf, *cur, *line, *acc = NULL, *tmp;
	size_t	 len;
	int	 lineno = 0, first = 0, r = 0;

	if (depth > SUDO_INCLUDE_MAX) {
		xasprintf(&st->cause, "%s: includes nested too deeply", file);
		return (-1);
	}
	if (root_read_file(st->ctx->root, file, &buf, NULL, &st->cause) == -1)
		return (-1);
	json_array_append_new(st->files, json_string(file));
	fact_source(st->obj, "%s", file);
	cur = buf;
	while (r == 0 && (line = str_nextline(&cur)) != NULL) {
		lineno++;
		len = strlen(line);
		if (acc == NULL) {
			acc = xstrdup(line);
			first = lineno;
		} else {
			xasprintf(&tmp, "%s %s", acc, line);
			free(acc);
			acc = tmp;
		}
		len = strlen(acc);
		if (len > 0 && acc[len - 1] == '\\' &&
		    (len < 2 || acc[len - 2] != '\\')) {
			acc[len - 1] = '\0';
			continue;
		}
		r = sudo_parse_line(st, file, first, acc, depth);
		free(acc);
		acc = NULL;
	}
	if (r == 0 && acc != NULL)
		r = sudo_parse_line(st, file, first, acc, depth);
	free(acc);
	free(buf);
	return (r);
}

static const struct alias *
sudo_alias_find(const struct sudo_state *st, enum alias_kind kind,
    const char *name)
{
	size_t	i;

	for (i = 0; i < st->naliases; i++) {
		if (st->aliases[i].kind == kind &&
		    strcmp(st->aliases[i].name, name) == 0)
			return (&st->aliases[i]);
	}
	return (NULL);
}

/* Adds the leaves of a user list (aliases expanded) to out. */
static void
sudo_expand(const struct sudo_state *st, enum alias_kind kind,
    const struct strv *in, struct strv *out, int depth)
{
	const struct alias	*a;
	size_t			 i;

	for (i = 0; i < in->n; i++) {
		if (depth < SUDO_ALIAS_DEPTH &&
		    (a = sudo_alias_find(st, kind, in->v[i])) != NULL)
			sudo_expand(st, kind, &a->items, out, depth + 1);
		else
			strv_add(out, in->v[i], strlen(in->v[i]));
	}
}

/* Whether a command (or Cmnd_Alias) grants every command. */
static int
sudo_cmnd_all(const struct sudo_state *st, const char *c, int depth)
{
	const struct alias	*a;
	size_t			 i;

	if (*c == '!')
		return (0);
	if (strcmp(c, "ALL") == 0)
		return (1);
	if (depth < SUDO_ALIAS_DEPTH &&
	    (a = sudo_alias_find(st, ALIAS_CMND, c)) != NULL) {
		for (i = 0; i < a->items.n; i++) {
			if (sudo_cmnd_all(st, a->items.v[i], depth + 1))
				return (1);
		}
	}
	return (0);
}

/* Whether a command (or Cmnd_Alias) runs a shell, i.e. anything. */
static int
sudo_cmnd_shell(const struct sudo_state *st, const char *c, int depth)
{
	const struct alias	*a;
	const char		*base, *end;
	size_t			 i;

	if (*c == '!')
		return (0);
	if (depth < SUDO_ALIAS_DEPTH &&
	    (a = sudo_alias_find(st, ALIAS_CMND, c)) != NULL) {
		for (i = 0; i < a->items.n; i++) {
			if (sudo_cmnd_shell(st, a->items.v[i], depth + 1))
				return (1);
		}
		return (0);
	}
	if (*c != '/')
		return (0);
	end = c + strcspn(c, " \t");
	for (base = end; base > c && base[-1] != '/'; base--)
		;
	return (word_in(base, end - base, sudo_shells));
}

/* Whether two expanded lists share an entry (ALL matches anything). */
static int
strv_meet(const struct strv *a, const struct strv *b)
{
	size_t	i, j;

	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i], "ALL") == 0)
			return (1);
		for (j = 0; j < b->n; j++) {
			if (strcmp(b->v[j], "ALL") == 0 ||
			    strcmp(a->v[i], b->v[j]) == 0)
				return (1);
		}
	}
	return (0);
}

/*
 * Whether "Defaults... !authenticate" applies to a rule.  Host and runas
 * bindings are taken to apply (they may); user and command bindings
 * must match the rule.  The last authenticate setting wins.
 */
static int
sudo_rule_noauth(const struct sudo_state *st, const struct sudo_rule *r,
    const struct strv *users, const char *cmnd)
{
	const struct sudo_default	*d;
	struct strv			 b, c;
	size_t				 i;
	int				 noauth = 0, applies;

	for (i = 0; i < st->ndefaults; i++) {
		d = &st->defaults[i];
		if (strcmp(d->setting, "!authenticate") != 0 &&
		    strcmp(d->setting, "authenticate") != 0)
			continue;
		memset(&b, 0, sizeof b);
		applies = 1;
		if (d->type == ':') {
			sudo_expand(st, ALIAS_USER, &d->binding, &b, 0);
			applies = strv_meet(&b, users);
		} else if (d->type == '!') {
			memset(&c, 0, sizeof c);
			strv_add(&c, cmnd, strlen(cmnd));
			sudo_expand(st, ALIAS_CMND, &d->binding, &b, 0);
			applies = strv_meet(&b, &c);
			strv_clear(&c);
		}
		strv_clear(&b);
		if (applies)
			noauth = d->setting[0] == '!';
	}
	(void)r;
	return (noauth);
}

/* Builds the rules array with what each rule grants. */
static json_t *
sudo_rules_json(const struct sudo_state *st)
{
	const struct sudo_rule	*r;
	json_t			*rules, *o, *cmnds, *runas;
	struct strv		 users;
	size_t			 i, j;
	int			 all, shell, nopasswd, nopasswd_all, noauth;
	int			 root_only;

	rules = json_array();
	for (i = 0; i < st->nrules; i++) {
		r = &st->rules[i];
		memset(&users, 0, sizeof users);
		sudo_expand(st, ALIAS_USER, &r->users, &users, 0);
		root_only = users.n > 0;
		for (j = 0; j < users.n; j++) {
			if (strcmp(users.v[j], "root") != 0 &&
			    strcmp(users.v[j], "#0") != 0)
				root_only = 0;
		}
		all = shell = nopasswd = nopasswd_all = 0;
		cmnds = json_array();
		runas = json_array();
		for (j = 0; j < r->ncmnds; j++) {
			int	a, s;

			json_array_append_new(cmnds,
			    json_string(r->cmnds[j].cmnd));
			if (j == 0 || strcmp(r->cmnds[j].runas,
			    r->cmnds[j - 1].runas) != 0)
				json_array_append_new(runas,
				    json_string(r->cmnds[j].runas));
			a = sudo_cmnd_all(st, r->cmnds[j].cmnd, 0);
			s = sudo_cmnd_shell(st, r->cmnds[j].cmnd, 0);
			noauth = r->cmnds[j].nopasswd ||
			    sudo_rule_noauth(st, r, &users, r->cmnds[j].cmnd);
			all |= a;
			shell |= s;
			nopasswd |= noauth;
			if (noauth && (a || s))
				nopasswd_all = 1;
		}
		o = json_object();
		fact_set_str(o, "name", r->where);
		json_object_set_new(o, "users", strv_json(&r->users));
		json_object_set_new(o, "users_expanded", strv_json(&users));
		json_object_set_new(o, "hosts", strv_json(&r->hosts));
		json_object_set_new(o, "runas", runas);
		json_object_set_new(o, "commands", cmnds);
		fact_set_bool(o, "nopasswd", nopasswd);
		fact_set_bool(o, "all_commands", all);
		fact_set_bool(o, "grants_shell", shell);
		fact_set_bool(o, "nopasswd_all", nopasswd_all);
		fact_set_bool(o, "root_only", root_only);
		json_array_append_new(rules, o);
		strv_clear(&users);
	}
	return (rules);
}

/* Global Defaults in force: authentication, logging, pty, timeout. */
static json_t *
sudo_settings_json(const struct sudo_state *st)
{
	json_t		*o, *defs, *d;
	const char	*s, *v;
	char		*logfile = NULL, *val, type[2];
	size_t		 i, len;
	int		 authenticate = 1, use_pty = 0, syslog = 1, log_output = 0;
	int64_t		 timeout = SUDO_TIMESTAMP_DEFAULT;
	double		 minutes;

	defs = json_array();
	for (i = 0; i < st->ndefaults; i++) {
		s = st->defaults[i].setting;
		d = json_object();
		fact_set_str(d, "name", st->defaults[i].where);
		type[0] = st->defaults[i].type;
		type[1] = '\0';
		fact_set_str(d, "binding_type", type);
		json_object_set_new(d, "binding",
		    strv_json(&st->defaults[i].binding));
		fact_set_str(d, "setting", s);
		json_array_append_new(defs, d);
		if (st->defaults[i].type != '\0')
			continue;
		len = strcspn(s, "+-=");
		v = s[len] == '=' ? s + len + 1 : NULL;
		val = v != NULL ? xstrdup(v) : NULL;
		if (val != NULL && val[0] == '"' && strlen(val) >= 2 &&
		    val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			memmove(val, val + 1, strlen(val));
		}
		if (strcmp(s, "authenticate") == 0)
			authenticate = 1;
		else if (strcmp(s, "!authenticate") == 0)
			authenticate = 0;
		else if (strcmp(s, "use_pty") == 0)
			use_pty = 1;
		else if (strcmp(s, "!use_pty") == 0)
			use_pty = 0;
		else if (strcmp(s, "!syslog") == 0)
			syslog = 0;
		else if (strncmp(s, "syslog", len) == 0 && len == 6 &&
		    val != NULL)
			syslog = 1;
		else if (strcmp(s, "log_output") == 0)
			log_output = 1;
		else if (strcmp(s, "!log_output") == 0)
			log_output = 0;
		else if (strcmp(s, "!logfile") == 0) {
			free(logfile);
			logfile = NULL;
		} else if (len == 7 && strncmp(s, "logfile", 7) == 0 &&
		    val != NULL) {
			free(logfile);
			logfile = xstrdup(val);
		} else if (len == 17 && strncmp(s, "timestamp_timeout", 17) == 0 &&
		    val != NULL) {
			minutes = strtod(val, NULL);
			timeout = minutes < 0 ? -1 : (int64_t)(minutes * 60);
		}
		free(val);
	}
	o = json_object();
	fact_set_bool(o, "authenticate", authenticate);
	fact_set_bool(o, "use_pty", use_pty);
	fact_set_bool(o, "syslog", syslog);
	fact_set_bool(o, "log_output", log_output);
	if (logfile != NULL)
		fact_set_str(o, "logfile", logfile);
	else
		json_object_set_new(o, "logfile", json_null());
	/* sudo logs through syslog (journald on Debian) unless !syslog. */
	fact_set_bool(o, "logged", syslog || logfile != NULL);
	fact_set_int(o, "timestamp_timeout_s", timeout);
	free(logfile);
	json_object_set_new((json_t *)st->obj, "defaults", defs);
	return (o);
}

static void
sudo_state_clear(struct sudo_state *st)
{
	size_t	i, j;

	for (i = 0; i < st->naliases; i++) {
		free(st->aliases[i].name);
		strv_clear(&st->aliases[i].items);
	}
	free(st->aliases);
	for (i = 0; i < st->nrules; i++) {
		free(st->rules[i].where);
		strv_clear(&st->rules[i].users);
		strv_clear(&st->rules[i].hosts);
		for (j = 0; j < st->rules[i].ncmnds; j++) {
			free(st->rules[i].cmnds[j].cmnd);
			free(st->rules[i].cmnds[j].runas);
		}
		free(st->rules[i].cmnds);
	}
	free(st->rules);
	for (i = 0; i < st->ndefaults; i++) {
		free(st->defaults[i].where);
		free(st->defaults[i].setting);
		strv_clear(&st->defaults[i].binding);
	}
	free(st->defaults);
	free(st->cause);
}

/*
 * Collects {files, skipped, settings, defaults, aliases, rules}; "_na"
 * when sudo is not installed, "_error" naming the file that could not
 * be read.
 */
static json_t *
sudo_collect(struct collector_ctx *ctx)
{
	struct sudo_state	 st;
	json_t			*obj, *aliases, *kinds[ALIAS_NKINDS];
	size_t			 i;
	int			 k;

	obj = json_object();
	if (!root_exists(ctx->root, "/etc/sudoers") &&
	    !root_exists(ctx->root, "/usr/bin/sudo"))
		return (fact_na_ja(fact_na(obj, "sudo is not installed (no "
		    "/etc/sudoers or /usr/bin/sudo)"), "sudo がインストールされて"
		    "いない(/etc/sudoers も /usr/bin/sudo もない)"));
	memset(&st, 0, sizeof st);
	st.ctx = ctx;
	st.obj = obj;
	st.files = json_array();
	st.skipped = json_array();
	json_object_set_new(obj, "files", st.files);
	json_object_set_new(obj, "skipped", st.skipped);
	if (sudo_parse_file(&st, "/etc/sudoers", 0) == -1) {
		json_decref(obj);
		obj = fact_error_take(st.cause);
		st.cause = NULL;
		sudo_state_clear(&st);
		return (obj);
	}
	json_object_set_new(obj, "settings", sudo_settings_json(&st));
	aliases = json_object();
	for (k = 0; k < ALIAS_NKINDS; k++) {
		kinds[k] = json_object();
		json_object_set_new(aliases, alias_keys[k], kinds[k]);
	}
	for (i = 0; i < st.naliases; i++)
		json_object_set_new(kinds[st.aliases[i].kind],
		    st.aliases[i].name, strv_json(&st.aliases[i].items));
	json_object_set_new(obj, "aliases", aliases);
	json_object_set_new(obj, "rules", sudo_rules_json(&st));
	sudo_state_clear(&st);
	return (obj);
}

const struct collector collector_sudo = {
	.name = "sudo",
	.flags = COLLECTOR_NEEDS_ROOT,
	.collect = sudo_collect,
};
