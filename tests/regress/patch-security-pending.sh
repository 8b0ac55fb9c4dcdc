#!/bin/sh
# openssl and libssl3 installed from bookworm while bookworm-security
# (Label Debian-Security) lists a newer version: security updates fail.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check patch-security-pending)
expect_status "$out" patch.security_updates fail
expect_jq "$out" '.results[] | select(.check == "patch.security_updates") |
    .evidence.observed["patch.updates.security_pending_count"] == 2'
expect_jq "$out" '.results[] | select(.check == "patch.security_updates") |
    .message | contains("2 security updates pending")'
# The last upgrade (2026-11-20) is within 14 days.
expect_status "$out" patch.recent_upgrade pass
expect_status "$out" patch.os_supported pass

# The same host with its last upgrade 30 days ago.
copy_fixture patch-security-pending
sed -i 's/2026-11-20/2026-10-23/' \
    "$ROOT/var/log/apt/history.log"
out=$(run_check patch-security-pending)
expect_status "$out" patch.recent_upgrade fail
