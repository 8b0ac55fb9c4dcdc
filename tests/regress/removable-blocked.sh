#!/bin/sh
# install usb-storage /bin/false in /etc/modprobe.d: pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check removable-blocked)
expect_status "$out" removable.usb_storage pass
