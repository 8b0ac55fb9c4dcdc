/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The wording of every alert.  A drift event (a verdict change, a
 * flapping check, the daily summary of still-failing checks) becomes a
 * key=value line for syslog(3), an RFC 5424 message for a remote SIEM,
 * or the body of a Slack, Microsoft Teams or generic JSON webhook.
 * Nothing here does I/O except alert_syslog(): the engine queues the
 * bodies and the net process delivers them.
 *
 * Every field of an event may be NULL.  Text from the host (hostnames,
 * result messages quoting file contents) is untrusted: it may hold
 * quotes, newlines or bytes that are not UTF-8, so every output escapes
 * or replaces what its format cannot carry, and the JSON bodies are
 * always valid UTF-8 (jansson refuses anything else).
 *
 * The key=value line, in this order, absent values left out:
 *	event=drift|flapping|summary host= host_id= check= severity=
 *	controls=A.8.24,A.5.1 controls_2013= old=(status or "new") new=
 *	observed= threshold= at=(RFC 3339 UTC) failing=(count, summaries)
 * A value is written bare when it is printable ASCII without space,
 * '"', '=' or '\'; otherwise in double quotes with \" \\ \n \r \t and
 * \xHH (other control characters, C1 controls, U+2028/U+2029 and bytes
 * that are not UTF-8) escaped, so the line is one line and parses back.
 *
 * The generic JSON body (schema isms-agent/alert/v1) has every key,
 * null when unknown: schema, event, id (a UUID per event, the same for
 * every destination and every retry: delivery is at least once, so
 * receivers drop repeats by it), host, host_id, check, title,
 * severity, controls (array), controls_2013 (array), old (null for a new
 * check), new, observed, threshold, at; summaries add "failing":
 * [{check, title, severity, message, since}].
 *
 * isms-collectord words its fleet events with the same code: a host
 * silent for longer than stale_after (event=host_stale) and a host
 * reporting again after that alert (event=host_back).  Their key=value
 * line is "event= host= host_id= last_seen=(RFC 3339, or "never")
 * stale_after=(seconds) at=", and their JSON body adds "last_seen"
 * (null: never reported) and "stale_after" (seconds); check fields are
 * null.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agentd.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define ALERT_SCHEMA		"isms-agent/alert/v1"

/* RFC 5424 §6.3.2: private SD-ID; 32473 is the example PEN (RFC 5612). */
#define RFC5424_SDID		"isms@32473"
#define RFC5424_HOSTNAME_MAX	255	/* octets, RFC 5424 §6.2.4 */
#define RFC5424_APPNAME_MAX	48	/* octets, §6.2.5 */
#define RFC5424_PROCID_MAX	128	/* octets, §6.2.6 */
#define RFC5424_MSGID_MAX	32	/* octets, §6.2.7 */
#define RFC5424_FAC_MAX		23	/* local7 */
#define UTF8_BOM		"\xef\xbb\xbf"
#define UTF8_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */
#define ELLIPSIS		"\xe2\x80\xa6"	/* U+2026 */

/* Slack Block Kit limits, in characters (bytes are a safe bound). */
#define SLACK_HEADER_MAX	150
#define SLACK_FIELD_MAX		2000
#define SLACK_SECTION_MAX	3000
#define SLACK_TEXT_MAX		3000	/* the notification fallback */
#define SLACK_BLOCKS_MAX	50

/* Summaries list this many failing checks, then "and N more". */
#define SUMMARY_MAX_ITEMS	20
#define SUMMARY_TITLE_MAX	200	/* bytes of a listed title */
#define SUMMARY_MESSAGE_MAX	500	/* bytes of a listed message */
#define TEAMS_VALUE_MAX		2000	/* bytes of a fact value */

#define TXT_MRKDWN	0x1	/* escape &, < and > for Slack */
#define TXT_ONELINE	0x2	/* control characters become spaces */

struct abuf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

struct fact {
	const char	*label;
	char		*value;
};
#define ALERT_FACTS_MAX	8

static void
abuf_add(struct abuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size == 0 ? 256 : b->size * 2;
		b->p = xreallocarray(b->p, 1, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
abuf_adds(struct abuf *b, const char *s)
{
	abuf_add(b, s, strlen(s));
}

static void
abuf_addc(struct abuf *b, char c)
{
	abuf_add(b, &c, 1);
}

static void __attribute__((format(printf, 2, 3)))
abuf_printf(struct abuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("%s: vasprintf", __func__);
	abuf_add(b, s, n);
	free(s);
}

/* The buffer's string, never NULL; the buffer is left empty. */
static char *
abuf_finish(struct abuf *b)
{
	char	*s;

	if (b->p == NULL)
		return (xstrdup(""));
	s = b->p;
	b->p = NULL;
	b->len = b->size = 0;
	return (s);
}

/* Whether a UTF-8 sequence is a C1 control or a Unicode line break. */
static int
utf8_is_break(const unsigned char *s, size_t n)
{
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return (1);		/* U+0080..U+009F, NEL among them */
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] == 0xa8 || s[2] == 0xa9))
		return (1);		/* U+2028, U+2029 */
	return (0);
}

/*
 * Appends s as well-formed UTF-8 (bad bytes become U+FFFD), escaped as
 * flags say, using at most max bytes (0: no limit); a cut text ends
 * with an ellipsis and is cut between characters, never inside one.
 */
static void
txt_add(struct abuf *b, const char *s, size_t max, int flags)
{
	const unsigned char	*p = (const unsigned char *)s;
	const char		*rep;
	size_t			 left, n, rlen, start = b->len, keep = 0;

	if (max != 0 && max < sizeof ELLIPSIS)
		max = sizeof ELLIPSIS;
	left = strlen(s);
	while (left > 0) {
		n = utf8_seq(p, left);
		rep = (const char *)p;
		rlen = n;
		if (n == 0) {
			rep = UTF8_REPLACEMENT;
			rlen = sizeof UTF8_REPLACEMENT - 1;
			n = 1;
		} else if ((flags & TXT_ONELINE) && (*p < 0x20 ||
		    *p == 0x7f || utf8_is_break(p, n))) {
			rep = " ";
			rlen = 1;
		} else if ((flags & TXT_MRKDWN) && *p == '&') {
			rep = "&amp;";
			rlen = 5;
		} else if ((flags & TXT_MRKDWN) && *p == '<') {
			rep = "&lt;";
			rlen = 4;
		} else if ((flags & TXT_MRKDWN) && *p == '>') {
			rep = "&gt;";
			rlen = 4;
		}
		abuf_add(b, rep, rlen);
		if (max != 0 && b->len - start <= max - (sizeof ELLIPSIS - 1))
			keep = b->len - start;
		p += n;
		left -= n;
		if (max != 0 && b->len - start > max)
			break;
	}
	if (max != 0 && b->len - start > max) {
		b->len = start + keep;
		b->p[b->len] = '\0';
		abuf_adds(b, ELLIPSIS);
	}
}

/* A new string of txt_add(). */
static char *
txt_new(const char *s, size_t max, int flags)
{
	struct abuf	b = { NULL, 0, 0 };

	txt_add(&b, s, max, flags);
	return (abuf_finish(&b));
}

/* A JSON string of s made well-formed (and cut, and escaped), or null. */
static json_t *
jstr(const char *s, size_t max, int flags)
{
	json_t	*j;
	char	*t;

	if (s == NULL)
		return (json_null());
	t = txt_new(s, max, flags);
	if ((j = json_string(t)) == NULL)
		fatalx("%s: json_string", __func__);
	free(t);
	return (j);
}

static const char *
alert_event_name(enum drift_kind kind)
{
	switch (kind) {
	case DRIFT_CHANGE:
		return ("drift");
	case DRIFT_FLAPPING:
		return ("flapping");
	case DRIFT_SUMMARY:
		return ("summary");
	case DRIFT_HOST_STALE:
		return ("host_stale");
	case DRIFT_HOST_BACK:
		return ("host_back");
	}
	return ("drift");
}

/* Whether the event is about a host (isms-collectord), not a check. */
static int
alert_is_host(const struct drift_event *ev)
{
	return (ev->kind == DRIFT_HOST_STALE || ev->kind == DRIFT_HOST_BACK);
}

/* Whether the event is about one check (it has an old status). */
static int
alert_is_check(const struct drift_event *ev)
{
	return (ev->kind == DRIFT_CHANGE || ev->kind == DRIFT_FLAPPING);
}

/* A host event's last report as RFC 3339 UTC, or "never". */
static const char *
alert_last_seen(const struct drift_event *ev, char *buf, size_t len)
{
	if (ev->last_seen == 0)
		return ("never");
	time_format_rfc3339(ev->last_seen, buf, len);
	return (buf);
}

/*
 * A recovery (or a new check that passes, or a host reporting again) is
 * a notice, the rest warnings.
 */
static int
alert_priority(const struct drift_event *ev)
{
	if (ev->kind == DRIFT_HOST_BACK)
		return (LOG_NOTICE);
	if (ev->kind == DRIFT_CHANGE && ev->new_status != NULL &&
	    strcmp(ev->new_status, "pass") == 0)
		return (LOG_NOTICE);
	return (LOG_WARNING);
}

/* The event's time as RFC 3339 UTC, or NULL when unknown (0). */
static const char *
alert_time(const struct drift_event *ev, char *buf, size_t len)
{
	if (ev->at == 0)
		return (NULL);
	time_format_rfc3339(ev->at, buf, len);
	return (buf);
}

/* Comma-joined strings of an array, or NULL when there are none. */
static char *
alert_join(const json_t *arr, const char *sep)
{
	struct abuf	 b = { NULL, 0, 0 };
	const char	*s;
	size_t		 i;

	for (i = 0; i < json_array_size(arr); i++) {
		if ((s = json_string_value(json_array_get(arr, i))) == NULL)
			continue;
		if (b.len != 0)
			abuf_adds(&b, sep);
		abuf_adds(&b, s);
	}
	if (b.len == 0)
		return (NULL);
	return (abuf_finish(&b));
}

static size_t
alert_nfailing(const struct drift_event *ev)
{
	return (json_array_size(ev->failing));
}

/* Whether a key=value value can be written without quotes. */
static int
kv_bare(const char *v)
{
	const unsigned char	*p;

	if (*v == '\0')
		return (0);
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' ||
		    *p == '\\')
			return (0);
	}
	return (1);
}

/* Appends " key=value", quoting and escaping the value when needed. */
static void
kv_add(struct abuf *b, const char *key, const char *v)
{
	const unsigned char	*p;
	size_t			 left, n, i;

	if (v == NULL)
		return;
	if (b->len != 0)
		abuf_addc(b, ' ');
	abuf_adds(b, key);
	abuf_addc(b, '=');
	if (kv_bare(v)) {
		abuf_adds(b, v);
		return;
	}
	abuf_addc(b, '"');
	p = (const unsigned char *)v;
	left = strlen(v);
	while (left > 0) {
		n = 1;
		if (*p == '"')
			abuf_adds(b, "\\\"");
		else if (*p == '\\')
			abuf_adds(b, "\\\\");
		else if (*p == '\n')
			abuf_adds(b, "\\n");
		else if (*p == '\r')
			abuf_adds(b, "\\r");
		else if (*p == '\t')
			abuf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			abuf_printf(b, "\\x%02x", *p);
		else if (*p < 0x80)
			abuf_addc(b, *p);
		else if ((n = utf8_seq(p, left)) == 0) {
			abuf_printf(b, "\\x%02x", *p);
			n = 1;
		} else if (utf8_is_break(p, n)) {
			for (i = 0; i < n; i++)
				abuf_printf(b, "\\x%02x", p[i]);
		} else
			abuf_add(b, (const char *)p, n);
		p += n;
		left -= n;
	}
	abuf_addc(b, '"');
}

char *
alert_kv_line(const struct drift_event *ev)
{
	struct abuf	 b = { NULL, 0, 0 };
	char		*c22, *c13, ts[RFC3339_LEN], nf[32];
	char		 ls[RFC3339_LEN];

	c22 = alert_join(ev->controls, ",");
	c13 = alert_join(ev->controls_2013, ",");
	kv_add(&b, "event", alert_event_name(ev->kind));
	kv_add(&b, "host", ev->host);
	kv_add(&b, "host_id", ev->host_id);
	kv_add(&b, "check", ev->check);
	kv_add(&b, "severity", ev->severity);
	kv_add(&b, "controls", c22);
	kv_add(&b, "controls_2013", c13);
	if (alert_is_check(ev))
		kv_add(&b, "old", ev->old_status != NULL ? ev->old_status :
		    "new");
	kv_add(&b, "new", ev->new_status);
	kv_add(&b, "observed", ev->observed);
	kv_add(&b, "threshold", ev->threshold);
	if (alert_is_host(ev)) {
		kv_add(&b, "last_seen", alert_last_seen(ev, ls, sizeof ls));
		snprintf(nf, sizeof nf, "%lld", (long long)ev->stale_after);
		kv_add(&b, "stale_after", nf);
	}
	kv_add(&b, "at", alert_time(ev, ts, sizeof ts));
	if (ev->kind == DRIFT_SUMMARY) {
		snprintf(nf, sizeof nf, "%zu", alert_nfailing(ev));
		kv_add(&b, "failing", nf);
	}
	free(c22);
	free(c13);
	return (abuf_finish(&b));
}

void
alert_syslog(const struct drift_event *ev)
{
	char	*line;

	line = alert_kv_line(ev);
	syslog(alert_priority(ev), "%s", line);
	free(line);
}

/*
 * An RFC 5424 header field: PRINTUSASCII only (anything else becomes
 * '_'), at most max octets, NILVALUE when empty.
 */
static void
rfc5424_field(struct abuf *b, const char *v, size_t max)
{
	size_t	i;

	if (v == NULL || *v == '\0') {
		abuf_addc(b, '-');
		return;
	}
	for (i = 0; v[i] != '\0' && i < max; i++) {
		if ((unsigned char)v[i] >= 33 && (unsigned char)v[i] <= 126)
			abuf_addc(b, v[i]);
		else
			abuf_addc(b, '_');
	}
}

/*
 * An SD-PARAM: '"', '\' and ']' escaped as RFC 5424 §6.3.3 requires,
 * the value made well-formed UTF-8, control characters made spaces so
 * that receivers splitting on newlines keep the message whole.
 */
static void
rfc5424_param(struct abuf *b, const char *name, const char *v)
{
	char		*t, *p;

	if (v == NULL)
		return;
	abuf_addc(b, ' ');
	abuf_adds(b, name);
	abuf_adds(b, "=\"");
	t = txt_new(v, 0, TXT_ONELINE);
	for (p = t; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == ']')
			abuf_addc(b, '\\');
		abuf_addc(b, *p);
	}
	free(t);
	abuf_addc(b, '"');
}

/*
 * The facility is the RFC 5424 code 0..23 (LOG_FAC(LOG_LOCAL0) is 16);
 * a <syslog.h> LOG_* value above 23 is accepted too, anything else is
 * taken as "user".
 */
static int
rfc5424_facility(int facility)
{
	if (facility >= 0 && facility <= RFC5424_FAC_MAX)
		return (facility);
	if (facility > 0 && (facility & 7) == 0 &&
	    (facility >> 3) <= RFC5424_FAC_MAX)
		return (facility >> 3);
	return (LOG_FAC(LOG_USER));
}

char *
alert_rfc5424(const struct drift_event *ev, int facility,
    const char *app_name, const char *procid, size_t *len)
{
	struct abuf	 b = { NULL, 0, 0 };
	char		*kv, *c22, *c13, *out, ts[RFC3339_LEN], nf[32];
	char		 ls[RFC3339_LEN];
	const char	*at;
	int		 n;

	at = alert_time(ev, ts, sizeof ts);
	abuf_printf(&b, "<%d>1 %s ",
	    rfc5424_facility(facility) * 8 + alert_priority(ev),
	    at != NULL ? at : "-");
	rfc5424_field(&b, ev->host, RFC5424_HOSTNAME_MAX);
	abuf_addc(&b, ' ');
	rfc5424_field(&b, app_name, RFC5424_APPNAME_MAX);
	abuf_addc(&b, ' ');
	rfc5424_field(&b, procid, RFC5424_PROCID_MAX);
	abuf_addc(&b, ' ');
	rfc5424_field(&b, alert_event_name(ev->kind), RFC5424_MSGID_MAX);

	c22 = alert_join(ev->controls, ",");
	c13 = alert_join(ev->controls_2013, ",");
	abuf_adds(&b, " [" RFC5424_SDID);
	rfc5424_param(&b, "event", alert_event_name(ev->kind));
	rfc5424_param(&b, "host", ev->host);
	rfc5424_param(&b, "host_id", ev->host_id);
	rfc5424_param(&b, "check", ev->check);
	rfc5424_param(&b, "title", ev->title);
	rfc5424_param(&b, "severity", ev->severity);
	rfc5424_param(&b, "controls", c22);
	rfc5424_param(&b, "controls_2013", c13);
	if (alert_is_check(ev))
		rfc5424_param(&b, "old", ev->old_status != NULL ?
		    ev->old_status : "new");
	rfc5424_param(&b, "new", ev->new_status);
	rfc5424_param(&b, "observed", ev->observed);
	rfc5424_param(&b, "threshold", ev->threshold);
	if (alert_is_host(ev)) {
		rfc5424_param(&b, "last_seen", alert_last_seen(ev, ls,
		    sizeof ls));
		snprintf(nf, sizeof nf, "%lld", (long long)ev->stale_after);
		rfc5424_param(&b, "stale_after", nf);
	}
	if (ev->kind == DRIFT_SUMMARY) {
		snprintf(nf, sizeof nf, "%zu", alert_nfailing(ev));
		rfc5424_param(&b, "failing", nf);
	}
	abuf_addc(&b, ']');
	free(c22);
	free(c13);

	/* §6.4: a MSG starting with the BOM is UTF-8; the line always is. */
	kv = alert_kv_line(ev);
	abuf_adds(&b, " " UTF8_BOM);
	abuf_adds(&b, kv);
	free(kv);

	/* RFC 6587 §3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG. */
	n = xasprintf(&out, "%zu %s", b.len, b.p);
	free(b.p);
	if (len != NULL)
		*len = n;
	return (out);
}

/* "FAIL: Root filesystem is encrypted", "Flapping: ...", a summary's. */
static char *
alert_headline(const struct drift_event *ev)
{
	const char	*what, *label, *st = ev->new_status;
	char		*s;

	what = ev->title != NULL ? ev->title : ev->check != NULL ? ev->check :
	    "unknown check";
	if (alert_is_host(ev))
		what = ev->host != NULL ? ev->host : ev->host_id != NULL ?
		    ev->host_id : "unknown host";
	switch (ev->kind) {
	case DRIFT_HOST_STALE:
		xasprintf(&s, "Host silent: %s", what);
		return (s);
	case DRIFT_HOST_BACK:
		xasprintf(&s, "Reporting again: %s", what);
		return (s);
	case DRIFT_FLAPPING:
		xasprintf(&s, "Flapping: %s", what);
		return (s);
	case DRIFT_SUMMARY:
		xasprintf(&s, "Still failing: %zu check%s%s%s",
		    alert_nfailing(ev), alert_nfailing(ev) == 1 ? "" : "s",
		    ev->host != NULL ? " on " : "",
		    ev->host != NULL ? ev->host : "");
		return (s);
	case DRIFT_CHANGE:
		break;
	}
	if (st == NULL)
		label = "CHANGED";
	else if (strcmp(st, "pass") == 0)
		label = ev->old_status != NULL ? "RECOVERED" : "PASS";
	else if (strcmp(st, "fail") == 0)
		label = "FAIL";
	else if (strcmp(st, "error") == 0)
		label = "ERROR";
	else if (strcmp(st, "not_applicable") == 0)
		label = "N/A";
	else
		label = st;
	xasprintf(&s, "%s: %s", label, what);
	return (s);
}

/* The facts shown by Slack and Teams for a single check; returns count. */
static size_t
alert_facts(const struct drift_event *ev, struct fact *f)
{
	size_t	n = 0;
	char	*s;

	if (ev->host != NULL) {
		f[n].label = "Host";
		f[n++].value = xstrdup(ev->host);
	}
	if (ev->check != NULL) {
		f[n].label = "Check";
		f[n++].value = xstrdup(ev->check);
	}
	if ((s = alert_join(ev->controls, ", ")) != NULL) {
		f[n].label = "Controls (2022)";
		f[n++].value = s;
	}
	if ((s = alert_join(ev->controls_2013, ", ")) != NULL) {
		f[n].label = "Controls (2013)";
		f[n++].value = s;
	}
	if (ev->severity != NULL) {
		f[n].label = "Severity";
		f[n++].value = xstrdup(ev->severity);
	}
	if (ev->new_status != NULL || ev->old_status != NULL) {
		f[n].label = "Old \xe2\x86\x92 New";
		xasprintf(&f[n++].value, "%s \xe2\x86\x92 %s",
		    ev->old_status != NULL ? ev->old_status : "new",
		    ev->new_status != NULL ? ev->new_status : "unknown");
	}
	if (ev->observed != NULL) {
		f[n].label = "Observed";
		f[n++].value = xstrdup(ev->observed);
	}
	if (ev->threshold != NULL) {
		f[n].label = "Threshold";
		f[n++].value = xstrdup(ev->threshold);
	}
	if (alert_is_host(ev)) {
		if (ev->host_id != NULL) {
			f[n].label = "Host ID";
			f[n++].value = xstrdup(ev->host_id);
		}
		f[n].label = "Last report";
		if (ev->last_seen == 0)
			f[n++].value = xstrdup("never");
		else {
			f[n].value = xmalloc(RFC3339_LEN);
			time_format_rfc3339(ev->last_seen, f[n++].value,
			    RFC3339_LEN);
		}
		f[n].label = "Silent for more than";
		f[n++].value = duration_format(ev->stale_after);
	}
	return (n);
}

static void
alert_facts_free(struct fact *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(f[i].value);
}

/* A failing item's "since": an RFC 3339 string or seconds since 1970. */
static const char *
alert_since(const json_t *item, char *buf, size_t len)
{
	const json_t	*v = json_object_get(item, "since");

	if (json_is_string(v))
		return (json_string_value(v));
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		time_format_rfc3339((time_t)json_integer_value(v), buf, len);
		return (buf);
	}
	return (NULL);
}

static const char *
item_str(const json_t *item, const char *key)
{
	return (json_string_value(json_object_get(item, key)));
}

/* Slack's context element: the time shown in the reader's time zone. */
static json_t *
slack_context(const struct drift_event *ev)
{
	struct abuf	 b = { NULL, 0, 0 };
	char		 ts[RFC3339_LEN];
	json_t		*el;

	if (alert_time(ev, ts, sizeof ts) != NULL)
		abuf_printf(&b, "<!date^%lld^{date_num} {time_secs}|%s> \xc2\xb7 ",
		    (long long)ev->at, ts);
	abuf_adds(&b, "isms-agent");
	if (ev->host_id != NULL) {
		abuf_adds(&b, " \xc2\xb7 host id ");
		txt_add(&b, ev->host_id, 200, TXT_MRKDWN | TXT_ONELINE);
	}
	el = json_pack("{s:s,s:[{s:s,s:s}]}", "type", "context", "elements",
	    "type", "mrkdwn", "text", b.p);
	free(b.p);
	return (el);
}

static json_t *
slack_header(const char *text)
{
	return (json_pack("{s:s,s:{s:s,s:o,s:b}}", "type", "header", "text",
	    "type", "plain_text", "text", jstr(text, SLACK_HEADER_MAX,
	    TXT_ONELINE), "emoji", 1));
}

static json_t *
slack_section_text(const char *mrkdwn)
{
	return (json_pack("{s:s,s:{s:s,s:s}}", "type", "section", "text",
	    "type", "mrkdwn", "text", mrkdwn));
}

/* The summary: failing checks packed into sections of ≤ 3000 chars. */
static void
slack_summary(const struct drift_event *ev, json_t *blocks)
{
	struct abuf	 sec = { NULL, 0, 0 }, line = { NULL, 0, 0 };
	const json_t	*item;
	const char	*title, *sev, *msg, *since;
	char		 ts[RFC3339_LEN], *s;
	size_t		 i, n = alert_nfailing(ev);

	if (n == 0) {
		json_array_append_new(blocks, slack_section_text(
		    "No checks are failing."));
		return;
	}
	for (i = 0; i < n && i < SUMMARY_MAX_ITEMS; i++) {
		item = json_array_get(ev->failing, i);
		title = item_str(item, "title");
		if (title == NULL)
			title = item_str(item, "check");
		abuf_adds(&line, "\xe2\x80\xa2 *");
		txt_add(&line, title != NULL ? title : "unknown check",
		    SUMMARY_TITLE_MAX, TXT_MRKDWN | TXT_ONELINE);
		abuf_addc(&line, '*');
		if (item_str(item, "check") != NULL && title !=
		    item_str(item, "check")) {
			abuf_adds(&line, " (");
			txt_add(&line, item_str(item, "check"),
			    SUMMARY_TITLE_MAX, TXT_MRKDWN | TXT_ONELINE);
			abuf_addc(&line, ')');
		}
		if ((sev = item_str(item, "severity")) != NULL) {
			abuf_adds(&line, " \xc2\xb7 ");
			txt_add(&line, sev, 32, TXT_MRKDWN | TXT_ONELINE);
		}
		if ((since = alert_since(item, ts, sizeof ts)) != NULL) {
			abuf_adds(&line, " \xc2\xb7 since ");
			txt_add(&line, since, 64, TXT_MRKDWN | TXT_ONELINE);
		}
		if ((msg = item_str(item, "message")) != NULL) {
			abuf_adds(&line, "\n    ");
			txt_add(&line, msg, SUMMARY_MESSAGE_MAX,
			    TXT_MRKDWN | TXT_ONELINE);
		}
		if (sec.len != 0 && sec.len + 1 + line.len >
		    SLACK_SECTION_MAX) {
			json_array_append_new(blocks, slack_section_text(
			    sec.p));
			sec.len = 0;
		}
		if (sec.len != 0)
			abuf_addc(&sec, '\n');
		abuf_add(&sec, line.p, line.len);
		line.len = 0;
	}
	json_array_append_new(blocks, slack_section_text(sec.p));
	if (n > SUMMARY_MAX_ITEMS) {
		xasprintf(&s, ELLIPSIS "and %zu more", n - SUMMARY_MAX_ITEMS);
		json_array_append_new(blocks, slack_section_text(s));
		free(s);
	}
	free(sec.p);
	free(line.p);
}

json_t *
alert_slack(const struct drift_event *ev)
{
	struct fact	 f[ALERT_FACTS_MAX];
	struct abuf	 b = { NULL, 0, 0 };
	json_t		*blocks, *fields, *o;
	char		*head;
	size_t		 i, n;

	head = alert_headline(ev);
	blocks = json_array();
	json_array_append_new(blocks, slack_header(head));
	if (ev->kind == DRIFT_SUMMARY)
		slack_summary(ev, blocks);
	else if ((n = alert_facts(ev, f)) != 0) {
		fields = json_array();
		for (i = 0; i < n; i++) {
			abuf_printf(&b, "*%s*\n", f[i].label);
			txt_add(&b, f[i].value, SLACK_FIELD_MAX - b.len,
			    TXT_MRKDWN);
			json_array_append_new(fields, json_pack("{s:s,s:s}",
			    "type", "mrkdwn", "text", b.p));
			b.len = 0;
		}
		json_array_append_new(blocks, json_pack("{s:s,s:o}",
		    "type", "section", "fields", fields));
		alert_facts_free(f, n);
	}
	json_array_append_new(blocks, slack_context(ev));

	/* The fallback text of notifications. */
	txt_add(&b, head, 0, TXT_MRKDWN | TXT_ONELINE);
	if (alert_is_check(ev) && ev->host != NULL) {
		abuf_adds(&b, " on ");
		txt_add(&b, ev->host, 0, TXT_MRKDWN | TXT_ONELINE);
	}
	if (ev->kind != DRIFT_SUMMARY && ev->observed != NULL) {
		abuf_adds(&b, ": ");
		txt_add(&b, ev->observed, 0, TXT_MRKDWN | TXT_ONELINE);
	}
	o = json_pack("{s:o,s:o}", "text", jstr(b.p, SLACK_TEXT_MAX, 0),
	    "blocks", blocks);
	free(b.p);
	free(head);
	return (o);
}

static json_t *
teams_fact(const char *title, const char *value)
{
	return (json_pack("{s:o,s:o}", "title", jstr(title, 200, TXT_ONELINE),
	    "value", jstr(value, TEAMS_VALUE_MAX, 0)));
}

/* The Teams summary body: one fact per failing check, "and N more". */
static void
teams_summary(const struct drift_event *ev, json_t *body)
{
	const json_t	*item;
	json_t		*facts;
	const char	*title, *msg, *sev, *since;
	char		 ts[RFC3339_LEN], *v, *t;
	size_t		 i, n = alert_nfailing(ev);

	facts = json_array();
	if (ev->host != NULL)
		json_array_append_new(facts, teams_fact("Host", ev->host));
	if (ev->host_id != NULL)
		json_array_append_new(facts, teams_fact("Host ID",
		    ev->host_id));
	xasprintf(&v, "%zu", n);
	json_array_append_new(facts, teams_fact("Failing checks", v));
	free(v);
	if (alert_time(ev, ts, sizeof ts) != NULL)
		json_array_append_new(facts, teams_fact("At", ts));
	json_array_append_new(body, json_pack("{s:s,s:o}", "type", "FactSet",
	    "facts", facts));
	if (n == 0)
		return;

	facts = json_array();
	for (i = 0; i < n && i < SUMMARY_MAX_ITEMS; i++) {
		item = json_array_get(ev->failing, i);
		if ((title = item_str(item, "title")) == NULL &&
		    (title = item_str(item, "check")) == NULL)
			title = "unknown check";
		sev = item_str(item, "severity");
		msg = item_str(item, "message");
		since = alert_since(item, ts, sizeof ts);
		t = txt_new(msg != NULL ? msg : "", SUMMARY_MESSAGE_MAX,
		    TXT_ONELINE);
		xasprintf(&v, "%s%s%s%s%s%s%s",
		    item_str(item, "check") != NULL ? item_str(item, "check") :
		    "", sev != NULL ? " \xc2\xb7 " : "", sev != NULL ? sev : "",
		    since != NULL ? " \xc2\xb7 since " : "",
		    since != NULL ? since : "", *t != '\0' ? "\n" : "", t);
		json_array_append_new(facts, teams_fact(title, v));
		free(t);
		free(v);
	}
	json_array_append_new(body, json_pack("{s:s,s:b,s:o}", "type",
	    "FactSet", "separator", 1, "facts", facts));
	if (n > SUMMARY_MAX_ITEMS) {
		xasprintf(&v, ELLIPSIS "and %zu more", n - SUMMARY_MAX_ITEMS);
		json_array_append_new(body, json_pack("{s:s,s:s,s:b}",
		    "type", "TextBlock", "text", v, "wrap", 1));
		free(v);
	}
}

/*
 * A Teams "workflows" webhook (the "Send webhook alerts to a channel"
 * template): a message whose attachment is an Adaptive Card 1.4.
 */
json_t *
alert_teams(const struct drift_event *ev)
{
	struct fact	 f[ALERT_FACTS_MAX];
	json_t		*body, *facts, *card;
	char		*head, ts[RFC3339_LEN];
	size_t		 i, n;

	head = alert_headline(ev);
	body = json_array();
	json_array_append_new(body, json_pack("{s:s,s:o,s:s,s:s,s:s,s:b}",
	    "type", "TextBlock", "text", jstr(head, 0, TXT_ONELINE),
	    "weight", "Bolder", "size", "Medium",
	    "color", alert_priority(ev) == LOG_NOTICE ? "Good" : "Attention",
	    "wrap", 1));
	if (ev->kind == DRIFT_SUMMARY)
		teams_summary(ev, body);
	else {
		facts = json_array();
		n = alert_facts(ev, f);
		for (i = 0; i < n; i++)
			json_array_append_new(facts, teams_fact(f[i].label,
			    f[i].value));
		alert_facts_free(f, n);
		if (alert_time(ev, ts, sizeof ts) != NULL)
			json_array_append_new(facts, teams_fact("At", ts));
		json_array_append_new(body, json_pack("{s:s,s:o}", "type",
		    "FactSet", "facts", facts));
	}
	free(head);

	card = json_pack("{s:s,s:s,s:s,s:o,s:{s:s}}",
	    "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
	    "type", "AdaptiveCard",
	    "version", "1.4",
	    "body", body,
	    "msteams", "width", "Full");
	return (json_pack("{s:s,s:[{s:s,s:n,s:o}]}", "type", "message",
	    "attachments",
	    "contentType", "application/vnd.microsoft.card.adaptive",
	    "contentUrl",
	    "content", card));
}

/* An array of the strings of arr (never NULL). */
static json_t *
json_strings(const json_t *arr)
{
	json_t		*out;
	const char	*s;
	size_t		 i;

	out = json_array();
	for (i = 0; i < json_array_size(arr); i++) {
		if ((s = json_string_value(json_array_get(arr, i))) != NULL)
			json_array_append_new(out, jstr(s, 0, 0));
	}
	return (out);
}

/* A failing item of a summary, with only the documented keys. */
static json_t *
json_failing_item(const json_t *item)
{
	char		 ts[RFC3339_LEN];
	const char	*s;

	s = alert_since(item, ts, sizeof ts);
	return (json_pack("{s:o,s:o,s:o,s:o,s:o}",
	    "check", jstr(item_str(item, "check"), 0, 0),
	    "title", jstr(item_str(item, "title"), 0, 0),
	    "severity", jstr(item_str(item, "severity"), 0, 0),
	    "message", jstr(item_str(item, "message"), 0, 0),
	    "since", jstr(s, 0, 0)));
}

json_t *
alert_json(const struct drift_event *ev)
{
	json_t		*o, *arr;
	char		 ts[RFC3339_LEN];
	size_t		 i;

	o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o}",
	    "schema", ALERT_SCHEMA,
	    "event", alert_event_name(ev->kind),
	    "host", jstr(ev->host, 0, 0),
	    "host_id", jstr(ev->host_id, 0, 0),
	    "check", jstr(ev->check, 0, 0),
	    "title", jstr(ev->title, 0, 0),
	    "severity", jstr(ev->severity, 0, 0),
	    "controls", json_strings(ev->controls),
	    "controls_2013", json_strings(ev->controls_2013),
	    "old", jstr(ev->old_status, 0, 0),
	    "new", jstr(ev->new_status, 0, 0),
	    "observed", jstr(ev->observed, 0, 0),
	    "threshold", jstr(ev->threshold, 0, 0),
	    "at", jstr(alert_time(ev, ts, sizeof ts), 0, 0));
	if (o == NULL)
		fatalx("%s: json_pack", __func__);
	/* Delivery is at least once: the id lets a receiver drop repeats. */
	json_object_set_new(o, "id", jstr(ev->id, 0, 0));
	if (ev->kind == DRIFT_SUMMARY) {
		arr = json_array();
		for (i = 0; i < alert_nfailing(ev); i++)
			json_array_append_new(arr, json_failing_item(
			    json_array_get(ev->failing, i)));
		json_object_set_new(o, "failing", arr);
	}
	if (alert_is_host(ev)) {
		json_object_set_new(o, "last_seen", jstr(ev->last_seen == 0 ?
		    NULL : alert_last_seen(ev, ts, sizeof ts), 0, 0));
		json_object_set_new(o, "stale_after",
		    json_integer(ev->stale_after));
	}
	return (o);
}
