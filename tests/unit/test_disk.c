/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the disk encryption collector, on the fixture trees
 * built by tests/fixtures/disk-mkfixtures.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"
#include "unit.h"

extern const struct collector collector_disk;

/* Collects the disk facts of one fixture case. */
static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_disk, name, UNIT_NOW));
}

static const char *
str(json_t *obj, const char *key)
{
	return (json_string_value(json_object_get(obj, key)));
}

/* Is the mount's "encrypted" present and equal to want? */
static void
assert_encrypted(json_t *obj, int want)
{
	json_t	*v;

	assert_non_null(obj);
	assert_null(json_object_get(obj, "_error"));
	v = json_object_get(obj, "encrypted");
	assert_non_null(v);
	assert_int_equal(json_is_true(v), want);
}

/* The installer's layout: / on LVM on LUKS2, swap LV, /boot exempt. */
static void
test_lvm_on_luks(void **state)
{
	json_t	*d, *root, *chain, *m, *swap, *sw;

	d = collect("disk-lvm-on-luks");
	assert_null(json_object_get(d, "_error"));
	root = json_object_get(d, "root");
	assert_encrypted(root, 1);
	assert_string_equal(str(root, "name"), "/");
	assert_string_equal(str(root, "fstype"), "ext4");
	assert_string_equal(str(root, "devno"), "254:1");
	assert_string_equal(str(root, "crypt_type"), "LUKS2");
	assert_string_equal(str(root, "crypt_name"), "sda3_crypt");
	assert_string_equal(str(root, "summary"),
	    "root filesystem / is on dm-crypt (LUKS2)");
	chain = json_object_get(root, "chain");
	assert_int_equal(json_array_size(chain), 4);
	assert_string_equal(str(json_array_get(chain, 0), "kind"), "lvm");
	assert_string_equal(str(json_array_get(chain, 0), "dm_name"),
	    "debian--vg-root");
	assert_string_equal(str(json_array_get(chain, 0), "dm_uuid_prefix"),
	    "LVM");
	assert_string_equal(str(json_array_get(chain, 1), "kind"), "crypt");
	assert_string_equal(str(json_array_get(chain, 1), "dm_uuid_prefix"),
	    "CRYPT-LUKS2");
	assert_string_equal(str(json_array_get(chain, 2), "name"), "sda3");
	assert_string_equal(str(json_array_get(chain, 2), "kind"), "part");
	assert_string_equal(str(json_array_get(chain, 3), "name"), "sda");
	assert_string_equal(str(json_array_get(chain, 3), "kind"), "disk");

	/* /home is not its own mount: the filesystem holding it is /. */
	assert_encrypted(json_object_get(d, "home"), 1);
	assert_true(json_is_false(json_object_get(json_object_get(d, "home"),
	    "separate")));

	m = json_object_get(d, "mounts");
	assert_true(json_is_true(json_object_get(unit_named(m, "/boot"),
	    "exempt")));
	assert_encrypted(unit_named(m, "/boot/efi"), 0);
	assert_null(unit_named(m, "/snap/core22/1380"));	/* squashfs */
	assert_null(unit_named(m, "/mnt/nas"));			/* nfs4 */
	assert_null(unit_named(m, "/run"));			/* tmpfs */
	assert_int_equal(json_array_size(m), 4);

	/* The bind mount is a data filesystem on the same device. */
	assert_int_equal(json_array_size(json_object_get(d, "data")), 1);
	m = unit_named(json_object_get(d, "data"), "/var/www");
	assert_encrypted(m, 1);
	assert_string_equal(str(m, "fsroot"), "/srv/www");

	swap = json_object_get(d, "swap");
	assert_int_equal(json_integer_value(json_object_get(swap, "count")),
	    1);
	sw = json_array_get(json_object_get(swap, "devices"), 0);
	assert_string_equal(str(sw, "name"), "/dev/dm-2");
	assert_string_equal(str(sw, "kind"), "partition");
	assert_encrypted(sw, 1);
	assert_true(json_is_true(json_object_get(sw, "ok")));

	assert_string_equal(str(json_array_get(json_object_get(
	    json_object_get(d, "crypttab"), "entries"), 0), "name"),
	    "sda3_crypt");
	assert_int_equal(json_array_size(json_object_get(d, "removable")), 0);
	json_decref(d);
}

/* No encryption anywhere: root, home and swap all false. */
static void
test_plain(void **state)
{
	json_t	*d, *root, *sw;

	d = collect("disk-plain");
	root = json_object_get(d, "root");
	assert_encrypted(root, 0);
	assert_true(json_is_null(json_object_get(root, "crypt_type")));
	assert_string_equal(str(json_array_get(json_object_get(root,
	    "chain"), 1), "name"), "nvme0n1");
	assert_encrypted(json_object_get(d, "home"), 0);
	sw = json_array_get(json_object_get(json_object_get(d, "swap"),
	    "devices"), 0);
	assert_encrypted(sw, 0);
	assert_true(json_is_false(json_object_get(sw, "ok")));
	/* No crypttab is not an error: it is only supporting evidence. */
	assert_non_null(json_object_get(json_object_get(d, "crypttab"),
	    "_na"));
	json_decref(d);
}

/* LUKS on LVM, a LUKS1 /home and plain dm-crypt swap. */
static void
test_luks_on_lvm(void **state)
{
	json_t	*d, *root, *home, *sw;

	d = collect("disk-luks-on-lvm");
	root = json_object_get(d, "root");
	assert_encrypted(root, 1);
	assert_string_equal(str(json_array_get(json_object_get(root,
	    "chain"), 0), "kind"), "crypt");
	assert_string_equal(str(json_array_get(json_object_get(root,
	    "chain"), 1), "kind"), "lvm");
	home = json_object_get(d, "home");
	assert_encrypted(home, 1);
	assert_true(json_is_true(json_object_get(home, "separate")));
	assert_string_equal(str(home, "crypt_type"), "LUKS1");
	sw = json_array_get(json_object_get(json_object_get(d, "swap"),
	    "devices"), 0);
	assert_encrypted(sw, 1);
	assert_string_equal(str(sw, "crypt_type"), "PLAIN");
	assert_int_equal(json_array_size(json_object_get(json_object_get(d,
	    "crypttab"), "entries")), 3);
	json_decref(d);
}

/* Btrfs subvolumes (0:33) resolved via the mount source; swap file. */
static void
test_btrfs_luks(void **state)
{
	json_t	*d, *root, *home, *sw;

	d = collect("disk-btrfs-luks");
	root = json_object_get(d, "root");
	assert_encrypted(root, 1);
	assert_string_equal(str(root, "devno"), "0:33");
	assert_string_equal(str(root, "block_devno"), "254:0");
	assert_string_equal(str(root, "fsroot"), "/@rootfs");
	assert_string_equal(str(root, "crypt_name"), "nvme0n1p3_crypt");
	/* /home mounted by /dev/disk/by-uuid symlink. */
	home = json_object_get(d, "home");
	assert_encrypted(home, 1);
	assert_string_equal(str(home, "name"), "/home");
	assert_string_equal(str(json_array_get(json_object_get(home,
	    "chain"), 0), "name"), "dm-0");
	assert_encrypted(unit_named(json_object_get(d, "data"), "/var/log"), 1);
	sw = json_array_get(json_object_get(json_object_get(d, "swap"),
	    "devices"), 0);
	assert_string_equal(str(sw, "kind"), "file");
	assert_string_equal(str(sw, "holder"), "/swap");
	assert_encrypted(sw, 1);
	assert_true(json_is_true(json_object_get(sw, "ok")));
	json_decref(d);
}

/* Root encrypted, a separate plain /home on a second disk. */
static void
test_home_unencrypted(void **state)
{
	json_t	*d, *home;

	d = collect("disk-home-unencrypted");
	assert_encrypted(json_object_get(d, "root"), 1);
	home = json_object_get(d, "home");
	assert_encrypted(home, 0);
	assert_true(json_is_true(json_object_get(home, "separate")));
	assert_string_equal(str(home, "source"), "/dev/sdb1");
	/* /home is judged by the home check, not counted again as data. */
	assert_int_equal(json_array_size(json_object_get(d, "data")), 0);
	json_decref(d);
}

/* Root encrypted, swap on a plain partition. */
static void
test_swap_plain(void **state)
{
	json_t	*d, *sw;

	d = collect("disk-swap-plain");
	assert_encrypted(json_object_get(d, "root"), 1);
	sw = json_array_get(json_object_get(json_object_get(d, "swap"),
	    "devices"), 0);
	assert_string_equal(str(sw, "name"), "/dev/sda4");
	assert_encrypted(sw, 0);
	assert_true(json_is_true(json_object_get(sw, "needs_encryption")));
	assert_true(json_is_false(json_object_get(sw, "ok")));
	json_decref(d);
}

/* zram swap needs no encryption; a USB stick is reported apart. */
static void
test_zram(void **state)
{
	json_t	*d, *sw, *rem;

	d = collect("disk-zram");
	sw = json_array_get(json_object_get(json_object_get(d, "swap"),
	    "devices"), 0);
	assert_string_equal(str(sw, "kind"), "zram");
	assert_true(json_is_false(json_object_get(sw, "needs_encryption")));
	assert_true(json_is_true(json_object_get(sw, "ok")));
	rem = json_object_get(d, "removable");
	assert_int_equal(json_array_size(rem), 1);
	assert_string_equal(str(json_array_get(rem, 0), "name"),
	    "/media/alice/STICK");
	assert_encrypted(json_array_get(rem, 0), 0);
	assert_true(json_is_true(json_object_get(json_array_get(rem, 0),
	    "removable")));
	assert_int_equal(json_array_size(json_object_get(d, "data")), 0);
	assert_encrypted(json_object_get(d, "root"), 1);
	assert_encrypted(json_object_get(d, "home"), 1);
	json_decref(d);
}

/* A missing dm/uuid under root and swap: errors, never "encrypted". */
static void
test_unreadable(void **state)
{
	json_t	*d, *root, *sw;

	d = collect("disk-unreadable");
	root = json_object_get(d, "root");
	assert_non_null(json_object_get(root, "_error"));
	assert_null(json_object_get(root, "encrypted"));
	assert_string_equal(str(root, "_error"), "open "
	    "/sys/devices/virtual/block/dm-0/dm/uuid: No such file or "
	    "directory");
	assert_non_null(json_object_get(json_object_get(d, "home"),
	    "_error"));
	sw = json_array_get(json_object_get(json_object_get(d, "swap"),
	    "devices"), 0);
	assert_non_null(json_object_get(sw, "_error"));
	assert_null(json_object_get(sw, "ok"));
	json_decref(d);
}

/* dm-verity is not encryption; a uuid-less dm-linear over LUKS is; an
 * LV spanning a LUKS PV and a plain PV is not. */
static void
test_verity(void **state)
{
	json_t	*d, *root, *data, *var;

	d = collect("disk-verity");
	root = json_object_get(d, "root");
	assert_encrypted(root, 0);
	assert_string_equal(str(json_array_get(json_object_get(root,
	    "chain"), 0), "kind"), "verity");
	assert_string_equal(str(json_array_get(json_object_get(root,
	    "chain"), 0), "dm_uuid_prefix"), "CRYPT-VERITY");
	data = json_object_get(d, "data");
	var = unit_named(data, "/var");
	assert_encrypted(var, 1);
	assert_string_equal(str(json_array_get(json_object_get(var,
	    "chain"), 0), "kind"), "dm");
	assert_string_equal(str(json_array_get(json_object_get(var,
	    "chain"), 0), "dm_uuid_prefix"), "");
	assert_encrypted(unit_named(data, "/srv"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d,
	    "swap"), "count")), 0);
	json_decref(d);
}

/* No mountinfo at all (an image without /proc): the whole domain errs. */
static void
test_no_mountinfo(void **state)
{
	json_t	*d;

	d = collect("disk-no-such-case");
	assert_string_equal(str(d, "_error"),
	    "open /proc/self/mountinfo: No such file or directory");
	assert_null(json_object_get(d, "root"));
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lvm_on_luks),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_luks_on_lvm),
		cmocka_unit_test(test_btrfs_luks),
		cmocka_unit_test(test_home_unencrypted),
		cmocka_unit_test(test_swap_plain),
		cmocka_unit_test(test_zram),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_verity),
		cmocka_unit_test(test_no_mountinfo),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
