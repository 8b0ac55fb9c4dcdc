#!/bin/sh
# Include at the end of sshd_config: the main file's PermitRootLogin yes wins over the drop-in
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-main-wins)
expect_status "$out" sshd.permit_root_login fail
expect_status "$out" sshd.password_authentication pass
expect_jq "$out" '.results[] | select(.check == "sshd.permit_root_login") | .evidence.observed["sshd.effective.permitrootlogin"] == "yes"'
