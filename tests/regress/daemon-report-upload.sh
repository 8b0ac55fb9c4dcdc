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
C="$top_builddir/isms-collectord"
[ -x "$C" ] || fail "$C not built"
for t in openssl jq sqlite3; do
	command -v "$t" >/dev/null || fail "$t not installed (tools/deps.sh)"
done

T=$DAEMON_TMP
chmod 711 "$T"			# nobody reaches the collector's state
STATE=$T/cstate
CDB=$STATE/store/collector.db
CHECK=session.idle_timeout

# collector_start PORT: isms-collectord on 127.0.0.1:PORT; 1 if in use.
collector_start() {
	cat >"$T/c.yaml" <<EOF
listen: "127.0.0.1:$1"
state_dir: $STATE
user: nobody
EOF
	: >"$T/c.log"
	"$C" -d -v -f "$T/c.yaml" >>"$T/c.log" 2>&1 &
	CPID=$!
	track_pid "$CPID"
	_i=0
	while ! grep -q 'ready' "$T/c.log"; do
		if ! kill -0 "$CPID" 2>/dev/null; then
			grep -q 'Address already in use' "$T/c.log" && return 1
			fail "isms-collectord exited: $(cat "$T/c.log")"
		fi
		_i=$((_i + 1))
		[ "$_i" -le 100 ] || fail "isms-collectord did not start: $(cat "$T/c.log")"
		sleep 0.1
	done
}
collector_stop() {
	kill -TERM "$CPID"
	_rc=0
	wait "$CPID" || _rc=$?
	[ "$_rc" -eq 0 ] || fail "isms-collectord exited $_rc: $(tail -5 "$T/c.log")"
}
cq() {
	sqlite3 "$CDB" "$1" || fail "sqlite3 collector: $1"
}
store_sql() {
	sqlite3 "$AGENTD_STORE" "$1" || fail "sqlite3: $1"
	chown -R nobody "$(dirname "$AGENTD_STORE")"
}

n=0
while :; do
	n=$((n + 1))
	[ "$n" -le 20 ] || fail "no free port found"
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ] || continue
	collector_start "$port" && break
done
URL=https://127.0.0.1:$port

# --- the host: a fixture with a machine-id, enrolled under its root ---
agentd_fixture session-tmout
cp "$top_srcdir/tests/fixtures/inventory-debian/root/etc/machine-id" \
    "$top_srcdir/tests/fixtures/inventory-debian/root/etc/hostname" \
    "$ROOT/etc/"
HID=$(cat "$ROOT/etc/machine-id")
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
collector:
  url: $URL
  ca: /pki/ca.pem
  cert: /pki/agent.pem
  key: /pki/agent.key
EOF
} >"$AGENTD_CONF"
tok=$("$C" -f "$T/c.yaml" token create 2>/dev/null)
"$ISMSCTL" enroll --server "$URL" --token "$tok" --ca "$STATE/ca.pem" \
    --config "$AGENTD_CONF" --root "$ROOT" >"$T/enroll.out" 2>&1 ||
    fail "enroll: $(cat "$T/enroll.out")"

# reports_for_host: the collector's reports rows for HID.
reports() {
	cq "SELECT count(*) FROM reports WHERE host_id = '$HID'"
}
wait_reports() {	# N SECONDS
	_end=$(($(date +%s) + $2))
	while [ "$(reports)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$_end" ] ||
		    fail "$(reports) reports arrived, expected $1: $(tail -n 20 "$AGENTD_ERR")"
		sleep 0.1
	done
}

# --- the first run arrives ---
agentd_start
agentd_expect '.reports == true'
wait_reports 1 10
agentd_wait '.outbox == 0' 5 || fail "outbox not empty: $(agentd_status | jq -c .outbox)"
[ "$(cq "SELECT kind FROM reports")" = run ] || fail "kind of the first report"
ismsctl_text=$("$ISMSCTL" status --socket "$AGENTD_SOCK")
printf '%s\n' "$ismsctl_text" | grep -q '^report outbox (pending): 0$' ||
    fail "status text: $ismsctl_text"

# --- collector down: three runs, one a drift, wait in the outbox ---
collector_stop
agentd_run
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_run
agentd_wait '.outbox == 3' 5 || fail "3 reports not queued: $(agentd_status | jq -c .outbox)"
"$ISMSCTL" status --socket "$AGENTD_SOCK" | grep -q '^report outbox (pending): 3$' ||
    fail "status text does not show 3 queued"
i=0
until [ "$(store_sql "SELECT count(*) FROM outbox WHERE attempts > 0 AND
    last_error IS NOT NULL")" -ge 1 ]; do
	i=$((i + 1))
	[ "$i" -le 50 ] ||
	    fail "no failed upload recorded: $(store_sql 'SELECT * FROM outbox')"
	sleep 0.1
done

# --- restarted while they wait: nothing lost ---
agentd_stop
[ "$(store_sql "SELECT count(*) FROM outbox")" -eq 3 ] ||
    fail "outbox not kept across the restart"
store_sql "SELECT report_id FROM outbox ORDER BY run_id" >"$T/queued"
collector_start "$port" || fail "port $port taken while the collector was down"
agentd_start				# its first run is the fifth report
runs=$(agentd_status | jq .runs_stored)
[ "$runs" -eq 5 ] || fail "$runs runs stored, expected 5"

# --- every queued report once, in run order, and the outbox drains ---
agentd_wait '.outbox == 0' 25 ||
    fail "outbox not drained: $(agentd_status | jq -c .outbox) $(tail -n 20 "$AGENTD_ERR")"
wait_reports 5 5
sleep 0.3
[ "$(reports)" -eq 5 ] || fail "$(reports) reports rows, expected 5"
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
grep -q 'duplicate' "$T/c.log" && fail "a report was sent twice"
agentd_stop
collector_stop
exit 0
