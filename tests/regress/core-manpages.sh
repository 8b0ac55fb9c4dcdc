#!/bin/sh
# The manual pages are valid mdoc (mandoc -Tlint) and document every
# ismsctl option that --help lists.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
command -v mandoc >/dev/null || fail "mandoc not installed (tools/deps.sh)"
for m in "$top_srcdir"/doc/*.[1-8]; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1) || true
	[ -z "$out" ] || fail "$out"
done
plain=$(sed 's/\\//g' "$top_srcdir/doc/ismsctl.8")
for opt in $("$ISMSCTL" --help | grep -o -- '--[a-z-]*' | sort -u); do
	printf '%s\n' "$plain" | grep -q -- "Fl ${opt#-}" ||
	    fail "ismsctl.8 does not document $opt"
done
exit 0
