/*
 * Unit tests for agentd/drift.c: flap damping of verdict changes.
 *
 * Each case is a sequence of statuses fed run by run to drift_decide(),
 * with the expected action and flap state after each run, written as
 * strings of one letter per run:
 *   statuses: p pass, f fail, e error, n not_applicable
 *   actions:  A alert, F alert flapping, S suppress, - none
 *   flapping: 0 or 1
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agentd.h"

#define MAX_RUNS	64

struct drift_case {
	const char	*name;
	int		 window;
	int		 max_changes;
	int		 stable_runs;
	const char	*statuses;
	const char	*actions;
	const char	*flapping;
};

static const struct drift_case cases[] = {
	/* The brief's sequence: one alert, suppression, one alert when
	   settled. */
	{ "alternating", 6, 3, 3,
	  "pfpfpfpfpppp",
	  "AAAFSSSSS-A-",
	  "000111111100" },
	/* The example in the comment of drift.c. */
	{ "doc example", 6, 3, 3,
	  "pfpfpppppfpf",
	  "AAAFS-A--AAF",
	  "000111000001" },
	/* Never more than max_changes - 1 changes in a window. */
	{ "below max", 6, 3, 3,
	  "pfffffpppppfffff",
	  "AA----A----A----",
	  "0000000000000000" },
	/* A change exactly at the window's oldest run still counts... */
	{ "window edge in", 4, 2, 2,
	  "pffffp",
	  "AA---A",
	  "000000" },
	{ "window edge in 2", 4, 2, 2,
	  "pfffp",
	  "AA--F",
	  "00001" },
	/* ...one run later it does not. */
	{ "window edge out", 4, 2, 2,
	  "pffffpf",
	  "AA---AF",
	  "0000001" },
	/*
	 * stable_runs - 1 equal runs keep flapping, stable_runs end it; a
	 * change soon after, with old changes in the window, flaps again.
	 */
	{ "stable edge", 10, 2, 4,
	  "pfpppppp",
	  "AAF--A--",
	  "00111000" },
	{ "stable broken", 10, 2, 4,
	  "pfppfffffp",
	  "AAF-S--A-F",
	  "0011111001" },
	/* error and not_applicable are verdicts like the others. */
	{ "error and na", 10, 4, 2,
	  "pennpp",
	  "AAA-A-",
	  "000000" },
	{ "error flapping", 5, 3, 2,
	  "fefefeeef",
	  "AAAFSSA-F",
	  "000111001" },
	{ "three statuses", 6, 3, 2,
	  "pfepfennn",
	  "AAAFSSSA-",
	  "000111100" },
	/* History longer than the window: old changes are forgotten. */
	{ "window smaller than history", 3, 3, 2,
	  "pfpfpfpfppppppppfppfppf",
	  "AAAFSSSSSA------AA-AA-A",
	  "00011111100000000000000" },
	/* max_changes 1: the first change of a known check is flapping. */
	{ "max 1", 5, 1, 2,
	  "ppfff",
	  "A-FA-",
	  "00100" },
	/* Detection disabled. */
	{ "window 0", 0, 3, 3,
	  "pfpfpfpf",
	  "AAAAAAAA",
	  "00000000" },
	{ "max 0", 6, 0, 3,
	  "pfpfpfpf",
	  "AAAAAAAA",
	  "00000000" },
	/* stable_runs 0 counts as 1: settles at the next run (no damping). */
	{ "stable 0", 6, 2, 0,
	  "pfpfp",
	  "AAFAF",
	  "00101" },
};

/* The status a letter stands for. */
static const char *
status_of(char c)
{
	switch (c) {
	case 'p':
		return ("pass");
	case 'f':
		return ("fail");
	case 'e':
		return ("error");
	case 'n':
		return ("not_applicable");
	}
	fail_msg("bad status letter %c", c);
	return (NULL);
}

/* The letter of an action. */
static char
action_letter(enum drift_action a)
{
	switch (a) {
	case DRIFT_NONE:
		return ('-');
	case DRIFT_ALERT:
		return ('A');
	case DRIFT_ALERT_FLAPPING:
		return ('F');
	case DRIFT_SUPPRESS:
		return ('S');
	}
	return ('?');
}

/* Feeds one case run by run; returns the number of runs checked. */
static size_t
run_case(const struct drift_case *dc)
{
	const char		*history[MAX_RUNS];
	struct flap_params	 fp;
	size_t			 i, len;
	int			 flapping = 0;
	char			 got;

	fp.window = dc->window;
	fp.max_changes = dc->max_changes;
	fp.stable_runs = dc->stable_runs;
	len = strlen(dc->statuses);
	assert_true(len < MAX_RUNS);
	assert_int_equal(strlen(dc->actions), len);
	assert_int_equal(strlen(dc->flapping), len);
	for (i = 0; i < len; i++) {
		got = action_letter(drift_decide(history, i,
		    status_of(dc->statuses[i]), &flapping, &fp));
		if (got != dc->actions[i] ||
		    flapping != dc->flapping[i] - '0')
			fail_msg("%s: run %zu (%c): action %c flapping %d, "
			    "expected %c flapping %c", dc->name, i + 1,
			    dc->statuses[i], got, flapping, dc->actions[i],
			    dc->flapping[i]);
		history[i] = status_of(dc->statuses[i]);
	}
	return (len);
}

static void
test_sequences(void **state)
{
	size_t	 i, runs = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		runs += run_case(&cases[i]);
	assert_int_equal(runs, 149);	/* every case ran to its end */
}

/* Alternating for a long time: one flapping alert, one settled alert. */
static void
test_alternating_counts(void **state)
{
	const char		*history[MAX_RUNS];
	struct flap_params	 fp = { 6, 3, 3 };
	size_t			 i, count[4] = { 0, 0, 0, 0 };
	int			 flapping = 0;
	const char		*s;

	for (i = 0; i < 60; i++) {
		s = (i < 50) ? ((i % 2) ? "fail" : "pass") : "fail";
		count[drift_decide(history, i, s, &flapping, &fp)]++;
		history[i] = s;
	}
	/* New check, two changes, flapping, 46 suppressed, settled. */
	assert_int_equal(count[DRIFT_ALERT], 4);
	assert_int_equal(count[DRIFT_ALERT_FLAPPING], 1);
	assert_int_equal(count[DRIFT_SUPPRESS], 46);
	assert_int_equal(count[DRIFT_NONE], 9);
	assert_int_equal(flapping, 0);
}

/* A new check alerts whatever its status, and clears a stale state. */
static void
test_new_check(void **state)
{
	struct flap_params	 fp = { 6, 3, 3 };
	const char		*none[1] = { NULL };
	const char		*st[] = { "pass", "fail", "error",
				    "not_applicable" };
	size_t			 i;
	int			 flapping;

	for (i = 0; i < 4; i++) {
		flapping = 0;
		assert_int_equal(drift_decide(none, 0, st[i], &flapping, &fp),
		    DRIFT_ALERT);
		assert_int_equal(flapping, 0);
		flapping = 1;
		assert_int_equal(drift_decide(none, 0, st[i], &flapping, &fp),
		    DRIFT_ALERT);
		assert_int_equal(flapping, 0);
	}
}

/* The caller's state decides: a flapping check with stable history. */
static void
test_state_from_caller(void **state)
{
	struct flap_params	 fp = { 6, 3, 3 };
	const char		*h[] = { "fail", "pass", "pass" };
	const char		*h2[] = { "fail", "pass", "fail" };
	int			 flapping;

	/* Flapping, third equal run: settles. */
	flapping = 1;
	assert_int_equal(drift_decide(h, 3, "pass", &flapping, &fp),
	    DRIFT_ALERT);
	assert_int_equal(flapping, 0);
	/* Flapping, a change: suppressed. */
	flapping = 1;
	assert_int_equal(drift_decide(h, 3, "fail", &flapping, &fp),
	    DRIFT_SUPPRESS);
	assert_int_equal(flapping, 1);
	/* Not flapping, same status: nothing. */
	flapping = 0;
	assert_int_equal(drift_decide(h, 3, "pass", &flapping, &fp),
	    DRIFT_NONE);
	assert_int_equal(flapping, 0);
	/* Not flapping, two changes in the window, three needed: alert. */
	flapping = 0;
	assert_int_equal(drift_decide(h, 3, "fail", &flapping, &fp),
	    DRIFT_ALERT);
	assert_int_equal(flapping, 0);
	/* Not flapping, the third change: flapping. */
	flapping = 0;
	assert_int_equal(drift_decide(h2, 3, "pass", &flapping, &fp),
	    DRIFT_ALERT_FLAPPING);
	assert_int_equal(flapping, 1);
	/* Shorter history than stable_runs: cannot settle. */
	flapping = 1;
	assert_int_equal(drift_decide(h + 1, 1, "pass", &flapping, &fp),
	    DRIFT_NONE);
	assert_int_equal(flapping, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_alternating_counts),
		cmocka_unit_test(test_new_check),
		cmocka_unit_test(test_state_from_caller),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
