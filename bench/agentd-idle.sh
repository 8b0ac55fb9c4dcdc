#!/bin/sh
# Benchmark: isms-agentd at rest and at work, on this host.
#  - idle RSS of all its processes together (goal: <= 8 MB);
#  - wake-ups between scheduled runs: every system call of every process
#    over a quiet window, counted with strace (goal: zero);
#  - CPU of one scheduled run against one "ismsctl check" (goal: no more).
# usage: bench/agentd-idle.sh [BUILDDIR] [IDLE_SECONDS]
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

# CPU of one run: user+system ticks of the daemon's processes and of
# their reaped workers, before and after run-now.
ticks() {
	t=0
	for p in $all; do
		set -- $(cut -d' ' -f14-17 /proc/$p/stat)
		t=$((t + $1 + $2 + $3 + $4))
	done
	echo $t
}
hz=$(getconf CLK_TCK)
nruns=10
runs() { ctl status --format json | sed -n 's/.*"runs_stored": \([0-9]*\).*/\1/p'; }
t0=$(ticks)
n=0
while [ $n -lt $nruns ]; do
	before=$(runs)
	ctl run-now >/dev/null
	i=0
	until [ "$(runs)" -gt "$before" ]; do
		i=$((i + 1)); [ $i -lt 400 ] || exit 1
		sleep 0.2
	done
	n=$((n + 1))
done
t1=$(ticks)
# The status polls above cost the engine a little; they are counted.
run_ms=$(( (t1 - t0) * 1000 / hz / nruns ))
# The same work by hand: collect, evaluate and store the run.
total=0
n=0
while [ $n -lt $nruns ]; do
	ms=$( /usr/bin/time -f '%U %S' "$build/ismsctl" check --store \
	    "$tmp/check.db" --color never 2>&1 >/dev/null | tail -n 1 |
	    awk '{ printf "%d", ($1 + $2) * 1000 }')
	total=$((total + ms))
	n=$((n + 1))
done
check_ms=$((total / nruns))
echo "processes:              $(echo $all | wc -w) ($all)"
echo "idle PSS, all together: $((pss / 1024)).$(( (pss % 1024) * 10 / 1024 )) MB (goal <= 8 MB)"
echo "idle RSS, summed:       $((rss / 1024)).$(( (rss % 1024) * 10 / 1024 )) MB (shared libraries counted once per process)"
echo "system calls in ${idle}s idle: $calls, of which $attach are strace attaching (goal: no others)"
grep -v -e 'restart_syscall' -e 'epoll_wait(.*<\(unfinished\|detached\)' -e 'resumed>' -e '^$' "$tmp/strace" | head -n 5
echo "CPU per scheduled run: ${run_ms} ms; per ismsctl check (stored): ${check_ms} ms (mean of $nruns)"
