# tests/e2e/lib-sync.sh: sourced after lib.sh by the sync tests. Provides:
#   cd_ DIR ARGS...        certdeck -C DIR ARGS
#   head_of DIR            DIR's HEAD
#   consistent DIR         git status clean, git fsck and certdeck fsck pass
#   bounded ARGS...        certdeck ARGS with no terminal, killed after 60 s
#                          (a hang fails, exit 124); output in $T/out, and
#                          appended to $T/all-output
#   refused RC DESC TEXT DIR
#                          the last bounded command exited RC: checks it
#                          failed (2) in one line saying TEXT, DIR's HEAD
#                          is still $kept, the remote's (the caller's
#                          `central`) still $was, DIR consistent
cd_() { d=$1; shift; "$CERTDECK" -C "$d" "$@"; }
head_of() { git -C "$1" rev-parse HEAD; }
consistent() {
	[ -z "$(git -C "$1" status --porcelain)" ] &&
	git -C "$1" fsck --strict >/dev/null 2>&1 &&
	"$CERTDECK" -C "$1" fsck >/dev/null 2>&1
}
bounded() {
	timeout 60 "$CERTDECK" "$@" </dev/null >"$T/out" 2>&1
	_rc=$?
	cat "$T/out" >>"$T/all-output"
	return $_rc
}
refused() {
	_rc=$1 _what=$2 _e=$3 _dir=$4
	check "$_what: exit 2, no hang" test "$_rc" = 2
	check_out "$_what: says why" "$_e" cat "$T/out"
	check "$_what: one line" test "$(wc -l <"$T/out")" = 1
	check "$_what: the local commit is kept" test "$(head_of "$_dir")" = "$kept"
	check "$_what: the remote is unchanged" test "$(central)" = "$was"
	check "$_what: the inventory is consistent" consistent "$_dir"
}
