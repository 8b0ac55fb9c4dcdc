#!/bin/sh
# isms-collectord stale-host alerts (issue 4, item 5), with a real
# collector, real webhook receivers and (as root, with unshare -m) a
# real /dev/log: stale_after 2s; a host enrolls and reports once, then
# falls silent: exactly one host_stale alert per destination (Slack
# Block Kit, Teams Adaptive Card, generic JSON isms-agent/alert/v1 with
# the same id everywhere, one key=value syslog line at warning); a
# second host, revoked, is never alerted.  A restart does not alert
# again (the mark is in the store).  The host reports again: one
# host_back alert each (syslog at notice); silent again: one more
# host_stale.  A webhook failing its first request gets the same body
# again after a backoff; a webhook answering after 4 s delays no
# report.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq sqlite3 gzip
GOOD=$top_srcdir/tests/fixtures/reports/good.json
T=$DAEMON_TMP
HID=0123456789abcdef0123456789abcdef
REV=fedcba9876543210fedcba9876543210
q() {
	sqlite3 "$COLLECTORD_DB" "$1"
}

# --- local syslog: the collector in a mount namespace whose /dev/log
# is a syslog-receiver's socket (as daemon-syslog-local.sh does) ---
SYSLOG=0
if [ "$(id -u)" -eq 0 ] &&
    unshare -m --propagation private true >/dev/null 2>&1; then
	SYSLOG=1
fi
printf '%s\n' "$DEVLOG_SETUP" >"$T/ns-setup.sh"
REAL_COLLECTORD=$COLLECTORD
if [ "$SYSLOG" = 1 ]; then
	start_syslog_receiver local --unix "$T/devlog.sock"
	cat >"$T/ns-collectord" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh "$T/ns-setup.sh" \
    "$T/devlog.sock" "$T/olddev" "$REAL_COLLECTORD" "\$@"
EOF
	chmod 755 "$T/ns-collectord"
else
	echo "note: not root or no unshare -m: syslog not checked"
fi
# start [PORT]: the collector, in the namespace when there is one.
start() {
	[ "$SYSLOG" = 1 ] && COLLECTORD=$T/ns-collectord
	collectord_start "$@"
	COLLECTORD=$REAL_COLLECTORD
}

start_http_receiver slack
start_http_receiver teams
start_http_receiver json
start_http_receiver flaky --fail-first 1
start_http_receiver slow --delay-ms 4000
COLLECTORD_EXTRA="stale_after: 2s
alerts:
  syslog: true
  syslog_facility: local4
  syslog_ident: isms-fleet
  webhooks:
    - url: http://127.0.0.1:$slack_PORT/slack
      format: slack
    - url: http://127.0.0.1:$teams_PORT/teams
      format: teams
    - url: http://127.0.0.1:$json_PORT/json
      format: json
    - url: http://127.0.0.1:$flaky_PORT/flaky
      format: json
      rate_limit: 0
    - url: http://localhost:$slow_PORT/slow
      format: json"

# Configuration errors name file:line.
COLLECTORD_EXTRA_OK=$COLLECTORD_EXTRA
COLLECTORD_EXTRA="stale_after: 0s
alerts:
  syslog_facility: kernel
  webhooks:
    - url: http://example.com/x
      format: slack"
collectord_conf 1
rc=0
collectord_cmd token list >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "bad alerts config: exit $rc: $(cat "$T/bad.out")"
grep -q "c.yaml:4:.*stale_after must be 1s" "$T/bad.out" &&
    grep -q "c.yaml:6:.*syslog facility" "$T/bad.out" &&
    grep -q "c.yaml:8:.*https://" "$T/bad.out" ||
    fail "bad alerts config: $(cat "$T/bad.out")"
COLLECTORD_EXTRA=$COLLECTORD_EXTRA_OK
collectord_conf 1
"$COLLECTORD" -n -f "$COLLECTORD_CONF" >/dev/null ||
    fail "-n on the alerts config"

start
PORT=$COLLECTORD_PORT

# report ID: a report of HID (mTLS), answered 200 in under a second.
report() {
	_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	jq --arg id "$1" --arg h "$HID" --arg at "$_at" \
	    '.report_id = $id | .agent.host_id = $h | .agent.hostname = "web-01" | .generated_at = $at' \
	    "$GOOD" | gzip -c >"$T/$1.gz"
	_t0=$(date +%s%N)
	_code=$(collectord_post /api/v1/reports "$T/$1.gz" \
	    --cert "$T/a.pem" --key "$T/a.key" -H 'Content-Encoding: gzip')
	_ms=$((($(date +%s%N) - _t0) / 1000000))
	[ "$_code" = 200 ] || fail "report $1: $_code $(cat "$T/resp")"
	[ "$_ms" -lt 1000 ] || fail "report $1 took $_ms ms"
}
# body N RECEIVER JQ: request N's body, parsed, satisfies JQ.
body() {
	sed -n "$1p" "$T/$2.log" | jq -e ".body | fromjson | $3" \
	    >/dev/null || fail "$2 request $1: $3: $(sed -n "$1p" "$T/$2.log")"
}
# expect N WHAT: every receiver (and syslog) has N lines, and keeps them.
expect() {
	for r in slack teams json slow; do
		wait_for_lines "$T/$r.log" "$1" 15 ||
		    fail "$2: $r has $(wc -l <"$T/$r.log") lines, not $1"
	done
	[ "$SYSLOG" = 0 ] || wait_for_lines "$local_LOG" "$1" 5 ||
	    fail "$2: syslog: $(cat "$local_LOG")"
	sleep 1.5
	for r in slack teams json slow; do
		[ "$(wc -l <"$T/$r.log")" = "$1" ] ||
		    fail "$2: $r: $(cat "$T/$r.log")"
	done
	[ "$SYSLOG" = 0 ] || [ "$(wc -l <"$local_LOG")" = "$1" ] ||
	    fail "$2: syslog: $(cat "$local_LOG")"
}
# drained: every queued body delivered (the slow webhook answered).
drained() {
	_i=0
	while [ "$(q "SELECT count(*) FROM alert_queue WHERE
	    delivered_at IS NULL")" != 0 ]; do
		_i=$((_i + 1))
		[ "$_i" -le 100 ] || fail "undelivered: $(q 'SELECT dest,
		    attempts, last_error FROM alert_queue WHERE
		    delivered_at IS NULL')"
		sleep 0.1
	done
}
KV='def kv: [match("(?<k>[a-z_0-9]+)=(?<v>\"([^\"\\\\]|\\\\.)*\"|[^ \"=\\\\]+)"; "g")
	 | {(.captures[0].string): (.captures[1].string)}] | add;'
# syslog N JQ: message N, .kv its key=value fields.
syslog_is() {
	[ "$SYSLOG" = 0 ] && return 0
	sed -n "$1p" "$local_LOG" | jq -e "$KV . + {kv: (.msg | kv)} | $2" \
	    >/dev/null || fail "syslog message $1: $2: $(sed -n "$1p" "$local_LOG")"
}

# --- a host reports once; another is revoked; nothing yet ---
tok=$(collectord_token --uses 2)
collectord_enroll a "$HID" "$tok" web-01
collectord_enroll b "$REV" "$tok" gone-01
collectord_cmd host revoke "$REV" >/dev/null
report 11111111-1111-4111-8111-111111111111
[ "$(wc -l <"$T/json.log")" = 0 ] || fail "alert before silence"

# --- silent: one host_stale alert everywhere ---
expect 1 "stale"
seen=$(q "SELECT last_seen FROM hosts WHERE host_id = '$HID'")
seen_at=$(date -u -d "@$seen" +%Y-%m-%dT%H:%M:%SZ)
body 1 json ".schema == \"isms-agent/alert/v1\" and .event == \"host_stale\"
    and .host == \"web-01\" and .host_id == \"$HID\" and .stale_after == 2
    and .last_seen == \"$seen_at\" and .check == null and .old == null
    and (.id | test(\"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]\"))
    and (.at | test(\"^[0-9-]{10}T[0-9:]{8}Z$\"))"
id=$(sed -n 1p "$T/json.log" | jq -r '.body | fromjson | .id')
body 1 slow ".id == \"$id\" and .event == \"host_stale\""
body 1 slack '.blocks[0].type == "header" and
    .blocks[0].text.text == "Host silent: web-01" and
    (.text | startswith("Host silent: web-01")) and
    ([.blocks[1].fields[].text] | index("*Host ID*\n'"$HID"'") != null) and
    ([.blocks[1].fields[].text] | index("*Silent for more than*\n2s") != null)'
body 1 teams '.type == "message" and
    .attachments[0].content.type == "AdaptiveCard" and
    .attachments[0].content.body[0].text == "Host silent: web-01" and
    .attachments[0].content.body[0].color == "Attention"'
sed -n 1p "$T/slack.log" | jq -e '.method == "POST" and
    .content_type == "application/json" and
    (.user_agent | startswith("isms-agent/"))' >/dev/null ||
    fail "slack request: $(sed -n 1p "$T/slack.log")"
syslog_is 1 ".valid and .facility == 20 and .severity == 4 and
    .ident == \"isms-fleet\" and (.msg | startswith(\"event=host_stale \"))
    and .kv.host == \"web-01\" and .kv.host_id == \"$HID\" and
    .kv.last_seen == \"$seen_at\" and .kv.stale_after == \"2\" and
    (.kv.at | length) == 20 and (.msg | contains(\"$REV\") | not)"
grep -q "host $HID (web-01): stale" "$COLLECTORD_LOG" ||
    fail "no log line: $(cat "$COLLECTORD_LOG")"
[ "$(q "SELECT count(*) FROM hosts WHERE stale_alerted_at IS NOT NULL")" = 1 ] ||
    fail "marks: $(q 'SELECT host_id, stale_alerted_at FROM hosts')"
for r in slack teams json slow; do
	grep -q "$REV" "$T/$r.log" && fail "revoked host alerted on $r"
done

# --- the flaky webhook: a 500, then the same body after a backoff ---
wait_for_lines "$T/flaky.log" 2 15 || fail "flaky: no retry: $(cat "$T/flaky.log")"
jq -e -s "length == 2 and .[0].status == 500 and .[1].status == 200 and
    .[0].body == .[1].body and (.[0].body | fromjson | .id) == \"$id\"" \
    "$T/flaky.log" >/dev/null || fail "flaky: $(cat "$T/flaky.log")"
grep -q "to json http://127.0.0.1:$flaky_PORT/flaky: HTTP 500; next try" \
    "$COLLECTORD_LOG" || fail "no retry log line"

# --- restart: no second alert (a body still in flight at the stop
# would be sent again, with the same id: at least once) ---
drained
collectord_stop
start "$PORT"
sleep 2
expect 1 "after restart"
collectord_alive

# --- reporting again: one host_back alert; the slow webhook (4 s an
# answer) delays no report ---
report 22222222-2222-4222-8222-222222222222
expect 2 "back"
body 2 json ".event == \"host_back\" and .host_id == \"$HID\" and
    .id != \"$id\" and .last_seen != null"
body 2 slack '.blocks[0].text.text == "Reporting again: web-01"'
body 2 teams '.attachments[0].content.body[0].color == "Good"'
syslog_is 2 ".severity == 5 and .kv.event == \"host_back\" and
    .kv.host_id == \"$HID\""
[ "$(q "SELECT count(*) FROM hosts WHERE stale_alerted_at IS NOT NULL")" = 0 ] ||
    fail "mark not cleared"
# While the slow webhook is mid-request, reports are answered at once.
report 33333333-3333-4333-8333-333333333333

# --- silent again: one more host_stale ---
expect 3 "stale again"
body 3 json '.event == "host_stale"'
syslog_is 3 '.kv.event == "host_stale"'
drained
[ "$(q "SELECT count(*) FROM alert_queue")" = 15 ] ||
    fail "queue: $(q 'SELECT dest, attempts FROM alert_queue')"
collectord_alive
collectord_stop
for r in slack teams json flaky slow; do
	stop_receiver "$r"
done
[ "$SYSLOG" = 0 ] || stop_receiver local
exit 0
