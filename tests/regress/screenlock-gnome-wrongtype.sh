#!/bin/sh
# An untyped idle-delay=600 (int32) in the user db is ignored by GNOME,
# which then uses the 300 s default: pass, as on the real desktop.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-gnome-wrongtype)
expect_status "$out" screen_lock.effective pass
