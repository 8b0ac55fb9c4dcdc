/*
 * Unit tests for agentd/policy.c: loading, validation with every error
 * reported as file:line:column, and the 2013 crosswalk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentd.h"
#include "unit.h"

static const char *good =
"thresholds:\n"
"  - name: screen_lock.max_idle\n"
"    type: duration\n"
"    default: 15m\n"
"checks:\n"
"  - id: screen_lock.effective\n"
"    title: {en: Screen locks, ja: 画面ロック}\n"
"    severity: high\n"
"    controls: [A.7.7, A.8.1]\n"
"    remediation: {en: fix it, ja: 直す}\n"
"    condition: all(screen_lock.users, .effective_s <= $screen_lock.max_idle)\n";

static void
load(struct policy *p, const char *text, struct yerrors *e)
{
	policy_load_buffer(p, "test.yaml", text, strlen(text), e);
}

static void
test_good_policy(void **state)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();
	struct check	*c;
	struct threshold *t;

	load(p, good, &e);
	assert_int_equal(e.n, 0);
	assert_int_equal(p->nchecks, 1);
	c = policy_find_check(p, "screen_lock.effective");
	assert_non_null(c);
	assert_string_equal(c->title.ja, "画面ロック");
	assert_int_equal(c->severity, SEV_HIGH);
	assert_string_equal(c->where, "test.yaml:6");
	/* A.7.7 <- A.11.2.9, A.8.1 <- A.6.2.1 + A.11.2.8, sorted. */
	assert_int_equal(json_array_size(c->controls_2013), 3);
	assert_string_equal(json_string_value(json_array_get(
	    c->controls_2013, 0)), "A.6.2.1");
	assert_string_equal(json_string_value(json_array_get(
	    c->controls_2013, 1)), "A.11.2.8");
	assert_string_equal(json_string_value(json_array_get(
	    c->controls_2013, 2)), "A.11.2.9");
	t = policy_find_threshold(p, "screen_lock.max_idle");
	assert_non_null(t);
	assert_int_equal(json_integer_value(t->value), 900);
	assert_string_equal(t->source, "policy default (test.yaml:4)");
	policy_free(p);
}

static void
test_every_error_reported(void **state)
{
	static const char *bad =
"checks:\n"
"  - id: Bad.ID\n"
"    title: x\n"
"  - id: a.b\n"
"    title: {en: x, ja: y}\n"
"    severity: urgent\n"
"    controls: [A.99.1]\n"
"    remediation: {en: x, ja: y}\n"
"    condition: a.b ==\n"
"    colour: red\n"
"  - id: c.d\n"
"    title: {en: x}\n"
"    severity: low\n"
"    controls: [A.8.8]\n"
"    remediation: {en: x, ja: y}\n"
"    condition: x.y\n";
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();

	load(p, bad, &e);
	assert_int_equal(p->nchecks, 0);
	assert_true(unit_has_error(&e,
	    "test.yaml:2:9: check id must be lower"));
	assert_true(unit_has_error(&e,
	    "test.yaml:6:15: unknown severity "
	    "\"urgent\""));
	assert_true(unit_has_error(&e,
	    "test.yaml:7:16: unknown ISO/IEC "
	    "27001:2022 Annex A control \"A.99.1\""));
	assert_true(unit_has_error(&e,
	    "test.yaml:9:16: condition: unexpected end"));
	assert_true(unit_has_error(&e,
	    "test.yaml:10:5: unknown key \"colour\""));
	assert_true(unit_has_error(&e,
	    "test.yaml:12:12: text has no \"ja\""));
	assert_true(e.n >= 6);
	yerrors_clear(&e);
	policy_free(p);
}

static void
test_yaml_syntax_error(void **state)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();

	load(p, "checks:\n  - id: a.b\n    title: [unclosed\n", &e);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msgs[0], "test.yaml:4:1: "));
	yerrors_clear(&e);
	load(p, "checks: []\nchecks: []\n", &e);
	assert_true(unit_has_error(&e,
	    "test.yaml:2:1: duplicate key \"checks\""));
	yerrors_clear(&e);
	load(p, "a: &x 1\nb: *x\n", &e);
	assert_true(unit_has_error(&e, "aliases are not supported"));
	yerrors_clear(&e);
	policy_free(p);
}

static void
test_duplicates_and_undefined(void **state)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();

	load(p, good, &e);
	load(p, good, &e);
	assert_true(unit_has_error(&e, "threshold screen_lock.max_idle defined "
	    "twice"));
	assert_true(unit_has_error(&e,
	    "check screen_lock.effective defined twice"));
	yerrors_clear(&e);
	policy_free(p);
}

static void
test_builtin_policies_valid(void **state)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();
	struct check	*c;
	size_t		 i;

	policy_load_builtin(p, &e);
	for (i = 0; i < e.n; i++)
		print_message("%s\n", e.msgs[i]);
	assert_int_equal(e.n, 0);
	assert_true(p->nchecks > 0);
	/* Every check maps to a 2022 control and has derived 2013 ids. */
	TAILQ_FOREACH(c, &p->checks, entry) {
		assert_true(json_array_size(c->controls) > 0);
		assert_non_null(c->title.ja);
		assert_non_null(c->remediation.ja);
	}
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_policy),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_yaml_syntax_error),
		cmocka_unit_test(test_duplicates_and_undefined),
		cmocka_unit_test(test_builtin_policies_valid),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
