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
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "reportv.h"
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

/* Records a violation for a field that is missing or of the wrong type. */
static int
bad_type(struct reportv_error *err, const char *ptr, json_t *v,
    const char *what)
{
	if (v == NULL)
		return (bad(err, ptr, "%s is missing: it must be %s.", ptr,
		    what));
	return (bad(err, ptr, "%s must be %s.", ptr, what));
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
		return (bad(err, ptrf(ptr, "%s/%s", base, key), "%s is %zu "
		    "bytes long; at most %zu are allowed.", ptr,
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
	free(rv->results);
	free(rv);
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
