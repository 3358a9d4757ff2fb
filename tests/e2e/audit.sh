# audit.sh: `certdeck audit`: every rule with certificates that trip it and
# ones that do not (made here with openssl at fixed dates, through
# faketime and `openssl ca` for exact notBefore/notAfter), tuning in
# certdeck.conf, the outputs, the findings commit and its history, and a
# sweep over the shared seed corpus. Probe rules run against s_server on
# 127.0.0.1 (lib-tls.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tls.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
J=$T/out.json
jq_() { json_q "$J" "$1"; }
F=$I/audit/findings
# has ENTRY RULE: the last sweep found RULE on ENTRY (audit/findings).
has() { grep -q "^$1 $2 " "$F"; }
# finds DESC ENTRY RULE / finds_not DESC ENTRY RULE
finds() {
	if has "$2" "$3"; then ok "$1"; else not_ok "$1"; grep "^$2 " "$F" | sed 's/^/# /'; fi
}
finds_not() {
	if has "$2" "$3"; then not_ok "$1"; grep "^$2 $3 " "$F" | sed 's/^/# /'; else ok "$1"; fi
}

# --- certificates (CERTDECK_NOW is 2026-06-01T12:00:00Z)
mkdir -p "$T/c/new"
cd "$T/c" || exit 2
cat >ca.cnf <<EOF
[ca]
default_ca = cd
[cd]
database = $T/c/index.txt
new_certs_dir = $T/c/new
serial = $T/c/serial
default_md = sha256
policy = pol
unique_subject = no
[pol]
commonName = supplied
EOF
: >index.txt
echo 1000 >serial
ca_at 2026-01-01 3650 root "Audit Root CA"
ca_at 2026-01-01 1500 inter "Audit Intermediate" root

# mk NAME START END: a leaf from $ISSUER (default inter) valid from START
# to END (YYYYMMDDHHMMSSZ), CN $CN (default NAME.test), key from $KEY
# (openssl req -newkey args; default EC P-256, or $KEYFILE), extensions
# from $EXT (default serverAuth and the CN as SAN), digest $MD.
mk() {
	_n=$1
	_cn=${CN:-$1.test}
	if [ -n "${KEYFILE:-}" ]; then
		openssl req -new -key "$KEYFILE" -out "$_n.csr" -subj "/CN=$_cn" 2>/dev/null
	else
		# shellcheck disable=SC2086
		openssl req -new ${KEY:--newkey ec -pkeyopt ec_paramgen_curve:P-256} -nodes \
		    -keyout "$_n.key" -out "$_n.csr" -subj "/CN=$_cn" 2>/dev/null
	fi
	printf '%b\n' "${EXT:-basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:$_cn}" >"$_n.ext"
	[ -n "${SERIAL:-}" ] && echo "$SERIAL" >serial
	_is=${ISSUER:-inter}
	openssl ca -batch -config ca.cnf -cert "$_is.pem" -keyfile "$_is.key" \
	    -in "$_n.csr" -out "$_n.pem" -startdate "$2" -enddate "$3" \
	    -extfile "$_n.ext" -notext -md "${MD:-sha256}" >"$_n.log" 2>&1 ||
	    { echo "# mk $_n failed:"; sed 's/^/# /' "$_n.log"; }
	cat "$_n.pem" "$_is.pem" >"$_n-chain.pem"
}

mk good 20260501000000Z 20270101000000Z
mk expired 20250101000000Z 20260501000000Z
mk crit 20260101000000Z 20260604000000Z			# 2 days left
mk warn 20260101000000Z 20260621000000Z			# 19 days left
ca_at 2026-01-01 240 shortint "Short Intermediate" root	# 2026-08-29
ISSUER=shortint mk chainfirst 20260501000000Z 20261201000000Z
KEY="-newkey rsa:2047" mk rsa2047 20260501000000Z 20270101000000Z
KEY="-newkey rsa:2048" mk rsa2048 20260501000000Z 20270101000000Z
openssl dsaparam -out dsa.param 1024 2>/dev/null
KEY="-newkey dsa:dsa.param" mk dsa 20260501000000Z 20270101000000Z
KEY="-newkey ec -pkeyopt ec_paramgen_curve:secp256k1" mk k1 20260501000000Z 20270101000000Z
KEY="-newkey ec -pkeyopt ec_paramgen_curve:P-384" mk p384 20260501000000Z 20270101000000Z
MD=sha1 mk sha1 20260501000000Z 20270101000000Z
# A SHA-1 self-signed root: a trust anchor, so not weak-signature.
faketime -f "@2026-01-01 00:00:00" openssl req -x509 -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sha1root.key \
    -out sha1root.pem -days 3650 -sha1 -subj "/CN=SHA1 Root" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
# Validity: exactly 398 days (notAfter - notBefore + 1 s) is allowed; one
# second more is not; before 2020-09-01 the limit did not apply.
mk v398 20260101000000Z 20270202235959Z
mk v398plus 20260101000000Z 20270203000000Z
mk old825 20200801000000Z 20221103000000Z
EXT="basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth" mk nosan 20260501000000Z 20270101000000Z
EXT="basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:other.test" mk cnsan 20260501000000Z 20270101000000Z
# Serials: 21 octets when encoded (top bit set, so a 00 is added), and
# exactly 20.
SERIAL=8000000000000000000000000000000000000001 mk serial21 20260501000000Z 20270101000000Z
SERIAL=7f00000000000000000000000000000000000001 mk serial20 20260501000000Z 20270101000000Z
echo 2000 >serial
EXT="basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature" CN="No Sign CA" mk nosign 20260101000000Z 20300101000000Z
cert_at 2026-05-01 200 self self.test
# A chain in the wrong order, and a leaf without its (unknown) issuer.
mk broken 20260501000000Z 20270101000000Z
cat broken.pem shortint.pem >broken-chain.pem
# An impostor: the intermediate's name and key identifier, another key.
ski=$(openssl x509 -in inter.pem -noout -ext subjectKeyIdentifier | sed -n 's/^ *\([0-9A-F:]*\)$/\1/p' | tr -d :)
faketime -f "@2026-01-01 00:00:00" openssl req -x509 -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout fakeint.key -out fakeint.pem \
    -days 1500 -subj "/CN=Audit Intermediate" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=$ski" 2>/dev/null
mk forged 20260501000000Z 20270101000000Z
cat forged.pem fakeint.pem >forged-chain.pem
ca_at 2026-01-01 3650 lone "Lone Root"
ca_at 2026-01-01 1500 loneint "Lone Intermediate" lone
ISSUER=loneint mk orphan 20260501000000Z 20270101000000Z
# Two certificates of one key.
mk key1 20260501000000Z 20270101000000Z
KEYFILE=key1.key mk key2 20260501000000Z 20270101000000Z
# A CRL that revokes one leaf (crlDistributionPoints names the file).
EXT="basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:crl.test\ncrlDistributionPoints=URI:http://crl.invalid/inter.crl" CN=crl.test mk crl 20260501000000Z 20270101000000Z
EXT="basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:crlok.test\ncrlDistributionPoints=URI:http://crl.invalid/inter.crl" CN=crlok.test mk crlok 20260501000000Z 20270101000000Z
mkdir -p crls
faketime -f "@2026-05-20 00:00:00" openssl ca -batch -config ca.cnf -cert inter.pem -keyfile inter.key -revoke crl.pem >/dev/null 2>&1
faketime -f "@2026-05-21 00:00:00" openssl ca -batch -config ca.cnf -cert inter.pem -keyfile inter.key -gencrl -crldays 30 -out crls/inter.crl >/dev/null 2>&1
check "openssl made a CRL" test -s crls/inter.crl
# Probe targets: drift, mTLS and a stapled revoked OCSP response.
mk served 20260501000000Z 20270101000000Z
mk drift 20260501000000Z 20270101000000Z
mk mtls 20260501000000Z 20270101000000Z
mk mtlsok 20260501000000Z 20270101000000Z
ISSUER=root mk ocsp 20260501000000Z 20270101000000Z
serial=$(openssl x509 -in ocsp.pem -noout -serial | cut -d= -f2)
printf 'R\t270501000000Z\t260520000000Z,keyCompromise\t%s\tunknown\t/CN=ocsp.test\n' "$serial" >idx-revoked.txt
openssl ocsp -issuer root.pem -cert ocsp.pem -reqout ocsp-req.der -no_nonce 2>/dev/null
faketime -f "@2026-06-01 11:00:00" openssl ocsp -index idx-revoked.txt \
    -rsigner root.pem -rkey root.key -CA root.pem -reqin ocsp-req.der \
    -respout ocsp-revoked.der -ndays 7 >/dev/null 2>&1
check "openssl ocsp made a revoked response" test -s ocsp-revoked.der
cd "$TOP" || exit 2

# --- the inventory
C init >/dev/null
C import --name audit-root "$T/c/root.pem" >/dev/null
C import --name inter "$T/c/inter.pem" >/dev/null
C import --name sha1root "$T/c/sha1root.pem" >/dev/null
for n in good expired crit warn chainfirst rsa2047 rsa2048 dsa k1 p384 sha1 \
    v398 v398plus old825 nosan cnsan serial20 serial21 orphan-x key1 key2 crl \
    crlok drift mtls mtlsok ocsp; do
	case $n in
	orphan-x) continue ;;
	esac
	C import --name "$n" --owner team --tag web "$T/c/$n-chain.pem" >/dev/null 2>"$T/imp.err" ||
	    { echo "# import $n:"; sed 's/^/# /' "$T/imp.err"; }
done
C import --name nosign --owner team "$T/c/nosign.pem" >/dev/null
C import --name self --owner team "$T/c/self.pem" >/dev/null
C import --name broken --owner team "$T/c/broken-chain.pem" >/dev/null
C import --name orphan --owner team "$T/c/orphan.pem" >/dev/null
C import --name forged --owner team "$T/c/forged-chain.pem" >/dev/null
C import --name noowner "$T/c/served.pem" >/dev/null
# Profiles for all but no-profile's subject (good has none).
C list --json >"$J"
for n in $(jq_ "(SELECT group_concat(json_extract(value,'\$.name'), ' ') FROM json_each(j))"); do
	[ "$n" = good ] || C set "$n" profile=default >/dev/null
done
check "the inventory holds every test entry" test "$(jq_ "json_array_length(j)")" = 35

# --- usage and rules
check_out "--rules lists every rule with its fix" "validity-too-long" C audit --rules
check_out "--help names the formats" "--prometheus" C audit --help
C audit --json --prometheus >/dev/null 2>&1; check "two formats is a usage error (exit 2)" test $? = 2
# With --nagios anywhere, whatever stops it is UNKNOWN (3) on stdout: a
# plugin that cannot run is not CRITICAL.
C audit --json --nagios >"$T/nag.txt" 2>/dev/null; rc=$?
check "--nagios with another format: UNKNOWN (3)" sh -c "test $rc = 3 && grep -q '^CERTDECK UNKNOWN - one of' '$T/nag.txt'"
C audit --nagios --bogus >"$T/nag.txt" 2>/dev/null; rc=$?
check "--nagios with an unknown option: UNKNOWN (3), one line" sh -c "test $rc = 3 && test \$(wc -l <'$T/nag.txt') = 1 && grep -q '^CERTDECK UNKNOWN - ' '$T/nag.txt'"
"$CERTDECK" -C "$T/no-such-inventory" audit --nagios >"$T/nag.txt" 2>/dev/null; rc=$?
check "--nagios on no inventory: UNKNOWN (3) naming it on stdout" sh -c "test $rc = 3 && grep -q '^CERTDECK UNKNOWN - .*no-such-inventory' '$T/nag.txt'"
C audit --fail-on bogus >/dev/null 2>&1; check "--fail-on bogus exits 2" test $? = 2
check_out "--fail-on bogus names the choices" "critical, warning, notice, info or none" C audit --fail-on bogus

# --- the first sweep
n0=$(commits "$I")
C audit >"$T/t1.txt" 2>&1; rc=$?
check "a sweep with critical findings exits 1" test $rc = 1
check "the first sweep is one commit" test "$(commits "$I")" = $((n0 + 1))
check "its subject counts the findings" sh -c "git -C '$I' log -1 --format=%s | grep -q '^audit: first sweep, [0-9]* findings$'"
check "its trailers say audit" sh -c "git -C '$I' log -1 --format=%b | grep -qx 'Certdeck-Action: audit'"
check "audit/findings is committed" test -n "$(git -C "$I" ls-files audit/findings)"
check "git status is clean" test -z "$(git -C "$I" status --porcelain)"
check "audit/findings is sorted" sh -c "grep -v '^#' '$F' | LC_ALL=C sort -c"
check_out "the table says what was recorded" "recorded in commit" cat "$T/t1.txt"
check_out "the table has a summary" "35 entries," cat "$T/t1.txt"

finds_not "good: no finding" good expired
check "good: only no-profile" test "$(grep -c '^good ' "$F")" = 1
finds "good: no-profile" good no-profile
finds_not "entries with a profile: no no-profile" crit no-profile
finds "expired" expired expired
finds_not "2 days left is not expired" crit expired
finds "2 days left: expiring-critical" crit expiring-critical
finds "19 days left: expiring-warning" warn expiring-warning
finds_not "219 days left: not expiring" good expiring-warning
finds "a chain certificate expiring before the leaf" chainfirst chain-expires-first
finds_not "an intermediate outliving the leaf is fine" good chain-expires-first
finds "RSA 2047 bits is weak" rsa2047 weak-rsa-key
finds_not "RSA 2048 bits is not" rsa2048 weak-rsa-key
finds "DSA" dsa dsa-key
finds "secp256k1 is a weak curve" k1 weak-curve
finds_not "P-384 is not" p384 weak-curve
finds_not "P-256 is not" good weak-curve
finds "a SHA-1 signed leaf" sha1 weak-signature
finds_not "a SHA-1 self-signed root is a trust anchor" sha1root weak-signature
finds_not "SHA-256 is not weak" good weak-signature
finds_not "exactly 398 days is allowed" v398 validity-too-long
finds "398 days and 1 second is not" v398plus validity-too-long
check "the detail counts CA/B style" grep -q '^v398plus validity-too-long warning valid 398 days 1 seconds (maximum 398 days)$' "$F"
finds_not "issued before 2020-09-01: no limit" old825 validity-too-long
finds "no SAN" nosan missing-san
finds "CN not among the SANs" cnsan cn-not-in-san
finds_not "CN among the SANs" good cn-not-in-san
finds "a 21-octet serial" serial21 bad-serial
finds_not "a 20-octet serial" serial20 bad-serial
finds "a CA without keyCertSign" nosign ca-no-keycertsign
finds_not "a CA with keyCertSign" audit-root ca-no-keycertsign
finds "a self-signed leaf" self self-signed-leaf
finds_not "a self-signed CA is not a self-signed leaf" audit-root self-signed-leaf
finds "a chain out of order" broken chain-broken
finds "a chain whose names match but whose signature does not" forged chain-broken
check "... says which signature" grep -q '^forged chain-broken critical the signature of the leaf does not verify with the key of chain certificate 1 (Audit Intermediate)$' "$F"
finds_not "a chain that verifies" good chain-broken
finds "a leaf whose issuer is nowhere" orphan chain-incomplete
finds_not "an issuer imported as its own entry completes a chain" inter chain-incomplete
finds_not "leaf + intermediate of an imported root is complete" good chain-incomplete
finds "two certificates of one key (1)" key1 shared-key
finds "two certificates of one key (2)" key2 shared-key
finds_not "a key of its own" good shared-key
finds "no owner" noowner no-owner
finds_not "an owner" good no-owner
finds "quantum-vulnerable keys are counted" "(inventory)" pq-inventory
check "per algorithm" grep -q '^(inventory) pq-inventory info ECDSA-P-256: [0-9]* quantum-vulnerable$' "$F"
check "RSA counted by size" grep -q '^(inventory) pq-inventory info RSA-2048: 1 quantum-vulnerable$' "$F"

# --- the same sweep again: no commit
n1=$(commits "$I")
C audit >"$T/t2.txt" 2>&1
check "the same findings make no commit" test "$(commits "$I")" = "$n1"
check_out "and the table says so" "no change since the last sweep" cat "$T/t2.txt"

# --- duplicate certificate: the same cert.pem in a second entry, by hand
sh=$(printf 'good-copy' | sha256sum | cut -c1-2)
gd=$(cd "$I" && ls -d certs/*/good)
mkdir -p "$I/certs/$sh/good-copy"
cp "$I/$gd/cert.pem" "$I/certs/$sh/good-copy/cert.pem"
git -C "$I" add certs >/dev/null && git -C "$I" commit -qm "copy good by hand"
C audit >/dev/null 2>&1
finds "the same certificate in two entries" good duplicate-cert
finds "... both of them" good-copy duplicate-cert
finds_not "the same certificate is not a shared key" good shared-key
finds_not "a chain parsed from a hand commit that verifies" good-copy chain-broken
check "the commit counts new and resolved" sh -c "git -C '$I' log -1 --format=%s | grep -qx 'audit: [0-9]* new findings, 1 resolved'"
C rm good-copy >/dev/null
C audit >/dev/null 2>&1
# (the per-algorithm count line changes too: one new, one resolved)
check "removing it resolves findings" sh -c "git -C '$I' log -1 --format=%s | grep -qx 'audit: 1 new finding, [0-9]* resolved'"
check "the body lists what was resolved" sh -c "git -C '$I' log -1 --format=%b | grep -q '^- good-copy duplicate-cert notice'"
check "log audit is the history of sweeps" test "$(C log audit | wc -l)" = 3
check_out "log audit shows the subjects" "audit: first sweep" C log audit
C log audit --json >"$J"
check "log audit --json lists only audit commits" test "$(jq_ "(SELECT count(*) FROM json_each(j) WHERE json_extract(value,'\$.action') = 'audit')")" = 3
check "log --sweeps is the same history" test "$(C log --sweeps | wc -l)" = 3
check_fail "log --sweeps with a name is a usage error" C log --sweeps good
check "  exit 2" sh -c "'$CERTDECK' -C '$I' log --sweeps good 2>/dev/null; test \$? = 2"
# An entry named audit: its name means the entry, in log, show and the UI.
I3=$T/inv-named-audit
"$CERTDECK" init "$I3" >/dev/null
"$CERTDECK" -C "$I3" import --name audit "$T/c/root.pem" >/dev/null
"$CERTDECK" -C "$I3" audit >/dev/null 2>&1
check "log audit is the entry named audit" sh -c "'$CERTDECK' -C '$I3' log audit | grep -c . | grep -qx 1 && '$CERTDECK' -C '$I3' log audit | grep -q '  import  audit  '"
check "log --sweeps is still the sweeps" sh -c "'$CERTDECK' -C '$I3' log --sweeps | grep -c . | grep -qx 1 && '$CERTDECK' -C '$I3' log --sweeps | grep -q '  audit  -  audit: '"
check_out "show audit has the entry's history" "import audit: expires" "$CERTDECK" -C "$I3" show audit
check "  and not the sweep's" sh -c "! '$CERTDECK' -C '$I3' show audit | grep -q 'audit: first sweep'"

# A forged chain that reaches the index by a hand commit (parsed from git,
# not imported) is found the same.
sh=$(printf 'forged-copy' | sha256sum | cut -c1-2)
fd=$(cd "$I" && ls -d certs/*/forged)
mkdir -p "$I/certs/$sh/forged-copy"
cp "$I/$fd/cert.pem" "$I/certs/$sh/forged-copy/cert.pem"
git -C "$I" add certs >/dev/null && git -C "$I" commit -qm "copy forged by hand"
rm -f "$I/.certdeck/index.db"*
C audit >/dev/null 2>&1
finds "a forged chain parsed from git (index rebuilt)" forged-copy chain-broken
finds "... and the imported one again" forged chain-broken
C rm forged-copy >/dev/null
C audit >/dev/null 2>&1

# --- key-mismatch: key-path naming another certificate's key
C set rsa2048 "key-path=$T/c/rsa2048.key" >/dev/null
C set p384 "key-path=$T/c/good.key" >/dev/null
C audit >/dev/null 2>&1
finds "a key-path key of another certificate" p384 key-mismatch
finds_not "a key-path key of this certificate" rsa2048 key-mismatch

# --- renewal-stuck: failed renew jobs since the last success (index table)
DB=$I/.certdeck/index.db
sqlite3 "$DB" "INSERT INTO jobs(entry,kind,started,ended,ok) VALUES
  ('crit','renew',100,101,1),('crit','renew',200,201,0),('crit','renew',300,301,0),('crit','renew',400,401,0),
  ('warn','renew',100,101,0),('warn','renew',200,201,0),('warn','renew',300,301,1),('warn','renew',400,401,0),('warn','renew',500,501,0);"
C audit >/dev/null 2>&1
finds "three failed renewals since the last success" crit renewal-stuck
finds_not "two failed renewals since the last success" warn renewal-stuck

# --- revoked by a local CRL
printf '\n[audit]\ncrl-dir = %s\n' "$T/c/crls" >>"$I/certdeck.conf"
git -C "$I" commit -qam "audit: CRLs from a local directory"
C audit >/dev/null 2>&1
finds "a serial on the local CRL" crl revoked
check "the detail says which CRL and since when" grep -q '^crl revoked critical on the CRL of http://crl.invalid/inter.crl since 2026-05-20$' "$F"
finds_not "a serial not on it" crlok revoked

# --- tuning: severities, off, per tag, settings
cat >>"$I/certdeck.conf" <<'EOF'
no-owner = warning
self-signed-leaf = off
[audit tag web]
rsa-min-bits = 3072
no-profile = critical
EOF
git -C "$I" commit -qam "tune the audit"
C audit >/dev/null 2>&1
check "a rule's severity is set in [audit]" grep -q '^noowner no-owner warning ' "$F"
finds_not "a rule turned off" self self-signed-leaf
finds "[audit tag web] rsa-min-bits = 3072 trips RSA 2048" rsa2048 weak-rsa-key
check "the detail names the tag's minimum" grep -q '^rsa2048 weak-rsa-key critical leaf: RSA 2048 bits (minimum 3072)$' "$F"
check "a tag's severity" grep -q '^good no-profile critical ' "$F"
check "untagged entries keep [audit]'s" grep -q '^noowner no-owner warning ' "$F"
printf 'max-validity-days = sc-081\n' >>"$I/certdeck.conf"
git -C "$I" commit -qam "shorter lifetimes"
C audit >/dev/null 2>&1
finds "sc-081: 245 days from 2026-05-01 is over 200" good validity-too-long
printf '[audit]\nno-such-rule = off\n' >>"$I/certdeck.conf"
git -C "$I" commit -qam "a typo"
n2=$(commits "$I")
C audit >"$T/bad.txt" 2>&1; rc=$?
check "an unknown rule exits 2" test $rc = 2
check_out "... naming the line and the key" "certdeck.conf:" cat "$T/bad.txt"
check_out "... and the key" "unknown rule or setting no-such-rule" cat "$T/bad.txt"
check "... and commits nothing" test "$(commits "$I")" = "$n2"
C audit --nagios >"$T/nag.txt" 2>&1; rc=$?
check "--nagios on a bad configuration is UNKNOWN (3)" test $rc = 3
check_out "--nagios says UNKNOWN" "CERTDECK UNKNOWN - " cat "$T/nag.txt"
git -C "$I" revert --no-edit HEAD >/dev/null
git -C "$I" revert --no-edit HEAD~1 >/dev/null

# --- probes: drift, a failed probe, mTLS policy, stapled OCSP
srv served 127.0.0.1:0 -cert "$T/c/served.pem" -key "$T/c/served.key"
C set drift "endpoints=127.0.0.1:$port@drift.test" >/dev/null
srv plain 127.0.0.1:0 -cert "$T/c/mtls.pem" -key "$T/c/mtls.key"
C set mtls "endpoints=127.0.0.1:$port@mtls.test" policy=mtls >/dev/null
srv asks 127.0.0.1:0 -cert "$T/c/mtlsok.pem" -key "$T/c/mtlsok.key" -verify 1 -CAfile "$T/c/root.pem"
C set mtlsok "endpoints=127.0.0.1:$port@mtlsok.test" policy=mtls >/dev/null
srv ocsp 127.0.0.1:0 -cert "$T/c/ocsp.pem" -key "$T/c/ocsp.key" -status_file "$T/c/ocsp-revoked.der"
C set ocsp "endpoints=127.0.0.1:$port@ocsp.test" >/dev/null
# A port nothing listens on: bind one, note it, close it.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 9)
C set crlok "endpoints=127.0.0.1:$closed" >/dev/null
C audit --probe --json --fail-on none >"$J" 2>"$T/probe.err"; rc=$?
check "--fail-on none exits 0 whatever was found" test $rc = 0
finds "an endpoint serving another certificate" drift drift
finds "an endpoint that refused the probe" crlok probe-failed
finds "policy mtls and no client certificate asked for" mtls mtls-not-required
finds_not "policy mtls and the server asks" mtlsok mtls-not-required
finds_not "the server asking is not drift" mtlsok drift
finds "a stapled revoked OCSP response" ocsp revoked
C set mtls policy= >/dev/null
C audit >/dev/null 2>&1
finds_not "without policy mtls, no mtls finding" mtls mtls-not-required
C set crlok endpoints= >/dev/null
C audit >/dev/null 2>&1
finds_not "a probe of an endpoint no longer listed does not count" crlok probe-failed

# --- outputs
C audit --json >"$J" 2>/dev/null
check "--json is valid JSON" test "$(jq_ 'json_valid(j)')" = 1
for k in time entries counts commit new resolved findings rules public_keys; do
	check "--json has $k" test "$(jq_ "json_type(j,'\$.$k') IS NOT NULL")" = 1
done
check "--json findings match audit/findings" test "$(jq_ "json_array_length(j,'\$.findings')")" = "$(grep -vc '^#' "$F")"
check "--json counts add up" test "$(jq_ "json_extract(j,'\$.counts.critical')+json_extract(j,'\$.counts.warning')+json_extract(j,'\$.counts.notice')+json_extract(j,'\$.counts.info')")" = "$(jq_ "json_array_length(j,'\$.findings')")"
check "--json rules have id, severity, fix" test "$(jq_ "(SELECT count(*) FROM json_each(j,'\$.rules') WHERE json_extract(value,'\$.fix') IS NOT NULL AND json_extract(value,'\$.default_severity') IS NOT NULL)")" = "$(C audit --rules | grep -vc '^ ')"
check "--json public keys by algorithm" test "$(jq_ "(SELECT json_extract(value,'\$.count') FROM json_each(j,'\$.public_keys') WHERE json_extract(value,'\$.algorithm') = 'DSA-1024')")" = 1
C audit --prometheus >"$T/prom.txt" 2>/dev/null
check "--prometheus: every line a comment or a sample" sh -c "! grep -Ev '^(# (HELP|TYPE) [a-z_]+ .*|[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? -?[0-9]+)\$' '$T/prom.txt'"
check "--prometheus: per-entry expiry" grep -q "^certdeck_certificate_expiry_timestamp_seconds{entry=\"expired\"} $(date -u -d 2026-05-01 +%s)\$" "$T/prom.txt"
check "--prometheus: per-rule counts" grep -q '^certdeck_audit_findings{rule="expired",severity="critical"} 2$' "$T/prom.txt"
check "--prometheus: a rule at the severity [audit] gives it" grep -q '^certdeck_audit_findings{rule="no-owner",severity="warning"} 4$' "$T/prom.txt"
check "--prometheus: not at its default as well" sh -c "! grep -q 'rule=\"no-owner\",severity=\"notice\"' '$T/prom.txt'"
check "--prometheus: a rule off everywhere has no sample" sh -c "! grep -q 'rule=\"self-signed-leaf\"' '$T/prom.txt'"
check "--json: a rule's configured severity" test "$(jq_ "(SELECT json_extract(value,'\$.severity') || json_extract(value,'\$.default_severity') FROM json_each(j,'\$.rules') WHERE json_extract(value,'\$.id') = 'no-owner')")" = warningnotice
check "--prometheus: per-severity counts" grep -q '^certdeck_audit_findings_by_severity{severity="critical"} [1-9]' "$T/prom.txt"
if command -v promtool >/dev/null 2>&1; then
	check "promtool accepts the metrics" sh -c "promtool check metrics <'$T/prom.txt' >/dev/null 2>&1 || promtool check metrics <'$T/prom.txt' 2>&1 | grep -qv 'error'"
fi
C audit --nagios >"$T/nag.txt"; rc=$?
check "--nagios: critical findings exit 2" test $rc = 2
check "--nagios: one line" test "$(wc -l <"$T/nag.txt")" = 1
check_out "--nagios: perfdata" "| critical=" cat "$T/nag.txt"
C audit --fail-on info >/dev/null 2>&1; check "--fail-on info exits 1" test $? = 1

# A small inventory with nothing wrong: exit 0, Nagios OK.
I2=$T/clean
"$CERTDECK" -C "$I2" init >/dev/null
"$CERTDECK" -C "$I2" import --name audit-root "$T/c/root.pem" >/dev/null
"$CERTDECK" -C "$I2" import --name good --owner team "$T/c/good-chain.pem" >/dev/null
"$CERTDECK" -C "$I2" set good profile=default >/dev/null
"$CERTDECK" -C "$I2" set audit-root profile=default owner=team >/dev/null
"$CERTDECK" -C "$I2" audit --nagios >"$T/nag2.txt"; rc=$?
check "a clean inventory: Nagios OK (0)" test $rc = 0
check_out "... says OK" "CERTDECK OK - 2 entries, 0 critical, 0 warning, 0 notice" cat "$T/nag2.txt"
"$CERTDECK" -C "$I2" audit --fail-on notice >/dev/null 2>&1
check "a clean inventory: --fail-on notice exits 0" test $? = 0
# An entry whose cert.pem no longer parses (a hand edit), then has none:
# no expiry left to watch, which a monitor must hear.
good=$(ls -d "$I2"/certs/*/good)
echo garbage >"$good/cert.pem"
git -C "$I2" commit -qam "break good by hand"
broke=$(git -C "$I2" rev-parse HEAD)
"$CERTDECK" -C "$I2" audit --nagios >"$T/nag2.txt" 2>/dev/null; rc=$?
check "a cert.pem that does not parse: Nagios CRITICAL (2)" test $rc = 2
"$CERTDECK" -C "$I2" audit --json >"$J" 2>/dev/null
check "... found as no-certificate" test "$(jq_ "(SELECT json_extract(value,'\$.detail') FROM json_each(j,'\$.findings') WHERE json_extract(value,'\$.rule')='no-certificate' AND json_extract(value,'\$.entry')='good')")" = "cert.pem missing or does not parse"
git -C "$I2" rm -q "$good/cert.pem" && git -C "$I2" commit -qm "remove good's cert.pem by hand"
removed=$(git -C "$I2" rev-parse HEAD)
"$CERTDECK" -C "$I2" audit --json >"$J" 2>/dev/null
check "a missing cert.pem: found as no-certificate" test "$(jq_ "(SELECT json_extract(value,'\$.detail') FROM json_each(j,'\$.findings') WHERE json_extract(value,'\$.rule')='no-certificate' AND json_extract(value,'\$.entry')='good')")" = "cert.pem missing or does not parse"
git -C "$I2" revert --no-edit "$removed" "$broke" >/dev/null
"$CERTDECK" -C "$I2" audit --nagios >/dev/null 2>&1
check "mended: Nagios OK again" test $? = 0
# A bad top-level setting: every command warns, once, and goes on with
# the defaults; the audit, whose thresholds they are, refuses.
sed -i 's/^critical-days = .*/critical-days = 40/' "$I2/certdeck.conf"
git -C "$I2" commit -qam "thresholds by hand, wrong"
"$CERTDECK" -C "$I2" list >/dev/null 2>"$T/cfg.err"
check "a bad certdeck.conf: list still works" test $? = 0
check "... with one warning naming the setting" test "$(grep -c 'warning: certdeck.conf: critical-days (40)' "$T/cfg.err")" = 1
"$CERTDECK" -C "$I2" audit --nagios >"$T/nag2.txt" 2>/dev/null; rc=$?
check "a bad certdeck.conf: audit --nagios is UNKNOWN (3)" test $rc = 3
check_out "... saying why" "CERTDECK UNKNOWN - certdeck.conf: critical-days (40)" cat "$T/nag2.txt"
"$CERTDECK" -C "$I2" audit >/dev/null 2>&1
check "... and audit exits 2" test $? = 2
git -C "$I2" revert --no-edit HEAD >/dev/null
"$CERTDECK" -C "$I2" audit --nagios >/dev/null 2>&1
check "fixed: Nagios OK" test $? = 0

# Untrusted text in a finding's detail never reaches the terminal raw.
evil=$(printf 'evil\033[31mred\001')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout /dev/null -out "$T/evil.pem" -days 30 -subj "/CN=$evil" \
    -addext "subjectAltName=DNS:evil.test" -addext "basicConstraints=CA:FALSE" 2>/dev/null
"$CERTDECK" -C "$I2" import --name evil "$T/evil.pem" >/dev/null
"$CERTDECK" -C "$I2" audit >"$T/evil.txt" 2>&1
check "an escape in a CN is shown escaped in the table" sh -c "! grep -q \"$(printf '\033')\" '$T/evil.txt' && grep -q 'evil.x1b' '$T/evil.txt'"
check "... and in audit/findings" sh -c "! grep -q \"$(printf '\033')\" '$I2/audit/findings'"

# --- the seed corpus: every file imported, one sweep, no crash
I3=$T/seeds
"$CERTDECK" -C "$I3" init >/dev/null
"$CERTDECK" -C "$I3" import "$TOP/../shared/corpora/seeds" >/dev/null 2>&1
[ -d "$TOP/../shared/corpora/seeds" ] || "$CERTDECK" -C "$I3" import /work/shared/corpora/seeds >/dev/null 2>&1
"$CERTDECK" -C "$I3" audit --json >"$J" 2>"$T/seeds.err"; rc=$?
check "a sweep over the seed corpus finishes (exit 0 or 1)" test $rc -le 1
check "... with valid JSON" test "$(jq_ 'json_valid(j)')" = 1
n3=$(jq_ "json_extract(j,'\$.entries')")
"$CERTDECK" -C "$I3" list --json >"$T/list3.json"
check "... over every entry" test "$n3" = "$(json_q "$T/list3.json" 'json_array_length(j)')"
check "... counting post-quantum keys" test "$(jq_ "(SELECT count(*) FROM json_each(j,'\$.public_keys') WHERE json_extract(value,'\$.quantum_safe'))")" -ge 1
check "git status clean after every sweep" test -z "$(git -C "$I" status --porcelain)$(git -C "$I3" status --porcelain)"
