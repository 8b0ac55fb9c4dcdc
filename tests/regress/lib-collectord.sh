# Helpers for the scenarios that run a real isms-collectord on 127.0.0.1
# (tests/regress/collectord-*.sh, daemon-report-*.sh), sourced after
# lib.sh and lib-daemon.sh (and lib-agentd.sh for agentd_sql), not run.
# The collector runs in the foreground (-d, plus -v unless
# COLLECTORD_FLAGS says otherwise), its output in $COLLECTORD_LOG, its
# configuration in $COLLECTORD_CONF and its state in $COLLECTORD_STATE,
# all under $DAEMON_TMP.
#
#   collectord_need TOOL...     fail unless isms-collectord is built and
#                               each TOOL is installed; sets
#                               COLLECTORD_USER (nobody when root, and
#                               $DAEMON_TMP made 711 for it; else me)
#   collectord_conf PORT        writes $COLLECTORD_CONF: listen on
#                               127.0.0.1:PORT, state_dir, user, then
#                               $COLLECTORD_EXTRA (more YAML) if set
#   collectord_start [PORT]     collectord_conf and start, wait (10 s)
#                               for "ready"; sets COLLECTORD_PID, _PORT,
#                               _URL.  Without PORT a free random port
#                               (20 tries); with PORT, 1 when it is in use
#   collectord_alive            fails when the collector has died
#   collectord_stop             SIGTERM; it must exit 0
#   collectord_cmd ARGS         isms-collectord -f $COLLECTORD_CONF ARGS
#   collectord_token [ARGS]     "token create ARGS": prints a new token
#   collectord_post PATH FILE [curl args]
#                               POST FILE (JSON) to PATH over https with
#                               the collector's CA; prints the status
#                               code ("curl-failed" when curl fails), the
#                               answer in $DAEMON_TMP/resp, curl's
#                               stderr in $DAEMON_TMP/curl.err
#   collectord_newkey NAME      $DAEMON_TMP/NAME.key (P-256) and NAME.csr
#   collectord_enroll NAME HOST_ID TOKEN [HOSTNAME]
#                               collectord_newkey NAME, enroll it as
#                               HOST_ID; fails unless 200; the
#                               certificate in $DAEMON_TMP/NAME.pem
#   agentd_sql SQL              SQL on isms-agentd's store, which stays
#                               owned by nobody
#   agent_host DIR              DIR/etc/machine-id and hostname from a
#                               fixture: ROOT=DIR, HID its machine-id
#   agent_collector_conf        the "collector:" section of agent.yaml for
#                               the running collector, key and
#                               certificates under /pki of the root
#   agentd_enrolled FIXTURE     agentd_fixture FIXTURE with a machine-id
#                               (sets ROOT, HID), $AGENTD_CONF reporting
#                               to the running collector, and the host
#                               enrolled with ismsctl enroll
#   collectord_reports          the collector's reports rows for $HID
#   collectord_wait_reports N SECONDS
#                               fails unless N of them arrive in time
: "${top_builddir:?top_builddir not set}"
COLLECTORD="$top_builddir/isms-collectord"
COLLECTORD_CONF="$DAEMON_TMP/c.yaml"
COLLECTORD_LOG="$DAEMON_TMP/d.log"
: "${COLLECTORD_STATE:=$DAEMON_TMP/state}"
COLLECTORD_DB="$COLLECTORD_STATE/store/collector.db"
COLLECTORD_CA="$COLLECTORD_STATE/ca.pem"
: "${COLLECTORD_FLAGS:=-d -v}"
: "${COLLECTORD_EXTRA:=}"
COLLECTORD_USER=
COLLECTORD_PID=
COLLECTORD_PORT=
COLLECTORD_URL=

collectord_need() {
	[ -x "$COLLECTORD" ] || fail "$COLLECTORD not built"
	for _cn_t in "$@"; do
		command -v "$_cn_t" >/dev/null ||
		    fail "$_cn_t not installed (tools/deps.sh)"
	done
	if [ "$(id -u)" -eq 0 ]; then
		COLLECTORD_USER=nobody
		chmod 711 "$DAEMON_TMP"	# the user reaches its store below
	else
		COLLECTORD_USER=$(id -un)
	fi
}

collectord_conf() {
	{
		cat <<EOF
listen: "127.0.0.1:$1"
state_dir: $COLLECTORD_STATE
user: ${COLLECTORD_USER:-nobody}
EOF
		[ -z "$COLLECTORD_EXTRA" ] || printf '%s\n' "$COLLECTORD_EXTRA"
	} >"$COLLECTORD_CONF"
}

# _cd_try PORT: start on PORT; 1 when it is in use.
_cd_try() {
	collectord_conf "$1"
	: >"$COLLECTORD_LOG"
	# shellcheck disable=SC2086
	"$COLLECTORD" $COLLECTORD_FLAGS -f "$COLLECTORD_CONF" \
	    >>"$COLLECTORD_LOG" 2>&1 &
	COLLECTORD_PID=$!
	track_pid "$COLLECTORD_PID"
	_cd_i=0
	while ! grep -q 'ready' "$COLLECTORD_LOG"; do
		if ! kill -0 "$COLLECTORD_PID" 2>/dev/null; then
			grep -q 'ready' "$COLLECTORD_LOG" && break
			grep -q 'Address already in use' "$COLLECTORD_LOG" &&
			    return 1
			fail "isms-collectord exited: $(cat "$COLLECTORD_LOG")"
		fi
		_cd_i=$((_cd_i + 1))
		[ "$_cd_i" -le 100 ] ||
		    fail "isms-collectord did not start: $(cat "$COLLECTORD_LOG")"
		sleep 0.1
	done
	COLLECTORD_PORT=$1
	COLLECTORD_URL=https://127.0.0.1:$1
}

collectord_start() {
	if [ $# -gt 0 ]; then
		_cd_try "$1"
		return
	fi
	_cd_n=0
	while :; do
		_cd_n=$((_cd_n + 1))
		[ "$_cd_n" -le 20 ] || fail "no free port found"
		_cd_p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		[ -z "$(ss -Htln "sport = :$_cd_p" 2>/dev/null)" ] || continue
		_cd_try "$_cd_p" && return 0
	done
}

collectord_alive() {
	kill -0 "$COLLECTORD_PID" 2>/dev/null ||
	    fail "isms-collectord died: $(cat "$COLLECTORD_LOG")"
}

collectord_stop() {
	kill -TERM "$COLLECTORD_PID"
	_cd_rc=0
	wait "$COLLECTORD_PID" || _cd_rc=$?
	[ "$_cd_rc" -eq 0 ] ||
	    fail "isms-collectord exited $_cd_rc on SIGTERM: $(tail -5 "$COLLECTORD_LOG")"
}

collectord_cmd() {
	"$COLLECTORD" -f "$COLLECTORD_CONF" "$@"
}

collectord_token() {
	collectord_cmd token create "$@" 2>/dev/null
}

collectord_post() {
	_cd_path=$1
	_cd_f=$2
	shift 2
	curl -sS -o "$DAEMON_TMP/resp" -w '%{http_code}' \
	    --cacert "$COLLECTORD_CA" -H 'Content-Type: application/json' \
	    "$@" --data-binary @"$_cd_f" "$COLLECTORD_URL$_cd_path" \
	    2>"$DAEMON_TMP/curl.err" || echo "curl-failed"
}

collectord_newkey() {
	openssl ecparam -name prime256v1 -genkey -noout \
	    -out "$DAEMON_TMP/$1.key"
	openssl req -new -key "$DAEMON_TMP/$1.key" -subj "/CN=ignored-$1" \
	    -out "$DAEMON_TMP/$1.csr"
}

collectord_enroll() {
	collectord_newkey "$1"
	jq -n --arg t "$3" --rawfile c "$DAEMON_TMP/$1.csr" --arg h "$2" \
	    --arg n "${4:-}" \
	    '{token: $t, csr: $c, host_id: $h} +
	    (if $n == "" then {} else {hostname: $n} end)' \
	    >"$DAEMON_TMP/$1.enroll.json"
	_cd_code=$(collectord_post /api/v1/enroll "$DAEMON_TMP/$1.enroll.json")
	[ "$_cd_code" = 200 ] ||
	    fail "enroll $1: $_cd_code $(cat "$DAEMON_TMP/resp")"
	jq -r .certificate "$DAEMON_TMP/resp" >"$DAEMON_TMP/$1.pem"
}

agentd_sql() {
	sqlite3 "$AGENTD_STORE" "$1" || fail "sqlite3: $1"
	chown -R nobody "$(dirname "$AGENTD_STORE")"
}

agent_host() {
	ROOT=$1
	mkdir -p "$ROOT/etc"
	cp "$top_srcdir/tests/fixtures/inventory-debian/root/etc/machine-id" \
	    "$top_srcdir/tests/fixtures/inventory-debian/root/etc/hostname" \
	    "$ROOT/etc/"
	HID=$(cat "$ROOT/etc/machine-id")
}

agent_collector_conf() {
	printf '%s\n' collector: "  url: $COLLECTORD_URL" \
	    "  key: /pki/agent.key" "  cert: /pki/agent.pem" "  ca: /pki/ca.pem"
}

agentd_enrolled() {
	agentd_fixture "$1"
	agent_host "$ROOT"
	{
		agentd_base_conf
		printf '%s\n' alerts: "  syslog: false" "  summary_at: never"
		agent_collector_conf
	} >"$AGENTD_CONF"
	_ae_tok=$(collectord_token)
	"$top_builddir/ismsctl" enroll --server "$COLLECTORD_URL" \
	    --token "$_ae_tok" --ca "$COLLECTORD_CA" --config "$AGENTD_CONF" \
	    --root "$ROOT" >"$DAEMON_TMP/enroll.out" 2>&1 ||
	    fail "enroll: $(cat "$DAEMON_TMP/enroll.out")"
}

collectord_reports() {
	sqlite3 "$COLLECTORD_DB" \
	    "SELECT count(*) FROM reports WHERE host_id = '$HID'" ||
	    fail "sqlite3 collector: reports of $HID"
}

collectord_wait_reports() {
	_cw_end=$(($(date +%s) + $2))
	while [ "$(collectord_reports)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$_cw_end" ] ||
		    fail "$(collectord_reports) reports arrived, expected $1: $(tail -n 20 "$AGENTD_ERR")"
		sleep 0.1
	done
}
