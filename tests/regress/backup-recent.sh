#!/bin/sh
# home (a directory tree, newest 2 h old) and etc (a heartbeat file, 30 h
# against 48 h) are both recent; a symlink out of the tree is not followed
set -eu
. "$top_srcdir/tests/regress/lib.sh"
# Git keeps no modification times: copy the tree and set them from $NOW.
copy_fixture backup-recent
ago 30 var/backups/home/2026-11-20/deep/er/home.tar.zst var/backups/etc.heartbeat
ago 2 var/backups/home/2026-11-21/home.tar.zst
ago 200 var/backups/home/link-out
out=$(run_check backup-recent)
expect_status "$out" backup.recent pass
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .evidence.observed["backup.targets"] | tostring | contains("7200")'
