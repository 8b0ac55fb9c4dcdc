#!/bin/sh
# The JSON report follows isms-agent/report/v1: every result carries
# controls (2022) and controls_2013 from the crosswalk, a message, and
# evidence with the observed values, sources and collection time; the
# summary counts the results.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
out=$(run_check disk-lvm-on-luks)
expect_jq "$out" '.schema == "isms-agent/report/v1"'
expect_jq "$out" '.generated_at == "2026-11-22T02:00:00Z"'
expect_jq "$out" '.agent.version | test("^[0-9]+\\.[0-9]+")'
expect_jq "$out" '.results | length > 30'
expect_jq "$out" 'all(.results[]; (.check | test("^[a-z][a-z0-9_.-]*$"))
    and (.title | length > 0)
    and (.status | IN("pass", "fail", "error", "not_applicable"))
    and (.severity | IN("low", "medium", "high", "critical"))
    and (.controls | length > 0) and all(.controls[]; test("^A\\.[5-8]\\.[0-9]+$"))
    and (.controls_2013 | type == "array")
    and (.message | length > 0)
    and (.evidence.collected_at == "2026-11-22T02:00:00Z")
    and (.evidence.observed | type == "object"))'
# Failures and errors carry remediation.
expect_jq "$out" 'all(.results[] | select(.status == "fail" or .status == "error"); .remediation | length > 0)'
# The 2013 numbers come from the crosswalk: A.8.24 <- A.10.1.1, A.10.1.2;
# A.8.1 <- A.6.2.1, A.11.2.8.
expect_jq "$out" '.results[] | select(.check == "disk.encryption.root") |
    .controls_2013 == ["A.6.2.1", "A.10.1.1", "A.10.1.2", "A.11.2.8"]'
# Evidence names where the facts were read.
expect_jq "$out" '.results[] | select(.check == "disk.encryption.root") |
    .evidence.sources | index("/proc/self/mountinfo") != null'
# The summary counts the results.
expect_jq "$out" '.summary.pass == ([.results[] | select(.status == "pass")] | length)
    and .summary.fail == ([.results[] | select(.status == "fail")] | length)
    and .summary.error == ([.results[] | select(.status == "error")] | length)
    and .summary.not_applicable == ([.results[] | select(.status == "not_applicable")] | length)'
# Under --root, nothing is read from the live host: no kernel, no clock.
expect_status "$out" time.synchronised not_applicable
expect_jq "$out" '.agent.os.kernel == null'
