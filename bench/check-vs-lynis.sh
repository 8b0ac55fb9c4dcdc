#!/bin/sh
# Benchmark: a full "ismsctl check" of this host against
# "lynis audit system --quick" on the same host, in one run, alternating
# the two so that both see the same machine state.  Prints the median
# wall time of each, the ratio, and both peak RSS figures.
#
# usage: bench/check-vs-lynis.sh [ISMSCTL] [ROUNDS]
#   ISMSCTL  the binary (default: build/ismsctl)
#   ROUNDS   lynis runs (default 3); ismsctl runs 5 times per round
# Needs root (both tools read root-only files) and the packages lynis
# and time (installed here when missing).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ismsctl=${1:-$top/build/ismsctl}
rounds=${2:-3}
per_round=5
[ -x "$ismsctl" ] || { echo "no ismsctl at $ismsctl: build first" >&2; exit 2; }
for p in lynis time; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command once; appends "microseconds maxrss_kb" to a file.  A
# run that did not work (ismsctl exits 0 or 1 after a real check) stops
# the benchmark rather than counting as a fast one.
measure() {
	out=$1
	shift
	t0=$(date +%s%N)
	rc=0
	/usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" ||
	    rc=$?
	t1=$(date +%s%N)
	if [ "$out" = "$tmp/isms" ] && [ "$rc" -gt 1 ]; then
		echo "ismsctl check failed (exit $rc): $(tail -n 3 "$tmp/err")" >&2
		exit 1
	fi
	# GNU time writes "Command exited with non-zero status" first.
	echo "$(( (t1 - t0) / 1000 )) $(tail -n 1 "$tmp/rss")" >> "$out"
}

# The store is written, as a real run does; a fresh file each time.
i=0
while [ "$i" -lt "$rounds" ]; do
	j=0
	while [ "$j" -lt "$per_round" ]; do
		rm -f "$tmp/store.db"*
		measure "$tmp/isms" "$ismsctl" check --store "$tmp/store.db" \
		    --color never
		j=$((j + 1))
	done
	measure "$tmp/lynis" lynis audit system --quick --no-colors
	i=$((i + 1))
done

median() {
	sort -n | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
mi=$(cut -d' ' -f1 "$tmp/isms" | median)
ml=$(cut -d' ' -f1 "$tmp/lynis" | median)
ri=$(cut -d' ' -f2 "$tmp/isms" | sort -n | tail -n 1)
rl=$(cut -d' ' -f2 "$tmp/lynis" | sort -n | tail -n 1)
awk -v mi="$mi" -v ml="$ml" -v ri="$ri" -v rl="$rl" \
    -v ni="$(wc -l < "$tmp/isms")" -v nl="$(wc -l < "$tmp/lynis")" 'BEGIN {
	printf "ismsctl check:              median %9.1f ms over %d runs, peak RSS %6.1f MB\n", mi / 1000, ni, ri / 1024
	printf "lynis audit system --quick: median %9.1f ms over %d runs, peak RSS %6.1f MB\n", ml / 1000, nl, rl / 1024
	printf "ratio (lynis / ismsctl):    %.0fx faster, %.1fx less memory\n", ml / mi, rl / ri
}'
