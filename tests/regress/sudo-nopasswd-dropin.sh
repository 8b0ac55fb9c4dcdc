#!/bin/sh
# cloud-init's sudoers.d/90-cloud-init-users grants admin NOPASSWD:ALL:
# fail, naming the file and line.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-nopasswd-dropin)
expect_status "$out" sudo.nopasswd fail
expect_jq "$out" '.results[] | select(.check == "sudo.nopasswd") | .message | contains("/etc/sudoers.d/90-cloud-init-users:5")'
expect_status "$out" sudo.authenticate_default pass
