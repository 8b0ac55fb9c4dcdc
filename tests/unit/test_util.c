/*
 * Unit tests for common/util.c: durations, RFC 3339 time, root paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sha256.h"
#include "util.h"

#include <openssl/evp.h>

static void
test_duration_parse(void **state)
{
	int64_t	v;
	char	*cause = NULL;

	assert_int_equal(duration_parse("90", &v, NULL), 0);
	assert_int_equal(v, 90);
	assert_int_equal(duration_parse("15m", &v, NULL), 0);
	assert_int_equal(v, 900);
	assert_int_equal(duration_parse("26h", &v, NULL), 0);
	assert_int_equal(v, 26 * 3600);
	assert_int_equal(duration_parse("7d", &v, NULL), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(duration_parse("1h30m", &v, NULL), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(duration_parse("2w", &v, NULL), 0);
	assert_int_equal(v, 14 * 86400);
	assert_int_equal(duration_parse("", &v, NULL), -1);
	assert_int_equal(duration_parse("m", &v, NULL), -1);
	assert_int_equal(duration_parse("15x", &v, NULL), -1);
	assert_int_equal(duration_parse("-5m", &v, NULL), -1);
	assert_int_equal(duration_parse("1h30", &v, NULL), -1);
	assert_int_equal(duration_parse("15M", &v, NULL), -1);
	/* OpenSSH's convtime(): any case, unitless seconds anywhere. */
	assert_int_equal(duration_parse_flags("1H30", &v, DURATION_SSH,
	    INT32_MAX, NULL), 0);
	assert_int_equal(v, 3630);
	assert_int_equal(duration_parse_flags("3000000000", &v, DURATION_SSH,
	    INT32_MAX, NULL), -1);
	assert_int_equal(duration_parse_flags("2w", &v, DURATION_SSH,
	    INT32_MAX, NULL), 0);
	assert_int_equal(v, 1209600);
	assert_int_equal(duration_parse("99999999999999999999d", &v, &cause),
	    -1);
	assert_non_null(strstr(cause, "invalid duration"));
	free(cause);
}

static void
test_duration_format(void **state)
{
	char	*s;

	s = duration_format(900);
	assert_string_equal(s, "15m");
	free(s);
	s = duration_format(86400 * 2);
	assert_string_equal(s, "2d");
	free(s);
	s = duration_format(7200);
	assert_string_equal(s, "2h");
	free(s);
	s = duration_format(61);
	assert_string_equal(s, "61s");
	free(s);
	s = duration_format(0);
	assert_string_equal(s, "0s");
	free(s);
}

static void
test_rfc3339(void **state)
{
	time_t	t;
	char	buf[RFC3339_LEN];

	assert_int_equal(time_parse_rfc3339("2026-11-22T02:00:00Z", &t), 0);
	assert_int_equal(t, 1795312800);
	time_format_rfc3339(t, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-22T02:00:00Z");
	assert_int_equal(time_parse_rfc3339("2026-11-22T11:00:00+09:00", &t),
	    0);
	assert_int_equal(t, 1795312800);
	assert_int_equal(time_parse_rfc3339("2026-11-22T02:00:00.123Z", &t),
	    0);
	assert_int_equal(t, 1795312800);
	assert_int_equal(time_parse_rfc3339("2026-11-22", &t), 0);
	assert_int_equal(t, 1795305600);
	assert_int_equal(time_parse_rfc3339("2026-11-22T02:00:00", &t), -1);
	assert_int_equal(time_parse_rfc3339("yesterday", &t), -1);
	assert_int_equal(time_parse_rfc3339("2026-11-22T02:00:00Zjunk", &t),
	    -1);
}

static void
test_root_files(void **state)
{
	char	*p, *buf, *cause = NULL, **v;
	size_t	 len;

	p = root_path("", "/etc/passwd");
	assert_string_equal(p, "/etc/passwd");
	free(p);
	p = root_path("/img", "/etc/passwd");
	assert_string_equal(p, "/img/etc/passwd");
	free(p);
	assert_int_equal(root_read_file(FIXTURES "/..", "/unit/test_util.c",
	    &buf, &len, NULL), 0);
	assert_true(len > 100);
	assert_int_equal(strlen(buf), len);
	free(buf);
	assert_int_equal(root_read_file("/nonexistent-root", "/etc/shadow",
	    &buf, &len, &cause), -1);
	/* The message names the host path, not the prefixed one. */
	assert_string_equal(cause, "open /etc/shadow: No such file or "
	    "directory");
	free(cause);
	v = root_list_dir(FIXTURES "/..", "/unit", NULL);
	assert_non_null(v);
	assert_non_null(v[0]);
	strv_free(v);
}

static void
test_strings(void **state)
{
	char	 s[] = "  a b \t\n", buf[] = "one\ntwo\n\nthree", *cur, *l;

	assert_string_equal(str_trim(s), "a b");
	assert_true(str_startswith("CRYPT-LUKS2-x", "CRYPT-"));
	assert_false(str_startswith("LVM-x", "CRYPT-"));
	assert_true(str_endswith("daily.cvd", ".cvd"));
	cur = buf;
	l = str_nextline(&cur);
	assert_string_equal(l, "one");
	l = str_nextline(&cur);
	assert_string_equal(l, "two");
	l = str_nextline(&cur);
	assert_string_equal(l, "");
	l = str_nextline(&cur);
	assert_string_equal(l, "three");
	assert_null(str_nextline(&cur));
}

/* FIPS 180-4 examples, block-boundary lengths, and OpenSSL for the rest. */
static void
test_sha256(void **state)
{
	struct sha256	 s;
	unsigned char	 md[32], ref[32], *big;
	unsigned int	 mdlen;
	char		 hex[65];
	size_t		 len, i;

	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a3"
	    "96177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
	    "649b934ca495991b7852b855");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce459"
	    "64ff2167f6ecedd419db06c1");
	/* One million 'a', fed in uneven pieces. */
	big = malloc(1000000);
	memset(big, 'a', 1000000);
	sha256_init(&s);
	for (i = 0; i < 1000000; i += 7)
		sha256_update(&s, big + i, 1000000 - i < 7 ? 1000000 - i : 7);
	sha256_final(&s, md);
	mdlen = sizeof ref;
	EVP_Digest(big, 1000000, ref, &mdlen, EVP_sha256(), NULL);
	assert_memory_equal(md, ref, 32);
	/* Every length around the padding boundaries. */
	for (len = 0; len < 200; len++) {
		sha256_init(&s);
		sha256_update(&s, big, len);
		sha256_final(&s, md);
		EVP_Digest(big, len, ref, &mdlen, EVP_sha256(), NULL);
		assert_memory_equal(md, ref, 32);
	}
	free(big);
}

/* strlcpy and strlcat (common/compat.c where the C library lacks them). */
static void
test_strlcpy(void **state)
{
	char	b[8];

	(void)state;
	assert_int_equal(strlcpy(b, "abc", sizeof b), 3);
	assert_string_equal(b, "abc");
	assert_int_equal(strlcpy(b, "abcdefghij", sizeof b), 10);
	assert_string_equal(b, "abcdefg");
	assert_int_equal(strlcpy(b, "xyz", 0), 3);
	assert_string_equal(b, "abcdefg");
	assert_int_equal(strlcpy(b, "", sizeof b), 0);
	assert_string_equal(b, "");

	strlcpy(b, "ab", sizeof b);
	assert_int_equal(strlcat(b, "cd", sizeof b), 4);
	assert_string_equal(b, "abcd");
	assert_int_equal(strlcat(b, "efghij", sizeof b), 10);
	assert_string_equal(b, "abcdefg");
	assert_int_equal(strlcat(b, "k", sizeof b), 8);
	assert_string_equal(b, "abcdefg");
	/* dst not terminated within dsize: size + strlen(src). */
	memset(b, 'x', sizeof b);
	assert_int_equal(strlcat(b, "abc", 4), 7);
	assert_int_equal(b[3], 'x');
}

/* utf8_seq (RFC 3629) and uuid_v4, shared by the agent and collector. */
static void
test_utf8_uuid(void **state)
{
	char	a[UUID_LEN], b[UUID_LEN];
	size_t	i;

	(void)state;
	assert_int_equal(utf8_seq((const unsigned char *)"a", 1), 1);
	assert_int_equal(utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(utf8_seq((const unsigned char *)"\xe3\x81\x82", 3),
	    3);
	assert_int_equal(utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80",
	    4), 4);
	assert_int_equal(utf8_seq((const unsigned char *)"\xe3\x81\x82", 2),
	    0);		/* cut short */
	assert_int_equal(utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);
	assert_int_equal(utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3),
	    0);		/* overlong */
	assert_int_equal(utf8_seq((const unsigned char *)"\xed\xa0\x80", 3),
	    0);		/* a surrogate */
	assert_int_equal(utf8_seq((const unsigned char *)"\xf4\x90\x80\x80",
	    4), 0);	/* above U+10FFFF */
	assert_int_equal(utf8_seq((const unsigned char *)"\x80", 1), 0);
	assert_int_equal(utf8_seq((const unsigned char *)"", 0), 0);

	uuid_v4(a);
	uuid_v4(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_root_files),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_utf8_uuid),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
