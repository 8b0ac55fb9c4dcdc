/*
 * Unit tests for agentd/alert.c: the key=value line parses back to the
 * event's values whatever they hold, RFC 5424 messages are checked
 * against the RFC's ABNF by a strict parser, and the Slack, Teams and
 * generic JSON bodies are read back with jansson.
 */
#undef _FORTIFY_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "agentd.h"

#define AT	1795312800	/* 2026-11-22T02:00:00Z */

static json_t	*c22, *c13;

static int
setup(void **state)
{
	c22 = json_pack("[s,s]", "A.8.24", "A.5.1");
	c13 = json_pack("[s]", "A.10.1.1");
	return (0);
}

static int
teardown(void **state)
{
	json_decref(c22);
	json_decref(c13);
	return (0);
}

static struct drift_event
fail_event(void)
{
	struct drift_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_CHANGE;
	ev.at = AT;
	ev.host = "laptop-01";
	ev.host_id = "0123456789abcdef0123456789abcdef";
	ev.check = "disk.encryption.root";
	ev.title = "Root filesystem is encrypted";
	ev.severity = "high";
	ev.controls = c22;
	ev.controls_2013 = c13;
	ev.old_status = "pass";
	ev.new_status = "fail";
	ev.observed = "root filesystem / on /dev/sda2 is not encrypted";
	ev.threshold = NULL;
	return (ev);
}

static json_t *
failing_list(size_t n, size_t msglen)
{
	json_t	*arr;
	char	 id[64], title[64], *msg;
	size_t	 i;

	arr = json_array();
	msg = malloc(msglen + 1);
	assert_non_null(msg);
	memset(msg, 'm', msglen);
	msg[msglen] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "check.number.%zu", i);
		snprintf(title, sizeof title, "Check <%zu> & co", i);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}",
		    "check", id, "title", title, "severity", "medium",
		    "message", msg, "since", "2026-11-20T02:00:00Z"));
	}
	free(msg);
	return (arr);
}

/* --- a parser for the key=value line -------------------------------- */

#define KV_MAX	32
struct kv {
	size_t	 n;
	char	*key[KV_MAX];
	char	*val[KV_MAX];
	int	 quoted[KV_MAX];
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Parses "k=v k=\"v\" ..."; returns -1 on any syntax error. */
static int
kv_parse(const char *line, struct kv *kv)
{
	const char	*p = line, *k;
	char		*v;
	size_t		 vl;
	int		 h, l;

	memset(kv, 0, sizeof *kv);
	while (*p != '\0') {
		if (kv->n == KV_MAX)
			return (-1);
		if (kv->n != 0) {
			if (*p != ' ')
				return (-1);
			p++;
		}
		k = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_')
			p++;
		if (p == k || *p != '=')
			return (-1);
		kv->key[kv->n] = strndup(k, p - k);
		p++;
		v = malloc(strlen(p) + 1);
		vl = 0;
		if (*p == '"') {
			kv->quoted[kv->n] = 1;
			for (p++; *p != '"'; p++) {
				if (*p == '\0' || (unsigned char)*p < 0x20)
					return (-1);
				if (*p != '\\') {
					v[vl++] = *p;
					continue;
				}
				switch (*++p) {
				case '"':
				case '\\':
					v[vl++] = *p;
					break;
				case 'n':
					v[vl++] = '\n';
					break;
				case 'r':
					v[vl++] = '\r';
					break;
				case 't':
					v[vl++] = '\t';
					break;
				case 'x':
					if ((h = hexval(p[1])) == -1 ||
					    (l = hexval(p[2])) == -1)
						return (-1);
					v[vl++] = h * 16 + l;
					p += 2;
					break;
				default:
					return (-1);
				}
			}
			p++;
		} else {
			if (*p == '\0' || *p == ' ')
				return (-1);
			while (*p != '\0' && *p != ' ') {
				if ((unsigned char)*p <= ' ' ||
				    (unsigned char)*p >= 0x7f || *p == '"' ||
				    *p == '=' || *p == '\\')
					return (-1);
				v[vl++] = *p++;
			}
		}
		v[vl] = '\0';
		kv->val[kv->n++] = v;
	}
	return (0);
}

static void
kv_free(struct kv *kv)
{
	size_t	i;

	for (i = 0; i < kv->n; i++) {
		free(kv->key[i]);
		free(kv->val[i]);
	}
}

static const char *
kv_get(struct kv *kv, const char *key)
{
	size_t	i;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->key[i], key) == 0)
			return (kv->val[i]);
	return (NULL);
}

/* The keys of a line joined by spaces, to check their order. */
static void
kv_keys(struct kv *kv, char *buf, size_t len)
{
	size_t	i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < kv->n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i != 0 ? " " : "",
		    kv->key[i]);
}

static void
test_kv_fail(void **state)
{
	struct drift_event	 ev = fail_event();
	char			*line;

	line = alert_kv_line(&ev);
	assert_string_equal(line,
	    "event=drift host=laptop-01 "
	    "host_id=0123456789abcdef0123456789abcdef "
	    "check=disk.encryption.root severity=high "
	    "controls=A.8.24,A.5.1 controls_2013=A.10.1.1 old=pass new=fail "
	    "observed=\"root filesystem / on /dev/sda2 is not encrypted\" "
	    "at=2026-11-22T02:00:00Z");
	free(line);
}

static void
test_kv_new_check_and_threshold(void **state)
{
	struct drift_event	 ev = fail_event();
	struct kv		 kv;
	char			*line, keys[512];

	ev.old_status = NULL;
	ev.threshold = "screen_lock.max_idle=15m, screen_lock.grace=5s";
	line = alert_kv_line(&ev);
	assert_int_equal(kv_parse(line, &kv), 0);
	kv_keys(&kv, keys, sizeof keys);
	assert_string_equal(keys, "event host host_id check severity "
	    "controls controls_2013 old new observed threshold at");
	assert_string_equal(kv_get(&kv, "old"), "new");
	assert_string_equal(kv_get(&kv, "threshold"),
	    "screen_lock.max_idle=15m, screen_lock.grace=5s");
	assert_non_null(strstr(line, "threshold=\"screen_lock.max_idle=15m, "
	    "screen_lock.grace=5s\""));
	kv_free(&kv);
	free(line);
}

static void
test_kv_roundtrip(void **state)
{
	static const char *tricky[] = {
		"ルートファイルシステムが暗号化されていません",
		"say \"hello\" \\ goodbye",
		"two\nlines\r\nand\ttab",
		"a=b",
		"",
		"\\",
		"\"",
		"bell\x07 del\x7f esc\x1b",
		"bad utf-8: \xff\xfe \xc3( \xe2\x82 end",
		"nel\xc2\x85 ls\xe2\x80\xa8 ps\xe2\x80\xa9 é",
		"trailing backslash \\",
		"\\x41 literal",
		"overlong \xe0\x80\xaf surrogate \xed\xa0\x80 big \xf4\x90\x80\x80",
	};
	struct drift_event	 ev = fail_event();
	struct kv		 kv;
	char			*line;
	size_t			 i;

	for (i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
		ev.observed = tricky[i];
		ev.title = tricky[i];
		ev.host = tricky[(i + 1) % (sizeof tricky / sizeof tricky[0])];
		ev.threshold = tricky[i];
		line = alert_kv_line(&ev);
		assert_null(strchr(line, '\n'));
		assert_null(strchr(line, '\r'));
		assert_null(strstr(line, "\xe2\x80\xa8"));
		assert_null(strstr(line, "\xc2\x85"));
		assert_null(strstr(line, "\xed\xa0\x80"));
		assert_null(strstr(line, "\xf4\x90\x80\x80"));
		assert_null(strstr(line, "\xe0\x80\xaf"));
		assert_int_equal(kv_parse(line, &kv), 0);
		assert_string_equal(kv_get(&kv, "observed"), tricky[i]);
		assert_string_equal(kv_get(&kv, "threshold"), tricky[i]);
		assert_string_equal(kv_get(&kv, "host"), ev.host);
		assert_string_equal(kv_get(&kv, "check"),
		    "disk.encryption.root");
		assert_string_equal(kv_get(&kv, "at"), "2026-11-22T02:00:00Z");
		kv_free(&kv);
		free(line);
	}
}

static void
test_kv_nulls(void **state)
{
	struct drift_event	 ev;
	struct kv		 kv;
	json_t			*failing;
	char			*line, keys[256];

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_SUMMARY;
	line = alert_kv_line(&ev);
	assert_string_equal(line, "event=summary failing=0");
	free(line);

	failing = failing_list(3, 10);
	ev.failing = failing;
	ev.host = "h";
	ev.at = AT;
	line = alert_kv_line(&ev);
	assert_int_equal(kv_parse(line, &kv), 0);
	kv_keys(&kv, keys, sizeof keys);
	assert_string_equal(keys, "event host at failing");
	assert_string_equal(kv_get(&kv, "failing"), "3");
	kv_free(&kv);
	free(line);
	json_decref(failing);

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_FLAPPING;
	ev.controls = json_array_get(c22, 0);	/* not an array */
	line = alert_kv_line(&ev);
	assert_string_equal(line, "event=flapping old=new");
	free(line);
}

/* --- syslog(3), interposed ------------------------------------------ */

static int	 sl_calls, sl_pri;
static char	 sl_fmt[16], sl_msg[8192];

void	syslog(int, const char *, ...);
void	__syslog_chk(int, int, const char *, ...);

static void
sl_record(int pri, const char *fmt, va_list ap)
{
	sl_calls++;
	sl_pri = pri;
	snprintf(sl_fmt, sizeof sl_fmt, "%s", fmt);
	vsnprintf(sl_msg, sizeof sl_msg, fmt, ap);
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sl_record(pri, fmt, ap);
	va_end(ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sl_record(pri, fmt, ap);
	va_end(ap);
}

static void
test_syslog(void **state)
{
	struct drift_event	 ev = fail_event();
	char			*line;

	ev.observed = "100% of \"%s\" and %n";
	sl_calls = 0;
	alert_syslog(&ev);
	assert_int_equal(sl_calls, 1);
	assert_int_equal(sl_pri, LOG_WARNING);
	assert_string_equal(sl_fmt, "%s");
	line = alert_kv_line(&ev);
	assert_string_equal(sl_msg, line);
	free(line);

	ev.old_status = "fail";
	ev.new_status = "pass";
	alert_syslog(&ev);
	assert_int_equal(sl_calls, 2);
	assert_int_equal(sl_pri, LOG_NOTICE);

	ev.old_status = "pass";
	ev.new_status = "error";
	alert_syslog(&ev);
	assert_int_equal(sl_pri, LOG_WARNING);

	ev.kind = DRIFT_FLAPPING;
	ev.new_status = "pass";
	alert_syslog(&ev);
	assert_int_equal(sl_pri, LOG_WARNING);
	assert_non_null(strstr(sl_msg, "event=flapping "));
}

/* --- a strict RFC 5424 / RFC 6587 parser ---------------------------- */

#define SD_MAX	32
struct syslog_msg {
	int	 pri;
	char	 timestamp[64];
	char	 hostname[256];
	char	 app_name[49];
	char	 procid[129];
	char	 msgid[33];
	char	 sdid[33];
	size_t	 nparams;
	char	*pname[SD_MAX];
	char	*pvalue[SD_MAX];
	int	 bom;
	char	*msg;
};

static int
is_printusascii(int c)
{
	return (c >= 33 && c <= 126);
}

static int
is_digit(int c)
{
	return (c >= '0' && c <= '9');
}

/* 1*max PRINTUSASCII or "-" into out, followed by SP. */
static int
parse_field(const char **pp, char *out, size_t max)
{
	const char	*p = *pp;
	size_t		 n = 0;

	while (is_printusascii((unsigned char)*p)) {
		if (n == max)
			return (-1);
		out[n++] = *p++;
	}
	out[n] = '\0';
	if (n == 0 || *p != ' ')
		return (-1);
	*pp = p + 1;
	return (0);
}

/* nd DIGITs. */
static int
parse_digits(const char **pp, int nd)
{
	int	i;

	for (i = 0; i < nd; i++)
		if (!is_digit((unsigned char)(*pp)[i]))
			return (-1);
	*pp += nd;
	return (0);
}

static int
parse_timestamp(const char *t)
{
	const char	*p = t;
	int		 n;

	if (strcmp(t, "-") == 0)
		return (0);
	if (parse_digits(&p, 4) || *p++ != '-' || parse_digits(&p, 2) ||
	    *p++ != '-' || parse_digits(&p, 2) || *p++ != 'T' ||
	    parse_digits(&p, 2) || *p++ != ':' || parse_digits(&p, 2) ||
	    *p++ != ':' || parse_digits(&p, 2))
		return (-1);
	if (*p == '.') {
		p++;
		for (n = 0; is_digit((unsigned char)*p); n++)
			p++;
		if (n < 1 || n > 6)
			return (-1);
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		p++;
		if (parse_digits(&p, 2) || *p++ != ':' || parse_digits(&p, 2))
			return (-1);
	} else
		return (-1);
	return (*p == '\0' ? 0 : -1);
}

/* SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']' and '"'. */
static int
parse_sdname(const char **pp, char *out)
{
	const char	*p = *pp;
	size_t		 n = 0;

	while (is_printusascii((unsigned char)*p) && *p != '=' &&
	    *p != ']' && *p != '"') {
		if (n == 32)
			return (-1);
		out[n++] = *p++;
	}
	out[n] = '\0';
	if (n == 0)
		return (-1);
	*pp = p;
	return (0);
}

/* Well-formed UTF-8 of exactly len bytes. */
static int
valid_utf8(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	uint32_t		 cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2, cp = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3, cp = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4, cp = p[i] & 0x07;
		else
			return (0);
		if (i + n > len)
			return (0);
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return (0);
		i += n;
	}
	return (1);
}

/*
 * Parses an octet-counted frame "MSG-LEN SP SYSLOG-MSG" of exactly len
 * bytes against the ABNF of RFC 5424 §6 and RFC 6587 §3.4.1.
 */
static int
syslog_parse(const char *frame, size_t len, struct syslog_msg *m)
{
	const char	*p = frame, *end, *v;
	char		 pri[4], ver[4], *out;
	size_t		 msglen = 0, n;

	memset(m, 0, sizeof *m);
	/* MSG-LEN = NONZERO-DIGIT *DIGIT */
	if (*p < '1' || *p > '9')
		return (-1);
	while (is_digit((unsigned char)*p))
		msglen = msglen * 10 + (*p++ - '0');
	if (*p++ != ' ')
		return (-1);
	if ((size_t)(p - frame) + msglen != len || strlen(frame) != len)
		return (-1);
	end = p + msglen;

	/* PRI = "<" PRIVAL ">", PRIVAL = 1*3DIGIT, 0..191 */
	if (*p++ != '<')
		return (-1);
	for (n = 0; is_digit((unsigned char)*p); n++) {
		if (n == 3)
			return (-1);
		pri[n] = *p++;
	}
	pri[n] = '\0';
	if (n == 0 || *p++ != '>' || (n > 1 && pri[0] == '0'))
		return (-1);
	m->pri = atoi(pri);
	if (m->pri > 191)
		return (-1);
	/* VERSION = NONZERO-DIGIT 0*2DIGIT */
	for (n = 0; is_digit((unsigned char)*p); n++) {
		if (n == 3)
			return (-1);
		ver[n] = *p++;
	}
	ver[n] = '\0';
	if (strcmp(ver, "1") != 0 || *p++ != ' ')
		return (-1);
	if (parse_field(&p, m->timestamp, sizeof m->timestamp - 1) ||
	    parse_timestamp(m->timestamp) ||
	    parse_field(&p, m->hostname, 255) ||
	    parse_field(&p, m->app_name, 48) ||
	    parse_field(&p, m->procid, 128) ||
	    parse_field(&p, m->msgid, 32))
		return (-1);

	/* STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT (one expected here) */
	if (*p == '-')
		p++;
	else {
		if (*p++ != '[' || parse_sdname(&p, m->sdid))
			return (-1);
		while (*p == ' ') {
			p++;
			if (m->nparams == SD_MAX)
				return (-1);
			out = malloc(33);
			if (parse_sdname(&p, out)) {
				free(out);
				return (-1);
			}
			m->pname[m->nparams++] = out;
			if (*p++ != '=' || *p++ != '"')
				return (-1);
			out = malloc(end - p + 1);
			n = 0;
			for (v = p; *v != '"'; v++) {
				if (v >= end || *v == ']') {
					free(out);
					return (-1);	/* must be escaped */
				}
				if (*v == '\\' && (v[1] == '"' ||
				    v[1] == '\\' || v[1] == ']'))
					v++;
				out[n++] = *v;
			}
			out[n] = '\0';
			m->pvalue[m->nparams - 1] = out;
			if (!valid_utf8(out, n))
				return (-1);
			p = v + 1;
		}
		if (*p++ != ']')
			return (-1);
	}
	/* [SP MSG] */
	if (p == end)
		return (0);
	if (*p++ != ' ')
		return (-1);
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		m->bom = 1;
		p += 3;
		if (!valid_utf8(p, end - p))
			return (-1);
	}
	m->msg = strndup(p, end - p);
	return (0);
}

static void
syslog_msg_free(struct syslog_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nparams; i++) {
		free(m->pname[i]);
		free(m->pvalue[i]);
	}
	free(m->msg);
}

static const char *
sd_get(struct syslog_msg *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nparams; i++)
		if (strcmp(m->pname[i], name) == 0)
			return (m->pvalue[i]);
	return (NULL);
}

/* Frames msg (its length off by "skew") and parses it. */
static int
framed_parse(const char *msg, int skew)
{
	struct syslog_msg	 m;
	char			*f;
	int			 r, n;

	n = asprintf(&f, "%zu %s", strlen(msg) + skew, msg);
	assert_true(n > 0);
	r = syslog_parse(f, n, &m);
	syslog_msg_free(&m);
	free(f);
	return (r);
}

static void
test_rfc5424(void **state)
{
	struct drift_event	 ev = fail_event();
	struct syslog_msg	 m;
	char			*f, *line;
	size_t			 len;

	ev.observed = "value with \"quotes\", a ] bracket and \\ backslash";
	ev.title = "ルートファイルシステムの暗号化";
	f = alert_rfc5424(&ev, 16, "isms-agentd", "4242", &len);
	assert_int_equal(strlen(f), len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_int_equal(m.pri, 16 * 8 + LOG_WARNING);
	assert_string_equal(m.timestamp, "2026-11-22T02:00:00Z");
	assert_string_equal(m.hostname, "laptop-01");
	assert_string_equal(m.app_name, "isms-agentd");
	assert_string_equal(m.procid, "4242");
	assert_string_equal(m.msgid, "drift");
	assert_string_equal(m.sdid, "isms@32473");
	assert_string_equal(sd_get(&m, "check"), "disk.encryption.root");
	assert_string_equal(sd_get(&m, "observed"), ev.observed);
	assert_string_equal(sd_get(&m, "title"), ev.title);
	assert_string_equal(sd_get(&m, "controls"), "A.8.24,A.5.1");
	assert_string_equal(sd_get(&m, "old"), "pass");
	assert_string_equal(sd_get(&m, "new"), "fail");
	assert_true(m.bom);
	line = alert_kv_line(&ev);
	assert_string_equal(m.msg, line);
	free(line);
	/* The escapes themselves, as §6.3.3 writes them. */
	assert_non_null(strstr(f, "observed=\"value with \\\"quotes\\\", "
	    "a \\] bracket and \\\\ backslash\""));
	syslog_msg_free(&m);
	free(f);

	/* Recovery: notice; a <syslog.h> facility value is accepted. */
	ev.old_status = "fail";
	ev.new_status = "pass";
	f = alert_rfc5424(&ev, LOG_LOCAL0, "a", NULL, &len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_int_equal(m.pri, 16 * 8 + LOG_NOTICE);
	assert_string_equal(m.procid, "-");
	syslog_msg_free(&m);
	free(f);

	/* Kinds give the MSGID. */
	ev.kind = DRIFT_FLAPPING;
	f = alert_rfc5424(&ev, 3, "a", "1", &len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_string_equal(m.msgid, "flapping");
	assert_int_equal(m.pri, 3 * 8 + LOG_WARNING);
	syslog_msg_free(&m);
	free(f);
}

static void
test_rfc5424_limits(void **state)
{
	struct drift_event	 ev = fail_event();
	struct syslog_msg	 m;
	char			 host[301], app[61], proc[201], *f;
	size_t			 len;

	memset(host, 'h', 300);
	host[300] = '\0';
	memset(app, 'a', 60);
	app[60] = '\0';
	memset(proc, 'p', 200);
	proc[200] = '\0';
	host[5] = ' ';		/* SP is not PRINTUSASCII */
	ev.host = host;
	ev.observed = "line one\nline two\x01 \xff";
	f = alert_rfc5424(&ev, 1, app, proc, &len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_int_equal(strlen(m.hostname), 255);
	assert_int_equal(m.hostname[5], '_');
	assert_int_equal(strlen(m.app_name), 48);
	assert_int_equal(strlen(m.procid), 128);
	/* Values are one line and well-formed UTF-8. */
	assert_string_equal(sd_get(&m, "observed"),
	    "line one line two  \xef\xbf\xbd");
	syslog_msg_free(&m);
	free(f);

	/* Empty header fields are NILVALUE. */
	ev.host = "";
	f = alert_rfc5424(&ev, 1, "", "", &len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_string_equal(m.hostname, "-");
	assert_string_equal(m.app_name, "-");
	assert_string_equal(m.procid, "-");
	syslog_msg_free(&m);
	free(f);

	/* Non-ASCII hostnames are made PRINTUSASCII. */
	ev.host = "ノート";
	f = alert_rfc5424(&ev, 1, "x", "1", &len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_string_equal(m.hostname, "_________");
	assert_string_equal(sd_get(&m, "host"), "ノート");
	syslog_msg_free(&m);
	free(f);
}

static void
test_rfc5424_nulls(void **state)
{
	struct drift_event	 ev;
	struct syslog_msg	 m;
	char			*f;
	size_t			 len;

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_SUMMARY;
	f = alert_rfc5424(&ev, 99, NULL, NULL, &len);
	assert_int_equal(syslog_parse(f, len, &m), 0);
	assert_int_equal(m.pri, 1 * 8 + LOG_WARNING);	/* user */
	assert_string_equal(m.timestamp, "-");
	assert_string_equal(m.hostname, "-");
	assert_string_equal(m.msgid, "summary");
	assert_string_equal(sd_get(&m, "failing"), "0");
	assert_null(sd_get(&m, "check"));
	assert_null(sd_get(&m, "old"));
	assert_string_equal(m.msg, "event=summary failing=0");
	syslog_msg_free(&m);
	free(f);

	/* The parser itself rejects what it must. */
	assert_int_equal(framed_parse("<13>1 - - - - - -", 0), 0);
	assert_int_equal(framed_parse("<13>1 - - - - - -", 1), -1);
	assert_int_equal(framed_parse("<13>1 - - - - -", 0), -1);
	assert_int_equal(framed_parse("<192>1 - - - - - -", 0), -1);
	assert_int_equal(framed_parse("<013>1 - - - - - -", 0), -1);
	assert_int_equal(framed_parse("<13>2 - - - - - -", 0), -1);
	assert_int_equal(framed_parse("<13>1 2026-11-22 - - - - -", 0), -1);
	assert_int_equal(framed_parse("<13>1 2026-11-22T02:00:00.1234567Z "
	    "- - - - -", 0), -1);
	assert_int_equal(framed_parse("<13>1 2026-11-22T02:00:00.123+09:00 "
	    "- - - - -", 0), 0);
	assert_int_equal(framed_parse("<13>1 - - - - - [a b=\"]\"]", 0), -1);
	assert_int_equal(framed_parse("<13>1 - - - - - [a b=\"\\]\"]", 0),
	    0);
	assert_int_equal(framed_parse("<13>1 - - - - - [a=b c=\"\"]", 0), -1);
	assert_int_equal(framed_parse("<13>1 - - - - - [a c=\"\xff\"]", 0),
	    -1);
	assert_int_equal(framed_parse("<13>1 - - - - - - \xef\xbb\xbf\xff",
	    0), -1);
	assert_int_equal(framed_parse("<13>1 - - - - - - \xef\xbb\xbfok",
	    0), 0);
}

/* --- JSON bodies ---------------------------------------------------- */

/* Serialised and parsed back, as the receiver sees it. */
static json_t *
roundtrip(json_t *o)
{
	json_error_t	 err;
	json_t		*back;
	char		*s;

	assert_non_null(o);
	s = json_dumps(o, JSON_COMPACT);
	assert_non_null(s);
	back = json_loads(s, 0, &err);
	assert_non_null(back);
	free(s);
	json_decref(o);
	return (back);
}

static const char *
jget(json_t *o, const char *path)
{
	json_t		*v = o;
	char		 buf[256], *p, *tok, *last;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &last); tok != NULL;
	    tok = strtok_r(NULL, ".", &last)) {
		if (json_is_array(v))
			v = json_array_get(v, strtoul(tok, &p, 10));
		else
			v = json_object_get(v, tok);
	}
	return (json_string_value(v));
}

static void
test_slack(void **state)
{
	struct drift_event	 ev = fail_event();
	json_t			*o, *fields;
	char			 title[400];
	size_t			 i;

	ev.observed = "<script> & \"x\" > y";
	o = roundtrip(alert_slack(&ev));
	assert_non_null(strstr(jget(o, "text"),
	    "FAIL: Root filesystem is encrypted on laptop-01"));
	assert_non_null(strstr(jget(o, "text"), "&lt;script&gt; &amp;"));
	assert_int_equal(json_array_size(json_object_get(o, "blocks")), 3);
	assert_string_equal(jget(o, "blocks.0.type"), "header");
	assert_string_equal(jget(o, "blocks.0.text.type"), "plain_text");
	assert_string_equal(jget(o, "blocks.0.text.text"),
	    "FAIL: Root filesystem is encrypted");
	assert_string_equal(jget(o, "blocks.1.type"), "section");
	fields = json_object_get(json_array_get(json_object_get(o, "blocks"),
	    1), "fields");
	assert_int_equal(json_array_size(fields), 7);
	assert_true(json_array_size(fields) <= 10);
	assert_string_equal(jget(o, "blocks.1.fields.0.type"), "mrkdwn");
	assert_string_equal(jget(o, "blocks.1.fields.0.text"),
	    "*Host*\nlaptop-01");
	assert_string_equal(jget(o, "blocks.1.fields.1.text"),
	    "*Check*\ndisk.encryption.root");
	assert_string_equal(jget(o, "blocks.1.fields.2.text"),
	    "*Controls (2022)*\nA.8.24, A.5.1");
	assert_string_equal(jget(o, "blocks.1.fields.3.text"),
	    "*Controls (2013)*\nA.10.1.1");
	assert_string_equal(jget(o, "blocks.1.fields.4.text"),
	    "*Severity*\nhigh");
	assert_string_equal(jget(o, "blocks.1.fields.5.text"),
	    "*Old \xe2\x86\x92 New*\npass \xe2\x86\x92 fail");
	assert_string_equal(jget(o, "blocks.1.fields.6.text"),
	    "*Observed*\n&lt;script&gt; &amp; \"x\" &gt; y");
	assert_string_equal(jget(o, "blocks.2.type"), "context");
	assert_non_null(strstr(jget(o, "blocks.2.elements.0.text"),
	    "<!date^1795312800^"));
	assert_non_null(strstr(jget(o, "blocks.2.elements.0.text"),
	    "|2026-11-22T02:00:00Z>"));
	json_decref(o);

	/* New check with a threshold; flapping; header length cap. */
	ev.old_status = NULL;
	ev.threshold = "screen_lock.max_idle=15m";
	ev.kind = DRIFT_FLAPPING;
	for (i = 0; i < 100; i++)
		memcpy(title + 3 * i, "\xe6\x9a\x97", 3);	/* 暗 */
	title[300] = '\0';
	ev.title = title;
	o = roundtrip(alert_slack(&ev));
	assert_true(strncmp(jget(o, "blocks.0.text.text"), "Flapping: ",
	    10) == 0);
	assert_true(strlen(jget(o, "blocks.0.text.text")) <= 150);
	assert_non_null(strstr(jget(o, "blocks.0.text.text"),
	    "\xe2\x80\xa6"));
	assert_string_equal(jget(o, "blocks.1.fields.5.text"),
	    "*Old \xe2\x86\x92 New*\nnew \xe2\x86\x92 fail");
	assert_string_equal(jget(o, "blocks.1.fields.7.text"),
	    "*Threshold*\nscreen_lock.max_idle=15m");
	json_decref(o);

	/* Recovery wording. */
	ev.kind = DRIFT_CHANGE;
	ev.title = "Root filesystem is encrypted";
	ev.old_status = "fail";
	ev.new_status = "pass";
	o = roundtrip(alert_slack(&ev));
	assert_string_equal(jget(o, "blocks.0.text.text"),
	    "RECOVERED: Root filesystem is encrypted");
	json_decref(o);
}

static void
test_slack_summary(void **state)
{
	struct drift_event	 ev;
	json_t			*o, *blocks, *b, *failing;
	const char		*t;
	size_t			 i, listed = 0;
	char			*p;

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_SUMMARY;
	ev.at = AT;
	ev.host = "srv-01";
	failing = failing_list(100, 2000);
	ev.failing = failing;
	o = roundtrip(alert_slack(&ev));
	blocks = json_object_get(o, "blocks");
	assert_true(json_array_size(blocks) <= 50);
	assert_string_equal(jget(o, "blocks.0.text.text"),
	    "Still failing: 100 checks on srv-01");
	for (i = 0; i < json_array_size(blocks); i++) {
		b = json_array_get(blocks, i);
		if (strcmp(json_string_value(json_object_get(b, "type")),
		    "section") != 0)
			continue;
		t = json_string_value(json_object_get(json_object_get(b,
		    "text"), "type"));
		assert_string_equal(t, "mrkdwn");
		t = json_string_value(json_object_get(json_object_get(b,
		    "text"), "text"));
		assert_true(strlen(t) <= 3000);
		for (p = strstr(t, "\xe2\x80\xa2 *"); p != NULL;
		    p = strstr(p + 1, "\xe2\x80\xa2 *"))
			listed++;
		if (strstr(t, "and 80 more") != NULL)
			listed += 1000;
	}
	assert_int_equal(listed, 20 + 1000);
	/* Titles are mrkdwn-escaped. */
	p = json_dumps(o, 0);
	assert_non_null(strstr(p, "Check &lt;0&gt; &amp; co"));
	free(p);
	assert_string_equal(jget(o, "blocks.0.type"), "header");
	assert_string_equal(jget(o, "text"),
	    "Still failing: 100 checks on srv-01");
	json_decref(o);
	json_decref(failing);

	/* No failing list at all. */
	ev.failing = NULL;
	ev.host = NULL;
	ev.at = 0;
	o = roundtrip(alert_slack(&ev));
	assert_string_equal(jget(o, "blocks.0.text.text"),
	    "Still failing: 0 checks");
	assert_string_equal(jget(o, "blocks.1.text.text"),
	    "No checks are failing.");
	assert_string_equal(jget(o, "blocks.2.elements.0.text"),
	    "isms-agent");
	json_decref(o);
}

static void
test_teams(void **state)
{
	struct drift_event	 ev = fail_event();
	json_t			*o, *facts;

	o = roundtrip(alert_teams(&ev));
	assert_string_equal(jget(o, "type"), "message");
	assert_int_equal(json_array_size(json_object_get(o, "attachments")),
	    1);
	assert_string_equal(jget(o, "attachments.0.contentType"),
	    "application/vnd.microsoft.card.adaptive");
	assert_string_equal(jget(o, "attachments.0.content.$schema"),
	    "http://adaptivecards.io/schemas/adaptive-card.json");
	assert_string_equal(jget(o, "attachments.0.content.type"),
	    "AdaptiveCard");
	assert_string_equal(jget(o, "attachments.0.content.version"), "1.4");
	assert_string_equal(jget(o, "attachments.0.content.body.0.type"),
	    "TextBlock");
	assert_string_equal(jget(o, "attachments.0.content.body.0.text"),
	    "FAIL: Root filesystem is encrypted");
	assert_string_equal(jget(o, "attachments.0.content.body.0.weight"),
	    "Bolder");
	assert_string_equal(jget(o, "attachments.0.content.body.0.color"),
	    "Attention");
	assert_string_equal(jget(o, "attachments.0.content.body.1.type"),
	    "FactSet");
	facts = json_object_get(json_array_get(json_object_get(
	    json_object_get(json_array_get(json_object_get(o, "attachments"),
	    0), "content"), "body"), 1), "facts");
	assert_int_equal(json_array_size(facts), 8);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(facts, 0), "title")), "Host");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(facts, 0), "value")), "laptop-01");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(facts, 2), "value")), "A.8.24, A.5.1");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(facts, 7), "title")), "At");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(facts, 7), "value")), "2026-11-22T02:00:00Z");
	json_decref(o);

	ev.old_status = "fail";
	ev.new_status = "pass";
	o = roundtrip(alert_teams(&ev));
	assert_string_equal(jget(o, "attachments.0.content.body.0.color"),
	    "Good");
	json_decref(o);
}

static void
test_teams_summary(void **state)
{
	struct drift_event	 ev;
	json_t			*o, *failing, *body;

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_SUMMARY;
	ev.at = AT;
	ev.host = "srv-01";
	failing = failing_list(25, 40);
	ev.failing = failing;
	o = roundtrip(alert_teams(&ev));
	body = json_object_get(json_object_get(json_array_get(
	    json_object_get(o, "attachments"), 0), "content"), "body");
	assert_int_equal(json_array_size(body), 4);
	assert_string_equal(jget(o, "attachments.0.content.body.0.text"),
	    "Still failing: 25 checks on srv-01");
	assert_string_equal(jget(o, "attachments.0.content.body.0.color"),
	    "Attention");
	assert_string_equal(jget(o,
	    "attachments.0.content.body.1.facts.1.value"), "25");
	assert_int_equal(json_array_size(json_object_get(json_array_get(body,
	    2), "facts")), 20);
	assert_string_equal(jget(o,
	    "attachments.0.content.body.2.facts.0.title"), "Check <0> & co");
	assert_non_null(strstr(jget(o,
	    "attachments.0.content.body.2.facts.0.value"),
	    "check.number.0 \xc2\xb7 medium \xc2\xb7 since 2026-11-20"));
	assert_string_equal(jget(o, "attachments.0.content.body.3.text"),
	    "\xe2\x80\xa6" "and 5 more");
	json_decref(o);
	json_decref(failing);
}

static void
test_json(void **state)
{
	struct drift_event	 ev = fail_event();
	json_t			*o, *failing, *expect;

	ev.observed = "暗号化されていません \xff\xed\xa0\x80";
	ev.id = "6f1c2c1e-8a0b-4d7e-9f3a-2b5c7d9e0f11";
	o = roundtrip(alert_json(&ev));
	expect = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s,s],s:[s],"
	    "s:s,s:s,s:s,s:n,s:s}",
	    "schema", "isms-agent/alert/v1", "event", "drift",
	    "id", "6f1c2c1e-8a0b-4d7e-9f3a-2b5c7d9e0f11",
	    "host", "laptop-01",
	    "host_id", "0123456789abcdef0123456789abcdef",
	    "check", "disk.encryption.root",
	    "title", "Root filesystem is encrypted", "severity", "high",
	    "controls", "A.8.24", "A.5.1", "controls_2013", "A.10.1.1",
	    "old", "pass", "new", "fail",
	    "observed", "暗号化されていません \xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd",
	    "threshold", "at", "2026-11-22T02:00:00Z");
	assert_true(json_equal(o, expect));
	json_decref(expect);
	json_decref(o);

	/* A summary with every optional field absent. */
	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_SUMMARY;
	o = roundtrip(alert_json(&ev));
	expect = json_pack("{s:s,s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:[],s:[],s:n,"
	    "s:n,s:n,s:n,s:n,s:[]}", "schema", "isms-agent/alert/v1",
	    "event", "summary", "id", "host", "host_id", "check", "title",
	    "severity", "controls", "controls_2013", "old", "new",
	    "observed", "threshold", "at", "failing");
	assert_true(json_equal(o, expect));
	json_decref(expect);
	json_decref(o);

	failing = json_pack("[{s:s,s:s,s:s,s:s,s:I},{s:s}]",
	    "check", "a.b", "title", "T", "severity", "low", "message", "m",
	    "since", (json_int_t)AT, "check", "c.d");
	ev.failing = failing;
	o = roundtrip(alert_json(&ev));
	assert_int_equal(json_array_size(json_object_get(o, "failing")), 2);
	assert_string_equal(jget(o, "failing.0.since"),
	    "2026-11-22T02:00:00Z");
	assert_string_equal(jget(o, "failing.0.title"), "T");
	assert_true(json_is_null(json_object_get(json_array_get(
	    json_object_get(o, "failing"), 1), "since")));
	assert_string_equal(jget(o, "failing.1.check"), "c.d");
	assert_null(json_object_get(json_array_get(json_object_get(o,
	    "failing"), 0), "extra"));
	json_decref(o);
	json_decref(failing);
}

/* Every function with every field NULL, for each kind. */
static void
test_all_null(void **state)
{
	struct drift_event	 ev;
	struct syslog_msg	 m;
	enum drift_kind		 kinds[] = { DRIFT_CHANGE, DRIFT_FLAPPING,
				    DRIFT_SUMMARY };
	json_t			*o;
	char			*s;
	size_t			 i, len;

	for (i = 0; i < 3; i++) {
		memset(&ev, 0, sizeof ev);
		ev.kind = kinds[i];
		s = alert_kv_line(&ev);
		assert_non_null(s);
		free(s);
		s = alert_rfc5424(&ev, 1, NULL, NULL, &len);
		assert_int_equal(syslog_parse(s, len, &m), 0);
		syslog_msg_free(&m);
		free(s);
		alert_syslog(&ev);
		o = roundtrip(alert_slack(&ev));
		assert_non_null(jget(o, "text"));
		assert_non_null(jget(o, "blocks.0.text.text"));
		json_decref(o);
		o = roundtrip(alert_teams(&ev));
		assert_non_null(jget(o, "attachments.0.content.body.0.text"));
		json_decref(o);
		o = roundtrip(alert_json(&ev));
		assert_true(json_is_null(json_object_get(o, "check")));
		json_decref(o);
	}
	memset(&ev, 0, sizeof ev);
	o = roundtrip(alert_slack(&ev));
	assert_string_equal(jget(o, "blocks.0.text.text"),
	    "CHANGED: unknown check");
	json_decref(o);
}

/* isms-collectord's host events: their fields, wording and priorities. */
static void
test_host_events(void **state)
{
	struct drift_event	 ev;
	struct syslog_msg	 m;
	json_t			*o, *expect;
	char			*s;
	size_t			 len, i;
	int			 found = 0;

	memset(&ev, 0, sizeof ev);
	ev.kind = DRIFT_HOST_STALE;
	ev.id = "6f1c2c1e-8a0b-4d7e-9f3a-2b5c7d9e0f11";
	ev.at = AT;
	ev.host = "web 01";
	ev.host_id = "0123456789abcdef0123456789abcdef";
	ev.last_seen = AT - 7300;
	ev.stale_after = 7200;
	s = alert_kv_line(&ev);
	assert_string_equal(s, "event=host_stale host=\"web 01\" "
	    "host_id=0123456789abcdef0123456789abcdef "
	    "last_seen=2026-11-21T23:58:20Z stale_after=7200 "
	    "at=2026-11-22T02:00:00Z");
	free(s);

	s = alert_rfc5424(&ev, 16, "isms-collectord", NULL, &len);
	assert_int_equal(syslog_parse(s, len, &m), 0);
	assert_int_equal(m.pri, 16 * 8 + LOG_WARNING);
	assert_string_equal(m.msgid, "host_stale");
	for (i = 0; i < m.nparams; i++) {
		if (strcmp(m.pname[i], "stale_after") == 0) {
			assert_string_equal(m.pvalue[i], "7200");
			found++;
		}
		assert_string_not_equal(m.pname[i], "old");
	}
	assert_int_equal(found, 1);
	syslog_msg_free(&m);
	free(s);

	o = roundtrip(alert_json(&ev));
	expect = json_pack("{s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:n,s:[],s:[],"
	    "s:n,s:n,s:n,s:n,s:s,s:s,s:I}",
	    "schema", "isms-agent/alert/v1", "event", "host_stale",
	    "id", "6f1c2c1e-8a0b-4d7e-9f3a-2b5c7d9e0f11",
	    "host", "web 01", "host_id", "0123456789abcdef0123456789abcdef",
	    "check", "title", "severity", "controls", "controls_2013",
	    "old", "new", "observed", "threshold",
	    "at", "2026-11-22T02:00:00Z", "last_seen", "2026-11-21T23:58:20Z",
	    "stale_after", (json_int_t)7200);
	assert_true(json_equal(o, expect));
	json_decref(expect);
	json_decref(o);

	o = roundtrip(alert_slack(&ev));
	assert_string_equal(jget(o, "blocks.0.text.text"),
	    "Host silent: web 01");
	assert_string_equal(jget(o, "text"), "Host silent: web 01");
	assert_string_equal(jget(o, "blocks.1.fields.0.text"),
	    "*Host*\nweb 01");
	assert_string_equal(jget(o, "blocks.1.fields.2.text"),
	    "*Last report*\n2026-11-21T23:58:20Z");
	assert_string_equal(jget(o, "blocks.1.fields.3.text"),
	    "*Silent for more than*\n2h");
	json_decref(o);

	/* Never reported; reporting again is a notice. */
	ev.kind = DRIFT_HOST_BACK;
	ev.last_seen = 0;
	ev.host = NULL;
	s = alert_kv_line(&ev);
	assert_string_equal(s, "event=host_back "
	    "host_id=0123456789abcdef0123456789abcdef last_seen=never "
	    "stale_after=7200 at=2026-11-22T02:00:00Z");
	free(s);
	s = alert_rfc5424(&ev, 16, NULL, NULL, &len);
	assert_int_equal(syslog_parse(s, len, &m), 0);
	assert_int_equal(m.pri, 16 * 8 + LOG_NOTICE);
	syslog_msg_free(&m);
	free(s);
	o = roundtrip(alert_json(&ev));
	assert_string_equal(jget(o, "event"), "host_back");
	assert_true(json_is_null(json_object_get(o, "last_seen")));
	json_decref(o);
	o = roundtrip(alert_teams(&ev));
	assert_string_equal(jget(o, "attachments.0.content.body.0.text"),
	    "Reporting again: 0123456789abcdef0123456789abcdef");
	assert_string_equal(jget(o, "attachments.0.content.body.0.color"),
	    "Good");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_fail),
		cmocka_unit_test(test_kv_new_check_and_threshold),
		cmocka_unit_test(test_kv_roundtrip),
		cmocka_unit_test(test_kv_nulls),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_rfc5424_limits),
		cmocka_unit_test(test_rfc5424_nulls),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_slack_summary),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_teams_summary),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_all_null),
		cmocka_unit_test(test_host_events),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
