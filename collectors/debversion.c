/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Debian version comparison, following the algorithm documented in
 * deb-version(7) and implemented by dpkg:
 *
 *  - the epoch (digits before the first ':', 0 if absent) compares
 *    numerically first;
 *  - then the upstream version (up to the last '-'), then the revision
 *    (after the last '-', "" if absent; "" and "0" are equal);
 *  - each part alternates non-digit and digit runs: non-digit runs
 *    compare character by character where '~' sorts before everything,
 *    even the end of the string, letters sort before non-letters, and
 *    digit runs compare numerically.
 *
 * Versions come from files we do not control, so nothing here assumes
 * they are well formed: bad input only gives some consistent order.
 */
#include <ctype.h>
#include <string.h>

#include "debversion.h"

struct dv {
	const char	*s;
	size_t		 len;
};

/* The weight of one character in a non-digit run (0 is the end). */
static int
debversion_order(int c)
{
	if (isdigit(c))
		return (0);
	if (isalpha(c))
		return (c);
	if (c == '~')
		return (-1);
	if (c != '\0')
		return (c + 256);
	return (0);
}

/* Compare one part (upstream or revision) the way dpkg's verrevcmp does. */
static int
debversion_part(struct dv a, struct dv b)
{
	size_t	i = 0, j = 0;
	int	ca, cb, first_diff;

	while (i < a.len || j < b.len) {
		first_diff = 0;
		while ((i < a.len && !isdigit((unsigned char)a.s[i])) ||
		    (j < b.len && !isdigit((unsigned char)b.s[j]))) {
			ca = i < a.len ? debversion_order((unsigned char)a.s[i]) : 0;
			cb = j < b.len ? debversion_order((unsigned char)b.s[j]) : 0;
			if (ca != cb)
				return (ca - cb);
			i++;
			j++;
		}
		while (i < a.len && a.s[i] == '0')
			i++;
		while (j < b.len && b.s[j] == '0')
			j++;
		while (i < a.len && isdigit((unsigned char)a.s[i]) &&
		    j < b.len && isdigit((unsigned char)b.s[j])) {
			if (first_diff == 0)
				first_diff = a.s[i] - b.s[j];
			i++;
			j++;
		}
		if (i < a.len && isdigit((unsigned char)a.s[i]))
			return (1);
		if (j < b.len && isdigit((unsigned char)b.s[j]))
			return (-1);
		if (first_diff != 0)
			return (first_diff);
	}
	return (0);
}

/* Split a version into epoch value, upstream and revision. */
static void
debversion_split(const char *s, size_t len, unsigned long long *epoch,
    struct dv *up, struct dv *rev)
{
	const char	*colon, *dash;
	size_t		 i;

	/* dpkg trims surrounding blanks. */
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;

	*epoch = 0;
	colon = memchr(s, ':', len);
	if (colon != NULL) {
		for (i = 0; s + i < colon; i++) {
			if (!isdigit((unsigned char)s[i]))
				break;
			if (*epoch < 1000000000ULL)
				*epoch = *epoch * 10 + (s[i] - '0');
		}
		len -= colon + 1 - s;
		s = colon + 1;
	}
	dash = NULL;
	for (i = len; i > 0; i--) {
		if (s[i - 1] == '-') {
			dash = s + i - 1;
			break;
		}
	}
	up->s = s;
	if (dash != NULL) {
		up->len = dash - s;
		rev->s = dash + 1;
		rev->len = len - up->len - 1;
	} else {
		up->len = len;
		rev->s = "";
		rev->len = 0;
	}
}

int
debversion_ncmp(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned long long	 ea, eb;
	struct dv		 ua, ra, ub, rb;
	int			 r;

	debversion_split(a, alen, &ea, &ua, &ra);
	debversion_split(b, blen, &eb, &ub, &rb);
	if (ea != eb)
		return (ea < eb ? -1 : 1);
	if ((r = debversion_part(ua, ub)) != 0)
		return (r);
	return (debversion_part(ra, rb));
}

int
debversion_cmp(const char *a, const char *b)
{
	return (debversion_ncmp(a, strlen(a), b, strlen(b)));
}
