#!/bin/sh
# isms-agentd keeps the pending updates it computed from the package
# lists (the collectors' memo) and computes them again as soon as the
# dpkg status or any list changes: a security list that appears, goes
# or is rewritten in place moves patch.security_updates at the next run.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

CHECK=patch.security_updates
LISTS=var/lib/apt/lists
SEC=deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages

expect_failing() {	# yes|no: is CHECK failing after the last run?
	agentd_expect ".failing | map(.check) | index(\"$CHECK\") $(
	    [ "$1" = yes ] && echo '!=' || echo '==') null"
}

agentd_fixture patch-security-pending
agentd_base_conf >"$AGENTD_CONF"
echo "alerts: {syslog: false, summary_at: never}" >>"$AGENTD_CONF"
agentd_start				# 2 security updates pending
expect_failing yes
agentd_run				# same files: kept value, same verdict
expect_failing yes
mv "$ROOT/$LISTS/$SEC" "$DAEMON_TMP/sec"	# the security list goes
agentd_run
expect_failing no
cp "$DAEMON_TMP/sec" "$ROOT/$LISTS/$SEC"	# and comes back
agentd_run
expect_failing yes
# Rewritten in place with the same size: the candidates are no longer
# newer (3.0.22 -> 3.0.19), only the file's times say it changed.
sed -i 's/^Version: 3\.0\.22-1~deb12u2$/Version: 3.0.19-1~deb12u2/' \
    "$ROOT/$LISTS/$SEC"
cmp -s "$ROOT/$LISTS/$SEC" "$DAEMON_TMP/sec" &&
    fail "the sed did not change the list"
[ "$(wc -c <"$ROOT/$LISTS/$SEC")" -eq "$(wc -c <"$DAEMON_TMP/sec")" ] ||
    fail "the list changed size"
agentd_run
expect_failing no
# dpkg upgraded the packages: the status changes, the lists do not.
cp "$DAEMON_TMP/sec" "$ROOT/$LISTS/$SEC"
agentd_run
expect_failing yes
sed -i 's/^Version: 3\.0\.20-1~deb12u2$/Version: 3.0.22-1~deb12u2/' \
    "$ROOT/var/lib/dpkg/status"
agentd_run
expect_failing no
agentd_stop
