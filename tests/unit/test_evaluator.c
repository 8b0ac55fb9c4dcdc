/*
 * Unit tests for agentd/evaluator.c: results with their evidence
 * (observed values, thresholds and where they were set, sources) and
 * messages in English and Japanese.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentd.h"

static const char *policy_text =
"thresholds:\n"
"  - {name: screen_lock.max_idle, type: duration, default: 15m}\n"
"checks:\n"
"  - id: screen_lock.effective\n"
"    title: {en: Screen locks, ja: 画面ロック}\n"
"    severity: high\n"
"    controls: [A.7.7]\n"
"    remediation: {en: fix, ja: 直す}\n"
"    applies: screen_lock.desktop_installed\n"
"    not_applicable: {en: no desktop, ja: デスクトップなし}\n"
"    condition: all(screen_lock.users, .effective_s <= $screen_lock.max_idle)\n"
"  - id: disk.encryption.root\n"
"    title: {en: Root encrypted, ja: ルート暗号化}\n"
"    severity: critical\n"
"    controls: [A.8.24]\n"
"    remediation: {en: fix, ja: 直す}\n"
"    message:\n"
"      pass: {en: 'root {disk.root.name} is on {disk.root.crypt_type}', ja: 'ルート {disk.root.name}'}\n"
"    condition: disk.root.encrypted\n"
"  - id: accounts.empty\n"
"    title: {en: No empty passwords, ja: 空パスワードなし}\n"
"    severity: critical\n"
"    controls: [A.5.17]\n"
"    remediation: {en: fix, ja: 直す}\n"
"    condition: accounts.shadow.empty == 0\n"
"  - id: off.check\n"
"    title: {en: Off, ja: オフ}\n"
"    severity: low\n"
"    controls: [A.8.8]\n"
"    remediation: {en: fix, ja: 直す}\n"
"    condition: 'true'\n";

static struct result *
find(struct results *rs, const char *id)
{
	size_t	i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].check->id, id) == 0)
			return (&rs->v[i]);
	fail_msg("no result for %s", id);
	return (NULL);
}

static struct policy *
load(void)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p = policy_new();

	policy_load_buffer(p, "p.yaml", policy_text, strlen(policy_text), &e);
	assert_int_equal(e.n, 0);
	policy_find_check(p, "off.check")->disabled = 1;
	return (p);
}

static void
test_results_and_evidence(void **state)
{
	struct policy	*p = load();
	struct results	 rs;
	struct result	*r;
	json_t		*facts, *t;

	facts = json_loads("{\"screen_lock\": {\"desktop_installed\": true,"
	    " \"users\": [{\"name\": \"alice\", \"effective_s\": 1800,"
	    " \"_sources\": [\"/home/alice/.config/dconf/user\"]}]},"
	    " \"disk\": {\"root\": {\"name\": \"/\", \"encrypted\": true,"
	    " \"crypt_type\": \"LUKS2\"}, \"_sources\": [\"/proc/self/mountinfo\"]},"
	    " \"accounts\": {\"shadow\": {\"_error\": \"open /etc/shadow: "
	    "Permission denied\"}}}", 0, NULL);
	assert_non_null(facts);
	evaluate(p, facts, 1795312800, &rs);
	assert_int_equal(rs.n, 3);	/* the disabled check is skipped */
	assert_int_equal(rs.count[STATUS_PASS], 1);
	assert_int_equal(rs.count[STATUS_FAIL], 1);
	assert_int_equal(rs.count[STATUS_ERROR], 1);

	r = find(&rs, "screen_lock.effective");
	assert_int_equal(r->status, STATUS_FAIL);
	assert_string_equal(r->message, "screen_lock.users[alice].effective_s "
	    "is 30m, expected <= 15m (screen_lock.max_idle)");
	assert_string_equal(r->message_ja, "screen_lock.users[alice]."
	    "effective_s が 30m（基準: <= 15m、しきい値 screen_lock.max_idle）");
	t = json_object_get(json_object_get(r->evidence, "thresholds"),
	    "screen_lock.max_idle");
	assert_int_equal(json_integer_value(json_object_get(t, "value")), 900);
	assert_string_equal(json_string_value(json_object_get(t, "source")),
	    "policy default (p.yaml:2)");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    r->evidence, "sources"), 0)), "/home/alice/.config/dconf/user");
	assert_string_equal(json_string_value(json_object_get(r->evidence,
	    "collected_at")), "2026-11-22T02:00:00Z");

	r = find(&rs, "disk.encryption.root");
	assert_int_equal(r->status, STATUS_PASS);
	assert_string_equal(r->message, "root / is on LUKS2");
	assert_string_equal(r->message_ja, "ルート /");
	assert_true(json_is_true(json_object_get(json_object_get(r->evidence,
	    "observed"), "disk.root.encrypted")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    r->evidence, "sources"), 0)), "/proc/self/mountinfo");

	r = find(&rs, "accounts.empty");
	assert_int_equal(r->status, STATUS_ERROR);
	assert_string_equal(r->message, "open /etc/shadow: Permission denied");
	results_clear(&rs);
	json_decref(facts);
	policy_free(p);
}

static void
test_not_applicable(void **state)
{
	struct policy	*p = load();
	struct results	 rs;
	struct result	*r;
	json_t		*facts;

	facts = json_loads("{\"screen_lock\": {\"desktop_installed\": false,"
	    " \"users\": []}}", 0, NULL);
	evaluate(p, facts, 0, &rs);
	r = find(&rs, "screen_lock.effective");
	assert_int_equal(r->status, STATUS_NA);
	assert_string_equal(r->message, "no desktop");
	assert_string_equal(r->message_ja, "デスクトップなし");
	/* Missing collectors are errors, never passes. */
	assert_int_equal(find(&rs, "disk.encryption.root")->status,
	    STATUS_ERROR);
	results_clear(&rs);
	json_decref(facts);

	facts = json_loads("{\"screen_lock\": {\"_na\": \"no graphical "
	    "desktop installed\", \"_na_ja\": \"デスクトップ環境がない\"}}",
	    0, NULL);
	evaluate(p, facts, 0, &rs);
	r = find(&rs, "screen_lock.effective");
	assert_int_equal(r->status, STATUS_NA);
	assert_string_equal(r->message, "no graphical desktop installed");
	assert_string_equal(r->message_ja, "デスクトップ環境がない");
	results_clear(&rs);
	json_decref(facts);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_and_evidence),
		cmocka_unit_test(test_not_applicable),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
