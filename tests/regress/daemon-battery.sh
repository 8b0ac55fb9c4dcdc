#!/bin/sh
# isms-agentd with schedule.defer_on_battery: on a root whose power
# supply is a battery with the mains offline (read under -r), scheduled
# runs are deferred and nothing is stored; "ismsctl run-now" runs anyway;
# with the mains back online scheduled runs are stored again; after a
# SIGHUP to max_defer 3s a run happens on battery once deferred that long.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

conf() {		# max_defer
	agentd_base_conf | sed -e 's/^  interval: 1h$/  interval: 2s/' \
	    -e "s/^  jitter: 0s$/&\\
  defer_on_battery: true\\
  max_defer: $1/"
	cat <<EOF2
alerts:
  syslog: false
  summary_at: never
EOF2
}

deferrals() {
	[ -f "$AGENTD_ERR" ] || { echo 0; return; }
	grep -c 'on battery: run deferred' "$AGENTD_ERR" || true
}

# Until the daemon has logged more than N deferrals; 1 on timeout.
wait_deferrals() {	# N seconds
	_wd_end=$(($(date +%s) + $2))
	while [ "$(deferrals)" -le "$1" ]; do
		[ "$(date +%s)" -lt "$_wd_end" ] || return 1
		kill -0 "$AGENTD_PID" 2>/dev/null ||
		    fail "isms-agentd died: $(tail -n 20 "$AGENTD_ERR")"
		sleep 0.1
	done
}

agentd_fixture session-tmout
ps=$ROOT/sys/class/power_supply
mkdir -p "$ps/BAT0" "$ps/AC"
echo Battery >"$ps/BAT0/type"
echo Discharging >"$ps/BAT0/status"
echo Mains >"$ps/AC/type"
echo 0 >"$ps/AC/online"
conf 1h >"$AGENTD_CONF"

# agentd_start waits for a first run, which is what must not happen.
"$AGENTD" -d -v -f "$AGENTD_CONF" -r "$ROOT" 2>>"$AGENTD_ERR" &
AGENTD_PID=$!
track_pid "$AGENTD_PID"
wait_deferrals 1 10 || fail "runs not deferred: $(tail -n 20 "$AGENTD_ERR")"
agentd_expect '.runs_stored == 0 and .last_run == null'

# run-now is the user asking: it runs on battery.
agentd_run
agentd_expect '.runs_stored == 1'
n=$(deferrals)
wait_deferrals "$n" 5 || fail "scheduled runs no longer deferred"
agentd_expect '.runs_stored == 1'

# Mains online: the next scheduled run is stored.
echo 1 >"$ps/AC/online"
agentd_wait '.runs_stored >= 2' 10 ||
    fail "no scheduled runs on mains: $(tail -n 5 "$AGENTD_ERR")"
n=$(deferrals)

# On battery again, deferred at most 3 s: deferred, then run anyway.
echo 0 >"$ps/AC/online"
conf 3s >"$AGENTD_CONF"
agentd_reload || fail "max_defer 3s refused: $(tail -n 5 "$AGENTD_ERR")"
wait_deferrals "$n" 5 || fail "not deferred on battery again"
runs=$(agentd_status | jq .runs_stored)
agentd_wait ".runs_stored > $runs" 10 ||
    fail "no run on battery after max_defer: $(tail -n 10 "$AGENTD_ERR")"
[ "$(cat "$ps/AC/online")" = 0 ] || fail "mains changed under the test"
agentd_stop
