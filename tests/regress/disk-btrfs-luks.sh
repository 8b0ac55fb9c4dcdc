#!/bin/sh
# Btrfs subvolumes (anonymous 0:NN devices) and a swap file on LUKS2 pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-btrfs-luks)
expect_status "$out" disk.encryption.root pass
expect_status "$out" disk.encryption.home pass
expect_status "$out" disk.encryption.swap pass
expect_status "$out" disk.encryption.data pass
