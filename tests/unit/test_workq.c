/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * collectord/workq.c: every job's work runs once on a pool thread (or
 * inline with 0 threads) and its done once on the loop's thread;
 * workq_free finishes what was queued.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "workq.h"

#define NJOBS	2000

struct tjob {
	uint64_t	 n;
	uint64_t	 sum;
	pthread_t	 worker;
	int		 worked;
	int		 done;
};

static struct event_base	*base;
static pthread_t		 loop_thread;
static int			 ndone, want;

static void
tjob_work(void *arg)
{
	struct tjob	*j = arg;
	uint64_t	 i;

	j->worker = pthread_self();
	for (i = 1; i <= j->n; i++)
		j->sum += i * i;
	j->worked++;
}

static void
tjob_done(void *arg)
{
	struct tjob	*j = arg;

	assert_true(pthread_equal(pthread_self(), loop_thread));
	assert_int_equal(j->worked, 1);
	assert_int_equal(j->sum, j->n * (j->n + 1) * (2 * j->n + 1) / 6);
	j->done++;
	if (++ndone == want)
		event_base_loopbreak(base);
}

static void
run(int nthreads)
{
	struct workq	*q;
	struct tjob	*jobs;
	int		 i, on_pool = 0;

	base = event_base_new();
	loop_thread = pthread_self();
	ndone = 0;
	want = NJOBS;
	jobs = calloc(NJOBS, sizeof *jobs);
	q = workq_new(base, nthreads);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].n = 1000 + i;
		workq_push(q, tjob_work, tjob_done, &jobs[i]);
	}
	assert_int_equal(workq_pending(q), NJOBS - ndone);
	event_base_dispatch(base);
	assert_int_equal(ndone, NJOBS);
	assert_int_equal(workq_pending(q), 0);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(jobs[i].done, 1);
		if (!pthread_equal(jobs[i].worker, loop_thread))
			on_pool++;
	}
	if (nthreads == 0)
		assert_int_equal(on_pool, 0);
	else
		assert_int_equal(on_pool, NJOBS);
	workq_free(q);
	free(jobs);
	event_base_free(base);
}

static void
test_threads(void **state)
{
	(void)state;
	run(2);
	run(7);
}

static void
test_inline(void **state)
{
	(void)state;
	run(0);
}

/* Freed with jobs queued: all run, all done, nothing leaks. */
static void
test_free_pending(void **state)
{
	struct workq	*q;
	struct tjob	*jobs;
	int		 i;

	(void)state;
	base = event_base_new();
	loop_thread = pthread_self();
	ndone = 0;
	want = -1;
	jobs = calloc(NJOBS, sizeof *jobs);
	q = workq_new(base, 2);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].n = 5000;
		workq_push(q, tjob_work, tjob_done, &jobs[i]);
	}
	workq_free(q);
	assert_int_equal(ndone, NJOBS);
	for (i = 0; i < NJOBS; i++)
		assert_int_equal(jobs[i].done, 1);
	free(jobs);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_free_pending),
	};

	assert_true(workq_ncpu() >= 1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
