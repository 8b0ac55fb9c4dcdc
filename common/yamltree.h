/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A YAML document as a small tree of nodes that remember their file,
 * line and column, so configuration and policy readers can report
 * every error as "file:line:column: message".
 */
#ifndef YAMLTREE_H
#define YAMLTREE_H

#include <stddef.h>
#include <stdint.h>

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP
};

struct ynode {
	enum ynode_type	 type;
	char		*value;		/* scalar text (NUL-terminated) */
	int		 quoted;	/* scalar was quoted: never a number */
	struct ynode	**items;	/* seq items; map: key, value, key, ... */
	size_t		 nitems;	/* seq: items; map: 2 * pairs */
	const char	*file;		/* borrowed from the tree */
	int		 line, column;	/* 1-based */
};

struct ytree {
	char		*file;
	struct ynode	*root;		/* NULL for an empty document */
};

/*
 * Error list: every problem found, in order, as "file:line:column: msg".
 */
struct yerrors {
	char		**msgs;
	size_t		 n;
};

struct ytree	*ytree_parse(const char *file, const char *buf, size_t len,
		    struct yerrors *);
struct ytree	*ytree_load(const char *file, struct yerrors *);
void		 ytree_free(struct ytree *);

void		 yerr(struct yerrors *, const struct ynode *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 yerr_at(struct yerrors *, const char *file, int line,
		    int col, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
void		 yerrors_print(const struct yerrors *);
void		 yerrors_clear(struct yerrors *);

/* Map lookup: the value node for key, or NULL. */
struct ynode	*ynode_get(const struct ynode *map, const char *key);
const char	*ynode_type_name(enum ynode_type);
/* "file:line" of a node, into buf. */
void		 ynode_where(const struct ynode *, char *, size_t);

/* Typed readers: 0 ok, -1 after recording an error naming the node. */
int		 ynode_string(const struct ynode *, const char **,
		    struct yerrors *);
int		 ynode_int(const struct ynode *, int64_t *, struct yerrors *);
int		 ynode_bool(const struct ynode *, int *, struct yerrors *);
int		 ynode_duration(const struct ynode *, int64_t *,
		    struct yerrors *);
/* Checks every key of map is in the NULL-terminated allowed list. */
void		 ynode_check_keys(const struct ynode *, const char *const *,
		    struct yerrors *);

#endif
