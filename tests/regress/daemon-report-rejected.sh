#!/bin/sh
# isms-agentd reports to a real isms-collectord (issue 4): a report the
# collector refuses for good (422: its agent.host_id is not the
# certificate's host, the machine-id having changed under the agent) is
# rejected and set aside, not at the head of the outbox: the newer runs
# arrive; "ismsctl status" shows 1 rejected, the log names report_id,
# run, status and the collector's reason; "ismsctl outbox" lists it with
# that reason; "ismsctl outbox retry" sends it again at once (refused
# again, still rejected); "ismsctl outbox drop" removes it while the
# daemon runs (the run stays in the store) and it never comes back.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root
COLLECTORD_STATE=$DAEMON_TMP/cstate	# state/ is the agent's
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl jq sqlite3
T=$DAEMON_TMP
CDB=$COLLECTORD_DB

cq() {
	sqlite3 "$CDB" "$1" || fail "sqlite3 collector: $1"
}
collectord_start
URL=$COLLECTORD_URL

# --- the host: a fixture with a machine-id, enrolled under its root ---
agentd_enrolled session-tmout
outbox() {
	"$ISMSCTL" outbox --store "$AGENTD_STORE" "$@"
}

# --- the first run names another machine-id: refused for good ---
echo 0123456789abcdef0123456789abcdef >"$ROOT/etc/machine-id"
agentd_start
agentd_wait '.outbox == 1 and .outbox_rejected == 1' 10 ||
    fail "not rejected: $(agentd_status | jq -c '{outbox, outbox_rejected}') $(tail -n 5 "$AGENTD_ERR")"
RID=$(agentd_sql "SELECT report_id FROM outbox")
RUN=$(agentd_sql "SELECT run_id FROM outbox")
grep "report $RID (run $RUN) rejected by the collector (HTTP 422: " \
    "$AGENTD_ERR" | grep -q 'host_id' ||
    fail "rejection not logged with its reason: $(grep rejected "$AGENTD_ERR")"
grep -q 'refused: 422' "$COLLECTORD_LOG" ||
    fail "the collector did not refuse it: $(tail -n 5 "$COLLECTORD_LOG")"
[ "$(collectord_reports)" -eq 0 ] || fail "a refused report was stored"
[ "$(agentd_sql "SELECT next_at >= strftime('%s','now') + 86000 FROM outbox")" = 1 ] ||
    fail "rejected item not set aside for a day: $(agentd_sql 'SELECT * FROM outbox')"

# --- the machine-id back: newer runs are not held back ---
cp "$top_srcdir/tests/fixtures/inventory-debian/root/etc/machine-id" "$ROOT/etc/"
agentd_run
agentd_run
collectord_wait_reports 2 10
agentd_wait '.outbox == 1 and .outbox_rejected == 1' 5 ||
    fail "outbox: $(agentd_status | jq -c '{outbox, outbox_rejected}')"
st=$("$ISMSCTL" status --socket "$AGENTD_SOCK")
printf '%s\n' "$st" | grep -q '^report outbox (pending): 1$' &&
    printf '%s\n' "$st" | grep -q '^  rejected by the collector: 1 ' ||
    fail "status text: $st"

# --- ismsctl outbox lists it, with the collector's reason ---
outbox --format json >"$T/ob.json" || fail "ismsctl outbox --format json failed"
jq -e --arg r "$RID" --argjson n "$RUN" 'length == 1 and .[0].report_id == $r and
    .[0].run == $n and .[0].kind == "run" and .[0].attempts == 1 and
    (.[0].rejected | type) == "string" and
    (.[0].last_error | test("^HTTP 422: .*host_id"))' "$T/ob.json" >/dev/null ||
    fail "outbox json: $(cat "$T/ob.json")"
outbox >"$T/ob.txt" || fail "ismsctl outbox failed"
grep -q '^1 report in the outbox, 1 rejected$' "$T/ob.txt" &&
    grep -q "^$RID  run $RUN " "$T/ob.txt" &&
    grep -q '^    REJECTED .*: HTTP 422: .*host_id' "$T/ob.txt" ||
    fail "outbox text: $(cat "$T/ob.txt")"
outbox --lang ja | grep -q '送信待ちのレポート: 1 件 (うち拒否 1 件)' ||
    fail "outbox --lang ja"

# --- retry: sent again now, refused again, still rejected ---
n422=$(grep -c 'refused: 422' "$COLLECTORD_LOG")
outbox retry "$RID" --socket "$AGENTD_SOCK" >"$T/retry.out" ||
    fail "retry: $(cat "$T/retry.out")"
grep -q '^1 report due now, not rejected$' "$T/retry.out" || fail "retry: $(cat "$T/retry.out")"
i=0
until [ "$(grep -c "report $RID (run $RUN) rejected by the collector" "$AGENTD_ERR")" -eq 2 ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "retry not sent at once: $(tail -n 5 "$AGENTD_ERR")"
	sleep 0.1
done
[ "$(grep -c 'refused: 422' "$COLLECTORD_LOG")" -eq $((n422 + 1)) ] ||
    fail "the collector did not see the retry"
agentd_expect '.outbox == 1 and .outbox_rejected == 1'
[ "$(agentd_sql "SELECT attempts FROM outbox")" -eq 2 ] || fail "attempts"

# --- drop it while the daemon runs; the run stays ---
runs=$(agentd_sql "SELECT count(*) FROM runs")
outbox drop "$RID" >"$T/drop.out" || fail "drop: $(cat "$T/drop.out")"
grep -q "^report $RID dropped from the outbox; run $RUN stays in the local store" \
    "$T/drop.out" || fail "drop: $(cat "$T/drop.out")"
agentd_expect '.outbox == 0 and .outbox_rejected == 0'
rc=0
outbox drop "$RID" 2>"$T/drop.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "report $RID is not in the outbox" "$T/drop.err" ||
    fail "drop again: exit $rc $(cat "$T/drop.err")"
rc=0
outbox retry 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "retry without REPORT_ID exited $rc"
rc=0
outbox frobnicate 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "unknown action exited $rc"
outbox | grep -q '^the report outbox is empty$' || fail "outbox not empty"
[ "$(agentd_sql "SELECT count(*) FROM runs")" -eq "$runs" ] || fail "a run was deleted"
agentd_sql "SELECT count(*) FROM runs WHERE id = $RUN" | grep -qx 1 ||
    fail "run $RUN gone from the store"

# --- the daemon still writes its store; the dropped item never returns ---
agentd_run
collectord_wait_reports 3 10
agentd_wait '.outbox == 0' 5 || fail "outbox after a run: $(agentd_status | jq -c .outbox)"
agentd_stop
agentd_start
collectord_wait_reports 4 10
agentd_wait '.outbox == 0 and .outbox_rejected == 0' 5 ||
    fail "after restart: $(agentd_status | jq -c '{outbox, outbox_rejected}')"
[ "$(cq "SELECT count(*) FROM reports WHERE report_id = '$RID'")" -eq 0 ] ||
    fail "the dropped report arrived"
agentd_stop
collectord_stop
exit 0
