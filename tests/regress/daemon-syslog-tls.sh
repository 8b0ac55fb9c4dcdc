#!/bin/sh
# isms-agentd: remote syslog over TLS (RFC 5425) to a SIEM gets valid
# RFC 5424 messages with the isms@32473 structured data for a baseline
# summary, a drift and a recovery; a server whose certificate the
# configured CA did not sign gets nothing.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

# Message N in the receiver log must satisfy a jq expression.
msg_jq() {
	sed -n "$1p" "$siem_LOG" | jq -e "$2" >/dev/null ||
	    fail "syslog message $1: $2: $(sed -n "$1p" "$siem_LOG")"
}

conf() {		# CA file
	{
		agentd_base_conf
		cat <<EOF
alerts:
  syslog: false
  syslog_ident: isms-test
  syslog_facility: local3
  summary_at: never
  remote_syslog:
    host: 127.0.0.1
    port: $siem_PORT
    tls: true
    ca: $1
EOF
	} >"$AGENTD_CONF"
}

CHECK=session.idle_timeout
agentd_fixture session-tmout
make_test_pki "$DAEMON_TMP/pki"
make_test_pki "$DAEMON_TMP/other"	# a CA that did not sign the server
start_syslog_receiver siem --cert "$DAEMON_TMP/pki/server.pem" \
    --key "$DAEMON_TMP/pki/server.key"
conf "$DAEMON_TMP/pki/ca.pem"
agentd_start
agentd_drained
count_lines "$siem_LOG" 1 "baseline summary"
msg_jq 1 '.valid == true and .tls == true and .framing == "octet-counted"
    and .version == 1 and .facility == 19 and .severity == 4
    and .app_name == "isms-test" and .msgid == "summary"
    and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))
    and (.sd["isms@32473"].failing | tonumber) > 0
    and .sd["isms@32473"].event == "summary"
    and (.msg | startswith("event=summary "))'

sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_drained
count_lines "$siem_LOG" 2 "pass->fail drift"
msg_jq 2 '.valid == true and .tls == true and .facility == 19
    and .severity == 4 and .msgid == "drift"
    and .sd["isms@32473"].event == "drift"
    and .sd["isms@32473"].check == "'$CHECK'"
    and .sd["isms@32473"].old == "pass" and .sd["isms@32473"].new == "fail"
    and (.sd["isms@32473"].threshold | contains("session.max_idle=15m"))
    and (.sd["isms@32473"].observed | contains("1h"))
    and (.sd["isms@32473"].controls | length) > 0
    and (.msg | startswith("event=drift ")) and (.msg | contains(" old=pass new=fail "))'

# Unchanged, then recovered: one notice.
agentd_run
sed -i 's/^TMOUT=3600$/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_drained
count_lines "$siem_LOG" 3 "unchanged run and recovery"
msg_jq 3 '.valid == true and .severity == 5 and .msgid == "drift"
    and .sd["isms@32473"].old == "fail" and .sd["isms@32473"].new == "pass"'

# The wrong CA: the certificate is refused, the alert stays queued.
conf "$DAEMON_TMP/other/ca.pem"
agentd_reload || fail "configuration with another CA refused"
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
sleep 1
agentd_expect '.queued_total == 1 and .queues.syslog == 1'
[ "$(jq -s 'map(select(.valid == true)) | length' "$siem_LOG")" -eq 3 ] ||
    fail "a message went to a server the CA did not sign: $(cat "$siem_LOG")"
agentd_stop
