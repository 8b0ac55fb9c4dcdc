#!/bin/sh
# agent.yaml names no backup target: reported as such, fail (never a pass)
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check backup-none-configured)
expect_status "$out" backup.recent fail
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .message | contains("backup.configured")'
