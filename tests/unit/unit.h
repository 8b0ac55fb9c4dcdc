/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers shared by the cmocka unit tests (tests/unit/unit.c): running
 * a collector on a fixture case, reading facts by dotted path, writing
 * small trees under a temporary root.  Include after <cmocka.h>.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "collector.h"

struct yerrors;

/* The clock of every test run, as in the regress scenarios. */
#define UNIT_NOW	1795312800	/* 2026-11-22T02:00:00Z */

void	 unit_fixture_root(char *, size_t, const char *);
json_t	*unit_collect_root(const struct collector *, const char *, time_t);
json_t	*unit_collect(const struct collector *, const char *, time_t);
void	 unit_copy_fixture(const char *, const char *, const char *, char *,
	     size_t);

json_t	*unit_path(json_t *, const char *);
int	 unit_bool(json_t *, const char *);
json_int_t unit_int(json_t *, const char *);
const char *unit_string(json_t *, const char *);
json_t	*unit_named(json_t *, const char *);

extern char	*unit_tmproot;
int	 unit_setup_tmproot(void **);
int	 unit_teardown_tmproot(void **);
char	*unit_tmpdir(const char *);
void	 unit_rmtree(char *);
void	 unit_put(const char *, const char *, const char *);

int	 unit_has_error(const struct yerrors *, const char *);

#endif
