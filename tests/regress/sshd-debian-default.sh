#!/bin/sh
# Stock Debian 12 sshd_config: root by key, passwords and 6 tries allowed
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-debian-default)
expect_status "$out" sshd.permit_root_login fail
expect_status "$out" sshd.permit_empty_passwords pass
expect_status "$out" sshd.max_auth_tries fail
expect_status "$out" sshd.password_authentication fail
expect_status "$out" sshd.weak_crypto pass
expect_jq "$out" '.results[] | select(.check == "sshd.permit_root_login") | .evidence.observed["sshd.effective.permitrootlogin"] == "prohibit-password"'
