#!/bin/sh
# isms-agentd speaks the sd_notify protocol to $NOTIFY_SOCKET (a
# datagram socket served by syslog-receiver --unix, which logs each
# datagram raw): READY=1 once started, a STATUS= line after each run,
# STOPPING=1 on SIGTERM, in that order and nothing else.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

# The raw datagrams received so far, one a line.
raw() {
	jq -r .raw "$notify_LOG"
}

agentd_fixture session-tmout
start_syslog_receiver notify --unix "$DAEMON_TMP/notify"
{
	agentd_base_conf
	cat <<EOF2
alerts:
  syslog: false
  summary_at: never
EOF2
} >"$AGENTD_CONF"

NOTIFY_SOCKET=$notify_SOCK
export NOTIFY_SOCKET
agentd_start
wait_for_lines "$notify_LOG" 2 10 ||
    fail "no READY and STATUS after the first run: $(raw)"
[ "$(raw | sed -n 1p)" = READY=1 ] || fail "first datagram: $(raw)"
raw | sed -n 2p |
    grep -Eq '^STATUS=last run [0-9T:-]+Z: [0-9]+ pass, [0-9]+ fail, [0-9]+ error$' ||
    fail "second datagram: $(raw)"

agentd_run
wait_for_lines "$notify_LOG" 3 10 || fail "no STATUS after run-now: $(raw)"
raw | sed -n 3p | grep -q '^STATUS=last run ' || fail "third: $(raw)"

agentd_stop
wait_for_lines "$notify_LOG" 4 5 || fail "no STOPPING=1: $(raw)"
[ "$(raw | sed -n 4p)" = STOPPING=1 ] || fail "fourth datagram: $(raw)"
count_lines "$notify_LOG" 4 "sd_notify datagrams"
