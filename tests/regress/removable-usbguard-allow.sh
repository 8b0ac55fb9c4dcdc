#!/bin/sh
# USBGuard enabled but ImplicitPolicyTarget=allow: fail
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check removable-usbguard-allow)
expect_status "$out" removable.usb_storage fail
