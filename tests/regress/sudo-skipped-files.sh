#!/bin/sh
# NOPASSWD:ALL only in files sudo does not read (90-admin~,
# 90-admin.dpkg-old, 90-admin.bak): pass.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-skipped-files)
expect_status "$out" sudo.nopasswd pass
expect_status "$out" sudo.authenticate_default pass
