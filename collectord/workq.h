/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A small pool of threads for pure work (inflating, parsing and
 * validating a report) whose result goes back to the event loop.
 */
#ifndef WORKQ_H
#define WORKQ_H

struct event_base;
struct workq;

typedef void	(*workq_fn)(void *);

/*
 * nthreads 0: no threads, work runs inline in workq_push (then done, on
 * the next loop iteration, so the order of events is the same).
 */
struct workq	*workq_new(struct event_base *, int nthreads);
/*
 * Runs work(arg) on a thread, then done(arg) on the event loop's thread.
 * work must touch nothing but arg (no logging, no store, no libevent).
 * Jobs finish in any order; done is called once per job.
 */
void		 workq_push(struct workq *, workq_fn work, workq_fn done,
		    void *arg);
/* Jobs pushed and not yet done. */
int		 workq_pending(struct workq *);
/* Waits for running jobs, calls done for all finished ones, frees. */
void		 workq_free(struct workq *);
/* The number of online CPUs (at least 1). */
int		 workq_ncpu(void);

#endif
