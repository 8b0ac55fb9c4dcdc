/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * When the next run is due.  Pure: the clock and the random value are
 * arguments; only localtime_r(3) is consulted, for the local time of the
 * zone in TZ.
 *
 * Rules, in order:
 *  - The first run (last_run 0) is now.  Later runs are due interval_s
 *    after the last run plus a jitter of 0..jitter_s seconds (uniform,
 *    from rnd), so a fleet started together spreads out.  An overdue run
 *    (after a suspend or a long run) is due now plus the jitter, never
 *    at or before now.  A last run in the future (the clock was stepped
 *    back) counts as now.
 *  - Quiet hours [quiet_start, quiet_end) are minutes of the local day,
 *    wrapping midnight when quiet_start > quiet_end (22:00-06:00); equal
 *    ends mean no quiet hours.  A run falling inside is moved to the
 *    end of the quiet hours, exactly quiet_end.
 *  - The nightly full run is at minute "nightly" of each local day,
 *    moved out of quiet hours like any run.  When it comes no later than
 *    the interval run it replaces it and *nightly is set.
 *
 * Daylight saving time.  Minutes of the day are wall-clock minutes.  A
 * wall time skipped by a spring-forward gap (02:30 on 2026-03-29 in
 * Berlin) happens when the gap ends (03:00 CEST).  A nightly run at a
 * wall time repeated by a fall-back overlap happens at its first
 * occurrence only.  Quiet hours are judged by the wall clock, so the
 * repeated hour may be quiet twice; a run inside is moved to the next
 * occurrence of quiet_end.
 *
 * Local times are found without mktime(3), whose choice in gaps and
 * overlaps varies: the wall clock of an instant t is t plus its UTC
 * offset, so the instants of a wall time w are the w - o, for the
 * offsets o in force around w, whose wall clock is w.  Every search is
 * over a fixed number of days or steps: nothing loops forever.
 *
 * The zone is read once by tzset(3) (glibc's localtime_r does not
 * re-read TZ): a chrooted process must call tzset() before chroot(2),
 * or it runs in UTC.
 */
#include <stdint.h>
#include <time.h>

#include "agentd.h"

#define SCHED_DAY		86400		/* seconds */
#define SCHED_MINUTES		1440		/* minutes in a day */
#define SCHED_MAX_INTERVAL	(366 * 86400)	/* seconds, clamp */
#define SCHED_TRIES		4		/* quiet-hour moves */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
sched_days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* The local wall clock of t, as seconds since 1970-01-01 00:00. */
static int64_t
sched_wall(time_t t)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return ((int64_t)t);
	return (sched_days_from_civil((int64_t)tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday) * SCHED_DAY + tm.tm_hour * 3600 +
	    tm.tm_min * 60 + tm.tm_sec);
}

/* Floor division, for days and minutes before 1970. */
static int64_t
sched_floordiv(int64_t a, int64_t b)
{
	return (a / b - (a % b != 0 && (a < 0) != (b < 0)));
}

/* The minute of the local day of t. */
static int
sched_minute(time_t t)
{
	int64_t	 w = sched_wall(t);

	return ((int)((w - sched_floordiv(w, SCHED_DAY) * SCHED_DAY) / 60));
}

/*
 * The instants whose wall clock is w, earliest first: two in a
 * fall-back overlap, else one; for a w skipped by a gap, the instant the
 * gap ends.  Returns how many (1 or 2).
 */
static int
sched_instants(int64_t w, time_t out[2])
{
	int64_t	 off[5], lo, hi, mid, t;
	int	 noff = 0, n = 0, i, j;

	/* The offsets in force within a day either side of w. */
	for (i = 0; i < 5; i++) {
		t = w + (i - 2) * (SCHED_DAY / 2);
		off[noff] = sched_wall((time_t)t) - t;
		for (j = 0; j < noff; j++) {
			if (off[j] == off[noff])
				break;
		}
		if (j == noff)
			noff++;
	}
	for (i = 0; i < noff && n < 2; i++) {
		t = w - off[i];
		if (sched_wall((time_t)t) != w)
			continue;
		if (n == 1 && out[0] == (time_t)t)
			continue;
		out[n++] = (time_t)t;
	}
	if (n == 2 && out[1] < out[0]) {
		t = out[0];
		out[0] = out[1];
		out[1] = (time_t)t;
	}
	if (n > 0)
		return (n);

	/*
	 * A gap: the wall clock jumps over w at an instant between w minus
	 * the largest offset and w minus the smallest; the first instant at
	 * or after which it reads w or later is the end of the gap.
	 */
	lo = hi = w - off[0];
	for (i = 1; i < noff; i++) {
		if (w - off[i] < lo)
			lo = w - off[i];
		if (w - off[i] > hi)
			hi = w - off[i];
	}
	if (sched_wall((time_t)hi) < w) {
		out[0] = (time_t)hi;		/* no offset fits: a guess */
		return (1);
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sched_wall((time_t)mid) >= w)
			hi = mid;
		else
			lo = mid + 1;
	}
	out[0] = (time_t)lo;
	return (1);
}

/*
 * The earliest instant after t whose wall clock is minute m of a day;
 * with first_only, only the first of a day's instants counts.
 */
static time_t
sched_next_minute(time_t t, int m, int first_only)
{
	time_t	 at[2];
	int64_t	 day;
	int	 i, n, k;

	day = sched_floordiv(sched_wall(t), SCHED_DAY);
	for (k = -1; k <= 3; k++) {
		n = sched_instants((day + k) * SCHED_DAY + m * 60, at);
		if (first_only)
			n = 1;
		for (i = 0; i < n; i++) {
			if (at[i] > t)
				return (at[i]);
		}
	}
	return (t + SCHED_DAY);		/* not reached */
}

/* Whether the quiet hours are set and sane. */
static int
sched_has_quiet(const struct sched_params *sp)
{
	return (sp->quiet_start >= 0 && sp->quiet_start < SCHED_MINUTES &&
	    sp->quiet_end >= 0 && sp->quiet_end < SCHED_MINUTES &&
	    sp->quiet_start != sp->quiet_end);
}

/* Whether t is in the quiet hours, by its local wall clock. */
int
sched_in_quiet(const struct sched_params *sp, time_t t)
{
	int	 m;

	if (!sched_has_quiet(sp))
		return (0);
	m = sched_minute(t);
	if (sp->quiet_start < sp->quiet_end)
		return (m >= sp->quiet_start && m < sp->quiet_end);
	return (m >= sp->quiet_start || m < sp->quiet_end);
}

/* t, or the end of the quiet hours t falls in. */
static time_t
sched_after_quiet(const struct sched_params *sp, time_t t)
{
	int	 i;

	for (i = 0; i < SCHED_TRIES && sched_in_quiet(sp, t); i++)
		t = sched_next_minute(t, sp->quiet_end, 0);
	return (t);
}

/* The jitter: rnd scaled to 0..jitter_s, uniform within 2^-32. */
static int64_t
sched_jitter(int64_t jitter_s, uint32_t rnd)
{
	if (jitter_s <= 0)
		return (0);
	if (jitter_s > SCHED_MAX_INTERVAL)
		jitter_s = SCHED_MAX_INTERVAL;
	return ((int64_t)(((uint64_t)rnd * (uint64_t)(jitter_s + 1)) >> 32));
}

/* The next run after now: interval and jitter, quiet hours, nightly. */
time_t
sched_next(const struct sched_params *sp, time_t now, time_t last_run,
    uint32_t rnd, int *nightly)
{
	int64_t	 interval, at;
	time_t	 next, night;

	if (nightly != NULL)
		*nightly = 0;
	if (last_run > now)
		last_run = now;

	if (last_run == 0)
		next = now;
	else {
		interval = sp->interval_s;
		if (interval < 1)
			interval = 1;
		if (interval > SCHED_MAX_INTERVAL)
			interval = SCHED_MAX_INTERVAL;
		at = (int64_t)last_run + interval;
		if (at < (int64_t)now)
			at = now;
		at += sched_jitter(sp->jitter_s, rnd);
		if (at <= (int64_t)now)
			at = (int64_t)now + 1;
		next = (time_t)at;
	}
	next = sched_after_quiet(sp, next);

	if (sp->nightly >= 0 && sp->nightly < SCHED_MINUTES) {
		night = sched_next_minute(now, sp->nightly, 1);
		night = sched_after_quiet(sp, night);
		if (night <= next) {
			next = night;
			if (nightly != NULL)
				*nightly = 1;
		}
	}
	return (next);
}
