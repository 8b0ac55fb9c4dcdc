/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * http-receiver: the webhook endpoint the daemon's regress scenarios
 * start themselves.  An evhttp server on 127.0.0.1 (optionally TLS,
 * optionally requiring a client certificate) that appends every request
 * to a JSON-lines log and answers as told on the command line, so a
 * test can play a healthy endpoint, a failing one (--status,
 * --fail-first, --retry-after) or a slow one (--delay-ms).
 *
 * A request is logged before it is answered: once a client has its
 * response, the record is on disk.  Requests libevent itself rejects as
 * malformed are answered by libevent (400) and never reach the log.
 * A delayed request whose client went away is still answered: libevent
 * then only frees it.
 *
 * Usage: http-receiver --port-file FILE --log FILE [--port N]
 *	[--cert PEM --key PEM [--client-ca PEM]] [--status N]
 *	[--fail-first N] [--delay-ms N] [--retry-after S]
 *	[--record-header NAME]...
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/crypto.h>

#include "receiver.h"

#define HTTP_MAX_BODY		(16 * 1024 * 1024)	/* bytes */
#define HTTP_IDLE_TIMEOUT	30			/* seconds */
#define HTTP_MAX_RECORD		8			/* --record-header */

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	struct evhttp_request	*req;
	struct event		*ev;
	int			 status;
};
TAILQ_HEAD(pendings, pending);

static struct {
	const char	*port_file;
	const char	*log;
	const char	*cert;
	const char	*key;
	const char	*client_ca;
	int		 port;
	int		 status;
	long long	 fail_first;
	long long	 delay_ms;
	long long	 retry_after;
	const char	*record[HTTP_MAX_RECORD];
	int		 nrecord;
} opt = { .status = 200 };

static struct event_base	*base;
static SSL_CTX			*ssl_ctx;
static int			 logfd = -1;
static unsigned long long	 nrequests;
static struct pendings		 pendings = TAILQ_HEAD_INITIALIZER(pendings);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: http-receiver --port-file FILE --log FILE "
	    "[--port N]\n\t[--cert PEM --key PEM [--client-ca PEM]] "
	    "[--status N] [--fail-first N]\n\t[--delay-ms N] "
	    "[--retry-after S] [--record-header NAME]...\n");
	exit(RCV_EXIT_USAGE);
}

static const char *
http_method(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return ("GET");
	case EVHTTP_REQ_POST:
		return ("POST");
	case EVHTTP_REQ_HEAD:
		return ("HEAD");
	case EVHTTP_REQ_PUT:
		return ("PUT");
	case EVHTTP_REQ_DELETE:
		return ("DELETE");
	case EVHTTP_REQ_OPTIONS:
		return ("OPTIONS");
	case EVHTTP_REQ_TRACE:
		return ("TRACE");
	case EVHTTP_REQ_CONNECT:
		return ("CONNECT");
	case EVHTTP_REQ_PATCH:
		return ("PATCH");
	}
	return ("UNKNOWN");
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return ("OK");
	case 201:
		return ("Created");
	case 202:
		return ("Accepted");
	case 204:
		return ("No Content");
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 403:
		return ("Forbidden");
	case 404:
		return ("Not Found");
	case 413:
		return ("Payload Too Large");
	case 429:
		return ("Too Many Requests");
	case 500:
		return ("Internal Server Error");
	case 502:
		return ("Bad Gateway");
	case 503:
		return ("Service Unavailable");
	}
	return ("Status");
}

/* Appends one record describing req, answered with status, to the log. */
static void
http_record(struct evhttp_request *req, int status)
{
	struct evkeyvalq		*in = evhttp_request_get_input_headers(req);
	struct evbuffer			*body = evhttp_request_get_input_buffer(req);
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct evhttp_uri		*uri;
	const char			*raw = evhttp_request_get_uri(req);
	json_t				*o, *hdrs;
	char				*subject = NULL;
	size_t				 len;
	int				 i;

	o = json_object();
	json_object_set_new(o, "seq", json_integer((json_int_t)nrequests));
	json_object_set_new(o, "received_at", rcv_json_now());
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "method",
	    json_string(http_method(evhttp_request_get_command(req))));
	rcv_json_set_str(o, "uri", raw);
	uri = raw != NULL ?
	    evhttp_uri_parse_with_flags(raw, EVHTTP_URI_NONCONFORMANT) : NULL;
	if (uri != NULL) {
		rcv_json_set_str(o, "path", evhttp_uri_get_path(uri));
		rcv_json_set_str(o, "query", evhttp_uri_get_query(uri));
		evhttp_uri_free(uri);
	} else {
		rcv_json_set_str(o, "path", raw);
		json_object_set_new(o, "query", json_null());
	}

	rcv_json_set_str(o, "content_type",
	    evhttp_find_header(in, "Content-Type"));
	rcv_json_set_str(o, "content_encoding",
	    evhttp_find_header(in, "Content-Encoding"));
	rcv_json_set_str(o, "user_agent",
	    evhttp_find_header(in, "User-Agent"));
	json_object_set_new(o, "authorization",
	    json_boolean(evhttp_find_header(in, "Authorization") != NULL));
	hdrs = json_object();
	for (i = 0; i < opt.nrecord; i++)
		rcv_json_set_str(hdrs, opt.record[i],
		    evhttp_find_header(in, opt.record[i]));
	json_object_set_new(o, "headers", hdrs);

	json_object_set_new(o, "tls", json_boolean(ssl_ctx != NULL));
	if (ssl_ctx != NULL &&
	    (evcon = evhttp_request_get_connection(req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(evcon)) != NULL)
		subject = rcv_peer_subject(bufferevent_openssl_get_ssl(bev));
	rcv_json_set_str(o, "client_cert", subject);
	OPENSSL_free(subject);

	len = evbuffer_get_length(body);
	json_object_set_new(o, "body_length", json_integer((json_int_t)len));
	rcv_json_bytes(o, "body", len ? (const void *)evbuffer_pullup(body, -1) :
	    "", len);

	rcv_log_write(logfd, o);
}

/* Sends the response: status, and Retry-After on errors if asked. */
static void
http_reply(struct evhttp_request *req, int status)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;
	char			 s[32];

	evhttp_add_header(out, "Content-Type", "text/plain");
	if (opt.retry_after > 0 && status >= 400) {
		snprintf(s, sizeof(s), "%lld", opt.retry_after);
		evhttp_add_header(out, "Retry-After", s);
	}
	if ((buf = evbuffer_new()) == NULL)
		errx(1, "evbuffer_new failed");
	evbuffer_add_printf(buf, "%d %s\n", status, http_reason(status));
	evhttp_send_reply(req, status, http_reason(status), buf);
	evbuffer_free(buf);
}

static void
http_pending_free(struct pending *p)
{
	TAILQ_REMOVE(&pendings, p, entry);
	event_free(p->ev);
	free(p);
}

/* The delay of a slow response is over. */
static void
http_delayed(evutil_socket_t fd, short events, void *arg)
{
	struct pending	*p = arg;

	http_reply(p->req, p->status);
	http_pending_free(p);
}

/* Every request: log it, then answer now or after --delay-ms. */
static void
http_request(struct evhttp_request *req, void *arg)
{
	struct pending	*p;
	struct timeval	 tv;
	int		 status;

	nrequests++;
	status = (long long)nrequests <= opt.fail_first ? 500 : opt.status;
	http_record(req, status);
	if (opt.delay_ms == 0) {
		http_reply(req, status);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		err(1, "calloc");
	p->req = req;
	p->status = status;
	if ((p->ev = evtimer_new(base, http_delayed, p)) == NULL)
		errx(1, "evtimer_new failed");
	tv.tv_sec = opt.delay_ms / 1000;
	tv.tv_usec = (opt.delay_ms % 1000) * 1000;
	evtimer_add(p->ev, &tv);
	TAILQ_INSERT_TAIL(&pendings, p, entry);
}

/* A TLS bufferevent for each new connection. */
static struct bufferevent *
http_bevcb(struct event_base *b, void *arg)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(ssl_ctx)) == NULL)
		errx(1, "SSL_new failed");
	bev = bufferevent_openssl_socket_new(b, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		errx(1, "bufferevent_openssl_socket_new failed");
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/* SIGTERM, SIGINT: answer what is pending and leave the loop. */
static void
http_signal(evutil_socket_t sig, short events, void *arg)
{
	struct pending	*p;

	while ((p = TAILQ_FIRST(&pendings)) != NULL) {
		http_reply(p->req, p->status);
		http_pending_free(p);
	}
	event_base_loopexit(base, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port-file",		required_argument, NULL, 'P' },
		{ "log",		required_argument, NULL, 'l' },
		{ "port",		required_argument, NULL, 'p' },
		{ "cert",		required_argument, NULL, 'c' },
		{ "key",		required_argument, NULL, 'k' },
		{ "client-ca",		required_argument, NULL, 'C' },
		{ "status",		required_argument, NULL, 's' },
		{ "fail-first",		required_argument, NULL, 'f' },
		{ "delay-ms",		required_argument, NULL, 'd' },
		{ "retry-after",	required_argument, NULL, 'r' },
		{ "record-header",	required_argument, NULL, 'H' },
		{ NULL,			0,		   NULL, 0 }
	};
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	struct event			*sigterm, *sigint;
	int				 ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			opt.port_file = optarg;
			break;
		case 'l':
			opt.log = optarg;
			break;
		case 'p':
			opt.port = rcv_number("port", optarg, 0, 65535);
			break;
		case 'c':
			opt.cert = optarg;
			break;
		case 'k':
			opt.key = optarg;
			break;
		case 'C':
			opt.client_ca = optarg;
			break;
		case 's':
			opt.status = rcv_number("status", optarg, 100, 599);
			break;
		case 'f':
			opt.fail_first = rcv_number("fail-first", optarg, 0,
			    1000000);
			break;
		case 'd':
			opt.delay_ms = rcv_number("delay-ms", optarg, 0,
			    3600000);
			break;
		case 'r':
			opt.retry_after = rcv_number("retry-after", optarg, 0,
			    86400);
			break;
		case 'H':
			if (opt.nrecord == HTTP_MAX_RECORD)
				errx(RCV_EXIT_USAGE, "too many --record-header");
			opt.record[opt.nrecord++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.port_file == NULL || opt.log == NULL)
		usage();
	if ((opt.cert == NULL) != (opt.key == NULL))
		errx(RCV_EXIT_USAGE, "--cert and --key go together");
	if (opt.client_ca != NULL && opt.cert == NULL)
		errx(RCV_EXIT_USAGE, "--client-ca needs --cert and --key");

	signal(SIGPIPE, SIG_IGN);
	logfd = rcv_log_open(opt.log);
	if (opt.cert != NULL)
		ssl_ctx = rcv_tls_ctx(opt.cert, opt.key, opt.client_ca);

	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new failed");
	if ((http = evhttp_new(base)) == NULL)
		errx(1, "evhttp_new failed");
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET|EVHTTP_REQ_POST|
	    EVHTTP_REQ_HEAD|EVHTTP_REQ_PUT|EVHTTP_REQ_DELETE|
	    EVHTTP_REQ_OPTIONS|EVHTTP_REQ_TRACE|EVHTTP_REQ_CONNECT|
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(http, HTTP_MAX_BODY);
	evhttp_set_timeout(http, HTTP_IDLE_TIMEOUT);
	evhttp_set_gencb(http, http_request, NULL);
	if (ssl_ctx != NULL)
		evhttp_set_bevcb(http, http_bevcb, NULL);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", opt.port);
	if (bound == NULL)
		err(1, "bind 127.0.0.1 port %d", opt.port);

	sigterm = evsignal_new(base, SIGTERM, http_signal, NULL);
	sigint = evsignal_new(base, SIGINT, http_signal, NULL);
	if (sigterm == NULL || sigint == NULL)
		errx(1, "evsignal_new failed");
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);

	rcv_port_file(opt.port_file, evhttp_bound_socket_get_fd(bound));
	event_base_dispatch(base);

	event_free(sigterm);
	event_free(sigint);
	evhttp_free(http);
	event_base_free(base);
	SSL_CTX_free(ssl_ctx);
	close(logfd);
	return (0);
}
