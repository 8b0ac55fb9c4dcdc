/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * What the C library may lack: strlcpy and strlcat (glibc has them from
 * 2.38, Debian 12 has 2.36).  Included by util.h, xmalloc.h and
 * collector.h, so every file that has one of those has these.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <stddef.h>

#ifndef HAVE_STRLCPY
size_t	 strlcpy(char *, const char *, size_t);
#endif
#ifndef HAVE_STRLCAT
size_t	 strlcat(char *, const char *, size_t);
#endif

#endif
