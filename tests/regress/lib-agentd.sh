# Helpers for the isms-agentd scenarios (tests/regress/daemon-*.sh),
# sourced after lib.sh and lib-daemon.sh, not run.  The daemon is the
# real one, in the foreground (-d -v, stderr to $AGENTD_ERR), reading a
# copy of a fixture root, with its store and control socket under
# $DAEMON_TMP; runs are triggered with "ismsctl run-now" (the interval
# is an hour), and state is read with "ismsctl status --format json".
#
#   agentd_need_root          exit 0 "skipped: needs root" unless root
#   agentd_fixture CASE       copies CASE's root to $DAEMON_TMP; sets ROOT
#   agentd_base_conf          prints the daemon, schedule and store
#                             sections (the scenario adds alerts:)
#   agentd_start              starts isms-agentd, waits for its first run
#   agentd_stop               SIGTERM; it must exit 0 within 10 s
#   agentd_status             the status JSON (fails when no answer)
#   agentd_expect JQ          the status must satisfy a jq expression
#   agentd_run                run-now, waits until the run is stored
#   agentd_wait JQ SECONDS    until the status satisfies JQ; 1 on timeout
#   agentd_drained            waits (15 s) for an empty alert queue
#   agentd_reload             SIGHUP; waits for the parent to log the
#                             outcome; 1 when the new file was refused
#   count_lines FILE N WHAT   FILE must have exactly N lines
: "${top_builddir:?top_builddir not set}"
AGENTD="$top_builddir/isms-agentd"
AGENTD_CONF="$DAEMON_TMP/agent.yaml"
AGENTD_SOCK="$DAEMON_TMP/run/control"
AGENTD_STORE="$DAEMON_TMP/state/store.db"
AGENTD_ERR="$DAEMON_TMP/agentd.err"
AGENTD_PID=

agentd_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped: needs root (the daemon chroots its engine)"
		exit 0
	fi
	id nobody >/dev/null 2>&1 || fail "no user nobody to run as"
	[ -x "$AGENTD" ] || fail "$AGENTD not built"
}

agentd_fixture() {
	rm -rf "$DAEMON_TMP/fixture"
	mkdir -p "$DAEMON_TMP/fixture"
	cp -a "$top_srcdir/tests/fixtures/$1/root" "$DAEMON_TMP/fixture/" ||
	    fail "cannot copy fixture $1"
	ROOT=$DAEMON_TMP/fixture/root
}

agentd_base_conf() {
	cat <<EOF
daemon:
  user: nobody
  control_socket: $AGENTD_SOCK
  collector_timeout: 20s
schedule:
  interval: 1h
  jitter: 0s
  run_at_start: true
store:
  path: $AGENTD_STORE
EOF
}

agentd_status() {
	"$top_builddir/ismsctl" status --format json --socket "$AGENTD_SOCK" \
	    2>/dev/null
}

agentd_wait() {
	_aw_end=$(($(date +%s) + $2))
	while :; do
		if _aw_st=$(agentd_status) &&
		    printf '%s\n' "$_aw_st" | jq -e "$1" >/dev/null 2>&1; then
			return 0
		fi
		[ "$(date +%s)" -lt "$_aw_end" ] || return 1
		if [ -n "$AGENTD_PID" ] && ! kill -0 "$AGENTD_PID" 2>/dev/null
		then
			fail "isms-agentd died: $(tail -n 20 "$AGENTD_ERR")"
		fi
		sleep 0.05
	done
}

agentd_expect() {
	_ae_st=$(agentd_status) || fail "ismsctl status got no answer"
	printf '%s\n' "$_ae_st" | jq -e "$1" >/dev/null ||
	    fail "status: $1: $(printf '%s\n' "$_ae_st" | jq -c .)"
}

agentd_start() {
	"$AGENTD" -d -v -f "$AGENTD_CONF" -r "$ROOT" 2>>"$AGENTD_ERR" &
	AGENTD_PID=$!
	track_pid "$AGENTD_PID"
	agentd_wait '.last_run != null and .running == false' 15 ||
	    fail "isms-agentd did not finish its first run: $(tail -n 20 "$AGENTD_ERR")"
}

agentd_stop() {
	[ -n "$AGENTD_PID" ] || fail "isms-agentd not started"
	kill -TERM "$AGENTD_PID" 2>/dev/null || true
	(sleep 10; kill -KILL "$AGENTD_PID") >/dev/null 2>&1 &
	_as_wd=$!
	_as_rc=0
	wait "$AGENTD_PID" || _as_rc=$?
	kill "$_as_wd" 2>/dev/null || true
	wait "$_as_wd" 2>/dev/null || true
	_as_rest=
	for _p in $_ld_pids; do
		[ "$_p" = "$AGENTD_PID" ] || _as_rest="$_as_rest $_p"
	done
	_ld_pids=$_as_rest
	AGENTD_PID=
	[ "$_as_rc" -eq 0 ] ||
	    fail "isms-agentd exited $_as_rc on SIGTERM: $(tail -n 20 "$AGENTD_ERR")"
	[ ! -e "$AGENTD_SOCK" ] || fail "control socket left behind"
}

agentd_run() {
	_ar_n=$(agentd_status | jq -r .runs_stored) ||
	    fail "ismsctl status got no answer"
	"$top_builddir/ismsctl" run-now --socket "$AGENTD_SOCK" >/dev/null ||
	    fail "ismsctl run-now failed"
	agentd_wait ".runs_stored > $_ar_n and .running == false" 15 ||
	    fail "run not stored: $(tail -n 20 "$AGENTD_ERR")"
}

agentd_drained() {
	agentd_wait '.queued_total == 0' 15 ||
	    fail "alert queue not drained: $(agentd_status | jq -c .queues)"
}

count_lines() {
	_cl_n=0
	[ -f "$1" ] && _cl_n=$(wc -l <"$1")
	[ "$_cl_n" -eq "$2" ] ||
	    fail "$3: $_cl_n lines in $(basename "$1"), expected $2: $(cat "$1")"
}

agentd_reload() {
	_rl_ok=$(grep -c 'configuration reloaded' "$AGENTD_ERR" || true)
	_rl_bad=$(grep -c 'configuration not reloaded' "$AGENTD_ERR" || true)
	kill -HUP "$AGENTD_PID"
	_rl_i=0
	while :; do
		if [ "$(grep -c 'configuration reloaded' "$AGENTD_ERR")" -gt \
		    "$_rl_ok" ]; then
			# The children get it after the parent logs it.
			sleep 0.2
			return 0
		fi
		[ "$(grep -c 'configuration not reloaded' "$AGENTD_ERR")" -le \
		    "$_rl_bad" ] || return 1
		_rl_i=$((_rl_i + 1))
		[ "$_rl_i" -le 200 ] || fail "SIGHUP: nothing logged"
		sleep 0.05
	done
}
