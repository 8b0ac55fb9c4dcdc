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
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq sqlite3
T=$DAEMON_TMP
STATE=$COLLECTORD_STATE
DB=$COLLECTORD_DB
CA=$COLLECTORD_CA
HID=0123456789abcdef0123456789abcdef

# --- -n ---
COLLECTORD_EXTRA='limits:
  max_body: 64k
  header_timeout: 5s
  body_timeout: 10s
  max_connections: 50'
collectord_conf 8443
out=$(collectord_cmd -n 2>&1) || fail "-n on a good configuration: $out"
[ "$out" = "configuration OK" ] || fail "-n printed '$out'"
[ ! -e "$STATE" ] || fail "-n created $STATE"
cat >"$T/bad.yaml" <<EOF
listen: "127.0.0.1"
state_dir: relative/dir
limits:
  max_body: lots
  header_timeout: 0s
  workers: 99
colour: blue
EOF
rc=0
err=$("$COLLECTORD" -n -f "$T/bad.yaml" 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "-n on a bad configuration: exit $rc"
for want in "bad.yaml:1:9: listen" "bad.yaml:2:12: state_dir must be" \
    "bad.yaml:4:13: expected a size" "bad.yaml:5:19: limits.header_timeout" \
    "bad.yaml:6:12: limits.workers must be 0 to 64" \
    "bad.yaml:7:1: unknown key \"colour\""; do
	printf '%s\n' "$err" | grep -qF "$want" ||
	    fail "-n: no '$want' in: $err"
done

# --- start on a free port ---
collectord_start
URL=$COLLECTORD_URL

# post FILE: the status code; the answer in $T/resp.
post() {
	collectord_post /api/v1/enroll "$1"
}
# body NAME TOKEN CSRFILE: an enrollment request in $T/NAME.json.
body() {
	jq -n --arg t "$2" --rawfile c "$3" --arg h "$HID" \
	    '{token: $t, csr: $c, host_id: $h, hostname: "laptop-1"}' \
	    >"$T/$1.json"
}
newkey() {
	collectord_newkey "$@"
}
# healthz NAME [curl args]: GET /healthz with client certificate NAME.
healthz() {
	_n=$1
	shift
	curl -sS --cacert "$CA" --cert "$T/$_n.pem" --key "$T/$_n.key" \
	    "$@" "$URL/healthz" 2>"$T/curl.err"
}

# --- tokens ---
t1=$(collectord_token --uses 1 --note first)
[ "${#t1}" -eq 43 ] || fail "token create printed '$t1'"
list=$(collectord_cmd token list)
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
t2=$(collectord_token --expires 1s)
sleep 2
body b "$t2" "$T/b.csr"
code=$(post "$T/b.json")
[ "$code" = 403 ] || fail "expired token: $code"
jq -e '.detail | test("expired")' "$T/resp" >/dev/null ||
    fail "expired answer: $(cat "$T/resp")"

# --- re-enroll the same host_id ---
t3=$(collectord_token)
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
collectord_alive

# --- host revoke ---
out=$(collectord_cmd host revoke "$HID")
[ "$out" = "host $HID: 1 certificate revoked" ] || fail "host revoke: $out"
rc=0
healthz b --tls-max 1.2 >/dev/null || rc=$?
[ "$rc" -eq 35 ] || fail "revoked host: curl exit $rc"
rc=0
collectord_cmd host revoke fedcba9876543210fedcba9876543210 \
    2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "host revoke of an unknown host: exit $rc"

# --- still up, no token in the log, clean exit ---
collectord_alive
[ "$(curl -sS --cacert "$CA" "$URL/healthz")" = '{"status":"ok"}' ] ||
    fail "healthz without a client certificate"
for t in "$t1" "$t2" "$t3"; do
	grep -qF -- "$t" "$COLLECTORD_LOG" && fail "a token is in the log"
done
collectord_stop
exit 0
