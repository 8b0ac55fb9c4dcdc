#!/bin/sh
# Debian 12 with pam_pwquality (minlen 14) and pam_faillock (deny 5,
# 15 min): every account check passes; the hash itself is never reported.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-good)
for c in uid0_only_root duplicate_uids empty_passwords password_hashing \
    encrypt_method password_min_length lockout; do
	expect_status "$out" "accounts.$c" pass
done
expect_jq "$out" '[.results[] | select(.check == "accounts.password_min_length") | .evidence.observed["accounts.pwquality.min_length"]] == [14]'
printf '%s\n' "$out" | grep -q '\$y\$' && fail "a password hash reached the report"
exit 0
