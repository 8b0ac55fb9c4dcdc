#!/bin/sh
# An included sudoers.d file cannot be read: every sudo check is an
# error naming it, never a pass.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-unreadable)
for c in nopasswd authenticate_default logging; do
	expect_status "$out" "sudo.$c" error
done
expect_jq "$out" '.results[] | select(.check == "sudo.nopasswd") | .message | contains("/etc/sudoers.d/50-broken")'
