/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * LZ4 frames written by the real lz4 CLI with each option that changes
 * the frame layout decode to the original bytes; corrupt, truncated
 * and foreign input is rejected with a message naming the file.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lz4frame.h"

static char	tmpdir[] = "/tmp/test_lz4frame.XXXXXX";
static char	*orig;
static size_t	 origlen;

/* Run a shell command in tmpdir; returns its exit status. */
static int
sh(const char *fmt, ...)
{
	char	cmd[1024], full[1200];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "cd %s && %s", tmpdir, cmd);
	return (system(full));
}

/* Decode tmpdir/name fully; returns 0 and the data, or -1 and the cause. */
static int
decode(const char *name, char **out, size_t *outlen, char **cause)
{
	char			 path[256];
	struct lz4frame		*lz;
	const char		*data;
	ssize_t			 n;
	int			 fd;
	size_t			 len = 0;
	char			*buf = NULL;

	*cause = NULL;
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	lz = lz4frame_new(fd, name);
	while ((n = lz4frame_read(lz, &data, cause)) > 0) {
		buf = realloc(buf, len + n);
		memcpy(buf + len, data, n);
		len += n;
	}
	lz4frame_free(lz);
	close(fd);
	if (n == -1) {
		free(buf);
		return (-1);
	}
	*out = buf;
	*outlen = len;
	return (0);
}

static int
setup(void **state)
{
	FILE	*f;
	size_t	 i;
	char	 path[256];
	unsigned int	seed = 1;

	(void)state;
	if (system("command -v lz4 >/dev/null 2>&1") != 0)
		return (0);
	assert_non_null(mkdtemp(tmpdir));
	/* Compressible text with some noise, > 4 MiB to span blocks. */
	origlen = 5 * 1024 * 1024 + 123;
	orig = malloc(origlen);
	for (i = 0; i < origlen; i++) {
		seed = seed * 1103515245 + 12345;
		if (i % 97 < 60)
			orig[i] = "Package: openssl\nVersion: 3.0.19-1\n"[i % 35];
		else
			orig[i] = 'a' + (seed >> 16) % 26;
	}
	snprintf(path, sizeof path, "%s/orig", tmpdir);
	f = fopen(path, "w");
	fwrite(orig, 1, origlen, f);
	fclose(f);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	if (orig != NULL)
		sh("rm -f orig *.lz4 empty && cd / && rmdir %s", tmpdir);
	free(orig);
	return (0);
}

/* Compress orig with the given lz4 options and check the round trip. */
static void
roundtrip(const char *opts)
{
	char	*out, *cause;
	size_t	 outlen;

	assert_int_equal(sh("lz4 -q -f %s orig t.lz4", opts), 0);
	if (decode("t.lz4", &out, &outlen, &cause) != 0)
		fail_msg("lz4 %s: %s", opts, cause);
	assert_int_equal(outlen, origlen);
	assert_memory_equal(out, orig, origlen);
	free(out);
}

static void
test_roundtrip(void **state)
{
	(void)state;
	if (orig == NULL)
		skip();
	roundtrip("");			/* 4 MiB blocks, content checksum */
	roundtrip("-B4");		/* 64 KiB blocks, as apt writes */
	roundtrip("-B4 -BD");		/* linked blocks */
	roundtrip("-B5 -BD -BX");	/* block checksums */
	roundtrip("-B6 --no-frame-crc --content-size");
	roundtrip("-1");
	roundtrip("-9 -BD");		/* HC: long matches, far offsets */
}

static void
test_concat_and_empty(void **state)
{
	char	*out, *cause;
	size_t	 outlen;

	(void)state;
	if (orig == NULL)
		skip();
	assert_int_equal(sh("lz4 -q -f -B4 orig a.lz4 && : > empty && "
	    "lz4 -q -f empty e.lz4 && cat a.lz4 e.lz4 a.lz4 > c.lz4"), 0);
	if (decode("c.lz4", &out, &outlen, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(outlen, 2 * origlen);
	assert_memory_equal(out, orig, origlen);
	assert_memory_equal(out + origlen, orig, origlen);
	free(out);
	out = NULL;
	assert_int_equal(decode("e.lz4", &out, &outlen, &cause), 0);
	assert_int_equal(outlen, 0);
	free(out);
}

/* Expect decoding to fail with a message containing want. */
static void
expect_fail(const char *name, const char *want)
{
	char	*out, *cause;
	size_t	 outlen;

	if (decode(name, &out, &outlen, &cause) == 0)
		fail_msg("%s decoded (%zu bytes), expected %s", name, outlen,
		    want);
	if (strstr(cause, want) == NULL || strstr(cause, name) == NULL)
		fail_msg("%s: cause \"%s\", expected \"%s\"", name, cause,
		    want);
	free(cause);
}

static void
test_corrupt(void **state)
{
	(void)state;
	if (orig == NULL)
		skip();
	assert_int_equal(sh("lz4 -q -f -B4 orig a.lz4 && "
	    "lz4 -q -f -B4 --no-frame-crc orig n.lz4"), 0);

	/* Cut inside a block, before the end mark, before the checksum. */
	sh("head -c 100000 a.lz4 > t1.lz4");
	expect_fail("t1.lz4", "truncated");
	sh("head -c $(($(stat -c %%s n.lz4) - 2)) n.lz4 > t2.lz4");
	expect_fail("t2.lz4", "truncated");
	sh("head -c $(($(stat -c %%s a.lz4) - 1)) a.lz4 > t3.lz4");
	expect_fail("t3.lz4", "truncated");
	sh("head -c 5 a.lz4 > t4.lz4");
	expect_fail("t4.lz4", "truncated");

	/* A flipped byte in the data: caught by the content checksum. */
	sh("cp a.lz4 f1.lz4 && printf 'Z' | dd of=f1.lz4 bs=1 seek=3000 "
	    "conv=notrunc 2>/dev/null");
	expect_fail("f1.lz4", "LZ4");
	/* A flipped header byte: caught by the header checksum. */
	sh("cp a.lz4 f2.lz4 && printf '\\164' | dd of=f2.lz4 bs=1 seek=4 "
	    "conv=notrunc 2>/dev/null");
	expect_fail("f2.lz4", "header checksum");
	/* A block size larger than the declared maximum. */
	sh("cp n.lz4 f3.lz4 && printf '\\377\\377\\001\\000' | dd of=f3.lz4 "
	    "bs=1 seek=7 conv=notrunc 2>/dev/null");
	expect_fail("f3.lz4", "block too large");
	/* A match reaching before the start of the output. */
	sh("head -c 7 n.lz4 > f4.lz4 && printf '\\005\\000\\000\\000"
	    "\\020A\\000\\001\\000\\000\\000\\000\\000' >> f4.lz4");
	expect_fail("f4.lz4", "corrupt LZ4 block");
	/* A literal run longer than the block. */
	sh("head -c 7 n.lz4 > f5.lz4 && printf '\\003\\000\\000\\000"
	    "\\360\\377\\377\\000\\000\\000\\000' >> f5.lz4");
	expect_fail("f5.lz4", "corrupt LZ4 block");
	/* Not LZ4 at all, the legacy format, an empty file. */
	sh("cp orig x.lz4 && lz4 -q -f -l orig l.lz4 && : > z.lz4");
	expect_fail("x.lz4", "not an LZ4 frame");
	expect_fail("l.lz4", "legacy");
	expect_fail("z.lz4", "not an LZ4 frame");
	/* Garbage after a valid frame. */
	sh("cat n.lz4 > g.lz4 && printf 'junk' >> g.lz4");
	expect_fail("g.lz4", "not an LZ4 frame");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_concat_and_empty),
		cmocka_unit_test(test_corrupt),
	};
	return (cmocka_run_group_tests(tests, setup, teardown));
}
