/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Streaming reader of the dpkg status database (see dpkgstatus.h).
 * Paragraphs are separated by blank lines; only the Package and Status
 * fields are kept, so memory does not grow with the file.  Lines longer
 * than the line buffer are continuation lines of long descriptions or
 * conffile lists and are skipped to their end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpkgstatus.h"
#include "util.h"
#include "xmalloc.h"

#define DPKG_LINE_MAX	512	/* bytes; Package and Status lines are short */
#define DPKG_NAME_MAX	256	/* bytes; longest package name kept */

/* Records one finished paragraph. */
static void
dpkg_status_end(const char *pkg, int ok, const char *const *names,
    int *installed, size_t *count)
{
	size_t	i, len;

	if (*pkg == '\0' || !ok)
		return;
	(*count)++;
	if (names == NULL)
		return;
	len = strcspn(pkg, ":");
	for (i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == len && strncmp(pkg, names[i], len) == 0)
			installed[i] = 1;
	}
}

int
dpkg_status_scan(const char *root, const char *const *names, int *installed,
    size_t *ninstalled, char **cause)
{
	FILE	*f;
	char	 line[DPKG_LINE_MAX], pkg[DPKG_NAME_MAX], *path, *v;
	size_t	 i, count = 0, len;
	int	 ok = 0, midline = 0, error;

	if (names != NULL) {
		for (i = 0; names[i] != NULL; i++)
			installed[i] = 0;
	}
	path = root_path(root, DPKG_STATUS_PATH);
	f = fopen(path, "re");
	free(path);
	if (f == NULL) {
		xasprintf(cause, "open %s: %s", DPKG_STATUS_PATH,
		    strerror(errno));
		return (-1);
	}
	*pkg = '\0';
	while (fgets(line, sizeof line, f) != NULL) {
		len = strlen(line);
		if (midline) {
			/* The rest of an over-long line. */
			midline = len > 0 && line[len - 1] != '\n';
			continue;
		}
		midline = len > 0 && line[len - 1] != '\n' && !feof(f);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0) {
			dpkg_status_end(pkg, ok, names, installed, &count);
			*pkg = '\0';
			ok = 0;
		} else if (strncmp(line, "Package:", 8) == 0) {
			v = str_trim(line + 8);
			if (strlcpy(pkg, v, sizeof pkg) >= sizeof pkg)
				*pkg = '\0';
		} else if (strncmp(line, "Status:", 7) == 0) {
			v = str_trim(line + 7);
			ok = strcmp(v, "install ok installed") == 0;
		}
	}
	error = ferror(f);
	fclose(f);
	if (error) {
		xasprintf(cause, "read %s: %s", DPKG_STATUS_PATH,
		    strerror(EIO));
		return (-1);
	}
	dpkg_status_end(pkg, ok, names, installed, &count);
	if (ninstalled != NULL)
		*ninstalled = count;
	return (0);
}
