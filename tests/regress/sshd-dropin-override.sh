#!/bin/sh
# sshd_config.d/10-hardening.conf is read at the Include and wins over later lines of sshd_config
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-dropin-override)
expect_status "$out" sshd.permit_root_login pass
expect_status "$out" sshd.password_authentication pass
expect_status "$out" sshd.max_auth_tries pass
expect_status "$out" sshd.weak_crypto pass
expect_status "$out" session.idle_timeout pass
