/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A reader for sshd_config(5) with the semantics of OpenSSH 9.2p1
 * (Debian 12): the first value obtained for a keyword wins, Include'd
 * files count at the point of the Include, Match blocks do not change
 * the global values.  Used by the sshd and session collectors.
 */
#ifndef SSHDCONF_H
#define SSHDCONF_H

#include <stddef.h>
#include <stdint.h>

#define SSHDCONF_PATH	"/etc/ssh/sshd_config"
#define SSHDCONF_DIR	"/etc/ssh"	/* relative Include paths */
#define SSHDCONF_DEPTH	16		/* SERVCONF_MAX_DEPTH in servconf.c */

struct sshdconf_opt {
	char	*key;		/* lower case: "permitrootlogin" */
	char	*value;		/* arguments joined by one space */
	char	*source;	/* "/etc/ssh/sshd_config:33" or "default" */
};

struct sshdconf_match {
	char			*criteria;	/* "Group legacy" */
	char			*source;	/* where the Match line is */
	struct sshdconf_opt	*opts;		/* in order, as written */
	size_t			 nopts;
};

struct sshdconf {
	struct sshdconf_opt	*opts;		/* effective global values */
	size_t			 nopts;
	struct sshdconf_match	*matches;
	size_t			 nmatches;
	char			**files;	/* host paths, in reading order */
	size_t			 nfiles;
	char			**warnings;	/* "file:line: ..." */
	size_t			 nwarnings;
};

/*
 * Reads SSHDCONF_PATH and its Includes under root; every keyword not
 * set gets its compiled-in default.  Returns 0, or -1 with *cause
 * ("/etc/ssh/sshd_config.d/a.conf:1: Include loop: ...").
 */
int		 sshdconf_read(const char *root, struct sshdconf *,
		    char **cause);
void		 sshdconf_clear(struct sshdconf *);
/* Effective value of key (lower case) or NULL; *source if not NULL. */
const char	*sshdconf_get(const struct sshdconf *, const char *key,
		    const char **source);
/* sshd time format ("300", "5m", "1h30m") to seconds; -1 if invalid. */
int64_t		 sshdconf_time(const char *);

#endif
