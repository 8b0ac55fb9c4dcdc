/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's HTTPS server: one evhttp on bufferevent_openssl, its
 * limits, the routing, JSON errors and the enrollment and renewal
 * endpoints.
 *
 * TLS.  TLS 1.2 is the minimum; 1.3 is chosen whenever the client
 * offers it (OpenSSL's default order).  TLS 1.2 suites are ECDHE with
 * an AEAD only; 1.3's are all AEAD.  A client certificate is requested
 * but not required at the handshake (enrollment is how an agent gets
 * one); when one is presented it must chain to the collector's CA and
 * its serial must be in the store and not revoked, or the handshake
 * fails: the verify callback asks the store on every handshake, so a
 * "host revoke" by the admin command takes effect at the next
 * connection without a reload.  Session resumption (tickets and the
 * session cache) is off, so every connection is verified afresh.
 *
 * Limits.  libevent 2.1 has no per-phase request timeouts and no
 * connection limit of its own, so each connection carries a small
 * record (in its SSL object's ex_data, freed with it): a deadline for
 * the request being read (header_timeout + body_timeout from the
 * connection's start or the previous reply: a slowloris client that
 * trickles bytes is cut at the deadline), and a count of open
 * connections that pauses accepting at limits.max_connections.  No read
 * may stall for more than header_timeout (evhttp's inactivity timeout).
 * Bodies over limits.max_body are refused with 413 as soon as their
 * Content-Length (or the chunks read so far) exceed it; the rest of
 * such a body is read and discarded so that the client sees the answer.
 * That one answer's body is libevent's, not our JSON: evhttp 2.1 sends
 * it before any callback of ours can run.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "collectord.h"
#include "cstore.h"
#include "log.h"
#include "pki.h"
#include "reportv.h"
#include "util.h"
#include "workq.h"
#include "xmalloc.h"

#define HTTP_MAX_HEADERS	16384	/* bytes of request headers */
#define HTTP_MAX_HOSTNAME	253	/* bytes of an enrolling hostname */
#define HTTP_MAX_FUTURE		(24 * 3600) /* seconds a report may be ahead */
#define HTTP_BATCH_MAX		256	/* reports per group commit */

/* TLS 1.2: ECDHE key exchange and AEAD ciphers only. */
#define HTTP_TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define HTTP_GROUPS		"X25519:P-256:P-384"

/* A parsed report waiting for its batch's commit, and its answer. */
struct http_pending {
	TAILQ_ENTRY(http_pending) entry;
	struct evhttp_request	*req;	/* outlives a closed connection */
	struct reportv		*rv;
	char			*host_id;
	char			*summary;
	char			**controls;
	struct cstore_verdict	*verdicts;
	struct cstore_report	 cr;	/* borrows the above */
	char			 sha256[PKI_HASH_HEX_LEN];
	char			 verdicts_sha[PKI_HASH_HEX_LEN];
	int			 state;	/* report_add's */
	int			 changes;
	char			*cause;
};
TAILQ_HEAD(http_pending_q, http_pending);

struct http_server {
	struct event_base	*base;
	struct evhttp		*http;
	SSL_CTX			*ssl_ctx;
	struct pki_ca		*ca;
	struct cstore		*store;
	struct evhttp_bound_socket **bound;
	size_t			 nbound;

	struct timeval		 deadline;	/* per request */
	int64_t			 max_conns;
	int64_t			 nconns;
	int			 paused;	/* accepting stopped */
	int			 dying;		/* freed by its last connection */
	int			 cert_days;
	size_t			 max_body;	/* also once inflated */
	struct api_ctx		 api;		/* the fleet API's */

	struct http_pending_q	 pending;	/* reports to store */
	size_t			 npending;
	struct event		*flush_ev;	/* lowest priority */
	struct workq		*workq;		/* parses reports */
	int			 nworkers;	/* its threads */
};

/* One connection's record, owned by its SSL object. */
struct http_conn {
	struct http_server	*srv;
	struct bufferevent	*bev;
	struct event		*deadline;
	int			 nodelay;	/* TCP_NODELAY is set */
	int			 peer_checked;	/* the fields below are set */
	char			*host_id;	/* the client certificate's */
	char			*serial;	/* its serial, lowercase hex */
	const char		*peer_why;	/* why there is no host_id */
};

static int	http_conn_idx = -1;	/* SSL ex_data index of http_conn */

static void	http_server_destroy(struct http_server *);

struct collectord_stats collectord_stats;

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return ("OK");
	case 400: return ("Bad Request");
	case 401: return ("Unauthorized");
	case 403: return ("Forbidden");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 409: return ("Conflict");
	case 413: return ("Payload Too Large");
	case 415: return ("Unsupported Media Type");
	case 422: return ("Unprocessable Content");
	case 429: return ("Too Many Requests");
	case 503: return ("Service Unavailable");
	default: return ("Internal Server Error");
	}
}

/* Sends j (a reference taken) as the JSON answer. */
void
http_reply_json(struct evhttp_request *req, int status, json_t *j)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*b;
	char			*s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatalx("%s: json_dumps", __func__);
	json_decref(j);
	if ((b = evbuffer_new()) == NULL)
		fatalx("%s: evbuffer_new", __func__);
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (status > 0 && status < COLLECTORD_MAX_CODE)
		collectord_stats.codes[status]++;
	evhttp_send_reply(req, status, http_reason(status), b);
	evbuffer_free(b);
}

/* The contract's error answer: {"error": what, "detail": ...}. */
void
http_error(struct evhttp_request *req, int status, const char *what,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*detail;

	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	http_reply_json(req, status, json_pack("{s:s,s:s}", "error", what,
	    "detail", detail));
	free(detail);
}

/* The TLS connection a request came on, or NULL. */
static SSL *
http_ssl_of(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;

	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return (NULL);
	return (bufferevent_openssl_get_ssl(bev));
}

/* The record of the connection a request came on, or NULL. */
static struct http_conn *
http_conn_of(struct evhttp_request *req)
{
	SSL	*ssl;

	if ((ssl = http_ssl_of(req)) == NULL)
		return (NULL);
	return (SSL_get_ex_data(ssl, http_conn_idx));
}

/* The peer's address for log lines. */
static const char *
http_peer(struct evhttp_request *req, char *buf, size_t len)
{
	struct evhttp_connection	*evcon;
	char				*addr = NULL;
	ev_uint16_t			 port = 0;

	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(buf, len, "%s:%u", addr != NULL ? addr : "?", port);
	return (buf);
}

/*
 * The request's deadline passed: shut the socket down, so evhttp sees
 * the connection end and frees it in its own time.
 */
static void
http_conn_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*c = arg;
	evutil_socket_t		 s;

	(void)fd;
	(void)ev;
	if ((s = bufferevent_getfd(c->bev)) == -1)
		return;
	log_info("closing a connection: no whole request within %llds",
	    (long long)c->srv->deadline.tv_sec);
	shutdown(s, SHUT_RDWR);
}

static void
http_pause(struct http_server *srv, int pause)
{
	struct evconnlistener	*l;
	size_t			 i;

	if (srv->paused == pause)
		return;
	for (i = 0; i < srv->nbound; i++) {
		l = evhttp_bound_socket_get_listener(srv->bound[i]);
		if (pause)
			evconnlistener_disable(l);
		else
			evconnlistener_enable(l);
	}
	srv->paused = pause;
	if (pause)
		log_warnx("%lld connections open (limits.max_connections): "
		    "not accepting more until one closes",
		    (long long)srv->nconns);
	else
		log_info("accepting connections again");
}

/* ex_data free callback: the SSL object, so the connection, is gone. */
static void
http_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct http_conn	*c = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (c == NULL)
		return;
	c->srv->nconns--;
	if (c->srv->dying) {
		/*
		 * libevent frees a TLS bufferevent later than evhttp_free()
		 * returns; the server waits for its last connection.
		 */
		if (c->srv->nconns == 0)
			http_server_destroy(c->srv);
	} else if (c->srv->paused && c->srv->nconns < c->srv->max_conns)
		http_pause(c->srv, 0);
	event_free(c->deadline);
	free(c->host_id);
	free(c->serial);
	free(c);
}

/* evhttp's bevcb: a TLS bufferevent and a record for each connection. */
static struct bufferevent *
http_new_bev(struct event_base *base, void *arg)
{
	struct http_server	*srv = arg;
	struct http_conn	*c;
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(srv->ssl_ctx)) == NULL)
		fatalx("%s: SSL_new", __func__);
	if ((bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("%s: bufferevent_openssl_socket_new", __func__);
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->bev = bev;
	c->deadline = evtimer_new(base, http_conn_deadline, c);
	evtimer_add(c->deadline, &srv->deadline);
	SSL_set_ex_data(ssl, http_conn_idx, c);
	if (++srv->nconns >= srv->max_conns)
		http_pause(srv, 1);
	return (bev);
}

/*
 * A presented client certificate: OpenSSL has checked the chain to our
 * CA (ok); the leaf must also be one the store knows and has not
 * revoked.  A store error refuses: fail closed.
 */
static int
http_verify(int ok, X509_STORE_CTX *xs)
{
	struct http_server	*srv;
	SSL			*ssl;
	X509			*cert;
	char			*serial, *cause = NULL;
	int			 state;

	if (!ok) {
		log_info("client certificate refused: %s",
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(xs)));
		return (0);
	}
	if (X509_STORE_CTX_get_error_depth(xs) != 0)
		return (1);
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	srv = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if ((cert = X509_STORE_CTX_get_current_cert(xs)) == NULL)
		return (0);
	serial = pki_cert_serial_hex(cert);
	if (srv->store == NULL)
		state = -1;
	else
		state = srv->store->ops->cert_state(srv->store, serial, &cause);
	switch (state) {
	case CSTORE_CERT_VALID:
		free(serial);
		return (1);
	case CSTORE_CERT_REVOKED:
		log_info("client certificate %s refused: revoked", serial);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REVOKED);
		break;
	case CSTORE_CERT_UNKNOWN:
		log_info("client certificate %s refused: not issued by "
		    "enrollment", serial);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		break;
	default:
		log_warnx("client certificate %s refused: %s", serial,
		    cause != NULL ? cause : "no store");
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		break;
	}
	free(cause);
	free(serial);
	return (0);
}

/* A JSON string member, or NULL. */
static const char *
http_str(json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* Whether a hostname an agent reports is printable and not too long. */
static int
http_hostname_ok(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > HTTP_MAX_HOSTNAME)
		return (0);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return (0);
	return (1);
}

static const char *
http_refusal(int state)
{
	switch (state) {
	case CSTORE_TOKEN_UNKNOWN:
		return ("unknown enrollment token");
	case CSTORE_TOKEN_EXPIRED:
		return ("enrollment token expired");
	case CSTORE_TOKEN_USED_UP:
		return ("enrollment token has no uses left");
	}
	return ("enrollment token refused");
}

/*
 * POST /api/v1/enroll: {"token", "csr", "host_id", "hostname"} in,
 * {"certificate", "ca", "not_after", "renew_after"} out.  The token is
 * wiped from memory as soon as it is hashed and never logged; a use is
 * consumed in the transaction that records the certificate.
 */
static void
http_enroll(struct http_server *srv, struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct cstore_enroll	 en;
	json_error_t		 je;
	json_t			*j;
	unsigned char		*body;
	const char		*token, *csr, *host_id, *hostname;
	char			 hash[PKI_HASH_HEX_LEN], na[RFC3339_LEN];
	char			 ra[RFC3339_LEN], peer[128];
	char			*cert = NULL, *serial = NULL, *cause = NULL;
	size_t			 len;
	time_t			 now, not_after;
	int			 state, revoked;

	if ((len = evbuffer_get_length(in)) == 0) {
		http_error(req, 400, "malformed", "empty body: a JSON object "
		    "with token, csr and host_id is expected");
		return;
	}
	body = evbuffer_pullup(in, -1);
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	explicit_bzero(body, len);	/* the token was in there */
	evbuffer_drain(in, len);
	if (j == NULL) {
		http_error(req, 400, "malformed", "%s at line %d column %d",
		    je.text, je.line, je.column);
		return;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_error(req, 422, "schema", "/: a JSON object is expected");
		return;
	}
	token = http_str(j, "token");
	csr = http_str(j, "csr");
	host_id = http_str(j, "host_id");
	hostname = http_str(j, "hostname");
	if (token != NULL)
		pki_token_hash(token, hash);
	if (token != NULL)	/* jansson's copy: wipe it too */
		explicit_bzero((char *)token, strlen(token));

	if (token == NULL || csr == NULL || host_id == NULL) {
		http_error(req, 422, "schema", "/%s: a string is required",
		    token == NULL ? "token" : csr == NULL ? "csr" : "host_id");
		goto out;
	}
	if (!pki_host_id_valid(host_id)) {
		http_error(req, 422, "schema", "/host_id: not a machine-id "
		    "(32 lowercase hexadecimal digits, not all zero)");
		goto out;
	}
	if (json_object_get(j, "hostname") != NULL &&
	    (hostname == NULL || !http_hostname_ok(hostname))) {
		http_error(req, 422, "schema", "/hostname: a printable string "
		    "of 1 to %d bytes without spaces is expected",
		    HTTP_MAX_HOSTNAME);
		goto out;
	}

	/* Refuse a bad token before the work of signing. */
	now = time(NULL);
	state = srv->store->ops->token_check(srv->store, hash, now, &cause);
	if (state == -1)
		goto fail;
	if (state != CSTORE_OK) {
		log_info("enrollment of host %s from %s refused: %s (token "
		    "%.12s)", host_id, http_peer(req, peer, sizeof peer),
		    http_refusal(state), hash);
		http_error(req, 403, "forbidden", "%s", http_refusal(state));
		goto out;
	}
	if ((cert = pki_sign_csr(srv->ca, csr, host_id, srv->cert_days,
	    &serial, &not_after, &cause)) == NULL) {
		http_error(req, 422, "schema", "/csr: %s", cause);
		goto out;
	}
	memset(&en, 0, sizeof en);
	en.token_hash = hash;
	en.host_id = host_id;
	en.hostname = hostname;
	en.serial = serial;
	en.not_after = not_after;
	en.now = now;
	state = srv->store->ops->enroll(srv->store, &en, &revoked, &cause);
	if (state == -1)
		goto fail;
	if (state != CSTORE_OK) {
		log_info("enrollment of host %s refused: %s (token %.12s)",
		    host_id, http_refusal(state), hash);
		http_error(req, 403, "forbidden", "%s", http_refusal(state));
		goto out;
	}
	log_info("host %s (%s) enrolled from %s: certificate %s, token "
	    "%.12s%s", host_id, hostname != NULL ? hostname : "no hostname",
	    http_peer(req, peer, sizeof peer), serial, hash,
	    revoked > 0 ? ", previous certificate revoked" : "");
	time_format_rfc3339(not_after, na, sizeof na);
	/* Renew when two thirds of the lifetime have passed. */
	time_format_rfc3339(now + (not_after - now) * 2 / 3, ra, sizeof ra);
	http_reply_json(req, 200, json_pack("{s:s,s:s,s:s,s:s}",
	    "certificate", cert, "ca", pki_ca_pem(srv->ca), "not_after", na,
	    "renew_after", ra));
	goto out;
fail:
	log_warnx("enrollment of host %s: %s", host_id, cause);
	http_error(req, 500, "internal", "the collector's store failed");
out:
	explicit_bzero(hash, sizeof hash);
	free(cause);
	free(cert);
	free(serial);
	json_decref(j);
}

/*
 * The verified client certificate's host_id and serial, worked out on a
 * connection's first request and kept for the others: the certificate
 * cannot change within a TLS connection (renegotiation is off), and
 * pki_cert_host_id verifies its signature, too dear for every request.
 * 0, or -1 and *why if there is no usable certificate.
 */
static int
http_conn_peer(struct http_server *srv, struct http_conn *c, SSL *ssl,
    const char **why)
{
	X509	*cert;

	if (!c->peer_checked) {
		c->peer_checked = 1;
		if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
			c->peer_why = "a client certificate from enrollment "
			    "is required";
		else if (SSL_get_verify_result(ssl) != X509_V_OK)
			c->peer_why = "the client certificate did not verify";
		else if ((c->host_id = pki_cert_host_id(srv->ca, cert,
		    NULL)) == NULL)
			c->peer_why = "the client certificate names no host";
		else
			c->serial = pki_cert_serial_hex(cert);
		X509_free(cert);
	}
	if (c->host_id == NULL) {
		*why = c->peer_why;
		return (-1);
	}
	return (0);
}

/*
 * The host of a request: the host_id of the client certificate, which
 * the handshake verified (chain to our CA, known to the store, not
 * revoked).  NULL and *why if there is none.
 */
static char *
http_client_host(struct http_server *srv, struct evhttp_request *req,
    const char **why)
{
	struct http_conn	*c;
	SSL			*ssl;
	X509			*cert;
	char			*host_id;

	*why = "a client certificate from enrollment is required";
	if ((ssl = http_ssl_of(req)) == NULL)
		return (NULL);
	if ((c = SSL_get_ex_data(ssl, http_conn_idx)) != NULL) {
		if (http_conn_peer(srv, c, ssl, why) == -1)
			return (NULL);
		return (xstrdup(c->host_id));
	}
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return (NULL);
	host_id = NULL;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		*why = "the client certificate did not verify";
	else if ((host_id = pki_cert_host_id(srv->ca, cert, NULL)) == NULL)
		*why = "the client certificate names no host";
	X509_free(cert);
	return (host_id);
}

/*
 * Whether the certificate of a kept-alive connection is still in force:
 * the handshake checked it, but "host revoke" or a re-enrollment may
 * have revoked it since.  One indexed look-up in the store.  0, or the
 * HTTP status to refuse with and *why.
 */
static int
http_client_in_force(struct http_server *srv, struct evhttp_request *req,
    const char **why)
{
	struct http_conn	*c;
	char			*cause = NULL;
	int			 state;

	if ((c = http_conn_of(req)) == NULL || c->serial == NULL)
		return (0);	/* no cache: verified by this request's path */
	state = srv->store->ops->cert_state(srv->store, c->serial, &cause);
	switch (state) {
	case CSTORE_CERT_VALID:
		return (0);
	case CSTORE_CERT_REVOKED:
		*why = "the client certificate has been revoked";
		return (403);
	case CSTORE_CERT_UNKNOWN:
		*why = "the client certificate is not in force";
		return (403);
	}
	log_warnx("certificate %s: %s", c->serial, cause);
	free(cause);
	*why = "the collector's store failed";
	return (503);
}

/*
 * POST /api/v1/renew: {"csr"} in over mTLS, the same answer as
 * enrollment.  The host is the verified client certificate's; the new
 * certificate is recorded and the presented one revoked in one
 * transaction, which also checks that the presented one is still in
 * force (a keep-alive connection outlives a revocation).  The old
 * certificate works until then and is refused at the next handshake.
 */
static void
http_renew(struct http_server *srv, struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	json_error_t	 je;
	json_t		*j = NULL;
	SSL		*ssl;
	X509		*peer_cert;
	const char	*why, *csr;
	char		*host_id, *old = NULL, *cert = NULL, *serial = NULL;
	char		*cause = NULL, na[RFC3339_LEN], ra[RFC3339_LEN];
	char		 peer[128];
	size_t		 len;
	time_t		 now, not_after;
	int		 state;

	if ((host_id = http_client_host(srv, req, &why)) == NULL) {
		log_info("renewal from %s refused: %s",
		    http_peer(req, peer, sizeof peer), why);
		http_error(req, 401, "unauthorized", "%s", why);
		goto out;
	}
	if ((ssl = http_ssl_of(req)) == NULL ||
	    (peer_cert = SSL_get1_peer_certificate(ssl)) == NULL) {
		http_error(req, 401, "unauthorized", "a client certificate "
		    "from enrollment is required");
		goto out;
	}
	old = pki_cert_serial_hex(peer_cert);
	X509_free(peer_cert);

	if ((len = evbuffer_get_length(in)) == 0) {
		http_error(req, 400, "malformed", "empty body: a JSON object "
		    "with csr is expected");
		goto out;
	}
	j = json_loadb((const char *)evbuffer_pullup(in, -1), len,
	    JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		http_error(req, 400, "malformed", "%s at line %d column %d",
		    je.text, je.line, je.column);
		goto out;
	}
	if (!json_is_object(j)) {
		http_error(req, 422, "schema", "/: a JSON object is expected");
		goto out;
	}
	if ((csr = http_str(j, "csr")) == NULL) {
		http_error(req, 422, "schema", "/csr: a string is required");
		goto out;
	}
	now = time(NULL);
	if ((cert = pki_sign_csr(srv->ca, csr, host_id, srv->cert_days,
	    &serial, &not_after, &cause)) == NULL) {
		log_info("renewal of host %s (certificate %s) refused: %s",
		    host_id, old, cause);
		http_error(req, 422, "schema", "/csr: %s", cause);
		goto out;
	}
	state = srv->store->ops->renew(srv->store, host_id, old, serial,
	    not_after, now, &cause);
	if (state == -1) {
		log_warnx("renewal of host %s: %s", host_id, cause);
		http_error(req, 500, "internal", "the collector's store "
		    "failed");
		goto out;
	}
	if (state != CSTORE_CERT_VALID) {
		log_info("renewal of host %s refused: certificate %s is %s",
		    host_id, old, state == CSTORE_CERT_REVOKED ? "revoked" :
		    "not the host's");
		http_error(req, 403, "forbidden", "the client certificate is "
		    "%s: enroll again with a token",
		    state == CSTORE_CERT_REVOKED ? "revoked" : "not in force");
		goto out;
	}
	log_info("host %s renewed its certificate from %s: %s replaces %s "
	    "(revoked)", host_id, http_peer(req, peer, sizeof peer), serial,
	    old);
	time_format_rfc3339(not_after, na, sizeof na);
	/* Renew when two thirds of the lifetime have passed. */
	time_format_rfc3339(now + (not_after - now) * 2 / 3, ra, sizeof ra);
	http_reply_json(req, 200, json_pack("{s:s,s:s,s:s,s:s}",
	    "certificate", cert, "ca", pki_ca_pem(srv->ca), "not_after", na,
	    "renew_after", ra));
out:
	evbuffer_drain(in, evbuffer_get_length(in));
	json_decref(j);
	free(cause);
	free(cert);
	free(serial);
	free(old);
	free(host_id);
}

/* A refused report: the contract's error, with a pointer for 422. */
static void
http_report_refused(struct evhttp_request *req, const char *host_id,
    const struct reportv_error *err)
{
	json_t	*j;
	char	 peer[128];

	log_info("report from host %s (%s) refused: %d %s%s%s", host_id,
	    http_peer(req, peer, sizeof peer), err->status, err->detail,
	    err->status == 422 ? " at " : "",
	    err->status == 422 ? err->pointer : "");
	switch (err->status) {
	case 400:
		j = json_pack("{s:s,s:s,s:i,s:i}", "error", "malformed",
		    "detail", err->detail, "line", err->line, "column",
		    err->column);
		break;
	case 413:
		j = json_pack("{s:s,s:s}", "error", "too_large", "detail",
		    err->detail);
		break;
	default:
		j = json_pack("{s:s,s:s,s:s}", "error", "schema", "detail",
		    err->detail, "pointer", err->pointer);
		break;
	}
	http_reply_json(req, err->status, j);
}

/* Frees a queued report. */
static void
http_pending_free(struct http_pending *p)
{
	size_t	i;

	if (p->controls != NULL)
		for (i = 0; i < p->rv->nresults; i++)
			free(p->controls[i]);
	free(p->controls);
	free(p->verdicts);
	free(p->summary);
	free(p->host_id);
	free(p->cause);
	reportv_free(p->rv);
	free(p);
}

/* Answers a queued report by what the store did with it. */
static void
http_pending_answer(struct http_pending *p)
{
	struct evhttp_request	*req = p->req;
	const char		*id = p->rv->report_id;

	switch (p->state) {
	case CSTORE_REPORT_ADDED:
		log_debug("report %s from host %s: %zu results, %d changed",
		    id, p->host_id, p->rv->nresults, p->changes);
		collectord_stats.reports++;
		http_reply_json(req, 200, json_pack("{s:b,s:i}", "accepted",
		    1, "changes", p->changes));
		break;
	case CSTORE_REPORT_DUPLICATE:
		log_debug("report %s from host %s: a duplicate", id,
		    p->host_id);
		collectord_stats.duplicates++;
		http_reply_json(req, 200, json_pack("{s:b}", "duplicate", 1));
		break;
	case CSTORE_REPORT_CONFLICT:
		log_warnx("report %s from host %s: that id belongs to "
		    "another host's report", id, p->host_id);
		http_error(req, 409, "conflict", "report_id %s was sent by "
		    "another host", id);
		break;
	default:
		log_warnx("report %s from host %s: %s", id, p->host_id,
		    p->cause != NULL ? p->cause : "not stored");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "5");
		http_error(req, 503, "unavailable", "the collector's store "
		    "failed: try again later");
		break;
	}
}

/*
 * Group commit: the reports parsed since the last flush are stored in
 * one transaction and answered only once it is committed (durable as
 * far as the store's synchronous setting goes), each by its own fate
 * within it; if the batch cannot be committed, every one gets 503 and
 * Retry-After, and the agents keep them in their outboxes.
 */
static void
http_flush(struct http_server *srv)
{
	struct http_pending_q	 q;
	struct http_pending	*p;
	char			*cause = NULL;
	size_t			 n = srv->npending;
	int			 ok;

	if (n == 0)
		return;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &srv->pending, entry);
	srv->npending = 0;

	ok = srv->store->ops->batch_begin(srv->store, &cause) == 0;
	if (ok) {
		TAILQ_FOREACH(p, &q, entry)
			p->state = srv->store->ops->report_add(srv->store,
			    &p->cr, &p->changes, &p->cause);
		ok = srv->store->ops->batch_end(srv->store, 1, &cause) == 0;
	}
	if (!ok)
		log_warnx("storing a batch of %zu reports: %s", n, cause);
	else
		log_debug("group commit: %zu report%s", n, n == 1 ? "" : "s");
	while ((p = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, p, entry);
		if (!ok) {
			p->state = -1;
			free(p->cause);
			p->cause = xstrdup("its batch was not committed");
		}
		http_pending_answer(p);
		http_pending_free(p);
	}
	free(cause);
}

/* The low-priority event: the loop has run every ready connection. */
static void
http_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	http_flush(arg);
}

/*
 * One report between the event loop and a worker thread (workq.c).
 * The loop checks the client and copies the body; the worker inflates,
 * parses, validates and hashes it (pure: reportv.c) and builds what the
 * store needs; the loop checks it against the certificate and the
 * clock, then queues it for the group commit.
 */
struct http_ingest {
	struct http_server	*srv;
	struct evhttp_request	*req;	/* outlives a closed connection */
	char			*host_id;
	char			*body;
	size_t			 len;
	int			 gz;
	size_t			 max_body;
	struct reportv_error	 err;	/* status 0: parsed */
	struct http_pending	*p;
};

/*
 * The hex SHA-256 of a verdict list in order, each field ended by a NUL:
 * the store compares it with the host's last list (cstore.h).
 */
static void
http_verdicts_sha(const struct cstore_verdict *v, size_t n, char *hex)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, k;
	size_t		 i;
	const char	*f[5];

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("%s: EVP_DigestInit_ex", __func__);
	for (i = 0; i < n; i++) {
		f[0] = v[i].check_id;
		f[1] = v[i].status;
		f[2] = v[i].severity;
		f[3] = v[i].message != NULL ? v[i].message : "";
		f[4] = v[i].controls != NULL ? v[i].controls : "";
		for (k = 0; k < 5; k++)
			EVP_DigestUpdate(ctx, f[k], strlen(f[k]) + 1);
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		fatalx("%s: EVP_DigestFinal_ex", __func__);
	EVP_MD_CTX_free(ctx);
	for (k = 0; k < mdlen; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
}

/* Worker thread: touches nothing but the job. */
static void
http_ingest_work(void *arg)
{
	struct http_ingest	*j = arg;
	struct reportv		*rv;
	struct http_pending	*p;
	struct cstore_verdict	*v;
	char			*inflated = NULL, *cause = NULL;
	const char		*body = j->body;
	size_t			 len = j->len, i;
	int			 state;

	if (j->gz) {
		state = reportv_gunzip(body, len, j->max_body, &inflated,
		    &len, &cause);
		if (state != 0) {
			j->err.status = state;
			snprintf(j->err.detail, sizeof j->err.detail, "%s%s",
			    state == 413 ? "inflated, the report exceeds "
			    "limits.max_body: " : "gzip: ", cause);
			free(cause);
			return;
		}
		body = inflated;
	}
	if (reportv_ingest(body, len, &rv, &j->err) == -1) {
		if (j->err.status == 0)
			j->err.status = 400;
		free(inflated);
		return;
	}
	free(inflated);
	free(j->body);		/* rv does not point into it */
	j->body = NULL;

	p = xcalloc(1, sizeof *p);
	p->rv = rv;
	/* SHA-256 of the compact key-sorted document (reportv.h). */
	strlcpy(p->sha256, rv->sha256, sizeof p->sha256);
	p->verdicts = xcalloc(rv->nresults + 1, sizeof *p->verdicts);
	for (i = 0; i < rv->nresults; i++) {
		v = &p->verdicts[i];
		v->check_id = rv->results[i].check;
		v->status = reportv_status_name(rv->results[i].status);
		v->severity = reportv_severity_name(rv->results[i].severity);
		v->message = rv->results[i].message;
		v->controls = rv->results[i].controls;
	}
	xasprintf(&p->summary, "{\"pass\":%u,\"fail\":%u,\"error\":%u,"
	    "\"not_applicable\":%u}", rv->summary[REPORTV_PASS],
	    rv->summary[REPORTV_FAIL], rv->summary[REPORTV_ERROR],
	    rv->summary[REPORTV_NOT_APPLICABLE]);
	p->cr.report_id = rv->report_id;
	p->cr.hostname = rv->hostname;
	p->cr.kind = reportv_kind_name(rv->kind);
	p->cr.generated_at = rv->generated_at;
	p->cr.summary = p->summary;
	p->cr.sha256 = p->sha256;
	http_verdicts_sha(p->verdicts, rv->nresults, p->verdicts_sha);
	p->cr.verdicts_sha = p->verdicts_sha;
	p->cr.verdicts = p->verdicts;
	p->cr.nverdicts = rv->nresults;
	j->p = p;
}

/* Event loop: a parsed report is checked and queued, a bad one refused. */
static void
http_ingest_done(void *arg)
{
	struct http_ingest	*j = arg;
	struct http_server	*srv = j->srv;
	struct http_pending	*p = j->p;
	struct reportv		*rv;
	time_t			 now = time(NULL);

	if (p == NULL) {
		http_report_refused(j->req, j->host_id, &j->err);
		goto out;
	}
	rv = p->rv;
	if (rv->host_id != NULL && strcmp(rv->host_id, j->host_id) != 0) {
		j->err.status = 422;
		strlcpy(j->err.pointer, "/agent/host_id",
		    sizeof j->err.pointer);
		snprintf(j->err.detail, sizeof j->err.detail, "host_id does "
		    "not match the client certificate (%s).", j->host_id);
		http_report_refused(j->req, j->host_id, &j->err);
		http_pending_free(p);
		goto out;
	}
	if (rv->generated_at > now + HTTP_MAX_FUTURE) {
		j->err.status = 422;
		strlcpy(j->err.pointer, "/generated_at",
		    sizeof j->err.pointer);
		snprintf(j->err.detail, sizeof j->err.detail, "%s is more "
		    "than %d hours ahead of the collector's clock.",
		    rv->generated_at_str, HTTP_MAX_FUTURE / 3600);
		http_report_refused(j->req, j->host_id, &j->err);
		http_pending_free(p);
		goto out;
	}
	p->req = j->req;
	p->host_id = j->host_id;
	p->cr.host_id = j->host_id;
	p->cr.received_at = now;
	j->host_id = NULL;

	/* Stored with the others of this loop iteration, then answered. */
	TAILQ_INSERT_TAIL(&srv->pending, p, entry);
	if (++srv->npending >= HTTP_BATCH_MAX)
		http_flush(srv);
	else if (srv->npending == 1)
		event_active(srv->flush_ev, EV_TIMEOUT, 0);
out:
	free(j->body);
	free(j->host_id);
	free(j);
}

/*
 * POST /api/v1/reports: a report/v1 document (gzip or identity) from an
 * enrolled agent over mTLS, stored by change (cstore.h).  The host is
 * the certificate's; agent.host_id, if not null, must be the same.  The
 * body is parsed on a worker thread (http_ingest_work), and a valid
 * report queued for the group commit (http_flush) and answered from
 * there.
 */
static void
http_reports(struct http_server *srv, struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	*hdr = evhttp_request_get_input_headers(req);
	struct http_ingest	*j;
	const char		*enc, *why;
	char			*host_id;
	char			 peer[128];
	size_t			 len;
	int			 state, gz;

	if ((host_id = http_client_host(srv, req, &why)) == NULL) {
		log_info("report from %s refused: %s",
		    http_peer(req, peer, sizeof peer), why);
		http_error(req, 401, "unauthorized", "%s", why);
		return;
	}
	if ((state = http_client_in_force(srv, req, &why)) != 0) {
		log_info("report from host %s (%s) refused: %s", host_id,
		    http_peer(req, peer, sizeof peer), why);
		if (state == 503)
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Retry-After", "5");
		http_error(req, state, state == 503 ? "unavailable" :
		    "forbidden", "%s", why);
		goto out;
	}
	len = evbuffer_get_length(in);
	enc = evhttp_find_header(hdr, "Content-Encoding");
	gz = enc != NULL && (strcasecmp(enc, "gzip") == 0 ||
	    strcasecmp(enc, "x-gzip") == 0);
	if (enc != NULL && !gz && strcasecmp(enc, "identity") != 0) {
		http_error(req, 415, "unsupported_media_type", "Content-"
		    "Encoding %.40s: gzip or identity is expected", enc);
		goto out;
	}
	if (len == 0) {
		http_error(req, 400, "malformed", "empty body: a report/v1 "
		    "document is expected");
		goto out;
	}
	j = xcalloc(1, sizeof *j);
	j->srv = srv;
	j->req = req;
	j->host_id = host_id;
	j->gz = gz;
	j->max_body = srv->max_body;
	j->len = len;
	j->body = xmalloc(len);
	if (evbuffer_remove(in, j->body, len) != (int)len)
		fatalx("%s: evbuffer_remove", __func__);
	host_id = NULL;
	if (srv->workq == NULL) {
		/*
		 * Made at the first report, so after daemon(3) and the drop
		 * of privileges; jansson's hash seed is set before threads
		 * may use it (reportv.c falls back to jansson for a body that
		 * is not canonical).
		 */
		json_object_seed(0);
		srv->workq = workq_new(srv->base, srv->nworkers);
		log_debug("report parsers: %d thread%s", srv->nworkers,
		    srv->nworkers == 1 ? "" : "s");
	}
	workq_push(srv->workq, http_ingest_work, http_ingest_done, j);
out:
	free(host_id);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * Answers go out at once: without TCP_NODELAY, Nagle holds a reply's
 * last segment until the client's delayed ACK of the previous one.
 * Accepted sockets inherit it from the listener on Linux; this covers
 * the others, once per connection.
 */
static void
http_nodelay(struct http_conn *c)
{
	evutil_socket_t	s;
	int		one = 1;

	if ((s = bufferevent_getfd(c->bev)) == -1)
		return;
	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
		log_debug("setsockopt TCP_NODELAY: %s", strerror(errno));
	c->nodelay = 1;
}

/* A POST-only endpoint that needs the store. */
static void
http_post(struct http_server *srv, struct evhttp_request *req,
    enum evhttp_cmd_type cmd, const char *path,
    void (*handler)(struct http_server *, struct evhttp_request *))
{
	if (cmd != EVHTTP_REQ_POST)
		http_error(req, 405, "method_not_allowed", "%s takes POST",
		    path);
	else if (srv->store == NULL)
		http_error(req, 503, "unavailable", "starting up");
	else
		handler(srv, req);
}

/* Every request: route by path, then by method. */
static void
http_request(struct evhttp_request *req, void *arg)
{
	struct http_server	*srv = arg;
	struct http_conn	*c;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ?
				    evhttp_uri_get_path(uri) : NULL;
	char			 peer[128];

	/* The request is whole: its deadline no longer applies. */
	if ((c = http_conn_of(req)) != NULL) {
		evtimer_del(c->deadline);
		if (!c->nodelay)
			http_nodelay(c);
	}
	log_debug("%s %s from %s", cmd == EVHTTP_REQ_GET ? "GET" :
	    cmd == EVHTTP_REQ_POST ? "POST" : "other", path != NULL ? path :
	    "?", http_peer(req, peer, sizeof peer));

	if (path == NULL)
		http_error(req, 400, "malformed", "no request path");
	else if (strcmp(path, "/healthz") == 0) {
		if (cmd != EVHTTP_REQ_GET)
			http_error(req, 405, "method_not_allowed",
			    "%s takes GET", path);
		else
			http_reply_json(req, 200, json_pack("{s:s}",
			    "status", "ok"));
	} else if (strcmp(path, "/api/v1/enroll") == 0) {
		http_post(srv, req, cmd, path, http_enroll);
	} else if (strcmp(path, "/api/v1/renew") == 0) {
		http_post(srv, req, cmd, path, http_renew);
	} else if (strcmp(path, "/api/v1/reports") == 0) {
		http_post(srv, req, cmd, path, http_reports);
	} else if (strcmp(path, "/metrics") == 0 ||
	    strncmp(path, "/api/v1/", 8) == 0) {
		if (srv->store == NULL)
			http_error(req, 503, "unavailable", "starting up");
		else
			api_request(&srv->api, req, path);
	} else
		http_error(req, 404, "not_found", "no such endpoint: %s",
		    path);

	/* The next request on this connection has its own deadline. */
	if (c != NULL)
		evtimer_add(c->deadline, &srv->deadline);
}

static SSL_CTX *
http_ssl_ctx(struct http_server *srv, const char *cert_file,
    const char *key_file, char **cause)
{
	SSL_CTX		*ctx;
	X509_STORE	*xs;
	unsigned long	 e;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fatalx("%s: SSL_CTX_new", __func__);
	SSL_CTX_set_app_data(ctx, srv);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, HTTP_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, HTTP_GROUPS) != 1)
		fatalx("%s: TLS parameters refused", __func__);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);

	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		e = ERR_get_error();
		xasprintf(cause, "server certificate %s and key %s: %s",
		    cert_file, key_file, ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "unusable");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return (NULL);
	}

	/*
	 * Client certificates: only the collector's CA is trusted, and it
	 * is the anchor even when it is not self-signed (an intermediate
	 * of the organisation's own PKI, given in state_dir).
	 */
	xs = SSL_CTX_get_cert_store(ctx);
	X509_STORE_set_flags(xs, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_add_cert(xs, pki_ca_cert(srv->ca)) != 1 ||
	    SSL_CTX_add_client_CA(ctx, pki_ca_cert(srv->ca)) != 1)
		fatalx("%s: adding the CA to the verify store", __func__);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
	    http_verify);
	SSL_CTX_set_verify_depth(ctx, 1);
	return (ctx);
}

struct http_server *
http_server_new(struct event_base *base, const struct collectord_conf *conf,
    struct pki_ca *ca, const char *cert_file, const char *key_file,
    char **cause)
{
	struct http_server		*srv;
	struct evhttp_bound_socket	*b;
	size_t				 i;
	struct timeval			 tv;
	int				 one;

	if (http_conn_idx == -1 && (http_conn_idx = SSL_get_ex_new_index(0,
	    NULL, NULL, NULL, http_conn_free)) == -1)
		fatalx("%s: SSL_get_ex_new_index", __func__);
	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	TAILQ_INIT(&srv->pending);
	/*
	 * The group commit runs once no connection is ready: below the
	 * default priority (1 of 3; events made before stay at 0).
	 */
	if (event_base_get_npriorities(base) < 3 &&
	    event_base_priority_init(base, 3) == -1)
		fatalx("%s: event_base_priority_init", __func__);
	if ((srv->flush_ev = event_new(base, -1, 0, http_flush_cb,
	    srv)) == NULL)
		fatalx("%s: event_new", __func__);
	event_priority_set(srv->flush_ev,
	    event_base_get_npriorities(base) - 1);
	srv->ca = ca;
	srv->max_conns = conf->max_connections;
	srv->cert_days = (int)conf->cert_days;
	srv->max_body = (size_t)conf->max_body;
	srv->nworkers = conf->workers < 0 ? workq_ncpu() : (int)conf->workers;
	srv->api.stale_after = conf->stale_after;
	srv->deadline.tv_sec = conf->header_timeout + conf->body_timeout;
	if ((srv->ssl_ctx = http_ssl_ctx(srv, cert_file, key_file,
	    cause)) == NULL) {
		event_free(srv->flush_ev);
		free(srv);
		return (NULL);
	}

	if ((srv->http = evhttp_new(base)) == NULL)
		fatalx("%s: evhttp_new", __func__);
	evhttp_set_bevcb(srv->http, http_new_bev, srv);
	evhttp_set_gencb(srv->http, http_request, srv);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_max_body_size(srv->http, conf->max_body);
	evhttp_set_max_headers_size(srv->http, HTTP_MAX_HEADERS);
	evhttp_set_flags(srv->http, EVHTTP_SERVER_LINGERING_CLOSE);
	tv.tv_sec = conf->header_timeout;
	tv.tv_usec = 0;
	evhttp_set_timeout_tv(srv->http, &tv);

	srv->bound = xcalloc(conf->nlisten, sizeof *srv->bound);
	for (i = 0; i < conf->nlisten; i++) {
		b = evhttp_bind_socket_with_handle(srv->http,
		    conf->listen[i].host, conf->listen[i].port);
		if (b == NULL) {
			xasprintf(cause, "listen %s: %s", conf->listen[i].text,
			    strerror(errno));
			http_server_free(srv);
			return (NULL);
		}
		srv->bound[srv->nbound++] = b;
		one = 1;
		if (setsockopt(evhttp_bound_socket_get_fd(b), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof one) == -1)
			log_debug("setsockopt TCP_NODELAY: %s",
			    strerror(errno));
		log_info("listening on %s", conf->listen[i].text);
	}
	return (srv);
}

void
http_server_set_store(struct http_server *srv, struct cstore *store)
{
	srv->store = store;
	srv->api.store = store;
}

static void
http_server_destroy(struct http_server *srv)
{
	SSL_CTX_free(srv->ssl_ctx);
	free(srv->bound);
	free(srv);
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	/*
	 * Reports being parsed, then queued reports, are stored and
	 * answered before evhttp goes.
	 */
	workq_free(srv->workq);
	srv->workq = NULL;
	if (srv->store != NULL)
		http_flush(srv);
	if (srv->flush_ev != NULL)
		event_free(srv->flush_ev);
	srv->flush_ev = NULL;
	if (srv->http != NULL)
		evhttp_free(srv->http);
	srv->http = NULL;
	srv->dying = 1;
	if (srv->nconns == 0)
		http_server_destroy(srv);
}
