/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * ISO/IEC 27001 Annex A tables (generated from config/annex/ TSV files into
 * annex_data.c) and the 2022 -> 2013 crosswalk.
 */
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "xmalloc.h"

const struct annex_control *
annex_find_2022(const char *id)
{
	size_t	i;

	for (i = 0; i < annex_2022_count; i++)
		if (strcmp(annex_2022[i].id, id) == 0)
			return (&annex_2022[i]);
	return (NULL);
}

/* Compares dotted identifiers field by field, numerically. */
int
annex_id_cmp(const char *a, const char *b)
{
	long	x, y;
	char	*ea, *eb;

	while (*a != '\0' && *b != '\0') {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			x = strtol(a, &ea, 10);
			y = strtol(b, &eb, 10);
			if (x != y)
				return (x < y ? -1 : 1);
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return ((unsigned char)*a - (unsigned char)*b);
		a++;
		b++;
	}
	return ((unsigned char)*a - (unsigned char)*b);
}

static int
annex_json_cmp(const void *pa, const void *pb)
{
	const json_t	*a = *(const json_t *const *)pa;
	const json_t	*b = *(const json_t *const *)pb;

	return (annex_id_cmp(json_string_value(a), json_string_value(b)));
}

json_t *
annex_2013_of(const json_t *controls)
{
	const struct annex_control	*c;
	json_t				*out, *v, **sorted;
	size_t				 i, j, n;
	char				*list, *tok, *save;

	out = json_array();
	json_array_foreach(controls, i, v) {
		if ((c = annex_find_2022(json_string_value(v))) == NULL ||
		    *c->related == '\0')
			continue;
		list = xstrdup(c->related);
		for (tok = strtok_r(list, ";", &save); tok != NULL;
		    tok = strtok_r(NULL, ";", &save)) {
			n = json_array_size(out);
			for (j = 0; j < n; j++)
				if (strcmp(json_string_value(
				    json_array_get(out, j)), tok) == 0)
					break;
			if (j == n)
				json_array_append_new(out, json_string(tok));
		}
		free(list);
	}
	n = json_array_size(out);
	sorted = xcalloc(n, sizeof *sorted);
	for (i = 0; i < n; i++)
		sorted[i] = json_incref(json_array_get(out, i));
	qsort(sorted, n, sizeof *sorted, annex_json_cmp);
	json_array_clear(out);
	for (i = 0; i < n; i++)
		json_array_append_new(out, sorted[i]);
	free(sorted);
	return (out);
}
