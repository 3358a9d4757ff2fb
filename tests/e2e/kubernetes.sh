# kubernetes.sh: import --kubernetes from recorded kubectl JSON and YAML
# (made here; no cluster needed): TLS secrets become entries named
# NAMESPACE-SECRET; what is not a TLS secret, or is broken, is reported and
# the rest still imported.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
C init >/dev/null
b64() { base64 -w0 "$1"; }
mkdir -p "$T/c"
ca_at 2026-01-01 3650 "$T/c/root" "K8s Root"
leaf_at 2026-05-01 90 "$T/c/api" api.prod.example "$T/c/root"
cert_at 2026-05-01 200 "$T/c/web" web.example
cert_at 2026-05-01 300 "$T/c/yml" yml.example
cert_at 2026-05-01 300 "$T/c/str" str.example

# What `kubectl get secrets -A -o json` prints, with one of each case.
cat >"$T/secrets.json" <<JSON
{ "apiVersion": "v1", "kind": "List", "metadata": {}, "items": [
  { "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
    "metadata": { "name": "api-tls", "namespace": "prod" },
    "data": { "tls.crt": "$(b64 "$T/c/api.pem")",
              "tls.key": "$(b64 "$T/c/api.key")",
              "ca.crt": "$(b64 "$T/c/root.pem")" } },
  { "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
    "metadata": { "name": "db-password", "namespace": "prod" },
    "data": { "password": "aHVudGVyMg==" } },
  { "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
    "metadata": { "name": "broken", "namespace": "staging" },
    "data": { "tls.crt": "!!!this is not base64!!!", "tls.key": "" } },
  { "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
    "metadata": { "name": "no-crt", "namespace": "staging" },
    "data": { "tls.key": "$(b64 "$T/c/web.key")" } },
  { "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
    "metadata": { "name": "web-tls" },
    "data": { "tls.crt": "$(b64 "$T/c/web.pem")" } }
] }
JSON
C import --kubernetes - <"$T/secrets.json" >"$T/out" 2>&1
rc=$?
check "a refused secret makes the exit status 1" test "$rc" = 1
check_in() { check "$1" grep -q -- "$2" "$T/out"; }
check_in "the TLS secret is imported as prod-api-tls" "(stdin): prod/api-tls: imported as prod-api-tls"
check_in "an Opaque secret is reported and skipped" "prod/db-password: not a TLS secret (type Opaque); skipped"
check_in "broken base64 is reported" "staging/broken: tls.crt: broken base64"
check_in "a TLS secret without tls.crt is reported" "staging/no-crt: no tls.crt"
check_in "no namespace means default" "default/web-tls: imported as default-web-tls"
check_in "the key is not stored without a passphrase" "private key not stored"
check_in "the summary counts" "2 imported, 0 replaced, 0 already present, 2 refused"
dir=$(printf prod-api-tls | sha256sum | cut -c1-2)
check "namespace recorded in the entry" grep -qx 'namespace = prod' "$I/certs/$dir/prod-api-tls/entry"
check "secret recorded in the entry" grep -qx 'secret = api-tls' "$I/certs/$dir/prod-api-tls/entry"
check "ca.crt is kept as the leaf's chain" test "$(grep -c 'BEGIN CERTIFICATE' "$I/certs/$dir/prod-api-tls/cert.pem")" = 2
check "no key file was written" test ! -e "$I/keys/prod-api-tls.key"
check "one commit for the batch" sh -c "git -C '$I' log -1 --format=%s | grep -q '^import 2 entries'"
check "git status clean" test -z "$(git -C "$I" status --porcelain)"

# The same secrets again: already there, nothing committed.
n0=$(commits "$I")
C import --kubernetes "$T/secrets.json" >"$T/out" 2>&1
check_in "a second import finds them present" "2 already present"
check "a second import makes no commit" test "$(commits "$I")" = "$n0"

# YAML, several documents, stringData, a cert-manager Certificate with
# status (its control characters never reach the entry), and a
# Certificate whose secret is elsewhere.
cat >"$T/secrets.yaml" <<YAML
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: yml-tls
  namespace: shop
data:
  tls.crt: $(b64 "$T/c/yml.pem")
  tls.key: $(b64 "$T/c/yml.key")
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: str-tls, namespace: shop}
stringData:
  tls.crt: |
$(sed 's/^/    /' "$T/c/str.pem")
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: yml, namespace: shop}
spec: {secretName: yml-tls, dnsNames: [yml.example]}
status:
  notAfter: "2027-03-27T00:00:00Z"
  renewalTime: "2027-02-25T00:00:00Z\e[31m"
  conditions:
  - {type: Ready, status: "True"}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: other, namespace: shop}
spec: {secretName: elsewhere}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: shop}
YAML
printf 'k8s-test-passphrase\n' >"$T/pass"
CERTDECK_PASSPHRASE_FILE=$T/pass C import --kubernetes "$T/secrets.yaml" >"$T/out" 2>&1
check_in "YAML: a data secret imported" "shop/yml-tls: imported as shop-yml-tls"
check_in "YAML: a stringData secret imported" "shop/str-tls: imported as shop-str-tls"
check_in "YAML: a Certificate whose secret is not there is reported" "shop/elsewhere: secret of a cert-manager Certificate, not in this input"
check_in "YAML: other kinds are reported and skipped" "shop/shop: a Deployment, not a Secret"
dir=$(printf shop-yml-tls | sha256sum | cut -c1-2)
check "the Certificate's status is the entry's notes" grep -q '^notes = cert-manager Certificate yml: ready True, notAfter 2027-03-27T00:00:00Z' "$I/certs/$dir/shop-yml-tls/entry"
check "no escape character in the notes" sh -c "! grep -q \"\$(printf '\\033')\" '$I/certs/$dir/shop-yml-tls/entry'"
check "with a passphrase the key is stored" test -f "$I/keys/shop-yml-tls.key"
check "the stored key is encrypted" grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$I/keys/shop-yml-tls.key"
check "no unencrypted key in any git object" sh -c "! git -C '$I' cat-file --batch-all-objects --batch | grep -q -e 'BEGIN PRIVATE KEY' -e 'BEGIN EC PRIVATE KEY' -e 'BEGIN RSA PRIVATE KEY'"

# Bad input: the whole file unreadable as YAML, next to a good one.
printf 'items: [ {kind: Secret\n  - : :\n' >"$T/bad.yaml"
printf 'apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: late, namespace: x}\nstringData:\n  tls.crt: |\n%s\n' "$(sed 's/^/    /' "$T/c/web.pem")" >"$T/late.yaml"
cert_at 2026-05-02 100 "$T/c/late" late.example
sed -i '/tls.crt/,$d' "$T/late.yaml"
printf '  tls.crt: |\n%s\n' "$(sed 's/^/    /' "$T/c/late.pem")" >>"$T/late.yaml"
C import --kubernetes "$T/bad.yaml" "$T/late.yaml" >"$T/out" 2>&1
check_in "a file that is not YAML: one line with file and line" "bad.yaml: line [0-9]*: "
check_in "the next file is still imported" "x/late: imported as x-late"
check "the error is one line" test "$(grep -c 'bad.yaml' "$T/out")" = 1
check_out "--name is refused with --kubernetes" "no --name or --into" C import --kubernetes --name x "$T/late.yaml"
check_out "an empty input is reported" "empty input" sh -c "printf '' | '$CERTDECK' -C '$I' import --kubernetes -"
