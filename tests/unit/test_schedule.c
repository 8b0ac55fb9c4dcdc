/*
 * Unit tests for agentd/schedule.c: intervals with jitter, quiet hours,
 * the nightly run, and local days with DST transitions (Europe/Berlin
 * on 2026-03-29 and 2026-10-25) or none (Asia/Tokyo).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "agentd.h"

#define HOUR	3600
#define MIN	60

/*
 * Sets the zone of localtime_r(); skips the test when the zone is not
 * installed (no tzdata: glibc silently uses UTC).
 */
static void
set_tz(const char *tz)
{
	struct tm	 tm;
	time_t		 summer = 1782907200;	/* 2026-07-01T12:00:00Z */
	int		 hour = 12;

	if (strcmp(tz, "Europe/Berlin") == 0)
		hour = 14;
	else if (strcmp(tz, "Asia/Tokyo") == 0)
		hour = 21;
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
	assert_non_null(localtime_r(&summer, &tm));
	if (tm.tm_hour != hour) {
		print_message("zone %s not installed\n", tz);
		skip();
	}
}

/* An instant given in UTC. */
static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (timegm(&tm));
}

/* Parameters with no quiet hours and no nightly run. */
static struct sched_params
params(int64_t interval, int64_t jitter)
{
	struct sched_params	 sp;

	sp.interval_s = interval;
	sp.jitter_s = jitter;
	sp.quiet_start = -1;
	sp.quiet_end = 0;
	sp.nightly = -1;
	return (sp);
}

/* A small deterministic generator (xorshift32). */
static uint32_t
next_rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (*x);
}

/* The first run is now, unless now is in quiet hours. */
static void
test_first_run(void **state)
{
	struct sched_params	 sp = params(HOUR, 600);
	time_t			 now;
	int			 nightly = -1;

	set_tz("Asia/Tokyo");
	now = utc(2026, 11, 22, 2, 0, 0);		/* 11:00 JST */
	assert_int_equal(sched_next(&sp, now, 0, 12345, &nightly), now);
	assert_int_equal(nightly, 0);

	sp.quiet_start = 22 * 60;
	sp.quiet_end = 6 * 60;
	assert_int_equal(sched_next(&sp, now, 0, 12345, &nightly), now);
	/* 23:30 JST: at 06:00 JST the next morning. */
	now = utc(2026, 11, 22, 14, 30, 0);
	assert_int_equal(sched_next(&sp, now, 0, 12345, &nightly),
	    utc(2026, 11, 22, 21, 0, 0));
	assert_int_equal(nightly, 0);
	/* 05:59:59 JST: one second later. */
	now = utc(2026, 11, 22, 20, 59, 59);
	assert_int_equal(sched_next(&sp, now, 0, 0, &nightly), now + 1);
	/* 06:00 JST exactly: not quiet. */
	now = utc(2026, 11, 22, 21, 0, 0);
	assert_int_equal(sched_next(&sp, now, 0, 0, &nightly), now);
	/* A NULL nightly pointer is allowed. */
	assert_int_equal(sched_next(&sp, now, 0, 0, NULL), now);
}

/* interval + 0..jitter, uniform over rnd, never outside the bounds. */
static void
test_interval_jitter(void **state)
{
	struct sched_params	 sp = params(HOUR, 600);
	time_t			 now, last, t;
	uint32_t		 x = 2463534242U, r;
	size_t			 i, bucket[10];
	int			 nightly;

	set_tz("UTC");
	last = utc(2026, 11, 22, 2, 0, 0);
	now = last + 5;
	assert_int_equal(sched_next(&sp, now, last, 0, &nightly), last + HOUR);
	assert_int_equal(sched_next(&sp, now, last, UINT32_MAX, &nightly),
	    last + HOUR + 600);
	assert_int_equal(sched_next(&sp, now, last, 1U << 31, &nightly),
	    last + HOUR + 300);

	memset(bucket, 0, sizeof bucket);
	for (i = 0; i < 200000; i++) {
		r = next_rnd(&x);
		t = sched_next(&sp, now, last, r, &nightly);
		if (t < last + HOUR || t > last + HOUR + 600)
			fail_msg("rnd %u: %lld outside the jitter", r,
			    (long long)(t - last));
		assert_int_equal(nightly, 0);
		bucket[(t - last - HOUR) * 10 / 601]++;
	}
	/* 20000 expected per bucket; allow 5%. */
	for (i = 0; i < 10; i++) {
		if (bucket[i] < 19000 || bucket[i] > 21000)
			fail_msg("bucket %zu: %zu", i, bucket[i]);
	}

	/* No jitter: exactly the interval, whatever rnd. */
	sp = params(900, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(sched_next(&sp, now, last, next_rnd(&x),
		    &nightly), last + 900);
	sp.jitter_s = -5;
	assert_int_equal(sched_next(&sp, now, last, UINT32_MAX, &nightly),
	    last + 900);
	/* A jitter of one second: 0 or 1. */
	sp.jitter_s = 1;
	assert_int_equal(sched_next(&sp, now, last, 0x7fffffff, &nightly),
	    last + 900);
	assert_int_equal(sched_next(&sp, now, last, 0x80000000, &nightly),
	    last + 901);
}

/* Overdue runs, a clock stepped back, nonsense intervals. */
static void
test_overdue(void **state)
{
	struct sched_params	 sp = params(HOUR, 600);
	time_t			 now, last, t;
	int			 nightly;

	set_tz("UTC");
	now = utc(2026, 11, 22, 12, 0, 0);
	last = now - 3 * HOUR;
	/* Overdue: now plus the jitter, but never now itself. */
	assert_int_equal(sched_next(&sp, now, last, 0, &nightly), now + 1);
	assert_int_equal(sched_next(&sp, now, last, UINT32_MAX, &nightly),
	    now + 600);
	sp.jitter_s = 0;
	assert_int_equal(sched_next(&sp, now, last, 99, &nightly), now + 1);
	/* Due exactly now: after now. */
	assert_int_equal(sched_next(&sp, now, now - HOUR, 0, &nightly),
	    now + 1);
	/* The last run in the future: counts as now. */
	assert_int_equal(sched_next(&sp, now, now + 10 * 86400, 0, &nightly),
	    now + HOUR);
	/* Interval 0 or negative: one second. */
	sp.interval_s = 0;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly), now + 1);
	sp.interval_s = -HOUR;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly), now + 1);
	/* A huge interval and jitter are clamped, not overflowed. */
	sp.interval_s = INT64_MAX;
	sp.jitter_s = INT64_MAX;
	t = sched_next(&sp, now, now, UINT32_MAX, &nightly);
	assert_true(t > now);
	assert_true(t <= now + 2 * 366 * 86400);
}

/* Quiet hours, plain and wrapping midnight. */
static void
test_quiet_hours(void **state)
{
	struct sched_params	 sp = params(HOUR, 0);
	time_t			 day, last;
	int			 nightly;

	set_tz("Asia/Tokyo");
	day = utc(2026, 11, 21, 15, 0, 0);		/* 2026-11-22 00:00 JST */

	/* None. */
	assert_false(sched_in_quiet(&sp, day));
	/* 22:00-06:00, wrapping. */
	sp.quiet_start = 22 * 60;
	sp.quiet_end = 6 * 60;
	assert_true(sched_in_quiet(&sp, day));
	assert_true(sched_in_quiet(&sp, day + 5 * HOUR + 59 * MIN + 59));
	assert_false(sched_in_quiet(&sp, day + 6 * HOUR));
	assert_false(sched_in_quiet(&sp, day + 12 * HOUR));
	assert_false(sched_in_quiet(&sp, day + 21 * HOUR + 59 * MIN + 59));
	assert_true(sched_in_quiet(&sp, day + 22 * HOUR));
	assert_true(sched_in_quiet(&sp, day - 1));
	/* 09:00-17:00, not wrapping. */
	sp.quiet_start = 9 * 60;
	sp.quiet_end = 17 * 60;
	assert_false(sched_in_quiet(&sp, day + 8 * HOUR + 59 * MIN));
	assert_true(sched_in_quiet(&sp, day + 9 * HOUR));
	assert_true(sched_in_quiet(&sp, day + 16 * HOUR + 59 * MIN + 59));
	assert_false(sched_in_quiet(&sp, day + 17 * HOUR));
	assert_false(sched_in_quiet(&sp, day));
	/* Equal ends, or out of range: none. */
	sp.quiet_start = sp.quiet_end = 9 * 60;
	assert_false(sched_in_quiet(&sp, day + 9 * HOUR));
	sp.quiet_start = 9 * 60;
	sp.quiet_end = 24 * 60;
	assert_false(sched_in_quiet(&sp, day + 10 * HOUR));
	sp.quiet_start = 1440;
	sp.quiet_end = 60;
	assert_false(sched_in_quiet(&sp, day));
	/* 23:59-00:01. */
	sp.quiet_start = 23 * 60 + 59;
	sp.quiet_end = 1;
	assert_true(sched_in_quiet(&sp, day - 30));
	assert_true(sched_in_quiet(&sp, day + 30));
	assert_false(sched_in_quiet(&sp, day + 60));

	/* A run due at 23:00 moves to 06:00 the next day... */
	sp.quiet_start = 22 * 60;
	sp.quiet_end = 6 * 60;
	last = day + 22 * HOUR;
	assert_int_equal(sched_next(&sp, last + 1, last, 0, &nightly),
	    day + 30 * HOUR);
	assert_int_equal(nightly, 0);
	/* ...one due at 01:00 to 06:00 the same day... */
	last = day;
	assert_int_equal(sched_next(&sp, last + 1, last, 0, &nightly),
	    day + 6 * HOUR);
	/* ...one due at 06:00 stays, and one due at 21:59 too. */
	last = day + 5 * HOUR;
	assert_int_equal(sched_next(&sp, last + 1, last, 0, &nightly),
	    day + 6 * HOUR);
	last = day + 20 * HOUR + 59 * MIN;
	assert_int_equal(sched_next(&sp, last + 1, last, 0, &nightly),
	    day + 21 * HOUR + 59 * MIN);
	/* Jitter pushing a run into quiet hours: moved as well. */
	sp.jitter_s = 2 * HOUR;
	last = day + 20 * HOUR + 30 * MIN;
	assert_int_equal(sched_next(&sp, last + 1, last, UINT32_MAX,
	    &nightly), day + 30 * HOUR);
}

/* The nightly run comes first when it is due no later. */
static void
test_nightly(void **state)
{
	struct sched_params	 sp = params(4 * HOUR, 0);
	time_t			 day, last, now;
	int			 nightly;

	set_tz("Asia/Tokyo");
	day = utc(2026, 11, 21, 15, 0, 0);		/* 2026-11-22 00:00 JST */
	sp.nightly = 3 * 60;

	/* Interval run at 05:30, nightly at 03:00: nightly. */
	last = day + HOUR + 30 * MIN;
	assert_int_equal(sched_next(&sp, last + 2, last, 0, &nightly),
	    day + 3 * HOUR);
	assert_int_equal(nightly, 1);
	/* Interval run at 02:00: the interval run. */
	sp.interval_s = HOUR;
	last = day + HOUR;
	assert_int_equal(sched_next(&sp, last + 2, last, 0, &nightly),
	    day + 2 * HOUR);
	assert_int_equal(nightly, 0);
	/* Both at 03:00: the nightly run, once. */
	last = day + 2 * HOUR;
	assert_int_equal(sched_next(&sp, last + 2, last, 0, &nightly),
	    day + 3 * HOUR);
	assert_int_equal(nightly, 1);
	/* Just after the nightly run: the next one is tomorrow. */
	now = day + 3 * HOUR + 5;
	assert_int_equal(sched_next(&sp, now, day + 3 * HOUR, 0, &nightly),
	    day + 4 * HOUR);
	assert_int_equal(nightly, 0);
	sp.interval_s = 86400 * 2;
	assert_int_equal(sched_next(&sp, now, day + 3 * HOUR, 0, &nightly),
	    day + 27 * HOUR);
	assert_int_equal(nightly, 1);
	/* The nightly run at exactly now is not "after now". */
	assert_int_equal(sched_next(&sp, day + 3 * HOUR, day + 3 * HOUR, 0,
	    &nightly), day + 27 * HOUR);
	/* The first run is now, even when the nightly one is soon. */
	assert_int_equal(sched_next(&sp, day + 2 * HOUR, 0, 0, &nightly),
	    day + 2 * HOUR);
	assert_int_equal(nightly, 0);
	/* Nightly at midnight, and at 23:59. */
	sp.nightly = 0;
	assert_int_equal(sched_next(&sp, day + 5, day, 0, &nightly),
	    day + 24 * HOUR);
	assert_int_equal(nightly, 1);
	sp.nightly = 23 * 60 + 59;
	assert_int_equal(sched_next(&sp, day + 5, day, 0, &nightly),
	    day + 23 * HOUR + 59 * MIN);
	/* Out of range: none. */
	sp.nightly = 1440;
	assert_int_equal(sched_next(&sp, day + 5, day, 0, &nightly),
	    day + 48 * HOUR);
	assert_int_equal(nightly, 0);

	/* A nightly run in quiet hours moves to their end, still nightly. */
	sp.nightly = 3 * 60;
	sp.quiet_start = 22 * 60;
	sp.quiet_end = 6 * 60;
	assert_int_equal(sched_next(&sp, day + 5, day, 0, &nightly),
	    day + 6 * HOUR);
	assert_int_equal(nightly, 1);
	/* First run in quiet hours, nightly moved to the same end. */
	assert_int_equal(sched_next(&sp, day + HOUR, 0, 0, &nightly),
	    day + 6 * HOUR);
	assert_int_equal(nightly, 1);
	/* Tokyo: 02:00 JST is 17:00 UTC the day before. */
	sp = params(86400, 0);
	sp.nightly = 2 * 60;
	now = utc(2026, 11, 22, 2, 0, 0);
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly),
	    utc(2026, 11, 22, 17, 0, 0));
	assert_int_equal(nightly, 1);
}

/* Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC. */
static void
test_dst_spring(void **state)
{
	struct sched_params	 sp = params(86400, 0);
	time_t			 now, gap_end = utc(2026, 3, 29, 1, 0, 0);
	int			 nightly;

	set_tz("Europe/Berlin");
	/* A nightly 02:30 that does not exist: when the gap ends. */
	sp.nightly = 2 * 60 + 30;
	now = utc(2026, 3, 28, 23, 0, 0);		/* 00:00 CET */
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly), gap_end);
	assert_int_equal(nightly, 1);
	/* After it ran: 02:30 CEST the next day. */
	assert_int_equal(sched_next(&sp, gap_end + 30, gap_end, 0, &nightly),
	    utc(2026, 3, 30, 0, 30, 0));
	assert_int_equal(nightly, 1);
	/* Nightly 03:00 is the same instant; 01:59 is before the gap. */
	sp.nightly = 3 * 60;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly), gap_end);
	sp.nightly = 60 + 59;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly),
	    gap_end - MIN);
	/* Nightly 04:00 CEST, the day before at 04:00 CET. */
	sp.nightly = 4 * 60;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly),
	    utc(2026, 3, 29, 2, 0, 0));
	now = utc(2026, 3, 27, 23, 0, 0);		/* 03-28 00:00 CET */
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly),
	    utc(2026, 3, 28, 3, 0, 0));

	/* Quiet hours ending inside the gap end with the gap. */
	sp = params(HOUR, 0);
	sp.quiet_start = 22 * 60;
	sp.quiet_end = 2 * 60 + 30;
	assert_true(sched_in_quiet(&sp, gap_end - 1));
	assert_false(sched_in_quiet(&sp, gap_end));
	now = utc(2026, 3, 28, 23, 30, 0);		/* 00:30 CET */
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly), gap_end);
	/* Quiet hours inside the gap never happen. */
	sp.quiet_start = 2 * 60 + 10;
	sp.quiet_end = 2 * 60 + 50;
	assert_false(sched_in_quiet(&sp, gap_end - 1));
	assert_false(sched_in_quiet(&sp, gap_end));
	assert_int_equal(sched_next(&sp, gap_end - 30 * MIN,
	    gap_end - 60 * MIN, 0, &nightly), gap_end);
	/* 22:00-06:00 across the gap: 06:00 CEST, 04:00 UTC. */
	sp.quiet_start = 22 * 60;
	sp.quiet_end = 6 * 60;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly),
	    utc(2026, 3, 29, 4, 0, 0));
	/* The interval is elapsed time, not wall time. */
	sp = params(HOUR, 0);
	assert_int_equal(sched_next(&sp, gap_end - 30 * MIN,
	    gap_end - 30 * MIN, 0, &nightly), gap_end + 30 * MIN);
}

/* Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC. */
static void
test_dst_autumn(void **state)
{
	struct sched_params	 sp = params(2 * 86400, 0);
	time_t			 now, first, second;
	int			 nightly;

	set_tz("Europe/Berlin");
	first = utc(2026, 10, 25, 0, 30, 0);		/* 02:30 CEST */
	second = utc(2026, 10, 25, 1, 30, 0);		/* 02:30 CET */

	/* A nightly 02:30 happens at its first occurrence only. */
	sp.nightly = 2 * 60 + 30;
	now = utc(2026, 10, 24, 22, 0, 0);		/* 00:00 CEST */
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly), first);
	assert_int_equal(nightly, 1);
	assert_int_equal(sched_next(&sp, first + 10, first, 0, &nightly),
	    utc(2026, 10, 26, 1, 30, 0));
	assert_int_equal(nightly, 1);
	/* Also when the daemon restarts in the repeated hour. */
	assert_int_equal(sched_next(&sp, second - 5 * MIN, first, 0,
	    &nightly), utc(2026, 10, 26, 1, 30, 0));
	assert_int_equal(sched_next(&sp, second - 5 * MIN, 0, 0, &nightly),
	    second - 5 * MIN);
	assert_int_equal(nightly, 0);
	/* Nightly 03:00: once, at 03:00 CET. */
	sp.nightly = 3 * 60;
	assert_int_equal(sched_next(&sp, now, now, 0, &nightly),
	    utc(2026, 10, 25, 2, 0, 0));

	/* Quiet 02:00-02:45 is there twice; each ends at its 02:45. */
	sp = params(HOUR, 0);
	sp.quiet_start = 2 * 60;
	sp.quiet_end = 2 * 60 + 45;
	assert_true(sched_in_quiet(&sp, first));
	assert_false(sched_in_quiet(&sp, first + 15 * MIN));
	assert_true(sched_in_quiet(&sp, second));
	assert_int_equal(sched_next(&sp, first - 10 * MIN, 0, 0, &nightly),
	    first + 15 * MIN);
	assert_int_equal(sched_next(&sp, second - 10 * MIN, 0, 0, &nightly),
	    second + 15 * MIN);
	/* A run due in the second 02:20 after one at 02:20 CEST. */
	assert_int_equal(sched_next(&sp, first - 9 * MIN, first - 10 * MIN,
	    0, &nightly), second + 15 * MIN);
	/* 22:00-06:00 across the overlap: 06:00 CET, 05:00 UTC. */
	sp.quiet_start = 22 * 60;
	sp.quiet_end = 6 * 60;
	assert_int_equal(sched_next(&sp, now, 0, 0, &nightly),
	    utc(2026, 10, 25, 5, 0, 0));
	/* The interval is elapsed time: 02:30 CEST + 1h is 02:30 CET. */
	sp = params(HOUR, 0);
	assert_int_equal(sched_next(&sp, first, first, 0, &nightly), second);
}

/*
 * Random parameters over a year in Berlin: never at or before now
 * (except a first run now), never in quiet hours, never far away, a
 * nightly run at its minute or at the end of quiet hours.
 */
static void
test_fuzz(void **state)
{
	struct sched_params	 sp;
	time_t			 base, now, last, t;
	uint32_t		 x = 88172645U;
	struct tm		 tm;
	int			 i, nightly, m;

	set_tz("Europe/Berlin");
	base = utc(2026, 1, 1, 0, 0, 0);
	for (i = 0; i < 100000; i++) {
		sp.interval_s = 60 + next_rnd(&x) % (2 * 86400);
		sp.jitter_s = next_rnd(&x) % 3600;
		sp.quiet_start = (next_rnd(&x) % 3 == 0) ? -1 :
		    (int)(next_rnd(&x) % 1440);
		sp.quiet_end = next_rnd(&x) % 1440;
		sp.nightly = (next_rnd(&x) % 2 == 0) ? -1 :
		    (int)(next_rnd(&x) % 1440);
		now = base + next_rnd(&x) % (366 * 86400);
		last = (next_rnd(&x) % 5 == 0) ? 0 :
		    now - (time_t)(next_rnd(&x) % (3 * 86400));
		t = sched_next(&sp, now, last, next_rnd(&x), &nightly);
		if (t < now || (t == now && last != 0))
			fail_msg("%d: %lld at or before now", i, (long long)t);
		if (sched_in_quiet(&sp, t))
			fail_msg("%d: %lld in quiet hours", i, (long long)t);
		if (t > now + 4 * 86400)
			fail_msg("%d: %lld too far", i, (long long)t);
		if (nightly) {
			assert_non_null(localtime_r(&t, &tm));
			m = tm.tm_hour * 60 + tm.tm_min;
			if (m != sp.nightly && m != sp.quiet_end &&
			    !(tm.tm_mon == 2 && tm.tm_hour == 3 &&
			    tm.tm_min == 0))
				fail_msg("%d: nightly at %d:%02d", i,
				    tm.tm_hour, tm.tm_min);
			assert_int_equal(tm.tm_sec, 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run),
		cmocka_unit_test(test_interval_jitter),
		cmocka_unit_test(test_overdue),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_nightly),
		cmocka_unit_test(test_dst_spring),
		cmocka_unit_test(test_dst_autumn),
		cmocka_unit_test(test_fuzz),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
