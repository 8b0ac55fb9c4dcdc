#!/bin/sh
# isms-agentd reports: a collector answering 422 (a refused report) is
# logged as a rejection and the report is kept in the outbox, rejected,
# next try a day away (not deleted, not hammered), and no longer holds
# back the next report; a 403 (the certificate, not the report) keeps
# the item at the head, an hour away, not rejected; a 200 that does not say
# accepted or duplicate does not delete it either; a client key readable
# by others turns reports off on SIGHUP with a clear log line.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
agentd_need_root
agentd_fixture session-tmout
P=$ROOT/pki
make_test_pki "$P"
mv "$P/client.pem" "$P/agent.pem"
mv "$P/client.key" "$P/agent.key"
start_http_receiver coll --cert "$P/server.pem" --key "$P/server.key" \
    --client-ca "$P/ca.pem" --status 422
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
collector:
  url: https://127.0.0.1:$coll_PORT/
  ca: /pki/ca.pem
  cert: /pki/agent.pem
  key: /pki/agent.key
EOF
} >"$AGENTD_CONF"

agentd_start
wait_for_lines "$coll_LOG" 1 10 || fail "no report posted: $(tail "$AGENTD_ERR")"
jq -e '.path == "/api/v1/reports" and .status == 422' "$coll_LOG" >/dev/null ||
    fail "request: $(cat "$coll_LOG")"
agentd_wait '.outbox == 1' 5 || fail "report not kept: $(agentd_status | jq -c .outbox)"
i=0
until grep -q 'rejected by the collector (HTTP 422' "$AGENTD_ERR"; do
	i=$((i + 1))
	[ "$i" -le 50 ] || fail "rejection not logged: $(tail "$AGENTD_ERR")"
	sleep 0.1
done
[ "$(agentd_sql "SELECT attempts = 1 AND next_at >= strftime('%s','now') + 86000
    AND rejected_at IS NOT NULL FROM outbox")" = 1 ] ||
    fail "outbox after 422: $(agentd_sql 'SELECT * FROM outbox')"
agentd_expect '.outbox_rejected == 1'
agentd_run				# a second report, not held back
wait_for_lines "$coll_LOG" 2 10 || fail "the refused report blocks the queue"
agentd_wait '.outbox == 2 and .outbox_rejected == 2' 5 ||
    fail "second report: $(agentd_status | jq -c '{outbox, outbox_rejected}')"
sleep 1
count_lines "$coll_LOG" 2 "a rejected report retried at once"

# A 403 is the certificate's fault, not the report's: kept at the head.
agentd_stop
stop_receiver coll
: >"$coll_LOG"
start_http_receiver coll --port "$coll_PORT" --cert "$P/server.pem" \
    --key "$P/server.key" --client-ca "$P/ca.pem" --status 403
agentd_start				# its run is the third report
wait_for_lines "$coll_LOG" 1 10 || fail "no report after the restart"
sleep 1
count_lines "$coll_LOG" 1 "a report behind a 403 was sent"
agentd_expect '.outbox == 3 and .outbox_rejected == 2'
grep -q 'refused by the collector (HTTP 403.*certificate or collector.url' \
    "$AGENTD_ERR" || fail "403 not logged: $(tail -n 3 "$AGENTD_ERR")"
[ "$(agentd_sql "SELECT next_at >= strftime('%s','now') + 3500 AND
    next_at < strftime('%s','now') + 3700 FROM outbox WHERE rejected_at IS NULL")" = 1 ] ||
    fail "outbox after 403: $(agentd_sql 'SELECT * FROM outbox')"

# Restarted: the queue is kept; a 200 without accepted deletes nothing.
agentd_stop
stop_receiver coll
agentd_sql "UPDATE outbox SET next_at = 0"
: >"$coll_LOG"
start_http_receiver coll --port "$coll_PORT" --cert "$P/server.pem" \
    --key "$P/server.key" --client-ca "$P/ca.pem"
agentd_start
wait_for_lines "$coll_LOG" 1 10 || fail "no retry after the restart"
sleep 0.5
agentd_expect '.outbox == 4'
grep -q 'HTTP 200 without accepted or duplicate' "$AGENTD_ERR" ||
    fail "a bare 200 not refused: $(tail "$AGENTD_ERR")"

# A key others can read: reports off, said why.
chmod 644 "$P/agent.key"
agentd_reload || fail "reload refused"
grep -q 'collector.key /pki/agent.key is readable by group or others (mode 644)' \
    "$AGENTD_ERR" || fail "key mode not logged: $(tail "$AGENTD_ERR")"
agentd_expect '.reports == false and .outbox == 4'
"$ISMSCTL" status --socket "$AGENTD_SOCK" |
    grep -q '^report outbox (pending): 4 (reports off)$' || fail "status text"
agentd_stop
