#!/bin/sh
# isms-agentd: a pass->fail drift reaches Slack, Teams and JSON webhooks
# exactly once each, an unchanged run sends nothing, fail->pass sends
# one recovery.  The first run is the baseline: one summary each.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

# Line N of a receiver log: the request body must satisfy a jq expression.
body_jq() {
	sed -n "$2p" "$1" | jq -e ".body | fromjson | $3" >/dev/null ||
	    fail "$(basename "$1") line $2: $3: $(sed -n "$2p" "$1" | jq -r .body)"
}

CHECK=session.idle_timeout
agentd_fixture session-tmout		# TMOUT=600 readonly: passes
start_http_receiver slack
start_http_receiver teams
start_http_receiver json
{
	agentd_base_conf
	cat <<EOF
alerts:
  syslog: false
  summary_at: never
  webhooks:
    - url: http://127.0.0.1:$slack_PORT/services/T0/B0/x
      format: slack
    - url: http://127.0.0.1:$teams_PORT/workflows/t
      format: teams
    - url: http://127.0.0.1:$json_PORT/isms
      format: json
EOF
} >"$AGENTD_CONF"

agentd_start
agentd_expect ".failing | map(.check) | index(\"$CHECK\") == null"
agentd_drained
for r in slack teams json; do
	eval "log=\$${r}_LOG"
	count_lines "$log" 1 "baseline on $r"
done
body_jq "$json_LOG" 1 '.schema == "isms-agent/alert/v1" and
    .event == "summary" and (.failing | length) > 0 and
    (.failing | map(.check) | index("'$CHECK'") == null)'
sed -n 1p "$slack_LOG" | jq -e '.method == "POST" and
    .path == "/services/T0/B0/x" and .content_type == "application/json"' \
    >/dev/null || fail "Slack request: $(sed -n 1p "$slack_LOG")"

# Drift: the idle timeout goes above the 15-minute threshold.
sed -i 's/^TMOUT=600$/TMOUT=3600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_expect ".failing | map(.check) | index(\"$CHECK\") != null"
agentd_drained
for r in slack teams json; do
	eval "log=\$${r}_LOG"
	count_lines "$log" 2 "pass->fail drift on $r"
done
body_jq "$json_LOG" 2 '.schema == "isms-agent/alert/v1" and
    .event == "drift" and .check == "'$CHECK'" and .old == "pass" and
    .new == "fail" and (.observed | contains("1h")) and
    (.threshold | contains("session.max_idle=15m")) and
    (.controls | length) > 0 and (.at | test("^[0-9-]{10}T")) and
    (.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))'
# Every alert has its own id (receivers de-duplicate retries by it).
[ "$(jq -r '.body | fromjson | .id' "$json_LOG" | sort -u | wc -l)" -eq 2 ] ||
    fail "alert ids not distinct: $(jq -r '.body | fromjson | .id' "$json_LOG")"
title=$(sed -n 2p "$json_LOG" | jq -r '.body | fromjson | .title')
[ -n "$title" ] && [ "$title" != null ] || fail "JSON alert has no title"
body_jq "$slack_LOG" 2 '(.blocks | length) >= 2 and
    .blocks[0].type == "header" and
    .blocks[0].text.text == "FAIL: '"$title"'" and
    (.blocks | tostring | contains("'$CHECK'")) and
    (.text | contains("1h"))'
body_jq "$teams_LOG" 2 '.type == "message" and
    (.attachments | length) == 1 and
    .attachments[0].contentType == "application/vnd.microsoft.card.adaptive"
    and .attachments[0].content.type == "AdaptiveCard" and
    .attachments[0].content.version == "1.4" and
    .attachments[0].content.body[0].text == "FAIL: '"$title"'" and
    (.attachments[0].content.body | tostring | contains("'$CHECK'"))'

# Unchanged: nothing more is sent.
agentd_run
agentd_drained
for r in slack teams json; do
	eval "log=\$${r}_LOG"
	count_lines "$log" 2 "unchanged run on $r"
done

# Recovery: fail->pass, one alert each.
sed -i 's/^TMOUT=3600$/TMOUT=600/' "$ROOT/etc/profile.d/tmout.sh"
agentd_run
agentd_drained
for r in slack teams json; do
	eval "log=\$${r}_LOG"
	count_lines "$log" 3 "fail->pass recovery on $r"
done
body_jq "$json_LOG" 3 '.event == "drift" and .check == "'$CHECK'" and
    .old == "fail" and .new == "pass"'
body_jq "$slack_LOG" 3 '.blocks[0].text.text == "RECOVERED: '"$title"'"'
body_jq "$teams_LOG" 3 '.attachments[0].content.body[0].color == "Good"'
agentd_stop
