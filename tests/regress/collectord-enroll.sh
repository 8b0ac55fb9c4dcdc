#!/bin/sh
# isms-collectord enrollment end to end (issue 4), with a real daemon on
# 127.0.0.1 and state in a temporary directory: -n on a good and a bad
# configuration; a token minted by "token create" enrolls a CSR made by
# the openssl tool and the certificate binds the host_id in its SAN URI;
# a one-use token is refused the second time, an expired one always;
# enrolling the same host_id again keeps one host and revokes the old
# certificate, which then fails the TLS handshake while the new one
# works; "host revoke" cuts the new one off too; a certificate of
# another CA fails the handshake; an oversize body gets 413, malformed
# JSON 400; the token never reaches the log; the daemon stays up.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
D="$top_builddir/isms-collectord"
[ -x "$D" ] || fail "$D not built"
for t in openssl curl jq sqlite3; do
	command -v "$t" >/dev/null || fail "$t not installed (tools/deps.sh)"
done

T=$DAEMON_TMP
if [ "$(id -u)" -eq 0 ]; then
	user=nobody
	chmod 711 "$T"		# the user reaches its store below
else
	user=$(id -un)
fi
STATE=$T/state
DB=$STATE/store/collector.db
HID=0123456789abcdef0123456789abcdef

# --- -n ---
conf() {	# port
	cat >"$T/c.yaml" <<EOF
listen: "127.0.0.1:$1"
state_dir: $STATE
user: $user
limits:
  max_body: 64k
  header_timeout: 5s
  body_timeout: 10s
  max_connections: 50
EOF
}
conf 8443
out=$("$D" -n -f "$T/c.yaml" 2>&1) || fail "-n on a good configuration: $out"
[ "$out" = "configuration OK" ] || fail "-n printed '$out'"
[ ! -e "$STATE" ] || fail "-n created $STATE"
cat >"$T/bad.yaml" <<EOF
listen: "127.0.0.1"
state_dir: relative/dir
limits:
  max_body: lots
  header_timeout: 0s
colour: blue
EOF
rc=0
err=$("$D" -n -f "$T/bad.yaml" 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "-n on a bad configuration: exit $rc"
for want in "bad.yaml:1:9: listen" "bad.yaml:2:12: state_dir must be" \
    "bad.yaml:4:13: expected a size" "bad.yaml:5:19: limits.header_timeout" \
    "bad.yaml:6:1: unknown key \"colour\""; do
	printf '%s\n' "$err" | grep -qF "$want" ||
	    fail "-n: no '$want' in: $err"
done

# --- start on a free port ---
n=0
while :; do
	n=$((n + 1))
	[ "$n" -le 20 ] || fail "no free port found"
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ] || continue
	conf "$port"
	: >"$T/d.log"
	"$D" -d -v -f "$T/c.yaml" >>"$T/d.log" 2>&1 &
	dpid=$!
	track_pid "$dpid"
	i=0
	while ! grep -q 'ready' "$T/d.log"; do
		kill -0 "$dpid" 2>/dev/null || break
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "isms-collectord did not start: $(cat "$T/d.log")"
		sleep 0.1
	done
	grep -q 'ready' "$T/d.log" && break
	grep -q 'Address already in use' "$T/d.log" ||
	    fail "isms-collectord exited: $(cat "$T/d.log")"
done
URL=https://127.0.0.1:$port
CA=$STATE/ca.pem
alive() {
	kill -0 "$dpid" 2>/dev/null || fail "isms-collectord died: $(cat "$T/d.log")"
}

# post FILE: the status code; the answer in $T/resp.
post() {
	curl -sS -o "$T/resp" -w '%{http_code}' --cacert "$CA" \
	    -H 'Content-Type: application/json' --data-binary @"$1" \
	    "$URL/api/v1/enroll" || echo "curl-failed"
}
# body NAME TOKEN CSRFILE: an enrollment request in $T/NAME.json.
body() {
	jq -n --arg t "$2" --rawfile c "$3" --arg h "$HID" \
	    '{token: $t, csr: $c, host_id: $h, hostname: "laptop-1"}' \
	    >"$T/$1.json"
}
# newkey NAME: $T/NAME.key and $T/NAME.csr (P-256, made here).
newkey() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/$1.key"
	openssl req -new -key "$T/$1.key" -subj "/CN=ignored-$1" \
	    -out "$T/$1.csr"
}
# healthz NAME [curl args]: GET /healthz with client certificate NAME.
healthz() {
	_n=$1
	shift
	curl -sS --cacert "$CA" --cert "$T/$_n.pem" --key "$T/$_n.key" \
	    "$@" "$URL/healthz" 2>"$T/curl.err"
}

# --- tokens ---
t1=$("$D" -f "$T/c.yaml" token create --uses 1 --note first 2>/dev/null)
[ "${#t1}" -eq 43 ] || fail "token create printed '$t1'"
list=$("$D" -f "$T/c.yaml" token list)
printf '%s\n' "$list" | grep -q 'valid *first' || fail "token list: $list"
printf '%s\n' "$list" | grep -qF "$t1" && fail "token list shows the token"

# --- enroll ---
newkey a
body a "$t1" "$T/a.csr"
code=$(post "$T/a.json")
[ "$code" = 200 ] || fail "enroll: $code $(cat "$T/resp")"
jq -r .certificate "$T/resp" >"$T/a.pem"
jq -e '.ca and .not_after and .renew_after' "$T/resp" >/dev/null ||
    fail "enroll answer: $(cat "$T/resp")"
openssl verify -CAfile "$CA" "$T/a.pem" >/dev/null || fail "a.pem does not verify"
openssl x509 -in "$T/a.pem" -noout -ext subjectAltName |
    grep -q "URI:urn:isms-agent:host:$HID" || fail "no host URI in the SAN"
[ "$(healthz a)" = '{"status":"ok"}' ] || fail "healthz with a.pem: $(cat "$T/curl.err")"

# The same one-use token again.
newkey b
body b "$t1" "$T/b.csr"
code=$(post "$T/b.json")
[ "$code" = 403 ] || fail "second use of a one-use token: $code"
jq -e '.error == "forbidden" and (.detail | test("no uses left"))' \
    "$T/resp" >/dev/null || fail "reuse answer: $(cat "$T/resp")"

# An expired token.
t2=$("$D" -f "$T/c.yaml" token create --expires 1s 2>/dev/null)
sleep 2
body b "$t2" "$T/b.csr"
code=$(post "$T/b.json")
[ "$code" = 403 ] || fail "expired token: $code"
jq -e '.detail | test("expired")' "$T/resp" >/dev/null ||
    fail "expired answer: $(cat "$T/resp")"

# --- re-enroll the same host_id ---
t3=$("$D" -f "$T/c.yaml" token create 2>/dev/null)
body b "$t3" "$T/b.csr"
code=$(post "$T/b.json")
[ "$code" = 200 ] || fail "re-enroll: $code $(cat "$T/resp")"
jq -r .certificate "$T/resp" >"$T/b.pem"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM hosts')" = 1 ] ||
    fail "hosts: $(sqlite3 "$DB" 'SELECT * FROM hosts')"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE host_id = '$HID' AND revoked_at IS NULL")" = 1 ] ||
    fail "certs: $(sqlite3 "$DB" 'SELECT * FROM certs')"
rc=0
healthz a --tls-max 1.2 >/dev/null || rc=$?
[ "$rc" -eq 35 ] || fail "old certificate over TLS 1.2: curl exit $rc, expected a handshake failure (35)"
grep -q 'revoked' "$T/curl.err" || fail "old certificate: $(cat "$T/curl.err")"
rc=0
out=$(healthz a) || rc=$?
[ "$rc" -ne 0 ] && [ -z "$out" ] || fail "old certificate over TLS 1.3 got '$out'"
[ "$(healthz b)" = '{"status":"ok"}' ] || fail "new certificate: $(cat "$T/curl.err")"

# --- another CA's certificate ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/evil-ca.key" -out "$T/evil-ca.pem" -days 2 \
    -subj "/CN=isms-collectord CA" 2>/dev/null
newkey evil
printf 'subjectAltName=URI:urn:isms-agent:host:%s\nextendedKeyUsage=clientAuth\n' \
    "$HID" >"$T/evil.ext"
openssl x509 -req -in "$T/evil.csr" -CA "$T/evil-ca.pem" \
    -CAkey "$T/evil-ca.key" -CAcreateserial -days 1 -extfile "$T/evil.ext" \
    -out "$T/evil.pem" 2>/dev/null
rc=0
healthz evil --tls-max 1.2 >/dev/null || rc=$?
[ "$rc" -eq 35 ] || fail "foreign certificate: curl exit $rc, expected 35"
rc=0
out=$(healthz evil) || rc=$?
[ "$rc" -ne 0 ] && [ -z "$out" ] || fail "foreign certificate over TLS 1.3 got '$out'"

# --- hostile bodies ---
head -c 100000 /dev/zero | tr '\0' x >"$T/big"
code=$(post "$T/big")
[ "$code" = 413 ] || fail "oversize body: $code"
printf '{"token": "abc", "csr": ' >"$T/broken.json"
code=$(post "$T/broken.json")
[ "$code" = 400 ] || fail "malformed JSON: $code"
jq -e '.error == "malformed" and (.detail | length > 0)' "$T/resp" \
    >/dev/null || fail "malformed answer: $(cat "$T/resp")"
printf '{"token": "abc", "host_id": "%s"}' "$HID" >"$T/nocsr.json"
code=$(post "$T/nocsr.json")
[ "$code" = 422 ] || fail "missing csr: $code"
alive

# --- host revoke ---
out=$("$D" -f "$T/c.yaml" host revoke "$HID")
[ "$out" = "host $HID: 1 certificate revoked" ] || fail "host revoke: $out"
rc=0
healthz b --tls-max 1.2 >/dev/null || rc=$?
[ "$rc" -eq 35 ] || fail "revoked host: curl exit $rc"
rc=0
"$D" -f "$T/c.yaml" host revoke fedcba9876543210fedcba9876543210 \
    2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "host revoke of an unknown host: exit $rc"

# --- still up, no token in the log, clean exit ---
alive
[ "$(curl -sS --cacert "$CA" "$URL/healthz")" = '{"status":"ok"}' ] ||
    fail "healthz without a client certificate"
for t in "$t1" "$t2" "$t3"; do
	grep -qF -- "$t" "$T/d.log" && fail "a token is in the log"
done
kill -TERM "$dpid"
rc=0
wait "$dpid" || rc=$?
[ "$rc" -eq 0 ] || fail "isms-collectord exited $rc on SIGTERM: $(tail -5 "$T/d.log")"
exit 0
