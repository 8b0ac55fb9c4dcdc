/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Tests for the inventory collector on fixture trees.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector.h"
#include "unit.h"

extern const struct collector collector_inventory;

static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_inventory, name, UNIT_NOW));
}

static const char *
str(json_t *obj, const char *a, const char *b)
{
	json_t	*v = json_object_get(json_object_get(obj, a), b);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

static void
test_debian(void **state)
{
	json_t	*f = collect("inventory-debian"), *d, *n;

	assert_string_equal(str(f, "machine", "id"),
	    "3d1219c7c4c5404aaa1f6d2a48adfda4");
	assert_null(json_object_get(json_object_get(f, "machine"), "_error"));
	assert_string_equal(str(f, "hostname", "name"), "ws-0142");
	assert_string_equal(str(f, "os", "id"), "debian");
	assert_string_equal(str(f, "os", "version_id"), "12");
	assert_string_equal(str(f, "os", "codename"), "bookworm");
	assert_string_equal(str(f, "os", "pretty_name"),
	    "Debian GNU/Linux 12 (bookworm)");
	/* uname is live-only */
	assert_non_null(str(f, "kernel", "_na"));
	assert_string_equal(str(f, "hw", "sys_vendor"), "LENOVO");
	assert_string_equal(str(f, "hw", "product_serial"), "PF3XYZ12");
	/* disks: loop and zram left out, sectors of 512 bytes */
	d = json_object_get(json_object_get(f, "disks"), "devices");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 0), "name")), "nvme0n1");
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(d, 0), "size_bytes")), 1000215216LL * 512);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 0), "model")), "SAMSUNG MZVL21T0HCLR-00BL7");
	assert_true(json_is_true(json_object_get(json_array_get(d, 1),
	    "removable")));
	/* lo left out */
	n = json_object_get(json_object_get(f, "network"), "interfaces");
	assert_int_equal(json_array_size(n), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(n, 0), "mac")), "8c:16:45:ab:cd:ef");
	/* dpkg-query -W on this status file lists 88 "ii" packages */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f,
	    "software"), "installed")), 88);
	json_decref(f);
}

static void
test_no_machine_id(void **state)
{
	json_t	*f = collect("inventory-no-machine-id");

	assert_null(str(f, "machine", "id"));
	assert_string_equal(str(f, "machine", "_error"),
	    "open /etc/machine-id: No such file or directory");
	assert_string_equal(str(f, "hostname", "name"), "build-img");
	/* no /sys in an image: not applicable, not an error */
	assert_non_null(str(f, "disks", "_na"));
	assert_non_null(str(f, "hw", "_na"));
	json_decref(f);
}

static void
test_empty_machine_id(void **state)
{
	json_t	*f = collect("inventory-empty-machine-id");

	assert_null(str(f, "machine", "id"));
	assert_non_null(strstr(str(f, "machine", "_error"), "empty"));
	json_decref(f);
}

static void
test_no_os_release(void **state)
{
	json_t	*f = collect("inventory-no-os-release");

	assert_string_equal(str(f, "os", "_error"),
	    "open /etc/os-release: No such file or directory");
	assert_non_null(str(f, "software", "_na"));
	assert_string_equal(str(f, "machine", "id"),
	    "0123456789abcdef0123456789abcdef");
	json_decref(f);
}

/* A DMI field that cannot be read carries its own error, the rest stay. */
static void
test_dmi_unreadable_field(void **state)
{
	struct collector_ctx	 ctx;
	char			 tmp[] = "/tmp/test_inventory.XXXXXX", cmd[256];
	json_t			*f, *hw;
	FILE			*fp;

	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof cmd, "mkdir -p %s/sys/class/dmi/id/product_serial",
	    tmp);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s/sys/class/dmi/id/sys_vendor", tmp);
	assert_non_null(fp = fopen(cmd, "w"));
	fputs("QEMU\n", fp);
	fclose(fp);
	memset(&ctx, 0, sizeof ctx);
	ctx.root = tmp;
	f = collector_inventory.collect(&ctx);
	hw = json_object_get(f, "hw");
	assert_null(json_object_get(hw, "_error"));
	assert_string_equal(json_string_value(json_object_get(hw,
	    "sys_vendor")), "QEMU");
	assert_true(json_is_null(json_object_get(hw, "product_name")));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(hw, "product_serial"), "_error")),
	    "/sys/class/dmi/id/product_serial"));
	json_decref(f);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
}

static void
test_live(void **state)
{
	struct collector_ctx	 ctx;
	json_t			*f;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = "";
	ctx.live = 1;
	ctx.now = UNIT_NOW;
	f = collector_inventory.collect(&ctx);
	assert_non_null(str(f, "kernel", "release"));
	assert_non_null(str(f, "hostname", "name"));
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian),
		cmocka_unit_test(test_no_machine_id),
		cmocka_unit_test(test_empty_machine_id),
		cmocka_unit_test(test_no_os_release),
		cmocka_unit_test(test_dmi_unreadable_field),
		cmocka_unit_test(test_live),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
