#!/bin/sh
# /run/reboot-required left by a kernel upgrade 12 days ago (> 7d):
# fails; the same flag 2 days old passes.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
copy_fixture patch-reboot-required
touch -d 2026-11-10T02:00:00Z "$ROOT/run/reboot-required"
out=$(run_check patch-reboot-required)
expect_status "$out" patch.reboot_required fail
expect_jq "$out" '.results[] | select(.check == "patch.reboot_required") |
    .evidence.observed["patch.reboot.age_s"] == 1036800'
touch -d 2026-11-20T02:00:00Z "$ROOT/run/reboot-required"
out=$(run_check patch-reboot-required)
expect_status "$out" patch.reboot_required pass
