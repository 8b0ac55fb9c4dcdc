#!/bin/sh
# The certificate renewal units pass "systemd-analyze verify" (no error,
# no warning) once ExecStart points at the built ismsctl: a oneshot
# service running "ismsctl enroll --renew --if-needed" that then reloads
# isms-agentd (a failed reload is not its failure), skipped on a host
# that was never enrolled, and a daily, persistent, randomized timer.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skipped: systemd-analyze not installed"
	exit 0
fi
svc=$top_builddir/packaging/systemd/isms-agent-renew.service
timer=$top_srcdir/packaging/systemd/isms-agent-renew.timer
[ -f "$svc" ] || fail "$svc not generated (make builds it)"
[ -x "$top_builddir/ismsctl" ] || fail "ismsctl not built"

# The timer names its service by its own name: both in one directory.
sed "s|^ExecStart=[^ ]*/ismsctl |ExecStart=$top_builddir/ismsctl |" \
    "$svc" >"$DAEMON_TMP/isms-agent-renew.service"
cp "$timer" "$DAEMON_TMP/isms-agent-renew.timer"
copy=$DAEMON_TMP/isms-agent-renew.service
grep -qx "ExecStart=$top_builddir/ismsctl enroll --renew --if-needed" "$copy" ||
    fail "ExecStart: $(grep '^ExecStart=' "$copy")"
! grep -q '%[a-z]*%' "$copy" || fail "unsubstituted: $(grep '%[a-z]*%' "$copy")"

out=$(cd "$DAEMON_TMP" && systemd-analyze verify --man=no \
    isms-agent-renew.service isms-agent-renew.timer 2>&1) ||
    fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"

for kv in Type=oneshot \
    'ExecStartPost=-/bin/systemctl try-reload-or-restart isms-agentd.service' \
    NoNewPrivileges=yes ProtectSystem=strict; do
	grep -qxF "$kv" "$copy" || fail "$kv missing"
done
grep -Eq '^ConditionPathExists=/.*/agent\.pem$' "$copy" ||
    fail "no condition on an enrolled host"
for kv in OnCalendar=daily RandomizedDelaySec=1h Persistent=true \
    WantedBy=timers.target; do
	grep -qxF "$kv" "$timer" || fail "$kv missing from the timer"
done
