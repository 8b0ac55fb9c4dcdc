/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * sshd_config(5) reader following OpenSSH 9.2p1 servconf.c:
 *
 *  - keywords are case-insensitive; "Key value", "Key=value" and
 *    "Key = value"; arguments may be quoted; a word starting with '#'
 *    ends the line;
 *  - the first value obtained for a keyword wins, except for the few
 *    keywords that accumulate (HostKey, Port, AcceptEnv, ...);
 *  - "Include" takes globs, relative to /etc/ssh, expanded in glob(3)
 *    order and read at the point of the Include; an included file starts
 *    in the Match context of the Include line and a Match inside it ends
 *    at its end;
 *  - Match blocks only apply to matching connections, so they are kept
 *    apart and never change the global values (what "sshd -T" prints
 *    without -C).
 *
 * OpenSSH stops at 16 levels of Include; this reader also names an
 * Include loop, with the file and line that closes it.  The defaults
 * are those printed by "sshd -T" of Debian 12 openssh-server
 * 1:9.2p1-2+deb12u10 with an empty configuration.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshdconf.h"
#include "util.h"
#include "xmalloc.h"

#define SSHDCONF_MAXARGS	256	/* arguments per line */

/* Compiled defaults; ENUM values are compared case-insensitively. */
#define D_ENUM	0x1
#define D_LIST	0x2	/* algorithm list: accepts +, - and ^ */
#define D_TIME	0x4	/* a time: printed in seconds, as sshd -T does */
static const struct sshdconf_default {
	const char	*key;
	const char	*value;
	int		 flags;
} sshdconf_defaults[] = {
	{ "permitrootlogin", "prohibit-password", D_ENUM },
	{ "passwordauthentication", "yes", D_ENUM },
	{ "kbdinteractiveauthentication", "yes", D_ENUM },
	{ "permitemptypasswords", "no", D_ENUM },
	{ "pubkeyauthentication", "yes", D_ENUM },
	{ "hostbasedauthentication", "no", D_ENUM },
	{ "ignorerhosts", "yes", D_ENUM },
	{ "kerberosauthentication", "no", D_ENUM },
	{ "gssapiauthentication", "no", D_ENUM },
	{ "usepam", "no", D_ENUM },
	{ "authenticationmethods", "any", 0 },
	{ "maxauthtries", "6", 0 },
	{ "maxsessions", "10", 0 },
	{ "logingracetime", "120", D_TIME },
	{ "clientaliveinterval", "0", D_TIME },
	{ "clientalivecountmax", "3", 0 },
	{ "x11forwarding", "no", D_ENUM },
	{ "allowtcpforwarding", "yes", D_ENUM },
	{ "allowagentforwarding", "yes", D_ENUM },
	{ "permittunnel", "no", D_ENUM },
	{ "permituserenvironment", "no", D_ENUM },
	{ "gatewayports", "no", D_ENUM },
	{ "strictmodes", "yes", D_ENUM },
	{ "loglevel", "INFO", 0 },
	{ "banner", "none", 0 },
	{ "ciphers", "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,"
	    "aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	    D_LIST },
	{ "macs", "umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	    "hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
	    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
	    D_LIST },
	{ "kexalgorithms", "sntrup761x25519-sha512,"
	    "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
	    "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
	    "ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	    "diffie-hellman-group-exchange-sha256,"
	    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	    "diffie-hellman-group14-sha256", D_LIST },
	{ "hostkeyalgorithms", "ssh-ed25519-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
	    "sk-ssh-ed25519-cert-v01@openssh.com,"
	    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
	    "rsa-sha2-512-cert-v01@openssh.com,"
	    "rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,"
	    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	    "sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"
	    "rsa-sha2-512,rsa-sha2-256", D_LIST },
	{ "pubkeyacceptedalgorithms", "ssh-ed25519-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
	    "sk-ssh-ed25519-cert-v01@openssh.com,"
	    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
	    "rsa-sha2-512-cert-v01@openssh.com,"
	    "rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,"
	    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	    "sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"
	    "rsa-sha2-512,rsa-sha2-256", D_LIST },
};

/* Old names that servconf.c maps to the current keyword. */
static const struct {
	const char	*alias;
	const char	*key;
} sshdconf_aliases[] = {
	{ "challengeresponseauthentication", "kbdinteractiveauthentication" },
	{ "pubkeyacceptedkeytypes", "pubkeyacceptedalgorithms" },
	{ "hostbasedacceptedkeytypes", "hostbasedacceptedalgorithms" },
};

/* Keywords whose every occurrence adds to the value. */
static const char *sshdconf_multi[] = {
	"hostkey", "hostcertificate", "port", "listenaddress", "acceptenv",
	"setenv", "allowusers", "denyusers", "allowgroups", "denygroups",
	"subsystem", "logverbose",
};

struct parser {
	const char		*root;
	struct sshdconf		*conf;
	const char		*stack[SSHDCONF_DEPTH + 2];	/* open files */
	int			 depth;
};

static int	sshdconf_file(struct parser *, const char *, int, ssize_t,
		    char **);

/* The default entry of a keyword, or NULL. */
static const struct sshdconf_default *
sshdconf_default(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof sshdconf_defaults / sizeof *sshdconf_defaults;
	    i++) {
		if (strcmp(sshdconf_defaults[i].key, key) == 0)
			return (&sshdconf_defaults[i]);
	}
	return (NULL);
}

static int
sshdconf_is_multi(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof sshdconf_multi / sizeof *sshdconf_multi; i++) {
		if (strcmp(sshdconf_multi[i], key) == 0)
			return (1);
	}
	return (0);
}

static void
sshdconf_warn(struct sshdconf *conf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records something sshd itself would reject or that was skipped. */
static void
sshdconf_warn(struct sshdconf *conf, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	conf->warnings = xreallocarray(conf->warnings, conf->nwarnings + 1,
	    sizeof *conf->warnings);
	conf->warnings[conf->nwarnings++] = s;
}

/*
 * Splits the arguments of a line in place like argv_split() with
 * terminate_on_comment: whitespace separates, single and double quotes
 * group, a backslash escapes a quote, a backslash or a space, and a word
 * starting with '#' ends the line.  Returns the count, or -1 on an
 * unterminated quote.
 */
static int
sshdconf_split(char *s, char **argv, int max)
{
	char	*out, quote;
	int	 argc = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			break;
		if (argc == max)
			return (-1);
		argv[argc++] = out = s;
		quote = '\0';
		while (*s != '\0') {
			if (quote == '\0' && (*s == ' ' || *s == '\t'))
				break;
			if (*s == '\\' && (s[1] == '\'' || s[1] == '"' ||
			    s[1] == '\\' || (quote == '\0' && s[1] == ' '))) {
				*out++ = s[1];
				s += 2;
			} else if (quote == '\0' && (*s == '"' || *s == '\'')) {
				quote = *s++;
			} else if (quote != '\0' && *s == quote) {
				quote = '\0';
				s++;
			} else
				*out++ = *s++;
		}
		if (quote != '\0')
			return (-1);
		if (*s != '\0')
			s++;
		*out = '\0';
	}
	return (argc);
}

/* Joins arguments with single spaces. */
static char *
sshdconf_join(char **argv, int argc)
{
	size_t	 len = 1;
	char	*s;
	int	 i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strlcat(s, " ", len);
		strlcat(s, argv[i], len);
	}
	return (s);
}

/* Adds an option to an array (which takes value and source). */
static void
sshdconf_add(struct sshdconf_opt **v, size_t *n, const char *key,
    char *value, char *source)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].value = value;
	(*v)[*n].source = source;
	(*n)++;
}

static struct sshdconf_opt *
sshdconf_find(const struct sshdconf *conf, const char *key)
{
	size_t	i;

	for (i = 0; i < conf->nopts; i++) {
		if (strcmp(conf->opts[i].key, key) == 0)
			return (&conf->opts[i]);
	}
	return (NULL);
}

/*
 * Canonical value: enums in lower case, times in seconds, and
 * "prohibit-password" for its old alias "without-password".
 */
static void
sshdconf_normalise(const char *key, char **valuep)
{
	const struct sshdconf_default	*d;
	char				*p, *value = *valuep;
	int64_t				 t;

	if ((d = sshdconf_default(key)) == NULL)
		return;
	if ((d->flags & D_TIME) && (t = sshdconf_time(value)) != -1) {
		free(value);
		xasprintf(valuep, "%lld", (long long)t);
		return;
	}
	if (~d->flags & D_ENUM)
		return;
	for (p = value; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	if (strcmp(key, "permitrootlogin") == 0 &&
	    strcmp(value, "without-password") == 0) {
		free(value);
		*valuep = xstrdup("prohibit-password");
	}
}

/* Escapes glob(3) metacharacters of the root prefix. */
static char *
sshdconf_glob_escape(const char *s)
{
	char	*out, *o;

	o = out = xmalloc(strlen(s) * 2 + 1);
	for (; *s != '\0'; s++) {
		if (strchr("*?[]\\", *s) != NULL)
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return (out);
}

/* Expands and reads one Include argument. */
static int
sshdconf_include(struct parser *p, const char *arg, const char *where,
    int depth, ssize_t match, char **cause)
{
	glob_t	 g;
	char	*pattern, *eroot, *full;
	size_t	 i, skip;
	int	 r, j;

	if (*arg == '/')
		pattern = xstrdup(arg);
	else
		xasprintf(&pattern, "%s/%s", SSHDCONF_DIR, arg);
	if (p->root == NULL || *p->root == '\0' || strcmp(p->root, "/") == 0) {
		full = xstrdup(pattern);
		skip = 0;
	} else {
		eroot = sshdconf_glob_escape(p->root);
		xasprintf(&full, "%s%s", eroot, pattern);
		free(eroot);
		skip = strlen(p->root);
	}
	memset(&g, 0, sizeof g);
	r = glob(full, 0, NULL, &g);
	free(full);
	if (r == GLOB_NOMATCH) {
		free(pattern);
		globfree(&g);
		return (0);
	}
	if (r != 0) {
		xasprintf(cause, "%s: Include %s: glob failed", where, pattern);
		free(pattern);
		globfree(&g);
		return (-1);
	}
	free(pattern);
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i] + skip;

		for (j = 0; j < p->depth; j++) {
			if (strcmp(p->stack[j], path) == 0) {
				xasprintf(cause, "%s: Include loop: %s is "
				    "already being read", where, path);
				globfree(&g);
				return (-1);
			}
		}
		if (depth + 1 > SSHDCONF_DEPTH) {
			xasprintf(cause, "%s: too many recursive Includes "
			    "(more than %d)", where, SSHDCONF_DEPTH);
			globfree(&g);
			return (-1);
		}
		if (sshdconf_file(p, path, depth + 1, match, cause) != 0) {
			globfree(&g);
			return (-1);
		}
	}
	globfree(&g);
	return (0);
}

/* Handles one non-empty line. */
static int
sshdconf_line(struct parser *p, char *line, const char *where, int depth,
    ssize_t *match, char **cause)
{
	struct sshdconf		*conf = p->conf;
	struct sshdconf_opt	*o;
	struct sshdconf_match	*m;
	char			*argv[SSHDCONF_MAXARGS], *kw, *value;
	char			 key[64];
	size_t			 i, kwlen;
	int			 argc, k;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return (0);
	kw = line;
	kwlen = strcspn(line, " \t=");
	line += kwlen;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '=')
		line++;
	if (kwlen >= sizeof key) {
		sshdconf_warn(conf, "%s: keyword too long", where);
		return (0);
	}
	for (i = 0; i < kwlen; i++)
		key[i] = tolower((unsigned char)kw[i]);
	key[kwlen] = '\0';
	for (i = 0; i < sizeof sshdconf_aliases / sizeof *sshdconf_aliases;
	    i++) {
		if (strcmp(key, sshdconf_aliases[i].alias) == 0)
			strlcpy(key, sshdconf_aliases[i].key, sizeof key);
	}
	if ((argc = sshdconf_split(line, argv, SSHDCONF_MAXARGS)) == -1) {
		sshdconf_warn(conf, "%s: unterminated quote or too many "
		    "arguments; line ignored", where);
		return (0);
	}
	if (argc == 0) {
		sshdconf_warn(conf, "%s: no argument after keyword \"%.*s\"",
		    where, (int)kwlen, kw);
		return (0);
	}

	if (strcmp(key, "include") == 0) {
		for (k = 0; k < argc; k++) {
			if (sshdconf_include(p, argv[k], where, depth, *match,
			    cause) != 0)
				return (-1);
		}
		return (0);
	}
	if (strcmp(key, "match") == 0) {
		conf->matches = xreallocarray(conf->matches,
		    conf->nmatches + 1, sizeof *conf->matches);
		m = &conf->matches[conf->nmatches++];
		memset(m, 0, sizeof *m);
		m->criteria = sshdconf_join(argv, argc);
		m->source = xstrdup(where);
		*match = conf->nmatches - 1;
		return (0);
	}

	value = sshdconf_join(argv, argc);
	sshdconf_normalise(key, &value);
	if (*match != -1) {
		m = &conf->matches[*match];
		sshdconf_add(&m->opts, &m->nopts, key, value, xstrdup(where));
		return (0);
	}
	if ((o = sshdconf_find(conf, key)) == NULL) {
		sshdconf_add(&conf->opts, &conf->nopts, key, value,
		    xstrdup(where));
		return (0);
	}
	if (sshdconf_is_multi(key)) {
		xasprintf(&kw, "%s %s", o->value, value);
		free(o->value);
		o->value = kw;
	}
	free(value);
	return (0);
}

/*
 * Reads one file.  match is the Match context of the Include line (an
 * index into conf->matches, -1 for global), so that a Match inside the
 * file ends with it, as in servconf.c.
 */
static int
sshdconf_file(struct parser *p, const char *path, int depth, ssize_t match,
    char **cause)
{
	struct sshdconf	*conf = p->conf;
	char		*buf, *cursor, *line, *where, *e;
	u_int		 lineno = 0;
	int		 r = 0;

	if (root_read_file(p->root, path, &buf, NULL, cause) != 0)
		return (-1);
	conf->files = xreallocarray(conf->files, conf->nfiles + 1,
	    sizeof *conf->files);
	conf->files[conf->nfiles++] = xstrdup(path);
	p->stack[p->depth++] = path;
	cursor = buf;
	while ((line = str_nextline(&cursor)) != NULL) {
		lineno++;
		e = line + strlen(line);
		while (e > line && isspace((unsigned char)e[-1]))
			*--e = '\0';
		xasprintf(&where, "%s:%u", path, lineno);
		r = sshdconf_line(p, line, where, depth, &match, cause);
		free(where);
		if (r != 0)
			break;
	}
	p->depth--;
	free(buf);
	return (r);
}

/* Resolves "+list", "-patterns" and "^list" against the default. */
static char *
sshdconf_list(const char *value, const char *deflt)
{
	char	*out, *dcopy, *item, *pats, *pat, *pp, *dp;
	size_t	 len;
	int	 drop;

	if (*value == '+') {
		xasprintf(&out, "%s,%s", deflt, value + 1);
		return (out);
	}
	if (*value == '^') {
		xasprintf(&out, "%s,%s", value + 1, deflt);
		return (out);
	}
	if (*value != '-')
		return (xstrdup(value));
	len = strlen(deflt) + 1;
	out = xcalloc(1, len);
	dp = dcopy = xstrdup(deflt);
	while ((item = strsep(&dp, ",")) != NULL) {
		drop = 0;
		pp = pats = xstrdup(value + 1);
		while ((pat = strsep(&pp, ",")) != NULL) {
			if (*pat != '\0' && fnmatch(pat, item, 0) == 0)
				drop = 1;
		}
		free(pats);
		if (drop)
			continue;
		if (*out != '\0')
			strlcat(out, ",", len);
		strlcat(out, item, len);
	}
	free(dcopy);
	return (out);
}

/* Fills in defaults and resolves algorithm lists. */
static void
sshdconf_finish(struct sshdconf *conf)
{
	const struct sshdconf_default	*d;
	struct sshdconf_opt		*o;
	char				*v;
	size_t				 i;

	for (i = 0; i < sizeof sshdconf_defaults / sizeof *sshdconf_defaults;
	    i++) {
		d = &sshdconf_defaults[i];
		if ((o = sshdconf_find(conf, d->key)) == NULL) {
			sshdconf_add(&conf->opts, &conf->nopts, d->key,
			    xstrdup(d->value), xstrdup("default"));
			continue;
		}
		if (d->flags & D_LIST) {
			v = sshdconf_list(o->value, d->value);
			free(o->value);
			o->value = v;
		}
	}
}

int
sshdconf_read(const char *root, struct sshdconf *conf, char **cause)
{
	struct parser	p;

	memset(conf, 0, sizeof *conf);
	memset(&p, 0, sizeof p);
	p.root = root;
	p.conf = conf;
	if (sshdconf_file(&p, SSHDCONF_PATH, 0, -1, cause) != 0) {
		sshdconf_clear(conf);
		return (-1);
	}
	sshdconf_finish(conf);
	return (0);
}

static void
sshdconf_opts_free(struct sshdconf_opt *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
		free(v[i].source);
	}
	free(v);
}

void
sshdconf_clear(struct sshdconf *conf)
{
	size_t	i;

	sshdconf_opts_free(conf->opts, conf->nopts);
	for (i = 0; i < conf->nmatches; i++) {
		free(conf->matches[i].criteria);
		free(conf->matches[i].source);
		sshdconf_opts_free(conf->matches[i].opts,
		    conf->matches[i].nopts);
	}
	free(conf->matches);
	for (i = 0; i < conf->nfiles; i++)
		free(conf->files[i]);
	free(conf->files);
	for (i = 0; i < conf->nwarnings; i++)
		free(conf->warnings[i]);
	free(conf->warnings);
	memset(conf, 0, sizeof *conf);
}

const char *
sshdconf_get(const struct sshdconf *conf, const char *key,
    const char **source)
{
	struct sshdconf_opt	*o;

	if ((o = sshdconf_find(conf, key)) == NULL)
		return (NULL);
	if (source != NULL)
		*source = o->source;
	return (o->value);
}

/* convtime() of OpenSSH misc.c: digits with optional s/m/h/d/w units. */
int64_t
sshdconf_time(const char *s)
{
	int64_t	t;

	if (duration_parse_flags(s, &t, DURATION_SSH, INT32_MAX, NULL) == -1)
		return (-1);
	return (t);
}
