# hsm.sh: private keys in a PKCS#11 token: SoftHSM2 with a token made in
# $T (SOFTHSM2_CONF), reached through p11-kit's proxy as certdeck always
# does. ca init --key-in makes the CA key in the token; issue, ca crl and
# renew sign with it (openssl verify, openssl crl -verify); issue
# --key-in makes an entry's key there, renew makes its next one there;
# probe --client presents a token key to openssl s_server -Verify on
# 127.0.0.1 (TLS 1.3 and 1.2), an EC key imported into the token by
# softhsm2-util as well. No key file appears, no git object holds
# a private key, and pkcs11-tool lists the keys in the token, sensitive
# and never extractable. A wrong PIN, a missing token and a missing
# object are one line each and change nothing (no commit, clean tree,
# the token's keys as they were). Last, against pebble on 127.0.0.1: an
# ACME renewal makes the next key in the token, or with reuse-key signs
# the request there. Skipped only without softhsm2 (the ACME part
# without pebble).
. "$(dirname "$0")/lib.sh"

if ! command -v softhsm2-util >/dev/null 2>&1; then
	ok "# SKIP softhsm2 is not installed"
	exit 0
fi
. "$(dirname "$0")/lib-tls.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
AT=$(date -d 2026-06-02 +%s)	# openssl verify as of CERTDECK_NOW + 1 day

# --- the token: SoftHSM2 keeps it in $T; p11-kit's proxy finds SoftHSM
# through its module file, and SoftHSM finds the token through this.
export SOFTHSM2_CONF="$T/softhsm2.conf"
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$T/tokens" >"$SOFTHSM2_CONF"
PIN=12345678
softhsm2-util --init-token --free --label certdeck-hsm --so-pin 87654321 --pin $PIN >/dev/null
check "a SoftHSM token is made in \$T" test $? = 0
printf '%s\n' "$PIN" >"$T/pin"
printf 'not-the-pin\n' >"$T/badpin"
export CERTDECK_PKCS11_PIN_FILE="$T/pin"
unset CERTDECK_PASSPHRASE_FILE
TOK='pkcs11:token=certdeck-hsm'

# pkcs11-tool (OpenSC) reads the token directly, through SoftHSM's module.
SOFTHSM_LIB=$(sed -n 's/^module: *//p' /usr/share/p11-kit/modules/softhsm2.module 2>/dev/null)
[ -n "$SOFTHSM_LIB" ] || SOFTHSM_LIB=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
P11() { pkcs11-tool --module "$SOFTHSM_LIB" --token-label certdeck-hsm --login --pin $PIN "$@" 2>/dev/null; }
privkeys() { P11 --list-objects --type privkey >"$T/p11.lst"; grep -c '^Private Key Object' "$T/p11.lst"; }
# labelled LABEL: how many private keys carry it
labelled() { P11 --list-objects --type privkey | grep -c "label: *$1\$"; }

# What changes: commits, the work tree (git status), the token's keys.
# TMPDIR is the test's own, to see that nothing is written there either.
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
state() { echo "$(commits "$I") $(git -C "$I" status --porcelain | wc -l) $(privkeys)"; }
# errcheck DESC RC WANT ARGS...: exit RC, one line on stderr with WANT,
# nothing on stdout, and nothing changed.
errcheck() {
	_d=$1 _rc0=$2 _w=$3; shift 3
	_s0=$(state)
	"$@" >"$T/err.out" 2>"$T/err.err" </dev/null; _rc=$?
	_s1=$(state)
	if [ $_rc = "$_rc0" ] && [ "$(wc -l <"$T/err.err")" = 1 ] &&
	    grep -qF -- "$_w" "$T/err.err" && [ ! -s "$T/err.out" ] && [ "$_s0" = "$_s1" ]; then
		ok "$_d"
	else
		not_ok "$_d"
		printf '# exit %s (want %s), one line with: %s\n' "$_rc" "$_rc0" "$_w"
		printf '# commits, dirty files, token keys: %s -> %s\n' "$_s0" "$_s1"
		sed 's/^/# /' "$T/err.err" "$T/err.out"
	fi
}

C init >/dev/null
check "pkcs11-tool sees the empty token" test "$(privkeys)" = 0

# --- ca init --key-in: the CA key is made in the token
n0=$(commits "$I")
check_out "ca init --key-in, no passphrase needed" "made CA root" \
    C ca init root --key-in "$TOK;object=root" --subject "/CN=HSM Root/O=certdeck tests"
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check "  no key.pem: the key is not stored" test ! -e "$I/cas/root/key.pem"
check_out "  cas/root/key-uri names the key, label and id" "$TOK;id=%" cat "$I/cas/root/key-uri"
check_out "  of type private" "object=root;type=private" cat "$I/cas/root/key-uri"
check_out "  the commit says where the key is" "key: new (rsa:3072) in PKCS#11 token certdeck-hsm" git -C "$I" log -1 --format=%b
check "  the token holds one private key labelled root" test "$(labelled root)" = 1
P11 --list-objects --type privkey >"$T/p11.lst"
check_out "  sensitive and never extractable, made in the token" "sensitive, always sensitive, never extractable, local" cat "$T/p11.lst"
P11 --read-object --type pubkey --label root -o "$T/root-pub.der"
openssl pkey -pubin -inform DER -in "$T/root-pub.der" -outform PEM >"$T/root-pub.pem" 2>/dev/null
openssl x509 -in "$I/cas/root/cert.pem" -noout -pubkey >"$T/root-cert-pub.pem"
check "  the CA certificate carries the token's public key" cmp -s "$T/root-pub.pem" "$T/root-cert-pub.pem"
check_out "  the root verifies (self-signed in the token)" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$I/cas/root/cert.pem"

# --- issue: the token's key signs; an entry key made in the token too
check_out "issue --key-in: the entry's key is made in the token" "issued www-test" \
    C issue --ca root --cn www.test --key-in "$TOK;object=www"
WWW=$(ls -d "$I"/certs/*/www-test)
check_out "  verifies against the root" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$WWW/cert.pem"
check_out "  the entry's key-path names the key in the token" "key-path = $TOK;id=%" cat "$WWW/entry"
check "  no keys/www-test.key" test ! -e "$I/keys/www-test.key"
check "  the token holds www" test "$(labelled www)" = 1
check_out "issue --client --key-in" "issued client-test" \
    C issue --ca root --cn client.test --client --key-in "$TOK;object=client"
CLI=$(ls -d "$I"/certs/*/client-test)
check_out "  verifies against the root" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$CLI/cert.pem"
# The token's CA also signs for keys kept as files, and an intermediate.
printf 'correct horse battery staple\n' >"$T/pass"
check_out "issue with a key file, signed in the token" "issued files-test" \
    env CERTDECK_PASSPHRASE_FILE="$T/pass" "$CERTDECK" -C "$I" issue --ca root --cn files.test
check_out "  verifies against the root" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$(ls "$I"/certs/*/files-test/cert.pem)"
check_out "ca init --parent root: an intermediate signed in the token" "made CA inter" \
    env CERTDECK_PASSPHRASE_FILE="$T/pass" "$CERTDECK" -C "$I" ca init inter --parent root
check_out "  verifies against the root" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$I/cas/inter/cert.pem"

# --- revoke and ca crl: the CRL is signed in the token
check_out "revoke www-test (a record: no key needed)" "revoked www-test" \
    env -u CERTDECK_PKCS11_PIN_FILE "$CERTDECK" -C "$I" revoke www-test
check_out "ca crl root" "wrote cas/root/crl.pem" C ca crl root
check_out "  the CRL verifies with the CA certificate" "verify OK" \
    openssl crl -in "$I/cas/root/crl.pem" -CAfile "$I/cas/root/cert.pem" -noout -verify
WSER=$(openssl x509 -in "$WWW/cert.pem" -noout -serial | cut -d= -f2)
check_out "  and lists www-test's serial" "$WSER" openssl crl -in "$I/cas/root/crl.pem" -noout -text
check_out "  openssl -crl_check refuses www-test" "certificate revoked" sh -c \
    "cat '$I/cas/root/cert.pem' '$I/cas/root/crl.pem' >'$T/chain-crl.pem'; openssl verify -attime $AT -crl_check -CAfile '$T/chain-crl.pem' '$WWW/cert.pem' 2>&1"

# --- mTLS: probe --client presents the token's key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/server.key" -out "$T/server.pem" -days 3650 -subj /CN=mtls.test \
    -addext subjectAltName=DNS:mtls.test 2>/dev/null
J=$T/out.json
# probe_client NAME TAG [CAFILE CN]: probe a server of each TLS version
# that trusts CAFILE (default the root) with --client NAME, whose
# certificate's CN is CN (default client.test)
probe_client() {
	for v in tls1_3 tls1_2; do
		srv "mtls-$2-$v" 127.0.0.1:0 -$v -cert "$T/server.pem" -key "$T/server.key" \
		    -Verify 1 -verify_return_error -CAfile "${3:-$I/cas/root/cert.pem}"
		C probe --json --timeout 5 --client "$1" "127.0.0.1:$port@mtls.test" >"$J"
		got=$(json_q "$J" "json_extract(j,'\$[0].tls_version') || ' ' || json_extract(j,'\$[0].client_cert.status')")
		want="$([ $v = tls1_3 ] && echo TLSv1.3 || echo TLSv1.2) presented, accepted"
		if [ "$got" = "$want" ]; then ok "$2 $v: --client $1, key in the token: $want"
		else not_ok "$2 $v: --client $1, key in the token: $want"; echo "# got: $got"; fi
		check "$2 $v: the server saw the client certificate" grep -q "CN *= *${4:-client.test}" "$T/mtls-$2-$v.out"
		kill "$pid" 2>/dev/null
	done
}
probe_client client-test mtls

# --- renew: the next key of client-test is made in the token as well
old_kp=$(sed -n 's/^key-path = //p' "$CLI/entry")
old_fp=$(openssl x509 -in "$CLI/cert.pem" -noout -fingerprint -sha256)
check_out "renew --dry-run says the key is new, in the token" "key: new (rsa:3072) in PKCS#11 token certdeck-hsm" \
    C renew --dry-run client-test
n0=$(commits "$I")
check_out "renew client-test" "renewed client-test" env CERTDECK_NOW=2026-06-05T12:00:00Z "$CERTDECK" -C "$I" renew client-test
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  says the key is new, in the token" "key: new (rsa:3072) in PKCS#11 token certdeck-hsm" git -C "$I" log -1 --format=%b
new_kp=$(sed -n 's/^key-path = //p' "$CLI/entry")
check "  key-path names the new key (another id)" test -n "$new_kp" -a "$new_kp" != "$old_kp"
check_out "  with the same label" "object=client;type=private" echo "$new_kp"
check "  the token holds both keys labelled client (the old one for undo)" test "$(labelled client)" = 2
check "  a new certificate" test "$(openssl x509 -in "$CLI/cert.pem" -noout -fingerprint -sha256)" != "$old_fp"
check_out "  that verifies against the root" "OK" openssl verify \
    -attime "$(date -d 2026-06-06 +%s)" -CAfile "$I/cas/root/cert.pem" "$CLI/cert.pem"
check "  no keys/client-test.key" test ! -e "$I/keys/client-test.key"
probe_client client-test renewed
check_out "renew files-test (key file) through the token CA" "renewed files-test" \
    env CERTDECK_PASSPHRASE_FILE="$T/pass" "$CERTDECK" -C "$I" renew files-test
check_out "  verifies against the root" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$(ls "$I"/certs/*/files-test/cert.pem)"

# --- the keys never left the token
find "$I" -path "$I/.git" -prune -o \( -name '*.key' -o -name '*.pem' \) -print |
    sed "s|^$I/||" | grep -v '/cert\.pem$\|/crl\.pem$' | sort | tr '\n' ' ' >"$T/keys.lst"
check_out "the only key files are the two made as files (encrypted)" "cas/inter/key.pem keys/files-test.key " \
    cat "$T/keys.lst"
check "no git object holds an unencrypted private key" test "$(git -C "$I" cat-file --batch-all-objects --batch |
    grep -a 'BEGIN.*PRIVATE KEY' | grep -vc ENCRYPTED)" = 0
check "nothing was written to \$TMPDIR" test -z "$(ls -A "$TMPDIR")"
check "the token lists every key: root, www, client twice" test "$(privkeys)" = 4
P11 --list-objects --type privkey >"$T/p11.lst"
check "  each sensitive and never extractable" test \
    "$(grep -c 'Access: *sensitive, always sensitive, never extractable, local' "$T/p11.lst")" = 4

# --- an EC key put in the token by another tool (certdeck makes RSA keys
# only here) signs as well; its certificate comes from openssl.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.key" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$T/ec.key" -out "$T/ec8.key"
softhsm2-util --import "$T/ec8.key" --token certdeck-hsm --label ecimp --id ec01 --pin $PIN >/dev/null
check "an EC key imported into the token" test "$(labelled ecimp)" = 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/eca.key" \
    -out "$T/eca.pem" -days 3650 -subj /CN=EC-CA -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -new -key "$T/ec.key" -subj /CN=ec-client.test -out "$T/ec.csr"
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$T/ec.ext"
openssl x509 -req -in "$T/ec.csr" -CA "$T/eca.pem" -CAkey "$T/eca.key" -CAcreateserial \
    -days 3650 -extfile "$T/ec.ext" -out "$T/ec.pem" 2>/dev/null
rm -f "$T/ec.key" "$T/ec8.key"		# from here on, only the token has it
C import --name ec-client "$T/ec.pem" >/dev/null
check "set key-path to it" C set ec-client "key-path=$TOK;object=ecimp;id=%ec%01"
probe_client ec-client ec "$T/eca.pem" ec-client.test

# --- refusals: one line, nothing changed
errcheck "ca init --key-in with an EC key type: RSA only here" 2 "cannot generate a key of type ec:P-256 in a token here" \
    C ca init ec --key-in "$TOK;object=ec" --key-type ec:P-256
errcheck "ca init --key-in with a label the token has" 2 "token certdeck-hsm already holds a key labelled root" \
    C ca init again --key-in "$TOK;object=root"
errcheck "ca init --key-in with a PIN in the URI" 2 "a PIN never goes in the URI" \
    C ca init pinned --key-in "$TOK;object=pinned?pin-value=$PIN"
errcheck "set key-path with a PIN in the URI" 2 "a PIN never goes in the URI" \
    C set client-test "key-path=$TOK;object=client?pin-value=$PIN"
errcheck "set key-path with an attribute RFC 7512 lacks" 2 "an attribute RFC 7512 does not define" \
    C set client-test "key-path=$TOK;objekt=client"
errcheck "no PIN file and no terminal" 2 "token certdeck-hsm needs its PIN (set CERTDECK_PKCS11_PIN_FILE)" \
    env -u CERTDECK_PKCS11_PIN_FILE "$CERTDECK" -C "$I" ca crl root

# a wrong PIN, wherever a key in the token is used
export CERTDECK_PKCS11_PIN_FILE="$T/badpin"
errcheck "wrong PIN: ca init --key-in" 2 "--key-in $TOK;object=r2: token certdeck-hsm: wrong PIN (from CERTDECK_PKCS11_PIN_FILE)" \
    C ca init r2 --key-in "$TOK;object=r2"
errcheck "wrong PIN: issue from the token's CA" 2 "cas/root/key-uri: token certdeck-hsm: wrong PIN" \
    env CERTDECK_PASSPHRASE_FILE="$T/pass" "$CERTDECK" -C "$I" issue --ca root --cn nope.test
errcheck "wrong PIN: ca crl" 2 "cas/root/key-uri: token certdeck-hsm: wrong PIN" C ca crl root
errcheck "wrong PIN: renew" 1 "client-test: cas/root/key-uri: token certdeck-hsm: wrong PIN" C renew client-test
errcheck "wrong PIN: probe --client" 2 "--client client-test: key-path $new_kp: token certdeck-hsm: wrong PIN" \
    C probe --client client-test 127.0.0.1:1
export CERTDECK_PKCS11_PIN_FILE="$T/pin"

# a missing token: one named that is not there, and one that went away
errcheck "missing token: ca init --key-in" 2 "no token labelled nosuch (tokens: certdeck-hsm)" \
    C ca init r2 --key-in "pkcs11:token=nosuch;object=r2"
softhsm2-util --init-token --free --label spare --so-pin 87654321 --pin $PIN >/dev/null
check_out "a CA in a second token" "made CA spare" C ca init spare --key-in "pkcs11:token=spare;object=spare"
softhsm2-util --delete-token --token spare >/dev/null 2>&1
errcheck "missing token: ca crl of a CA whose token went away" 2 "cas/spare/key-uri: no token labelled spare (tokens: certdeck-hsm)" \
    C ca crl spare
# a missing object: a CA key deleted from the token, an entry's key-path
check_out "a CA whose key is then deleted" "made CA gone" C ca init gone --key-in "$TOK;object=gone"
P11 --delete-object --type privkey --label gone >/dev/null
errcheck "missing object: ca crl" 2 "cas/gone/key-uri: token certdeck-hsm has no private key labelled gone with id %" \
    C ca crl gone
errcheck "missing object: issue" 2 "cas/gone/key-uri: token certdeck-hsm has no private key labelled gone" \
    env CERTDECK_PASSPHRASE_FILE="$T/pass" "$CERTDECK" -C "$I" issue --ca gone --cn nope.test
C set client-test "key-path=$TOK;object=nosuch" >/dev/null
errcheck "missing object: probe --client" 2 "--client client-test: key-path $TOK;object=nosuch: token certdeck-hsm has no private key labelled nosuch" \
    C probe --client client-test 127.0.0.1:1
errcheck "missing object: renew" 1 "key-path $TOK;object=nosuch: token certdeck-hsm has no private key labelled nosuch (the key renewed)" \
    C renew client-test
C set client-test "key-path=pkcs11:token=nosuch;object=client" >/dev/null
errcheck "missing token: probe --client" 2 "--client client-test: key-path pkcs11:token=nosuch;object=client: no token labelled nosuch" \
    C probe --client client-test 127.0.0.1:1
C set client-test "key-path=$new_kp" >/dev/null
probe_client client-test "after the refusals,"

# A URI's module-path loads only a module the operator lists in
# CERTDECK_PKCS11_MODULES: URIs are committed, and a commit must not
# choose a library for certdeck to load. The test's library leaves a
# mark when it is loaded, so a load cannot go unseen.
printf '%s\n' '#include <fcntl.h>' '#include <stdlib.h>' '#include <unistd.h>' \
    '__attribute__((constructor)) static void mark(void)' \
    '{ const char *p = getenv("EVIL_MARK"); if (p) close(open(p, O_WRONLY | O_CREAT, 0600)); }' \
    >"$T/evil.c"
cc -shared -fPIC -o "$T/evil.so" "$T/evil.c"
check "a library that marks its loading is built" test -f "$T/evil.so"
export EVIL_MARK="$T/evil.mark"
EVIL="$TOK;object=client?module-path=$T/evil.so"
errcheck "set key-path with a module-path nobody allowed" 2 "module-path $T/evil.so is not one of the modules CERTDECK_PKCS11_MODULES allows" \
    C set client-test "key-path=$EVIL"
sed -i "s|^key-path = .*|key-path = $EVIL|" "$CLI/entry"
git -C "$I" commit -qam "client-test: a key in another module"
errcheck "  committed by hand anyway: probe --client refuses it" 2 "key-path $EVIL: module-path $T/evil.so is not one of the modules" \
    C probe --client client-test 127.0.0.1:1
errcheck "  renew refuses it" 1 "module-path $T/evil.so is not one of the modules" C renew client-test
errcheck "  so does a list with only look-alikes" 2 "module-path $T/evil.so is not one of" \
    env CERTDECK_PKCS11_MODULES="$T/evil.s:/nonexistent:$T/evil.so.1" "$CERTDECK" -C "$I" probe --client client-test 127.0.0.1:1
check "  the library was never loaded" test ! -e "$T/evil.mark"
env CERTDECK_PKCS11_MODULES="/nonexistent:$T/evil.so" "$CERTDECK" -C "$I" probe --client client-test 127.0.0.1:1 >/dev/null 2>&1
check "  listed, it is loaded (so the check above can fail)" test -e "$T/evil.mark"
rm -f "$T/evil.mark"
export CERTDECK_PKCS11_MODULES="$SOFTHSM_LIB"
C set client-test "key-path=$new_kp?module-path=$SOFTHSM_LIB" >/dev/null
probe_client client-test "module-path listed in CERTDECK_PKCS11_MODULES:"
unset CERTDECK_PKCS11_MODULES EVIL_MARK
C set client-test "key-path=$new_kp" >/dev/null

# A change that fails after its key was made takes the key out again:
# a renewal whose deploy target cannot be replaced (a directory of that
# name: its directory is writable, so the check before issuing passes),
# a commit in the way.
mkdir -p "$T/adir/cert.pem"
C set client-test "deploy-cert=$T/adir/cert.pem" >/dev/null
errcheck "a renewal that fails after making its key deletes the key" 1 "client-test: deploy: $T/adir/cert.pem: Is a directory" \
    C renew client-test
C set client-test deploy-cert= >/dev/null
# A Kubernetes Secret holds its key in the clear: refused before any key
# is made, for a key that lives in a token.
C set client-test "deploy-kubernetes-secret=$T/secret.yaml" >/dev/null
errcheck "a Kubernetes Secret target is refused for a key in a token" 1 "client-test: deploy-kubernetes: a Secret holds its key in the clear" \
    C renew client-test
check "  no Secret written" test ! -e "$T/secret.yaml"
C set client-test deploy-kubernetes-secret= >/dev/null
mkdir -p "$I/cas/late"
echo 'in the way' >"$I/cas/late/cert.pem"
k0=$(privkeys)
n0=$(commits "$I")
check_out "ca init whose commit fails (a file in the way)" "untracked file" \
    C ca init late --key-in "$TOK;object=late"
check "  commits nothing" test "$(commits "$I")" = "$n0"
check "  and the key it made is gone from the token" test "$(privkeys)" = "$k0" -a "$(labelled late)" = 0
rm -r "$I/cas/late"
check "the work tree is clean" test -z "$(git -C "$I" status --porcelain)"

# --- ACME (pebble on 127.0.0.1): the request is signed in the token, and
# the next key is made there. Last: lib-acme.sh ends the script when
# pebble is not installed.
. "$(dirname "$0")/lib-acme.sh"
check_out "issue acme-test with its key in the token" "issued acme-test" \
    C issue --ca root --cn acme.test --key-in "$TOK;object=acme"
AD=$(ls -d "$I"/certs/*/acme-test)
export PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1
lport=$(free_port)
start_pebble p1 "$lport" || exit 1
unset PEBBLE_VA_ALWAYS_VALID
profile pebble "directory = https://127.0.0.1:$pport/dir" "ca-bundle = $T/pebble.pem" \
    "http-listen = 127.0.0.1:$lport"
profile reuse "directory = https://127.0.0.1:$pport/dir" "ca-bundle = $T/pebble.pem" \
    "http-listen = 127.0.0.1:$lport" "reuse-key = yes"
# pubkey_of_uri URI: the public key (PEM) the token holds with URI's id
pubkey_of_uri() {
	_id=$(printf '%s\n' "$1" | sed 's/.*id=\([^;?]*\).*/\1/' | tr -d % | tr A-F a-f)
	P11 --read-object --type pubkey --id "$_id" -o "$T/pub.der" &&
	    openssl pkey -pubin -inform DER -in "$T/pub.der" 2>/dev/null
}
export CERTDECK_PASSPHRASE_FILE="$T/pass"	# the ACME account key
C set acme-test profile=pebble >/dev/null
kp0=$(sed -n 's/^key-path = //p' "$AD/entry")
check_out "renew through ACME: a new key, in the token" "renewed acme-test" C renew acme-test
check_out "  the commit says so" "key: new (rsa:3072) in PKCS#11 token certdeck-hsm" git -C "$I" log -1 --format=%b
kp1=$(sed -n 's/^key-path = //p' "$AD/entry")
check "  key-path names the new key" test -n "$kp1" -a "$kp1" != "$kp0"
check_out "  pebble issued it" "Pebble Intermediate CA" openssl x509 -in "$AD/cert.pem" -noout -issuer
check "  for the new key in the token" test "$(pubkey_of_uri "$kp1")" = "$(openssl x509 -in "$AD/cert.pem" -noout -pubkey)"
check "the token holds both acme keys" test "$(labelled acme)" = 2
C set acme-test profile=reuse >/dev/null
check_out "renew through ACME with reuse-key: the request signed in the token" "renewed acme-test" C renew acme-test
check_out "  the key is reused" "key: reused" git -C "$I" log -1 --format=%b
check "  key-path is the same" test "$(sed -n 's/^key-path = //p' "$AD/entry")" = "$kp1"
check "  the certificate is for it" test "$(pubkey_of_uri "$kp1")" = "$(openssl x509 -in "$AD/cert.pem" -noout -pubkey)"
C set acme-test profile=pebble >/dev/null
kill "$ppid" 2>/dev/null
k0=$(privkeys)
errcheck "an ACME renewal that fails (no CA) deletes the key it made" 1 "acme-test:" C renew acme-test
check "  the token's keys are as they were" test "$(privkeys)" = "$k0"

# --- the terminal UI asks for the token's PIN when no PIN file is set
. "$(dirname "$0")/lib-tmux.sh"
n0=$(commits "$I")
ui_start u "$I" 160x30 CERTDECK_PKCS11_PIN_FILE=
expect u "the UI without a PIN file" "files-test"
keys u / files-test Enter
expect_cmd u "  on files-test" cursor_on files-test
keys u r
expect u "  r asks first" "renew files-test via"
keys u y
expect u "  the renewal asks for the PIN of the CA key's token" "PIN of PKCS#11 token certdeck-hsm:"
keys u "$PIN"
wait_cmd u grep -q "PIN of PKCS#11"
check "  what is typed is not shown" sh -c "! grep -q '$PIN' '$T/screen'"
keys u Enter
expect u "  with it the certificate is signed in the token" "1 renewed"
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  that verifies against the root" "OK" openssl verify \
    -attime "$(date -d 2026-06-06 +%s)" -CAfile "$I/cas/root/cert.pem" "$(ls "$I"/certs/*/files-test/cert.pem)"
keys u Q
expect u "Q quits" "EXITED 0"
TM kill-session -t u
