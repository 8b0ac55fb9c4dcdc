/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Drift detection: whether a check's new verdict is worth an alert, with
 * flap damping.  Pure: no I/O, no clock, no allocation; the engine keeps
 * the history and the flap state of each check in the store.
 *
 * Semantics.  A run is a "change" when its status differs from the
 * status of the run before it (a check's first run, n == 0, is a new
 * check: always DRIFT_ALERT, never counted as a change).  The runs
 * looked at are the last "window" runs including the new one; each is
 * compared with its predecessor, which may lie just outside the window,
 * so a window of w runs holds at most w changes.
 *
 *  - Not flapping, and the new run is a change: when the changes in the
 *    window reach max_changes the check starts flapping: *flapping is
 *    set and DRIFT_ALERT_FLAPPING returned (once); otherwise
 *    DRIFT_ALERT.  Only a change can start flapping, so the run after
 *    flapping ended does not restart it by the old changes alone.
 *  - Not flapping, no change: DRIFT_NONE.
 *  - Flapping: when the last stable_runs statuses including the new one
 *    are equal (and there are that many), flapping ends: *flapping is
 *    cleared and DRIFT_ALERT returned, reporting the settled state once.
 *    Otherwise DRIFT_SUPPRESS for a change and DRIFT_NONE for a repeat.
 *
 * window < 1 or max_changes < 1 disables flap detection (every change is
 * alerted; a check already flapping still settles as above);
 * stable_runs < 1 counts as 1 (flapping ends at the first run after it
 * started).  Statuses are compared as strings ("pass", "fail", "error",
 * "not_applicable"); error and not_applicable are verdicts like others.
 *
 * Example, window 6, max_changes 3, stable_runs 3, history "pass":
 *
 *	run	2    3    4    5    6    7    8    9    10   11   12
 *	status	fail pass fail pass pass pass pass pass fail pass fail
 *	changes	1    2    3    (4)  (4)  (4)  (3)  (2)  2    2    3
 *	action	ALRT ALRT FLAP SUPP NONE ALRT NONE NONE ALRT ALRT FLAP
 *
 * Run 4 is the third change in its window (runs 1-4): flapping.  Run 5
 * is suppressed, run 6 has only two equal statuses, run 7 the third:
 * settled at "pass", alerted once although its window still holds four
 * changes.  Run 10 is a change with two in its window (runs 5-10: 5 and
 * 10), alerted, as is run 11 (10, 11); run 12 is the third (10-12):
 * flapping again.  Counts in parentheses do not decide anything.
 */
#include <stddef.h>
#include <string.h>

#include "agentd.h"

/* The status of run i, where runs 0..n-1 are history and n is new. */
static const char *
drift_status(const char *const *history, size_t n, const char *new_status,
    size_t i)
{
	if (i == n)
		return (new_status);
	return (history[i]);
}

/* Whether run i differs from run i - 1 (run 0 is never a change). */
static int
drift_is_change(const char *const *history, size_t n, const char *new_status,
    size_t i)
{
	if (i == 0)
		return (0);
	return (strcmp(drift_status(history, n, new_status, i - 1),
	    drift_status(history, n, new_status, i)) != 0);
}

/* Changes among the last window runs, the new one (run n) included. */
static size_t
drift_changes(const char *const *history, size_t n, const char *new_status,
    size_t window)
{
	size_t	 first, i, count = 0;

	first = (window > n + 1) ? 0 : n + 1 - window;
	for (i = first; i <= n; i++) {
		if (drift_is_change(history, n, new_status, i))
			count++;
	}
	return (count);
}

/* Whether the last k runs, the new one included, all have its status. */
static int
drift_stable(const char *const *history, size_t n, const char *new_status,
    size_t k)
{
	size_t	 i;

	if (k > n + 1)
		return (0);
	for (i = n + 1 - k; i < n; i++) {
		if (strcmp(history[i], new_status) != 0)
			return (0);
	}
	return (1);
}

/* What to say about a check's new status; updates *flapping. */
enum drift_action
drift_decide(const char *const *history, size_t n, const char *new_status,
    int *flapping, const struct flap_params *fp)
{
	size_t	 stable;
	int	 changed;

	if (n == 0) {
		*flapping = 0;
		return (DRIFT_ALERT);
	}
	changed = strcmp(history[n - 1], new_status) != 0;

	if (*flapping) {
		stable = fp->stable_runs < 1 ? 1 : (size_t)fp->stable_runs;
		if (drift_stable(history, n, new_status, stable)) {
			*flapping = 0;
			return (DRIFT_ALERT);
		}
		return (changed ? DRIFT_SUPPRESS : DRIFT_NONE);
	}

	if (!changed)
		return (DRIFT_NONE);
	if (fp->window >= 1 && fp->max_changes >= 1 &&
	    drift_changes(history, n, new_status, (size_t)fp->window) >=
	    (size_t)fp->max_changes) {
		*flapping = 1;
		return (DRIFT_ALERT_FLAPPING);
	}
	return (DRIFT_ALERT);
}
