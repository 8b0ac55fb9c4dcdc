/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * HTTPS POSTs with the libcurl multi-socket API on a libevent event_base
 * (see transport.h for the design; the event plumbing follows curl's
 * docs/examples/multi-event.c).  The only file that includes curl.h.
 *
 * Socket and timer events exist only while curl asks for them, so an
 * idle transport has no events armed at all.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"
#include "transport.h"

#define TRANSPORT_UA	"isms-agent/" PACKAGE_VERSION_STR
#define TRANSPORT_MAXCONNECTS 4		/* idle connections kept for reuse */
#define TRANSPORT_MAX_RETRY_AFTER (7 * 86400L) /* s, longer is clamped */

struct transport_xfer {
	struct transport		*t;
	CURL				*easy;
	struct curl_slist		*headers;
	transport_cb			 cb;
	void				*arg;
	struct timespec			 start;
	long				 retry_after;
	char				*body;	/* response */
	size_t				 body_len;
	int				 truncated;
	char				 errbuf[CURL_ERROR_SIZE];
	TAILQ_ENTRY(transport_xfer)	 entry;
};

/* What curl_multi_assign() attaches to each socket curl watches. */
struct transport_sock {
	struct transport		*t;
	curl_socket_t			 fd;
	struct event			*ev;
};

struct transport {
	struct event_base		*base;
	CURLM				*multi;
	struct event			*timer;
	TAILQ_HEAD(, transport_xfer)	 xfers;
	unsigned int			 nxfers;
};

static int	transport_initialised;

void
transport_init(void)
{
	CURLcode	rc;

	if (transport_initialised)
		return;
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("%s: curl_global_init: %s", __func__,
		    curl_easy_strerror(rc));
	transport_initialised = 1;
}

/* Milliseconds between two monotonic times. */
static long
transport_ms_since(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - start->tv_sec) * 1000L +
	    (now.tv_nsec - start->tv_nsec) / 1000000L);
}

long
transport_retry_after(const char *value, time_t now)
{
	const char	*p;
	char		*end;
	long long	 n;
	time_t		 t;

	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		n = strtoll(value, &end, 10);
		for (p = end; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != '\0')
			return (-1);
		if (errno == ERANGE || n > TRANSPORT_MAX_RETRY_AFTER)
			n = TRANSPORT_MAX_RETRY_AFTER;
		return ((long)n);
	}
	/* curl_getdate() reads all three HTTP-date forms of RFC 9110 5.6.7. */
	if ((t = curl_getdate(value, NULL)) == -1)
		return (-1);
	if (t <= now)
		return (0);
	if (t - now > TRANSPORT_MAX_RETRY_AFTER)
		return (TRANSPORT_MAX_RETRY_AFTER);
	return ((long)(t - now));
}

/*
 * Header callback: picks out Retry-After.  A status line resets it, so
 * only the final response's header counts (not a 100 Continue's).
 */
static size_t
transport_header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct transport_xfer	*x = arg;
	size_t			 len = size * n;
	static const char	 name[] = "retry-after:";
	char			 value[128];
	size_t			 vlen;

	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		x->retry_after = -1;
		return (len);
	}
	if (len <= sizeof name - 1 ||
	    strncasecmp(buf, name, sizeof name - 1) != 0)
		return (len);
	vlen = len - (sizeof name - 1);
	if (vlen >= sizeof value)
		return (len);		/* not a valid value; ignore it */
	memcpy(value, buf + sizeof name - 1, vlen);
	while (vlen > 0 && (value[vlen - 1] == '\r' ||
	    value[vlen - 1] == '\n' || value[vlen - 1] == ' ' ||
	    value[vlen - 1] == '\t'))
		vlen--;
	value[vlen] = '\0';
	x->retry_after = transport_retry_after(value, time(NULL));
	return (len);
}

/* Write callback: keeps the first TRANSPORT_MAX_BODY bytes. */
static size_t
transport_write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct transport_xfer	*x = arg;
	size_t			 len = size * n, room;

	room = TRANSPORT_MAX_BODY - x->body_len;
	if (len > room) {
		x->truncated = 1;
		len = room;
	}
	if (len > 0) {
		memcpy(x->body + x->body_len, buf, len);
		x->body_len += len;
	}
	/* The rest is dropped, not an error: the timeout bounds it. */
	return (size * n);
}

/* Unlinks and frees a transfer without calling its callback. */
static void
transport_xfer_free(struct transport_xfer *x)
{
	struct transport	*t = x->t;

	TAILQ_REMOVE(&t->xfers, x, entry);
	t->nxfers--;
	curl_multi_remove_handle(t->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body);
	free(x);
}

/* Reports and frees every finished transfer. */
static void
transport_check_done(struct transport *t)
{
	struct transport_res	 res;
	struct transport_xfer	*x;
	CURLMsg			*msg;
	int			 left;
	char			*priv;
	long			 status;

	while ((msg = curl_multi_info_read(t->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    &priv) != CURLE_OK || priv == NULL)
			fatalx("%s: transfer without its request", __func__);
		x = (struct transport_xfer *)priv;

		memset(&res, 0, sizeof res);
		status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		res.http_status = status;
		if (msg->data.result != CURLE_OK) {
			res.error = x->errbuf[0] != '\0' ? x->errbuf :
			    curl_easy_strerror(msg->data.result);
		}
		res.retry_after_s = res.http_status != 0 ?
		    x->retry_after : -1;
		res.elapsed_ms = transport_ms_since(&x->start);
		x->body[x->body_len] = '\0';
		res.body = x->body;
		res.body_len = x->body_len;
		res.truncated = x->truncated;

		log_debug("%s: %s: status %ld, %ld ms%s%s", __func__,
		    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL,
		    &priv) == CURLE_OK && priv != NULL ? priv : "?",
		    res.http_status, res.elapsed_ms,
		    res.error != NULL ? ": " : "",
		    res.error != NULL ? res.error : "");

		/*
		 * Free after the callback (res points into x) but unlink the
		 * handle first, so the callback may start new requests.
		 */
		curl_multi_remove_handle(t->multi, x->easy);
		x->cb(&res, x->arg);
		transport_xfer_free(x);
	}
}

/* A watched socket is ready. */
static void
transport_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport	*t = arg;
	int			 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(t->multi, fd, action, &running);
	transport_check_done(t);
}

/* curl's timeout expired. */
static void
transport_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport	*t = arg;
	int			 running;

	curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	transport_check_done(t);
}

/*
 * CURLMOPT_TIMERFUNCTION: curl's single timeout changed.  -1 removes it;
 * 0 means "as soon as possible", which a zero libevent timer gives
 * without calling curl from inside curl.  Returns 0 (success) to curl.
 */
static int
transport_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct transport	*t = arg;
	struct timeval		 tv;

	if (timeout_ms < 0) {
		evtimer_del(t->timer);
		return (0);
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(t->timer, &tv);
	return (0);
}

/*
 * CURLMOPT_SOCKETFUNCTION: curl wants a socket watched differently, or
 * no more.  Returns 0 (success) to curl.
 */
static int
transport_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct transport	*t = arg;
	struct transport_sock	*s = sockp;
	short			 events = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
			curl_multi_assign(t->multi, fd, NULL);
		}
		return (0);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;

	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->t = t;
		s->fd = fd;
		curl_multi_assign(t->multi, fd, s);
	} else {
		event_free(s->ev);
	}
	if ((s->ev = event_new(t->base, fd, events, transport_event_cb,
	    t)) == NULL)
		fatalx("%s: event_new", __func__);
	if (event_add(s->ev, NULL) == -1)
		fatalx("%s: event_add", __func__);
	return (0);
}

struct transport *
transport_new(struct event_base *base)
{
	struct transport	*t;

	transport_init();

	t = xcalloc(1, sizeof *t);
	t->base = base;
	TAILQ_INIT(&t->xfers);
	if ((t->timer = evtimer_new(base, transport_timer_cb, t)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	if ((t->multi = curl_multi_init()) == NULL)
		fatalx("%s: curl_multi_init", __func__);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION,
	    transport_curl_socket);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION,
	    transport_curl_timer);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS,
	    (long)TRANSPORT_MAXCONNECTS);
	return (t);
}

void
transport_free(struct transport *t)
{
	struct transport_xfer	*x;

	if (t == NULL)
		return;
	while ((x = TAILQ_FIRST(&t->xfers)) != NULL)
		transport_xfer_free(x);
	/* Closes cached connections; curl removes their socket events. */
	curl_multi_cleanup(t->multi);
	event_free(t->timer);
	free(t);
}

unsigned int
transport_pending(struct transport *t)
{
	return (t->nxfers);
}

/* Sets one option; a failure is logged and makes the request fail. */
#define SETOPT(opt, val) do {						\
	CURLcode rc_ = curl_easy_setopt(x->easy, (opt), (val));		\
	if (rc_ != CURLE_OK) {						\
		log_warnx("%s: %s: %s: %s", __func__, req->url, #opt,	\
		    curl_easy_strerror(rc_));				\
		goto fail;						\
	}								\
} while (0)

/* Sets a PEM blob option; curl keeps its own copy. */
#define SETBLOB(opt, blob, size) do {					\
	struct curl_blob b_;						\
	b_.data = (void *)(uintptr_t)(blob);				\
	b_.len = (size);						\
	b_.flags = CURL_BLOB_COPY;					\
	SETOPT((opt), &b_);						\
} while (0)

int
transport_post(struct transport *t, const struct transport_req *req,
    transport_cb cb, void *arg)
{
	struct transport_xfer	*x;
	struct curl_slist	*l;
	const char *const	*h;
	char			*line;
	CURLMcode		 mrc;

	if (req->url == NULL || cb == NULL) {
		log_warnx("%s: no URL or callback", __func__);
		return (-1);
	}

	x = xcalloc(1, sizeof *x);
	x->t = t;
	x->cb = cb;
	x->arg = arg;
	x->retry_after = -1;
	x->body = xmalloc(TRANSPORT_MAX_BODY + 1);
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	if ((x->easy = curl_easy_init()) == NULL)
		fatalx("%s: curl_easy_init", __func__);

	SETOPT(CURLOPT_PRIVATE, (void *)x);
	SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SETOPT(CURLOPT_PROTOCOLS_STR, req->allow_http ? "https,http" :
	    "https");
#else
	SETOPT(CURLOPT_PROTOCOLS, req->allow_http ?
	    (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP) : (long)CURLPROTO_HTTPS);
#endif
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_USERAGENT, TRANSPORT_UA);

	/* TLS: verified, 1.2 or newer, CAs from the caller's blob. */
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (req->ca != NULL) {
		SETBLOB(CURLOPT_CAINFO_BLOB, req->ca, req->ca_len);
		/*
		 * With a blob, curl still adds the built-in CA directory;
		 * drop it so only the caller's CAs are trusted.
		 */
		SETOPT(CURLOPT_CAPATH, (char *)NULL);
	}
	if (req->cert != NULL) {
		SETBLOB(CURLOPT_SSLCERT_BLOB, req->cert, req->cert_len);
		SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (req->key != NULL) {
		SETBLOB(CURLOPT_SSLKEY_BLOB, req->key, req->key_len);
		SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
	}

	SETOPT(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms :
	    (long)TRANSPORT_TIMEOUT);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms > 0 ?
	    req->connect_timeout_ms : (long)TRANSPORT_CONNECT_TIMEOUT);

	/* The body: POSTFIELDSIZE first, so COPYPOSTFIELDS copies len bytes. */
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	SETOPT(CURLOPT_COPYPOSTFIELDS, req->len > 0 ? (const char *)req->body :
	    "");

	/* No "Expect: 100-continue" round trip for large bodies. */
	if ((x->headers = curl_slist_append(NULL, "Expect:")) == NULL)
		fatalx("%s: curl_slist_append", __func__);
	if (req->content_type != NULL) {
		xasprintf(&line, "Content-Type: %s", req->content_type);
		if ((l = curl_slist_append(x->headers, line)) == NULL)
			fatalx("%s: curl_slist_append", __func__);
		x->headers = l;
		free(line);
	}
	if (req->gzip) {
		if ((l = curl_slist_append(x->headers,
		    "Content-Encoding: gzip")) == NULL)
			fatalx("%s: curl_slist_append", __func__);
		x->headers = l;
	}
	for (h = req->headers; h != NULL && *h != NULL; h++) {
		if (strchr(*h, '\r') != NULL || strchr(*h, '\n') != NULL) {
			log_warnx("%s: %s: header with a line break", __func__,
			    req->url);
			curl_slist_free_all(x->headers);
			curl_easy_cleanup(x->easy);
			free(x->body);
			free(x);
			return (-1);
		}
		if ((l = curl_slist_append(x->headers, *h)) == NULL)
			fatalx("%s: curl_slist_append", __func__);
		x->headers = l;
	}
	SETOPT(CURLOPT_HTTPHEADER, x->headers);

	SETOPT(CURLOPT_HEADERFUNCTION, transport_header_cb);
	SETOPT(CURLOPT_HEADERDATA, (void *)x);
	SETOPT(CURLOPT_WRITEFUNCTION, transport_write_cb);
	SETOPT(CURLOPT_WRITEDATA, (void *)x);

	/* curl's timer callback then schedules the start from the loop. */
	if ((mrc = curl_multi_add_handle(t->multi, x->easy)) != CURLM_OK) {
		log_warnx("%s: %s: %s", __func__, req->url,
		    curl_multi_strerror(mrc));
		goto fail;
	}
	TAILQ_INSERT_TAIL(&t->xfers, x, entry);
	t->nxfers++;
	return (0);

fail:
	curl_slist_free_all(x->headers);
	curl_easy_cleanup(x->easy);
	free(x->body);
	free(x);
	return (-1);
}
