#!/bin/sh
# A Debian 12 host with every package at the newest listed version,
# fresh lists and unattended-upgrades on: every patch check passes.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check patch-uptodate)
expect_status "$out" patch.security_updates pass
expect_status "$out" patch.metadata_fresh pass
expect_status "$out" patch.recent_upgrade pass
expect_status "$out" patch.reboot_required pass
expect_status "$out" patch.auto_updates pass
expect_status "$out" patch.os_supported pass
expect_jq "$out" '.results[] | select(.check == "patch.security_updates") |
    .evidence.observed["patch.updates.security_pending_count"] == 0'
