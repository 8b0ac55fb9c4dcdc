#!/bin/sh
# carol's password is an MD5-crypt hash: password_hashing fails.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-md5-hash)
expect_status "$out" accounts.password_hashing fail
expect_jq "$out" '.results[] | select(.check == "accounts.password_hashing") | .message | contains("carol")'
printf '%s\n' "$out" | grep -q '\$1\$' && fail "a password hash reached the report"
expect_status "$out" accounts.empty_passwords pass
