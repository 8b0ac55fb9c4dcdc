#!/bin/sh
# isms-agentd reports to a real isms-collectord on 127.0.0.1 (issue 4):
# the host enrolls ("ismsctl enroll --ca"), the daemon's first run
# arrives as a reports row for the host; with the collector stopped,
# three runs (one of them a drift) wait in the outbox and the status
# shows them; the daemon restarted while they wait loses none; with the
# collector started again on the same state directory every queued
# report arrives exactly once (distinct report_ids, one row per run) and
# the outbox drains to 0.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root
COLLECTORD_STATE=$DAEMON_TMP/cstate	# state/ is the agent's
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl jq sqlite3
T=$DAEMON_TMP
STATE=$COLLECTORD_STATE
CDB=$COLLECTORD_DB
CHECK=session.idle_timeout

cq() {
	sqlite3 "$CDB" "$1" || fail "sqlite3 collector: $1"
}
collectord_start
port=$COLLECTORD_PORT
URL=$COLLECTORD_URL

# --- the host: a fixture with a machine-id, enrolled under its root ---
agentd_enrolled session-tmout

# --- the first run arrives ---
agentd_start
agentd_expect '.reports == true'
collectord_wait_reports 1 10
agentd_wait '.outbox == 0' 5 || fail "outbox not empty: $(agentd_status | jq -c .outbox)"
[ "$(cq "SELECT kind FROM reports")" = run ] || fail "kind of the first report"
ismsctl_text=$("$ISMSCTL" status --socket "$AGENTD_SOCK")
printf '%s\n' "$ismsctl_text" | grep -q '^report outbox (pending): 0$' ||
    fail "status text: $ismsctl_text"

# --- collector down: three runs, one a drift, wait in the outbox ---
collectord_stop
agentd_run
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_run
agentd_wait '.outbox == 3' 5 || fail "3 reports not queued: $(agentd_status | jq -c .outbox)"
"$ISMSCTL" status --socket "$AGENTD_SOCK" | grep -q '^report outbox (pending): 3$' ||
    fail "status text does not show 3 queued"
i=0
until [ "$(agentd_sql "SELECT count(*) FROM outbox WHERE attempts > 0 AND
    last_error IS NOT NULL")" -ge 1 ]; do
	i=$((i + 1))
	[ "$i" -le 50 ] ||
	    fail "no failed upload recorded: $(agentd_sql 'SELECT * FROM outbox')"
	sleep 0.1
done

# --- restarted while they wait: nothing lost ---
agentd_stop
[ "$(agentd_sql "SELECT count(*) FROM outbox")" -eq 3 ] ||
    fail "outbox not kept across the restart"
agentd_sql "SELECT report_id FROM outbox ORDER BY run_id" >"$T/queued"
collectord_start "$port" || fail "port $port taken while the collector was down"
agentd_start				# its first run is the fifth report
runs=$(agentd_status | jq .runs_stored)
[ "$runs" -eq 5 ] || fail "$runs runs stored, expected 5"

# --- every queued report once, in run order, and the outbox drains ---
agentd_wait '.outbox == 0' 25 ||
    fail "outbox not drained: $(agentd_status | jq -c .outbox) $(tail -n 20 "$AGENTD_ERR")"
collectord_wait_reports 5 5
sleep 0.3
[ "$(collectord_reports)" -eq 5 ] || fail "$(collectord_reports) reports rows, expected 5"
[ "$(cq "SELECT count(DISTINCT report_id) FROM reports")" -eq 5 ] ||
    fail "report_ids not distinct"
for id in $(cat "$T/queued"); do
	[ "$(cq "SELECT count(*) FROM reports WHERE report_id = '$id'")" -eq 1 ] ||
	    fail "queued report $id not stored once"
done
# The drift reached the collector's history, and its latest verdict.
[ "$(cq "SELECT status FROM latest WHERE host_id = '$HID' AND
    check_id = '$CHECK'")" = fail ] || fail "$CHECK is not failing at the collector"
[ "$(cq "SELECT count(*) FROM results_history WHERE host_id = '$HID' AND
    check_id = '$CHECK'")" -eq 2 ] || fail "history of $CHECK: $(cq "SELECT * FROM results_history WHERE check_id = '$CHECK'")"
grep -q 'duplicate' "$COLLECTORD_LOG" && fail "a report was sent twice"
agentd_stop
collectord_stop
exit 0
