#!/bin/sh
# Benchmark: isms-collectord report ingest against nginx on this host.
# C simulated agents (bench/loadgen.c), each with its own enrolled client
# certificate, post realistic gzip reports (the canonical documents of
# "ismsctl check" on this host and on the fixture roots, each with a
# fresh report_id and a later generated_at) over TLS 1.3 keep-alive for
# SECONDS after a 2 s warm-up.  Then nginx, on the same listener
# certificate, client CA (ssl_verify_client on) and loadgen, answers 204
# to every POST.  Prints both rates and p99s, the ratio, the CPU both
# servers and loadgen used, and checks that the collector stored exactly
# as many reports as it answered 200.
# usage: bench/collectord-ingest.sh [BUILDDIR] [SECONDS] [CONNECTIONS]
# BUILDDIR: a release build (configure without --enable-debug).  Needs
# root (the collector drops to nobody), openssl, curl, jq, sqlite3, cc,
# pkg-config and the OpenSSL, jansson and zlib headers; installs nginx
# (nginx-light) when missing.  NGINX=0 skips nginx; PERF=FILE records
# the collector (perf record --call-graph dwarf) into FILE while loadgen
# runs.
#
# Measured on the 2-core Debian 12 VM (kernel 6.18, OpenSSL 3.0, SQLite
# 3.40, libevent 2.1), release build (-g -O2), 10 s after 2 s warm-up,
# 87 templates of 32.3 KB raw / 7.7 KB gzip on average (39 results each
# on this host), every 200 stored (reports rows = 200 answers):
#   agents  collector/s  p99 ms  CPU/report  nginx 204/s    p99 ms  ratio
#       16  4,774        8.2     0.29 ms
#       64  6,137..6,291 18.7-19 0.24 ms     62,821..73,086  4.8     0.086..0.098
#      256  6,683        58.4    0.24 ms
# (closed loop: at 256 agents the mean wait is 256 / rate = 38 ms).
# nginx's rate moves a lot between runs here (36,000 to 73,000/s).
# How it got there, 64 agents: 238-340/s (p99 235-452 ms, 2.0-2.6 ms CPU
# per report on one event loop: jansson parse 33%, sorted re-serialising
# for the hash 22%, X509_verify per request 7%, no TCP_NODELAY) ->
# TCP_NODELAY 470 -> certificate once per connection 479 -> group commit
# 506 -> reportv_ingest, own parser hashing canonical bodies as received
# 630 -> parsing on worker threads 3,720 -> libdeflate for one gzip member
# 4,299 -> unchanged verdict lists skip the per-check look-ups 5,051 ->
# eight-byte string scan 5,200-5,470 -> synchronous FULL (the loop waits
# on each batch's fsync, batches grow) 6,060-6,300.  Perf at 5,300/s:
# per worker thread the parser ~14%, libdeflate ~9%, SHA-256 of the body
# ~5%, malloc/memcpy ~5%; the event loop TLS + kernel ~13%, SQLite ~5%;
# loadgen 16% of a core; nginx 204 needs loadgen's whole core.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
secs=${2:-10}
conns=${3:-64}
warm=2
if ! [ -x "$build/isms-collectord" ] || ! [ -x "$build/ismsctl" ]; then
	echo "build first: no $build/isms-collectord or ismsctl" >&2
	exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
for t in openssl curl jq sqlite3 cc pkg-config; do
	command -v "$t" >/dev/null || { echo "$t is needed" >&2; exit 2; }
done
if [ "${NGINX:-1}" != 0 ] && ! command -v nginx >/dev/null; then
	apt-get install -y -qq nginx-light >/dev/null 2>&1 ||
	    apt-get install -y -qq nginx >/dev/null
fi

tmp=$(mktemp -d /tmp/collectord-ingest.XXXXXX)
chmod 711 "$tmp"		# nobody reaches its state below
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# freeport: a random free TCP port on 127.0.0.1.
freeport() {
	while :; do
		_p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		[ -n "$(ss -Htln "sport = :$_p" 2>/dev/null)" ] || break
	done
	echo "$_p"
}

# cpu PID: user + system clock ticks of PID so far.
cpu() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# shellcheck disable=SC2046
cc -O2 -o "$tmp/loadgen" "$top/bench/loadgen.c" \
    $(pkg-config --cflags --libs openssl jansson zlib)

# Templates: the canonical documents the agents upload.
mkdir "$tmp/tmpl"
i=0
for root in / "$top"/tests/fixtures/*/root; do
	if [ "$root" = / ]; then
		"$build/ismsctl" check --format json --no-store \
		    >"$tmp/t.json" 2>/dev/null || true
	else
		"$build/ismsctl" check --root "$root" --format json \
		    --no-store >"$tmp/t.json" 2>/dev/null || true
	fi
	jq -cS 'select(.results | length > 0)' "$tmp/t.json" \
	    >"$tmp/tmpl/$i.json" 2>/dev/null && [ -s "$tmp/tmpl/$i.json" ] &&
	    i=$((i + 1))
done
rm -f "$tmp/tmpl/$i.json" "$tmp/t.json"
ntmpl=$i
[ "$ntmpl" -gt 0 ] || { echo "no report templates" >&2; exit 1; }
raw=0
gz=0
for f in "$tmp"/tmpl/*.json; do
	raw=$((raw + $(wc -c <"$f")))
	gz=$((gz + $(gzip -6 -c "$f" | wc -c)))
done
echo "templates: $ntmpl reports, $((raw / ntmpl)) bytes raw, $((gz / ntmpl)) gzip on average"

# The collector.
state=$tmp/state
port=$(freeport)
cat >"$tmp/c.yaml" <<EOF
listen: "127.0.0.1:$port"
state_dir: $state
user: nobody
limits:
  max_connections: $((conns + 64))
EOF
"$build/isms-collectord" -d -f "$tmp/c.yaml" >"$tmp/c.log" 2>&1 &
cpid=$!
pids="$cpid"
n=0
until grep -q ready "$tmp/c.log"; do
	n=$((n + 1))
	if [ "$n" -gt 100 ] || ! kill -0 "$cpid" 2>/dev/null; then
		echo "isms-collectord did not start:" >&2
		cat "$tmp/c.log" >&2
		exit 1
	fi
	sleep 0.1
done
token=$("$build/isms-collectord" -f "$tmp/c.yaml" token create \
    --uses "$conns" 2>/dev/null)

# Enrolment of the agents, as ismsctl enroll does it: a local P-256 key,
# a CSR and the token in the body.
mkdir "$tmp/certs"
i=0
while [ "$i" -lt "$conns" ]; do
	a=$tmp/certs/agent-$i
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$a.id"
	openssl ecparam -name prime256v1 -genkey -noout -out "$a.key"
	openssl req -new -key "$a.key" -subj "/CN=bench-$i" -out "$a.csr"
	jq -n --arg t "$token" --rawfile c "$a.csr" --rawfile h "$a.id" \
	    --arg n "bench-agent-$i" \
	    '{token: $t, csr: $c, host_id: $h, hostname: $n}' >"$a.json"
	code=$(curl -sS -o "$a.resp" -w '%{http_code}' \
	    --cacert "$state/ca.pem" -H 'Content-Type: application/json' \
	    --data-binary @"$a.json" "https://127.0.0.1:$port/api/v1/enroll")
	[ "$code" = 200 ] ||
	    { echo "enrol $i: $code $(cat "$a.resp")" >&2; exit 1; }
	jq -r .certificate "$a.resp" >"$a.pem"
	i=$((i + 1))
done
echo "enrolled $conns agents"

ppid=
if [ -n "${PERF:-}" ]; then
	perf record -q -F 499 --call-graph dwarf,16384 -o "$PERF" -p "$cpid" 2>"$tmp/perf.err" &
	ppid=$!
	pids="$pids $ppid"
fi
c0=$(cpu "$cpid")
t0=$(date +%s.%N)
rc=0
"$tmp/loadgen" -a "127.0.0.1:$port" -C "$state/ca.pem" -k "$tmp/certs" \
    -c "$conns" -d "$secs" -w "$warm" "$tmp"/tmpl/*.json \
    >"$tmp/lg-c.out" || rc=$?
t1=$(date +%s.%N)
c1=$(cpu "$cpid")
if [ -n "$ppid" ]; then
	kill -INT "$ppid"
	wait "$ppid" || true
	pids=$cpid
fi
cat "$tmp/lg-c.out"
[ "$rc" -eq 0 ] || echo "loadgen: errors against the collector (exit $rc)"
res_c=$(grep '^RESULT' "$tmp/lg-c.out")
kill -TERM "$cpid"
wait "$cpid" || { echo "isms-collectord exited $?:" >&2; tail -5 "$tmp/c.log" >&2; exit 1; }
pids=

# field NAME LINE: the value of NAME= in a RESULT line.
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
ok=$(field ok_total "$res_c")
stored=$(sqlite3 "$state/store/collector.db" 'SELECT count(*) FROM reports')
tick=$(getconf CLK_TCK)
ccpu=$(echo "$c0 $c1 $tick $t0 $t1 $ok" | awk '{ s = ($2 - $1) / $3;
    printf "%.2f s CPU over %.1f s wall, %.3f ms CPU per report", s,
    $5 - $4, $6 ? s * 1000 / $6 : 0 }')
echo "collector: $ccpu"
if [ "$stored" -ne "$ok" ]; then
	echo "FAIL: the collector answered 200 to $ok reports but stored $stored" >&2
	exit 1
fi
echo "collector: stored $stored reports = the $ok answered 200"

if [ "${NGINX:-1}" = 0 ]; then
	echo "collector: $(field rate "$res_c") reports/s, p99 $(field p99_ms "$res_c") ms"
	exit "$rc"
fi

# nginx on the collector's own listener certificate and client CA.
nport=$(freeport)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	keepalive_requests 100000000;
	keepalive_timeout 60s;
	client_max_body_size 1m;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_protocols TLSv1.3;
		ssl_certificate $state/server.pem;
		ssl_certificate_key $state/server.key;
		ssl_client_certificate $state/ca.pem;
		ssl_verify_client on;
		location / { return 204; }
	}
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx/stderr" &
npid=$!
pids=$npid
n=0
until [ -n "$(ss -Htln "sport = :$nport" 2>/dev/null)" ]; do
	n=$((n + 1))
	if [ "$n" -gt 100 ] || ! kill -0 "$npid" 2>/dev/null; then
		echo "nginx did not start:" >&2
		cat "$tmp/nginx/stderr" "$tmp/nginx/logs/error.log" >&2
		exit 1
	fi
	sleep 0.1
done
nrc=0
"$tmp/loadgen" -a "127.0.0.1:$nport" -C "$state/ca.pem" -k "$tmp/certs" \
    -c "$conns" -d "$secs" -w "$warm" "$tmp"/tmpl/*.json \
    >"$tmp/lg-n.out" || nrc=$?
sed 's/^/nginx /' "$tmp/lg-n.out"
[ "$nrc" -eq 0 ] || echo "loadgen: errors against nginx (exit $nrc)"
res_n=$(grep '^RESULT' "$tmp/lg-n.out")

echo
printf 'collector: %8s reports/s  p99 %6s ms  (loadgen CPU %s s)\n' \
    "$(field rate "$res_c")" "$(field p99_ms "$res_c")" \
    "$(field cpu_s "$res_c")"
printf 'nginx 204: %8s requests/s p99 %6s ms  (loadgen CPU %s s)\n' \
    "$(field rate "$res_n")" "$(field p99_ms "$res_n")" \
    "$(field cpu_s "$res_n")"
echo "$(field rate "$res_c") $(field rate "$res_n")" |
    awk '{ printf "ratio collector/nginx: %.3f\n", $2 ? $1 / $2 : 0 }'
[ "$rc" -eq 0 ] && [ "$nrc" -eq 0 ]
