#!/bin/sh
# No TMOUT and the Debian default ClientAliveInterval 0: idle sessions never end
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check session-none)
expect_status "$out" session.idle_timeout fail
