#!/bin/sh
# Certificate renewal (issue 4) against a real isms-collectord on
# 127.0.0.1 issuing 1-day certificates: "ismsctl enroll" enrolls a host,
# "ismsctl enroll --renew" replaces key and certificate over mTLS
# without a token (new serial and key, files 0600/0644, nothing left
# beside them), the new certificate posts a report, the old one is
# refused at the handshake and GET /api/v1/hosts still shows one host;
# "--if-needed" on a fresh certificate exits 0 without contacting the
# (stopped) collector, and renews when --now puts it in its last third;
# an interrupted renewal (new key in place, CERT.new beside it) is
# completed by the next run; POST /api/v1/renew without a certificate is
# 401, by GET 405, with a malformed CSR 422 (detail) and malformed JSON
# 400, and the old certificate still works after a refused renewal;
# after "host revoke" the renewal fails at the handshake with a clear
# message and exit 3.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
[ -x "$top_builddir/ismsctl-enroll" ] || fail "ismsctl-enroll not built"
collectord_need openssl curl jq sqlite3 gzip
T=$DAEMON_TMP
DB=$COLLECTORD_DB
CA=$COLLECTORD_CA
GOOD=$top_srcdir/tests/fixtures/reports/good.json
COLLECTORD_EXTRA='cert_days: 1'
collectord_start
URL=$COLLECTORD_URL
port=$COLLECTORD_PORT

agent_host "$T/root"
agent_collector_conf >"$T/agent.yaml"
P=$ROOT/pki
# ctl EXPECTED-EXIT args: ismsctl enroll ARGS, output in $T/last.
ctl() {
	_want=$1
	shift
	_rc=0
	"$ISMSCTL" enroll --config "$T/agent.yaml" --root "$ROOT" "$@" \
	    >"$T/last" 2>&1 || _rc=$?
	[ "$_rc" -eq "$_want" ] ||
	    fail "enroll $*: exit $_rc, expected $_want: $(cat "$T/last")"
}
serial() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f
}
# report ID: $T/r.gz, the fixture report for HID with that id.
report() {
	jq --arg id "$1" --arg h "$HID" \
	    --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    '.report_id = $id | .agent.host_id = $h | .generated_at = $at' \
	    "$GOOD" | gzip -c >"$T/r.gz"
}
# postr CERT KEY: posts $T/r.gz with that pair; the status code.
postr() {
	collectord_post /api/v1/reports "$T/r.gz" --cert "$1" --key "$2" \
	    -H 'Content-Encoding: gzip'
}
# renew_post FILE [curl args]: POST FILE to /api/v1/renew.
renew_post() {
	_f=$1
	shift
	collectord_post /api/v1/renew "$_f" "$@"
}

# --- enroll with a token ---
tok=$(collectord_token --uses 1)
ctl 0 --server "$URL" --token "$tok" --ca "$CA"
s1=$(serial "$P/agent.pem")
cp "$P/agent.pem" "$T/old.pem"
cp "$P/agent.key" "$T/old.key"
# 1 day: a fresh certificate is not due.
ctl 0 --renew --if-needed
grep -q "certificate $s1 valid until .*not renewing before" "$T/last" ||
    fail "--if-needed on a fresh certificate: $(cat "$T/last")"
[ "$(serial "$P/agent.pem")" = "$s1" ] || fail "--if-needed renewed"

# --- renew ---
ctl 0 --renew
grep -q "renewed the certificate of host $HID with $URL: .* replaces $s1" \
    "$T/last" || fail "renew: $(cat "$T/last")"
grep -q 'SIGHUP' "$T/last" || fail "no word on SIGHUP: $(cat "$T/last")"
s2=$(serial "$P/agent.pem")
[ "$s2" != "$s1" ] || fail "the serial did not change"
grep -q "$s2 replaces $s1" "$T/last" || fail "printed serials: $(cat "$T/last")"
cmp -s "$P/agent.key" "$T/old.key" && fail "renewal kept the key"
[ "$(openssl pkey -in "$P/agent.key" -pubout)" = \
  "$(openssl x509 -in "$P/agent.pem" -noout -pubkey)" ] ||
    fail "agent.pem is not for agent.key"
openssl pkey -in "$P/agent.key" -noout -text | grep -q 'NIST CURVE: P-256' ||
    fail "the new key is not P-256"
[ "$(stat -c %a "$P/agent.key")" = 600 ] || fail "key mode $(stat -c %a "$P/agent.key")"
[ "$(stat -c %a "$P/agent.pem")" = 644 ] || fail "cert mode"
[ "$(ls "$P" | wc -l)" -eq 3 ] || fail "files left in $P: $(ls "$P")"
openssl verify -CAfile "$CA" "$P/agent.pem" >/dev/null ||
    fail "the new certificate does not verify"
openssl x509 -in "$P/agent.pem" -noout -ext subjectAltName |
    grep -q "URI:urn:isms-agent:host:$HID" || fail "no host URI in the SAN"
grep -q "host $HID renewed its certificate from 127.0.0.1:[0-9]*: $s2 replaces $s1" \
    "$COLLECTORD_LOG" || fail "no log line: $(tail -5 "$COLLECTORD_LOG")"
[ "$(sqlite3 "$DB" "SELECT cert_serial FROM hosts WHERE host_id = '$HID'")" = "$s2" ] ||
    fail "hosts.cert_serial: $(sqlite3 "$DB" 'SELECT * FROM hosts')"
[ "$(sqlite3 "$DB" "SELECT serial FROM certs WHERE host_id = '$HID' AND revoked_at IS NULL")" = "$s2" ] ||
    fail "certs: $(sqlite3 "$DB" 'SELECT * FROM certs')"

# --- the new certificate reports, the old one is refused ---
report 21212121-2121-4121-8121-212121212121
code=$(postr "$P/agent.pem" "$P/agent.key")
[ "$code" = 200 ] || fail "report with the new certificate: $code $(cat "$T/resp") $(cat "$T/curl.err")"
jq -e '.accepted == true' "$T/resp" >/dev/null || fail "report: $(cat "$T/resp")"
report 31313131-3131-4131-8131-313131313131
rc=0
curl -sS --tls-max 1.2 --cacert "$CA" --cert "$T/old.pem" --key "$T/old.key" \
    "$URL/healthz" >/dev/null 2>"$T/curl.err" || rc=$?
[ "$rc" -eq 35 ] || fail "old certificate: curl exit $rc, expected a handshake failure (35)"
grep -q revoked "$T/curl.err" || fail "old certificate: $(cat "$T/curl.err")"
code=$(postr "$T/old.pem" "$T/old.key")
case $code in
*curl-failed) ;;	# over TLS 1.3 the refusal follows the handshake
*) fail "report with the old certificate: $code" ;;
esac
grep -q "client certificate $s1 refused: revoked" "$COLLECTORD_LOG" ||
    fail "the collector did not log the refusal"
A=$(collectord_cmd api-token create --role viewer 2>/dev/null)
curl -sS --cacert "$CA" -H "Authorization: Bearer $A" "$URL/api/v1/hosts" \
    >"$T/hosts.json" || fail "GET /api/v1/hosts"
[ "$(jq '.hosts | length' "$T/hosts.json")" = 1 ] ||
    fail "hosts after renewal: $(cat "$T/hosts.json")"
jq -e --arg h "$HID" '.hosts[0].id == $h and .hosts[0].revoked == false' \
    "$T/hosts.json" >/dev/null || fail "the host: $(cat "$T/hosts.json")"

# --- the endpoint: no certificate, wrong method, bad bodies ---
jq -n --rawfile c "$T/old.pem" '{csr: $c}' >"$T/notcsr.json"
code=$(renew_post "$T/notcsr.json")
[ "$code" = 401 ] || fail "renew without a certificate: $code $(cat "$T/resp")"
code=$(curl -sS -o "$T/resp" -w '%{http_code}' --cacert "$CA" \
    --cert "$P/agent.pem" --key "$P/agent.key" "$URL/api/v1/renew")
[ "$code" = 405 ] || fail "GET /api/v1/renew: $code"
code=$(renew_post "$T/notcsr.json" --cert "$P/agent.pem" --key "$P/agent.key")
[ "$code" = 422 ] || fail "a certificate as the CSR: $code $(cat "$T/resp")"
jq -e '.error == "schema" and (.detail | startswith("/csr: "))' "$T/resp" \
    >/dev/null || fail "malformed CSR answer: $(cat "$T/resp")"
printf '{"csr": "-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\\n"}' \
    >"$T/badcsr.json"
code=$(renew_post "$T/badcsr.json" --cert "$P/agent.pem" --key "$P/agent.key")
[ "$code" = 422 ] || fail "a broken CSR: $code $(cat "$T/resp")"
printf '{"csr": ' >"$T/broken.json"
code=$(renew_post "$T/broken.json" --cert "$P/agent.pem" --key "$P/agent.key")
[ "$code" = 400 ] || fail "malformed JSON: $code"
printf '{"token": "x"}' >"$T/nocsr.json"
code=$(renew_post "$T/nocsr.json" --cert "$P/agent.pem" --key "$P/agent.key")
[ "$code" = 422 ] || fail "no csr: $code"
# A refused renewal changes nothing: the certificate still works.
code=$(postr "$P/agent.pem" "$P/agent.key")
[ "$code" = 200 ] || fail "report after refused renewals: $code $(cat "$T/resp")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE host_id = '$HID'")" = 2 ] ||
    fail "certs after refused renewals: $(sqlite3 "$DB" 'SELECT * FROM certs')"
collectord_alive

# --- --if-needed with the collector stopped: fresh, so no contact ---
collectord_stop
ctl 0 --renew --if-needed
grep -q 'not renewing before' "$T/last" || fail "--if-needed: $(cat "$T/last")"
[ "$(serial "$P/agent.pem")" = "$s2" ] || fail "--if-needed changed the certificate"
# Due (17 h into a 1-day certificate) but unreachable: exit 3, files kept.
later=$(date -u -d '+17 hours' +%Y-%m-%dT%H:%M:%SZ)
cp "$P/agent.key" "$T/k2"
ctl 3 --renew --if-needed --now "$later"
grep -q 'renewal due since' "$T/last" || fail "due: $(cat "$T/last")"
cmp -s "$P/agent.key" "$T/k2" || fail "a failed renewal replaced the key"
[ "$(serial "$P/agent.pem")" = "$s2" ] || fail "a failed renewal replaced the certificate"
[ "$(ls "$P" | wc -l)" -eq 3 ] || fail "files left in $P: $(ls "$P")"
collectord_start "$port"

# --- --if-needed renews in the last third ---
ctl 0 --renew --if-needed --now "$later"
grep -q "renewal due since" "$T/last" || fail "--if-needed due: $(cat "$T/last")"
s3=$(serial "$P/agent.pem")
[ "$s3" != "$s2" ] || fail "--if-needed did not renew: $(cat "$T/last")"
grep -q "$s3 replaces $s2" "$T/last" || fail "--if-needed: $(cat "$T/last")"

# --- an interrupted renewal: new key in place, CERT.new beside it ---
cp "$P/agent.key" "$T/k3"
cp "$P/agent.pem" "$T/c3"
ctl 0 --renew
s4=$(serial "$P/agent.pem")
mv "$P/agent.pem" "$P/agent.pem.new"
cp "$T/c3" "$P/agent.pem"		# the old certificate, the new key
ctl 0 --renew --if-needed
grep -q 'completed an interrupted renewal' "$T/last" ||
    fail "recovery: $(cat "$T/last")"
[ "$(serial "$P/agent.pem")" = "$s4" ] || fail "recovery kept the old certificate"
[ ! -e "$P/agent.pem.new" ] || fail "agent.pem.new left"
report 41414141-4141-4141-8141-414141414141
code=$(postr "$P/agent.pem" "$P/agent.key")
[ "$code" = 200 ] || fail "report after recovery: $code $(cat "$T/resp")"
# A mismatch that no CERT.new explains is reported, not guessed at.
cp "$P/agent.pem" "$T/c4"
cp "$T/c3" "$P/agent.pem"
ctl 2 --renew
grep -q 'is not the certificate of .*agent.key' "$T/last" ||
    fail "mismatch: $(cat "$T/last")"
cp "$T/c4" "$P/agent.pem"

# --- usage ---
ctl 2 --renew --token x
grep -q 'takes no --token' "$T/last" || fail "--renew --token: $(cat "$T/last")"
ctl 2 --if-needed
grep -q 'goes with --renew' "$T/last" || fail "--if-needed alone: $(cat "$T/last")"

# --- a revoked host cannot renew ---
out=$(collectord_cmd host revoke "$HID")
[ "$out" = "host $HID: 1 certificate revoked" ] || fail "host revoke: $out"
cp "$P/agent.key" "$T/k5"
ctl 3 --renew
grep -q "refused certificate $s4 (revoked, unknown or expired" "$T/last" ||
    fail "revoked renewal: $(cat "$T/last")"
cmp -s "$P/agent.key" "$T/k5" || fail "a refused renewal replaced the key"
[ "$(ls "$P" | wc -l)" -eq 3 ] || fail "files left in $P: $(ls "$P")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM certs WHERE revoked_at IS NULL")" = 0 ] ||
    fail "a revoked host got a certificate: $(sqlite3 "$DB" 'SELECT * FROM certs')"
collectord_alive
collectord_stop
exit 0
