# ca.sh: local certificate authorities against the real openssl: ca init
# (root and intermediate, every key type), issue, revoke and ca crl; each
# one commit; certificates verify with `openssl verify`, the CRL with
# `openssl crl -CAfile`, a revoked certificate fails -crl_check; serials
# never repeat; no git object holds an unencrypted private key; keys
# written to disk are mode 0600.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
# openssl checks validity against the real clock; certdeck's is
# CERTDECK_NOW: verify as of a day after it.
AT=$(date -d 2026-06-02 +%s)
C init >/dev/null

# --- refusals before any key exists
unset CERTDECK_PASSPHRASE_FILE
n0=$(commits "$I")
check_out "ca init without a passphrase is refused" "no passphrase" C ca init nopass
check "  and commits nothing" test "$(commits "$I")" = "$n0"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
check_out "an unknown key type is refused" "--key-type dsa:1024: use ec:P-256" C ca init bad --key-type dsa:1024
check_out "an invalid CA name is refused" "not a valid CA name" C ca init 'Bad Name'
check "  and commits nothing" test "$(commits "$I")" = "$n0"

# --- a root and an intermediate, one commit each
check "ca init root" C ca init root --subject "/CN=Test Root/O=certdeck tests" --days 3650
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  subject" "ca init root: root, expires 2036-05-29" git -C "$I" log -1 --format=%s
check "ca init inter --parent root --pathlen 0" C ca init inter --parent root --pathlen 0 --key-type ec:P-384
check "  is one commit" test "$(commits "$I")" = $((n0 + 2))
check_out "ca init refuses an existing CA" "exists already" C ca init root
check_out "an intermediate of a pathlen-0 CA is refused" "path length 0" C ca init sub --parent inter
check_out "the root verifies itself" "OK" openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$I/cas/root/cert.pem"
check_out "the intermediate verifies against the root" "OK" openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" "$I/cas/inter/cert.pem"
check_out "  with path length 0" "pathlen:0" openssl x509 -in "$I/cas/inter/cert.pem" -noout -text
check_out "the parent's record holds the intermediate" "ca/inter" cat "$I/cas/root/serials"
check "the CA key is stored encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$I/cas/root/key.pem"
check_out "  and decrypts with the passphrase" "BEGIN PRIVATE KEY" sh -c "openssl pkey -in '$I/cas/root/key.pem' -passin file:'$T/pass' 2>&1"
# lib.sh lowers the PBKDF2 iterations for the whole suite (see there):
# the default, the variable and its refusals, here.
kdf_iter() { openssl asn1parse -in "$1" | grep -A3 ':PBKDF2' | sed -n 's/.*INTEGER *://p'; }
check "  with the suite's PBKDF2 iterations (2048)" test "$(kdf_iter "$I/cas/root/key.pem")" = 0800
env -u CERTDECK_KDF_ITERATIONS "$CERTDECK" -C "$I" ca init kdf-default >/dev/null
check "without CERTDECK_KDF_ITERATIONS: 600000 iterations" test "$(kdf_iter "$I/cas/kdf-default/key.pem")" = 0927C0
check_out "  and decrypts with the passphrase" "BEGIN PRIVATE KEY" sh -c "openssl pkey -in '$I/cas/kdf-default/key.pem' -passin file:'$T/pass' 2>&1"
for bad in 999 10000001 12x -5 ' '; do
	check_out "CERTDECK_KDF_ITERATIONS='$bad' is refused" "CERTDECK_KDF_ITERATIONS: not a number from 1000 to 10000000" \
	    env CERTDECK_KDF_ITERATIONS="$bad" "$CERTDECK" -C "$I" ca init "kdf-bad"
done
check "  and commits nothing" test ! -e "$I/cas/kdf-bad"

# every key type makes a CA that signs
for kt in ec:P-256 ec:P-384 rsa:3072 ed25519; do
	n=$(echo "$kt" | tr ':A-Z' '-a-z')
	check "ca init with key type $kt" C ca init "k-$n" --key-type "$kt" --days 30
	check "  issues a certificate that verifies" sh -c "
	    '$CERTDECK' -C '$I' issue --ca 'k-$n' --cn 'svc-$n.test' --key-type '$kt' --days 20 >/dev/null &&
	    openssl verify -attime $AT -CAfile '$I/cas/k-$n/cert.pem' \"\$(ls '$I'/certs/*/svc-$n-test/cert.pem)\" >/dev/null"
done

# A certificate may not outlive the CA that signs it (it would stop
# verifying before its own date, and nothing would say so).
n0=$(commits "$I")
check_out "issue past its CA's expiry is refused" "CA k-ed25519 expires 2026-07-01, before the certificate would (2027-06-01): ask for fewer days" C issue --ca k-ed25519 --cn late.test
check "  and commits nothing" test "$(commits "$I")" = "$n0"
check_out "an intermediate past its parent's too" "CA k-ed25519 expires 2026-07-01" C ca init late-sub --parent k-ed25519 --days 60

# --- issue
n0=$(commits "$I")
check_out "issue a server certificate from the intermediate" "issued api-test" \
    C issue --ca inter --cn api.test --san 'DNS:api.test,DNS:www.api.test,IP:127.0.0.1' --days 90
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
d=$(ls -d "$I"/certs/*/api-test)
check_out "  verifies to the root through the chain it carries" "OK" \
    openssl verify -attime "$AT" -CAfile "$I/cas/root/cert.pem" -untrusted "$d/cert.pem" "$d/cert.pem"
openssl x509 -in "$d/cert.pem" -noout -text >"$T/api.txt"
check_out "  has the SANs" "DNS:api.test, DNS:www.api.test, IP Address:127.0.0.1" cat "$T/api.txt"
check_out "  is for servers" "TLS Web Server Authentication" cat "$T/api.txt"
check_out "  is not a CA" "CA:FALSE" cat "$T/api.txt"
check_out "  has a subject key id" "Subject Key Identifier" cat "$T/api.txt"
check_out "  has an authority key id" "Authority Key Identifier" cat "$T/api.txt"
check_out "  key usage digital signature" "Digital Signature" cat "$T/api.txt"
check_out "the entry names its CA" "ca = inter" cat "$d/entry"
check_out "the subject says what happened" "issue api-test: from inter, expires 2026-08-30" git -C "$I" log -1 --format=%s
check_out "list shows it" "api-test" C list
check "issue --client" C issue --ca root --cn "Client One" --client --name client-one
check_out "  is for clients only" "TLS Web Client Authentication" sh -c "openssl x509 -in \$(ls '$I'/certs/*/client-one/cert.pem) -noout -text"
check "issue --both" C issue --ca root --cn both.test --both
check_out "  is for both" "TLS Web Server Authentication, TLS Web Client Authentication" sh -c "openssl x509 -in \$(ls '$I'/certs/*/both-test/cert.pem) -noout -text"
check_out "issue refuses an existing entry name" "exists already" C issue --ca root --cn api.test
check_out "issue refuses an unknown CA" "no such CA" C issue --ca nosuch --cn x.test
check_out "issue refuses a bad SAN" "expected DNS:, IP:" C issue --ca root --cn x.test --san 'FOO:bar'

# serials: 128 random bits, unique within a CA, all in its record
for k in 1 2 3 4 5 6 7 8; do C issue --ca root --cn "s$k.test" >/dev/null; done
serials=$(grep -v '^#' "$I/cas/root/serials" | cut -d' ' -f1)
check "the record lists every certificate the root issued" test "$(printf '%s\n' "$serials" | wc -l)" = 11
check "  no serial twice" test "$(printf '%s\n' "$serials" | sort -u | wc -l)" = 11
check "  serials are long random numbers (>= 120 bits)" sh -c "! printf '%s\n' '$serials' | awk 'length(\$0) < 30' | grep -q ."
check "  the record is sorted" sh -c "grep -v '^#' '$I/cas/root/serials' | awk '{ print length(\$1) \" \" \$1 }' | sort -c"

# --- revoke and the CRL
n0=$(commits "$I")
check_out "revoke api-test" "revoked api-test" C revoke api-test --reason key-compromise
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  the record says so" "revoked 2026-06-01T12:00:00Z key-compromise" grep "api-test" "$I/cas/inter/serials"
check_out "revoking it again is refused" "already revoked" C revoke api-test
check_out "an unknown reason is refused" "--reason" C revoke s1-test --reason because
check_out "ca crl inter" "wrote cas/inter/crl.pem" C ca crl inter
check "  is one commit" test "$(commits "$I")" = $((n0 + 2))
check_out "the CRL verifies with openssl crl -CAfile" "verify OK" \
    openssl crl -in "$I/cas/inter/crl.pem" -CAfile "$I/cas/inter/cert.pem" -noout
openssl crl -in "$I/cas/inter/crl.pem" -noout -text >"$T/crl.txt"
check_out "  lists the revoked serial" "$(grep api-test "$I/cas/inter/serials" | cut -d' ' -f1 | tr a-f A-F)" cat "$T/crl.txt"
check_out "  with its reason" "Key Compromise" cat "$T/crl.txt"
check_out "  CRL number 1" "crlNumber=0x01" openssl crl -in "$I/cas/inter/crl.pem" -noout -crlnumber
check_out "a revoked certificate fails openssl verify -crl_check" "certificate revoked" \
    openssl verify -attime "$AT" -crl_check -CAfile "$I/cas/root/cert.pem" -untrusted "$I/cas/inter/cert.pem" \
    -CRLfile "$I/cas/inter/crl.pem" "$d/cert.pem"
C issue --ca inter --cn good.test >/dev/null
C ca crl inter >/dev/null
check_out "  a good one passes it" "OK" \
    openssl verify -attime "$AT" -crl_check -CAfile "$I/cas/root/cert.pem" -untrusted "$I/cas/inter/cert.pem" \
    -CRLfile "$I/cas/inter/crl.pem" "$(ls "$I"/certs/*/good-test/cert.pem)"
check_out "the next CRL has number 2" "crlNumber=0x02" openssl crl -in "$I/cas/inter/crl.pem" -noout -crlnumber
check_out "revoke of a certificate from no local CA is refused" "not issued by a CA" sh -c "
    cert_at() { :; }; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '$T/o.key' \
    -out '$T/o.pem' -days 30 -subj /CN=other.test 2>/dev/null; '$CERTDECK' -C '$I' import '$T/o.pem' >/dev/null;
    '$CERTDECK' -C '$I' revoke other-test"

# --- no unencrypted key anywhere in git; key files 0600
check "git and certdeck fsck are clean" sh -c "[ -z \"\$(git -C '$I' status --porcelain)\" ] && git -C '$I' fsck --strict >/dev/null 2>&1 && '$CERTDECK' -C '$I' fsck >/dev/null 2>&1"
git -C "$I" cat-file --batch-all-objects --batch >"$T/objects"
check "git holds private keys (encrypted)" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$T/objects"
check "no git object holds an unencrypted private key" sh -c "! grep -E 'BEGIN (RSA |EC )?PRIVATE KEY' '$T/objects'"
check "every key file in the work tree is encrypted" sh -c "! grep -L 'BEGIN ENCRYPTED PRIVATE KEY' '$I'/keys/*.key '$I'/cas/*/key.pem | grep -q ."

# --passphrase-fd gives the passphrase instead of the file
unset CERTDECK_PASSPHRASE_FILE
check "issue with --passphrase-fd" sh -c "'$CERTDECK' --passphrase-fd 3 -C '$I' issue --ca root --cn fd.test 3<'$T/pass' >/dev/null"
check_out "--passphrase-fd with a wrong passphrase cannot use the CA key" "wrong passphrase" \
    sh -c "echo nope | '$CERTDECK' --passphrase-fd 0 -C '$I' issue --ca root --cn fd2.test"

# The audit knows local CAs: an entry made by issue renews through its
# CA (no no-profile finding), and one its CA revoked is found revoked.
C audit --fail-on none >/dev/null 2>&1
git -C "$I" show HEAD:audit/findings >"$T/findings" 2>/dev/null
check "audit: an issued entry has no no-profile finding" sh -c "! grep -q '^s1-test no-profile ' '$T/findings'"
check "audit: an imported entry without a profile has one" grep -q '^other-test no-profile ' "$T/findings"
check "audit: the entry its local CA revoked is found revoked" grep -q '^api-test revoked .*revoked by local CA inter on .* (key-compromise)' "$T/findings"
check "audit: an entry its CA did not revoke is not" sh -c "! grep -q '^s1-test revoked ' '$T/findings'"
check "audit: a leaf of a local root has its issuer (cas/ is the inventory's)" sh -c "! grep -q '^s1-test chain-incomplete ' '$T/findings'"
check "audit: ... and a leaf of a local intermediate" sh -c "! grep -q '^good-test chain-incomplete ' '$T/findings'"

# A local CA's own expiry is a finding, about the inventory as a whole:
# every certificate it signed stops verifying with it.
CERTDECK_NOW=2026-07-02T00:00:00Z C audit --fail-on none >"$T/caexp" 2>&1
check "audit: an expired local CA is found" grep -qE '^critical +expired +\(inventory\) +local CA k-ed25519 expired 2026-07-01$' "$T/caexp"
CERTDECK_NOW=2026-06-29T00:00:00Z C audit --fail-on none >"$T/caexp" 2>&1
check "audit: ... and one about to" grep -qE '^critical +expiring-critical +\(inventory\) +local CA k-ed25519 expires 2026-07-01$' "$T/caexp"
