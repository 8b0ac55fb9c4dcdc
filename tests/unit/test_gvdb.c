/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for collectors/gvdb.c on databases built by the real
 * `dconf compile` (tests/fixtures/screenlock-gen.sh), and on every
 * truncation and single-byte corruption of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gvdb.h"
#include "util.h"

#define LOCAL_DB	"/screenlock-gnome-locked/root/etc/dconf/db/local"
#define TYPES_DB	"/screenlock-gvdb/types.gvdb"

static char *
load(const char *rel, size_t *len)
{
	char	*buf, *cause = NULL;

	if (root_read_file(FIXTURES, rel, &buf, len, &cause) != 0)
		fail_msg("%s", cause);
	return (buf);
}

/* Values and the .locks table of a compiled system database. */
static void
test_system_db(void **state)
{
	struct gvdb_table	 t, locks;
	struct gvdb_value	 v;
	char			*buf, *cause = NULL, **keys;
	size_t			 len;

	buf = load(LOCAL_DB, &len);
	assert_int_equal(gvdb_open(buf, len, &t, &cause), 0);
	assert_int_equal(gvdb_get_value(&t,
	    "/org/gnome/desktop/session/idle-delay", &v, &cause), 1);
	assert_string_equal(v.type, "u");
	assert_int_equal(v.num, 600);
	assert_int_equal(gvdb_get_value(&t,
	    "/org/gnome/desktop/screensaver/lock-enabled", &v, &cause), 1);
	assert_string_equal(v.type, "b");
	assert_int_equal(v.num, 1);
	/* A prefix, a suffix and a directory are not the key. */
	assert_int_equal(gvdb_get_value(&t,
	    "/org/gnome/desktop/session/idle-dela", &v, &cause), 0);
	assert_int_equal(gvdb_get_value(&t,
	    "org/gnome/desktop/session/idle-delay", &v, &cause), 0);
	assert_int_equal(gvdb_get_value(&t, "/org/gnome/desktop/session/",
	    &v, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(gvdb_get_value(&t, "/nope", &v, &cause), 0);

	assert_int_equal(gvdb_get_table(&t, ".locks", &locks, &cause), 1);
	assert_int_equal(gvdb_has(&locks,
	    "/org/gnome/desktop/session/idle-delay", &cause), 1);
	assert_int_equal(gvdb_has(&locks,
	    "/org/gnome/desktop/session/idle", &cause), 0);
	keys = gvdb_list(&locks, &cause);
	assert_non_null(keys);
	assert_string_equal(keys[0],
	    "/org/gnome/desktop/screensaver/lock-delay");
	assert_string_equal(keys[1],
	    "/org/gnome/desktop/screensaver/lock-enabled");
	assert_string_equal(keys[2], "/org/gnome/desktop/session/idle-delay");
	assert_null(keys[3]);
	strv_free(keys);

	/* The full key list of the values table, directories excluded. */
	keys = gvdb_list(&t, &cause);
	assert_non_null(keys);
	assert_string_equal(keys[0],
	    "/org/gnome/desktop/screensaver/lock-delay");
	assert_null(keys[3]);
	strv_free(keys);
	free(buf);
}

/* Every basic type decodes; containers and doubles are refused. */
static void
test_types(void **state)
{
	struct gvdb_table	 t;
	struct gvdb_value	 v;
	char			*buf, *cause = NULL, *s;
	size_t			 len;

	buf = load(TYPES_DB, &len);
	assert_int_equal(gvdb_open(buf, len, &t, &cause), 0);

	assert_int_equal(gvdb_get_value(&t, "/a/b/bool", &v, &cause), 1);
	assert_string_equal(v.type, "b");
	assert_int_equal(v.num, 0);
	assert_int_equal(gvdb_get_value(&t, "/a/b/u32", &v, &cause), 1);
	assert_string_equal(v.type, "u");
	assert_true(v.num == 4294967295LL);
	s = gvdb_value_format(&v);
	assert_string_equal(s, "uint32 4294967295");
	free(s);
	assert_int_equal(gvdb_get_value(&t, "/a/b/i32", &v, &cause), 1);
	assert_string_equal(v.type, "i");
	assert_int_equal(v.num, -5);
	assert_int_equal(gvdb_get_value(&t, "/a/b/i64", &v, &cause), 1);
	assert_string_equal(v.type, "x");
	assert_true(v.num == -9000000000LL);
	assert_int_equal(gvdb_get_value(&t, "/a/b/u16", &v, &cause), 1);
	assert_int_equal(v.num, 65535);
	assert_int_equal(gvdb_get_value(&t, "/a/b/byte", &v, &cause), 1);
	assert_string_equal(v.type, "y");
	assert_int_equal(v.num, 7);
	assert_int_equal(gvdb_get_value(&t, "/a/b/str", &v, &cause), 1);
	assert_string_equal(v.type, "s");
	assert_string_equal(v.str, "hello world");
	s = gvdb_value_format(&v);
	assert_string_equal(s, "'hello world'");
	free(s);
	gvdb_value_clear(&v);

	assert_int_equal(gvdb_get_value(&t, "/a/b/list", &v, &cause), -1);
	assert_non_null(strstr(cause, "unsupported GVariant type 'as'"));
	free(cause);
	cause = NULL;
	assert_int_equal(gvdb_get_value(&t, "/a/b/dbl", &v, &cause), -1);
	assert_non_null(strstr(cause, "'d'"));
	free(cause);
	free(buf);
}

/* A "raVGtnai" file: same structure, values byte-swapped. */
static void
test_swapped(void **state)
{
	struct gvdb_table	 t;
	struct gvdb_value	 v;
	char			*buf, *cause = NULL;
	size_t			 len;

	buf = load(TYPES_DB, &len);
	memcpy(buf, "raVGtnai", 8);
	assert_int_equal(gvdb_open(buf, len, &t, &cause), 0);
	assert_int_equal(gvdb_get_value(&t, "/a/b/i32", &v, &cause), 1);
	assert_int_equal(v.num, (int32_t)0xfbffffffU);	/* -5 swapped */
	assert_int_equal(gvdb_get_value(&t, "/a/b/byte", &v, &cause), 1);
	assert_int_equal(v.num, 7);
	assert_int_equal(gvdb_get_value(&t, "/a/b/str", &v, &cause), 1);
	assert_string_equal(v.str, "hello world");
	gvdb_value_clear(&v);
	free(buf);
}

/* Not GVDB at all, or another version. */
static void
test_bad_header(void **state)
{
	struct gvdb_table	 t;
	char			 buf[64], *cause = NULL;

	memset(buf, 0, sizeof buf);
	assert_int_equal(gvdb_open(buf, 10, &t, &cause), -1);
	assert_non_null(strstr(cause, "not a GVDB file"));
	free(cause);
	cause = NULL;
	memcpy(buf, "GVariamt", 8);
	assert_int_equal(gvdb_open(buf, sizeof buf, &t, &cause), -1);
	assert_non_null(strstr(cause, "bad signature"));
	free(cause);
	cause = NULL;
	memcpy(buf, "GVariant\x01", 9);
	assert_int_equal(gvdb_open(buf, sizeof buf, &t, &cause), -1);
	assert_non_null(strstr(cause, "version"));
	free(cause);
	cause = NULL;
	/* Root pointer beyond the end of the file. */
	memcpy(buf, "GVariant\0\0\0\0\0\0\0\0\x18\0\0\0\xff\0\0\0", 24);
	assert_int_equal(gvdb_open(buf, sizeof buf, &t, &cause), -1);
	assert_non_null(strstr(cause, "out of bounds"));
	free(cause);
}

/*
 * Reads everything the collector reads; nothing may crash (run with
 * --enable-asan to catch overreads).  strict: a value found must be the
 * true one (600).
 */
static void
probe(const char *buf, size_t len, int strict)
{
	struct gvdb_table	 t, locks;
	struct gvdb_value	 v;
	char			*cause = NULL, **keys;

	if (gvdb_open(buf, len, &t, &cause) != 0) {
		assert_non_null(cause);
		free(cause);
		return;
	}
	if (gvdb_get_value(&t, "/org/gnome/desktop/session/idle-delay", &v,
	    &cause) == 1) {
		/* GVDB has no checksum: a flipped value byte is undetectable. */
		if (strict) {
			assert_string_equal(v.type, "u");
			assert_int_equal(v.num, 600);
		}
		gvdb_value_clear(&v);
	} else {
		free(cause);
		cause = NULL;
	}
	if (gvdb_get_table(&t, ".locks", &locks, &cause) == 1) {
		gvdb_has(&locks, "/org/gnome/desktop/session/idle-delay",
		    &cause);
		if ((keys = gvdb_list(&locks, &cause)) != NULL)
			strv_free(keys);
	}
	free(cause);
	cause = NULL;
	if ((keys = gvdb_list(&t, &cause)) != NULL)
		strv_free(keys);
	free(cause);
}

/* Every truncation of a real database is an error or a subset. */
static void
test_truncated(void **state)
{
	struct gvdb_table	 t;
	struct gvdb_value	 v;
	char			*buf, *copy, *cause = NULL;
	size_t			 len, n;
	int			 found_ok = 0;

	buf = load(LOCAL_DB, &len);
	for (n = 0; n < len; n++) {
		/* A fresh allocation of exactly n bytes: ASan sees overreads. */
		copy = malloc(n > 0 ? n : 1);
		memcpy(copy, buf, n);
		probe(copy, n, 1);
		free(copy);
	}
	/* The first 100 bytes (the corrupt-gvdb fixture) cannot open. */
	assert_int_equal(gvdb_open(buf, 100, &t, &cause), -1);
	free(cause);
	cause = NULL;
	/* Cut just before the end: the header opens, values are gone. */
	if (gvdb_open(buf, len - 1, &t, &cause) == 0) {
		if (gvdb_get_value(&t, "/org/gnome/desktop/session/idle-delay",
		    &v, &cause) == 1) {
			found_ok = v.num == 600;
			assert_true(found_ok);
		}
	}
	free(cause);
	free(buf);
}

/* Every single-byte corruption is survived. */
static void
test_corrupt_bytes(void **state)
{
	char	*buf, *copy;
	size_t	 len, i;
	int	 x;

	buf = load(LOCAL_DB, &len);
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		for (x = 0; x < 3; x++) {
			memcpy(copy, buf, len);
			copy[i] = x == 0 ? (char)0xff : x == 1 ? 0 :
			    (char)(buf[i] ^ 0x01);
			probe(copy, len, 0);
		}
	}
	free(copy);
	free(buf);
}

/* A parent chain that loops must terminate. */
static void
test_parent_loop(void **state)
{
	struct gvdb_table	 t;
	struct gvdb_value	 v;
	char			*buf, *cause = NULL, **keys;
	size_t			 len, i, off;

	buf = load(LOCAL_DB, &len);
	assert_int_equal(gvdb_open(buf, len, &t, &cause), 0);
	/* Point every item's parent at itself. */
	for (i = 0; i < t.nitems; i++) {
		off = t.items + i * 24 + 4;
		buf[off] = (char)i;
		buf[off + 1] = buf[off + 2] = buf[off + 3] = 0;
	}
	assert_int_equal(gvdb_get_value(&t,
	    "/org/gnome/desktop/session/idle-delay", &v, &cause), 0);
	keys = gvdb_list(&t, &cause);
	assert_null(keys);
	assert_non_null(strstr(cause, "malformed key"));
	free(cause);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_db),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_swapped),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt_bytes),
		cmocka_unit_test(test_parent_loop),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
