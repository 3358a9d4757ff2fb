# renew-lego.sh: the command renewal profile driving a real ACME client,
# lego (Debian package), against pebble on 127.0.0.1: certdeck runs it as
# an argument vector, reads what it wrote, stores the key encrypted, and
# the renewal is one commit whose certificate chains to pebble's root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tls.sh"
. "$(dirname "$0")/lib-acme.sh"
if ! command -v lego >/dev/null 2>&1; then
	ok "skipped: lego is not installed (Debian package lego)"
	exit 0
fi

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
# The command's {out} directory goes here, to see it removed.
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
C init >/dev/null

export PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0
hport=$(free_port)
start_pebble lego "$hport" || exit 1
unset PEBBLE_VA_ALWAYS_VALID PEBBLE_WFE_NONCEREJECT
# lego trusts pebble's own TLS certificate through its environment, which
# certdeck passes on to the command.
export LEGO_CA_CERTIFICATES="$T/pebble.pem"

cat >>"$I/certdeck.conf" <<CONF

[profile lego]
type = command
command = lego --server https://127.0.0.1:$pport/dir --email ops@example.test --accept-tos --domains {cn} --http --http.port 127.0.0.1:$hport --key-type ec256 --path {out} run
cert = {out}/certificates/{cn}.crt
key = {out}/certificates/{cn}.key
timeout = 60
CONF
git -C "$I" commit -qam "add profile lego"

cert_at 2026-05-01 30 "$T/old" lego.test
C import --name lego-test "$T/old.pem" >/dev/null
C set lego-test profile=lego >/dev/null
d=$(ls -d "$I"/certs/*/lego-test)
n0=$(commits "$I")
C renew lego-test >"$T/out" 2>&1
rc=$?
[ $rc = 0 ] || fmt <"$T/out"
check "renew through lego succeeds" test "$rc" = 0
check_out "  says renewed" "renewed lego-test" cat "$T/out"
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  its subject" "renew lego-test: expires" git -C "$I" log -1 --format=%s
curl -s --cacert "$T/pebble.pem" "https://127.0.0.1:$mport/roots/0" >"$T/root.pem"
curl -s --cacert "$T/pebble.pem" "https://127.0.0.1:$mport/intermediates/0" >"$T/inter.pem"
check "  pebble's roots fetched" grep -q 'BEGIN CERTIFICATE' "$T/root.pem"
check_out "  the new certificate names lego.test" "DNS:lego.test" openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName
check_out "  and chains to pebble's root" "OK" openssl verify -CAfile "$T/root.pem" -untrusted "$T/inter.pem" "$d/cert.pem"
check "  the key lego made is stored encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$I/keys/lego-test.key"
check "  the key is the certificate's" sh -c "
    a=\$(openssl pkey -in '$I/keys/lego-test.key' -passin file:'$T/pass' -pubout 2>/dev/null);
    b=\$(openssl x509 -in '$d/cert.pem' -noout -pubkey); [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
check "  no unencrypted key in any git object" sh -c "! git -C '$I' cat-file --batch-all-objects --batch | grep -qE 'BEGIN (RSA |EC )?PRIVATE KEY'"
check "  lego's directory is gone" test -z "$(ls -A "$TMPDIR")"

# pebble gone: lego fails, certdeck reports it, nothing is committed.
kill $ppid 2>/dev/null; wait $ppid 2>/dev/null
n0=$(commits "$I")
C renew lego-test >"$T/out" 2>&1
check "with pebble gone the renewal fails" test $? != 0
check_out "  and says the command failed" "command lego exited" cat "$T/out"
check "  nothing committed" test "$(commits "$I")" = "$n0"
check "  git status clean" test -z "$(git -C "$I" status --porcelain)"
