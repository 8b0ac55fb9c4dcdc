# Helpers for daemon regress scenarios (sourced after lib.sh, not run).
# Receivers listen on 127.0.0.1 on an ephemeral port and log one JSON
# line per request or message (see tests/tools/*-receiver.c).
#
#   start_http_receiver NAME [args]   tests/tools/http-receiver in the
#                                     background; sets NAME_PORT, NAME_LOG,
#                                     NAME_PID (args: --status N,
#                                     --fail-first N, --delay-ms N,
#                                     --retry-after S, --cert/--key,
#                                     --client-ca, --record-header H)
#   start_syslog_receiver NAME [args] the same for tests/tools/syslog-receiver
#                                     (args: --cert/--key, --client-ca;
#                                     --unix PATH: a local datagram socket
#                                     like /dev/log, sets NAME_SOCK=PATH
#                                     and no NAME_PORT)
#   unix_send PATH < datagram         stdin as one datagram to PATH
#   stop_receiver NAME                SIGTERM, wait; fails unless it exits 0
#   tcp_send PORT < data              raw bytes to 127.0.0.1:PORT (plain TCP);
#                                     returns when the server closes, so a
#                                     receiver has logged them all
#   wait_for_lines FILE N TIMEOUT_S   until FILE has >= N lines; 1 on timeout
#   make_test_pki DIR                 DIR/ca.pem, server.pem/.key (127.0.0.1,
#                                     localhost), client.pem/.key; keys 0600
#   track_pid PID                     have cleanup_all kill PID too
#   cleanup_all                       kill everything started, remove
#                                     $DAEMON_TMP; for: trap cleanup_all EXIT
#
# $DAEMON_TMP is a private directory for the scenario's files.  Sourcing
# this file sets "trap cleanup_all EXIT"; a scenario that sets its own
# EXIT trap must call cleanup_all from it.
: "${top_builddir:?top_builddir not set}"
TOOLS="$top_builddir/tests/tools"
DAEMON_TMP=$(mktemp -d "${TMPDIR:-/tmp}/isms-regress.XXXXXX") ||
    fail "mktemp failed"
_ld_pids=
trap cleanup_all EXIT
trap 'exit 1' INT TERM HUP

# DEVLOG_SETUP: an sh script for "unshare -m --propagation private sh -c
# "$DEVLOG_SETUP" ns SOCK SCRATCH CMD...": a minimal /dev of its own
# with /dev/log bound to the datagram socket SOCK (a syslog-receiver),
# then exec CMD, so syslog(3) lines reach the test, not the host.
# shellcheck disable=SC2016
DEVLOG_SETUP='
set -e
sock=$1 old=$2
shift 2
mkdir -p "$old"
mount --bind /dev "$old"
mount -t tmpfs -o mode=0755,size=64k isms-test-dev /dev
for n in null zero full random urandom tty; do
	[ -e "$old/$n" ] || continue
	: >"/dev/$n"
	mount --bind "$old/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
: >/dev/log
mount --bind "$sock" /dev/log
umount -l "$old"
exec "$@"
'

track_pid() {
	_ld_pids="$_ld_pids $1"
}

# start_receiver KIND NAME [args]: common part of the two starters.
_ld_start() {
	_kind=$1 _name=$2
	shift 2
	case $_name in
	''|[0-9]*|*[!A-Za-z0-9_]*) fail "bad receiver name '$_name'" ;;
	esac
	[ -x "$TOOLS/$_kind-receiver" ] ||
	    fail "$TOOLS/$_kind-receiver not built (make check builds it)"
	_pf="$DAEMON_TMP/$_name.port"
	_log="$DAEMON_TMP/$_name.log"
	rm -f "$_pf"
	: >"$_log"
	"$TOOLS/$_kind-receiver" --port-file "$_pf" --log "$_log" "$@" \
	    >/dev/null 2>"$DAEMON_TMP/$_name.err" &
	_pid=$!
	track_pid "$_pid"
	_i=0
	while [ ! -s "$_pf" ]; do
		if ! kill -0 "$_pid" 2>/dev/null; then
			fail "$_kind-receiver $_name died: $(cat "$DAEMON_TMP/$_name.err")"
		fi
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || fail "$_kind-receiver $_name did not start"
		sleep 0.05
	done
	eval "${_name}_PORT=\$(cat \"\$_pf\") ${_name}_LOG=\$_log ${_name}_PID=\$_pid"
	export "${_name}_PORT" "${_name}_LOG" "${_name}_PID"
}

start_http_receiver() {
	_ld_start http "$@"
}

start_syslog_receiver() {
	_ld_start syslog "$@"
	# With --unix the port file holds the socket's path.
	_sock=
	eval "_sock=\$${1}_PORT"
	case $_sock in
	/*)	eval "${1}_SOCK=\$_sock; unset ${1}_PORT"
		export "${1}_SOCK" ;;
	esac
}

stop_receiver() {
	eval "_pid=\${${1}_PID:-}"
	[ -n "$_pid" ] || fail "receiver $1 not started"
	kill -TERM "$_pid" 2>/dev/null || true
	_rc=0
	wait "$_pid" || _rc=$?
	_rest=
	for _p in $_ld_pids; do
		[ "$_p" = "$_pid" ] || _rest="$_rest $_p"
	done
	_ld_pids=$_rest
	eval "unset ${1}_PID"
	[ "$_rc" -eq 0 ] ||
	    fail "receiver $1 exited $_rc: $(cat "$DAEMON_TMP/$1.err")"
}

tcp_send() {
	"$TOOLS/syslog-receiver" --send "$1"
}

unix_send() {
	"$TOOLS/syslog-receiver" --send-unix "$1"
}

wait_for_lines() {
	_deadline=$(($(date +%s) + $3))
	while :; do
		_n=0
		[ -f "$1" ] && _n=$(wc -l <"$1")
		[ "$_n" -ge "$2" ] && return 0
		[ "$(date +%s)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}

make_test_pki() {
	_d=$1
	mkdir -p "$_d"
	(
		umask 077
		cd "$_d" || exit 1
		_ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
		# shellcheck disable=SC2086
		openssl req -x509 $_ec -keyout ca.key -out ca.pem -days 2 \
		    -subj "/CN=isms-agent test CA" \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign &&
		printf '%s\n' 'basicConstraints=CA:FALSE' \
		    'keyUsage=critical,digitalSignature' \
		    'extendedKeyUsage=serverAuth' \
		    'subjectAltName=IP:127.0.0.1,DNS:localhost' >server.ext &&
		printf '%s\n' 'basicConstraints=CA:FALSE' \
		    'keyUsage=critical,digitalSignature' \
		    'extendedKeyUsage=clientAuth' >client.ext &&
		for _who in server client; do
			_cn=127.0.0.1
			[ "$_who" = client ] && _cn=isms-agent-test-client
			# shellcheck disable=SC2086
			openssl req -new $_ec -keyout "$_who.key" \
			    -out "$_who.csr" -subj "/CN=$_cn" &&
			openssl x509 -req -in "$_who.csr" -CA ca.pem \
			    -CAkey ca.key -CAcreateserial -days 2 \
			    -extfile "$_who.ext" -out "$_who.pem" || exit 1
		done
		rm -f ./*.csr ./*.ext ca.srl
		chmod 644 ca.pem server.pem client.pem
	) >/dev/null 2>"$DAEMON_TMP/pki.err" ||
	    fail "make_test_pki: $(cat "$DAEMON_TMP/pki.err")"
}

# SIGTERM to everything started; SIGKILL to what is left after 5 s.
cleanup_all() {
	if [ -n "$_ld_pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $_ld_pids 2>/dev/null || true
		# shellcheck disable=SC2086
		(sleep 5; kill -KILL $_ld_pids) >/dev/null 2>&1 &
		_wd=$!
		for _p in $_ld_pids; do
			wait "$_p" 2>/dev/null || true
		done
		kill "$_wd" 2>/dev/null || true
	fi
	_ld_pids=
	[ -n "${DAEMON_TMP:-}" ] && rm -rf "$DAEMON_TMP"
	DAEMON_TMP=
}
