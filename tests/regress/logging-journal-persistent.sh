#!/bin/sh
# Debian journald.conf (Storage=auto) with /var/log/journal: persistent passes; no auditd, no forwarding
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check logging-journal-persistent)
expect_status "$out" logging.persistent pass
expect_status "$out" logging.auditd fail
expect_status "$out" logging.forwarding fail
