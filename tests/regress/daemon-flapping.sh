#!/bin/sh
# isms-agentd: a check that flips on every run (flap window 6, 3 changes,
# 2 stable runs) is alerted for its first two changes, then once as
# flapping; the changes while it flaps are suppressed; it is alerted once
# more when it has settled, and not again.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

body_jq() {
	sed -n "$1p" "$hook_LOG" | jq -e ".body | fromjson | $2" >/dev/null ||
	    fail "alert $1: $2: $(sed -n "$1p" "$hook_LOG" | jq -r .body)"
}

# Runs once with the idle timeout passing or failing; N alerts in all.
run_as() {		# pass|fail N
	case $1 in
	pass) sed -i 's/^TMOUT=.*/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh" ;;
	fail) sed -i 's/^TMOUT=.*/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh" ;;
	esac
	agentd_run
	agentd_expect ".failing | map(.check) | index(\"$CHECK\") $(
	    [ "$1" = pass ] && echo '==' || echo '!=') null"
	agentd_drained
	count_lines "$hook_LOG" "$2" "after run $((run += 1)) ($1)"
}

CHECK=session.idle_timeout
agentd_fixture session-tmout
start_http_receiver hook
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
  flap:
    window: 6
    max_changes: 3
    stable_runs: 2
  webhooks:
    - url: http://127.0.0.1:$hook_PORT/
      format: json
EOF
} >"$AGENTD_CONF"

run=1
agentd_start				# run 1: pass, the baseline
agentd_drained
count_lines "$hook_LOG" 1 "baseline"
body_jq 1 '.event == "summary"'
run_as fail 2				# 1st change: alerted
body_jq 2 '.event == "drift" and .check == "'$CHECK'" and .old == "pass"
    and .new == "fail"'
run_as pass 3				# 2nd change: alerted
body_jq 3 '.event == "drift" and .old == "fail" and .new == "pass"'
run_as fail 4				# 3rd change in 6 runs: flapping
body_jq 4 '.event == "flapping" and .check == "'$CHECK'" and .new == "fail"'
run_as pass 4				# suppressed
run_as fail 4				# suppressed
run_as pass 4				# suppressed, not yet stable
run_as pass 5				# stable for 2 runs: settled, once
body_jq 5 '.event == "drift" and .check == "'$CHECK'" and .new == "pass"'
run_as pass 5				# quiet again
[ "$(sqlite3 "$AGENTD_STORE" \
    "SELECT count(*) FROM changes WHERE check_id = '$CHECK'")" -eq 7 ] ||
    fail "every change is kept in the history, alerted or not"
agentd_stop
