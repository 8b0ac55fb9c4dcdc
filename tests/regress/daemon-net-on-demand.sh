#!/bin/sh
# isms-agentd: the net process (libcurl) runs only while there is
# something to deliver: it starts for the first alert, stops after
# daemon.net_idle, starts again for the next one; killed in the middle
# of a delivery, its alert is retried until delivered.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

net_pids() {
	pgrep -P "$AGENTD_PID" -f 'isms-agentd-net -P net' || true
}
wait_net() {	# wait_net present|absent SECONDS
	_wn_end=$(($(date +%s) + $2))
	while :; do
		_wn=$(net_pids)
		if [ "$1" = present ] && [ -n "$_wn" ]; then return 0; fi
		if [ "$1" = absent ] && [ -z "$_wn" ]; then return 0; fi
		[ "$(date +%s)" -lt "$_wn_end" ] || return 1
		sleep 0.1
	done
}

agentd_fixture session-tmout
start_http_receiver hook --delay-ms 1500
{
	agentd_base_conf | sed 's/^daemon:$/daemon:\n  net_idle: 1s/'
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
  webhooks:
    - url: http://127.0.0.1:$hook_PORT/h
      format: json
EOF
} >"$AGENTD_CONF"
"$AGENTD" -n -f "$AGENTD_CONF" >/dev/null ||
    fail "config: $("$AGENTD" -n -f "$AGENTD_CONF" 2>&1)"

agentd_start			# the baseline summary needs the net process
wait_net present 5 || fail "no net process for the first alert"
agentd_drained
count_lines "$hook_LOG" 1 "baseline"
wait_net absent 10 || fail "net process still running when idle"

# The next alert starts it again; kill it while the receiver is slow.
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
wait_net present 5 || fail "no net process for the drift alert"
sleep 0.5
kill -KILL $(net_pids)
# The parent answers for the lost delivery; the engine retries it.
agentd_wait '.queued_total == 0' 40 ||
    fail "alert not retried after the net process died"
wait_for_lines "$hook_LOG" 2 5 || fail "drift alert not delivered"
# The killed attempt may have reached the receiver before the kill, so
# the drift may be received twice; it is never lost.
n=$(wc -l <"$hook_LOG")
[ "$n" -ge 2 ] && [ "$n" -le 3 ] || fail "$n requests received"
# A repeat is the same alert: same id, so the receiver can drop it.
if [ "$n" -eq 3 ]; then
	[ "$(sed -n 2p "$hook_LOG" | jq -r '.body | fromjson | .id')" = \
	    "$(sed -n 3p "$hook_LOG" | jq -r '.body | fromjson | .id')" ] ||
	    fail "a retried alert changed its id"
fi
tail -n 1 "$hook_LOG" | jq -e '.body | fromjson |
    .event == "drift" and .new == "fail"' >/dev/null ||
    fail "last request is not the drift: $(tail -n 1 "$hook_LOG")"
grep -q 'net process exited with deliveries outstanding' "$AGENTD_ERR" ||
    fail "the parent did not notice the lost delivery"
agentd_stop
exit 0
