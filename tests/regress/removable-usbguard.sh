#!/bin/sh
# USBGuard enabled with Debian's default ImplicitPolicyTarget=block: pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check removable-usbguard)
expect_status "$out" removable.usb_storage pass
