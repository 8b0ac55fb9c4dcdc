/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * isms-collectord: the central collector (isms-collectord(8)).
 *
 * Design.  One process and one libevent loop.  Started as root, it
 * reads the configuration, loads (or creates) its CA and the listener's
 * certificate, binds its sockets, and then drops to the configured user
 * before it opens the store or reads a byte from the network.  The CA
 * key and the server key stay in state_dir, owned by root; the store
 * lives in state_dir/store, owned by the user, and is opened only after
 * the drop, so every file SQLite creates there (the WAL, its index)
 * belongs to the user too.  The admin commands (token, host) drop the
 * same way before they touch the store, for the same reason.
 *
 * The admin commands work on the store directly, beside a running
 * daemon (SQLite in WAL mode): a token is usable and a revocation takes
 * effect at once, without a reload.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "collectord.h"
#include "cstore.h"
#include "log.h"
#include "pki.h"
#include "proc.h"
#include "stale.h"
#include "util.h"
#include "xmalloc.h"

#define EXIT_FAILED	1	/* an admin command could not be done */
#define EXIT_USAGE	2	/* usage or configuration error */

#define TOKEN_DEFAULT_EXPIRY	(24 * 3600)	/* seconds */
#define TOKEN_MAX_USES		1000000
#define TOKEN_MAX_NOTE		200		/* bytes */
#define API_TOKEN_MIN_PREFIX	6		/* hex digits to revoke by */
#define STORE_SUBDIR		"store"
#define STORE_FILE		"collector.db"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: isms-collectord [-dnv] [-f file]\n"
	    "       isms-collectord [-f file] token create [--uses n] "
	    "[--expires duration] [--note text]\n"
	    "       isms-collectord [-f file] token list\n"
	    "       isms-collectord [-f file] host revoke host_id\n"
	    "       isms-collectord [-f file] api-token create --role "
	    "admin|auditor|viewer [--note text]\n"
	    "       isms-collectord [-f file] api-token list\n"
	    "       isms-collectord [-f file] api-token revoke prefix\n");
	exit(EXIT_USAGE);
}

/* A size: bytes, or with a k, m or g suffix (powers of 1024). */
static int
conf_size(const struct ynode *v, int64_t *out, struct yerrors *e)
{
	char		*end;
	long long	 n;
	int64_t		 mult = 1;

	if (v->type != YNODE_SCALAR) {
		yerr(e, v, "expected a size such as 1m, found %s",
		    ynode_type_name(v->type));
		return (-1);
	}
	errno = 0;
	n = strtoll(v->value, &end, 10);
	if (end[0] != '\0' && end[1] == '\0') {
		switch (end[0]) {
		case 'k': case 'K': mult = 1024; end++; break;
		case 'm': case 'M': mult = 1024 * 1024; end++; break;
		case 'g': case 'G': mult = 1024 * 1024 * 1024; end++; break;
		}
	}
	if (v->value[0] == '\0' || end == v->value || *end != '\0' ||
	    errno != 0 || n < 1 || n > INT64_MAX / mult) {
		yerr(e, v, "expected a size such as 1m, 512k or 65536, found "
		    "\"%s\"", v->value);
		return (-1);
	}
	*out = n * mult;
	return (0);
}

/* "host:port", "[v6]:port" or ":port" (every address). */
static void
conf_listen_one(struct collectord_conf *conf, const struct ynode *v,
    struct yerrors *e)
{
	struct listen_addr	*la;
	const char		*s, *colon;
	char			*host, *end;
	long			 port;

	if (v->type != YNODE_SCALAR) {
		yerr(e, v, "listen: expected \"address:port\"");
		return;
	}
	s = v->value;
	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL) {
			yerr(e, v, "listen: expected \"[address]:port\", "
			    "found \"%s\"", s);
			return;
		}
		host = xstrndup(s + 1, colon - s - 1);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    strchr(s, ':') != colon) {
			yerr(e, v, "listen: expected \"address:port\" (an "
			    "IPv6 address in brackets), found \"%s\"", s);
			return;
		}
		host = xstrndup(s, colon - s);
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
		yerr(e, v, "listen: port must be 1 to 65535, found \"%s\"",
		    colon + 1);
		free(host);
		return;
	}
	if (*host == '\0') {
		free(host);
		host = xstrdup("::");
	}
	conf->listen = xreallocarray(conf->listen, conf->nlisten + 1,
	    sizeof *conf->listen);
	la = &conf->listen[conf->nlisten++];
	la->text = xstrdup(s);
	la->host = host;
	la->port = (int)port;
}

static void
conf_str(const struct ynode *v, char **out, int absolute, const char *what,
    struct yerrors *e)
{
	const char	*s;

	if (ynode_string(v, &s, e) == -1)
		return;
	if (absolute && *s != '/') {
		yerr(e, v, "%s must be an absolute path", what);
		return;
	}
	free(*out);
	*out = xstrdup(s);
}

static void
conf_tls(struct collectord_conf *conf, const struct ynode *m,
    struct yerrors *e)
{
	static const char *const keys[] = { "cert", "key", "names", NULL };
	const struct ynode	*v;
	size_t			 i;

	if (m->type != YNODE_MAP) {
		yerr(e, m, "tls must be a mapping with cert and key");
		return;
	}
	ynode_check_keys(m, keys, e);
	if ((v = ynode_get(m, "cert")) != NULL)
		conf_str(v, &conf->tls_cert, 1, "tls.cert", e);
	if ((v = ynode_get(m, "key")) != NULL)
		conf_str(v, &conf->tls_key, 1, "tls.key", e);
	if ((conf->tls_cert == NULL) != (conf->tls_key == NULL))
		yerr(e, m, "tls needs both cert and key, or neither (a "
		    "certificate is then made by the collector's CA)");
	if ((v = ynode_get(m, "names")) == NULL)
		return;
	if (v->type != YNODE_SEQ || v->nitems == 0) {
		yerr(e, v, "tls.names must be a list of DNS names or IP "
		    "addresses");
		return;
	}
	for (i = 0; i < v->nitems; i++) {
		if (v->items[i]->type != YNODE_SCALAR) {
			yerr(e, v->items[i], "tls.names: expected a name");
			continue;
		}
		conf->tls_names = xreallocarray(conf->tls_names,
		    conf->ntls_names + 1, sizeof *conf->tls_names);
		conf->tls_names[conf->ntls_names++] =
		    xstrdup(v->items[i]->value);
	}
}

static void
conf_limits(struct collectord_conf *conf, const struct ynode *m,
    struct yerrors *e)
{
	static const char *const keys[] = { "max_body", "header_timeout",
	    "body_timeout", "max_connections", "workers", NULL };
	const struct ynode	*v;

	if (m->type != YNODE_MAP) {
		yerr(e, m, "limits must be a mapping");
		return;
	}
	ynode_check_keys(m, keys, e);
	if ((v = ynode_get(m, "max_body")) != NULL &&
	    conf_size(v, &conf->max_body, e) == 0 &&
	    conf->max_body > 1024 * 1024 * 1024)
		yerr(e, v, "limits.max_body must be at most 1g");
	if ((v = ynode_get(m, "header_timeout")) != NULL &&
	    ynode_duration(v, &conf->header_timeout, e) == 0 &&
	    (conf->header_timeout < 1 || conf->header_timeout > 3600))
		yerr(e, v, "limits.header_timeout must be 1s to 1h");
	if ((v = ynode_get(m, "body_timeout")) != NULL &&
	    ynode_duration(v, &conf->body_timeout, e) == 0 &&
	    (conf->body_timeout < 1 || conf->body_timeout > 3600))
		yerr(e, v, "limits.body_timeout must be 1s to 1h");
	if ((v = ynode_get(m, "max_connections")) != NULL &&
	    ynode_int(v, &conf->max_connections, e) == 0 &&
	    (conf->max_connections < 1 || conf->max_connections > 1000000))
		yerr(e, v, "limits.max_connections must be 1 to 1000000");
	if ((v = ynode_get(m, "workers")) != NULL &&
	    ynode_int(v, &conf->workers, e) == 0 &&
	    (conf->workers < 0 || conf->workers > 64))
		yerr(e, v, "limits.workers must be 0 to 64");
}

static void
conf_apply(struct collectord_conf *conf, const struct ynode *r,
    struct yerrors *e)
{
	static const char *const keys[] = { "listen", "state_dir", "user",
	    "tls", "limits", "cert_days", "stale_after", "alerts", NULL };
	const struct ynode	*v;
	size_t			 i;

	if (r == NULL)
		return;
	if (r->type != YNODE_MAP) {
		yerr(e, r, "the configuration must be a mapping");
		return;
	}
	ynode_check_keys(r, keys, e);
	if ((v = ynode_get(r, "listen")) != NULL) {
		if (v->type == YNODE_SEQ) {
			for (i = 0; i < v->nitems; i++)
				conf_listen_one(conf, v->items[i], e);
			if (v->nitems == 0)
				yerr(e, v, "listen: at least one address");
		} else
			conf_listen_one(conf, v, e);
	}
	if ((v = ynode_get(r, "state_dir")) != NULL)
		conf_str(v, &conf->state_dir, 1, "state_dir", e);
	if ((v = ynode_get(r, "user")) != NULL)
		conf_str(v, &conf->user, 0, "user", e);
	if ((v = ynode_get(r, "tls")) != NULL)
		conf_tls(conf, v, e);
	if ((v = ynode_get(r, "limits")) != NULL)
		conf_limits(conf, v, e);
	if ((v = ynode_get(r, "cert_days")) != NULL &&
	    ynode_int(v, &conf->cert_days, e) == 0 &&
	    (conf->cert_days < 1 || conf->cert_days > PKI_MAX_DAYS))
		yerr(e, v, "cert_days must be 1 to %d", PKI_MAX_DAYS);
	if ((v = ynode_get(r, "stale_after")) != NULL &&
	    ynode_duration(v, &conf->stale_after, e) == 0 &&
	    (conf->stale_after < 1 || conf->stale_after > 365 * 86400))
		yerr(e, v, "stale_after must be 1s to 365d");
	stale_conf_free(conf->alerts);
	conf->alerts = stale_conf_load(ynode_get(r, "alerts"), e);
}

/*
 * Reads the configuration; a missing default file means the defaults.
 * Every error goes to e as file:line:column.
 */
struct collectord_conf *
collectord_conf_load(const char *path, struct yerrors *e)
{
	struct collectord_conf	*conf;
	struct stat		 sb;

	conf = xcalloc(1, sizeof *conf);
	conf->file = xstrdup(path);
	conf->state_dir = xstrdup(COLLECTORD_STATE);
	conf->user = xstrdup(ISMS_USER);
	conf->max_body = COLLECTORD_MAX_BODY;
	conf->header_timeout = COLLECTORD_HEADER_TIMEOUT;
	conf->body_timeout = COLLECTORD_BODY_TIMEOUT;
	conf->max_connections = COLLECTORD_MAX_CONNS;
	conf->workers = -1;
	conf->cert_days = COLLECTORD_CERT_DAYS;
	conf->stale_after = COLLECTORD_STALE_AFTER;
	if (!(stat(path, &sb) == -1 && errno == ENOENT &&
	    strcmp(path, COLLECTORD_CONF) == 0) &&
	    (conf->tree = ytree_load(path, e)) != NULL)
		conf_apply(conf, conf->tree->root, e);
	if (conf->alerts == NULL)
		conf->alerts = stale_conf_load(NULL, e);
	if (conf->nlisten == 0) {
		struct ynode	 dflt;

		memset(&dflt, 0, sizeof dflt);
		dflt.type = YNODE_SCALAR;
		dflt.value = (char *)COLLECTORD_LISTEN;
		conf_listen_one(conf, &dflt, e);
	}
	return (conf);
}

void
collectord_conf_free(struct collectord_conf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->nlisten; i++) {
		free(conf->listen[i].text);
		free(conf->listen[i].host);
	}
	free(conf->listen);
	for (i = 0; i < conf->ntls_names; i++)
		free(conf->tls_names[i]);
	free(conf->tls_names);
	free(conf->file);
	free(conf->state_dir);
	free(conf->user);
	free(conf->tls_cert);
	free(conf->tls_key);
	stale_conf_free(conf->alerts);
	ytree_free(conf->tree);
	free(conf);
}

/* Loads the configuration or exits 2 after printing every error. */
static struct collectord_conf *
load(const char *path)
{
	struct yerrors		 e = { NULL, 0 };
	struct collectord_conf	*conf;

	conf = collectord_conf_load(path, &e);
	if (e.n != 0) {
		yerrors_print(&e);
		yerrors_clear(&e);
		collectord_conf_free(conf);
		fprintf(stderr, "isms-collectord: configuration not valid\n");
		exit(EXIT_USAGE);
	}
	return (conf);
}

/* What -n checks beyond the syntax: the user and the key files. */
static int
check_environment(const struct collectord_conf *conf)
{
	struct stat	sb;
	int		r = 0;

	if (geteuid() == 0 && getpwnam(conf->user) == NULL) {
		fprintf(stderr, "%s: user: user %s does not exist: create it "
		    "(useradd --system --home-dir %s --shell "
		    "/usr/sbin/nologin %s) or set user\n", conf->file,
		    conf->user, conf->state_dir, conf->user);
		r = -1;
	}
	if (conf->tls_cert != NULL && access(conf->tls_cert, R_OK) == -1) {
		fprintf(stderr, "%s: tls.cert: %s: %s\n", conf->file,
		    conf->tls_cert, strerror(errno));
		r = -1;
	}
	if (conf->tls_key != NULL) {
		if (stat(conf->tls_key, &sb) == -1) {
			fprintf(stderr, "%s: tls.key: %s: %s\n", conf->file,
			    conf->tls_key, strerror(errno));
			r = -1;
		} else if (sb.st_mode & 077) {
			fprintf(stderr, "%s: tls.key: %s is accessible by "
			    "group or others (chmod 600 it)\n", conf->file,
			    conf->tls_key);
			r = -1;
		}
	}
	return (r);
}

/*
 * The directories: state_dir for the CA and server keys (root's, and
 * never writable by the user, who could otherwise swap the CA), and
 * state_dir/store for the store, the user's.  Then, as root, drop to
 * the user.  Returns the store's path.
 */
static char *
prepare_and_drop(const struct collectord_conf *conf)
{
	struct passwd	*pw = NULL;
	struct stat	 sb;
	char		*dir, *path;
	int		 root = geteuid() == 0;

	if (root && (pw = getpwnam(conf->user)) == NULL)
		fatalx("user %s does not exist: create it (useradd --system "
		    "--home-dir %s --shell /usr/sbin/nologin %s) or set user "
		    "in %s", conf->user, conf->state_dir, conf->user,
		    conf->file);
	if (mkdir(conf->state_dir, root ? 0711 : 0700) == -1 &&
	    errno != EEXIST)
		fatal("mkdir %s", conf->state_dir);
	if (stat(conf->state_dir, &sb) == -1)
		fatal("%s", conf->state_dir);
	if (!S_ISDIR(sb.st_mode))
		fatalx("%s is not a directory", conf->state_dir);
	if (sb.st_uid != geteuid() || (sb.st_mode & 022))
		fatalx("%s must be owned by uid %u and not writable by group "
		    "or others", conf->state_dir, (unsigned)geteuid());
	xasprintf(&dir, "%s/%s", conf->state_dir, STORE_SUBDIR);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	xasprintf(&path, "%s/%s", dir, STORE_FILE);
	if (root) {
		/* The user's, with what an earlier run as root may have made. */
		if (chown(dir, pw->pw_uid, pw->pw_gid) == -1)
			fatal("chown %s", dir);
		if (chmod(conf->state_dir, 0711) == -1)
			fatal("chmod %s", conf->state_dir);
		proc_confine(conf->user, NULL);
	}
	free(dir);
	return (path);
}

static struct cstore *
open_store(const char *path)
{
	struct cstore	*s;
	char		*cause;

	if ((s = cstore_sqlite_open(path, &cause)) == NULL)
		fatalx("store: %s", cause);
	return (s);
}

/* token create [--uses n] [--expires duration] [--note text] */
static int
cmd_token_create(const struct collectord_conf *conf, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "uses", required_argument, NULL, 'u' },
		{ "expires", required_argument, NULL, 'e' },
		{ "note", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	struct cstore	*s;
	const char	*note = NULL, *p;
	char		*token, *path, *cause, *end, when[RFC3339_LEN];
	char		 hash[PKI_HASH_HEX_LEN];
	long long	 uses = 1;
	int64_t		 expiry = TOKEN_DEFAULT_EXPIRY;
	time_t		 now = time(NULL);
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			errno = 0;
			uses = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    uses < 1 || uses > TOKEN_MAX_USES) {
				fprintf(stderr, "isms-collectord: --uses: 1 to "
				    "%d\n", TOKEN_MAX_USES);
				return (EXIT_USAGE);
			}
			break;
		case 'e':
			if (duration_parse(optarg, &expiry, &cause) == -1 ||
			    expiry < 1) {
				fprintf(stderr, "isms-collectord: --expires: "
				    "%s\n", expiry < 1 ? "at least 1s" : cause);
				return (EXIT_USAGE);
			}
			break;
		case 'N':
			note = optarg;
			for (p = note; *p != '\0'; p++)
				if ((unsigned char)*p < ' ' || *p == 0x7f)
					break;
			if (*p != '\0' || strlen(note) > TOKEN_MAX_NOTE) {
				fprintf(stderr, "isms-collectord: --note: "
				    "printable, up to %d bytes\n",
				    TOKEN_MAX_NOTE);
				return (EXIT_USAGE);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	path = prepare_and_drop(conf);
	s = open_store(path);
	token = pki_token_new(hash);
	if (s->ops->token_add(s, hash, uses, now + expiry, now, note,
	    &cause) == -1) {
		explicit_bzero(token, strlen(token));
		fatalx("store: %s", cause);
	}
	s->ops->close(s);
	free(path);
	/* The token itself is shown this once; the store has its hash. */
	printf("%s\n", token);
	explicit_bzero(token, strlen(token));
	free(token);
	time_format_rfc3339(now + expiry, when, sizeof when);
	fprintf(stderr, "token %.12s: %lld use%s, expires %s\n", hash, uses,
	    uses == 1 ? "" : "s", when);
	return (0);
}

/* token list: hash prefix, uses left, expiry, state, note. */
static int
cmd_token_list(const struct collectord_conf *conf, int argc, char **argv)
{
	struct cstore		*s;
	struct cstore_token	*t;
	size_t			 i, n;
	char			*path, *cause, exp[RFC3339_LEN];
	char			 created[RFC3339_LEN];
	time_t			 now = time(NULL);

	(void)argv;
	if (argc != 1)
		usage();
	path = prepare_and_drop(conf);
	s = open_store(path);
	if (s->ops->token_list(s, &t, &n, &cause) == -1)
		fatalx("store: %s", cause);
	printf("%-12s %6s %-20s %-20s %-8s %s\n", "HASH", "USES", "EXPIRES",
	    "CREATED", "STATE", "NOTE");
	for (i = 0; i < n; i++) {
		time_format_rfc3339(t[i].expires_at, exp, sizeof exp);
		time_format_rfc3339(t[i].created_at, created, sizeof created);
		printf("%-12.12s %6lld %-20s %-20s %-8s %s\n", t[i].hash,
		    (long long)t[i].uses_left, exp, created,
		    t[i].expires_at <= now ? "expired" :
		    t[i].uses_left <= 0 ? "used" : "valid",
		    t[i].note != NULL ? t[i].note : "");
	}
	cstore_tokens_free(t, n);
	s->ops->close(s);
	free(path);
	return (0);
}

/* host revoke HOST_ID: every certificate of the host. */
static int
cmd_host_revoke(const struct collectord_conf *conf, int argc, char **argv)
{
	struct cstore	*s;
	char		*path, *cause;
	int		 n;

	if (argc != 2)
		usage();
	if (!pki_host_id_valid(argv[1])) {
		fprintf(stderr, "isms-collectord: %s is not a host id (32 "
		    "lowercase hexadecimal digits)\n", argv[1]);
		return (EXIT_USAGE);
	}
	path = prepare_and_drop(conf);
	s = open_store(path);
	n = s->ops->host_revoke(s, argv[1], time(NULL), &cause);
	s->ops->close(s);
	free(path);
	if (n == -1)
		fatalx("store: %s", cause);
	if (n == -2) {
		fprintf(stderr, "isms-collectord: no host %s\n", argv[1]);
		return (EXIT_FAILED);
	}
	printf("host %s: %d certificate%s revoked\n", argv[1], n,
	    n == 1 ? "" : "s");
	return (0);
}

/* A --note: printable, not too long; 0 or -1 after a message. */
static int
check_note(const char *note)
{
	const char	*p;

	for (p = note; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			break;
	if (*p != '\0' || strlen(note) > TOKEN_MAX_NOTE) {
		fprintf(stderr, "isms-collectord: --note: printable, up to %d "
		    "bytes\n", TOKEN_MAX_NOTE);
		return (-1);
	}
	return (0);
}

/* api-token create --role admin|auditor|viewer [--note text] */
static int
cmd_api_token_create(const struct collectord_conf *conf, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "note", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	struct cstore	*s;
	const char	*note = NULL;
	char		*token, *path, *cause, hash[PKI_HASH_HEX_LEN];
	int		 ch, role = CSTORE_ROLE_NONE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((role = cstore_role_parse(optarg)) ==
			    CSTORE_ROLE_NONE) {
				fprintf(stderr, "isms-collectord: --role: "
				    "admin, auditor or viewer\n");
				return (EXIT_USAGE);
			}
			break;
		case 'N':
			if (check_note(optarg) == -1)
				return (EXIT_USAGE);
			note = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || role == CSTORE_ROLE_NONE)
		usage();

	path = prepare_and_drop(conf);
	s = open_store(path);
	token = pki_token_new(hash);
	if (s->ops->api_token_add(s, hash, role, time(NULL), note,
	    &cause) == -1) {
		explicit_bzero(token, strlen(token));
		fatalx("store: %s", cause);
	}
	s->ops->close(s);
	free(path);
	/* Shown this once; the store has its hash. */
	printf("%s\n", token);
	explicit_bzero(token, strlen(token));
	free(token);
	fprintf(stderr, "API token %.12s: role %s\n", hash,
	    cstore_role_name(role));
	return (0);
}

/* api-token list: hash prefix, role, created, state, note. */
static int
cmd_api_token_list(const struct collectord_conf *conf, int argc, char **argv)
{
	struct cstore		*s;
	struct cstore_api_token	*t;
	size_t			 i, n;
	char			*path, *cause, created[RFC3339_LEN];

	(void)argv;
	if (argc != 1)
		usage();
	path = prepare_and_drop(conf);
	s = open_store(path);
	if (s->ops->api_token_list(s, &t, &n, &cause) == -1)
		fatalx("store: %s", cause);
	printf("%-12s %-8s %-20s %-8s %s\n", "HASH", "ROLE", "CREATED",
	    "STATE", "NOTE");
	for (i = 0; i < n; i++) {
		time_format_rfc3339(t[i].created_at, created, sizeof created);
		printf("%-12.12s %-8s %-20s %-8s %s\n", t[i].hash,
		    cstore_role_name(t[i].role), created,
		    t[i].revoked_at != 0 ? "revoked" : "valid",
		    t[i].note != NULL ? t[i].note : "");
	}
	cstore_api_tokens_free(t, n);
	s->ops->close(s);
	free(path);
	return (0);
}

/* api-token revoke PREFIX: the one token in force whose hash begins so. */
static int
cmd_api_token_revoke(const struct collectord_conf *conf, int argc,
    char **argv)
{
	struct cstore	*s;
	const char	*p;
	char		*path, *cause;
	int		 n;

	if (argc != 2)
		usage();
	for (p = argv[1]; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			break;
	if (*p != '\0' || strlen(argv[1]) < API_TOKEN_MIN_PREFIX ||
	    strlen(argv[1]) > PKI_HASH_HEX_LEN - 1) {
		fprintf(stderr, "isms-collectord: %s: give at least %d "
		    "lowercase hex digits of the hash, as api-token list "
		    "shows\n", argv[1], API_TOKEN_MIN_PREFIX);
		return (EXIT_USAGE);
	}
	path = prepare_and_drop(conf);
	s = open_store(path);
	n = s->ops->api_token_revoke(s, argv[1], time(NULL), &cause);
	s->ops->close(s);
	free(path);
	if (n == -1)
		fatalx("store: %s", cause);
	if (n == 0) {
		fprintf(stderr, "isms-collectord: no API token in force "
		    "begins %s\n", argv[1]);
		return (EXIT_FAILED);
	}
	if (n == -2) {
		fprintf(stderr, "isms-collectord: more than one API token "
		    "begins %s: give more digits\n", argv[1]);
		return (EXIT_FAILED);
	}
	printf("API token %s revoked\n", argv[1]);
	return (0);
}

static int
admin(const char *conf_path, int argc, char **argv)
{
	struct collectord_conf	*conf;
	int			 rv;

	if (argc < 2)
		usage();
	conf = load(conf_path);
	if (strcmp(argv[0], "token") == 0 && strcmp(argv[1], "create") == 0)
		rv = cmd_token_create(conf, argc - 1, argv + 1);
	else if (strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "list") == 0)
		rv = cmd_token_list(conf, argc - 1, argv + 1);
	else if (strcmp(argv[0], "host") == 0 &&
	    strcmp(argv[1], "revoke") == 0)
		rv = cmd_host_revoke(conf, argc - 1, argv + 1);
	else if (strcmp(argv[0], "api-token") == 0 &&
	    strcmp(argv[1], "create") == 0)
		rv = cmd_api_token_create(conf, argc - 1, argv + 1);
	else if (strcmp(argv[0], "api-token") == 0 &&
	    strcmp(argv[1], "list") == 0)
		rv = cmd_api_token_list(conf, argc - 1, argv + 1);
	else if (strcmp(argv[0], "api-token") == 0 &&
	    strcmp(argv[1], "revoke") == 0)
		rv = cmd_api_token_revoke(conf, argc - 1, argv + 1);
	else
		usage();
	collectord_conf_free(conf);
	return (rv);
}

/*
 * The names in a certificate the collector makes for itself: tls.names,
 * else the listen addresses, with this host's name and the loopback
 * names for a wildcard address.
 */
static char **
server_names(const struct collectord_conf *conf, size_t *np)
{
	char	**names = NULL, host[256];
	size_t	  i, j, n = 0;
	const char *add[4];
	size_t	  nadd;

	for (i = 0; i < conf->ntls_names; i++) {
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(conf->tls_names[i]);
	}
	for (i = 0; conf->ntls_names == 0 && i < conf->nlisten; i++) {
		nadd = 0;
		if (strcmp(conf->listen[i].host, "::") == 0 ||
		    strcmp(conf->listen[i].host, "0.0.0.0") == 0) {
			if (gethostname(host, sizeof host) == 0 &&
			    host[0] != '\0')
				add[nadd++] = host;
			add[nadd++] = "localhost";
			add[nadd++] = "127.0.0.1";
			add[nadd++] = "::1";
		} else
			add[nadd++] = conf->listen[i].host;
		while (nadd-- > 0) {
			for (j = 0; j < n; j++)
				if (strcmp(names[j], add[nadd]) == 0)
					break;
			if (j < n)
				continue;
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = xstrdup(add[nadd]);
		}
	}
	*np = n;
	return (names);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct event_base	*base = arg;

	(void)ev;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading is not supported yet; restart "
		    "to apply a new configuration");
		return;
	}
	log_info("exiting on signal %d", (int)sig);
	event_base_loopexit(base, NULL);
}

static int
run(const char *conf_path, int foreground, int verbose)
{
	struct collectord_conf	*conf;
	struct event_base	*base;
	struct event		*ev_term, *ev_int, *ev_hup;
	struct http_server	*srv;
	struct pki_ca		*ca;
	struct cstore		*store;
	struct stale		*stale;
	char			*cause, *path, *cert, *key, **names;
	size_t			 i, nnames;

	conf = load(conf_path);
	if (geteuid() != 0)
		log_warnx("not running as root: no change of user");
	if (pki_ca_load_or_create(conf->state_dir, &ca, &cause) == -1)
		fatalx("CA in %s: %s", conf->state_dir, cause);
	if (conf->tls_cert != NULL) {
		cert = xstrdup(conf->tls_cert);
		key = xstrdup(conf->tls_key);
	} else {
		names = server_names(conf, &nnames);
		if (pki_server_cert(ca, conf->state_dir,
		    (const char *const *)names, nnames,
		    COLLECTORD_SERVER_DAYS, &cause) == -1)
			fatalx("server certificate: %s", cause);
		for (i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
		xasprintf(&cert, "%s/server.pem", conf->state_dir);
		xasprintf(&key, "%s/server.key", conf->state_dir);
	}
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((srv = http_server_new(base, conf, ca, cert, key,
	    &cause)) == NULL)
		fatalx("%s", cause);
	free(cert);
	free(key);
	/* The webhooks' CA files are read as root. */
	if ((stale = stale_new(base, conf->alerts, conf->stale_after,
	    &cause)) == NULL)
		fatalx("alerts: %s", cause);

	path = prepare_and_drop(conf);
	store = open_store(path);
	free(path);
	http_server_set_store(srv, store);

	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init("isms-collectord", 0, verbose);
	}
	signal(SIGPIPE, SIG_IGN);
	ev_term = evsignal_new(base, SIGTERM, on_signal, base);
	ev_int = evsignal_new(base, SIGINT, on_signal, base);
	ev_hup = evsignal_new(base, SIGHUP, on_signal, base);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);
	stale_start(stale, store);
	log_info("ready (CA pin %s)", (cause = pki_ca_pin(ca)));
	free(cause);

	event_base_dispatch(base);

	stale_free(stale);
	http_server_free(srv);
	store->ops->close(store);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(base);
	pki_ca_free(ca);
	collectord_conf_free(conf);
	return (0);
}

int
main(int argc, char **argv)
{
	struct collectord_conf	*conf;
	const char		*conf_path = COLLECTORD_CONF;
	int			 ch, foreground = 0, check_only = 0;
	int			 verbose = 0, r;

	/* "+": options end at the first operand, the admin command. */
	while ((ch = getopt(argc, argv, "+df:nv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* The store and the keys are nobody else's business. */
	umask(027);
	log_init("isms-collectord", 1, verbose);
	if (argc > 0) {
		if (foreground || check_only)
			usage();
		return (admin(conf_path, argc, argv));
	}
	if (check_only) {
		conf = load(conf_path);
		r = check_environment(conf);
		collectord_conf_free(conf);
		if (r == -1) {
			fprintf(stderr, "isms-collectord: configuration not "
			    "valid\n");
			return (EXIT_USAGE);
		}
		printf("configuration OK\n");
		return (0);
	}
	return (run(conf_path, foreground, verbose));
}
