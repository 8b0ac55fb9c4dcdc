#!/bin/sh
# isms-agentd: alerts raised while the webhook endpoint is down are kept
# in the store's queue, survive a restart of the daemon, and are each
# delivered exactly once, in order, when the endpoint is back; the
# status shows the queue filling and draining to 0.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

# sqlite3 on the store, leaving any file it makes to the daemon's user.
store_sql() {
	sqlite3 "$AGENTD_STORE" "$1" || fail "sqlite3: $1"
	chown -R nobody "$(dirname "$AGENTD_STORE")"
}

CHECK=session.idle_timeout
agentd_fixture session-tmout
# A port that is known but closed: start a receiver and stop it.
start_http_receiver hook
port=$hook_PORT
stop_receiver hook
: >"$hook_LOG"
dest="webhook:http://127.0.0.1:$port/alerts"
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
  webhooks:
    - url: http://127.0.0.1:$port/alerts
      format: json
EOF
} >"$AGENTD_CONF"

# Down: the baseline summary, a drift and a recovery are queued.
agentd_start
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
sed -i 's/^TMOUT=3600$/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_wait ".queued_total == 3 and .queues[\"$dest\"] == 3" 5 ||
    fail "3 alerts not queued: $(agentd_status | jq -c .queues)"
[ "$(store_sql "SELECT count(*) FROM alert_queue WHERE attempts > 0 AND
    last_error IS NOT NULL AND delivered_at IS NULL")" -ge 1 ] ||
    fail "no failed delivery recorded: $(store_sql 'SELECT * FROM alert_queue')"

# Restarted while still down: nothing is lost.
agentd_stop
[ "$(store_sql "SELECT count(*) FROM alert_queue WHERE delivered_at IS
    NULL")" -eq 3 ] || fail "queue not kept across the restart"
agentd_start				# its first run changes nothing
agentd_expect ".queued_total == 3"
count_lines "$hook_LOG" 0 "endpoint down"

# Up again, on the same port: each alert once, oldest first.
start_http_receiver hook --port "$port"
agentd_wait '.queued_total == 0' 25 ||
    fail "queue not drained: $(agentd_status | jq -c .queues)"
agentd_run				# unchanged: nothing new
agentd_drained
count_lines "$hook_LOG" 3 "delivered after the outage"
[ "$(jq -s 'map(select(.status == 200 and .path == "/alerts")) | length' \
    "$hook_LOG")" -eq 3 ] || fail "not every request answered 200"
i=0
for id in $(store_sql "SELECT id FROM alert_queue ORDER BY id"); do
	i=$((i + 1))
	[ "$(store_sql "SELECT delivered_at IS NOT NULL FROM alert_queue
	    WHERE id = $id")" -eq 1 ] || fail "alert $id not marked delivered"
	store_sql "SELECT body FROM alert_queue WHERE id = $id" \
	    >"$DAEMON_TMP/queued"
	sed -n "${i}p" "$hook_LOG" | jq -r .body >"$DAEMON_TMP/got"
	cmp -s "$DAEMON_TMP/queued" "$DAEMON_TMP/got" ||
	    fail "request $i is not queued alert $id: $(cat "$DAEMON_TMP/got")"
done
[ "$i" -eq 3 ] || fail "$i alerts in the queue table, expected 3"
jq -s -e '[.[].body | fromjson | [.event, .check, .old, .new]] ==
    [["summary", null, null, null],
     ["drift", "'$CHECK'", "pass", "fail"],
     ["drift", "'$CHECK'", "fail", "pass"]]' "$hook_LOG" >/dev/null ||
    fail "wrong alerts delivered: $(jq -c '.body | fromjson |
        [.event, .check, .old, .new]' "$hook_LOG")"

# A 500 with Retry-After: retried, then delivered once.
stop_receiver hook
start_http_receiver hook --port "$port" --fail-first 1 --retry-after 1
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_wait '.queued_total == 0' 15 ||
    fail "alert refused once not delivered: $(agentd_status | jq -c .queues)"
count_lines "$hook_LOG" 2 "500 then 200"
jq -s -e '.[0].status == 500 and .[1].status == 200 and
    .[0].body == .[1].body' "$hook_LOG" >/dev/null ||
    fail "retry after a 500: $(cat "$hook_LOG")"
agentd_stop
