#!/bin/sh
# A drop-in that includes itself: an error naming file and line, never a pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check sshd-include-loop)
for c in sshd.permit_root_login sshd.max_auth_tries sshd.weak_crypto; do
	expect_status "$out" $c error
done
expect_jq "$out" '.results[] | select(.check == "sshd.permit_root_login") | .message | contains("10-loop.conf:3")'
