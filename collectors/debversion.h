/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Debian package version comparison, as dpkg orders versions
 * (deb-version(7)): [epoch:]upstream[-revision].
 */
#ifndef DEBVERSION_H
#define DEBVERSION_H

#include <stddef.h>

/* Compare two versions: < 0, 0 or > 0 as a sorts before, with or after b. */
int	debversion_cmp(const char *a, const char *b);
/* The same for versions that are not NUL-terminated. */
int	debversion_ncmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
