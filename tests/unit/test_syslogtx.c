/*
 * Unit tests for agentd/syslogtx.c against a real TCP and TLS listener
 * that the test runs on the loopback in the same event loop: frames
 * arrive byte-exact, TLS verifies the CA and the host name or address,
 * failures reach the callbacks, and a restarted listener is reconnected
 * on the next send.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "nettest.h"
#include "syslogtx.h"

#define MAXCONN	8

/* A syslog receiver: every byte of every connection, in order. */
struct listener {
	struct evconnlistener	*lev;
	SSL_CTX			*ctx;
	const char		*addr;
	int			 port;
	struct bufferevent	*conns[MAXCONN];
	int			 nconn;		/* accepted, ever */
	struct evbuffer		*data;
	size_t			 want;		/* bytes awaited */
	int			 got;		/* data has want bytes */
};

/* Callback outcomes. */
struct sent {
	int	 n;		/* callbacks */
	int	 ok;
	int	 failed;
	char	 error[256];
	int	 all;		/* n reached expect */
	int	 expect;
};

static struct event_base	*base;
static struct nettest_pki	 pki, other;

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct listener	*l = arg;

	evbuffer_add_buffer(l->data, bufferevent_get_input(bev));
	if (evbuffer_get_length(l->data) >= l->want)
		l->got = 1;
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct listener	*l = arg;
	int		 i;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		for (i = 0; i < MAXCONN; i++)
			if (l->conns[i] == bev)
				l->conns[i] = NULL;
		bufferevent_free(bev);
	}
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener		*l = arg;
	struct bufferevent	*bev;

	if (l->ctx != NULL)
		bev = bufferevent_openssl_socket_new(base, fd,
		    SSL_new(l->ctx), BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
	else
		bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(bev);
	assert_true(l->nconn < MAXCONN);
	l->conns[l->nconn++] = bev;
	bufferevent_setcb(bev, conn_readcb, NULL, conn_eventcb, l);
	bufferevent_enable(bev, EV_READ);
}

/* Listens on addr:port (port 0: any), with TLS if p is not NULL. */
static void
listener_start(struct listener *l, const char *addr, int port,
    const struct nettest_pki *p)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	if (l->data == NULL) {
		memset(l, 0, sizeof *l);
		assert_non_null(l->data = evbuffer_new());
	}
	l->addr = addr;
	if (p != NULL && l->ctx == NULL)
		l->ctx = nettest_server_ctx(p);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	l->lev = evconnlistener_new_bind(base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof sin);
	assert_non_null(l->lev);
	assert_int_equal(getsockname(evconnlistener_get_fd(l->lev),
	    (struct sockaddr *)&sin, &len), 0);
	l->port = ntohs(sin.sin_port);
}

/* Closes the listener and every connection, as a restart would. */
static void
listener_stop(struct listener *l)
{
	int	i;

	for (i = 0; i < MAXCONN; i++) {
		if (l->conns[i] != NULL) {
			bufferevent_free(l->conns[i]);
			l->conns[i] = NULL;
		}
	}
	if (l->lev != NULL)
		evconnlistener_free(l->lev);
	l->lev = NULL;
}

static void
listener_free(struct listener *l)
{
	listener_stop(l);
	evbuffer_free(l->data);
	SSL_CTX_free(l->ctx);
	memset(l, 0, sizeof *l);
}

/* Runs the loop until the listener holds n bytes. */
static void
wait_bytes(struct listener *l, size_t n)
{
	l->want = n;
	l->got = evbuffer_get_length(l->data) >= n;
	assert_int_equal(nettest_run(base, &l->got, 10000), 0);
	assert_int_equal(evbuffer_get_length(l->data), n);
}

static void
sent_cb(const char *error, void *arg)
{
	struct sent	*s = arg;

	if (getenv("NETTEST_VERBOSE") != NULL)
		fprintf(stderr, "sent: %s\n", error != NULL ? error : "ok");
	s->n++;
	if (error == NULL)
		s->ok++;
	else {
		s->failed++;
		snprintf(s->error, sizeof s->error, "%s", error);
	}
	if (s->n >= s->expect)
		s->all = 1;
}

/* Sends frames and waits for their n callbacks. */
static void
wait_sent(struct sent *s, int n)
{
	s->expect = n;
	s->all = s->n >= n;
	assert_int_equal(nettest_run(base, &s->all, 10000), 0);
	assert_int_equal(s->n, n);
}

static int
setup(void **state)
{
	base = event_base_new();
	return (base == NULL);
}

static int
teardown(void **state)
{
	event_base_free(base);
	return (0);
}

/* RFC 6587 octet-counted RFC 5424 frames, as alert_rfc5424() makes. */
static const char *frames[] = {
	"91 <131>1 2026-11-22T02:00:00Z host isms-agentd 42 drift - "
	"check=disk.encryption.root new=fail",
	/* BOM, UTF-8 and a line feed inside one message */
	"89 <134>1 2026-11-22T02:00:01Z host isms-agentd 42 drift - "
	"\xef\xbb\xbftitle=\xe7\x94\xbb\xe9\x9d\xa2\xe3\x83\xad\xe3\x83\x83"
	"\xe3\x82\xaf\nline2=ok",
	"3 <1>",
};

/* Sends every frame of the table; returns their total length. */
static size_t
send_frames(struct syslogtx *tx, struct sent *s, struct evbuffer *expect)
{
	size_t	i, total = 0;

	for (i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		assert_int_equal(syslogtx_send(tx, frames[i], strlen(frames[i]),
		    sent_cb, s), 0);
		evbuffer_add(expect, frames[i], strlen(frames[i]));
		total += strlen(frames[i]);
	}
	assert_int_equal(s->n, 0);	/* never from inside syslogtx_send */
	return (total);
}

static void
assert_same(struct evbuffer *a, struct evbuffer *b)
{
	size_t	n = evbuffer_get_length(a);

	assert_int_equal(n, evbuffer_get_length(b));
	assert_memory_equal(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), n);
}

/* Frames arrive byte-exact over TCP (and TLS), in order. */
static void
run_frames(const struct nettest_pki *p, const char *host)
{
	struct listener	 l = { 0 };
	struct syslogtx	*tx;
	struct sent	 s = { 0 };
	struct evbuffer	*expect = evbuffer_new();
	char		 port[16], *cause;
	size_t		 total;

	listener_start(&l, "127.0.0.1", 0, p);
	snprintf(port, sizeof port, "%d", l.port);
	tx = syslogtx_new(base, host, port, p != NULL,
	    p != NULL ? p->ca_pem : NULL, p != NULL ? p->ca_len : 0, &cause);
	assert_non_null(tx);
	assert_false(syslogtx_connected(tx));	/* lazily */

	total = send_frames(tx, &s, expect);
	wait_bytes(&l, total);
	wait_sent(&s, 3);
	assert_int_equal(s.ok, 3);
	assert_same(l.data, expect);
	assert_int_equal(l.nconn, 1);
	assert_int_equal(syslogtx_queued(tx), 0);

	/* The connection is kept for the next frame. */
	assert_int_equal(syslogtx_send(tx, frames[2], strlen(frames[2]),
	    sent_cb, &s), 0);
	evbuffer_add(expect, frames[2], strlen(frames[2]));
	wait_bytes(&l, total + strlen(frames[2]));
	wait_sent(&s, 4);
	assert_same(l.data, expect);
	assert_int_equal(l.nconn, 1);

	syslogtx_free(tx);
	evbuffer_free(expect);
	listener_free(&l);
}

static void
test_tcp_frames(void **state)
{
	run_frames(NULL, "127.0.0.1");
}

static void
test_tls_frames(void **state)
{
	run_frames(&pki, "127.0.0.1");
}

/* By name: "localhost" may resolve to ::1 first, then 127.0.0.1. */
static void
test_tls_frames_by_name(void **state)
{
	run_frames(&pki, "localhost");
}

/* TLS failures: another CA, or a certificate for another address. */
static void
run_tls_failure(const struct nettest_pki *server, const char *ca,
    size_t ca_len, const char *want)
{
	struct listener	 l = { 0 };
	struct syslogtx	*tx;
	struct sent	 s = { 0 };
	char		 port[16], *cause;

	listener_start(&l, "127.0.0.1", 0, server);
	snprintf(port, sizeof port, "%d", l.port);
	tx = syslogtx_new(base, "127.0.0.1", port, 1, ca, ca_len, &cause);
	assert_non_null(tx);
	assert_int_equal(syslogtx_send(tx, frames[0], strlen(frames[0]),
	    sent_cb, &s), 0);
	assert_int_equal(syslogtx_send(tx, frames[1], strlen(frames[1]),
	    sent_cb, &s), 0);
	wait_sent(&s, 2);
	assert_int_equal(s.failed, 2);
	assert_non_null(strstr(s.error, want));
	assert_false(syslogtx_connected(tx));
	nettest_spin(base, 20);
	assert_int_equal(evbuffer_get_length(l.data), 0);
	syslogtx_free(tx);
	listener_free(&l);
}

static void
test_tls_wrong_ca(void **state)
{
	run_tls_failure(&pki, other.ca_pem, other.ca_len,
	    "certificate verify failed");
}

static void
test_tls_wrong_address(void **state)
{
	/* other's certificate names 127.0.0.2 only */
	run_tls_failure(&other, other.ca_pem, other.ca_len,
	    "certificate verify failed");
}

/* Refused, then the listener comes up: the next send connects. */
static void
test_refused_then_up(void **state)
{
	struct listener	 l = { 0 };
	struct syslogtx	*tx;
	struct sent	 s = { 0 };
	char		 port[16], *cause;
	int		 p = nettest_free_port();

	snprintf(port, sizeof port, "%d", p);
	tx = syslogtx_new(base, "127.0.0.1", port, 0, NULL, 0, &cause);
	assert_non_null(tx);
	assert_int_equal(syslogtx_send(tx, frames[0], strlen(frames[0]),
	    sent_cb, &s), 0);
	wait_sent(&s, 1);
	assert_int_equal(s.failed, 1);
	assert_non_null(strstr(s.error, "refused"));
	assert_false(syslogtx_connected(tx));

	listener_start(&l, "127.0.0.1", p, NULL);
	assert_int_equal(syslogtx_send(tx, frames[1], strlen(frames[1]),
	    sent_cb, &s), 0);
	wait_bytes(&l, strlen(frames[1]));
	wait_sent(&s, 2);
	assert_int_equal(s.ok, 1);
	assert_memory_equal(evbuffer_pullup(l.data, -1), frames[1],
	    strlen(frames[1]));
	syslogtx_free(tx);
	listener_free(&l);
}

/* A restarted listener is reconnected on the next send, TCP and TLS. */
static void
run_restart(const struct nettest_pki *p)
{
	struct listener	 l = { 0 };
	struct syslogtx	*tx;
	struct sent	 s = { 0 };
	char		 port[16], *cause;
	size_t		 n0 = strlen(frames[0]), n1 = strlen(frames[1]);
	int		 port_n;

	listener_start(&l, "127.0.0.1", 0, p);
	port_n = l.port;
	snprintf(port, sizeof port, "%d", l.port);
	tx = syslogtx_new(base, "127.0.0.1", port, p != NULL,
	    p != NULL ? p->ca_pem : NULL, p != NULL ? p->ca_len : 0, &cause);
	assert_non_null(tx);
	assert_int_equal(syslogtx_send(tx, frames[0], n0, sent_cb, &s), 0);
	wait_bytes(&l, n0);
	wait_sent(&s, 1);

	/* The receiver restarts; the sender notices the close while idle. */
	listener_stop(&l);
	nettest_spin(base, 50);
	assert_false(syslogtx_connected(tx));
	assert_int_equal(s.n, 1);		/* no callback for idle closes */
	listener_start(&l, "127.0.0.1", port_n, p);

	assert_int_equal(syslogtx_send(tx, frames[1], n1, sent_cb, &s), 0);
	wait_bytes(&l, n0 + n1);
	wait_sent(&s, 2);
	assert_int_equal(s.ok, 2);
	assert_int_equal(l.nconn, 2);
	assert_memory_equal((char *)evbuffer_pullup(l.data, -1) + n0,
	    frames[1], n1);
	syslogtx_free(tx);
	listener_free(&l);
}

static void
test_restart_tcp(void **state)
{
	run_restart(NULL);
}

static void
test_restart_tls(void **state)
{
	run_restart(&pki);
}

/* The output buffer is bounded; empty frames are refused. */
static void
test_bounded(void **state)
{
	struct listener	 l = { 0 };
	struct syslogtx	*tx;
	struct sent	 s = { 0 };
	char		*big, port[16], *cause;
	size_t		 n = 100 * 1024;

	listener_start(&l, "127.0.0.1", 0, NULL);
	snprintf(port, sizeof port, "%d", l.port);
	tx = syslogtx_new(base, "127.0.0.1", port, 0, NULL, 0, &cause);
	assert_non_null(tx);
	big = malloc(SYSLOGTX_MAX_BUFFER + 1);
	memset(big, 'a', SYSLOGTX_MAX_BUFFER + 1);

	assert_int_equal(syslogtx_send(tx, big, 0, sent_cb, &s), -1);
	assert_int_equal(syslogtx_send(tx, big, SYSLOGTX_MAX_BUFFER + 1,
	    sent_cb, &s), -1);
	/* Without running the loop nothing leaves the buffer. */
	assert_int_equal(syslogtx_send(tx, big, n, sent_cb, &s), 0);
	assert_int_equal(syslogtx_send(tx, big, n, sent_cb, &s), 0);
	assert_int_equal(syslogtx_queued(tx), 2 * n);
	assert_int_equal(syslogtx_send(tx, big, n, sent_cb, &s), -1);
	wait_bytes(&l, 2 * n);
	wait_sent(&s, 2);
	assert_int_equal(s.ok, 2);
	/* Room again. */
	assert_int_equal(syslogtx_send(tx, big, n, sent_cb, &s), 0);
	wait_sent(&s, 3);
	wait_bytes(&l, 3 * n);
	free(big);
	syslogtx_free(tx);
	listener_free(&l);
}

/* Unusable arguments are refused with a reason. */
static void
test_bad_arguments(void **state)
{
	struct syslogtx	*tx;
	char		*cause;
	const char	*ports[] = { "", "0", "65536", "514x", "syslog" };
	size_t		 i;

	for (i = 0; i < sizeof ports / sizeof ports[0]; i++) {
		tx = syslogtx_new(base, "127.0.0.1", ports[i], 0, NULL, 0,
		    &cause);
		assert_null(tx);
		assert_non_null(strstr(cause, "bad port"));
		free(cause);
	}
	tx = syslogtx_new(base, "", "514", 0, NULL, 0, &cause);
	assert_null(tx);
	free(cause);
	tx = syslogtx_new(base, "127.0.0.1", "6514", 1, "not a PEM", 9,
	    &cause);
	assert_null(tx);
	assert_non_null(strstr(cause, "CA certificates"));
	free(cause);
	tx = syslogtx_new(base, "127.0.0.1", "6514", 1, pki.ca_pem, 30,
	    &cause);
	assert_null(tx);
	free(cause);
	/* Nothing is left armed in the loop. */
	assert_int_equal(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 0);
}

/* Freeing with frames in flight calls no callback and leaves no event. */
static void
test_free_pending(void **state)
{
	struct syslogtx	*tx;
	struct sent	 s = { 0 };
	char		 port[16], *cause;

	snprintf(port, sizeof port, "%d", nettest_free_port());
	tx = syslogtx_new(base, "127.0.0.1", port, 0, NULL, 0, &cause);
	assert_non_null(tx);
	assert_int_equal(syslogtx_send(tx, frames[0], strlen(frames[0]),
	    sent_cb, &s), 0);
	syslogtx_free(tx);
	nettest_spin(base, 20);
	assert_int_equal(s.n, 0);
	assert_int_equal(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_frames_by_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_wrong_ca, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_wrong_address, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_then_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_tcp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_tls, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_pending, setup,
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
