#!/bin/sh
# The whole test suite, as CI runs it (.ci/run calls this verbatim):
# install dependencies, then build twice -- once with strict warnings,
# once with AddressSanitizer and UndefinedBehaviorSanitizer -- and run
# "make check" in each, then "make distcheck" and a short fuzzing run.
# Every unit test program and every regress scenario is reported as PASS
# or FAIL; the last line is the total.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
sh tools/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; echo "0 passed, 1 failed"; exit 1; }

pass=0 fail=0
for variant in debug asan; do
	dir="$top/build-ci-$variant"
	rm -rf "$dir"
	mkdir -p "$dir"
	flags=--enable-debug
	[ "$variant" = asan ] && flags="--enable-debug --enable-asan"
	echo "== $variant build =="
	if ! (cd "$dir" && "$top/configure" -q $flags && make -j2 >make.out 2>&1); then
		tail -n 40 "$dir/make.out" 2>/dev/null
		echo "FAIL: $variant/build"
		fail=$((fail + 1))
		continue
	fi
	(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1 make -j2 check >check.out 2>&1)
	# Unit test programs: one result each.
	for trs in "$dir"/tests/unit/*.trs; do
		[ -f "$trs" ] || continue
		name=$(basename "$trs" .trs)
		if grep -q '^:test-result: PASS' "$trs"; then
			echo "PASS: $variant/unit/$name"
			pass=$((pass + 1))
		else
			echo "FAIL: $variant/unit/$name"
			tail -n 30 "$dir/tests/unit/$name.log" | sed 's/^/    /'
			fail=$((fail + 1))
		fi
	done
	# Regress scenarios: one result each, from tests/regress.log.
	log="$dir/tests/regress.log"
	if [ -f "$log" ]; then
		grep -E '^(PASS|FAIL): regress/' "$log" | sed "s|: |: $variant/|"
		grep -A40 '^FAIL: regress/' "$log" | grep '^    ' | head -n 80
		n=$(grep -c '^PASS: regress/' "$log")
		pass=$((pass + n))
		n=$(grep -c '^FAIL: regress/' "$log")
		fail=$((fail + n))
	else
		echo "FAIL: $variant/regress (did not run)"
		tail -n 40 "$dir/check.out"
		fail=$((fail + 1))
	fi
done
# The release tarball: made, unpacked, built and checked from a
# read-only source tree (make distcheck, about 3.5 minutes), so a file
# missing from the distribution or a test writing into the sources fails.
echo "== dist =="
dir="$top/build-ci-debug"
if [ -f "$dir/Makefile" ] && (cd "$dir" && make distcheck >distcheck.out 2>&1); then
	echo "PASS: dist/distcheck"
	pass=$((pass + 1))
else
	tail -n 40 "$dir/distcheck.out" 2>/dev/null | sed 's/^/    /'
	echo "FAIL: dist/distcheck"
	fail=$((fail + 1))
fi
# The report parser's libFuzzer target, briefly (about 20 s).
echo "== fuzz =="
out=$(sh "$top/tests/fuzz/run.sh" 20 2>&1)
rc=$?
echo "$out" | tail -n 50 | sed 's/^/    /'
if [ "$rc" -eq 0 ]; then
	echo "PASS: fuzz/report"
	pass=$((pass + 1))
elif [ "$rc" -eq 77 ]; then
	echo "SKIP: fuzz/report"
else
	echo "FAIL: fuzz/report"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
