#!/bin/sh
# Debian 12 as installed: no pam_pwquality (pam_unix accepts 6
# characters) and no pam_faillock: those two fail, the rest pass.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-debian-default)
expect_status "$out" accounts.password_min_length fail
expect_status "$out" accounts.lockout fail
expect_status "$out" accounts.uid0_only_root pass
expect_status "$out" accounts.empty_passwords pass
expect_status "$out" accounts.password_hashing pass
expect_status "$out" accounts.encrypt_method pass
expect_jq "$out" '[.results[] | select(.check == "accounts.password_min_length") | .evidence.observed["accounts.pwquality.min_length"]] == [6]'
