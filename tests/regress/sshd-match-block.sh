#!/bin/sh
# Password authentication is off globally but a Match block turns it on for a group
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-match-block)
expect_status "$out" sshd.password_authentication fail
expect_status "$out" sshd.permit_root_login pass
expect_status "$out" sshd.max_auth_tries pass
expect_jq "$out" '.results[] | select(.check == "sshd.password_authentication") | .message | contains("legacy")'
