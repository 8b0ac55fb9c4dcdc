#!/bin/sh
# isms-collectord's connection limits (issue 4): a client that trickles
# header lines is cut off at header_timeout + body_timeout even though
# no read ever stalls; at limits.max_connections a further connection
# waits until one closes and is then served; the daemon stays up.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
D="$top_builddir/isms-collectord"
[ -x "$D" ] || fail "$D not built"
for t in openssl curl; do
	command -v "$t" >/dev/null || fail "$t not installed (tools/deps.sh)"
done

T=$DAEMON_TMP
if [ "$(id -u)" -eq 0 ]; then
	user=nobody
	chmod 711 "$T"
else
	user=$(id -un)
fi
n=0
while :; do
	n=$((n + 1))
	[ "$n" -le 20 ] || fail "no free port found"
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ] || continue
	cat >"$T/c.yaml" <<EOF
listen: "127.0.0.1:$port"
state_dir: $T/state
user: $user
limits:
  header_timeout: 2s
  body_timeout: 2s
  max_connections: 2
EOF
	: >"$T/d.log"
	"$D" -d -f "$T/c.yaml" >>"$T/d.log" 2>&1 &
	dpid=$!
	track_pid "$dpid"
	i=0
	while ! grep -q 'ready' "$T/d.log"; do
		kill -0 "$dpid" 2>/dev/null || break
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "isms-collectord did not start"
		sleep 0.1
	done
	grep -q 'ready' "$T/d.log" && break
	grep -q 'Address already in use' "$T/d.log" ||
	    fail "isms-collectord exited: $(cat "$T/d.log")"
done
CA=$T/state/ca.pem

# Slowloris: a header line a second, never the blank line; the deadline
# is 4s, so the connection must end well before the 12 lines are sent.
start=$(date +%s)
{ printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n'
  for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	sleep 1
	printf 'X-Slow: %s\r\n' "$i" || break
  done; } | openssl s_client -quiet -connect "127.0.0.1:$port" \
    >/dev/null 2>&1 || true
took=$(($(date +%s) - start))
[ "$took" -le 8 ] || fail "a trickling client kept its connection for ${took}s"
grep -q 'no whole request within 4s' "$T/d.log" ||
    fail "no deadline in the log: $(cat "$T/d.log")"

# Two idle TLS connections fill max_connections; a third request waits
# until one of them closes (after 2s), then succeeds.
for i in 1 2; do
	{ sleep 2; } | openssl s_client -quiet -connect "127.0.0.1:$port" \
	    >/dev/null 2>&1 &
done
sleep 0.5
out=$(curl -sS -m 10 --cacert "$CA" -w '%{time_total}\n' \
    "https://127.0.0.1:$port/healthz") || fail "third connection: curl failed"
[ "$(printf '%s\n' "$out" | head -n 1)" = '{"status":"ok"}' ] ||
    fail "third connection: $out"
case $(printf '%s\n' "$out" | tail -n 1) in
[1-9]*) ;;
*) fail "third connection was not held back: $out" ;;
esac
grep -q 'not accepting more' "$T/d.log" || fail "limit not logged"
grep -q 'accepting connections again' "$T/d.log" || fail "resume not logged"

kill -0 "$dpid" 2>/dev/null || fail "isms-collectord died: $(cat "$T/d.log")"
kill -TERM "$dpid"
rc=0
wait "$dpid" || rc=$?
[ "$rc" -eq 0 ] || fail "exit $rc on SIGTERM"
exit 0
