#!/bin/sh
# Runs every regress scenario (tests/regress/*.sh) and reports each one.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
pass=0 fail=0
for t in "$top_srcdir"/tests/regress/*.sh; do
	[ -f "$t" ] || continue
	case "$(basename "$t")" in lib*.sh) continue ;; esac
	name=$(basename "$t" .sh)
	if out=$(sh "$t" 2>&1); then
		echo "PASS: regress/$name"
		pass=$((pass + 1))
	else
		echo "FAIL: regress/$name"
		printf '%s\n' "$out" | sed 's/^/    /' | tail -n 40
		fail=$((fail + 1))
	fi
done
echo "regress: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
