#!/bin/sh
# isms-agentd reports: a collector answering 422 (a refused report) is
# logged as a rejection and the report is kept in the outbox, next try
# an hour away (not deleted, not hammered); a 200 that does not say
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
[ "$(agentd_sql "SELECT attempts = 1 AND next_at >= strftime('%s','now') + 3500
    FROM outbox")" = 1 ] || fail "outbox after 422: $(agentd_sql 'SELECT * FROM outbox')"
agentd_run				# a second report queued behind it
sleep 1
count_lines "$coll_LOG" 1 "the refused report blocks the queue"
agentd_expect '.outbox == 2'

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
agentd_expect '.outbox == 3'
grep -q 'HTTP 200 without accepted or duplicate' "$AGENTD_ERR" ||
    fail "a bare 200 not refused: $(tail "$AGENTD_ERR")"

# A key others can read: reports off, said why.
chmod 644 "$P/agent.key"
agentd_reload || fail "reload refused"
grep -q 'collector.key /pki/agent.key is readable by group or others (mode 644)' \
    "$AGENTD_ERR" || fail "key mode not logged: $(tail "$AGENTD_ERR")"
agentd_expect '.reports == false and .outbox == 3'
"$ISMSCTL" status --socket "$AGENTD_SOCK" |
    grep -q '^report outbox (pending): 3 (reports off)$' || fail "status text"
agentd_stop
