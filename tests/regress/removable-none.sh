#!/bin/sh
# No modprobe.d override and no USBGuard: fail
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check removable-none)
expect_status "$out" removable.usb_storage fail
