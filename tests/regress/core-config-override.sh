#!/bin/sh
# agent.yaml overrides a threshold by its dotted name (screen_lock:
# max_idle), the evidence says where the threshold was set, and a
# disabled check is not evaluated.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check screenlock-gnome-default --config "$FIXTURES/core/agent.yaml")
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") |
    .evidence.thresholds["screen_lock.max_idle"].value == 600 and
    (.evidence.thresholds["screen_lock.max_idle"].source | endswith("core/agent.yaml:2"))'
expect_jq "$out" '[.results[] | select(.check == "disk.encryption.removable")] | length == 0'
# Without the override the default is in force, and says so.
out=$(run_check screenlock-gnome-default)
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") |
    .evidence.thresholds["screen_lock.max_idle"].value == 900 and
    (.evidence.thresholds["screen_lock.max_idle"].source | startswith("policy default"))'
