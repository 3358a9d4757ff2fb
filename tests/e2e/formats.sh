# formats.sh: every input format import takes, private keys, and the
# inventory's own settings.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
C init >/dev/null
mkdir -p "$T/c"
ca_at 2026-01-01 3650 "$T/c/root" "Formats Root"
ca_at 2026-01-01 2000 "$T/c/inter" "Formats Intermediate" "$T/c/root"
leaf_at 2026-05-01 200 "$T/c/der" der.example.com "$T/c/inter"
leaf_at 2026-05-01 200 "$T/c/p7" p7.example.com "$T/c/inter"
leaf_at 2026-05-01 200 "$T/c/p12" p12.example.com "$T/c/inter"
leaf_at 2026-05-01 200 "$T/c/txt" txt.example.com "$T/c/inter"

openssl x509 -in "$T/c/der.pem" -outform DER -out "$T/c/der.crt"
check "DER imports" C import "$T/c/der.crt"
check_out "DER entry listed" "der-example-com" C list

openssl crl2pkcs7 -nocrl -certfile "$T/c/p7.pem" -certfile "$T/c/inter.pem" -outform DER -out "$T/c/bundle.p7b"
check "PKCS#7 bundle imports" C import "$T/c/bundle.p7b"
check "PKCS#7 leaf keeps its chain" test "$(C show --json p7-example-com > "$T/p7.json"; json_q "$T/p7.json" "json_array_length(j,'\$.chain')")" = 1

{ echo "Bag Attributes: some text a tool printed"; echo "subject=/CN=txt"; cat "$T/c/txt.pem"; echo "trailing words"; cat "$T/c/inter.pem"; } > "$T/c/txt-chain.txt"
check "PEM with text around the blocks imports" C import "$T/c/txt-chain.txt"
check_out "it became one entry with its chain" "Formats Intermediate" C show txt-example-com

echo "s3cret-p12" > "$T/p12pass"
openssl pkcs12 -export -in "$T/c/p12.pem" -inkey "$T/c/p12.key" -certfile "$T/c/inter.pem" \
	-passout file:"$T/p12pass" -out "$T/c/bundle.p12" 2>/dev/null
check_out "PKCS#12 with a wrong passphrase is refused" "passphrase" C import "$T/c/bundle.p12"
check_out "PKCS#12 without a key passphrase: key not stored" "private key not stored" C import --pkcs12-pass-file "$T/p12pass" "$T/c/bundle.p12"
check "no key file without a passphrase" test ! -e "$I/keys/p12-example-com.key"
C rm p12-example-com >/dev/null
echo "inventory-key-pass" > "$T/keypass"
check "PKCS#12 with CERTDECK_PASSPHRASE_FILE keeps the key" env CERTDECK_PASSPHRASE_FILE="$T/keypass" "$CERTDECK" -C "$I" import --pkcs12-pass-file "$T/p12pass" "$T/c/bundle.p12"
check "the key is stored encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$I/keys/p12-example-com.key"
check "it decrypts with the passphrase" openssl pkey -in "$I/keys/p12-example-com.key" -passin file:"$T/keypass" -noout
check "and matches the certificate" test "$(openssl pkey -in "$I/keys/p12-example-com.key" -passin file:"$T/keypass" -pubout)" = "$(openssl x509 -in "$T/c/p12.pem" -noout -pubkey)"
check "no unencrypted private key in any git object" sh -c "! git -C '$I' cat-file --batch-all-objects --batch | grep -aq -e 'BEGIN PRIVATE KEY' -e 'BEGIN EC PRIVATE KEY' -e 'BEGIN RSA PRIVATE KEY'"
check "rm removes the stored key too" sh -c "'$CERTDECK' -C '$I' rm p12-example-com >/dev/null && test ! -e '$I/keys/p12-example-com.key'"
# From older tools (Windows, Java, openssl -legacy): RC2-40, in OpenSSL 3's
# legacy provider only.
if openssl pkcs12 -export -legacy -in "$T/c/p12.pem" -inkey "$T/c/p12.key" -certfile "$T/c/inter.pem" \
	-passout file:"$T/p12pass" -out "$T/c/legacy.p12" 2>/dev/null; then
	check "the legacy PKCS#12 is RC2-40" sh -c "openssl pkcs12 -info -in '$T/c/legacy.p12' -passin file:'$T/p12pass' -noout -legacy 2>&1 | grep -q 'RC2'"
	check_out "PKCS#12 with RC2-40 (legacy) is imported" "imported as p12-example-com" C import --pkcs12-pass-file "$T/p12pass" "$T/c/legacy.p12"
	check "with its chain" test "$(C show --json p12-example-com >"$T/p12.json"; json_q "$T/p12.json" "json_array_length(j,'\$.chain')")" = 1
	C rm p12-example-com >/dev/null
	check_out "and with a wrong passphrase still refused" "passphrase" C import "$T/c/legacy.p12"
fi

# A PEM with the leaf's key beside it, and a passphrase: key kept.
cat "$T/c/der.pem" "$T/c/der.key" > "$T/c/withkey.pem"
check_out "PEM with a key and no passphrase: key dropped, said so" "private key not stored" C import --into der-example-com "$T/c/withkey.pem"

# Thresholds come from certdeck.conf as committed.
cert_at 2026-03-01 130 "$T/c/fifty" fifty.example.com     # 2026-07-09, 38 days left
C import "$T/c/fifty.pem" >/dev/null
check "38 days left is ok by default" test "$(C list --json --status ok --filter fifty > "$T/f.json"; json_q "$T/f.json" 'json_array_length(j)')" = 1
sed -i 's/^warning-days = 30$/warning-days = 45/' "$I/certdeck.conf"
git -C "$I" commit -qam "warn earlier"
check "warning-days = 45 makes it a warning" test "$(C list --json --status warning --filter fifty > "$T/f.json"; json_q "$T/f.json" 'json_array_length(j)')" = 1
sed -i 's/^warning-days = 45$/warning-days = soon/' "$I/certdeck.conf"
git -C "$I" commit -qam "a bad setting"
check_out "a bad setting is reported with file and line" "certdeck.conf:" C list
check "and does not lock the operator out" C list
