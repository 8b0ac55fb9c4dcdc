/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Streaming readers for apt lists and other control-style files.
 *
 * The Packages list of a full Debian suite is about 50 MB decoded, so
 * nothing here holds a whole file: chunks come from read(2) into a
 * fixed buffer or from the LZ4 decoder one block at a time, lines are
 * found with memchr, and only a line that straddles two chunks is
 * copied.  A caller that loses interest in a stanza (a package that is
 * not installed) skips to the next empty line with memchr alone, which is
 * what makes a scan of every list fast: most stanzas are skipped after
 * their first line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aptlists.h"
#include "lz4frame.h"
#include "util.h"
#include "xmalloc.h"

#define APTLISTS_READ_SIZE	65536	/* bytes per read(2) of plain files */

struct aptlists_reader {
	aptlists_line_cb	 cb;
	void			*arg;
	int			 skip;		/* skipping to an empty line */
	int			 mid_line;	/* last chunk ended inside a line */
	size_t			 carry_len;	/* bytes of a split line kept */
	size_t			 carry_full;	/* its full length */
	char			 carry[APTLISTS_LINE_MAX];
};

static const char *const aptlists_compressed[] = {
	".gz", ".xz", ".bz2", ".lzma", ".zst", ".Z"
};

const char *
aptlists_unsupported(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof aptlists_compressed /
	    sizeof aptlists_compressed[0]; i++) {
		if (str_endswith(name, aptlists_compressed[i]))
			return (aptlists_compressed[i]);
	}
	return (NULL);
}

/*
 * The first "\n\n" in [p, end), or NULL.  memchr on '\n' beats
 * glibc's memmem here: lines are short and the scan never backs up.
 */
static const char *
aptlists_blank(const char *p, const char *end)
{
	const char	*q;

	while ((q = memchr(p, '\n', end - p)) != NULL) {
		if (q + 1 == end)
			return (NULL);
		if (q[1] == '\n')
			return (q);
		p = q + 2;	/* q[1] is not a newline */
	}
	return (NULL);
}

/* Deliver one complete line; returns the callback's verdict. */
static int
aptlists_line(struct aptlists_reader *r, const char *line, size_t len)
{
	int	rv;

	rv = r->cb(line, len > APTLISTS_LINE_MAX ? APTLISTS_LINE_MAX : len,
	    r->arg);
	if (rv == 1)
		r->skip = 1;
	return (rv);
}

/* Split one chunk into lines; returns 0, or -1 if the callback stopped. */
static int
aptlists_chunk(struct aptlists_reader *r, const char *p, size_t n)
{
	const char	*end = p + n, *nl, *q;
	size_t		 take;

	/* Finish a line split across chunks. */
	if (r->carry_full > 0 || (r->mid_line && !r->skip)) {
		nl = memchr(p, '\n', n);
		q = nl != NULL ? nl : end;
		take = q - p;
		if (take > APTLISTS_LINE_MAX - r->carry_len)
			take = APTLISTS_LINE_MAX - r->carry_len;
		memcpy(r->carry + r->carry_len, p, take);
		r->carry_len += take;
		r->carry_full += q - p;
		if (nl == NULL)
			return (0);
		p = nl + 1;
		r->mid_line = 0;
		r->carry_full = 0;
		take = r->carry_len;
		r->carry_len = 0;
		if (aptlists_line(r, r->carry, take) == -1)
			return (-1);
	}
	while (p < end) {
		if (r->skip) {
			if (!r->mid_line && *p == '\n') {
				r->skip = 0;
				if (aptlists_line(r, p, 0) == -1)
					return (-1);
				p++;
				continue;
			}
			q = aptlists_blank(p, end);
			if (q == NULL) {
				r->mid_line = end[-1] != '\n';
				return (0);
			}
			p = q + 1;
			r->mid_line = 0;
			continue;
		}
		nl = memchr(p, '\n', end - p);
		if (nl == NULL) {
			take = end - p;
			r->carry_full = take;
			if (take > APTLISTS_LINE_MAX)
				take = APTLISTS_LINE_MAX;
			memcpy(r->carry, p, take);
			r->carry_len = take;
			r->mid_line = 1;
			return (0);
		}
		if (aptlists_line(r, p, nl - p) == -1)
			return (-1);
		p = nl + 1;
	}
	r->mid_line = 0;
	return (0);
}

int
aptlists_lines(const char *root, const char *path, aptlists_line_cb cb,
    void *arg, char **cause)
{
	struct aptlists_reader	 r;
	struct lz4frame		*lz = NULL;
	const char		*data, *ext;
	char			*full, *buf = NULL;
	ssize_t			 n;
	int			 fd, rv = -1;

	if ((ext = aptlists_unsupported(path)) != NULL) {
		xasprintf(cause, "read %s: %s compression not supported",
		    path, ext);
		return (-1);
	}
	full = root_path(root, path);
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(full);
	if (fd == -1) {
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	memset(&r, 0, sizeof r);
	r.cb = cb;
	r.arg = arg;
	if (str_endswith(path, ".lz4"))
		lz = lz4frame_new(fd, path);
	else
		buf = xmalloc(APTLISTS_READ_SIZE);
	for (;;) {
		if (lz != NULL) {
			n = lz4frame_read(lz, &data, cause);
			if (n == -1)
				goto out;
		} else {
			n = read(fd, buf, APTLISTS_READ_SIZE);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				xasprintf(cause, "read %s: %s", path,
				    strerror(errno));
				goto out;
			}
			data = buf;
		}
		if (n == 0)
			break;
		if (aptlists_chunk(&r, data, n) == -1) {
			rv = 0;
			goto out;
		}
	}
	/* A last line without a newline, then the end of the last stanza. */
	if (r.carry_full > 0 && !r.skip) {
		if (aptlists_line(&r, r.carry, r.carry_len) == -1) {
			rv = 0;
			goto out;
		}
	}
	cb("", 0, arg);
	rv = 0;
out:
	lz4frame_free(lz);
	free(buf);
	close(fd);
	return (rv);
}

struct aptlists_parse {
	const char *const	*fields;
	size_t			 nfields;
	size_t			 flen[APTLISTS_FIELDS_MAX];
	aptlists_filter_cb	 filter;
	aptlists_stanza_cb	 cb;
	void			*arg;
	int			 any;
	struct aptlists_stanza	 st;
};

/* The line callback that assembles stanzas. */
static int
aptlists_stanza_line(const char *line, size_t len, void *arg)
{
	struct aptlists_parse	*ps = arg;
	struct aptlists_stanza	*st = &ps->st;
	const char		*v, *end = line + len;
	size_t			 i, vl;
	int			 rv = 0;

	if (len == 0) {
		if (ps->any)
			rv = ps->cb(st, ps->arg);
		ps->any = 0;
		memset(st->have, 0, sizeof st->have);
		return (rv == -1 ? -1 : 0);
	}
	if (*line == ' ' || *line == '\t' || *line == '#')
		return (0);	/* continuation lines and comments */
	for (i = 0; i < ps->nfields; i++) {
		if (len <= ps->flen[i] || line[ps->flen[i]] != ':' ||
		    strncasecmp(line, ps->fields[i], ps->flen[i]) != 0)
			continue;
		v = line + ps->flen[i] + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			end--;
		vl = end - v;
		if (vl >= APTLISTS_VALUE_MAX)
			vl = APTLISTS_VALUE_MAX - 1;
		memcpy(st->value[i], v, vl);
		st->value[i][vl] = '\0';
		st->len[i] = vl;
		st->have[i] = 1;
		ps->any = 1;
		if (i == 0 && ps->filter != NULL &&
		    !ps->filter(st->value[0], vl, ps->arg)) {
			ps->any = 0;
			memset(st->have, 0, sizeof st->have);
			return (1);
		}
		break;
	}
	ps->any = 1;
	return (0);
}

int
aptlists_stanzas(const char *root, const char *path,
    const char *const *fields, size_t nfields, aptlists_filter_cb filter,
    aptlists_stanza_cb cb, void *arg, char **cause)
{
	struct aptlists_parse	*ps;
	size_t			 i;
	int			 rv;

	if (nfields > APTLISTS_FIELDS_MAX)
		nfields = APTLISTS_FIELDS_MAX;
	ps = xcalloc(1, sizeof *ps);
	ps->fields = fields;
	ps->nfields = nfields;
	for (i = 0; i < nfields; i++)
		ps->flen[i] = strlen(fields[i]);
	ps->filter = filter;
	ps->cb = cb;
	ps->arg = arg;
	rv = aptlists_lines(root, path, aptlists_stanza_line, ps, cause);
	free(ps);
	return (rv);
}
