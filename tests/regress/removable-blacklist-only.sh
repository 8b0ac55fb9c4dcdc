#!/bin/sh
# "blacklist usb_storage" alone: modprobe usb-storage still loads it, fail
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check removable-blacklist-only)
expect_status "$out" removable.usb_storage fail
