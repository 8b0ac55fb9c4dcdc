#!/bin/sh
# A drop-in adds CBC ciphers, hmac-md5 and ssh-dss back
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-weak-crypto)
expect_status "$out" sshd.weak_crypto fail
expect_status "$out" sshd.permit_root_login pass
