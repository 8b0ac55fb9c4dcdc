#!/bin/sh
# The generated systemd unit of isms-collectord passes "systemd-analyze
# verify" (no error, no warning) once its Exec paths point at the built
# binary, keeps its hardening (NoNewPrivileges, ProtectSystem=strict,
# writes only to its state directory, a narrow capability bounding set),
# and the collector really starts with what that set leaves it: as root
# without CAP_DAC_OVERRIDE and the other capabilities, it binds, drops to
# its user and takes an enrollment.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq

unit=$top_builddir/packaging/systemd/isms-collectord.service
[ -f "$unit" ] || fail "$unit not generated (make builds it)"
copy=$DAEMON_TMP/isms-collectord.service
sed "s|^\(ExecStart[A-Za-z]*=\)[^ ]*/isms-collectord|\1$COLLECTORD|" \
    "$unit" >"$copy"
[ "$(grep -c "^ExecStart[A-Za-z]*=$COLLECTORD " "$copy")" -eq 2 ] ||
    fail "ExecStartPre and ExecStart not found: $(grep '^Exec' "$copy")"
! grep -q '%[a-z]*%' "$copy" || fail "unsubstituted: $(grep '%[a-z]*%' "$copy")"
for kv in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
    ProtectHome=yes ReadWritePaths=/var/lib/isms-collectord; do
	grep -qx "$kv" "$copy" || fail "$kv missing"
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$copy")
[ -n "$caps" ] || fail "no CapabilityBoundingSet"
! printf '%s\n' "$caps" | grep -Eq 'CAP_(SYS_ADMIN|NET_ADMIN|SYS_PTRACE|DAC_OVERRIDE|DAC_READ_SEARCH)' ||
    fail "bounding set too wide: $caps"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no "$copy" 2>&1) ||
	    fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
else
	echo "systemd-analyze not installed: verify skipped"
fi

# The collector under that bounding set (as systemd would give it).
if [ "$(id -u)" -ne 0 ] || ! command -v capsh >/dev/null 2>&1; then
	echo "skipped the start under the bounding set: needs root and capsh"
	exit 0
fi
drop=
for c in $(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' ' '); do
	case " $(printf '%s' "$caps" | tr 'A-Z' 'a-z') " in
	*" $c "*) ;;
	*) drop="$drop,$c" ;;
	esac
done
COLLECTORD_REAL=$COLLECTORD
printf '#!/bin/sh\nexec capsh --drop=%s -- -c '\''exec "$0" "$@"'\'' %s "$@"\n' \
    "${drop#,}" "$COLLECTORD_REAL" >"$DAEMON_TMP/capped"
chmod 755 "$DAEMON_TMP/capped"
COLLECTORD=$DAEMON_TMP/capped
collectord_start
tok=$(collectord_token --uses 1)
[ -n "$tok" ] || fail "no token"
collectord_enroll capped 00112233445566778899aabbccddeeff "$tok"
grep -q "CapBnd:" "/proc/$COLLECTORD_PID/status" 2>/dev/null &&
    [ "$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$COLLECTORD_PID/status")" != \
    "$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)" ] ||
    fail "the collector did not run under the narrowed bounding set"
collectord_alive
collectord_stop
