/*
 * Copyright (c) 1998, 2015 Todd C. Miller <millert@openbsd.org>
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 *
 * strlcpy and strlcat from OpenBSD (lib/libc/string), for a C library
 * without them.  Linking libbsd for two functions cost every process of
 * the daemon two more shared libraries (libbsd, libmd: about 120 kB of
 * resident memory each).
 */
#include <string.h>

#include "compat.h"

#ifndef HAVE_STRLCPY
/*
 * Copies src to dst of size dsize, always NUL-terminated when dsize is
 * not 0.  Returns strlen(src); truncation when that is >= dsize.
 */
size_t
strlcpy(char *dst, const char *src, size_t dsize)
{
	const char	*osrc = src;
	size_t		 nleft = dsize;

	if (nleft != 0) {
		while (--nleft != 0) {
			if ((*dst++ = *src++) == '\0')
				break;
		}
	}
	if (nleft == 0) {
		if (dsize != 0)
			*dst = '\0';
		while (*src++)
			;
	}
	return (src - osrc - 1);
}
#endif

#ifndef HAVE_STRLCAT
/*
 * Appends src to dst of size dsize, always NUL-terminated unless dsize
 * <= strlen(dst).  Returns strlen(src) + MIN(dsize, strlen(initial
 * dst)); truncation when that is >= dsize.
 */
size_t
strlcat(char *dst, const char *src, size_t dsize)
{
	const char	*odst = dst, *osrc = src;
	size_t		 n = dsize, dlen;

	while (n-- != 0 && *dst != '\0')
		dst++;
	dlen = dst - odst;
	n = dsize - dlen;
	if (n-- == 0)
		return (dlen + strlen(src));
	while (*src != '\0') {
		if (n != 0) {
			*dst++ = *src;
			n--;
		}
		src++;
	}
	*dst = '\0';
	return (dlen + (src - osrc));
}
#endif
