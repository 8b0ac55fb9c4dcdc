/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Remote syslog over TCP (RFC 6587) and TLS (RFC 5425) on libevent
 * bufferevents; see syslogtx.h for the design.
 *
 * Frames are tracked by byte offsets: every queued frame remembers where
 * it ends in the stream of bytes handed to the current connection, and
 * the bytes written are those handed over minus those still in the
 * output buffer.  When the output buffer empties, every frame is done;
 * when the connection fails, frames wholly written succeeded and the
 * rest failed.
 *
 * Security: with TLS the peer must present a certificate chaining to one
 * of the caller's CAs and naming the configured host (DNS name, or IP
 * address for a literal) -- RFC 5425 5.2, certificate-based
 * authorization of the receiver.  TLS 1.2 is the minimum.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "xmalloc.h"
#include "syslogtx.h"

struct syslogtx_frame {
	uint64_t			 end;	/* offset after its last byte */
	syslogtx_cb			 cb;
	void				*arg;
	TAILQ_ENTRY(syslogtx_frame)	 entry;
};
TAILQ_HEAD(syslogtx_frames, syslogtx_frame);

struct syslogtx {
	struct event_base	*base;
	char			*host;
	char			*port;
	int			 tls;
	int			 host_is_ip;
	SSL_CTX			*ctx;

	struct bufferevent	*bev;		/* NULL: not connected */
	int			 up;		/* connected (and handshaken) */
	struct addrinfo		*ai;		/* while connecting */
	struct addrinfo		*ai_cur;

	uint64_t		 queued;	/* bytes given to this connection */
	struct syslogtx_frames	 frames;
	struct event		*fail_ev;	/* reports a failed connect */
	char			 error[256];
};

static void	syslogtx_readcb(struct bufferevent *, void *);
static void	syslogtx_writecb(struct bufferevent *, void *);
static void	syslogtx_eventcb(struct bufferevent *, short, void *);

/* Loads every certificate of a PEM blob into the context's store. */
static int
syslogtx_load_ca(SSL_CTX *ctx, const void *ca, size_t len, char **cause)
{
	X509_STORE	*store = SSL_CTX_get_cert_store(ctx);
	BIO		*bio;
	X509		*x;
	unsigned long	 e;
	int		 n = 0;

	if (len > INT32_MAX || (bio = BIO_new_mem_buf(ca, (int)len)) == NULL) {
		xasprintf(cause, "CA certificates: cannot read");
		return (-1);
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) != 1) {
			X509_free(x);
			BIO_free(bio);
			xasprintf(cause, "CA certificates: %s",
			    ERR_reason_error_string(ERR_get_error()));
			return (-1);
		}
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	/* The loop ends with "no start line" at the end of the data. */
	e = ERR_peek_last_error();
	if (n == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE)) {
		xasprintf(cause, "CA certificates: %s", n == 0 ?
		    "no PEM certificate found" : ERR_reason_error_string(e));
		ERR_clear_error();
		return (-1);
	}
	ERR_clear_error();
	return (0);
}

/* Runs when a connection could not even be started. */
static void
syslogtx_fail_cb(evutil_socket_t fd, short what, void *arg);

struct syslogtx *
syslogtx_new(struct event_base *base, const char *host, const char *port,
    int tls, const void *ca, size_t ca_len, char **cause)
{
	struct syslogtx		*tx;
	struct in6_addr		 a6;
	struct in_addr		 a4;
	const char		*p;

	*cause = NULL;
	if (host == NULL || *host == '\0') {
		xasprintf(cause, "no host");
		return (NULL);
	}
	for (p = port; p != NULL && *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			break;
	if (port == NULL || *port == '\0' || *p != '\0' || atoi(port) < 1 ||
	    atoi(port) > 65535) {
		xasprintf(cause, "%s: bad port", port == NULL ? "" : port);
		return (NULL);
	}

	tx = xcalloc(1, sizeof *tx);
	tx->base = base;
	tx->host = xstrdup(host);
	tx->port = xstrdup(port);
	tx->tls = tls;
	tx->host_is_ip = inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
	TAILQ_INIT(&tx->frames);
	if ((tx->fail_ev = evtimer_new(base, syslogtx_fail_cb, tx)) == NULL)
		fatalx("%s: evtimer_new", __func__);

	if (tls) {
		if ((tx->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			fatalx("%s: SSL_CTX_new", __func__);
		SSL_CTX_set_min_proto_version(tx->ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(tx->ctx, SSL_VERIFY_PEER, NULL);
		if (ca != NULL) {
			if (syslogtx_load_ca(tx->ctx, ca, ca_len, cause) == -1)
				goto fail;
		} else if (SSL_CTX_set_default_verify_paths(tx->ctx) != 1) {
			xasprintf(cause, "no CA certificates");
			goto fail;
		}
	}
	return (tx);

fail:
	syslogtx_free(tx);
	return (NULL);
}

/* Frees the connection; returns how many queued bytes were written. */
static uint64_t
syslogtx_close(struct syslogtx *tx)
{
	uint64_t	written = 0;
	size_t		left;

	if (tx->bev != NULL) {
		left = evbuffer_get_length(bufferevent_get_output(tx->bev));
		written = tx->queued - left;
		bufferevent_free(tx->bev);
		tx->bev = NULL;
	}
	tx->up = 0;
	if (tx->ai != NULL) {
		freeaddrinfo(tx->ai);
		tx->ai = tx->ai_cur = NULL;
	}
	return (written);
}

/*
 * Ends every queued frame: those within the first "written" bytes
 * succeeded, the others failed with error.  The list is detached first,
 * so callbacks may send again (on a fresh connection).
 */
static void
syslogtx_finish(struct syslogtx *tx, uint64_t written, const char *error)
{
	struct syslogtx_frames	 done;
	struct syslogtx_frame	*f;
	char			 msg[sizeof tx->error];

	strlcpy(msg, error, sizeof msg);
	TAILQ_INIT(&done);
	TAILQ_CONCAT(&done, &tx->frames, entry);
	tx->queued = 0;
	while ((f = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, f, entry);
		if (f->cb != NULL)
			f->cb(f->end <= written ? NULL : msg, f->arg);
		free(f);
	}
}

static void
syslogtx_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct syslogtx	*tx = arg;

	syslogtx_finish(tx, 0, tx->error);
}

/*
 * Opens a connection to tx->ai_cur, or the next address that can be
 * tried; carry (may be NULL) is the output of a failed attempt, moved to
 * the new connection.  Returns -1 with tx->error set if none is left.
 */
static int
syslogtx_open(struct syslogtx *tx, struct evbuffer *carry)
{
	struct bufferevent	*bev;
	struct timeval		 tv = { SYSLOGTX_TIMEOUT, 0 };
	X509_VERIFY_PARAM	*vpm;
	SSL			*ssl;
	int			 opts = BEV_OPT_CLOSE_ON_FREE |
				    BEV_OPT_DEFER_CALLBACKS;

	for (; tx->ai_cur != NULL; tx->ai_cur = tx->ai_cur->ai_next) {
		if (tx->tls) {
			if ((ssl = SSL_new(tx->ctx)) == NULL)
				fatalx("%s: SSL_new", __func__);
			vpm = SSL_get0_param(ssl);
			X509_VERIFY_PARAM_set_hostflags(vpm,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (tx->host_is_ip) {
				if (X509_VERIFY_PARAM_set1_ip_asc(vpm,
				    tx->host) != 1)
					fatalx("%s: set1_ip_asc", __func__);
			} else {
				if (X509_VERIFY_PARAM_set1_host(vpm, tx->host,
				    0) != 1 ||
				    SSL_set_tlsext_host_name(ssl,
				    tx->host) != 1)
					fatalx("%s: set1_host", __func__);
			}
			bev = bufferevent_openssl_socket_new(tx->base, -1, ssl,
			    BUFFEREVENT_SSL_CONNECTING, opts);
			if (bev == NULL) {
				SSL_free(ssl);
				fatalx("%s: bufferevent_openssl_socket_new",
				    __func__);
			}
		} else {
			bev = bufferevent_socket_new(tx->base, -1, opts);
			if (bev == NULL)
				fatalx("%s: bufferevent_socket_new", __func__);
		}
		bufferevent_setcb(bev, syslogtx_readcb, syslogtx_writecb,
		    syslogtx_eventcb, tx);
		bufferevent_set_timeouts(bev, NULL, &tv);
		if (bufferevent_socket_connect(bev, tx->ai_cur->ai_addr,
		    (int)tx->ai_cur->ai_addrlen) == -1) {
			snprintf(tx->error, sizeof tx->error,
			    "connect %s port %s: %s", tx->host, tx->port,
			    strerror(errno));
			bufferevent_free(bev);
			continue;
		}
		if (carry != NULL &&
		    evbuffer_add_buffer(bufferevent_get_output(bev),
		    carry) == -1)
			fatalx("%s: evbuffer_add_buffer", __func__);
		bufferevent_enable(bev, EV_READ | EV_WRITE);
		tx->bev = bev;
		return (0);
	}
	return (-1);
}

/* Resolves the destination and starts connecting. */
static int
syslogtx_connect(struct syslogtx *tx)
{
	struct addrinfo	 hints;
	int		 rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	if ((rc = getaddrinfo(tx->host, tx->port, &hints, &tx->ai)) != 0) {
		snprintf(tx->error, sizeof tx->error, "%s: %s", tx->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		tx->ai = NULL;
		return (-1);
	}
	tx->ai_cur = tx->ai;
	tx->queued = 0;
	if (syslogtx_open(tx, NULL) == -1) {
		freeaddrinfo(tx->ai);
		tx->ai = tx->ai_cur = NULL;
		return (-1);
	}
	return (0);
}

void
syslogtx_free(struct syslogtx *tx)
{
	struct syslogtx_frame	*f;

	if (tx == NULL)
		return;
	syslogtx_close(tx);
	while ((f = TAILQ_FIRST(&tx->frames)) != NULL) {
		TAILQ_REMOVE(&tx->frames, f, entry);
		free(f);
	}
	event_free(tx->fail_ev);
	SSL_CTX_free(tx->ctx);
	free(tx->host);
	free(tx->port);
	free(tx);
}

int
syslogtx_send(struct syslogtx *tx, const void *frame, size_t len,
    syslogtx_cb cb, void *arg)
{
	struct syslogtx_frame	*f;
	struct timeval		 now = { 0, 0 };
	size_t			 held;

	if (len == 0)
		return (-1);
	held = tx->bev != NULL ?
	    evbuffer_get_length(bufferevent_get_output(tx->bev)) : 0;
	if (len > SYSLOGTX_MAX_BUFFER || held > SYSLOGTX_MAX_BUFFER - len) {
		log_warnx("%s: %s port %s: output buffer full", __func__,
		    tx->host, tx->port);
		return (-1);
	}

	f = xcalloc(1, sizeof *f);
	f->cb = cb;
	f->arg = arg;

	if (tx->bev == NULL && !evtimer_pending(tx->fail_ev, NULL) &&
	    syslogtx_connect(tx) == -1) {
		/* Fail from the loop, as the contract says. */
		log_debug("%s: %s", __func__, tx->error);
		evtimer_add(tx->fail_ev, &now);
	}
	if (tx->bev != NULL &&
	    bufferevent_write(tx->bev, frame, len) == -1)
		fatalx("%s: bufferevent_write", __func__);
	tx->queued += len;
	f->end = tx->queued;
	TAILQ_INSERT_TAIL(&tx->frames, f, entry);
	return (0);
}

int
syslogtx_connected(struct syslogtx *tx)
{
	return (tx->bev != NULL);
}

size_t
syslogtx_queued(struct syslogtx *tx)
{
	if (tx->bev == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(tx->bev)));
}

/* Syslog receivers send nothing; whatever comes is dropped. */
static void
syslogtx_readcb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The output buffer is empty: every queued frame was written. */
static void
syslogtx_writecb(struct bufferevent *bev, void *arg)
{
	struct syslogtx		*tx = arg;
	struct syslogtx_frame	*f;
	uint64_t		 written;

	written = tx->queued -
	    evbuffer_get_length(bufferevent_get_output(bev));
	while ((f = TAILQ_FIRST(&tx->frames)) != NULL && f->end <= written) {
		TAILQ_REMOVE(&tx->frames, f, entry);
		if (f->cb != NULL)
			f->cb(NULL, f->arg);
		free(f);
		if (tx->bev != bev)
			break;		/* a callback closed or reconnected */
	}
}

/* Describes why a connection failed, in tx->error. */
static void
syslogtx_describe(struct syslogtx *tx, struct bufferevent *bev, short what,
    int saved_errno)
{
	char		 ssl[160] = "";
	unsigned long	 e;
	long		 vr;
	SSL		*s;
	const char	*stage = tx->up ? "" : "connect ";

	if (tx->tls && (e = bufferevent_get_openssl_error(bev)) != 0) {
		s = bufferevent_openssl_get_ssl(bev);
		vr = s != NULL ? SSL_get_verify_result(s) : X509_V_OK;
		if (vr != X509_V_OK)
			snprintf(ssl, sizeof ssl, "certificate verify failed: "
			    "%s", X509_verify_cert_error_string(vr));
		else
			ERR_error_string_n(e, ssl, sizeof ssl);
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		snprintf(tx->error, sizeof tx->error, "%s%s port %s: TLS: %s",
		    stage, tx->host, tx->port, ssl);
	} else if (what & BEV_EVENT_TIMEOUT)
		snprintf(tx->error, sizeof tx->error, "%s%s port %s: timed out",
		    stage, tx->host, tx->port);
	else if (what & BEV_EVENT_EOF)
		snprintf(tx->error, sizeof tx->error,
		    "%s port %s: connection closed by peer", tx->host, tx->port);
	else
		snprintf(tx->error, sizeof tx->error, "%s%s port %s: %s",
		    stage, tx->host, tx->port, saved_errno != 0 ?
		    strerror(saved_errno) : "connection failed");
}

static void
syslogtx_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct syslogtx		*tx = arg;
	struct evbuffer		*carry;
	uint64_t		 written;
	int			 saved_errno = EVUTIL_SOCKET_ERROR();
	int			 tls_error = 0;

	if (what & BEV_EVENT_CONNECTED) {
		tx->up = 1;
		freeaddrinfo(tx->ai);
		tx->ai = tx->ai_cur = NULL;
		log_debug("%s: %s port %s: connected%s", __func__, tx->host,
		    tx->port, tx->tls ? " (TLS)" : "");
		return;
	}

	syslogtx_describe(tx, bev, what, saved_errno);
	if (tx->tls && strstr(tx->error, ": TLS: ") != NULL)
		tls_error = 1;

	/* A failed connect tries the next address, carrying the output. */
	if (!tx->up && !tls_error && tx->ai_cur != NULL &&
	    tx->ai_cur->ai_next != NULL) {
		log_debug("%s: %s, trying the next address", __func__,
		    tx->error);
		carry = evbuffer_new();
		if (carry == NULL)
			fatalx("%s: evbuffer_new", __func__);
		evbuffer_add_buffer(carry, bufferevent_get_output(bev));
		bufferevent_free(bev);
		tx->bev = NULL;
		tx->ai_cur = tx->ai_cur->ai_next;
		if (syslogtx_open(tx, carry) == 0) {
			evbuffer_free(carry);
			return;
		}
		evbuffer_free(carry);
		syslogtx_close(tx);
		log_warnx("%s", tx->error);
		syslogtx_finish(tx, 0, tx->error);
		return;
	}

	if (TAILQ_EMPTY(&tx->frames))
		log_debug("%s: %s", __func__, tx->error);
	else
		log_warnx("%s", tx->error);
	written = syslogtx_close(tx);
	syslogtx_finish(tx, written, tx->error);
}
