#!/bin/sh
# A second UID 0 account (toor): uid0_only_root and duplicate_uids fail
# and the message names it.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check accounts-extra-uid0)
expect_status "$out" accounts.uid0_only_root fail
expect_status "$out" accounts.duplicate_uids fail
expect_jq "$out" '.results[] | select(.check == "accounts.uid0_only_root") | .message | contains("toor")'
expect_status "$out" accounts.password_hashing pass
