/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * syslog-receiver: the remote syslog collector (a "SIEM") the daemon's
 * regress scenarios start themselves.  It listens on 127.0.0.1 over TCP
 * (RFC 6587) or TLS (RFC 5425), takes octet-counted frames ("LEN SP
 * MSG") and, for robustness, LF-terminated ones, parses every message
 * strictly as RFC 5424 and appends one JSON line per message to the log:
 * the header fields, the structured data, the message, and "valid":
 * false with the reason when anything is malformed.  A test asserts on
 * these lines with jq.
 *
 * Framing errors cannot be resynchronised, so they are logged and the
 * connection is closed.  A connection that ends inside a frame logs the
 * partial frame as invalid.  The server closes each connection once the
 * client has finished sending, so a client that waits for EOF knows
 * that everything it sent is in the log (see --send).
 *
 * With --unix PATH it is the local syslog daemon instead: a Unix
 * datagram socket at PATH (what syslog(3) writes to at /dev/log), one
 * message per datagram, parsed as glibc's local format, RFC 3164 without
 * a HOSTNAME: "<PRI>Mmm dd hh:mm:ss ident[pid]: message", where "[pid]"
 * is there only with LOG_PID.  Each datagram is logged with pri,
 * facility, severity, timestamp, ident, pid, msg and "valid"; a message
 * with a control character or bytes that are not UTF-8 is invalid, since
 * a receiver splitting lines would cut it.  The port file, optional in
 * this mode, then holds PATH once the socket is bound.
 *
 * Usage: syslog-receiver --port-file FILE --log FILE [--port N]
 *	[--cert PEM --key PEM [--client-ca PEM]]
 *        syslog-receiver --unix PATH --log FILE [--port-file FILE]
 *        syslog-receiver --send PORT < data
 *        syslog-receiver --send-unix PATH < datagram
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "receiver.h"

#define SYSLOG_MAX_MSG		65536	/* bytes; RFC 5425 asks for >= 8192 */
#define SYSLOG_MAX_LEN_DIGITS	6	/* digits of MSG-LEN */
#define SYSLOG_RAW_ERR		256	/* bytes of raw data after a framing error */
#define SYSLOG_IDENT_MAX	48	/* octets of a local ident (as APP-NAME) */
#define SYSLOG_PID_DIGITS	10	/* digits of a local [pid] */

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct bufferevent	*bev;
	int			 tls;
};
TAILQ_HEAD(conns, conn);

struct cur {
	const unsigned char	*p;
	size_t			 n;
	size_t			 i;
	char			 why[160];
};

static struct event_base	*base;
static SSL_CTX			*ssl_ctx;
static int			 logfd = -1;
static unsigned long long	 nmessages;
static unsigned char		 dgram[SYSLOG_MAX_MSG + 1];
static struct conns		 conns = TAILQ_HEAD_INITIALIZER(conns);

/* RFC 5424 section 7 and later registrations: SD-IDs without "@". */
static const char *iana_sd_ids[] = {
	"timeQuality", "origin", "meta", "ssign", "ssign-cert", "alarm"
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: syslog-receiver --port-file FILE --log FILE "
	    "[--port N]\n\t[--cert PEM --key PEM [--client-ca PEM]]\n"
	    "       syslog-receiver --unix PATH --log FILE "
	    "[--port-file FILE]\n"
	    "       syslog-receiver --send PORT < data\n"
	    "       syslog-receiver --send-unix PATH < datagram\n");
	exit(RCV_EXIT_USAGE);
}

/* Records why parsing failed, with the offset; returns -1. */
static int __attribute__((format(printf, 2, 3)))
cur_fail(struct cur *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[128];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(c->why, sizeof(c->why), "%s at offset %zu", buf, c->i);
	return (-1);
}

static int
cur_eof(struct cur *c)
{
	return (c->i >= c->n);
}

/* Expects one SP. */
static int
cur_sp(struct cur *c, const char *after)
{
	if (cur_eof(c))
		return (cur_fail(c, "message ends after %s", after));
	if (c->p[c->i] != ' ')
		return (cur_fail(c, "expected SP after %s", after));
	c->i++;
	return (0);
}

/* n decimal digits as a number, or -1. */
static int
cur_digits(struct cur *c, size_t n)
{
	int	 v = 0;
	size_t	 k;

	if (c->n - c->i < n)
		return (-1);
	for (k = 0; k < n; k++) {
		if (c->p[c->i + k] < '0' || c->p[c->i + k] > '9')
			return (-1);
		v = v * 10 + (c->p[c->i + k] - '0');
	}
	c->i += n;
	return (v);
}

/*
 * A header field: NILVALUE or 1*max PRINTUSASCII, ended by SP (not
 * consumed).  Sets key to null or the string.
 */
static int
cur_field(struct cur *c, json_t *o, const char *key, const char *name,
    size_t max)
{
	size_t	 start = c->i;

	while (!cur_eof(c) && c->p[c->i] >= 33 && c->p[c->i] <= 126)
		c->i++;
	if (c->i == start) {
		if (cur_eof(c))
			return (cur_fail(c, "message ends before %s", name));
		return (cur_fail(c, "%s contains a byte that is not "
		    "PRINTUSASCII", name));
	}
	if (!cur_eof(c) && c->p[c->i] != ' ')
		return (cur_fail(c, "%s contains a byte that is not "
		    "PRINTUSASCII", name));
	if (c->i - start > max)
		return (cur_fail(c, "%s longer than %zu octets", name, max));
	if (c->i - start == 1 && c->p[start] == '-')
		json_object_set_new(o, key, json_null());
	else
		json_object_set_new(o, key,
		    json_stringn((const char *)c->p + start, c->i - start));
	return (0);
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return (29);
	return (days[m - 1]);
}

/*
 * TIMESTAMP (RFC 5424 6.2.3): NILVALUE or FULL-DATE "T" FULL-TIME with
 * at most six fraction digits, upper-case T and Z, no leap second.
 */
static int
cur_timestamp(struct cur *c, json_t *o)
{
	size_t	 start = c->i, k;
	int	 y, mo, d, h, mi, s;

	if (!cur_eof(c) && c->p[c->i] == '-' &&
	    (c->i + 1 == c->n || c->p[c->i + 1] == ' ')) {
		c->i++;
		json_object_set_new(o, "timestamp", json_null());
		return (0);
	}
	if ((y = cur_digits(c, 4)) == -1 || cur_eof(c) || c->p[c->i++] != '-' ||
	    (mo = cur_digits(c, 2)) == -1 || cur_eof(c) || c->p[c->i++] != '-' ||
	    (d = cur_digits(c, 2)) == -1 || cur_eof(c) || c->p[c->i++] != 'T' ||
	    (h = cur_digits(c, 2)) == -1 || cur_eof(c) || c->p[c->i++] != ':' ||
	    (mi = cur_digits(c, 2)) == -1 || cur_eof(c) || c->p[c->i++] != ':' ||
	    (s = cur_digits(c, 2)) == -1)
		return (cur_fail(c, "TIMESTAMP is not YYYY-MM-DDTHH:MM:SS"));
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		return (cur_fail(c, "TIMESTAMP out of range"));
	if (!cur_eof(c) && c->p[c->i] == '.') {
		c->i++;
		for (k = 0; !cur_eof(c) && c->p[c->i] >= '0' &&
		    c->p[c->i] <= '9'; k++)
			c->i++;
		if (k < 1 || k > 6)
			return (cur_fail(c, "TIME-SECFRAC needs 1 to 6 digits"));
	}
	if (cur_eof(c))
		return (cur_fail(c, "TIMESTAMP without TIME-OFFSET"));
	if (c->p[c->i] == 'Z')
		c->i++;
	else if (c->p[c->i] == '+' || c->p[c->i] == '-') {
		c->i++;
		if ((h = cur_digits(c, 2)) == -1 || cur_eof(c) ||
		    c->p[c->i++] != ':' || (mi = cur_digits(c, 2)) == -1 ||
		    h > 23 || mi > 59)
			return (cur_fail(c, "bad TIME-NUMOFFSET"));
	} else
		return (cur_fail(c, "TIMESTAMP without Z or TIME-NUMOFFSET"));
	json_object_set_new(o, "timestamp",
	    json_stringn((const char *)c->p + start, c->i - start));
	return (0);
}

/* SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']' and '"'. */
static int
cur_sd_name(struct cur *c, const char *what, char *out)
{
	size_t	 start = c->i;
	int	 ch;

	while (!cur_eof(c)) {
		ch = c->p[c->i];
		if (ch < 33 || ch > 126 || ch == '=' || ch == ']' || ch == '"')
			break;
		c->i++;
	}
	if (c->i == start)
		return (cur_fail(c, "empty or invalid %s", what));
	if (c->i - start > 32)
		return (cur_fail(c, "%s longer than 32 octets", what));
	memcpy(out, c->p + start, c->i - start);
	out[c->i - start] = '\0';
	return (0);
}

/* An SD-ID is IANA-registered or name@PEN (RFC 5424 6.3.2, 7.2.2). */
static int
sd_id_valid(const char *id)
{
	const char	*at, *q;
	size_t		 i;

	if ((at = strchr(id, '@')) == NULL) {
		for (i = 0; i < sizeof(iana_sd_ids) / sizeof(*iana_sd_ids); i++)
			if (strcmp(id, iana_sd_ids[i]) == 0)
				return (1);
		return (0);
	}
	if (at == id || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return (0);
	for (q = at + 1; *q != '\0'; q++) {
		if (*q == '.' && q[-1] != '.' && q[-1] != '@' && q[1] != '\0')
			continue;
		if (*q < '0' || *q > '9')
			return (0);
	}
	return (1);
}

/* Adds value under name in params; a repeated name gets an array. */
static void
sd_param_add(json_t *params, const char *name, json_t *value)
{
	json_t	*old, *arr;

	if ((old = json_object_get(params, name)) == NULL) {
		json_object_set_new(params, name, value);
		return;
	}
	if (json_is_array(old)) {
		json_array_append_new(old, value);
		return;
	}
	arr = json_array();
	json_array_append(arr, old);
	json_array_append_new(arr, value);
	json_object_set_new(params, name, arr);
}

/*
 * One SD-PARAM value after the opening '"': '"', '\' and ']' must be
 * escaped with '\'; any other '\' stays as it is (RFC 5424 6.3.3).
 */
static int
cur_param_value(struct cur *c, json_t **value)
{
	unsigned char	*v;
	size_t		 n = 0;
	int		 ch;

	if ((v = malloc(c->n - c->i + 1)) == NULL)
		err(1, "malloc");
	for (;;) {
		if (cur_eof(c)) {
			free(v);
			return (cur_fail(c, "unterminated PARAM-VALUE"));
		}
		ch = c->p[c->i++];
		if (ch == '"')
			break;
		if (ch == ']') {
			free(v);
			c->i--;
			return (cur_fail(c, "unescaped ']' in PARAM-VALUE"));
		}
		if (ch == '\\' && !cur_eof(c) && (c->p[c->i] == '"' ||
		    c->p[c->i] == '\\' || c->p[c->i] == ']'))
			ch = c->p[c->i++];
		v[n++] = ch;
	}
	if (!rcv_utf8_valid(v, n)) {
		free(v);
		return (cur_fail(c, "PARAM-VALUE is not UTF-8"));
	}
	*value = json_stringn((char *)v, n);
	free(v);
	return (0);
}

/* STRUCTURED-DATA: NILVALUE or 1*SD-ELEMENT; sets "sd" and "sd_raw". */
static int
cur_sd(struct cur *c, json_t *o)
{
	json_t	*sd, *params, *value = NULL;
	char	 id[33], name[33];
	size_t	 start = c->i;

	if (cur_eof(c))
		return (cur_fail(c, "message ends before STRUCTURED-DATA"));
	if (c->p[c->i] == '-') {
		c->i++;
		json_object_set_new(o, "sd", json_null());
		json_object_set_new(o, "sd_raw", json_null());
		return (0);
	}
	if (c->p[c->i] != '[')
		return (cur_fail(c, "STRUCTURED-DATA is neither '-' nor '['"));
	sd = json_object();
	json_object_set_new(o, "sd", sd);
	while (!cur_eof(c) && c->p[c->i] == '[') {
		c->i++;
		if (cur_sd_name(c, "SD-ID", id) == -1)
			return (-1);
		if (!sd_id_valid(id))
			return (cur_fail(c, "SD-ID \"%s\" is neither "
			    "IANA-registered nor name@PEN", id));
		if (json_object_get(sd, id) != NULL)
			return (cur_fail(c, "SD-ID \"%s\" repeated", id));
		params = json_object();
		json_object_set_new(sd, id, params);
		while (!cur_eof(c) && c->p[c->i] == ' ') {
			c->i++;
			if (cur_sd_name(c, "PARAM-NAME", name) == -1)
				return (-1);
			if (cur_eof(c) || c->p[c->i++] != '=')
				return (cur_fail(c, "expected '=' after "
				    "PARAM-NAME \"%s\"", name));
			if (cur_eof(c) || c->p[c->i++] != '"')
				return (cur_fail(c, "expected '\"' after "
				    "\"%s=\"", name));
			if (cur_param_value(c, &value) == -1)
				return (-1);
			sd_param_add(params, name, value);
		}
		if (cur_eof(c) || c->p[c->i] != ']')
			return (cur_fail(c, "expected ']' or SP in SD-ELEMENT "
			    "\"%s\"", id));
		c->i++;
	}
	json_object_set_new(o, "sd_raw",
	    json_stringn((const char *)c->p + start, c->i - start));
	return (0);
}

/* HEADER SP STRUCTURED-DATA [SP MSG] (RFC 5424 6); fills o. */
static int
syslog_parse(struct cur *c, json_t *o)
{
	int	 pri, ver, k;

	/* PRI = "<" PRIVAL ">", PRIVAL = 1*3DIGIT, 0..191 */
	if (cur_eof(c) || c->p[c->i] != '<')
		return (cur_fail(c, "message does not begin with '<'"));
	c->i++;
	for (pri = 0, k = 0; k < 4 && !cur_eof(c) && c->p[c->i] >= '0' &&
	    c->p[c->i] <= '9'; k++)
		pri = pri * 10 + (c->p[c->i++] - '0');
	if (k == 0 || k > 3 || cur_eof(c) || c->p[c->i] != '>')
		return (cur_fail(c, "PRI is not '<' 1*3DIGIT '>'"));
	c->i++;
	if (pri > 191)
		return (cur_fail(c, "PRIVAL %d above 191", pri));
	json_object_set_new(o, "pri", json_integer(pri));
	json_object_set_new(o, "facility", json_integer(pri >> 3));
	json_object_set_new(o, "severity", json_integer(pri & 7));

	/* VERSION = NONZERO-DIGIT 0*2DIGIT; only 1 is defined. */
	for (ver = 0, k = 0; k < 4 && !cur_eof(c) && c->p[c->i] >= '0' &&
	    c->p[c->i] <= '9'; k++)
		ver = ver * 10 + (c->p[c->i++] - '0');
	if (k == 0 || k > 3 || c->p[c->i - k] == '0')
		return (cur_fail(c, "VERSION is not NONZERO-DIGIT 0*2DIGIT"));
	json_object_set_new(o, "version", json_integer(ver));
	if (ver != 1)
		return (cur_fail(c, "VERSION %d is not 1", ver));
	if (cur_sp(c, "VERSION") == -1 || cur_timestamp(c, o) == -1 ||
	    cur_sp(c, "TIMESTAMP") == -1 ||
	    cur_field(c, o, "hostname", "HOSTNAME", 255) == -1 ||
	    cur_sp(c, "HOSTNAME") == -1 ||
	    cur_field(c, o, "app_name", "APP-NAME", 48) == -1 ||
	    cur_sp(c, "APP-NAME") == -1 ||
	    cur_field(c, o, "procid", "PROCID", 128) == -1 ||
	    cur_sp(c, "PROCID") == -1 ||
	    cur_field(c, o, "msgid", "MSGID", 32) == -1 ||
	    cur_sp(c, "MSGID") == -1 || cur_sd(c, o) == -1)
		return (-1);

	/* MSG = MSG-ANY / MSG-UTF8; MSG-UTF8 = BOM UTF-8-STRING */
	if (cur_eof(c)) {
		json_object_set_new(o, "bom", json_false());
		json_object_set_new(o, "msg", json_null());
		return (0);
	}
	if (cur_sp(c, "STRUCTURED-DATA") == -1)
		return (-1);
	if (c->n - c->i >= 3 && memcmp(c->p + c->i, "\xef\xbb\xbf", 3) == 0) {
		c->i += 3;
		json_object_set_new(o, "bom", json_true());
		if (!rcv_utf8_valid(c->p + c->i, c->n - c->i))
			return (cur_fail(c, "MSG after the BOM is not UTF-8"));
	} else
		json_object_set_new(o, "bom", json_false());
	rcv_json_bytes(o, "msg", c->p + c->i, c->n - c->i);
	return (0);
}

/* A record carrying only the common fields. */
static json_t *
syslog_record(struct conn *conn, const char *framing, const void *raw,
    size_t len)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "seq", json_integer((json_int_t)++nmessages));
	json_object_set_new(o, "received_at", rcv_json_now());
	json_object_set_new(o, "tls", json_boolean(conn->tls));
	json_object_set_new(o, "framing", json_string(framing));
	rcv_json_bytes(o, "raw", raw, len);
	return (o);
}

/* Parses one complete message and logs it. */
static void
syslog_message(struct conn *conn, const char *framing,
    const unsigned char *p, size_t n)
{
	struct cur	 c = { .p = p, .n = n };
	json_t		*o;

	o = syslog_record(conn, framing, p, n);
	if (syslog_parse(&c, o) == 0)
		json_object_set_new(o, "valid", json_true());
	else {
		json_object_set_new(o, "valid", json_false());
		json_object_set_new(o, "reason", json_string(c.why));
	}
	rcv_log_write(logfd, o);
}

/* Logs an invalid record that is not a parsed message. */
static void
syslog_invalid(struct conn *conn, const char *framing, const void *raw,
    size_t len, const char *why)
{
	json_t	*o;

	o = syslog_record(conn, framing, raw, len);
	json_object_set_new(o, "valid", json_false());
	json_object_set_new(o, "reason", json_string(why));
	rcv_log_write(logfd, o);
}

/* Logs a framing error with the start of what was buffered. */
static void
syslog_frame_error(struct conn *conn, struct evbuffer *in, const char *why)
{
	unsigned char	 buf[SYSLOG_RAW_ERR];
	ev_ssize_t	 n;

	n = evbuffer_copyout(in, buf, sizeof(buf));
	syslog_invalid(conn, "error", buf, n > 0 ? (size_t)n : 0, why);
}

/*
 * Takes the next frame off in: 1 if one was handled, 0 if more data is
 * needed, -1 on a framing error (logged; the connection must close).
 */
static int
syslog_frame(struct conn *conn, struct evbuffer *in)
{
	unsigned char	 hdr[SYSLOG_MAX_LEN_DIGITS + 1], *msg;
	char		 why[96];
	struct evbuffer_ptr pos;
	size_t		 avail, k, len;
	ev_ssize_t	 n;

	if ((avail = evbuffer_get_length(in)) == 0)
		return (0);
	n = evbuffer_copyout(in, hdr, sizeof(hdr));
	if (hdr[0] >= '0' && hdr[0] <= '9') {
		/* RFC 6587 3.4.1: MSG-LEN = NONZERO-DIGIT *DIGIT, then SP */
		if (hdr[0] == '0') {
			syslog_frame_error(conn, in, "MSG-LEN begins with 0");
			return (-1);
		}
		for (k = 0, len = 0; k < (size_t)n && hdr[k] >= '0' &&
		    hdr[k] <= '9'; k++)
			len = len * 10 + (hdr[k] - '0');
		if (k == (size_t)n) {
			if (k <= SYSLOG_MAX_LEN_DIGITS)
				return (0);
			syslog_frame_error(conn, in, "MSG-LEN too long");
			return (-1);
		}
		if (hdr[k] != ' ') {
			syslog_frame_error(conn, in,
			    "MSG-LEN not followed by SP");
			return (-1);
		}
		if (len > SYSLOG_MAX_MSG) {
			snprintf(why, sizeof(why), "frame of %zu octets "
			    "exceeds %d", len, SYSLOG_MAX_MSG);
			syslog_frame_error(conn, in, why);
			return (-1);
		}
		if (avail < k + 1 + len)
			return (0);
		evbuffer_drain(in, k + 1);
		if ((msg = malloc(len)) == NULL)
			err(1, "malloc");
		evbuffer_remove(in, msg, len);
		syslog_message(conn, "octet-counted", msg, len);
		free(msg);
		return (1);
	}

	/* RFC 6587 3.4.2, non-transparent framing with LF as trailer. */
	pos = evbuffer_search(in, "\n", 1, NULL);
	if (pos.pos == -1) {
		if (avail <= SYSLOG_MAX_MSG)
			return (0);
		syslog_frame_error(conn, in, "LF-terminated frame too long");
		return (-1);
	}
	len = pos.pos;
	if ((msg = malloc(len + 1)) == NULL)
		err(1, "malloc");
	evbuffer_remove(in, msg, len + 1);
	if (len == 0)
		syslog_invalid(conn, "lf", "", 0, "empty LF-terminated frame");
	else
		syslog_message(conn, "lf", msg, len);
	free(msg);
	return (1);
}

static void
conn_free(struct conn *conn)
{
	TAILQ_REMOVE(&conns, conn, entry);
	bufferevent_free(conn->bev);
	free(conn);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn	*conn = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	int		 r;

	while ((r = syslog_frame(conn, in)) == 1)
		;
	if (r == -1)
		conn_free(conn);
}

/* End of the connection: a partial frame left over is logged. */
static void
conn_event(struct bufferevent *bev, short events, void *arg)
{
	struct conn	*conn = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	unsigned long	 e;
	char		 why[320];

	if (!(events & (BEV_EVENT_EOF|BEV_EVENT_ERROR)))
		return;
	if (evbuffer_get_length(in) != 0)
		syslog_frame_error(conn, in,
		    "connection closed inside a frame");
	if (conn->tls && (e = bufferevent_get_openssl_error(bev)) != 0) {
		snprintf(why, sizeof(why), "TLS: %s",
		    ERR_error_string(e, NULL));
		syslog_invalid(conn, "error", "", 0, why);
	}
	conn_free(conn);
}

/* A new client. */
static void
syslog_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct conn	*conn;
	SSL		*ssl;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		err(1, "calloc");
	if (ssl_ctx != NULL) {
		if ((ssl = SSL_new(ssl_ctx)) == NULL)
			errx(1, "SSL_new failed");
		conn->bev = bufferevent_openssl_socket_new(base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		conn->tls = 1;
	} else
		conn->bev = bufferevent_socket_new(base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL)
		errx(1, "bufferevent_socket_new failed");
	if (conn->tls)
		bufferevent_openssl_set_allow_dirty_shutdown(conn->bev, 1);
	bufferevent_setcb(conn->bev, conn_read, NULL, conn_event, conn);
	bufferevent_enable(conn->bev, EV_READ);
	TAILQ_INSERT_TAIL(&conns, conn, entry);
}

/*
 * TIMESTAMP of RFC 3164 4.1.2: "Mmm dd hh:mm:ss", English month
 * abbreviation, day space-padded (" 5", never "05"), no year or zone.
 */
static int
cur_local_timestamp(struct cur *c, json_t *o)
{
	static const char	 months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const unsigned char	*p = c->p + c->i;
	size_t			 start = c->i, m;
	int			 d, h, mi, s;

	if (c->n - c->i < 15)
		return (cur_fail(c, "message ends inside TIMESTAMP"));
	for (m = 0; m < 12; m++)
		if (memcmp(p, months + 3 * m, 3) == 0)
			break;
	if (m == 12)
		return (cur_fail(c, "TIMESTAMP does not begin with a month "
		    "abbreviation"));
	c->i += 3;
	if (cur_sp(c, "the month") == -1)
		return (-1);
	if (p[4] == ' ' && p[5] >= '1' && p[5] <= '9')
		d = p[5] - '0';
	else if (p[4] >= '1' && p[4] <= '3' && p[5] >= '0' && p[5] <= '9')
		d = (p[4] - '0') * 10 + (p[5] - '0');
	else
		return (cur_fail(c, "day of TIMESTAMP is not \" d\" or \"dd\""));
	/* Any year: 29 February is allowed. */
	if (d > days_in_month(2000, m + 1))
		return (cur_fail(c, "day %d out of range", d));
	c->i += 2;
	if (cur_sp(c, "the day") == -1)
		return (-1);
	if ((h = cur_digits(c, 2)) == -1 || cur_eof(c) || c->p[c->i++] != ':' ||
	    (mi = cur_digits(c, 2)) == -1 || cur_eof(c) || c->p[c->i++] != ':' ||
	    (s = cur_digits(c, 2)) == -1)
		return (cur_fail(c, "time of TIMESTAMP is not hh:mm:ss"));
	if (h > 23 || mi > 59 || s > 59)
		return (cur_fail(c, "time of TIMESTAMP out of range"));
	json_object_set_new(o, "timestamp",
	    json_stringn((const char *)c->p + start, c->i - start));
	return (0);
}

/*
 * glibc's local format: "<PRI>" TIMESTAMP SP ident ["[" pid "]"] ": "
 * MSG.  The ident is printable ASCII without '[' and ':'.
 */
static int
syslog_parse_local(struct cur *c, json_t *o)
{
	size_t	 start, k;
	int	 pri;
	long long pid;

	if (cur_eof(c) || c->p[c->i] != '<')
		return (cur_fail(c, "message does not begin with '<'"));
	c->i++;
	for (pri = 0, k = 0; k < 4 && !cur_eof(c) && c->p[c->i] >= '0' &&
	    c->p[c->i] <= '9'; k++)
		pri = pri * 10 + (c->p[c->i++] - '0');
	if (k == 0 || k > 3 || cur_eof(c) || c->p[c->i] != '>')
		return (cur_fail(c, "PRI is not '<' 1*3DIGIT '>'"));
	if (k > 1 && c->p[c->i - k] == '0')
		return (cur_fail(c, "PRI has a leading zero"));
	c->i++;
	if (pri > 191)
		return (cur_fail(c, "PRIVAL %d above 191", pri));
	json_object_set_new(o, "pri", json_integer(pri));
	json_object_set_new(o, "facility", json_integer(pri >> 3));
	json_object_set_new(o, "severity", json_integer(pri & 7));
	if (cur_local_timestamp(c, o) == -1 || cur_sp(c, "TIMESTAMP") == -1)
		return (-1);

	start = c->i;
	while (!cur_eof(c) && c->p[c->i] >= 33 && c->p[c->i] <= 126 &&
	    c->p[c->i] != '[' && c->p[c->i] != ':')
		c->i++;
	if (c->i == start)
		return (cur_fail(c, "no ident"));
	if (cur_eof(c))
		return (cur_fail(c, "message ends inside the ident"));
	if (c->p[c->i] != '[' && c->p[c->i] != ':')
		return (cur_fail(c, "ident contains a byte that is not "
		    "PRINTUSASCII"));
	if (c->i - start > SYSLOG_IDENT_MAX)
		return (cur_fail(c, "ident longer than %d octets",
		    SYSLOG_IDENT_MAX));
	json_object_set_new(o, "ident",
	    json_stringn((const char *)c->p + start, c->i - start));
	if (c->p[c->i] == '[') {
		c->i++;
		for (pid = 0, k = 0; k <= SYSLOG_PID_DIGITS && !cur_eof(c) &&
		    c->p[c->i] >= '0' && c->p[c->i] <= '9'; k++)
			pid = pid * 10 + (c->p[c->i++] - '0');
		if (k == 0 || k > SYSLOG_PID_DIGITS || cur_eof(c) ||
		    c->p[c->i] != ']' || pid == 0 || c->p[c->i - k] == '0')
			return (cur_fail(c, "pid is not '[' 1*%dDIGIT ']'",
			    SYSLOG_PID_DIGITS));
		c->i++;
		json_object_set_new(o, "pid", json_integer(pid));
	} else
		json_object_set_new(o, "pid", json_null());
	if (cur_eof(c) || c->p[c->i] != ':')
		return (cur_fail(c, "expected ':' after the ident"));
	c->i++;
	if (cur_sp(c, "':'") == -1)
		return (-1);

	rcv_json_bytes(o, "msg", c->p + c->i, c->n - c->i);
	if (!rcv_utf8_valid(c->p + c->i, c->n - c->i))
		return (cur_fail(c, "MSG is not UTF-8"));
	for (; !cur_eof(c); c->i++)
		if (c->p[c->i] < 0x20 || c->p[c->i] == 0x7f)
			return (cur_fail(c, "control character 0x%02x in MSG",
			    c->p[c->i]));
	return (0);
}

/* Reads and logs every datagram queued on the local socket. */
static void
syslog_dgram(evutil_socket_t fd, short events, void *arg)
{
	struct cur	 c;
	json_t		*o;
	ssize_t		 n;
	size_t		 len;
	char		 why[96];

	for (;;) {
		n = recv(fd, dgram, sizeof(dgram), MSG_TRUNC);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			err(1, "recv");
		}
		len = (size_t)n < sizeof(dgram) ? (size_t)n : sizeof(dgram);
		o = json_object();
		json_object_set_new(o, "seq",
		    json_integer((json_int_t)++nmessages));
		json_object_set_new(o, "received_at", rcv_json_now());
		json_object_set_new(o, "tls", json_false());
		json_object_set_new(o, "framing", json_string("datagram"));
		rcv_json_bytes(o, "raw", dgram, len);
		memset(&c, 0, sizeof(c));
		c.p = dgram;
		c.n = len;
		if ((size_t)n > SYSLOG_MAX_MSG) {
			snprintf(why, sizeof(why), "datagram of %zd octets "
			    "exceeds %d", n, SYSLOG_MAX_MSG);
			json_object_set_new(o, "valid", json_false());
			json_object_set_new(o, "reason", json_string(why));
		} else if (syslog_parse_local(&c, o) == 0)
			json_object_set_new(o, "valid", json_true());
		else {
			json_object_set_new(o, "valid", json_false());
			json_object_set_new(o, "reason", json_string(c.why));
		}
		rcv_log_write(logfd, o);
	}
}

/* sockaddr_un for path; exits when it does not fit. */
static socklen_t
unix_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		errx(RCV_EXIT_USAGE, "%s: path too long for a socket", path);
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return (sizeof(*sun));
}

/*
 * The local socket, world-writable like /dev/log; a stale socket left
 * at path is replaced, anything else there is an error.
 */
static int
unix_listen(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	socklen_t		 len;
	int			 s;

	len = unix_addr(&sun, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			errx(1, "%s exists and is not a socket", path);
		if (unlink(path) == -1)
			err(1, "unlink %s", path);
	}
	if ((s = socket(AF_UNIX, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC,
	    0)) == -1)
		err(1, "socket");
	if (bind(s, (struct sockaddr *)&sun, len) == -1)
		err(1, "bind %s", path);
	if (chmod(path, 0666) == -1)
		err(1, "chmod %s", path);
	return (s);
}

/* The port file of the local mode: the socket's path, once bound. */
static void
unix_port_file(const char *file, const char *path)
{
	char	*tmp;
	FILE	*f;

	if (asprintf(&tmp, "%s.tmp", file) == -1)
		err(1, "asprintf");
	if ((f = fopen(tmp, "w")) == NULL)
		err(1, "open %s", tmp);
	fprintf(f, "%s\n", path);
	if (fclose(f) == EOF)
		err(1, "write %s", tmp);
	if (rename(tmp, file) == -1)
		err(1, "rename %s", tmp);
	free(tmp);
}

/* --send-unix: stdin as one datagram to the socket at path. */
static int
syslog_send_unix(const char *path)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	size_t			 n = 0;
	ssize_t			 r;
	int			 s;

	len = unix_addr(&sun, path);
	while (n < sizeof(dgram)) {
		r = read(STDIN_FILENO, dgram + n, sizeof(dgram) - n);
		if (r == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read stdin");
		}
		n += r;
	}
	if ((s = socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (sendto(s, dgram, n, 0, (struct sockaddr *)&sun, len) == -1)
		err(1, "send to %s", path);
	close(s);
	return (0);
}

static void
syslog_signal(evutil_socket_t sig, short events, void *arg)
{
	event_base_loopexit(base, NULL);
}

/*
 * --send: copies stdin to 127.0.0.1:port, then waits for the receiver
 * to close, so that everything sent has been logged on return.
 */
static int
syslog_send(int port)
{
	struct sockaddr_in	 sin;
	char			 buf[4096];
	ssize_t			 n, w, off;
	int			 s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect 127.0.0.1 port %d", port);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read stdin");
		}
		for (off = 0; off < n; off += w)
			if ((w = write(s, buf + off, n - off)) == -1)
				err(1, "send");
	}
	if (shutdown(s, SHUT_WR) == -1)
		err(1, "shutdown");
	while ((n = read(s, buf, sizeof(buf))) > 0)
		;
	close(s);
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port-file",	required_argument, NULL, 'P' },
		{ "log",	required_argument, NULL, 'l' },
		{ "port",	required_argument, NULL, 'p' },
		{ "cert",	required_argument, NULL, 'c' },
		{ "key",	required_argument, NULL, 'k' },
		{ "client-ca",	required_argument, NULL, 'C' },
		{ "send",	required_argument, NULL, 's' },
		{ "unix",	required_argument, NULL, 'u' },
		{ "send-unix",	required_argument, NULL, 'U' },
		{ NULL,		0,		   NULL, 0 }
	};
	const char		*port_file = NULL, *log = NULL, *cert = NULL;
	const char		*key = NULL, *client_ca = NULL;
	const char		*unix_path = NULL, *send_unix = NULL;
	struct evconnlistener	*listener = NULL;
	struct event		*sigterm, *sigint, *dgram_ev = NULL;
	struct sockaddr_in	 sin;
	struct conn		*conn;
	int			 ch, port = 0, send = -1, ufd = -1;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			port_file = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'p':
			port = rcv_number("port", optarg, 0, 65535);
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'C':
			client_ca = optarg;
			break;
		case 's':
			send = rcv_number("send", optarg, 1, 65535);
			break;
		case 'u':
			unix_path = optarg;
			break;
		case 'U':
			send_unix = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (send != -1)
		return (syslog_send(send));
	if (send_unix != NULL)
		return (syslog_send_unix(send_unix));
	if ((port_file == NULL && unix_path == NULL) || log == NULL)
		usage();
	if (unix_path != NULL && (cert != NULL || client_ca != NULL ||
	    port != 0))
		errx(RCV_EXIT_USAGE, "--unix takes no --port, --cert, --key "
		    "or --client-ca");
	if ((cert == NULL) != (key == NULL))
		errx(RCV_EXIT_USAGE, "--cert and --key go together");
	if (client_ca != NULL && cert == NULL)
		errx(RCV_EXIT_USAGE, "--client-ca needs --cert and --key");

	logfd = rcv_log_open(log);
	if (cert != NULL)
		ssl_ctx = rcv_tls_ctx(cert, key, client_ca);
	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new failed");

	if (unix_path != NULL) {
		ufd = unix_listen(unix_path);
		dgram_ev = event_new(base, ufd, EV_READ|EV_PERSIST,
		    syslog_dgram, NULL);
		if (dgram_ev == NULL || event_add(dgram_ev, NULL) == -1)
			errx(1, "event_new failed");
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		listener = evconnlistener_new_bind(base, syslog_accept, NULL,
		    LEV_OPT_CLOSE_ON_FREE|LEV_OPT_REUSEABLE|
		    LEV_OPT_CLOSE_ON_EXEC, 16,
		    (struct sockaddr *)&sin, sizeof(sin));
		if (listener == NULL)
			err(1, "bind 127.0.0.1 port %d", port);
	}

	sigterm = evsignal_new(base, SIGTERM, syslog_signal, NULL);
	sigint = evsignal_new(base, SIGINT, syslog_signal, NULL);
	if (sigterm == NULL || sigint == NULL)
		errx(1, "evsignal_new failed");
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);

	if (unix_path != NULL) {
		if (port_file != NULL)
			unix_port_file(port_file, unix_path);
	} else
		rcv_port_file(port_file, evconnlistener_get_fd(listener));
	event_base_dispatch(base);

	while ((conn = TAILQ_FIRST(&conns)) != NULL)
		conn_free(conn);
	if (listener != NULL)
		evconnlistener_free(listener);
	if (dgram_ev != NULL) {
		/* What is still queued is logged before the socket goes. */
		syslog_dgram(ufd, EV_READ, NULL);
		event_free(dgram_ev);
		close(ufd);
		unlink(unix_path);
	}
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	SSL_CTX_free(ssl_ctx);
	close(logfd);
	return (0);
}
