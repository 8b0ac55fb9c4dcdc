#!/bin/sh
# The configured target /var/backups/home does not exist: fail, naming it
set -eu
. "$top_srcdir/tests/regress/lib.sh"
# Git keeps no modification times: copy the tree and set them from $NOW.
copy_fixture backup-missing-target
out=$(run_check backup-missing-target)
expect_status "$out" backup.recent fail
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .message | contains("home")'
