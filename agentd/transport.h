/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * HTTPS client of the daemon's net process: webhooks now, report uploads
 * later.
 *
 * Design
 * ------
 * One struct transport wraps one libcurl multi handle driven by the
 * process's libevent event_base through the multi-socket API: curl tells
 * us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when its next
 * timeout is due (CURLMOPT_TIMERFUNCTION); we turn both into libevent
 * events and call curl_multi_socket_action() when one fires.  There is no
 * polling loop and no periodic timer, so an idle transport costs no
 * wake-ups.  transport.c is the only file that includes <curl/curl.h>.
 *
 * Every request is a POST.  Policy is fixed, not configurable by the
 * caller: TLS peer and host name verification on, TLS 1.2 or newer, https
 * only (plain http only when the request sets allow_http, for tests
 * against local receivers), redirects never followed, no signals.
 *
 * The net process runs chrooted, where /etc/ssl is out of reach: the
 * caller loads CA certificates (and any client certificate and key)
 * before chroot(2) and passes them here as PEM blobs.
 *
 * Delivery policy (one request at a time per destination, retries,
 * backoff) belongs to the caller: a transport only reports what happened.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>
#include <time.h>

struct event_base;
struct transport;

#define TRANSPORT_MAX_BODY	(64 * 1024)	/* bytes of response kept */
#define TRANSPORT_TIMEOUT	30000		/* ms, whole request, default */
#define TRANSPORT_CONNECT_TIMEOUT 10000		/* ms, connect+TLS, default */

/*
 * One POST.  Everything is copied by transport_post(): the request and
 * the memory it points to may be freed as soon as it returns.
 */
struct transport_req {
	const char	 *url;
	const char	 *content_type;	/* NULL: no Content-Type header */
	const void	 *body;
	size_t		  len;
	const char *const *headers;	/* "Name: value", NULL-terminated;
					   may be NULL */
	int		  gzip;		/* body is already gzip-compressed:
					   send Content-Encoding: gzip */
	const void	 *ca;		/* PEM CA certificates; NULL: the
					   system store (unreachable in a
					   chroot) */
	size_t		  ca_len;
	const void	 *cert;		/* PEM client certificate, or NULL */
	size_t		  cert_len;
	const void	 *key;		/* PEM client key, or NULL */
	size_t		  key_len;
	long		  timeout_ms;	/* 0: TRANSPORT_TIMEOUT */
	long		  connect_timeout_ms; /* 0: TRANSPORT_CONNECT_TIMEOUT */
	int		  allow_http;	/* also allow plain http:// */
};

/*
 * The outcome of one request, valid only during the callback.
 *
 * A request "succeeded" at the transport level when error is NULL; the
 * caller then judges http_status (a 500 or 429 is not a transport error).
 */
struct transport_res {
	long		 http_status;	/* 0: no HTTP response at all */
	const char	*error;		/* curl's message, NULL if none */
	long		 retry_after_s;	/* Retry-After in seconds, -1 absent */
	long		 elapsed_ms;	/* from transport_post() to the end */
	const char	*body;		/* response body, NUL-terminated */
	size_t		 body_len;	/* at most TRANSPORT_MAX_BODY */
	int		 truncated;	/* the body was longer than that */
};

typedef void	(*transport_cb)(const struct transport_res *, void *);

/*
 * Initialises libcurl and its TLS library once per process.  Call before
 * chroot(2) (OpenSSL reads its configuration here); transport_new()
 * calls it if nobody did.
 */
void		 transport_init(void);

/* A transport on the given event base. */
struct transport *transport_new(struct event_base *);

/*
 * Cancels every request in flight (their callbacks are NOT called: the
 * caller owns and frees their arguments) and frees the transport.  Must
 * not be called from a transport callback.
 */
void		 transport_free(struct transport *);

/*
 * Starts a POST.  Returns 0 and later calls cb exactly once from the
 * event loop (never from inside transport_post()), or returns -1 without
 * calling cb when the request cannot even be started (no URL, curl
 * refused an option); the reason is logged.  cb may start new requests.
 */
int		 transport_post(struct transport *, const struct transport_req *,
		    transport_cb cb, void *arg);

/* Requests in flight. */
unsigned int	 transport_pending(struct transport *);

/*
 * A Retry-After header value (RFC 9110 10.2.3: delay-seconds or an
 * HTTP-date) as seconds from now, or -1 if it is neither.  A date in the
 * past is 0.
 */
long		 transport_retry_after(const char *value, time_t now);

#endif
