#!/bin/sh
# isms-collectord POST /api/v1/reports end to end (issue 4), with a real
# daemon on 127.0.0.1: a host enrolls an openssl CSR, then posts the
# fixture report (gzip) over mTLS: accepted, the same report_id again is
# a duplicate that writes nothing, a second report with the same
# verdicts costs one reports row and no history, one flipped check adds
# exactly one history row and rewrites its latest verdict, a late
# (older) report moves no verdict back; no client certificate 401,
# another host_id in the body 422, malformed JSON 400 with a detail, a
# schema violation 422 with its pointer, a gzip bomb 413, an unknown
# Content-Encoding 415; the daemon stays up.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq sqlite3 gzip
GOOD=$top_srcdir/tests/fixtures/reports/good.json

T=$DAEMON_TMP
DB=$COLLECTORD_DB
CA=$COLLECTORD_CA
HID=0123456789abcdef0123456789abcdef
OTHER=fedcba9876543210fedcba9876543210

# --- start on a free port ---
COLLECTORD_EXTRA='limits:
  max_body: 256k'
# collectord-reports-inline.sh: the same with no worker threads.
[ -z "${REPORTS_WORKERS:-}" ] || COLLECTORD_EXTRA="$COLLECTORD_EXTRA
  workers: $REPORTS_WORKERS"
collectord_start
URL=$COLLECTORD_URL
q() {
	sqlite3 "$DB" "$1"
}

# --- enroll HID with a key made here ---
tok=$(collectord_token)
collectord_enroll a "$HID" "$tok" laptop-1

# report NAME ID AGE [jq filter]: $T/NAME.json from the fixture, for
# HID, generated AGE seconds ago, and $T/NAME.gz.
report() {
	_at=$(date -u -d "@$(($(date +%s) - $3))" +%Y-%m-%dT%H:%M:%SZ)
	jq --arg id "$2" --arg h "$HID" --arg at "$_at" \
	    ".report_id = \$id | .agent.host_id = \$h | .generated_at = \$at | ${4:-.}" \
	    "$GOOD" >"$T/$1.json" || fail "jq on $GOOD"
	gzip -c "$T/$1.json" >"$T/$1.gz"
}
# post FILE [curl args]: the status code; the answer in $T/resp.
post() {
	collectord_post /api/v1/reports "$@"
}
# postc FILE [curl args]: post with the client certificate.
postc() {
	_f=$1
	shift
	post "$_f" --cert "$T/a.pem" --key "$T/a.key" "$@"
}
gzpost() {
	postc "$1" -H 'Content-Encoding: gzip'
}
resp() {
	jq -e "$1" "$T/resp" >/dev/null || fail "$2: $(cat "$T/resp")"
}
nres=$(jq '.results | length' "$GOOD")
[ "$nres" -gt 10 ] || fail "the fixture has $nres results"

# --- first report: every check is new ---
report r1 11111111-1111-4111-8111-111111111111 300
code=$(gzpost "$T/r1.gz")
[ "$code" = 200 ] || fail "first report: $code $(cat "$T/resp") $(cat "$T/curl.err")"
resp ".accepted == true and .changes == $nres" "first report"
[ "$(q 'SELECT count(*) FROM reports')" = 1 ] || fail "reports after r1"
[ "$(q 'SELECT count(*) FROM latest')" = "$nres" ] || fail "latest after r1"
[ "$(q 'SELECT count(*) FROM results_history')" = "$nres" ] ||
    fail "history after r1"
row=$(q "SELECT host_id, kind, length(sha256), summary FROM reports")
[ "$row" = "$HID|run|64|$(jq -c .summary "$GOOD")" ] || fail "reports row: $row"
seen=$(q "SELECT last_seen FROM hosts WHERE host_id = '$HID'")
[ -n "$seen" ] && [ "$seen" -ge $(($(date +%s) - 60)) ] ||
    fail "last_seen: '$seen'"
[ "$(q "SELECT hostname FROM hosts")" = vm ] ||
    fail "hostname not taken from the report"
sha1=$(q "SELECT sha256 FROM reports")

# --- the same report again: a duplicate, nothing written ---
code=$(gzpost "$T/r1.gz")
[ "$code" = 200 ] || fail "duplicate: $code $(cat "$T/resp")"
resp '.duplicate == true and (has("accepted") | not)' "duplicate"
[ "$(q 'SELECT count(*) FROM reports')" = 1 ] || fail "a duplicate was stored"
[ "$(q 'SELECT count(*) FROM results_history')" = "$nres" ] ||
    fail "a duplicate wrote history"

# --- same verdicts, new report: one reports row, no history ---
report r2 22222222-2222-4222-8222-222222222222 200
code=$(gzpost "$T/r2.gz")
[ "$code" = 200 ] || fail "second report: $code $(cat "$T/resp")"
resp '.accepted == true and .changes == 0' "second report"
[ "$(q 'SELECT count(*) FROM reports')" = 2 ] || fail "reports after r2"
[ "$(q 'SELECT count(*) FROM results_history')" = "$nres" ] ||
    fail "unchanged verdicts wrote history: $(q 'SELECT count(*) FROM results_history')"
[ "$(q "SELECT sha256 FROM reports WHERE report_id LIKE '2222%'")" != "$sha1" ] ||
    fail "two different reports have one sha256"

# --- one check flipped (identity encoding this time) ---
chk=$(jq -r '[.results[] | select(.status == "pass")][0].check' "$GOOD")
report r3 33333333-3333-4333-8333-333333333333 100 \
    "(.results[] | select(.check == \"$chk\") | .status) = \"fail\" |
     .summary.pass -= 1 | .summary.fail += 1"
code=$(postc "$T/r3.json")
[ "$code" = 200 ] || fail "flipped report: $code $(cat "$T/resp")"
resp '.accepted == true and .changes == 1' "flipped report"
[ "$(q 'SELECT count(*) FROM results_history')" = $((nres + 1)) ] ||
    fail "history after one flip: $(q 'SELECT count(*) FROM results_history')"
[ "$(q "SELECT status FROM latest WHERE check_id = '$chk'")" = fail ] ||
    fail "latest of $chk not updated"
at3=$(q "SELECT at FROM results_history WHERE check_id = '$chk' AND status = 'fail'")
[ "$(q "SELECT since FROM latest WHERE check_id = '$chk'")" = "$at3" ] ||
    fail "latest.since of $chk is not the flip's time"
[ "$(q "SELECT count(*) FROM latest")" = "$nres" ] || fail "latest grew"

# --- a late delivery moves no verdict back ---
report r0 00000000-0000-4000-8000-000000000001 1000
code=$(gzpost "$T/r0.gz")
[ "$code" = 200 ] || fail "late report: $code $(cat "$T/resp")"
resp '.accepted == true and .changes == 0' "late report"
[ "$(q "SELECT status FROM latest WHERE check_id = '$chk'")" = fail ] ||
    fail "a late report moved $chk back"
[ "$(q 'SELECT count(*) FROM reports')" = 4 ] || fail "late report not kept"

# --- refusals ---
nrep=$(q 'SELECT count(*) FROM reports')
report bad 44444444-4444-4444-8444-444444444444 50
code=$(post "$T/bad.gz" -H 'Content-Encoding: gzip')
[ "$code" = 401 ] || fail "no client certificate: $code"
resp '.error == "unauthorized" and (.detail | length > 0)' "401 answer"

report bad 44444444-4444-4444-8444-444444444444 50 ".agent.host_id = \"$OTHER\""
code=$(gzpost "$T/bad.gz")
[ "$code" = 422 ] || fail "host_id mismatch: $code"
resp '(.detail | test("host_id does not match the client certificate")) and
    .pointer == "/agent/host_id"' "mismatch answer"

printf '{"schema": "isms-agent/report/v1", "report_id": ' | gzip -c >"$T/broken.gz"
code=$(gzpost "$T/broken.gz")
[ "$code" = 400 ] || fail "malformed JSON: $code"
resp '.error == "malformed" and (.detail | test("Invalid JSON")) and .line >= 1' \
    "400 answer"

report bad 44444444-4444-4444-8444-444444444444 50 '.results[3].status = "maybe"'
code=$(gzpost "$T/bad.gz")
[ "$code" = 422 ] || fail "schema violation: $code"
resp '.error == "schema" and .pointer == "/results/3/status" and
    (.detail | length > 0)' "422 answer"

head -c 50000000 /dev/zero | gzip -9 -c >"$T/bomb.gz"
[ "$(wc -c <"$T/bomb.gz")" -lt 262144 ] || fail "the bomb is not small"
code=$(gzpost "$T/bomb.gz")
[ "$code" = 413 ] || fail "gzip bomb: $code"
resp '.error == "too_large"' "413 answer"

printf 'not gzip at all' >"$T/notgz"
code=$(gzpost "$T/notgz")
[ "$code" = 400 ] || fail "a body that is not gzip: $code"

report bad 44444444-4444-4444-8444-444444444444 50
code=$(postc "$T/bad.gz" -H 'Content-Encoding: br')
[ "$code" = 415 ] || fail "Content-Encoding br: $code"

code=$(curl -sS -o "$T/resp" -w '%{http_code}' --cacert "$CA" \
    --cert "$T/a.pem" --key "$T/a.key" "$URL/api/v1/reports")
[ "$code" = 405 ] || fail "GET /api/v1/reports: $code"

[ "$(q 'SELECT count(*) FROM reports')" = "$nrep" ] ||
    fail "a refused report was stored"
[ "$(q 'SELECT count(*) FROM results_history')" = $((nres + 1)) ] ||
    fail "a refused report wrote history"

# --- still up and still taking reports; clean exit ---
collectord_alive
code=$(gzpost "$T/bad.gz")
[ "$code" = 200 ] || fail "a good report after the refusals: $code $(cat "$T/resp")"
resp '.accepted == true' "last report"
collectord_stop
