#!/bin/sh
# isms-collectord's connection limits (issue 4): a client that trickles
# header lines is cut off at header_timeout + body_timeout even though
# no read ever stalls; at limits.max_connections a further connection
# waits until one closes and is then served; the daemon stays up.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
COLLECTORD_FLAGS=-d
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl
COLLECTORD_EXTRA='limits:
  header_timeout: 2s
  body_timeout: 2s
  max_connections: 2'
collectord_start
port=$COLLECTORD_PORT
CA=$COLLECTORD_CA

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
grep -q 'no whole request within 4s' "$COLLECTORD_LOG" ||
    fail "no deadline in the log: $(cat "$COLLECTORD_LOG")"

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
grep -q 'not accepting more' "$COLLECTORD_LOG" || fail "limit not logged"
grep -q 'accepting connections again' "$COLLECTORD_LOG" || fail "resume not logged"

collectord_alive
collectord_stop
exit 0
