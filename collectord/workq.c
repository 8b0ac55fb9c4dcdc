/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Work queue.  The collector has one event loop: TLS, HTTP, the store
 * and the answers stay on it.  What costs most per report and needs
 * nothing shared (gunzip, JSON parse, schema checks: reportv.c, pure)
 * runs on a few threads, so that both cores of a small server work.
 *
 * Threads take jobs from "todo" (FIFO) under one mutex; a finished job
 * goes to "finished" and, if that list was empty, one byte to a pipe
 * the loop reads, so the loop is woken once per batch, not per job.
 * The loop's callback swaps the list out under the mutex and calls the
 * done functions outside it.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"
#include "workq.h"

#define WORKQ_MAX_THREADS	64

struct job {
	workq_fn	 work;
	workq_fn	 done;
	void		*arg;
	struct job	*next;
};

struct jlist {
	struct job	*head;
	struct job	*tail;
};

struct workq {
	struct event_base	*base;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct jlist		 todo;
	struct jlist		 finished;
	int			 stopping;
	int			 pending;	/* pushed, done not yet called */
	int			 nthreads;
	pthread_t		*threads;
	int			 pipe[2];
	struct event		*ev;
};

static void
jlist_put(struct jlist *l, struct job *j)
{
	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *
jlist_take(struct jlist *l)
{
	struct job	*j;

	if ((j = l->head) != NULL) {
		l->head = j->next;
		if (l->head == NULL)
			l->tail = NULL;
	}
	return (j);
}

/* A finished job: queue it for the loop; wake the loop if it sleeps. */
static void
workq_finish(struct workq *q, struct job *j)
{
	int	wake;
	char	c = 0;

	pthread_mutex_lock(&q->mtx);
	wake = q->finished.head == NULL;
	jlist_put(&q->finished, j);
	pthread_mutex_unlock(&q->mtx);
	/* A full pipe already holds a wake-up: the loop will see the job. */
	if (wake)
		while (write(q->pipe[1], &c, 1) == -1 && errno == EINTR)
			;
}

static void *
workq_thread(void *arg)
{
	struct workq	*q = arg;
	struct job	*j;

	for (;;) {
		pthread_mutex_lock(&q->mtx);
		while ((j = jlist_take(&q->todo)) == NULL && !q->stopping)
			pthread_cond_wait(&q->cond, &q->mtx);
		pthread_mutex_unlock(&q->mtx);
		if (j == NULL)
			return (NULL);
		j->work(j->arg);
		workq_finish(q, j);
	}
}

/* Calls the done functions of every finished job, in finishing order. */
static void
workq_drain(struct workq *q)
{
	struct jlist	 l;
	struct job	*j;

	pthread_mutex_lock(&q->mtx);
	l = q->finished;
	memset(&q->finished, 0, sizeof q->finished);
	pthread_mutex_unlock(&q->mtx);
	while ((j = jlist_take(&l)) != NULL) {
		q->pending--;
		j->done(j->arg);
		free(j);
	}
}

static void
workq_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct workq	*q = arg;
	char		 buf[64];

	(void)ev;
	while (read(fd, buf, sizeof buf) > 0)
		;
	workq_drain(q);
}

int
workq_ncpu(void)
{
	long	n;

	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n < 1 ? 1 : n > WORKQ_MAX_THREADS ? WORKQ_MAX_THREADS :
	    (int)n);
}

struct workq *
workq_new(struct event_base *base, int nthreads)
{
	struct workq	*q;
	int		 i, e;

	if (nthreads < 0 || nthreads > WORKQ_MAX_THREADS)
		fatalx("%s: %d threads", __func__, nthreads);
	q = xcalloc(1, sizeof *q);
	q->base = base;
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (pipe2(q->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("%s: pipe2", __func__);
	q->ev = event_new(base, q->pipe[0], EV_READ | EV_PERSIST,
	    workq_wake, q);
	event_add(q->ev, NULL);
	q->threads = xcalloc(nthreads + 1, sizeof *q->threads);
	for (i = 0; i < nthreads; i++) {
		if ((e = pthread_create(&q->threads[i], NULL, workq_thread,
		    q)) != 0) {
			errno = e;
			fatal("%s: pthread_create", __func__);
		}
		q->nthreads++;
	}
	return (q);
}

void
workq_push(struct workq *q, workq_fn work, workq_fn done, void *arg)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->work = work;
	j->done = done;
	j->arg = arg;
	q->pending++;
	if (q->nthreads == 0) {
		work(arg);
		workq_finish(q, j);
		return;
	}
	pthread_mutex_lock(&q->mtx);
	jlist_put(&q->todo, j);
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
}

int
workq_pending(struct workq *q)
{
	return (q->pending);
}

void
workq_free(struct workq *q)
{
	int	i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mtx);
	/* Threads finish the job they run and everything still queued. */
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	workq_drain(q);
	event_free(q->ev);
	close(q->pipe[0]);
	close(q->pipe[1]);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mtx);
	free(q->threads);
	free(q);
}
