#!/bin/sh
# --lang ja: Japanese control titles (JIS Q 27001:2023), check titles,
# messages and remediation, in text and JSON.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
root="$FIXTURES/disk-home-unencrypted/root"
text=$("$ISMSCTL" check --root "$root" --now "$NOW" --no-store --lang ja) || true
echo "$text" | grep -q "^A.8.24 暗号の利用 (2013: A.10.1.1, A.10.1.2)" ||
    fail "Japanese control heading missing"
echo "$text" | grep -q "不合格" || fail "Japanese status missing"
echo "$text" | grep -q "対処:" || fail "Japanese remediation label missing"
echo "$text" | grep -q "^合格 [0-9]*、不合格 [0-9]*、エラー [0-9]*、適用外 [0-9]*$" ||
    fail "Japanese summary missing"
out=$(run_check disk-home-unencrypted --lang ja)
expect_jq "$out" '.results[] | select(.check == "disk.encryption.home") |
    (.title | test("[ぁ-んァ-ン一-龥]")) and (.message | test("暗号化されていない"))
    and (.remediation | test("[ぁ-んァ-ン一-龥]"))'
# Every built-in check has a Japanese title.
expect_jq "$out" 'all(.results[]; .title | test("[ぁ-んァ-ン一-龥]"))'
# Not-applicable reasons given by the collectors are Japanese too.
out=$(run_check screenlock-headless --lang ja)
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") |
    .status == "not_applicable" and .message == "グラフィカルデスクトップがインストールされていない"'
out=$(run_check screenlock-headless)
expect_jq "$out" '.results[] | select(.check == "screen_lock.effective") |
    .message == "no graphical desktop installed"'
