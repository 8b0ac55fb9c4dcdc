#!/bin/sh
# isms-agentd's control socket: mode 0660; binary junk, an over-long
# line, an unknown command and a partial line get an error or are
# dropped, idle clients are dropped after a timeout and do not block
# anyone else; through all of it the daemon stays up and answers.
set -eu
. "$top_srcdir/tests/regress/lib.sh"
. "$top_srcdir/tests/regress/lib-daemon.sh"
. "$top_srcdir/tests/regress/lib-agentd.sh"
agentd_need_root

# Sends stdin to the control socket as it is, then prints what comes
# back until the daemon closes (perl-base: no extra tools).  With
# "hold", prints instead the seconds until the daemon closed; with
# "shut", closes the sending side after stdin.
ctl() {
	perl -MIO::Socket::UNIX -MSocket -e '
		$SIG{PIPE} = "IGNORE";
		alarm 20;
		my $mode = $ARGV[1] // "";
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0],
		    Type => SOCK_STREAM) or die "connect: $!\n";
		my $t0 = time;
		binmode STDIN;
		my $d = do { local $/; <STDIN> } // "";
		syswrite($s, $d) if length $d;
		shutdown($s, 1) if $mode eq "shut";
		my ($r, $buf) = ("", "");
		while (sysread($s, $buf, 65536)) { $r .= $buf; }
		print($mode eq "hold" ? (time - $t0) . "\n" : $r);
	' "$AGENTD_SOCK" "$@"
}

# The reply to stdin must be one JSON line satisfying a jq expression.
expect_reply() {	# what jq
	_r=$(ctl) || fail "$1: client failed"
	[ "$(printf '%s\n' "$_r" | wc -l)" -eq 1 ] ||
	    fail "$1: not one line: $_r"
	printf '%s\n' "$_r" | jq -e "$2" >/dev/null ||
	    fail "$1: reply $_r"
	agentd_expect ".pid == $engine"
}

agentd_fixture session-tmout
{
	agentd_base_conf
	printf 'alerts:\n  syslog: false\n  summary_at: never\n'
} >"$AGENTD_CONF"
agentd_start
engine=$(agentd_status | jq .pid)
[ "$(stat -c %a "$AGENTD_SOCK")" = 660 ] ||
    fail "control socket mode $(stat -c %a "$AGENTD_SOCK"), expected 660"
[ -S "$AGENTD_SOCK" ] || fail "control socket is not a socket"

# Idle clients, many of them, held open while the rest goes on.
i=0
while [ $i -lt 20 ]; do
	ctl hold </dev/null >"$DAEMON_TMP/idle.$i" &
	track_pid $!
	i=$((i + 1))
done
sleep 0.2
agentd_expect ".pid == $engine and .last_run != null"

printf 'status\n' | expect_reply "a good request" \
    ".pid == $engine and .version != null"
printf '\000\001\002\377\376\n' | expect_reply "binary junk" \
    '.error == "malformed request"'
printf 'st\033[2Jatus\n' | expect_reply "escape sequence" \
    '.error == "malformed request"'
printf 'reboot\n' | expect_reply "unknown command" \
    '.error == "unknown command"'
printf 'status \n' | expect_reply "trailing space" \
    '.error == "unknown command"'
head -c 300 /dev/zero | tr '\0' 'a' | sed 's/$/\n/' |
    expect_reply "a 300-byte line" '.error == "malformed request"'
head -c 100000 /dev/zero | tr '\0' 'x' |
    expect_reply "100 kB without a newline" '.error == "request too long"'
printf 'status\nrun-now\n' | expect_reply "two requests" \
    ".pid == $engine"		# one answer, the second line ignored
agentd_expect ".runs_stored == 1"
[ -z "$(printf '' | ctl shut)" ] || fail "nothing, then EOF: answered"
[ -z "$(printf 'status' | ctl shut)" ] ||
    fail "a line without its newline, then EOF: answered"
agentd_expect ".pid == $engine"
"$top_builddir/ismsctl" status --socket "$AGENTD_SOCK" >/dev/null ||
    fail "ismsctl status (text) failed"

# A partial line, then silence: dropped like the idle ones.
printf 'stat' | ctl hold >/dev/null &
track_pid $!

# The idle clients are dropped by the daemon, not kept forever.
for f in "$DAEMON_TMP"/idle.*; do
	wait_for_lines "$f" 1 15 || fail "idle client not dropped"
	[ "$(cat "$f")" -le 10 ] || fail "idle client kept $(cat "$f") s"
done
agentd_run
agentd_expect ".pid == $engine and .runs_stored == 2"
kill -0 "$AGENTD_PID" || fail "isms-agentd died"
agentd_stop
