#!/bin/sh
# The generated systemd unit passes "systemd-analyze verify" (no error,
# no warning) once its ExecStart paths point at the built binary, and
# keeps its hardening: Type=notify, NoNewPrivileges, ProtectSystem=strict,
# PrivateTmp and a capability bounding set.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skipped: systemd-analyze not installed"
	exit 0
fi
unit=$top_builddir/packaging/systemd/isms-agentd.service
[ -f "$unit" ] || fail "$unit not generated (make builds it)"
[ -x "$top_builddir/isms-agentd" ] || fail "isms-agentd not built"

copy=$DAEMON_TMP/isms-agentd.service
sed "s|^\(ExecStart[A-Za-z]*=\)[^ ]*/isms-agentd|\1$top_builddir/isms-agentd|" \
    "$unit" >"$copy"
[ "$(grep -c "^ExecStart[A-Za-z]*=$top_builddir/isms-agentd " "$copy")" -eq 2 ] ||
    fail "ExecStartPre and ExecStart not found: $(grep '^Exec' "$copy")"
! grep -q '%[a-z]*%' "$copy" || fail "unsubstituted: $(grep '%[a-z]*%' "$copy")"

out=$(systemd-analyze verify --man=no "$copy" 2>&1) ||
    fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"

for kv in Type=notify NoNewPrivileges=yes ProtectSystem=strict \
    PrivateTmp=yes; do
	grep -qx "$kv" "$copy" || fail "$kv missing"
done
grep -Eq '^CapabilityBoundingSet=CAP_[A-Z_]+( CAP_[A-Z_]+)*$' "$copy" ||
    fail "no CapabilityBoundingSet"
! grep -Eq '^CapabilityBoundingSet=.*CAP_(SYS_ADMIN|NET_ADMIN|SYS_PTRACE)' \
    "$copy" || fail "bounding set too wide: $(grep ^Capab "$copy")"
