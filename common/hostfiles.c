/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * os-release, passwd and login.defs readers.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hostfiles.h"
#include "util.h"
#include "xmalloc.h"

/* Unquotes an os-release value in place (shell-like quoting). */
static char *
osr_unquote(char *v)
{
	size_t	len = strlen(v);
	char	*r, *w;

	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		v[len - 1] = '\0';
		v++;
	}
	for (r = w = v; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0')
			r++;
		*w++ = *r;
	}
	*w = '\0';
	return (v);
}

int
os_release_read(const char *root, struct os_release *osr, char **cause)
{
	static const char *const paths[] = { "/etc/os-release",
	    "/usr/lib/os-release", NULL };
	char	*buf = NULL, *cur, *line, *eq, *val, *first = NULL, *c;
	size_t	 i;

	memset(osr, 0, sizeof *osr);
	for (i = 0; paths[i] != NULL; i++) {
		c = NULL;
		if (root_read_file(root, paths[i], &buf, NULL, &c) == 0)
			break;
		if (first == NULL)
			first = c;
		else
			free(c);
	}
	if (paths[i] == NULL) {
		if (cause != NULL)
			*cause = first;
		else
			free(first);
		return (-1);
	}
	free(first);
	osr->source = xstrdup(paths[i]);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		val = xstrdup(osr_unquote(eq + 1));
		if (strcmp(line, "ID") == 0 && osr->id == NULL)
			osr->id = val;
		else if (strcmp(line, "ID_LIKE") == 0 && osr->id_like == NULL)
			osr->id_like = val;
		else if (strcmp(line, "NAME") == 0 && osr->name == NULL)
			osr->name = val;
		else if (strcmp(line, "PRETTY_NAME") == 0 &&
		    osr->pretty_name == NULL)
			osr->pretty_name = val;
		else if (strcmp(line, "VERSION_ID") == 0 &&
		    osr->version_id == NULL)
			osr->version_id = val;
		else if (strcmp(line, "VERSION_CODENAME") == 0 &&
		    osr->codename == NULL)
			osr->codename = val;
		else
			free(val);
	}
	free(buf);
	return (0);
}

void
os_release_clear(struct os_release *osr)
{
	free(osr->id);
	free(osr->id_like);
	free(osr->name);
	free(osr->pretty_name);
	free(osr->version_id);
	free(osr->codename);
	free(osr->source);
	memset(osr, 0, sizeof *osr);
}

int
shell_is_nologin(const char *shell)
{
	const char	*base;

	if (shell == NULL || *shell == '\0')
		return (0);	/* empty shell means /bin/sh */
	base = strrchr(shell, '/');
	base = base != NULL ? base + 1 : shell;
	return (strcmp(base, "nologin") == 0 || strcmp(base, "false") == 0 ||
	    strcmp(base, "true") == 0 || strcmp(base, "sync") == 0 ||
	    strcmp(base, "halt") == 0 || strcmp(base, "shutdown") == 0);
}

char *
keyvalue_get(const char *buf, const char *key)
{
	const char	*p = buf, *e, *v;
	size_t		 klen = strlen(key);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, klen) == 0 &&
		    (p[klen] == ' ' || p[klen] == '\t' || p[klen] == '=')) {
			v = p + klen;
			while (*v == ' ' || *v == '\t' || *v == '=')
				v++;
			e = v;
			while (*e != '\0' && *e != '\n' && *e != '#')
				e++;
			while (e > v && isspace((unsigned char)e[-1]))
				e--;
			return (xstrndup(v, e - v));
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return (NULL);
}

int
passwd_read(const char *root, struct passwd_list *pl, char **cause)
{
	char		*buf, *cur, *line, *f[7], *defs, *v;
	size_t		 i;
	struct passwd_entry *pe;

	memset(pl, 0, sizeof *pl);
	pl->uid_min = 1000;
	pl->uid_max = 60000;
	if (root_read_file(root, "/etc/login.defs", &defs, NULL, NULL) == 0) {
		if ((v = keyvalue_get(defs, "UID_MIN")) != NULL)
			pl->uid_min = strtoul(v, NULL, 10);
		free(v);
		if ((v = keyvalue_get(defs, "UID_MAX")) != NULL)
			pl->uid_max = strtoul(v, NULL, 10);
		free(v);
		free(defs);
	}
	if (root_read_file(root, "/etc/passwd", &buf, NULL, cause) == -1)
		return (-1);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if (*line == '#' || *line == '\0' || *line == '+' ||
		    *line == '-')
			continue;
		for (i = 0; i < 7; i++) {
			f[i] = strsep(&line, ":");
			if (f[i] == NULL)
				break;
		}
		if (i < 7 || f[0][0] == '\0')
			continue;
		pl->v = xreallocarray(pl->v, pl->n + 1, sizeof *pl->v);
		pe = &pl->v[pl->n++];
		pe->name = xstrdup(f[0]);
		pe->uid = strtoul(f[2], NULL, 10);
		pe->gid = strtoul(f[3], NULL, 10);
		pe->home = xstrdup(f[5]);
		pe->shell = xstrdup(f[6]);
		pe->interactive = !shell_is_nologin(pe->shell) &&
		    (pe->uid == 0 || (pe->uid >= pl->uid_min &&
		    pe->uid <= pl->uid_max));
	}
	free(buf);
	return (0);
}

void
passwd_clear(struct passwd_list *pl)
{
	size_t	i;

	for (i = 0; i < pl->n; i++) {
		free(pl->v[i].name);
		free(pl->v[i].home);
		free(pl->v[i].shell);
	}
	free(pl->v);
	memset(pl, 0, sizeof *pl);
}
