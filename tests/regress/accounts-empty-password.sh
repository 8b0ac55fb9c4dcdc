#!/bin/sh
# bob has /bin/bash and an empty shadow password field: critical fail.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-empty-password)
expect_status "$out" accounts.empty_passwords fail
expect_jq "$out" '.results[] | select(.check == "accounts.empty_passwords") | .message | contains("bob")'
expect_status "$out" accounts.uid0_only_root pass
