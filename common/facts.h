/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers for building facts (see collectors/collector.h for the
 * conventions they follow).
 */
#ifndef FACTS_H
#define FACTS_H

#include <stdint.h>

#include <jansson.h>

/* Set "_error" on obj (printf-style). Returns obj. */
json_t	*fact_error(json_t *obj, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Set "_na" on obj. Returns obj. */
json_t	*fact_na(json_t *obj, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Set "_na_ja", the Japanese wording of "_na". Returns obj. */
json_t	*fact_na_ja(json_t *obj, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append a source (path or method) to obj's "_sources", once. */
void	 fact_source(json_t *obj, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* New object carrying only "_error": cause; frees cause. */
json_t	*fact_error_take(char *cause);

/* Shorthands that take ownership of nothing. */
void	 fact_set_str(json_t *obj, const char *key, const char *val);
void	 fact_set_int(json_t *obj, const char *key, int64_t val);
void	 fact_set_bool(json_t *obj, const char *key, int val);

#endif
