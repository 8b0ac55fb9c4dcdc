#!/bin/sh
# No apt lists at all (apt-get update never ran, or lists cleaned as in
# container images): pending updates are unknown, an error, not a pass.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check patch-no-lists)
expect_status "$out" patch.security_updates error
expect_status "$out" patch.metadata_fresh error
expect_jq "$out" '.results[] | select(.check == "patch.security_updates") |
    .message | contains("no package lists in /var/lib/apt/lists")'
