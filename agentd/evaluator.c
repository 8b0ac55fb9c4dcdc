/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The evaluator: facts + policy + now -> results.  Pure: no I/O.
 *
 * Each result carries its evidence: the value of every fact path the
 * condition read, the thresholds in force with where they were set, the
 * host paths the facts came from, the failing comparisons, and the time
 * of collection, so an auditor can see what "pass" meant.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "util.h"
#include "xmalloc.h"

#define EVAL_SOURCES_DEPTH	4	/* levels searched for _sources */
#define EVAL_SOURCES_MAX	32	/* sources listed per result */

/* A growing string. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
};

static void
sbuf_add(struct sbuf *b, const char *s)
{
	size_t	n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, 1, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static char *
sbuf_done(struct sbuf *b)
{
	if (b->s == NULL)
		return (xstrdup(""));
	return (b->s);
}

static int
is_duration_name(const char *name)
{
	return (name != NULL && str_endswith(name, "_s"));
}

/*
 * Renders a value for a message.  Integers named *_s, or compared with
 * a duration threshold, are shown as durations ("30m").
 */
static char *
render_value(json_t *v, int duration, enum lang lang)
{
	char	*s;

	if (v == NULL || json_is_null(v))
		return (xstrdup(lang == LANG_JA ? "なし" : "none"));
	if (json_is_string(v))
		return (xstrdup(json_string_value(v)));
	if (json_is_integer(v) && duration)
		return (duration_format(json_integer_value(v)));
	if (json_is_array(v)) {
		xasprintf(&s, lang == LANG_JA ? "%zu 件" : "%zu item%s",
		    json_array_size(v), json_array_size(v) == 1 ? "" : "s");
		return (s);
	}
	return (json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT));
}

static int
threshold_is_duration(struct policy *p, const char *name)
{
	struct threshold	*t;

	return (name != NULL && (t = policy_find_threshold(p, name)) != NULL &&
	    t->type == THR_DURATION);
}

/* One failing comparison as a sentence. */
static char *
render_failure(struct policy *p, json_t *f, enum lang lang)
{
	const char	*subject, *op, *thr;
	json_t		*exp;
	char		*obs, *ex, *s;
	int		 dur;

	subject = json_string_value(json_object_get(f, "subject"));
	op = json_string_value(json_object_get(f, "op"));
	thr = json_string_value(json_object_get(f, "threshold"));
	exp = json_object_get(f, "expected");
	if (strcmp(op, "not any") == 0 || strcmp(op, "all") == 0 ||
	    strcmp(op, "not none") == 0 || strcmp(op, "none") == 0 ||
	    strcmp(op, "any") == 0 || strcmp(op, "not all") == 0) {
		/* A list function: "no element of x satisfies: cond". */
		obs = render_value(json_object_get(f, "observed"), 0, lang);
		ex = render_value(exp, 0, lang);
		if (strcmp(op, "not any") == 0)
			xasprintf(&s, lang == LANG_JA ?
			    "%s（%s 件）のどの要素も条件 %s を満たしません" :
			    "no element of %s (%s) satisfies %s", subject,
			    obs, ex);
		else
			xasprintf(&s, lang == LANG_JA ?
			    "%s（%s 件）が条件 %s について %s です" :
			    "%s (%s): %s is %s", subject, obs, ex, op);
		free(obs);
		free(ex);
		return (s);
	}
	dur = is_duration_name(subject) || threshold_is_duration(p, thr);
	obs = render_value(json_object_get(f, "observed"), dur, lang);
	ex = render_value(exp, dur, lang);
	if (lang == LANG_JA) {
		if (thr != NULL)
			xasprintf(&s, "%s が %s（基準: %s %s、しきい値 %s）",
			    subject, obs, op, ex, thr);
		else
			xasprintf(&s, "%s が %s（基準: %s %s）", subject, obs,
			    op, ex);
	} else {
		if (thr != NULL)
			xasprintf(&s, "%s is %s, expected %s %s (%s)",
			    subject, obs, op, ex, thr);
		else
			xasprintf(&s, "%s is %s, expected %s %s", subject,
			    obs, op, ex);
	}
	free(obs);
	free(ex);
	return (s);
}

/* Looks up a dotted fact path for message templates. */
static json_t *
fact_lookup(json_t *facts, const char *path)
{
	json_t	*cur = facts;
	char	*copy, *tok, *save;

	copy = xstrdup(path);
	for (tok = strtok_r(copy, ".", &save); tok != NULL && cur != NULL;
	    tok = strtok_r(NULL, ".", &save))
		cur = json_is_object(cur) ? json_object_get(cur, tok) : NULL;
	free(copy);
	return (cur);
}

/* Replaces {path} and {$threshold} in a message template. */
static char *
render_template(struct policy *p, const char *tpl, json_t *facts,
    json_t *thresholds, enum lang lang)
{
	struct sbuf	 b = { NULL, 0, 0 };
	const char	*q, *end;
	char		*name, *v, one[2] = { 0, 0 };
	json_t		*val;

	for (q = tpl; *q != '\0'; q++) {
		if (*q != '{' || (end = strchr(q, '}')) == NULL) {
			one[0] = *q;
			sbuf_add(&b, one);
			continue;
		}
		name = xstrndup(q + 1, end - q - 1);
		if (*name == '$') {
			val = json_object_get(thresholds, name + 1);
			v = render_value(val, threshold_is_duration(p,
			    name + 1), lang);
		} else {
			val = fact_lookup(facts, name);
			v = render_value(val, is_duration_name(name), lang);
		}
		sbuf_add(&b, v);
		free(v);
		free(name);
		q = end;
	}
	return (sbuf_done(&b));
}

/* Adds obj's own _sources to out, once each. */
static void
add_sources(json_t *obj, json_t *out)
{
	json_t	*src, *s, *x;
	size_t	 i, j;
	int	 dup;

	if ((src = json_object_get(obj, "_sources")) == NULL)
		return;
	json_array_foreach(src, i, s) {
		dup = 0;
		json_array_foreach(out, j, x)
			if (json_equal(x, s))
				dup = 1;
		if (!dup && json_array_size(out) < EVAL_SOURCES_MAX)
			json_array_append(out, s);
	}
}

/* Adds the _sources found in v and below it (bounded depth). */
static void
collect_sources(json_t *v, json_t *out, int depth)
{
	json_t		*child;
	const char	*key;
	size_t		 i;

	if (depth > EVAL_SOURCES_DEPTH ||
	    json_array_size(out) >= EVAL_SOURCES_MAX)
		return;
	if (json_is_object(v)) {
		add_sources(v, out);
		json_object_foreach(v, key, child)
			if (*key != '_')
				collect_sources(child, out, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			collect_sources(child, out, depth + 1);
	}
}

/* Sources of every object on each observed path, and below it. */
static json_t *
result_sources(json_t *facts, json_t *observed)
{
	json_t		*out = json_array(), *cur, *unused;
	const char	*path;
	char		*copy, *tok, *save;

	json_object_foreach(observed, path, unused) {
		cur = facts;
		copy = xstrdup(path);
		for (tok = strtok_r(copy, ".", &save); tok != NULL &&
		    json_is_object(cur); tok = strtok_r(NULL, ".", &save)) {
			add_sources(cur, out);
			cur = json_object_get(cur, tok);
		}
		free(copy);
		if (cur != NULL)
			collect_sources(cur, out, 0);
	}
	return (out);
}

static json_t *
result_thresholds(struct policy *p, const struct check *c)
{
	struct threshold	*t;
	json_t			*used, *out, *v;
	char			*disp;
	size_t			 i;

	used = json_array();
	expr_thresholds(c->condition, used);
	if (c->applies != NULL)
		expr_thresholds(c->applies, used);
	out = json_object();
	json_array_foreach(used, i, v) {
		if ((t = policy_find_threshold(p, json_string_value(v))) ==
		    NULL)
			continue;
		disp = render_value(t->value, t->type == THR_DURATION, LANG_EN);
		json_object_set_new(out, t->name, json_pack("{s:O,s:s,s:s}",
		    "value", t->value, "display", disp, "source", t->source));
		free(disp);
	}
	json_decref(used);
	return (out);
}

/* Builds the message of a failed check in one language. */
static char *
fail_message(struct policy *p, const struct check *c, json_t *failures,
    json_t *facts, json_t *thresholds, enum lang lang)
{
	struct sbuf	 b = { NULL, 0, 0 };
	json_t		*f;
	char		*s;
	size_t		 i;

	if (c->msg_fail.en != NULL) {
		s = render_template(p, text_get(&c->msg_fail, lang), facts,
		    thresholds, lang);
		sbuf_add(&b, s);
		free(s);
		if (json_array_size(failures) > 0)
			sbuf_add(&b, lang == LANG_JA ? ": " : ": ");
	}
	json_array_foreach(failures, i, f) {
		if (i > 0)
			sbuf_add(&b, lang == LANG_JA ? "、" : "; ");
		s = render_failure(p, f, lang);
		sbuf_add(&b, s);
		free(s);
	}
	if (b.s == NULL)
		sbuf_add(&b, lang == LANG_JA ? "条件を満たしていません" :
		    "condition not met");
	return (sbuf_done(&b));
}

/* Lists observed scalar values: "a = 1, b = yes". */
static char *
pass_message(struct policy *p, const struct check *c, json_t *observed,
    json_t *facts, json_t *thresholds, enum lang lang)
{
	struct sbuf	 b = { NULL, 0, 0 };
	const char	*path;
	json_t		*v;
	char		*s;
	int		 n = 0;

	if (c->msg_pass.en != NULL)
		return (render_template(p, text_get(&c->msg_pass, lang), facts,
		    thresholds, lang));
	json_object_foreach(observed, path, v) {
		if (n++ == 4) {
			sbuf_add(&b, ", ...");
			break;
		}
		if (n > 1)
			sbuf_add(&b, ", ");
		sbuf_add(&b, path);
		sbuf_add(&b, " = ");
		s = json_is_object(v) ? xstrdup("{...}") :
		    render_value(v, is_duration_name(path), lang);
		sbuf_add(&b, s);
		free(s);
	}
	if (b.s == NULL)
		sbuf_add(&b, lang == LANG_JA ? "条件を満たしています" :
		    "condition met");
	return (sbuf_done(&b));
}

static void
evaluate_check(struct policy *p, const struct check *c, json_t *facts,
    json_t *thresholds, time_t now, struct result *r)
{
	struct expr_outcome	 app, out;
	json_t			*ev;
	char			 ts[RFC3339_LEN];

	memset(&out, 0, sizeof out);
	memset(&app, 0, sizeof app);
	r->check = c;
	ev = json_object();
	time_format_rfc3339(now, ts, sizeof ts);

	if (c->applies != NULL) {
		expr_eval(c->applies, facts, thresholds, &app);
		if (app.status != STATUS_PASS) {
			r->status = app.status == STATUS_ERROR ? STATUS_ERROR :
			    STATUS_NA;
			if (app.status == STATUS_FAIL && c->na_reason.en !=
			    NULL) {
				r->message = xstrdup(c->na_reason.en);
				r->message_ja = xstrdup(text_get(&c->na_reason,
				    LANG_JA));
			} else {
				r->message = xstrdup(app.reason != NULL ?
				    app.reason : "does not apply to this host");
				r->message_ja = xstrdup(app.reason_ja != NULL ?
				    app.reason_ja : app.reason != NULL ?
				    app.reason : "このホストには適用されません");
			}
			json_object_set(ev, "observed", app.observed);
			goto done;
		}
	}
	expr_eval(c->condition, facts, thresholds, &out);
	r->status = out.status;
	switch (out.status) {
	case STATUS_PASS:
		r->message = pass_message(p, c, out.observed, facts,
		    thresholds, LANG_EN);
		r->message_ja = pass_message(p, c, out.observed, facts,
		    thresholds, LANG_JA);
		break;
	case STATUS_FAIL:
		r->message = fail_message(p, c, out.failures, facts,
		    thresholds, LANG_EN);
		r->message_ja = fail_message(p, c, out.failures, facts,
		    thresholds, LANG_JA);
		json_object_set(ev, "failures", out.failures);
		break;
	case STATUS_ERROR:
	case STATUS_NA:
		r->message = xstrdup(out.reason);
		r->message_ja = xstrdup(out.reason_ja != NULL ? out.reason_ja :
		    out.reason);
		break;
	}
	json_object_set(ev, "observed", out.observed);
done:
	json_object_set_new(ev, "thresholds", result_thresholds(p, c));
	json_object_set_new(ev, "sources", result_sources(facts,
	    json_object_get(ev, "observed")));
	json_object_set_new(ev, "condition", json_string(c->condition_src));
	json_object_set_new(ev, "collected_at", json_string(ts));
	r->evidence = ev;
	expr_outcome_clear(&app);
	expr_outcome_clear(&out);
}

void
evaluate(struct policy *p, json_t *facts, time_t now, struct results *rs)
{
	struct check	*c;
	json_t		*thresholds;

	memset(rs, 0, sizeof *rs);
	rs->v = xcalloc(p->nchecks + 1, sizeof *rs->v);
	thresholds = policy_threshold_values(p);
	TAILQ_FOREACH(c, &p->checks, entry) {
		if (c->disabled)
			continue;
		evaluate_check(p, c, facts, thresholds, now, &rs->v[rs->n]);
		rs->count[rs->v[rs->n].status]++;
		rs->n++;
	}
	json_decref(thresholds);
}

void
results_clear(struct results *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].message);
		free(rs->v[i].message_ja);
		json_decref(rs->v[i].evidence);
	}
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}
