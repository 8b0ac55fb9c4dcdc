/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Local accounts and password policy: who can log in, how their
 * passwords are hashed, the login.defs defaults, the effective password
 * quality rules and the failed-logon lockout.
 *
 * Users come from /etc/passwd (passwd_read()); password hashes from
 * /etc/shadow, which only root can read.  Only the hash scheme is kept,
 * never the hash: the shadow buffer is wiped before it is freed.  The
 * shadow-dependent facts live in their own object ("shadow") so that an
 * unreadable shadow makes only the checks that need it an error.
 *
 * Password quality follows what PAM does on Debian: pam_pwquality in
 * /etc/pam.d/common-password reads pwquality.conf.d/NAME.conf in sorted
 * order, then pwquality.conf (or only the file named by conf=), and its
 * module arguments override both (pwquality.conf(5), pam_pwquality(8)).
 * Without pam_pwquality, pam_unix enforces only its minlen= (default 6,
 * pam_unix(8)).  pam_faillock reads faillock.conf (or conf=) and its
 * module arguments override it (faillock.conf(5)).
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector.h"
#include "facts.h"
#include "hostfiles.h"
#include "util.h"
#include "xmalloc.h"

#define PAM_ARGS_MAX		32	/* module arguments kept per line */
#define PWQ_BASE_MIN_LENGTH	6	/* libpwquality's floor for minlen */
#define PWQ_DEFAULT_MINLEN	8	/* pwquality.conf(5) */
#define PWQ_NUM_CLASSES		4	/* digits, upper, lower, others */
#define UNIX_DEFAULT_MINLEN	6	/* pam_unix(8) */
#define FAILLOCK_DEFAULT_DENY	3	/* faillock.conf(5) */
#define FAILLOCK_DEFAULT_UNLOCK	600	/* seconds, faillock.conf(5) */
#define FAILLOCK_DEFAULT_INTERVAL 900	/* seconds, faillock.conf(5) */
#define SECONDS_PER_DAY		86400

/* One line of a PAM stack, split in place. */
struct pam_line {
	char	*type;		/* "password", without a leading '-' */
	char	*control;	/* "requisite", "[success=1 default=ignore]" */
	char	*module;	/* basename: "pam_pwquality.so" */
	char	*argv[PAM_ARGS_MAX];
	int	 argc;
	int	 lineno;
};

/* An integer setting and where its value came from. */
struct setting {
	int64_t	 value;
	char	*source;	/* "/etc/security/pwquality.conf:11", or "default" */
};

struct pwq {
	struct setting	minlen, minclass, dictcheck, enforce_for_root;
	struct setting	dcredit, ucredit, lcredit, ocredit;
};

struct faillock {
	struct setting	deny, unlock_time, fail_interval, even_deny_root;
};

/* Sets a setting, replacing its source. */
static void
setting_set(struct setting *s, int64_t v, const char *path, int lineno)
{
	free(s->source);
	if (path == NULL)
		s->source = xstrdup("default");
	else
		xasprintf(&s->source, "%s:%d", path, lineno);
	s->value = v;
}

static void
setting_clear(struct setting *s)
{
	free(s->source);
	s->source = NULL;
}

/* Parses a decimal integer; returns -1 if s is not one. */
static int
parse_int(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s)
		return (-1);
	*out = v;
	return (0);
}

/* Classifies a shadow password field by its crypt(5) prefix. */
static const char *
accounts_hash_kind(const char *h)
{
	size_t	len = strlen(h), i;

	if (len == 0)
		return ("empty");
	if (h[0] == '!')
		return ("locked");
	if (h[0] == '*')
		return ("no-password");
	if (str_startswith(h, "$y$"))
		return ("yescrypt");
	if (str_startswith(h, "$gy$"))
		return ("gost-yescrypt");
	if (str_startswith(h, "$7$"))
		return ("scrypt");
	if (str_startswith(h, "$2a$") || str_startswith(h, "$2b$") ||
	    str_startswith(h, "$2x$") || str_startswith(h, "$2y$"))
		return ("bcrypt");
	if (str_startswith(h, "$6$"))
		return ("sha512");
	if (str_startswith(h, "$5$"))
		return ("sha256");
	if (str_startswith(h, "$1$") || str_startswith(h, "$md5"))
		return ("md5");
	if (str_startswith(h, "$sha1$"))
		return ("sha1");
	if (str_startswith(h, "$3$"))
		return ("nthash");
	if (h[0] == '$')
		return ("unknown");
	/* Traditional DES: 13 characters; BSDi extended DES: '_' + 19. */
	if (len == 13 || (len == 20 && h[0] == '_')) {
		for (i = h[0] == '_' ? 1 : 0; i < len; i++) {
			if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
			    h[i] != '/')
				break;
		}
		if (i == len)
			return ("des");
	}
	/* crypt() matches no password against anything else. */
	return ("no-password");
}

struct shadow_entry {
	char	*name;
	char	*hash;		/* points into the shadow buffer */
	char	*expire;
};

static int
shadow_entry_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct shadow_entry *)a)->name,
	    ((const struct shadow_entry *)b)->name));
}

/* Joins /etc/passwd users with /etc/shadow; never keeps a hash. */
static json_t *
accounts_shadow(struct collector_ctx *ctx, const struct passwd_list *pl)
{
	json_t			*obj, *users, *u;
	struct shadow_entry	*se = NULL, key, *found;
	size_t			 nse = 0, len, i;
	char			*buf, *cur, *line, *f[9], *cause = NULL;
	const char		*kind;
	int64_t			 expire;
	int			 n;

	if (root_read_file(ctx->root, "/etc/shadow", &buf, &len, &cause) == -1)
		return (fact_error_take(cause));
	obj = json_object();
	fact_source(obj, "/etc/shadow");
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if (*line == '#' || *line == '\0' || *line == '+' ||
		    *line == '-')
			continue;
		for (n = 0; n < 9; n++) {
			if ((f[n] = strsep(&line, ":")) == NULL)
				break;
		}
		if (n < 2 || f[0][0] == '\0')
			continue;
		se = xreallocarray(se, nse + 1, sizeof *se);
		se[nse].name = f[0];
		se[nse].hash = f[1];
		se[nse].expire = n >= 8 ? f[7] : NULL;
		nse++;
	}
	if (nse > 0)
		qsort(se, nse, sizeof *se, shadow_entry_cmp);

	users = json_array();
	for (i = 0; i < pl->n; i++) {
		u = json_object();
		fact_set_str(u, "name", pl->v[i].name);
		json_object_set_new(u, "uid", json_integer(pl->v[i].uid));
		fact_set_bool(u, "interactive", pl->v[i].interactive);
		fact_set_bool(u, "login_shell",
		    !shell_is_nologin(pl->v[i].shell));
		key.name = pl->v[i].name;
		found = nse > 0 ? bsearch(&key, se, nse, sizeof *se,
		    shadow_entry_cmp) : NULL;
		if (found == NULL) {
			/* pam_unix refuses "x" users with no shadow line. */
			fact_set_bool(u, "shadow_entry", 0);
			fact_set_str(u, "hash", "no-password");
			fact_set_bool(u, "empty_password", 0);
			fact_set_bool(u, "expired", 0);
		} else {
			kind = accounts_hash_kind(found->hash);
			fact_set_bool(u, "shadow_entry", 1);
			fact_set_str(u, "hash", kind);
			fact_set_bool(u, "empty_password",
			    strcmp(kind, "empty") == 0);
			fact_set_bool(u, "expired", found->expire != NULL &&
			    parse_int(found->expire, &expire) == 0 &&
			    expire * SECONDS_PER_DAY <= (int64_t)ctx->now);
		}
		json_array_append_new(users, u);
	}
	json_object_set_new(obj, "users", users);
	free(se);
	explicit_bzero(buf, len);
	free(buf);
	return (obj);
}

static int
uid_index_cmp(const void *a, const void *b)
{
	const struct passwd_entry *pa = *(const struct passwd_entry *const *)a;
	const struct passwd_entry *pb = *(const struct passwd_entry *const *)b;

	if (pa->uid != pb->uid)
		return (pa->uid < pb->uid ? -1 : 1);
	return (strcmp(pa->name, pb->name));
}

/* Lists users, UID 0 accounts and UIDs shared by several names. */
static void
accounts_users(json_t *obj, const struct passwd_list *pl)
{
	json_t			 *users, *uid0, *dups, *d = NULL, *names = NULL, *u;
	const struct passwd_entry **idx;
	size_t			 i;
	char			 buf[32];

	users = json_array();
	uid0 = json_array();
	for (i = 0; i < pl->n; i++) {
		u = json_object();
		fact_set_str(u, "name", pl->v[i].name);
		json_object_set_new(u, "uid", json_integer(pl->v[i].uid));
		fact_set_str(u, "shell", pl->v[i].shell);
		fact_set_bool(u, "interactive", pl->v[i].interactive);
		fact_set_bool(u, "login_shell",
		    !shell_is_nologin(pl->v[i].shell));
		json_array_append_new(users, u);
		if (pl->v[i].uid == 0)
			json_array_append_new(uid0,
			    json_string(pl->v[i].name));
	}
	json_object_set_new(obj, "users", users);
	json_object_set_new(obj, "uid0", uid0);

	dups = json_array();
	idx = xreallocarray(NULL, pl->n + 1, sizeof *idx);
	for (i = 0; i < pl->n; i++)
		idx[i] = &pl->v[i];
	qsort(idx, pl->n, sizeof *idx, uid_index_cmp);
	for (i = 1; i < pl->n; i++) {
		if (idx[i]->uid != idx[i - 1]->uid) {
			d = NULL;
			continue;
		}
		if (d == NULL) {
			d = json_object();
			snprintf(buf, sizeof buf, "%lu",
			    (unsigned long)idx[i]->uid);
			fact_set_str(d, "name", buf);
			json_object_set_new(d, "uid",
			    json_integer(idx[i]->uid));
			names = json_array();
			json_array_append_new(names,
			    json_string(idx[i - 1]->name));
			json_object_set_new(d, "users", names);
			json_array_append_new(dups, d);
		}
		json_array_append_new(names, json_string(idx[i]->name));
	}
	free(idx);
	json_object_set_new(obj, "duplicate_uids", dups);
}

/* Sets key to the integer value of a login.defs key, if present. */
static void
logindefs_int(json_t *obj, const char *buf, const char *key, const char *name)
{
	char	*v;
	int64_t	 n;

	if ((v = keyvalue_get(buf, key)) != NULL && parse_int(v, &n) == 0)
		fact_set_int(obj, name, n);
	else
		json_object_set_new(obj, name, json_null());
	free(v);
}

/* /etc/login.defs: hashing method for chpasswd/newusers, ageing, umask. */
static json_t *
accounts_login_defs(struct collector_ctx *ctx)
{
	json_t	*obj;
	char	*buf, *v, *md5, *cause = NULL;

	if (root_read_file(ctx->root, "/etc/login.defs", &buf, NULL,
	    &cause) == -1)
		return (fact_error_take(cause));
	obj = json_object();
	fact_source(obj, "/etc/login.defs");
	fact_set_str(obj, "source", "/etc/login.defs");
	if ((v = keyvalue_get(buf, "ENCRYPT_METHOD")) != NULL) {
		for (md5 = v; *md5 != '\0'; md5++)
			*md5 = toupper((unsigned char)*md5);
		fact_set_str(obj, "encrypt_method", v);
		fact_set_str(obj, "encrypt_method_source", "/etc/login.defs");
	} else {
		/* login.defs(5): without ENCRYPT_METHOD, MD5_CRYPT_ENAB or DES. */
		md5 = keyvalue_get(buf, "MD5_CRYPT_ENAB");
		fact_set_str(obj, "encrypt_method",
		    md5 != NULL && strcasecmp(md5, "yes") == 0 ? "MD5" : "DES");
		fact_set_str(obj, "encrypt_method_source", "default");
		free(md5);
	}
	free(v);
	logindefs_int(obj, buf, "PASS_MAX_DAYS", "pass_max_days");
	logindefs_int(obj, buf, "PASS_MIN_DAYS", "pass_min_days");
	logindefs_int(obj, buf, "PASS_WARN_AGE", "pass_warn_age");
	logindefs_int(obj, buf, "UID_MIN", "uid_min");
	if ((v = keyvalue_get(buf, "UMASK")) != NULL)
		fact_set_str(obj, "umask", v);
	else
		json_object_set_new(obj, "umask", json_null());
	free(v);
	free(buf);
	return (obj);
}

/*
 * Splits one PAM configuration line in place.  Returns 0 for a module
 * line, -1 for a comment, blank or @include line.
 */
static int
pam_split(char *line, int lineno, struct pam_line *pl)
{
	char	*p, *base, *tok;

	memset(pl, 0, sizeof *pl);
	pl->lineno = lineno;
	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '@')
		return (-1);
	pl->type = strsep(&p, " \t");
	if (*pl->type == '-')
		pl->type++;
	while (p != NULL && isspace((unsigned char)*p))
		p++;
	if (p == NULL || *p == '\0')
		return (-1);
	if (*p == '[') {
		pl->control = p;
		if ((p = strchr(p, ']')) == NULL)
			return (-1);
		*++p = '\0';
		p++;
	} else
		pl->control = strsep(&p, " \t");
	while (p != NULL && isspace((unsigned char)*p))
		p++;
	if (p == NULL || *p == '\0')
		return (-1);
	pl->module = strsep(&p, " \t");
	if ((base = strrchr(pl->module, '/')) != NULL)
		pl->module = base + 1;
	while (p != NULL && pl->argc < PAM_ARGS_MAX) {
		tok = strsep(&p, " \t");
		if (*tok != '\0')
			pl->argv[pl->argc++] = tok;
	}
	return (0);
}

/* Joins backslash-continued lines in place (PAM and sudoers allow them). */
static void
join_continuations(char *buf)
{
	char	*r, *w;

	for (r = w = buf; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] == '\n') {
			*w++ = ' ';
			r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
}

/* Value of a "key=value" module argument, or NULL. */
static const char *
pam_arg(const struct pam_line *pl, int i, const char *key)
{
	size_t	len = strlen(key);

	if (strncmp(pl->argv[i], key, len) == 0 && pl->argv[i][len] == '=')
		return (pl->argv[i] + len + 1);
	return (NULL);
}

/* Applies one pwquality "name value" setting. */
static void
pwq_apply(struct pwq *q, const char *name, const char *value,
    const char *path, int lineno)
{
	int64_t	v;

	if (strcasecmp(name, "enforce_for_root") == 0) {
		setting_set(&q->enforce_for_root, 1, path, lineno);
		return;
	}
	if (parse_int(value, &v) == -1)
		return;
	if (strcasecmp(name, "minlen") == 0)
		setting_set(&q->minlen, v < PWQ_BASE_MIN_LENGTH ?
		    PWQ_BASE_MIN_LENGTH : v, path, lineno);
	else if (strcasecmp(name, "minclass") == 0)
		setting_set(&q->minclass, v > PWQ_NUM_CLASSES ?
		    PWQ_NUM_CLASSES : v, path, lineno);
	else if (strcasecmp(name, "dictcheck") == 0)
		setting_set(&q->dictcheck, v != 0, path, lineno);
	else if (strcasecmp(name, "dcredit") == 0)
		setting_set(&q->dcredit, v, path, lineno);
	else if (strcasecmp(name, "ucredit") == 0)
		setting_set(&q->ucredit, v, path, lineno);
	else if (strcasecmp(name, "lcredit") == 0)
		setting_set(&q->lcredit, v, path, lineno);
	else if (strcasecmp(name, "ocredit") == 0)
		setting_set(&q->ocredit, v, path, lineno);
}

/*
 * Reads a "name = value" file (pwquality.conf, faillock.conf) and calls
 * fn for each setting.  A missing file is not an error when optional.
 */
static int
conf_read(struct collector_ctx *ctx, json_t *obj, const char *path,
    int optional, void (*fn)(void *, const char *, const char *,
    const char *, int), void *arg, char **cause)
{
	char	*buf, *cur, *line, *name, *value, *p, *c = NULL;
	int	 lineno = 0;

	if (root_read_file(ctx->root, path, &buf, NULL, &c) == -1) {
		if (optional && !root_exists(ctx->root, path)) {
			free(c);
			return (0);
		}
		*cause = c;
		return (-1);
	}
	fact_source(obj, "%s", path);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		name = str_trim(line);
		if (*name == '\0')
			continue;
		value = name + strcspn(name, " \t=");
		if (*value != '\0') {
			*value++ = '\0';
			value += strspn(value, " \t");
			if (*value == '=')
				value++;
			value = str_trim(value);
		}
		fn(arg, name, value, path, lineno);
	}
	free(buf);
	return (0);
}

static void
pwq_conf_cb(void *arg, const char *name, const char *value, const char *path,
    int lineno)
{
	pwq_apply(arg, name, value, path, lineno);
}

/* Reads pwquality.conf.d/NAME.conf in order, then pwquality.conf. */
static int
pwq_read_conf(struct collector_ctx *ctx, json_t *obj, struct pwq *q,
    const char *conf, char **cause)
{
	char	**names, *path;
	size_t	  i;

	if (conf != NULL)
		return (conf_read(ctx, obj, conf, 0, pwq_conf_cb, q, cause));
	if ((names = root_list_dir(ctx->root, "/etc/security/pwquality.conf.d",
	    NULL)) != NULL) {
		for (i = 0; names[i] != NULL; i++) {
			if (!str_endswith(names[i], ".conf"))
				continue;
			xasprintf(&path, "/etc/security/pwquality.conf.d/%s",
			    names[i]);
			if (conf_read(ctx, obj, path, 1, pwq_conf_cb, q,
			    cause) == -1) {
				free(path);
				strv_free(names);
				return (-1);
			}
			free(path);
		}
		strv_free(names);
	}
	return (conf_read(ctx, obj, "/etc/security/pwquality.conf", 1,
	    pwq_conf_cb, q, cause));
}

static void
setting_fact(json_t *obj, const char *key, const struct setting *s, int isbool)
{
	char	*k;

	if (isbool)
		fact_set_bool(obj, key, s->value != 0);
	else
		fact_set_int(obj, key, s->value);
	xasprintf(&k, "%s_source", key);
	fact_set_str(obj, k, s->source != NULL ? s->source : "default");
	free(k);
}

/* Effective password length and complexity rules of the PAM stack. */
static json_t *
accounts_pwquality(struct collector_ctx *ctx)
{
	static const char *const stack = "/etc/pam.d/common-password";
	json_t		*obj;
	struct pam_line	 pl, pwq_line, unix_line;
	struct pwq	 q;
	char		*buf, *cur, *line, *cause = NULL, *eq;
	const char	*v, *conf = NULL;
	int		 lineno = 0, have_pwq = 0, have_unix = 0, i;
	int64_t		 n, credits;

	if (root_read_file(ctx->root, stack, &buf, NULL, &cause) == -1)
		return (fact_error_take(cause));
	obj = json_object();
	fact_source(obj, "%s", stack);
	memset(&q, 0, sizeof q);
	memset(&pwq_line, 0, sizeof pwq_line);
	memset(&unix_line, 0, sizeof unix_line);
	join_continuations(buf);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		lineno++;
		if (pam_split(line, lineno, &pl) == -1 ||
		    strcmp(pl.type, "password") != 0)
			continue;
		if (!have_pwq && (strcmp(pl.module, "pam_pwquality.so") == 0 ||
		    strcmp(pl.module, "pam_cracklib.so") == 0)) {
			pwq_line = pl;
			have_pwq = 1;
		} else if (!have_unix && strcmp(pl.module, "pam_unix.so") == 0) {
			unix_line = pl;
			have_unix = 1;
		}
	}

	if (have_pwq) {
		fact_set_bool(obj, "in_stack", 1);
		fact_set_str(obj, "module", pwq_line.module);
		fact_set_str(obj, "control", pwq_line.control);
		/* optional and sufficient modules cannot reject a password. */
		fact_set_bool(obj, "enforced",
		    strcmp(pwq_line.control, "optional") != 0 &&
		    strcmp(pwq_line.control, "sufficient") != 0);
		setting_set(&q.minlen, PWQ_DEFAULT_MINLEN, NULL, 0);
		setting_set(&q.minclass, 0, NULL, 0);
		setting_set(&q.dictcheck, 1, NULL, 0);
		setting_set(&q.enforce_for_root, 0, NULL, 0);
		setting_set(&q.dcredit, 0, NULL, 0);
		setting_set(&q.ucredit, 0, NULL, 0);
		setting_set(&q.lcredit, 0, NULL, 0);
		setting_set(&q.ocredit, 0, NULL, 0);
		for (i = 0; i < pwq_line.argc; i++) {
			if ((v = pam_arg(&pwq_line, i, "conf")) != NULL)
				conf = v;
		}
		if (strcmp(pwq_line.module, "pam_pwquality.so") == 0 &&
		    pwq_read_conf(ctx, obj, &q, conf, &cause) == -1) {
			fact_error(obj, "%s", cause);
			free(cause);
			goto out;
		}
		for (i = 0; i < pwq_line.argc; i++) {
			if ((eq = strchr(pwq_line.argv[i], '=')) != NULL) {
				*eq = '\0';
				pwq_apply(&q, pwq_line.argv[i], eq + 1, stack,
				    pwq_line.lineno);
				*eq = '=';
			} else
				pwq_apply(&q, pwq_line.argv[i], "", stack,
				    pwq_line.lineno);
		}
		setting_fact(obj, "minlen", &q.minlen, 0);
		setting_fact(obj, "minclass", &q.minclass, 0);
		setting_fact(obj, "dictcheck", &q.dictcheck, 1);
		setting_fact(obj, "enforce_for_root", &q.enforce_for_root, 1);
		/* Positive credits let shorter passwords reach minlen. */
		credits = 0;
		if (q.dcredit.value > 0)
			credits += q.dcredit.value;
		if (q.ucredit.value > 0)
			credits += q.ucredit.value;
		if (q.lcredit.value > 0)
			credits += q.lcredit.value;
		if (q.ocredit.value > 0)
			credits += q.ocredit.value;
		n = q.minlen.value - credits;
		fact_set_int(obj, "credits", credits);
		fact_set_int(obj, "min_length",
		    n < PWQ_BASE_MIN_LENGTH ? PWQ_BASE_MIN_LENGTH : n);
	} else if (have_unix) {
		fact_set_bool(obj, "in_stack", 0);
		fact_set_str(obj, "module", "pam_unix.so");
		fact_set_str(obj, "control", unix_line.control);
		fact_set_bool(obj, "enforced", 1);
		setting_set(&q.minlen, UNIX_DEFAULT_MINLEN, NULL, 0);
		for (i = 0; i < unix_line.argc; i++) {
			if ((v = pam_arg(&unix_line, i, "minlen")) != NULL &&
			    parse_int(v, &n) == 0)
				setting_set(&q.minlen, n, stack,
				    unix_line.lineno);
		}
		setting_fact(obj, "minlen", &q.minlen, 0);
		fact_set_int(obj, "minclass", 0);
		fact_set_bool(obj, "dictcheck", 0);
		/* pam_unix does not check the length when root sets it. */
		fact_set_bool(obj, "enforce_for_root", 0);
		fact_set_int(obj, "credits", 0);
		fact_set_int(obj, "min_length", q.minlen.value);
	} else {
		fact_error(obj, "%s: no pam_pwquality, pam_cracklib or "
		    "pam_unix password module", stack);
	}
out:
	setting_clear(&q.minlen);
	setting_clear(&q.minclass);
	setting_clear(&q.dictcheck);
	setting_clear(&q.enforce_for_root);
	setting_clear(&q.dcredit);
	setting_clear(&q.ucredit);
	setting_clear(&q.lcredit);
	setting_clear(&q.ocredit);
	free(buf);
	return (obj);
}

/* Applies one faillock setting (file or module argument). */
static void
faillock_apply(void *arg, const char *name, const char *value,
    const char *path, int lineno)
{
	struct faillock	*fl = arg;
	int64_t		 v;

	if (strcmp(name, "even_deny_root") == 0) {
		setting_set(&fl->even_deny_root, 1, path, lineno);
		return;
	}
	if (strcmp(name, "unlock_time") == 0 && strcmp(value, "never") == 0) {
		setting_set(&fl->unlock_time, 0, path, lineno);
		return;
	}
	if (parse_int(value, &v) == -1 || v < 0)
		return;
	if (strcmp(name, "deny") == 0)
		setting_set(&fl->deny, v, path, lineno);
	else if (strcmp(name, "unlock_time") == 0)
		setting_set(&fl->unlock_time, v, path, lineno);
	else if (strcmp(name, "fail_interval") == 0)
		setting_set(&fl->fail_interval, v, path, lineno);
}

/* Failed-logon lockout: pam_faillock in common-auth and its settings. */
static json_t *
accounts_faillock(struct collector_ctx *ctx)
{
	static const char *const stack = "/etc/pam.d/common-auth";
	json_t		*obj;
	struct pam_line	 pl, lines[8];
	struct faillock	 fl;
	char		*buf, *cur, *line, *cause = NULL, *eq;
	const char	*v, *conf = "/etc/security/faillock.conf";
	int		 lineno = 0, nlines = 0, authfail = 0, preauth = 0;
	int		 i, j;

	if (root_read_file(ctx->root, stack, &buf, NULL, &cause) == -1)
		return (fact_error_take(cause));
	obj = json_object();
	fact_source(obj, "%s", stack);
	memset(&fl, 0, sizeof fl);
	join_continuations(buf);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		lineno++;
		if (pam_split(line, lineno, &pl) == -1 ||
		    strcmp(pl.type, "auth") != 0 ||
		    strcmp(pl.module, "pam_faillock.so") != 0)
			continue;
		if (nlines < (int)(sizeof lines / sizeof lines[0]))
			lines[nlines++] = pl;
	}
	fact_set_bool(obj, "in_stack", nlines > 0);
	setting_set(&fl.deny, FAILLOCK_DEFAULT_DENY, NULL, 0);
	setting_set(&fl.unlock_time, FAILLOCK_DEFAULT_UNLOCK, NULL, 0);
	setting_set(&fl.fail_interval, FAILLOCK_DEFAULT_INTERVAL, NULL, 0);
	setting_set(&fl.even_deny_root, 0, NULL, 0);
	for (i = 0; i < nlines; i++) {
		for (j = 0; j < lines[i].argc; j++) {
			if ((v = pam_arg(&lines[i], j, "conf")) != NULL)
				conf = v;
			if (strcmp(lines[i].argv[j], "authfail") == 0)
				authfail = 1;
			if (strcmp(lines[i].argv[j], "preauth") == 0)
				preauth = 1;
		}
	}
	/* pam_faillock(8): a missing configuration file means defaults. */
	if (conf_read(ctx, obj, conf, 1, faillock_apply, &fl, &cause) == -1) {
		fact_error(obj, "%s", cause);
		free(cause);
		goto out;
	}
	for (i = 0; i < nlines; i++) {
		for (j = 0; j < lines[i].argc; j++) {
			if ((eq = strchr(lines[i].argv[j], '=')) != NULL) {
				*eq = '\0';
				faillock_apply(&fl, lines[i].argv[j], eq + 1,
				    stack, lines[i].lineno);
				*eq = '=';
			} else
				faillock_apply(&fl, lines[i].argv[j], "",
				    stack, lines[i].lineno);
		}
	}
	/* Only the authfail instance counts failures and locks. */
	fact_set_bool(obj, "preauth", preauth);
	fact_set_bool(obj, "authfail", authfail);
	setting_fact(obj, "deny", &fl.deny, 0);
	setting_fact(obj, "unlock_time_s", &fl.unlock_time, 0);
	setting_fact(obj, "fail_interval_s", &fl.fail_interval, 0);
	setting_fact(obj, "even_deny_root", &fl.even_deny_root, 1);
out:
	setting_clear(&fl.deny);
	setting_clear(&fl.unlock_time);
	setting_clear(&fl.fail_interval);
	setting_clear(&fl.even_deny_root);
	free(buf);
	return (obj);
}

/*
 * Collects {users, uid0, duplicate_uids, shadow, login_defs, pwquality,
 * faillock}; an unreadable /etc/passwd makes the whole object an error.
 */
static json_t *
accounts_collect(struct collector_ctx *ctx)
{
	json_t			*obj;
	struct passwd_list	 pl;
	char			*cause = NULL;

	if (passwd_read(ctx->root, &pl, &cause) == -1)
		return (fact_error_take(cause));
	obj = json_object();
	fact_source(obj, "/etc/passwd");
	accounts_users(obj, &pl);
	json_object_set_new(obj, "shadow", accounts_shadow(ctx, &pl));
	json_object_set_new(obj, "login_defs", accounts_login_defs(ctx));
	json_object_set_new(obj, "pwquality", accounts_pwquality(ctx));
	json_object_set_new(obj, "faillock", accounts_faillock(ctx));
	passwd_clear(&pl);
	return (obj);
}

const struct collector collector_accounts = {
	.name = "accounts",
	.flags = COLLECTOR_NEEDS_ROOT,
	.collect = accounts_collect,
};
