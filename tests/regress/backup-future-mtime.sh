#!/bin/sh
# The only backup file is dated after the run's clock (a wrong clock, or a
# replay with --now in the past): it is not taken as the last backup, fail
set -eu
. "$top_srcdir/tests/regress/lib.sh"
# Git keeps no modification times: copy the tree and set them from $NOW.
copy_fixture backup-stale
touch -d "$NOW + 5 hours" "$ROOT/var/backups/home/2026-11-10/home.tar.zst"
out=$(run_check backup-stale)
expect_status "$out" backup.recent fail
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .evidence.observed["backup.targets"] | tostring | contains("future_files")'
