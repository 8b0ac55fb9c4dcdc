#!/bin/sh
# /etc/modprobe.d/usb-storage.conf hides the vendor file that disabled it
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check removable-overridden)
expect_status "$out" removable.usb_storage fail
