#!/bin/sh
# isms-agentd -n: "configuration OK" and 0, or every error as
# file:line:column and 2; a daemon.user that does not exist fails
# closed, with -n and when starting, with a message saying what to do.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
[ -x "$AGENTD" ] || fail "$AGENTD not built"

# isms-agentd -n on a file: sets out, err, rc.
check() {
	rc=0
	"$AGENTD" -n -f "$1" >"$DAEMON_TMP/out" 2>"$DAEMON_TMP/err" || rc=$?
	out=$(cat "$DAEMON_TMP/out")
	err=$(cat "$DAEMON_TMP/err")
}

user=nobody
[ "$(id -u)" -eq 0 ] || user=$(id -un)
good="$DAEMON_TMP/good.yaml"
cat >"$good" <<EOF
daemon:
  user: $user
  control_socket: $AGENTD_SOCK
schedule:
  interval: 30m
  jitter: 5m
  run_at_start: true
store:
  path: $AGENTD_STORE
alerts:
  summary_at: "08:30"
  flap:
    window: 6
    max_changes: 3
    stable_runs: 2
  remote_syslog:
    host: 127.0.0.1
    port: 6514
    tls: true
  webhooks:
    - url: https://hooks.slack.com/services/T0/B0/x
      format: slack
      rate_limit: 30
    - url: http://127.0.0.1:9/teams
      format: teams
EOF
check "$good"
[ "$rc" -eq 0 ] || fail "good configuration: exit $rc: $err"
[ "$out" = "configuration OK" ] || fail "good configuration: printed '$out'"
[ -z "$err" ] || fail "good configuration: stderr '$err'"
[ ! -e "$AGENTD_STORE" ] && [ ! -e "$AGENTD_SOCK" ] ||
    fail "-n created files"

# Every error, each with file:line:column, in file order.
bad="$DAEMON_TMP/bad.yaml"
cat >"$bad" <<EOF
daemon:
  user: $user
schedule:
  interval: banana
  jitter: 5m
  colour: blue
alerts:
  flap:
    window: many
  webhooks:
    - url: ftp://example.org/hook
      format: carrier-pigeon
EOF
check "$bad"
[ "$rc" -eq 2 ] || fail "bad configuration: exit $rc"
[ -z "$out" ] || fail "bad configuration: printed '$out'"
printf '%s\n' "$err" | grep -q "^isms-agentd: $bad:4:[0-9]*: .*banana" ||
    fail "no error for line 4: $err"
printf '%s\n' "$err" | grep -q "^isms-agentd: $bad:6:[0-9]*: .*schedule.colour" ||
    fail "no error for line 6: $err"
printf '%s\n' "$err" | grep -q "^isms-agentd: $bad:9:[0-9]*: .*many" ||
    fail "no error for line 9: $err"
printf '%s\n' "$err" | grep -q "^isms-agentd: $bad:11:[0-9]*: .*https" ||
    fail "no error for line 11: $err"
printf '%s\n' "$err" | grep -q "^isms-agentd: $bad:12:[0-9]*: .*carrier-pigeon" ||
    fail "no error for line 12: $err"
[ "$(printf '%s\n' "$err" | grep -c "^isms-agentd: $bad:[0-9]*:[0-9]*: ")" -eq 5 ] ||
    fail "expected exactly 5 located errors: $err"
lines=$(printf '%s\n' "$err" | sed -n "s|^isms-agentd: $bad:\([0-9]*\):.*|\1|p" |
    tr '\n' ' ')
[ "$lines" = "4 6 9 11 12 " ] || fail "errors not in file order: $lines"

# Plain http only to this host, judged by the host, not by a prefix.
for u in http://127.0.0.1.evil.example/x http://localhost@evil.example/ \
    http://localhost.evil.example/ http://127.0.0.1:80@evil.example/ \
    http://127.0.0.300/ http://10.0.0.1/ https:// ''; do
	printf 'alerts:\n  webhooks:\n    - url: "%s"\n' "$u" \
	    >"$DAEMON_TMP/url.yaml"
	check "$DAEMON_TMP/url.yaml"
	[ "$rc" -eq 2 ] || fail "webhook url '$u' accepted"
	printf '%s\n' "$err" | grep -q "url.yaml:3:[0-9]*: webhook url must be https" ||
	    fail "webhook url '$u': $err"
done
for u in http://127.0.0.1:8080/t http://localhost/x 'http://[::1]:8080/' \
    http://127.1.2.3 'http://127.0.0.1?x=1'; do
	printf 'daemon:\n  user: %s\nalerts:\n  webhooks:\n    - url: "%s"\n' \
	    "$user" "$u" >"$DAEMON_TMP/url.yaml"
	check "$DAEMON_TMP/url.yaml"
	[ "$rc" -eq 0 ] || fail "webhook url '$u' refused: $err"
done

# YAML syntax errors and a missing file.
printf 'schedule:\n  interval: [30m\n' >"$DAEMON_TMP/syntax.yaml"
check "$DAEMON_TMP/syntax.yaml"
[ "$rc" -eq 2 ] || fail "syntax error: exit $rc"
printf '%s\n' "$err" | grep -q "^isms-agentd: $DAEMON_TMP/syntax.yaml:[0-9]*:[0-9]*: " ||
    fail "syntax error not located: $err"
check "$DAEMON_TMP/missing.yaml"
[ "$rc" -eq 2 ] || fail "missing file: exit $rc"
printf '%s\n' "$err" | grep -q "missing.yaml.*No such file or directory" ||
    fail "missing file: $err"

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: daemon.user checks need root"
	exit 0
fi

# A user that does not exist: -n fails, and so does starting, before
# anything is created or any process is left.
sed 's/^  user: nobody$/  user: no-such-user/' "$good" >"$DAEMON_TMP/nouser.yaml"
check "$DAEMON_TMP/nouser.yaml"
[ "$rc" -eq 2 ] || fail "missing user: -n exit $rc"
printf '%s\n' "$err" | grep -q "daemon.user: user no-such-user does not exist: create it (useradd" ||
    fail "missing user: -n said: $err"
rc=0
timeout 10 "$AGENTD" -d -f "$DAEMON_TMP/nouser.yaml" \
    >"$DAEMON_TMP/out" 2>"$DAEMON_TMP/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
    fail "started with a missing user (exit $rc): $(cat "$DAEMON_TMP/err")"
grep -q "user no-such-user does not exist: create it (useradd" \
    "$DAEMON_TMP/err" || fail "missing user: $(cat "$DAEMON_TMP/err")"
[ ! -e "$AGENTD_STORE" ] && [ ! -e "$AGENTD_SOCK" ] ||
    fail "files created for a missing user"

# An unknown control group is refused the same way.
sed 's/^  user: nobody$/  user: nobody\n  control_group: no-such-group/' \
    "$good" >"$DAEMON_TMP/nogroup.yaml"
check "$DAEMON_TMP/nogroup.yaml"
[ "$rc" -eq 2 ] || fail "missing group: -n exit $rc"
printf '%s\n' "$err" | grep -q "unknown group no-such-group" ||
    fail "missing group: -n said: $err"
