/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * libyaml event stream to a node tree.  Anchors and aliases are not
 * supported (configuration does not need them, and refusing them rules
 * out "billion laughs" expansion); only the first document is read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util.h"
#include "xmalloc.h"
#include "yamltree.h"

#define YTREE_MAX_DEPTH 64	/* nesting levels */

static void
yerr_vadd(struct yerrors *e, const char *file, int line, int col,
    const char *fmt, va_list ap)
{
	char	*msg, *full;

	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	if (line > 0)
		xasprintf(&full, "%s:%d:%d: %s", file, line, col, msg);
	else
		xasprintf(&full, "%s: %s", file, msg);
	free(msg);
	e->msgs = xreallocarray(e->msgs, e->n + 1, sizeof *e->msgs);
	e->msgs[e->n++] = full;
}

void
yerr(struct yerrors *e, const struct ynode *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	yerr_vadd(e, n->file, n->line, n->column, fmt, ap);
	va_end(ap);
}

void
yerr_at(struct yerrors *e, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	yerr_vadd(e, file, line, col, fmt, ap);
	va_end(ap);
}

void
yerrors_print(const struct yerrors *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		fprintf(stderr, "%s\n", e->msgs[i]);
}

void
yerrors_clear(struct yerrors *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = 0;
}

static struct ynode *
ynode_new(enum ynode_type type, const char *file, const yaml_mark_t *m)
{
	struct ynode	*n = xcalloc(1, sizeof *n);

	n->type = type;
	n->file = file;
	n->line = m->line + 1;
	n->column = m->column + 1;
	return (n);
}

static void
ynode_free(struct ynode *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nitems; i++)
		ynode_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static void
ynode_add(struct ynode *parent, struct ynode *child)
{
	parent->items = xreallocarray(parent->items, parent->nitems + 1,
	    sizeof *parent->items);
	parent->items[parent->nitems++] = child;
}

/* Parses one node whose first event is ev; NULL on error (recorded). */
static struct ynode *
ytree_node(yaml_parser_t *p, yaml_event_t *ev, const char *file, int depth,
    struct yerrors *e)
{
	struct ynode	*n = NULL, *child;
	yaml_event_t	 next;
	size_t		 i;

	if (depth > YTREE_MAX_DEPTH) {
		yerr_at(e, file, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, "nesting too deep");
		return (NULL);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ynode_new(YNODE_SCALAR, file, &ev->start_mark);
		n->value = xstrndup((char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		n->quoted = ev->data.scalar.style !=
		    YAML_PLAIN_SCALAR_STYLE;
		return (n);
	case YAML_ALIAS_EVENT:
		yerr_at(e, file, ev->start_mark.line + 1,
		    ev->start_mark.column + 1,
		    "YAML aliases are not supported");
		return (NULL);
	case YAML_SEQUENCE_START_EVENT:
		n = ynode_new(YNODE_SEQ, file, &ev->start_mark);
		break;
	case YAML_MAPPING_START_EVENT:
		n = ynode_new(YNODE_MAP, file, &ev->start_mark);
		break;
	default:
		yerr_at(e, file, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, "unexpected YAML event");
		return (NULL);
	}
	for (;;) {
		if (!yaml_parser_parse(p, &next))
			goto fail;
		if (next.type == YAML_SEQUENCE_END_EVENT ||
		    next.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&next);
			break;
		}
		child = ytree_node(p, &next, file, depth + 1, e);
		yaml_event_delete(&next);
		if (child == NULL)
			goto fail;
		if (n->type == YNODE_MAP && n->nitems % 2 == 0) {
			if (child->type != YNODE_SCALAR) {
				yerr(e, child, "mapping key must be a scalar");
				ynode_free(child);
				goto fail;
			}
			for (i = 0; i < n->nitems; i += 2) {
				if (strcmp(n->items[i]->value,
				    child->value) == 0) {
					yerr(e, child, "duplicate key \"%s\" "
					    "(first at line %d)", child->value,
					    n->items[i]->line);
					break;
				}
			}
		}
		ynode_add(n, child);
	}
	return (n);
fail:
	ynode_free(n);
	return (NULL);
}

struct ytree *
ytree_parse(const char *file, const char *buf, size_t len, struct yerrors *e)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	struct ytree	*t;
	size_t		 before = e->n;
	int		 done = 0;

	t = xcalloc(1, sizeof *t);
	t->file = xstrdup(file);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			break;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = 1;
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		default:
			t->root = ytree_node(&p, &ev, t->file, 0, e);
			done = 1;
			break;
		}
		yaml_event_delete(&ev);
		if (!done && e->n != before)
			break;
	}
	if (p.error != YAML_NO_ERROR) {
		yerr_at(e, t->file, (int)p.problem_mark.line + 1,
		    (int)p.problem_mark.column + 1, "%s%s%s",
		    p.problem != NULL ? p.problem : "YAML syntax error",
		    p.context != NULL ? " " : "",
		    p.context != NULL ? p.context : "");
	}
	yaml_parser_delete(&p);
	if (e->n != before) {
		ytree_free(t);
		return (NULL);
	}
	return (t);
}

struct ytree *
ytree_load(const char *file, struct yerrors *e)
{
	struct ytree	*t;
	char		*buf, *cause;
	size_t		 len;

	if (root_read_file("", file, &buf, &len, &cause) == -1) {
		yerr_at(e, file, 0, 0, "%s", cause);
		free(cause);
		return (NULL);
	}
	t = ytree_parse(file, buf, len, e);
	free(buf);
	return (t);
}

void
ytree_free(struct ytree *t)
{
	if (t == NULL)
		return;
	ynode_free(t->root);
	free(t->file);
	free(t);
}

struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->type != YNODE_MAP)
		return (NULL);
	for (i = 0; i + 1 < map->nitems; i += 2)
		if (strcmp(map->items[i]->value, key) == 0)
			return (map->items[i + 1]);
	return (NULL);
}

const char *
ynode_type_name(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR:
		return ("a scalar");
	case YNODE_SEQ:
		return ("a list");
	case YNODE_MAP:
		return ("a mapping");
	}
	return ("?");
}

void
ynode_where(const struct ynode *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%d", n->file, n->line);
}

int
ynode_string(const struct ynode *n, const char **out, struct yerrors *e)
{
	if (n->type != YNODE_SCALAR) {
		yerr(e, n, "expected a string, found %s",
		    ynode_type_name(n->type));
		return (-1);
	}
	*out = n->value;
	return (0);
}

int
ynode_int(const struct ynode *n, int64_t *out, struct yerrors *e)
{
	char		*end;
	long long	 v;

	if (n->type != YNODE_SCALAR) {
		yerr(e, n, "expected an integer, found %s",
		    ynode_type_name(n->type));
		return (-1);
	}
	errno = 0;
	v = strtoll(n->value, &end, 10);
	if (n->value[0] == '\0' || *end != '\0' || errno != 0) {
		yerr(e, n, "expected an integer, found \"%s\"", n->value);
		return (-1);
	}
	*out = v;
	return (0);
}

int
ynode_bool(const struct ynode *n, int *out, struct yerrors *e)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	size_t	i;

	if (n->type == YNODE_SCALAR) {
		for (i = 0; yes[i] != NULL; i++)
			if (strcasecmp(n->value, yes[i]) == 0) {
				*out = 1;
				return (0);
			}
		for (i = 0; no[i] != NULL; i++)
			if (strcasecmp(n->value, no[i]) == 0) {
				*out = 0;
				return (0);
			}
	}
	yerr(e, n, "expected true or false, found %s",
	    n->type == YNODE_SCALAR ? n->value : ynode_type_name(n->type));
	return (-1);
}

int
ynode_duration(const struct ynode *n, int64_t *out, struct yerrors *e)
{
	char	*cause;

	if (n->type != YNODE_SCALAR) {
		yerr(e, n, "expected a duration, found %s",
		    ynode_type_name(n->type));
		return (-1);
	}
	if (duration_parse(n->value, out, &cause) == -1) {
		yerr(e, n, "%s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

void
ynode_check_keys(const struct ynode *map, const char *const *allowed,
    struct yerrors *e)
{
	size_t	i, j;

	if (map == NULL || map->type != YNODE_MAP)
		return;
	for (i = 0; i + 1 < map->nitems; i += 2) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(map->items[i]->value, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			yerr(e, map->items[i], "unknown key \"%s\"",
			    map->items[i]->value);
	}
}
