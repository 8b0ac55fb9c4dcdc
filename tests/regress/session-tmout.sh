#!/bin/sh
# TMOUT=600 made readonly in /etc/profile.d; a later TMOUT=0 cannot undo it
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check session-tmout)
expect_status "$out" session.idle_timeout pass
expect_jq "$out" '.results[] | select(.check == "session.idle_timeout") | .evidence.observed["session.tmout.value_s"] == 600'
