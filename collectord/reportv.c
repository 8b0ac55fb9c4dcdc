/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's parser and validator of incoming reports (see
 * reportv.h and doc/collectord-design.md).  The body is hostile until
 * this file says otherwise, so the order of work is chosen to bound
 * every cost before it is paid: the size first, then the nesting depth
 * by a scan that allocates nothing, then jansson (duplicate keys
 * refused, so no two readers can see different values), then the schema
 * with the JSON pointer of the first violation.  Every loop is linear
 * in the body except the duplicate check ids, which are sorted.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "reportv.h"
#include "util.h"
#include "xmalloc.h"

#define REPORTV_QUOTE_MAX	48	/* bytes of a bad value echoed back */
#define PTR_MAX			96	/* bytes of a pointer built here */
#define REPORTV_GZ_FIRST	(64 * 1024) /* bytes, first output buffer */
#define REPORTV_YEAR_MIN	2020	/* generated_at sanity bounds */
#define REPORTV_YEAR_MAX	2099

static const char *status_names[] = {
	"pass", "fail", "error", "not_applicable"
};
static const char *severity_names[] = {
	"low", "medium", "high", "critical"
};
static const char *kind_names[] = { "run", "catch_up" };

/* Highest control number of each 2022 Annex A clause, A.5 to A.8. */
static const unsigned int annex_max[] = { 37, 8, 14, 34 };

struct jp;
static void	doc_free(struct jp *);

struct dupent {
	const char	*id;
	size_t		 i;
};

const char *
reportv_status_name(enum reportv_status s)
{
	return (status_names[s]);
}

const char *
reportv_severity_name(enum reportv_severity s)
{
	return (severity_names[s]);
}

const char *
reportv_kind_name(enum reportv_kind k)
{
	return (kind_names[k]);
}

/*
 * Copies at most REPORTV_QUOTE_MAX bytes of s for an error message,
 * cutting on a UTF-8 boundary and replacing control characters, so the
 * detail stays valid UTF-8 and safe in a log line.
 */
static void
quote(char *dst, size_t dsz, const char *s)
{
	size_t	n, i, max;

	max = dsz - 4;
	if (max > REPORTV_QUOTE_MAX)
		max = REPORTV_QUOTE_MAX;
	n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' :
		    s[i];
	if (n < strlen(s))
		memcpy(dst + n, "...", 4);
	else
		dst[n] = '\0';
}

/* Records a schema violation at pointer ptr; returns -1. */
static int __attribute__((format(printf, 3, 4)))
bad(struct reportv_error *err, const char *ptr, const char *fmt, ...)
{
	va_list	ap;

	err->status = 422;
	snprintf(err->pointer, sizeof err->pointer, "%s", ptr);
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof err->detail, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Formats a JSON pointer into buf (only on failure: it costs). */
static const char * __attribute__((format(printf, 2, 3)))
ptrf(char *buf, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, PTR_MAX, fmt, ap);
	va_end(ap);
	return (buf);
}

/*
 * Records a violation for a field that is missing or of the wrong type,
 * in the same words for both parsers (reportv_parse, reportv_ingest).
 */
static int
bad_kind(struct reportv_error *err, const char *ptr, int missing,
    const char *what)
{
	if (missing)
		return (bad(err, ptr, "%s is missing: it must be %s.", ptr,
		    what));
	return (bad(err, ptr, "%s must be %s.", ptr, what));
}

/* A string over its limit, in the same words for both parsers. */
static int
bad_length(struct reportv_error *err, const char *ptr, size_t len,
    size_t max)
{
	return (bad(err, ptr, "%s is %zu bytes long; at most %zu are "
	    "allowed.", ptr, len, max));
}

/* bad_kind for a member of a jansson document. */
static int
bad_type(struct reportv_error *err, const char *ptr, json_t *v,
    const char *what)
{
	return (bad_kind(err, ptr, v == NULL, what));
}

/*
 * Copies a message of jansson's, which quotes the bytes where parsing
 * stopped and so may hold a cut or invalid UTF-8 sequence, replacing
 * what would make the detail invalid in a JSON answer or a log line.
 */
static void
clean_text(char *dst, size_t dsz, const char *s)
{
	json_t	*v;
	size_t	 i;
	int	 ascii = 0;

	snprintf(dst, dsz, "%s", s);
	if ((v = json_string(dst)) == NULL)
		ascii = 1;
	json_decref(v);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f ||
		    (ascii && (unsigned char)dst[i] >= 0x80))
			dst[i] = '?';
}

/* Counts line and column (1-based, in bytes) of offset off in buf. */
static void
position(const char *buf, size_t off, int *line, int *column)
{
	size_t	i;

	*line = 1;
	*column = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*column = 1;
		} else
			(*column)++;
	}
}

/*
 * Refuses nesting deeper than REPORTV_MAX_DEPTH before jansson builds
 * anything: a scan of brackets outside strings, exact for valid JSON
 * (invalid JSON is refused by jansson afterwards anyway).
 */
static int
depth_scan(const char *buf, size_t len, struct reportv_error *err)
{
	size_t	i;
	int	depth = 0, instr = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				instr = 0;
			continue;
		}
		switch (buf[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth <= REPORTV_MAX_DEPTH)
				break;
			err->status = 400;
			position(buf, i, &err->line, &err->column);
			snprintf(err->detail, sizeof err->detail,
			    "Invalid JSON at line %d, column %d: nesting "
			    "deeper than %d levels.", err->line, err->column,
			    REPORTV_MAX_DEPTH);
			return (-1);
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return (0);
}

/* Returns the index of s in names[n], or -1. */
static int
lookup(const char *s, const char **names, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (i);
	return (-1);
}

/* A check id as policies allow: lower case first, then [a-z0-9._-]. */
static int
valid_check_id(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > REPORTV_MAX_CHECK_ID || !islower((unsigned
	    char)s[0]))
		return (0);
	for (i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' &&
		    s[i] <= '9') && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return (0);
	return (1);
}

/*
 * Reads a decimal number of 1 to maxdigits digits without a leading
 * zero at *sp; returns it and advances *sp, or returns -1.
 */
static long
number(const char **sp, int maxdigits)
{
	const char	*s = *sp;
	long		 v = 0;
	int		 n = 0;

	if (*s == '0' && isdigit((unsigned char)s[1]))
		return (-1);
	while (isdigit((unsigned char)*s) && n < maxdigits) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || isdigit((unsigned char)*s))
		return (-1);
	*sp = s;
	return (v);
}

/* A 2022 Annex A control that exists: A.5.1-37, A.6.1-8, A.7.1-14, A.8.1-34. */
static int
valid_control(const char *s)
{
	long	clause, n;

	if (strncmp(s, "A.", 2) != 0)
		return (0);
	s += 2;
	if ((clause = number(&s, 1)) < 5 || clause > 8 || *s++ != '.')
		return (0);
	if ((n = number(&s, 2)) < 1 || *s != '\0')
		return (0);
	return (n <= (long)annex_max[clause - 5]);
}

/* A 2013 Annex A control id: A.<5-18>.<n>.<n>. */
static int
valid_control_2013(const char *s)
{
	long	v;
	int	i;

	if (strncmp(s, "A.", 2) != 0)
		return (0);
	s += 2;
	if ((v = number(&s, 2)) < 5 || v > 18)
		return (0);
	for (i = 0; i < 2; i++)
		if (*s++ != '.' || number(&s, 2) < 1)
			return (0);
	return (*s == '\0');
}

/* Reads n digits at s; returns the value or -1. */
static int
digits(const char *s, int n)
{
	int	v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)*s))
			return (-1);
		v = v * 10 + (*s++ - '0');
	}
	return (v);
}

/*
 * Parses an RFC 3339 UTC time, YYYY-MM-DDTHH:MM:SS[.frac]Z, with the
 * year within REPORTV_YEAR_MIN..MAX (the caller compares it with its
 * clock: a catch-up report is old by design).  Returns 0 or -1.
 */
static int
parse_time(const char *s, time_t *t)
{
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	struct tm		 tm;
	int			 y, mo, d, h, mi, se, leap;
	size_t			 i;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return (-1);
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < REPORTV_YEAR_MIN || y > REPORTV_YEAR_MAX || mo < 1 ||
	    mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    se < 0 || se > 59)
		return (-1);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
		return (-1);
	i = 19;
	if (s[i] == '.') {
		for (i++; isdigit((unsigned char)s[i]) && i < 30; i++)
			;
		if (i == 20)
			return (-1);
	}
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return (-1);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = timegm(&tm);
	return (0);
}

/* A UUID, 8-4-4-4-12 hex digits of either case, copied in lower case. */
static int
parse_uuid(const char *s, char out[37])
{
	int	i;

	if (strlen(s) != 36)
		return (-1);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (-1);
			out[i] = '-';
		} else if (isxdigit((unsigned char)s[i]))
			out[i] = tolower((unsigned char)s[i]);
		else
			return (-1);
	}
	out[36] = '\0';
	return (0);
}

/* Checks an optional or required string of at most max bytes. */
static int
check_text(json_t *o, const char *key, const char *base, size_t max,
    int required, struct reportv_error *err)
{
	json_t	*v;
	char	 ptr[PTR_MAX];

	v = json_object_get(o, key);
	if (v == NULL && !required)
		return (0);
	if (!json_is_string(v))
		return (bad_type(err, ptrf(ptr, "%s/%s", base, key), v,
		    "a string"));
	if (json_string_length(v) > max)
		return (bad_length(err, ptrf(ptr, "%s/%s", base, key),
		    json_string_length(v), max));
	return (0);
}

/* Looks a string member up in names; returns its index or -1. */
static int
check_enum(json_t *o, const char *key, const char *base, const char **names,
    int n, const char *expect, struct reportv_error *err)
{
	json_t	*v;
	char	 ptr[PTR_MAX], q[64];
	int	 i;

	v = json_object_get(o, key);
	if (!json_is_string(v))
		return (bad_type(err, ptrf(ptr, "%s/%s", base, key), v,
		    expect));
	if ((i = lookup(json_string_value(v), names, n)) == -1) {
		quote(q, sizeof q, json_string_value(v));
		return (bad(err, ptrf(ptr, "%s/%s", base, key), "\"%s\" is "
		    "not allowed: %s must be %s.", q, ptr, expect));
	}
	return (i);
}

/* The controls of one result: 1 to 20 distinct 2022 Annex A ids. */
static int
check_controls(json_t *r, const char *base, struct reportv_error *err)
{
	json_t	*a, *v;
	char	 ptr[PTR_MAX], q[64];
	size_t	 i, j, n;

	a = json_object_get(r, "controls");
	if (!json_is_array(a))
		return (bad_type(err, ptrf(ptr, "%s/controls", base), a,
		    "an array of ISO/IEC 27001:2022 Annex A controls"));
	if ((n = json_array_size(a)) == 0 || n > REPORTV_MAX_CONTROLS)
		return (bad(err, ptrf(ptr, "%s/controls", base), "%s has %zu "
		    "entries; a check maps to 1 to %d controls.", ptr, n,
		    REPORTV_MAX_CONTROLS));
	for (i = 0; i < n; i++) {
		v = json_array_get(a, i);
		if (!json_is_string(v))
			return (bad(err, ptrf(ptr, "%s/controls/%zu", base, i),
			    "%s must be a string.", ptr));
		if (!valid_control(json_string_value(v))) {
			quote(q, sizeof q, json_string_value(v));
			return (bad(err, ptrf(ptr, "%s/controls/%zu", base, i),
			    "\"%s\" is not an ISO/IEC 27001:2022 Annex A "
			    "control (A.5.1 to A.8.34).", q));
		}
		for (j = 0; j < i; j++)
			if (json_equal(v, json_array_get(a, j)))
				return (bad(err, ptrf(ptr, "%s/controls/%zu",
				    base, i), "%s repeats control %s.", ptr,
				    json_string_value(v)));
	}
	return (0);
}

/* The 2013 controls of one result: an array of A.n.n.n ids. */
static int
check_controls_2013(json_t *r, const char *base, struct reportv_error *err)
{
	json_t	*a, *v;
	char	 ptr[PTR_MAX], q[64];
	size_t	 i, n;

	a = json_object_get(r, "controls_2013");
	if (!json_is_array(a))
		return (bad_type(err, ptrf(ptr, "%s/controls_2013", base), a,
		    "an array of ISO/IEC 27001:2013 Annex A controls"));
	if ((n = json_array_size(a)) > REPORTV_MAX_CONTROLS_2013)
		return (bad(err, ptrf(ptr, "%s/controls_2013", base), "%s has "
		    "%zu entries; at most %d are allowed.", ptr, n,
		    REPORTV_MAX_CONTROLS_2013));
	for (i = 0; i < n; i++) {
		v = json_array_get(a, i);
		if (!json_is_string(v))
			return (bad(err, ptrf(ptr, "%s/controls_2013/%zu", base,
			    i), "%s must be a string.", ptr));
		if (!valid_control_2013(json_string_value(v))) {
			quote(q, sizeof q, json_string_value(v));
			return (bad(err, ptrf(ptr, "%s/controls_2013/%zu", base,
			    i), "\"%s\" is not an ISO/IEC 27001:2013 Annex A "
			    "control (A.5.1.1 to A.18.2.3).", q));
		}
	}
	return (0);
}

/* Validates result i and fills *out. */
static int
check_result(json_t *r, size_t i, struct reportv_result *out,
    struct reportv_error *err)
{
	json_t	*v;
	char	 base[32], ptr[PTR_MAX], q[64];
	size_t	 n;
	int	 k;

	snprintf(base, sizeof base, "/results/%zu", i);
	if (!json_is_object(r))
		return (bad(err, base, "%s must be an object.", base));
	out->obj = r;

	v = json_object_get(r, "check");
	if (!json_is_string(v))
		return (bad_type(err, ptrf(ptr, "%s/check", base), v,
		    "a check id"));
	if (!valid_check_id(json_string_value(v), json_string_length(v))) {
		quote(q, sizeof q, json_string_value(v));
		return (bad(err, ptrf(ptr, "%s/check", base), "\"%s\" is not "
		    "a check id: lower case letters, digits, '.', '_' and '-', "
		    "starting with a letter, at most %d bytes.", q,
		    REPORTV_MAX_CHECK_ID));
	}
	out->check = json_string_value(v);

	if (check_text(r, "title", base, REPORTV_MAX_TEXT, 1, err) == -1)
		return (-1);
	if ((k = check_enum(r, "status", base, status_names, REPORTV_NSTATUS,
	    "pass, fail, error or not_applicable", err)) == -1)
		return (-1);
	out->status = k;
	if ((k = check_enum(r, "severity", base, severity_names, 4,
	    "low, medium, high or critical", err)) == -1)
		return (-1);
	out->severity = k;
	if (check_controls(r, base, err) == -1 ||
	    check_controls_2013(r, base, err) == -1)
		return (-1);
	if (check_text(r, "message", base, REPORTV_MAX_TEXT, 1, err) == -1 ||
	    check_text(r, "remediation", base, REPORTV_MAX_TEXT, 0, err) == -1)
		return (-1);

	v = json_object_get(r, "evidence");
	if (!json_is_object(v))
		return (bad_type(err, ptrf(ptr, "%s/evidence", base), v,
		    "an object"));
	/* With no buffer, json_dumpb only counts. */
	if ((n = json_dumpb(v, NULL, 0, JSON_COMPACT)) > REPORTV_MAX_EVIDENCE)
		return (bad(err, ptrf(ptr, "%s/evidence", base), "%s is %zu "
		    "bytes as compact JSON; at most %d are allowed.", ptr, n,
		    REPORTV_MAX_EVIDENCE));
	return (0);
}

/* Orders check ids, then document order. */
static int
dup_cmp(const void *a, const void *b)
{
	const struct dupent	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->id, y->id)) != 0)
		return (c);
	return (x->i < y->i ? -1 : x->i > y->i);
}

/* Refuses a check id seen twice, pointing at its earliest repetition. */
static int
check_duplicates(struct reportv *rv, struct reportv_error *err)
{
	struct dupent	*v;
	size_t		 i, first = SIZE_MAX, orig = 0;
	char		 ptr[64];

	if (rv->nresults < 2)
		return (0);
	v = xreallocarray(NULL, rv->nresults, sizeof *v);
	for (i = 0; i < rv->nresults; i++) {
		v[i].id = rv->results[i].check;
		v[i].i = i;
	}
	qsort(v, rv->nresults, sizeof *v, dup_cmp);
	for (i = 1; i < rv->nresults; i++) {
		if (strcmp(v[i].id, v[i - 1].id) == 0 && v[i].i < first &&
		    v[i - 1].i < v[i].i) {
			first = v[i].i;
			orig = v[i - 1].i;
		}
	}
	free(v);
	if (first == SIZE_MAX)
		return (0);
	snprintf(ptr, sizeof ptr, "/results/%zu/check", first);
	return (bad(err, ptr, "Check %s appears twice, at /results/%zu and "
	    "/results/%zu.", rv->results[first].check, orig, first));
}

/* The summary must count exactly the statuses of the results. */
static int
check_summary(json_t *root, struct reportv *rv, struct reportv_error *err)
{
	json_t		*s, *v;
	unsigned int	 count[REPORTV_NSTATUS] = { 0 };
	char		 ptr[64];
	size_t		 i;
	int		 k;

	for (i = 0; i < rv->nresults; i++)
		count[rv->results[i].status]++;
	s = json_object_get(root, "summary");
	if (!json_is_object(s))
		return (bad_type(err, "/summary", s, "an object"));
	for (k = 0; k < REPORTV_NSTATUS; k++) {
		snprintf(ptr, sizeof ptr, "/summary/%s", status_names[k]);
		v = json_object_get(s, status_names[k]);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return (bad_type(err, ptr, v,
			    "a non-negative integer"));
		if (json_integer_value(v) != (json_int_t)count[k])
			return (bad(err, ptr, "%s is %lld, but %u results have "
			    "status %s.", ptr, (long long)json_integer_value(v),
			    count[k], status_names[k]));
		rv->summary[k] = count[k];
	}
	return (0);
}

/* The agent block: version, host_id (null or 32 hex), hostname, os. */
static int
check_agent(json_t *root, struct reportv *rv, struct reportv_error *err)
{
	json_t		*a, *v;
	const char	*s;
	size_t		 i;

	a = json_object_get(root, "agent");
	if (!json_is_object(a))
		return (bad_type(err, "/agent", a, "an object"));

	if (check_text(a, "version", "/agent", REPORTV_MAX_VERSION, 1,
	    err) == -1)
		return (-1);
	rv->agent_version = json_string_value(json_object_get(a, "version"));
	if (*rv->agent_version == '\0')
		return (bad(err, "/agent/version", "/agent/version is empty."));

	v = json_object_get(a, "host_id");
	if (!json_is_null(v)) {
		if (!json_is_string(v))
			return (bad_type(err, "/agent/host_id", v, "a machine "
			    "id (32 lower-case hex digits) or null"));
		s = json_string_value(v);
		for (i = 0; s[i] != '\0'; i++)
			if (!isdigit((unsigned char)s[i]) &&
			    !(s[i] >= 'a' && s[i] <= 'f'))
				break;
		if (i != 32 || s[i] != '\0')
			return (bad(err, "/agent/host_id", "/agent/host_id "
			    "must be a machine id (32 lower-case hex digits) "
			    "or null."));
		rv->host_id = s;
	}

	v = json_object_get(a, "hostname");
	if (v != NULL && !json_is_null(v)) {
		if (check_text(a, "hostname", "/agent", REPORTV_MAX_HOSTNAME,
		    1, err) == -1)
			return (-1);
		rv->hostname = json_string_value(v);
	}
	v = json_object_get(a, "os");
	if (v != NULL && !json_is_null(v) && !json_is_object(v))
		return (bad(err, "/agent/os", "/agent/os must be an object."));
	return (0);
}

/* Validates the document's top level and every result; fills rv. */
static int
check_report(json_t *root, struct reportv *rv, struct reportv_error *err)
{
	json_t		*v, *a;
	const char	*s;
	char		 q[64];
	size_t		 i;
	int		 k;

	if (!json_is_object(root))
		return (bad(err, "", "The report must be a JSON object."));

	v = json_object_get(root, "schema");
	if (!json_is_string(v))
		return (bad_type(err, "/schema", v, "\"" REPORTV_SCHEMA "\""));
	if (strcmp(json_string_value(v), REPORTV_SCHEMA) != 0) {
		quote(q, sizeof q, json_string_value(v));
		return (bad(err, "/schema", "Schema \"%s\" is not supported: "
		    "this collector accepts " REPORTV_SCHEMA ".", q));
	}

	v = json_object_get(root, "report_id");
	if (!json_is_string(v) || parse_uuid(json_string_value(v),
	    rv->report_id) == -1)
		return (bad_type(err, "/report_id", v, "a UUID "
		    "(8-4-4-4-12 hex digits)"));

	if ((k = check_enum(root, "kind", "", kind_names, 2,
	    "run or catch_up", err)) == -1)
		return (-1);
	rv->kind = k;

	v = json_object_get(root, "generated_at");
	if (!json_is_string(v))
		return (bad_type(err, "/generated_at", v, "an RFC 3339 UTC "
		    "time"));
	s = json_string_value(v);
	if (parse_time(s, &rv->generated_at) == -1) {
		quote(q, sizeof q, s);
		return (bad(err, "/generated_at", "\"%s\" is not an RFC 3339 "
		    "UTC time (YYYY-MM-DDTHH:MM:SSZ) between %d and %d.", q,
		    REPORTV_YEAR_MIN, REPORTV_YEAR_MAX));
	}
	rv->generated_at_str = s;

	if (check_agent(root, rv, err) == -1)
		return (-1);

	a = json_object_get(root, "results");
	if (!json_is_array(a))
		return (bad_type(err, "/results", a, "an array"));
	if (json_array_size(a) > REPORTV_MAX_RESULTS)
		return (bad(err, "/results", "/results has %zu entries; at "
		    "most %d are allowed.", json_array_size(a),
		    REPORTV_MAX_RESULTS));
	rv->results = xcalloc(json_array_size(a) + 1, sizeof *rv->results);
	for (i = 0; i < json_array_size(a); i++) {
		if (check_result(json_array_get(a, i), i, &rv->results[i],
		    err) == -1)
			return (-1);
		rv->nresults++;
	}
	if (check_duplicates(rv, err) == -1)
		return (-1);
	return (check_summary(root, rv, err));
}

int
reportv_parse(const char *buf, size_t len, struct reportv **out,
    struct reportv_error *err)
{
	struct reportv	*rv;
	json_error_t	 jerr;
	json_t		*root;
	char		 text[JSON_ERROR_TEXT_LENGTH];

	memset(err, 0, sizeof *err);
	*out = NULL;
	if (len > REPORTV_MAX_SIZE) {
		err->status = 413;
		snprintf(err->detail, sizeof err->detail, "The report is %zu "
		    "bytes; at most %d are accepted.", len, REPORTV_MAX_SIZE);
		return (-1);
	}
	if (depth_scan(buf, len, err) == -1)
		return (-1);
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		err->status = 400;
		err->line = jerr.line;
		err->column = jerr.column;
		clean_text(text, sizeof text, jerr.text);
		snprintf(err->detail, sizeof err->detail, "Invalid JSON at "
		    "line %d, column %d: %s.", jerr.line, jerr.column, text);
		return (-1);
	}
	rv = xcalloc(1, sizeof *rv);
	rv->root = root;
	if (check_report(root, rv, err) == -1) {
		reportv_free(rv);
		return (-1);
	}
	*out = rv;
	return (0);
}

void
reportv_free(struct reportv *rv)
{
	if (rv == NULL)
		return;
	json_decref(rv->root);
	doc_free(rv->doc);
	free(rv->results);
	free(rv);
}

/*
 * The ingest path (reportv_ingest): a single-pass JSON parser of its
 * own instead of jansson's DOM.  Values go into one growing array in
 * document order (a container is followed by its members and knows the
 * index after its subtree), decoded strings into one buffer of the
 * body's size (a string and its NUL never take more room than its
 * quoted form), so a report costs a handful of allocations, not one per
 * node, and keys are compared, never hashed.  While parsing, every value
 * learns its size as compact JSON (jansson's encoding: the evidence
 * limit) and whether its bytes are already what json_dumps would write
 * with JSON_COMPACT | JSON_SORT_KEYS; when the whole body is, its hash is
 * the canonical hash and nothing is serialised again.
 */

enum jt {
	JT_NULL,
	JT_FALSE,
	JT_TRUE,
	JT_INT,
	JT_REAL,
	JT_STR,
	JT_ARR,
	JT_OBJ
};

/* One value. */
struct jv {
	const char	*key;		/* member of an object: its name */
	size_t		 keylen;
	const char	*s;		/* string: decoded, NUL-terminated */
	size_t		 len;
	long long	 i;		/* integer */
	size_t		 clen;		/* bytes as compact JSON */
	uint32_t	 next;		/* index after this value's subtree */
	uint32_t	 n;		/* members of an array or object */
	int		 type;
};

/* The parser and, after it, the parsed document (the arena). */
struct jp {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	struct jv	*v;
	uint32_t	 nv;
	uint32_t	 cap;
	char		*sbuf;		/* decoded strings */
	size_t		 spos;
	char		*cbuf;		/* controls as compact JSON */
	size_t		 cpos;
	size_t		 csize;
	int		 canonical;
	const char	*why;		/* what was wrong, on failure */
	size_t		 errpos;
};

#define JP_NONE		UINT32_MAX

/* Records a syntax error at offset at; returns -1. */
static int
jp_fail(struct jp *p, size_t at, const char *why)
{
	p->why = why;
	p->errpos = at;
	return (-1);
}

/* A new value of type t; returns its index. */
static uint32_t
jp_new(struct jp *p, int t)
{
	struct jv	*v;

	if (p->nv == p->cap) {
		p->cap = p->cap < 64 ? 64 : p->cap * 2;
		p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
	}
	v = &p->v[p->nv];
	memset(v, 0, sizeof *v);
	v->type = t;
	v->next = p->nv + 1;
	return (p->nv++);
}

/* Skips JSON white space; any makes the body non-canonical. */
static void
jp_ws_slow(struct jp *p)
{
	size_t	start = p->pos;

	while (p->pos < p->len && (p->buf[p->pos] == ' ' ||
	    p->buf[p->pos] == '\n' || p->buf[p->pos] == '\r' ||
	    p->buf[p->pos] == '\t'))
		p->pos++;
	if (p->pos != start)
		p->canonical = 0;
}

/* As jp_ws_slow, without a call when no white space follows. */
static inline void
jp_ws(struct jp *p)
{
	if (p->pos < p->len && (unsigned char)p->buf[p->pos] > ' ')
		return;
	jp_ws_slow(p);
}

/* Four hex digits at s; returns the value or -1. */
static long
hex4(const char *s)
{
	long	v = 0;
	int	i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= s[i] - 'A' + 10;
		else
			return (-1);
	}
	return (v);
}

/* Bytes jansson writes for the decoded character c below 0x80. */
static size_t
esc_len(unsigned char c)
{
	if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
	    c == '\r' || c == '\t')
		return (2);
	return (c < 0x20 ? 6 : 1);
}

/* Bytes a string holds as they are: ASCII but controls, '"' and '\\'. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,		/* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,		/* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,		/* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,		/* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,		/* 0x70 */
};

#define SWAR_ONES	0x0101010101010101ULL
#define SWAR_HIGHS	0x8080808080808080ULL

/*
 * Eight string bytes at once: 0 when none is '"', '\\', below 0x20 or
 * above 0x7f (the bytes plain[] refuses).  The zero-byte tests may also
 * flag a byte after a true hit, never miss one, so a non-zero answer
 * only sends the scan to plain[] byte by byte.
 */
static inline uint64_t
swar_special(uint64_t w)
{
	uint64_t	q = w ^ (SWAR_ONES * '"');
	uint64_t	b = w ^ (SWAR_ONES * '\\');

	return ((w | ((w - SWAR_ONES * 0x20) & ~w) |
	    ((q - SWAR_ONES) & ~q) | ((b - SWAR_ONES) & ~b)) & SWAR_HIGHS);
}

/*
 * Reads the string at p->pos (on its opening quote) into sbuf: *s and
 * *len are the decoded bytes, *clen the size jansson would write.
 */
static int
jp_string(struct jp *p, const char **s, size_t *len, size_t *clen)
{
	const unsigned char	*b = (const unsigned char *)p->buf;
	char			*out, want[8];
	size_t			 start, n, cl = 2, at;
	long			 cp, lo;
	unsigned char		 c;

	out = p->sbuf + p->spos;
	*s = out;
	p->pos++;
	for (;;) {
		start = p->pos;
		while (p->len - p->pos >= 8) {
			uint64_t	w;

			memcpy(&w, b + p->pos, 8);
			if (swar_special(w) != 0)
				break;
			p->pos += 8;
		}
		while (p->pos < p->len && plain[b[p->pos]])
			p->pos++;
		memcpy(out, p->buf + start, p->pos - start);
		out += p->pos - start;
		cl += p->pos - start;
		if (p->pos >= p->len)
			return (jp_fail(p, p->pos, "premature end of input "
			    "in a string"));
		c = b[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return (jp_fail(p, p->pos, "control character in a "
			    "string"));
		if (c >= 0x80) {
			if ((n = utf8_seq(b + p->pos, p->len - p->pos)) == 0)
				return (jp_fail(p, p->pos, "invalid UTF-8"));
			memcpy(out, p->buf + p->pos, n);
			out += n;
			cl += n;
			p->pos += n;
			continue;
		}
		/* A backslash. */
		at = p->pos;
		if (p->pos + 1 >= p->len)
			return (jp_fail(p, p->pos, "premature end of input "
			    "in a string"));
		c = b[p->pos + 1];
		p->pos += 2;
		switch (c) {
		case '"':
		case '\\':
			*out++ = c;
			cl += 2;
			continue;
		case '/':
			*out++ = '/';
			cl += 1;
			p->canonical = 0;
			continue;
		case 'b':
			*out++ = '\b';
			cl += 2;
			continue;
		case 'f':
			*out++ = '\f';
			cl += 2;
			continue;
		case 'n':
			*out++ = '\n';
			cl += 2;
			continue;
		case 'r':
			*out++ = '\r';
			cl += 2;
			continue;
		case 't':
			*out++ = '\t';
			cl += 2;
			continue;
		case 'u':
			break;
		default:
			return (jp_fail(p, at, "invalid escape"));
		}
		if (p->len - p->pos < 4 || (cp = hex4(p->buf + p->pos)) == -1)
			return (jp_fail(p, at, "invalid \\u escape"));
		p->pos += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (p->len - p->pos < 6 || p->buf[p->pos] != '\\' ||
			    p->buf[p->pos + 1] != 'u' ||
			    (lo = hex4(p->buf + p->pos + 2)) == -1 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return (jp_fail(p, at, "invalid Unicode "
				    "escape (a lone surrogate)"));
			p->pos += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			return (jp_fail(p, at, "invalid Unicode escape (a "
			    "lone surrogate)"));
		if (cp == 0)
			return (jp_fail(p, at, "\\u0000 is not allowed"));
		if (cp < 0x80) {
			*out++ = cp;
			cl += esc_len(cp);
			/* jansson writes \u00XX only below 0x20, not b f n r t. */
			snprintf(want, sizeof want, "\\u%04lX", cp);
			if (esc_len(cp) != 6 || memcmp(want, p->buf + at, 6) != 0)
				p->canonical = 0;
			continue;
		}
		p->canonical = 0;
		if (cp < 0x800) {
			*out++ = 0xc0 | (cp >> 6);
			*out++ = 0x80 | (cp & 0x3f);
			cl += 2;
		} else if (cp < 0x10000) {
			*out++ = 0xe0 | (cp >> 12);
			*out++ = 0x80 | ((cp >> 6) & 0x3f);
			*out++ = 0x80 | (cp & 0x3f);
			cl += 3;
		} else {
			*out++ = 0xf0 | (cp >> 18);
			*out++ = 0x80 | ((cp >> 12) & 0x3f);
			*out++ = 0x80 | ((cp >> 6) & 0x3f);
			*out++ = 0x80 | (cp & 0x3f);
			cl += 4;
		}
	}
	p->pos++;
	*len = out - *s;
	*out++ = '\0';
	p->spos = out - p->sbuf;
	*clen = cl;
	return (0);
}

/*
 * Writes a double as jansson does (jsonp_dtostr, precision 17): %.17g,
 * ".0" if neither '.' nor 'e' shows, no '+' or leading zeros in the
 * exponent.  Returns the length.
 */
static size_t
real_str(char *buf, size_t sz, double d)
{
	char	*e, *start, *end;
	size_t	 n;

	n = snprintf(buf, sz, "%.17g", d);
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(buf, 'e')) != NULL) {
		start = e + 1;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, n - (end - buf) + 1);
			n -= end - start;
		}
	}
	return (n);
}

/* Reads a number (RFC 8259 grammar; jansson's integer and real types). */
static int
jp_number(struct jp *p, uint32_t idx)
{
	const char	*b = p->buf;
	char		 small[64], *tok, *end, canon[64];
	size_t		 start = p->pos, n;
	double		 d;
	int		 real = 0;

	if (p->pos < p->len && b[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && b[p->pos] == '0')
		p->pos++;
	else if (p->pos < p->len && b[p->pos] >= '1' && b[p->pos] <= '9')
		while (p->pos < p->len && isdigit((unsigned char)b[p->pos]))
			p->pos++;
	else
		return (jp_fail(p, start, "invalid token"));
	if (p->pos < p->len && b[p->pos] == '.') {
		real = 1;
		if (++p->pos >= p->len || !isdigit((unsigned char)b[p->pos]))
			return (jp_fail(p, start, "invalid token"));
		while (p->pos < p->len && isdigit((unsigned char)b[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (b[p->pos] == 'e' || b[p->pos] == 'E')) {
		real = 1;
		p->pos++;
		if (p->pos < p->len && (b[p->pos] == '+' || b[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !isdigit((unsigned char)b[p->pos]))
			return (jp_fail(p, start, "invalid token"));
		while (p->pos < p->len && isdigit((unsigned char)b[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && isdigit((unsigned char)b[p->pos]))
		return (jp_fail(p, p->pos, "invalid token"));	/* 01 */
	n = p->pos - start;
	tok = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(tok, b + start, n);
	tok[n] = '\0';
	errno = 0;
	if (!real) {
		p->v[idx].type = JT_INT;
		p->v[idx].i = strtoll(tok, &end, 10);
		if (errno == ERANGE) {
			if (tok != small)
				free(tok);
			return (jp_fail(p, start, "too big integer"));
		}
		p->v[idx].clen = n;
		if (p->v[idx].i == 0 && tok[0] == '-') {	/* -0 is 0 */
			p->v[idx].clen = 1;
			p->canonical = 0;
		}
	} else {
		p->v[idx].type = JT_REAL;
		d = strtod(tok, &end);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) {
			if (tok != small)
				free(tok);
			return (jp_fail(p, start, "real number overflow"));
		}
		p->v[idx].clen = real_str(canon, sizeof canon, d);
		if (p->v[idx].clen != n || memcmp(canon, tok, n) != 0)
			p->canonical = 0;
	}
	if (tok != small)
		free(tok);
	return (0);
}

/* Orders keys as jansson's JSON_SORT_KEYS does: bytes, then length. */
static int
key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int	c;

	/* Most neighbours differ in their first byte. */
	if (alen > 0 && blen > 0 && *a != *b)
		return ((unsigned char)*a < (unsigned char)*b ? -1 : 1);
	if ((c = memcmp(a, b, alen < blen ? alen : blen)) != 0)
		return (c);
	return (alen < blen ? -1 : alen > blen);
}

/* qsort_r(3) order of member indices by key (arg: the values). */
static int
member_cmp(const void *a, const void *b, void *arg)
{
	const struct jv	*v = arg;
	const struct jv	*x = &v[*(const uint32_t *)a];
	const struct jv	*y = &v[*(const uint32_t *)b];

	return (key_cmp(x->key, x->keylen, y->key, y->keylen));
}

/*
 * Refuses an object whose keys are not all distinct (as jansson's
 * JSON_REJECT_DUPLICATES): pairs for a few keys, else sorted indices.
 */
static int
jp_dupkeys(struct jp *p, uint32_t obj, size_t endpos)
{
	uint32_t	*m, i, j, k, n = p->v[obj].n;
	int		 dup = 0;

	m = xreallocarray(NULL, n, sizeof *m);
	for (i = obj + 1, k = 0; k < n; i = p->v[i].next)
		m[k++] = i;
	if (n <= 8) {
		for (i = 0; i < n && !dup; i++)
			for (j = 0; j < i && !dup; j++)
				dup = key_cmp(p->v[m[i]].key, p->v[m[i]].keylen,
				    p->v[m[j]].key, p->v[m[j]].keylen) == 0;
	} else {
		/* No static state: reports are parsed on several threads. */
		qsort_r(m, n, sizeof *m, member_cmp, p->v);
		for (i = 1; i < n && !dup; i++)
			dup = member_cmp(&m[i - 1], &m[i], p->v) == 0;
	}
	free(m);
	if (dup)
		return (jp_fail(p, endpos, "duplicate object key"));
	return (0);
}

static int	jp_value(struct jp *, int, uint32_t *);

/* Reads an array or an object at p->pos (on its bracket). */
static int
jp_container(struct jp *p, int depth, uint32_t idx)
{
	const char	*key, *pkey = NULL;
	size_t		 keylen, kclen, pkeylen = 0, clen = 2;
	uint32_t	 child, n = 0;
	int		 obj = p->buf[p->pos] == '{', sorted = 1;
	char		 close = obj ? '}' : ']';

	if (depth > REPORTV_MAX_DEPTH)
		return (jp_fail(p, p->pos, "nesting deeper than 32 levels"));
	p->v[idx].type = obj ? JT_OBJ : JT_ARR;
	p->pos++;
	jp_ws(p);
	if (p->pos < p->len && p->buf[p->pos] == close) {
		p->pos++;
		p->v[idx].clen = 2;
		return (0);
	}
	for (;;) {
		if (obj) {
			jp_ws(p);
			if (p->pos >= p->len || p->buf[p->pos] != '"')
				return (jp_fail(p, p->pos, "string expected as "
				    "an object key"));
			if (jp_string(p, &key, &keylen, &kclen) == -1)
				return (-1);
			jp_ws(p);
			if (p->pos >= p->len || p->buf[p->pos] != ':')
				return (jp_fail(p, p->pos, "':' expected"));
			p->pos++;
			if (pkey != NULL && key_cmp(pkey, pkeylen, key,
			    keylen) >= 0) {
				sorted = 0;
				p->canonical = 0;
			}
			pkey = key;
			pkeylen = keylen;
			clen += kclen + 1;
		}
		if (jp_value(p, depth, &child) == -1)
			return (-1);
		/*
		 * jansson skips (or misreads) a NUL byte right after a number
		 * or literal and may accept the document; refused here, by
		 * its own reason so the differential tests can tell.
		 */
		if (p->pos < p->len && p->buf[p->pos] == '\0' &&
		    p->v[child].type != JT_STR && p->v[child].type != JT_ARR &&
		    p->v[child].type != JT_OBJ)
			return (jp_fail(p, p->pos, "NUL byte after a value"));
		if (obj) {
			p->v[child].key = key;
			p->v[child].keylen = keylen;
		}
		clen += p->v[child].clen;
		n++;
		jp_ws(p);
		if (p->pos >= p->len)
			return (jp_fail(p, p->pos, "premature end of input"));
		if (p->buf[p->pos] == ',') {
			p->pos++;
			clen++;
			continue;
		}
		if (p->buf[p->pos] != close)
			return (jp_fail(p, p->pos, obj ? "',' or '}' expected" :
			    "',' or ']' expected"));
		p->pos++;
		break;
	}
	p->v[idx].n = n;
	p->v[idx].clen = clen;
	p->v[idx].next = p->nv;
	if (obj && !sorted)
		return (jp_dupkeys(p, idx, p->pos - 1));
	return (0);
}

/* Reads one value at depth (its container's); *idx is its index. */
static int
jp_value(struct jp *p, int depth, uint32_t *idx)
{
	const char	*b = p->buf;
	size_t		 left;

	jp_ws(p);
	if (p->pos >= p->len)
		return (jp_fail(p, p->pos, "premature end of input"));
	*idx = jp_new(p, JT_NULL);
	left = p->len - p->pos;
	switch (b[p->pos]) {
	case '{':
	case '[':
		return (jp_container(p, depth + 1, *idx));
	case '"':
		p->v[*idx].type = JT_STR;
		return (jp_string(p, &p->v[*idx].s, &p->v[*idx].len,
		    &p->v[*idx].clen));
	case 't':
		if (left < 4 || memcmp(b + p->pos, "true", 4) != 0)
			break;
		p->v[*idx].type = JT_TRUE;
		p->v[*idx].clen = 4;
		p->pos += 4;
		return (0);
	case 'f':
		if (left < 5 || memcmp(b + p->pos, "false", 5) != 0)
			break;
		p->v[*idx].type = JT_FALSE;
		p->v[*idx].clen = 5;
		p->pos += 5;
		return (0);
	case 'n':
		if (left < 4 || memcmp(b + p->pos, "null", 4) != 0)
			break;
		p->v[*idx].clen = 4;
		p->pos += 4;
		return (0);
	default:
		if (b[p->pos] == '-' || isdigit((unsigned char)b[p->pos]))
			return (jp_number(p, *idx));
		break;
	}
	return (jp_fail(p, p->pos, "invalid token"));
}

/* Parses the whole body: one object or array, white space around it. */
static int
jp_parse(struct jp *p)
{
	uint32_t	root;

	p->canonical = 1;
	p->cap = p->len / 24 + 64;
	p->v = xreallocarray(NULL, p->cap, sizeof *p->v);
	p->sbuf = xmalloc(p->len + 1);
	jp_ws(p);
	if (p->pos >= p->len || (p->buf[p->pos] != '{' &&
	    p->buf[p->pos] != '['))
		return (jp_fail(p, p->pos, "'[' or '{' expected"));
	if (jp_value(p, 0, &root) == -1)
		return (-1);
	jp_ws(p);
	if (p->pos < p->len)
		return (jp_fail(p, p->pos, "end of file expected"));
	return (0);
}

/* The member key of object o, or JP_NONE (also if o is not an object). */
static uint32_t
jget(const struct jp *p, uint32_t o, const char *key)
{
	uint32_t	i, k;
	size_t		klen;

	if (o == JP_NONE || p->v[o].type != JT_OBJ)
		return (JP_NONE);
	klen = strlen(key);
	for (i = o + 1, k = 0; k < p->v[o].n; i = p->v[i].next, k++)
		if (p->v[i].keylen == klen && memcmp(p->v[i].key, key,
		    klen) == 0)
			return (i);
	return (JP_NONE);
}

/* The type of value i, or -1 if it is missing. */
static int
jtype(const struct jp *p, uint32_t i)
{
	return (i == JP_NONE ? -1 : p->v[i].type);
}

/* The string at i, or NULL if i is missing or not a string. */
static const char *
jstr(const struct jp *p, uint32_t i)
{
	return (jtype(p, i) == JT_STR ? p->v[i].s : NULL);
}

/* bad_kind for a value of the parsed document. */
static int
fbad_type(struct reportv_error *err, const char *ptr, uint32_t i,
    const char *what)
{
	return (bad_kind(err, ptr, i == JP_NONE, what));
}

/* As check_text. */
static int
fcheck_text(const struct jp *p, uint32_t o, const char *key, const char *base,
    size_t max, int required, struct reportv_error *err)
{
	uint32_t	v;
	char		ptr[PTR_MAX];

	v = jget(p, o, key);
	if (v == JP_NONE && !required)
		return (0);
	if (jtype(p, v) != JT_STR)
		return (fbad_type(err, ptrf(ptr, "%s/%s", base, key), v,
		    "a string"));
	if (p->v[v].len > max)
		return (bad_length(err, ptrf(ptr, "%s/%s", base, key),
		    p->v[v].len, max));
	return (0);
}

/* As check_enum. */
static int
fcheck_enum(const struct jp *p, uint32_t o, const char *key,
    const char *base, const char **names, int n, const char *expect,
    struct reportv_error *err)
{
	uint32_t	 v;
	char		 ptr[PTR_MAX], q[64];
	int		 i;

	v = jget(p, o, key);
	if (jtype(p, v) != JT_STR)
		return (fbad_type(err, ptrf(ptr, "%s/%s", base, key), v,
		    expect));
	if ((i = lookup(p->v[v].s, names, n)) == -1) {
		quote(q, sizeof q, p->v[v].s);
		return (bad(err, ptrf(ptr, "%s/%s", base, key), "\"%s\" is "
		    "not allowed: %s must be %s.", q, ptr, expect));
	}
	return (i);
}

/*
 * As check_controls; also writes the array as compact JSON into cbuf
 * for the store (valid ids need no escaping).
 */
static int
fcheck_controls(struct jp *p, uint32_t r, const char *base,
    const char **json, struct reportv_error *err)
{
	uint32_t	 a, v, j, n, i;
	char		 ptr[PTR_MAX], q[64], *out;
	const char	*s;

	a = jget(p, r, "controls");
	if (jtype(p, a) != JT_ARR)
		return (fbad_type(err, ptrf(ptr, "%s/controls", base), a,
		    "an array of ISO/IEC 27001:2022 Annex A controls"));
	if ((n = p->v[a].n) == 0 || n > REPORTV_MAX_CONTROLS)
		return (bad(err, ptrf(ptr, "%s/controls", base), "%s has %u "
		    "entries; a check maps to 1 to %d controls.", ptr, n,
		    REPORTV_MAX_CONTROLS));
	/* Members before i are strings, so member i is at a + 1 + i. */
	for (i = 0; i < n; i++) {
		v = a + 1 + i;
		if ((s = jstr(p, v)) == NULL)
			return (bad(err, ptrf(ptr, "%s/controls/%u", base, i),
			    "%s must be a string.", ptr));
		if (!valid_control(s)) {
			quote(q, sizeof q, s);
			return (bad(err, ptrf(ptr, "%s/controls/%u", base, i),
			    "\"%s\" is not an ISO/IEC 27001:2022 Annex A "
			    "control (A.5.1 to A.8.34).", q));
		}
		for (j = 0; j < i; j++)
			if (strcmp(s, p->v[a + 1 + j].s) == 0)
				return (bad(err, ptrf(ptr, "%s/controls/%u",
				    base, i), "%s repeats control %s.", ptr,
				    s));
	}
	if (p->cpos + p->v[a].clen + 1 > p->csize) {
		/* Cannot happen: the arrays fit in the body. */
		*json = "[]";
		return (0);
	}
	out = p->cbuf + p->cpos;
	*json = out;
	*out++ = '[';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*out++ = ',';
		*out++ = '"';
		memcpy(out, p->v[a + 1 + i].s, p->v[a + 1 + i].len);
		out += p->v[a + 1 + i].len;
		*out++ = '"';
	}
	*out++ = ']';
	*out++ = '\0';
	p->cpos = out - p->cbuf;
	return (0);
}

/* As check_controls_2013. */
static int
fcheck_controls_2013(const struct jp *p, uint32_t r, const char *base,
    struct reportv_error *err)
{
	uint32_t	 a, v, i, n;
	char		 ptr[PTR_MAX], q[64];
	const char	*s;

	a = jget(p, r, "controls_2013");
	if (jtype(p, a) != JT_ARR)
		return (fbad_type(err, ptrf(ptr, "%s/controls_2013", base), a,
		    "an array of ISO/IEC 27001:2013 Annex A controls"));
	if ((n = p->v[a].n) > REPORTV_MAX_CONTROLS_2013)
		return (bad(err, ptrf(ptr, "%s/controls_2013", base), "%s has "
		    "%u entries; at most %d are allowed.", ptr, n,
		    REPORTV_MAX_CONTROLS_2013));
	for (i = 0; i < n; i++) {
		v = a + 1 + i;
		if ((s = jstr(p, v)) == NULL)
			return (bad(err, ptrf(ptr, "%s/controls_2013/%u", base,
			    i), "%s must be a string.", ptr));
		if (!valid_control_2013(s)) {
			quote(q, sizeof q, s);
			return (bad(err, ptrf(ptr, "%s/controls_2013/%u", base,
			    i), "\"%s\" is not an ISO/IEC 27001:2013 Annex A "
			    "control (A.5.1.1 to A.18.2.3).", q));
		}
	}
	return (0);
}

/* As check_result. */
static int
fcheck_result(struct jp *p, uint32_t r, size_t i, struct reportv_result *out,
    struct reportv_error *err)
{
	uint32_t	 v;
	char		 base[32], ptr[PTR_MAX], q[64];
	int		 k;

	snprintf(base, sizeof base, "/results/%zu", i);
	if (jtype(p, r) != JT_OBJ)
		return (bad(err, base, "%s must be an object.", base));

	v = jget(p, r, "check");
	if (jtype(p, v) != JT_STR)
		return (fbad_type(err, ptrf(ptr, "%s/check", base), v,
		    "a check id"));
	if (!valid_check_id(p->v[v].s, p->v[v].len)) {
		quote(q, sizeof q, p->v[v].s);
		return (bad(err, ptrf(ptr, "%s/check", base), "\"%s\" is not "
		    "a check id: lower case letters, digits, '.', '_' and '-', "
		    "starting with a letter, at most %d bytes.", q,
		    REPORTV_MAX_CHECK_ID));
	}
	out->check = p->v[v].s;

	if (fcheck_text(p, r, "title", base, REPORTV_MAX_TEXT, 1, err) == -1)
		return (-1);
	if ((k = fcheck_enum(p, r, "status", base, status_names,
	    REPORTV_NSTATUS, "pass, fail, error or not_applicable",
	    err)) == -1)
		return (-1);
	out->status = k;
	if ((k = fcheck_enum(p, r, "severity", base, severity_names, 4,
	    "low, medium, high or critical", err)) == -1)
		return (-1);
	out->severity = k;
	if (fcheck_controls(p, r, base, &out->controls, err) == -1 ||
	    fcheck_controls_2013(p, r, base, err) == -1)
		return (-1);
	if (fcheck_text(p, r, "message", base, REPORTV_MAX_TEXT, 1,
	    err) == -1 || fcheck_text(p, r, "remediation", base,
	    REPORTV_MAX_TEXT, 0, err) == -1)
		return (-1);
	out->message = p->v[jget(p, r, "message")].s;

	v = jget(p, r, "evidence");
	if (jtype(p, v) != JT_OBJ)
		return (fbad_type(err, ptrf(ptr, "%s/evidence", base), v,
		    "an object"));
	if (p->v[v].clen > REPORTV_MAX_EVIDENCE)
		return (bad(err, ptrf(ptr, "%s/evidence", base), "%s is %zu "
		    "bytes as compact JSON; at most %d are allowed.", ptr,
		    p->v[v].clen, REPORTV_MAX_EVIDENCE));
	return (0);
}

/* As check_summary. */
static int
fcheck_summary(const struct jp *p, struct reportv *rv,
    struct reportv_error *err)
{
	uint32_t	 s, v;
	unsigned int	 count[REPORTV_NSTATUS] = { 0 };
	char		 ptr[64];
	size_t		 i;
	int		 k;

	for (i = 0; i < rv->nresults; i++)
		count[rv->results[i].status]++;
	s = jget(p, 0, "summary");
	if (jtype(p, s) != JT_OBJ)
		return (fbad_type(err, "/summary", s, "an object"));
	for (k = 0; k < REPORTV_NSTATUS; k++) {
		snprintf(ptr, sizeof ptr, "/summary/%s", status_names[k]);
		v = jget(p, s, status_names[k]);
		if (jtype(p, v) != JT_INT || p->v[v].i < 0)
			return (fbad_type(err, ptr, v,
			    "a non-negative integer"));
		if (p->v[v].i != (long long)count[k])
			return (bad(err, ptr, "%s is %lld, but %u results have "
			    "status %s.", ptr, p->v[v].i, count[k],
			    status_names[k]));
		rv->summary[k] = count[k];
	}
	return (0);
}

/* As check_agent. */
static int
fcheck_agent(const struct jp *p, struct reportv *rv,
    struct reportv_error *err)
{
	uint32_t	 a, v;
	const char	*s;
	size_t		 i;
	int		 t;

	a = jget(p, 0, "agent");
	if (jtype(p, a) != JT_OBJ)
		return (fbad_type(err, "/agent", a, "an object"));

	if (fcheck_text(p, a, "version", "/agent", REPORTV_MAX_VERSION, 1,
	    err) == -1)
		return (-1);
	rv->agent_version = p->v[jget(p, a, "version")].s;
	if (*rv->agent_version == '\0')
		return (bad(err, "/agent/version", "/agent/version is empty."));

	v = jget(p, a, "host_id");
	if (jtype(p, v) != JT_NULL) {
		if ((s = jstr(p, v)) == NULL)
			return (fbad_type(err, "/agent/host_id", v, "a machine "
			    "id (32 lower-case hex digits) or null"));
		for (i = 0; s[i] != '\0'; i++)
			if (!isdigit((unsigned char)s[i]) &&
			    !(s[i] >= 'a' && s[i] <= 'f'))
				break;
		if (i != 32 || s[i] != '\0')
			return (bad(err, "/agent/host_id", "/agent/host_id "
			    "must be a machine id (32 lower-case hex digits) "
			    "or null."));
		rv->host_id = s;
	}

	v = jget(p, a, "hostname");
	if (v != JP_NONE && jtype(p, v) != JT_NULL) {
		if (fcheck_text(p, a, "hostname", "/agent",
		    REPORTV_MAX_HOSTNAME, 1, err) == -1)
			return (-1);
		rv->hostname = p->v[v].s;
	}
	v = jget(p, a, "os");
	t = jtype(p, v);
	if (v != JP_NONE && t != JT_NULL && t != JT_OBJ)
		return (bad(err, "/agent/os", "/agent/os must be an object."));
	return (0);
}

/* As check_report. */
static int
fcheck_report(struct jp *p, struct reportv *rv, struct reportv_error *err)
{
	uint32_t	 v, a, r;
	const char	*s;
	char		 q[64];
	size_t		 i, n;
	int		 k;

	if (p->v[0].type != JT_OBJ)
		return (bad(err, "", "The report must be a JSON object."));

	v = jget(p, 0, "schema");
	if ((s = jstr(p, v)) == NULL)
		return (fbad_type(err, "/schema", v, "\"" REPORTV_SCHEMA
		    "\""));
	if (strcmp(s, REPORTV_SCHEMA) != 0) {
		quote(q, sizeof q, s);
		return (bad(err, "/schema", "Schema \"%s\" is not supported: "
		    "this collector accepts " REPORTV_SCHEMA ".", q));
	}

	v = jget(p, 0, "report_id");
	if ((s = jstr(p, v)) == NULL || parse_uuid(s, rv->report_id) == -1)
		return (fbad_type(err, "/report_id", v, "a UUID "
		    "(8-4-4-4-12 hex digits)"));

	if ((k = fcheck_enum(p, 0, "kind", "", kind_names, 2,
	    "run or catch_up", err)) == -1)
		return (-1);
	rv->kind = k;

	v = jget(p, 0, "generated_at");
	if ((s = jstr(p, v)) == NULL)
		return (fbad_type(err, "/generated_at", v, "an RFC 3339 UTC "
		    "time"));
	if (parse_time(s, &rv->generated_at) == -1) {
		quote(q, sizeof q, s);
		return (bad(err, "/generated_at", "\"%s\" is not an RFC 3339 "
		    "UTC time (YYYY-MM-DDTHH:MM:SSZ) between %d and %d.", q,
		    REPORTV_YEAR_MIN, REPORTV_YEAR_MAX));
	}
	rv->generated_at_str = s;

	if (fcheck_agent(p, rv, err) == -1)
		return (-1);

	a = jget(p, 0, "results");
	if (jtype(p, a) != JT_ARR)
		return (fbad_type(err, "/results", a, "an array"));
	n = p->v[a].n;
	if (n > REPORTV_MAX_RESULTS)
		return (bad(err, "/results", "/results has %zu entries; at "
		    "most %d are allowed.", n, REPORTV_MAX_RESULTS));
	rv->results = xcalloc(n + 1, sizeof *rv->results);
	/* Controls as JSON: at most their bytes in the body, plus NULs. */
	p->csize = p->len + n + 1;
	p->cbuf = xmalloc(p->csize);
	for (i = 0, r = a + 1; i < n; i++, r = p->v[r].next) {
		if (fcheck_result(p, r, i, &rv->results[i], err) == -1)
			return (-1);
		rv->nresults++;
	}
	if (check_duplicates(rv, err) == -1)
		return (-1);
	return (fcheck_summary(p, rv, err));
}

/* Writes the SHA-256 of len bytes of buf as lower-case hex. */
static void
sha256_hex(const void *buf, size_t len, char hex[65])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	for (i = 0; i < mdlen && i < 32; i++) {
		hex[i * 2] = digits[md[i] >> 4];
		hex[i * 2 + 1] = digits[md[i] & 0xf];
	}
	hex[i * 2] = '\0';
}

/* Fills err for a syntax error of the ingest parser. */
static void
fail_syntax(const char *buf, size_t off, const char *why,
    struct reportv_error *err)
{
	err->status = 400;
	position(buf, off, &err->line, &err->column);
	snprintf(err->detail, sizeof err->detail, "Invalid JSON at line %d, "
	    "column %d: %s.", err->line, err->column, why);
}

/*
 * The hash when the body is not canonical: jansson's compact, key-sorted
 * serialisation, as the collector has always stored.  Returns -1 (and
 * fills err as reportv_parse would) in the unexpected case that jansson
 * refuses what the ingest parser accepted.
 */
static int
canonical_slow(const char *buf, size_t len, char hex[65],
    struct reportv_error *err)
{
	json_error_t	 jerr;
	json_t		*root;
	char		*s, text[JSON_ERROR_TEXT_LENGTH];

	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		err->status = 400;
		err->line = jerr.line;
		err->column = jerr.column;
		clean_text(text, sizeof text, jerr.text);
		snprintf(err->detail, sizeof err->detail, "Invalid JSON at "
		    "line %d, column %d: %s.", jerr.line, jerr.column, text);
		return (-1);
	}
	if ((s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(root);
		err->status = 400;
		snprintf(err->detail, sizeof err->detail, "The report cannot "
		    "be serialised.");
		return (-1);
	}
	sha256_hex(s, strlen(s), hex);
	free(s);
	json_decref(root);
	return (0);
}

int
reportv_ingest(const char *buf, size_t len, struct reportv **out,
    struct reportv_error *err)
{
	struct reportv	*rv;
	struct jp	*p;

	memset(err, 0, sizeof *err);
	*out = NULL;
	if (len > REPORTV_MAX_SIZE) {
		err->status = 413;
		snprintf(err->detail, sizeof err->detail, "The report is %zu "
		    "bytes; at most %d are accepted.", len, REPORTV_MAX_SIZE);
		return (-1);
	}
	rv = xcalloc(1, sizeof *rv);
	p = rv->doc = xcalloc(1, sizeof *p);
	p->buf = buf;
	p->len = len;
	if (jp_parse(p) == -1) {
		fail_syntax(buf, p->errpos, p->why, err);
		goto fail;
	}
	if (fcheck_report(p, rv, err) == -1)
		goto fail;
	rv->canonical = p->canonical && p->v[0].clen == len;
	if (rv->canonical)
		sha256_hex(buf, len, rv->sha256);
	else if (canonical_slow(buf, len, rv->sha256, err) == -1)
		goto fail;
	p->buf = NULL;
	*out = rv;
	return (0);

fail:
	reportv_free(rv);
	return (-1);
}

/* Frees what reportv_ingest parsed into. */
static void
doc_free(struct jp *p)
{
	if (p == NULL)
		return;
	free(p->v);
	free(p->sbuf);
	free(p->cbuf);
	free(p);
}

/* Fails a gunzip with status and a message naming the cause. */
static int
gz_fail(z_stream *zs, char *buf, int status, char **cause, const char *why)
{
	inflateEnd(zs);
	free(buf);
	xasprintf(cause, "%s", why);
	return (status);
}

/*
 * The common case fast: one gzip member whose trailer (ISIZE, the size
 * mod 2^32) is at most max_out, inflated by libdeflate into a buffer of
 * that size, about 4 times faster than zlib.  0 done, -1 when the body
 * is anything else (several members, a trailer that lies, bad data, too
 * large): then zlib inflates it and says exactly what is wrong.
 */
static int
gz_fast(const unsigned char *in, size_t inlen, size_t max_out, char **out,
    size_t *outlen)
{
	struct libdeflate_decompressor	*d;
	enum libdeflate_result		 r;
	size_t				 isize, used = 0, got = 0;
	char				*buf;

	if (inlen < 18)
		return (-1);
	isize = (size_t)in[inlen - 4] | (size_t)in[inlen - 3] << 8 |
	    (size_t)in[inlen - 2] << 16 | (size_t)in[inlen - 1] << 24;
	if (isize > max_out)
		return (-1);
	if ((d = libdeflate_alloc_decompressor()) == NULL)
		return (-1);
	buf = xmalloc(isize + 1);
	r = libdeflate_gzip_decompress_ex(d, in, inlen, buf, isize, &used,
	    &got);
	libdeflate_free_decompressor(d);
	if (r != LIBDEFLATE_SUCCESS || used != inlen || got != isize) {
		free(buf);
		return (-1);
	}
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return (0);
}

int
reportv_gunzip(const void *in, size_t inlen, size_t max_out, char **out,
    size_t *outlen, char **cause)
{
	z_stream	 zs;
	char		*buf, msg[160];
	size_t		 cap, have = 0, left = inlen, limit, chunk;
	int		 ret;

	*out = NULL;
	*outlen = 0;
	*cause = NULL;
	if (inlen == 0) {
		xasprintf(cause, "empty gzip body");
		return (400);
	}
	if (gz_fast(in, inlen, max_out, out, outlen) == 0)
		return (0);
	/* One byte beyond the limit tells "exactly max_out" from "more". */
	limit = max_out < SIZE_MAX - 1 ? max_out + 1 : SIZE_MAX - 1;
	cap = REPORTV_GZ_FIRST;
	if (inlen < limit / 4 && inlen * 4 > cap)
		cap = inlen * 4;
	if (cap > limit)
		cap = limit;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		xasprintf(cause, "inflateInit2 failed");
		return (400);
	}
	buf = xmalloc(cap + 1);
	zs.next_in = (Bytef *)(uintptr_t)in;
	for (;;) {
		if (zs.avail_in == 0 && left > 0) {
			chunk = left > UINT_MAX ? UINT_MAX : left;
			zs.avail_in = chunk;
			left -= chunk;
		}
		if (have == cap) {
			if (cap == limit)
				break;
			cap = cap > limit / 2 ? limit : cap * 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		zs.next_out = (Bytef *)buf + have;
		chunk = cap - have > UINT_MAX ? UINT_MAX : cap - have;
		zs.avail_out = chunk;
		ret = inflate(&zs, Z_NO_FLUSH);
		have += chunk - zs.avail_out;
		if (have > max_out)
			break;
		if (ret == Z_STREAM_END) {
			if (zs.avail_in == 0 && left == 0)
				goto done;
			/* Another gzip member follows (RFC 1952 2.2). */
			if (inflateReset(&zs) != Z_OK)
				return (gz_fail(&zs, buf, 400, cause,
				    "inflateReset failed"));
			continue;
		}
		if (ret == Z_BUF_ERROR || ret == Z_OK) {
			/* Room left but nothing more to read: cut short. */
			if (zs.avail_out > 0 && zs.avail_in == 0 && left == 0)
				return (gz_fail(&zs, buf, 400, cause,
				    "truncated gzip body"));
			continue;
		}
		snprintf(msg, sizeof msg, "invalid gzip body: %s",
		    zs.msg != NULL ? zs.msg : "inflate failed");
		return (gz_fail(&zs, buf, 400, cause, msg));
	}
	snprintf(msg, sizeof msg, "gzip body inflates to more than %zu bytes",
	    max_out);
	return (gz_fail(&zs, buf, 413, cause, msg));

done:
	inflateEnd(&zs);
	buf[have] = '\0';
	*out = buf;
	*outlen = have;
	return (0);
}
