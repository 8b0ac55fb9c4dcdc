#!/bin/sh
# collectord-reports.sh with limits.workers: 0, so reports are inflated,
# parsed and checked on the event loop instead of worker threads: the
# same answers, the same rows.
REPORTS_WORKERS=0
. "$top_srcdir/tests/regress/collectord-reports.sh"
grep -q "report parsers: 0 threads" "$COLLECTORD_LOG" ||
    fail "the collector did not run without worker threads"
