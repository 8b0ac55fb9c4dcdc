#!/bin/sh
# The text report: grouped by Annex A control with the 2013 numbers,
# the observed value and the threshold on each line, colour only on a
# terminal (or --color always).
set -eu
. "$top_srcdir/tests/regress/lib.sh"
root="$FIXTURES/screenlock-gnome-user-override/root"
text=$("$ISMSCTL" check --root "$root" --now "$NOW" --no-store) || true
echo "$text" | grep -q "^A.7.7 Clear desk and clear screen (2013: A.11.2.9)$" ||
    fail "A.7.7 heading missing"
echo "$text" | grep -q "screen_lock.effective: .*\[threshold: screen_lock.max_idle = 15m\]" ||
    fail "threshold missing on the screen lock line"
echo "$text" | grep -q "^[0-9]* passed, [0-9]* failed, [0-9]* errors, [0-9]* not applicable$" ||
    fail "summary line missing"
# Headings come in Annex A order: A.5.x before A.7.x before A.8.x.
order=$(echo "$text" | grep -o '^A\.[0-9]*\.[0-9]*' | tr '\n' ' ')
case "$order" in
A.5.*A.7.*A.8.*) ;;
*) fail "headings out of order: $order" ;;
esac
esc=$(printf '\033')
echo "$text" | grep -q "$esc" && fail "colour escapes on a pipe"
"$ISMSCTL" check --root "$root" --now "$NOW" --no-store --color always |
    grep -q "$esc\[31mFAIL" || fail "no colour with --color always"
exit 0
