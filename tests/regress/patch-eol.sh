#!/bin/sh
# Debian 10 (buster), whose LTS ended on 2024-06-30: not supported.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check patch-eol)
expect_status "$out" patch.os_supported fail
expect_jq "$out" '.results[] | select(.check == "patch.os_supported") |
    .message | contains("2024-06-30")'
expect_status "$out" patch.security_updates pass
