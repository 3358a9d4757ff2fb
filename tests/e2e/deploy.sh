# deploy.sh: renew deploys to a real nginx on 127.0.0.1 (its own config,
# prefix, pid file and error log in the test directory; master process on;
# stopped by PID at exit), reloads it, and the probe confirms the new
# certificate is served (Certdeck-Verified trailer). A reload that fails
# and a deploy path that cannot be written are both reported with nothing
# lost: the first is committed and marked "renewed, not live" until a
# probe sees the certificate served; the second commits nothing and leaves
# the deployed files as they were.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null 2>&1 || { ok "# SKIP nginx is not installed"; exit 0; }
I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
. "$(dirname "$0")/lib-tls.sh"
N=$T/nginx
D=$T/deploy
mkdir -p "$D"

C init >/dev/null
C ca init root >/dev/null
C issue --ca root --cn site.test --san 'DNS:site.test,IP:127.0.0.1' --days 30 >/dev/null
E=$(ls -d "$I"/certs/*/site-test)

# What is deployed before the first renewal: the issued certificate.
cp "$E/cert.pem" "$D/fullchain.pem"
cp "$E/cert.pem" "$D/cert.pem"
openssl pkey -in "$I/keys/site-test.key" -passin file:"$T/pass" -out "$D/key.pem" 2>/dev/null
chmod 600 "$D/key.pem"
nginx_up "$N" <<SRV
	server {
		listen 127.0.0.1:@PORT@ ssl;
		ssl_certificate $D/fullchain.pem;
		ssl_certificate_key $D/key.pem;
		location / { return 200 "ok\n"; }
	}
SRV
ok "nginx started on 127.0.0.1:$port"
C set site-test "endpoints=127.0.0.1:$port" "deploy-fullchain=$D/fullchain.pem" \
    "deploy-cert=$D/cert.pem" "deploy-key=$D/key.pem" \
    "deploy-reload=nginx -p $N -c $N/nginx.conf -s reload" >/dev/null

# served FILE: the SHA-256 fingerprint of what nginx serves into stdout.
served() {
	openssl s_client -connect "127.0.0.1:$port" -servername site.test </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
# A graceful reload leaves the old worker accepting connections for a
# while after the new one serves: one connection that saw the new
# certificate (certdeck's verify) does not mean the next one will. Wait
# until the master has only its one worker, and that one serves the
# entry's certificate (bounded: 20 s).
workers() { ps -o pid= --ppid "$(cat "$N/nginx.pid")" | wc -l; }
settled() {
	_i=0
	while { [ "$(workers)" != 1 ] || [ "$(served)" != "$(fp "$E/cert.pem")" ]; } && [ $_i -lt 200 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
}
check "nginx serves the issued certificate" test "$(served)" = "$(fp "$E/cert.pem")"
check_out "probe trusts it through the inventory's CA" '"inventory":{"ok":true' C probe --json site-test

# --- a renewal deployed, reloaded and verified
n0=$(commits "$I")
export CERTDECK_NOW=2026-06-25T12:00:00Z
check_out "renew deploys and reloads" "reload ok" C renew site-test
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
settled
check "  nginx serves the new certificate" test "$(served)" = "$(fp "$E/cert.pem")"
git -C "$I" log -1 --format=%B >"$T/msg"
check_out "  Certdeck-Verified trailer" "Certdeck-Verified: 127.0.0.1:$port ok" cat "$T/msg"
check_out "  the body names what was deployed" "deploy: wrote $D/cert.pem, $D/fullchain.pem, $D/key.pem; reload ok" cat "$T/msg"
check "  the key file is mode 0600" test "$(stat -c %a "$D/key.pem")" = 600
check "  the certificate file is mode 0644" test "$(stat -c %a "$D/cert.pem")" = 644
check "  the deployed key is the certificate's" sh -c "
    [ \"\$(openssl pkey -in '$D/key.pem' -pubout)\" = \"\$(openssl x509 -in '$D/cert.pem' -noout -pubkey)\" ]"
check "  the deployed cert is the leaf alone" test "$(grep -c 'BEGIN CERT' "$D/cert.pem")" = 1
check "  no temp file left beside the targets" test "$(ls "$D" | wc -l)" = 3
check "  the list shows no mark" sh -c "! '$CERTDECK' -C '$I' list | grep -q '^!'"

# --- a reload that fails: committed (nothing lost), marked not live
C set site-test "deploy-reload=nginx -p $N -c $N/missing.conf -s reload" >/dev/null
n0=$(commits "$I")
before=$(served)
export CERTDECK_NOW=2026-06-26T12:00:00Z
out=$(C renew site-test 2>&1)
rc=$?
check "a failed reload: exit status 1" test $rc = 1
case "$out" in *"reload failed: nginx exited with status 1"*) ok "  reported";;
*) not_ok "  reported"; printf '%s\n' "$out" | sed 's/^/# /';; esac
check "  the renewal is committed" test "$(commits "$I")" = $((n0 + 1))
check "  the files are deployed" test "$(fp "$D/cert.pem")" = "$(fp "$E/cert.pem")"
check "  nginx still serves the old one" test "$(served)" = "$before"
git -C "$I" log -1 --format=%B >"$T/msg"
check_out "  the commit says the reload failed" "reload failed" cat "$T/msg"
check_out "  and what the endpoint serves" "Certdeck-Verified: 127.0.0.1:$port serves" cat "$T/msg"
check_out "  the list shows renewed, not live" "site-test: renewed, not live" C list
check_out "  JSON too" '"renewal":"renewed, not live"' C list --json
nginx -p "$N" -c "$N/nginx.conf" -s reload 2>/dev/null
settled
check "  nginx reloaded by hand serves the renewed certificate" test "$(served)" = "$(fp "$E/cert.pem")"
C probe site-test >/dev/null 2>&1
check "after a probe sees it served, the mark is gone" sh -c "! '$CERTDECK' -C '$I' list | grep -q 'not live'"

# --- a deploy path that cannot be written: nothing changes
C set site-test "deploy-reload=nginx -p $N -c $N/nginx.conf -s reload" \
    "deploy-chain=$T/no/such/dir/chain.pem" >/dev/null
cp -p "$D/cert.pem" "$T/cert.before"; cp -p "$D/key.pem" "$T/key.before"; cp -p "$D/fullchain.pem" "$T/full.before"
n0=$(commits "$I")
before=$(served)
check_out "a deploy path that cannot be written: the dry run says so" "deploy-chain $T/no/such/dir/chain.pem: $T/no/such/dir: No such file or directory" C renew --dry-run site-test
check_out "an unwritable deploy path is reported before anything is issued" "deploy-chain $T/no/such/dir/chain.pem: $T/no/such/dir: No such file or directory" C renew site-test
check "  nothing committed" test "$(commits "$I")" = "$n0"
check "  the deployed files are as they were" sh -c "cmp -s '$D/cert.pem' '$T/cert.before' && cmp -s '$D/key.pem' '$T/key.before' && cmp -s '$D/fullchain.pem' '$T/full.before'"
check "  no temp file left beside the targets" test "$(ls "$D" | wc -l)" = 3
check "  nginx serves what it served" test "$(served)" = "$before"
check_out "  the job log says why" "chain.pem" sqlite3 "$I/.certdeck/index.db" "SELECT output FROM jobs WHERE entry='site-test' ORDER BY id DESC LIMIT 1"
check_out "  the list shows it" "site-test: renewal failed" C list
check "the work tree is clean" test -z "$(git -C "$I" status --porcelain)"
git -C "$I" cat-file --batch-all-objects --batch >"$T/objects"
check "no git object holds an unencrypted private key" sh -c "! grep -aE 'BEGIN (RSA |EC )?PRIVATE KEY' '$T/objects'"

# --- HAProxy's layout: the certificate and the key in one file
H=$T/haproxy
mkdir -p "$H"
C issue --ca root --cn combo.test --days 30 >/dev/null
printf 'the live file\n' >"$H/combo.pem"
chmod 600 "$H/combo.pem"
C set combo-test "deploy-fullchain=$H/combo.pem" "deploy-key=$H/combo.pem" >/dev/null
n0=$(commits "$I")
check_out "fullchain and key in one file: renewed" "deploy: wrote $H/combo.pem" C renew combo-test
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check "  the file holds the chain, then the key" sh -c "grep -o 'BEGIN [A-Z ]*' '$H/combo.pem' | tr '\n' ,  | grep -qx 'BEGIN CERTIFICATE,BEGIN PRIVATE KEY,'"
check "  the key is the certificate's" sh -c "
    [ \"\$(openssl pkey -in '$H/combo.pem' -pubout)\" = \"\$(openssl x509 -in '$H/combo.pem' -noout -pubkey)\" ]"
check "  mode 0600, the key's" test "$(stat -c %a "$H/combo.pem")" = 600
check "  no temp file left" test "$(ls "$H" | wc -l)" = 1

# --- a deployed file keeps the owner, group and mode a service reads it by
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	grp=$(id -gn nobody)
	chown "nobody:$grp" "$H/combo.pem"
	chmod 640 "$H/combo.pem"
	C renew combo-test >/dev/null 2>&1
	check "a key file a service owns stays its owner's" test "$(stat -c %U:%G "$H/combo.pem")" = "nobody:$grp"
	check "  and group-readable, as it was" test "$(stat -c %a "$H/combo.pem")" = 640
	chmod 666 "$H/combo.pem"
	C renew combo-test >/dev/null 2>&1
	check "  a key never readable by others, whatever it was" test "$(stat -c %a "$H/combo.pem")" = 640
else
	ok "skipped: keeping a file's owner needs root"
fi
