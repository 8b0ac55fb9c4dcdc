#!/bin/sh
# The webhook receiver the daemon scenarios use, driven by curl: requests
# are logged, --status/--fail-first/--retry-after/--delay-ms shape the
# answers, TLS and client certificates work, malformed input is harmless.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"

# Prints the HTTP status curl got (000 when the request failed).
code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true
}

# Line N of a JSON-lines log must satisfy a jq expression.
line_jq() {
	sed -n "$2p" "$1" | jq -e "$3" >/dev/null ||
	    fail "$1 line $2: $3: $(sed -n "$2p" "$1")"
}

# Plain HTTP: a JSON POST is recorded field by field.
start_http_receiver hook
url="http://127.0.0.1:$hook_PORT"
[ "$(code -X POST -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer s3cret' -A isms-test/1 \
    --data '{"text":"drift ✓"}' "$url/services/T0/B0?x=1&y=2")" = 200 ] ||
    fail "POST not answered 200"
[ "$(code --data-binary "$(printf 'a\377b')" "$url/bin")" = 200 ] ||
    fail "binary POST not answered 200"
wait_for_lines "$hook_LOG" 2 5 || fail "requests not logged"
line_jq "$hook_LOG" 1 '.seq == 1 and .method == "POST" and .status == 200
    and .path == "/services/T0/B0" and .query == "x=1&y=2"
    and .content_type == "application/json" and .authorization == true
    and .user_agent == "isms-test/1" and .tls == false
    and .body == "{\"text\":\"drift ✓\"}" and (has("body_base64") | not)
    and (.body | fromjson | .text) == "drift ✓"'
line_jq "$hook_LOG" 2 '.authorization == false and .body_base64 == "Yf9i"
    and .body_length == 3'

# Malformed requests are answered by libevent and never logged; the
# receiver keeps working.
printf 'NOT HTTP AT ALL\r\n\r\n' | tcp_send "$hook_PORT"
printf 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' |
    tcp_send "$hook_PORT"
printf '\000\001\002\377\r\n\r\n' | tcp_send "$hook_PORT"
[ "$(code "$url/after")" = 200 ] || fail "receiver broken by bad input"
wait_for_lines "$hook_LOG" 3 5 || fail "request after bad input not logged"
[ "$(wc -l <"$hook_LOG")" -eq 3 ] || fail "malformed input was logged"
line_jq "$hook_LOG" 3 '.method == "GET" and .path == "/after" and .seq == 3'
stop_receiver hook

# --fail-first 2 --retry-after 7: two 500s with Retry-After, then 200.
start_http_receiver flaky --fail-first 2 --retry-after 7
url="http://127.0.0.1:$flaky_PORT"
curl -s -o /dev/null -D "$DAEMON_TMP/h1" --max-time 10 "$url/" || true
grep -qi '^Retry-After: 7' "$DAEMON_TMP/h1" || fail "no Retry-After: 7"
grep -q '^HTTP/1.1 500' "$DAEMON_TMP/h1" || fail "first request not 500"
[ "$(code "$url/")" = 500 ] || fail "second request not 500"
[ "$(code "$url/")" = 200 ] || fail "third request not 200"
curl -s -o /dev/null -D "$DAEMON_TMP/h3" --max-time 10 "$url/" || true
! grep -qi '^Retry-After' "$DAEMON_TMP/h3" || fail "Retry-After on a 200"
line_jq "$flaky_LOG" 2 '.status == 500'
line_jq "$flaky_LOG" 3 '.status == 200'
stop_receiver flaky

# --status 429 and --delay-ms 400: slow and refusing.
start_http_receiver slow --status 429 --delay-ms 400
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
    "http://127.0.0.1:$slow_PORT/") || true
[ "${t% *}" = 429 ] || fail "slow endpoint answered ${t% *}, not 429"
awk -v t="${t#* }" 'BEGIN { exit !(t >= 0.4) }' ||
    fail "slow endpoint answered after ${t#* } s, not >= 0.4 s"
# A client that gives up before the answer does no harm.
[ "$(code --max-time 0.1 "http://127.0.0.1:$slow_PORT/gone")" = 000 ] ||
    fail "impatient client got an answer"
sleep 0.5
[ "$(code "http://127.0.0.1:$slow_PORT/")" = 429 ] ||
    fail "slow endpoint broken after a client left"
stop_receiver slow

# TLS: verified with the test CA, refused without it.
pki="$DAEMON_TMP/pki"
make_test_pki "$pki"
start_http_receiver tls --cert "$pki/server.pem" --key "$pki/server.key"
[ "$(code --cacert "$pki/ca.pem" -d '{}' \
    "https://127.0.0.1:$tls_PORT/hook")" = 200 ] || fail "TLS POST failed"
[ "$(code --cacert "$pki/ca.pem" "https://localhost:$tls_PORT/")" = 200 ] ||
    fail "TLS by name localhost failed"
[ "$(code "https://127.0.0.1:$tls_PORT/")" = 000 ] ||
    fail "certificate accepted without the test CA"
wait_for_lines "$tls_LOG" 2 5 || fail "TLS requests not logged"
line_jq "$tls_LOG" 1 '.tls == true and .body == "{}" and .client_cert == null'
stop_receiver tls

# Client certificates: required with --client-ca.
start_http_receiver mtls --cert "$pki/server.pem" --key "$pki/server.key" \
    --client-ca "$pki/ca.pem"
[ "$(code --cacert "$pki/ca.pem" "https://127.0.0.1:$mtls_PORT/")" = 000 ] ||
    fail "request without a client certificate accepted"
[ "$(code --cacert "$pki/ca.pem" --cert "$pki/client.pem" \
    --key "$pki/client.key" "https://127.0.0.1:$mtls_PORT/m")" = 200 ] ||
    fail "request with a client certificate refused"
wait_for_lines "$mtls_LOG" 1 5 || fail "mTLS request not logged"
line_jq "$mtls_LOG" 1 '.path == "/m" and
    (.client_cert | contains("CN=isms-agent-test-client"))'
[ "$(wc -l <"$mtls_LOG")" -eq 1 ] || fail "refused request was logged"
stop_receiver mtls
