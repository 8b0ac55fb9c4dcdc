#!/bin/sh
# System db sets idle-delay 600 and locks it; alice's 3600 is ignored.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-gnome-locked)
expect_status "$out" screen_lock.effective pass
expect_status "$out" screen_lock.enforced pass
# A stricter agent.yaml threshold (5m) makes the same host fail.
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
printf 'screen_lock:\n  max_idle: 5m\n' > "$cfg"
out=$(run_check screenlock-gnome-locked --config "$cfg")
expect_status "$out" screen_lock.effective fail
