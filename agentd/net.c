/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The net process of isms-agentd: unprivileged and chrooted, it is the
 * only process that talks to the network.
 *
 * Design.  The engine hands it, through the parent, one alert per
 * destination at a time (IMSG_DELIVER) and gets one answer back
 * (IMSG_DELIVERED); retries, backoff and rate limits are the engine's,
 * so this process keeps no state that matters across a restart.  It is
 * started for a delivery and, after daemon.net_idle with nothing to do,
 * asks the parent to stop it (IMSG_NET_IDLE).  HTTPS goes through libcurl's
 * multi interface on the event loop (transport.c), remote syslog
 * through bufferevents (syslogtx.c).  CA certificates are read by the
 * parent and arrive as PEM blobs, and the system CA bundle is read
 * before the chroot, because no file outside it can be opened later.
 *
 * Reports to the collector (kind "report") are the run's JSON from the
 * engine, gzip-compressed here just before the POST: the messages
 * between processes stay JSON text (gzip bytes would need base64), and
 * zlib's few hundred kilobytes of deflate state live in this short-lived
 * process, not in the engine that runs for months.  They go out with the
 * client certificate and key the parent sent (IMSG_CLIENT_CERT), and
 * count as delivered only on a 200 that says accepted or duplicate.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <zlib.h>

#include "agentd.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "syslogtx.h"
#include "transport.h"
#include "util.h"
#include "xmalloc.h"

#define NET_SYSTEM_CA	"/etc/ssl/certs/ca-certificates.crt"
#define NET_CHROOT	RUNSTATEDIR "/isms-agent/net"
#define NET_TIMEOUT_MS	20000	/* per delivery */


struct net {
	struct event_base	*base;
	struct ipc		*parent;
	struct event		*idle_timer;
	long			 idle_s;
	int			 busy;		/* deliveries in progress */
	struct transport	*transport;
	struct syslogtx		*stx;
	char			*stx_key;	/* host port tls ca */
	json_t			*cas;		/* path -> PEM */
	char			*system_ca;
	size_t			 system_ca_len;
	json_t			*client;	/* {cert, key, ca}, or NULL */
};

struct delivery {
	struct net		*net;
	int64_t			 id;
	char			*dest;
};

static void
net_idle(evutil_socket_t fd, short ev, void *arg)
{
	struct net	*n = arg;

	if (n->busy == 0)
		ipc_send_json(n->parent, IMSG_NET_IDLE, json_object());
}

static void
net_reply(struct delivery *d, int ok, long status, const char *error,
    long retry_after)
{
	struct timeval	tv = { d->net->idle_s, 0 };

	if (--d->net->busy == 0)
		evtimer_add(d->net->idle_timer, &tv);
	ipc_send_json(d->net->parent, IMSG_DELIVERED, json_pack(
	    "{s:I,s:s,s:b,s:i,s:s?,s:i}", "id", (json_int_t)d->id, "dest",
	    d->dest, "ok", ok, "status", (int)status, "error", error,
	    "retry_after", (int)retry_after));
	free(d->dest);
	free(d);
}

static void
net_http_done(const struct transport_res *res, void *arg)
{
	struct delivery	*d = arg;
	char		*err = NULL;
	int		 ok;

	ok = res->http_status >= 200 && res->http_status < 300;
	if (!ok) {
		if (res->error != NULL)
			err = xstrdup(res->error);
		else
			xasprintf(&err, "HTTP %ld", res->http_status);
	}
	net_reply(d, ok, res->http_status, err, res->retry_after_s);
	free(err);
}

/*
 * A report counts as delivered only on a 200 whose answer says accepted
 * or duplicate (not, say, a captive portal's page); otherwise the error
 * carries the collector's detail for the engine's log.
 */
static void
net_report_done(const struct transport_res *res, void *arg)
{
	struct delivery	*d = arg;
	json_t		*j = NULL;
	const char	*detail = NULL;
	char		*err = NULL;
	int		 ok = 0;

	if (res->body != NULL && res->body_len > 0)
		j = json_loadb(res->body, res->body_len, 0, NULL);
	if (res->error != NULL)
		err = xstrdup(res->error);
	else if (res->http_status == 200) {
		ok = json_is_true(json_object_get(j, "accepted")) ||
		    json_is_true(json_object_get(j, "duplicate"));
		if (!ok)
			err = xstrdup("HTTP 200 without accepted or "
			    "duplicate");
	} else {
		detail = json_string_value(json_object_get(j, "detail"));
		if (detail == NULL)
			detail = json_string_value(json_object_get(j,
			    "error"));
		xasprintf(&err, "HTTP %ld%s%.200s", res->http_status,
		    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	}
	net_reply(d, ok, res->http_status, err, res->retry_after_s);
	json_decref(j);
	free(err);
}

/* buf as one gzip member (RFC 1952), or NULL. */
static char *
net_gzip(const char *buf, size_t len, size_t *outlen)
{
	z_stream	 z;
	char		*out;
	uLong		 bound;

	if (len > UINT_MAX)
		return (NULL);
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return (NULL);
	bound = deflateBound(&z, (uLong)len);
	out = xmalloc(bound);
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return (NULL);
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return (out);
}

/* A report to the collector: gzip, client certificate, its CA. */
static void
net_report(struct net *n, struct delivery *d, json_t *j, const char *body,
    size_t len)
{
	struct transport_req	 req;
	const char		*url, *ca;
	json_t			*pem;
	char			*gz;
	size_t			 gzlen;
	int			 r;

	if ((url = json_string_value(json_object_get(j, "url"))) == NULL)
		fatalx("%s: report without url", __func__);
	if (n->client == NULL) {
		net_reply(d, 0, 0, "no client certificate (not enrolled)", -1);
		return;
	}
	if ((gz = net_gzip(body, len, &gzlen)) == NULL) {
		net_reply(d, 0, 0, "gzip failed", -1);
		return;
	}
	memset(&req, 0, sizeof req);
	req.url = url;
	req.content_type = "application/json";
	req.body = gz;
	req.len = gzlen;
	req.gzip = 1;
	pem = json_object_get(n->client, "cert");
	req.cert = json_string_value(pem);
	req.cert_len = json_string_length(pem);
	pem = json_object_get(n->client, "key");
	req.key = json_string_value(pem);
	req.key_len = json_string_length(pem);
	if ((ca = json_string_value(json_object_get(n->client, "ca"))) !=
	    NULL) {
		req.ca = ca;
		req.ca_len = json_string_length(json_object_get(n->client,
		    "ca"));
	} else {
		req.ca = n->system_ca;
		req.ca_len = n->system_ca_len;
	}
	req.timeout_ms = NET_TIMEOUT_MS;
	r = transport_post(n->transport, &req, net_report_done, d);
	free(gz);
	if (r == -1)
		net_reply(d, 0, 0, "request not started", -1);
}

static void
net_syslog_done(const char *error, void *arg)
{
	struct delivery	*d = arg;

	net_reply(d, error == NULL, 0, error, -1);
}

/* The CA blob for a path from the parent, or the system bundle. */
static const char *
net_ca(struct net *n, const char *path, size_t *len)
{
	json_t	*pem;

	if (path != NULL && (pem = json_object_get(n->cas, path)) != NULL) {
		*len = json_string_length(pem);
		return (json_string_value(pem));
	}
	*len = n->system_ca_len;
	return (n->system_ca);
}

static void
net_deliver(struct net *n, json_t *j)
{
	struct transport_req	 req;
	struct delivery		*d;
	const char		*kind, *url, *body, *host, *port, *ca, *pem;
	char			*key, *cause;
	size_t			 len, calen;
	int			 tls;

	kind = json_string_value(json_object_get(j, "kind"));
	body = json_string_value(json_object_get(j, "body"));
	if (kind == NULL || body == NULL ||
	    json_string_value(json_object_get(j, "dest")) == NULL)
		fatalx("%s: malformed delivery", __func__);
	len = json_string_length(json_object_get(j, "body"));
	ca = json_string_value(json_object_get(j, "ca"));
	d = xcalloc(1, sizeof *d);
	d->net = n;
	n->busy++;
	evtimer_del(n->idle_timer);
	d->id = json_integer_value(json_object_get(j, "id"));
	d->dest = xstrdup(json_string_value(json_object_get(j, "dest")));

	if (strcmp(kind, "report") == 0) {
		net_report(n, d, j, body, len);
		return;
	}
	if (strcmp(kind, "http") == 0) {
		if ((url = json_string_value(json_object_get(j, "url"))) ==
		    NULL)
			fatalx("%s: delivery without url", __func__);
		memset(&req, 0, sizeof req);
		req.url = url;
		req.content_type = "application/json";
		req.body = body;
		req.len = len;
		req.ca = net_ca(n, ca, &req.ca_len);
		req.timeout_ms = NET_TIMEOUT_MS;
		req.allow_http = strncmp(url, "http://127.", 11) == 0 ||
		    strncmp(url, "http://localhost", 16) == 0;
		if (transport_post(n->transport, &req, net_http_done, d) == -1)
			net_reply(d, 0, 0, "request not started", -1);
		return;
	}
	if (strcmp(kind, "syslog") != 0)
		fatalx("%s: unknown delivery kind", __func__);
	host = json_string_value(json_object_get(j, "host"));
	port = json_string_value(json_object_get(j, "port"));
	tls = json_is_true(json_object_get(j, "tls"));
	if (host == NULL || port == NULL)
		fatalx("%s: syslog delivery without host", __func__);
	xasprintf(&key, "%s %s %d %s", host, port, tls, ca != NULL ? ca : "");
	if (n->stx == NULL || strcmp(n->stx_key, key) != 0) {
		syslogtx_free(n->stx);
		free(n->stx_key);
		pem = net_ca(n, ca, &calen);
		n->stx = syslogtx_new(n->base, host, port, tls, pem, calen,
		    &cause);
		n->stx_key = key;
		if (n->stx == NULL) {
			net_reply(d, 0, 0, cause, -1);
			free(cause);
			free(n->stx_key);
			n->stx_key = NULL;
			return;
		}
	} else
		free(key);
	if (syslogtx_send(n->stx, body, len, net_syslog_done, d) == -1)
		net_reply(d, 0, 0, "remote syslog queue full", -1);
}

static void
net_dispatch_parent(struct ipc *ipc, uint32_t type, const char *data,
    size_t len, void *arg)
{
	struct net	*n = arg;
	json_t		*j;
	const char	*path;

	j = ipc_json(ipc, type, data, len);
	switch (type) {
	case IMSG_CONF_FILE:
	case IMSG_CONF_END:
		/* Destinations arrive with each delivery. */
		break;
	case IMSG_DELIVER:
		net_deliver(n, j);
		break;
	case IMSG_CA:
		path = json_string_value(json_object_get(j, "path"));
		if (path == NULL || !json_is_string(json_object_get(j, "pem")))
			fatalx("%s: malformed CA", __func__);
		json_object_set(n->cas, path, json_object_get(j, "pem"));
		break;
	case IMSG_CLIENT_CERT:
		json_decref(n->client);
		n->client = NULL;
		if (json_object_size(j) == 0)
			break;
		if (!json_is_string(json_object_get(j, "cert")) ||
		    !json_is_string(json_object_get(j, "key")) ||
		    (!json_is_string(json_object_get(j, "ca")) &&
		    !json_is_null(json_object_get(j, "ca"))))
			fatalx("%s: malformed client certificate", __func__);
		n->client = json_incref(j);
		break;
	case IMSG_SHUTDOWN:
		exit(0);
	default:
		fatalx("%s: unexpected message %u from parent", __func__,
		    type);
	}
	json_decref(j);
}

static int
net_write_file(const char *path, const char *buf, size_t len)
{
	int	fd, r = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return (-1);
	if (write(fd, buf, len) != (ssize_t)len)
		r = -1;
	close(fd);
	return (r);
}

/*
 * Before the chroot: load the resolver's modules and the system CA
 * bundle, and give the chroot the few files name resolution reads.
 */
static const char *
net_prepare(struct net *n)
{
	static const char *const files[] = { "/etc/resolv.conf",
	    "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", NULL };
	struct addrinfo	 hints, *res;
	char		*buf, *path;
	size_t		 len, i;

	if (root_read_file("", NET_SYSTEM_CA, &n->system_ca,
	    &n->system_ca_len, NULL) == -1)
		n->system_ca = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "443", &hints, &res) == 0)
		freeaddrinfo(res);
	if (geteuid() != 0)
		return (NULL);
	if (mkdir(NET_CHROOT, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", NET_CHROOT);
	xasprintf(&path, "%s/etc", NET_CHROOT);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	free(path);
	for (i = 0; files[i] != NULL; i++) {
		if (root_read_file("", files[i], &buf, &len, NULL) == -1)
			continue;
		xasprintf(&path, "%s%s", NET_CHROOT, files[i]);
		if (net_write_file(path, buf, len) == -1)
			log_warn("write %s", path);
		free(path);
		free(buf);
	}
	return (NET_CHROOT);
}

/*
 * isms-agentd-net: started by isms-agentd as "isms-agentd-net -P net
 * [-d] [-v] -u USER" with its channel to the parent on PROC_IPC_FD.
 */
int
main(int argc, char **argv)
{
	const char	*user = NULL, *name = NULL;
	int		 ch, foreground = 0, verbose = 0;
	long		 idle = 30;

	while ((ch = getopt(argc, argv, "dvP:u:i:")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'P':
			name = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'i':
			idle = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "isms-agentd-net is started by "
			    "isms-agentd\n");
			return (EXIT_USAGE);
		}
	}
	if (name == NULL || strcmp(name, "net") != 0 || user == NULL ||
	    fcntl(PROC_IPC_FD, F_GETFD) == -1) {
		fprintf(stderr, "isms-agentd-net is started by isms-agentd\n");
		return (EXIT_USAGE);
	}
	net_main(user, foreground, verbose, idle > 0 ? idle : 30);
}

void
net_main(const char *user, int foreground, int verbose, long idle_s)
{
	struct net	 n;
	const char	*dir;

	memset(&n, 0, sizeof n);
	n.idle_s = idle_s;
	log_init(foreground ? "isms-agentd/net" : "isms-agentd", foreground,
	    verbose);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	transport_init();
	json_object_seed(0);	/* from /dev/urandom, before the chroot */
	dir = net_prepare(&n);
	proc_confine(user, dir);
	n.cas = json_object();
	if ((n.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((n.transport = transport_new(n.base)) == NULL)
		fatalx("transport_new");
	n.parent = ipc_new(n.base, PROC_IPC_FD, "parent", net_dispatch_parent,
	    NULL, &n);
	n.idle_timer = evtimer_new(n.base, net_idle, &n);
	event_base_dispatch(n.base);
	exit(0);
}
