# inventory.sh: init, import, list, show, set, rm, log, fsck against the
# real binary, checked with the real git and sqlite3 commands.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
count() { "$@" > "$T/count.json" && json_q "$T/count.json" 'json_array_length(j)'; }
nentries() { sqlite3 "$I/.certdeck/index.db" 'SELECT count(*) FROM entries'; }
git_clean() { [ -z "$(git -C "$I" status --porcelain)" ] && git -C "$I" fsck --strict >/dev/null 2>&1; }

# --- init
check "init makes an inventory" C init
check "init made one commit" test "$(commits "$I")" = 1
check "init wrote certdeck.conf and .gitignore" test -f "$I/certdeck.conf" -a -f "$I/.gitignore"
check "index.db is a real SQLite file" sqlite3 "$I/.certdeck/index.db" 'PRAGMA integrity_check'
check "index records HEAD" test "$(sqlite3 "$I/.certdeck/index.db" "SELECT value FROM meta WHERE key='head'")" = "$(git -C "$I" rev-parse HEAD)"
check "git status clean, git fsck clean after init" git_clean
check_out "init twice refused" "already a certdeck inventory" C init
check_out "not an inventory says how to make one" "certdeck init" "$CERTDECK" -C "$T" list
check_out "missing directory says how to make one" "certdeck init" "$CERTDECK" -C "$T/nope" list
mkdir -p "$XDG_DATA_HOME"
check "init with no DIR uses XDG_DATA_HOME" "$CERTDECK" init
check "XDG inventory exists" test -f "$XDG_DATA_HOME/certdeck/certdeck.conf"
check "CERTDECK_DIR is honoured" env CERTDECK_DIR="$I" "$CERTDECK" list

# --- certificates (CERTDECK_NOW is 2026-06-01T12:00:00Z)
mkdir -p "$T/c"
cert_at 2026-05-01 30 "$T/c/expired" expired.example.com      # 2026-05-31
cert_at 2026-05-01 34 "$T/c/crit" crit.example.com            # 2026-06-04
cert_at 2026-03-01 111 "$T/c/warn" warn.example.com           # 2026-06-20
cert_at 2026-05-01 400 "$T/c/ok" ok.example.com
ca_at 2026-01-01 3650 "$T/c/root" "Test Root CA"
ca_at 2026-05-01 60 "$T/c/inter2" "Test Intermediate" "$T/c/root"  # 2026-06-30
leaf_at 2026-05-01 365 "$T/c/leaf" api.example.com "$T/c/inter2"
cat "$T/c/leaf.pem" "$T/c/inter2.pem" > "$T/c/chain.pem"

n0=$(commits "$I")
C import --tag 'Bad Tag' "$T/c/ok.pem" >/dev/null 2>"$T/badtag.err"
check "a bad --tag is a usage error (exit 2), as set's" test $? = 2
check_out "... naming it" "certdeck: import: tags: invalid item \"Bad Tag\"" cat "$T/badtag.err"
C import --owner "$(printf 'a\001b')" "$T/c/ok.pem" >/dev/null 2>&1
check "a bad --owner too" test $? = 2
check "and nothing was imported" test "$(commits "$I")" = "$n0"
check "import one file" C import --owner alice --tag web "$T/c/ok.pem"
check "one import, one commit" test "$(commits "$I")" = $((n0 + 1))
check "entry named from the DNS SAN" test -f "$I/certs/$(printf ok-example-com | sha256sum | cut -c1-2)/ok-example-com/cert.pem"
check "entry file holds owner and tags" grep -q '^owner = alice$' "$I"/certs/*/ok-example-com/entry
check "index has the entry" test "$(nentries)" = 1
check "git clean after import" git_clean

n0=$(commits "$I")
check_out "same certificate is reported, not duplicated" "already in the inventory as ok-example-com" C import "$T/c/ok.pem"
check "no commit for a duplicate" test "$(commits "$I")" = "$n0"

mkdir -p "$T/dir/sub"
cp "$T/c/expired.pem" "$T/c/crit.pem" "$T/dir/"
cp "$T/c/warn.pem" "$T/dir/sub/"
check "import a directory recursively" C import "$T/dir"
check "directory import was one commit" test "$(commits "$I")" = $((n0 + 1))
check "four entries" test "$(nentries)" = 4
# An entry without metadata has no entry file: the first set makes it,
# the set that removes its last key removes it.
W=$(echo "$I"/certs/*/warn-example-com)
check "an entry without metadata: cert.pem, no entry file" \
    test -f "$W/cert.pem" -a ! -e "$W/entry"
check "nor in git" test -z "$(git -C "$I" ls-files "${W#"$I"/}/entry")"
n0=$(commits "$I")
check "set on it" C set warn-example-com owner=zoe notes=x
check_out "makes the entry file" "notes = x
owner = zoe" cat "$W/entry"
check "removing one key keeps it" C set warn-example-com notes=
check_out "... holding the other" "owner = zoe" cat "$W/entry"
check "removing the last key" C set warn-example-com owner=
check "... removes the file" test ! -e "$W/entry"
check "... from git too" test -z "$(git -C "$I" ls-files "${W#"$I"/}/entry")"
check "three sets, three commits" test "$(commits "$I")" = $((n0 + 3))
check_out "the entry is still listed, without an owner" "warn-example-com" C list --filter warn
check "git clean, fsck consistent" sh -c "git -C '$I' status --porcelain | grep -q . && exit 1; '$CERTDECK' -C '$I' fsck"

n0=$(commits "$I")
check "import chain from stdin" sh -c "cat '$T/c/chain.pem' | '$CERTDECK' -C '$I' import -"
check "leaf and chain are one entry" sh -c "grep -c 'BEGIN CERTIFICATE' '$I'/certs/*/api-example-com/cert.pem | grep -qx 2"
cert_at 2026-05-01 90 "$T/c/twice" twice.example.com
"$CERTDECK" init "$T/twice" >/dev/null
"$CERTDECK" -C "$T/twice" import - - <"$T/c/twice.pem" >"$T/twice.out" 2>"$T/twice.err"
check "stdin given twice: imported once, exit 0" sh -c "test \$? = 0 && grep -q '^1 imported, 0 replaced, 0 already present, 0 refused' '$T/twice.out'"
check_out "... and said" "(stdin): given more than once; read once" cat "$T/twice.err"
check "CA alone becomes its own entry" C import --name test-root "$T/c/root.pem"
check "named CA entry exists" C show test-root
check "two commits for two imports" test "$(commits "$I")" = $((n0 + 2))

# --- list
C list > "$T/list.txt"
check "list shows the expired entry first" sh -c "sed -n 2p '$T/list.txt' | grep -q '^expired'"
check "list has a header" grep -q '^STATUS' "$T/list.txt"
check "api entry's expiry is set by its intermediate" sh -c "grep api-example-com '$T/list.txt' | grep -q '2026-06-30'"
check "list says chain expiry" grep -q 'chain certificate' "$T/list.txt"
C list --json > "$T/list.json"
check "list --json is valid JSON" test "$(json_q "$T/list.json" 'json_valid(j)')" = 1
check "list --json has 6 entries" test "$(json_q "$T/list.json" 'json_array_length(j)')" = 6
check "first entry is expired" test "$(json_q "$T/list.json" "json_extract(j,'\$[0].status')")" = expired
check "days_left rounds down" test "$(json_q "$T/list.json" "json_extract(j,'\$[0].days_left')")" = -2
check "crit is critical" test "$(json_q "$T/list.json" "json_extract(j,'\$[1].name') || json_extract(j,'\$[1].status')")" = crit-example-comcritical
for f in name subject issuer serial not_before not_after days_left status fingerprint_sha256 sans key_type key_bits signature_algorithm is_ca owner tags endpoints; do
	check "list --json has $f" test "$(json_q "$T/list.json" "json_type(j,'\$[0].$f') IS NOT NULL")" = 1
done
fp=$(json_q "$T/list.json" "json_extract(j,'\$[0].fingerprint_sha256')")
check "fingerprint is 64 lowercase hex digits" sh -c "echo '$fp' | grep -Eqx '[0-9a-f]{64}'"
check "fingerprint matches openssl" test "$(json_q "$T/list.json" "json_extract(j,'\$[0].fingerprint_sha256')")" = "$(openssl x509 -in "$T/c/expired.pem" -outform DER | sha256sum | cut -c1-64)"
check "not_after is RFC 3339 UTC" test "$(json_q "$T/list.json" "json_extract(j,'\$[0].not_after')")" = 2026-05-31T00:00:00Z
check "sans is an array" test "$(json_q "$T/list.json" "json_extract(j,'\$[0].sans[0]')")" = DNS:expired.example.com
check "--expiring 25" test "$(count C list --json --expiring 25)" = 3
check "--expiring 30 takes the chain's expiry" test "$(count C list --json --expiring 30)" = 4
check "--status critical" test "$(count C list --json --status critical)" = 1
check "--status warning --status ok" test "$(count C list --json --status warning --status ok)" = 4
check "--filter on owner" sh -c "'$CERTDECK' -C '$I' list --filter ALICE | grep -q ok-example-com"
check "--filter on issuer" sh -c "'$CERTDECK' -C '$I' list --filter 'test intermediate' | grep -q api-example-com"
check "--sort name" sh -c "'$CERTDECK' -C '$I' list --sort name | sed -n 2p | grep -q api-example-com"
check "--sort name --reverse" sh -c "'$CERTDECK' -C '$I' list --sort name --reverse | sed -n 2p | grep -q warn-example-com"
check_out "bad --status refused" "expected expired, critical" C list --status soon
check_out "bad --sort refused" "expected expiry" C list --sort colour

# --- time travel
first=$(git -C "$I" rev-list --max-parents=0 HEAD)
check "--at the first commit is empty" test "$(count C list --json --at "$first")" = 0
check "--at HEAD~1 lacks the CA" sh -c "! '$CERTDECK' -C '$I' list --at HEAD~1 | grep -q test-root"
check "--at HEAD~1 has api" sh -c "'$CERTDECK' -C '$I' list --at HEAD~1 | grep -q api-example-com"
check "--at a date before everything" test "$(C list --at 2000-01-01 2>&1 | grep -c 'no commit')" = 1
check "--at today's date is everything" test "$(count C list --json --at "$(date -u +%Y-%m-%d)")" = 6
check_out "--at nonsense" "unknown revision" C list --at no-such-rev

# --- show
check_out "show prints fields" "sha256" C show api-example-com
check_out "show prints the chain" "Test Intermediate" C show api-example-com
check_out "show prints metadata" "alice" C show ok-example-com
check_out "show prints history" "import" C show ok-example-com
C show --json api-example-com > "$T/show.json"
check "show --json is valid" test "$(json_q "$T/show.json" 'json_valid(j)')" = 1
check "show --json chain has the intermediate" test "$(json_q "$T/show.json" "json_extract(j,'\$.chain[0].subject_cn')")" = "Test Intermediate"
check "show --pem round-trips" sh -c "'$CERTDECK' -C '$I' show --pem api-example-com | cmp - '$T/c/chain.pem'"
check_out "show of a missing entry" "no such entry" C show nope

# --- set
n0=$(commits "$I")
check "set owner and tags" C set ok-example-com owner=bob "tags=web,prod"
check "set is one commit" test "$(commits "$I")" = $((n0 + 1))
check "tags sorted" grep -q '^tags = prod,web$' "$I"/certs/*/ok-example-com/entry
check "tags+=" C set ok-example-com tags+=edge
check "tags-=" C set ok-example-com tags-=prod
check "tags now edge,web" grep -q '^tags = edge,web$' "$I"/certs/*/ok-example-com/entry
check "endpoints" C set ok-example-com "endpoints=ok.example.com:443,[::1]:8443@ok.example.com,mail.example.com:25/smtp"
check_out "endpoints canonical" "[::1]:8443@ok.example.com" cat "$I"/certs/*/ok-example-com/entry
n0=$(commits "$I")
check_out "unknown key refused" "unknown key" C set ok-example-com colour=blue
check_out "bad endpoint refused" "port must be" C set ok-example-com endpoints=host:99999
check_out "bad starttls refused" "unknown STARTTLS" C set ok-example-com endpoints=host:25/smtps
check_out "relative key-path refused" "absolute path" C set ok-example-com key-path=relative.key
check "refusals made no commit" test "$(commits "$I")" = "$n0"
check_out "same value is no change" "nothing changed" C set ok-example-com owner=bob
check "no commit when nothing changed" test "$(commits "$I")" = "$n0"
check "commit subject says what" sh -c "git -C '$I' log -1 --format=%s HEAD | grep -q '^set ok-example-com'"
check "commit has trailers" sh -c "git -C '$I' log -1 --format=%B | grep -q '^Certdeck-Action: set'"
check "author is git's identity" test "$(git -C "$I" log -1 --format=%an)" = "Test Operator"
check "index follows set" test "$(sqlite3 "$I/.certdeck/index.db" "SELECT owner FROM entries WHERE name='ok-example-com'")" = bob

# --- newer certificate, --into
cert_at 2026-05-20 400 "$T/c/ok2" ok.example.com
n0=$(commits "$I")
check_out "newer cert for an entry is recognised" "--into ok-example-com" C import "$T/c/ok2.pem"
check "and not imported as a duplicate entry" test "$(commits "$I")" = "$n0"
check "--into replaces it" C import --into ok-example-com "$T/c/ok2.pem"
check "replace commit subject" sh -c "git -C '$I' log -1 --format=%s | grep -q '^replace ok-example-com: expires'"
check "metadata kept across replace" grep -q '^owner = bob$' "$I"/certs/*/ok-example-com/entry
check_out "--into an older cert refused" "not newer" C import --into ok-example-com "$T/c/ok.pem"
n0=$(commits "$I")
check_out "--into with another entry's certificate: already present" "already in the inventory as ok-example-com" C import --into warn-example-com "$T/c/ok2.pem"
check "and not copied into it" test "$(commits "$I")" = "$n0"
C import --into nosuch "$T/c/ok2.pem" >/dev/null 2>"$T/into.err"
check "--into an entry that does not exist: refused (exit 1), whatever the certificate" test $? = 1
check_out "... as no such entry" "nosuch: no such entry" cat "$T/into.err"

# --- log
check_out "log lists history" "import" C log
check_out "log NAME" "set ok-example-com" C log ok-example-com
C log --json > "$T/log.json"
check "log --json valid" test "$(json_q "$T/log.json" 'json_valid(j)')" = 1
check "log --json has the action" test "$(json_q "$T/log.json" "json_extract(j,'\$[0].action')")" = replace
check "log -n 2" test "$(C log -n 2 | wc -l)" = 2

# --- rm
n0=$(commits "$I")
check "rm" C rm warn-example-com
check "rm is one commit" test "$(commits "$I")" = $((n0 + 1))
check "rm removed the directory" sh -c "! ls -d '$I'/certs/*/warn-example-com 2>/dev/null"
check_out "rm missing" "no such entry" C rm warn-example-com
check "log of a removed entry still works" sh -c "'$CERTDECK' -C '$I' log warn-example-com 2>/dev/null | grep -q 'rm warn-example-com'"

# --- git is the truth
check "git clean and fsck'd after all that" git_clean
check "fsck is clean" C fsck
git clone -q "$I" "$T/clone"
"$CERTDECK" -C "$T/clone" list >/dev/null 2>&1
"$CERTDECK" -C "$T/clone" set crit-example-com owner=carol >/dev/null
git -C "$T/clone" push -q origin HEAD:refs/heads/incoming 2>/dev/null
git -C "$I" merge -q --ff-only incoming 2>/dev/null
check "a git pull is picked up" sh -c "'$CERTDECK' -C '$I' list --json | grep -q carol"
sed -i 's/^owner = carol$/owner = dave/' "$I"/certs/*/crit-example-com/entry
git -C "$I" commit -qam "hand edit"
check "a commit made by hand is picked up" sh -c "'$CERTDECK' -C '$I' list --json | grep -q dave"
check_out "log shows a hand commit as git" "git" C log -n 1
crit_entry=$(ls "$I"/certs/*/crit-example-com/entry)
echo "owner = eve" >> "$crit_entry"
check_out "fsck reports an uncommitted hand edit" "modified" C fsck
check_out "a change to that entry is refused, not overwritten" "uncommitted changes" C set crit-example-com owner=frank
check "the hand edit is still there" grep -q 'owner = eve' "$I"/certs/*/crit-example-com/entry
git -C "$I" checkout -q -- .
rm "$I/.certdeck/index.db"
check "a lost index is rebuilt" sh -c "'$CERTDECK' -C '$I' list | grep -q api-example-com"
sqlite3 "$I/.certdeck/index.db" "DELETE FROM entries WHERE name='api-example-com'"
check_out "fsck finds a damaged index" "missing from the index" C fsck
check "fsck --repair mends it" C fsck --repair
check "repaired index has the entry" sh -c "'$CERTDECK' -C '$I' list | grep -q api-example-com"
# The list's order and the counts per status read each entry's copy of
# its file's expiry (entries.eff_not_after): a damaged one is found.
C list >"$T/list.good"
sqlite3 "$I/.certdeck/index.db" "UPDATE entries SET eff_not_after = 1 WHERE name='api-example-com'"
check_out "fsck finds a damaged expiry in the index" "1 entry has an expiry other than" C fsck
check "fsck --repair mends that too" C fsck --repair
check_out "and then finds nothing" "inventory is consistent" C fsck
check "the list is in its order again" sh -c "'$CERTDECK' -C '$I' list | cmp -s - '$T/list.good'"
# An index that is not a database at all: moved aside, rebuilt, said.
echo garbage >"$I/.certdeck/index.db"
C list >"$T/list.now" 2>"$T/idx.err"
check "an index that is not a database: the list still works" cmp -s "$T/list.now" "$T/list.good"
check "... saying it was moved aside and rebuilt" grep -q 'index.db: file is not a database; moved aside to .*index.db.broken, and rebuilt from HEAD' "$T/idx.err"
check "... once, naming the file once" test "$(grep -o 'index.db' "$T/idx.err" | wc -l)" = 2
check "... kept for a look" grep -qx garbage "$I/.certdeck/index.db.broken"
# Damaged inside (pages overwritten): fsck finds it, --repair replaces it.
# (Page 2, the first table's root, after a checkpoint puts every page in
# the file.)
sqlite3 "$I/.certdeck/index.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
printf '\377%.0s' $(seq 4096) | dd of="$I/.certdeck/index.db" bs=4096 seek=1 count=1 conv=notrunc 2>/dev/null
check_out "fsck finds an index damaged inside" "index: damaged (SQLite:" C fsck
check "fsck --repair replaces it" C fsck --repair
check_out "and then finds nothing" "inventory is consistent" C fsck
check "the list is as it was" sh -c "'$CERTDECK' -C '$I' list | cmp -s - '$T/list.good'"
# An index of the version before (schema 2, without those copies) is
# migrated where it stands: nothing is parsed again, nothing observed is
# lost, and it lists the same.
sqlite3 "$I/.certdeck/index.db" "INSERT INTO probes(endpoint, entry, time, ok, kind) VALUES('x.test:443', 'api-example-com', 1, 0, 'refused')"
sqlite3 "$I/.certdeck/index.db" "DROP INDEX entries_expiry; ALTER TABLE entries DROP COLUMN leaf_not_before; ALTER TABLE entries DROP COLUMN eff_not_after; PRAGMA user_version = 2"
check_out "an index of schema 2 is migrated, not parsed again" "parsed 0 certificates" env CERTDECK_STATS=1 "$CERTDECK" -C "$I" list
check "it is at schema 3" test "$(sqlite3 "$I/.certdeck/index.db" 'PRAGMA user_version')" = 3
check "its probes are kept" test "$(sqlite3 "$I/.certdeck/index.db" "SELECT count(*) FROM probes WHERE endpoint = 'x.test:443'")" = 1
check "it lists as before" sh -c "'$CERTDECK' -C '$I' list | cmp -s - '$T/list.good'"
check_out "fsck finds it consistent" "inventory is consistent" C fsck

# The parse cache: an index at HEAD parses nothing; a pull that brings new
# certificates parses just those.
check_out "an index at HEAD parses no certificate" "parsed 0 certificates" env CERTDECK_STATS=1 "$CERTDECK" -C "$I" list
cert_at 2026-05-01 200 "$T/c/p1" pulled1.example.com
cert_at 2026-05-01 200 "$T/c/p2" pulled2.example.com
git -C "$T/clone" pull -q --ff-only origin main 2>/dev/null || git -C "$T/clone" pull -q origin HEAD 2>/dev/null
"$CERTDECK" -C "$T/clone" import "$T/c/p1.pem" "$T/c/p2.pem" >/dev/null
git -C "$T/clone" push -q origin HEAD:refs/heads/incoming2 2>/dev/null
git -C "$I" merge -q --ff-only incoming2 2>/dev/null
check_out "a pull of two new certificates parses two" "parsed 2 certificates" env CERTDECK_STATS=1 "$CERTDECK" -C "$I" list
check "and they are listed" sh -c "'$CERTDECK' -C '$I' list | grep -q pulled2-example-com"

# Directories committed by hand where no entry can be (not under the
# shard its name hashes to; a name that is not valid) are no entries:
# said, not indexed (set and rm act on the name's own place), and fsck
# reports them as problems its repair cannot mend.
cert_at 2026-05-01 90 "$T/c/hand1" hand1.example.com
cert_at 2026-05-01 90 "$T/c/hand2" hand2.example.com
mkdir -p "$I/certs/00/wrong-shard" "$I/certs/00/BadName"
cp "$T/c/hand1.pem" "$I/certs/00/wrong-shard/cert.pem"
cp "$T/c/hand2.pem" "$I/certs/00/BadName/cert.pem"
git -C "$I" add certs && git -C "$I" commit -qm "two entries by hand, misplaced"
C list >"$T/hand.out" 2>"$T/hand.err"
check "misplaced by hand: not listed" sh -c "! grep -q -e wrong-shard -e BadName '$T/hand.out'"
check_out "... said: not where its name hashes to" "certs/00/wrong-shard: not in the directory its name hashes to (its place: certs/" cat "$T/hand.err"
check_out "... said: not a valid name" "certs/00/BadName: not a valid entry name; no entry until it is moved (git mv)" cat "$T/hand.err"
check_out "set does not write one elsewhere" "no such entry" C set wrong-shard owner=z
check "list --at does not show them either" sh -c "! '$CERTDECK' -C '$I' list --at HEAD 2>/dev/null | grep -q -e wrong-shard -e BadName"
# One named as a real entry, in the wrong shard: the entry stays itself.
fake=00
[ "$(printf %s ok-example-com | sha256sum | cut -c1-2)" = 00 ] && fake=01
mkdir -p "$I/certs/$fake/ok-example-com"
cp "$T/c/hand1.pem" "$I/certs/$fake/ok-example-com/cert.pem"
git -C "$I" add certs && git -C "$I" commit -qm "a copy of ok-example-com's name, misplaced"
git -C "$I" rm -rq "certs/$fake/ok-example-com" && git -C "$I" commit -qm "gone again"
check "list --at the commit with a misplaced namesake keeps the entry's own certificate" sh -c "'$CERTDECK' -C '$I' list --at HEAD~1 2>/dev/null | grep ok-example-com | grep -qF ' ok.example.com '"
check "and list --at the commit after keeps it too" sh -c "'$CERTDECK' -C '$I' list --at HEAD 2>/dev/null | grep -q ok-example-com"
C fsck >"$T/hand.fsck" 2>&1
check "fsck reports both" test "$(grep -c 'no entry until it is moved' "$T/hand.fsck")" = 2
check "and nothing else" grep -q '^2 problems found' "$T/hand.fsck"
check "... and that a rebuild is no cure" grep -qx '2 problems found; rebuilding the index would not mend them' "$T/hand.fsck"
C fsck --repair >"$T/hand.fsck" 2>&1
check "fsck --repair leaves them, and says so (exit 1)" test $? = 1
check "... each told once" test "$(grep -c 'no entry until it is moved' "$T/hand.fsck")" = 2
check "... and nothing rebuilt" grep -qx '2 problems found; rebuilding the index would not mend them' "$T/hand.fsck"
# Behind HEAD as well: the rebuild runs, and no warning is told twice.
sh=$(printf %s hand-later | sha256sum | cut -c1-2)
mkdir -p "$I/certs/$sh/hand-later"
echo "not a certificate" >"$I/certs/$sh/hand-later/cert.pem"
git -C "$I" add certs && git -C "$I" commit -qm "an entry by hand that does not parse"
C fsck >"$T/hand.fsck" 2>&1
check "fsck behind HEAD tells the misplaced directories too" test "$(grep -c 'no entry until it is moved' "$T/hand.fsck")" = 2
check "... and that a rebuild helps" grep -q '^3 problems found (certdeck fsck --repair rebuilds the index)' "$T/hand.fsck"
C fsck --repair >"$T/hand.fsck" 2>&1
check "fsck --repair behind HEAD: exit 1, what is left" test $? = 1
check "... each misplaced directory told once" test "$(grep -c 'no entry until it is moved' "$T/hand.fsck")" = 2
check "... the rebuild's find told once, with its reason" test "$(grep -c 'hand-later: cert.pem' "$T/hand.fsck")" = 1
check "... which is the rebuild's reason" grep -q 'hand-later: cert.pem: no certificate found' "$T/hand.fsck"
check "... and counted" grep -qx '4 problems found, 3 left after repair' "$T/hand.fsck"
git -C "$I" rm -rq "certs/$sh/hand-later" && git -C "$I" commit -qm "gone again"
want=$(printf %s wrong-shard | sha256sum | cut -c1-2)
mkdir -p "$I/certs/$want"
git -C "$I" mv certs/00/wrong-shard "certs/$want/wrong-shard"
git -C "$I" rm -rq certs/00/BadName
git -C "$I" commit -qm "put right by hand"
check "moved to its place, it is an entry" sh -c "'$CERTDECK' -C '$I' list 2>/dev/null | grep -q wrong-shard"
check_out "and fsck is content" "inventory is consistent" C fsck

# A bulk import (1,000 input files or more) runs itself again with glibc's
# heap on transparent huge pages (cli/heap.c), when the kernel offers them
# on advice; a small one does not, nor one whose GLIBC_TUNABLES already
# says anything of it. 1,000 copies of one certificate: one entry.
H=$T/heapinv
mkdir -p "$T/heap"
awk -v d="$T/heap" -v f="$T/c/ok.pem" 'BEGIN { while ((getline l < f) > 0) s = s l "\n";
    for (i = 0; i < 1000; i++) { p = d "/" i ".pem"; printf "%s", s > p; close(p) } }'
nohuge() { grep -q 'stats: parsed' "$T/heap.out" && ! grep -q 'heap on huge pages' "$T/heap.out"; }
"$CERTDECK" init "$H" >/dev/null
if grep -q -e '\[always\]' -e '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	check_out "a bulk import runs on huge pages" "heap on huge pages" env CERTDECK_STATS=1 GLIBC_TUNABLES=glibc.malloc.check=0 "$CERTDECK" -C "$H" import "$T/heap"
	check "and imports as ever: one entry" test "$(sqlite3 "$H/.certdeck/index.db" 'SELECT count(*) FROM entries')" = 1
	check "in one commit" test "$(commits "$H")" = 2
	# Run again through /proc/self/exe, the kernel names it "exe": it
	# takes back its own name. Seen while it waits on its standard input,
	# a FIFO held open here (bounded: 10 s, then the FIFO is closed).
	"$CERTDECK" init "$T/heapinv5" >/dev/null
	mkfifo "$T/heap.fifo"
	"$CERTDECK" -C "$T/heapinv5" import "$T/heap" - <"$T/heap.fifo" >/dev/null 2>&1 &
	hp=$!
	exec 7>"$T/heap.fifo"
	# Waiting: read(2) on fd 0 (syscall 0 on x86-64, 63 on arm64), or
	# a pipe read by the kernel's wchan.
	comm=
	for i in $(seq 300); do
		if tr '\0' '\n' <"/proc/$hp/environ" 2>/dev/null | grep -q '^CERTDECK_HEAP_TUNED=' &&
		    { cat /proc/$hp/task/*/syscall 2>/dev/null | grep -qE '^(0|63) 0x0 ' ||
		    cat /proc/$hp/task/*/wchan 2>/dev/null | grep -q 'pipe_read'; }; then
			comm=$(cat "/proc/$hp/comm")
			break
		fi
		sleep 0.1
	done
	exec 7>&-
	wait $hp
	if [ -n "$comm" ]; then
		check "and keeps its name for ps and pkill (was: $comm)" test "$comm" = "$(basename "$CERTDECK" | cut -c1-15)"
	else
		ok "skipped: the import was not seen waiting on its input in 30 s (/proc/PID/syscall and wchan unreadable here?)"
	fi
else
	echo "# the kernel offers no transparent huge pages: the bulk case is not run"
fi
rm "$T/heap/999.pem"
"$CERTDECK" init "$T/heapinv2" >/dev/null
CERTDECK_STATS=1 "$CERTDECK" -C "$T/heapinv2" import "$T/heap" >"$T/heap.out" 2>&1
check "999 files do not" nohuge
CERTDECK_STATS=1 "$CERTDECK" -C "$T/heapinv2" list >"$T/heap.out" 2>&1
check "nor does another command" nohuge
cp "$T/c/warn.pem" "$T/heap/999.pem"
CERTDECK_STATS=1 GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "$CERTDECK" -C "$T/heapinv2" import "$T/heap" >"$T/heap.out" 2>&1
check "nor an import whose GLIBC_TUNABLES says hugetlb" nohuge
check "which imports the new certificate" test "$(sqlite3 "$T/heapinv2/.certdeck/index.db" 'SELECT count(*) FROM entries')" = 2
"$CERTDECK" init "$T/heapinv3" >/dev/null
CERTDECK_STATS=1 CERTDECK_HEAP_TUNED=1 "$CERTDECK" -C "$T/heapinv3" import "$T/heap" >"$T/heap.out" 2>&1
check "nor one whose environment holds a marker not its own" nohuge
# Started by the dynamic loader (/proc/self/exe is ld.so then): not run
# again, and it imports.
ld=$(ldd "$CERTDECK" | awk '/ld-linux/ { print $1 }')
"$CERTDECK" init "$T/heapinv4" >/dev/null
check "run through the dynamic loader, a bulk import still imports" sh -c "'$ld' '$CERTDECK' -C '$T/heapinv4' import '$T/heap' >/dev/null 2>&1"
check "both certificates" test "$(sqlite3 "$T/heapinv4/.certdeck/index.db" 'SELECT count(*) FROM entries')" = 2
