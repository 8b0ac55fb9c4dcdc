#!/bin/sh
# The configured target /var/backups/home does not exist: fail, naming it
set -eu
. "$top_srcdir/tests/regress/lib.sh"
# Git keeps no modification times: copy the tree and set them from $NOW.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ago() {		# hours file...
	_h=$1; shift
	for _f; do touch -h -d "$NOW - $_h hours" "$tmp/root/$_f"; done
}
check() {
	_rc=0
	"$ISMSCTL" check --root "$tmp/root" --now "$NOW" --format json \
	    --no-store || _rc=$?
	[ "$_rc" -le 1 ] || fail "ismsctl check exited $_rc"
}
cp -R "$FIXTURES/backup-missing-target/root" "$tmp/root"
out=$(check)
expect_status "$out" backup.recent fail
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .message | contains("home")'
