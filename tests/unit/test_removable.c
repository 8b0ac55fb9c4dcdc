/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Tests for the removable media collector on fixture trees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"

extern const struct collector collector_removable;

static json_t *
collect(const char *fixture)
{
	struct collector_ctx	 ctx;
	char			 root[1024];

	snprintf(root, sizeof root, "%s/%s/root", FIXTURES, fixture);
	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = 1795312800;
	return (collector_removable.collect(&ctx));
}

static json_t *
get(json_t *o, const char *path)
{
	char	buf[256], *p, *k;

	strlcpy(buf, path, sizeof buf);
	for (p = buf; (k = strsep(&p, ".")) != NULL && o != NULL;)
		o = json_object_get(o, k);
	return (o);
}

static void
test_blocked(void **state)
{
	json_t	*f = collect("removable-blocked");

	assert_true(json_is_true(get(f, "usb_storage.disabled")));
	assert_true(json_is_true(get(f, "usb_storage.blacklisted")));
	assert_string_equal(json_string_value(get(f,
	    "usb_storage.install_command")), "/bin/false");
	assert_string_equal(json_string_value(get(f,
	    "usb_storage.install_in")), "/etc/modprobe.d/usb-storage.conf:2");
	/* the vendor systemd.conf is read too */
	assert_int_equal(json_integer_value(get(f, "usb_storage.conf_files")),
	    2);
	/* live-only facts */
	assert_non_null(get(f, "usb_storage.loaded._na"));
	json_decref(f);
}

static void
test_blacklist_only(void **state)
{
	json_t	*f = collect("removable-blacklist-only");

	/* "blacklist usb_storage" (underscore) is the same module */
	assert_true(json_is_true(get(f, "usb_storage.blacklisted")));
	assert_true(json_is_false(get(f, "usb_storage.disabled")));
	assert_true(json_is_null(get(f, "usb_storage.install_command")));
	assert_true(json_is_false(get(f, "usbguard.installed")));
	json_decref(f);
}

/* /etc/modprobe.d/X.conf hides /usr/lib/modprobe.d/X.conf, as in kmod. */
static void
test_overridden(void **state)
{
	json_t	*f = collect("removable-overridden");

	assert_true(json_is_false(get(f, "usb_storage.disabled")));
	assert_int_equal(json_integer_value(get(f, "usb_storage.conf_files")),
	    1);
	json_decref(f);
}

static void
test_usbguard(void **state)
{
	json_t	*f = collect("removable-usbguard");

	assert_true(json_is_true(get(f, "usbguard.installed")));
	assert_true(json_is_true(get(f, "usbguard.enabled")));
	assert_string_equal(json_string_value(get(f,
	    "usbguard.implicit_policy_target")), "block");
	assert_true(json_is_false(get(f, "usb_storage.disabled")));
	json_decref(f);
}

static void
test_usbguard_allow(void **state)
{
	json_t	*f = collect("removable-usbguard-allow");

	assert_string_equal(json_string_value(get(f,
	    "usbguard.implicit_policy_target")), "allow");
	json_decref(f);
}

static void
test_none(void **state)
{
	json_t	*f = collect("removable-none");

	assert_true(json_is_false(get(f, "usb_storage.disabled")));
	assert_true(json_is_false(get(f, "usb_storage.blacklisted")));
	assert_int_equal(json_integer_value(get(f, "usb_storage.conf_files")),
	    0);
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked),
		cmocka_unit_test(test_blacklist_only),
		cmocka_unit_test(test_overridden),
		cmocka_unit_test(test_usbguard),
		cmocka_unit_test(test_usbguard_allow),
		cmocka_unit_test(test_none),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
