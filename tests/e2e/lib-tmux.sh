# tests/e2e/lib-tmux.sh: sourced after lib.sh by the tests that drive the
# terminal UI for real in tmux (a private server per script, on its own
# socket, killed at exit). Skips the rest of the script (one "ok") when
# tmux is not installed. Provides:
#   TM ARGS...             tmux on this script's server
#   $T/ui ARGS...          a pane command: certdeck ARGS, then "EXITED rc",
#                          then the pane stays open
#   screen S, screen_e S   the pane's text (-e: with colours), also left in
#                          $T/screen and $T/screen_e
#   keys S KEY...          send keys
#   wait_text S TEXT       until the screen shows TEXT (bounded, ~5 s)
#   wait_cmd S CMD...      until CMD, reading the screen, succeeds (~5 s)
#   expect S DESC TEXT     ok/not ok for wait_text (the screen on failure)
#   expect_cmd S DESC CMD...
#   show_fail DESC S       a failure with the screen, as TAP comments
#   fmtv S FORMAT          a tmux format of the pane (#{alternate_on}...)
#   ui_pid S               the certdeck process of the pane ($T/ui's child)
#   ui_start S DIR [WxH [VAR=VALUE...]]
#                          a session S running certdeck -C DIR (TERM=screen,
#                          LC_ALL=$LOC or C.UTF-8, and the VARs), 120x30 by
#                          default
#   cursor_on NAME         the list on stdin has its cursor on entry NAME
#   rows                   the list's entry rows of the screen on stdin
# Every wait polls the screen, bounded in count and time.
if ! command -v tmux >/dev/null 2>&1; then
	ok "skipped: tmux is not installed"
	exit 0
fi
SOCK=certdeck-$(basename "$0" .sh)-$$
TM() { tmux -u -L "$SOCK" -f /dev/null "$@"; }
stop_tmux() { TM kill-server >/dev/null 2>&1 || true; }
at_exit stop_tmux

# The pane runs certdeck, then says how it ended and stays open.
cat >"$T/ui" <<EOS
#!/bin/sh
"$CERTDECK" "\$@"
echo "EXITED \$?"
exec sleep 600
EOS
chmod +x "$T/ui"

# A session that lives as long as the test, so the server does not exit
# (and race the next start) when a case's session is killed.
TM new-session -d -s keep -x 80 -y 24 sleep 900

# The screen goes through a file, so a reader that quits early (grep -q)
# never cuts a tmux client off.
screen() {
	TM capture-pane -p -t "$1" >"$T/screen" 2>/dev/null
	cat "$T/screen"
}
screen_e() {
	TM capture-pane -p -e -t "$1" >"$T/screen_e" 2>/dev/null
	cat "$T/screen_e"
}
keys() { _s=$1; shift; TM send-keys -t "$_s" "$@"; }
# wait_cmd SESSION COMMAND...: until COMMAND (reading the screen on
# stdin) succeeds (at most ~5 s).
wait_cmd() {
	_s=$1; shift
	_n=0 _t0=$(date +%s)
	while [ $_n -lt 50 ] && [ $(($(date +%s) - _t0)) -le 6 ]; do
		screen "$_s" | "$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
# wait_text SESSION TEXT: until the screen shows TEXT (at most ~5 s).
wait_text() { wait_cmd "$1" grep -qF -- "$2"; }
show_fail() { not_ok "$1"; screen "$2" | fmt; }
# expect SESSION DESC TEXT: the screen shows TEXT soon.
expect() {
	if wait_text "$1" "$3"; then ok "$2"; else show_fail "$2" "$1"; fi
}
expect_cmd() {
	_s=$1 _d=$2; shift 2
	if wait_cmd "$_s" "$@"; then ok "$_d"; else show_fail "$_d" "$_s"; fi
}
fmtv() { TM display-message -p -t "$1" "$2"; }
ui_pid() { ps -o pid= --ppid "$(fmtv "$1" '#{pane_pid}')" | tr -d ' ' | head -1; }
ui_start() {
	_s=$1 _d=$2 _g=${3:-120x30}
	shift 2
	[ $# -gt 0 ] && shift
	TM new-session -d -s "$_s" -x "${_g%x*}" -y "${_g#*x}" env TERM=screen \
	    LC_ALL=${LOC:-C.UTF-8} HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" \
	    "$@" "$T/ui" -C "$_d"
}
# The line holding the cursor marker, and whether it names an entry.
cursor_on() { grep '^>' | grep -qF -- " $1 "; }
# Entry rows only (below the header and the column titles, above the
# status bar).
rows() { sed -n '3,$p' | sed '$d'; }
