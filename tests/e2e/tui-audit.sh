#!/bin/sh
# tests/e2e/tui-audit.sh: the audit key of the terminal UI, driven for real
# in tmux: a runs a sweep as a background job (committed as certdeck audit
# commits it), the audit view groups the findings by severity, Enter opens
# the finding's entry, and the list's ! column marks entries with findings
# (from audit/findings at HEAD, so a sweep by cron shows up too). Every
# wait is bounded (about 6 s, polling the screen).
. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	ok "skipped: tmux is not installed"
	exit 0
fi
SOCK=certdeck-atest-$$
TM() { tmux -u -L "$SOCK" -f /dev/null "$@"; }
stop_tmux() { TM kill-server >/dev/null 2>&1 || true; }
at_exit stop_tmux
unset NO_COLOR CERTDECK_COLOR

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }

# --- the inventory (CERTDECK_NOW is 2026-06-01): an expired entry
# (critical), one without owner and profile (notice), one with nothing
# wrong.
mkdir -p "$T/c"
cd "$T/c" || exit 2
ca_at 2026-01-01 3650 root "Test Root CA"
leaf_at 2026-05-01 200 good good.test root
leaf_at 2026-04-01 30 old old.test root
leaf_at 2026-05-01 150 plain plain.test root
cd "$TOP" || exit 2
C init >/dev/null
C import --name test-root --owner pki "$T/c/root.pem" >/dev/null
C import --owner web "$T/c/good.pem" "$T/c/old.pem" >/dev/null
C import "$T/c/plain.pem" >/dev/null
for n in test-root good-test old-test; do C set "$n" profile=default >/dev/null; done
check "four entries" test "$(C list | grep -c 'test')" = 4

cat >"$T/ui" <<EOS
#!/bin/sh
"$CERTDECK" "\$@"
echo "EXITED \$?"
exec sleep 600
EOS
chmod +x "$T/ui"
start() {
	TM new-session -d -s "$1" -x "${W:-100}" -y 24 env TERM=screen LC_ALL=C.UTF-8 \
	    HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" "$T/ui" -C "$I"
}
TM new-session -d -s keep -x 80 -y 24 sleep 900
screen() {
	TM capture-pane -p -t "$1" >"$T/screen" 2>/dev/null
	cat "$T/screen"
}
keys() { _s=$1; shift; TM send-keys -t "$_s" "$@"; }
wait_cmd() {
	_s=$1; shift
	_n=0 _t0=$(date +%s)
	while [ $_n -lt 60 ] && [ $(($(date +%s) - _t0)) -le 6 ]; do
		screen "$_s" | "$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
fmt() { sed 's/^/# /' | head -30; }
expect() {
	if wait_cmd "$1" grep -qF -- "$3"; then ok "$2"
	else not_ok "$2"; screen "$1" | fmt; fi
}
expect_cmd() {
	_s=$1 _d=$2; shift 2
	if wait_cmd "$_s" "$@"; then ok "$_d"
	else not_ok "$_d"; screen "$_s" | fmt; fi
}
# row_has NAME PATTERN: the list row of NAME holds PATTERN (stdin).
row_has() { grep -F -- " $1 " | grep -qE -- "$2"; }

start a
expect a "the list has the ! column" " ! "
expect_cmd a "before any sweep no entry is marked" sh -c "! grep -E '^.{50,}' | grep -qE ' [!+] +(old|good|plain)'"
n0=$(commits "$I")
keys a a
expect a "a opens the audit view when the sweep ends" "certdeck  audit:"
check "the sweep is one commit, as certdeck audit makes it" test "$(commits "$I")" = $((n0 + 1))
check "its subject" sh -c "git -C '$I' log -1 --format=%s | grep -q '^audit: first sweep'"
expect a "the status bar says what the sweep found" "audit: "
expect_cmd a "findings are grouped: critical first" sh -c "grep -nE '^.(critical|notice|info) \\(' | head -1 | grep -q 'critical (1)'"
expect_cmd a "the expired entry is under critical" grep -qE "^. +expired +old-test +leaf expired 2026-05-01"
expect_cmd a "notices follow" grep -qE '^ ?notice \(2\)'
expect_cmd a "the cursor starts on the first finding" sh -c "grep '^>' | grep -q 'old-test'"
expect a "the rule under the cursor is explained, with its fix" "expired: the certificate or a chain certificate has expired; fix: renew it"
keys a j
expect a "moving the cursor explains the next rule" "no-owner: an entry with no owner; fix: certdeck set NAME owner="
keys a k
expect_cmd a "back up: the heading is passed over too" sh -c "grep '^>' | grep -q 'old-test'"
keys a G
expect_cmd a "End: the last finding" sh -c "grep '^>' | grep -q 'pq-inventory'"
keys a g
expect_cmd a "Home: the first finding, not its heading" sh -c "grep '^>' | grep -q 'old-test'"
keys a Enter
expect a "Enter opens the finding's entry" "old.test"
keys a q
expect a "q returns to the audit view" "certdeck  audit:"
keys a q
expect a "q again returns to the list" "STATUS"
expect_cmd a "the expired entry is marked !" row_has old-test '! +old-test|old-test'
expect_cmd a "the mark sits in the ! column" sh -c "grep -F ' old-test ' | grep -qE '! +old\\.test|!  '"
expect_cmd a "an entry with only notices is marked +" sh -c "grep -F ' plain-test ' | grep -q '+'"
expect_cmd a "an entry without findings is not marked" sh -c "grep -F ' good-test ' | grep -vqE '[!+] '"

# A sweep from the command line (cron's): the marks follow HEAD.
C set plain-test owner=ops profile=default >/dev/null
C audit >/dev/null 2>&1
expect_cmd a "a sweep elsewhere clears the marks it resolved" sh -c "grep -F ' plain-test ' | grep -vq '+'"
keys a a
expect a "the same findings again: no change" "no change since the last sweep"
check "and no commit" sh -c "git -C '$I' log -1 --format=%s | grep -q '^audit: 0 new'"
keys a q
# The help lists the audit view's key.
keys a '?'
keys a G
expect a "help has the Audit view's key" "details of the entry of the finding under the cursor"
keys a q

# 80 columns: the mark column is one wide and always shown.
W=80 start n
expect a "still running" "STATUS"
expect_cmd n "80 columns: the ! column and its mark" row_has old-test '! +old\.test'
keys a Q
keys n Q
expect a "Q quits" "EXITED 0"

# A read-only inventory (another user's files, read by nobody): a sweep
# gives its verdict and shows its own findings, not HEAD's, and says it
# recorded nothing.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	R=$T/ro
	mkdir -p "$R/home"
	cp -a "$I" "$R/inv"
	git -C "$R/inv" rm -q audit/findings >/dev/null
	git -C "$R/inv" commit -qm "no findings recorded"
	"$CERTDECK" -C "$R/inv" list >/dev/null 2>&1
	chown -R nobody "$R"
	chmod 755 "$T" "$R"
	chmod -R a-w "$R/inv"
	printf '[safe]\n\tdirectory = *\n' >"$R/home/.gitconfig"
	TM new-session -d -s ro -x 100 -y 24 env TERM=screen LC_ALL=C.UTF-8 \
	    CERTDECK_NOW="$CERTDECK_NOW" setpriv --reuid=nobody --regid=nogroup \
	    --clear-groups env HOME="$R/home" "$T/ui" -C "$R/inv"
	expect ro "read-only: the list is up" "STATUS"
	keys ro a
	expect ro "read-only: a says the sweep was not recorded" "not recorded: the inventory cannot be written here"
	expect ro "read-only: the view says it shows this sweep" "(this sweep, not recorded)"
	expect_cmd ro "read-only: ... with its findings, not HEAD's none" sh -c "grep -q 'old-test' && ! grep -q 'no findings'"
	keys ro q
	expect ro "read-only: back to the list" "STATUS"
	keys ro e
	expect ro "read-only: e refuses before the editor opens" "cannot be written here; no change can be made"
	keys ro d
	expect ro "read-only: so does d, before asking" "cannot be written here; no change can be made"
	check "... no question" sh -c "! tail -1 '$T/screen' | grep -q '(y/n)'"
	keys ro Q
	expect ro "read-only: Q quits" "EXITED 0"
	chmod -R u+w "$R"
else
	ok "skipped: the read-only case needs root and setpriv"
fi
