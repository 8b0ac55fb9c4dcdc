/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers shared by the cmocka unit tests; see unit.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"
#include "yamltree.h"
#include "unit.h"

/* Writes the root of fixture case name, FIXTURES/name/root, to buf. */
void
unit_fixture_root(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s/root", FIXTURES, name) >= len)
		fail_msg("fixture path too long: %s", name);
}

/* Runs collector c on the tree under root at time now (--root mode). */
json_t *
unit_collect_root(const struct collector *c, const char *root, time_t now)
{
	struct collector_ctx	 ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = now;
	ctx.live = 0;
	return (c->collect(&ctx));
}

/* Runs collector c on fixture case name at time now. */
json_t *
unit_collect(const struct collector *c, const char *name, time_t now)
{
	char	root[1024];

	unit_fixture_root(root, sizeof root, name);
	return (unit_collect_root(c, root, now));
}

/*
 * Copies fixture case name to tmp/name (replacing an earlier copy), runs
 * the shell command cmd in the copy's root and writes that root to buf:
 * for cases that need file times or files git does not keep.
 */
void
unit_copy_fixture(const char *tmp, const char *name, const char *cmd,
    char *buf, size_t len)
{
	char	sh[2048];

	if ((size_t)snprintf(buf, len, "%s/%s/root", tmp, name) >= len)
		fail_msg("copy path too long: %s", name);
	snprintf(sh, sizeof sh, "rm -rf '%s/%s' && cp -a '%s/%s' '%s/' && "
	    "cd '%s' && %s", tmp, name, FIXTURES, name, tmp, buf, cmd);
	assert_int_equal(system(sh), 0);
}

/* The value at dotted path ("a.b.c") under o, or NULL. */
json_t *
unit_path(json_t *o, const char *path)
{
	char	 buf[256], *p, *k;

	if (strlcpy(buf, path, sizeof buf) >= sizeof buf)
		fail_msg("path too long: %s", path);
	for (p = buf; (k = strsep(&p, ".")) != NULL && o != NULL;)
		o = json_object_get(o, k);
	return (o);
}

/* Fails the test, naming path and any "_error" of o. */
static void
unit_fail_type(json_t *o, const char *path, const char *type)
{
	fail_msg("%s is not %s (error: %s)", path, type,
	    json_string_value(json_object_get(o, "_error")));
}

/* The boolean at path under o; fails the test if it is not one. */
int
unit_bool(json_t *o, const char *path)
{
	json_t	*v = unit_path(o, path);

	if (!json_is_boolean(v))
		unit_fail_type(o, path, "a boolean");
	return (json_is_true(v));
}

/* The integer at path under o; fails the test if it is not one. */
json_int_t
unit_int(json_t *o, const char *path)
{
	json_t	*v = unit_path(o, path);

	if (!json_is_integer(v))
		unit_fail_type(o, path, "an integer");
	return (json_integer_value(v));
}

/* The string at path under o; fails the test if it is not one. */
const char *
unit_string(json_t *o, const char *path)
{
	json_t	*v = unit_path(o, path);

	if (!json_is_string(v))
		unit_fail_type(o, path, "a string");
	return (json_string_value(v));
}

/* The element of array arr whose "name" is name, or NULL. */
json_t *
unit_named(json_t *arr, const char *name)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    name) == 0)
			return (v);
	}
	return (NULL);
}

/* Makes an empty directory /tmp/NAME.XXXXXX; the caller frees it. */
char *
unit_tmpdir(const char *name)
{
	char	*d;

	if (asprintf(&d, "/tmp/%s.XXXXXX", name) == -1)
		fail_msg("asprintf");
	if (mkdtemp(d) == NULL)
		fail_msg("mkdtemp %s", d);
	return (d);
}

/* The per-test temporary root of unit_setup_tmproot(). */
char	*unit_tmproot;

/* cmocka setup: a fresh unit_tmproot named after the test program. */
int
unit_setup_tmproot(void **state)
{
	unit_tmproot = unit_tmpdir(program_invocation_short_name);
	return (0);
}

/* cmocka teardown: removes unit_tmproot. */
int
unit_teardown_tmproot(void **state)
{
	unit_rmtree(unit_tmproot);
	unit_tmproot = NULL;
	return (0);
}

/* Removes the tree d made by unit_tmpdir and frees d. */
void
unit_rmtree(char *d)
{
	char	cmd[1100];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

/* Writes text to root/path, creating the directories on the way. */
void
unit_put(const char *root, const char *path, const char *text)
{
	char	 full[1200], *p;
	FILE	*fp;

	if ((size_t)snprintf(full, sizeof full, "%s%s", root, path) >=
	    sizeof full)
		fail_msg("path too long: %s", path);
	for (p = full + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	if ((fp = fopen(full, "w")) == NULL)
		fail_msg("fopen %s", full);
	fputs(text, fp);
	fclose(fp);
}

/* Whether one of the messages in e contains needle. */
int
unit_has_error(const struct yerrors *e, const char *needle)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		if (strstr(e->msgs[i], needle) != NULL)
			return (1);
	return (0);
}
