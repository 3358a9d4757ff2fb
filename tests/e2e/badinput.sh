# badinput.sh: every kind of bad input gets a one-line error naming the
# input and the reason, imports nothing of that input, and the rest of the
# batch still goes in. Then the whole seed corpus, and hostile text.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
C init >/dev/null
B=$T/bad
mkdir -p "$B"
: > "$B/empty.pem"
echo "just some text, no certificate here" > "$B/text.txt"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$B/key.pem" 2>/dev/null
openssl req -new -key "$B/key.pem" -subj /CN=csr.example.com -out "$B/req.csr" 2>/dev/null
head -c 3000 /dev/urandom > "$B/garbage.der"
cert_at 2026-05-01 100 "$T/good" good.example.com
openssl x509 -in "$T/good.pem" -outform DER -out "$T/good.der"
head -c 200 "$T/good.der" > "$B/truncated.der"
head -c 11534336 /dev/zero > "$B/huge.pem"
ln -s loop1 "$B/loop2"; ln -s loop2 "$B/loop1"
cp "$T/good.der" "$B/good.der"

C import "$B"/empty.pem "$B"/text.txt "$B"/key.pem "$B"/req.csr "$B"/garbage.der \
	"$B"/truncated.der "$B"/huge.pem "$B"/loop1 "$B/does-not-exist" "$B"/good.der \
	> "$T/out" 2> "$T/err"
rc=$?
check "a batch with bad inputs exits 1" test "$rc" = 1
check "the good file in the batch went in" sh -c "'$CERTDECK' -C '$I' list | grep -q good-example-com"
check "only the good one made an entry" test "$(sqlite3 "$I/.certdeck/index.db" 'SELECT count(*) FROM entries')" = 1
expect() { # FILE REASON
	if grep -F "$1" "$T/err" | grep -qiF "$2"; then ok "$1: $2"
	else not_ok "$1: $2"; grep -F "$1" "$T/err" | sed 's/^/# /'; fi
}
expect empty.pem "empty"
expect text.txt "no certificate"
expect key.pem "private key"
expect req.csr "request"
expect garbage.der ""
expect truncated.der ""
expect huge.pem "10 MiB"
expect loop1 "loop"
expect does-not-exist "No such file"
check "each error is one line naming its file" test "$(grep -c "^certdeck: import: $B/" "$T/err")" -ge 9
check "no private key was stored" sh -c "! git -C '$I' log --all -p | grep -q 'PRIVATE KEY'"

# Name collisions and bad names.
cert_at 2026-05-01 100 "$T/other" other.example.com
check_out "--name that collides" "taken" C import --name good-example-com "$T/other.pem"
check_out "--name that is invalid" "invalid entry name" C import --name "Bad Name" "$T/other.pem"
check_out "--name with several certificates" "names one entry" C import --name x "$T/other.pem" "$T/c2.pem" "$T/good.pem"

# Directories that are not usable inventories.
check_out "missing inventory" "No such file" "$CERTDECK" -C "$T/missing" import "$T/other.pem"
check_out "not an inventory" "not a certdeck inventory" "$CERTDECK" -C "$B" import "$T/other.pem"
mkdir -p "$T/plaingit" && git -C "$T/plaingit" init -q
"$CERTDECK" -C "$T/plaingit" list >/dev/null 2>"$T/plaingit.err"
check "a plain git repository: not an inventory (exit 2)" test $? = 2
check_out "... and init is not offered on it (it would refuse)" "a git repository, but not a certdeck inventory (no certdeck.conf); make one elsewhere with: certdeck init NEWDIR" cat "$T/plaingit.err"

# Unreadable files and a read-only inventory: root reads everything, so
# these run as an unprivileged user where the machine has one.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	R=$T/ro
	mkdir -p "$R"
	cp "$T/other.pem" "$R/secret.pem"; chmod 000 "$R/secret.pem"
	cp "$T/good.pem" "$R/fine.pem"
	"$CERTDECK" -C "$R/inv" init >/dev/null
	chown -R nobody "$R"
	chmod 755 "$T"
	NB() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$R" "$@"; }
	# Its commits, read as root: git refuses another user's repository
	# unless told it is safe (and would print nothing to compare).
	rcommits() { git -c safe.directory='*' -C "$R/inv" rev-list --count HEAD; }
	NB "$CERTDECK" -C "$R/inv" import "$R/secret.pem" "$R/fine.pem" > /dev/null 2> "$T/err2"
	check_out "unreadable file named with its reason" "Permission denied" cat "$T/err2"
	sed "s/^/# err2: /" "$T/err2"
	check "the readable one still went in" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups '$CERTDECK' -C '$R/inv' list | grep -q good-example-com"
	chmod -R a-w "$R/inv"
	n0=$(rcommits)
	check_out "read-only inventory is a clear error" "$R/inv" NB "$CERTDECK" -C "$R/inv" import "$T/other.pem"
	check "read-only inventory unchanged" test "$(rcommits)" = "$n0"
	# Reading it needs no write: list, show and log work from the index
	# as it stands (SQLite opens it immutable: no lock, no -shm file).
	NB "$CERTDECK" -C "$R/inv" list >"$T/ro.out" 2>"$T/ro.err"
	check "read-only inventory: list works" grep -q good-example-com "$T/ro.out"
	check "... quietly" test ! -s "$T/ro.err"
	check "read-only inventory: show works" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME='$R' '$CERTDECK' -C '$R/inv' show good-example-com | grep -q 'days left'"
	check "read-only inventory: log works" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME='$R' '$CERTDECK' -C '$R/inv' log | grep -q import"
	check "read-only inventory: no file made in it" test -z "$(find "$R/inv/.certdeck" -newer "$T/ro.out" 2>/dev/null)"
	# Behind HEAD (a commit it cannot index): shown as of the index's
	# commit, and said.
	git -C "$R/inv" -c safe.directory='*' commit -q --allow-empty -m "by hand"
	NB "$CERTDECK" -C "$R/inv" list >"$T/ro.out" 2>"$T/ro.err"
	check "read-only and behind HEAD: list still works" grep -q good-example-com "$T/ro.out"
	check_out "... saying which commit it shows" "read-only here and behind HEAD: showing the inventory as of" cat "$T/ro.err"
	# A monitor on a read-only replica: the verdict, not recorded.
	NB "$CERTDECK" -C "$R/inv" audit --nagios >"$T/ro.nag" 2>/dev/null
	check "read-only: audit --nagios gives a verdict (not UNKNOWN)" sh -c "test \$? -le 2 && grep -q '^CERTDECK \(OK\|WARNING\|CRITICAL\) - ' '$T/ro.nag'"
	NB "$CERTDECK" -C "$R/inv" audit >"$T/ro.aud" 2>/dev/null
	check_out "read-only: audit says it did not record the findings" "not recorded: the inventory cannot be written here" cat "$T/ro.aud"
	check "read-only: audit/findings untouched" test "$(rcommits)" = "$((n0 + 1))"
	check "read-only: a path beginning with // (a URI authority to SQLite) reads too" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME='$R' '$CERTDECK' -C '/$R/inv' list 2>/dev/null | grep -q good-example-com"
	# Only the index not writable (git is): a change would run on an
	# index it cannot bring up to HEAD, so none is made.
	chmod -R u+w "$R/inv"
	chmod a-w "$R/inv/.certdeck/index.db"
	chown root "$R/inv/.certdeck/index.db"
	n0=$(rcommits)
	NB "$CERTDECK" -C "$R/inv" set good-example-com owner=late >/dev/null 2>"$T/ro.err"
	check "index not writable: a change is refused (exit 2)" test $? = 2
	check_out "... saying why" "index.db cannot be written here: no change can be made" cat "$T/ro.err"
	check "... and nothing committed" test "$(rcommits)" = "$n0"
	chown nobody "$R/inv/.certdeck/index.db"
	chmod u+w "$R/inv/.certdeck/index.db"
	# The index writable, its directory not (SQLite cannot make -wal and
	# -shm beside it): read as it stands, and no change.
	chmod a-w "$R/inv/.certdeck"
	NB "$CERTDECK" -C "$R/inv" list >"$T/ro.out" 2>"$T/ro.err"
	check "index directory not writable: list works" grep -q good-example-com "$T/ro.out"
	NB "$CERTDECK" -C "$R/inv" set good-example-com owner=late >/dev/null 2>"$T/ro.err"
	check "... a change is refused (exit 2)" test $? = 2
	check_out "... saying why" "index.db cannot be written here: no change can be made" cat "$T/ro.err"
	check "... and nothing committed" test "$(rcommits)" = "$n0"
	chmod -R u+w "$R"
	# Another user's inventory (root's, read by nobody): git's
	# safe.directory says whether to read it; libgit2 1.5 takes no "*".
	"$CERTDECK" init "$R/roots" >/dev/null
	"$CERTDECK" -C "$R/roots" import "$T/other.pem" >/dev/null 2>&1
	chown -R root "$R/roots"
	mkdir -p "$R/nbhome" && chown nobody "$R/nbhome"
	NBH() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$R/nbhome" "$@"; }
	NBH "$CERTDECK" -C "$R/roots" list >/dev/null 2>"$T/own.err"
	check "another user's inventory: exit 2" test $? = 2
	check_out "... saying whose and how to allow it" "belongs to another user (uid 0), and git reads such a repository only when told to; if you trust it: git config --global --add safe.directory $R/roots" cat "$T/own.err"
	check "... not offering init" sh -c "! grep -q 'certdeck init' '$T/own.err'"
	printf '[safe]\n\tdirectory = *\n' >"$R/nbhome/.gitconfig"
	check "safe.directory = * lets it be read" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME='$R/nbhome' '$CERTDECK' -C '$R/roots' list 2>/dev/null | grep -q other"
	printf '[safe]\n\tdirectory = *\n\tdirectory =\n' >"$R/nbhome/.gitconfig"
	check "... and an empty one after it takes that back, as in git" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME='$R/nbhome' '$CERTDECK' -C '$R/roots' list >/dev/null 2>&1"
	printf '[safe]\n\tdirectory = %s\n' "$R/roots" >"$R/nbhome/.gitconfig"
	check "safe.directory naming it lets it be read" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME='$R/nbhome' '$CERTDECK' -C '$R/roots' list 2>/dev/null | grep -q other"
else
	ok "skipped: unreadable and read-only cases need root and setpriv"
fi

# Every seed certificate: imported or refused with a reason, never a crash.
S="$TOP/../shared/corpora/seeds"
if [ -d "$S" ]; then
	"$CERTDECK" -C "$T/seeds" init >/dev/null
	total=0 crashed=0
	for f in $(tail -n +2 "$S/MANIFEST.tsv" | cut -f1); do
		total=$((total + 1))
		"$CERTDECK" -C "$T/seeds" import "$S/$f" > "$T/s.out" 2> "$T/s.err"
		rc=$?
		if [ $rc -gt 1 ] || { [ $rc = 1 ] && ! grep -q "$f: ." "$T/s.err"; }; then
			crashed=$((crashed + 1))
			echo "# $f: exit $rc"; sed 's/^/#   /' "$T/s.err" | head -3
		fi
	done
	check "all $total seed files imported or refused with a reason" test "$crashed" = 0
	check "seed inventory is consistent" "$CERTDECK" -C "$T/seeds" fsck
	check "seed inventory lists" sh -c "'$CERTDECK' -C '$T/seeds' list --json > '$T/seeds.json'"
	check "seed listing is valid JSON" test "$(json_q "$T/seeds.json" 'json_valid(j)')" = 1
	check "ML-DSA keys are named" sh -c "grep -q 'ML-DSA' '$T/seeds.json'"
	# Each one-certificate seed's key and signature algorithm as
	# `openssl x509` read them (MANIFEST.tsv), found by fingerprint.
	python3 - "$S" "$T/seeds.json" >"$T/seeds.cmp" <<'PY'
import base64, hashlib, json, re, sys
seeds, listing = sys.argv[1], sys.argv[2]
by_fp = {e["fingerprint_sha256"]: e for e in json.load(open(listing))}
types = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC", "dsaEncryption": "DSA",
         "rsassaPss": "RSA-PSS", "ED25519": "ED25519", "ED448": "ED448",
         "X25519": "X25519"}
n = bad = 0
for row in open(seeds + "/MANIFEST.tsv").read().splitlines()[1:]:
    f, _, _, fmt, parsed, sig, pub, _ = row.split("\t")
    if parsed != "ok" or fmt not in ("PEM", "PEM+text", "DER"):
        continue
    data = open(seeds + "/" + f, "rb").read()
    if fmt != "DER":
        m = re.search(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----"
                      rb"(.*?)-----END", data, re.S)
        if m is None:
            continue
        data = base64.b64decode(b"".join(m.group(1).split()))
    e = by_fp.get(hashlib.sha256(data).hexdigest())
    words = pub.split()
    if e is None or not words or words[0] not in types:
        continue
    want = {"key_type": types[words[0]], "signature_algorithm": sig}
    if len(words) > 1 and words[1].isdigit():
        want["key_bits"] = int(words[1])
    if len(words) > 2:
        want["key_curve"] = words[2]
    n += 1
    for k, v in want.items():
        if e[k] != v:
            bad += 1
            print("# %s: %s is %r, openssl says %r" % (f, k, e[k], v))
print("compared %d %d" % (n, bad))
PY
	sed -n 's/^# /# /p' "$T/seeds.cmp" | head -20
	check "seed keys and signatures read as openssl reads them ($(sed -n 's/^compared \([0-9]*\).*/\1/p' "$T/seeds.cmp") certificates)" \
		sh -c "grep -q '^compared [1-9][0-9]* 0$' '$T/seeds.cmp'"
	check "git fsck on the seed inventory" git -C "$T/seeds" fsck --strict
else
	ok "skipped: no seed corpus at $S"
fi

# Hostile text in a certificate never reaches the terminal raw.
ESC=$(printf '\033') BEL=$(printf '\007') SOH=$(printf '\001') FF=$(printf '\377')
faketime -f '@2026-05-01 00:00:00' openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/evil.key" -out "$T/evil.pem" -days 100 -utf8 \
	-subj "/CN=evil${ESC}[31mred${ESC}]0;title${BEL}x/O=bad${SOH}org" \
	-addext "subjectAltName=DNS:bad${FF}${ESC}[2Jx.example.com" 2>/dev/null
check "a certificate with escape sequences imports" C import --name evil "$T/evil.pem"
for cmd in "list" "list --json" "show evil" "show --json evil" "log"; do
	C $cmd > "$T/out" 2>&1
	check "$cmd: no ESC, BEL or C1 bytes" sh -c "! LC_ALL=C grep -q \"\$(printf '[\\033\\007\\001]')\" '$T/out'"
	check "$cmd: output is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$T/out" -o /dev/null
done
check_out "escapes are shown visibly" '\x1b' C show evil
git -C "$I" log -1 --format=%B >"$T/out"
check "the commit message holds no ESC, BEL or C1 byte either (git log is a terminal's too)" sh -c "! LC_ALL=C grep -q \"\$(printf '[\\033\\007\\001]')\" '$T/out'"
# A right-to-left override reorders what follows it on the screen.
RLO=$(printf '\342\200\256')
faketime -f '@2026-05-01 00:00:00' openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/rlo.key" -out "$T/rlo.pem" -days 100 -utf8 \
	-subj "/CN=invoice${RLO}fdp.exe" 2>/dev/null
C import --name rlo "$T/rlo.pem" >/dev/null
git -C "$I" log -1 --format=%B >"$T/out"
check "a bidi override in a certificate is escaped in the commit message" sh -c "grep -qF 'CN=invoice\\u{202e}fdp.exe' '$T/out' && ! grep -qF '$RLO' '$T/out'"
