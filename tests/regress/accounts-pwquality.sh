#!/bin/sh
# pwquality.conf says minlen 8, the pam_pwquality.so argument says 14:
# the argument wins and the check passes, citing common-password.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-pwquality)
expect_status "$out" accounts.password_min_length pass
expect_jq "$out" '[.results[] | select(.check == "accounts.password_min_length") | .evidence.observed["accounts.pwquality.min_length"]] == [14]'
