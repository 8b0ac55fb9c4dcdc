#!/bin/sh
# apt lists last refreshed 21 days ago: metadata is stale (> 2d).  Git
# does not keep file times, so the fixture is copied and touched.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
copy_fixture patch-stale-metadata
touch -d 2026-11-01T02:00:00Z "$ROOT"/var/lib/apt/lists/* \
    "$ROOT/var/lib/apt/periodic/update-success-stamp"
out=$(run_check patch-stale-metadata)
expect_status "$out" patch.metadata_fresh fail
expect_jq "$out" '.results[] | select(.check == "patch.metadata_fresh") |
    .evidence.observed["patch.metadata.lists_age_s"] == 1814400'
# Within the threshold set in agent.yaml's terms: 30d passes.
cat > "$FIXTURES/agent.yaml" <<'YAML'
patch:
  max_metadata_age: 30d
YAML
out=$(run_check patch-stale-metadata --config "$FIXTURES/agent.yaml")
expect_status "$out" patch.metadata_fresh pass
