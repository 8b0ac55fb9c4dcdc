#!/bin/sh
# The newest home backup is 12 days old against max_age 26h: fail
set -eu
. "$top_srcdir/tests/regress/lib.sh"
# Git keeps no modification times: copy the tree and set them from $NOW.
copy_fixture backup-stale
ago 288 var/backups/home/2026-11-10/home.tar.zst
out=$(run_check backup-stale)
expect_status "$out" backup.recent fail
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .message | contains("home")'
