# Shared helpers for regress scenarios (sourced, not run).
#   run_check CASE [args...]   ismsctl check on tests/fixtures/CASE/root, JSON
#   expect_status JSON CHECK STATUS
#   expect_jq JSON EXPR         jq -e EXPR must hold
#   copy_fixture CASE          run_check CASE reads a temporary copy, ROOT
#   ago HOURS FILE...          mtimes under ROOT, HOURS before NOW
: "${top_srcdir:?top_srcdir not set}"
: "${top_builddir:=$top_srcdir}"
ISMSCTL="$top_builddir/ismsctl"
NOW=${NOW:-2026-11-22T02:00:00Z}
FIXTURES="$top_srcdir/tests/fixtures"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Runs ismsctl check on a fixture; exit status 0 or 1 are both results.
run_check() {
	_case=$1
	shift
	_rc=0
	"$ISMSCTL" check --root "$FIXTURES/$_case/root" --now "$NOW" \
	    --format json --no-store "$@" || _rc=$?
	[ "$_rc" -le 1 ] || fail "ismsctl check on $_case exited $_rc"
}

expect_status() {
	_got=$(printf '%s\n' "$1" | jq -r --arg c "$2" \
	    '.results[] | select(.check == $c) | .status')
	[ -n "$_got" ] || fail "check $2 missing from the report"
	[ "$_got" = "$3" ] || fail "check $2: status $_got, expected $3 ($(printf '%s\n' "$1" | jq -c --arg c "$2" '.results[] | select(.check == $c) | .message'))"
}

expect_jq() {
	printf '%s\n' "$1" | jq -e "$2" >/dev/null || fail "jq: $2"
}

# Copies fixture CASE to a temporary directory (removed on exit) and
# points FIXTURES there, so that run_check CASE reads the copy; sets ROOT
# to the copy's root.  For file times, which git does not keep, and for
# scenarios that change a file of the fixture.
copy_fixture() {
	if [ -z "${_copies:-}" ]; then
		_copies=$(mktemp -d)
		trap 'rm -rf "$_copies"' EXIT
	fi
	rm -rf "${_copies:?}/$1"
	cp -a "$top_srcdir/tests/fixtures/$1" "$_copies/"
	FIXTURES=$_copies
	ROOT=$_copies/$1/root
}

# Sets the modification times of files under ROOT to HOURS before NOW.
ago() {		# hours file...
	_h=$1
	shift
	for _f; do touch -h -d "$NOW - $_h hours" "$ROOT/$_f"; done
}
