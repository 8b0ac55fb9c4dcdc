/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The backup collector (A.8.13, A.5.30): how old is the newest backup
 * in each target that agent.yaml names (backup.targets).  A target is a
 * file (a heartbeat the backup job touches, or an archive) or a
 * directory, whose newest regular file, at any depth, is its last
 * backup.
 *
 * The walk is bounded in depth and in entries so that a huge backup
 * tree cannot stall the run; when a bound is hit the result says so
 * ("truncated") and the newest file found so far is reported, which can
 * only make the backup look older than it is, never newer.  Symbolic
 * links inside the tree are never followed (O_NOFOLLOW on every
 * directory opened below the target), so a link cannot take the walk
 * out of the tree or round a loop.  The target path itself is followed,
 * since the administrator named it.
 *
 * A file modified after the run's clock is counted ("future_files") but
 * is not taken as the newest backup: with --now in the past it did not
 * exist yet, and on the live host it means a wrong clock, which must not
 * make a stale backup look fresh.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "facts.h"
#include "util.h"
#include "xmalloc.h"

#define BACKUP_MAX_DEPTH	32	/* directory levels below a target */
#define BACKUP_MAX_ENTRIES	200000	/* directory entries per target */

struct backup_walk {
	const char	*top;		/* the target's host path, for messages */
	time_t		 now;
	time_t		 newest;
	char		*newest_file;	/* host path */
	int64_t		 files;		/* regular files seen */
	int64_t		 entries;	/* every entry seen */
	int64_t		 unreadable;	/* subdirectories that could not be read */
	int64_t		 future;	/* files modified after now */
	char		*first_error;
	int		 truncated;
};

/* Notes an unreadable entry below the target; keeps the first cause. */
static void
backup_walk_error(struct backup_walk *w, const char *rel, int error)
{
	w->unreadable++;
	if (w->first_error == NULL)
		xasprintf(&w->first_error, "open %s/%s: %s", w->top, rel,
		    strerror(error));
}

/* Walks the directory open on fd (rel is its path below the target). */
static void
backup_walk_dir(struct backup_walk *w, int fd, const char *rel, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*sub;
	int		 cfd;

	if ((d = fdopendir(fd)) == NULL) {
		backup_walk_error(w, rel, errno);
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->entries > BACKUP_MAX_ENTRIES) {
			w->truncated = 1;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* removed while we walked */
		if (*rel == '\0')
			sub = xstrdup(de->d_name);
		else
			xasprintf(&sub, "%s/%s", rel, de->d_name);
		if (S_ISREG(sb.st_mode)) {
			w->files++;
			if (sb.st_mtime > w->now)
				w->future++;
			else if (w->newest_file == NULL ||
			    sb.st_mtime > w->newest) {
				w->newest = sb.st_mtime;
				free(w->newest_file);
				xasprintf(&w->newest_file, "%s/%s", w->top,
				    sub);
			}
		} else if (S_ISDIR(sb.st_mode)) {
			if (depth >= BACKUP_MAX_DEPTH)
				w->truncated = 1;
			else if ((cfd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC)) == -1)
				backup_walk_error(w, sub, errno);
			else
				backup_walk_dir(w, cfd, sub, depth + 1);
		}
		free(sub);
		if (w->truncated)
			break;
	}
	closedir(d);
}

/* The facts of one target. */
static json_t *
backup_target(struct collector_ctx *ctx, const struct backup_target *t)
{
	struct backup_walk	 w;
	struct stat		 sb;
	json_t			*obj;
	char			*full;
	int			 fd;

	obj = json_object();
	fact_set_str(obj, "name", t->name);
	fact_set_str(obj, "path", t->path);
	fact_set_int(obj, "max_age_s", t->max_age_s);
	if (t->where != NULL)
		fact_set_str(obj, "where", t->where);
	fact_source(obj, "%s", t->path);

	full = root_path(ctx->root, t->path);
	if (stat(full, &sb) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			fact_set_bool(obj, "exists", 0);
		else
			fact_error(obj, "stat %s: %s", t->path,
			    strerror(errno));
		free(full);
		return (obj);
	}
	fact_set_bool(obj, "exists", 1);

	memset(&w, 0, sizeof w);
	w.top = t->path;
	w.now = ctx->now;
	if (S_ISREG(sb.st_mode)) {
		fact_set_str(obj, "kind", "file");
		w.files = 1;
		if (sb.st_mtime > ctx->now)
			w.future = 1;
		else {
			w.newest = sb.st_mtime;
			w.newest_file = xstrdup(t->path);
		}
	} else if (S_ISDIR(sb.st_mode)) {
		fact_set_str(obj, "kind", "directory");
		if ((fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			fact_error(obj, "open %s: %s", t->path,
			    strerror(errno));
			free(full);
			return (obj);
		}
		backup_walk_dir(&w, fd, "", 1);
	} else {
		fact_error(obj, "%s: not a regular file or directory",
		    t->path);
		free(full);
		return (obj);
	}
	free(full);

	fact_set_int(obj, "files_scanned", w.files);
	fact_set_bool(obj, "truncated", w.truncated);
	if (w.future > 0)
		fact_set_int(obj, "future_files", w.future);
	if (w.unreadable > 0) {
		fact_set_int(obj, "unreadable", w.unreadable);
		fact_set_str(obj, "first_unreadable", w.first_error);
	}
	if (w.newest_file != NULL) {
		fact_set_int(obj, "newest_at", (int64_t)w.newest);
		fact_set_str(obj, "newest_file", w.newest_file);
		fact_set_int(obj, "age_s", (int64_t)(ctx->now - w.newest));
	}
	free(w.newest_file);
	free(w.first_error);
	return (obj);
}

/* Returns the backup facts; never NULL. */
static json_t *
backup_collect(struct collector_ctx *ctx)
{
	json_t	*obj, *arr;
	size_t	 i;

	obj = json_object();
	arr = json_array();
	for (i = 0; i < ctx->nbackup_targets; i++)
		json_array_append_new(arr,
		    backup_target(ctx, &ctx->backup_targets[i]));
	fact_set_bool(obj, "configured", ctx->nbackup_targets > 0);
	json_object_set_new(obj, "targets", arr);
	fact_source(obj, "agent.yaml backup.targets");
	return (obj);
}

const struct collector collector_backup = {
	.name = "backup",
	.collect = backup_collect,
};
