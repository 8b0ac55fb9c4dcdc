/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector store's unit-test fixture (cstoretest.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "cstoretest.h"

int
cfx_setup(void **state, const char *name)
{
	struct fx	*f = calloc(1, sizeof *f);
	char		*cause = NULL;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/c.db", f->dir);
	f->s = cstore_sqlite_open(f->path, &cause);
	assert_non_null(f->s);
	*state = f;
	return (0);
}

int
cfx_teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[128];

	if (f->s != NULL)
		f->s->ops->close(f->s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return (0);
}

long long
count(struct fx *f, const char *q)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 n = -1;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}

void
sql(struct fx *f, const char *q)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

void
enroll(struct cstore *s, const char *host_id, const char *serial,
    const char *hostname)
{
	struct cstore_enroll	 en;
	char			*cause = NULL;
	char			 hash[65];

	snprintf(hash, sizeof hash, "%064d", serial[0]);
	assert_int_equal(s->ops->token_add(s, hash, 1, T0 + 3600, T0, NULL,
	    &cause), 0);
	memset(&en, 0, sizeof en);
	en.token_hash = hash;
	en.host_id = host_id;
	en.hostname = hostname;
	en.serial = serial;
	en.not_after = T0 + 86400;
	en.now = T0;
	assert_int_equal(s->ops->enroll(s, &en, NULL, &cause), CSTORE_OK);
}
