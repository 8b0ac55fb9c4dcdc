/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Small helpers shared by every program: durations, RFC 3339 time,
 * reading host files under an alternative root, string trimming.
 */
#ifndef UTIL_H
#define UTIL_H

#include <sys/types.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "compat.h"

/* Durations: "90", "90s", "15m", "26h", "7d"; also "1h30m". */
int	 duration_parse(const char *, int64_t *, char **cause);
#define DURATION_SSH	0x1	/* OpenSSH convtime(): "1H30", any case */
int	 duration_parse_flags(const char *, int64_t *, int flags, int64_t max,
	    char **cause);
/* Render seconds as the shortest exact duration: 900 -> "15m". */
char	*duration_format(int64_t);

/* RFC 3339 UTC: "2026-11-22T02:00:00Z"; offsets are accepted on input. */
int	 time_parse_rfc3339(const char *, time_t *);
void	 time_format_rfc3339(time_t, char *, size_t);
#define RFC3339_LEN 32

/*
 * Host files are read through a root prefix ("" for the live system),
 * so that --root reads an image or a fixture tree.  root_path() returns
 * a new string; the others explain failures through *cause ("open
 * /etc/shadow: Permission denied"), naming the host path, not the
 * prefixed one.
 */
char	*root_path(const char *root, const char *path);
int	 root_read_file(const char *root, const char *path, char **buf,
	    size_t *len, char **cause);
int	 root_stat(const char *root, const char *path, struct stat *,
	    char **cause);
int	 root_exists(const char *root, const char *path);
/* The target of a symlink under root, or NULL. */
char	*root_readlink(const char *root, const char *path);
/* Sorted entries of a directory (no "." or ".."), NULL-terminated. */
char	**root_list_dir(const char *root, const char *path, char **cause);
void	 strv_free(char **);

/* In-place helpers. */
char	*str_trim(char *);
int	 str_startswith(const char *, const char *);
int	 str_endswith(const char *, const char *);
/* Next line of a buffer, NUL-terminating it in place; NULL at the end. */
char	*str_nextline(char **cursor);
/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0.
 */
size_t	 utf8_seq(const unsigned char *s, size_t left);

#define UUID_LEN	37	/* 36 characters and a NUL */
/* A random (version 4) UUID, lower case. */
void	 uuid_v4(char out[UUID_LEN]);

#endif
