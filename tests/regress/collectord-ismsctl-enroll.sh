#!/bin/sh
# "ismsctl enroll" against a real isms-collectord on 127.0.0.1 (issue 4):
# without --ca or --pin it refuses before sending anything; with --ca
# the key is made here (0600), the certificate names the machine-id of
# --root in its SAN URI and verifies against the ca.pem written beside
# it; a --ca of another CA fails verification and a wrong pin (another
# CA, or the server's own key) is refused before the token is sent, so
# the token's use count is unchanged; the
# right pin (as the collector logs it) re-enrolls the same host with a
# new key and certificate; a used-up token is refused with the
# collector's detail, exit 1, and leaves the enrolled files alone; the
# token never appears in ismsctl's output or the collector's log.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
[ -x "$top_builddir/ismsctl-enroll" ] || fail "ismsctl-enroll not built"
collectord_need openssl jq sqlite3
T=$DAEMON_TMP
DB=$COLLECTORD_DB
CA=$COLLECTORD_CA
collectord_start
URL=$COLLECTORD_URL
port=$COLLECTORD_PORT
uses_left() {	# TOKEN
	_h=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
	sqlite3 "$DB" "SELECT uses_left FROM tokens WHERE hash = '$_h'"
}
# pin FILE: base64 SHA-256 of the SubjectPublicKeyInfo of a certificate.
pin() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin \
	    -outform der | openssl dgst -sha256 -binary | base64
}

# --- the host: a fixture's machine-id, files under a temporary root ---
agent_host "$T/root"
agent_collector_conf >"$T/agent.yaml"
P=$ROOT/pki
: >"$T/out"
# enroll EXPECTED-EXIT [args]: ismsctl enroll, output kept in $T/last
# and appended to $T/out.
enroll() {
	_want=$1
	shift
	_rc=0
	"$ISMSCTL" enroll --server "$URL" --config "$T/agent.yaml" \
	    --root "$ROOT" "$@" >"$T/last" 2>&1 || _rc=$?
	cat "$T/last" >>"$T/out"
	[ "$_rc" -eq "$_want" ] ||
	    fail "enroll $*: exit $_rc, expected $_want: $(cat "$T/last")"
}

t1=$(collectord_token --uses 1)
[ "${#t1}" -eq 43 ] || fail "token create printed '$t1'"

# --- usage ---
enroll 2 --token "$t1"
grep -q 'give --ca FILE .* or --pin' "$T/last" || fail "no trust: $(cat "$T/last")"
enroll 2 --token "$t1" --pin 'not-a-pin'
grep -q -- '--pin must be' "$T/last" || fail "bad pin: $(cat "$T/last")"
rc=0
"$ISMSCTL" enroll --server "http://127.0.0.1:$port" --token "$t1" \
    --ca "$CA" >"$T/last" 2>&1 || rc=$?
cat "$T/last" >>"$T/out"
[ "$rc" -eq 2 ] || fail "http:// server: exit $rc"
[ "$(uses_left "$t1")" = 1 ] || fail "a usage error spent the token"
[ ! -e "$P" ] || fail "a usage error wrote $P"

# --- --ca ---
enroll 0 --token "$t1" --ca "$CA"
grep -q "enrolled host $HID (ws-0142)" "$T/last" || fail "enroll: $(cat "$T/last")"
grep -q 'certificate valid until 20[0-9-]*T' "$T/last" ||
    fail "no not_after: $(cat "$T/last")"
grep -qF "$P/agent.key" "$T/last" || fail "key not named: $(cat "$T/last")"
[ "$(stat -c %a "$P/agent.key")" = 600 ] || fail "key mode $(stat -c %a "$P/agent.key")"
[ "$(stat -c %a "$P/agent.pem")" = 644 ] || fail "cert mode"
[ "$(stat -c %a "$P/ca.pem")" = 644 ] || fail "ca mode"
[ "$(ls "$P" | wc -l)" -eq 3 ] || fail "files left in $P: $(ls "$P")"
cmp -s "$P/ca.pem" "$CA" || fail "ca.pem is not the collector's CA"
openssl verify -CAfile "$P/ca.pem" "$P/agent.pem" >/dev/null ||
    fail "agent.pem does not verify against ca.pem"
openssl x509 -in "$P/agent.pem" -noout -ext subjectAltName |
    grep -q "URI:urn:isms-agent:host:$HID" || fail "no host URI in the SAN"
[ "$(openssl pkey -in "$P/agent.key" -pubout)" = \
  "$(openssl x509 -in "$P/agent.pem" -noout -pubkey)" ] ||
    fail "agent.pem is not for agent.key"
openssl pkey -in "$P/agent.key" -noout -text | grep -q 'NIST CURVE: P-256' ||
    fail "the key is not P-256"
curl -sS --cacert "$P/ca.pem" --cert "$P/agent.pem" --key "$P/agent.key" \
    "$URL/healthz" | grep -q ok || fail "healthz with the new certificate"
[ "$(uses_left "$t1")" = 0 ] || fail "uses left: $(uses_left "$t1")"
serial1=$(openssl x509 -in "$P/agent.pem" -noout -serial)
cp "$P/agent.key" "$T/key1"

# --- a used-up token: refused, files untouched ---
enroll 1 --token "$t1" --ca "$CA"
grep -q 'refused the enrollment (HTTP 403 forbidden): enrollment token has no uses left' \
    "$T/last" || fail "refusal: $(cat "$T/last")"
cmp -s "$P/agent.key" "$T/key1" || fail "a refused enrollment replaced the key"
[ "$(ls "$P" | wc -l)" -eq 3 ] || fail "files left in $P: $(ls "$P")"

# --- a wrong pin: refused before the token is sent ---
t2=$(collectord_token --uses 3)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/evil-ca.key" -out "$T/evil-ca.pem" -days 2 \
    -subj "/CN=isms-collectord CA" 2>/dev/null
enroll 3 --token "$t2" --ca "$T/evil-ca.pem"
grep -q 'certificate' "$T/last" || fail "another --ca: $(cat "$T/last")"
enroll 3 --token "$t2" --pin "$(pin "$T/evil-ca.pem")"
grep -q 'matches the pin' "$T/last" || fail "wrong pin: $(cat "$T/last")"
openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null |
    openssl x509 >"$T/server.pem"
enroll 3 --token "$t2" --pin "$(pin "$T/server.pem")"
grep -q "server's own certificate" "$T/last" || fail "leaf pin: $(cat "$T/last")"
[ "$(uses_left "$t2")" = 3 ] || fail "a wrong pin spent the token"
cmp -s "$P/agent.key" "$T/key1" || fail "a wrong pin replaced the key"

# --- the right pin, as the collector logs it: same host, new cert ---
logpin=$(sed -n 's/.*CA pin \([A-Za-z0-9+/=]*\).*/\1/p' "$COLLECTORD_LOG" | head -1)
[ "$logpin" = "$(pin "$CA")" ] || fail "logged pin '$logpin' is not the CA's"
printf '%s\n' "$t2" | "$ISMSCTL" enroll --server "$URL/" --token - \
    --pin "$logpin" --config "$T/agent.yaml" --root "$ROOT" >"$T/last" 2>&1 ||
    fail "enroll with the pin: $(cat "$T/last")"
cat "$T/last" >>"$T/out"
[ "$(uses_left "$t2")" = 2 ] || fail "uses left after the pin: $(uses_left "$t2")"
[ "$(openssl x509 -in "$P/agent.pem" -noout -serial)" != "$serial1" ] ||
    fail "re-enrollment kept the certificate"
cmp -s "$P/agent.key" "$T/key1" && fail "re-enrollment kept the key"
openssl verify -CAfile "$P/ca.pem" "$P/agent.pem" >/dev/null ||
    fail "the new agent.pem does not verify"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM hosts')" = 1 ] ||
    fail "hosts: $(sqlite3 "$DB" 'SELECT * FROM hosts')"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE host_id = '$HID' AND revoked_at IS NULL")" = 1 ] ||
    fail "certs: $(sqlite3 "$DB" 'SELECT * FROM certs')"

# --- the token is secret: not printed, not logged ---
for t in "$t1" "$t2"; do
	grep -qF -- "$t" "$T/out" && fail "a token is in ismsctl's output"
	grep -qF -- "$t" "$COLLECTORD_LOG" && fail "a token is in the collector's log"
done
collectord_alive
collectord_stop
exit 0
