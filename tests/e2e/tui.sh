#!/bin/sh
# tests/e2e/tui.sh: the terminal UI, driven for real in tmux. Each case
# starts `certdeck` in a tmux session of a private server, sends keys and
# reads the screen back with capture-pane (-e for colours and attributes).
# Every wait polls the screen, bounded in count and time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"
unset NO_COLOR CERTDECK_COLOR
ESC=$(printf '\033')

# The demo inventory, and the same ordering `certdeck list` gives.
DEMO=$T/demo
"$TOP/tests/demo/make-demo" --no-ui "$DEMO" >/dev/null 2>&1
check "make-demo --no-ui builds an inventory" test -d "$DEMO/.git"
"$CERTDECK" -C "$DEMO" list >"$T/list"
first=$(awk 'NR == 2 { print $3 }' "$T/list")
second=$(awk 'NR == 3 { print $3 }' "$T/list")
last=$(awk 'END { print $3 }' "$T/list")
nentries=$(($(wc -l <"$T/list") - 1))

# start SESSION COLSxLINES [VAR=VALUE...]: certdeck -C DEMO in a new session
# (the variables go into its environment, after TERM and a UTF-8 locale).
start() {
	_s=$1 _w=${2%x*} _h=${2#*x}; shift 2
	TM new-session -d -s "$_s" -x "$_w" -y "$_h" env TERM=screen \
	    LC_ALL=C.UTF-8 HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" "$@" \
	    "${UI:-$T/ui}" -C "${INV:-$DEMO}"
}
# all_rows WORD: there are entry rows and every one holds WORD.
all_rows() {
	rows | grep -v '^ *$' >"$T/rows"
	[ -s "$T/rows" ] && ! grep -qv -- "$1" "$T/rows"
}

# Not a terminal: exit 2 and point at certdeck list.
"$CERTDECK" -C "$DEMO" </dev/null >/dev/null 2>"$T/notty"
rc=$?
check "without a terminal certdeck exits 2" test "$rc" = 2
check_out "without a terminal the message points at certdeck list" \
    "certdeck list" cat "$T/notty"
check "the message is one line" test "$(wc -l <"$T/notty")" = 1

# The list.
start m 100x30
expect m "the list shows the header with counts" "entries:"
expect m "the list shows status glyph and word" "✗ expired"
for w in "‼ critical" "⚠ warning" "✓ ok"; do
	expect m "the list shows $w" "$w"
done
expect_cmd m "the cursor starts on the soonest expiry ($first)" cursor_on "$first"
screen_e m >"$T/s"
check "the cursor row is highlighted" sh -c "grep -F '>' '$T/s' | grep -qF '${ESC}[7m'"
keys m j
expect_cmd m "j moves down" cursor_on "$second"
keys m k
expect_cmd m "k moves up" cursor_on "$first"
keys m G
expect_cmd m "G goes to the last entry ($last)" cursor_on "$last"
expect m "the status bar counts the position" "$nentries/$nentries"
keys m g
expect_cmd m "g goes to the first entry" cursor_on "$first"
keys m Down Down Up
expect_cmd m "arrow keys move" cursor_on "$second"
keys m Home
expect_cmd m "Home goes to the top" cursor_on "$first"

# Filter as you type; Esc clears it.
keys m / m a i l
expect m "/ shows the prompt as typed" "/mail_"
expect_cmd m "the filter narrows the list to mail entries" all_rows mail
expect m "the filter matches 5 entries" "1/5"
keys m Escape
expect m "Esc clears the filter" "/$nentries"
expect_cmd m "the cursor stays on its entry" cursor_on mail-legacy-example-com
expect_cmd m "the other entries are back" grep -qF " $first "
keys m / f o r - n o - s u c h Enter
expect m "a filter without matches says so" "no entry matches"
keys m Escape
expect m "Esc after the prompt closed clears the filter" "/$nentries"

# Sort.
"$CERTDECK" -C "$DEMO" list --sort name | awk 'NR == 2 { print $3 }' >"$T/byname"
"$CERTDECK" -C "$DEMO" list --sort name --reverse | awk 'NR == 2 { print $3 }' >"$T/byname_r"
keys m s g
expect m "s sorts by name" "sort name"
expect_cmd m "sorted by name, the first row is $(cat "$T/byname")" \
    sh -c "sed -n 3p | grep -qF ' $(cat "$T/byname") '"
keys m S g
expect m "S reverses" "sort name reversed"
expect_cmd m "reversed, the first row is $(cat "$T/byname_r")" \
    sh -c "sed -n 3p | grep -qF ' $(cat "$T/byname_r") '"
keys m s s s
expect m "s cycles through subject, issuer, owner" "sort owner reversed"
keys m s S
expect m "s comes back to expiry" "sort expiry  "
expect_cmd m "back in expiry order" sh -c "sed -n 3p | grep -qF ' $first '"

# Every order and filter the list makes in memory is `certdeck list`'s
# (the index's ORDER BY and LIKE): each sort both ways, with and without a
# filter, row for row, on a pane tall enough for every entry. The owner
# sort has entries without an owner (last, both ways).
"$CERTDECK" -C "$DEMO" list --json | grep -o '"owner":null' >"$T/noowner"
check "the demo has entries without an owner (for the owner sort)" test -s "$T/noowner"
start o 220x70
wait_text o "STATUS"
# same_order SORT REVERSE FILTER: the screen (stdin) lists, in order,
# what certdeck list --sort SORT [--reverse] [--filter FILTER] does.
same_order() {
	rows | awk 'NF > 3 { print $4 }' >"$T/ui_order"
	"$CERTDECK" -C "$DEMO" list --sort "$1" ${2:+--reverse} \
	    ${3:+--filter "$3"} | awk 'NR > 1 { print $3 }' >"$T/cli_order"
	[ -s "$T/cli_order" ] && cmp -s "$T/ui_order" "$T/cli_order"
}
for f in "" "EXAMPLE.org" "team"; do
	if [ -n "$f" ]; then
		keys o Escape / "$f" Enter
		wait_text o "/$f  "
	fi
	for so in expiry name subject issuer owner; do
		for rev in "" 1; do
			expect_cmd o "the list sorted by $so${rev:+, reversed}${f:+, filter $f} is certdeck list's order" \
			    same_order "$so" "$rev" "$f"
			keys o S
		done
		keys o s
	done
done
# status_order: the screen lists the expired entries with the filter, in
# certdeck list --status expired's order.
status_order() {
	rows | awk 'NF > 3 { print $4 }' >"$T/ui_order"
	"$CERTDECK" -C "$DEMO" list --status expired --filter team |
	    awk 'NR > 1 { print $3 }' >"$T/cli_order"
	[ -s "$T/cli_order" ] && cmp -s "$T/ui_order" "$T/cli_order"
}
keys o 1
expect_cmd o "1 shows the expired entries, in list --status expired's order" \
    status_order
TM kill-session -t o

# One status at a time.
keys m 2
expect m "2 shows only critical" "only critical"
expect_cmd m "every row is critical" all_rows critical
keys m 1
expect_cmd m "1 shows only expired" all_rows expired
keys m 0
expect m "0 shows every status" "/$nentries"

# Detail and back.
keys m g
expect_cmd m "g before Enter" cursor_on "$first"
keys m Enter
expect m "Enter opens the detail view" "$first: "
expect m "the detail view shows the certificate" "Certificate"
keys m G
expect m "the detail view scrolls to the history" "History"
expect m "the history shows commits" "import "
keys m g
expect m "the chain is listed with its expiry" "Chain 1: Demo Issuing CA 1"
keys m q
expect m "q returns to the list" "STATUS"
expect_cmd m "the cursor is where it was" cursor_on "$first"

# Help lists every key of the table.
keys m '?'
expect m "? opens the help" "certdeck keys"
keys m q
TM kill-session -t m
start h 100x70
wait_text h "STATUS" >/dev/null
keys h '?'
wait_text h "certdeck keys" >/dev/null
screen h >"$T/help"
sed -n 's/^[[:space:]]*K([^,]*, [^,]*, "\([^"]*\)".*/\1/p' "$TOP/tui/keys.c" |
    sort -u >"$T/tablekeys"
check "the key table has keys" test "$(wc -l <"$T/tablekeys")" -ge 30
missing=""
while IFS= read -r k; do
	awk -v k="$k" 'substr($0, 1, length(k) + 3) == "  " k " " { f = 1 }
	    END { exit !f }' "$T/help" || missing="$missing $k"
done <"$T/tablekeys"
if [ -z "$missing" ]; then ok "the help lists every key of the table"
else not_ok "the help lists every key of the table (missing:$missing)"; fmt <"$T/help"; fi
keys h q
expect h "q leaves the help" "STATUS"
keys h x
expect h "an unbound key says so" "x: no such key here"
keys h Q
expect h "Q quits and the shell runs on" "EXITED 0"
check "the terminal is restored (normal screen)" test "$(fmtv h '#{alternate_on}')" = 0
check "the terminal is restored (cursor shown)" test "$(fmtv h '#{cursor_flag}')" = 1
TM kill-session -t h

# Colours and monochrome.
start c 100x30
wait_text c "STATUS" >/dev/null
screen_e c >"$T/s"
check "with colours the screen has colour escapes" \
    grep -qE "${ESC}\\[([0-9;]*;)?3[1-7]m" "$T/s"
TM kill-session -t c
start n 100x30 NO_COLOR=1
expect n "NO_COLOR: the list shows" "✗ expired"
screen_e n >"$T/mono"
if grep -qE "${ESC}\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]" "$T/mono"; then
	not_ok "NO_COLOR: no colour escapes"; cat -v "$T/mono" | fmt
else
	ok "NO_COLOR: no colour escapes"
fi
check "NO_COLOR: the cursor row is still highlighted" grep -qF "${ESC}[7m" "$T/mono"
TM kill-session -t n
start n2 100x30 CERTDECK_COLOR=never
wait_text n2 "STATUS" >/dev/null
screen_e n2 >"$T/s"
check "CERTDECK_COLOR=never: no colour escapes" \
    sh -c "! grep -qE '${ESC}\\[([0-9;]*;)?3[1-7]m' '$T/s'"
TM kill-session -t n2

# Sizes and resizing.
start s 80x24
expect s "80x24 shows the list" "$first"
expect s "80x24 shows the status bar" "sort expiry"
TM resize-window -t s -x 60 -y 20
expect s "a resize to 60x20 says the terminal is too small" \
    "terminal too small (need 80x24"
# Keys typed blind do nothing: d y would remove the entry under the cursor.
n0=$(commits "$I")
keys s d
sleep 0.3
keys s y
sleep 0.3
check "too small: d y removes nothing" test "$(commits "$I")" = "$n0"
TM resize-window -t s -x 120 -y 40
expect s "a resize back redraws the list" "$first"
check "... and no question is waiting" sh -c "! tail -1 '$T/screen' | grep -q '(y/n)'"
# A question asked before the shrink waits, unanswered, for the resize.
keys s d
expect s "d asks first" "(y/n)"
TM resize-window -t s -x 60 -y 20
expect s "smaller again: too small" "terminal too small"
keys s y
sleep 0.3
check "too small: the waiting question takes no answer" test "$(commits "$I")" = "$n0"
TM resize-window -t s -x 120 -y 40
expect s "the question is there again after the resize" "(y/n)"
keys s Escape
expect_cmd s "Esc cancels it" sh -c "! tail -1 | grep -q '(y/n)'"
check "nothing removed" test "$(commits "$I")" = "$n0"
expect_cmd s "the redraw uses the new width" sh -c 'head -1 | grep -q "HEAD"'
keys s Q
expect s "Q from a resized screen exits" "EXITED 0"
TM kill-session -t s
start s2 60x20
expect s2 "60x20 shows terminal too small" "terminal too small (need 80x24"
keys s2 Q
expect s2 "Q works on a too small screen" "EXITED 0"
TM kill-session -t s2

# ASCII locale.
start a 100x30 LC_ALL=C
expect a "LC_ALL=C: ASCII glyphs" "X expired"
expect a "LC_ALL=C: critical is !" "! critical"
expect a "LC_ALL=C: warning is ~" "~ warning"
screen a >"$T/s"
check "LC_ALL=C: no UTF-8 on the screen" sh -c "! LC_ALL=C grep -q '[^ -~]' '$T/s'"
TM kill-session -t a

# Hostile text: a subject made of escape sequences is shown escaped.
EVIL=$T/evil
"$CERTDECK" -C "$EVIL" init >/dev/null
BEL=$(printf '\007')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/evil.key" -out "$T/evil.pem" -days 30 -utf8 \
	-subj "/CN=evil${ESC}[31mred${ESC}]0;pwned${BEL}x" \
	-addext "subjectAltName=DNS:evil.example.com" 2>/dev/null
"$CERTDECK" -C "$EVIL" import "$T/evil.pem" >/dev/null
check "a certificate with escapes in its subject imports" test $? = 0
INV=$EVIL start e 100x30
expect e "an escape sequence in a subject shows as \\x1b" 'evil\x1b[31mred'
screen e >"$T/evil.screen"
check "no raw ESC reaches the screen" sh -c "! grep -qF '$ESC' '$T/evil.screen'"
fmtv e '#{pane_title}' >"$T/title"
check "no title was set by a certificate" sh -c "! grep -q pwned '$T/title'"
keys e Enter
# (the subject is RFC 4514 text, where the parser already wrote \1B)
expect e "the detail view escapes the subject too" 'CN=evil\1B[31mred'
screen e >"$T/s"
check "no raw ESC in the detail view" sh -c "! grep -qF '$ESC' '$T/s'"
git -C "$EVIL" commit -q --allow-empty -m "evil${ESC}[31m subject${ESC}]0;pwned${BEL}"
keys e q L
expect e "the history escapes a commit's subject" 'evil\x1b[31m subject'
keys e Enter
expect e "the diff view escapes it too" 'evil\x1b[31m subject'
screen e >"$T/s"
check "no raw ESC in the history and diff" sh -c "! grep -qF '$ESC' '$T/s'"
fmtv e '#{pane_title}' >"$T/title"
check "no title was set by a commit message" sh -c "! grep -q pwned '$T/title'"
keys e Q
TM kill-session -t e

# Signals restore the terminal: the ones the loop handles (TERM, HUP) and
# the fatal ones that end certdeck in their handler (abort() and a failed
# assertion raise SIGABRT; a crash is SIGSEGV; ^\ is SIGQUIT). The pane
# compares the tty modes before and after, and dumps no core.
cat >"$T/ui-tty" <<EOS
#!/bin/sh
ulimit -c 0
before=\$(stty -g)
"$CERTDECK" "\$@"
rc=\$?
[ "\$(stty -g)" = "\$before" ] && tty=same || tty=changed
echo "EXITED \$rc TTY \$tty"
exec sleep 600
EOS
chmod +x "$T/ui-tty"
for sig in TERM:143 HUP:129 ABRT:134 SEGV:139 QUIT:131; do
	name=${sig%:*} rc=${sig#*:}
	UI=$T/ui-tty start t 100x30
	wait_text t "STATUS"
	keys t /  # a prompt open: keypad and cursor as when typing
	pid=$(ui_pid t)
	if [ -z "$pid" ]; then
		not_ok "SIG$name: found the certdeck process"
		TM kill-session -t t
		continue
	fi
	kill -"$name" "$pid"
	expect t "SIG$name ends certdeck by that signal" "EXITED $rc"
	check "SIG$name: the terminal is restored (normal screen)" \
	    test "$(fmtv t '#{alternate_on}')" = 0
	check "SIG$name: the cursor is shown" test "$(fmtv t '#{cursor_flag}')" = 1
	check "SIG$name: the cursor keys are back in normal mode" \
	    test "$(fmtv t '#{keypad_cursor_flag}')" = 0
	expect t "SIG$name: the tty modes are the shell's again" "EXITED $rc TTY same"
	TM kill-session -t t
done

# A terminal type curses cannot drive.
TM new-session -d -s b -x 100 -y 30 env TERM=no-such-terminal \
    CERTDECK_NOW="$CERTDECK_NOW" "$T/ui" -C "$DEMO"
expect b "an unknown TERM exits 2" "EXITED 2"
expect b "an unknown TERM points at certdeck list" "certdeck list"
TM kill-session -t b
# One it knows but that cannot address the cursor: the same.
TM new-session -d -s b -x 100 -y 30 env TERM=dumb \
    CERTDECK_NOW="$CERTDECK_NOW" "$T/ui" -C "$DEMO"
expect b "TERM=dumb exits 2" "EXITED 2"
expect b "TERM=dumb points at certdeck list" 'cannot drive terminal type "dumb"'
TM kill-session -t b

# History, diff, a list of the past, and changes from the list, on an
# inventory of its own: alpha and beta imported one after the other.
A=$T/act
"$CERTDECK" -C "$A" init >/dev/null
mkdir -p "$T/ac"
cert_at 2026-05-01 100 "$T/ac/alpha" alpha.example.com
cert_at 2026-05-01 200 "$T/ac/beta" beta.example.com
cert_at 2026-05-01 300 "$T/ac/gamma" gamma.example.com
"$CERTDECK" -C "$A" import --owner alice "$T/ac/alpha.pem" >/dev/null
"$CERTDECK" -C "$A" import "$T/ac/beta.pem" >/dev/null
ALPHA=$(echo "$A"/certs/*/alpha-example-com/entry)
# The entry as committed: the UI returns once HEAD has moved (the commit
# point), and the work tree follows an instant later, so read git.
alpha_has() { git -C "$A" show "HEAD:${ALPHA#"$A"/}" | grep -qx "$1"; }
subject() { git -C "$A" log -1 --format=%s; }
ncommits() { git -C "$A" rev-list --count HEAD; }
# until_ok COMMAND...: until it succeeds (at most ~5 s).
until_ok() {
	_n=0 _t0=$(date +%s)
	while [ $_n -lt 50 ] && [ $(($(date +%s) - _t0)) -le 6 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
# committed DESC SUBJECT: the last commit soon has this subject.
committed() {
	if until_ok sh -c "test \"\$(git -C '$A' log -1 --format=%s)\" = '$2'"
	then ok "$1"; else not_ok "$1"; echo "# last commit: $(subject)"; fi
}
# The editor the UI runs: what it does is in $T/editmode.
cat >"$T/editor" <<EOS
#!/bin/sh
case "\$(cat "$T/editmode")" in
good)	sed -i 's/^owner = .*/owner = Edited Owner/' "\$1" ;;
bad)	echo 'bogus = 1' >>"\$1" ;;
race)	"$CERTDECK" -C "$A" set alpha-example-com notes=racer >/dev/null
	sed -i 's/^owner = .*/owner = Mine/' "\$1" ;;
esac
EOS
chmod +x "$T/editor"

INV=$A start v 100x30 EDITOR="$T/editor"
expect v "the small inventory is listed" "alpha-example-com"
keys v L
expect v "L opens the history" "history: 3 commits"
expect v "the history shows author, action and entry" "Test Operator import beta-example-com"
expect v "the history shows the subject" "import alpha-example-com: expires"
expect_cmd v "the cursor starts on the newest commit" sh -c "grep '^>' | grep -q 'import beta-example-com'"
keys v Enter
expect v "Enter shows the commit's diff" "diff --git a/certs/"
expect v "the diff has the commit's header" "Author: Test Operator <test@example.invalid>"
expect v "the diff adds the certificate" "+-----BEGIN CERTIFICATE-----"
screen_e v >"$T/diff"
check "the added lines are coloured" grep -qE "${ESC}\\[([0-9;]*;)?32m.*\\+-----BEGIN" "$T/diff"
check "the hunk header is coloured" grep -qE "${ESC}\\[([0-9;]*;)?36m.*@@ -0,0 \\+1" "$T/diff"
keys v q
expect v "q leaves the diff for the history" "history: 3 commits"
keys v j t
expect v "t shows the list as of that commit" "AS OF"
expect v "with a banner saying it is read-only" "read-only"
expect_cmd v "the entry of that time is listed" grep -qF " alpha-example-com "
expect_cmd v "the entry added later is not" sh -c "! grep -qF beta-example-com"
keys v e
expect v "a list of the past refuses changes" "read-only: this is the inventory as of"
keys v q
expect v "q leaves the list of the past for the history" "history: 3 commits"
keys v q
expect v "q leaves the history for the list" "STATUS"
expect_cmd v "the present list has both entries" grep -qF " beta-example-com "
expect_cmd v "the cursor is on alpha" cursor_on alpha-example-com

# e: the metadata file in the editor; valid, then invalid.
echo good >"$T/editmode"
n0=$(ncommits)
keys v e
committed "e commits the edited entry" "edit alpha-example-com: owner"
check "one commit for it" test "$(ncommits)" = $((n0 + 1))
check "the entry file has the edit" alpha_has 'owner = Edited Owner'
expect v "the list shows the new owner" "Edited Owner"
expect_cmd v "the cursor stays on alpha" cursor_on alpha-example-com
echo bad >"$T/editmode"
cp "$ALPHA" "$T/alpha.before"
n0=$(ncommits)
keys v e
expect v "an invalid edit says why" "bogus: unknown key"
expect v "and offers to edit again" "edit again? (y/n)"
keys v n
expect v "n gives the edit up" "edit discarded, nothing committed"
check "no commit for an invalid edit" test "$(ncommits)" = "$n0"
check "the entry file is untouched" cmp -s "$ALPHA" "$T/alpha.before"
echo race >"$T/editmode"
keys v e
expect v "an entry changed during the edit is not overwritten" "changed while you edited it; nothing committed"
check "only the other commit was made" test "$(ncommits)" = $((n0 + 1))
check "the other change stands" alpha_has 'notes = racer'

# o and +: a line typed at the bottom.
keys v o
expect v "o asks for the owner, showing the current one" "owner of alpha-example-com: Edited Owner_"
keys v C-u "Team Ops" Enter
committed "o sets the owner" "set alpha-example-com: owner=Team Ops"
expect v "the list shows it" "Team Ops"
keys v +
expect v "+ asks for tags" "add tags to alpha-example-com"
keys v "urgent" Enter
committed "+ adds the tag" "set alpha-example-com: tags+=urgent"
check "the entry file has it" alpha_has 'tags = urgent'
keys v o Escape
expect v "Esc cancels a question" "cancelled"

# i: import a path.
n0=$(ncommits)
keys v i
expect v "i asks for a path" "import (file or directory):"
keys v "$T/ac/gamma.pem" Enter
expect v "i says what the import did" "1 imported, 0 replaced, 0 already present, 0 refused"
committed "i is one import commit" "import gamma-example-com: expires 2027-02-25"
expect v "the imported entry is listed" "gamma-example-com"
expect_cmd v "the cursor stayed on alpha" cursor_on alpha-example-com
keys v i "$T/ac/no-such.pem" Enter
expect v "a refused import says why" "1 refused: "

# d: remove, after asking.
n0=$(ncommits)
keys v d
expect v "d asks, naming the entry" "remove alpha-example-com"
keys v n
expect v "n keeps it" "alpha-example-com: kept"
check "no commit after n" test "$(ncommits)" = "$n0"
keys v d
expect v "d asks again" "remove alpha-example-com"
keys v y
committed "y removes it" "rm alpha-example-com"
expect_cmd v "it is gone from the list" sh -c "! grep -F alpha-example-com | grep -qv '^committed'"
check "and from the inventory" test -z "$(echo "$A"/certs/*/alpha-example-com)" -o ! -e "$ALPHA"

# u: undo the last change, after naming it.
keys v u
expect v "u names the change it undoes" "undo the last change"
expect v "u shows its subject" '"rm alpha-example-com"'
keys v y
committed "u commits the revert" "undo: rm alpha-example-com"
expect v "the removed entry is back in the list" "alpha-example-com"
check "and in the inventory" sh -c "'$CERTDECK' -C '$A' show alpha-example-com >/dev/null"
check "with its metadata" alpha_has 'owner = Team Ops'
check "git is clean after the UI's changes" test -z "$(git -C "$A" status --porcelain)"
check_out "fsck is clean after the UI's changes" "inventory is consistent" "$CERTDECK" -C "$A" fsck

# HEAD moves under the UI: the list follows, keeping filter and cursor.
keys v / b e t a Enter
expect v "a filter is set" "/beta"
"$CERTDECK" -C "$A" set beta-example-com owner=Outsider >/dev/null
# Up to ~4 s: the UI looks every 0.5 s.
_n=0; seen=0
while [ $_n -lt 40 ]; do
	screen v | grep -qF Outsider && { seen=1; break; }
	sleep 0.1; _n=$((_n + 1))
done
if [ $seen = 1 ]; then ok "a change by another certdeck shows up by itself"
else show_fail "a change by another certdeck shows up by itself" v; fi
expect v "the filter is kept" "/beta"
expect_cmd v "the cursor is kept" cursor_on beta-example-com
BETA=$(echo "$A"/certs/*/beta-example-com/entry)
sed 's/^owner = .*/owner = From Git/' "$BETA" >"$T/beta.entry" && cp "$T/beta.entry" "$BETA"
git -C "$A" commit -q -am "hand commit"
_n=0; seen=0
while [ $_n -lt 40 ]; do
	screen v | grep -qF "From Git" && { seen=1; break; }
	sleep 0.1; _n=$((_n + 1))
done
if [ $seen = 1 ]; then ok "a commit made with git (a pull) shows up by itself"
else show_fail "a commit made with git (a pull) shows up by itself" v; fi
check "the UI brought the index up to HEAD" test "$(sqlite3 "$A/.certdeck/index.db" "SELECT value FROM meta WHERE key='head'")" = "$(git -C "$A" rev-parse HEAD)"
keys v Q
expect v "Q quits after all that" "EXITED 0"
TM kill-session -t v

# The diff without colour.
INV=$A start vn 100x30 NO_COLOR=1
wait_text vn "STATUS" >/dev/null
keys vn L Enter
expect vn "NO_COLOR: the diff shows" "diff --git"
screen_e vn >"$T/monodiff"
if grep -qE "${ESC}\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]" "$T/monodiff"; then
	not_ok "NO_COLOR: the diff has no colour escapes"; cat -v "$T/monodiff" | fmt
else
	ok "NO_COLOR: the diff has no colour escapes"
fi
keys vn Q
TM kill-session -t vn
