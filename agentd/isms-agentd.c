/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * isms-agentd: the parent process.
 *
 * Design.  The parent stays root and does three things only: it reads
 * the configuration (and re-reads it on SIGHUP), it starts and watches
 * its two children, and it runs the collectors when the engine asks.
 * It has no network and no database.
 *
 * The children are binaries of their own in $(pkglibexecdir),
 * isms-agentd-engine and isms-agentd-net, each linked with only the
 * libraries it uses; they confine themselves (chroot, unprivileged
 * user) before reading anything from their peers:
 *
 *   engine (_isms, chroot store dir) --- parent (root) --- net (_isms)
 *   timers, evaluation, store,             |                  HTTPS,
 *   drift, alert queue,               collectors              remote
 *   control socket                    (forked worker,         syslog
 *                                      nice, idle I/O)
 *
 * The net process is started when the engine has something to deliver
 * and asks to leave once it has been idle for a while: libcurl and its
 * libraries cost several megabytes that an idle daemon should not hold.
 * The parent relays deliveries between engine and net, checking each
 * message, and answers for a net process that died with deliveries
 * outstanding, so the engine retries them.
 *
 * Collection runs in a forked worker at low CPU and I/O priority.  The
 * worker sends each collector's facts as soon as they are ready; a
 * collector that takes longer than daemon.collector_timeout is killed
 * with its worker, recorded as an error, and the run goes on with the
 * next collector in a new worker.  A crashing collector costs its own
 * facts, not the run and never the daemon.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentd.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

#define PARENT_STOP_WAIT	10	/* seconds for children to exit */

struct parent {
	struct event_base	*base;
	const char		*conf_path;
	const char		*root;		/* -r: host files under root */
	int			 foreground;
	int			 verbose;
	char			 self[4096];	/* our binary */
	char			 engine_path[4096]; /* isms-agentd-engine */
	char			 net_path[4096]; /* isms-agentd-net */
	struct agent_conf	*conf;
	char			*conf_text;	/* as read, for the children */
	size_t			 conf_len;

	/* Reports: the collector's CA and our client certificate. */
	int			 reports;	/* url set and enrolled */
	char			*client_cert, *client_key, *client_ca;
	size_t			 client_cert_len, client_key_len;
	size_t			 client_ca_len;

	pid_t			 engine_pid, net_pid;
	struct ipc		*engine, *net;	/* net: NULL when not running */
	json_t			*outstanding;	/* deliveries at net: {id: dest} */

	/* The collection in progress. */
	pid_t			 worker;
	json_t			*memo;		/* collectors', between runs */
	struct ipc		*worker_ipc;
	struct event		*worker_timer;
	int64_t			 run;
	time_t			 run_now;
	size_t			 next_collector;
	int			 collecting;

	struct event		*ev_sighup, *ev_sigterm, *ev_sigint;
	struct event		*ev_sigchld;
	int			 stopping;
};

static struct parent	*P;

static void parent_collect_from(struct parent *, size_t);
static void parent_deliver(struct parent *, json_t *, const char *, size_t);

static void
usage(void)
{
	fprintf(stderr, "usage: isms-agentd [-dnv] [-f file] [-r dir]\n");
	exit(EXIT_USAGE);
}

/*
 * sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET.  No library is
 * needed for a protocol this small; abstract sockets start with '@'.
 */
static void
parent_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 len;
	int			 fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0' ||
	    strlen(path) >= sizeof sun.sun_path)
		return;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_debug("%s: %s", __func__, strerror(errno));
	close(fd);
}

/*
 * Loads agent.yaml and checks it against the policy (threshold names
 * and values); prints every error, -1 on any.  The policy itself is
 * the engine's: the parent does not keep it.
 */
static int
parent_load(struct parent *p, struct agent_conf **cp, char **text,
    size_t *len)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*pol;
	struct agent_conf *conf;
	char		*cause = NULL, *buf = NULL;
	size_t		 i, n = 0;

	pol = policy_new();
	policy_load_builtin(pol, &e);
	if (root_read_file("", p->conf_path, &buf, &n, &cause) == -1) {
		if (errno != ENOENT || strcmp(p->conf_path,
		    SYSCONFDIR "/isms-agent/agent.yaml") != 0)
			yerr_at(&e, p->conf_path, 0, 0, "%s", cause);
		free(cause);
		buf = xstrdup("");
		n = 0;
	}
	conf = config_load_buffer(p->conf_path, buf, n, pol, &e);
	if (e.n != 0) {
		for (i = 0; i < e.n; i++)
			log_warnx("%s", e.msgs[i]);
		yerrors_clear(&e);
		config_free(conf);
		policy_free(pol);
		free(buf);
		return (-1);
	}
	policy_free(pol);
	*cp = conf;
	*text = buf;
	*len = n;
	return (0);
}

/* Sends the configuration (the text of agent.yaml) to a child. */
static void
parent_send_conf(struct parent *p, struct ipc *ipc, int reload)
{
	json_t	*j;

	j = json_pack("{s:s,s:s%}", "name", p->conf_path, "text",
	    p->conf_text, p->conf_len);
	ipc_send_json(ipc, IMSG_CONF_FILE, j);
	ipc_send_json(ipc, IMSG_CONF_END, json_pack("{s:b,s:s,s:b}", "reload",
	    reload, "root", p->root, "reports", p->reports));
}

static void
parent_client_clear(struct parent *p)
{
	if (p->client_key != NULL)
		explicit_bzero(p->client_key, p->client_key_len);
	free(p->client_key);
	free(p->client_cert);
	free(p->client_ca);
	p->client_key = p->client_cert = p->client_ca = NULL;
	p->client_key_len = p->client_cert_len = p->client_ca_len = 0;
	p->reports = 0;
}

/*
 * Reads collector.cert, collector.key and collector.ca under the root
 * (where "ismsctl enroll" writes them), at start and on SIGHUP.  Reports
 * are sent only when collector.url is set and the host is enrolled: the
 * certificate and key are readable, and the key is not readable by
 * group or others.  A missing CA file means the system store.
 */
static void
parent_client_load(struct parent *p)
{
	struct agent_conf	*c = p->conf;
	struct stat		 sb;
	char			*cause;

	parent_client_clear(p);
	if (c->collector_url == NULL)
		return;
	if (root_stat(p->root, c->collector_key, &sb, &cause) == -1) {
		log_warnx("reports to %s off: not enrolled (%s; run ismsctl "
		    "enroll)", c->collector_url, cause);
		free(cause);
		return;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		log_warnx("reports to %s off: collector.key %s is readable by "
		    "group or others (mode %03o): chmod 600 it", c->collector_url,
		    c->collector_key, (unsigned)(sb.st_mode & 0777));
		return;
	}
	if (root_read_file(p->root, c->collector_key, &p->client_key,
	    &p->client_key_len, &cause) == -1 ||
	    root_read_file(p->root, c->collector_cert, &p->client_cert,
	    &p->client_cert_len, &cause) == -1) {
		log_warnx("reports to %s off: %s", c->collector_url, cause);
		free(cause);
		parent_client_clear(p);
		return;
	}
	if (c->collector_ca != NULL && root_read_file(p->root,
	    c->collector_ca, &p->client_ca, &p->client_ca_len, &cause) == -1) {
		log_warnx("collector.ca: %s: the system CA store verifies %s",
		    cause, c->collector_url);
		free(cause);
		p->client_ca = NULL;
	}
	p->reports = 1;
	log_debug("reports to %s as %s", c->collector_url, c->collector_cert);
}

/* The client certificate for reports to the net process ({}: none). */
static void
parent_send_client(struct parent *p)
{
	json_t	*j;

	if (!p->reports) {
		ipc_send_json(p->net, IMSG_CLIENT_CERT, json_object());
		return;
	}
	j = json_pack("{s:s%,s:s%}", "cert", p->client_cert,
	    p->client_cert_len, "key", p->client_key, p->client_key_len);
	if (j == NULL || json_object_set_new(j, "ca", p->client_ca != NULL ?
	    json_stringn(p->client_ca, p->client_ca_len) : json_null()) ==
	    -1) {
		log_warnx("reports off: collector.cert, key or ca is not PEM "
		    "text");
		json_decref(j);
		j = json_object();
	}
	ipc_send_json(p->net, IMSG_CLIENT_CERT, j);
}

/* The CA files the net process needs, read here before it asks. */
static void
parent_send_cas(struct parent *p)
{
	char	*pem, *cause;
	size_t	 i, len;

	for (i = 0; i < p->conf->nwebhooks + 1; i++) {
		const char *path = i < p->conf->nwebhooks ?
		    p->conf->webhooks[i].ca : p->conf->remote_syslog != NULL ?
		    p->conf->remote_syslog->ca : NULL;
		if (path == NULL)
			continue;
		if (root_read_file("", path, &pem, &len, &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
			continue;
		}
		ipc_send_json(p->net, IMSG_CA, json_pack("{s:s,s:s%}", "path",
		    path, "pem", pem, len));
		free(pem);
	}
}

/* The fixed start of a facts message: {"name":"NAME","facts": */
static const char *
worker_prefix(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "{\"name\":\"%s\",\"facts\":", name);
	return (buf);
}

/* Worker side: run the collectors from index "from" and report each. */
static void __attribute__((noreturn))
worker_main(struct parent *p, int fd, size_t from, time_t now)
{
	struct collector_ctx	 ctx;
	json_t			*facts;
	char			*s, *body, prefix[128];
	size_t			 i, len;

	proc_lower_priority();
	memset(&ctx, 0, sizeof ctx);
	ctx.root = p->root;
	ctx.live = *p->root == '\0';
	ctx.now = now;
	ctx.backup_targets = p->conf->backup_targets;
	ctx.nbackup_targets = p->conf->nbackup_targets;
	ctx.memo = p->memo;	/* our copy: changes go back to the parent */
	for (i = from; collectors[i] != NULL; i++) {
		facts = collector_run_one(collectors[i], &ctx);
		if (ctx.memo_changed) {
			if ((body = json_dumps(ctx.memo, JSON_COMPACT)) ==
			    NULL || ipc_write_blocking(fd, IMSG_MEMO, body,
			    strlen(body)) == -1)
				_exit(1);
			free(body);
			ctx.memo_changed = 0;
		}
		/*
		 * Written as {"name":"NAME","facts":{...}} with the name
		 * first, so the parent can check it without parsing the
		 * facts; the engine parses (and checks) all of it.
		 */
		if ((body = json_dumps(facts, JSON_COMPACT)) == NULL)
			_exit(1);
		json_decref(facts);
		xasprintf(&s, "%s%s", worker_prefix(collectors[i]->name,
		    prefix, sizeof prefix), body);
		free(body);
		len = strlen(s);
		s[len] = '}';	/* the NUL is not sent */
		if (ipc_write_blocking(fd, IMSG_FACTS, s, len + 1) == -1)
			_exit(1);
		free(s);
	}
	if (ipc_write_blocking(fd, IMSG_COLLECT_DONE, "{}", 2) == -1)
		_exit(1);
	_exit(0);
}

/* Records a collector that produced nothing, and moves on. */
static void
parent_collector_failed(struct parent *p, const char *why)
{
	const struct collector	*c = collectors[p->next_collector];
	json_t			*facts;

	if (c == NULL)
		return;
	log_warnx("collector %s: %s", c->name, why);
	facts = json_pack("{s:s}", "_error", why);
	ipc_send_json(p->engine, IMSG_FACTS, json_pack("{s:s,s:o}", "name",
	    c->name, "facts", facts));
	p->next_collector++;
}

static void
parent_worker_stop(struct parent *p)
{
	int	status;

	if (p->worker > 0) {
		kill(p->worker, SIGKILL);
		while (waitpid(p->worker, &status, 0) == -1 && errno == EINTR)
			;
		p->worker = 0;
	}
	if (p->worker_ipc != NULL) {
		ipc_free(p->worker_ipc);
		p->worker_ipc = NULL;
	}
	evtimer_del(p->worker_timer);
}

static void
parent_collect_done(struct parent *p)
{
	parent_worker_stop(p);
	p->collecting = 0;
	malloc_trim(0);
	ipc_send_json(p->engine, IMSG_COLLECT_DONE, json_pack("{s:I,s:I,s:b}",
	    "run", (json_int_t)p->run, "now", (json_int_t)p->run_now,
	    "deferred", 0));
}

static void
parent_worker_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct parent	*p = arg;
	char		*why;

	xasprintf(&why, "timed out after %llds",
	    (long long)p->conf->collector_timeout_s);
	parent_worker_stop(p);
	parent_collector_failed(p, why);
	free(why);
	parent_collect_from(p, p->next_collector);
}

static void
parent_worker_closed(struct ipc *ipc, void *arg)
{
	struct parent	*p = arg;

	/* The worker died without finishing: blame the current collector. */
	parent_worker_stop(p);
	parent_collector_failed(p, "collector process died");
	parent_collect_from(p, p->next_collector);
}

static void
parent_dispatch_worker(struct ipc *ipc, uint32_t type, const char *data,
    size_t len, void *arg)
{
	struct parent		*p = arg;
	const struct collector	*c = collectors[p->next_collector];
	struct timeval		 tv = { p->conf->collector_timeout_s, 0 };
	json_t			*memo;
	char			 prefix[128];

	switch (type) {
	case IMSG_FACTS:
		/* The name is checked here; the facts by the engine. */
		if (c == NULL)
			fatalx("%s: facts after the last collector", __func__);
		worker_prefix(c->name, prefix, sizeof prefix);
		if (len < strlen(prefix) + 3 || strncmp(data, prefix,
		    strlen(prefix)) != 0 || data[strlen(prefix)] != '{' ||
		    data[len - 1] != '}')
			fatalx("%s: unexpected facts from the collector "
			    "worker", __func__);
		ipc_send(p->engine, IMSG_FACTS, data, len);
		p->next_collector++;
		evtimer_add(p->worker_timer, &tv);
		break;
	case IMSG_COLLECT_DONE:
		parent_collect_done(p);
		break;
	case IMSG_MEMO:
		if ((memo = json_loadb(data, len, 0, NULL)) == NULL ||
		    !json_is_object(memo))
			fatalx("%s: bad memo from the collector worker",
			    __func__);
		json_decref(p->memo);
		p->memo = memo;
		break;
	default:
		fatalx("%s: unexpected message %u", __func__, type);
	}
}

/* Starts a worker running the collectors from index "from". */
static void
parent_collect_from(struct parent *p, size_t from)
{
	struct timeval	 tv = { p->conf->collector_timeout_s, 0 };
	int		 sp[2];

	if (collectors[from] == NULL) {
		parent_collect_done(p);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("%s: socketpair", __func__);
	p->next_collector = from;
	switch (p->worker = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		close(sp[0]);
		worker_main(p, sp[1], from, p->run_now);
	default:
		break;
	}
	close(sp[1]);
	p->worker_ipc = ipc_new(p->base, sp[0], "collector",
	    parent_dispatch_worker, parent_worker_closed, p);
	evtimer_add(p->worker_timer, &tv);
}

/* True when running on battery: mains offline and a battery present. */
static int
parent_on_battery(const char *root)
{
	char	**v, *buf, *path, *type;
	size_t	 i;
	int	 mains_online = 0, battery = 0;

	if ((v = root_list_dir(root, "/sys/class/power_supply", NULL)) == NULL)
		return (0);
	for (i = 0; v[i] != NULL; i++) {
		xasprintf(&path, "/sys/class/power_supply/%s/type", v[i]);
		if (root_read_file(root, path, &type, NULL, NULL) == -1) {
			free(path);
			continue;
		}
		free(path);
		if (str_startswith(type, "Battery"))
			battery = 1;
		else if (str_startswith(type, "Mains")) {
			xasprintf(&path, "/sys/class/power_supply/%s/online",
			    v[i]);
			if (root_read_file(root, path, &buf, NULL, NULL) == 0) {
				if (buf[0] == '1')
					mains_online = 1;
				free(buf);
			}
			free(path);
		}
		free(type);
	}
	strv_free(v);
	return (battery && !mains_online);
}

static void
parent_dispatch_engine(struct ipc *ipc, uint32_t type, const char *data,
    size_t len, void *arg)
{
	struct parent	*p = arg;
	json_t		*j;
	char		*state;

	j = ipc_json(ipc, type, data, len);
	switch (type) {
	case IMSG_READY:
		parent_notify("READY=1");
		log_info("started");
		break;
	case IMSG_STATUS:
		xasprintf(&state, "STATUS=%s", json_string_value(
		    json_object_get(j, "status")) != NULL ? json_string_value(
		    json_object_get(j, "status")) : "");
		parent_notify(state);
		free(state);
		break;
	case IMSG_DELIVER:
		parent_deliver(p, j, data, len);
		break;
	case IMSG_COLLECT:
		if (p->collecting) {
			log_warnx("engine asked for a run during a run");
			break;
		}
		p->run = json_integer_value(json_object_get(j, "run"));
		p->run_now = time(NULL);
		if (p->conf->defer_on_battery &&
		    json_is_false(json_object_get(j, "force")) &&
		    parent_on_battery(p->root)) {
			ipc_send_json(p->engine, IMSG_COLLECT_DONE,
			    json_pack("{s:I,s:I,s:b}", "run",
			    (json_int_t)p->run, "now", (json_int_t)p->run_now,
			    "deferred", 1));
			break;
		}
		p->collecting = 1;
		parent_collect_from(p, 0);
		break;
	default:
		fatalx("%s: unexpected message %u from engine", __func__,
		    type);
	}
	json_decref(j);
}

/* Every delivery still at the net process fails: the engine retries. */
static void
parent_net_lost(struct parent *p, const char *why)
{
	const char	*id;
	json_t		*dest;

	json_object_foreach(p->outstanding, id, dest)
		ipc_send_json(p->engine, IMSG_DELIVERED, json_pack(
		    "{s:I,s:O,s:b,s:i,s:s,s:i}", "id",
		    (json_int_t)strtoll(id, NULL, 10), "dest", dest, "ok", 0,
		    "status", 0, "error", why, "retry_after", -1));
	json_object_clear(p->outstanding);
}

static void
parent_dispatch_net(struct ipc *ipc, uint32_t type, const char *data,
    size_t len, void *arg)
{
	struct parent	*p = arg;
	json_t		*j;
	char		 key[32];

	j = ipc_json(ipc, type, data, len);
	switch (type) {
	case IMSG_DELIVERED:
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(
		    json_object_get(j, "id")));
		if (json_object_get(p->outstanding, key) == NULL)
			fatalx("%s: delivery %s was not asked for", __func__,
			    key);
		json_object_del(p->outstanding, key);
		ipc_send(p->engine, IMSG_DELIVERED, data, len);
		break;
	case IMSG_NET_IDLE:
		if (json_object_size(p->outstanding) != 0)
			break;	/* a delivery crossed the request */
		log_debug("net process %ld idle: stopping it",
		    (long)p->net_pid);
		ipc_send_json(p->net, IMSG_SHUTDOWN, json_object());
		ipc_flush(p->net);
		ipc_free(p->net);
		p->net = NULL;
		break;
	default:
		fatalx("%s: unexpected message %u from net", __func__, type);
	}
	json_decref(j);
}

static void
parent_net_closed(struct ipc *ipc, void *arg)
{
	struct parent	*p = arg;

	log_warnx("net process exited with deliveries outstanding");
	ipc_free(p->net);
	p->net = NULL;
	parent_net_lost(p, "net process exited");
}

/* Starts the net process, with its configuration and CA certificates. */
static void
parent_net_start(struct parent *p)
{
	char	*args[8], idle[32];
	int	 n = 0, fd;

	if (p->foreground)
		args[n++] = (char *)"-d";
	if (p->verbose)
		args[n++] = (char *)"-v";
	args[n++] = (char *)"-u";
	args[n++] = p->conf->user;
	snprintf(idle, sizeof idle, "%lld", (long long)p->conf->net_idle_s);
	args[n++] = (char *)"-i";
	args[n++] = idle;
	args[n] = NULL;
	p->net_pid = proc_spawn(p->net_path, "net", args, &fd, -1);
	log_debug("net process %ld started", (long)p->net_pid);
	p->net = ipc_new(p->base, fd, "net", parent_dispatch_net,
	    parent_net_closed, p);
	parent_send_conf(p, p->net, 0);
	parent_send_cas(p);
	parent_send_client(p);
}

/* Relays a delivery from the engine, starting the net process. */
static void
parent_deliver(struct parent *p, json_t *j, const char *data, size_t len)
{
	char	key[32];

	if (!json_is_integer(json_object_get(j, "id")) ||
	    !json_is_string(json_object_get(j, "dest")))
		fatalx("%s: malformed delivery from engine", __func__);
	snprintf(key, sizeof key, "%lld", (long long)json_integer_value(
	    json_object_get(j, "id")));
	if (p->net == NULL)
		parent_net_start(p);
	json_object_set(p->outstanding, key, json_object_get(j, "dest"));
	ipc_send(p->net, IMSG_DELIVER, data, len);
}

static void
parent_reload(struct parent *p)
{
	struct agent_conf	*conf;
	char			*text;
	size_t			 len;

	log_info("reloading %s", p->conf_path);
	if (parent_load(p, &conf, &text, &len) == -1) {
		log_warnx("configuration not reloaded: keeping the running "
		    "one");
		return;
	}
	config_free(p->conf);
	free(p->conf_text);
	p->conf = conf;
	p->conf_text = text;
	p->conf_len = len;
	parent_client_load(p);
	parent_send_conf(p, p->engine, 1);
	if (p->net != NULL) {
		parent_send_conf(p, p->net, 1);
		parent_send_cas(p);
		parent_send_client(p);
	}
	log_info("configuration reloaded");
}

static void
parent_shutdown(struct parent *p)
{
	time_t	deadline;
	pid_t	pid;
	int	status, left = 2;

	if (p->stopping++)
		return;
	parent_notify("STOPPING=1");
	log_info("stopping");
	parent_worker_stop(p);
	ipc_send_json(p->engine, IMSG_SHUTDOWN, json_object());
	ipc_flush(p->engine);
	if (p->net != NULL) {
		ipc_send_json(p->net, IMSG_SHUTDOWN, json_object());
		ipc_flush(p->net);
	} else
		left--;
	deadline = time(NULL) + PARENT_STOP_WAIT;
	while (left > 0 && time(NULL) < deadline) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == p->engine_pid || (p->net != NULL &&
		    pid == p->net_pid))
			left--;
		else if (pid <= 0)
			usleep(20000);
	}
	if (left > 0) {
		kill(p->engine_pid, SIGKILL);
		if (p->net != NULL)
			kill(p->net_pid, SIGKILL);
	}
	unlink(p->conf->control_socket);
	exit(0);
}

static void
parent_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct parent	*p = arg;
	pid_t		 pid;
	int		 status;

	switch (sig) {
	case SIGHUP:
		parent_reload(p);
		break;
	case SIGTERM:
	case SIGINT:
		parent_shutdown(p);
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == p->engine_pid) {
				if (p->stopping)
					continue;
				fatalx("engine process exited (status %d)",
				    status);
			}
			/* The net process comes and goes (its ipc tells). */
			if (pid == p->worker)
				p->worker = 0;	/* its socket close follows */
		}
		break;
	}
}

/*
 * For -n: the user and group the configuration names must exist, or
 * the daemon would refuse to start (see parent_dirs()).
 */
static int
parent_check_accounts(struct parent *p)
{
	int	r = 0;

	if (geteuid() == 0 && getpwnam(p->conf->user) == NULL) {
		log_warnx("%s: daemon.user: user %s does not exist: create it "
		    "(useradd --system --home-dir /var/lib/isms-agent --shell "
		    "/usr/sbin/nologin %s) or set daemon.user", p->conf_path,
		    p->conf->user, p->conf->user);
		r = -1;
	}
	if (p->conf->control_group != NULL &&
	    getgrnam(p->conf->control_group) == NULL) {
		log_warnx("%s: daemon.control_group: unknown group %s",
		    p->conf_path, p->conf->control_group);
		r = -1;
	}
	return (r);
}

/* Makes the store and socket directories, owned as the children need. */
static void
parent_dirs(struct parent *p)
{
	struct passwd	*pw = NULL;
	struct group	*gr;
	char		*store, *dir;
	const char	*path;

	if (geteuid() == 0 && (pw = getpwnam(p->conf->user)) == NULL)
		fatalx("user %s does not exist: create it (useradd --system "
		    "--home-dir /var/lib/isms-agent --shell /usr/sbin/nologin "
		    "%s) or set daemon.user", p->conf->user, p->conf->user);
	path = p->conf->store_path != NULL ? p->conf->store_path :
	    LOCALSTATEDIR "/lib/isms-agent/store.db";
	store = xstrdup(path);
	dir = dirname(store);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (pw != NULL) {
		if (chown(dir, pw->pw_uid, pw->pw_gid) == -1)
			fatal("chown %s", dir);
		if (chmod(dir, 0700) == -1)
			fatal("chmod %s", dir);
	}
	free(store);
	store = xstrdup(p->conf->control_socket);
	dir = dirname(store);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	free(store);
	/* The net process's chroot lives under here. */
	if (geteuid() == 0 && mkdir(RUNSTATEDIR "/isms-agent", 0755) == -1 &&
	    errno != EEXIST)
		fatal("mkdir %s", RUNSTATEDIR "/isms-agent");
	if (p->conf->control_group != NULL &&
	    (gr = getgrnam(p->conf->control_group)) == NULL)
		fatalx("daemon.control_group: unknown group %s",
		    p->conf->control_group);
}

static void
parent_spawn(struct parent *p)
{
	char		*args[16], fac[16];
	const char	*store;
	int		 n = 0, fd;

	store = p->conf->store_path != NULL ? p->conf->store_path :
	    LOCALSTATEDIR "/lib/isms-agent/store.db";
	if (p->foreground)
		args[n++] = (char *)"-d";
	if (p->verbose)
		args[n++] = (char *)"-v";
	args[n++] = (char *)"-u";
	args[n++] = p->conf->user;
	args[n++] = (char *)"-S";
	args[n++] = (char *)store;
	args[n++] = (char *)"-C";
	args[n++] = p->conf->control_socket;
	if (p->conf->control_group != NULL) {
		args[n++] = (char *)"-G";
		args[n++] = p->conf->control_group;
	}
	args[n++] = (char *)"-I";
	args[n++] = p->conf->syslog_ident;
	snprintf(fac, sizeof fac, "%d", p->conf->syslog_facility);
	args[n++] = (char *)"-F";
	args[n++] = fac;
	args[n] = NULL;
	p->engine_pid = proc_spawn(p->engine_path, "engine", args, &fd, -1);
	p->engine = ipc_new(p->base, fd, "engine", parent_dispatch_engine,
	    NULL, p);
}

/*
 * A child's binary: beside ours when it is there (a build tree), else
 * the installed one.
 */
static void
parent_child_path(struct parent *p, const char *name, char *path,
    size_t len)
{
	char	*copy;

	copy = xstrdup(p->self);
	snprintf(path, len, "%s/%s", dirname(copy), name);
	free(copy);
	if (access(path, X_OK) == 0)
		return;
	snprintf(path, len, "%s/%s", PKGLIBEXECDIR, name);
	if (access(path, X_OK) == -1)
		fatal("%s", path);
}

int
main(int argc, char **argv)
{
	struct parent	 p;
	ssize_t		 n;
	int		 ch, check_only = 0;

	memset(&p, 0, sizeof p);
	p.conf_path = SYSCONFDIR "/isms-agent/agent.yaml";
	p.root = "";
	while ((ch = getopt(argc, argv, "df:nr:v")) != -1) {
		switch (ch) {
		case 'd':
			p.foreground = 1;
			break;
		case 'f':
			p.conf_path = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'r':
			p.root = optarg;
			break;
		case 'v':
			p.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init("isms-agentd", 1, p.verbose);
	if (parent_load(&p, &p.conf, &p.conf_text,
	    &p.conf_len) == -1) {
		fprintf(stderr, "isms-agentd: configuration not valid\n");
		return (EXIT_USAGE);
	}
	if (check_only) {
		ch = parent_check_accounts(&p);
		config_free(p.conf);
		free(p.conf_text);
		if (ch == -1) {
			fprintf(stderr, "isms-agentd: configuration not "
			    "valid\n");
			return (EXIT_USAGE);
		}
		printf("configuration OK\n");
		return (0);
	}
	if ((n = readlink("/proc/self/exe", p.self, sizeof p.self - 1)) == -1)
		fatal("readlink /proc/self/exe");
	p.self[n] = '\0';
	parent_child_path(&p, "isms-agentd-engine", p.engine_path,
	    sizeof p.engine_path);
	parent_child_path(&p, "isms-agentd-net", p.net_path,
	    sizeof p.net_path);
	parent_dirs(&p);
	if (geteuid() != 0)
		log_warnx("not running as root: no chroot and no separate "
		    "user; evidence that needs root will be errors");
	if (!p.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init("isms-agentd", 0, p.verbose);
	}
	P = &p;
	if ((p.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	p.ev_sighup = evsignal_new(p.base, SIGHUP, parent_signal, &p);
	p.ev_sigterm = evsignal_new(p.base, SIGTERM, parent_signal, &p);
	p.ev_sigint = evsignal_new(p.base, SIGINT, parent_signal, &p);
	p.ev_sigchld = evsignal_new(p.base, SIGCHLD, parent_signal, &p);
	evsignal_add(p.ev_sighup, NULL);
	evsignal_add(p.ev_sigterm, NULL);
	evsignal_add(p.ev_sigint, NULL);
	evsignal_add(p.ev_sigchld, NULL);
	p.worker_timer = evtimer_new(p.base, parent_worker_timeout, &p);
	p.memo = json_object();

	p.outstanding = json_object();
	parent_client_load(&p);
	parent_spawn(&p);
	parent_send_conf(&p, p.engine, 0);
	event_base_dispatch(p.base);
	return (0);
}
