/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Screen-lock collector: the effective idle lock of every interactive
 * user, read from files by a root process that has no session bus.
 *
 * GNOME, Cinnamon and MATE keep their settings in dconf.  We resolve
 * the dconf profile as libdconf does (mandatory /run/dconf/user/UID,
 * then /etc/dconf/profile/user, then XDG data dirs, else "user-db:user"
 * alone), read the compiled GVDB databases (gvdb.c) and apply the
 * engine's rule: a key locked by a system database takes the value of
 * the first database from the locking one down; otherwise the user
 * database, then the system databases in profile order, then the
 * schema default (vendor .gschema.override files, else the upstream
 * default).  A value of the wrong type is ignored by GSettings, which
 * then uses the schema default; we do the same and say so.  A system
 * database whose compiled file is missing or older than its keyfiles
 * is read from the keyfiles, and the fact says which.
 *
 * KDE reads kscreenlockerrc with KConfig's cascade ([$i] immutability
 * in the system file wins); XFCE reads the xfce4-screensaver xfconf
 * channel (system file locked="*" wins).
 *
 * Users whose session cannot be told (no AccountsService or ~/.dmrc
 * entry) are evaluated against every installed desktop: they may log
 * into any of them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector.h"
#include "facts.h"
#include "gvdb.h"
#include "hostfiles.h"
#include "util.h"
#include "xmalloc.h"

#define SL_MAX_SOURCES	16	/* dconf profile lines considered */

enum sl_desktop {
	SL_GNOME,
	SL_CINNAMON,
	SL_MATE,
	SL_KDE,
	SL_XFCE,
	SL_OTHER,
	SL_NDESKTOPS
};

static const char *const sl_desktop_names[SL_NDESKTOPS] = {
	"gnome", "cinnamon", "mate", "kde", "xfce", "other"
};

/* Session file names (without .desktop) and the desktop they start. */
static const struct {
	const char	*prefix;
	enum sl_desktop	 desktop;
} sl_session_map[] = {
	{ "gnome", SL_GNOME },
	{ "ubuntu", SL_GNOME },
	{ "budgie", SL_GNOME },
	{ "pantheon", SL_GNOME },
	{ "cinnamon", SL_CINNAMON },
	{ "mate", SL_MATE },
	{ "plasma", SL_KDE },
	{ "kde", SL_KDE },
	{ "xfce", SL_XFCE },
};

/* The meaning of a dconf key for the lock decision. */
enum sl_role {
	ROLE_IDLE,		/* idle delay */
	ROLE_LOCK,		/* lock on screensaver activation */
	ROLE_DELAY,		/* lock delay after activation */
	ROLE_DISABLE,		/* lockdown: lock screen disabled */
	ROLE_ACTIVATE,		/* screensaver activates on idle */
};

struct sl_key {
	enum sl_desktop	 desktop;
	enum sl_role	 role;
	const char	*path;		/* dconf key */
	const char	*schema;	/* GSettings schema id */
	const char	*name;		/* key name in the schema */
	char		 type;		/* GVariant type the schema declares */
	int64_t		 def;		/* upstream schema default */
	int		 scale;		/* seconds per unit */
};

/*
 * Upstream defaults: gsettings-desktop-schemas 43 (verified on Debian
 * 12), cinnamon-desktop and mate-desktop / mate-screensaver schemas.
 */
static const struct sl_key sl_keys[] = {
	{ SL_GNOME, ROLE_IDLE, "/org/gnome/desktop/session/idle-delay",
	  "org.gnome.desktop.session", "idle-delay", 'u', 300, 1 },
	{ SL_GNOME, ROLE_LOCK, "/org/gnome/desktop/screensaver/lock-enabled",
	  "org.gnome.desktop.screensaver", "lock-enabled", 'b', 1, 1 },
	{ SL_GNOME, ROLE_DELAY, "/org/gnome/desktop/screensaver/lock-delay",
	  "org.gnome.desktop.screensaver", "lock-delay", 'u', 0, 1 },
	{ SL_GNOME, ROLE_DISABLE,
	  "/org/gnome/desktop/lockdown/disable-lock-screen",
	  "org.gnome.desktop.lockdown", "disable-lock-screen", 'b', 0, 1 },
	{ SL_CINNAMON, ROLE_IDLE, "/org/cinnamon/desktop/session/idle-delay",
	  "org.cinnamon.desktop.session", "idle-delay", 'u', 300, 1 },
	{ SL_CINNAMON, ROLE_LOCK,
	  "/org/cinnamon/desktop/screensaver/lock-enabled",
	  "org.cinnamon.desktop.screensaver", "lock-enabled", 'b', 1, 1 },
	{ SL_CINNAMON, ROLE_DELAY,
	  "/org/cinnamon/desktop/screensaver/lock-delay",
	  "org.cinnamon.desktop.screensaver", "lock-delay", 'u', 0, 1 },
	{ SL_CINNAMON, ROLE_DISABLE,
	  "/org/cinnamon/desktop/lockdown/disable-lock-screen",
	  "org.cinnamon.desktop.lockdown", "disable-lock-screen", 'b', 0, 1 },
	{ SL_MATE, ROLE_IDLE, "/org/mate/desktop/session/idle-delay",
	  "org.mate.session", "idle-delay", 'i', 5, 60 },
	{ SL_MATE, ROLE_ACTIVATE,
	  "/org/mate/screensaver/idle-activation-enabled",
	  "org.mate.screensaver", "idle-activation-enabled", 'b', 1, 1 },
	{ SL_MATE, ROLE_LOCK, "/org/mate/screensaver/lock-enabled",
	  "org.mate.screensaver", "lock-enabled", 'b', 1, 1 },
	{ SL_MATE, ROLE_DELAY, "/org/mate/screensaver/lock-delay",
	  "org.mate.screensaver", "lock-delay", 'i', 0, 60 },
	{ SL_MATE, ROLE_DISABLE,
	  "/org/mate/desktop/lockdown/disable-lock-screen",
	  "org.mate.lockdown", "disable-lock-screen", 'b', 0, 1 },
};
#define SL_NKEYS (sizeof sl_keys / sizeof sl_keys[0])

/* A value read from a keyfile for one of sl_keys. */
struct sl_kfval {
	int			 set;
	int			 bad;	/* could not parse: text kept */
	struct gvdb_value	 v;
	char			*text;
	char			*file;
};

enum sl_dbmode { DB_MISSING, DB_COMPILED, DB_KEYFILES };

/* One dconf database (a profile line). */
struct sl_db {
	char		*spec;		/* "system-db:local" */
	char		*label;		/* "system db local" */
	char		*path;		/* host path of the compiled file */
	int		 user;		/* a user-db */
	enum sl_dbmode	 mode;
	char		*note;		/* why keyfiles were used */
	char		*cause;		/* unreadable or corrupt */
	char		*buf;
	size_t		 len;
	struct gvdb_table values;
	int		 has_locks;
	struct gvdb_table locks;
	struct sl_kfval	 kf[SL_NKEYS];	/* keyfile mode */
	char		**kflocks;	/* keyfile mode */
	char		**locklist;	/* every locked key, for the facts */
};

struct sl_profile {
	char		*path;		/* file read, or NULL for the default */
	char		*cause;
	char		*specs[SL_MAX_SOURCES];
	size_t		 nspecs;
};

/* Everything read once per run. */
struct sl_state {
	struct collector_ctx	*ctx;
	json_t			*top;
	json_t			*src;	/* where fact_source() records */
	struct sl_profile	 profile;	/* "user" profile */
	struct sl_db		**dbs;		/* system and file dbs, cached */
	size_t			 ndbs;
	struct sl_kfval		 overrides[SL_NKEYS];
	int			 installed[SL_NDESKTOPS];
	char			**sessions;	/* session names, parallel: */
	enum sl_desktop		*session_desktop;
	size_t			 nsessions;
};

static void
sl_kfval_clear(struct sl_kfval *kv)
{
	gvdb_value_clear(&kv->v);
	free(kv->text);
	free(kv->file);
	memset(kv, 0, sizeof *kv);
}

/*
 * Whether a per-user file exists: 1 yes, 0 no (ENOENT, ENOTDIR), -1
 * cannot tell (cause set), e.g. a home directory we may not search: a
 * file we cannot see must not read as "no settings, defaults apply".
 */
static int
sl_exists(struct sl_state *st, const char *path, char **cause)
{
	struct stat	sb;

	if (root_stat(st->ctx->root, path, &sb, NULL) == 0)
		return (1);
	if (errno == ENOENT || errno == ENOTDIR)
		return (0);
	xasprintf(cause, "stat %s: %s", path, strerror(errno));
	return (-1);
}

/*
 * Parses GVariant text of a basic type as dconf keyfiles and schema
 * overrides write it: "true", "uint32 600", "600" (an int32), "'x'".
 */
static int
sl_parse_variant(const char *text, struct gvdb_value *v)
{
	static const struct {
		const char	*word;
		const char	*type;
	} prefixes[] = {
		{ "uint32 ", "u" }, { "int32 ", "i" }, { "uint16 ", "q" },
		{ "int16 ", "n" }, { "byte ", "y" }, { "int64 ", "x" },
		{ "uint64 ", "t" }, { "boolean ", "b" },
	};
	const char	*p = text, *type = NULL;
	char		*end;
	long long	 n;
	size_t		 i, len;

	memset(v, 0, sizeof *v);
	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (str_startswith(p, prefixes[i].word)) {
			type = prefixes[i].type;
			p += strlen(prefixes[i].word);
			while (*p == ' ')
				p++;
			break;
		}
	}
	if (strcmp(p, "true") == 0 || strcmp(p, "false") == 0) {
		if (type != NULL && strcmp(type, "b") != 0)
			return (-1);
		strlcpy(v->type, "b", sizeof v->type);
		v->num = strcmp(p, "true") == 0;
		return (0);
	}
	len = strlen(p);
	if (type == NULL && len >= 2 && (p[0] == '\'' || p[0] == '"') &&
	    p[len - 1] == p[0]) {
		strlcpy(v->type, "s", sizeof v->type);
		v->str = xstrndup(p + 1, len - 2);
		return (0);
	}
	/* An untyped integer is an int32, as in GVariant text. */
	if (type == NULL)
		type = "i";
	if (strcmp(type, "b") == 0 || *p == '\0')
		return (-1);
	errno = 0;
	n = strtoll(p, &end, 0);
	if (errno != 0 || *end != '\0')
		return (-1);
	if ((type[0] == 'u' && (n < 0 || n > UINT32_MAX)) ||
	    (type[0] == 'i' && (n < INT32_MIN || n > INT32_MAX)) ||
	    (type[0] == 'q' && (n < 0 || n > UINT16_MAX)) ||
	    (type[0] == 'n' && (n < INT16_MIN || n > INT16_MAX)) ||
	    (type[0] == 'y' && (n < 0 || n > 255)) ||
	    (type[0] == 't' && n < 0))
		return (-1);
	strlcpy(v->type, type, sizeof v->type);
	v->num = n;
	return (0);
}

/* Index of the sl_keys entry with this dconf path, or -1. */
static int
sl_key_by_path(const char *path)
{
	size_t	i;

	for (i = 0; i < SL_NKEYS; i++)
		if (strcmp(sl_keys[i].path, path) == 0)
			return (i);
	return (-1);
}

/* Index of the sl_keys entry for schema and key name, or -1. */
static int
sl_key_by_schema(const char *schema, const char *name)
{
	size_t	i;

	for (i = 0; i < SL_NKEYS; i++)
		if (strcmp(sl_keys[i].schema, schema) == 0 &&
		    strcmp(sl_keys[i].name, name) == 0)
			return (i);
	return (-1);
}

/*
 * Reads a GKeyFile-style file ([group] then key=value) and records the
 * values of sl_keys into kv[]; later files override earlier ones.
 * schema != 0: groups are schema ids (gschema.override), else dconf
 * directories.
 */
static int
sl_read_keyfile(struct sl_state *st, const char *path, int schema,
    struct sl_kfval *kv, char **cause)
{
	char	*buf, *cur, *line, *group = NULL, *eq, *key, *full;
	int	 k;

	if (root_read_file(st->ctx->root, path, &buf, NULL, cause) != 0)
		return (-1);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[') {
			free(group);
			group = NULL;
			if (line[strlen(line) - 1] == ']') {
				line[strlen(line) - 1] = '\0';
				group = xstrdup(line + 1);
			}
			continue;
		}
		if (group == NULL || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		key = str_trim(line);
		if (schema)
			k = sl_key_by_schema(group, key);
		else {
			xasprintf(&full, "/%s/%s", group[0] == '/' ?
			    group + 1 : group, key);
			k = sl_key_by_path(full);
			free(full);
		}
		if (k == -1)
			continue;
		sl_kfval_clear(&kv[k]);
		kv[k].set = 1;
		kv[k].file = xstrdup(path);
		kv[k].text = xstrdup(str_trim(eq + 1));
		if (sl_parse_variant(kv[k].text, &kv[k].v) != 0)
			kv[k].bad = 1;
	}
	free(group);
	free(buf);
	return (0);
}

/* The newest mtime of a keyfile directory, its files and locks/. */
static time_t
sl_newest(struct sl_state *st, const char *dir)
{
	struct stat	  sb;
	char		**v, *p;
	time_t		  newest = 0;
	size_t		  i;

	if (root_stat(st->ctx->root, dir, &sb, NULL) == 0)
		newest = sb.st_mtime;
	if ((v = root_list_dir(st->ctx->root, dir, NULL)) == NULL)
		return (newest);
	for (i = 0; v[i] != NULL; i++) {
		xasprintf(&p, "%s/%s", dir, v[i]);
		if (root_stat(st->ctx->root, p, &sb, NULL) == 0 &&
		    sb.st_mtime > newest)
			newest = sb.st_mtime;
		free(p);
	}
	strv_free(v);
	if (!str_endswith(dir, "/locks")) {
		xasprintf(&p, "%s/locks", dir);
		if (root_exists(st->ctx->root, p) && sl_newest(st, p) > newest)
			newest = sl_newest(st, p);
		free(p);
	}
	return (newest);
}

/* Reads the keyfiles of NAME.d and its locks/ into db. */
static void
sl_db_read_keyfiles(struct sl_state *st, struct sl_db *db, const char *dir)
{
	char	**v, **l, *p, *ldir, *buf, *cur, *line, *cause = NULL;
	size_t	  i, n = 0;

	if ((v = root_list_dir(st->ctx->root, dir, &cause)) == NULL) {
		db->cause = cause;
		return;
	}
	/* dconf compile: files in name order, later ones win. */
	for (i = 0; v[i] != NULL; i++) {
		if (v[i][0] == '.' || strcmp(v[i], "locks") == 0)
			continue;
		xasprintf(&p, "%s/%s", dir, v[i]);
		fact_source(st->src, "%s", p);
		if (sl_read_keyfile(st, p, 0, db->kf, &cause) != 0 &&
		    db->cause == NULL)
			db->cause = cause;
		else
			free(cause);
		cause = NULL;
		free(p);
	}
	strv_free(v);
	db->kflocks = xcalloc(1, sizeof *db->kflocks);
	xasprintf(&ldir, "%s/locks", dir);
	if ((l = root_list_dir(st->ctx->root, ldir, NULL)) != NULL) {
		for (i = 0; l[i] != NULL; i++) {
			xasprintf(&p, "%s/%s", ldir, l[i]);
			fact_source(st->src, "%s", p);
			if (root_read_file(st->ctx->root, p, &buf, NULL,
			    &cause) != 0) {
				if (db->cause == NULL)
					db->cause = cause;
				else
					free(cause);
				cause = NULL;
				free(p);
				continue;
			}
			cur = buf;
			while ((line = str_nextline(&cur)) != NULL) {
				line = str_trim(line);
				if (*line != '/')
					continue;
				db->kflocks = xreallocarray(db->kflocks, n + 2,
				    sizeof *db->kflocks);
				db->kflocks[n++] = xstrdup(line);
				db->kflocks[n] = NULL;
			}
			free(buf);
			free(p);
		}
		strv_free(l);
	}
	free(ldir);
}

/* Opens a compiled GVDB database (and its .locks table if any). */
static int
sl_db_open_gvdb(struct sl_state *st, struct sl_db *db, int with_locks)
{
	char	*cause = NULL, *c;
	int	 r;

	fact_source(st->src, "%s", db->path);
	if (root_read_file(st->ctx->root, db->path, &db->buf, &db->len,
	    &cause) != 0) {
		db->cause = cause;
		return (-1);
	}
	if (gvdb_open(db->buf, db->len, &db->values, &cause) != 0)
		goto corrupt;
	if (with_locks) {
		r = gvdb_get_table(&db->values, ".locks", &db->locks, &cause);
		if (r == -1)
			goto corrupt;
		db->has_locks = r;
		if (r == 1 && (db->locklist = gvdb_list(&db->locks,
		    &cause)) == NULL)
			goto corrupt;
	}
	return (0);
corrupt:
	c = cause;
	xasprintf(&db->cause, "%s: corrupt GVDB database: %s", db->path, c);
	free(c);
	return (-1);
}

/* Loads a system-db (compiled file, else keyfiles) or file-db. */
static struct sl_db *
sl_db_system(struct sl_state *st, const char *spec)
{
	struct sl_db	*db;
	struct stat	 sb;
	char		*dir;
	time_t		 kfnewest;
	int		 have_compiled, have_dir;
	size_t		 i;

	for (i = 0; i < st->ndbs; i++)
		if (strcmp(st->dbs[i]->spec, spec) == 0)
			return (st->dbs[i]);
	db = xcalloc(1, sizeof *db);
	db->spec = xstrdup(spec);
	st->dbs = xreallocarray(st->dbs, st->ndbs + 1, sizeof *st->dbs);
	st->dbs[st->ndbs++] = db;

	if (str_startswith(spec, "file-db:")) {
		db->path = xstrdup(spec + 8);
		xasprintf(&db->label, "file db %s", db->path);
		if (root_exists(st->ctx->root, db->path)) {
			db->mode = DB_COMPILED;
			sl_db_open_gvdb(st, db, 1);
		}
		return (db);
	}
	if (!str_startswith(spec, "system-db:") || spec[10] == '\0' ||
	    strchr(spec + 10, '/') != NULL) {
		xasprintf(&db->label, "%s", spec);
		xasprintf(&db->cause, "dconf source %s cannot be read from "
		    "files", spec);
		return (db);
	}
	xasprintf(&db->label, "system db %s", spec + 10);
	xasprintf(&db->path, "/etc/dconf/db/%s", spec + 10);
	xasprintf(&dir, "%s.d", db->path);
	have_compiled = root_stat(st->ctx->root, db->path, &sb, NULL) == 0;
	have_dir = root_exists(st->ctx->root, dir);
	kfnewest = have_dir ? sl_newest(st, dir) : 0;
	if (have_compiled && (!have_dir || sb.st_mtime >= kfnewest)) {
		db->mode = DB_COMPILED;
		sl_db_open_gvdb(st, db, 1);
	} else if (have_dir) {
		db->mode = DB_KEYFILES;
		if (have_compiled) {
			xasprintf(&db->note, "%s is older than %s: `dconf "
			    "update` has not run", db->path, dir);
			fact_source(st->src, "%s", db->path);
		} else
			xasprintf(&db->note, "%s missing: not compiled by "
			    "`dconf update`", db->path);
		sl_db_read_keyfiles(st, db, dir);
		db->locklist = db->kflocks;
	}
	free(dir);
	return (db);
}

static void
sl_db_free(struct sl_db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < SL_NKEYS; i++)
		sl_kfval_clear(&db->kf[i]);
	if (db->locklist != db->kflocks)
		strv_free(db->kflocks);
	strv_free(db->locklist);
	free(db->spec);
	free(db->label);
	free(db->path);
	free(db->note);
	free(db->cause);
	free(db->buf);
	free(db);
}

/* Whether db locks key (system databases only). */
static int
sl_db_locked(struct sl_db *db, const char *key)
{
	size_t	i;

	if (db->user || db->cause != NULL)
		return (0);
	if (db->mode == DB_COMPILED)
		return (db->has_locks && gvdb_has(&db->locks, key, NULL) == 1);
	if (db->mode == DB_KEYFILES && db->kflocks != NULL) {
		for (i = 0; db->kflocks[i] != NULL; i++)
			if (strcmp(db->kflocks[i], key) == 0)
				return (1);
	}
	return (0);
}

/*
 * The value of sl_keys[k] in db: 1 found (v filled, *where names the
 * source), 0 absent, -1 unreadable (cause).
 */
static int
sl_db_get(struct sl_db *db, int k, struct gvdb_value *v, char **where,
    char **cause)
{
	int	r;

	if (db->cause != NULL) {
		*cause = xstrdup(db->cause);
		return (-1);
	}
	if (db->mode == DB_MISSING)
		return (0);
	if (db->mode == DB_KEYFILES) {
		if (!db->kf[k].set)
			return (0);
		if (db->kf[k].bad) {
			xasprintf(cause, "%s: %s: cannot parse value %s",
			    db->kf[k].file, sl_keys[k].path, db->kf[k].text);
			return (-1);
		}
		*v = db->kf[k].v;
		if (v->str != NULL)
			v->str = xstrdup(v->str);
		xasprintf(where, "keyfile %s", db->kf[k].file);
		return (1);
	}
	r = gvdb_get_value(&db->values, sl_keys[k].path, v, cause);
	if (r == -1) {
		char	*c = *cause;

		xasprintf(cause, "%s: %s", db->path, c);
		free(c);
	} else if (r == 1)
		*where = xstrdup(db->label);
	return (r);
}

/* Parses one profile file into prof. */
static void
sl_profile_parse(char *buf, struct sl_profile *prof)
{
	char	*cur = buf, *line;

	while ((line = str_nextline(&cur)) != NULL) {
		line[strcspn(line, "#")] = '\0';
		line = str_trim(line);
		if (*line == '\0' || prof->nspecs == SL_MAX_SOURCES)
			continue;
		prof->specs[prof->nspecs++] = xstrdup(line);
	}
}

/*
 * Resolves the dconf profile as libdconf does for a process without
 * DCONF_PROFILE: mandatory /run/dconf/user/UID (uid >= 0), then
 * /etc/dconf/profile/user and the XDG data dirs, else user-db:user.
 * A profile file that exists but cannot be read is an error, as
 * libdconf stops there too.
 */
static void
sl_profile_load(struct sl_state *st, long uid, struct sl_profile *prof)
{
	static const char *const paths[] = {
		"/etc/dconf/profile/user",
		"/usr/local/share/dconf/profile/user",
		"/usr/share/dconf/profile/user",
	};
	char	*buf, *p;
	size_t	 i;

	memset(prof, 0, sizeof *prof);
	if (uid >= 0) {
		xasprintf(&p, "/run/dconf/user/%ld", uid);
		if (root_read_file(st->ctx->root, p, &buf, NULL, NULL) == 0) {
			fact_source(st->src, "%s", p);
			prof->path = p;
			sl_profile_parse(buf, prof);
			free(buf);
		} else
			free(p);
		return;
	}
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (!root_exists(st->ctx->root, paths[i]))
			continue;
		prof->path = xstrdup(paths[i]);
		fact_source(st->src, "%s", paths[i]);
		if (root_read_file(st->ctx->root, paths[i], &buf, NULL,
		    &prof->cause) != 0)
			return;
		sl_profile_parse(buf, prof);
		free(buf);
		return;
	}
	prof->specs[prof->nspecs++] = xstrdup("user-db:user");
}

static void
sl_profile_clear(struct sl_profile *prof)
{
	size_t	i;

	for (i = 0; i < prof->nspecs; i++)
		free(prof->specs[i]);
	free(prof->path);
	free(prof->cause);
	memset(prof, 0, sizeof *prof);
}

/* Vendor overrides of the schema defaults, in the order GLib applies. */
static void
sl_read_overrides(struct sl_state *st)
{
	const char	 *dir = "/usr/share/glib-2.0/schemas";
	char		**v, *p, *cause = NULL;
	size_t		  i;

	if ((v = root_list_dir(st->ctx->root, dir, NULL)) == NULL)
		return;
	for (i = 0; v[i] != NULL; i++) {
		if (!str_endswith(v[i], ".gschema.override"))
			continue;
		xasprintf(&p, "%s/%s", dir, v[i]);
		if (sl_read_keyfile(st, p, 1, st->overrides, &cause) != 0)
			free(cause);
		else
			fact_source(st->src, "%s", p);
		cause = NULL;
		free(p);
	}
	strv_free(v);
}

/* Records the installed session files and the desktops they start. */
static int
sl_read_sessions(struct sl_state *st, json_t *sessions, char **cause)
{
	static const char *const dirs[] = {
		"/usr/share/xsessions", "/usr/share/wayland-sessions"
	};
	char		**v, *name, *p;
	enum sl_desktop	  d;
	size_t		  i, j, m;
	json_t		 *o;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (!root_exists(st->ctx->root, dirs[i]))
			continue;
		fact_source(st->src, "%s", dirs[i]);
		if ((v = root_list_dir(st->ctx->root, dirs[i], cause)) == NULL)
			return (-1);
		for (j = 0; v[j] != NULL; j++) {
			if (!str_endswith(v[j], ".desktop"))
				continue;
			name = xstrndup(v[j], strlen(v[j]) - 8);
			d = SL_OTHER;
			for (m = 0; m < sizeof sl_session_map /
			    sizeof sl_session_map[0]; m++) {
				if (str_startswith(name,
				    sl_session_map[m].prefix)) {
					d = sl_session_map[m].desktop;
					break;
				}
			}
			/* Debian's generic "default session" entry. */
			if (strcmp(name, "lightdm-xsession") == 0) {
				free(name);
				continue;
			}
			st->installed[d] = 1;
			st->sessions = xreallocarray(st->sessions,
			    st->nsessions + 1, sizeof *st->sessions);
			st->session_desktop = xreallocarray(st->session_desktop,
			    st->nsessions + 1, sizeof *st->session_desktop);
			st->sessions[st->nsessions] = name;
			st->session_desktop[st->nsessions++] = d;
			xasprintf(&p, "%s/%s", dirs[i], v[j]);
			o = json_object();
			json_object_set_new(o, "name", json_string(p));
			json_object_set_new(o, "desktop",
			    json_string(sl_desktop_names[d]));
			json_array_append_new(sessions, o);
			free(p);
		}
		strv_free(v);
	}
	return (0);
}

/* Value of key in a [group] of a small keyfile, or NULL. New string. */
static char *
sl_ini_get(const char *buf, const char *group, const char *key)
{
	char		*copy, *cur, *line, *eq, *val = NULL;
	int		 in = 0;

	copy = xstrdup(buf);
	cur = copy;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '[') {
			in = strncmp(line + 1, group, strlen(group)) == 0 &&
			    line[1 + strlen(group)] == ']';
			continue;
		}
		if (!in || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(str_trim(line), key) == 0) {
			free(val);
			val = xstrdup(str_trim(eq + 1));
		}
	}
	free(copy);
	return (val);
}

/*
 * The session a user last chose: AccountsService (Session=, then
 * XSession=), else ~/.dmrc.  Sets *from to where it was found (the
 * user's "session_from" fact, so the file is not added to _sources).
 */
static char *
sl_user_session(struct sl_state *st, const struct passwd_entry *pe,
    char **from)
{
	static const char *const keys[] = { "Session", "XSession" };
	char	*p, *buf, *s = NULL;
	size_t	 i;

	xasprintf(&p, "/var/lib/AccountsService/users/%s", pe->name);
	if (root_read_file(st->ctx->root, p, &buf, NULL, NULL) == 0) {
		for (i = 0; i < 2 && s == NULL; i++) {
			s = sl_ini_get(buf, "User", keys[i]);
			if (s != NULL && *s == '\0') {
				free(s);
				s = NULL;
			}
			if (s != NULL)
				xasprintf(from, "%s %s=", p, keys[i]);
		}
		free(buf);
	}
	free(p);
	if (s != NULL)
		return (s);
	xasprintf(&p, "%s/.dmrc", pe->home);
	if (root_read_file(st->ctx->root, p, &buf, NULL, NULL) == 0) {
		s = sl_ini_get(buf, "Desktop", "Session");
		if (s != NULL && (*s == '\0' || strcmp(s, "default") == 0)) {
			free(s);
			s = NULL;
		}
		if (s != NULL)
			xasprintf(from, "%s Session=", p);
		free(buf);
	}
	free(p);
	return (s);
}

/* Sets the common per-user results from the decoded settings. */
static void
sl_set_result(json_t *u, int lock_enabled, int64_t idle_s, int64_t delay_s,
    int enforced)
{
	json_object_set_new(u, "lock_enabled", json_boolean(lock_enabled));
	json_object_set_new(u, "idle_delay_s", json_integer(idle_s));
	json_object_set_new(u, "lock_delay_s", json_integer(delay_s));
	/* Idle 0 means "never idle"; a disabled lock never locks. */
	if (lock_enabled && idle_s > 0)
		json_object_set_new(u, "effective_s",
		    json_integer(idle_s + delay_s));
	else
		json_object_set_new(u, "effective_s", json_null());
	json_object_set_new(u, "enforced", json_boolean(enforced));
}

/* Records one setting: {value, source, locked[, ignored]}. */
static void
sl_setting(json_t *settings, const char *key, json_t *value,
    const char *source, int locked, const char *ignored)
{
	json_t	*o = json_object();

	json_object_set_new(o, "value", value);
	json_object_set_new(o, "source", json_string(source));
	json_object_set_new(o, "locked", json_boolean(locked));
	if (ignored != NULL)
		json_object_set_new(o, "ignored", json_string(ignored));
	json_object_set_new(settings, key, o);
}

static json_t *
sl_value_json(const struct gvdb_value *v)
{
	if (v->type[0] == 'b')
		return (json_boolean(v->num));
	if (v->str != NULL)
		return (json_string(v->str));
	return (json_integer(v->num));
}

/*
 * Whether a .gschema.override value applies.  glib-compile-schemas
 * parses it in the key's own type, so an untyped "600" is a valid
 * uint32 there (unlike in a dconf keyfile).
 */
static int
sl_override_ok(const struct sl_kfval *ov, const struct sl_key *key)
{
	if (!ov->set || ov->bad)
		return (0);
	if (ov->v.type[0] == key->type)
		return (1);
	if (ov->v.type[0] == 'i' && strchr(ov->text, ' ') == NULL &&
	    ov->v.num >= 0 && (key->type == 'u' ||
	    (key->type == 'q' && ov->v.num <= UINT16_MAX) ||
	    (key->type == 'y' && ov->v.num <= 255)))
		return (1);
	return (0);
}

/*
 * Evaluates a dconf-based desktop for one user, following
 * dconf_engine_read(): locks from sources 1.., then the user db when
 * nothing is locked, then the sources from the locking one down.
 */
static void
sl_eval_dconf(struct sl_state *st, const struct passwd_entry *pe,
    enum sl_desktop d, json_t *u)
{
	struct sl_profile	 mprof, *prof;
	struct sl_db		*src[SL_MAX_SOURCES], *udb = NULL;
	struct gvdb_value	 v, val[SL_NKEYS];
	json_t			*settings;
	char			*where, *cause = NULL, *ignored, *src_s, *vs;
	int64_t			 idle = 0, delay = 0;
	int			 lock = 1, activate = 1, disable = 0;
	int			 locked_all = 1, lock_level, r, found;
	size_t			 i, n, k;

	sl_profile_load(st, pe->uid, &mprof);
	prof = mprof.path != NULL ? &mprof : &st->profile;
	if (prof->cause != NULL) {
		fact_error(u, "%s", prof->cause);
		sl_profile_clear(&mprof);
		return;
	}
	json_object_set_new(u, "dconf_profile", json_string(prof->path != NULL ?
	    prof->path : "default (user-db:user)"));
	memset(src, 0, sizeof src);
	memset(val, 0, sizeof val);
	for (n = 0; n < prof->nspecs; n++) {
		if (str_startswith(prof->specs[n], "user-db:")) {
			src[n] = xcalloc(1, sizeof *src[n]);
			src[n]->user = 1;
			src[n]->spec = xstrdup(prof->specs[n]);
			xasprintf(&src[n]->label, "user db");
			xasprintf(&src[n]->path, "%s/.config/dconf/%s",
			    pe->home, prof->specs[n] + 8);
			/* On -1 the cause is set: reads of this db fail. */
			if (sl_exists(st, src[n]->path, &src[n]->cause) == 1) {
				src[n]->mode = DB_COMPILED;
				sl_db_open_gvdb(st, src[n], 0);
			}
			if (n == 0)
				udb = src[n];
		} else
			src[n] = sl_db_system(st, prof->specs[n]);
	}

	/* A corrupt user db is never read as "no settings". */
	if (udb != NULL && udb->cause != NULL) {
		fact_error(u, "%s", udb->cause);
		goto out;
	}
	settings = json_object();
	json_object_set_new(u, "settings", settings);
	for (k = 0; k < SL_NKEYS; k++) {
		if (sl_keys[k].desktop != d)
			continue;
		/* Step 1: the lowest-priority source that locks the key. */
		lock_level = 0;
		for (i = n; i > 1; i--) {
			if (sl_db_locked(src[i - 1], sl_keys[k].path)) {
				lock_level = i - 1;
				break;
			}
		}
		found = 0;
		where = NULL;
		for (i = lock_level; i < n && !found; i++) {
			r = sl_db_get(src[i], k, &v, &where, &cause);
			if (r == -1) {
				fact_error(u, "%s", cause);
				free(cause);
				goto out;
			}
			found = r == 1;
		}
		ignored = NULL;
		if (found && strcmp(v.type, (char[]){ sl_keys[k].type, 0 })
		    != 0) {
			/* GSettings drops a value of the wrong type. */
			vs = gvdb_value_format(&v);
			xasprintf(&ignored, "%s: %s is not of the schema "
			    "type '%c'", where, vs, sl_keys[k].type);
			free(vs);
			gvdb_value_clear(&v);
			free(where);
			where = NULL;
			found = 0;
		}
		if (!found) {
			memset(&v, 0, sizeof v);
			v.type[0] = sl_keys[k].type;
			if (sl_override_ok(&st->overrides[k], &sl_keys[k])) {
				v.num = st->overrides[k].v.num;
				xasprintf(&where, "schema override %s",
				    st->overrides[k].file);
			} else {
				v.num = sl_keys[k].def;
				where = xstrdup("default");
			}
		}
		if (lock_level > 0)
			xasprintf(&src_s, "locked %s", where);
		else
			src_s = xstrdup(where);
		if (lock_level > 0 && !found) {
			free(src_s);
			xasprintf(&src_s, "%s (locked by %s)", where,
			    src[lock_level]->label);
		}
		sl_setting(settings, sl_keys[k].path, sl_value_json(&v), src_s,
		    lock_level > 0, ignored);
		free(src_s);
		free(where);
		free(ignored);
		val[k] = v;
		switch (sl_keys[k].role) {
		case ROLE_IDLE:
			idle = v.num * sl_keys[k].scale;
			locked_all &= lock_level > 0;
			break;
		case ROLE_LOCK:
			lock = v.num != 0;
			locked_all &= lock_level > 0;
			break;
		case ROLE_DELAY:
			delay = v.num * sl_keys[k].scale;
			locked_all &= lock_level > 0;
			break;
		case ROLE_DISABLE:
			disable = v.num != 0;
			break;
		case ROLE_ACTIVATE:
			activate = v.num != 0;
			locked_all &= lock_level > 0;
			break;
		}
	}
	sl_set_result(u, lock && !disable && activate, idle, delay,
	    locked_all);
out:
	for (k = 0; k < SL_NKEYS; k++)
		gvdb_value_clear(&val[k]);
	for (i = 0; i < n; i++)
		if (src[i] != NULL && src[i]->user)
			sl_db_free(src[i]);
	sl_profile_clear(&mprof);
}

/* KConfig boolean: true/on/yes/1. */
static int
sl_kde_bool(const char *s)
{
	return (strcasecmp(s, "true") == 0 || strcasecmp(s, "on") == 0 ||
	    strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0);
}

struct sl_kdeval {
	char	*value;
	char	*source;
	int	 immutable;
};

/*
 * Reads [Daemon] keys of one kscreenlockerrc into vals (keys[]),
 * honouring KConfig immutability: a "[$i]" line before any group (the
 * whole file), "[Daemon][$i]" (the group) or "Key[$i]=" (one key).
 * Values already marked immutable by a lower file are kept.
 */
static int
sl_kde_read(struct sl_state *st, const char *path, const char *label,
    const char *const *keys, struct sl_kdeval *vals, size_t nkeys,
    int *daemon_imm, char **cause)
{
	char	*buf, *cur, *line, *eq, *k, *br;
	int	 in = 0, file_imm = 0, group_imm = 0, key_imm;
	size_t	 i;

	if (root_read_file(st->ctx->root, path, &buf, NULL, cause) != 0)
		return (-1);
	fact_source(st->src, "%s", path);
	/* An immutable group in a lower file hides this file's group. */
	if (*daemon_imm) {
		free(buf);
		return (0);
	}
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[') {
			if (in && (file_imm || group_imm))
				*daemon_imm = 1;
			if (strcmp(line, "[$i]") == 0) {
				file_imm = 1;
				continue;
			}
			in = str_startswith(line, "[Daemon]");
			group_imm = in && strstr(line + 8, "[$i]") != NULL;
			continue;
		}
		if (!in || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		k = str_trim(line);
		key_imm = 0;
		if ((br = strchr(k, '[')) != NULL) {
			key_imm = strstr(br, "$i") != NULL;
			*br = '\0';
		}
		for (i = 0; i < nkeys; i++) {
			if (strcmp(k, keys[i]) != 0 || vals[i].immutable)
				continue;
			free(vals[i].value);
			free(vals[i].source);
			vals[i].value = xstrdup(str_trim(eq + 1));
			vals[i].immutable = file_imm || group_imm || key_imm;
			xasprintf(&vals[i].source, "%s%s %s",
			    vals[i].immutable ? "immutable " : "", label, path);
		}
	}
	if (file_imm || (in && group_imm))
		*daemon_imm = 1;
	free(buf);
	return (0);
}

/* KDE: kscreenlockerrc, system then user, KConfig cascade. */
static void
sl_eval_kde(struct sl_state *st, const struct passwd_entry *pe, json_t *u)
{
	static const char *const keys[] = {
		"Autolock", "Timeout", "LockGrace", "LockOnResume"
	};
	static const char *const defs[] = { "true", "5", "5", "true" };
	struct sl_kdeval	 vals[4];
	json_t			*settings;
	char			*p, *cause = NULL, *end;
	long long		 num[4];
	size_t			 i;
	int			 enforced, daemon_imm = 0, r;

	memset(vals, 0, sizeof vals);
	p = xstrdup("/etc/xdg/kscreenlockerrc");
	if (root_exists(st->ctx->root, p) && sl_kde_read(st, p, "system",
	    keys, vals, 4, &daemon_imm, &cause) != 0)
		goto error;
	free(p);
	xasprintf(&p, "%s/.config/kscreenlockerrc", pe->home);
	if ((r = sl_exists(st, p, &cause)) == -1 || (r == 1 &&
	    sl_kde_read(st, p, "user", keys, vals, 4, &daemon_imm,
	    &cause) != 0))
		goto error;
	free(p);
	p = NULL;
	settings = json_object();
	json_object_set_new(u, "settings", settings);
	for (i = 0; i < 4; i++) {
		if (vals[i].value == NULL) {
			vals[i].value = xstrdup(defs[i]);
			vals[i].source = xstrdup(daemon_imm ?
			    "default (immutable [Daemon] group)" : "default");
			vals[i].immutable = daemon_imm;
		}
		if (i == 1 || i == 2) {
			errno = 0;
			num[i] = strtoll(vals[i].value, &end, 10);
			if (errno != 0 || *end != '\0' || num[i] < 0 ||
			    num[i] > INT32_MAX) {
				xasprintf(&cause, "%s: [Daemon] %s=%s is not a "
				    "number", vals[i].source, keys[i],
				    vals[i].value);
				goto error;
			}
			sl_setting(settings, keys[i], json_integer(num[i]),
			    vals[i].source, vals[i].immutable, NULL);
		} else {
			num[i] = sl_kde_bool(vals[i].value);
			sl_setting(settings, keys[i], json_boolean(num[i]),
			    vals[i].source, vals[i].immutable, NULL);
		}
	}
	enforced = daemon_imm || (vals[0].immutable && vals[1].immutable &&
	    vals[2].immutable);
	sl_set_result(u, num[0] != 0, num[1] * 60, num[2], enforced);
	goto out;
error:
	fact_error(u, "%s", cause);
	free(cause);
	free(p);
out:
	for (i = 0; i < 4; i++) {
		free(vals[i].value);
		free(vals[i].source);
	}
}

struct sl_xfval {
	const char	*prop;
	const char	*def;
	char		*value;
	char		*source;
	int		 locked;
};

/* Extracts attribute name="..." from an XML tag. New string or NULL. */
static char *
sl_xml_attr(const char *tag, size_t len, const char *name)
{
	const char	*p = tag, *e = tag + len, *q;
	size_t		 nl = strlen(name);

	while ((p = memmem(p, e - p, name, nl)) != NULL) {
		if (p > tag && (p[-1] == ' ' || p[-1] == '\t' ||
		    p[-1] == '\n') && p + nl + 1 < e && p[nl] == '=' &&
		    p[nl + 1] == '"') {
			q = memchr(p + nl + 2, '"', e - (p + nl + 2));
			if (q == NULL)
				return (NULL);
			return (xstrndup(p + nl + 2, q - (p + nl + 2)));
		}
		p += nl;
	}
	return (NULL);
}

/* Whether an xfconf locked="..." list applies to this user. */
static int
sl_xf_locked(const char *locked, const char *user)
{
	char	*copy, *cur, *tok;
	int	 r = 0;

	if (locked == NULL)
		return (0);
	copy = xstrdup(locked);
	cur = copy;
	while ((tok = strsep(&cur, ";")) != NULL) {
		if (strcmp(tok, "*") == 0 || strcmp(tok, user) == 0)
			r = 1;
	}
	free(copy);
	return (r);
}

/*
 * Reads an xfconf channel file: nested <property name=...> elements
 * form the path ("/lock/enabled").  A locked channel or property in a
 * system file pins the value.  Unknown markup is skipped.
 */
static int
sl_xf_read(struct sl_state *st, const char *path, const char *label,
    const char *user, struct sl_xfval *vals, size_t nvals, int *chan_locked,
    char **cause)
{
	char		*buf, *p, *e, *name, *value, *locked, *chlocked = NULL;
	char		 stack[16][64], full[1100];
	size_t		 depth = 0, len, i, j;
	int		 selfclose, lk;

	if (root_read_file(st->ctx->root, path, &buf, NULL, cause) != 0)
		return (-1);
	fact_source(st->src, "%s", path);
	/* A channel locked by a lower file hides this whole file. */
	if (*chan_locked) {
		free(buf);
		return (0);
	}
	p = buf;
	while ((p = strchr(p, '<')) != NULL) {
		if ((e = strchr(p, '>')) == NULL)
			break;
		len = e - p;
		selfclose = len > 0 && e[-1] == '/';
		if (str_startswith(p, "<channel"))
			chlocked = sl_xml_attr(p, len, "locked");
		else if (str_startswith(p, "</property")) {
			if (depth > 0)
				depth--;
		} else if (str_startswith(p, "<property") &&
		    (p[9] == ' ' || p[9] == '\t' || p[9] == '\n')) {
			name = sl_xml_attr(p, len, "name");
			if (depth == sizeof stack / sizeof stack[0] ||
			    name == NULL || strlen(name) >= sizeof stack[0]) {
				free(name);
				xasprintf(cause, "%s: malformed or too deep "
				    "property", path);
				free(chlocked);
				free(buf);
				return (-1);
			}
			strlcpy(stack[depth++], name, sizeof stack[0]);
			free(name);
			full[0] = '\0';
			for (j = 0; j < depth; j++) {
				strlcat(full, "/", sizeof full);
				strlcat(full, stack[j], sizeof full);
			}
			value = sl_xml_attr(p, len, "value");
			locked = sl_xml_attr(p, len, "locked");
			lk = sl_xf_locked(chlocked, user) ||
			    sl_xf_locked(locked, user);
			for (i = 0; i < nvals && value != NULL; i++) {
				if (strcmp(vals[i].prop, full) != 0 ||
				    vals[i].locked)
					continue;
				free(vals[i].value);
				free(vals[i].source);
				vals[i].value = xstrdup(value);
				vals[i].locked = lk;
				xasprintf(&vals[i].source, "%s%s %s",
				    lk ? "locked " : "", label, path);
			}
			free(value);
			free(locked);
			if (selfclose)
				depth--;
		}
		p = e + 1;
	}
	*chan_locked = sl_xf_locked(chlocked, user);
	free(chlocked);
	free(buf);
	return (0);
}

/* XFCE: the xfce4-screensaver xfconf channel, system then user. */
static void
sl_eval_xfce(struct sl_state *st, const struct passwd_entry *pe, json_t *u)
{
	/* Defaults of xfce4-screensaver (src/gs-prefs.h DEFAULT_KEY_*). */
	struct sl_xfval	 vals[] = {
		{ "/saver/enabled", "true", NULL, NULL, 0 },
		{ "/saver/idle-activation/enabled", "true", NULL, NULL, 0 },
		{ "/saver/idle-activation/delay", "5", NULL, NULL, 0 },
		{ "/lock/enabled", "true", NULL, NULL, 0 },
		{ "/lock/saver-activation/delay", "0", NULL, NULL, 0 },
		{ "/lock/saver-activation/enabled", "true", NULL, NULL, 0 },
	};
	const size_t	 nvals = sizeof vals / sizeof vals[0];
	const char	*chan = "xfce4/xfconf/xfce-perchannel-xml/"
	    "xfce4-screensaver.xml";
	json_t		*settings;
	char		*p = NULL, *cause = NULL, *end;
	long long	 num[6];
	size_t		 i;
	int		 r, chan_locked = 0;

	if (!root_exists(st->ctx->root, "/usr/bin/xfce4-screensaver")) {
		fact_error(u, "xfce4-screensaver not installed "
		    "(/usr/bin/xfce4-screensaver): the XFCE screen locker in "
		    "use cannot be read");
		return;
	}
	xasprintf(&p, "/etc/xdg/%s", chan);
	if (root_exists(st->ctx->root, p) && sl_xf_read(st, p, "system",
	    pe->name, vals, nvals, &chan_locked, &cause) != 0)
		goto error;
	free(p);
	xasprintf(&p, "%s/.config/%s", pe->home, chan);
	if ((r = sl_exists(st, p, &cause)) == -1 || (r == 1 &&
	    sl_xf_read(st, p, "user", pe->name, vals, nvals, &chan_locked,
	    &cause) != 0))
		goto error;
	free(p);
	p = NULL;
	settings = json_object();
	json_object_set_new(u, "settings", settings);
	for (i = 0; i < nvals; i++) {
		if (vals[i].value == NULL) {
			vals[i].value = xstrdup(vals[i].def);
			vals[i].source = xstrdup(chan_locked ?
			    "default (locked system channel)" : "default");
			vals[i].locked = chan_locked;
		}
		if (i == 2 || i == 4) {
			errno = 0;
			num[i] = strtoll(vals[i].value, &end, 10);
			if (errno != 0 || *end != '\0' || num[i] < 0 ||
			    num[i] > INT32_MAX) {
				xasprintf(&cause, "%s: %s=%s is not a number",
				    vals[i].source, vals[i].prop,
				    vals[i].value);
				goto error;
			}
			sl_setting(settings, vals[i].prop,
			    json_integer(num[i]), vals[i].source,
			    vals[i].locked, NULL);
		} else {
			num[i] = strcmp(vals[i].value, "true") == 0;
			sl_setting(settings, vals[i].prop,
			    json_boolean(num[i]), vals[i].source,
			    vals[i].locked, NULL);
		}
	}
	/* Locks on idle: saver on, activates on idle, locking on, and
	 * locking when the saver activates. */
	sl_set_result(u, num[0] && num[1] && num[3] && num[5], num[2] * 60,
	    num[4] * 60, vals[0].locked && vals[1].locked && vals[2].locked &&
	    vals[3].locked && vals[4].locked && vals[5].locked);
	goto out;
error:
	fact_error(u, "%s", cause);
	free(cause);
	free(p);
out:
	for (i = 0; i < nvals; i++) {
		free(vals[i].value);
		free(vals[i].source);
	}
}

/* One users[] element for user pe on desktop d. */
static json_t *
sl_eval_user(struct sl_state *st, const struct passwd_entry *pe,
    enum sl_desktop d, const char *session, const char *from)
{
	json_t	*u = json_object(), *saved = st->src;

	/* Per-user paths are recorded on the user, not once per host. */
	st->src = u;
	json_object_set_new(u, "name", json_string(pe->name));
	json_object_set_new(u, "uid", json_integer(pe->uid));
	json_object_set_new(u, "desktop", json_string(sl_desktop_names[d]));
	if (session != NULL)
		json_object_set_new(u, "session", json_string(session));
	json_object_set_new(u, "session_from", json_string(from));
	switch (d) {
	case SL_GNOME:
	case SL_CINNAMON:
	case SL_MATE:
		sl_eval_dconf(st, pe, d, u);
		break;
	case SL_KDE:
		sl_eval_kde(st, pe, u);
		break;
	case SL_XFCE:
		sl_eval_xfce(st, pe, u);
		break;
	default:
		fact_error(u, "session %s: no screen-lock settings this "
		    "agent can read", session != NULL ? session : "?");
		break;
	}
	st->src = saved;
	return (u);
}

/* The "system" facts: dconf profile, databases and their locks. */
static json_t *
sl_system_facts(struct sl_state *st)
{
	json_t		*sys, *dbs, *locks, *o;
	struct sl_db	*db;
	size_t		 i, j;

	sys = json_object();
	if (st->profile.cause != NULL)
		return (fact_error(sys, "%s", st->profile.cause));
	json_object_set_new(sys, "profile", json_string(st->profile.path != NULL
	    ? st->profile.path : "default (user-db:user)"));
	o = json_array();
	for (i = 0; i < st->profile.nspecs; i++)
		json_array_append_new(o, json_string(st->profile.specs[i]));
	json_object_set_new(sys, "sources", o);
	dbs = json_array();
	locks = json_array();
	for (i = 0; i < st->profile.nspecs; i++) {
		if (str_startswith(st->profile.specs[i], "user-db:"))
			continue;
		db = sl_db_system(st, st->profile.specs[i]);
		o = json_object();
		json_object_set_new(o, "name", json_string(db->spec));
		if (db->path != NULL)
			json_object_set_new(o, "path", json_string(db->path));
		json_object_set_new(o, "state", json_string(
		    db->mode == DB_COMPILED ? "compiled" :
		    db->mode == DB_KEYFILES ? "keyfiles" : "missing"));
		if (db->note != NULL)
			json_object_set_new(o, "note", json_string(db->note));
		if (db->cause != NULL)
			fact_error(o, "%s", db->cause);
		for (j = 0; db->locklist != NULL && db->locklist[j] != NULL;
		    j++)
			json_array_append_new(locks, json_string(
			    db->locklist[j]));
		json_array_append_new(dbs, o);
	}
	json_object_set_new(sys, "databases", dbs);
	json_object_set_new(sys, "locks", locks);
	return (sys);
}

static void
sl_state_clear(struct sl_state *st)
{
	size_t	i;

	sl_profile_clear(&st->profile);
	for (i = 0; i < st->ndbs; i++)
		sl_db_free(st->dbs[i]);
	free(st->dbs);
	for (i = 0; i < SL_NKEYS; i++)
		sl_kfval_clear(&st->overrides[i]);
	for (i = 0; i < st->nsessions; i++)
		free(st->sessions[i]);
	free(st->sessions);
	free(st->session_desktop);
}

/*
 * Returns the screen_lock facts; _na without a graphical desktop,
 * _error when the session list or the accounts cannot be read.
 */
static json_t *
screen_lock_collect(struct collector_ctx *ctx)
{
	struct sl_state		 st;
	struct passwd_list	 pl;
	json_t			*top, *sessions, *desktops, *users;
	char			*cause = NULL, *session, *from;
	enum sl_desktop		 d, chosen;
	size_t			 i, j;
	int			 any_dconf, ndesktops = 0;

	memset(&st, 0, sizeof st);
	st.ctx = ctx;
	st.top = st.src = top = json_object();
	sessions = json_array();
	json_object_set_new(top, "sessions", sessions);
	if (sl_read_sessions(&st, sessions, &cause) != 0) {
		fact_error(top, "%s", cause);
		free(cause);
		goto out;
	}
	desktops = json_array();
	for (d = 0; d < SL_NDESKTOPS; d++)
		if (st.installed[d])
			json_array_append_new(desktops,
			    json_string(sl_desktop_names[d]));
	json_object_set_new(top, "desktops", desktops);
	json_object_set_new(top, "desktop_installed",
	    json_boolean(st.nsessions > 0));
	if (st.nsessions == 0) {
		fact_na_ja(fact_na(top, "no graphical desktop installed"),
		    "グラフィカルデスクトップがインストールされていない");
		goto out;
	}

	for (d = 0; d < SL_NDESKTOPS; d++)
		ndesktops += st.installed[d];
	any_dconf = st.installed[SL_GNOME] || st.installed[SL_CINNAMON] ||
	    st.installed[SL_MATE];
	if (any_dconf) {
		sl_profile_load(&st, -1, &st.profile);
		sl_read_overrides(&st);
		json_object_set_new(top, "system", sl_system_facts(&st));
	}

	if (passwd_read(ctx->root, &pl, &cause) != 0) {
		fact_error(top, "%s", cause);
		free(cause);
		goto out;
	}
	fact_source(top, "/etc/passwd");
	users = json_array();
	json_object_set_new(top, "users", users);
	for (i = 0; i < pl.n; i++) {
		if (!pl.v[i].interactive)
			continue;
		from = NULL;
		session = sl_user_session(&st, &pl.v[i], &from);
		chosen = SL_NDESKTOPS;
		for (j = 0; session != NULL && j < st.nsessions; j++)
			if (strcmp(st.sessions[j], session) == 0)
				chosen = st.session_desktop[j];
		if (chosen != SL_NDESKTOPS) {
			json_array_append_new(users, sl_eval_user(&st,
			    &pl.v[i], chosen, session, from));
		} else {
			/* Unknown or uninstalled choice: any desktop. */
			for (d = 0; d < SL_NDESKTOPS; d++) {
				if (!st.installed[d])
					continue;
				json_array_append_new(users, sl_eval_user(&st,
				    &pl.v[i], d, NULL, ndesktops == 1 ?
				    "only desktop installed" :
				    "no recorded session: every installed "
				    "desktop"));
			}
		}
		free(session);
		free(from);
	}
	passwd_clear(&pl);
out:
	sl_state_clear(&st);
	return (top);
}

const struct collector collector_screen_lock = {
	.name = "screen_lock",
	.flags = COLLECTOR_NEEDS_ROOT,	/* other users' home directories */
	.collect = screen_lock_collect,
};
