# probe-mtls.sh: `certdeck probe --client NAME` against openssl s_server
# instances on 127.0.0.1 that require a client certificate (-Verify 1),
# in TLS 1.3 and TLS 1.2: none presented, the entry's accepted, one from
# another CA rejected with the alert named; the errors that come before
# any connection; and no key material written anywhere. Servers listen on
# port 0, run in the background and are stopped by PID at exit.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
J=$T/out.json
jq_() { json_q "$J" "$1"; }
# jcheck DESC EXPR WANT: EXPR over $J equals WANT; on failure what it was.
jcheck() {
	_got=$(jq_ "$2")
	if [ "$_got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '# want: %s\n# got:  %s\n' "$3" "$_got"
		jq_ "json_extract(j,'\$[0].result') || ' ' || ifnull(json_extract(j,'\$[0].detail'),'') || ' / ' || ifnull(json_extract(j,'\$[0].client_cert.status'),'null')" | sed 's/^/# /'
	fi
}

# --- servers (wait_for, srv: tests/e2e/lib-tls.sh)
. "$(dirname "$0")/lib-tls.sh"

# --- certificates: a private CA, a server and a client certificate signed
# by it, and a client certificate from another CA.
# client_at DATE DAYS OUT CN CA: a client (clientAuth) certificate.
client_at() {
	_date=$1 _days=$2 _out=$3 _cn=$4 _ca=$5
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$_out.key" -out "$_out.csr" -subj "/CN=$_cn" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$_out.ext"
	faketime -f "@$_date 00:00:00" openssl x509 -req -in "$_out.csr" \
		-CA "$_ca.pem" -CAkey "$_ca.key" -CAcreateserial -days "$_days" \
		-extfile "$_out.ext" -out "$_out.pem" 2>/dev/null
}
mkdir -p "$T/c"
cd "$T/c" || exit 2
ca_at 2026-01-01 3650 ca "mTLS Test CA"
ca_at 2026-01-01 3650 other "Other CA"
leaf_at 2026-05-01 365 server mtls.test ca
client_at 2026-05-01 365 client "Client One" ca
client_at 2026-05-01 365 stranger "Stranger" other
client_at 2026-05-01 365 loose "Loose Key" ca
client_at 2026-05-01 365 nokey "No Key" ca
cat client.pem client.key >client-bundle.pem
cat stranger.pem stranger.key >stranger-bundle.pem
printf 'correct horse battery staple\n' >keypass
printf 'not the passphrase\n' >wrongpass
# A key outside the inventory (key-path), encrypted with the passphrase.
openssl pkcs8 -topk8 -in loose.key -out loose-enc.key -v2 aes-256-cbc \
    -passout file:keypass 2>/dev/null
check "the certificates were made" test -s server.pem -a -s client.pem -a -s stranger.pem -a -s loose-enc.key
cd "$TOP" || exit 2

# --- the inventory: the CA, and client certificates with their keys
C init >/dev/null
C import --name mtls-ca "$T/c/ca.pem" >/dev/null
env CERTDECK_PASSPHRASE_FILE="$T/c/keypass" "$CERTDECK" -C "$I" import --name client "$T/c/client-bundle.pem" >/dev/null
check "import the client certificate with its key" test $? = 0
env CERTDECK_PASSPHRASE_FILE="$T/c/keypass" "$CERTDECK" -C "$I" import --name stranger "$T/c/stranger-bundle.pem" >/dev/null
C import --name nokey "$T/c/nokey.pem" >/dev/null
C import --name loose "$T/c/loose.pem" >/dev/null
C set loose "key-path=$T/c/loose-enc.key" >/dev/null
check "the key is stored encrypted" grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$I/keys/client.key"
check "no key stored for nokey" test ! -e "$I/keys/nokey.key"
export CERTDECK_PASSPHRASE_FILE="$T/c/keypass"

# What the work tree and $TMPDIR hold, to see nothing is written. The
# probes run with a $TMPDIR of their own, so others' files do not count.
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
listing() {
	{ find "$I" -path "$I/.git" -prune -o -type f -print | grep -v '/\.certdeck/index\.db' | sort
	  find "$TMPDIR" -print | sort; } 2>/dev/null
}
listing >"$T/before.lst"

# --- TLS 1.3 and TLS 1.2 servers that require a client certificate
for v in tls1_3 tls1_2; do
	srv "mtls-$v" 127.0.0.1:0 -$v -cert "$T/c/server.pem" -key "$T/c/server.key" \
	    -Verify 1 -verify_return_error -CAfile "$T/c/ca.pem"
	ep="127.0.0.1:$port@mtls.test"
	want_ver=$([ $v = tls1_3 ] && echo TLSv1.3 || echo TLSv1.2)

	C probe --json --timeout 5 "$ep" >"$J"; rc=$?
	jcheck "$v: without --client: requested, none presented" \
	    "json_extract(j,'\$[0].client_cert.requested') || ':' || json_extract(j,'\$[0].client_cert.status')" \
	    "1:requested, none presented"
	jcheck "$v: without --client: the handshake is refused, the alert named" \
	    "json_extract(j,'\$[0].result') || ':' || (json_extract(j,'\$[0].detail') LIKE 'alert: %')" \
	    "handshake:1"
	check "$v: without --client: exit status 1" test $rc = 1
	want_alert=$([ $v = tls1_3 ] && echo "certificate required" || echo "handshake failure")
	jcheck "$v: without --client: alert: $want_alert" "json_extract(j,'\$[0].detail') LIKE 'alert: $want_alert%'" 1
	jcheck "$v: without --client: the CA names asked for" "json_extract(j,'\$[0].client_cert.ca_names')" '["CN=mTLS Test CA"]'

	C probe --json --timeout 5 --client client "$ep" >"$J"; rc=$?
	jcheck "$v: --client: presented, accepted" \
	    "json_extract(j,'\$[0].result') || ':' || json_extract(j,'\$[0].client_cert.presented') || ':' || json_extract(j,'\$[0].client_cert.status')" \
	    "ok:1:presented, accepted"
	jcheck "$v: --client: the version asked for" "json_extract(j,'\$[0].tls_version')" "$want_ver"
	check "$v: --client: healthy, exit status 0" test $rc = 0
	check_out "$v: --client: text says client-cert:accepted" "client-cert:accepted" C probe --client client "$ep"
	check "$v: the server saw the client certificate" grep -q "Client One" "$T/mtls-$v.out"

	C probe --json --timeout 5 --client stranger "$ep" >"$J"; rc=$?
	jcheck "$v: a client certificate from another CA: rejected, alert named" \
	    "json_extract(j,'\$[0].result') || ':' || json_extract(j,'\$[0].client_cert.status')" \
	    "handshake:presented, rejected: unknown CA"
	jcheck "$v: the detail names the alert" "json_extract(j,'\$[0].detail') LIKE 'alert: unknown CA%'" 1
	check "$v: rejected: exit status 1" test $rc = 1
	check_out "$v: text says client-cert:rejected(unknown CA)" "client-cert:rejected(unknown CA)" C probe --client stranger "$ep"

	C probe --json --timeout 5 --client loose "$ep" >"$J"
	jcheck "$v: a key-path key, encrypted with the passphrase: accepted" \
	    "json_extract(j,'\$[0].client_cert.status')" "presented, accepted"
done

# --- a server that does not ask
srv plain 127.0.0.1:0 -cert "$T/c/server.pem" -key "$T/c/server.key"
C probe --json --client client "127.0.0.1:$port@mtls.test" >"$J"
jcheck "a server that does not ask: none requested, nothing presented" \
    "json_extract(j,'\$[0].result') || ':' || json_extract(j,'\$[0].client_cert.requested') || ':' || json_extract(j,'\$[0].client_cert.presented') || ':' || json_extract(j,'\$[0].client_cert.status')" \
    "ok:0:0:none requested"
# A server that asks but does not require: none presented is accepted.
srv optional 127.0.0.1:0 -cert "$T/c/server.pem" -key "$T/c/server.key" -verify 1 -CAfile "$T/c/ca.pem"
C probe --json "127.0.0.1:$port@mtls.test" >"$J"
jcheck "a server that asks, optional: ok, requested, none presented" \
    "json_extract(j,'\$[0].result') || ':' || json_extract(j,'\$[0].client_cert.status')" \
    "ok:requested, none presented"
opt_ep="127.0.0.1:$port@mtls.test"

# --- errors: one line naming the entry, exit 2, before any connection
# (the endpoint is the optional server: a connection would show in its log)
conns() { grep -c '^ACCEPT' "$T/optional.out"; }
n0=$(conns)
# errcheck DESC WANT [env...] -- ARGS: exit 2, one line on stderr with WANT
errcheck() {
	_d=$1 _w=$2; shift 2
	"$@" >"$T/err.out" 2>"$T/err.err"; _rc=$?
	if [ $_rc = 2 ] && [ "$(wc -l <"$T/err.err")" = 1 ] && grep -qF -- "$_w" "$T/err.err" &&
	    [ ! -s "$T/err.out" ]; then
		ok "$_d"
	else
		not_ok "$_d"
		printf '# exit %s, want 2 and one line with: %s\n' "$_rc" "$_w"
		sed 's/^/# /' "$T/err.err" "$T/err.out"
	fi
}
errcheck "--client with an unknown entry" "--client nosuch: no such entry" C probe --client nosuch "$opt_ep"
errcheck "--client on an entry without a key" "--client nokey: no private key" C probe --client nokey "$opt_ep"
errcheck "--client with the wrong passphrase" "--client client: keys/client.key: cannot decrypt the key: wrong passphrase" \
    env CERTDECK_PASSPHRASE_FILE="$T/c/wrongpass" "$CERTDECK" -C "$I" probe --client client "$opt_ep"
errcheck "--client with no passphrase configured" "--client client: keys/client.key: the key is encrypted and no passphrase is configured" \
    env -u CERTDECK_PASSPHRASE_FILE "$CERTDECK" -C "$I" probe --client client "$opt_ep"
errcheck "--client with a key-path and the wrong passphrase" "--client loose: key-path $T/c/loose-enc.key: cannot decrypt the key: wrong passphrase" \
    env CERTDECK_PASSPHRASE_FILE="$T/c/wrongpass" "$CERTDECK" -C "$I" probe --client loose "$opt_ep"
C set loose "key-path=$T/c/client.key" >/dev/null
errcheck "--client with a key that is not the certificate's" "--client loose: key-path $T/c/client.key: the key does not match the certificate" \
    C probe --client loose "$opt_ep"
C set loose "key-path=$T/c/nothere.key" >/dev/null
errcheck "--client with a key-path that does not exist" "--client loose: key-path $T/c/nothere.key:" C probe --client loose "$opt_ep"
sleep 0.2
check "no connection was made by a --client error" test "$(conns)" = "$n0"

# --- no key material written: the work tree and $TMPDIR are as before
C set loose "key-path=$T/c/loose-enc.key" >/dev/null
listing >"$T/after.lst"
[ -n "${MTLS_DEBUG:-}" ] && sed 's/^/# /' "$T/after.lst"
if cmp -s "$T/before.lst" "$T/after.lst"; then
	ok "no file appeared in the work tree or \$TMPDIR"
else
	not_ok "no file appeared in the work tree or \$TMPDIR"
	diff "$T/before.lst" "$T/after.lst" | sed 's/^/# /'
fi
check "no unencrypted key anywhere in the inventory" sh -c "! grep -rlq 'BEGIN PRIVATE KEY\|BEGIN EC PRIVATE KEY' '$I' --exclude-dir=.git"
check "git status clean" test -z "$(git -C "$I" status --porcelain)"

# --- documented
check_out "probe --help shows --client" "--client NAME" C probe --help
check "certdeck.1 describes --client" grep -q 'client' "$TOP/certdeck.1"
