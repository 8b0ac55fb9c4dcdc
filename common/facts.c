/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Fact-building helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "xmalloc.h"

static void
fact_vset(json_t *obj, const char *key, const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	json_object_set_new(obj, key, json_string(s));
	free(s);
}

json_t *
fact_error(json_t *obj, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fact_vset(obj, "_error", fmt, ap);
	va_end(ap);
	return (obj);
}

json_t *
fact_na(json_t *obj, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fact_vset(obj, "_na", fmt, ap);
	va_end(ap);
	return (obj);
}

json_t *
fact_na_ja(json_t *obj, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fact_vset(obj, "_na_ja", fmt, ap);
	va_end(ap);
	return (obj);
}

json_t *
fact_error_take(char *cause)
{
	json_t	*obj = json_object();

	json_object_set_new(obj, "_error",
	    json_string(cause != NULL ? cause : "unknown error"));
	free(cause);
	return (obj);
}

void
fact_source(json_t *obj, const char *fmt, ...)
{
	va_list	 ap;
	json_t	*arr, *v;
	size_t	 i;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	if ((arr = json_object_get(obj, "_sources")) == NULL) {
		arr = json_array();
		json_object_set_new(obj, "_sources", arr);
	}
	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(v), s) == 0) {
			free(s);
			return;
		}
	}
	json_array_append_new(arr, json_string(s));
	free(s);
}

void
fact_set_str(json_t *obj, const char *key, const char *val)
{
	json_object_set_new(obj, key, val != NULL ? json_string(val) :
	    json_null());
}

void
fact_set_int(json_t *obj, const char *key, int64_t val)
{
	json_object_set_new(obj, key, json_integer(val));
}

void
fact_set_bool(json_t *obj, const char *key, int val)
{
	json_object_set_new(obj, key, json_boolean(val));
}
