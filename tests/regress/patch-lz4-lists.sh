#!/bin/sh
# apt lists stored as *_Packages.lz4 (Acquire::GzipIndexes, as on
# Docker images): decoded and read like plain lists.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check patch-lz4-lists)
expect_status "$out" patch.security_updates fail
expect_jq "$out" '.results[] | select(.check == "patch.security_updates") |
    .evidence.observed["patch.updates.security_pending_count"] == 2'
expect_status "$out" patch.metadata_fresh pass

# A truncated lz4 list is an error naming the file, never a pass.
copy_fixture patch-lz4-lists
f=$(ls "$ROOT"/var/lib/apt/lists/*security*_Packages.lz4)
head -c 300 "$f" > "$f.tmp" && mv "$f.tmp" "$f"
out=$(run_check patch-lz4-lists)
expect_status "$out" patch.security_updates error
expect_jq "$out" '.results[] | select(.check == "patch.security_updates") |
    .message | contains("Packages.lz4: truncated LZ4 frame")'
