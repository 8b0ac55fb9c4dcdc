#!/bin/sh
# isms-agentd on SIGHUP: a broken agent.yaml is refused with file:line
# errors and the daemon goes on with the configuration it had (its
# interval, its webhook); a valid change is then applied (a new
# interval in next_run, a new webhook receiving alerts).
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

# Seconds from the last run to the next one.
gap() {
	agentd_status | jq '(.next_run | fromdateiso8601) -
	    (.last_run.at | fromdateiso8601)'
}

flip() {
	if grep -q '^TMOUT=600$' "$ROOT/etc/profile.d/tmout.sh"; then
		sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
	else
		sed -i 's/^TMOUT=3600$/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh"
	fi
}

conf() {		# interval, then webhook ports
	_iv=$1
	shift
	agentd_base_conf | sed "s/^  interval: 1h$/  interval: $_iv/"
	printf 'alerts:\n  syslog: false\n  summary_at: never\n  webhooks:\n'
	for _p; do
		printf '    - url: http://127.0.0.1:%s/\n      format: json\n' "$_p"
	done
}

agentd_fixture session-tmout
start_http_receiver one
start_http_receiver two
conf 1h "$one_PORT" >"$AGENTD_CONF"
agentd_start
[ "$(gap)" -eq 3600 ] || fail "interval 1h: next run $(gap) s after the last"
agentd_drained
count_lines "$one_LOG" 1 "baseline"

# Broken: a bad duration on line 6, an unknown key, a second webhook
# with a URL that is not allowed.  Refused; the old one stays.
cp "$AGENTD_CONF" "$DAEMON_TMP/good.yaml"
conf banana "$one_PORT" "$two_PORT" |
    sed "s|^    - url: http://127.0.0.1:$two_PORT/|    - url: ftp://127.0.0.1/|" |
    sed 's/^  run_at_start: true$/  run_at_start: true\n  bogus: 1/' \
    >"$AGENTD_CONF"
grep -n 'banana' "$AGENTD_CONF" | grep -q '^6:' || fail "test setup: line"
if agentd_reload; then
	fail "broken configuration accepted"
fi
grep -q "^isms-agentd: $AGENTD_CONF:6:[0-9]*: invalid duration \"banana\"" \
    "$AGENTD_ERR" || fail "no file:line error for line 6: $(tail -n 5 "$AGENTD_ERR")"
grep -q "^isms-agentd: $AGENTD_CONF:[0-9]*:[0-9]*: unknown key \"schedule.bogus\"" \
    "$AGENTD_ERR" || fail "no file:line error for the unknown key"
grep -q "^isms-agentd: $AGENTD_CONF:[0-9]*:[0-9]*: webhook url must be https" \
    "$AGENTD_ERR" || fail "no file:line error for the webhook URL"
kill -0 "$AGENTD_PID" || fail "isms-agentd died on a broken configuration"
agentd_expect '.last_run != null'
flip
agentd_run
[ "$(gap)" -eq 3600 ] || fail "old interval lost: next run $(gap) s after the last"
agentd_drained
count_lines "$one_LOG" 2 "drift under the old configuration"
count_lines "$two_LOG" 0 "webhook of the refused configuration"

# Valid: interval 2h and a second webhook.
conf 2h "$one_PORT" "$two_PORT" >"$AGENTD_CONF"
agentd_reload || fail "valid configuration refused: $(tail -n 5 "$AGENTD_ERR")"
[ "$(gap)" -eq 7200 ] || fail "interval 2h: next run $(gap) s after the last"
flip
agentd_run
[ "$(gap)" -eq 7200 ] || fail "interval 2h not kept: $(gap) s"
agentd_drained
count_lines "$one_LOG" 3 "drift after the reload, first webhook"
count_lines "$two_LOG" 1 "drift after the reload, new webhook"
[ "$(sed -n 3p "$one_LOG" | jq -r .body)" = \
    "$(sed -n 1p "$two_LOG" | jq -r .body)" ] ||
    fail "the two webhooks got different alerts"
sed -n 1p "$two_LOG" | jq -e '.body | fromjson | .event == "drift" and
    .old == "fail" and .new == "pass"' >/dev/null ||
    fail "new webhook: $(cat "$two_LOG")"
agentd_stop
