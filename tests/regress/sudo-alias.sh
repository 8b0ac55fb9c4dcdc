#!/bin/sh
# NOPASSWD on a Cmnd_Alias that is ALL, for a User_Alias defined over a
# continued line: fail.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-alias)
expect_status "$out" sudo.nopasswd fail
expect_jq "$out" '.results[] | select(.check == "sudo.nopasswd") | .message | contains("/etc/sudoers.d/ops:6")'
