#!/bin/sh
# tests/e2e/tui-sync.sh: several operators in the terminal UI, in tmux.
# Two sessions on one inventory (a shared jump host) see each other's
# changes through the HEAD watch and never overwrite each other; Y syncs
# with the remote in the background, the header shows ahead/behind, and a
# conflict opens the conflicts view, resolved with one key per entry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"

BARE=$T/central.git A=$T/a B=$T/b
git init -q --bare "$BARE"
mkdir -p "$T/c"
for n in alpha beta; do cert_at 2026-05-01 90 "$T/c/$n" "$n.example.com"; done
"$CERTDECK" init "$A" >/dev/null
"$CERTDECK" -C "$A" import "$T/c/alpha.pem" "$T/c/beta.pem" >/dev/null
"$CERTDECK" -C "$A" remote add origin "$BARE"
"$CERTDECK" -C "$A" sync >/dev/null
"$CERTDECK" clone "$BARE" "$B" >/dev/null
meta() { git -C "$1" show "HEAD:$(git -C "$1" ls-tree -r --name-only HEAD certs | grep "/$2/entry$")" 2>/dev/null; }
goto() {
	keys "$1" Escape / "$2" Enter
	wait_cmd "$1" sh -c "grep '^>' | grep -qF -- ' $2 '"
}

# --- Two sessions on one inventory ---------------------------------------
ui_start s1 "$A"
ui_start s2 "$A"
expect s1 "session 1 shows the list" "alpha-example-com"
expect s2 "session 2 shows the list" "alpha-example-com"
goto s1 alpha-example-com
keys s1 o
expect s1 "o asks for the owner" "owner of alpha-example-com"
keys s1 C-u "Ops One" Enter
expect s2 "session 2 sees session 1's change" "Ops One"
goto s2 beta-example-com
keys s2 o
expect s2 "o asks in session 2" "owner of beta-example-com"
keys s2 C-u "Ops Two" Enter
keys s1 Escape
expect s1 "session 1 sees session 2's change" "Ops Two"
goto s1 alpha-example-com
goto s2 alpha-example-com
keys s1 + ; expect s1 "+ asks in session 1" "add tags to alpha-example-com"
keys s2 + ; expect s2 "+ asks in session 2" "add tags to alpha-example-com"
keys s1 one Enter
keys s2 two Enter
keys s1 Escape
keys s2 Escape
wait_cmd s1 grep -q "origin 4 ahead"
m=$(meta "$A" alpha-example-com)
case "$m" in
*"owner = Ops One"*"tags = "*one*two*|*"owner = Ops One"*"tags = "*two*one*) ok "neither session overwrote the other" ;;
*) not_ok "neither session overwrote the other"; printf '%s\n' "$m" | fmt ;;
esac
check "the two sessions made four commits" test "$(git -C "$A" log --format=%s | grep -c '^set ')" = 4
expect s1 "the header shows the remote ahead/behind" "origin 4 ahead 0 behind"
keys s1 Y
expect s1 "Y syncs in the background" "synced with origin"
expect s1 "the header follows" "origin 0 ahead 0 behind"
keys s1 Q; keys s2 Q
TM kill-session -t s1; TM kill-session -t s2

# --- Y on the second operator, and conflicts -----------------------------
ui_start b "$B"
expect b "B's header: in step as of its clone" "origin 0 ahead 0 behind"
keys b Y
expect b "Y takes A's changes" "synced with origin: 4 taken"
expect b "the list shows them" "Ops One"
for side in theirs ours; do
	"$CERTDECK" -C "$A" set beta-example-com owner="a-$side" notes="from-a-$side" >/dev/null
	"$CERTDECK" -C "$A" sync >/dev/null
	"$CERTDECK" -C "$B" set beta-example-com owner="b-$side" >/dev/null
	"$CERTDECK" -C "$B" set alpha-example-com owner="b-$side" >/dev/null
	"$CERTDECK" -C "$A" set alpha-example-com owner="a-$side" >/dev/null
	"$CERTDECK" -C "$A" sync >/dev/null
	expect b "($side) the header counts B's commits" "origin 2 ahead 0 behind"
	hb=$(git -C "$B" rev-parse HEAD)
	keys b Y
	expect b "($side) a conflict opens the conflicts view" "stopped: 2 conflicts"
	expect b "($side) it shows what B did" "here:  set owner=b-$side"
	expect b "($side) and what the remote did" "origin: set owner=a-$side"
	expect b "($side) both sides of the entry, side by side" "owner = b-$side"
	expect b "($side) ... the remote's too" "| owner = a-$side"
	check "($side) nothing changed yet" test "$(git -C "$B" rev-parse HEAD)" = "$hb"
	if [ $side = theirs ]; then keys b t; keys b t; else keys b o; keys b o; fi
	expect b "($side) one key per entry, then the sync runs again" "synced with origin"
	want=a-$side; [ $side = ours ] && want=b-$side
	m=$(meta "$B" beta-example-com)
	case "$m" in
	*"notes = from-a-$side"*"owner = $want"*) ok "($side) the chosen side won, the other key kept" ;;
	*) not_ok "($side) the chosen side won, the other key kept"; printf '%s\n' "$m" | fmt ;;
	esac
	"$CERTDECK" -C "$A" sync >/dev/null
	check "($side) A and B are in step" test "$(git -C "$A" rev-parse HEAD)" = "$(git -C "$B" rev-parse HEAD)"
done
keys b Q
expect b "Q quits" "EXITED 0"
