#!/bin/sh
# The target directory exists but holds no file: fail, never pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
# Git keeps no modification times: copy the tree and set them from $NOW.
copy_fixture backup-empty-dir
mkdir -p "$ROOT/var/backups/home/2026-11-21"
out=$(run_check backup-empty-dir)
expect_status "$out" backup.recent fail
