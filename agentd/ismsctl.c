/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * ismsctl: the command line for people and scripts on the host.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define ISMSCTL_MAX_POLICIES 64

static void
usage(FILE *f)
{
	fprintf(f,
"usage: ismsctl check [--root DIR] [--config FILE] [--policy FILE]...\n"
"                     [--now RFC3339] [--format text|json] [--lang en|ja]\n"
"                     [--no-store] [--store FILE] [--color auto|always|never]\n"
"       ismsctl history [--check ID] [--since T] [--format text|json]\n"
"                     [--store FILE] [--lang en|ja]\n"
"       ismsctl status [--format text|json] [--socket PATH]\n"
"       ismsctl outbox [--format text|json] [--store FILE] [--lang en|ja]\n"
"       ismsctl outbox retry REPORT_ID|--all [--store FILE] [--socket PATH]\n"
"       ismsctl outbox drop REPORT_ID [--store FILE]\n"
"       ismsctl run-now [--socket PATH]\n"
"       ismsctl facts [--root DIR] [--config FILE] [--now RFC3339]\n"
"       ismsctl controls [--lang en|ja]\n"
"       ismsctl enroll --server URL --token TOKEN|- [--ca FILE | --pin SHA256]\n"
"                     [--config FILE] [--root DIR]\n"
"       ismsctl enroll --renew [--if-needed] [--server URL] [--config FILE]\n"
"                     [--root DIR] [--now RFC3339]\n"
"       ismsctl version\n"
"\n"
"check     collect evidence on this host (or under --root), evaluate it\n"
"          against ISO/IEC 27001:2022 Annex A and store the run\n"
"history   verdict changes recorded in the local store\n"
"status    the running isms-agentd: last and next run, failing checks,\n"
"          alert queues\n"
"run-now   ask the running isms-agentd for an immediate run\n"
"outbox    the reports waiting for the collector (rejected ones too);\n"
"          retry makes them due now, drop removes one from the outbox\n"
"          (its run stays in the local store)\n"
"facts     print the collected evidence as JSON, without evaluating it\n"
"controls  list the Annex A controls the built-in checks cover\n"
"enroll    make a key pair here and obtain a client certificate from\n"
"          isms-collectord; --ca or --pin verifies the collector;\n"
"          --renew replaces key and certificate using the current one\n"
"          (--if-needed: only when less than a third of its life is left)\n"
"\n"
"Exit status: 0 every applicable check passed, 1 a check failed or could\n"
"not be evaluated, 2 usage or configuration error, 3 internal error.\n"
"enroll: 0 enrolled, 1 the collector refused (token unknown, expired or\n"
"used up; --renew: refused or expired), 2 usage or configuration error\n"
"(--renew: not enrolled), 3 network, TLS or pin failure.\n"
"outbox: 0 done, 1 no such report in the outbox, 2 usage or configuration\n"
"error, 3 store error.\n"
"See ismsctl(8).\n");
}

static int
parse_lang(const char *s, enum lang *lang)
{
	if (strcmp(s, "en") == 0)
		*lang = LANG_EN;
	else if (strcmp(s, "ja") == 0)
		*lang = LANG_JA;
	else {
		fprintf(stderr, "ismsctl: --lang must be en or ja\n");
		return (-1);
	}
	return (0);
}

/* "2026-11-01T00:00:00Z", "2026-11-01", or a duration back from now. */
static int
parse_since(const char *s, time_t now, time_t *out)
{
	int64_t	secs;

	if (time_parse_rfc3339(s, out) == 0)
		return (0);
	if (duration_parse(s, &secs, NULL) == 0) {
		*out = now - secs;
		return (0);
	}
	fprintf(stderr, "ismsctl: --since: \"%s\" is neither a time "
	    "(2026-11-01T00:00:00Z) nor a duration (7d)\n", s);
	return (-1);
}

static int
want_colour(const char *mode)
{
	const char	*term;

	if (strcmp(mode, "always") == 0)
		return (1);
	if (strcmp(mode, "never") == 0)
		return (0);
	if (getenv("NO_COLOR") != NULL)
		return (0);
	term = getenv("TERM");
	return (isatty(STDOUT_FILENO) && term != NULL &&
	    strcmp(term, "dumb") != 0);
}

enum {
	OPT_ROOT = 256, OPT_CONFIG, OPT_POLICY, OPT_NOW, OPT_FORMAT, OPT_LANG,
	OPT_NO_STORE, OPT_STORE, OPT_COLOR, OPT_CHECK, OPT_SINCE, OPT_SOCKET,
	OPT_SERVER, OPT_TOKEN, OPT_CA, OPT_PIN, OPT_RENEW, OPT_IF_NEEDED,
	OPT_ALL
};

static const struct option longopts[] = {
	{ "root",	required_argument,	NULL,	OPT_ROOT },
	{ "config",	required_argument,	NULL,	OPT_CONFIG },
	{ "policy",	required_argument,	NULL,	OPT_POLICY },
	{ "now",	required_argument,	NULL,	OPT_NOW },
	{ "format",	required_argument,	NULL,	OPT_FORMAT },
	{ "lang",	required_argument,	NULL,	OPT_LANG },
	{ "no-store",	no_argument,		NULL,	OPT_NO_STORE },
	{ "store",	required_argument,	NULL,	OPT_STORE },
	{ "color",	required_argument,	NULL,	OPT_COLOR },
	{ "colour",	required_argument,	NULL,	OPT_COLOR },
	{ "check",	required_argument,	NULL,	OPT_CHECK },
	{ "since",	required_argument,	NULL,	OPT_SINCE },
	{ "socket",	required_argument,	NULL,	OPT_SOCKET },
	{ "server",	required_argument,	NULL,	OPT_SERVER },
	{ "token",	required_argument,	NULL,	OPT_TOKEN },
	{ "ca",		required_argument,	NULL,	OPT_CA },
	{ "pin",	required_argument,	NULL,	OPT_PIN },
	{ "renew",	no_argument,		NULL,	OPT_RENEW },
	{ "if-needed",	no_argument,		NULL,	OPT_IF_NEEDED },
	{ "all",	no_argument,		NULL,	OPT_ALL },
	{ "help",	no_argument,		NULL,	'h' },
	{ NULL,		0,			NULL,	0 }
};

struct cmdline {
	struct check_opts	 o;
	const char		*policies[ISMSCTL_MAX_POLICIES];
	const char		*colour;
	const char		*check;
	const char		*since;
	const char		*socket;
	struct enroll_opts	 e;
	char			*token;		/* a copy, wiped after use */
	int			 all;		/* outbox retry --all */
	const char		*args[2];	/* operands (outbox only) */
	int			 nargs, maxargs;
};

#define ISMSCTL_MAX_TOKEN 1024	/* bytes of a token read from stdin */

/*
 * Takes --token: a copy, and the command line overwritten so that ps(1)
 * and /proc/PID/cmdline no longer show it; "-" reads one line of stdin.
 */
static int
take_token(struct cmdline *cl, char *arg)
{
	char	buf[ISMSCTL_MAX_TOKEN];

	if (cl->token != NULL) {
		explicit_bzero(cl->token, strlen(cl->token));
		free(cl->token);
	}
	if (strcmp(arg, "-") != 0) {
		cl->token = xstrdup(arg);
		memset(arg, 'x', strlen(arg));
	} else {
		if (fgets(buf, sizeof buf, stdin) == NULL) {
			fprintf(stderr, "ismsctl: --token -: nothing on "
			    "standard input\n");
			return (-1);
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		cl->token = xstrdup(buf);
		explicit_bzero(buf, sizeof buf);
	}
	cl->e.token = cl->token;
	return (0);
}

/* Parses the options shared by every command; -1 on a usage error. */
static int
parse_options(int argc, char **argv, struct cmdline *cl)
{
	char	*root;
	size_t	 len;
	int	 ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_ROOT:
			root = optarg;
			len = strlen(root);
			while (len > 1 && root[len - 1] == '/')
				root[--len] = '\0';
			cl->o.root = strcmp(root, "/") == 0 ? "" : root;
			break;
		case OPT_CONFIG:
			cl->o.config = optarg;
			break;
		case OPT_POLICY:
			if (cl->o.npolicies == ISMSCTL_MAX_POLICIES) {
				fprintf(stderr, "ismsctl: too many --policy\n");
				return (-1);
			}
			cl->policies[cl->o.npolicies++] = optarg;
			break;
		case OPT_NOW:
			if (time_parse_rfc3339(optarg, &cl->o.now) == -1) {
				fprintf(stderr, "ismsctl: --now: invalid "
				    "RFC 3339 time \"%s\" (e.g. "
				    "2026-11-22T02:00:00Z)\n", optarg);
				return (-1);
			}
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				cl->o.json = 1;
			else if (strcmp(optarg, "text") == 0)
				cl->o.json = 0;
			else {
				fprintf(stderr, "ismsctl: --format must be "
				    "text or json\n");
				return (-1);
			}
			break;
		case OPT_LANG:
			if (parse_lang(optarg, &cl->o.lang) == -1)
				return (-1);
			break;
		case OPT_NO_STORE:
			cl->o.store = 0;
			break;
		case OPT_STORE:
			cl->o.store_path = optarg;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") != 0 &&
			    strcmp(optarg, "always") != 0 &&
			    strcmp(optarg, "never") != 0) {
				fprintf(stderr, "ismsctl: --color must be "
				    "auto, always or never\n");
				return (-1);
			}
			cl->colour = optarg;
			break;
		case OPT_CHECK:
			cl->check = optarg;
			break;
		case OPT_SINCE:
			cl->since = optarg;
			break;
		case OPT_SOCKET:
			cl->socket = optarg;
			break;
		case OPT_SERVER:
			cl->e.server = optarg;
			break;
		case OPT_TOKEN:
			if (take_token(cl, optarg) == -1)
				return (-1);
			break;
		case OPT_CA:
			cl->e.ca = optarg;
			break;
		case OPT_PIN:
			cl->e.pin = optarg;
			break;
		case OPT_RENEW:
			cl->e.renew = 1;
			break;
		case OPT_IF_NEEDED:
			cl->e.if_needed = 1;
			break;
		case OPT_ALL:
			cl->all = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return (-1);
		}
	}
	for (; optind < argc; optind++) {
		if (cl->nargs == cl->maxargs) {
			fprintf(stderr, "ismsctl: unexpected argument "
			    "\"%s\"\n", argv[optind]);
			return (-1);
		}
		cl->args[cl->nargs++] = argv[optind];
	}
	cl->o.policies = cl->policies;
	cl->o.colour = want_colour(cl->colour);
	return (0);
}

static int
cmd_facts(struct cmdline *cl)
{
	struct policy		*p;
	struct agent_conf	*conf;
	struct collector_ctx	 ctx;
	json_t			*facts;

	if (check_load(&cl->o, &p, &conf) == -1)
		return (EXIT_USAGE);
	memset(&ctx, 0, sizeof ctx);
	ctx.root = cl->o.root;
	ctx.live = *cl->o.root == '\0';
	ctx.now = cl->o.now;
	ctx.backup_targets = conf->backup_targets;
	ctx.nbackup_targets = conf->nbackup_targets;
	facts = collectors_run(&ctx);
	json_dumpf(facts, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(facts);
	config_free(conf);
	policy_free(p);
	return (0);
}

/*
 * The store's path: --store, else store.path of the configuration, else
 * the default; NULL (said why) when there is no store there.
 */
static char *
store_path(struct cmdline *cl)
{
	struct policy		*p;
	struct agent_conf	*conf;
	char			*path;

	if (cl->o.store_path != NULL)
		path = xstrdup(cl->o.store_path);
	else {
		if (check_load(&cl->o, &p, &conf) == -1)
			return (NULL);
		path = conf->store_path != NULL ? xstrdup(conf->store_path) :
		    config_default_store();
		config_free(conf);
		policy_free(p);
	}
	if (access(path, F_OK) == -1) {
		fprintf(stderr, "ismsctl: no store at %s: run \"ismsctl "
		    "check\" first\n", path);
		free(path);
		return (NULL);
	}
	return (path);
}

static int
cmd_history(struct cmdline *cl)
{
	struct store		*st;
	json_t			*h, *v;
	time_t			 since = 0;
	char			*path, *cause;
	size_t			 i;

	if (cl->since != NULL && parse_since(cl->since, cl->o.now, &since) ==
	    -1)
		return (EXIT_USAGE);
	if ((path = store_path(cl)) == NULL)
		return (EXIT_USAGE);
	if ((st = store_open(path, &cause)) == NULL ||
	    (h = store_history(st, cl->check, since, &cause)) == NULL) {
		fprintf(stderr, "ismsctl: %s\n", cause);
		free(cause);
		store_close(st);
		free(path);
		return (EXIT_INTERNAL);
	}
	store_close(st);
	free(path);
	if (cl->o.json) {
		json_dumpf(h, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		if (json_array_size(h) == 0)
			printf("%s\n", cl->o.lang == LANG_JA ?
			    "記録された判定の変化はありません" :
			    "no verdict changes recorded");
		json_array_foreach(h, i, v) {
			printf("%s  %-40s %-14s -> %-14s %s\n",
			    json_string_value(json_object_get(v, "at")),
			    json_string_value(json_object_get(v, "check")),
			    json_is_string(json_object_get(v, "old")) ?
			    json_string_value(json_object_get(v, "old")) :
			    "(new)",
			    json_string_value(json_object_get(v, "new")),
			    json_is_string(json_object_get(v, "message")) ?
			    json_string_value(json_object_get(v, "message")) :
			    "");
		}
	}
	json_decref(h);
	return (0);
}

/* "A.8.24 Use of cryptography (2013: A.10.1.1, A.10.1.2)" */
static void
print_control(const struct annex_control *ac, enum lang lang)
{
	const char	*p;

	printf("%s %s (2013: ", ac->id, lang == LANG_JA ? ac->title_ja :
	    ac->title);
	if (*ac->related == '\0')
		printf("%s", lang == LANG_JA ? "2022年版で新設" : "new in 2022");
	for (p = ac->related; *p != '\0'; p++) {
		if (*p == ';')
			printf(", ");
		else
			putchar(*p);
	}
	printf(")\n");
}

static int
cmd_controls(struct cmdline *cl)
{
	struct policy		*p;
	struct agent_conf	*conf;
	const struct annex_control *ac;
	struct check		*c;
	json_t			*v;
	size_t			 i, j;
	int			 any;

	if (check_load(&cl->o, &p, &conf) == -1)
		return (EXIT_USAGE);
	for (i = 0; i < annex_2022_count; i++) {
		ac = &annex_2022[i];
		any = 0;
		TAILQ_FOREACH(c, &p->checks, entry) {
			json_array_foreach(c->controls, j, v) {
				if (strcmp(json_string_value(v), ac->id) != 0)
					continue;
				if (!any)
					print_control(ac, cl->o.lang);
				any = 1;
				printf("    %s\n", c->id);
			}
		}
	}
	config_free(conf);
	policy_free(p);
	return (0);
}

#define CONTROL_TIMEOUT_MS 10000	/* for the daemon's answer */

/* Sends one request line to the daemon; returns its JSON answer. */
static json_t *
control_request(struct cmdline *cl, const char *req)
{
	struct sockaddr_un	 sun;
	struct policy		*p;
	struct agent_conf	*conf;
	struct pollfd		 pfd;
	json_t			*j;
	char			 buf[65536], path[sizeof sun.sun_path];
	size_t			 len = 0;
	ssize_t			 n;
	int			 fd;

	if (cl->socket != NULL)
		strlcpy(path, cl->socket, sizeof path);
	else {
		if (check_load(&cl->o, &p, &conf) == -1)
			exit(EXIT_USAGE);
		strlcpy(path, conf->control_socket, sizeof path);
		config_free(conf);
		policy_free(p);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "ismsctl: cannot reach isms-agentd at %s: "
		    "%s\n", path, strerror(errno));
		exit(EXIT_INTERNAL);
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) ||
	    write(fd, "\n", 1) != 1) {
		fprintf(stderr, "ismsctl: %s: %s\n", path, strerror(errno));
		exit(EXIT_INTERNAL);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len < sizeof buf - 1) {
		if (poll(&pfd, 1, CONTROL_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "ismsctl: no answer from isms-agentd\n");
			exit(EXIT_INTERNAL);
		}
		if ((n = read(fd, buf + len, sizeof buf - 1 - len)) <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if ((j = json_loads(buf, 0, NULL)) == NULL) {
		fprintf(stderr, "ismsctl: malformed answer from isms-agentd\n");
		exit(EXIT_INTERNAL);
	}
	if (json_is_string(json_object_get(j, "error"))) {
		fprintf(stderr, "ismsctl: isms-agentd: %s\n",
		    json_string_value(json_object_get(j, "error")));
		exit(EXIT_INTERNAL);
	}
	return (j);
}

static int
cmd_status(struct cmdline *cl)
{
	json_t		*j, *v, *sum, *q;
	const char	*k;
	size_t		 i;

	j = control_request(cl, "status");
	if (cl->o.json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
		return (0);
	}
	printf("isms-agentd %s, pid %lld%s\n", json_string_value(
	    json_object_get(j, "version")), (long long)json_integer_value(
	    json_object_get(j, "pid")), json_is_true(json_object_get(j,
	    "running")) ? ", run in progress" : "");
	if ((v = json_object_get(j, "last_run")) != NULL && !json_is_null(v)) {
		sum = json_object_get(v, "summary");
		printf("last run:  %s  %lld passed, %lld failed, %lld errors, "
		    "%lld not applicable\n", json_string_value(
		    json_object_get(v, "at")),
		    (long long)json_integer_value(json_object_get(sum, "pass")),
		    (long long)json_integer_value(json_object_get(sum, "fail")),
		    (long long)json_integer_value(json_object_get(sum,
		    "error")), (long long)json_integer_value(json_object_get(
		    sum, "not_applicable")));
	} else
		printf("last run:  none yet\n");
	v = json_object_get(j, "next_run");
	printf("next run:  %s\n", json_is_string(v) ? json_string_value(v) :
	    "-");
	printf("runs kept: %lld\n", (long long)json_integer_value(
	    json_object_get(j, "runs_stored")));
	v = json_object_get(j, "failing");
	printf("failing:   %zu\n", json_array_size(v));
	json_array_foreach(v, i, q)
		printf("  %-5s %s: %s\n", strcmp(json_string_value(
		    json_object_get(q, "status")), "fail") == 0 ? "FAIL" :
		    "ERROR", json_string_value(json_object_get(q, "check")),
		    json_string_value(json_object_get(q, "message")));
	printf("alert queues (pending): %lld\n", (long long)json_integer_value(
	    json_object_get(j, "queued_total")));
	json_object_foreach(json_object_get(j, "queues"), k, q)
		printf("  %s: %lld\n", k, (long long)json_integer_value(q));
	if ((v = json_object_get(j, "outbox")) != NULL) {
		printf("report outbox (pending): %lld%s\n",
		    (long long)json_integer_value(v), json_is_false(
		    json_object_get(j, "reports")) ? " (reports off)" : "");
		if ((q = json_object_get(j, "outbox_rejected")) != NULL &&
		    json_integer_value(q) > 0)
			printf("  rejected by the collector: %lld (see "
			    "\"ismsctl outbox\")\n",
			    (long long)json_integer_value(q));
	}
	json_decref(j);
	return (0);
}

static int
cmd_run_now(struct cmdline *cl)
{
	json_t	*j;

	j = control_request(cl, "run-now");
	printf("run %s\n", json_string_value(json_object_get(j, "run")));
	json_decref(j);
	return (0);
}

/*
 * Asks the running daemon, if any, to look at its outbox again; quiet
 * and harmless when it is not running (it reads the outbox at start).
 * Returns 0 if it answered.
 */
static int
control_poke(struct cmdline *cl, const char *req)
{
	struct sockaddr_un	 sun;
	struct policy		*p;
	struct agent_conf	*conf;
	struct pollfd		 pfd;
	char			 buf[256];
	int			 fd, r = -1;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (cl->socket != NULL)
		strlcpy(sun.sun_path, cl->socket, sizeof sun.sun_path);
	else {
		if (check_load(&cl->o, &p, &conf) == -1)
			return (-1);
		strlcpy(sun.sun_path, conf->control_socket,
		    sizeof sun.sun_path);
		config_free(conf);
		policy_free(p);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req) &&
	    write(fd, "\n", 1) == 1) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, CONTROL_TIMEOUT_MS) == 1 &&
		    read(fd, buf, sizeof buf) > 0)
			r = 0;
	}
	close(fd);
	return (r);
}

/*
 * Run as root on the daemon's store (owned by its user): the WAL and
 * shared-memory files SQLite may have made here get the store's owner,
 * or the daemon could no longer write it.
 */
static void
store_files_owner(const char *path)
{
	struct stat	 sb;
	char		*f;
	const char	*suffix[] = { "-wal", "-shm" };
	size_t		 i;

	if (geteuid() != 0 || stat(path, &sb) == -1 || sb.st_uid == 0)
		return;
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		xasprintf(&f, "%s%s", path, suffix[i]);
		if (chown(f, sb.st_uid, sb.st_gid) == -1 && errno != ENOENT)
			fprintf(stderr, "ismsctl: chown %s: %s\n", f,
			    strerror(errno));
		free(f);
	}
}

/* Prints the outbox, as text or JSON. */
static void
outbox_print(struct cmdline *cl, json_t *items)
{
	json_t		*v, *rej, *err;
	size_t		 i, nrej = 0;
	int		 ja = cl->o.lang == LANG_JA;

	if (cl->o.json) {
		json_dumpf(items, stdout, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);
		putchar('\n');
		return;
	}
	json_array_foreach(items, i, v)
		if (!json_is_null(json_object_get(v, "rejected")))
			nrej++;
	if (json_array_size(items) == 0) {
		printf("%s\n", ja ? "送信待ちのレポートはありません" :
		    "the report outbox is empty");
		return;
	}
	if (ja)
		printf("送信待ちのレポート: %zu 件 (うち拒否 %zu 件)\n",
		    json_array_size(items), nrej);
	else
		printf("%zu report%s in the outbox, %zu rejected\n",
		    json_array_size(items), json_array_size(items) == 1 ? "" :
		    "s", nrej);
	json_array_foreach(items, i, v) {
		rej = json_object_get(v, "rejected");
		err = json_object_get(v, "last_error");
		printf("%s  %s %lld  %-8s  %s %s  %s %lld  %s %s\n",
		    json_string_value(json_object_get(v, "report_id")),
		    ja ? "実行" : "run",
		    (long long)json_integer_value(json_object_get(v, "run")),
		    json_string_value(json_object_get(v, "kind")),
		    ja ? "作成" : "created",
		    json_string_value(json_object_get(v, "created")),
		    ja ? "試行" : "attempts",
		    (long long)json_integer_value(json_object_get(v,
		    "attempts")), ja ? "次回" : "next",
		    json_string_value(json_object_get(v, "next_try")));
		if (json_is_string(rej))
			printf("    %s %s: %s\n", ja ? "拒否" : "REJECTED",
			    json_string_value(rej), json_is_string(err) ?
			    json_string_value(err) : "-");
		else if (json_is_string(err))
			printf("    %s: %s\n", ja ? "直近のエラー" : "last error",
			    json_string_value(err));
	}
}

/*
 * ismsctl outbox [retry REPORT_ID|--all | drop REPORT_ID]: on the store
 * file itself, like history; SQLite (WAL, busy timeout) makes that safe
 * beside the running daemon, which only updates or deletes rows by
 * report_id and so never brings back a dropped one.
 */
static int
cmd_outbox(struct cmdline *cl)
{
	struct store	*st;
	json_t		*items;
	const char	*sub = cl->nargs > 0 ? cl->args[0] : NULL;
	const char	*id = cl->nargs > 1 ? cl->args[1] : NULL;
	char		*path, *cause = NULL;
	int64_t		 n, run;
	int		 ja = cl->o.lang == LANG_JA, rc = 0;

	if (sub != NULL && strcmp(sub, "retry") != 0 &&
	    strcmp(sub, "drop") != 0) {
		fprintf(stderr, "ismsctl: outbox: unknown action \"%s\" "
		    "(retry or drop)\n", sub);
		return (EXIT_USAGE);
	}
	if (sub == NULL && cl->all) {
		fprintf(stderr, "ismsctl: --all goes with \"outbox retry\"\n");
		return (EXIT_USAGE);
	}
	if (sub != NULL && strcmp(sub, "retry") == 0 &&
	    (id != NULL) == (cl->all != 0)) {
		fprintf(stderr, "ismsctl: outbox retry needs REPORT_ID or "
		    "--all\n");
		return (EXIT_USAGE);
	}
	if (sub != NULL && strcmp(sub, "drop") == 0 &&
	    (id == NULL || cl->all)) {
		fprintf(stderr, "ismsctl: outbox drop needs one REPORT_ID\n");
		return (EXIT_USAGE);
	}
	if ((path = store_path(cl)) == NULL)
		return (EXIT_USAGE);
	if ((st = store_open(path, &cause)) == NULL) {
		fprintf(stderr, "ismsctl: %s\n", cause);
		free(cause);
		free(path);
		return (EXIT_INTERNAL);
	}
	if (sub == NULL) {
		if ((items = store_outbox_list(st, &cause)) == NULL) {
			fprintf(stderr, "ismsctl: %s\n", cause);
			free(cause);
			rc = EXIT_INTERNAL;
		} else {
			outbox_print(cl, items);
			json_decref(items);
		}
	} else if (strcmp(sub, "retry") == 0) {
		if ((n = store_outbox_requeue(st, id, time(NULL))) == -1) {
			fprintf(stderr, "ismsctl: %s: outbox not updated\n",
			    path);
			rc = EXIT_INTERNAL;
		} else if (n == 0 && id != NULL) {
			fprintf(stderr, ja ? "ismsctl: レポート %s は送信待ちに"
			    "ありません\n" : "ismsctl: report %s is not in the "
			    "outbox\n", id);
			rc = EXIT_FAIL;
		} else if (ja)
			printf("%lld 件のレポートを今すぐ送信します (拒否を解除)\n",
			    (long long)n);
		else
			printf("%lld report%s due now, not rejected\n",
			    (long long)n, n == 1 ? "" : "s");
	} else {
		if ((n = store_outbox_drop(st, id, &run)) == -1) {
			fprintf(stderr, "ismsctl: %s: outbox not updated\n",
			    path);
			rc = EXIT_INTERNAL;
		} else if (n == 0) {
			fprintf(stderr, ja ? "ismsctl: レポート %s は送信待ちに"
			    "ありません\n" : "ismsctl: report %s is not in the "
			    "outbox\n", id);
			rc = EXIT_FAIL;
		} else if (ja)
			printf("レポート %s を送信待ちから削除しました。実行 %lld "
			    "はローカルの記録に残ります (実行は追記のみの証跡)"
			    "が、コレクタには送信されません\n", id,
			    (long long)run);
		else
			printf("report %s dropped from the outbox; run %lld "
			    "stays in the local store (runs are append-only "
			    "evidence) but will not be sent\n", id,
			    (long long)run);
	}
	store_close(st);
	store_files_owner(path);
	free(path);
	/* The daemon's retry timer may be a day away: wake it. */
	if (rc == 0 && sub != NULL && strcmp(sub, "retry") == 0)
		control_poke(cl, "outbox-kick");
	return (rc);
}

/*
 * The binary that enrolls (libcurl lives there, not here): beside ours
 * when it is there (a build tree), else the installed one.
 */
static void
enroll_helper(char *path, size_t size)
{
	char	self[PATH_MAX], *slash;
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(path, size, "%s/ismsctl-enroll",
			    self) < size && access(path, X_OK) == 0)
				return;
		}
	}
	strlcpy(path, PKGLIBEXECDIR "/ismsctl-enroll", size);
}

/*
 * Runs ismsctl-enroll --renew: no token; --now (the time --if-needed
 * judges by) passed on.
 */
static int
cmd_enroll_renew(struct cmdline *cl)
{
	char		 path[PATH_MAX], now[RFC3339_LEN];
	const char	*argv[16];
	size_t		 n = 0;

	if (cl->token != NULL || cl->e.ca != NULL || cl->e.pin != NULL) {
		fprintf(stderr, "ismsctl: --renew takes no --token, --ca or "
		    "--pin: it uses the enrolled certificate and ca.pem\n");
		if (cl->token != NULL) {
			explicit_bzero(cl->token, strlen(cl->token));
			free(cl->token);
			cl->token = NULL;
		}
		return (EXIT_USAGE);
	}
	enroll_helper(path, sizeof path);
	time_format_rfc3339(cl->o.now, now, sizeof now);
	argv[n++] = "ismsctl-enroll";
	argv[n++] = "--renew";
	if (cl->e.if_needed)
		argv[n++] = "--if-needed";
	argv[n++] = "--now";
	argv[n++] = now;
	if (cl->e.server != NULL) {
		argv[n++] = "--server";
		argv[n++] = cl->e.server;
	}
	if (cl->o.config != NULL) {
		argv[n++] = "--config";
		argv[n++] = cl->o.config;
	}
	if (*cl->o.root != '\0') {
		argv[n++] = "--root";
		argv[n++] = cl->o.root;
	}
	argv[n] = NULL;
	execv(path, (char *const *)argv);
	fprintf(stderr, "ismsctl: %s: %s\n", path, strerror(errno));
	return (EXIT_INTERNAL);
}

/* Runs ismsctl-enroll with the token on its standard input. */
static int
cmd_enroll(struct cmdline *cl)
{
	char		 path[PATH_MAX];
	const char	*argv[16];
	size_t		 n = 0, len;
	int		 fds[2];

	if (cl->e.renew)
		return (cmd_enroll_renew(cl));
	if (cl->e.if_needed) {
		fprintf(stderr, "ismsctl: --if-needed goes with --renew\n");
		return (EXIT_USAGE);
	}
	if (cl->e.server == NULL || cl->token == NULL) {
		fprintf(stderr, "ismsctl: enroll needs --server URL and "
		    "--token TOKEN\n");
		return (EXIT_USAGE);
	}
	if ((len = strlen(cl->token)) == 0 || len >= ISMSCTL_MAX_TOKEN) {
		fprintf(stderr, "ismsctl: --token: 1 to %d bytes expected\n",
		    ISMSCTL_MAX_TOKEN - 1);
		return (EXIT_USAGE);
	}
	enroll_helper(path, sizeof path);
	argv[n++] = "ismsctl-enroll";
	argv[n++] = "--server";
	argv[n++] = cl->e.server;
	argv[n++] = "--token";
	argv[n++] = "-";
	if (cl->e.ca != NULL) {
		argv[n++] = "--ca";
		argv[n++] = cl->e.ca;
	}
	if (cl->e.pin != NULL) {
		argv[n++] = "--pin";
		argv[n++] = cl->e.pin;
	}
	if (cl->o.config != NULL) {
		argv[n++] = "--config";
		argv[n++] = cl->o.config;
	}
	if (*cl->o.root != '\0') {
		argv[n++] = "--root";
		argv[n++] = cl->o.root;
	}
	argv[n] = NULL;
	/* A token is far below the pipe's capacity: the write cannot block. */
	if (pipe(fds) == -1 || write(fds[1], cl->token, len) != (ssize_t)len ||
	    write(fds[1], "\n", 1) != 1 || close(fds[1]) == -1 ||
	    dup2(fds[0], STDIN_FILENO) == -1) {
		fprintf(stderr, "ismsctl: pipe: %s\n", strerror(errno));
		return (EXIT_INTERNAL);
	}
	close(fds[0]);
	explicit_bzero(cl->token, len);
	execv(path, (char *const *)argv);
	fprintf(stderr, "ismsctl: %s: %s\n", path, strerror(errno));
	return (EXIT_INTERNAL);
}

int
main(int argc, char **argv)
{
	struct cmdline	 cl;
	const char	*cmd;

	log_init("ismsctl", 1, 0);
	if (argc < 2) {
		usage(stderr);
		return (EXIT_USAGE);
	}
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return (0);
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("ismsctl %s (report schema %s)\n", AGENT_VERSION,
		    REPORT_SCHEMA);
		return (0);
	}
	memset(&cl, 0, sizeof cl);
	cl.o.root = "";
	cl.o.now = time(NULL);
	cl.o.store = 1;
	cl.colour = "auto";
	optind = 2;
	if (strcmp(cmd, "outbox") == 0)
		cl.maxargs = 2;
	if (parse_options(argc, argv, &cl) == -1) {
		fprintf(stderr, "usage: see \"ismsctl --help\"\n");
		return (EXIT_USAGE);
	}
	if (strcmp(cmd, "check") == 0)
		return (check_main(&cl.o));
	if (strcmp(cmd, "facts") == 0)
		return (cmd_facts(&cl));
	if (strcmp(cmd, "history") == 0)
		return (cmd_history(&cl));
	if (strcmp(cmd, "controls") == 0)
		return (cmd_controls(&cl));
	if (strcmp(cmd, "status") == 0)
		return (cmd_status(&cl));
	if (strcmp(cmd, "run-now") == 0)
		return (cmd_run_now(&cl));
	if (strcmp(cmd, "outbox") == 0)
		return (cmd_outbox(&cl));
	if (strcmp(cmd, "enroll") == 0)
		return (cmd_enroll(&cl));
	fprintf(stderr, "ismsctl: unknown command \"%s\"\n", cmd);
	usage(stderr);
	return (EXIT_USAGE);
}
