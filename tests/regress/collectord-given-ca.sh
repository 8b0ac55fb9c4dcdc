#!/bin/sh
# isms-collectord with a CA the admin gives it (issue 4: "on first start
# it creates (or is given) a CA"): an organisation's own intermediate CA
# (RSA 3072, under a root the collector never sees) placed in state_dir
# before the first start is used as it is, not replaced; enrolled agents'
# certificates and the collector's own server certificate chain to it
# and to the organisation's root, and such an agent reports. A given key
# readable by others, or a key without its certificate, stops the
# collector with a message naming the file.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-collectord.sh"
collectord_need openssl curl jq
T=$DAEMON_TMP
STATE=$COLLECTORD_STATE
HID=fedcba9876543210fedcba9876543210

# The organisation's root and an intermediate for the collector.
printf '%s\n' '[root]' 'basicConstraints = critical, CA:TRUE' \
    'keyUsage = critical, keyCertSign, cRLSign' \
    'subjectKeyIdentifier = hash' '[inter]' \
    'basicConstraints = critical, CA:TRUE, pathlen:0' \
    'keyUsage = critical, keyCertSign, cRLSign' \
    'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' \
    >"$T/ext.cnf"
openssl req -new -newkey rsa:3072 -nodes -keyout "$T/root.key" \
    -subj "/O=Example KK/CN=Example Root" -out "$T/root.csr" 2>/dev/null
openssl x509 -req -in "$T/root.csr" -key "$T/root.key" -days 3650 \
    -extfile "$T/ext.cnf" -extensions root -out "$T/root.pem" 2>/dev/null ||
    fail "cannot make the root"
openssl req -new -newkey rsa:3072 -nodes -keyout "$T/inter.key" \
    -subj "/O=Example KK/CN=ISMS agents CA" -out "$T/inter.csr" 2>/dev/null
openssl x509 -req -in "$T/inter.csr" -CA "$T/root.pem" -CAkey "$T/root.key" \
    -CAcreateserial -days 1825 -extfile "$T/ext.cnf" -extensions inter \
    -out "$T/inter.pem" 2>/dev/null || fail "cannot sign the intermediate"

# A key others may read is refused, naming it.
mkdir -p "$STATE"
cp "$T/inter.key" "$STATE/ca.key"
cp "$T/inter.pem" "$STATE/ca.pem"
chmod 644 "$STATE/ca.key"
collectord_conf 8443
if out=$(timeout 20 "$COLLECTORD" -d -f "$COLLECTORD_CONF" 2>&1); then
	fail "started with a world-readable CA key"
fi
printf '%s\n' "$out" | grep -q "ca.key" ||
    fail "the refusal does not name ca.key: $out"
# A key without its certificate: refused too.
chmod 600 "$STATE/ca.key"
mv "$STATE/ca.pem" "$T/held.pem"
if out=$(timeout 20 "$COLLECTORD" -d -f "$COLLECTORD_CONF" 2>&1); then
	fail "started with a CA key and no certificate"
fi
printf '%s\n' "$out" | grep -q "ca.pem" ||
    fail "the refusal does not name ca.pem: $out"
mv "$T/held.pem" "$STATE/ca.pem"

collectord_start
cmp -s "$STATE/ca.pem" "$T/inter.pem" || fail "the given CA was replaced"
cmp -s "$STATE/ca.key" "$T/inter.key" || fail "the given CA key was replaced"
tok=$(collectord_token --uses 1)
[ -n "$tok" ] || fail "no token"
collectord_enroll agent "$HID" "$tok" laptop-9
jq -r .ca "$T/resp" >"$T/answer-ca.pem"
[ "$(openssl x509 -in "$T/answer-ca.pem" -noout -fingerprint -sha256)" = \
    "$(openssl x509 -in "$T/inter.pem" -noout -fingerprint -sha256)" ] ||
    fail "the enroll answer does not carry the given CA"
openssl verify -CAfile "$T/inter.pem" -partial_chain "$T/agent.pem" \
    >/dev/null 2>&1 || fail "the agent certificate does not chain to the given CA"
openssl verify -CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
    "$T/agent.pem" >/dev/null 2>&1 ||
    fail "the agent certificate does not chain to the organisation's root"
openssl x509 -in "$T/agent.pem" -noout -ext subjectAltName 2>/dev/null |
    grep -q "urn:isms-agent:host:$HID" || fail "no host URI in the SAN"
openssl verify -CAfile "$T/inter.pem" -partial_chain "$STATE/server.pem" \
    >/dev/null 2>&1 || fail "the server certificate is not the given CA's"
# The new certificate reports.
jq -n --arg h "$HID" '{schema: "isms-agent/report/v1",
    report_id: "6b1f2a4e-8c3d-4f5a-9b7e-2d1c0e9f8a7b", kind: "run",
    generated_at: "2026-11-26T10:00:00Z",
    agent: {version: "0.1.0", host_id: $h, hostname: "laptop-9"},
    summary: {pass: 1, fail: 0, error: 0, not_applicable: 0},
    results: [{check: "x.y", title: "X", status: "pass", severity: "low",
      controls: ["A.8.1"], controls_2013: [], message: "ok",
      evidence: {}}]}' >"$T/report.json"
code=$(collectord_post /api/v1/reports "$T/report.json" \
    --cert "$T/agent.pem" --key "$T/agent.key")
[ "$code" = 200 ] ||
    fail "report with the given CA's certificate: $code $(cat "$T/resp")"

# ismsctl enroll pins the given CA (not self-signed) and enrolls.
agent_host "$T/host"
agent_collector_conf >"$T/agent.yaml"
pin=$(openssl x509 -in "$T/inter.pem" -noout -pubkey |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
tok=$(collectord_token --uses 1)
"$top_builddir/ismsctl" enroll --server "$COLLECTORD_URL" --token "$tok" \
    --pin "$pin" --config "$T/agent.yaml" --root "$ROOT" >"$T/last" 2>&1 ||
    fail "ismsctl enroll --pin with the given CA: $(cat "$T/last")"
openssl verify -CAfile "$T/root.pem" -untrusted "$ROOT/pki/ca.pem" \
    "$ROOT/pki/agent.pem" >/dev/null 2>&1 ||
    fail "ismsctl's certificate does not chain to the organisation's root"
collectord_alive
collectord_stop
