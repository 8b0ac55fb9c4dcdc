#!/bin/sh
# No sudo on the host: the sudo checks are not applicable.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sudo-not-installed)
for c in nopasswd authenticate_default logging; do
	expect_status "$out" "sudo.$c" not_applicable
done
