/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A reader for GVDB files, the hashed key/value format of GLib that
 * dconf uses for its databases (~/.config/dconf/user, /etc/dconf/db/NAME)
 * and GSettings for gschemas.compiled.
 *
 * Nothing in the file is trusted: every pointer, size, parent chain and
 * serialised GVariant is bounds-checked, and a corrupt file gives an
 * error with a cause, never a crash or an out-of-range read.  Tables
 * borrow the caller's buffer, which must outlive them.
 */
#ifndef GVDB_H
#define GVDB_H

#include <stddef.h>
#include <stdint.h>

/* One hash table (the root or a nested 'H' table) of a GVDB file. */
struct gvdb_table {
	const unsigned char	*data;	/* the whole file, borrowed */
	size_t			 size;
	int			 swap;	/* values are big-endian */
	size_t			 buckets;	/* offset of the bucket array */
	uint32_t		 nbuckets;
	size_t			 items;		/* offset of the hash items */
	uint32_t		 nitems;
};

/* A decoded value; type is the GVariant type string ("u", "b", "s"). */
struct gvdb_value {
	char		 type[16];
	int64_t		 num;		/* b, y, n, q, i, u, x (t if it fits) */
	char		*str;		/* s, o, g: a new string */
};

/* Opens the root table of a file held in buf. */
int	 gvdb_open(const void *buf, size_t len, struct gvdb_table *,
	    char **cause);
/* A nested table ('H' item), e.g. dconf's ".locks". 1 found, 0 absent,
 * -1 corrupt. */
int	 gvdb_get_table(const struct gvdb_table *, const char *key,
	    struct gvdb_table *, char **cause);
/* The value of key ('v' item): 1 found, 0 absent, -1 corrupt or of a
 * type this reader does not decode (cause says which). */
int	 gvdb_get_value(const struct gvdb_table *, const char *key,
	    struct gvdb_value *, char **cause);
/* Whether key is in the table (any item type). 1, 0 or -1. */
int	 gvdb_has(const struct gvdb_table *, const char *key, char **cause);
/* Every full key of a 'v' item, sorted, NULL-terminated (strv_free). */
char	**gvdb_list(const struct gvdb_table *, char **cause);
void	 gvdb_value_clear(struct gvdb_value *);
/* Renders a value as GVariant text ("uint32 300", "true", "'x'"). */
char	*gvdb_value_format(const struct gvdb_value *);

#endif
