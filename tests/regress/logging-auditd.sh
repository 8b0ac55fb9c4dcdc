#!/bin/sh
# auditd with identity rules, rsyslog writing /var/log and forwarding over TCP: all pass
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check logging-auditd)
expect_status "$out" logging.persistent pass
expect_status "$out" logging.auditd pass
expect_status "$out" logging.forwarding pass
expect_jq "$out" '.results[] | select(.check == "logging.auditd") | .evidence.observed["logging.auditd.rules_count"] == 5'
