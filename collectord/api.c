/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The fleet API (isms-collectord(8), "Fleet API"): read-only JSON views
 * of the store for people and scripts, and /metrics for Prometheus.
 *
 * Authentication is a bearer token minted by "api-token create": the
 * store keeps its SHA-256 only, found by the hash's first 16 hex digits
 * and then compared whole in constant time.  A token is never logged;
 * a refused or accepted one is named by those 12 first hex digits of
 * its hash, as "api-token list" shows them.  Roles are ordered viewer <
 * auditor < admin; an endpoint names the least it needs.
 *
 * Every request reads the store afresh, so a token revoked by the admin
 * command is refused at the next request.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "collectord.h"
#include "cstore.h"
#include "log.h"
#include "pki.h"
#include "util.h"
#include "xmalloc.h"

#define API_MAX_TOKEN	512	/* bytes of a presented bearer token */
#define API_MAX_DRIFT	10000	/* changes in one /drift answer */
#define API_PREFIX	"/api/v1/"

/* Annex A (2022): the themes 5 to 8 and their last control number. */
static const int api_annex_a[] = { 37, 8, 14, 34 };

struct api_req {
	struct api_ctx		*ctx;
	struct evhttp_request	*req;
	struct evkeyvalq	 query;
	time_t			 now;
};

/* An RFC 3339 time, or JSON null for 0. */
static json_t *
api_time(time_t t)
{
	char	buf[RFC3339_LEN];

	if (t == 0)
		return (json_null());
	time_format_rfc3339(t, buf, sizeof buf);
	return (json_string(buf));
}

/* Stored compact JSON text as a value; bad text (never stored) is null. */
static json_t *
api_json_text(const char *s)
{
	json_t	*j;

	if (s == NULL || (j = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL)
		return (json_null());
	return (j);
}

/* The peer's address, for log lines. */
static const char *
api_peer(struct evhttp_request *req, char *buf, size_t len)
{
	struct evhttp_connection	*evcon;
	char				*addr = NULL;
	ev_uint16_t			 port = 0;

	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(buf, len, "%s:%u", addr != NULL ? addr : "?", port);
	return (buf);
}

/* A store failure: logged, and a 500 without the store's words. */
static void
api_store_failed(struct api_req *r, const char *what, char *cause)
{
	log_warnx("fleet API: %s: %s", what, cause);
	free(cause);
	http_error(r->req, 500, "internal", "the collector's store failed");
}

/*
 * The bearer token's role, or an answer sent (401, 403, 500) and
 * CSTORE_ROLE_NONE.  need is the least role the endpoint takes.
 */
static int
api_auth(struct api_req *r, int need)
{
	struct cstore		*cs = r->ctx->store;
	struct evkeyvalq	*hdr, *out;
	struct cstore_api_token	*t;
	const char		*h, *tok;
	char			 hash[PKI_HASH_HEX_LEN], peer[128];
	char			 buf[API_MAX_TOKEN + 1], *cause = NULL;
	size_t			 i, n, len;
	int			 role = CSTORE_ROLE_NONE, match;

	hdr = evhttp_request_get_input_headers(r->req);
	out = evhttp_request_get_output_headers(r->req);
	if ((h = evhttp_find_header(hdr, "Authorization")) == NULL ||
	    strncasecmp(h, "Bearer ", 7) != 0) {
		evhttp_add_header(out, "WWW-Authenticate", "Bearer");
		http_error(r->req, 401, "unauthorized", "a bearer token is "
		    "required (Authorization: Bearer TOKEN)");
		return (CSTORE_ROLE_NONE);
	}
	for (tok = h + 7; *tok == ' '; tok++)
		/* nothing */;
	for (len = 0; tok[len] != '\0' && tok[len] != ' '; len++)
		/* nothing */;
	if (len == 0 || len > API_MAX_TOKEN) {
		evhttp_add_header(out, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		http_error(r->req, 401, "unauthorized", "unknown token");
		return (CSTORE_ROLE_NONE);
	}
	memcpy(buf, tok, len);
	buf[len] = '\0';
	pki_token_hash(buf, hash);
	explicit_bzero(buf, sizeof buf);
	if (cs->ops->api_token_find(cs, hash, &t, &n, &cause) == -1) {
		api_store_failed(r, "token look-up", cause);
		return (CSTORE_ROLE_NONE);
	}
	/* Every candidate compared whole, without an early exit. */
	for (i = 0; i < n; i++) {
		match = CRYPTO_memcmp(hash, t[i].hash,
		    PKI_HASH_HEX_LEN - 1) == 0;
		if (match && t[i].role > role)
			role = t[i].role;
	}
	cstore_api_tokens_free(t, n);
	if (role == CSTORE_ROLE_NONE) {
		log_info("fleet API: %s from %s refused: unknown or revoked "
		    "token", evhttp_request_get_uri(r->req),
		    api_peer(r->req, peer, sizeof peer));
		evhttp_add_header(out, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		http_error(r->req, 401, "unauthorized", "unknown token");
		return (CSTORE_ROLE_NONE);
	}
	if (role < need) {
		log_info("fleet API: %s from %s refused: token %.12s is %s, "
		    "%s is needed", evhttp_request_get_uri(r->req),
		    api_peer(r->req, peer, sizeof peer), hash,
		    cstore_role_name(role), cstore_role_name(need));
		http_error(r->req, 403, "forbidden", "this token's role is "
		    "%s; %s or above is needed", cstore_role_name(role),
		    cstore_role_name(need));
		return (CSTORE_ROLE_NONE);
	}
	log_debug("fleet API: %s by token %.12s (%s)",
	    evhttp_request_get_uri(r->req), hash, cstore_role_name(role));
	return (role);
}

/* A time parameter of the query: 0, 1 absent, or -1 with a 400 sent. */
static int
api_time_param(struct api_req *r, const char *name, time_t *out)
{
	const char	*v;

	if ((v = evhttp_find_header(&r->query, name)) == NULL)
		return (1);
	if (time_parse_rfc3339(v, out) == -1) {
		http_error(r->req, 400, "malformed", "%s: an RFC 3339 time "
		    "such as 2026-11-22T02:00:00Z is expected, found "
		    "\"%.64s\"", name, v);
		return (-1);
	}
	return (0);
}

/* A host as JSON. */
static json_t *
api_host_json(struct api_req *r, const struct cstore_host *h)
{
	time_t	seen = h->last_seen != 0 ? h->last_seen : h->enrolled_at;

	return (json_pack("{s:s,s:s?,s:o,s:o,s:o,s:b,s:b,s:o}",
	    "id", h->host_id,
	    "hostname", h->hostname,
	    "enrolled_at", api_time(h->enrolled_at),
	    "last_seen", api_time(h->last_seen),
	    "last_report_at", api_time(h->last_report_at),
	    "stale", seen < r->now - r->ctx->stale_after,
	    "revoked", h->revoked,
	    "summary", api_json_text(h->summary)));
}

/* GET /api/v1/hosts */
static void
api_hosts(struct api_req *r)
{
	struct cstore		*cs = r->ctx->store;
	struct cstore_host	*h;
	json_t			*a;
	char			*cause;
	size_t			 i, n;

	if (cs->ops->hosts(cs, NULL, &h, &n, &cause) == -1) {
		api_store_failed(r, "hosts", cause);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, api_host_json(r, &h[i]));
	cstore_hosts_free(h, n);
	http_reply_json(r->req, 200, json_pack("{s:o,s:I}", "hosts", a,
	    "stale_after", (json_int_t)r->ctx->stale_after));
}

/* The one host of id, or NULL with an answer sent (404, 500). */
static struct cstore_host *
api_one_host(struct api_req *r, const char *id)
{
	struct cstore		*cs = r->ctx->store;
	struct cstore_host	*h;
	char			*cause;
	size_t			 n;

	if (!pki_host_id_valid(id)) {
		http_error(r->req, 404, "not_found", "no host %.64s (a host "
		    "id is 32 lowercase hexadecimal digits)", id);
		return (NULL);
	}
	if (cs->ops->hosts(cs, id, &h, &n, &cause) == -1) {
		api_store_failed(r, "host", cause);
		return (NULL);
	}
	if (n == 0) {
		http_error(r->req, 404, "not_found", "no host %s", id);
		return (NULL);
	}
	return (h);
}

/* GET /api/v1/hosts/{id}: the host and its latest verdicts. */
static void
api_host(struct api_req *r, const char *id)
{
	struct cstore		*cs = r->ctx->store;
	struct cstore_host	*h;
	struct cstore_latest	*l;
	json_t			*a;
	char			*cause;
	size_t			 i, n;

	if ((h = api_one_host(r, id)) == NULL)
		return;
	if (cs->ops->latest(cs, id, &l, &n, &cause) == -1) {
		cstore_hosts_free(h, 1);
		api_store_failed(r, "latest verdicts", cause);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:o,"
		    "s:o}", "check", l[i].check_id, "status", l[i].status,
		    "severity", l[i].severity, "message", l[i].message,
		    "controls", api_json_text(l[i].controls), "since",
		    api_time(l[i].since)));
	cstore_latest_free(l, n);
	http_reply_json(r->req, 200, json_pack("{s:o,s:o}", "host",
	    api_host_json(r, h), "results", a));
	cstore_hosts_free(h, 1);
}

/* GET /api/v1/hosts/{id}/results?as_of=T (auditor) */
static void
api_host_results(struct api_req *r, const char *id)
{
	struct cstore		*cs = r->ctx->store;
	struct cstore_host	*h;
	struct cstore_change	*c;
	json_t			*a, *sum;
	char			*cause;
	size_t			 i, n;
	time_t			 as_of = r->now;
	json_int_t		 k;

	if (api_time_param(r, "as_of", &as_of) == -1)
		return;
	if ((h = api_one_host(r, id)) == NULL)
		return;
	cstore_hosts_free(h, 1);
	if (cs->ops->results_as_of(cs, id, as_of, &c, &n, &cause) == -1) {
		api_store_failed(r, "results as of", cause);
		return;
	}
	a = json_array();
	sum = json_pack("{s:i,s:i,s:i,s:i}", "pass", 0, "fail", 0, "error",
	    0, "not_applicable", 0);
	for (i = 0; i < n; i++) {
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}",
		    "check", c[i].check_id, "status", c[i].status, "message",
		    c[i].message, "since", api_time(c[i].at)));
		k = json_integer_value(json_object_get(sum, c[i].status));
		json_object_set_new(sum, c[i].status, json_integer(k + 1));
	}
	cstore_changes_free(c, n);
	http_reply_json(r->req, 200, json_pack("{s:s,s:o,s:o,s:o}",
	    "host_id", id, "as_of", api_time(as_of), "summary", sum,
	    "results", a));
}

/* Whether s is an Annex A (2022) control, "A.5.1" to "A.8.34". */
static int
api_annex_a_control(const char *s, int *theme, int *num)
{
	char	*end;
	long	 t, c;

	if (strncmp(s, "A.", 2) != 0 || !isdigit((unsigned char)s[2]))
		return (0);
	t = strtol(s + 2, &end, 10);
	if (*end != '.' || t < 5 || t > 8 || !isdigit((unsigned char)end[1]))
		return (0);
	c = strtol(end + 1, &end, 10);
	if (*end != '\0' || c < 1 || c > api_annex_a[t - 5])
		return (0);
	*theme = (int)t;
	*num = (int)c;
	return (1);
}

/* Annex A order: A.5.9 before A.5.10. */
static int
api_control_cmp(const void *a, const void *b)
{
	const struct cstore_control	*ca = a, *cb = b;
	int				 ta, na, tb, nb;

	if (!api_annex_a_control(ca->control, &ta, &na) ||
	    !api_annex_a_control(cb->control, &tb, &nb))
		return (strcmp(ca->control, cb->control));
	if (ta != tb)
		return (ta - tb);
	return (na - nb);
}

/* GET /api/v1/controls */
static void
api_controls(struct api_req *r)
{
	struct cstore		*cs = r->ctx->store;
	struct cstore_control	*c;
	json_t			*a;
	char			*cause;
	size_t			 i, n;
	int			 t, k;

	if (cs->ops->controls(cs, &c, &n, &cause) == -1) {
		api_store_failed(r, "controls", cause);
		return;
	}
	qsort(c, n, sizeof *c, api_control_cmp);
	a = json_array();
	for (i = 0; i < n; i++) {
		if (!api_annex_a_control(c[i].control, &t, &k))
			continue;
		json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:I,s:I,"
		    "s:I}", "control", c[i].control, "hosts",
		    (json_int_t)(c[i].pass + c[i].fail + c[i].error +
		    c[i].not_applicable), "pass", (json_int_t)c[i].pass,
		    "fail", (json_int_t)c[i].fail, "error",
		    (json_int_t)c[i].error, "not_applicable",
		    (json_int_t)c[i].not_applicable));
	}
	cstore_controls_free(c, n);
	http_reply_json(r->req, 200, json_pack("{s:o}", "controls", a));
}

/* GET /api/v1/drift?since=T */
static void
api_drift(struct api_req *r)
{
	struct cstore		*cs = r->ctx->store;
	struct cstore_change	*c;
	json_t			*a;
	char			*cause;
	size_t			 i, n;
	time_t			 since;
	int			 more, rv;

	if ((rv = api_time_param(r, "since", &since)) == -1)
		return;
	if (rv == 1) {
		http_error(r->req, 400, "malformed", "since: an RFC 3339 time "
		    "is required");
		return;
	}
	if (cs->ops->drift(cs, since, API_MAX_DRIFT, &c, &n, &more,
	    &cause) == -1) {
		api_store_failed(r, "drift", cause);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s?,s:s,s:s,"
		    "s:o}", "host_id", c[i].host_id, "check", c[i].check_id,
		    "old", c[i].old_status, "new", c[i].status, "message",
		    c[i].message, "at", api_time(c[i].at)));
	cstore_changes_free(c, n);
	http_reply_json(r->req, 200, json_pack("{s:o,s:o,s:b}", "since",
	    api_time(since), "changes", a, "truncated", more));
}

/* GET /metrics: Prometheus text format 0.0.4. */
static void
api_metrics(struct api_req *r)
{
	struct cstore		*cs = r->ctx->store;
	struct evkeyvalq	*out;
	struct evbuffer		*b;
	int64_t			 hosts, stale;
	char			*cause;
	int			 code;

	if (cs->ops->host_counts(cs, r->now - r->ctx->stale_after, &hosts,
	    &stale, &cause) == -1) {
		api_store_failed(r, "metrics", cause);
		return;
	}
	out = evhttp_request_get_output_headers(r->req);
	if ((b = evbuffer_new()) == NULL)
		fatalx("%s: evbuffer_new", __func__);
	evbuffer_add_printf(b,
	    "# HELP isms_collector_hosts Hosts enrolled.\n"
	    "# TYPE isms_collector_hosts gauge\n"
	    "isms_collector_hosts %lld\n"
	    "# HELP isms_collector_hosts_stale Hosts silent for longer than "
	    "stale_after.\n"
	    "# TYPE isms_collector_hosts_stale gauge\n"
	    "isms_collector_hosts_stale %lld\n"
	    "# HELP isms_collector_reports_total Reports stored since the "
	    "collector started.\n"
	    "# TYPE isms_collector_reports_total counter\n"
	    "isms_collector_reports_total %llu\n"
	    "# HELP isms_collector_reports_duplicate_total Reports "
	    "acknowledged as duplicates since the collector started.\n"
	    "# TYPE isms_collector_reports_duplicate_total counter\n"
	    "isms_collector_reports_duplicate_total %llu\n"
	    "# HELP isms_collector_http_requests_total HTTP answers by "
	    "status code since the collector started.\n"
	    "# TYPE isms_collector_http_requests_total counter\n",
	    (long long)hosts, (long long)stale,
	    (unsigned long long)collectord_stats.reports,
	    (unsigned long long)collectord_stats.duplicates);
	for (code = 100; code < COLLECTORD_MAX_CODE; code++)
		if (collectord_stats.codes[code] != 0)
			evbuffer_add_printf(b, "isms_collector_http_requests_"
			    "total{code=\"%d\"} %llu\n", code,
			    (unsigned long long)collectord_stats.codes[code]);
	evhttp_add_header(out, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(out, "Cache-Control", "no-store");
	collectord_stats.codes[200]++;
	evhttp_send_reply(r->req, 200, "OK", b);
	evbuffer_free(b);
}

/*
 * The fleet API's requests: /metrics and /api/v1/ paths other than
 * enroll and reports.  Answers every request it is given (404 for a
 * path it does not know).
 */
void
api_request(struct api_ctx *ctx, struct evhttp_request *req,
    const char *path)
{
	struct api_req	 r;
	const char	*rest, *id_end, *query;
	char		*id = NULL;
	int		 need, cmd = evhttp_request_get_command(req);
	enum { HOSTS, HOST, RESULTS, CONTROLS, DRIFT, METRICS } what;

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.req = req;
	r.now = time(NULL);
	TAILQ_INIT(&r.query);

	need = CSTORE_ROLE_VIEWER;
	if (strcmp(path, "/metrics") == 0) {
		what = METRICS;
		need = CSTORE_ROLE_NONE;
	} else if (strcmp(path, API_PREFIX "hosts") == 0)
		what = HOSTS;
	else if (strcmp(path, API_PREFIX "controls") == 0)
		what = CONTROLS;
	else if (strcmp(path, API_PREFIX "drift") == 0)
		what = DRIFT;
	else if (strncmp(path, API_PREFIX "hosts/", 14) == 0 &&
	    path[14] != '\0') {
		rest = path + 14;
		if ((id_end = strchr(rest, '/')) == NULL) {
			what = HOST;
			id = xstrdup(rest);
		} else if (strcmp(id_end, "/results") == 0) {
			what = RESULTS;
			need = CSTORE_ROLE_AUDITOR;
			id = xstrndup(rest, id_end - rest);
		} else
			goto not_found;
	} else
		goto not_found;

	if (cmd != EVHTTP_REQ_GET) {
		http_error(req, 405, "method_not_allowed", "%s takes GET",
		    path);
		goto out;
	}
	if (need != CSTORE_ROLE_NONE && api_auth(&r, need) == CSTORE_ROLE_NONE)
		goto out;
	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query != NULL && evhttp_parse_query_str(query, &r.query) == -1) {
		http_error(req, 400, "malformed", "the query string could not "
		    "be parsed");
		goto out;
	}
	switch (what) {
	case HOSTS:
		api_hosts(&r);
		break;
	case HOST:
		api_host(&r, id);
		break;
	case RESULTS:
		api_host_results(&r, id);
		break;
	case CONTROLS:
		api_controls(&r);
		break;
	case DRIFT:
		api_drift(&r);
		break;
	case METRICS:
		api_metrics(&r);
		break;
	}
	goto out;
not_found:
	http_error(req, 404, "not_found", "no such endpoint: %.200s", path);
out:
	evhttp_clear_headers(&r.query);
	free(id);
}
