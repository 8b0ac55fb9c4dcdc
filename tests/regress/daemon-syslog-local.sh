#!/bin/sh
# isms-agentd: local alerts through syslog(3) reach a real /dev/log.  The
# daemon runs in a private mount namespace whose /dev/log is the socket
# of a syslog-receiver --unix; a pass->fail drift gives exactly one
# key=value line at local4.warning from ident isms-test, the recovery
# one at local4.notice, and nothing else of the daemon's gets there (-d:
# its own log lines go to stderr).  The host's /dev is never written:
# the namespace gets a tmpfs /dev with the few nodes bound back in, since
# /dev is often a devtmpfs shared with the host where an empty /dev/log
# created "inside the namespace" would still appear outside it.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
if [ "$(id -u)" -ne 0 ] ||
    ! unshare -m --propagation private true >/dev/null 2>&1; then
	echo "skipped: needs root (and unshare -m)"
	exit 0
fi
agentd_need_root


# Like agentd_start, in the namespace; unshare and sh exec, so the pid
# is the daemon's.
agentd_start_ns() {
	unshare -m --propagation private sh -c "$DEVLOG_SETUP" ns "$local_SOCK" \
	    "$DAEMON_TMP/olddev" "$AGENTD" -d -v -f "$AGENTD_CONF" -r "$ROOT" \
	    2>>"$AGENTD_ERR" &
	AGENTD_PID=$!
	track_pid "$AGENTD_PID"
	agentd_wait '.last_run != null and .running == false' 15 ||
	    fail "isms-agentd did not finish its first run: $(tail -n 20 "$AGENTD_ERR")"
}

# jq: the key=value message as an object, or null when it does not
# parse as space-separated key=value with bare or quoted values.
KV=$(cat <<'EOF'
def kvre: "[a-z_0-9]+=(\"([^\"\\\\]|\\\\.)*\"|[^ \"=\\\\]+)";
def kv: if test("^" + kvre + "( " + kvre + ")*$") then
	[match("(?<k>[a-z_0-9]+)=(?<v>\"([^\"\\\\]|\\\\.)*\"|[^ \"=\\\\]+)"; "g")
	 | {(.captures[0].string): (.captures[1].string
	     | if startswith("\"") then .[1:-1] | gsub("\\\\(?<c>.)"; .c)
	       else . end)}] | add
	else null end;
EOF
)

# Message N in the receiver log must satisfy a jq expression; .kv is
# the parsed message.
msg_jq() {
	sed -n "$1p" "$local_LOG" |
	    jq -e "$KV . + {kv: (.msg | kv)} | $2" >/dev/null ||
	    fail "syslog message $1: $2: $(sed -n "$1p" "$local_LOG")"
}

# Waits for N lines, then makes sure no more come.
expect_lines() {
	wait_for_lines "$local_LOG" "$1" 10 || true
	sleep 0.3
	count_lines "$local_LOG" "$1" "$2"
}

hostdevlog() {
	ls -ld /dev/log 2>&1 | sed 's/ [A-Z][a-z][a-z]  *[0-9].*//' || true
}
host_before=$(hostdevlog)

# The receiver itself: a glibc-style line is valid, bad ones are not.
start_syslog_receiver probe --unix "$DAEMON_TMP/probe.sock"
[ -S "$probe_SOCK" ] || fail "probe socket $probe_SOCK missing"
printf '<164>Nov  5 01:02:03 isms-test[42]: event=drift a="b c"' |
    unix_send "$probe_SOCK"
printf '<164>Nov 05 01:02:03 isms-test[42]: x' | unix_send "$probe_SOCK"
printf '<164>Nov  5 01:02:03 isms-test[42]: two\nlines' |
    unix_send "$probe_SOCK"
printf '<13>Nov  5 01:02:03 tag: no pid' | unix_send "$probe_SOCK"
wait_for_lines "$probe_LOG" 4 5 || fail "probe: $(cat "$probe_LOG")"
stop_receiver probe
[ ! -e "$DAEMON_TMP/probe.sock" ] || fail "probe socket left behind"
sed -n 1p "$probe_LOG" | jq -e "$KV"' .valid and .facility == 20 and
    .severity == 4 and .ident == "isms-test" and .pid == 42 and
    .timestamp == "Nov  5 01:02:03" and (.msg | kv) == {event: "drift",
    a: "b c"}' >/dev/null || fail "probe 1: $(sed -n 1p "$probe_LOG")"
sed -n 2p "$probe_LOG" | jq -e '.valid == false and
    (.reason | test("day"))' >/dev/null ||
    fail "probe 2: $(sed -n 2p "$probe_LOG")"
sed -n 3p "$probe_LOG" | jq -e '.valid == false and
    (.reason | test("control character 0x0a"))' >/dev/null ||
    fail "probe 3: $(sed -n 3p "$probe_LOG")"
sed -n 4p "$probe_LOG" | jq -e '.valid and .pid == null and
    .ident == "tag" and .facility == 1 and .severity == 5' >/dev/null ||
    fail "probe 4: $(sed -n 4p "$probe_LOG")"

CHECK=session.idle_timeout
agentd_fixture session-tmout		# TMOUT=600 readonly: passes
echo isms-syslog-test >"$ROOT/etc/hostname"	# for host= and host_id=
echo 5f1c0d9a3b7e4c2a8d6f0e1b2c3d4e5f >"$ROOT/etc/machine-id"
start_syslog_receiver local --unix "$DAEMON_TMP/devlog.sock"
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: true
  syslog_facility: local4
  syslog_ident: isms-test
  summary_at: never
EOF
} >"$AGENTD_CONF"

agentd_start_ns
agentd_expect ".failing | map(.check) | index(\"$CHECK\") == null"
# The baseline: a summary, nothing about the check.
expect_lines 1 "baseline"
msg_jq 1 '.valid and .facility == 20 and .severity == 4 and
    .ident == "isms-test" and .kv.event == "summary" and
    (.kv.failing | tonumber) > 0 and (.msg | contains("'$CHECK'") | not)'

# Drift: the idle timeout goes above the 15-minute threshold.
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_expect ".failing | map(.check) | index(\"$CHECK\") != null"
expect_lines 2 "pass->fail drift"
msg_jq 2 '.valid and .pri == 164 and .facility == 20 and .severity == 4 and
    .ident == "isms-test" and (.pid | type) == "number" and
    (.timestamp | test("^[A-Z][a-z]{2} [ 1-3][0-9] [0-9:]{8}$")) and
    (.msg | startswith("event=drift ")) and .kv != null and
    .kv.event == "drift" and .kv.check == "'$CHECK'" and
    .kv.old == "pass" and .kv.new == "fail" and
    (.kv.controls | test("^A\\.[0-9.]+(,A\\.[0-9.]+)*$")) and
    (.kv.threshold | contains("session.max_idle=15m")) and
    (.kv.observed | contains("1h")) and .kv.host == "isms-syslog-test" and
    (.kv.host_id | length) > 0 and (.kv.severity | length) > 0 and
    (.kv.controls_2013 | length) > 0 and
    (.kv.at | test("^[0-9-]{10}T[0-9:]{8}Z$"))'
# It is the engine that logs (LOG_PID), not the parent.
pid=$(sed -n 2p "$local_LOG" | jq -r .pid)
[ "$pid" != "$AGENTD_PID" ] || fail "the parent logged the alert"
[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$AGENTD_PID" ] ||
    fail "pid $pid in the alert is not a child of isms-agentd"

# Unchanged: nothing more.
agentd_run
expect_lines 2 "unchanged run"

# Recovery: fail->pass at notice.
sed -i 's/^TMOUT=3600$/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
expect_lines 3 "fail->pass recovery"
msg_jq 3 '.valid and .pri == 165 and .ident == "isms-test" and
    .pid == '"$pid"' and .kv.event == "drift" and
    .kv.check == "'$CHECK'" and .kv.old == "fail" and .kv.new == "pass"'

# The daemon's own lines went to stderr, none of them to syslog.
grep -q 'isms-agentd' "$AGENTD_ERR" || fail "no daemon log on stderr"
jq -e -s 'all(.valid and .ident == "isms-test" and .facility == 20 and
    (.msg | startswith("event=")))' "$local_LOG" >/dev/null ||
    fail "unexpected syslog lines: $(cat "$local_LOG")"
agentd_stop
stop_receiver local
count_lines "$local_LOG" 3 "after shutdown"
[ "$(hostdevlog)" = "$host_before" ] ||
    fail "host /dev/log changed: $host_before -> $(hostdevlog)"
