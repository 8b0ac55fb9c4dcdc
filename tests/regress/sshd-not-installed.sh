#!/bin/sh
# No OpenSSH server: the sshd checks do not apply
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-not-installed)
for c in sshd.permit_root_login sshd.permit_empty_passwords sshd.max_auth_tries \
    sshd.password_authentication sshd.weak_crypto; do
	expect_status "$out" $c not_applicable
done
