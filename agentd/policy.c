/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Policy files: checks and thresholds in YAML (doc/policy-format.md).
 * Every problem is collected as "file:line:column: message" so that an
 * administrator sees all of them at once; a policy with any error is
 * never used.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "util.h"
#include "xmalloc.h"

struct policy *
policy_new(void)
{
	struct policy	*p = xcalloc(1, sizeof *p);

	TAILQ_INIT(&p->checks);
	TAILQ_INIT(&p->thresholds);
	return (p);
}

static void
text_clear(struct text *t)
{
	free(t->en);
	free(t->ja);
	t->en = t->ja = NULL;
}

const char *
text_get(const struct text *t, enum lang lang)
{
	if (lang == LANG_JA && t->ja != NULL)
		return (t->ja);
	return (t->en != NULL ? t->en : "");
}

static void
check_free(struct check *c)
{
	free(c->id);
	text_clear(&c->title);
	text_clear(&c->rationale);
	text_clear(&c->remediation);
	text_clear(&c->na_reason);
	text_clear(&c->msg_pass);
	text_clear(&c->msg_fail);
	json_decref(c->controls);
	json_decref(c->controls_2013);
	expr_free(c->applies);
	expr_free(c->condition);
	free(c->condition_src);
	free(c->where);
	free(c);
}

static void
threshold_free(struct threshold *t)
{
	free(t->name);
	json_decref(t->value);
	free(t->source);
	text_clear(&t->description);
	free(t);
}

void
policy_free(struct policy *p)
{
	struct check		*c;
	struct threshold	*t;

	if (p == NULL)
		return;
	while ((c = TAILQ_FIRST(&p->checks)) != NULL) {
		TAILQ_REMOVE(&p->checks, c, entry);
		check_free(c);
	}
	while ((t = TAILQ_FIRST(&p->thresholds)) != NULL) {
		TAILQ_REMOVE(&p->thresholds, t, entry);
		threshold_free(t);
	}
	free(p);
}

const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEV_LOW:
		return ("low");
	case SEV_MEDIUM:
		return ("medium");
	case SEV_HIGH:
		return ("high");
	case SEV_CRITICAL:
		return ("critical");
	}
	return ("medium");
}

struct check *
policy_find_check(struct policy *p, const char *id)
{
	struct check	*c;

	TAILQ_FOREACH(c, &p->checks, entry)
		if (strcmp(c->id, id) == 0)
			return (c);
	return (NULL);
}

struct threshold *
policy_find_threshold(struct policy *p, const char *name)
{
	struct threshold	*t;

	TAILQ_FOREACH(t, &p->thresholds, entry)
		if (strcmp(t->name, name) == 0)
			return (t);
	return (NULL);
}

json_t *
policy_threshold_values(struct policy *p)
{
	struct threshold	*t;
	json_t			*o = json_object();

	TAILQ_FOREACH(t, &p->thresholds, entry)
		json_object_set(o, t->name, t->value);
	return (o);
}

/* A text in "en"/"ja" mapping form, or a plain string (English). */
static int
read_text(const struct ynode *n, struct text *t, int required_ja,
    struct yerrors *e)
{
	static const char *const keys[] = { "en", "ja", NULL };
	struct ynode	*en, *ja;

	if (n->type == YNODE_SCALAR) {
		t->en = xstrdup(n->value);
		if (required_ja)
			yerr(e, n, "text needs both en and ja");
		return (0);
	}
	if (n->type != YNODE_MAP) {
		yerr(e, n, "expected a text (en, ja), found %s",
		    ynode_type_name(n->type));
		return (-1);
	}
	ynode_check_keys(n, keys, e);
	en = ynode_get(n, "en");
	ja = ynode_get(n, "ja");
	if (en == NULL) {
		yerr(e, n, "text has no \"en\"");
		return (-1);
	}
	if (en->type != YNODE_SCALAR || (ja != NULL &&
	    ja->type != YNODE_SCALAR)) {
		yerr(e, n, "en and ja must be strings");
		return (-1);
	}
	t->en = xstrdup(en->value);
	if (ja != NULL)
		t->ja = xstrdup(ja->value);
	else if (required_ja)
		yerr(e, n, "text has no \"ja\"");
	return (0);
}

/*
 * Parses a condition, reporting a syntax error at its line and the
 * column inside the condition text.
 */
static struct expr *
read_expr(const struct ynode *n, struct yerrors *e)
{
	struct expr	*x;
	char		*cause;
	int		 col = 0;

	if (n->type != YNODE_SCALAR) {
		yerr(e, n, "expected a condition string, found %s",
		    ynode_type_name(n->type));
		return (NULL);
	}
	if ((x = expr_parse(n->value, &cause, &col)) == NULL) {
		yerr(e, n, "condition: %s at character %d of \"%s\"", cause,
		    col, n->value);
		free(cause);
	}
	return (x);
}

static int
valid_id(const char *s)
{
	if (!islower((unsigned char)*s))
		return (0);
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '.' && *s != '_' && *s != '-')
			return (0);
	return (1);
}

/* Reads one threshold value of the declared type. */
json_t *
policy_threshold_parse(enum threshold_type type, const struct ynode *n,
    struct yerrors *e)
{
	int64_t	 i;
	int	 b;
	char	*end;
	double	 d;

	switch (type) {
	case THR_DURATION:
		if (ynode_duration(n, &i, e) == -1)
			return (NULL);
		return (json_integer(i));
	case THR_NUMBER:
		if (n->type != YNODE_SCALAR) {
			yerr(e, n, "expected a number");
			return (NULL);
		}
		d = strtod(n->value, &end);
		if (*n->value == '\0' || *end != '\0') {
			yerr(e, n, "expected a number, found \"%s\"", n->value);
			return (NULL);
		}
		if (d == (double)(json_int_t)d)
			return (json_integer((json_int_t)d));
		return (json_real(d));
	case THR_BOOL:
		if (ynode_bool(n, &b, e) == -1)
			return (NULL);
		return (json_boolean(b));
	case THR_STRING:
		if (n->type != YNODE_SCALAR) {
			yerr(e, n, "expected a string");
			return (NULL);
		}
		return (json_string(n->value));
	}
	return (NULL);
}

static void
read_threshold(struct policy *p, const struct ynode *n, struct yerrors *e)
{
	static const char *const keys[] = { "name", "type", "default",
	    "description", NULL };
	struct ynode		*name, *type, *def, *desc;
	struct threshold	*t;
	enum threshold_type	 tt;
	json_t			*v;
	char			 where[512];

	if (n->type != YNODE_MAP) {
		yerr(e, n, "threshold must be a mapping");
		return;
	}
	ynode_check_keys(n, keys, e);
	name = ynode_get(n, "name");
	type = ynode_get(n, "type");
	def = ynode_get(n, "default");
	desc = ynode_get(n, "description");
	if (name == NULL || type == NULL || def == NULL) {
		yerr(e, n, "threshold needs name, type and default");
		return;
	}
	if (name->type != YNODE_SCALAR || strchr(name->value, '.') == NULL) {
		yerr(e, name, "threshold name must be dotted, e.g. "
		    "screen_lock.max_idle");
		return;
	}
	if (type->type != YNODE_SCALAR) {
		yerr(e, type, "threshold type must be a string");
		return;
	}
	if (strcmp(type->value, "duration") == 0)
		tt = THR_DURATION;
	else if (strcmp(type->value, "number") == 0)
		tt = THR_NUMBER;
	else if (strcmp(type->value, "bool") == 0)
		tt = THR_BOOL;
	else if (strcmp(type->value, "string") == 0)
		tt = THR_STRING;
	else {
		yerr(e, type, "unknown threshold type \"%s\" (duration, "
		    "number, bool or string)", type->value);
		return;
	}
	if (policy_find_threshold(p, name->value) != NULL) {
		yerr(e, name, "threshold %s defined twice", name->value);
		return;
	}
	if ((v = policy_threshold_parse(tt, def, e)) == NULL)
		return;
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name->value);
	t->type = tt;
	t->value = v;
	ynode_where(def, where, sizeof where);
	xasprintf(&t->source, "policy default (%s)", where);
	if (desc != NULL)
		read_text(desc, &t->description, 0, e);
	TAILQ_INSERT_TAIL(&p->thresholds, t, entry);
}

static void
read_check(struct policy *p, const struct ynode *n, struct yerrors *e)
{
	static const char *const keys[] = { "id", "title", "severity",
	    "controls", "rationale", "remediation", "applies",
	    "not_applicable", "condition", "message", NULL };
	static const char *const mkeys[] = { "pass", "fail", NULL };
	struct ynode	*id, *v, *ctl, *m;
	struct check	*c;
	size_t		 before = e->n, i;
	char		 where[512];

	if (n->type != YNODE_MAP) {
		yerr(e, n, "check must be a mapping");
		return;
	}
	ynode_check_keys(n, keys, e);
	if ((id = ynode_get(n, "id")) == NULL) {
		yerr(e, n, "check has no id");
		return;
	}
	if (id->type != YNODE_SCALAR || !valid_id(id->value)) {
		yerr(e, id, "check id must be lower case, dotted "
		    "(e.g. disk.encryption.root)");
		return;
	}
	if (policy_find_check(p, id->value) != NULL) {
		yerr(e, id, "check %s defined twice", id->value);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->id = xstrdup(id->value);
	ynode_where(n, where, sizeof where);
	c->where = xstrdup(where);
	c->controls = json_array();

	if ((v = ynode_get(n, "title")) == NULL)
		yerr(e, n, "check %s has no title", c->id);
	else
		read_text(v, &c->title, 1, e);
	if ((v = ynode_get(n, "severity")) == NULL)
		yerr(e, n, "check %s has no severity", c->id);
	else if (v->type != YNODE_SCALAR)
		yerr(e, v, "severity must be low, medium, high or critical");
	else if (strcmp(v->value, "low") == 0)
		c->severity = SEV_LOW;
	else if (strcmp(v->value, "medium") == 0)
		c->severity = SEV_MEDIUM;
	else if (strcmp(v->value, "high") == 0)
		c->severity = SEV_HIGH;
	else if (strcmp(v->value, "critical") == 0)
		c->severity = SEV_CRITICAL;
	else
		yerr(e, v, "unknown severity \"%s\" (low, medium, high or "
		    "critical)", v->value);

	if ((v = ynode_get(n, "controls")) == NULL || v->type != YNODE_SEQ ||
	    v->nitems == 0)
		yerr(e, v != NULL ? v : n, "check %s needs a list of at least "
		    "one ISO/IEC 27001:2022 control", c->id);
	else {
		for (i = 0; i < v->nitems; i++) {
			ctl = v->items[i];
			if (ctl->type != YNODE_SCALAR ||
			    annex_find_2022(ctl->value) == NULL) {
				yerr(e, ctl, "unknown ISO/IEC 27001:2022 "
				    "Annex A control \"%s\"",
				    ctl->type == YNODE_SCALAR ? ctl->value :
				    "?");
				continue;
			}
			json_array_append_new(c->controls,
			    json_string(ctl->value));
		}
	}
	c->controls_2013 = annex_2013_of(c->controls);

	if ((v = ynode_get(n, "rationale")) != NULL)
		read_text(v, &c->rationale, 1, e);
	if ((v = ynode_get(n, "remediation")) == NULL)
		yerr(e, n, "check %s has no remediation", c->id);
	else
		read_text(v, &c->remediation, 1, e);
	if ((v = ynode_get(n, "applies")) != NULL)
		c->applies = read_expr(v, e);
	if ((v = ynode_get(n, "not_applicable")) != NULL)
		read_text(v, &c->na_reason, 1, e);
	if ((v = ynode_get(n, "message")) != NULL) {
		if (v->type != YNODE_MAP)
			yerr(e, v, "message must be a mapping with pass "
			    "and/or fail");
		else {
			ynode_check_keys(v, mkeys, e);
			if ((m = ynode_get(v, "pass")) != NULL)
				read_text(m, &c->msg_pass, 1, e);
			if ((m = ynode_get(v, "fail")) != NULL)
				read_text(m, &c->msg_fail, 1, e);
		}
	}
	if ((v = ynode_get(n, "condition")) == NULL)
		yerr(e, n, "check %s has no condition", c->id);
	else if ((c->condition = read_expr(v, e)) != NULL)
		c->condition_src = xstrdup(v->value);

	if (e->n != before) {
		check_free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&p->checks, c, entry);
	p->nchecks++;
}

/* Every $name a condition uses must be a declared threshold. */
static void
policy_check_thresholds(struct policy *p, const char *file,
    struct yerrors *e)
{
	struct check	*c;
	json_t		*used, *v;
	size_t		 i;

	TAILQ_FOREACH(c, &p->checks, entry) {
		if (strncmp(c->where, file, strlen(file)) != 0 ||
		    c->where[strlen(file)] != ':')
			continue;
		used = json_array();
		if (c->condition != NULL)
			expr_thresholds(c->condition, used);
		if (c->applies != NULL)
			expr_thresholds(c->applies, used);
		json_array_foreach(used, i, v) {
			if (policy_find_threshold(p,
			    json_string_value(v)) == NULL)
				yerr_at(e, file, atoi(c->where + strlen(file) +
				    1), 1, "check %s uses undefined threshold "
				    "$%s", c->id, json_string_value(v));
		}
		json_decref(used);
	}
}

void
policy_load_buffer(struct policy *p, const char *name, const char *buf,
    size_t len, struct yerrors *e)
{
	static const char *const keys[] = { "thresholds", "checks", NULL };
	struct ytree	*t;
	struct ynode	*r, *th, *ch;
	size_t		 i;

	if ((t = ytree_parse(name, buf, len, e)) == NULL)
		return;
	if ((r = t->root) == NULL) {
		ytree_free(t);
		return;
	}
	if (r->type != YNODE_MAP) {
		yerr(e, r, "a policy must be a mapping with \"thresholds\" "
		    "and \"checks\"");
		ytree_free(t);
		return;
	}
	ynode_check_keys(r, keys, e);
	if ((th = ynode_get(r, "thresholds")) != NULL) {
		if (th->type != YNODE_SEQ)
			yerr(e, th, "thresholds must be a list");
		else
			for (i = 0; i < th->nitems; i++)
				read_threshold(p, th->items[i], e);
	}
	if ((ch = ynode_get(r, "checks")) != NULL) {
		if (ch->type != YNODE_SEQ)
			yerr(e, ch, "checks must be a list");
		else
			for (i = 0; i < ch->nitems; i++)
				read_check(p, ch->items[i], e);
	}
	ytree_free(t);
}

void
policy_load_builtin(struct policy *p, struct yerrors *e)
{
	size_t	i;

	for (i = 0; i < builtin_policies_count; i++)
		policy_load_buffer(p, builtin_policies[i].name,
		    builtin_policies[i].text, builtin_policies[i].len, e);
	for (i = 0; i < builtin_policies_count; i++)
		policy_check_thresholds(p, builtin_policies[i].name, e);
}

void
policy_load_file(struct policy *p, const char *file, struct yerrors *e)
{
	char	*buf, *cause;
	size_t	 len;

	if (root_read_file("", file, &buf, &len, &cause) == -1) {
		yerr_at(e, file, 0, 0, "%s", cause);
		free(cause);
		return;
	}
	policy_load_buffer(p, file, buf, len, e);
	policy_check_thresholds(p, file, e);
	free(buf);
}
