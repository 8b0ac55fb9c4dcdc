/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The condition language of policies (doc/policy-format.md).
 *
 * A condition is parsed once into a small tree and evaluated against the
 * facts of a run with three-valued logic: besides true and false, a
 * value can be "unknown", either an error (a fact could not be read or
 * is missing) or not applicable (a fact says it does not apply).
 * Missing data therefore never turns into a pass: "false and unknown"
 * is false, "true or unknown" is true, anything else unknown stays
 * unknown and the check reports why.
 *
 * When a condition is false, expr_explain() walks the tree again and
 * lists the comparisons that made it false, with the element of a list
 * they were about ("screen_lock.users[alice].effective_s is 1800,
 * expected <= 900"), which is what a person reading a report needs.
 */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "util.h"
#include "xmalloc.h"

#define EXPR_MAX_DEPTH		64	/* nesting of the parse tree */
#define EXPR_MAX_FAILURES	20	/* failing comparisons listed */
#define EXPR_OBSERVED_ITEMS	64	/* list elements kept in evidence */

enum node_type {
	N_LIT,
	N_THRESH,
	N_PATH,
	N_LIST,
	N_NOT,
	N_AND,
	N_OR,
	N_CMP,
	N_ARITH,
	N_FUNC
};

enum func {
	F_ALL,
	F_ANY,
	F_NONE,
	F_COUNT,
	F_EXISTS,
	F_APPLICABLE
};

struct node {
	enum node_type	 type;
	json_t		*lit;		/* N_LIT */
	char		*name;		/* N_THRESH, N_PATH (source form) */
	char		**parts;	/* N_PATH components */
	size_t		 nparts;
	int		 relative;	/* N_PATH starting with "." */
	char		 op[9];		/* N_CMP, N_ARITH */
	enum func	 func;		/* N_FUNC */
	char		*cond_src;	/* N_FUNC: text of the condition */
	struct node	**kids;
	size_t		 nkids;
};

struct expr {
	struct node	*root;
	char		*src;
};

/* Lexer and parser. */

enum tok_type {
	T_END,
	T_NUM,
	T_STR,
	T_PATH,
	T_THRESH,
	T_OP,
	T_WORD
};

struct parser {
	const char	*src;
	const char	*p;
	enum tok_type	 tok;
	const char	*tok_start;
	char		*text;		/* T_STR, T_PATH, T_THRESH, T_OP, T_WORD */
	json_t		*num;		/* T_NUM */
	char		*error;
	int		 errcol;
	int		 depth;
};

static struct node *parse_or(struct parser *);

static void
parse_error(struct parser *ps, const char *fmt, ...)
{
	va_list	ap;

	if (ps->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&ps->error, fmt, ap) == -1)
		abort();
	va_end(ap);
	ps->errcol = (int)(ps->tok_start - ps->src) + 1;
}

static int
is_ident(int c)
{
	return (isalnum(c) || c == '_' || c == '-');
}

/* Reads the next token into ps. */
static void
lex(struct parser *ps)
{
	const char	*p = ps->p, *s;
	char		*buf;
	size_t		 n;
	int64_t		 secs;
	char		 q;

	free(ps->text);
	ps->text = NULL;
	json_decref(ps->num);
	ps->num = NULL;
	while (isspace((unsigned char)*p))
		p++;
	ps->tok_start = p;
	if (*p == '\0') {
		ps->tok = T_END;
		ps->p = p;
		return;
	}
	if (isdigit((unsigned char)*p)) {
		s = p;
		while (isdigit((unsigned char)*p) || *p == '.')
			p++;
		if (strchr("smhdw", *p) != NULL && *p != '\0') {
			while (isalnum((unsigned char)*p))
				p++;
			buf = xstrndup(s, p - s);
			if (duration_parse(buf, &secs, NULL) == -1) {
				parse_error(ps, "invalid duration \"%s\"", buf);
				free(buf);
				ps->tok = T_END;
				return;
			}
			free(buf);
			ps->num = json_integer(secs);
		} else if (memchr(s, '.', p - s) != NULL) {
			buf = xstrndup(s, p - s);
			ps->num = json_real(strtod(buf, NULL));
			free(buf);
		} else {
			buf = xstrndup(s, p - s);
			ps->num = json_integer(strtoll(buf, NULL, 10));
			free(buf);
		}
		if (is_ident((unsigned char)*p)) {
			parse_error(ps, "invalid number");
			ps->tok = T_END;
			return;
		}
		ps->tok = T_NUM;
		ps->p = p;
		return;
	}
	if (*p == '\'' || *p == '"') {
		q = *p++;
		s = p;
		while (*p != '\0' && *p != q)
			p++;
		if (*p != q) {
			parse_error(ps, "unterminated string");
			ps->tok = T_END;
			return;
		}
		ps->text = xstrndup(s, p - s);
		ps->tok = T_STR;
		ps->p = p + 1;
		return;
	}
	if (*p == '$' || *p == '.' || isalpha((unsigned char)*p) ||
	    *p == '_') {
		ps->tok = *p == '$' ? T_THRESH : T_PATH;
		if (*p == '$')
			p++;
		s = p;
		while (is_ident((unsigned char)*p) || *p == '.')
			p++;
		n = p - s;
		ps->text = xstrndup(s, n);
		ps->p = p;
		if (ps->tok == T_PATH && strchr(ps->text, '.') == NULL &&
		    (strcmp(ps->text, "and") == 0 ||
		    strcmp(ps->text, "or") == 0 ||
		    strcmp(ps->text, "not") == 0 ||
		    strcmp(ps->text, "in") == 0 ||
		    strcmp(ps->text, "contains") == 0 ||
		    strcmp(ps->text, "matches") == 0 ||
		    strcmp(ps->text, "true") == 0 ||
		    strcmp(ps->text, "false") == 0 ||
		    strcmp(ps->text, "null") == 0))
			ps->tok = T_WORD;
		if (ps->tok == T_THRESH && n == 0) {
			parse_error(ps, "threshold name expected after $");
			ps->tok = T_END;
		}
		return;
	}
	if ((p[0] == '=' && p[1] == '=') || (p[0] == '!' && p[1] == '=') ||
	    (p[0] == '<' && p[1] == '=') || (p[0] == '>' && p[1] == '=')) {
		ps->text = xstrndup(p, 2);
		ps->tok = T_OP;
		ps->p = p + 2;
		return;
	}
	if (strchr("<>+-*/()[],", *p) != NULL) {
		ps->text = xstrndup(p, 1);
		ps->tok = T_OP;
		ps->p = p + 1;
		return;
	}
	parse_error(ps, "unexpected character '%c'", *p);
	ps->tok = T_END;
}

static int
tok_is(struct parser *ps, enum tok_type t, const char *text)
{
	return (ps->tok == t && ps->text != NULL &&
	    strcmp(ps->text, text) == 0);
}

static void
expect(struct parser *ps, const char *op)
{
	if (!tok_is(ps, T_OP, op)) {
		parse_error(ps, "expected '%s'", op);
		return;
	}
	lex(ps);
}

static struct node *
node_new(enum node_type type)
{
	struct node	*n = xcalloc(1, sizeof *n);

	n->type = type;
	return (n);
}

static void
node_add(struct node *n, struct node *kid)
{
	if (kid == NULL)
		return;
	n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof *n->kids);
	n->kids[n->nkids++] = kid;
}

static void
node_free(struct node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	for (i = 0; i < n->nparts; i++)
		free(n->parts[i]);
	free(n->parts);
	free(n->kids);
	free(n->name);
	free(n->cond_src);
	json_decref(n->lit);
	free(n);
}

/* Splits a path "a.b.c" or ".b.c" or "." into components. */
static struct node *
path_node(struct parser *ps, const char *text)
{
	struct node	*n = node_new(N_PATH);
	char		*copy, *tok, *save;
	const char	*t = text;

	n->name = xstrdup(text);
	if (*t == '.') {
		n->relative = 1;
		t++;
	}
	copy = xstrdup(t);
	for (tok = strtok_r(copy, ".", &save); tok != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		n->parts = xreallocarray(n->parts, n->nparts + 1,
		    sizeof *n->parts);
		n->parts[n->nparts++] = xstrdup(tok);
	}
	free(copy);
	if (strstr(t, "..") != NULL || (*t != '\0' && t[strlen(t) - 1] == '.'))
		parse_error(ps, "invalid path \"%s\"", text);
	if (!n->relative && n->nparts == 0)
		parse_error(ps, "invalid path \"%s\"", text);
	return (n);
}

static struct node *
parse_func(struct parser *ps, const char *name)
{
	struct node	*n = node_new(N_FUNC);
	const char	*start;

	if (strcmp(name, "all") == 0)
		n->func = F_ALL;
	else if (strcmp(name, "any") == 0)
		n->func = F_ANY;
	else if (strcmp(name, "none") == 0)
		n->func = F_NONE;
	else if (strcmp(name, "count") == 0)
		n->func = F_COUNT;
	else if (strcmp(name, "exists") == 0)
		n->func = F_EXISTS;
	else if (strcmp(name, "applicable") == 0)
		n->func = F_APPLICABLE;
	else {
		parse_error(ps, "unknown function \"%s\"", name);
		node_free(n);
		return (NULL);
	}
	n->name = xstrdup(name);
	expect(ps, "(");
	if (ps->tok != T_PATH) {
		parse_error(ps, "%s() needs a fact path first", name);
		node_free(n);
		return (NULL);
	}
	node_add(n, path_node(ps, ps->text));
	lex(ps);
	if (tok_is(ps, T_OP, ",")) {
		if (n->func == F_EXISTS || n->func == F_APPLICABLE) {
			parse_error(ps, "%s() takes one argument", name);
			node_free(n);
			return (NULL);
		}
		lex(ps);
		start = ps->tok_start;
		node_add(n, parse_or(ps));
		n->cond_src = xstrndup(start, ps->tok_start - start);
		str_trim(n->cond_src);
	} else if (n->func == F_ALL || n->func == F_ANY ||
	    n->func == F_NONE) {
		parse_error(ps, "%s() needs a condition: %s(path, cond)",
		    name, name);
		node_free(n);
		return (NULL);
	}
	expect(ps, ")");
	return (n);
}

static struct node *
parse_primary(struct parser *ps)
{
	struct node	*n;
	char		*name;

	if (ps->error != NULL)
		return (NULL);
	if (++ps->depth > EXPR_MAX_DEPTH) {
		parse_error(ps, "expression nested too deeply");
		return (NULL);
	}
	switch (ps->tok) {
	case T_NUM:
		n = node_new(N_LIT);
		n->lit = json_incref(ps->num);
		lex(ps);
		break;
	case T_STR:
		n = node_new(N_LIT);
		n->lit = json_string(ps->text);
		lex(ps);
		break;
	case T_THRESH:
		n = node_new(N_THRESH);
		n->name = xstrdup(ps->text);
		lex(ps);
		break;
	case T_WORD:
		n = node_new(N_LIT);
		if (strcmp(ps->text, "true") == 0)
			n->lit = json_true();
		else if (strcmp(ps->text, "false") == 0)
			n->lit = json_false();
		else if (strcmp(ps->text, "null") == 0)
			n->lit = json_null();
		else {
			parse_error(ps, "unexpected \"%s\"", ps->text);
			node_free(n);
			return (NULL);
		}
		lex(ps);
		break;
	case T_PATH:
		name = xstrdup(ps->text);
		lex(ps);
		if (tok_is(ps, T_OP, "(")) {
			n = parse_func(ps, name);
		} else
			n = path_node(ps, name);
		free(name);
		break;
	case T_OP:
		if (tok_is(ps, T_OP, "(")) {
			lex(ps);
			n = parse_or(ps);
			expect(ps, ")");
			break;
		}
		if (tok_is(ps, T_OP, "[")) {
			n = node_new(N_LIST);
			lex(ps);
			while (!tok_is(ps, T_OP, "]") && ps->error == NULL) {
				node_add(n, parse_or(ps));
				if (tok_is(ps, T_OP, ","))
					lex(ps);
				else if (!tok_is(ps, T_OP, "]"))
					parse_error(ps, "expected ',' or ']'");
			}
			lex(ps);
			break;
		}
		if (tok_is(ps, T_OP, "-")) {
			lex(ps);
			n = node_new(N_ARITH);
			strlcpy(n->op, "-", sizeof n->op);
			node_add(n, node_new(N_LIT));
			n->kids[0]->lit = json_integer(0);
			node_add(n, parse_primary(ps));
			break;
		}
		/* FALLTHROUGH */
	default:
		parse_error(ps, ps->tok == T_END ? "unexpected end of condition"
		    : "unexpected token");
		ps->depth--;
		return (NULL);
	}
	ps->depth--;
	return (n);
}

static struct node *
parse_term(struct parser *ps)
{
	struct node	*l = parse_primary(ps), *n;

	while (ps->error == NULL &&
	    (tok_is(ps, T_OP, "*") || tok_is(ps, T_OP, "/"))) {
		n = node_new(N_ARITH);
		strlcpy(n->op, ps->text, sizeof n->op);
		lex(ps);
		node_add(n, l);
		node_add(n, parse_primary(ps));
		l = n;
	}
	return (l);
}

static struct node *
parse_sum(struct parser *ps)
{
	struct node	*l = parse_term(ps), *n;

	while (ps->error == NULL &&
	    (tok_is(ps, T_OP, "+") || tok_is(ps, T_OP, "-"))) {
		n = node_new(N_ARITH);
		strlcpy(n->op, ps->text, sizeof n->op);
		lex(ps);
		node_add(n, l);
		node_add(n, parse_term(ps));
		l = n;
	}
	return (l);
}

static struct node *
parse_cmp(struct parser *ps)
{
	static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">",
	    NULL };
	static const char *const words[] = { "in", "contains", "matches",
	    NULL };
	struct node	*l = parse_sum(ps), *n;
	const char	*op = NULL;
	size_t		 i;

	for (i = 0; ops[i] != NULL && op == NULL; i++)
		if (tok_is(ps, T_OP, ops[i]))
			op = ops[i];
	for (i = 0; words[i] != NULL && op == NULL; i++)
		if (tok_is(ps, T_WORD, words[i]))
			op = words[i];
	if (op == NULL || ps->error != NULL)
		return (l);
	n = node_new(N_CMP);
	strlcpy(n->op, op, sizeof n->op);
	lex(ps);
	node_add(n, l);
	node_add(n, parse_sum(ps));
	return (n);
}

static struct node *
parse_not(struct parser *ps)
{
	struct node	*n;

	if (tok_is(ps, T_WORD, "not")) {
		lex(ps);
		n = node_new(N_NOT);
		node_add(n, parse_not(ps));
		return (n);
	}
	return (parse_cmp(ps));
}

static struct node *
parse_and(struct parser *ps)
{
	struct node	*l = parse_not(ps), *n = NULL;

	while (ps->error == NULL && tok_is(ps, T_WORD, "and")) {
		if (n == NULL) {
			n = node_new(N_AND);
			node_add(n, l);
		}
		lex(ps);
		node_add(n, parse_not(ps));
	}
	return (n != NULL ? n : l);
}

static struct node *
parse_or(struct parser *ps)
{
	struct node	*l = parse_and(ps), *n = NULL;

	while (ps->error == NULL && tok_is(ps, T_WORD, "or")) {
		if (n == NULL) {
			n = node_new(N_OR);
			node_add(n, l);
		}
		lex(ps);
		node_add(n, parse_and(ps));
	}
	return (n != NULL ? n : l);
}

struct expr *
expr_parse(const char *src, char **cause, int *errcol)
{
	struct parser	 ps;
	struct node	*root;
	struct expr	*e;

	memset(&ps, 0, sizeof ps);
	ps.src = ps.p = src;
	lex(&ps);
	root = parse_or(&ps);
	if (ps.error == NULL && ps.tok != T_END)
		parse_error(&ps, "unexpected text after the condition");
	free(ps.text);
	json_decref(ps.num);
	if (ps.error != NULL) {
		node_free(root);
		*cause = ps.error;
		if (errcol != NULL)
			*errcol = ps.errcol;
		return (NULL);
	}
	e = xcalloc(1, sizeof *e);
	e->root = root;
	e->src = xstrdup(src);
	return (e);
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	node_free(e->root);
	free(e->src);
	free(e);
}

static void
node_thresholds(const struct node *n, json_t *arr)
{
	json_t	*v;
	size_t	 i;

	if (n->type == N_THRESH) {
		json_array_foreach(arr, i, v)
			if (strcmp(json_string_value(v), n->name) == 0)
				return;
		json_array_append_new(arr, json_string(n->name));
	}
	for (i = 0; i < n->nkids; i++)
		node_thresholds(n->kids[i], arr);
}

void
expr_thresholds(const struct expr *e, json_t *arr)
{
	node_thresholds(e->root, arr);
}

/* Evaluation. */

enum vkind {
	V_OK,
	V_ERR,
	V_NA
};

struct val {
	enum vkind	 kind;
	json_t		*j;		/* V_OK: owned reference */
	char		*reason;	/* V_ERR, V_NA */
	char		*reason_ja;	/* from "_na_ja", may be NULL */
};

struct frame {
	json_t		*elem;
	char		*subject;	/* "screen_lock.users[alice]" */
};

struct env {
	json_t		*facts;
	json_t		*thresholds;
	json_t		*observed;
	json_t		*failures;
	struct frame	 stack[EXPR_MAX_DEPTH];
	int		 depth;
};

static struct val eval(struct env *, const struct node *);

static struct val
val_ok(json_t *j)
{
	struct val	v = { V_OK, j, NULL, NULL };

	return (v);
}

static struct val
val_unknown(enum vkind kind, const char *fmt, ...)
{
	struct val	v = { kind, NULL, NULL, NULL };
	va_list		ap;

	va_start(ap, fmt);
	if (vasprintf(&v.reason, fmt, ap) == -1)
		abort();
	va_end(ap);
	return (v);
}

static void
val_clear(struct val *v)
{
	json_decref(v->j);
	free(v->reason);
	free(v->reason_ja);
	v->j = NULL;
	v->reason = NULL;
	v->reason_ja = NULL;
}

/* Copy of a value for evidence, with long lists cut. */
static json_t *
bounded_copy(json_t *j)
{
	json_t	*out, *v;
	size_t	 i;

	if (!json_is_array(j) || json_array_size(j) <= EXPR_OBSERVED_ITEMS)
		return (json_incref(j));
	out = json_array();
	json_array_foreach(j, i, v) {
		if (i == EXPR_OBSERVED_ITEMS)
			break;
		json_array_append(out, v);
	}
	json_array_append_new(out, json_pack("{s:s,s:I}", "_truncated",
	    "list cut in evidence", "_total", (json_int_t)json_array_size(j)));
	return (out);
}

/* Element name for messages: its "name" member, else its index. */
static char *
elem_subject(const char *list, json_t *elem, size_t idx)
{
	json_t	*name;
	char	*s;

	name = json_is_object(elem) ? json_object_get(elem, "name") : NULL;
	if (json_is_string(name))
		xasprintf(&s, "%s[%s]", list, json_string_value(name));
	else
		xasprintf(&s, "%s[%zu]", list, idx);
	return (s);
}

/* Full subject of a path node in the current element context. */
static char *
path_subject(struct env *env, const struct node *n)
{
	char	*s;

	if (!n->relative || env->depth == 0)
		return (xstrdup(n->name));
	if (n->nparts == 0)
		return (xstrdup(env->stack[env->depth - 1].subject));
	xasprintf(&s, "%s%s", env->stack[env->depth - 1].subject, n->name);
	return (s);
}

/* Checks an object met on a path for _na / _error markers. */
static int
marker(json_t *obj, const char *where, struct val *out)
{
	json_t	*m;

	if (!json_is_object(obj))
		return (0);
	if ((m = json_object_get(obj, "_na")) != NULL) {
		*out = val_unknown(V_NA, "%s", json_string_value(m));
		if ((m = json_object_get(obj, "_na_ja")) != NULL &&
		    json_is_string(m))
			out->reason_ja = xstrdup(json_string_value(m));
		return (1);
	}
	if ((m = json_object_get(obj, "_error")) != NULL) {
		if (where != NULL && *where != '\0')
			*out = val_unknown(V_ERR, "%s: %s", where,
			    json_string_value(m));
		else
			*out = val_unknown(V_ERR, "%s", json_string_value(m));
		return (1);
	}
	return (0);
}

/*
 * Resolves a path.  With exists set, a missing last component is a
 * false result instead of an error.
 */
static struct val
resolve(struct env *env, const struct node *n, int exists)
{
	json_t		*cur;
	struct val	 out;
	const char	*where = NULL;
	size_t		 i;

	if (n->relative) {
		if (env->depth == 0)
			return (val_unknown(V_ERR, "relative path \"%s\" used "
			    "outside all/any/none/count", n->name));
		cur = env->stack[env->depth - 1].elem;
		where = env->stack[env->depth - 1].subject;
	} else
		cur = env->facts;
	for (i = 0; i < n->nparts; i++) {
		if (marker(cur, where, &out))
			return (out);
		if (!json_is_object(cur))
			return (val_unknown(V_ERR, "fact %s: \"%s\" is not "
			    "an object", n->name, n->parts[i]));
		cur = json_object_get(cur, n->parts[i]);
		if (cur == NULL) {
			if (exists && i == n->nparts - 1)
				return (val_ok(json_false()));
			return (val_unknown(V_ERR, "fact %s not collected",
			    n->name));
		}
	}
	if (exists)
		return (val_ok(json_true()));
	if (marker(cur, where, &out))
		return (out);
	if (!n->relative && env->observed != NULL &&
	    json_object_get(env->observed, n->name) == NULL)
		json_object_set_new(env->observed, n->name, bounded_copy(cur));
	return (val_ok(json_incref(cur)));
}

static int
truthy(json_t *j)
{
	return (json_is_true(j));
}

static double
num(json_t *j)
{
	return (json_number_value(j));
}

/* Combines unknowns: not-applicable wins over errors. */
static struct val
unknown_of(struct val *a, struct val *b)
{
	struct val	*pick, r;

	if (a->kind == V_NA || b->kind == V_OK)
		pick = a;
	else if (b->kind == V_NA || a->kind == V_OK)
		pick = b;
	else
		pick = a;
	r = val_unknown(pick->kind, "%s", pick->reason);
	if (pick->reason_ja != NULL)
		r.reason_ja = xstrdup(pick->reason_ja);
	return (r);
}

static int
json_equalish(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return (num(a) == num(b));
	return (json_equal(a, b));
}

static struct val
compare(const char *op, json_t *a, json_t *b)
{
	regex_t	 re;
	json_t	*v;
	size_t	 i;
	int	 r = 0, c;

	if (strcmp(op, "==") == 0)
		return (val_ok(json_boolean(json_equalish(a, b))));
	if (strcmp(op, "!=") == 0)
		return (val_ok(json_boolean(!json_equalish(a, b))));
	if (strcmp(op, "in") == 0) {
		if (!json_is_array(b))
			return (val_unknown(V_ERR, "'in' needs a list on the "
			    "right"));
		json_array_foreach(b, i, v)
			if (json_equalish(a, v))
				return (val_ok(json_true()));
		return (val_ok(json_false()));
	}
	if (strcmp(op, "contains") == 0) {
		if (json_is_array(a)) {
			json_array_foreach(a, i, v)
				if (json_equalish(v, b))
					return (val_ok(json_true()));
			return (val_ok(json_false()));
		}
		if (json_is_string(a) && json_is_string(b))
			return (val_ok(json_boolean(strstr(json_string_value(a),
			    json_string_value(b)) != NULL)));
		if (json_is_null(a))
			return (val_ok(json_false()));
		return (val_unknown(V_ERR, "'contains' needs a list or a "
		    "string on the left"));
	}
	if (strcmp(op, "matches") == 0) {
		if (json_is_null(a))
			return (val_ok(json_false()));
		if (!json_is_string(a) || !json_is_string(b))
			return (val_unknown(V_ERR, "'matches' needs strings"));
		if (regcomp(&re, json_string_value(b), REG_EXTENDED |
		    REG_NOSUB) != 0)
			return (val_unknown(V_ERR, "invalid regular "
			    "expression \"%s\"", json_string_value(b)));
		r = regexec(&re, json_string_value(a), 0, NULL, 0) == 0;
		regfree(&re);
		return (val_ok(json_boolean(r)));
	}
	/* Ordering: a value that is null ("never", "none") satisfies none. */
	if (json_is_null(a) || json_is_null(b))
		return (val_ok(json_false()));
	if (json_is_number(a) && json_is_number(b))
		c = num(a) < num(b) ? -1 : num(a) > num(b) ? 1 : 0;
	else if (json_is_string(a) && json_is_string(b))
		c = strcmp(json_string_value(a), json_string_value(b));
	else
		return (val_unknown(V_ERR, "cannot order %s and %s",
		    json_is_string(a) ? "a string" : "a non-string",
		    json_is_string(b) ? "a string" : "a non-string"));
	if (strcmp(op, "<") == 0)
		r = c < 0;
	else if (strcmp(op, "<=") == 0)
		r = c <= 0;
	else if (strcmp(op, ">") == 0)
		r = c > 0;
	else if (strcmp(op, ">=") == 0)
		r = c >= 0;
	return (val_ok(json_boolean(r)));
}

static struct val
arith(const char *op, json_t *a, json_t *b)
{
	double	x, y, r;

	if (json_is_null(a) || json_is_null(b))
		return (val_ok(json_null()));
	if (!json_is_number(a) || !json_is_number(b))
		return (val_unknown(V_ERR, "arithmetic on a non-number"));
	x = num(a);
	y = num(b);
	switch (*op) {
	case '+': r = x + y; break;
	case '-': r = x - y; break;
	case '*': r = x * y; break;
	default:
		if (y == 0)
			return (val_unknown(V_ERR, "division by zero"));
		r = x / y;
		break;
	}
	if (json_is_integer(a) && json_is_integer(b) && *op != '/' &&
	    fabs(r) < 9e15 && r == (double)(json_int_t)r)
		return (val_ok(json_integer((json_int_t)r)));
	return (val_ok(json_real(r)));
}

static void
push(struct env *env, json_t *elem, char *subject)
{
	if (env->depth >= EXPR_MAX_DEPTH)
		abort();	/* bounded by the parse depth */
	env->stack[env->depth].elem = elem;
	env->stack[env->depth].subject = subject;
	env->depth++;
}

static void
pop(struct env *env)
{
	env->depth--;
	free(env->stack[env->depth].subject);
}

/* Evaluates the list argument of a function; must be an array. */
static struct val
func_list(struct env *env, const struct node *n, char **subject)
{
	struct val	v;

	v = resolve(env, n->kids[0], 0);
	if (v.kind != V_OK)
		return (v);
	if (!json_is_array(v.j)) {
		val_clear(&v);
		return (val_unknown(V_ERR, "fact %s is not a list",
		    n->kids[0]->name));
	}
	*subject = path_subject(env, n->kids[0]);
	return (v);
}

static struct val
eval_func(struct env *env, const struct node *n)
{
	struct val	 list, c, first = { V_OK, NULL, NULL, NULL };
	json_t		*elem, *saved_obs;
	char		*subject;
	size_t		 i, count = 0;
	int		 any_true = 0, any_false = 0, unknown = 0;

	if (n->func == F_EXISTS)
		return (resolve(env, n->kids[0], 1));
	if (n->func == F_APPLICABLE) {
		/* False where the facts say they do not apply; errors stay. */
		list = resolve(env, n->kids[0], 0);
		if (list.kind == V_ERR)
			return (list);
		c = val_ok(json_boolean(list.kind == V_OK));
		val_clear(&list);
		return (c);
	}
	list = func_list(env, n, &subject);
	if (list.kind != V_OK)
		return (list);
	if (n->func == F_COUNT && n->nkids == 1) {
		free(subject);
		count = json_array_size(list.j);
		val_clear(&list);
		return (val_ok(json_integer(count)));
	}
	/* Element values are evidence through the list itself. */
	saved_obs = env->observed;
	env->observed = NULL;
	json_array_foreach(list.j, i, elem) {
		push(env, elem, elem_subject(subject, elem, i));
		c = eval(env, n->kids[1]);
		pop(env);
		if (c.kind != V_OK) {
			if (!unknown)
				first = c;
			else
				val_clear(&c);
			unknown = 1;
			continue;
		}
		if (truthy(c.j)) {
			any_true = 1;
			count++;
		} else
			any_false = 1;
		val_clear(&c);
	}
	env->observed = saved_obs;
	free(subject);
	val_clear(&list);
	switch (n->func) {
	case F_ALL:
		if (any_false)
			break;
		return (unknown ? first : val_ok(json_true()));
	case F_ANY:
		if (any_true)
			break;
		return (unknown ? first : val_ok(json_false()));
	case F_NONE:
		if (any_true)
			break;
		return (unknown ? first : val_ok(json_true()));
	case F_COUNT:
		if (unknown)
			return (first);
		return (val_ok(json_integer(count)));
	default:
		break;
	}
	val_clear(&first);
	if (n->func == F_ALL)
		return (val_ok(json_false()));
	if (n->func == F_ANY)
		return (val_ok(json_true()));
	return (val_ok(json_false()));	/* F_NONE with a match */
}

static struct val
eval(struct env *env, const struct node *n)
{
	struct val	 a, b, r, first = { V_OK, NULL, NULL, NULL };
	json_t		*t, *arr;
	size_t		 i;
	int		 unknown = 0;

	switch (n->type) {
	case N_LIT:
		return (val_ok(json_incref(n->lit)));
	case N_THRESH:
		if ((t = json_object_get(env->thresholds, n->name)) == NULL)
			return (val_unknown(V_ERR, "threshold %s not defined",
			    n->name));
		return (val_ok(json_incref(t)));
	case N_PATH:
		return (resolve(env, n, 0));
	case N_LIST:
		arr = json_array();
		for (i = 0; i < n->nkids; i++) {
			a = eval(env, n->kids[i]);
			if (a.kind != V_OK) {
				json_decref(arr);
				return (a);
			}
			json_array_append_new(arr, a.j);
		}
		return (val_ok(arr));
	case N_NOT:
		a = eval(env, n->kids[0]);
		if (a.kind != V_OK)
			return (a);
		if (!json_is_boolean(a.j)) {
			val_clear(&a);
			return (val_unknown(V_ERR, "'not' of a non-boolean"));
		}
		r = val_ok(json_boolean(!truthy(a.j)));
		val_clear(&a);
		return (r);
	case N_AND:
	case N_OR:
		for (i = 0; i < n->nkids; i++) {
			a = eval(env, n->kids[i]);
			if (a.kind == V_OK && !json_is_boolean(a.j)) {
				val_clear(&a);
				a = val_unknown(V_ERR, "'%s' of a non-boolean "
				    "(%s)", n->type == N_AND ? "and" : "or",
				    n->kids[i]->type == N_PATH ?
				    n->kids[i]->name : "expression");
			}
			if (a.kind != V_OK) {
				if (!unknown)
					first = a;
				else
					val_clear(&a);
				unknown = 1;
				continue;
			}
			if (truthy(a.j) == (n->type == N_OR)) {
				val_clear(&first);
				return (a);
			}
			val_clear(&a);
		}
		if (unknown)
			return (first);
		return (val_ok(json_boolean(n->type == N_AND)));
	case N_CMP:
	case N_ARITH:
		a = eval(env, n->kids[0]);
		b = eval(env, n->kids[1]);
		if (a.kind != V_OK || b.kind != V_OK) {
			r = unknown_of(&a, &b);
			val_clear(&a);
			val_clear(&b);
			return (r);
		}
		r = n->type == N_CMP ? compare(n->op, a.j, b.j) :
		    arith(n->op, a.j, b.j);
		val_clear(&a);
		val_clear(&b);
		return (r);
	case N_FUNC:
		return (eval_func(env, n));
	}
	return (val_unknown(V_ERR, "bad expression node"));
}

/* Explanation of a false (or, under "not", true) condition. */

static const char *
negate_op(const char *op)
{
	if (strcmp(op, "==") == 0) return ("!=");
	if (strcmp(op, "!=") == 0) return ("==");
	if (strcmp(op, "<") == 0) return (">=");
	if (strcmp(op, "<=") == 0) return (">");
	if (strcmp(op, ">") == 0) return ("<=");
	if (strcmp(op, ">=") == 0) return ("<");
	if (strcmp(op, "in") == 0) return ("not in");
	if (strcmp(op, "contains") == 0) return ("not contains");
	if (strcmp(op, "matches") == 0) return ("not matches");
	return (op);
}

/* Source-like text of a node, for subjects such as "count(x)". */
static char *
node_text(struct env *env, const struct node *n)
{
	char	*s, *a, *b;

	switch (n->type) {
	case N_PATH:
		return (path_subject(env, n));
	case N_THRESH:
		xasprintf(&s, "$%s", n->name);
		return (s);
	case N_FUNC:
		a = path_subject(env, n->kids[0]);
		xasprintf(&s, "%s(%s%s)", n->name, a, n->nkids > 1 ?
		    ", ..." : "");
		free(a);
		return (s);
	case N_ARITH:
		a = node_text(env, n->kids[0]);
		b = node_text(env, n->kids[1]);
		xasprintf(&s, "%s %s %s", a, n->op, b);
		free(a);
		free(b);
		return (s);
	case N_LIT:
		return (json_dumps(n->lit, JSON_ENCODE_ANY | JSON_COMPACT));
	default:
		return (xstrdup("expression"));
	}
}

static int
is_fact_side(const struct node *n)
{
	return (n->type == N_PATH || n->type == N_FUNC ||
	    (n->type == N_ARITH && (is_fact_side(n->kids[0]) ||
	    is_fact_side(n->kids[1]))));
}

static void
add_failure(struct env *env, const char *subject, json_t *observed,
    const char *op, json_t *expected, const char *threshold)
{
	json_t	*f;

	if (json_array_size(env->failures) >= EXPR_MAX_FAILURES)
		return;
	f = json_pack("{s:s,s:O,s:s}", "subject", subject, "observed",
	    observed != NULL ? observed : json_null(), "op", op);
	if (expected != NULL)
		json_object_set(f, "expected", expected);
	if (threshold != NULL)
		json_object_set_new(f, "threshold", json_string(threshold));
	json_array_append_new(env->failures, f);
}

static void explain(struct env *, const struct node *, int);

/* Explains the elements of a list function whose condition was want. */
static void
explain_elems(struct env *env, const struct node *n, int want)
{
	struct val	 list, c;
	json_t		*elem;
	char		*subject;
	size_t		 i;

	list = func_list(env, n, &subject);
	if (list.kind != V_OK) {
		val_clear(&list);
		return;
	}
	json_array_foreach(list.j, i, elem) {
		push(env, elem, elem_subject(subject, elem, i));
		c = eval(env, n->kids[1]);
		if (c.kind == V_OK && json_is_boolean(c.j) &&
		    truthy(c.j) == want)
			explain(env, n->kids[1], want);
		val_clear(&c);
		pop(env);
	}
	free(subject);
	val_clear(&list);
}

/*
 * Records why node n evaluated to value "got" (0 false, 1 true), which
 * made the whole condition false.
 */
static void
explain(struct env *env, const struct node *n, int got)
{
	struct val	 a, b, c;
	const struct node *fact, *other;
	char		*subject, *text;
	const char	*op;
	size_t		 i;

	switch (n->type) {
	case N_NOT:
		explain(env, n->kids[0], !got);
		return;
	case N_AND:
	case N_OR:
		for (i = 0; i < n->nkids; i++) {
			a = eval(env, n->kids[i]);
			if (a.kind == V_OK && json_is_boolean(a.j) &&
			    truthy(a.j) == got)
				explain(env, n->kids[i], got);
			val_clear(&a);
		}
		return;
	case N_CMP:
		fact = n->kids[0];
		other = n->kids[1];
		op = got ? negate_op(n->op) : n->op;
		if (!is_fact_side(fact) && is_fact_side(other)) {
			fact = n->kids[1];
			other = n->kids[0];
			/* Mirror the operator: "900 >= x" is "x <= 900". */
			if (strcmp(n->op, "<") == 0) op = ">";
			else if (strcmp(n->op, "<=") == 0) op = ">=";
			else if (strcmp(n->op, ">") == 0) op = "<";
			else if (strcmp(n->op, ">=") == 0) op = "<=";
			if (got)
				op = negate_op(op);
		}
		a = eval(env, fact);
		b = eval(env, other);
		subject = node_text(env, fact);
		text = other->type == N_THRESH ? other->name : NULL;
		add_failure(env, subject, a.j, op, b.j, text);
		free(subject);
		val_clear(&a);
		val_clear(&b);
		return;
	case N_FUNC:
		if (n->func != F_ALL && n->func != F_ANY && n->func != F_NONE)
			goto plain;
		if ((n->func == F_ALL && !got) || (n->func == F_ANY && got) ||
		    (n->func == F_NONE && !got)) {
			explain_elems(env, n, n->func == F_ALL ? 0 : 1);
			return;
		}
		/* any() false, all() or none() true under "not". */
		subject = path_subject(env, n->kids[0]);
		a = eval(env, n->kids[0]);
		b = val_ok(json_integer(a.kind == V_OK && json_is_array(a.j) ?
		    (json_int_t)json_array_size(a.j) : 0));
		xasprintf(&text, "%s%s", got ? "" : "not ", n->name);
		c = val_ok(json_string(n->cond_src != NULL ? n->cond_src :
		    ""));
		add_failure(env, subject, b.j, text, c.j, NULL);
		val_clear(&c);
		val_clear(&b);
		free(text);
		free(subject);
		val_clear(&a);
		return;
	default:
	plain:
		subject = node_text(env, n);
		a = eval(env, n);
		add_failure(env, subject, a.j, "==", got ? json_false() :
		    json_true(), NULL);
		free(subject);
		val_clear(&a);
		return;
	}
}

void
expr_eval(const struct expr *e, json_t *facts, json_t *thresholds,
    struct expr_outcome *out)
{
	struct env	env;
	struct val	v;

	memset(&env, 0, sizeof env);
	memset(out, 0, sizeof *out);
	env.facts = facts;
	env.thresholds = thresholds;
	env.observed = out->observed = json_object();
	out->failures = json_array();
	v = eval(&env, e->root);
	switch (v.kind) {
	case V_NA:
		out->status = STATUS_NA;
		out->reason = v.reason;
		out->reason_ja = v.reason_ja;
		v.reason = NULL;
		v.reason_ja = NULL;
		break;
	case V_ERR:
		out->status = STATUS_ERROR;
		out->reason = v.reason;
		v.reason = NULL;
		break;
	case V_OK:
		if (!json_is_boolean(v.j)) {
			out->status = STATUS_ERROR;
			out->reason = xstrdup("condition did not give true "
			    "or false");
			break;
		}
		if (truthy(v.j)) {
			out->status = STATUS_PASS;
			break;
		}
		out->status = STATUS_FAIL;
		env.observed = NULL;
		env.failures = out->failures;
		explain(&env, e->root, 0);
		break;
	}
	val_clear(&v);
}

void
expr_outcome_clear(struct expr_outcome *out)
{
	free(out->reason);
	free(out->reason_ja);
	json_decref(out->observed);
	json_decref(out->failures);
	memset(out, 0, sizeof *out);
}

const char *
status_name(enum status s)
{
	switch (s) {
	case STATUS_PASS:
		return ("pass");
	case STATUS_FAIL:
		return ("fail");
	case STATUS_ERROR:
		return ("error");
	case STATUS_NA:
		return ("not_applicable");
	}
	return ("error");
}
