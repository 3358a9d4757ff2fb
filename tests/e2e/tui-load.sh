#!/bin/sh
# tests/e2e/tui-load.sh: the list of a larger inventory in the terminal
# UI, in tmux. It shows its first screenful (rows from the index's expiry
# order, counts from ranges of it) while the whole list is read in the
# background, then swaps that in with the cursor where it was; a key that
# needs the whole list waits for it, and the keys after it, in order; a
# filter is looked for in slices and ends with the rows and count of
# `certdeck list`; a read that fails keeps the first screen and says so,
# and the next key that needs the whole list reads it again.
# CERTDECK_TEST_HOLD holds the background read back until
# the test lets it go, so what happens meanwhile is seen, not raced;
# CERTDECK_TEST_SLICE makes a slice a few rows, so a small inventory is
# scanned in slices too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"

N=3000
cc -O2 -o "$T/gencerts" "$TOP/bench/gencerts.c" -lcrypto ||
    { not_ok "bench/gencerts.c builds"; exit 1; }
"$T/gencerts" $N "$T/certs" >/dev/null
I=$T/inv
"$CERTDECK" init "$I" >/dev/null
"$CERTDECK" -C "$I" import "$T/certs" >/dev/null
"$CERTDECK" -C "$I" list >"$T/list"
check "$N entries to list" test "$(($(wc -l <"$T/list") - 1))" = $N
awk 'NR > 1 { print $3 }' "$T/list" >"$T/order"
nth() { sed -n "${1}p" "$T/order"; }
st() { awk -v s="$1" 'NR > 1 && $1 == s { n++ } END { print n + 0 }' "$T/list"; }
header="$N entries: $(st expired) expired $(st critical) critical $(st warning) warning $(st ok) ok "
# same_rows FILE: the screen's entry rows (stdin) are FILE's first ones,
# a screenful of them.
same_rows() {
	rows | awk 'NF > 3 { print $4 }' >"$T/ui_rows"
	[ "$(wc -l <"$T/ui_rows")" -ge 20 ] &&
	    head -n "$(wc -l <"$T/ui_rows")" "$1" | cmp -s - "$T/ui_rows"
}
# rows_are FILE: the screen's entry rows (stdin) are FILE's, all of them.
rows_are() { rows | awk 'NF > 3 { print $4 }' | cmp -s - "$1"; }
# at POS: the status bar (stdin) ends with the position POS ("k/n"), the
# count done (no "+").
at() { tail -1 | grep -q " $1\$"; }
# cli_rows FILE ARGS...: certdeck list ARGS's names, into FILE.
cli_rows() {
	_f=$1; shift
	"$CERTDECK" -C "$I" list "$@" | awk 'NR > 1 { print $3 }' >"$_f"
}

# The first screen, then the whole list.
HOLD=$T/release
ui_start a "$I" 200x30 CERTDECK_TEST_HOLD=list-read:"$HOLD"
expect a "the first screen comes while the whole list is read" "reading the whole list"
expect a "its header counts every status as certdeck list does" "$header"
expect a "its position counts every entry" "1/$N"
expect_cmd a "its rows are certdeck list's first" same_rows "$T/order"
keys a j j j
expect_cmd a "j moves at once within them" cursor_on "$(nth 4)"
expect a "the status bar says which keys wait" "sort, filter, 0-4 and G wait for it"
touch "$HOLD"
expect a "the whole list comes in" "? help"
expect_cmd a "the cursor stays on its entry" cursor_on "$(nth 4)"
expect_cmd a "on its line" sh -c "sed -n 6p | grep -q '^>'"
expect_cmd a "the rows are the same" same_rows "$T/order"
expect a "the header is the same" "$header"
keys a G
expect_cmd a "G then goes to the last of the $N" cursor_on "$(nth $N)"
expect a "and the position says so" "$N/$N"
TM kill-session -t a

# Typing during the read: a key that can work on the first screen does
# at once; a sort waits, and the filter typed after it, and the keys
# after that, in their order.
rm -f "$HOLD"
ui_start b "$I" 200x30 CERTDECK_TEST_HOLD=list-read:"$HOLD"
expect b "the read is held again" "reading the whole list"
keys b j
expect_cmd b "j moves at once" cursor_on "$(nth 2)"
keys b s / host-00002 Enter j
expect b "the sort, the filter and the keys after wait" "14 keys wait for it"
expect b "nothing of them happened yet" "sort expiry  2/$N"
expect_cmd b "the cursor is where j left it" cursor_on "$(nth 2)"
touch "$HOLD"
expect b "once the list is in, they happen in order: the sort" "sort name"
expect b "the filter" "/host-00002"
expect_cmd b "and the j after it" at 2/10
expect_cmd b "the cursor is on the filter's second entry" cursor_on host-000021-bench-example
cli_rows "$T/name_f" --sort name --filter host-00002
expect_cmd b "the rows are certdeck list --sort name --filter's" rows_are "$T/name_f"
TM kill-session -t b

# Keys typed while the landed list is being taken in (the UI held in
# list_landed) come after the keys that waited for it, never before: an
# "o" typed as filter text must not open the owner prompt.
rm -f "$HOLD" "$HOLD.2"
ui_start e "$I" 200x30 CERTDECK_TEST_HOLD=list-read:"$HOLD",list-landed:"$HOLD.2"
expect e "held for the order test" "reading the whole list"
keys e / h
expect e "the filter waits" "2 keys wait for it"
touch "$HOLD"
sleep 0.3
keys e o o o
touch "$HOLD.2"
expect e "the keys typed meanwhile follow the waiting ones" "/hooo"
expect_cmd e "and no owner prompt opened" sh -c '! grep -q "owner of"'
TM kill-session -t e

# HEAD moving while the whole list is read: the read in flight lands
# (its rows are of before the change) and one more read follows, which
# brings the change; the read is not started over at every move.
rm -f "$HOLD"
ui_start f "$I" 200x30 CERTDECK_TEST_HOLD=list-read:"$HOLD"
expect f "held for the HEAD test" "reading the whole list"
"$CERTDECK" -C "$I" set "$(nth 1)" owner=zed-stale >/dev/null
sleep 1.5	# the UI looks at HEAD every 500 ms
touch "$HOLD"
expect f "the change made during the read shows once both reads are in" "zed-stale"
expect f "and the whole list is in" "? help"
TM kill-session -t f

# A filter looked for in slices (a few rows each) ends with the rows and
# the count certdeck list gives, however the keys fall between slices.
ui_start c "$I" 200x30 CERTDECK_TEST_SLICE=7
expect c "the list is in" "? help"
cli_rows "$T/f29" --filter host-0029
cli_rows "$T/f2" --filter host-002
keys c / h o s t - 0
keys c 0 2
keys c 9
expect_cmd c "a sliced filter ends with certdeck list's count" at "1/$(wc -l <"$T/f29")"
expect_cmd c "and its rows" same_rows "$T/f29"
keys c BSpace
expect_cmd c "a backspace widens it again" grep -q "/$(wc -l <"$T/f2")\$"
expect_cmd c "to certdeck list's rows" same_rows "$T/f2"
keys c 9 Enter G
expect_cmd c "G during or after the count goes to the last match" at "$(wc -l <"$T/f29")/$(wc -l <"$T/f29")"
expect_cmd c "which is certdeck list's last" cursor_on "$(tail -1 "$T/f29")"
keys c Escape
expect c "Esc shows all again" "/$N"
TM kill-session -t c

# Quitting while the read is held: the read is stopped and waited for,
# nothing is left behind, and the shell's terminal comes back.
rm -f "$HOLD"
ui_start d "$I" 200x30 CERTDECK_TEST_HOLD=list-read:"$HOLD"
expect d "held once more" "reading the whole list"
keys d Q
expect d "Q quits at once while the whole list is read" "EXITED 0"
TM kill-session -t d

# A read that fails (here the index file emptied under it, as a failing
# disk might) keeps the first screen, says why, drops the keys that
# waited for it, and says the next such key reads it again; that key
# does, once the file is back.
IDB=$I/.certdeck/index.db
cp "$IDB" "$T/index.bak"
rm -f "$HOLD"
ui_start g "$I" 200x30 CERTDECK_TEST_HOLD=list-read-start:"$HOLD"
expect g "held before the read" "reading the whole list"
keys g s
expect g "the sort waits for it" "1 key waits for it"
: >"$IDB"
touch "$HOLD"
expect g "the failed read says why, and that the sort was dropped" "(1 waiting key dropped)"
expect g "the sort did not happen" "sort expiry"
expect_cmd g "the first screen stays" same_rows "$T/order"
keys g j
expect g "then the status bar says the list is partial and what reads it again" \
    "the whole list could not be read; sort, filter, 0-4 and G read it again"
cat "$T/index.bak" >"$IDB"
keys g s
expect g "the next sort reads the whole list and sorts" "sort name"
keys g j
expect g "and the whole list is in" "? help"
G_LAST=$("$CERTDECK" -C "$I" list --sort name | awk 'END { print $3 }')
keys g G
expect_cmd g "all $N rows of it" cursor_on "$G_LAST"
TM kill-session -t g

# A probe result that lands during the read stays on its row when the
# read lands: the read may have looked at the index before the result was
# recorded, so the result is put onto what it read. The read after it
# (the probe job's own reload) is held too, so the first read's landing
# is what is seen.
P1=$(nth 1)
"$CERTDECK" -C "$I" set "$P1" endpoints=127.0.0.1:1 >/dev/null
rm -f "$HOLD" "$HOLD.2"
ui_start h "$I" 200x30 CERTDECK_TEST_HOLD=list-read:"$HOLD",list-reread:"$HOLD.2"
expect h "held for the probe test" "reading the whole list"
expect_cmd h "the cursor is on the entry with the endpoint" cursor_on "$P1"
keys h p
expect_cmd h "the probe's result shows on its row at once" sh -c "grep -F ' $P1 ' | grep -q fail"
expect h "the probe is done" "0 healthy"
touch "$HOLD"
keys h j
expect h "the whole list comes in" "? help"
expect_cmd h "the probe's result is still on its row" sh -c "grep -F ' $P1 ' | grep -q fail"
touch "$HOLD.2"
keys h Q
expect h "Q quits" "EXITED 0"
TM kill-session -t h

# An import cancelled (Esc) while it plans: nothing committed, nothing
# listed, the lock let go (the next import goes in). The import is held
# after its first file is planned, its other files still being parsed.
I2=$T/inv2
"$CERTDECK" init "$I2" >/dev/null
c0=$(git -C "$I2" rev-list --count HEAD)
rm -f "$HOLD"
ui_start c "$I2" 200x30 CERTDECK_TEST_HOLD=import-planning:"$HOLD"
expect c "an empty inventory" "0 entries"
keys c i
expect c "i asks for a path" "import (file or directory):"
keys c "$T/certs" Enter
expect c "the import is running" "importing $T/certs"
keys c Escape
expect c "Esc cancels it: nothing imported" "import: cancelled; nothing imported"
check "the cancelled import committed nothing" \
    test "$(git -C "$I2" rev-list --count HEAD)" = "$c0"
check "and listed nothing" test "$("$CERTDECK" -C "$I2" list --json)" = "[]"
touch "$HOLD"
keys c i "$T/certs" Enter
expect c "the next import goes in whole" "$N imported, 0 replaced"
keys c Q
expect c "Q quits" "EXITED 0"
TM kill-session -t c
check "the import after it is one commit" \
    test "$(git -C "$I2" rev-list --count HEAD)" = $((c0 + 1))

