#!/bin/sh
# sda3_crypt dm/uuid missing: root, home and swap are errors, never pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-unreadable)
expect_status "$out" disk.encryption.root error
expect_status "$out" disk.encryption.home error
expect_status "$out" disk.encryption.swap error
expect_jq "$out" '.results[] | select(.check == "disk.encryption.root") | .message | contains("dm/uuid")'
