/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A streaming reader of /var/lib/dpkg/status for collectors that only
 * need to know which packages are installed, or how many.  The file is
 * read line by line through stdio's fixed buffer, never slurped: it is
 * several MB on a desktop.
 */
#ifndef DPKGSTATUS_H
#define DPKGSTATUS_H

#include <stddef.h>

#define DPKG_STATUS_PATH	"/var/lib/dpkg/status"

/*
 * Scans the status file under root.  Counts the packages whose Status
 * is "install ok installed" into *ninstalled (may be NULL), and for
 * each name in the NULL-terminated names (may be NULL) sets installed[i]
 * to 1 if that package is installed, else 0.  A package name matches
 * with or without an ":arch" qualifier.  Returns 0, or -1 with *cause.
 */
int	dpkg_status_scan(const char *root, const char *const *names,
	    int *installed, size_t *ninstalled, char **cause);

#endif
