/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Durations, time and root-relative file access.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"

#define READ_FILE_MAX (64 * 1024 * 1024)	/* bytes; larger host files are refused */

/*
 * Numbers with unit suffixes s, m, h, d, w, summed ("1h30m").  The
 * flags widen it to OpenSSH's convtime(): DURATION_SSH also takes upper-
 * case units and a unitless number (seconds) in any position ("1h30");
 * plainly, a unitless number is allowed only alone.  Sums above max
 * are refused.
 */
int
duration_parse_flags(const char *s, int64_t *out, int flags, int64_t max,
    char **cause)
{
	const char	*p = s;
	int64_t		 total = 0, n, mult;
	int		 parts = 0, c;

	if (s == NULL || *s == '\0') {
		if (cause != NULL)
			*cause = xstrdup("empty duration");
		return (-1);
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n > (INT64_MAX - 9) / 10)
				goto bad;
			n = n * 10 + (*p++ - '0');
		}
		c = (flags & DURATION_SSH) ? tolower((unsigned char)*p) : *p;
		switch (c) {
		case '\0':
			if (parts != 0 && !(flags & DURATION_SSH))
				goto bad;
			mult = 1;
			break;
		case 's': mult = 1; p++; break;
		case 'm': mult = 60; p++; break;
		case 'h': mult = 3600; p++; break;
		case 'd': mult = 86400; p++; break;
		case 'w': mult = 7 * 86400; p++; break;
		default:
			goto bad;
		}
		if (n > (max - total) / mult)
			goto bad;
		total += n * mult;
		parts++;
	}
	*out = total;
	return (0);
bad:
	if (cause != NULL)
		xasprintf(cause, "invalid duration \"%s\" (use a number with "
		    "s, m, h or d, e.g. 15m)", s);
	return (-1);
}

int
duration_parse(const char *s, int64_t *out, char **cause)
{
	return (duration_parse_flags(s, out, 0, INT64_MAX, cause));
}

char *
duration_format(int64_t secs)
{
	char	*s;

	if (secs != 0 && secs % 86400 == 0)
		xasprintf(&s, "%lldd", (long long)(secs / 86400));
	else if (secs != 0 && secs % 3600 == 0)
		xasprintf(&s, "%lldh", (long long)(secs / 3600));
	else if (secs != 0 && secs % 60 == 0)
		xasprintf(&s, "%lldm", (long long)(secs / 60));
	else
		xasprintf(&s, "%llds", (long long)secs);
	return (s);
}

int
time_parse_rfc3339(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*p;
	int		 off = 0, sign;

	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL &&
	    (p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL) {
		memset(&tm, 0, sizeof tm);
		if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL || *p != '\0')
			return (-1);
		*out = timegm(&tm);
		return (0);
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
		    p[3] != ':' || !isdigit((unsigned char)p[4]) ||
		    !isdigit((unsigned char)p[5]))
			return (-1);
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		    ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		off *= sign;
		p += 6;
	} else
		return (-1);
	if (*p != '\0')
		return (-1);
	*out = timegm(&tm) - off;
	return (0);
}

void
time_format_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
root_path(const char *root, const char *path)
{
	char	*s;

	if (root == NULL || *root == '\0' || strcmp(root, "/") == 0)
		return (xstrdup(path));
	xasprintf(&s, "%s%s%s", root, *path == '/' ? "" : "/", path);
	return (s);
}

int
root_read_file(const char *root, const char *path, char **buf, size_t *len,
    char **cause)
{
	char		*full, *b = NULL;
	size_t		 size = 0, cap = 0;
	ssize_t		 n;
	int		 fd;

	full = root_path(root, path);
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(full);
	if (fd == -1) {
		if (cause != NULL)
			xasprintf(cause, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	for (;;) {
		if (size + 4096 + 1 > cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > READ_FILE_MAX) {
				if (cause != NULL)
					xasprintf(cause, "read %s: file too large",
					    path);
				goto fail;
			}
			b = xreallocarray(b, 1, cap);
		}
		n = read(fd, b + size, cap - size - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (cause != NULL)
				xasprintf(cause, "read %s: %s", path,
				    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		size += n;
	}
	close(fd);
	if (b == NULL)
		b = xmalloc(1);
	b[size] = '\0';
	*buf = b;
	if (len != NULL)
		*len = size;
	return (0);
fail:
	close(fd);
	free(b);
	return (-1);
}

int
root_stat(const char *root, const char *path, struct stat *sb, char **cause)
{
	char	*full;
	int	 r;

	full = root_path(root, path);
	r = stat(full, sb);
	free(full);
	if (r == -1 && cause != NULL)
		xasprintf(cause, "stat %s: %s", path, strerror(errno));
	return (r);
}

int
root_exists(const char *root, const char *path)
{
	struct stat	sb;
	char		*full;
	int		 r;

	full = root_path(root, path);
	r = lstat(full, &sb);
	free(full);
	return (r == 0);
}

/* The target of the symlink path under root (a new string), or NULL. */
char *
root_readlink(const char *root, const char *path)
{
	char	*full, buf[PATH_MAX];
	ssize_t	 n;

	full = root_path(root, path);
	n = readlink(full, buf, sizeof buf - 1);
	free(full);
	if (n == -1)
		return (NULL);
	buf[n] = '\0';
	return (xstrdup(buf));
}

static int
strv_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

char **
root_list_dir(const char *root, const char *path, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		*full, **v = NULL;
	size_t		 n = 0;

	full = root_path(root, path);
	d = opendir(full);
	free(full);
	if (d == NULL) {
		if (cause != NULL)
			xasprintf(cause, "opendir %s: %s", path,
			    strerror(errno));
		return (NULL);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	v[n] = NULL;
	qsort(v, n, sizeof *v, strv_cmp);
	return (v);
}

void
strv_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

char *
str_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

int
str_startswith(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

int
str_endswith(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return (ls >= lx && strcmp(s + ls - lx, suffix) == 0);
}

char *
str_nextline(char **cursor)
{
	char	*line = *cursor, *nl;

	if (line == NULL || *line == '\0')
		return (NULL);
	if ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		*cursor = nl + 1;
	} else
		*cursor = line + strlen(line);
	return (line);
}

size_t
utf8_seq(const unsigned char *s, size_t left)
{
	size_t		n, i;
	uint32_t	cp;

	if (left == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (left < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

void
uuid_v4(char out[UUID_LEN])
{
	unsigned char	b[16];

	/* getrandom(2) underneath: works in a chroot. */
	arc4random_buf(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10 */
	snprintf(out, UUID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
}
