#!/bin/sh
# "Defaults:deploy !authenticate" with "deploy ALL = (ALL:ALL) ALL":
# both the rule and the Defaults line fail.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-noauth)
expect_status "$out" sudo.nopasswd fail
expect_status "$out" sudo.authenticate_default fail
expect_jq "$out" '.results[] | select(.check == "sudo.authenticate_default") | .message | contains("/etc/sudoers.d/50-deploy:1")'
