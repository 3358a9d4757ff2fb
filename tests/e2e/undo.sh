#!/bin/sh
# undo.sh: certdeck undo against the real binary: each undo is one commit
# that puts back what the last commit changed (certdeck's or git's), keeps
# the history, refuses the init commit and hand edits; checked with git,
# sqlite3 and certdeck list.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
subject() { git -C "$I" log -1 --format=%s; }
trailer() { git -C "$I" log -1 --format="%(trailers:key=$1,valueonly)" | sed '/^$/d'; }
git_clean() { [ -z "$(git -C "$I" status --porcelain)" ]; }
indexed_head() { sqlite3 "$I/.certdeck/index.db" "SELECT value FROM meta WHERE key='head'"; }
in_list() { C list --json >"$T/l.json" && test "$(json_q "$T/l.json" "(SELECT count(*) FROM json_each(j) WHERE json_extract(value,'\$.name') = '$1')")" = 1; }

check "init" sh -c "'$CERTDECK' -C '$I' init >/dev/null"
check_out "undo --help shows the usage" "usage: certdeck [-C DIR] undo" C undo --help
check_out "certdeck --help lists undo" "undo the last change" "$CERTDECK" --help
n0=$(commits "$I")
check_out "the init commit cannot be undone" "cannot undo the first commit" C undo
C undo >/dev/null 2>&1
check "undoing init exits 2" test $? = 2
check "no commit after a refused undo" test "$(commits "$I")" = "$n0"
check_fail "undo takes no arguments" C undo HEAD
check "and made no commit either" test "$(commits "$I")" = "$n0"

mkdir -p "$T/c"
cert_at 2026-05-01 100 "$T/c/a" a.example.com
cert_at 2026-05-01 200 "$T/c/b" b.example.com
# a comes with its private key, stored encrypted.
echo "undo-test-pass" >"$T/keypass"
cat "$T/c/a.pem" "$T/c/a.key" >"$T/c/a-key.pem"
CERTDECK_PASSPHRASE_FILE="$T/keypass" C import --owner alice "$T/c/a-key.pem" >/dev/null 2>&1
check "a's key is stored" test -f "$I/keys/a-example-com.key"
C import "$T/c/b.pem" >/dev/null
import_id=$(git -C "$I" rev-parse HEAD)
import_subject=$(subject)

# Undo an import: the entry goes, the history stays.
n0=$(commits "$I")
C undo >"$T/out" 2>&1
check "undo prints the new commit's subject" test "$(cat "$T/out")" = "undo: $import_subject"
check "undo is one commit" test "$(commits "$I")" = $((n0 + 1))
check "its subject names the undone one" test "$(subject)" = "undo: $import_subject"
check "action undo" test "$(trailer Certdeck-Action)" = undo
check "it names the undone commit" test "$(trailer Certdeck-Reverts)" = "$import_id"
check "it names the entry" test "$(trailer Certdeck-Entry)" = b-example-com
check "the operator trailer is there" test -n "$(trailer Certdeck-Operator)"
check "the undone commit is still in the history" git -C "$I" merge-base --is-ancestor "$import_id" HEAD
check "the tree is the one before the import" test "$(git -C "$I" rev-parse HEAD^{tree})" = "$(git -C "$I" rev-parse "$import_id^^{tree}")"
check "the entry is gone from the list" sh -c "! '$CERTDECK' -C '$I' list | grep -q b-example-com"
check "the work tree lost its files" test ! -e "$I/certs/$(printf b-example-com | sha256sum | cut -c1-2)/b-example-com"
check "git status is clean" git_clean
check "the index is at HEAD" test "$(indexed_head)" = "$(git -C "$I" rev-parse HEAD)"
check_out "fsck is clean" "inventory is consistent" C fsck
check_out "log shows the undo" "undo  b-example-com  undo: $import_subject" C log -n 1

# Undo the undo: the entry is back, byte for byte.
check "undo the undo" sh -c "'$CERTDECK' -C '$I' undo >/dev/null"
check "its subject" test "$(subject)" = "undo: undo: $import_subject"
check "the entry is back in the list" in_list b-example-com
check "cert.pem is the imported one" cmp -s "$I/certs/"*/b-example-com/cert.pem "$T/c/b.pem"
check "the tree is the import's again" test "$(git -C "$I" rev-parse HEAD^{tree})" = "$(git -C "$I" rev-parse "$import_id^{tree}")"
check "git clean, fsck clean" sh -c "[ -z \"\$(git -C '$I' status --porcelain)\" ] && '$CERTDECK' -C '$I' fsck >/dev/null"

# Undo a set: the owner comes back.
cp "$I/certs/"*/a-example-com/entry "$T/entry.before"
C set a-example-com owner=bob tags+=x >/dev/null
check "undo a set" sh -c "'$CERTDECK' -C '$I' undo >/dev/null"
check "the entry file is as before the set" cmp -s "$I/certs/"*/a-example-com/entry "$T/entry.before"
check_out "list shows the old owner" "alice" C list --filter a-example-com

# Undo an rm: the certificate, the metadata and the stored key come back.
cp "$I/keys/a-example-com.key" "$T/key.before"
C rm a-example-com >/dev/null
check "rm removed the key" test ! -e "$I/keys/a-example-com.key"
check "undo an rm" sh -c "'$CERTDECK' -C '$I' undo >/dev/null"
check "the entry is back" in_list a-example-com
check "its metadata is back" cmp -s "$I/certs/"*/a-example-com/entry "$T/entry.before"
check "its stored key is back" cmp -s "$I/keys/a-example-com.key" "$T/key.before"
check "the undo names the entry once" test "$(trailer Certdeck-Entry)" = a-example-com
check "git clean after undoing an rm" git_clean

# A commit made with git: undone the same way.
sed 's/^warning-days = .*/warning-days = 45/' "$I/certdeck.conf" >"$T/conf" &&
    cp "$T/conf" "$I/certdeck.conf"
git -C "$I" commit -q -m "warn 45 days ahead" certdeck.conf
check "undo a commit made with git" sh -c "'$CERTDECK' -C '$I' undo >/dev/null"
check "its subject" test "$(subject)" = "undo: warn 45 days ahead"
check "certdeck.conf is back" sh -c "! grep -q '^warning-days = 45' '$I/certdeck.conf'"
check "git clean after undoing a git commit" git_clean

# A hand edit of a file the undo would change is never overwritten.
C set b-example-com owner=carol >/dev/null
echo "owner = by hand" >"$I/certs/$(printf b-example-com | sha256sum | cut -c1-2)/b-example-com/entry"
n0=$(commits "$I")
check_out "undo refuses to overwrite a hand edit" "uncommitted changes" C undo
check "no commit then" test "$(commits "$I")" = "$n0"
check "the hand edit is still there" grep -q "by hand" "$I/certs/"*/b-example-com/entry
git -C "$I" checkout -q -- .
check "after restoring it, undo works" sh -c "'$CERTDECK' -C '$I' undo >/dev/null"
check "and b has no owner again" sh -c "! grep -q owner '$I/certs/'*/b-example-com/entry"

# An empty commit changes nothing to undo.
git -C "$I" commit -q --allow-empty -m "nothing"
n0=$(commits "$I")
check_out "an empty commit has nothing to undo" "nothing to undo" C undo
check "no commit for it" test "$(commits "$I")" = "$n0"

# Outside an inventory.
check_fail "undo outside an inventory fails" "$CERTDECK" -C "$T/nowhere" undo
