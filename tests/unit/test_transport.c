/*
 * Unit tests for agentd/transport.c against a real HTTP(S) server (evhttp)
 * that the test runs on 127.0.0.1 in the same event loop: bodies and
 * headers arrive intact, statuses and Retry-After are reported, refused
 * connections, timeouts and TLS verification failures are errors, and
 * the fixed policy (https only, no redirects, bounded body) holds.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "nettest.h"
#include "transport.h"

/* What the server saw of the last request. */
struct seen {
	int		 count;
	char		 path[128];
	char		 ctype[128];
	char		 cenc[64];
	char		 ua[128];
	char		 xtest[128];
	int		 expect;
	unsigned char	*body;
	size_t		 len;
};

struct server {
	struct evhttp	*http;
	SSL_CTX		*ctx;
	int		 port;
	struct seen	 seen;
};

/* The outcome of one request, copied out of the callback. */
struct outcome {
	int		 done;
	long		 status;
	char		 error[512];
	int		 has_error;
	long		 retry_after;
	long		 elapsed;
	char		*body;
	size_t		 body_len;
	int		 truncated;
};

static struct event_base	*base;
static struct transport		*tp;
static struct nettest_pki	 pki, other;

static void
copy_header(struct evkeyvalq *h, const char *name, char *dst, size_t len)
{
	const char	*v = evhttp_find_header(h, name);

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

/* The server: behaviour chosen by the path. */
static void
server_cb(struct evhttp_request *req, void *arg)
{
	struct server		*srv = arg;
	struct seen		*s = &srv->seen;
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct evbuffer		*reply;
	const char		*path = evhttp_request_get_uri(req);
	char			 date[64];
	time_t			 t;
	char			*big;

	s->count++;
	snprintf(s->path, sizeof s->path, "%s", path);
	copy_header(in, "Content-Type", s->ctype, sizeof s->ctype);
	copy_header(in, "Content-Encoding", s->cenc, sizeof s->cenc);
	copy_header(in, "User-Agent", s->ua, sizeof s->ua);
	copy_header(in, "X-Test", s->xtest, sizeof s->xtest);
	s->expect = evhttp_find_header(in, "Expect") != NULL;
	free(s->body);
	s->len = evbuffer_get_length(body);
	s->body = malloc(s->len + 1);
	evbuffer_remove(body, s->body, s->len);

	reply = evbuffer_new();
	if (strcmp(path, "/500") == 0) {
		evbuffer_add_printf(reply, "oops");
		evhttp_send_reply(req, 500, "Internal Server Error", reply);
	} else if (strcmp(path, "/429") == 0) {
		evhttp_add_header(out, "Retry-After", "7");
		evhttp_send_reply(req, 429, "Too Many Requests", reply);
	} else if (strcmp(path, "/429date") == 0) {
		t = time(NULL) + 120;
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT",
		    gmtime(&t));
		evhttp_add_header(out, "Retry-After", date);
		evhttp_send_reply(req, 429, "Too Many Requests", reply);
	} else if (strcmp(path, "/redirect") == 0) {
		evhttp_add_header(out, "Location", "/ok");
		evhttp_send_reply(req, 302, "Found", reply);
	} else if (strcmp(path, "/big") == 0) {
		big = malloc(100 * 1024);
		memset(big, 'x', 100 * 1024);
		evbuffer_add(reply, big, 100 * 1024);
		free(big);
		evhttp_send_reply(req, 200, "OK", reply);
	} else {
		evbuffer_add_printf(reply, "{\"ok\":true}");
		evhttp_send_reply(req, 200, "OK", reply);
	}
	evbuffer_free(reply);
}

static struct bufferevent *
server_bevcb(struct event_base *b, void *arg)
{
	struct server	*srv = arg;

	return (bufferevent_openssl_socket_new(b, -1, SSL_new(srv->ctx),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE));
}

static void
server_start(struct server *srv, const struct nettest_pki *p)
{
	struct evhttp_bound_socket	*bs;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;

	memset(srv, 0, sizeof *srv);
	assert_non_null(srv->http = evhttp_new(base));
	evhttp_set_gencb(srv->http, server_cb, srv);
	if (p != NULL) {
		srv->ctx = nettest_server_ctx(p);
		evhttp_set_bevcb(srv->http, server_bevcb, srv);
	}
	bs = evhttp_bind_socket_with_handle(srv->http, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len), 0);
	srv->port = ntohs(sin.sin_port);
}

static void
server_stop(struct server *srv)
{
	evhttp_free(srv->http);
	SSL_CTX_free(srv->ctx);
	free(srv->seen.body);
}

static void
done_cb(const struct transport_res *res, void *arg)
{
	struct outcome	*o = arg;

	assert_false(o->done);		/* exactly once */
	o->done = 1;
	if (getenv("NETTEST_VERBOSE") != NULL)
		fprintf(stderr, "status %ld, %ld ms, retry-after %ld: %s\n",
		    res->http_status, res->elapsed_ms, res->retry_after_s,
		    res->error != NULL ? res->error : "(no error)");
	o->status = res->http_status;
	o->has_error = res->error != NULL;
	snprintf(o->error, sizeof o->error, "%s",
	    res->error != NULL ? res->error : "");
	o->retry_after = res->retry_after_s;
	o->elapsed = res->elapsed_ms;
	assert_non_null(res->body);
	assert_int_equal(res->body[res->body_len], '\0');
	o->body = malloc(res->body_len + 1);
	memcpy(o->body, res->body, res->body_len + 1);
	o->body_len = res->body_len;
	o->truncated = res->truncated;
}

/* POSTs body to url and runs the loop until the answer. */
static void
post(const struct transport_req *req, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	assert_int_equal(transport_post(tp, req, done_cb, o), 0);
	assert_false(o->done);		/* never from inside transport_post */
	assert_int_equal(nettest_run(base, &o->done, 10000), 0);
	assert_int_equal(transport_pending(tp), 0);
}

static void
outcome_free(struct outcome *o)
{
	free(o->body);
}

static int
setup(void **state)
{
	/* The requests go to 127.0.0.1 itself, never through a proxy. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	base = event_base_new();
	tp = transport_new(base);
	return (base == NULL || tp == NULL);
}

static int
teardown(void **state)
{
	transport_free(tp);
	event_base_free(base);
	return (0);
}

static void
url(char *buf, size_t len, const char *scheme, int port, const char *path)
{
	snprintf(buf, len, "%s://127.0.0.1:%d%s", scheme, port, path);
}

/* A binary body with extra headers arrives intact over plain HTTP. */
static void
test_post_body_headers(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	const char		*hdrs[] = { "X-Test: one two", NULL };
	unsigned char		*body;
	size_t			 i, n = 200 * 1024 + 3;
	char			 u[128];

	server_start(&srv, NULL);
	body = malloc(n);
	for (i = 0; i < n; i++)
		body[i] = (unsigned char)(i * 7 + (i >> 8));
	url(u, sizeof u, "http", srv.port, "/hook");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.content_type = "application/json";
	req.body = body;
	req.len = n;
	req.headers = hdrs;
	req.gzip = 1;
	req.allow_http = 1;
	post(&req, &o);
	free(body);		/* copied: freeing early is allowed ... */

	assert_false(o.has_error);
	assert_int_equal(o.status, 200);
	assert_int_equal(o.retry_after, -1);
	assert_string_equal(o.body, "{\"ok\":true}");
	assert_int_equal(o.truncated, 0);
	assert_int_equal(srv.seen.count, 1);
	assert_string_equal(srv.seen.path, "/hook");
	assert_string_equal(srv.seen.ctype, "application/json");
	assert_string_equal(srv.seen.cenc, "gzip");
	assert_string_equal(srv.seen.xtest, "one two");
	assert_int_equal(strncmp(srv.seen.ua, "isms-agent/", 11), 0);
	assert_false(srv.seen.expect);
	assert_int_equal(srv.seen.len, n);
	body = malloc(n);	/* ... and the server got the same bytes */
	for (i = 0; i < n; i++)
		body[i] = (unsigned char)(i * 7 + (i >> 8));
	assert_memory_equal(srv.seen.body, body, n);
	free(body);
	outcome_free(&o);

	/* Without the flag there is no Content-Encoding. */
	req.body = "{}";
	req.len = 2;
	req.gzip = 0;
	req.headers = NULL;
	post(&req, &o);
	assert_int_equal(o.status, 200);
	assert_int_equal(srv.seen.count, 2);
	assert_string_equal(srv.seen.cenc, "");
	assert_string_equal(srv.seen.xtest, "");
	assert_int_equal(srv.seen.len, 2);
	assert_memory_equal(srv.seen.body, "{}", 2);
	outcome_free(&o);
	server_stop(&srv);

	/* Idle: no socket event and, above all, no timer is left armed. */
	nettest_spin(base, 20);
	assert_int_equal(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 0);
}

/* Plain http is refused unless the request allows it. */
static void
test_http_not_allowed(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	server_start(&srv, NULL);
	url(u, sizeof u, "http", srv.port, "/hook");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.body = "x";
	req.len = 1;
	post(&req, &o);
	assert_true(o.has_error);
	assert_int_equal(o.status, 0);
	assert_int_equal(srv.seen.count, 0);
	outcome_free(&o);
	server_stop(&srv);
}

/* HTTP errors are statuses, not transport errors; Retry-After is read. */
static void
test_status_and_retry_after(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	server_start(&srv, NULL);
	memset(&req, 0, sizeof req);
	req.url = u;
	req.body = "x";
	req.len = 1;
	req.allow_http = 1;

	url(u, sizeof u, "http", srv.port, "/500");
	post(&req, &o);
	assert_false(o.has_error);
	assert_int_equal(o.status, 500);
	assert_int_equal(o.retry_after, -1);
	assert_string_equal(o.body, "oops");
	outcome_free(&o);

	url(u, sizeof u, "http", srv.port, "/429");
	post(&req, &o);
	assert_false(o.has_error);
	assert_int_equal(o.status, 429);
	assert_int_equal(o.retry_after, 7);
	outcome_free(&o);

	url(u, sizeof u, "http", srv.port, "/429date");
	post(&req, &o);
	assert_int_equal(o.status, 429);
	assert_in_range(o.retry_after, 115, 121);
	outcome_free(&o);

	/* Redirects are reported, never followed. */
	url(u, sizeof u, "http", srv.port, "/redirect");
	post(&req, &o);
	assert_false(o.has_error);
	assert_int_equal(o.status, 302);
	assert_int_equal(srv.seen.count, 4);
	assert_string_equal(srv.seen.path, "/redirect");
	outcome_free(&o);
	server_stop(&srv);
}

/* A long response body is cut at TRANSPORT_MAX_BODY. */
static void
test_body_bounded(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	server_start(&srv, NULL);
	url(u, sizeof u, "http", srv.port, "/big");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.allow_http = 1;
	post(&req, &o);
	assert_false(o.has_error);
	assert_int_equal(o.status, 200);
	assert_int_equal(o.body_len, TRANSPORT_MAX_BODY);
	assert_int_equal(o.truncated, 1);
	assert_int_equal(strspn(o.body, "x"), TRANSPORT_MAX_BODY);
	outcome_free(&o);
	server_stop(&srv);
}

/* Nobody listening: an error and no status. */
static void
test_refused(void **state)
{
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	url(u, sizeof u, "http", nettest_free_port(), "/hook");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.body = "x";
	req.len = 1;
	req.allow_http = 1;
	post(&req, &o);
	assert_true(o.has_error);
	assert_int_equal(o.status, 0);
	assert_int_equal(o.retry_after, -1);
	assert_non_null(strstr(o.error, "onnect"));
	outcome_free(&o);
}

/* A server that accepts but never answers: the timeout is an error. */
static void
test_timeout(void **state)
{
	struct transport_req	 req;
	struct outcome		 o;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;
	char			 u[128];

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 5), 0);	/* never accepted */
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);

	url(u, sizeof u, "http", ntohs(sin.sin_port), "/hook");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.body = "x";
	req.len = 1;
	req.allow_http = 1;
	req.timeout_ms = 300;
	post(&req, &o);
	assert_true(o.has_error);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.error, "timed out"));
	assert_in_range(o.elapsed, 250, 3000);
	outcome_free(&o);
	close(fd);
}

/* TLS: the right CA works, another CA or the system store fails. */
static void
test_tls(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	server_start(&srv, &pki);
	url(u, sizeof u, "https", srv.port, "/hook");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.content_type = "application/json";
	req.body = "{\"text\":\"drift\"}";
	req.len = strlen(req.body);
	req.ca = pki.ca_pem;
	req.ca_len = pki.ca_len;
	post(&req, &o);
	assert_false(o.has_error);
	assert_int_equal(o.status, 200);
	assert_int_equal(srv.seen.count, 1);
	assert_int_equal(srv.seen.len, req.len);
	assert_memory_equal(srv.seen.body, req.body, req.len);
	outcome_free(&o);

	req.ca = other.ca_pem;
	req.ca_len = other.ca_len;
	post(&req, &o);
	assert_true(o.has_error);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.error, "certificate"));
	assert_int_equal(srv.seen.count, 1);
	outcome_free(&o);

	req.ca = NULL;
	req.ca_len = 0;
	post(&req, &o);
	assert_true(o.has_error);
	assert_int_equal(srv.seen.count, 1);
	outcome_free(&o);
	server_stop(&srv);
}

/* The certificate must name the host: "localhost" is not in it here. */
static void
test_tls_wrong_name(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	server_start(&srv, &other);	/* names only 127.0.0.2 */
	url(u, sizeof u, "https", srv.port, "/hook");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.body = "x";
	req.len = 1;
	req.ca = other.ca_pem;
	req.ca_len = other.ca_len;
	post(&req, &o);
	assert_true(o.has_error);
	assert_int_equal(o.status, 0);
	assert_int_equal(srv.seen.count, 0);
	outcome_free(&o);
	server_stop(&srv);
}

static void
chain_cb(const struct transport_res *res, void *arg)
{
	struct outcome		*o = arg;
	struct transport_req	 req;
	char			 u[sizeof o->error];

	/* A callback may start the next request. */
	memset(&req, 0, sizeof req);
	snprintf(u, sizeof u, "%s", o->error);
	req.url = u;
	req.allow_http = 1;
	assert_int_equal(res->http_status, 200);
	assert_int_equal(transport_post(tp, &req, done_cb, o), 0);
}

static void
test_post_from_callback(void **state)
{
	struct server		 srv;
	struct transport_req	 req;
	struct outcome		 o;
	char			 u[128];

	server_start(&srv, NULL);
	url(u, sizeof u, "http", srv.port, "/first");
	memset(&req, 0, sizeof req);
	req.url = u;
	req.allow_http = 1;
	memset(&o, 0, sizeof o);
	url(o.error, sizeof o.error, "http", srv.port, "/second");
	assert_int_equal(transport_post(tp, &req, chain_cb, &o), 0);
	assert_int_equal(nettest_run(base, &o.done, 10000), 0);
	assert_int_equal(o.status, 200);
	assert_int_equal(srv.seen.count, 2);
	assert_string_equal(srv.seen.path, "/second");
	outcome_free(&o);
	server_stop(&srv);
}

/* Bad requests are refused at once, without a callback. */
static void
test_bad_requests(void **state)
{
	struct transport_req	 req;
	struct outcome		 o;
	const char		*hdrs[] = { "X-A: 1\r\nX-B: 2", NULL };

	memset(&o, 0, sizeof o);
	memset(&req, 0, sizeof req);
	assert_int_equal(transport_post(tp, &req, done_cb, &o), -1);
	req.url = "https://127.0.0.1:1/";
	req.headers = hdrs;
	assert_int_equal(transport_post(tp, &req, done_cb, &o), -1);
	assert_int_equal(transport_pending(tp), 0);
	nettest_spin(base, 20);
	assert_false(o.done);
}

/* Requests in flight are dropped by transport_free, without callbacks. */
static void
test_free_in_flight(void **state)
{
	struct transport	*t2;
	struct transport_req	 req;
	struct outcome		 o;
	int			 fd;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	char			 u[128];

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 5), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	url(u, sizeof u, "http", ntohs(sin.sin_port), "/hook");

	t2 = transport_new(base);
	memset(&o, 0, sizeof o);
	memset(&req, 0, sizeof req);
	req.url = u;
	req.allow_http = 1;
	assert_int_equal(transport_post(t2, &req, done_cb, &o), 0);
	assert_int_equal(transport_post(t2, &req, done_cb, &o), 0);
	nettest_spin(base, 50);
	assert_int_equal(transport_pending(t2), 2);
	transport_free(t2);
	nettest_spin(base, 20);
	assert_false(o.done);
	/* Nothing of it is left in the loop. */
	assert_int_equal(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 0);
	close(fd);
}

/* Retry-After values: seconds, the three HTTP-date forms, junk. */
static void
test_retry_after_parse(void **state)
{
	time_t	now = 1445412420;	/* Wed, 21 Oct 2015 07:27:00 GMT */

	assert_int_equal(transport_retry_after("120", now), 120);
	assert_int_equal(transport_retry_after(" 0 ", now), 0);
	assert_int_equal(transport_retry_after("99999999999999999999", now),
	    7 * 86400);
	assert_int_equal(transport_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	    now), 60);
	assert_int_equal(transport_retry_after("Wednesday, 21-Oct-15 "
	    "07:28:00 GMT", now), 60);
	assert_int_equal(transport_retry_after("Wed Oct 21 07:28:00 2015",
	    now), 60);
	assert_int_equal(transport_retry_after("Tue, 20 Oct 2015 07:28:00 GMT",
	    now), 0);
	assert_int_equal(transport_retry_after("-5", now), -1);
	assert_int_equal(transport_retry_after("12s", now), -1);
	assert_int_equal(transport_retry_after("soon", now), -1);
	assert_int_equal(transport_retry_after("", now), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_parse),
		cmocka_unit_test_setup_teardown(test_post_body_headers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_not_allowed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_and_retry_after,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_wrong_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_post_from_callback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_in_flight, setup,
		    teardown),
	};
	int	rc;

	nettest_pki_new(&pki, "receiver", "IP:127.0.0.1,DNS:localhost");
	nettest_pki_new(&other, "other", "IP:127.0.0.2");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nettest_pki_free(&pki);
	nettest_pki_free(&other);
	return (rc);
}
