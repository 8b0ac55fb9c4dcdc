#!/bin/sh
# isms-agentd: a JSON webhook with rate_limit 2 (an hour) gets the first
# two of four alerts (the baseline summary and three drifts, flap
# damping off); the other two stay queued, in order, and survive a
# restart without being sent.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

CHECK=session.idle_timeout
DEST=
flip() {		# 600|3600
	sed -i "s/^TMOUT=.*/TMOUT=$1/" "$ROOT/etc/profile.d/tmout.sh"
	agentd_run
}

agentd_fixture session-tmout
start_http_receiver hook
DEST="webhook:http://127.0.0.1:$hook_PORT/"
{
	agentd_base_conf
	cat <<EOF2
alerts:
  syslog: false
  summary_at: never
  flap:
    window: 2
    max_changes: 100
  webhooks:
    - url: http://127.0.0.1:$hook_PORT/
      format: json
      rate_limit: 2
EOF2
} >"$AGENTD_CONF"

agentd_start				# alert 1: the baseline summary
flip 3600				# 2: pass -> fail
flip 600				# 3: fail -> pass
flip 3600				# 4: pass -> fail
agentd_wait ".queued_total == 2 and .queues[\"$DEST\"] == 2" 10 ||
    fail "queues: $(agentd_status | jq -c .queues)"
sleep 1					# nothing more goes out
count_lines "$hook_LOG" 2 "rate limit 2"
sed -n 1p "$hook_LOG" | jq -e '.body | fromjson | .event == "summary"' \
    >/dev/null || fail "first alert: $(sed -n 1p "$hook_LOG")"
sed -n 2p "$hook_LOG" | jq -e '.body | fromjson | .event == "drift" and
    .new == "fail"' >/dev/null || fail "second alert: $(sed -n 2p "$hook_LOG")"

# The held alerts are the two later drifts, in order; the oldest (the
# queue is first in, first out) is not due before a slot frees: an hour
# after the oldest delivery in the window.  Being held is not a failed
# attempt.  Nothing is lost or sent across a restart.
q=$(sqlite3 -json "$AGENTD_STORE" "SELECT id, body, attempts, next_at -
    created_at AS wait FROM alert_queue WHERE delivered_at IS NULL ORDER BY id")
printf '%s\n' "$q" | jq -e 'length == 2 and
    (map(.body | fromjson | .new) == ["pass", "fail"]) and
    .[0].wait >= 3500 and all(.[]; .attempts == 0)' >/dev/null ||
    fail "held alerts: $q"
agentd_stop
agentd_start
agentd_expect ".queued_total == 2 and .queues[\"$DEST\"] == 2"
sleep 1
count_lines "$hook_LOG" 2 "rate limit 2 after a restart"
[ "$(sqlite3 "$AGENTD_STORE" "SELECT count(*) FROM alert_queue")" -eq 4 ] ||
    fail "alerts lost: $(sqlite3 "$AGENTD_STORE" "SELECT id, dest, delivered_at FROM alert_queue")"
agentd_stop
