/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Debian version comparison: dpkg's tricky cases, and a cross-check of
 * the whole table against dpkg --compare-versions when dpkg is present.
 */
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "debversion.h"

struct vcase {
	const char	*a;
	const char	*b;
	int		 want;	/* -1, 0, 1 */
};

static const struct vcase cases[] = {
	{ "1.0~rc1", "1.0", -1 },
	{ "1.0~rc1", "1.0~rc2", -1 },
	{ "1.0~~", "1.0~", -1 },
	{ "1.0~~a", "1.0~~", 1 },
	{ "1.0~", "1.0", -1 },
	{ "1:0.9", "2.0", 1 },
	{ "0:2.0", "2.0", 0 },
	{ "1.0-1", "1.0-1+deb12u1", -1 },
	{ "2.30-1ubuntu1", "2.30-1", 1 },
	{ "2.30-1ubuntu1", "2.30-2", -1 },
	{ "1.0", "1.0-0", 0 },
	{ "1.0-", "1.0", 0 },
	{ "1.2.3", "1.2.3", 0 },
	{ "1.10", "1.9", 1 },
	{ "1.010", "1.10", 0 },
	{ "1.0a", "1.0", 1 },
	{ "1.0a", "1.0+", -1 },
	{ "1.0+", "1.0.", -1 },
	{ "1.0.", "1.0-", 1 },
	{ "a", "B", 1 },
	{ "1.0", "1.0a", -1 },
	{ "3.0.16-1~deb12u1", "3.0.19-1~deb12u2", -1 },
	{ "3.0.19-1~deb12u2", "3.0.19-1", -1 },
	{ "252.38-1~deb12u1", "252.36-1~deb12u1", 1 },
	{ "1:2.39.5-0+deb12u2", "1:2.39.5-0+deb12u3", -1 },
	{ "2:1.8.4-2+deb12u2", "1:9.9", 1 },
	{ "6.1.0-41", "6.1.0-9", 1 },
	{ "6.1.153-1", "6.1.158-1", -1 },
	{ "1.2-3-4", "1.2-3-5", -1 },
	{ "1.2-3-4", "1.2-3", 1 },
	{ "10:1", "9:99", 1 },
	{ "2.0.0+dfsg-1", "2.0.0-1", 1 },
	{ "0.0~git20230123.b2528b0-1", "0.0-1", -1 },
	{ "20230311+deb12u1", "20230311", 1 },
	{ "1.0 ", " 1.0", 0 },
};

/* Our result for a case, normalised to -1/0/1. */
static int
sign(int r)
{
	return (r < 0 ? -1 : r > 0);
}

static void
test_table(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (sign(debversion_cmp(cases[i].a, cases[i].b)) !=
		    cases[i].want)
			fail_msg("%s vs %s: got %d want %d", cases[i].a,
			    cases[i].b, debversion_cmp(cases[i].a, cases[i].b),
			    cases[i].want);
		/* Antisymmetry. */
		assert_int_equal(sign(debversion_cmp(cases[i].b, cases[i].a)),
		    -cases[i].want);
	}
}

static void
test_ncmp_lengths(void **state)
{
	(void)state;
	/* Only the given lengths count, not what follows. */
	assert_int_equal(debversion_ncmp("1.0XYZ", 3, "1.0", 3), 0);
	assert_true(debversion_ncmp("1.0~rc1 junk", 7, "1.0", 3) < 0);
	assert_int_equal(debversion_ncmp("", 0, "0", 1), 0);
}

/* Runs dpkg --compare-versions a op b; returns 1 true, 0 false, -1 no dpkg. */
static int
dpkg_says(const char *a, const char *op, const char *b)
{
	pid_t	pid;
	int	status;

	pid = fork();
	if (pid == -1)
		return (-1);
	if (pid == 0) {
		execlp("dpkg", "dpkg", "--compare-versions", a, op, b,
		    (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return (-1);
	if (WEXITSTATUS(status) == 127)
		return (-1);
	return (WEXITSTATUS(status) == 0);
}

static void
test_against_dpkg(void **state)
{
	size_t		i;
	int		r, lt, eq;
	const char	*a, *b;

	(void)state;
	if (dpkg_says("1", "lt", "2") != 1)
		skip();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		a = cases[i].a;
		b = cases[i].b;
		if (strchr(a, ' ') != NULL || strchr(b, ' ') != NULL)
			continue;	/* dpkg warns about blanks */
		/* dpkg rejects these as bad syntax; we still order them. */
		if (strcmp(a, "a") == 0 || strcmp(a, "1.0-") == 0)
			continue;
		r = sign(debversion_cmp(a, b));
		lt = dpkg_says(a, "lt", b);
		eq = dpkg_says(a, "eq", b);
		if ((r == -1) != lt || (r == 0) != eq)
			fail_msg("%s vs %s: ours %d, dpkg lt=%d eq=%d", a, b,
			    r, lt, eq);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ncmp_lengths),
		cmocka_unit_test(test_against_dpkg),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
