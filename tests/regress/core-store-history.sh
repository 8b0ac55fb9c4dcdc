#!/bin/sh
# The local store: every run is kept, verdict changes are listed by
# "ismsctl history", an unchanged host adds no evidence blobs, and the
# database passes SQLite's integrity check.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/store.db"
chk() {
	"$ISMSCTL" check --root "$FIXTURES/$1/root" --now "$2" --store "$db" \
	    --format json >/dev/null || [ $? -eq 1 ] || fail "check $1 failed"
}
chk disk-lvm-on-luks 2026-11-20T02:00:00Z
blobs=$(sqlite3 "$db" "SELECT count(*) FROM blobs")
chk disk-lvm-on-luks 2026-11-20T03:00:00Z
chk disk-lvm-on-luks 2026-11-20T04:00:00Z
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs")" -eq 3 ] || fail "runs not kept"
# An unchanged host adds a run row per run and no evidence blobs.
b3=$(sqlite3 "$db" "SELECT count(*) FROM blobs")
[ "$b3" -eq "$blobs" ] || fail "unchanged host grew by $((b3 - blobs)) blobs"
chk disk-plain 2026-11-21T02:00:00Z
h=$("$ISMSCTL" history --store "$db" --check disk.encryption.root --format json)
expect_jq "$h" 'length == 2 and .[0].old == null and .[0].new == "pass"
    and .[1].old == "pass" and .[1].new == "fail"
    and .[1].at == "2026-11-21T02:00:00Z"'
h=$("$ISMSCTL" history --store "$db" --since 2026-11-21T00:00:00Z --format json)
expect_jq "$h" 'length > 0 and all(.[]; .at >= "2026-11-21")'
"$ISMSCTL" history --store "$db" --check disk.encryption.root |
    grep -q "disk.encryption.root *pass *-> fail" || fail "text history"
[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
[ "$(sqlite3 "$db" "PRAGMA journal_mode")" = wal ] || fail "not WAL"
# Runs are chained: each records the previous document's hash.
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs r JOIN runs p ON p.id = r.id - 1
    WHERE r.prev_sha256 = p.doc_sha256")" -eq 3 ] || fail "hash chain"
# History is append-only.
sqlite3 "$db" "DELETE FROM runs" 2>/dev/null && fail "runs deletable"
perm=$(stat -c %a "$db")
[ "$perm" = 600 ] || fail "store mode $perm"
exit 0
