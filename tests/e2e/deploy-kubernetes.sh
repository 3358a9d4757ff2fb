# deploy-kubernetes.sh: the kubernetes-secret deploy target. A renewal
# writes a kubernetes.io/tls Secret manifest (namespace and name from the
# entry, tls.crt the full chain, tls.key the key, mode 0600) and, when
# deploy-kubernetes-apply is set, gives it to that command on stdin (an
# argument vector, no shell). No cluster here: the manifest is read back
# with python3-yaml (and kubectl's own decoder, `kubectl label --local`,
# where kubectl is installed), and the apply command is a script that
# keeps what it was given, as `kubectl apply -f -` would take it. A failed
# apply is committed (nothing lost) and reported; a name Kubernetes would
# refuse changes nothing. The manifest never enters git.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
D=$T/deploy
mkdir -p "$D"
C init >/dev/null
C ca init root >/dev/null
C issue --ca root --cn web.example --san DNS:web.example --days 30 >/dev/null
E=$(ls -d "$I"/certs/*/web-example)

# manifest FILE FIELD: one field of the Secret, by python3-yaml.
field() {
	python3 - "$1" "$2" <<'PY'
import base64, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
f = sys.argv[2]
if f.startswith("data."):
    sys.stdout.write(base64.b64decode(doc["data"][f[5:]], validate=True).decode())
elif f == "labels":
    print(",".join("%s=%s" % kv for kv in sorted(doc["metadata"]["labels"].items())))
elif f == "keys":
    print(",".join(sorted(doc.keys())) + ";" + ",".join(sorted(doc["data"].keys())))
elif f in ("name", "namespace"):
    print(doc["metadata"][f])
else:
    print(doc[f])
PY
}
pub_of_key() { openssl pkey -in "$1" -pubout 2>/dev/null; }

# --- a manifest file, default namespace and name
C set web-example "deploy-kubernetes-secret=$D/secret.yaml" >/dev/null
check_out "dry run names the target" "kubernetes-secret $D/secret.yaml" C renew --dry-run web-example
n0=$(commits "$I")
export CERTDECK_NOW=2026-06-25T12:00:00Z
check_out "renew writes the Secret" "deploy: wrote $D/secret.yaml" C renew web-example
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check "  mode 0600 (it holds the key)" test "$(stat -c %a "$D/secret.yaml")" = 600
check_out "  kind Secret" "Secret" field "$D/secret.yaml" kind
check_out "  type kubernetes.io/tls" "kubernetes.io/tls" field "$D/secret.yaml" type
check_out "  apiVersion v1" "v1" field "$D/secret.yaml" apiVersion
check_out "  namespace default" "default" field "$D/secret.yaml" namespace
check_out "  named after the entry" "web-example" field "$D/secret.yaml" name
check_out "  labelled as certdeck's" "app.kubernetes.io/managed-by=certdeck" field "$D/secret.yaml" labels
check_out "  data holds tls.crt and tls.key only" "apiVersion,data,kind,metadata,type;tls.crt,tls.key" field "$D/secret.yaml" keys
field "$D/secret.yaml" data.tls.crt >"$T/crt.pem"
field "$D/secret.yaml" data.tls.key >"$T/key.pem"
check "  tls.crt is the entry's new certificate and chain" cmp -s "$T/crt.pem" "$E/cert.pem"
check "  tls.key is the certificate's key" sh -c "
    a=\$(openssl pkey -in '$T/key.pem' -pubout 2>/dev/null); b=\$(openssl x509 -in '$T/crt.pem' -noout -pubkey)
    [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
check "  tls.key is in the clear, as Kubernetes wants it" grep -q "BEGIN PRIVATE KEY" "$T/key.pem"
if command -v kubectl >/dev/null 2>&1; then
	HOME=$T KUBECONFIG=/dev/null kubectl label --local -f "$D/secret.yaml" -o json checked=yes >"$T/k.json" 2>"$T/k.err"
	check "  kubectl's decoder reads it" python3 -c "
import json, sys
d = json.load(open('$T/k.json'))
sys.exit(0 if d['kind'] == 'Secret' and d['type'] == 'kubernetes.io/tls' and d['metadata']['name'] == 'web-example' else 1)"
else
	ok "# SKIP kubectl is not installed (python3-yaml read it above)"
fi
git -C "$I" log -1 --format=%B >"$T/msg"
check_out "  the commit names the target" "deploy: wrote $D/secret.yaml" cat "$T/msg"
check "  the manifest is not in git" sh -c "! git -C '$I' ls-files | grep -q secret"
check "  git status is clean" test -z "$(git -C "$I" status --porcelain)"

# --- namespace and secret from the entry; applied through a command
cat >"$T/kubectl" <<'SH'
#!/bin/sh
# Keeps what it was given: its arguments one per line, and stdin.
d=$(dirname "$0")
printf '%s\n' "$@" >"$d/apply.args"
cat >"$d/apply.in"
echo "secret/web-tls configured"
exit "$(cat "$d/apply.rc" 2>/dev/null || echo 0)"
SH
chmod +x "$T/kubectl"
C set web-example namespace=prod secret=web-tls "deploy-kubernetes-apply=$T/kubectl apply -f -" >/dev/null
check_out "dry run names the apply command" "kubernetes-apply $T/kubectl apply -f -" C renew --dry-run web-example
export CERTDECK_NOW=2026-06-26T12:00:00Z
check_out "renew applies the Secret" "apply ok" C renew web-example
check "  the command got its words as they are" test "$(cat "$T/apply.args")" = "$(printf 'apply\n-f\n-')"
check "  stdin was the manifest written" cmp -s "$T/apply.in" "$D/secret.yaml"
check_out "  namespace prod" "prod" field "$D/secret.yaml" namespace
check_out "  name web-tls" "web-tls" field "$D/secret.yaml" name
field "$D/secret.yaml" data.tls.crt >"$T/crt.pem"
check "  tls.crt is the renewed certificate" cmp -s "$T/crt.pem" "$E/cert.pem"

# --- a reused key is read back from the inventory and decrypted
cat >>"$I/certdeck.conf" <<'CONF'

[profile keep]
type = local-ca
ca = root
reuse-key = yes
CONF
git -C "$I" commit -qam "add profile keep"
C set web-example profile=keep >/dev/null
field "$D/secret.yaml" data.tls.key >"$T/key.before"
export CERTDECK_NOW=2026-06-27T12:00:00Z
check_out "renew with reuse-key" "apply ok" C renew web-example
check_out "  the commit says the key was reused" "key: reused" git -C "$I" log -1 --format=%B
field "$D/secret.yaml" data.tls.key >"$T/key.after"
check "  tls.key is the same key" test "$(pub_of_key "$T/key.after")" = "$(pub_of_key "$T/key.before")"
check "  and it is not empty" test -n "$(pub_of_key "$T/key.after")"

# --- an apply that fails: committed, reported, exit status 1
echo 1 >"$T/apply.rc"
n0=$(commits "$I")
export CERTDECK_NOW=2026-06-28T12:00:00Z
out=$(C renew web-example 2>&1)
rc=$?
check "a failed apply: exit status 1" test $rc = 1
case "$out" in *"apply failed: $T/kubectl exited with status 1"*) ok "  reported";;
*) not_ok "  reported"; printf '%s\n' "$out" | sed 's/^/# /';; esac
check "  the renewal is committed (nothing lost)" test "$(commits "$I")" = $((n0 + 1))
check_out "  the commit says so" "apply failed" git -C "$I" log -1 --format=%B
check_out "  the job log keeps the command's output" "secret/web-tls configured" sqlite3 "$I/.certdeck/index.db" "SELECT output FROM jobs WHERE entry='web-example' ORDER BY id DESC LIMIT 1"
rm -f "$T/apply.rc"

# --- a name Kubernetes refuses: nothing changes
C set web-example secret=web_tls >/dev/null
cp -p "$D/secret.yaml" "$T/secret.before"
n0=$(commits "$I")
rm -f "$T/apply.in"
check_out "a secret name Kubernetes refuses is reported" "secret name web_tls is not a Kubernetes name" C renew web-example
check "  nothing committed" test "$(commits "$I")" = "$n0"
check "  the manifest is as it was" cmp -s "$D/secret.yaml" "$T/secret.before"
check "  nothing applied" test ! -e "$T/apply.in"
check "  no temp file beside the manifest" test "$(ls "$D" | wc -l)" = 1
check_out "  the list shows it" "web-example: renewal failed" C list

check "the work tree is clean" test -z "$(git -C "$I" status --porcelain)"
git -C "$I" cat-file --batch-all-objects --batch >"$T/objects"
check "no git object holds an unencrypted private key" sh -c "! grep -aE 'BEGIN (RSA |EC )?PRIVATE KEY|tls.key' '$T/objects'"
