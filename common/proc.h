/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Child processes of the daemon: re-executed by name, then confined.
 */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

#define PROC_IPC_FD	3	/* the child's end of its socketpair */
#define PROC_PEER_FD	4	/* an optional second channel */

/*
 * Starts "argv0 -P name args..." with one end of a new socketpair on
 * PROC_IPC_FD, and peer_fd (unless -1) on PROC_PEER_FD; returns the pid
 * and sets *fd to the parent's end.
 */
pid_t	 proc_spawn(const char *argv0, const char *name, char *const *args,
	    int *fd, int peer_fd);
/*
 * Confines the calling process: chroot to dir (unless NULL), then
 * switches to user's uid and gid with no supplementary groups.  Fatal
 * when any step fails; a process that stayed root must not go on.
 */
void	 proc_confine(const char *user, const char *dir);
/* Sets the process title shown by ps ("isms-agentd: engine"). */
void	 proc_settitle(int argc, char **argv, const char *title);
/* Lowers CPU and I/O priority for collection work. */
void	 proc_lower_priority(void);

#endif
