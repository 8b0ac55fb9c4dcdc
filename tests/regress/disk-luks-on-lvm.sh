#!/bin/sh
# LUKS on LVM: LUKS2 root, LUKS1 /home, plain dm-crypt swap pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-luks-on-lvm)
expect_status "$out" disk.encryption.root pass
expect_status "$out" disk.encryption.home pass
expect_status "$out" disk.encryption.swap pass
expect_status "$out" disk.encryption.data pass
