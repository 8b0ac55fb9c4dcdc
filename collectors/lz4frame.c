/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A streaming LZ4 frame decoder (LZ4 Frame Format Description 1.6.x and
 * LZ4 Block Format Description, github.com/lz4/lz4 doc/).
 *
 * One block is decoded at a time: memory is one compressed block, one
 * decoded block and, for linked blocks, the 64 KiB window before it,
 * all sized from the frame descriptor (64 KiB blocks, as apt writes
 * them, need about 200 KiB; the 4 MiB maximum about 8 MiB).  Input is
 * untrusted: every length and match offset is checked before use, the
 * header checksum always and block and content checksums (XXH32) when
 * the frame carries them.  Skippable frames are skipped; concatenated
 * frames are decoded in turn; legacy frames and dictionaries are
 * refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lz4frame.h"
#include "xmalloc.h"

#define LZ4_MAGIC		0x184D2204U
#define LZ4_LEGACY_MAGIC	0x184C2102U
#define LZ4_SKIP_MAGIC		0x184D2A50U	/* low 4 bits free */
#define LZ4_WINDOW		65536		/* bytes a match may reach back */
#define LZ4_SLACK		32		/* bytes of room for wide copies */

struct xxh32 {
	uint32_t	v[4];
	uint64_t	total;
	uint8_t		mem[16];
	size_t		memsize;
};

struct lz4frame {
	int		 fd;
	char		*name;
	int		 state;
#define LZ4S_HEADER	0	/* before a frame (or at the end) */
#define LZ4S_BLOCKS	1
#define LZ4S_DONE	2
	int		 independent;
	int		 block_sum;
	int		 content_sum;
	int		 has_size;
	uint64_t	 content_size;
	uint64_t	 produced;	/* bytes of this frame so far */
	size_t		 block_max;
	uint8_t		*in;		/* block_max + LZ4_SLACK */
	uint8_t		*out;		/* LZ4_WINDOW + block_max + LZ4_SLACK */
	size_t		 cap;		/* block_max the buffers fit */
	size_t		 hist;		/* window bytes at out[0] */
	int		 nframes;
	struct xxh32	 xxh;
};

#define XXH_P1	2654435761U
#define XXH_P2	2246822519U
#define XXH_P3	3266489917U
#define XXH_P4	668265263U
#define XXH_P5	374761393U

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint32_t
rotl32(uint32_t x, int r)
{
	return ((x << r) | (x >> (32 - r)));
}

static uint32_t
xxh32_round(uint32_t acc, uint32_t in)
{
	acc += in * XXH_P2;
	acc = rotl32(acc, 13);
	return (acc * XXH_P1);
}

static void
xxh32_init(struct xxh32 *x)
{
	memset(x, 0, sizeof *x);
	x->v[0] = XXH_P1 + XXH_P2;
	x->v[1] = XXH_P2;
	x->v[2] = 0;
	x->v[3] = 0 - XXH_P1;
}

/* Feed bytes to a running XXH32 (seed 0). */
static void
xxh32_update(struct xxh32 *x, const uint8_t *p, size_t len)
{
	const uint8_t	*end = p + len;
	size_t		 n;

	x->total += len;
	if (x->memsize + len < 16) {
		memcpy(x->mem + x->memsize, p, len);
		x->memsize += len;
		return;
	}
	if (x->memsize > 0) {
		n = 16 - x->memsize;
		memcpy(x->mem + x->memsize, p, n);
		p += n;
		x->v[0] = xxh32_round(x->v[0], rd32(x->mem));
		x->v[1] = xxh32_round(x->v[1], rd32(x->mem + 4));
		x->v[2] = xxh32_round(x->v[2], rd32(x->mem + 8));
		x->v[3] = xxh32_round(x->v[3], rd32(x->mem + 12));
		x->memsize = 0;
	}
	while (end - p >= 16) {
		x->v[0] = xxh32_round(x->v[0], rd32(p));
		x->v[1] = xxh32_round(x->v[1], rd32(p + 4));
		x->v[2] = xxh32_round(x->v[2], rd32(p + 8));
		x->v[3] = xxh32_round(x->v[3], rd32(p + 12));
		p += 16;
	}
	x->memsize = end - p;
	memcpy(x->mem, p, x->memsize);
}

/* The XXH32 digest of everything fed so far. */
static uint32_t
xxh32_digest(const struct xxh32 *x)
{
	const uint8_t	*p = x->mem, *end = x->mem + x->memsize;
	uint32_t	 h;

	if (x->total >= 16)
		h = rotl32(x->v[0], 1) + rotl32(x->v[1], 7) +
		    rotl32(x->v[2], 12) + rotl32(x->v[3], 18);
	else
		h = x->v[2] + XXH_P5;
	h += (uint32_t)x->total;
	while (end - p >= 4) {
		h += rd32(p) * XXH_P3;
		h = rotl32(h, 17) * XXH_P4;
		p += 4;
	}
	while (p < end) {
		h += (*p++) * XXH_P5;
		h = rotl32(h, 11) * XXH_P1;
	}
	h ^= h >> 15;
	h *= XXH_P2;
	h ^= h >> 13;
	h *= XXH_P3;
	h ^= h >> 16;
	return (h);
}

static uint32_t
xxh32(const uint8_t *p, size_t len)
{
	struct xxh32	x;

	xxh32_init(&x);
	xxh32_update(&x, p, len);
	return (xxh32_digest(&x));
}

/* Read exactly len bytes; returns bytes read (short at end of file) or -1. */
static ssize_t
lz4frame_fill(struct lz4frame *lz, void *buf, size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = read(lz->fd, (char *)buf + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0)
			break;
		done += n;
	}
	return (done);
}

/* Read exactly len bytes or explain why not. */
static int
lz4frame_need(struct lz4frame *lz, void *buf, size_t len, char **cause)
{
	ssize_t	n;

	n = lz4frame_fill(lz, buf, len);
	if (n == -1) {
		xasprintf(cause, "read %s: %s", lz->name, strerror(errno));
		return (-1);
	}
	if ((size_t)n != len) {
		xasprintf(cause, "%s: truncated LZ4 frame", lz->name);
		return (-1);
	}
	return (0);
}

/*
 * Decode one LZ4 block from src into dst, at most cap bytes; matches
 * may reach back to low (the start of the window).  Both buffers have
 * LZ4_SLACK bytes of room past their ends for wide copies.  Returns the
 * decoded length or -1 if the block is malformed.
 */
static ssize_t
lz4_block(const uint8_t *src, size_t srclen, uint8_t *dst, size_t cap,
    const uint8_t *low)
{
	const uint8_t	*ip = src, *iend = src + srclen, *match;
	uint8_t		*op = dst, *oend = dst + cap;
	size_t		 len, off, i;
	unsigned int	 token, b;

	for (;;) {
		if (ip >= iend)
			return (-1);
		token = *ip++;
		len = token >> 4;
		if (len == 15) {
			do {
				if (ip >= iend)
					return (-1);
				b = *ip++;
				len += b;
			} while (b == 255);
		}
		if ((size_t)(iend - ip) < len || (size_t)(oend - op) < len)
			return (-1);
		if (len <= 16)
			memcpy(op, ip, 16);	/* within the slack */
		else
			memcpy(op, ip, len);
		op += len;
		ip += len;
		if (ip == iend)
			break;		/* the last sequence has no match */
		if (iend - ip < 2)
			return (-1);
		off = ip[0] | (size_t)ip[1] << 8;
		ip += 2;
		if (off == 0 || off > (size_t)(op - low))
			return (-1);
		len = token & 15;
		if (len == 15) {
			do {
				if (ip >= iend)
					return (-1);
				b = *ip++;
				len += b;
			} while (b == 255);
		}
		len += 4;
		if ((size_t)(oend - op) < len)
			return (-1);
		match = op - off;
		if (off >= 16 && len <= 16)
			memcpy(op, match, 16);	/* within the slack */
		else if (off >= len)
			memcpy(op, match, len);
		else if (off >= 8) {
			for (i = 0; i < len; i += 8)
				memcpy(op + i, match + i, 8);
		} else {
			for (i = 0; i < len; i++)
				op[i] = match[i];
		}
		op += len;
	}
	return (op - dst);
}

/* Parse a frame header after its magic number. */
static int
lz4frame_header(struct lz4frame *lz, char **cause)
{
	uint8_t	d[15];
	size_t	dlen = 2, bmax;
	int	flg, bd;

	if (lz4frame_need(lz, d, 2, cause) != 0)
		return (-1);
	flg = d[0];
	bd = d[1];
	if ((flg >> 6) != 1 || (flg & 0x02) != 0 || (bd & 0x8f) != 0 ||
	    ((bd >> 4) & 7) < 4) {
		xasprintf(cause, "%s: bad LZ4 frame descriptor", lz->name);
		return (-1);
	}
	if (flg & 0x01) {
		xasprintf(cause, "%s: LZ4 frame needs a dictionary", lz->name);
		return (-1);
	}
	lz->independent = (flg >> 5) & 1;
	lz->block_sum = (flg >> 4) & 1;
	lz->has_size = (flg >> 3) & 1;
	lz->content_sum = (flg >> 2) & 1;
	if (lz->has_size) {
		if (lz4frame_need(lz, d + dlen, 8, cause) != 0)
			return (-1);
		lz->content_size = rd32(d + dlen) |
		    (uint64_t)rd32(d + dlen + 4) << 32;
		dlen += 8;
	}
	if (lz4frame_need(lz, d + dlen, 1, cause) != 0)
		return (-1);
	if (((xxh32(d, dlen) >> 8) & 0xff) != d[dlen]) {
		xasprintf(cause, "%s: LZ4 header checksum mismatch", lz->name);
		return (-1);
	}
	bmax = (size_t)1 << (8 + 2 * ((bd >> 4) & 7));
	if (bmax > lz->cap) {
		free(lz->in);
		free(lz->out);
		lz->in = xmalloc(bmax + LZ4_SLACK);
		lz->out = xmalloc(LZ4_WINDOW + bmax + LZ4_SLACK);
		lz->cap = bmax;
	}
	lz->block_max = bmax;
	lz->hist = 0;
	lz->produced = 0;
	if (lz->content_sum)
		xxh32_init(&lz->xxh);
	lz->state = LZ4S_BLOCKS;
	lz->nframes++;
	return (0);
}

/* Find the next frame: 1 found, 0 clean end of stream, -1 error. */
static int
lz4frame_next(struct lz4frame *lz, char **cause)
{
	uint8_t		m[4];
	uint32_t	magic, skip;
	ssize_t		n;
	char		buf[4096];

	for (;;) {
		n = lz4frame_fill(lz, m, 4);
		if (n == -1) {
			xasprintf(cause, "read %s: %s", lz->name,
			    strerror(errno));
			return (-1);
		}
		if (n == 0 && lz->nframes > 0)
			return (0);
		if (n != 4) {
			xasprintf(cause, "%s: %s", lz->name, lz->nframes > 0 ?
			    "truncated LZ4 frame" : "not an LZ4 frame");
			return (-1);
		}
		magic = rd32(m);
		if (magic == LZ4_MAGIC)
			return (lz4frame_header(lz, cause) == 0 ? 1 : -1);
		if ((magic & 0xfffffff0U) != LZ4_SKIP_MAGIC) {
			xasprintf(cause, "%s: %s", lz->name,
			    magic == LZ4_LEGACY_MAGIC ?
			    "legacy LZ4 format not supported" :
			    "not an LZ4 frame");
			return (-1);
		}
		if (lz4frame_need(lz, m, 4, cause) != 0)
			return (-1);
		for (skip = rd32(m); skip > 0; skip -= n) {
			n = skip < sizeof buf ? skip : sizeof buf;
			if (lz4frame_need(lz, buf, n, cause) != 0)
				return (-1);
		}
		lz->nframes++;
	}
}

/* End of a frame: check the content size and checksum. */
static int
lz4frame_end(struct lz4frame *lz, char **cause)
{
	uint8_t	c[4];

	if (lz->has_size && lz->produced != lz->content_size) {
		xasprintf(cause, "%s: LZ4 content size mismatch", lz->name);
		return (-1);
	}
	if (lz->content_sum) {
		if (lz4frame_need(lz, c, 4, cause) != 0)
			return (-1);
		if (rd32(c) != xxh32_digest(&lz->xxh)) {
			xasprintf(cause, "%s: LZ4 content checksum mismatch",
			    lz->name);
			return (-1);
		}
	}
	lz->state = LZ4S_HEADER;
	return (0);
}

struct lz4frame *
lz4frame_new(int fd, const char *name)
{
	struct lz4frame	*lz;

	lz = xcalloc(1, sizeof *lz);
	lz->fd = fd;
	lz->name = xstrdup(name);
	return (lz);
}

ssize_t
lz4frame_read(struct lz4frame *lz, const char **data, char **cause)
{
	uint8_t		 h[4];
	uint32_t	 bsize;
	size_t		 len;
	ssize_t		 n;
	uint8_t		*dst;
	int		 r;

	for (;;) {
		if (lz->state == LZ4S_DONE)
			return (0);
		if (lz->state == LZ4S_HEADER) {
			if ((r = lz4frame_next(lz, cause)) <= 0) {
				if (r == 0)
					lz->state = LZ4S_DONE;
				return (r);
			}
			continue;
		}
		if (lz4frame_need(lz, h, 4, cause) != 0)
			return (-1);
		bsize = rd32(h);
		if (bsize == 0) {
			if (lz4frame_end(lz, cause) != 0)
				return (-1);
			continue;
		}
		len = bsize & 0x7fffffffU;
		if (len > lz->block_max) {
			xasprintf(cause, "%s: LZ4 block too large", lz->name);
			return (-1);
		}
		if (lz4frame_need(lz, lz->in, len, cause) != 0)
			return (-1);
		if (lz->block_sum) {
			if (lz4frame_need(lz, h, 4, cause) != 0)
				return (-1);
			if (rd32(h) != xxh32(lz->in, len)) {
				xasprintf(cause, "%s: LZ4 block checksum "
				    "mismatch", lz->name);
				return (-1);
			}
		}

		/* Keep the last 64 KiB of output for linked blocks. */
		if (lz->independent)
			lz->hist = 0;
		else if (lz->hist > LZ4_WINDOW) {
			memmove(lz->out, lz->out + lz->hist - LZ4_WINDOW,
			    LZ4_WINDOW);
			lz->hist = LZ4_WINDOW;
		}
		dst = lz->out + lz->hist;
		if (bsize & 0x80000000U) {
			memcpy(dst, lz->in, len);
			n = len;
		} else {
			n = lz4_block(lz->in, len, dst, lz->block_max,
			    lz->out);
			if (n == -1) {
				xasprintf(cause, "%s: corrupt LZ4 block",
				    lz->name);
				return (-1);
			}
		}
		lz->hist += n;
		lz->produced += n;
		if (lz->content_sum)
			xxh32_update(&lz->xxh, dst, n);
		if (n == 0)
			continue;
		*data = (const char *)dst;
		return (n);
	}
}

void
lz4frame_free(struct lz4frame *lz)
{
	if (lz == NULL)
		return;
	free(lz->in);
	free(lz->out);
	free(lz->name);
	free(lz);
}
