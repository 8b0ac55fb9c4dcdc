#!/bin/sh
# isms-collectord fleet API end to end (issue 4), with a real daemon on
# 127.0.0.1: two hosts enroll and report (one check of the first flips
# to fail), then bearer tokens of each role from "api-token create":
# no or a bad token 401, a revoked one 401, a viewer 403 on
# results?as_of; /hosts lists both with their summaries; /hosts/{id}
# has the latest results; as_of before and after the flip gives the
# old and the new status, a bad as_of 400; /controls counts add up to
# what the reports say; /drift?since lists the flip with old and new;
# unknown host or path 404, POST 405; /metrics is Prometheus text with
# the right counts; no token reaches the log.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq gzip
GOOD=$top_srcdir/tests/fixtures/reports/good.json

T=$DAEMON_TMP
CA=$COLLECTORD_CA
H1=0123456789abcdef0123456789abcdef
H2=fedcba9876543210fedcba9876543210

# --- start on a free port ---
COLLECTORD_EXTRA='stale_after: 1h'
collectord_start
URL=$COLLECTORD_URL

# --- enroll two hosts ---
tok=$(collectord_token --uses 2)
collectord_enroll h1 "$H1" "$tok"
collectord_enroll h2 "$H2" "$tok"

# report N HID NAME ID EPOCH [jq filter]: post as host N, generated at
# EPOCH, the fixture with hostname NAME.
now=$(date +%s)
report() {
	_at=$(date -u -d "@$5" +%Y-%m-%dT%H:%M:%SZ)
	jq --arg id "$4" --arg h "$2" --arg at "$_at" --arg n "$3" \
	    ".report_id = \$id | .agent.host_id = \$h | .generated_at = \$at |
	     .agent.hostname = \$n | ${6:-.}" "$GOOD" >"$T/rep.json" ||
	    fail "jq on $GOOD"
	gzip -c "$T/rep.json" >"$T/rep.gz"
	curl -sS -o "$T/resp" -w '%{http_code}' --cacert "$CA" \
	    --cert "$T/h$1.pem" --key "$T/h$1.key" -H 'Content-Encoding: gzip' \
	    --data-binary @"$T/rep.gz" "$URL/api/v1/reports"
}
jq -e .agent.hostname "$GOOD" >/dev/null || fail "the fixture names no hostname"
chk=$(jq -r '[.results[] | select(.status == "pass")][0].check' "$GOOD")
t1=$((now - 600))
t2=$((now - 300))
flip="(.results[] | select(.check == \"$chk\") | .status) = \"fail\" |
    .summary.pass -= 1 | .summary.fail += 1"
code=$(report 1 $H1 alpha 11111111-1111-4111-8111-111111111111 $t1)
[ "$code" = 200 ] || fail "report 1: $code $(cat "$T/resp")"
code=$(report 1 $H1 alpha 11111111-1111-4111-8111-111111111111 $t1)
[ "$code" = 200 ] || fail "report 1 again: $code $(cat "$T/resp")"
code=$(report 1 $H1 alpha 33333333-3333-4333-8333-333333333333 $t2 "$flip")
[ "$code" = 200 ] || fail "flipped report: $code $(cat "$T/resp")"
cp "$T/rep.json" "$T/final1.json"
code=$(report 2 $H2 beta 22222222-2222-4222-8222-222222222222 $t1 \
    '.results[1].status = "error" | .summary.pass -= 1 | .summary.error += 1')
[ "$code" = 200 ] || fail "report 2: $code $(cat "$T/resp")"
cp "$T/rep.json" "$T/final2.json"

# --- tokens ---
A=$(collectord_cmd api-token create --role admin --note ops 2>/dev/null)
AU=$(collectord_cmd api-token create --role auditor 2>/dev/null)
V=$(collectord_cmd api-token create --role viewer 2>"$T/err")
grep -q 'role viewer' "$T/err" || fail "api-token create: $(cat "$T/err")"
R=$(collectord_cmd api-token create --role viewer --note gone 2>/dev/null)
[ ${#V} -ge 40 ] || fail "token too short: $V"
collectord_cmd api-token create --role root >/dev/null 2>&1 &&
    fail "api-token create --role root accepted"
collectord_cmd api-token list >"$T/list"
[ "$(grep -c valid "$T/list")" = 4 ] || fail "api-token list: $(cat "$T/list")"
grep -q 'admin .* ops' "$T/list" || fail "api-token list: $(cat "$T/list")"
for x in "$A" "$AU" "$V" "$R"; do
	grep -qF "$x" "$T/list" && fail "api-token list shows a token"
done
rh=$(printf %s "$R" | sha256sum | cut -c1-10)
collectord_cmd api-token revoke "$rh" >/dev/null ||
    fail "api-token revoke $rh"
grep -q "^${rh}.*revoked" "$(collectord_cmd api-token list >"$T/list";
    echo "$T/list")" || fail "not revoked: $(cat "$T/list")"
collectord_cmd api-token revoke "$rh" >/dev/null 2>&1 &&
    fail "a revoked token revoked again"

# api TOKEN PATH [curl args]: the status code; the answer in $T/resp.
api() {
	_t=$1
	_p=$2
	shift 2
	if [ -n "$_t" ]; then
		set -- -H "Authorization: Bearer $_t" "$@"
	fi
	curl -sS -o "$T/resp" -w '%{http_code}' --cacert "$CA" "$@" \
	    "$URL$_p" 2>"$T/curl.err" || echo "curl-failed"
}
resp() {
	jq -e "$1" "$T/resp" >/dev/null || fail "$2: $(cat "$T/resp")"
}
expect() {	# CODE TOKEN PATH [curl args]
	_c=$1
	shift
	code=$(api "$@")
	[ "$code" = "$_c" ] || fail "$2: $code, $_c expected: $(cat "$T/resp")"
}

# --- authentication and roles ---
expect 401 "" /api/v1/hosts
resp '.error == "unauthorized" and (.detail | length > 0)' "401 answer"
expect 401 "not-a-token" /api/v1/hosts
expect 401 "${V}x" /api/v1/hosts
expect 401 "$R" /api/v1/hosts
code=$(curl -sS -o "$T/resp" -w '%{http_code}' --cacert "$CA" \
    -H "Authorization: Basic $V" "$URL/api/v1/hosts")
[ "$code" = 401 ] || fail "Basic auth: $code"
expect 403 "$V" "/api/v1/hosts/$H1/results"
resp '.error == "forbidden"' "403 answer"
expect 200 "$AU" "/api/v1/hosts/$H1/results"
expect 200 "$A" "/api/v1/hosts/$H1/results"
for p in /api/v1/hosts "/api/v1/hosts/$H1" /api/v1/controls \
    "/api/v1/drift?since=2020-01-01T00:00:00Z"; do
	expect 200 "$V" "$p"
done

# --- /hosts ---
expect 200 "$V" /api/v1/hosts
resp '.hosts | length == 2' "two hosts"
resp "[.hosts[].id] == [\"$H1\", \"$H2\"]" "host ids"
resp "(.hosts[] | select(.id == \"$H1\")) | .hostname == \"alpha\" and
    .stale == false and .revoked == false and .summary == $(jq -c .summary "$T/final1.json")" \
    "host 1 summary"
resp "(.hosts[] | select(.id == \"$H2\")) | .hostname == \"beta\" and
    .summary == $(jq -c .summary "$T/final2.json")" "host 2 summary"
resp '.stale_after == 3600 and (.hosts[0].last_seen | test("^20[0-9-]+T[0-9:]+Z$"))' \
    "last_seen"

# --- /hosts/{id} ---
expect 200 "$V" "/api/v1/hosts/$H1"
nres=$(jq '.results | length' "$GOOD")
resp ".host.id == \"$H1\" and (.results | length) == $nres" "host 1 results"
resp "(.results[] | select(.check == \"$chk\")) | .status == \"fail\" and
    (.controls | type == \"array\") and (.severity | length > 0)" "flipped check"
jq -S '[.results[] | {check, status}] | sort_by(.check)' "$T/final1.json" >"$T/want"
jq -S '[.results[] | {check, status}]' "$T/resp" >"$T/got"
cmp -s "$T/want" "$T/got" || fail "latest results differ from the report"
expect 404 "$V" /api/v1/hosts/00000000000000000000000000000001
resp '.error == "not_found"' "404 answer"
expect 404 "$V" /api/v1/hosts/nothex
expect 404 "$AU" /api/v1/hosts/00000000000000000000000000000001/results
expect 404 "$V" "/api/v1/hosts/$H1/other"
expect 404 "$V" /api/v1/nothing
expect 405 "$V" /api/v1/hosts -X POST -d x
expect 405 "$V" /metrics -X POST -d x

# --- results?as_of ---
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
expect 200 "$AU" "/api/v1/hosts/$H1/results?as_of=$(iso $((t1 + 1)))"
resp "(.results | length) == $nres and ((.results[] | select(.check == \"$chk\")).status == \"pass\")" \
    "as_of before the flip"
resp ".summary.pass == $(jq .summary.pass "$GOOD")" "as_of summary before"
expect 200 "$AU" "/api/v1/hosts/$H1/results?as_of=$(iso $t2)"
resp "(.results[] | select(.check == \"$chk\")).status == \"fail\"" \
    "as_of at the flip"
resp ".summary.fail == $(jq .summary.fail "$T/final1.json")" "as_of summary after"
expect 200 "$AU" "/api/v1/hosts/$H1/results?as_of=$(iso $((t1 - 1)))"
resp '.results == []' "as_of before any report"
expect 400 "$AU" "/api/v1/hosts/$H1/results?as_of=yesterday"
resp '.error == "malformed" and (.detail | test("as_of"))' "bad as_of"

# --- /controls: the worst verdict per host and control ---
expect 200 "$V" /api/v1/controls
jq -s '[.[] as $r | [$r.results[] | .status as $s | .controls[] |
    {c: ., h: $r.agent.host_id, w: ({"fail":3,"error":2,"pass":1}[$s] // 0)}]
    | .[]] | group_by(.c) | map({control: .[0].c} + (group_by(.h) |
    map(max_by(.w).w) | {pass: map(select(. == 1)) | length,
    fail: map(select(. == 3)) | length, error: map(select(. == 2)) | length,
    not_applicable: map(select(. == 0)) | length}))' \
    "$T/final1.json" "$T/final2.json" | jq -S 'sort_by(.control)' >"$T/want"
jq -S '.controls | map(del(.hosts)) | sort_by(.control)' "$T/resp" >"$T/got"
cmp -s "$T/want" "$T/got" || fail "controls: $(diff "$T/want" "$T/got")"
resp 'all(.controls[]; .hosts == .pass + .fail + .error + .not_applicable and
    .hosts >= 1 and .hosts <= 2)' "controls add up"
resp '.controls | map(.control) | index("A.5.9") < index("A.5.15")' \
    "controls in Annex A order"

# --- /drift ---
expect 200 "$V" "/api/v1/drift?since=$(iso $((t2 - 1)))"
resp ".changes | length == 1" "one change since the flip"
resp ".changes[0] | .host_id == \"$H1\" and .check == \"$chk\" and
    .old == \"pass\" and .new == \"fail\" and .at == \"$(iso $t2)\"" "the flip"
expect 200 "$V" "/api/v1/drift?since=$(iso $t1)"
resp "(.changes | length) == 2 * $nres + 1 and .truncated == false" \
    "every change since the first reports"
resp '[.changes[] | select(.old == null)] | length == 2 * '"$nres" "new checks"
expect 400 "$V" "/api/v1/drift"
expect 400 "$V" "/api/v1/drift?since=2026-13-45"

# --- /metrics ---
code=$(api "" /metrics)
[ "$code" = 200 ] || fail "/metrics: $code"
grep -vE '^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* ' "$T/resp" |
    grep -vE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [0-9]+(\.[0-9]+)?$' \
    >"$T/bad" && fail "not Prometheus text: $(cat "$T/bad")"
m() {
	awk -v k="$1" '$1 == k { print $2 }' "$T/resp"
}
[ "$(m isms_collector_hosts)" = 2 ] || fail "hosts metric: $(cat "$T/resp")"
[ "$(m isms_collector_hosts_stale)" = 0 ] || fail "stale metric"
[ "$(m isms_collector_reports_total)" = 3 ] || fail "reports metric"
[ "$(m isms_collector_reports_duplicate_total)" = 1 ] || fail "duplicate metric"
[ "$(m 'isms_collector_http_requests_total{code="401"}')" -ge 5 ] ||
    fail "401 count: $(cat "$T/resp")"
[ "$(m 'isms_collector_http_requests_total{code="403"}')" = 1 ] ||
    fail "403 count: $(cat "$T/resp")"
grep -q '^# TYPE isms_collector_reports_total counter$' "$T/resp" ||
    fail "no TYPE line"

# --- no token in the log; still up; clean exit ---
for x in "$A" "$AU" "$V" "$R"; do
	grep -qF "$x" "$COLLECTORD_LOG" && fail "a token reached the log"
done
collectord_alive
collectord_stop
exit 0
