/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Process creation and confinement, after relayd's proc_run(): each
 * child is a fresh exec of the daemon's own binary, so it shares no
 * memory image (no keys, no parsed configuration) with the parent, and
 * confines itself before it reads anything from its peers.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "xmalloc.h"

#define PROC_MAX_ARGS	16
#define PROC_NICE	10	/* collection runs at this niceness */
#define IOPRIO_CLASS_IDLE 3	/* linux/ioprio.h */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

pid_t
proc_spawn(const char *argv0, const char *name, char *const *args, int *fd,
    int peer_fd)
{
	char	*argv[PROC_MAX_ARGS + 4];
	int	 sp[2], i, n = 0;
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("%s: socketpair", __func__);
	argv[n++] = (char *)argv0;
	argv[n++] = (char *)"-P";
	argv[n++] = (char *)name;
	for (i = 0; args != NULL && args[i] != NULL && i < PROC_MAX_ARGS; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		close(sp[0]);
		/* Move both ends above the fixed numbers, then into place. */
		if ((sp[1] = fcntl(sp[1], F_DUPFD_CLOEXEC, PROC_PEER_FD + 1)) == -1 ||
		    (peer_fd != -1 && (peer_fd = fcntl(peer_fd, F_DUPFD_CLOEXEC,
		    PROC_PEER_FD + 1)) == -1))
			fatal("%s: fcntl", __func__);
		if (dup2(sp[1], PROC_IPC_FD) == -1 || (peer_fd != -1 &&
		    dup2(peer_fd, PROC_PEER_FD) == -1))
			fatal("%s: dup2", __func__);
		execv(argv0, argv);
		fatal("%s: execv %s", __func__, argv0);
	default:
		break;
	}
	close(sp[1]);
	*fd = sp[0];
	return (pid);
}

void
proc_confine(const char *user, const char *dir)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		log_debug("%s: not root: no chroot, no privilege change",
		    __func__);
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if (dir != NULL) {
		if (chroot(dir) == -1)
			fatal("chroot %s", dir);
		if (chdir("/") == -1)
			fatal("chdir /");
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
	/* Proof: regaining root must now fail. */
	if (pw->pw_uid != 0 && setuid(0) != -1)
		fatalx("%s: still able to become root", __func__);
}

void
proc_settitle(int argc, char **argv, const char *title)
{
	size_t	len;
	char	*end;

	/* Overwrite argv in place, as far as it reaches. */
	if (argc < 1)
		return;
	end = argv[argc - 1] + strlen(argv[argc - 1]);
	len = end - argv[0];
	memset(argv[0], 0, len);
	snprintf(argv[0], len + 1, "%s", title);
}

void
proc_lower_priority(void)
{
	if (setpriority(PRIO_PROCESS, 0, PROC_NICE) == -1)
		log_warn("setpriority");
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
	    IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) == -1)
		log_warn("ioprio_set");
}
