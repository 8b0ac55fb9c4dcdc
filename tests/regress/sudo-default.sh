#!/bin/sh
# Debian's sudoers (%sudo ALL=(ALL:ALL) ALL, Defaults use_pty): pass.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-default)
expect_status "$out" sudo.nopasswd pass
expect_status "$out" sudo.authenticate_default pass
expect_status "$out" sudo.logging pass
