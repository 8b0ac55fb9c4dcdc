#!/bin/sh
# Encrypted root but a plain separate /home: only home fails
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-home-unencrypted)
expect_status "$out" disk.encryption.root pass
expect_status "$out" disk.encryption.home fail
expect_status "$out" disk.encryption.swap pass
expect_status "$out" disk.encryption.data pass
