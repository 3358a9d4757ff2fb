#!/bin/sh
# edit.sh: certdeck edit against the real binary: the editor ($VISUAL,
# $EDITOR, vi) run without a shell on a 0600 temp file, or the text from a
# file or stdin; every changed key checked as set checks it; one commit
# naming the changed keys, nothing committed for an invalid or unchanged
# text.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
subject() { git -C "$I" log -1 --format=%s; }
trailer() { git -C "$I" log -1 --format="%(trailers:key=$1,valueonly)" | sed '/^$/d'; }
"$CERTDECK" -C "$I" init >/dev/null
mkdir -p "$T/c"
cert_at 2026-05-01 100 "$T/c/a" a.example.com
C import --owner alice --tag web "$T/c/a.pem" >/dev/null
E=$(echo "$I"/certs/*/a-example-com/entry)

# An editor is a script given the file's path as its last argument; it
# writes down how it was called and what mode the file had.
cat >"$T/ed" <<EOS
#!/bin/sh
for a in "\$@"; do echo "arg: \$a"; done >"$T/ed.args"
stat -c %a "\$2" >"$T/ed.mode"
cp "\$2" "$T/ed.seen"
sed -i 's/^owner = .*/owner = Bob <bob@example.org>/' "\$2"
echo "tags = web,prod" >>"\$2"
sed -i '/^tags = web\$/d' "\$2"
EOS
chmod +x "$T/ed"

n0=$(commits "$I")
check "edit with EDITOR commits" env EDITOR="$T/ed --flag" "$CERTDECK" -C "$I" edit a-example-com
check "one commit" test "$(commits "$I")" = $((n0 + 1))
check "subject names the changed keys" test "$(subject)" = "edit a-example-com: owner, tags"
check "action edit" test "$(trailer Certdeck-Action)" = edit
check "entry trailer" test "$(trailer Certdeck-Entry)" = a-example-com
check "the owner is the edited one" grep -qx "owner = Bob <bob@example.org>" "$E"
check "lists come out sorted, as set writes them" grep -qx "tags = prod,web" "$E"
check "the editor saw the entry as committed" test "$(cat "$T/ed.seen")" = "$(git -C "$I" show HEAD^:"${E#$I/}")"
check "EDITOR is split on blanks, the file comes last" test "$(sed -n 1p "$T/ed.args")" = "arg: --flag"
check "the temp file is mode 0600" test "$(cat "$T/ed.mode")" = 600
check "the temp file is removed" sh -c "! ls '${TMPDIR:-/tmp}'/certdeck-??????-a-example-com 2>/dev/null | grep -q ."
check "git status is clean" test -z "$(git -C "$I" status --porcelain)"

# VISUAL wins over EDITOR; no shell runs the command.
cat >"$T/vis" <<EOS
#!/bin/sh
echo "notes = from visual" >>"\$1"
EOS
chmod +x "$T/vis"
check "VISUAL is used before EDITOR" env VISUAL="$T/vis" EDITOR=false "$CERTDECK" -C "$I" edit a-example-com
check "VISUAL's change is committed" grep -qx "notes = from visual" "$E"
n0=$(commits "$I")
check_out "an editor command is words, not a shell line" "cannot run editor true;" env EDITOR="true; touch $T/pwned" "$CERTDECK" -C "$I" edit a-example-com </dev/null
check "nothing ran through a shell" test ! -e "$T/pwned"
check_out "an editor that fails commits nothing" "exited with status 1" env EDITOR=false "$CERTDECK" -C "$I" edit a-example-com </dev/null
check_out "a missing editor says so" "cannot run editor" env EDITOR="$T/no-such-editor" "$CERTDECK" -C "$I" edit a-example-com </dev/null
check_out "an editor that changes nothing: nothing changed" "nothing changed" env EDITOR=true "$CERTDECK" -C "$I" edit a-example-com
check "none of these committed" test "$(commits "$I")" = "$n0"

# Invalid texts: nothing committed, the reason said.
cp "$E" "$T/e.before"
for bad in "bogus = 1|bogus: unknown key" "profile = Not A Word|profile: invalid value" \
    "endpoints = no-port|expected HOST:PORT" "key-path = relative/path|must be an absolute path" \
    "owner Bob|line 1: expected key = value"; do
	text=${bad%%|*} want=${bad#*|}
	printf '%s\n' "$text" >"$T/bad"
	check_out "refused: $text" "$want" C edit a-example-com "$T/bad"
	C edit a-example-com "$T/bad" >/dev/null 2>&1
	check "exit 2 for: $text" test $? = 2
done
check "no commit for an invalid text" test "$(commits "$I")" = "$n0"
check "the entry is untouched" cmp -s "$E" "$T/e.before"
cat >"$T/badeditor" <<EOS
#!/bin/sh
echo "bogus = 1" >>"\$1"
EOS
chmod +x "$T/badeditor"
check_out "an invalid edit without a terminal is refused, not retried" "bogus: unknown key" env EDITOR="$T/badeditor" "$CERTDECK" -C "$I" edit a-example-com </dev/null
check "no commit for it" test "$(commits "$I")" = "$n0"

# The text from a file or stdin, for scripts.
printf 'owner = carol\ntags = a, b\n' >"$T/new"
check "edit NAME FILE" C edit a-example-com "$T/new"
check "FILE replaced the metadata (notes gone)" test "$(cat "$E")" = "$(printf 'owner = carol\ntags = a,b')"
check "its subject" test "$(subject)" = "edit a-example-com: notes, owner, tags"
check "edit NAME - reads stdin" sh -c "printf 'owner = dave\ntags = a,b\n' | '$CERTDECK' -C '$I' edit a-example-com -"
check "stdin's text committed" grep -qx "owner = dave" "$E"
n0=$(commits "$I")
check_out "the same text again: nothing changed" "nothing changed" C edit a-example-com "$E"
check_out "comments and blank lines are no change" "nothing changed" sh -c "printf '# a comment\n\nowner = dave\ntags = b,a\n' | '$CERTDECK' -C '$I' edit a-example-com -"
check "no commit for them" test "$(commits "$I")" = "$n0"

# An unknown key a newer certdeck wrote survives an edit of the others.
printf 'future-key = kept\nowner = dave\n' >"$T/raw"
cp "$T/raw" "$E"
git -C "$I" commit -q -am "a newer certdeck's key"
printf 'future-key = kept\nowner = erin\n' >"$T/new"
check "an unchanged unknown key does not block an edit" C edit a-example-com "$T/new"
check "it is kept" grep -qx "future-key = kept" "$E"
printf 'future-key = changed\nowner = erin\n' >"$T/new"
check_out "changing an unknown key is refused" "future-key: unknown key" C edit a-example-com "$T/new"

printf 'owner = x\0y\n' >"$T/nul"
check_out "a text with a NUL byte is refused" "contains a NUL byte" C edit a-example-com "$T/nul"

# Someone else commits to the entry while the editor is open: nothing is
# committed, so that change is not undone unseen.
cat >"$T/racer" <<EOS
#!/bin/sh
"$CERTDECK" -C "$I" set a-example-com owner=racer >/dev/null
sed -i 's/^owner = .*/owner = mine/' "\$1"
EOS
chmod +x "$T/racer"
n0=$(commits "$I")
check_out "an entry changed during the edit is not overwritten" "changed while you edited it" env EDITOR="$T/racer" "$CERTDECK" -C "$I" edit a-example-com </dev/null
check "only the other commit was made" test "$(commits "$I")" = $((n0 + 1))
check "the other change stands" grep -qx "owner = racer" "$E"

check_out "no such entry" "no such entry" C edit nope "$T/new"
check_fail "edit needs a name" C edit
check_out "edit --help shows the usage" "usage: certdeck [-C DIR] edit NAME [FILE]" C edit --help
check_out "fsck is clean after all that" "inventory is consistent" C fsck
