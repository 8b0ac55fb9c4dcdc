/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The fixture of the unit tests on the collector's SQLite store
 * (test_cstore, test_stale): a store in a fresh directory, enrolled
 * hosts, and SQL through a second connection.  Include after cmocka.h.
 */
#ifndef CSTORETEST_H
#define CSTORETEST_H

#include "cstore.h"

#define HOST_A	"0123456789abcdef0123456789abcdef"
#define HOST_B	"fedcba9876543210fedcba9876543210"
#define T0	1795000000

struct fx {
	char		 dir[64];
	char		 path[128];
	struct cstore	*s;
};

/* A new store in /tmp/NAME.XXXXXX as *state (a struct fx). */
int		 cfx_setup(void **state, const char *name);
int		 cfx_teardown(void **state);
/* One SQL query's single integer answer, through a second connection. */
long long	 count(struct fx *, const char *sql);
/* SQL run through a second connection. */
void		 sql(struct fx *, const char *);
/* Enrolls host_id (hostname may be NULL) with a fresh one-use token. */
void		 enroll(struct cstore *, const char *host_id,
		    const char *serial, const char *hostname);

#endif
