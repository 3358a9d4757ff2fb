# tests/e2e/lib-tmux.sh: driving the terminal UI in tmux, for the scripts
# that source it after lib.sh. A private tmux server (stopped at exit),
# certdeck in a pane that stays open when it ends, and bounded waits that
# poll the screen (at most ~5 s each).
# Provides: TM, ui_start SESSION DIR [COLSxLINES], screen, keys, wait_cmd,
# expect, expect_cmd, fmt. Skips the whole script without tmux.
if ! command -v tmux >/dev/null 2>&1; then
	ok "skipped: tmux is not installed"
	exit 0
fi
SOCK=certdeck-test-$$-$(basename "$0" .sh)
TM() { tmux -u -L "$SOCK" -f /dev/null "$@"; }
stop_tmux() { TM kill-server >/dev/null 2>&1 || true; }
at_exit stop_tmux
unset NO_COLOR CERTDECK_COLOR

cat >"$T/ui" <<EOS
#!/bin/sh
"$CERTDECK" "\$@"
echo "EXITED \$?"
exec sleep 600
EOS
chmod +x "$T/ui"
# A session that lives as long as the test, so the server does not exit
# when a case's session is killed.
TM new-session -d -s keep -x 80 -y 24 sleep 900
ui_start() {
	_s=$1 _d=$2 _g=${3:-120x30}
	TM new-session -d -s "$_s" -x "${_g%x*}" -y "${_g#*x}" env TERM=screen \
	    LC_ALL=${LOC:-C.UTF-8} HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" \
	    "$T/ui" -C "$_d"
}
# The screen goes through a file, so a reader that quits early (grep -q)
# never cuts a tmux client off.
screen() {
	TM capture-pane -p -t "$1" >"$T/screen" 2>/dev/null
	cat "$T/screen"
}
keys() { _s=$1; shift; TM send-keys -t "$_s" "$@"; }
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
fmt() { sed 's/^/# /' | head -40; }
# expect SESSION DESC TEXT: the screen shows TEXT soon.
expect() {
	if wait_cmd "$1" grep -qF -- "$3"; then ok "$2"
	else not_ok "$2"; screen "$1" | fmt; fi
}
expect_cmd() {
	_s=$1 _d=$2; shift 2
	if wait_cmd "$_s" "$@"; then ok "$_d"
	else not_ok "$_d"; screen "$_s" | fmt; fi
}
