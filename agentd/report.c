/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Reports: the JSON document of schema isms-agent/report/v1 (what is
 * printed with --format json, stored and later sent to the collector)
 * and the human text report grouped by Annex A control.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "util.h"
#include "xmalloc.h"

#define REPORT_INDENT	"  "

static json_t *
str_or_null(json_t *v)
{
	return (json_is_string(v) ? json_incref(v) : json_null());
}

/* The agent block: identity of this host from the inventory facts. */
static json_t *
report_agent(json_t *facts)
{
	json_t	*inv, *os, *o;

	inv = json_object_get(facts, "inventory");
	os = json_object_get(inv, "os");
	o = json_object();
	json_object_set_new(o, "id", str_or_null(json_object_get(os, "id")));
	json_object_set_new(o, "name", str_or_null(json_object_get(os,
	    "name")));
	json_object_set_new(o, "pretty_name", str_or_null(json_object_get(os,
	    "pretty_name")));
	json_object_set_new(o, "version_id", str_or_null(json_object_get(os,
	    "version_id")));
	json_object_set_new(o, "codename", str_or_null(json_object_get(os,
	    "codename")));
	json_object_set_new(o, "kernel", str_or_null(json_object_get(
	    json_object_get(inv, "kernel"), "release")));
	json_object_set_new(o, "arch", str_or_null(json_object_get(
	    json_object_get(inv, "kernel"), "arch")));
	return (json_pack("{s:s,s:o,s:o,s:o}", "version", AGENT_VERSION,
	    "host_id", str_or_null(json_object_get(json_object_get(inv,
	    "machine"), "id")),
	    "hostname", str_or_null(json_object_get(json_object_get(inv,
	    "hostname"), "name")),
	    "os", o));
}

json_t *
report_build(struct results *rs, json_t *facts, time_t now, enum lang lang)
{
	const struct check	*c;
	struct result		*r;
	json_t			*doc, *arr, *o;
	char			 ts[RFC3339_LEN];
	size_t			 i;

	time_format_rfc3339(now, ts, sizeof ts);
	arr = json_array();
	for (i = 0; i < rs->n; i++) {
		r = &rs->v[i];
		c = r->check;
		o = json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:s,s:O}",
		    "check", c->id,
		    "title", text_get(&c->title, lang),
		    "status", status_name(r->status),
		    "severity", severity_name(c->severity),
		    "controls", c->controls,
		    "controls_2013", c->controls_2013,
		    "message", lang == LANG_JA ? r->message_ja : r->message,
		    "evidence", r->evidence);
		if (r->status == STATUS_FAIL || r->status == STATUS_ERROR)
			json_object_set_new(o, "remediation", json_string(
			    text_get(&c->remediation, lang)));
		json_array_append_new(arr, o);
	}
	doc = json_pack("{s:s,s:o,s:s,s:o,s:{s:I,s:I,s:I,s:I}}",
	    "schema", REPORT_SCHEMA,
	    "agent", report_agent(facts),
	    "generated_at", ts,
	    "results", arr,
	    "summary",
	    "pass", (json_int_t)rs->count[STATUS_PASS],
	    "fail", (json_int_t)rs->count[STATUS_FAIL],
	    "error", (json_int_t)rs->count[STATUS_ERROR],
	    "not_applicable", (json_int_t)rs->count[STATUS_NA]);
	return (doc);
}

char *
report_canonical(json_t *doc)
{
	char	*s;

	if ((s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT |
	    JSON_REAL_PRECISION(17))) == NULL)
		abort();
	return (s);
}

/* Text report. */

struct colours {
	const char	*pass, *fail, *error, *na, *bold, *dim, *reset;
};

static const struct colours colours_on = {
	"\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[1m", "\033[2m",
	"\033[0m"
};
static const struct colours colours_off = { "", "", "", "", "", "", "" };

static const char *
status_label(const char *status, enum lang lang)
{
	if (lang == LANG_JA) {
		if (strcmp(status, "pass") == 0)
			return ("合格  ");
		if (strcmp(status, "fail") == 0)
			return ("不合格");
		if (strcmp(status, "error") == 0)
			return ("エラー");
		return ("適用外");
	}
	if (strcmp(status, "pass") == 0)
		return ("PASS ");
	if (strcmp(status, "fail") == 0)
		return ("FAIL ");
	if (strcmp(status, "error") == 0)
		return ("ERROR");
	return ("N/A  ");
}

static const char *
status_colour(const struct colours *c, const char *status)
{
	if (strcmp(status, "pass") == 0)
		return (c->pass);
	if (strcmp(status, "fail") == 0)
		return (c->fail);
	if (strcmp(status, "error") == 0)
		return (c->error);
	return (c->na);
}

/* "max_idle = 15m (agent.yaml:4)" for each threshold of a result. */
static void
print_thresholds(FILE *f, json_t *thresholds, const struct colours *c,
    enum lang lang)
{
	const char	*name;
	json_t		*t;
	int		 first = 1;

	if (json_object_size(thresholds) == 0)
		return;
	fprintf(f, " %s[%s", c->dim, lang == LANG_JA ? "しきい値: " :
	    "threshold: ");
	json_object_foreach(thresholds, name, t) {
		fprintf(f, "%s%s = %s", first ? "" : ", ", name,
		    json_string_value(json_object_get(t, "display")));
		first = 0;
	}
	fprintf(f, "]%s", c->reset);
}

static int
result_cmp_control(const void *pa, const void *pb)
{
	json_t	*a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	const char *ca, *cb;
	int	 r;

	ca = json_string_value(json_array_get(json_object_get(a, "controls"),
	    0));
	cb = json_string_value(json_array_get(json_object_get(b, "controls"),
	    0));
	if ((r = annex_id_cmp(ca != NULL ? ca : "", cb != NULL ? cb : "")) !=
	    0)
		return (r);
	return (strcmp(json_string_value(json_object_get(a, "check")),
	    json_string_value(json_object_get(b, "check"))));
}

void
report_print_text(FILE *f, json_t *doc, enum lang lang, int colour)
{
	const struct colours	*c = colour ? &colours_on : &colours_off;
	const struct annex_control *ac;
	json_t			*results, **sorted, *r, *ctl, *agent, *sum;
	const char		*control, *prev = NULL, *status;
	size_t			 i, j, n;

	agent = json_object_get(doc, "agent");
	fprintf(f, "%sisms-agent %s%s  %s  %s  %s\n", c->bold,
	    json_string_value(json_object_get(agent, "version")), c->reset,
	    json_is_string(json_object_get(agent, "hostname")) ?
	    json_string_value(json_object_get(agent, "hostname")) : "?",
	    json_is_string(json_object_get(json_object_get(agent, "os"),
	    "pretty_name")) ? json_string_value(json_object_get(
	    json_object_get(agent, "os"), "pretty_name")) : "",
	    json_string_value(json_object_get(doc, "generated_at")));
	fprintf(f, "%s\n", lang == LANG_JA ?
	    "ISO/IEC 27001:2022 (JIS Q 27001:2023) 附属書A 管理策" :
	    "ISO/IEC 27001:2022 Annex A controls");

	results = json_object_get(doc, "results");
	n = json_array_size(results);
	sorted = xcalloc(n + 1, sizeof *sorted);
	for (i = 0; i < n; i++)
		sorted[i] = json_array_get(results, i);
	qsort(sorted, n, sizeof *sorted, result_cmp_control);

	for (i = 0; i < n; i++) {
		r = sorted[i];
		control = json_string_value(json_array_get(json_object_get(r,
		    "controls"), 0));
		if (prev == NULL || strcmp(prev, control) != 0) {
			ac = annex_find_2022(control);
			fprintf(f, "\n%s%s %s%s", c->bold, control,
			    ac == NULL ? "" : lang == LANG_JA ? ac->title_ja :
			    ac->title, c->reset);
			if (ac != NULL && *ac->related != '\0') {
				fprintf(f, " %s(2013: ", c->dim);
				for (j = 0; ac->related[j] != '\0'; j++) {
					if (ac->related[j] == ';')
						fputs(", ", f);
					else
						fputc(ac->related[j], f);
				}
				fprintf(f, ")%s", c->reset);
			}
			fputc('\n', f);
			prev = control;
		}
		status = json_string_value(json_object_get(r, "status"));
		fprintf(f, REPORT_INDENT "%s%s%s %s", status_colour(c, status),
		    status_label(status, lang), c->reset,
		    json_string_value(json_object_get(r, "title")));
		ctl = json_object_get(r, "controls");
		if (json_array_size(ctl) > 1) {
			fprintf(f, " %s(", c->dim);
			for (j = 1; j < json_array_size(ctl); j++)
				fprintf(f, "%s%s", j > 1 ? ", " : "",
				    json_string_value(json_array_get(ctl, j)));
			fprintf(f, ")%s", c->reset);
		}
		fprintf(f, "\n" REPORT_INDENT REPORT_INDENT "      %s%s%s",
		    c->dim, json_string_value(json_object_get(r, "check")),
		    c->reset);
		fprintf(f, ": %s", json_string_value(json_object_get(r,
		    "message")));
		print_thresholds(f, json_object_get(json_object_get(r,
		    "evidence"), "thresholds"), c, lang);
		fputc('\n', f);
		if (json_is_string(json_object_get(r, "remediation")))
			fprintf(f, REPORT_INDENT REPORT_INDENT "      %s%s%s "
			    "%s\n", c->bold, lang == LANG_JA ? "対処:" :
			    "fix:", c->reset, json_string_value(
			    json_object_get(r, "remediation")));
	}
	free(sorted);
	sum = json_object_get(doc, "summary");
	if (lang == LANG_JA)
		fprintf(f, "\n合格 %lld、不合格 %lld、エラー %lld、適用外 %lld\n",
		    (long long)json_integer_value(json_object_get(sum, "pass")),
		    (long long)json_integer_value(json_object_get(sum, "fail")),
		    (long long)json_integer_value(json_object_get(sum,
		    "error")), (long long)json_integer_value(
		    json_object_get(sum, "not_applicable")));
	else
		fprintf(f, "\n%lld passed, %lld failed, %lld errors, %lld not "
		    "applicable\n",
		    (long long)json_integer_value(json_object_get(sum, "pass")),
		    (long long)json_integer_value(json_object_get(sum, "fail")),
		    (long long)json_integer_value(json_object_get(sum,
		    "error")), (long long)json_integer_value(
		    json_object_get(sum, "not_applicable")));
}
