#!/bin/sh
# No encryption: unencrypted ext4 root and swap partition fail
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-plain)
expect_status "$out" disk.encryption.root fail
expect_status "$out" disk.encryption.home fail
expect_status "$out" disk.encryption.swap fail
expect_status "$out" disk.encryption.data pass
expect_jq "$out" '.summary.fail >= 3'
