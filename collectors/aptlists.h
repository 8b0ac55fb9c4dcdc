/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Streaming readers for Debian control-style files: apt lists
 * (*_Packages, plain or .lz4), the dpkg status file, apt's history.log
 * and plain line files such as dpkg.log.
 */
#ifndef APTLISTS_H
#define APTLISTS_H

#include <stddef.h>

#define APTLISTS_LINE_MAX	1024	/* longer lines are cut */
#define APTLISTS_FIELDS_MAX	6
#define APTLISTS_VALUE_MAX	256	/* longer values are cut */

/*
 * Called for each line, without its newline and not NUL-terminated,
 * cut to APTLISTS_LINE_MAX bytes.  Returns 0 to go on, 1 to skip the
 * rest of the stanza (up to and including the next empty line, which
 * is then delivered with len 0), or -1 to stop reading.
 */
typedef int	(*aptlists_line_cb)(const char *line, size_t len, void *arg);
/*
 * Reads a file under root line by line with a fixed buffer; path ending
 * in .lz4 is decompressed, other compressed forms are refused.  Returns
 * 0, or -1 with *cause naming the host path.
 */
int	aptlists_lines(const char *root, const char *path, aptlists_line_cb,
	    void *arg, char **cause);

struct aptlists_stanza {
	int	 have[APTLISTS_FIELDS_MAX];
	size_t	 len[APTLISTS_FIELDS_MAX];
	char	 value[APTLISTS_FIELDS_MAX][APTLISTS_VALUE_MAX];
};
/* Field 0's value when it is seen: return 0 to skip the stanza. */
typedef int	(*aptlists_filter_cb)(const char *val, size_t len, void *arg);
/* A complete stanza, with the wanted fields; return 0, or -1 to stop. */
typedef int	(*aptlists_stanza_cb)(const struct aptlists_stanza *,
		    void *arg);
/*
 * Reads the stanzas of a control file, keeping only the named fields
 * (compared without case, at most APTLISTS_FIELDS_MAX).  filter may be
 * NULL.  Returns 0 or -1 with *cause.
 */
int	aptlists_stanzas(const char *root, const char *path,
	    const char *const *fields, size_t nfields, aptlists_filter_cb filter,
	    aptlists_stanza_cb, void *arg, char **cause);

/* Whether a list file name has a compression suffix we cannot read. */
const char *aptlists_unsupported(const char *name);

#endif
