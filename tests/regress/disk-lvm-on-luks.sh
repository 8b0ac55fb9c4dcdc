#!/bin/sh
# Debian installer encrypted LVM: / and swap LVs on sda3_crypt (LUKS2) pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-lvm-on-luks)
expect_status "$out" disk.encryption.root pass
expect_status "$out" disk.encryption.home pass
expect_status "$out" disk.encryption.swap pass
expect_status "$out" disk.encryption.data pass
expect_status "$out" disk.encryption.removable pass
expect_jq "$out" '.results[] | select(.check == "disk.encryption.root") | .controls | index("A.8.24") != null'
