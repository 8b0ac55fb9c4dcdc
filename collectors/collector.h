/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector interface.
 *
 * A collector reads one domain of host evidence (disks, screen lock,
 * packages, ...) and returns facts: a JSON object (jansson) that the
 * policy evaluator reads by path, e.g. "disk.mounts" or
 * "screen_lock.users".  Collectors never decide pass or fail; they
 * record what they saw, where (source path or method) and any reason a
 * fact could not be read.
 *
 * Every host file is read under ctx->root and every age is computed
 * from ctx->now, so "--root DIR --now T" reproduces a run exactly on an
 * image or a fixture tree.  When ctx->live is 0 (--root given), a fact
 * that only a host command could answer is reported as not applicable
 * or as an error, never guessed.
 *
 * Fact conventions (see facts.h for the helpers):
 *  - "_error": "open /etc/shadow: Permission denied" on any object
 *    means its facts could not be read; checks that read through it
 *    become "error" with that message.
 *  - "_na": "no graphical desktop installed" means the facts do not
 *    apply to this host; checks that read through it become
 *    "not_applicable" with that reason.
 *  - "_sources": array of the host paths or methods read.
 *  - Arrays of objects name each element with a "name" member, which
 *    messages use to say which element failed.
 *  - Times are integer seconds since the epoch (suffix _at), ages and
 *    durations integer seconds (suffix _s).
 */
#ifndef COLLECTOR_H
#define COLLECTOR_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "compat.h"

/* A backup target from agent.yaml (backup.targets). */
struct backup_target {
	char		*name;
	char		*path;		/* a file or a directory */
	int64_t		 max_age_s;	/* threshold in force */
	char		*where;		/* "agent.yaml:12", for evidence */
};

struct collector_ctx {
	const char		*root;	/* "" for the live host */
	time_t			 now;	/* the clock of this run */
	int			 live;	/* 1: this host, may run host commands */
	const struct backup_target *backup_targets;
	size_t			 nbackup_targets;
	/*
	 * Values kept between runs by a long-lived caller (isms-agentd), or
	 * NULL: {"key": {"sig": "...", "value": ...}}.  A collector may
	 * reuse a value computed from inputs whose identities (inode, size,
	 * times) form the same signature; see collector_memo_get.
	 */
	json_t			*memo;
	int			 memo_changed;	/* put since last cleared */
};

#define COLLECTOR_NEEDS_ROOT	0x1	/* needs root privileges to read all */

struct collector {
	const char	*name;		/* top-level fact key */
	int		 flags;
	/* Returns 0, or -1 to skip this collector (cause set). May be NULL. */
	int		(*init)(struct collector_ctx *);
	/* Returns a new JSON object, never NULL. */
	json_t		*(*collect)(struct collector_ctx *);
	void		(*cleanup)(void);	/* may be NULL */
};

/* registry.c */
extern const struct collector *const collectors[];
const struct collector	*collector_find(const char *);
/* Runs one collector (init, collect, cleanup); returns its facts. */
json_t			*collector_run_one(const struct collector *,
			    struct collector_ctx *);
/* Runs every collector; returns {"<name>": facts, ...}. */
json_t			*collectors_run(struct collector_ctx *);
/* Appends the identity of root/path (or why it has none) to *sig. */
void			 collector_memo_sig(char **sig, const char *root,
			    const char *path);
/* The value kept under key if its signature is sig, else NULL. */
const json_t		*collector_memo_get(struct collector_ctx *,
			    const char *key, const char *sig);
/* Keeps a copy of value under key with its signature (if ctx->memo). */
void			 collector_memo_put(struct collector_ctx *,
			    const char *key, const char *sig, const json_t *);

#endif
