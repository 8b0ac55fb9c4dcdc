/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Parsers for host files that several collectors read: /etc/os-release,
 * /etc/passwd and /etc/login.defs.  All read under a root prefix.
 */
#ifndef HOSTFILES_H
#define HOSTFILES_H

#include <sys/types.h>
#include <stddef.h>

/* /etc/os-release, falling back to /usr/lib/os-release. */
struct os_release {
	char	*id;		/* "debian" */
	char	*id_like;
	char	*name;
	char	*pretty_name;
	char	*version_id;	/* "12" */
	char	*codename;	/* "bookworm" */
	char	*source;	/* the file that was read */
};
int	 os_release_read(const char *root, struct os_release *, char **cause);
void	 os_release_clear(struct os_release *);

struct passwd_entry {
	char	*name;
	uid_t	 uid;
	gid_t	 gid;
	char	*home;
	char	*shell;
	int	 interactive;	/* uid >= UID_MIN (or 0) and a login shell */
};
struct passwd_list {
	struct passwd_entry	*v;
	size_t			 n;
	uid_t			 uid_min;	/* from login.defs, else 1000 */
	uid_t			 uid_max;
};
/* Reads /etc/passwd and UID_MIN/UID_MAX from /etc/login.defs. */
int	 passwd_read(const char *root, struct passwd_list *, char **cause);
void	 passwd_clear(struct passwd_list *);
/* A shell that cannot log in: nologin, false, sync, ... */
int	 shell_is_nologin(const char *);

/*
 * KEY VALUE files such as /etc/login.defs: the value of key (first
 * occurrence), or NULL.  Returns a new string.
 */
char	*keyvalue_get(const char *buf, const char *key);

#endif
