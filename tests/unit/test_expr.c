/*
 * Unit tests for agentd/expr.c: the condition language, its
 * three-valued logic and the explanation of failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentd.h"

static const char *facts_json =
"{"
"  \"screen_lock\": {\"desktop_installed\": true, \"users\": ["
"    {\"name\": \"alice\", \"lock_enabled\": true, \"idle_delay_s\": 1800,"
"     \"lock_delay_s\": 0},"
"    {\"name\": \"bob\", \"lock_enabled\": true, \"idle_delay_s\": 300,"
"     \"lock_delay_s\": 30},"
"    {\"name\": \"carol\", \"lock_enabled\": false, \"idle_delay_s\": 300,"
"     \"lock_delay_s\": 0}]},"
"  \"disk\": {\"root\": {\"encrypted\": true, \"crypt_type\": \"LUKS2\","
"    \"_sources\": [\"/proc/self/mountinfo\"]},"
"    \"swap\": {\"devices\": []}},"
"  \"shadow\": {\"_error\": \"open /etc/shadow: Permission denied\"},"
"  \"gui\": {\"_na\": \"no graphical desktop installed\"},"
"  \"users\": [{\"name\": \"x\", \"_error\": \"open /home/x: EACCES\"},"
"             {\"name\": \"y\", \"ok\": false}],"
"  \"never\": {\"effective_s\": null},"
"  \"str\": \"aes256-cbc,aes128-ctr\","
"  \"list\": [\"a\", \"b\"]"
"}";

static json_t *facts, *thr;

static int
setup(void **state)
{
	facts = json_loads(facts_json, 0, NULL);
	thr = json_pack("{s:i,s:i}", "screen_lock.max_idle", 900,
	    "sshd.max_auth_tries", 4);
	return (facts == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	json_decref(facts);
	json_decref(thr);
	return (0);
}

/* Evaluates src and returns its status; *out kept for inspection. */
static enum status
run(const char *src, struct expr_outcome *out)
{
	struct expr	*e;
	char		*cause = NULL;
	int		 col;

	e = expr_parse(src, &cause, &col);
	if (e == NULL)
		fail_msg("parse \"%s\": %s at %d", src, cause, col);
	expr_eval(e, facts, thr, out);
	expr_free(e);
	return (out->status);
}

static enum status
status_of(const char *src)
{
	struct expr_outcome	out;
	enum status		s;

	s = run(src, &out);
	expr_outcome_clear(&out);
	return (s);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = { "", "a ==", "(a", "a b",
	    "all(x)", "exists(a, b)", "nosuch(a)", "'open", "15q", "$",
	    "a == == b", "a..b", "count(1)", NULL };
	char	*cause;
	int	 col, i;

	for (i = 0; bad[i] != NULL; i++) {
		cause = NULL;
		if (expr_parse(bad[i], &cause, &col) != NULL)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
}

static void
test_basic(void **state)
{
	assert_int_equal(status_of("disk.root.encrypted"), STATUS_PASS);
	assert_int_equal(status_of("disk.root.encrypted == true"), STATUS_PASS);
	assert_int_equal(status_of("disk.root.crypt_type == 'LUKS2'"),
	    STATUS_PASS);
	assert_int_equal(status_of("disk.root.crypt_type in ['LUKS1', "
	    "'LUKS2']"), STATUS_PASS);
	assert_int_equal(status_of("not disk.root.encrypted"), STATUS_FAIL);
	assert_int_equal(status_of("15m == 900 and 2h > 1d - 23h"),
	    STATUS_PASS);
	assert_int_equal(status_of("str contains 'cbc'"), STATUS_PASS);
	assert_int_equal(status_of("str matches '(^|,)aes[0-9]+-cbc'"),
	    STATUS_PASS);
	assert_int_equal(status_of("list contains 'b' and not (list "
	    "contains 'c')"), STATUS_PASS);
	assert_int_equal(status_of("count(list) == 2"), STATUS_PASS);
	assert_int_equal(status_of("count(disk.swap.devices) == 0"),
	    STATUS_PASS);
	assert_int_equal(status_of("exists(disk.root) and not "
	    "exists(disk.home)"), STATUS_PASS);
	assert_int_equal(status_of("disk.root"), STATUS_ERROR);
}

static void
test_missing_never_passes(void **state)
{
	struct expr_outcome	out;

	assert_int_equal(run("disk.home.encrypted", &out), STATUS_ERROR);
	assert_string_equal(out.reason, "fact disk.home.encrypted not "
	    "collected");
	expr_outcome_clear(&out);
	assert_int_equal(run("shadow.empty == 0", &out), STATUS_ERROR);
	assert_string_equal(out.reason, "open /etc/shadow: Permission denied");
	expr_outcome_clear(&out);
	assert_int_equal(run("gui.users == 0", &out), STATUS_NA);
	assert_string_equal(out.reason, "no graphical desktop installed");
	expr_outcome_clear(&out);
	/* Kleene logic: false and unknown is false; true or unknown true. */
	assert_int_equal(status_of("false and shadow.x"), STATUS_FAIL);
	assert_int_equal(status_of("shadow.x and false"), STATUS_FAIL);
	assert_int_equal(status_of("true or shadow.x"), STATUS_PASS);
	assert_int_equal(status_of("true and shadow.x"), STATUS_ERROR);
	assert_int_equal(status_of("not shadow.x"), STATUS_ERROR);
	assert_int_equal(status_of("exists(shadow.x)"), STATUS_ERROR);
	/* applicable(): not-applicable facts are a plain false. */
	assert_int_equal(status_of("not applicable(gui)"), STATUS_PASS);
	assert_int_equal(status_of("not applicable(gui) or gui.x"),
	    STATUS_PASS);
	assert_int_equal(status_of("applicable(disk.root)"), STATUS_PASS);
	assert_int_equal(status_of("applicable(shadow)"), STATUS_ERROR);
	/* An element that could not be read makes all() unknown... */
	assert_int_equal(run("all(users, .ok == false)", &out), STATUS_ERROR);
	assert_string_equal(out.reason, "users[x]: open /home/x: EACCES");
	expr_outcome_clear(&out);
	/* ...unless another element is already false. */
	assert_int_equal(status_of("all(users, .ok)"), STATUS_FAIL);
	/* Undefined thresholds are errors. */
	assert_int_equal(status_of("1 < $nope.x"), STATUS_ERROR);
	/* A non-boolean condition is an error, not a pass. */
	assert_int_equal(status_of("disk.root.crypt_type"), STATUS_ERROR);
	assert_int_equal(status_of("1 == 'a' or 1 < 'a'"), STATUS_ERROR);
}

static void
test_null_orders_false(void **state)
{
	assert_int_equal(status_of("never.effective_s <= 900"), STATUS_FAIL);
	assert_int_equal(status_of("never.effective_s > 900"), STATUS_FAIL);
	assert_int_equal(status_of("never.effective_s == null"), STATUS_PASS);
}

static void
test_lists_and_explanations(void **state)
{
	struct expr_outcome	 out;
	json_t			*f;

	assert_int_equal(run("count(screen_lock.users) > 0 and "
	    "all(screen_lock.users, .lock_enabled and "
	    ".idle_delay_s + .lock_delay_s <= $screen_lock.max_idle)", &out),
	    STATUS_FAIL);
	assert_int_equal(json_array_size(out.failures), 2);
	f = json_array_get(out.failures, 0);
	assert_string_equal(json_string_value(json_object_get(f, "subject")),
	    "screen_lock.users[alice].idle_delay_s + "
	    "screen_lock.users[alice].lock_delay_s");
	assert_int_equal(json_integer_value(json_object_get(f, "observed")),
	    1800);
	assert_string_equal(json_string_value(json_object_get(f, "op")), "<=");
	assert_int_equal(json_integer_value(json_object_get(f, "expected")),
	    900);
	assert_string_equal(json_string_value(json_object_get(f,
	    "threshold")), "screen_lock.max_idle");
	f = json_array_get(out.failures, 1);
	assert_string_equal(json_string_value(json_object_get(f, "subject")),
	    "screen_lock.users[carol].lock_enabled");
	/* The list itself is evidence. */
	assert_non_null(json_object_get(out.observed, "screen_lock.users"));
	expr_outcome_clear(&out);

	assert_int_equal(status_of("any(screen_lock.users, .name == 'bob')"),
	    STATUS_PASS);
	assert_int_equal(status_of("none(screen_lock.users, .name == 'eve')"),
	    STATUS_PASS);
	assert_int_equal(status_of("count(screen_lock.users, "
	    ".lock_enabled) == 2"), STATUS_PASS);
	assert_int_equal(status_of("all(list, . in ['a', 'b'])"), STATUS_PASS);

	/* none(): the matching elements are the failures. */
	assert_int_equal(run("none(screen_lock.users, not .lock_enabled)",
	    &out), STATUS_FAIL);
	assert_int_equal(json_array_size(out.failures), 1);
	f = json_array_get(out.failures, 0);
	assert_string_equal(json_string_value(json_object_get(f, "subject")),
	    "screen_lock.users[carol].lock_enabled");
	assert_string_equal(json_string_value(json_object_get(f, "op")), "==");
	expr_outcome_clear(&out);

	/* any() false: the list and the condition are named. */
	assert_int_equal(run("any(screen_lock.users, .name == 'eve')", &out),
	    STATUS_FAIL);
	f = json_array_get(out.failures, 0);
	assert_string_equal(json_string_value(json_object_get(f, "subject")),
	    "screen_lock.users");
	assert_string_equal(json_string_value(json_object_get(f, "op")),
	    "not any");
	assert_string_equal(json_string_value(json_object_get(f, "expected")),
	    ".name == 'eve'");
	assert_int_equal(json_integer_value(json_object_get(f, "observed")), 3);
	expr_outcome_clear(&out);

	/* A literal on the left is mirrored: "4 >= x" reads "x <= 4". */
	assert_int_equal(run("900 >= screen_lock.users.x", &out),
	    STATUS_ERROR);
	expr_outcome_clear(&out);
	assert_int_equal(run("300 >= count(screen_lock.users) * 200", &out),
	    STATUS_FAIL);
	f = json_array_get(out.failures, 0);
	assert_string_equal(json_string_value(json_object_get(f, "op")), "<=");
	expr_outcome_clear(&out);
}

static void
test_thresholds_listed(void **state)
{
	struct expr	*e;
	json_t		*arr;
	char		*cause;

	e = expr_parse("a.b <= $x.y and c.d > $z.w or e.f < $x.y", &cause,
	    NULL);
	assert_non_null(e);
	arr = json_array();
	expr_thresholds(e, arr);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_array_get(arr, 0)), "x.y");
	assert_string_equal(json_string_value(json_array_get(arr, 1)), "z.w");
	json_decref(arr);
	expr_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_missing_never_passes),
		cmocka_unit_test(test_null_orders_false),
		cmocka_unit_test(test_lists_and_explanations),
		cmocka_unit_test(test_thresholds_listed),
	};
	return (cmocka_run_group_tests(tests, setup, teardown));
}
