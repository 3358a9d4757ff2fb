#!/bin/sh
# acme.sh: `certdeck renew` through an acme profile against pebble (the
# ACME test CA) on 127.0.0.1. Pebble has no certificate of its own: the
# test makes one for 127.0.0.1 and trusts it through ca-bundle.
#  1. PEBBLE_VA_ALWAYS_VALID=1, with 30% of nonces refused (retried): an
#     issue and a renewal, each one commit; the account key stored
#     encrypted once and reused; the chain verifies against pebble's root
#     from its management port. (tui-acme.sh: the same from the UI.)
#  2. Real validation, pebble-challtestsrv as pebble's DNS (its other
#     listeners off): pebble fetches the HTTP-01 token from certdeck's own
#     listener, and from a webroot served by python3 -m http.server.
#  4. Several at once (renew --jobs): one account made for a new
#     profile, one commit per renewal, a failure among them; one
#     HTTP-01 port shared by concurrent orders with real validation;
#     webroot and DNS-01 side by side.
#  3. Failures: the directory unreachable, its TLS untrusted, a challenge
#     that fails (nothing listening; the wrong webroot) and so an invalid
#     order, a server that is no ACME server: each one line, no commit,
#     and a failed renew job saying why.
#  5. A batch of three asks for the directory and the account once
#     (pebble's log counts the requests), with a new account and an
#     existing one, side by side and one after another; a directory or
#     an account that fails fails each renewal of the batch in one line.
# Every server listens on 127.0.0.1 only and is stopped by PID; every wait
# is bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tls.sh"
. "$(dirname "$0")/lib-acme.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
db() { sqlite3 "$I/.certdeck/index.db" "$1"; }
last_job() { db "SELECT output FROM jobs WHERE entry='$1' AND kind='renew' ORDER BY id DESC LIMIT 1"; }
last_ok() { db "SELECT ok FROM jobs WHERE entry='$1' AND kind='renew' ORDER BY id DESC LIMIT 1"; }

C init >/dev/null
C ca init root >/dev/null
C issue --ca root --cn a.test --san 'DNS:a.test,DNS:www.a.test' --days 30 >/dev/null
d=$(ls -d "$I"/certs/*/a-test)

# --- 1. pebble that says yes to every challenge
export PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=30
lport=$(free_port)
start_pebble p1 "$lport" || exit 1
unset PEBBLE_VA_ALWAYS_VALID PEBBLE_WFE_NONCEREJECT
profile pebble "directory = https://127.0.0.1:$pport/dir" \
    "contact = mailto:ops@a.test" "ca-bundle = $T/pebble.pem" \
    "http-listen = 127.0.0.1:$lport"
C set a-test profile=pebble >/dev/null
check_out "dry run names the ACME directory" "pebble (ACME https://127.0.0.1:$pport/dir, http-01 on 127.0.0.1:$lport)" C renew --dry-run a-test
check_out "  the CA sets the expiry" "(what the issuer gives)" C renew --dry-run a-test
n0=$(commits "$I")
check_out "renew through pebble" "renewed a-test: expires" C renew a-test
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  the commit names the profile" "Certdeck-Profile: pebble" git -C "$I" log -1 --format=%B
check_out "  the account key is in it" "acme/pebble/account.key" git -C "$I" show --stat --format= HEAD
check_out "  stored encrypted" "BEGIN ENCRYPTED PRIVATE KEY" cat "$I/acme/pebble/account.key"
check_out "  pebble issued it" "Pebble Intermediate CA" openssl x509 -in "$d/cert.pem" -noout -issuer
check_out "  with the same names" "DNS:a.test, DNS:www.a.test" openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName
curl -s --cacert "$T/pebble.pem" "https://127.0.0.1:$mport/roots/0" >"$T/root.pem"
curl -s --cacert "$T/pebble.pem" "https://127.0.0.1:$mport/intermediates/0" >"$T/int.pem"
check_out "  the chain verifies against pebble's root" "OK" openssl verify -CAfile "$T/root.pem" -untrusted "$d/cert.pem" "$d/cert.pem"
check "  the chain holds pebble's intermediate" sh -c "grep -c 'BEGIN CERTIFICATE' '$d/cert.pem' | grep -qx 2 &&
    openssl x509 -in '$T/int.pem' -noout -subject | grep -q 'Pebble Intermediate'"
check "  the key is the certificate's" sh -c "
    a=\$(openssl pkey -in '$I/keys/a-test.key' -passin file:'$T/pass' -pubout 2>/dev/null);
    b=\$(openssl x509 -in '$d/cert.pem' -noout -pubkey); [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
check "  a renew job, ok" test "$(last_ok a-test)" = 1
check_out "  the job log has the new account" "(new)" last_job a-test
acct=$(git -C "$I" rev-parse HEAD:acme/pebble/account.key)
fp1=$(openssl x509 -in "$d/cert.pem" -noout -fingerprint -sha256)
check_out "renew again" "renewed a-test" C renew a-test
check "  one more commit" test "$(commits "$I")" = $((n0 + 2))
check "  a new certificate" test "$(openssl x509 -in "$d/cert.pem" -noout -fingerprint -sha256)" != "$fp1"
check "  the same account key" test "$(git -C "$I" rev-parse HEAD:acme/pebble/account.key)" = "$acct"
check_out "  the same account" "(existing)" last_job a-test
# A third renewal: three runs of about ten requests with 30% of nonces
# refused leave next to no chance that none was retried.
C renew a-test >/dev/null
check_out "bad nonces were retried" "bad nonce, retried" db "SELECT group_concat(output) FROM jobs WHERE entry='a-test' AND ok=1"
check "  and every renewal succeeded" test "$(db "SELECT count(*) FROM jobs WHERE entry='a-test' AND ok=0")" = 0
check "no unencrypted key in any git object" sh -c "! git -C '$I' rev-list --objects --all | cut -d' ' -f1 |
    git -C '$I' cat-file --batch | grep -q 'BEGIN PRIVATE KEY\|BEGIN EC PRIVATE KEY'"

# reuse-key
profile reuse "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport" "reuse-key = yes"
C set a-test profile=reuse >/dev/null
k0=$(git -C "$I" rev-parse HEAD:keys/a-test.key)
check_out "renew with reuse-key" "renewed a-test" C renew a-test
check "  the key is the same" test "$(git -C "$I" rev-parse HEAD:keys/a-test.key)" = "$k0"
check_out "  body: key reused" "key: reused" git -C "$I" log -1 --format=%B
check "  a second profile, a second account" test -f "$I/acme/reuse/account.key"

# A key outside the inventory (key-path) stays where it is: the request
# is signed with it.
C issue --ca root --cn b.test --days 30 >/dev/null
openssl pkey -in "$I/keys/b-test.key" -passin file:"$T/pass" -out "$T/b.key" 2>/dev/null
C set b-test profile=pebble "key-path=$T/b.key" >/dev/null
bd=$(ls -d "$I"/certs/*/b-test)
check_out "renew an entry with key-path" "renewed b-test" C renew b-test
check "  the certificate is for the key at key-path" sh -c "
    a=\$(openssl pkey -in '$T/b.key' -pubout 2>/dev/null);
    b=\$(openssl x509 -in '$bd/cert.pem' -noout -pubkey); [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
check_out "  issued by pebble" "Pebble Intermediate CA" openssl x509 -in "$bd/cert.pem" -noout -issuer

# A reused key that is not there: none stored is refused before the CA
# is asked, a key-path naming no file by the renewal; one line, nothing
# committed.
mkcert "$T" nokey nokey.test 30
C import "$T/nokey.pem" >/dev/null 2>&1
C set nokey-test profile=reuse >/dev/null
check_out "reuse-key with no key stored" "nokey-test: reuse-key: no key stored (keys/nokey-test.key)" C renew nokey-test
C set nokey-test profile=pebble "key-path=$T/missing.key" >/dev/null
n0=$(commits "$I")
check_out "a key-path that names no file" "nokey-test: key-path $T/missing.key: " C renew nokey-test
check "  nothing committed for either" test "$(commits "$I")" = "$n0"

# Several at once through a new profile: its account is made once and
# committed once, one listener answers on the profile's port (this pebble
# takes every challenge as valid: part 2 has the real fetches), and an
# entry whose CA cannot be reached fails alone.
profile fresh "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
profile deadca "directory = https://127.0.0.1:$(free_port)/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
batch=""
for i in 1 2 3 4 5; do
	C issue --ca root --cn "m$i.test" --san "DNS:m$i.test,DNS:www.m$i.test" --days 30 >/dev/null
	C set "m$i-test" profile=fresh >/dev/null
	batch="$batch m$i-test"
done
C issue --ca root --cn dead.test --days 30 >/dev/null
C set dead-test profile=deadca >/dev/null
n0=$(commits "$I")
C renew --jobs 4 m1-test dead-test $batch >"$T/par.out" 2>"$T/par.err"
rc=$?
check "renew --jobs 4 of six through pebble, one failing: exit status 1" test "$rc" = 1
for n in $batch; do
	check_out "  $n renewed" "renewed $n: expires" cat "$T/par.out"
	check_out "    issued by pebble" "Pebble Intermediate CA" sh -c "openssl x509 -in \$(ls '$I'/certs/*/$n/cert.pem) -noout -issuer"
done
check_out "  the unreachable CA is one line" "dead-test: 127.0.0.1:" cat "$T/par.err"
check "  and only that" test "$(wc -l <"$T/par.err")" = 1
check "  five commits, one per renewal" test "$(commits "$I")" = $((n0 + 5))
check "  m1-test, named twice, renewed once" test "$(grep -c '^renewed m1-test' "$T/par.out")" = 1
check "  one account made" test "$(db "SELECT count(*) FROM jobs WHERE entry IN ('m1-test','m2-test','m3-test','m4-test','m5-test') AND output LIKE '%(new)%'")" = 1
check "  its key committed once" test "$(git -C "$I" log --format=%H -- acme/fresh/account.key | wc -l)" = 1
check "  stored encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$I/acme/fresh/account.key"
check "  every renewal's key is its certificate's" sh -c "
    for n in $batch; do
	a=\$(openssl pkey -in '$I'/keys/\$n.key -passin file:'$T/pass' -pubout 2>/dev/null);
	b=\$(openssl x509 -in \$(ls '$I'/certs/*/\$n/cert.pem) -noout -pubkey); [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ] || exit 1;
    done"
check "  git fsck is clean" git -C "$I" fsck --no-progress --strict
check "  the work tree is clean" test -z "$(git -C "$I" status --porcelain)"

# --- 3. failures: one line each, no commit, the job log says why
fail_case() {
	_d=$1 _e=$2
	_n=$(commits "$I")
	_o=$(C renew a-test 2>&1)
	_rc=$?
	printf '# %s\n' "$_o"
	case "$_o" in
	*"$_e"*) [ $_rc -ne 0 ] && ok "$_d" || { not_ok "$_d (exit 0)"; } ;;
	*) not_ok "$_d"; printf '# expected: %s\n' "$_e"; printf '%s\n' "$_o" | fmt ;;
	esac
	check "  one line" test "$(printf '%s\n' "$_o" | wc -l)" = 1
	check "  nothing committed" test "$(commits "$I")" = "$_n"
	check "  the work tree is clean" test -z "$(git -C "$I" status --porcelain)"
	_j=$(last_job a-test)
	case "$_j" in
	*"$_e"*) [ "$(last_ok a-test)" = 0 ] && ok "  the job log says why" || not_ok "  the job log says why (ok=1)" ;;
	*) not_ok "  the job log says why"; printf '%s\n' "$_j" | fmt ;;
	esac
}
dead=$(free_port)
profile unreachable "directory = https://127.0.0.1:$dead/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=unreachable >/dev/null
fail_case "directory unreachable" "127.0.0.1:$dead: Failed to connect"
profile untrusted "directory = https://127.0.0.1:$pport/dir" \
    "http-listen = 127.0.0.1:$lport"
C set a-test profile=untrusted >/dev/null
fail_case "directory TLS untrusted" "the directory's TLS certificate is not trusted"
# A TLS server that is no ACME server: s_server -HTTP answers each path
# with the file of that name, a whole HTTP response.
mkdir -p "$T/www"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hello</html>\n' >"$T/www/dir"
printf 'HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n\r\n{"type": "urn:ietf:params:acme:error:serverInternal", "detail": "down for maintenance", "status": 503}\n' >"$T/www/down"
printf 'HTTP/1.0 429 Too Many Requests\r\nContent-Type: application/problem+json\r\nRetry-After: 3600\r\n\r\n{"type": "urn:ietf:params:acme:error:rateLimited", "detail": "too many new orders", "status": 429}\n' >"$T/www/busy"
(cd "$T/www" && exec openssl s_server -accept 127.0.0.1:0 -HTTP -cert "$T/pebble.pem" -key "$T/pebble.key") >"$T/www.out" 2>&1 </dev/null &
wpid=$!
pids="$pids $wpid"
wport=$(wait_for "$T/www.out" 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' $wpid) || wport=1
profile notacme "directory = https://127.0.0.1:$wport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=notacme >/dev/null
fail_case "a server that is not an ACME CA" "the CA's answer to the directory request is not a JSON object"
profile down "directory = https://127.0.0.1:$wport/down" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=down >/dev/null
fail_case "a server error, in plain words" "the CA refused the directory request: serverInternal: down for maintenance"
profile busy "directory = https://127.0.0.1:$wport/busy" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=busy >/dev/null
fail_case "a rate limit says when to come back (Retry-After)" "the CA refused the directory request: rateLimited: too many new orders; try again in 3600 s"
profile nobundle "directory = https://127.0.0.1:$wport/dir" \
    "ca-bundle = $T/no-such-bundle.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=nobundle >/dev/null
fail_case "a ca-bundle that is not there is said so, not 'untrusted'" "certdeck.conf [profile nobundle]: ca-bundle $T/no-such-bundle.pem: No such file or directory"
check_out "  the dry run says so too" "ca-bundle $T/no-such-bundle.pem: No such file or directory" C renew --dry-run a-test
kill $wpid 2>/dev/null
kill $ppid 2>/dev/null

# --- 5. a batch looks the directory and the account up once, however
# many orders it makes: pebble's own log (a line per request) counts
# them. No nonce is refused by this pebble, so no request is sent twice.
export PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0
start_pebble p4 "$lport" || exit 1
unset PEBBLE_VA_ALWAYS_VALID PEBBLE_WFE_NONCEREJECT
# reqs FROM METHOD PATH: how many such requests pebble logged after line FROM
reqs() { tail -n +$(($1 + 1)) "$T/p4.log" | grep -c "^Pebble .* $2 $3 -> calling handler"; }
profile once "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
for i in 1 2 3; do C set "m$i-test" profile=once >/dev/null; done
j0=$(db "SELECT max(id) FROM jobs")
for jobs in 3 1; do
	case $jobs in 3) what="a new account" ;; *) what="its account found" ;; esac
	l0=$(wc -l <"$T/p4.log")
	n0=$(commits "$I")
	C renew --jobs $jobs m1-test m2-test m3-test >"$T/once.out" 2>&1
	check "renew --jobs $jobs of three, $what: all renewed" test "$(grep -c '^renewed m[123]-test' "$T/once.out")" = 3
	check "  three commits" test "$(commits "$I")" = $((n0 + 3))
	check_out "  one directory GET, one newAccount, three orders" \
	    "directory 1, newAccount 1, newOrder 3." echo "directory $(reqs "$l0" GET /dir), newAccount $(reqs "$l0" POST /sign-me-up), newOrder $(reqs "$l0" POST /order-plz)."
done
check "  the first made the account, the second found it" test "$(db "SELECT sum(output LIKE '%(new)%'), sum(output LIKE '%(existing)%') FROM jobs WHERE id > $j0")" = "1|1"
# A directory or an account that fails fails every renewal through it.
# batch_fails DESC PROFILE EXPECTED: m1-m3-test through PROFILE in one
# renew --jobs 3 fail, each in one line saying EXPECTED and a failed job,
# nothing committed. (Its variables are its own: check_out sets _d, _e.)
batch_fails() {
	bf_d=$1 bf_p=$2 bf_e=$3
	for bf_i in 1 2 3; do C set "m$bf_i-test" profile="$bf_p" >/dev/null; done
	bf_n=$(commits "$I")
	bf_j=$(db "SELECT max(id) FROM jobs")
	C renew --jobs 3 m1-test m2-test m3-test >"$T/once.out" 2>"$T/once.err"
	check "$bf_d: exit status 1" test $? = 1
	for bf_i in 1 2 3; do
		check_out "  m$bf_i-test says why" "m$bf_i-test: $bf_e" cat "$T/once.err"
	done
	check "  in one line each" test "$(wc -l <"$T/once.err")" = 3
	check "  nothing committed" test "$(commits "$I")" = "$bf_n"
	check "  three failed jobs" test "$(db "SELECT count(*) FROM jobs WHERE id > $bf_j AND ok = 0")" = 3
}
profile oncedead "directory = https://127.0.0.1:$dead/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
batch_fails "a batch through an unreachable directory" oncedead "127.0.0.1:$dead: Failed to connect"
kill $ppid 2>/dev/null

# --- 2. real validation: challtestsrv answers every name with 127.0.0.1
dport=$(free_port) cport=$(free_port)
pebble-challtestsrv -http01 "" -https01 "" -tlsalpn01 "" \
    -dns01 "127.0.0.1:$dport" -management "127.0.0.1:$cport" \
    -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$T/dns.log" 2>&1 </dev/null &
pids="$pids $!"
wait_for "$T/dns.log" '/Starting challenge servers\|DNS server\|dns/Ip' $! >/dev/null
export PEBBLE_AUTHZREUSE=0
start_pebble p2 "$lport" -dnsserver "127.0.0.1:$dport" || exit 1
profile real "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=real >/dev/null
check_out "renew, pebble fetching the token from certdeck's listener" "renewed a-test" C renew a-test
check_out "  pebble validated it over HTTP" "a.test: valid (http-01)" last_job a-test
check_out "  pebble's log shows the fetch" "Attempting to validate w/ HTTP: http://a.test:$lport/.well-known/acme-challenge/" cat "$T/p2.log"

# Several orders at once on that one port, validated for real: one
# listener serves every pending token, for two profiles that name the
# same http-listen.
profile real2 "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport" "reuse-key = yes"
for i in 1 2 3; do C set "m$i-test" profile=real >/dev/null; done
C set m4-test profile=real2 >/dev/null
n0=$(commits "$I")
C renew --jobs 4 m1-test m2-test m3-test m4-test >"$T/par.out" 2>&1
check "renew --jobs 4 on one http-listen port, pebble validating" test $? = 0
check "  four commits" test "$(commits "$I")" = $((n0 + 4))
for i in 1 2 3 4; do
	check_out "  m$i-test renewed" "renewed m$i-test" cat "$T/par.out"
	check_out "    pebble fetched its tokens from the listener" "Attempting to validate w/ HTTP: http://www.m$i.test:$lport/.well-known/acme-challenge/" cat "$T/p2.log"
	check_out "    and found them" "www.m$i.test: valid (http-01)" last_job "m$i-test"
done
check "  git fsck is clean" git -C "$I" fsck --no-progress --strict

if command -v python3 >/dev/null 2>&1 && python3 -c 'import http.server' 2>/dev/null; then
	mkdir -p "$T/webroot" "$T/other"
	python3 -m http.server "$lport" --bind 127.0.0.1 --directory "$T/webroot" >"$T/http.log" 2>&1 </dev/null &
	hpid=$!
	pids="$pids $hpid"
	_i=0
	while [ $_i -lt 100 ] && ! curl -s -o /dev/null "http://127.0.0.1:$lport/"; do sleep 0.1; _i=$((_i + 1)); done
	profile web "directory = https://127.0.0.1:$pport/dir" \
	    "ca-bundle = $T/pebble.pem" "webroot = $T/webroot"
	C set a-test profile=web >/dev/null
	check_out "renew through a webroot" "renewed a-test" C renew a-test
	check_out "  the web server served the token" "GET /.well-known/acme-challenge/" cat "$T/http.log"
	check "  the token files are gone" test -z "$(ls -A "$T/webroot/.well-known/acme-challenge" 2>/dev/null)"
	for i in 1 2 3; do C set "m$i-test" profile=web >/dev/null; done
	C renew --jobs 3 m1-test m2-test m3-test >"$T/par.out" 2>&1
	check "renew --jobs 3 through one webroot" test $? = 0
	check "  three renewed" test "$(grep -c '^renewed m' "$T/par.out")" = 3
	check "  the web server served every token" test "$(grep -c 'GET /.well-known/acme-challenge/' "$T/http.log")" -ge 7
	check "  the token files are gone" test -z "$(ls -A "$T/webroot/.well-known/acme-challenge" 2>/dev/null)"
	# The wrong webroot: the server answers 404, the order goes invalid.
	profile wrongroot "directory = https://127.0.0.1:$pport/dir" \
	    "ca-bundle = $T/pebble.pem" "webroot = $T/other"
	C set a-test profile=wrongroot >/dev/null
	fail_case "a challenge that fails (the wrong token: 404)" "http-01 challenge for"
	# The listener's port is the web server's now.
	C set a-test profile=real >/dev/null
	fail_case "http-listen on a port in use" "http-listen 127.0.0.1:$lport: Address already in use"
	kill $hpid 2>/dev/null
else
	ok "skipped: the webroot cases need python3 -m http.server"
fi
# Nothing on pebble's HTTP port: the listener is on another one.
profile deaf "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$(free_port)"
C set a-test profile=deaf >/dev/null
fail_case "a challenge that fails (nothing listening)" "http-01 challenge for"
check_out "  pebble's reason is shown" "connection" last_job a-test

# DNS-01: the hook sets the TXT record in challtestsrv (its management
# API), as a DNS provider's API would be called; its arguments come as
# separate words, the name and value in them as data.
cat >"$T/dnshook" <<'SH'
#!/bin/sh
# dnshook PORT ACTION NAME VALUE
printf '%s\n' "$*" >>"${0%/*}/dnshook.log"
case $2 in
add) curl -sf -d "{\"host\":\"$3\",\"value\":\"$4\"}" "http://127.0.0.1:$1/set-txt" ;;
remove) curl -sf -d "{\"host\":\"$3\"}" "http://127.0.0.1:$1/clear-txt" ;;
*) exit 2 ;;
esac
SH
chmod +x "$T/dnshook"
profile dns "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "challenge = dns-01" \
    "dns-hook = $T/dnshook $cport {action} {name} {value}"
C set a-test profile=dns >/dev/null
check_out "dry run names the hook" "dns-01 by $T/dnshook" C renew --dry-run a-test
n0=$(commits "$I")
check_out "renew through DNS-01, the hook setting the TXT record" "renewed a-test" C renew a-test
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  challtestsrv served the record" "Added DNS-01 TXT challenge for Host \"_acme-challenge.a.test.\"" cat "$T/dns.log"
check_out "  and it was removed" "Removed DNS-01 TXT challenge for Host \"_acme-challenge.www.a.test.\"" cat "$T/dns.log"
check_out "  the hook added the records" "add _acme-challenge.www.a.test." cat "$T/dnshook.log"
check "  and removed both" test "$(grep -c '^[0-9]* remove _acme-challenge' "$T/dnshook.log")" = 2
check_out "  pebble validated it" "a.test: valid (dns-01)" last_job a-test
for i in 1 2 3; do C set "m$i-test" profile=dns >/dev/null; done
: >"$T/dnshook.log"
C renew --jobs 3 m1-test m2-test m3-test >"$T/par.out" 2>&1
check "renew --jobs 3 through DNS-01, hooks running side by side" test $? = 0
check "  three renewed" test "$(grep -c '^renewed m' "$T/par.out")" = 3
check "  six records added" test "$(grep -c ' add _acme-challenge\.\(www\.\)\{0,1\}m[123]\.test\.' "$T/dnshook.log")" = 6
check "  and six removed" test "$(grep -c ' remove _acme-challenge\.\(www\.\)\{0,1\}m[123]\.test\.' "$T/dnshook.log")" = 6
for i in 1 2 3; do
	check_out "  pebble validated m$i-test" "www.m$i.test: valid (dns-01)" last_job "m$i-test"
done
# A hook that fails: one line naming it, nothing committed.
cat >"$T/badhook" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"${0%/*}/badhook.log"
[ "$1" = remove ] && exit 0
[ -n "${HANG:-}" ] && exec sleep 60
echo "provider API: 403 forbidden"
exit 3
SH
chmod +x "$T/badhook"
profile baddns "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "challenge = dns-01" "dns-hook = $T/badhook {action} {name}"
C set a-test profile=baddns >/dev/null
fail_case "a dns-hook that fails" "exited with status 3: provider API: 403 forbidden"
check "  its record is removed all the same (it may have made it)" grep -q '^remove _acme-challenge\.' "$T/badhook.log"
# A hook that hangs: stopped within the profile's timeout, not 120 s.
profile hangdns "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "challenge = dns-01" "dns-hook = $T/badhook {action} {name}" "timeout = 3"
C set a-test profile=hangdns >/dev/null
: >"$T/badhook.log"
HANG=1 C renew a-test >"$T/hang.out" 2>&1
check_out "a dns-hook that hangs is stopped at the profile's timeout, not 120 s" "timed out after 3 s" cat "$T/hang.out"
check "  and the record it was adding removed" sh -c "grep '^add ' '$T/badhook.log' | sed 's/^add/remove/' | while read -r l; do grep -qxF \"\$l\" '$T/badhook.log' || exit 1; done"
profile silentdns "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "challenge = dns-01" "dns-hook = false {name}"
C set a-test profile=silentdns >/dev/null
fail_case "a dns-hook that fails saying nothing" "a.test: false exited with status 1"

# --- external account binding: a pebble that requires it
kill $ppid 2>/dev/null
eab_json='"externalAccountBindingRequired": true, "externalAccountMACKeys": {"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}'
export PEBBLE_VA_ALWAYS_VALID=1
start_pebble p3 "$lport" || exit 1
unset PEBBLE_VA_ALWAYS_VALID
# start_pebble wrote the plain config: add the binding and restart.
kill $ppid 2>/dev/null
sed -i "s|\"externalAccountBindingRequired\": false|$eab_json|" "$T/p3.json"
PEBBLE_VA_ALWAYS_VALID=1 pebble -config "$T/p3.json" >"$T/p3b.log" 2>&1 </dev/null &
ppid=$!
pids="$pids $ppid"
wait_for "$T/p3b.log" '/ACME directory available/p' $ppid >/dev/null ||
    { not_ok "pebble with EAB did not start"; fmt <"$T/p3b.log"; }
pport=$(sed -n 's/.*"listenAddress": "127.0.0.1:\([0-9]*\)".*/\1/p' "$T/p3.json")
profile noeab "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=noeab >/dev/null
fail_case "a CA that requires EAB, without it" "the CA requires external account binding: set eab-kid and eab-hmac-key-file"
printf 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W\n' >"$T/eab.key"
printf 'AAAAZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W\n' >"$T/eab.bad"
profile badeab "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport" \
    "eab-kid = kid-1" "eab-hmac-key-file = $T/eab.bad"
C set a-test profile=badeab >/dev/null
fail_case "EAB with the wrong HMAC key" "the CA refused the account: unauthorized"
batch_fails "a batch through an account the CA refuses" badeab "the CA refused the account: unauthorized"
profile eab "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport" \
    "eab-kid = kid-1" "eab-hmac-key-file = $T/eab.key"
C set a-test profile=eab >/dev/null
check_out "renew with external account binding" "renewed a-test" C renew a-test
check_out "  a new account, bound" "(new)" last_job a-test
check_out "renew again: the account is found by its key" "renewed a-test" C renew a-test
check_out "  the same account" "(existing)" last_job a-test
