/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's report validator: a real report printed by
 * `ismsctl check --format json` (plus report_id and kind) is accepted;
 * each mutation of it is refused with the right status and the JSON
 * pointer of the violation; gzip bodies inflate, and bombs, truncated
 * and corrupt streams are refused with 413 or 400.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "reportv.h"

#define GOOD	FIXTURES "/reports/good.json"
#define CORPUS	FIXTURES "/../fuzz/corpus/report"

static char	*good;
static size_t	 goodlen;

/* Reads a whole file. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return (NULL);
	}
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return (buf);
}

/* SHA-256 of s as lower-case hex. */
static void
sha_hex(const char *s, size_t len, char hex[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen, i;

	assert_int_equal(EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL),
	    1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
}

/* Both NULL or both the same string. */
static void
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/*
 * The differential check: reportv_ingest (no jansson) against
 * reportv_parse's verdict r, rv, err on the same bytes.  Same verdict,
 * status and pointer; an accepted report has the same fields, its
 * controls and message are what http.c stored from the jansson DOM, its
 * sha256 is that of jansson's compact key-sorted serialisation, and it
 * is flagged canonical exactly when the body is that serialisation.
 */
static void
compare_ingest(const char *buf, size_t len, int r, struct reportv *rv,
    const struct reportv_error *err)
{
	struct reportv		*fv;
	struct reportv_error	 ferr;
	json_t			*v;
	char			*s, hex[65];
	size_t			 i;
	int			 fr;

	fr = reportv_ingest(buf, len, &fv, &ferr);
	if (fr != r || ferr.status != err->status ||
	    strcmp(ferr.pointer, err->pointer) != 0)
		fail_msg("reportv_parse: %d, %d at \"%s\" (%s); reportv_ingest: "
		    "%d, %d at \"%s\" (%s)", r, err->status, err->pointer,
		    err->detail, fr, ferr.status, ferr.pointer, ferr.detail);
	if (fr == -1) {
		assert_null(fv);
		assert_true(strlen(ferr.detail) > 10);
		assert_int_equal(ferr.detail[strlen(ferr.detail) - 1], '.');
		v = json_string(ferr.detail);
		assert_non_null(v);
		json_decref(v);
		return;
	}
	assert_null(fv->root);
	assert_string_equal(fv->report_id, rv->report_id);
	assert_int_equal(fv->kind, rv->kind);
	assert_int_equal(fv->generated_at, rv->generated_at);
	assert_string_equal(fv->generated_at_str, rv->generated_at_str);
	assert_string_equal(fv->agent_version, rv->agent_version);
	same_str(fv->host_id, rv->host_id);
	same_str(fv->hostname, rv->hostname);
	assert_int_equal(fv->nresults, rv->nresults);
	assert_memory_equal(fv->summary, rv->summary, sizeof rv->summary);
	for (i = 0; i < rv->nresults; i++) {
		assert_string_equal(fv->results[i].check, rv->results[i].check);
		assert_int_equal(fv->results[i].status, rv->results[i].status);
		assert_int_equal(fv->results[i].severity,
		    rv->results[i].severity);
		assert_string_equal(fv->results[i].message, json_string_value(
		    json_object_get(rv->results[i].obj, "message")));
		s = json_dumps(json_object_get(rv->results[i].obj, "controls"),
		    JSON_COMPACT | JSON_ENCODE_ANY);
		assert_string_equal(fv->results[i].controls, s);
		free(s);
	}
	s = json_dumps(rv->root, JSON_COMPACT | JSON_SORT_KEYS);
	sha_hex(s, strlen(s), hex);
	assert_string_equal(fv->sha256, hex);
	assert_int_equal(fv->canonical, strlen(s) == len &&
	    memcmp(s, buf, len) == 0);
	free(s);
	reportv_free(fv);
}

/* reportv_parse, with reportv_ingest checked against it. */
static int
parse_both(const char *buf, size_t len, struct reportv **out,
    struct reportv_error *err)
{
	int	r;

	r = reportv_parse(buf, len, out, err);
	compare_ingest(buf, len, r, *out, err);
	return (r);
}

static int
setup(void **state)
{
	if ((good = slurp(GOOD, &goodlen)) == NULL) {
		fprintf(stderr, "cannot read %s\n", GOOD);
		return (-1);
	}
	return (0);
}

static int
teardown(void **state)
{
	free(good);
	return (0);
}

/* Finds the parent of the member named by an RFC 6901 pointer. */
static json_t *
resolve(json_t *doc, const char *ptr, char *last, size_t lastsz)
{
	char	 buf[256], *p, *tok, *next;
	json_t	*cur = doc;

	snprintf(buf, sizeof buf, "%s", ptr + 1);
	p = buf;
	for (;;) {
		tok = p;
		if ((next = strchr(p, '/')) == NULL) {
			snprintf(last, lastsz, "%s", tok);
			return (cur);
		}
		*next = '\0';
		p = next + 1;
		if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(tok, NULL, 10));
		else
			cur = json_object_get(cur, tok);
		if (cur == NULL)
			return (NULL);
	}
}

/* The good report with the member at ptr set to json (NULL: removed). */
static char *
mutate(const char *ptr, const char *json)
{
	json_t		*doc, *parent, *v = NULL;
	json_error_t	 jerr;
	char		 last[256], *s;

	doc = json_loadb(good, goodlen, 0, &jerr);
	assert_non_null(doc);
	parent = resolve(doc, ptr, last, sizeof last);
	assert_non_null(parent);
	if (json != NULL) {
		v = json_loads(json, JSON_DECODE_ANY, &jerr);
		assert_non_null(v);
	}
	if (json_is_array(parent)) {
		if (v == NULL)
			assert_int_equal(json_array_remove(parent,
			    strtoul(last, NULL, 10)), 0);
		else
			assert_int_equal(json_array_set_new(parent,
			    strtoul(last, NULL, 10), v), 0);
	} else if (v == NULL)
		assert_int_equal(json_object_del(parent, last), 0);
	else
		assert_int_equal(json_object_set_new(parent, last, v), 0);
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return (s);
}

/* Parses s, expecting status (0: accepted) and the pointer. */
static void
expect(const char *s, int status, const char *pointer)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	int			 r;

	r = parse_both(s, strlen(s), &rv, &err);
	if (status == 0) {
		if (r != 0)
			fail_msg("refused (%d %s): %s", err.status,
			    err.pointer, err.detail);
		reportv_free(rv);
		return;
	}
	assert_int_equal(r, -1);
	assert_null(rv);
	if (err.status != status || strcmp(err.pointer, pointer) != 0)
		fail_msg("expected %d at \"%s\", got %d at \"%s\": %s", status,
		    pointer, err.status, err.pointer, err.detail);
	assert_true(strlen(err.detail) > 10);
	assert_int_equal(err.detail[strlen(err.detail) - 1], '.');
}

/* A string of n copies of c, JSON-quoted. */
static char *
long_string(size_t n, char c)
{
	char	*s;

	s = malloc(n + 3);
	s[0] = '"';
	memset(s + 1, c, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return (s);
}

static void
test_good(void **state)
{
	struct reportv		*rv;
	struct reportv_error	 err;

	assert_int_equal(parse_both(good, goodlen, &rv, &err), 0);
	assert_string_equal(rv->report_id,
	    "6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6b");
	assert_int_equal(rv->kind, REPORTV_RUN);
	assert_int_equal(rv->generated_at, 1795312800); /* 2026-11-22T02Z */
	assert_string_equal(rv->generated_at_str, "2026-11-22T02:00:00Z");
	assert_string_equal(rv->host_id, "3d1219c7c4c5404aaa1f6d2a48adfda4");
	assert_string_equal(rv->hostname, "vm");
	assert_string_equal(rv->agent_version, "0.1.0");
	assert_int_equal(rv->nresults, 39);
	assert_string_equal(rv->results[0].check, "accounts.uid0_only_root");
	assert_int_equal(rv->results[0].status, REPORTV_PASS);
	assert_int_equal(rv->results[0].severity, REPORTV_CRITICAL);
	assert_string_equal(rv->results[6].check, "accounts.lockout");
	assert_int_equal(rv->results[6].status, REPORTV_FAIL);
	assert_int_equal(rv->summary[REPORTV_PASS], 15);
	assert_int_equal(rv->summary[REPORTV_FAIL], 13);
	assert_int_equal(rv->summary[REPORTV_ERROR], 0);
	assert_int_equal(rv->summary[REPORTV_NOT_APPLICABLE], 11);
	assert_string_equal(reportv_status_name(rv->results[6].status),
	    "fail");
	reportv_free(rv);
}

struct mutation {
	const char	*ptr;
	const char	*json;		/* NULL: member removed */
	int		 status;	/* 0: still accepted */
	const char	*expect;	/* pointer of the violation */
};

static const struct mutation mutations[] = {
	/* accepted variants */
	{ "/future_field", "{\"x\": [1, 2]}", 0, NULL },
	{ "/results/0/future_field", "1", 0, NULL },
	{ "/agent/host_id", "null", 0, NULL },
	{ "/agent/hostname", NULL, 0, NULL },
	{ "/agent/os", NULL, 0, NULL },
	{ "/kind", "\"catch_up\"", 0, NULL },
	{ "/report_id", "\"6F1C2A3E-8B4D-4E5F-9A0B-1C2D3E4F5A6B\"", 0, NULL },
	{ "/generated_at", "\"2028-02-29T23:59:59.123456Z\"", 0, NULL },
	{ "/results/1/controls_2013", "[]", 0, NULL },
	{ "/results/0/remediation", "\"apt-get install x\"", 0, NULL },
	/* the top level */
	{ "/schema", "\"isms-agent/report/v2\"", 422, "/schema" },
	{ "/schema", NULL, 422, "/schema" },
	{ "/report_id", NULL, 422, "/report_id" },
	{ "/report_id", "\"6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6\"", 422,
	    "/report_id" },
	{ "/report_id", "\"6f1c2a3e8b4d-4e5f-9a0b-1c2d3e4f5a6b-\"", 422,
	    "/report_id" },
	{ "/report_id", "\"6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6g\"", 422,
	    "/report_id" },
	{ "/report_id", "42", 422, "/report_id" },
	{ "/kind", "\"backfill\"", 422, "/kind" },
	{ "/kind", NULL, 422, "/kind" },
	{ "/generated_at", "\"2026-11-22 02:00:00Z\"", 422, "/generated_at" },
	{ "/generated_at", "\"2026-11-22T02:00:00+09:00\"", 422,
	    "/generated_at" },
	{ "/generated_at", "\"2026-02-29T00:00:00Z\"", 422, "/generated_at" },
	{ "/generated_at", "\"2026-11-22T24:00:00Z\"", 422, "/generated_at" },
	{ "/generated_at", "\"2026-11-22T02:00:00.Z\"", 422, "/generated_at" },
	{ "/generated_at", "\"1970-01-01T00:00:00Z\"", 422, "/generated_at" },
	{ "/generated_at", "\"2126-11-22T02:00:00Z\"", 422, "/generated_at" },
	{ "/generated_at", "1795312800", 422, "/generated_at" },
	{ "/agent", NULL, 422, "/agent" },
	{ "/agent", "[]", 422, "/agent" },
	{ "/agent/version", "5", 422, "/agent/version" },
	{ "/agent/version", "\"\"", 422, "/agent/version" },
	{ "/agent/host_id", NULL, 422, "/agent/host_id" },
	{ "/agent/host_id", "\"3D1219C7C4C5404AAA1F6D2A48ADFDA4\"", 422,
	    "/agent/host_id" },
	{ "/agent/host_id", "\"3d1219c7c4c5404aaa1f6d2a48adfda\"", 422,
	    "/agent/host_id" },
	{ "/agent/hostname", "[]", 422, "/agent/hostname" },
	{ "/agent/os", "\"debian\"", 422, "/agent/os" },
	{ "/results", NULL, 422, "/results" },
	{ "/results", "{}", 422, "/results" },
	{ "/summary", NULL, 422, "/summary" },
	/* one result */
	{ "/results/0", "7", 422, "/results/0" },
	{ "/results/3/status", "\"passed\"", 422, "/results/3/status" },
	{ "/results/3/status", NULL, 422, "/results/3/status" },
	{ "/results/3/status", "\"PASS\"", 422, "/results/3/status" },
	{ "/results/5/severity", "\"urgent\"", 422, "/results/5/severity" },
	{ "/results/2/check", "\"Accounts.empty_passwords\"", 422,
	    "/results/2/check" },
	{ "/results/2/check", "\"accounts empty\"", 422, "/results/2/check" },
	{ "/results/2/check", "\"\"", 422, "/results/2/check" },
	{ "/results/2/check", "\"1accounts\"", 422, "/results/2/check" },
	{ "/results/2/check", NULL, 422, "/results/2/check" },
	{ "/results/1/controls", "[]", 422, "/results/1/controls" },
	{ "/results/1/controls", NULL, 422, "/results/1/controls" },
	{ "/results/1/controls", "\"A.5.16\"", 422, "/results/1/controls" },
	{ "/results/1/controls/1", "\"A.5.38\"", 422,
	    "/results/1/controls/1" },
	{ "/results/1/controls/1", "\"A.9.1\"", 422, "/results/1/controls/1" },
	{ "/results/1/controls/1", "\"A.8.0\"", 422, "/results/1/controls/1" },
	{ "/results/1/controls/1", "\"A.8.01\"", 422,
	    "/results/1/controls/1" },
	{ "/results/1/controls/1", "\"A.8.1 \"", 422,
	    "/results/1/controls/1" },
	{ "/results/1/controls/1", "\"A.5.16\"", 422,
	    "/results/1/controls/1" },
	{ "/results/1/controls/1", "7", 422, "/results/1/controls/1" },
	{ "/results/1/controls_2013", NULL, 422, "/results/1/controls_2013" },
	{ "/results/1/controls_2013/2", "\"A.19.1.1\"", 422,
	    "/results/1/controls_2013/2" },
	{ "/results/1/controls_2013/2", "\"A.9.2\"", 422,
	    "/results/1/controls_2013/2" },
	{ "/results/4/title", NULL, 422, "/results/4/title" },
	{ "/results/4/message", "null", 422, "/results/4/message" },
	{ "/results/4/remediation", "[]", 422, "/results/4/remediation" },
	{ "/results/4/evidence", "[]", 422, "/results/4/evidence" },
	{ "/results/4/evidence", NULL, 422, "/results/4/evidence" },
	/* the summary */
	{ "/summary/fail", "99", 422, "/summary/fail" },
	{ "/summary/pass", "15.0", 422, "/summary/pass" },
	{ "/summary/pass", "\"15\"", 422, "/summary/pass" },
	{ "/summary/not_applicable", NULL, 422, "/summary/not_applicable" },
	{ "/summary/error", "-1", 422, "/summary/error" },
};

static void
test_mutations(void **state)
{
	const struct mutation	*m;
	size_t			 i;
	char			*s;

	for (i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
		m = &mutations[i];
		s = mutate(m->ptr, m->json);
		print_message("%s = %s\n", m->ptr, m->json ? m->json :
		    "(removed)");
		expect(s, m->status, m->expect);
		free(s);
	}
}

/* Strings and evidence just under and just over their limits. */
static void
test_limits(void **state)
{
	char	*v, *s;

	v = long_string(REPORTV_MAX_TEXT, 'x');
	s = mutate("/results/4/title", v);
	expect(s, 0, NULL);
	free(s);
	free(v);
	v = long_string(REPORTV_MAX_TEXT + 1, 'x');
	s = mutate("/results/4/title", v);
	expect(s, 422, "/results/4/title");
	free(s);
	s = mutate("/results/7/message", v);
	expect(s, 422, "/results/7/message");
	free(s);
	free(v);

	v = long_string(REPORTV_MAX_CHECK_ID, 'a');
	s = mutate("/results/2/check", v);
	expect(s, 0, NULL);
	free(s);
	free(v);
	v = long_string(REPORTV_MAX_CHECK_ID + 1, 'a');
	s = mutate("/results/2/check", v);
	expect(s, 422, "/results/2/check");
	free(s);
	free(v);

	/* {"big":"xxx..."} re-serialised is 10 bytes plus the string. */
	v = malloc(REPORTV_MAX_EVIDENCE + 64);
	snprintf(v, REPORTV_MAX_EVIDENCE + 64, "{\"big\": %s}",
	    (s = long_string(REPORTV_MAX_EVIDENCE - 10, 'e')));
	free(s);
	s = mutate("/results/4/evidence", v);
	expect(s, 0, NULL);
	free(s);
	snprintf(v, REPORTV_MAX_EVIDENCE + 64, "{\"big\": %s}",
	    (s = long_string(REPORTV_MAX_EVIDENCE - 9, 'e')));
	free(s);
	s = mutate("/results/4/evidence", v);
	expect(s, 422, "/results/4/evidence");
	free(s);
	free(v);
}

/* The first violation in document order is the one reported. */
static void
test_first_violation(void **state)
{
	json_t		*doc, *r;
	json_error_t	 jerr;
	char		*s;

	doc = json_loadb(good, goodlen, 0, &jerr);
	r = json_array_get(json_object_get(doc, "results"), 9);
	json_object_set_new(r, "severity", json_string("urgent"));
	r = json_array_get(json_object_get(doc, "results"), 20);
	json_object_set_new(r, "status", json_string("ok"));
	json_object_set_new(json_object_get(doc, "summary"), "pass",
	    json_integer(0));
	s = json_dumps(doc, 0);
	expect(s, 422, "/results/9/severity");
	free(s);
	json_decref(doc);
}

/* A check id seen twice: the later one is pointed at. */
static void
test_duplicate_check(void **state)
{
	char	*s;

	s = mutate("/results/30/check", "\"accounts.lockout\"");
	expect(s, 422, "/results/30/check");
	free(s);
	s = mutate("/results/38/check", "\"accounts.uid0_only_root\"");
	expect(s, 422, "/results/38/check");
	free(s);
}

/* Results counted against the summary, and the count limit. */
static void
test_results_count(void **state)
{
	json_t		*doc, *a;
	json_error_t	 jerr;
	char		*s;
	int		 i;

	doc = json_loadb(good, goodlen, 0, &jerr);
	json_object_set_new(doc, "results", json_array());
	json_object_set_new(doc, "summary", json_pack("{s:i,s:i,s:i,s:i}",
	    "pass", 0, "fail", 0, "error", 0, "not_applicable", 0));
	s = json_dumps(doc, 0);
	expect(s, 0, NULL);
	free(s);
	a = json_object_get(doc, "results");
	for (i = 0; i <= REPORTV_MAX_RESULTS; i++)
		json_array_append_new(a, json_object());
	s = json_dumps(doc, 0);
	expect(s, 422, "/results");
	free(s);
	json_decref(doc);
}

/* Malformed JSON: 400 with jansson's line and column. */
static void
test_malformed(void **state)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	const char		*s;
	char			*deep;
	json_t			*v;
	int			 i;

	assert_int_equal(parse_both(good, goodlen / 2, &rv, &err), -1);
	assert_int_equal(err.status, 400);
	assert_true(err.line > 100);
	assert_string_equal(err.pointer, "");

	s = "{\n  \"schema\": tru,\n}";
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	assert_int_equal(err.status, 400);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.detail, "line 2"));

	s = "{\"schema\": \"a\", \"schema\": \"isms-agent/report/v1\"}";
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.detail, "duplicate"));

	s = "{\"schema\": \"a\\u0000b\"}";
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	assert_int_equal(err.status, 400);

	s = "{\"schema\": \"\xc3\x28\"}";
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	assert_int_equal(err.status, 400);

	s = "{} {}";
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	assert_int_equal(err.status, 400);

	/* jansson quotes the bytes where it stopped: cut UTF-8 (fuzzing). */
	s = "\"\\\xc3\xa3\x93\xa4";
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	assert_int_equal(err.status, 400);
	v = json_string(err.detail);
	assert_non_null(v);
	json_decref(v);

	assert_int_equal(parse_both("", 0, &rv, &err), -1);
	assert_int_equal(err.status, 400);

	/* Well formed but not an object: a schema violation at the root. */
	expect("[]", 422, "");
	expect("\"x\"", 400, "");

	/* Nesting: 32 levels pass the scan, 33 do not. */
	deep = malloc(200);
	for (i = 0; i < 33; i++) {
		deep[i] = '[';
		deep[66 - i - 1] = ']';
	}
	deep[66] = '\0';
	assert_int_equal(parse_both(deep, 66, &rv, &err), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.detail, "nesting"));
	assert_int_equal(err.column, 33);
	assert_int_equal(parse_both(deep + 1, 64, &rv, &err), -1);
	assert_int_equal(err.status, 422);
	/* Brackets inside strings do not count. */
	s = "{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}";
	expect(s, 422, "/schema");
	free(deep);
}

/* A body over the hard ceiling is refused before it is read. */
static void
test_too_large(void **state)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	char			*big;

	big = calloc(1, (size_t)REPORTV_MAX_SIZE + 1);
	assert_non_null(big);
	assert_int_equal(parse_both(big, (size_t)REPORTV_MAX_SIZE + 1,
	    &rv, &err), -1);
	assert_int_equal(err.status, 413);
	free(big);
}

/* Bad values echoed in a detail are cut on a UTF-8 boundary. */
static void
test_detail_utf8(void **state)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	json_t			*v;
	char			*s;

	s = mutate("/kind", "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	    "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	    "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	    "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	    "\\n\"");
	assert_int_equal(parse_both(s, strlen(s), &rv, &err), -1);
	free(s);
	assert_int_equal(err.status, 422);
	assert_non_null(strstr(err.detail, "..."));
	v = json_string(err.detail);	/* NULL if not valid UTF-8 */
	assert_non_null(v);
	json_decref(v);
}

/* Compresses buf with zlib in gzip format. */
static unsigned char *
gzip_buf(const void *buf, size_t len, size_t *outlen)
{
	z_stream	 zs;
	unsigned char	*out;
	size_t		 cap;

	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	cap = deflateBound(&zs, len);
	out = malloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)buf;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return (out);
}

/*
 * The gzip trailer decides the fast path's buffer (libdeflate): a
 * trailer that lies about the size or the CRC must come out as zlib
 * says, never as a short or padded body.
 */
static void
test_gzip_trailer(void **state)
{
	unsigned char	*gz, *bad;
	char		*out, *cause, cmd[512];
	size_t		 gzlen, outlen, isize;
	FILE		*p;
	int		 delta[] = { -1, 1, 1000, -(int)goodlen };
	size_t		 i;

	(void)state;
	snprintf(cmd, sizeof cmd, "gzip -c < %s", GOOD);
	p = popen(cmd, "r");
	assert_non_null(p);
	gz = malloc(goodlen);
	gzlen = fread(gz, 1, goodlen, p);
	assert_int_equal(pclose(p), 0);
	bad = malloc(gzlen);
	for (i = 0; i < sizeof delta / sizeof delta[0]; i++) {
		memcpy(bad, gz, gzlen);
		isize = goodlen + delta[i];
		bad[gzlen - 4] = isize & 0xff;
		bad[gzlen - 3] = (isize >> 8) & 0xff;
		bad[gzlen - 2] = (isize >> 16) & 0xff;
		bad[gzlen - 1] = (isize >> 24) & 0xff;
		out = NULL;
		assert_int_equal(reportv_gunzip(bad, gzlen, 1 << 20, &out,
		    &outlen, &cause), 400);
		assert_null(out);
		assert_non_null(strstr(cause, "length"));
		free(cause);
	}
	/* The CRC. */
	memcpy(bad, gz, gzlen);
	bad[gzlen - 8] ^= 0x55;
	assert_int_equal(reportv_gunzip(bad, gzlen, 1 << 20, &out, &outlen,
	    &cause), 400);
	assert_non_null(strstr(cause, "check"));
	free(cause);
	/* A trailer over the limit with a body under it: zlib decides. */
	assert_int_equal(reportv_gunzip(gz, gzlen, goodlen, &out, &outlen,
	    &cause), 0);
	assert_int_equal(outlen, goodlen);
	free(out);
	free(bad);
	free(gz);
}

static void
test_gzip_roundtrip(void **state)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	unsigned char		*gz, *two;
	char			*out, *cause, cmd[512];
	size_t			 gzlen, outlen;
	FILE			*p;

	/* Made by the real gzip program, as curl would send a file. */
	snprintf(cmd, sizeof cmd, "gzip -c < %s", GOOD);
	p = popen(cmd, "r");
	assert_non_null(p);
	gz = malloc(goodlen);
	gzlen = fread(gz, 1, goodlen, p);
	assert_int_equal(pclose(p), 0);
	assert_true(gzlen > 18 && gzlen < goodlen);
	assert_int_equal(reportv_gunzip(gz, gzlen, 1 << 20, &out, &outlen,
	    &cause), 0);
	assert_int_equal(outlen, goodlen);
	assert_memory_equal(out, good, goodlen);
	assert_int_equal(out[outlen], '\0');
	assert_int_equal(parse_both(out, outlen, &rv, &err), 0);
	reportv_free(rv);
	free(out);

	/* Exactly at the limit is accepted, one byte under is 413. */
	assert_int_equal(reportv_gunzip(gz, gzlen, goodlen, &out, &outlen,
	    &cause), 0);
	free(out);
	assert_int_equal(reportv_gunzip(gz, gzlen, goodlen - 1, &out,
	    &outlen, &cause), 413);
	assert_null(out);
	free(cause);

	/* Two members concatenated (RFC 1952 2.2) are one body. */
	two = malloc(2 * gzlen);
	memcpy(two, gz, gzlen);
	memcpy(two + gzlen, gz, gzlen);
	assert_int_equal(reportv_gunzip(two, 2 * gzlen, 1 << 20, &out,
	    &outlen, &cause), 0);
	assert_int_equal(outlen, 2 * goodlen);
	assert_memory_equal(out + goodlen, good, goodlen);
	free(out);
	free(two);
	free(gz);

	/* Made by zlib, a tiny body. */
	gz = gzip_buf("{}", 2, &gzlen);
	assert_int_equal(reportv_gunzip(gz, gzlen, 100, &out, &outlen,
	    &cause), 0);
	assert_string_equal(out, "{}");
	free(out);
	free(gz);
}

/* 100 MB of zeros compress to about 100 KB; inflating stops at the limit. */
static void
test_gzip_bomb(void **state)
{
	z_stream	 zs;
	unsigned char	*zeros, *gz;
	size_t		 gzlen, cap, i, outlen;
	char		*out, *cause;

	zeros = calloc(1, 1 << 20);
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	cap = 1 << 20;
	gz = malloc(cap);
	zs.next_out = gz;
	zs.avail_out = cap;
	for (i = 0; i < 100; i++) {
		zs.next_in = zeros;
		zs.avail_in = 1 << 20;
		assert_int_equal(deflate(&zs, i == 99 ? Z_FINISH : Z_NO_FLUSH),
		    i == 99 ? Z_STREAM_END : Z_OK);
	}
	gzlen = cap - zs.avail_out;
	deflateEnd(&zs);
	free(zeros);
	print_message("100 MiB of zeros: %zu bytes of gzip\n", gzlen);
	assert_true(gzlen < 200 * 1024);

	assert_int_equal(reportv_gunzip(gz, gzlen, 4 << 20, &out, &outlen,
	    &cause), 413);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_non_null(strstr(cause, "more than 4194304 bytes"));
	free(cause);
	free(gz);
}

static void
test_gzip_corrupt(void **state)
{
	unsigned char	*gz;
	size_t		 gzlen, outlen;
	char		*out, *cause, *extra;

	gz = gzip_buf(good, goodlen, &gzlen);

	/* Truncated: in the deflate data, and in the 8-byte trailer. */
	assert_int_equal(reportv_gunzip(gz, gzlen / 2, 1 << 20, &out, &outlen,
	    &cause), 400);
	assert_null(out);
	assert_non_null(strstr(cause, "truncated"));
	free(cause);
	assert_int_equal(reportv_gunzip(gz, gzlen - 3, 1 << 20, &out, &outlen,
	    &cause), 400);
	free(cause);
	assert_int_equal(reportv_gunzip(gz, 5, 1 << 20, &out, &outlen,
	    &cause), 400);
	free(cause);

	/* Garbage after the member. */
	extra = malloc(gzlen + 4);
	memcpy(extra, gz, gzlen);
	memcpy(extra + gzlen, "junk", 4);
	assert_int_equal(reportv_gunzip(extra, gzlen + 4, 1 << 20, &out,
	    &outlen, &cause), 400);
	free(cause);

	/* A wrong CRC. */
	memcpy(extra, gz, gzlen);
	extra[gzlen - 8] ^= 1;
	assert_int_equal(reportv_gunzip(extra, gzlen, 1 << 20, &out, &outlen,
	    &cause), 400);
	assert_non_null(strstr(cause, "check"));
	free(cause);
	free(extra);

	/* Not gzip at all: plain JSON, and empty. */
	assert_int_equal(reportv_gunzip(good, goodlen, 1 << 20, &out, &outlen,
	    &cause), 400);
	free(cause);
	assert_int_equal(reportv_gunzip(good, 0, 1 << 20, &out, &outlen,
	    &cause), 400);
	free(cause);
	free(gz);
}

/* Every input of the fuzz corpus (inflated if gzip) and the fixtures. */
static void
test_corpus_differential(void **state)
{
	static const char	*dirs[] = { CORPUS, FIXTURES "/reports" };
	struct reportv		*rv;
	struct reportv_error	 err;
	struct dirent		*de;
	DIR			*d;
	char			 path[1024], *buf, *out, *cause;
	size_t			 len, outlen, i, n = 0;
	int			 r;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		assert_non_null(d = opendir(dirs[i]));
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[i],
			    de->d_name);
			assert_non_null(buf = slurp(path, &len));
			print_message("%s\n", de->d_name);
			r = parse_both(buf, len, &rv, &err);
			reportv_free(rv);
			if (len > 2 && (unsigned char)buf[0] == 0x1f &&
			    (unsigned char)buf[1] == 0x8b && reportv_gunzip(buf,
			    len, 1 << 20, &out, &outlen, &cause) == 0) {
				r = parse_both(out, outlen, &rv, &err);
				reportv_free(rv);
				free(out);
			}
			(void)r;
			free(buf);
			n++;
		}
		closedir(d);
	}
	assert_true(n >= 12);
}

/* Syntax the two parsers must judge alike (status and pointer). */
static void
test_lexer_differential(void **state)
{
	static const char	*cases[] = {
		"", " ", "{", "}", "[", "]", "{}", "[]", " {} ", "{}x", "{} {}",
		"\xef\xbb\xbf{}", "\"x\"", "1", "null", "true", "{\"a\"}",
		"{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{\"a\" 1}",
		"{\"a\":1 \"b\":2}", "[1 2]", "{a:1}", "{'a':1}",
		"[-]", "[-0]", "[-0.0]", "[01]", "[-01]", "[1.]", "[.5]",
		"[1e]", "[1e+]", "[1E5]", "[1e400]", "[-1e400]", "[1e-400]",
		"[9223372036854775807]", "[9223372036854775808]",
		"[-9223372036854775808]", "[-9223372036854775809]",
		"[0.1]", "[1.5e300]", "[123456789012345678901234567890.5]",
		"[tru]", "[truex]", "[nul]", "[false1]", "[True]", "[NaN]",
		"[Infinity]", "[\"\\u0000\"]", "[\"\\u0001\"]", "[\"\\u001f\"]",
		"[\"\\u001F\"]", "[\"\\u0041\"]", "[\"\\/\"]", "[\"\\x\"]",
		"[\"\\u12\"]", "[\"\\u12G4\"]", "[\"\\ud800\"]",
		"[\"\\ud800\\u0041\"]", "[\"\\udc00\"]", "[\"\\ud83d\\ude00\"]",
		"[\"\\uD83D\\uDE00\"]", "[\"\\ud83d\\ud83d\"]", "[\"a\tb\"]",
		"[\"a\nb\"]", "[\"a\x7f\"]", "[\"\xc3\xa9\"]", "[\"\xc3\"]",
		"[\"\xc0\x80\"]", "[\"\xc1\xbf\"]", "[\"\xe0\x80\x80\"]",
		"[\"\xed\xa0\x80\"]", "[\"\xef\xbf\xbf\"]", "[\"\xf4\x8f\xbf\xbf\"]",
		"[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]", "[\"\x80\"]",
		"[\"\xe2\x82\"]", "[\xc3\xa9]", "[\"abc", "[\"abc\\",
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}",
		"{\"a\":1,\"\\u0061\":2}", "{\"b\":1,\"a\":2}",
		"{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
		"{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,"
		    "\"k8\":1,\"k9\":1,\"k0\":1,\"ka\":1,\"k3\":1}",
		"{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,"
		    "\"k8\":1,\"k9\":1,\"k0\":1,\"ka\":1,\"kb\":1}",
		"{\"\":1}", "{\"a\\u0000\":1}", "[\r\n\t 1 ]", "[\f1]",
		"{\"schema\":1}",
	};
	struct reportv		*rv;
	struct reportv_error	 err;
	char			 deep[80];
	size_t			 i;
	int			 d;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		print_message("case %zu\n", i);
		parse_both(cases[i], strlen(cases[i]), &rv, &err);
		reportv_free(rv);
	}
	/* NUL bytes, in a string, after the value, alone. */
	assert_int_equal(parse_both("[\"a\0b\"]", 7, &rv, &err), -1);
	assert_int_equal(parse_both("[1]\0", 4, &rv, &err), -1);
	assert_int_equal(parse_both("\0", 1, &rv, &err), -1);
	/*
	 * A NUL byte right after a number or literal: jansson may skip it
	 * and accept the body (found by fuzzing); ingest refuses it.
	 */
	assert_int_equal(reportv_ingest("{\"a\":1\0}", 8, &rv, &err), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.detail, "NUL byte after a value"));
	assert_int_equal(reportv_ingest("[true\0]", 7, &rv, &err), -1);
	assert_int_equal(err.status, 400);
	/* 32 levels are fine, 33 are not, with the column of the 33rd. */
	for (d = 31; d <= 33; d++) {
		memset(deep, '[', d);
		memset(deep + d, ']', d);
		parse_both(deep, 2 * d, &rv, &err);
		reportv_free(rv);
	}
	memset(deep, '[', 33);
	memset(deep + 33, ']', 33);
	assert_int_equal(reportv_ingest(deep, 66, &rv, &err), -1);
	assert_int_equal(err.status, 400);
	assert_int_equal(err.column, 33);
	assert_non_null(strstr(err.detail, "nesting"));
}

/* The good report with evidence e of result 4, in the given format. */
static char *
with_evidence(json_t *e, size_t flags)
{
	json_t		*doc;
	json_error_t	 jerr;
	char		*s;

	doc = json_loadb(good, goodlen, 0, &jerr);
	assert_non_null(doc);
	json_object_set(json_array_get(json_object_get(doc, "results"), 4),
	    "evidence", e);
	s = json_dumps(doc, flags);
	json_decref(doc);
	return (s);
}

/*
 * The canonical fast path: bodies as the agent writes them (jansson,
 * compact, sorted keys) are hashed as received, whatever the evidence
 * holds; other spellings of the same document get the same hash.
 */
static void
test_canonical(void **state)
{
	static const char	*evidence[] = {
		"{}", "{\"z\":1,\"a\":[true,false,null]}",
		"{\"r\":[0.1,-0.0,1e300,1e-7,2.5,100.0,1.7976931348623157e308]}",
		"{\"s\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\\u007f\"}",
		"{\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\",\"\\u00e9\":0}",
		"{\"i\":[0,-1,9223372036854775807,-9223372036854775808]}",
		"{\"b\":{\"b\":{\"a\":1,\"B\":2,\"aa\":3,\"a\\u00e9\":4}}}",
	};
	static const char	*spelling[] = {
		"\"\\u0041\"", "\"A\"", "\"\\/\"", "\"/\"", "\"\\u001f\"",
		"\"\\u001F\"", "\"\\u000a\"", "\"\\n\"", "\"\\u00e9\"",
		"\"\xc3\xa9\"", "\"\\ud83d\\ude00\"", "\"\\u007f\"", "\"\x7f\"",
		"\"\\u0022\"", "\"\\\"\"", "1E2", "100.0", "1e2", "-0", "0",
		"1e+300", "1.0000000000000001e300", "1e300", "0.10",
		"0.10000000000000001", "1e-07", "9.9999999999999995e-8",
		"-0.0", "12345678901234567", "true", "null", "[]", "{}",
	};
	struct reportv		*rv, *fv;
	struct reportv_error	 err;
	json_t			*e;
	json_error_t		 jerr;
	char			*s, *t, *p, sha[65];
	size_t			 i;

	for (i = 0; i < sizeof evidence / sizeof evidence[0]; i++) {
		print_message("evidence %s\n", evidence[i]);
		e = json_loads(evidence[i], 0, &jerr);
		assert_non_null(e);
		s = with_evidence(e, JSON_COMPACT | JSON_SORT_KEYS);
		assert_int_equal(parse_both(s, strlen(s), &rv, &err), 0);
		reportv_free(rv);
		assert_int_equal(reportv_ingest(s, strlen(s), &fv, &err), 0);
		assert_int_equal(fv->canonical, 1);
		memcpy(sha, fv->sha256, sizeof sha);
		reportv_free(fv);
		free(s);
		/* Not canonical: indented, or keys in document order. */
		t = with_evidence(e, JSON_INDENT(1));
		assert_int_equal(parse_both(t, strlen(t), &rv, &err), 0);
		reportv_free(rv);
		assert_int_equal(reportv_ingest(t, strlen(t), &fv, &err), 0);
		assert_int_equal(fv->canonical, 0);
		assert_string_equal(fv->sha256, sha);
		reportv_free(fv);
		free(t);
		json_decref(e);
	}
	/*
	 * One value spelled in ways jansson would and would not write: the
	 * flag must say exactly whether the body is jansson's (parse_both).
	 */
	e = json_loads("{\"m\":\"MARK\"}", 0, &jerr);
	s = with_evidence(e, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(e);
	assert_non_null(p = strstr(s, "\"MARK\""));
	for (i = 0; i < sizeof spelling / sizeof spelling[0]; i++) {
		print_message("spelling %s\n", spelling[i]);
		t = malloc(strlen(s) + strlen(spelling[i]) + 1);
		sprintf(t, "%.*s%s%s", (int)(p - s), s, spelling[i], p + 6);
		assert_int_equal(parse_both(t, strlen(t), &rv, &err), 0);
		reportv_free(rv);
		free(t);
	}
	free(s);
}

/* The evidence limit counts jansson's compact encoding exactly. */
static void
test_evidence_size(void **state)
{
	static const char	*fill[] = { "\\u0001", "\\n", "\\u00e9", "x",
	    "\\u20ac", "\\/", "\\ud83d\\ude00" };
	struct reportv		*rv;
	struct reportv_error	 err;
	json_t			*e;
	json_error_t		 jerr;
	char			*v, *s, *p;
	size_t			 i, j, n, k, sz[2], unit;

	v = malloc(16 * REPORTV_MAX_EVIDENCE);
	for (i = 0; i < sizeof fill / sizeof fill[0]; i++) {
		/* Compact size with 0 and 1 fills: the base and the unit. */
		for (n = 0; n < 2; n++) {
			p = v + sprintf(v, "{\"r\":[0.1,-0,1E2],\"s\":\"");
			for (j = 0; j < n; j++)
				p += sprintf(p, "%s", fill[i]);
			sprintf(p, "\"}");
			assert_non_null(e = json_loads(v, 0, &jerr));
			sz[n] = json_dumpb(e, NULL, 0, JSON_COMPACT);
			json_decref(e);
		}
		unit = sz[1] - sz[0];
		k = (REPORTV_MAX_EVIDENCE - sz[0]) / unit;
		/* k fills are within the limit, k + 1 are over it. */
		for (n = k - 1; n <= k + 1; n++) {
			p = v + sprintf(v, "{\"r\":[0.1,-0,1E2],\"s\":\"");
			for (j = 0; j < n; j++)
				p += sprintf(p, "%s", fill[i]);
			sprintf(p, "\"}");
			s = mutate("/results/4/evidence", v);
			print_message("fill %s x %zu\n", fill[i], n);
			assert_int_equal(parse_both(s, strlen(s), &rv, &err),
			    n <= k ? 0 : -1);
			reportv_free(rv);
			free(s);
		}
	}
	free(v);
}

/* Not an assertion: how long one parse of the real report takes. */
static void
test_speed(void **state)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	struct timespec		 a, b;
	int			 i, n = 200;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		assert_int_equal(reportv_parse(good, goodlen, &rv, &err), 0);
		reportv_free(rv);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("parse of a %zu-byte report: %.0f us\n", goodlen,
	    ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 1e3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_first_violation),
		cmocka_unit_test(test_duplicate_check),
		cmocka_unit_test(test_results_count),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_detail_utf8),
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_gzip_trailer),
		cmocka_unit_test(test_gzip_bomb),
		cmocka_unit_test(test_gzip_corrupt),
		cmocka_unit_test(test_corpus_differential),
		cmocka_unit_test(test_lexer_differential),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_evidence_size),
		cmocka_unit_test(test_speed),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
