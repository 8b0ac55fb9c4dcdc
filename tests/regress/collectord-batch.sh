#!/bin/sh
# isms-collectord group commit (issue 4): three enrolled hosts post
# bursts of gzip reports at once (curl --parallel, 3 x 24 transfers in
# flight) so that reports parsed in one event-loop iteration are stored
# in one transaction.  Each burst carries a report_id twice and one id
# that another host also posts: every distinct report is stored exactly
# once, the repeat is answered {"duplicate":true}, the id two hosts
# send is stored for one of them and the other gets 409; the latest
# verdicts and history are those of one report per host.  The log
# shows batches of more than one report.  While another writer holds
# the store (longer than its busy timeout) the reports of the batch are
# answered 503 with Retry-After and nothing is stored; posted again they
# are accepted.  A certificate revoked while its keep-alive connection
# stays open: the next report on that connection gets 403.  Killed
# with SIGKILL right after a burst, the collector has kept every report
# it answered 200.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq sqlite3 gzip
GOOD=$top_srcdir/tests/fixtures/reports/good.json

T=$DAEMON_TMP
DB=$COLLECTORD_DB
N=24			# distinct reports per host
collectord_start
URL=$COLLECTORD_URL
q() {
	sqlite3 "$DB" "$1"
}
nres=$(jq '.results | length' "$GOOD")

tok=$(collectord_token --uses 3)
H_a=0123456789abcdef0123456789abcd01
H_b=0123456789abcdef0123456789abcd02
H_c=0123456789abcdef0123456789abcd03
for h in a b c; do
	eval "hid=\$H_$h"
	collectord_enroll "$h" "$hid" "$tok" "host-$h"
done

# report HOST ID AGE: $T/HOST-ID.gz, for HOST, generated AGE s ago.
report() {
	eval "_hid=\$H_$1"
	_at=$(date -u -d "@$(($(date +%s) - $3))" +%Y-%m-%dT%H:%M:%SZ)
	jq --arg id "$2" --arg h "$_hid" --arg at "$_at" \
	    '.report_id = $id | .agent.host_id = $h | .generated_at = $at' \
	    "$GOOD" | gzip -c >"$T/$1-$2.gz" || fail "jq on $GOOD"
}
uuid() {	# uuid HOST-DIGIT N: a v4 UUID
	printf '%08x-0000-4000-8000-%012x' "$1" "$2"
}
# burst HOST CONFIG: curl -K lines posting each $T/HOST-*.gz listed in
# $T/HOST.list, answers in $T/HOST-ID.resp.
burst() {
	: >"$T/$1.cfg"
	while read -r _id; do
		[ ! -s "$T/$1.cfg" ] || echo next >>"$T/$1.cfg"
		cat >>"$T/$1.cfg" <<EOF
url = "$URL/api/v1/reports"
cacert = "$COLLECTORD_CA"
cert = "$T/$1.pem"
key = "$T/$1.key"
header = "Content-Type: application/json"
header = "Content-Encoding: gzip"
data-binary = "@$T/$1-$_id.gz"
output = "$T/$1-$_id.resp.$2"
write-out = "%{http_code} $_id\n"
EOF
	done <"$T/$1.list"
}

# --- the bursts: N reports per host, one twice, one shared with b ---
shared=$(uuid 99 1)
i=0
for h in a b c; do
	i=$((i + 1))
	: >"$T/$h.list"
	n=1
	while [ "$n" -le "$N" ]; do
		id=$(uuid "$i" "$n")
		report "$h" "$id" $((600 - n))
		echo "$id" >>"$T/$h.list"
		n=$((n + 1))
	done
	echo "$(uuid "$i" 5)" >>"$T/$h.list"	# the repeat, same burst
done
report a "$shared" 700
report b "$shared" 700
echo "$shared" >>"$T/a.list"
echo "$shared" >>"$T/b.list"
for h in a b c; do
	# The repeat must not share a name with its first post's answer.
	burst "$h" 1
	awk -v id="$(uuid "$(printf '%s' "$h" | tr abc 123)" 5)" '
	    /^output/ && index($0, id) { if (seen++) sub(/\.resp\.1"/, ".resp.2\"") }
	    { print }' "$T/$h.cfg" >"$T/$h.cfg2"
	mv "$T/$h.cfg2" "$T/$h.cfg"
done
for h in a b c; do
	curl -sS -Z --parallel-max 24 -K "$T/$h.cfg" >"$T/$h.codes" \
	    2>"$T/$h.err" &
	eval "pid_$h=\$!"
done
for h in a b c; do
	eval "wait \$pid_$h" || fail "curl burst $h: $(cat "$T/$h.err")"
done
collectord_alive

# --- every distinct report exactly once, answers by fate ---
total=$((3 * N + 1))
[ "$(q 'SELECT count(*) FROM reports')" = "$total" ] ||
    fail "reports: $(q 'SELECT count(*) FROM reports'), $total expected"
[ -z "$(q 'SELECT report_id FROM reports GROUP BY report_id HAVING count(*) > 1')" ] ||
    fail "a report stored twice"
i=0
for h in a b c; do
	i=$((i + 1))
	eval "hid=\$H_$h"
	[ "$(wc -l <"$T/$h.codes")" -eq "$(wc -l <"$T/$h.list")" ] ||
	    fail "burst $h: $(wc -l <"$T/$h.codes") answers"
	bad=$(grep -v "^200 " "$T/$h.codes" | grep -v "^409 $shared\$" || true)
	[ -z "$bad" ] || fail "burst $h answered: $bad"
	# The repeated id: one accepted, one duplicate.
	rep=$(uuid "$i" 5)
	cat "$T/$h-$rep.resp.1" "$T/$h-$rep.resp.2" |
	    jq -s -e 'map(select(.accepted == true)) | length == 1' >/dev/null ||
	    fail "repeat $rep of $h: $(cat "$T/$h-$rep.resp."*)"
	cat "$T/$h-$rep.resp.1" "$T/$h-$rep.resp.2" |
	    jq -s -e 'map(select(.duplicate == true)) | length == 1' >/dev/null ||
	    fail "repeat $rep of $h not a duplicate: $(cat "$T/$h-$rep.resp."*)"
	n=$(q "SELECT count(*) FROM reports WHERE host_id = '$hid' AND report_id <> '$shared'")
	[ "$n" = "$N" ] || fail "host $h: $n reports stored, $N expected"
	# Same verdicts in every report: each check new once, no more.
	[ "$(q "SELECT count(*) FROM latest WHERE host_id = '$hid'")" = "$nres" ] ||
	    fail "host $h: latest rows"
	[ "$(q "SELECT count(*) FROM results_history WHERE host_id = '$hid'")" = "$nres" ] ||
	    fail "host $h: history rows"
done
# The id both a and b sent: stored for one, 409 for the other.
owner=$(q "SELECT host_id FROM reports WHERE report_id = '$shared'")
case $owner in
$H_a)	winner=a loser=b ;;
$H_b)	winner=b loser=a ;;
*)	fail "shared report owned by '$owner'" ;;
esac
grep -q "^200 $shared\$" "$T/$winner.codes" || fail "shared id: $winner not 200"
grep -q "^409 $shared\$" "$T/$loser.codes" || fail "shared id: $loser not 409"
jq -e '.error == "conflict"' "$T/$loser-$shared.resp.1" >/dev/null ||
    fail "shared id: $(cat "$T/$loser-$shared.resp.1")"
grep -q "group commit: [0-9]* reports" "$COLLECTORD_LOG" ||
    fail "no batch of more than one report: $(grep 'group commit' "$COLLECTORD_LOG" | sort | uniq -c)"
big=$(sed -n 's/.*group commit: \([0-9]*\) reports.*/\1/p' "$COLLECTORD_LOG" |
    sort -n | tail -1)
echo "largest batch: $big reports"

# --- another writer holds the store: 503, Retry-After, nothing kept ---
: >"$T/c.list"
for n in 1 2 3; do
	id=$(uuid 7 "$n")
	report c "$id" 30
	echo "$id" >>"$T/c.list"
done
burst c 3
mkfifo "$T/lock.in"
sqlite3 "$DB" <"$T/lock.in" >"$T/lock.out" 2>&1 &
lockpid=$!
track_pid "$lockpid"
exec 4>"$T/lock.in"
echo "BEGIN IMMEDIATE; UPDATE hosts SET hostname = hostname; SELECT 'locked';" >&4
i=0
until grep -q locked "$T/lock.out"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "sqlite3 did not lock: $(cat "$T/lock.out")"
	sleep 0.1
done
curl -sS -Z -D "$T/c3.hdr" -K "$T/c.cfg" >"$T/c3.codes" 2>"$T/c3.err" ||
    fail "curl while locked: $(cat "$T/c3.err")"
echo "ROLLBACK;" >&4
exec 4>&-
wait "$lockpid" || fail "the locking sqlite3 failed: $(cat "$T/lock.out")"
collectord_alive
[ "$(grep -c '^503 ' "$T/c3.codes")" = 3 ] ||
    fail "while locked: $(cat "$T/c3.codes")"
grep -qi '^Retry-After: [0-9]' "$T/c3.hdr" || fail "no Retry-After: $(cat "$T/c3.hdr")"
for id in $(cat "$T/c.list"); do
	jq -e '.error == "unavailable"' "$T/c-$id.resp.3" >/dev/null ||
	    fail "503 body: $(cat "$T/c-$id.resp.3")"
	[ "$(q "SELECT count(*) FROM reports WHERE report_id = '$id'")" = 0 ] ||
	    fail "$id stored although answered 503"
done
grep -q "storing a batch of [0-9]* report" "$COLLECTORD_LOG" ||
    fail "the failed batch is not logged"
burst c 4
curl -sS -Z -K "$T/c.cfg" >"$T/c4.codes" 2>"$T/c4.err" ||
    fail "curl again: $(cat "$T/c4.err")"
[ "$(grep -c '^200 ' "$T/c4.codes")" = 3 ] || fail "again: $(cat "$T/c4.codes")"
for id in $(cat "$T/c.list"); do
	jq -e '.accepted == true' "$T/c-$id.resp.4" >/dev/null ||
	    fail "again: $(cat "$T/c-$id.resp.4")"
done
[ "$(q 'SELECT count(*) FROM reports')" = $((total + 3)) ] ||
    fail "reports after the retry"
collectord_alive

# --- revoked while kept alive: the next report on it is refused ---
report a "$(uuid 8 1)" 20
report a "$(uuid 8 2)" 10
sz1=$(wc -c <"$T/a-$(uuid 8 1).gz")
sz2=$(wc -c <"$T/a-$(uuid 8 2).gz")
hdr() {
	printf 'POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n'
	printf 'Content-Type: application/json\r\nContent-Encoding: gzip\r\n'
	printf 'Content-Length: %s\r\n\r\n' "$1"
}
mkfifo "$T/ka.in"
openssl s_client -quiet -connect "127.0.0.1:$COLLECTORD_PORT" \
    -CAfile "$COLLECTORD_CA" -cert "$T/a.pem" -key "$T/a.key" \
    <"$T/ka.in" >"$T/ka.out" 2>"$T/ka.err" &
kapid=$!
track_pid "$kapid"
exec 3>"$T/ka.in"
{ hdr "$sz1"; cat "$T/a-$(uuid 8 1).gz"; } >&3
i=0
until grep -q '"accepted":true' "$T/ka.out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "keep-alive: no answer: $(cat "$T/ka.out" "$T/ka.err")"
	sleep 0.1
done
out=$(collectord_cmd host revoke "$H_a")
[ "$out" = "host $H_a: 1 certificate revoked" ] || fail "host revoke: $out"
{ hdr "$sz2"; cat "$T/a-$(uuid 8 2).gz"; } >&3
i=0
until grep -q 'HTTP/1.1 403' "$T/ka.out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "keep-alive after revoke: $(cat "$T/ka.out")"
	sleep 0.1
done
exec 3>&-
kill "$kapid" 2>/dev/null || true
wait "$kapid" 2>/dev/null || true
[ "$(grep -c '^HTTP/1.1 ' "$T/ka.out")" = 2 ] ||
    fail "not one connection: $(grep '^HTTP' "$T/ka.out")"
grep -q '"detail":"the client certificate has been revoked"' "$T/ka.out" ||
    fail "403 body: $(cat "$T/ka.out")"
[ "$(q "SELECT count(*) FROM reports WHERE report_id = '$(uuid 8 2)'")" = 0 ] ||
    fail "a revoked host's report was stored"

# --- kill -9 right after a burst: every report answered 200 is kept ---
: >"$T/c.list"
n=1
while [ "$n" -le "$N" ]; do
	id=$(uuid 9 "$n")
	report c "$id" 5
	echo "$id" >>"$T/c.list"
	n=$((n + 1))
done
burst c 5
curl -sS -Z -K "$T/c.cfg" >"$T/c5.codes" 2>"$T/c5.err" ||
    fail "curl before kill: $(cat "$T/c5.err")"
collectord_alive
kill -9 "$COLLECTORD_PID"
wait "$COLLECTORD_PID" 2>/dev/null || true
COLLECTORD_PID=
[ "$(grep -c '^200 ' "$T/c5.codes")" = "$N" ] || fail "before kill: $(cat "$T/c5.codes")"
for id in $(cat "$T/c.list"); do
	[ "$(q "SELECT count(*) FROM reports WHERE report_id = '$id'")" = 1 ] ||
	    fail "$id answered 200 but lost by kill -9"
done
echo "ok: $total reports in bursts, largest batch $big"
