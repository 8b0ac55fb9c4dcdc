#!/bin/sh
# /etc/shadow cannot be read: the shadow checks are errors naming the
# file (never a pass); the checks that need only passwd still run.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-shadow-unreadable)
expect_status "$out" accounts.empty_passwords error
expect_status "$out" accounts.password_hashing error
expect_jq "$out" '.results[] | select(.check == "accounts.empty_passwords") | .message | contains("/etc/shadow")'
expect_status "$out" accounts.uid0_only_root pass
expect_status "$out" accounts.password_min_length pass
