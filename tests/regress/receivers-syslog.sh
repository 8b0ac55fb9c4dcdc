#!/bin/sh
# The remote syslog receiver the daemon scenarios use, driven by
# util-linux logger (RFC 5424 over TCP, octet-counted and LF-framed),
# raw malformed frames and openssl s_client over TLS (RFC 5425).
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"

command -v logger >/dev/null || fail "logger (util-linux, bsdutils) missing"

# Line N of a JSON-lines log must satisfy a jq expression.
line_jq() {
	sed -n "$2p" "$1" | jq -e "$3" >/dev/null ||
	    fail "$1 line $2: $3: $(sed -n "$2p" "$1")"
}

# An octet-counted frame around $1.
frame() {
	printf '%s %s' "$(printf '%s' "$1" | wc -c)" "$1"
}

start_syslog_receiver siem
n=0

# A real client, octet-counted, with structured data.
logger --server 127.0.0.1 --port "$siem_PORT" --tcp --octet-count \
    --rfc5424 -p auth.warning -t isms-agentd --msgid drift \
    --sd-id isms@32473 --sd-param 'check="disk.encryption.root"' \
    --sd-param 'old="pass"' --sd-param 'new="fail"' \
    -- 'drift: disk.encryption.root pass -> fail'
n=$((n + 1))
wait_for_lines "$siem_LOG" $n 5 || fail "logger message not logged"
line_jq "$siem_LOG" $n '.valid == true and .framing == "octet-counted"
    and .tls == false and .version == 1 and .facility == 4
    and .severity == 4 and .app_name == "isms-agentd" and .msgid == "drift"
    and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))
    and .sd["isms@32473"].check == "disk.encryption.root"
    and .sd["isms@32473"].new == "fail" and (.sd | has("timeQuality"))
    and .msg == "drift: disk.encryption.root pass -> fail"'

# The same client with LF framing (RFC 6587 non-transparent).
logger --server 127.0.0.1 --port "$siem_PORT" --tcp --rfc5424 \
    -t isms-agentd -- 'line framed'
n=$((n + 1))
wait_for_lines "$siem_LOG" $n 5 || fail "LF-framed message not logged"
line_jq "$siem_LOG" $n '.valid == true and .framing == "lf"
    and .msg == "line framed"'

# Well-formed edge cases in one connection: NILVALUEs, no MSG, escapes,
# a repeated PARAM-NAME, a BOM, an offset and fraction.
{
	frame '<0>1 - - - - - -'
	frame '<191>1 2026-11-22T02:00:00.123456+09:00 h a p m [x@1 v="a\"b\\c\]d" k="1" k="2"][y@2.3] '"$(printf '\357\273\277')"'日本語'
} | tcp_send "$siem_PORT"
n=$((n + 2))
[ "$(wc -l <"$siem_LOG")" -eq $n ] || fail "edge cases not all logged"
line_jq "$siem_LOG" $((n - 1)) '.valid == true and .pri == 0
    and .timestamp == null and .hostname == null and .sd == null
    and .msg == null'
line_jq "$siem_LOG" $n '.valid == true and .facility == 23 and .severity == 7
    and .timestamp == "2026-11-22T02:00:00.123456+09:00"
    and .sd["x@1"].v == "a\"b\\c]d" and .sd["x@1"].k == ["1", "2"]
    and .sd["y@2.3"] == {} and .bom == true and .msg == "日本語"'

# Malformed messages: one JSON line each, "valid": false and the reason.
check_invalid() {
	frame "$1" | tcp_send "$siem_PORT"
	n=$((n + 1))
	[ "$(wc -l <"$siem_LOG")" -eq $n ] || fail "not logged: $1"
	sed -n "${n}p" "$siem_LOG" | jq -e --arg raw "$1" --arg why "$2" \
	    '.valid == false and (.reason | contains($why)) and
	    .framing == "octet-counted" and .raw == $raw' >/dev/null ||
	    fail "$1: expected invalid ($2): $(sed -n "${n}p" "$siem_LOG")"
}
check_invalid '13 Nov 22 02:00:00 host app: BSD style' "begin with '<'"
check_invalid '<192>1 - - - - - -' 'PRIVAL 192'
check_invalid '<13>2 - - - - - -' 'VERSION 2'
check_invalid '<13>1 2026-02-29T00:00:00Z h a - - -' 'TIMESTAMP out of range'
check_invalid '<13>1 2026-11-22T02:00:60Z h a - - -' 'TIMESTAMP out of range'
check_invalid '<13>1 2026-11-22t02:00:00z h a - - -' 'TIMESTAMP'
check_invalid '<13>1 2026-11-22T02:00:00.1234567Z h a - - -' 'TIME-SECFRAC'
check_invalid '<13>1 2026-11-22T02:00:00 h a - - -' 'TIME-NUMOFFSET'
check_invalid '<13>1 - h a - - [x@1 a="b]"]' "unescaped ']'"
check_invalid '<13>1 - h a - - [x@1 a="b' 'unterminated PARAM-VALUE'
check_invalid '<13>1 - h a - - [x a="b"]' 'neither IANA-registered'
check_invalid '<13>1 - h a - - [x@1][x@1]' 'repeated'
check_invalid '<13>1 - h a - - [x@1]msg' 'expected SP after STRUCTURED-DATA'
check_invalid '<13>1 - h 0123456789012345678901234567890123456789012345678 - - -' 'APP-NAME longer than 48'
check_invalid '<13>1 - h a - -' 'message ends after MSGID'
check_invalid "<13>1 - h a - - - $(printf '\357\273\277\377')" 'not UTF-8'

# Framing errors are logged and close the connection; a frame cut short
# by the end of the connection is logged as such.
printf '12x<13>1 - - -' | tcp_send "$siem_PORT"
printf '0 ' | tcp_send "$siem_PORT"
printf '9999999 <13>1' | tcp_send "$siem_PORT"
printf '40 <13>1 - - - - - - short' | tcp_send "$siem_PORT"
n=$((n + 4))
[ "$(wc -l <"$siem_LOG")" -eq $n ] || fail "framing errors not all logged"
line_jq "$siem_LOG" $((n - 3)) '.valid == false and .framing == "error"
    and (.reason | contains("not followed by SP"))'
line_jq "$siem_LOG" $((n - 2)) '.reason | contains("begins with 0")'
line_jq "$siem_LOG" $((n - 1)) '.reason | contains("MSG-LEN too long")'
line_jq "$siem_LOG" $n '(.reason | contains("closed inside a frame"))
    and .raw == "40 <13>1 - - - - - - short"'

# Binary garbage (fixed pseudo-random bytes) does not stop it.
head -c 16384 /dev/zero | openssl enc -aes-128-ctr -nosalt \
    -K 000102030405060708090a0b0c0d0e0f \
    -iv 00000000000000000000000000000000 | tcp_send "$siem_PORT"
n=$(wc -l <"$siem_LOG")
logger --server 127.0.0.1 --port "$siem_PORT" --tcp --octet-count \
    --rfc5424 -t after -- 'still alive'
wait_for_lines "$siem_LOG" $((n + 1)) 5 || fail "receiver broken by garbage"
line_jq "$siem_LOG" $((n + 1)) '.valid and .msg == "still alive"'
stop_receiver siem

# TLS (RFC 5425), verified against the test CA.
pki="$DAEMON_TMP/pki"
make_test_pki "$pki"
start_syslog_receiver tls --cert "$pki/server.pem" --key "$pki/server.key"
frame '<134>1 2026-11-22T02:00:00Z host isms-agentd 42 drift [isms@32473 check="a.b"] over TLS' |
    openssl s_client -connect "127.0.0.1:$tls_PORT" -CAfile "$pki/ca.pem" \
    -verify_return_error -verify_ip 127.0.0.1 -quiet -no_ign_eof \
    >/dev/null 2>"$DAEMON_TMP/s_client.err" ||
    fail "s_client: $(cat "$DAEMON_TMP/s_client.err")"
wait_for_lines "$tls_LOG" 1 5 || fail "TLS message not logged"
line_jq "$tls_LOG" 1 '.valid == true and .tls == true and .procid == "42"
    and .sd["isms@32473"].check == "a.b" and .msg == "over TLS"'
stop_receiver tls
