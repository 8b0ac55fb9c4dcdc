#!/bin/sh
# Builds the libFuzzer target of the collector's report parser
# (tests/fuzz/fuzz_report.c; reportv_parse and reportv_ingest, checked
# against each other) with clang, ASan and UBSan, and runs it for
# SECONDS (default 20) on the committed corpus tests/fuzz/corpus/report.
# New inputs go to a temporary directory, never into the source tree.
# Exit 0: no finding; 77 (as automake's skip): no clang or no libFuzzer
# runtime, with a message; 1: a crash, leak, timeout or broken contract,
# whose input is kept and named.
#
#   usage: tests/fuzz/run.sh [SECONDS]
set -u
secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz/report skipped: $cc not found (apt-get install clang)"
	exit 77
fi
work=$(mktemp -d /tmp/fuzz_report.XXXXXX) || exit 1
keep=no
trap '[ "$keep" = yes ] || rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# libFuzzer's runtime is a separate package from the compiler.
printf '%s\n' 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)' \
    '{ return (0); }' > "$work/probe.c"
if ! "$cc" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
	echo "fuzz/report skipped: no libFuzzer runtime for $cc" \
	    "(apt-get install libclang-rt-dev)"
	exit 77
fi

if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -fno-omit-frame-pointer -D_GNU_SOURCE \
    -I"$top/collectord" -I"$top/common" \
    $(pkg-config --cflags jansson zlib libdeflate libcrypto) \
    "$top/tests/fuzz/fuzz_report.c" "$top/collectord/reportv.c" \
    "$top/common/xmalloc.c" "$top/common/log.c" "$top/common/util.c" \
    $(pkg-config --libs jansson zlib libdeflate libcrypto) -o "$work/fuzz_report" \
    2>"$work/build.log"; then
	cat "$work/build.log"
	echo "fuzz/report: the target does not build"
	exit 1
fi

mkdir "$work/new"
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1 \
"$work/fuzz_report" -max_total_time="$secs" -max_len=16384 -timeout=10 \
    -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 \
    -dict="$top/tests/fuzz/report.dict" -artifact_prefix="$work/" \
    "$work/new" "$top/tests/fuzz/corpus/report" >"$work/fuzz.log" 2>&1
rc=$?
runs=$(LC_ALL=C sed -n 's/^stat::number_of_executed_units: *//p' \
    "$work/fuzz.log")
cov=$(grep -ao 'cov: [0-9]*' "$work/fuzz.log" | tail -n 1)
echo "fuzz/report: ${runs:-?} runs in ${secs}s, ${cov:-cov: ?}," \
    "$(ls "$work/new" | wc -l) new inputs"
if [ "$rc" -ne 0 ]; then
	keep=yes
	grep -v '^#' "$work/fuzz.log" | tail -n 40
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
	    "$work"/oom-*; do
		[ -f "$f" ] && echo "fuzz/report: input kept in $f" \
		    "(replay: $work/fuzz_report $f)"
	done
	exit 1
fi
exit 0
