/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * GVDB reader (see gvdb.h).
 *
 * Layout (GLib gvdb-format.h): a 24-byte header, "GVariant" as two
 * 32-bit words (byte-reversed when the values are serialised in big
 * endian), a version (0), options, and a pointer {start, end} to the
 * root hash table.  A hash table is {n_bloom_words (low 27 bits),
 * n_buckets}, the bloom words, the buckets (index of the first item of
 * each bucket) and 24-byte hash items {hash, parent, key_start,
 * key_size (16 bits), type, unused, value pointer}.  An item stores
 * only the last segment of its key; the rest is its parent's key, so
 * "/org/gnome/" + "idle-delay" is matched from the end backwards.
 * Values ('v') are serialised GVariants of type "v": the child data,
 * a NUL, then the child's type string.
 *
 * The bloom filter is only an optimisation and is not consulted.
 */
#include <stdlib.h>
#include <string.h>

#include "gvdb.h"
#include "util.h"
#include "xmalloc.h"

#define GVDB_HEADER_LEN		24
#define GVDB_ITEM_LEN		24
#define GVDB_NO_PARENT		0xffffffffU
#define GVDB_KEY_MAX		4096	/* bytes; longer keys are corrupt */

/*
 * Structure fields are little-endian whatever the file's byte order
 * (GLib reads them with guint32_from_le); only values are swapped.
 */
static uint32_t
gvdb_u32(const struct gvdb_table *t, size_t off)
{
	const unsigned char	*p = t->data + off;

	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint16_t
gvdb_u16(const struct gvdb_table *t, size_t off)
{
	const unsigned char	*p = t->data + off;

	return ((uint16_t)(p[0] | p[1] << 8));
}

/* GLib's djb-style key hash, over signed chars as GLib computes it. */
static uint32_t
gvdb_hash(const char *key, size_t len)
{
	uint32_t	h = 5381;
	size_t		i;

	for (i = 0; i < len; i++)
		h = h * 33 + (uint32_t)(int32_t)(signed char)key[i];
	return (h);
}

/* Resolves a {start, end} pointer at off; checks bounds and alignment. */
static int
gvdb_deref(const struct gvdb_table *t, size_t off, size_t align,
    size_t *start, size_t *len)
{
	uint32_t	s, e;

	if (off > t->size || t->size - off < 8)
		return (-1);
	s = gvdb_u32(t, off);
	e = gvdb_u32(t, off + 4);
	if (s > e || e > t->size || (s & (align - 1)) != 0)
		return (-1);
	*start = s;
	*len = e - s;
	return (0);
}

/* Sets up the hash table whose header starts at start (len bytes). */
static int
gvdb_setup(struct gvdb_table *t, size_t start, size_t len, char **cause)
{
	uint32_t	nbloom, nbuckets;

	if (len < 8) {
		xasprintf(cause, "hash table header truncated");
		return (-1);
	}
	nbloom = gvdb_u32(t, start) & ((1U << 27) - 1);
	nbuckets = gvdb_u32(t, start + 4);
	len -= 8;
	if ((uint64_t)nbloom * 4 > len) {
		xasprintf(cause, "bloom filter beyond the table");
		return (-1);
	}
	len -= (size_t)nbloom * 4;
	if ((uint64_t)nbuckets * 4 > len) {
		xasprintf(cause, "hash buckets beyond the table");
		return (-1);
	}
	len -= (size_t)nbuckets * 4;
	t->buckets = start + 8 + (size_t)nbloom * 4;
	t->nbuckets = nbuckets;
	t->items = t->buckets + (size_t)nbuckets * 4;
	t->nitems = len / GVDB_ITEM_LEN;
	return (0);
}

int
gvdb_open(const void *buf, size_t len, struct gvdb_table *t, char **cause)
{
	const unsigned char	*p = buf;
	size_t			 start, rlen;

	memset(t, 0, sizeof *t);
	t->data = p;
	t->size = len;
	if (len < GVDB_HEADER_LEN) {
		xasprintf(cause, "not a GVDB file (%zu bytes)", len);
		return (-1);
	}
	if (memcmp(p, "GVariant", 8) == 0)
		t->swap = 0;
	else if (memcmp(p, "raVGtnai", 8) == 0)
		t->swap = 1;
	else {
		xasprintf(cause, "not a GVDB file (bad signature)");
		return (-1);
	}
	if (gvdb_u32(t, 8) != 0) {
		xasprintf(cause, "unsupported GVDB version %u",
		    gvdb_u32(t, 8));
		return (-1);
	}
	if (gvdb_deref(t, 16, 4, &start, &rlen) != 0) {
		xasprintf(cause, "root table pointer out of bounds");
		return (-1);
	}
	return (gvdb_setup(t, start, rlen, cause));
}

/* The key segment of item i; NULL if it lies outside the file. */
static const char *
gvdb_item_key(const struct gvdb_table *t, uint32_t i, size_t *len)
{
	size_t		off = t->items + (size_t)i * GVDB_ITEM_LEN;
	uint32_t	start;
	uint16_t	size;

	start = gvdb_u32(t, off + 8);
	size = gvdb_u16(t, off + 12);
	if (start > t->size || t->size - start < size)
		return (NULL);
	*len = size;
	return ((const char *)t->data + start);
}

/*
 * Whether item i names key[0..len): its segment must be the tail of the
 * key and its parent must name the rest.  Each step consumes at least
 * one byte, so a parent loop in a corrupt file ends.
 */
static int
gvdb_check_name(const struct gvdb_table *t, uint32_t i, const char *key,
    size_t len)
{
	const char	*seg;
	size_t		 seglen;
	uint32_t	 parent;

	for (;;) {
		if ((seg = gvdb_item_key(t, i, &seglen)) == NULL ||
		    seglen > len)
			return (0);
		len -= seglen;
		if (memcmp(seg, key + len, seglen) != 0)
			return (0);
		parent = gvdb_u32(t, t->items + (size_t)i * GVDB_ITEM_LEN + 4);
		if (len == 0 && parent == GVDB_NO_PARENT)
			return (1);
		if (parent >= t->nitems || seglen == 0)
			return (0);
		i = parent;
	}
}

/* Index of the item named key, or -1 if there is none. */
static int64_t
gvdb_lookup(const struct gvdb_table *t, const char *key)
{
	size_t		len = strlen(key);
	uint32_t	h, bucket, i, last;

	if (t->nbuckets == 0 || t->nitems == 0)
		return (-1);
	h = gvdb_hash(key, len);
	bucket = h % t->nbuckets;
	i = gvdb_u32(t, t->buckets + (size_t)bucket * 4);
	if (bucket == t->nbuckets - 1)
		last = t->nitems;
	else {
		last = gvdb_u32(t, t->buckets + ((size_t)bucket + 1) * 4);
		if (last > t->nitems)
			last = t->nitems;
	}
	for (; i < last; i++) {
		if (gvdb_u32(t, t->items + (size_t)i * GVDB_ITEM_LEN) == h &&
		    gvdb_check_name(t, i, key, len))
			return (i);
	}
	return (-1);
}

static char
gvdb_item_type(const struct gvdb_table *t, uint32_t i)
{
	return ((char)t->data[t->items + (size_t)i * GVDB_ITEM_LEN + 14]);
}

int
gvdb_has(const struct gvdb_table *t, const char *key, char **cause)
{
	return (gvdb_lookup(t, key) >= 0);
}

int
gvdb_get_table(const struct gvdb_table *t, const char *key,
    struct gvdb_table *sub, char **cause)
{
	int64_t	i;
	size_t	start, len;

	if ((i = gvdb_lookup(t, key)) < 0)
		return (0);
	if (gvdb_item_type(t, i) != 'H') {
		xasprintf(cause, "%s: not a table (item type '%c')", key,
		    gvdb_item_type(t, i));
		return (-1);
	}
	*sub = *t;
	if (gvdb_deref(t, t->items + (size_t)i * GVDB_ITEM_LEN + 16, 4,
	    &start, &len) != 0) {
		xasprintf(cause, "%s: table pointer out of bounds", key);
		return (-1);
	}
	if (gvdb_setup(sub, start, len, cause) != 0)
		return (-1);
	return (1);
}

/* Reads a fixed-size integer of n bytes in the file's byte order. */
static uint64_t
gvdb_uint(const struct gvdb_table *t, const unsigned char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (t->swap)
			v = v << 8 | p[i];
		else
			v |= (uint64_t)p[i] << (8 * i);
	}
	return (v);
}

/*
 * Decodes a serialised GVariant of a basic type.  Fixed-size types must
 * have exactly their size (GLib would read a wrong size as zero, which
 * for a security setting is a value nobody set: report it instead).
 */
static int
gvdb_decode(const struct gvdb_table *t, const char *type,
    const unsigned char *p, size_t n, struct gvdb_value *v, char **cause)
{
	size_t	want;

	if (strlen(type) >= sizeof v->type) {
		xasprintf(cause, "unsupported GVariant type '%.20s...'", type);
		return (-1);
	}
	strlcpy(v->type, type, sizeof v->type);
	if (type[0] == '\0' || type[1] != '\0')
		goto unsupported;
	switch (type[0]) {
	case 'b':
	case 'y':
		want = 1;
		break;
	case 'n':
	case 'q':
		want = 2;
		break;
	case 'i':
	case 'u':
		want = 4;
		break;
	case 'x':
	case 't':
		want = 8;
		break;
	case 's':
	case 'o':
	case 'g':
		if (n == 0 || p[n - 1] != '\0' || memchr(p, '\0', n) !=
		    p + n - 1) {
			xasprintf(cause, "malformed string value");
			return (-1);
		}
		v->str = xstrdup((const char *)p);
		return (0);
	default:
		goto unsupported;
	}
	if (n != want) {
		xasprintf(cause, "value of type '%s' has %zu bytes, not %zu",
		    type, n, want);
		return (-1);
	}
	switch (type[0]) {
	case 'b':
		if (p[0] > 1) {
			xasprintf(cause, "malformed boolean value %u", p[0]);
			return (-1);
		}
		v->num = p[0];
		break;
	case 'y':
		v->num = p[0];
		break;
	case 'n':
		v->num = (int16_t)gvdb_uint(t, p, 2);
		break;
	case 'q':
		v->num = (uint16_t)gvdb_uint(t, p, 2);
		break;
	case 'i':
		v->num = (int32_t)gvdb_uint(t, p, 4);
		break;
	case 'u':
		v->num = (uint32_t)gvdb_uint(t, p, 4);
		break;
	case 'x':
		v->num = (int64_t)gvdb_uint(t, p, 8);
		break;
	case 't':
		if (gvdb_uint(t, p, 8) > INT64_MAX) {
			xasprintf(cause, "uint64 value out of range");
			return (-1);
		}
		v->num = (int64_t)gvdb_uint(t, p, 8);
		break;
	}
	return (0);
unsupported:
	xasprintf(cause, "unsupported GVariant type '%s'", type);
	return (-1);
}

int
gvdb_get_value(const struct gvdb_table *t, const char *key,
    struct gvdb_value *v, char **cause)
{
	const unsigned char	*p;
	int64_t			 i;
	size_t			 start, len, z;
	char			 type[64];

	memset(v, 0, sizeof *v);
	if ((i = gvdb_lookup(t, key)) < 0)
		return (0);
	if (gvdb_item_type(t, i) != 'v') {
		xasprintf(cause, "%s: not a value (item type '%c')", key,
		    gvdb_item_type(t, i));
		return (-1);
	}
	if (gvdb_deref(t, t->items + (size_t)i * GVDB_ITEM_LEN + 16, 8,
	    &start, &len) != 0) {
		xasprintf(cause, "%s: value pointer out of bounds", key);
		return (-1);
	}
	/* A "v": child data, NUL, type string; find the last NUL. */
	p = t->data + start;
	for (z = len; z > 0; z--) {
		if (p[z - 1] == '\0')
			break;
	}
	if (z == 0 || len - z == 0 || len - z >= sizeof type) {
		xasprintf(cause, "%s: malformed variant value", key);
		return (-1);
	}
	memcpy(type, p + z, len - z);
	type[len - z] = '\0';
	if (gvdb_decode(t, type, p, z - 1, v, cause) != 0) {
		char	*c = *cause;

		xasprintf(cause, "%s: %s", key, c);
		free(c);
		return (-1);
	}
	return (1);
}

static int
gvdb_strcmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

char **
gvdb_list(const struct gvdb_table *t, char **cause)
{
	char		**v, *key;
	const char	 *seg;
	size_t		  n = 0, seglen, klen, depth;
	uint32_t	  i, j;

	v = xcalloc((size_t)t->nitems + 1, sizeof *v);
	key = xmalloc(GVDB_KEY_MAX + 1);
	for (i = 0; i < t->nitems; i++) {
		if (gvdb_item_type(t, i) != 'v')
			continue;
		/* Build the key from its tail, walking up the parents. */
		klen = 0;
		key[GVDB_KEY_MAX] = '\0';
		j = i;
		for (depth = 0;; depth++) {
			if (depth > t->nitems ||
			    (seg = gvdb_item_key(t, j, &seglen)) == NULL ||
			    seglen > GVDB_KEY_MAX - klen)
				goto corrupt;
			klen += seglen;
			memcpy(key + GVDB_KEY_MAX - klen, seg, seglen);
			j = gvdb_u32(t, t->items + (size_t)j * GVDB_ITEM_LEN +
			    4);
			if (j == GVDB_NO_PARENT)
				break;
			if (j >= t->nitems)
				goto corrupt;
		}
		if (memchr(key + GVDB_KEY_MAX - klen, '\0', klen) != NULL)
			goto corrupt;
		v[n++] = xstrdup(key + GVDB_KEY_MAX - klen);
	}
	free(key);
	qsort(v, n, sizeof *v, gvdb_strcmp);
	return (v);
corrupt:
	xasprintf(cause, "malformed key in item %u", i);
	free(key);
	strv_free(v);
	return (NULL);
}

void
gvdb_value_clear(struct gvdb_value *v)
{
	free(v->str);
	memset(v, 0, sizeof *v);
}

char *
gvdb_value_format(const struct gvdb_value *v)
{
	const char	*prefix = "";
	char		*s;

	switch (v->type[0]) {
	case 'b':
		return (xstrdup(v->num ? "true" : "false"));
	case 's':
	case 'o':
	case 'g':
		xasprintf(&s, "'%s'", v->str);
		return (s);
	case 'y':
		prefix = "byte ";
		break;
	case 'n':
		prefix = "int16 ";
		break;
	case 'q':
		prefix = "uint16 ";
		break;
	case 'u':
		prefix = "uint32 ";
		break;
	case 'x':
		prefix = "int64 ";
		break;
	case 't':
		prefix = "uint64 ";
		break;
	}
	xasprintf(&s, "%s%lld", prefix, (long long)v->num);
	return (s);
}
