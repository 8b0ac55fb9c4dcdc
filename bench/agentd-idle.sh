#!/bin/sh
# Benchmark: isms-agentd at rest and at work, on this host.
#  - idle RSS of all its processes together (goal: <= 8 MB);
#  - wake-ups between scheduled runs: every system call of every process
#    over a quiet window, counted with strace (goal: zero);
#  - CPU of one scheduled run against one stored "ismsctl check" (goal: no
#    more), as perf task-clock.  The daemon's runs after its first reuse
#    the pending updates while the dpkg status and apt lists are the same
#    files (the collectors' memo, isms-agentd(8)); a run after the lists
#    changed costs what a check costs (ratio 0.92-1.01 measured before
#    the memo, when every run read everything).
# Measured (release build, this 2-core machine, helpers compiling):
#    RSS summed 7.3-7.4 MB after start, 7.6 MB after 10 runs; PSS 3.9 MB;
#    0 idle system calls; CPU per run 18.1 ms vs 67.5 ms per check (0.27).
# usage: bench/agentd-idle.sh [BUILDDIR] [IDLE_SECONDS] [ROUNDS]
# Needs root (the daemon chroots) and strace.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
idle=${2:-30}
[ -x "$build/isms-agentd" ] || { echo "build first: no $build/isms-agentd" >&2; exit 2; }
command -v strace >/dev/null || apt-get install -y -qq strace >/dev/null
tmp=$(mktemp -d)
pids=
cleanup() {
	[ -n "$pids" ] && kill $pids 2>/dev/null || true
	sleep 0.5
	rm -rf "$tmp"
}
trap cleanup EXIT
cat > "$tmp/agent.yaml" <<CONF
daemon:
  user: nobody
  control_socket: $tmp/control
schedule:
  interval: 1h
  jitter: 0s
store:
  path: $tmp/state/store.db
alerts:
  syslog: false
  summary_at: never
CONF
"$build/isms-agentd" -d -f "$tmp/agent.yaml" 2>"$tmp/log" &
parent=$!
pids=$parent
ctl() { "$build/ismsctl" "$@" --socket "$tmp/control"; }
# Wait for the first run to be stored.
i=0
until ctl status --format json 2>/dev/null | grep -q '"last_run": {'; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/log"; exit 1; }
	sleep 0.2
done
all=$(ps -o pid= --ppid "$parent" | tr -d ' ' | tr '\n' ' ')
all="$parent $all"
# RSS counts the shared libraries once per process; PSS divides shared
# pages among the processes that map them, so its sum is what the daemon
# really holds.
rss=0 pss=0
for p in $all; do
	r=$(awk '/^Rss:/ { print $2 }' /proc/$p/smaps_rollup)
	q=$(awk '/^Pss:/ { print $2 }' /proc/$p/smaps_rollup)
	rss=$((rss + r))
	pss=$((pss + q))
	echo "  pid $p: PSS $q kB, RSS $r kB ($(tr '\0' ' ' < /proc/$p/cmdline | cut -c1-40))"
done
# Every system call of every process while nothing is scheduled.
opts=
for p in $all; do opts="$opts -p $p"; done
timeout "$idle" strace -f -qq -o "$tmp/strace" $opts 2>/dev/null || true
calls=$(grep -cv -e '^$' -e 'resumed>' -e '+++' -e '---' "$tmp/strace" || true)
# strace's own attach shows as the interrupted wait of each process.
attach=$(grep -c -e 'restart_syscall' -e 'epoll_wait(.*<\(unfinished\|detached\)' "$tmp/strace" || true)

# CPU of a scheduled run: the task-clock of every process of the daemon
# (parent, engine, collection workers) over a lifetime with N run-now
# runs, minus that of a lifetime with none, divided by N; against the
# task-clock of N stored "ismsctl check" runs.  perf counts to the
# microsecond, where /proc tick counts are 10 ms coarse.
command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
nruns=10
rounds=${3:-5}
lifetime() {	# lifetime N: prints the daemon's task-clock in ms
	rm -rf "$tmp/cpu"
	mkdir -p "$tmp/cpu"
	sed "s|$tmp/control|$tmp/cpu/control|; s|$tmp/state|$tmp/cpu/state|" \
	    "$tmp/agent.yaml" >"$tmp/cpu/agent.yaml"
	perf stat -e task-clock -x, -o "$tmp/cpu/perf" \
	    "$build/isms-agentd" -d -f "$tmp/cpu/agent.yaml" 2>/dev/null &
	perfpid=$!
	i=0
	until "$build/ismsctl" status --format json --socket "$tmp/cpu/control" \
	    2>/dev/null | grep -q '"last_run": {'; do
		i=$((i + 1)); [ $i -lt 100 ] || exit 1
		sleep 0.2
	done
	n=0
	while [ $n -lt "$1" ]; do
		before=$("$build/ismsctl" status --format json --socket \
		    "$tmp/cpu/control" | sed -n 's/.*"runs_stored": \([0-9]*\).*/\1/p')
		"$build/ismsctl" run-now --socket "$tmp/cpu/control" >/dev/null
		until [ "$("$build/ismsctl" status --format json --socket \
		    "$tmp/cpu/control" | sed -n 's/.*"runs_stored": \([0-9]*\).*/\1/p')" \
		    -gt "$before" ]; do
			sleep 0.2
		done
		n=$((n + 1))
	done
	if [ "$1" -gt 0 ]; then	# memory at rest after the runs
		sleep 1
		d=$(pgrep -f "^$build/isms-agentd -d -f $tmp/cpu/agent.yaml")
		r=0
		for p in $d $(pgrep -P "$d"); do
			r=$((r + $(awk '/^Rss:/ { print $2 }' /proc/$p/smaps_rollup)))
		done
		echo "$r" >"$tmp/rss-after"
	fi
	pkill -TERM -f "^$build/isms-agentd -d -f $tmp/cpu/agent.yaml" || true
	wait $perfpid 2>/dev/null || true
	grep -E '^[0-9.]+,' "$tmp/cpu/perf" | head -n 1 | cut -d, -f1
}
checks() {	# checks N: prints the mean task-clock of N stored checks in ms
	total=0
	n=0
	while [ $n -lt "$1" ]; do
		perf stat -e task-clock -x, -o "$tmp/cpu/check" "$build/ismsctl" \
		    check --store "$tmp/check.db" --color never >/dev/null 2>&1 || true
		total=$(awk -v t="$total" -v v="$(grep -E '^[0-9.]+,' \
		    "$tmp/cpu/check" | cut -d, -f1)" 'BEGIN { print t + v }')
		n=$((n + 1))
	done
	awk -v t="$total" -v n="$1" 'BEGIN { printf "%.1f", t / n }'
}
# Rounds alternate daemon and ismsctl so that a change in the machine's
# load moves both; the medians of the rounds are compared.
round=1
: >"$tmp/rounds"
while [ $round -le "$rounds" ]; do
	base=$(lifetime 0)
	busy=$(lifetime $nruns)
	run_ms=$(awk -v a="$base" -v b="$busy" -v n=$nruns \
	    'BEGIN { printf "%.1f", (b - a) / n }')
	check_ms=$(checks $nruns)
	echo "$run_ms $check_ms $(cat "$tmp/rss-after")" >>"$tmp/rounds"
	echo "round $round: CPU per scheduled run ${run_ms} ms, per ismsctl check ${check_ms} ms; RSS after $nruns runs $(cat "$tmp/rss-after") kB"
	round=$((round + 1))
done
median() {	# median of column $1 of the rounds
	cut -d' ' -f"$1" "$tmp/rounds" | sort -n | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2];
	    else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
run_ms=$(median 1)
check_ms=$(median 2)
rss_after=$(median 3)
echo "processes:              $(echo $all | wc -w) ($all)"
echo "idle PSS, all together: $((pss / 1024)).$(( (pss % 1024) * 10 / 1024 )) MB (goal <= 8 MB)"
echo "idle RSS, summed:       $((rss / 1024)).$(( (rss % 1024) * 10 / 1024 )) MB (shared libraries counted once per process)"
echo "system calls in ${idle}s idle: $calls, of which $attach are strace attaching (goal: no others)"
grep -v -e 'restart_syscall' -e 'epoll_wait(.*<\(unfinished\|detached\)' -e 'resumed>' -e '^$' "$tmp/strace" | head -n 5
echo "idle RSS after $nruns runs, summed: $((rss_after / 1024)).$(( (rss_after % 1024) * 10 / 1024 )) MB (median of $rounds rounds)"
echo "CPU per scheduled run: ${run_ms} ms; per ismsctl check (stored): ${check_ms} ms (task-clock; medians of $rounds rounds of $nruns)"
awk -v a="$run_ms" -v b="$check_ms" 'BEGIN { printf "ratio run/check: %.2f (goal <= 1)\n", a / b }'
