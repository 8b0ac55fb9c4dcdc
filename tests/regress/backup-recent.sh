#!/bin/sh
# home (a directory tree, newest 2 h old) and etc (a heartbeat file, 30 h
# against 48 h) are both recent; a symlink out of the tree is not followed
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
cp -R "$FIXTURES/backup-recent/root" "$tmp/root"
ago 30 var/backups/home/2026-11-20/deep/er/home.tar.zst var/backups/etc.heartbeat
ago 2 var/backups/home/2026-11-21/home.tar.zst
ago 200 var/backups/home/link-out
out=$(check)
expect_status "$out" backup.recent pass
expect_jq "$out" '.results[] | select(.check == "backup.recent") | .evidence.observed["backup.targets"] | tostring | contains("7200")'
