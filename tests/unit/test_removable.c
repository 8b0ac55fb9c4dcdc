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
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"
#include "unit.h"

extern const struct collector collector_removable;

static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_removable, name, UNIT_NOW));
}

static void
test_blocked(void **state)
{
	json_t	*f = collect("removable-blocked");

	assert_true(json_is_true(unit_path(f, "usb_storage.disabled")));
	assert_true(json_is_true(unit_path(f, "usb_storage.blacklisted")));
	assert_string_equal(json_string_value(unit_path(f,
	    "usb_storage.install_command")), "/bin/false");
	assert_string_equal(json_string_value(unit_path(f,
	    "usb_storage.install_in")), "/etc/modprobe.d/usb-storage.conf:2");
	/* the vendor systemd.conf is read too */
	assert_int_equal(json_integer_value(unit_path(f,
	    "usb_storage.conf_files")),
	    2);
	/* live-only facts */
	assert_non_null(unit_path(f, "usb_storage.loaded._na"));
	json_decref(f);
}

static void
test_blacklist_only(void **state)
{
	json_t	*f = collect("removable-blacklist-only");

	/* "blacklist usb_storage" (underscore) is the same module */
	assert_true(json_is_true(unit_path(f, "usb_storage.blacklisted")));
	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
	assert_true(json_is_null(unit_path(f, "usb_storage.install_command")));
	assert_true(json_is_false(unit_path(f, "usbguard.installed")));
	json_decref(f);
}

/* /etc/modprobe.d/X.conf hides /usr/lib/modprobe.d/X.conf, as in kmod. */
static void
test_overridden(void **state)
{
	json_t	*f = collect("removable-overridden");

	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
	assert_int_equal(json_integer_value(unit_path(f,
	    "usb_storage.conf_files")),
	    1);
	json_decref(f);
}

static void
test_usbguard(void **state)
{
	json_t	*f = collect("removable-usbguard");

	assert_true(json_is_true(unit_path(f, "usbguard.installed")));
	assert_true(json_is_true(unit_path(f, "usbguard.enabled")));
	assert_string_equal(json_string_value(unit_path(f,
	    "usbguard.implicit_policy_target")), "block");
	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
	json_decref(f);
}

static void
test_usbguard_allow(void **state)
{
	json_t	*f = collect("removable-usbguard-allow");

	assert_string_equal(json_string_value(unit_path(f,
	    "usbguard.implicit_policy_target")), "allow");
	json_decref(f);
}

static void
test_none(void **state)
{
	json_t	*f = collect("removable-none");

	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
	assert_true(json_is_false(unit_path(f, "usb_storage.blacklisted")));
	assert_int_equal(json_integer_value(unit_path(f,
	    "usb_storage.conf_files")),
	    0);
	json_decref(f);
}

/* Runs the collector on a tree with one modprobe.d file of this text. */
static json_t *
collect_conf(const char *text)
{
	char	*tmp = unit_tmpdir("test_removable");
	json_t	*f;

	unit_put(tmp, "/etc/modprobe.d/local.conf", text);
	f = unit_collect_root(&collector_removable, tmp, UNIT_NOW);
	unit_rmtree(tmp);
	return (f);
}

static void
test_install_commands(void **state)
{
	json_t	*f;

	f = collect_conf("install usb_storage /usr/bin/true\n");
	assert_true(json_is_true(unit_path(f, "usb_storage.disabled")));
	json_decref(f);
	/* the Debian idiom for "load it anyway" is not a disable */
	f = collect_conf("install usb-storage /sbin/modprobe "
	    "--ignore-install usb-storage\n");
	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
	assert_string_equal(json_string_value(unit_path(f,
	    "usb_storage.install_command")),
	    "/sbin/modprobe --ignore-install usb-storage");
	json_decref(f);
	f = collect_conf("install usb-storage /bin/false; /sbin/modprobe "
	    "--ignore-install usb-storage\n");
	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
	json_decref(f);
	/* another module, and a comment, do not count */
	f = collect_conf("# install usb-storage /bin/false\n"
	    "install usb-storage-extra /bin/false\n"
	    "install uas /bin/false\n");
	assert_true(json_is_false(unit_path(f, "usb_storage.disabled")));
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
		cmocka_unit_test(test_install_commands),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
