#!/bin/sh
# dm-verity root is not encryption (fails); /srv LV half on a plain PV fails data
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-verity)
expect_status "$out" disk.encryption.root fail
expect_status "$out" disk.encryption.swap pass
expect_status "$out" disk.encryption.data fail
expect_jq "$out" '.results[] | select(.check == "disk.encryption.data") | .evidence | tostring | contains("/srv")'
