/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A small streaming decoder for the LZ4 frame format (lz4 CLI, apt's
 * Acquire::GzipIndexes lists stored as *.lz4).
 */
#ifndef LZ4FRAME_H
#define LZ4FRAME_H

#include <sys/types.h>

struct lz4frame;

/* Decodes the frames read from fd (not owned); name is used in messages. */
struct lz4frame	*lz4frame_new(int fd, const char *name);
/*
 * The next decoded chunk in *data, valid until the next call.  Returns
 * its length, 0 at the end of the stream, or -1 with *cause set.
 */
ssize_t		 lz4frame_read(struct lz4frame *, const char **data,
		    char **cause);
void		 lz4frame_free(struct lz4frame *);

#endif
