#!/bin/sh
# isms-agentd: a check that keeps failing is alerted once when it
# drifts, not again on every run; at alerts.summary_at (set by SIGHUP)
# exactly one summary listing the failing checks goes to a JSON webhook.
#
# Waiting for a wall-clock minute would take up to a minute: the daemon
# runs instead in a fixed time zone whose UTC offset has seconds, chosen
# so that a local minute begins about 12 s after the start.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

CHECK=session.idle_timeout
conf() {		# summary_at
	agentd_base_conf
	cat <<EOF2
alerts:
  syslog: false
  summary_at: "$1"
  webhooks:
    - url: http://127.0.0.1:$hook_PORT/
      format: json
EOF2
}

body_jq() {		# line jq
	sed -n "$1p" "$hook_LOG" | jq -e ".body | fromjson | $2" >/dev/null ||
	    fail "alert $1: $2: $(sed -n "$1p" "$hook_LOG" | jq -r .body)"
}

# Local time = UTC + off seconds, off making now + 12 s a whole minute.
now=$(date +%s)
off=$(((48 - now % 60 + 120) % 60))
TZ=$(printf 'IST-00:00:%02d' "$off")
export TZ

agentd_fixture session-tmout
start_http_receiver hook
conf never >"$AGENTD_CONF"
agentd_start				# baseline: one summary
agentd_drained
count_lines "$hook_LOG" 1 "baseline"
body_jq 1 '.event == "summary"'
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run				# drift: alerted once
agentd_drained
count_lines "$hook_LOG" 2 "drift"
body_jq 2 '.event == "drift" and .check == "'$CHECK'" and .new == "fail"'
for i in 1 2 3; do			# still failing: nothing more
	agentd_run
done
agentd_drained
count_lines "$hook_LOG" 2 "three runs still failing"

# The next local minute, at least 2 s away (about 10 s unless slow).
t=$(date +%s)
b=$((t - (t + off) % 60 + 60))
[ $((b - t)) -ge 2 ] || b=$((b + 60))
at=$(date -d "@$b" +%H:%M)
conf "$at" >"$AGENTD_CONF"
agentd_reload || fail "summary_at $at refused: $(tail -n 5 "$AGENTD_ERR")"
wait_for_lines "$hook_LOG" 3 $((b - t + 5)) ||
    fail "no summary at $at (now $(date +%H:%M:%S)): $(tail -n 5 "$AGENTD_ERR")"
[ "$(date +%H:%M)" = "$at" ] || fail "summary at $(date +%H:%M:%S), not $at"
body_jq 3 '.event == "summary" and
    (.failing | map(.check) | index("'$CHECK'") != null) and
    (.failing | map(select(.check == "'$CHECK'"))[0].message |
    contains("1h"))'
agentd_run				# after it: still nothing more
agentd_drained
sleep 1
count_lines "$hook_LOG" 3 "one summary"
agentd_stop
