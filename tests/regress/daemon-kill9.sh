#!/bin/sh
# isms-agentd killed with SIGKILL at several moments of a run (the
# parent alone, and every process at once): the store passes PRAGMA
# integrity_check, every run committed before the kill is still there,
# no process is left behind, and a restarted daemon goes on storing.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

store_sql() {
	sqlite3 "$AGENTD_STORE" "$1" || fail "sqlite3: $1"
	chown -R nobody "$(dirname "$AGENTD_STORE")"
}

# The children of a process (Linux /proc, no procps needed).
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null || true
}

# Waits until none of the given processes is alive; 1 after 5 s.
all_gone() {
	_i=0
	while :; do
		_alive=0
		for _p; do
			if [ -d "/proc/$_p" ] &&
			    ! grep -q '^State:.*Z' "/proc/$_p/status" 2>/dev/null
			then
				_alive=1
			fi
		done
		[ "$_alive" -eq 0 ] && return 0
		_i=$((_i + 1))
		[ "$_i" -le 100 ] || return 1
		sleep 0.05
	done
}

# Starts a run, waits DELAY, SIGKILLs the parent (and with "all" its
# children at the same instant), then checks the store.
kill_during_run() {	# delay parent|all
	before=$(store_sql "SELECT group_concat(id) FROM runs ORDER BY id")
	"$top_builddir/ismsctl" run-now --socket "$AGENTD_SOCK" >/dev/null ||
	    fail "run-now failed"
	sleep "$1"
	kids=$(children "$AGENTD_PID")
	[ -n "$kids" ] ||
	    fail "isms-agentd $AGENTD_PID has no children: $(cat /proc/$AGENTD_PID/stat; tail -n 5 "$AGENTD_ERR")"
	if [ "$2" = all ]; then
		# shellcheck disable=SC2086
		kill -KILL "$AGENTD_PID" $kids 2>/dev/null || true
	else
		kill -KILL "$AGENTD_PID"
	fi
	wait "$AGENTD_PID" 2>/dev/null || true
	# shellcheck disable=SC2086
	all_gone $kids ||
	    fail "children left running after SIGKILL ($2): $kids"
	AGENTD_PID=
	[ "$(store_sql 'PRAGMA integrity_check')" = ok ] ||
	    fail "store damaged by SIGKILL after ${1}s ($2)"
	after=$(store_sql "SELECT group_concat(id) FROM runs ORDER BY id")
	case $after in
	"$before"|"$before",*) ;;
	*) fail "runs lost by SIGKILL after ${1}s: before $before, after $after" ;;
	esac
	[ "$(store_sql "SELECT count(*) FROM runs")" -le \
	    $(($(echo "$before" | tr ',' '\n' | wc -l) + 1)) ] ||
	    fail "more than one run appeared"
	# The store is consistent with itself: every change has its run.
	[ "$(store_sql "SELECT count(*) FROM changes WHERE run_id NOT IN
	    (SELECT id FROM runs)")" -eq 0 ] || fail "changes without a run"
	# Restarted, it goes on.
	n=$(store_sql "SELECT count(*) FROM runs")
	agentd_start
	agentd_expect ".runs_stored == $((n + 1))"
}

agentd_fixture session-tmout
start_http_receiver hook
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
  webhooks:
    - url: http://127.0.0.1:$hook_PORT/
      format: json
EOF
} >"$AGENTD_CONF"

agentd_start
agentd_run
agentd_run
for d in 0 0.02 0.05 0.1; do
	kill_during_run $d all
	# A drift per round, so that changes and alerts are written too.
	if grep -q '^TMOUT=600$' "$ROOT/etc/profile.d/tmout.sh"; then
		sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
	else
		sed -i 's/^TMOUT=3600$/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh"
	fi
done
kill_during_run 0.03 parent
agentd_run
agentd_drained
# Every alert queued is delivered (at least once: a kill between the
# endpoint's answer and the store's update may repeat one).
store_sql "SELECT body FROM alert_queue" | sort -u >"$DAEMON_TMP/queued"
jq -r .body "$hook_LOG" | sort -u >"$DAEMON_TMP/got"
cmp -s "$DAEMON_TMP/queued" "$DAEMON_TMP/got" ||
    fail "queued and delivered alerts differ: $(diff "$DAEMON_TMP/queued" "$DAEMON_TMP/got")"
[ "$(wc -l <"$hook_LOG")" -ge "$(store_sql "SELECT count(*) FROM
    alert_queue")" ] || fail "fewer requests than queued alerts"
agentd_stop
[ "$(store_sql 'PRAGMA integrity_check')" = ok ] ||
    fail "store damaged after a clean stop"
