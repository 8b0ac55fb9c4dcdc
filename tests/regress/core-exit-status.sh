#!/bin/sh
# ismsctl check exit status: 0 all pass, 1 a failure, 2 usage, policy or
# configuration errors (every error named file:line:column), per the contract.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
C="$FIXTURES/core"
root="$FIXTURES/disk-lvm-on-luks/root"

rc=0; "$ISMSCTL" check --root "$root" --policy "$C/pass.yaml" --no-store \
    --now "$NOW" >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "passing policy exited $rc"

rc=0; "$ISMSCTL" check --root "$FIXTURES/disk-plain/root" --policy \
    "$C/pass.yaml" --no-store --now "$NOW" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "failing policy exited $rc"

# Every policy error, each with file:line:column.
rc=0; err=$("$ISMSCTL" check --root "$root" --policy "$C/broken.yaml" \
    --no-store 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 2 ] || fail "broken policy exited $rc"
echo "$err" | grep -q "broken.yaml:4:15: unknown severity \"severe\"" ||
    fail "severity error: $err"
echo "$err" | grep -q "broken.yaml:7:16: condition: unexpected end" ||
    fail "condition error: $err"
echo "$err" | grep -q "broken.yaml:9:12: text has no \"ja\"" ||
    fail "ja error: $err"
echo "$err" | grep -q "broken.yaml:11:16: unknown ISO/IEC 27001:2022 Annex A control \"A.9.9\"" ||
    fail "control error: $err"

# Every configuration error, each with file:line:column.
rc=0; err=$("$ISMSCTL" check --root "$root" --config "$C/bad-agent.yaml" \
    --no-store 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 2 ] || fail "bad config exited $rc"
echo "$err" | grep -q "bad-agent.yaml:2:13: invalid duration \"forever\"" ||
    fail "duration error: $err"
echo "$err" | grep -q "bad-agent.yaml:6:13: backup target home needs an absolute path" ||
    fail "path error: $err"
echo "$err" | grep -q "bad-agent.yaml:8:1: unknown section \"colector\"" ||
    fail "section error: $err"
echo "$err" | grep -q "^3 errors in configuration or policy" ||
    fail "error count: $err"

# A named configuration file that does not exist is an error.
rc=0; "$ISMSCTL" check --config /nonexistent.yaml --no-store \
    >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "missing --config exited $rc"

# Usage errors.
for args in "--now yesterday" "--format xml" "--lang fr" "--bogus" "extra"; do
	rc=0; "$ISMSCTL" check $args >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "ismsctl check $args exited $rc"
done
rc=0; "$ISMSCTL" frobnicate >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "unknown command exited $rc"
"$ISMSCTL" --help | grep -q "^usage: ismsctl check" || fail "--help"
exit 0
