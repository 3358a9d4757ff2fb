# probe.sh: `certdeck probe` against real servers on 127.0.0.1 (and ::1
# when the machine has it): openssl s_server for TLS, and a small C peer
# (probe-helpers/peer.c) for hostile peers and the plaintext part of
# STARTTLS, relaying to an s_server. Every server listens on port 0 (the
# kernel picks a free port, read back from its output), runs in the
# background and is stopped by PID at exit; every wait is bounded.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
DB=$I/.certdeck/index.db
J=$T/out.json
jq_() { json_q "$J" "$1"; }
# jcheck DESC EXPR WANT: EXPR over $J equals WANT; on failure say what the
# probes said.
jcheck() {
	_got=$(jq_ "$2")
	if [ "$_got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '# want: %s
# got:  %s
' "$3" "$_got"
		jq_ "(SELECT group_concat(json_extract(value,'\$.endpoint') || ' ' || json_extract(value,'\$.result') || ' ' || ifnull(json_extract(value,'\$.detail'),''), char(10)) FROM json_each(j))" | sed 's/^/# /'
	fi
}

# --- servers (wait_for, srv, peer: tests/e2e/lib-tls.sh)
. "$(dirname "$0")/lib-tls.sh"
peer_build


# --- certificates (CERTDECK_NOW is 2026-06-01T12:00:00Z)
mkdir -p "$T/c"
cd "$T/c" || exit 2
ca_at 2026-01-01 3650 root "Test Root CA"
ca_at 2026-01-01 1000 inter "Test Intermediate" root
leaf_at 2026-05-01 365 good good.test inter
leaf_at 2026-04-01 30 expired expired.test inter		# 2026-05-01
cert_at 2026-05-01 365 self self.test
leaf_at 2026-05-01 100 drift1 drift.test inter		# 2026-08-09
leaf_at 2026-05-15 200 drift2 drift.test inter		# 2026-12-01
leaf_at 2026-05-01 365 many '*.many.test' inter
leaf_at 2026-05-01 365 ocsp ocsp.test root
cert_at 2026-05-01 365 imp imp.test
cat good.pem inter.pem >good-chain.pem
cat drift1.pem inter.pem >drift1-chain.pem
cat drift2.pem inter.pem >drift2-chain.pem
fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }

# OCSP responses, made offline by `openssl ocsp` acting as the responder
# at a fixed time (faketime), signed by the root that issued the leaf.
serial=$(openssl x509 -in ocsp.pem -noout -serial | cut -d= -f2)
printf 'V\t270501000000Z\t\t%s\tunknown\t/CN=ocsp.test\n' "$serial" >idx-good.txt
printf 'R\t270501000000Z\t260520000000Z,keyCompromise\t%s\tunknown\t/CN=ocsp.test\n' "$serial" >idx-revoked.txt
openssl ocsp -issuer root.pem -cert ocsp.pem -reqout ocsp-req.der -no_nonce 2>/dev/null
for s in good revoked; do
	faketime -f "@2026-06-01 11:00:00" openssl ocsp -index "idx-$s.txt" \
	    -rsigner root.pem -rkey root.key -CA root.pem -reqin ocsp-req.der \
	    -respout "ocsp-$s.der" -ndays 7 >/dev/null 2>&1
done
check "openssl ocsp made a good and a revoked response" test -s ocsp-good.der -a -s ocsp-revoked.der

# A subject with terminal escapes, a control character and invalid UTF-8.
evil=$(printf 'evil\033[31mred\033]0;title\007\001\377')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout evil.key -out evil.pem -days 3650 -subj "/CN=$evil" 2>/dev/null
# A chain of 100 certificates.
: >long-chain.pem
i=1
while [ $i -lt 100 ]; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout /dev/null -out "l$i.pem" -days 30 -subj "/CN=filler $i" 2>/dev/null
	cat "l$i.pem" >>long-chain.pem
	i=$((i + 1))
done
# A certificate of about 1 MiB (one large extension), and a second one:
# served together they are more than the 2 MiB a peer may send.
for b in big big2; do
	big=$(head -c $([ $b = big ] && echo 1000000 || echo 1200000) /dev/zero | tr '\0' A)
	printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=%s.test\n[ext]\nsubjectAltName=DNS:%s.test\n1.2.3.4.5=ASN1:UTF8String:%s\n' "$b" "$b" "$big" >"$b.cnf"
	faketime -f "@2026-05-01 00:00:00" openssl req -x509 -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$b.key" \
	    -out "$b.pem" -days 365 -config "$b.cnf" -extensions ext 2>/dev/null
done
big=
cd "$TOP" || exit 2

# --- the inventory: the root CA (private PKI), good and drift entries
C init >/dev/null
C import --name test-root "$T/c/root.pem" >/dev/null
C import "$T/c/good-chain.pem" >/dev/null
C import "$T/c/drift1-chain.pem" >/dev/null
check "inventory has good-test and drift-test" sh -c "'$CERTDECK' -C '$I' show good-test >/dev/null && '$CERTDECK' -C '$I' show drift-test >/dev/null"

# --- usage
check_fail "probe without targets is a usage error" C probe
C probe >/dev/null 2>&1; check "usage error exits 2" test $? = 2
C probe --jobs 0 x:1 >/dev/null 2>&1; check "--jobs 0 is refused (exit 2)" test $? = 2
C probe --timeout abc x:1 >/dev/null 2>&1; check "--timeout abc is refused (exit 2)" test $? = 2
C probe no-such-entry >/dev/null 2>&1; check "an unknown name exits 2" test $? = 2
check_out "an unknown name is named" "no-such-entry: no such entry" C probe no-such-entry
check_out "an entry without endpoints is reported" "no endpoints" C probe test-root
C probe --all >"$T/all0.txt" 2>&1; rc=$?
check "--all with no endpoints says so and exits 0" sh -c "[ $rc = 0 ] && grep -q 'no entry has endpoints' '$T/all0.txt'"

# --- a good chain: private CA verifies, the system store does not
srv good 127.0.0.1:0 -cert "$T/c/good.pem" -key "$T/c/good.key" -cert_chain "$T/c/inter.pem"
good_port=$port good_pid=$pid
C set good-test "endpoints=127.0.0.1:$good_port@good.test" >/dev/null
n0=$(commits "$I")
C probe good-test >"$T/good.txt" 2>&1; rc=$?
check "a healthy endpoint exits 0" test $rc = 0
check_out "text line says ok, entry, days, drift, verification, TLS" \
    "ok               127.0.0.1:$good_port@good.test  good-test  333d  drift:same  verified:inventory  TLSv1" cat "$T/good.txt"
check "first probe of an entry endpoint is observed in one commit" test "$(commits "$I")" = $((n0 + 1))
obs=$I/observed/127.0.0.1_${good_port}_good.test
check "observed/ file is named host_port_sni" test -f "$obs"
check "observed/ file holds the served leaf" grep -qx "sha256 = $(fp "$T/c/good.pem")" "$obs"
check "observed/ file holds endpoint, subject, notAfter, first seen" sh -c "grep -qx 'endpoint = 127.0.0.1:$good_port@good.test' '$obs' && grep -qx 'subject = CN=good.test' '$obs' && grep -qx 'not-after = 2027-05-01T00:00:00Z' '$obs' && grep -qx 'first-seen = 2026-06-01T12:00:00Z' '$obs'"
check "observe commit message" sh -c "git -C '$I' log -1 --format=%s | grep -qx 'observe 127.0.0.1:$good_port@good.test: now serves good.test (expires 2027-05-01)'"
check "observe commit trailers" sh -c "git -C '$I' log -1 --format=%b | grep -qx 'Certdeck-Action: observe' && git -C '$I' log -1 --format=%b | grep -qx 'Certdeck-Entry: good-test'"
check "git status clean after the observe commit" test -z "$(git -C "$I" status --porcelain)"
C probe good-test >/dev/null 2>&1
check "the same served leaf again: no new commit" test "$(commits "$I")" = $((n0 + 1))
check "observed/ file changed exactly once" test "$(git -C "$I" log --format=%H -- "observed/127.0.0.1_${good_port}_good.test" | wc -l)" = 1
check_out "log shows the observe action" "observe" C log -n 1

C probe --json good-test >"$J"
check "--json is valid JSON" test "$(jq_ 'json_valid(j)')" = 1
check "--json: one element" test "$(jq_ 'json_array_length(j)')" = 1
for f in endpoint entry time result phase detail healthy problems host port starttls sni address \
    tls_version cipher handshake_ms total_ms leaf_sha256 not_after days_left name_match chain_length \
    chain verify ocsp client_cert drift drift_commit known_as observed_change; do
	check "--json has $f" test "$(jq_ "json_type(j,'\$[0].$f') IS NOT NULL")" = 1
done
check "--json result ok, healthy" test "$(jq_ "json_extract(j,'\$[0].result') || json_extract(j,'\$[0].healthy')")" = ok1
check "--json chain of 2, leaf first" test "$(jq_ "json_extract(j,'\$[0].chain_length') || json_extract(j,'\$[0].chain[0].subject_cn') || json_extract(j,'\$[0].chain[1].subject_cn')")" = "2good.testTest Intermediate"
check "--json each chain element has subject, issuer, notAfter, sha256" test "$(jq_ "json_extract(j,'\$[0].chain[1].issuer') || json_extract(j,'\$[0].chain[1].not_after') || json_extract(j,'\$[0].chain[1].fingerprint_sha256')")" = "CN=Test Root CA2028-09-27T00:00:00Z$(fp "$T/c/inter.pem")"
check "--json leaf fingerprint matches openssl" test "$(jq_ "json_extract(j,'\$[0].leaf_sha256')")" = "$(fp "$T/c/good.pem")"
check "--json verified by the inventory's CA" test "$(jq_ "json_extract(j,'\$[0].verify.inventory.ok')")" = 1
check "--json not by the system store, with OpenSSL's reason" test "$(jq_ "json_extract(j,'\$[0].verify.system.ok') || ':' || json_extract(j,'\$[0].verify.system.error')")" = "0:unable to get local issuer certificate"
check "--json name matches, SNI sent" test "$(jq_ "json_extract(j,'\$[0].name_match') || json_extract(j,'\$[0].sni')")" = 1good.test
check "--json TLS version and cipher" sh -c "[ -n '$(jq_ "json_extract(j,'\$[0].cipher')")' ] && echo '$(jq_ "json_extract(j,'\$[0].tls_version')")' | grep -q '^TLSv1'"
check "--json handshake time is a number" test "$(jq_ "json_type(j,'\$[0].handshake_ms')")" = integer
check "--json drift same" test "$(jq_ "json_extract(j,'\$[0].drift')")" = same
check "--json no OCSP staple, no client certificate request" test "$(jq_ "json_extract(j,'\$[0].ocsp.stapled') || json_extract(j,'\$[0].client_cert.requested')")" = 00

# --- the probes table
check "every probe is in the probes table" test "$(sqlite3 "$DB" "SELECT count(*) FROM probes WHERE endpoint = '127.0.0.1:$good_port@good.test'")" = 3
check "probe rows: ok, kind, entry, leaf, time" test "$(sqlite3 "$DB" "SELECT ok || kind || entry || (leaf_sha256 = '$(fp "$T/c/good.pem")') || time FROM probes ORDER BY id DESC LIMIT 1")" = "1okgood-test1$(date -u -d 2026-06-01T12:00:00Z +%s)"
check "probe rows keep the JSON" test "$(sqlite3 "$DB" "SELECT json_valid(json) AND json_extract(json, '\$.endpoint') = endpoint FROM probes ORDER BY id DESC LIMIT 1")" = 1

# --- drift: the entry is renewed in the inventory, the server still
# serves the old certificate
srv drift 127.0.0.1:0 -cert "$T/c/drift1.pem" -key "$T/c/drift1.key" -cert_chain "$T/c/inter.pem"
drift_port=$port drift_pid=$pid
C set drift-test "endpoints=127.0.0.1:$drift_port@drift.test" >/dev/null
C probe drift-test >/dev/null 2>&1
check "drift-test first observed" test "$(git -C "$I" log --format=%H -- "observed/127.0.0.1_${drift_port}_drift.test" | wc -l)" = 1
first_import=$(git -C "$I" log --format=%H --grep='^import drift-test' | head -1)
C import --into drift-test "$T/c/drift2-chain.pem" >/dev/null
n0=$(commits "$I")
C probe --json drift-test >"$J"; rc=$?
check "renewed but not deployed: exit 1" test $rc = 1
check "renewed but not deployed: drift older" test "$(jq_ "json_extract(j,'\$[0].drift')")" = older
check "drift names a commit that had the served certificate" test "$(jq_ "json_extract(j,'\$[0].drift_commit')")" = "$first_import"
check "drift is a problem" test "$(jq_ "json_extract(j,'\$[0].problems')")" = '["drift"]'
check_out "text says drift:older" "drift:older" C probe drift-test
check "same served leaf: no observe commit" test "$(commits "$I")" = "$n0"
# deploy the renewal: same endpoint, the new certificate
kill "$drift_pid"; wait "$drift_pid" 2>/dev/null
srv drift2 "127.0.0.1:$drift_port" -cert "$T/c/drift2.pem" -key "$T/c/drift2.key" -cert_chain "$T/c/inter.pem"
C probe drift-test >"$T/drift2.txt" 2>&1; rc=$?
check "after deployment: healthy, drift same" sh -c "[ $rc = 0 ] && grep -q 'drift:same' '$T/drift2.txt'"
check "the change is observed: one more commit" test "$(commits "$I")" = $((n0 + 1))
check "observed/ drift file changed twice in all" test "$(git -C "$I" log --format=%H -- "observed/127.0.0.1_${drift_port}_drift.test" | wc -l)" = 2
check "observed/ drift file holds the new leaf" grep -qx "sha256 = $(fp "$T/c/drift2.pem")" "$I/observed/127.0.0.1_${drift_port}_drift.test"
C probe drift-test >/dev/null 2>&1
check "and not again for the same leaf" test "$(commits "$I")" = $((n0 + 1))

# --- certificate problems, on endpoints outside the inventory
srv expired 127.0.0.1:0 -cert "$T/c/expired.pem" -key "$T/c/expired.key" -cert_chain "$T/c/inter.pem"
ep_expired=127.0.0.1:$port@expired.test
srv self 127.0.0.1:0 -cert "$T/c/self.pem" -key "$T/c/self.key"
ep_self=127.0.0.1:$port@self.test
ep_wrong=127.0.0.1:$good_port@wrong.test
srv nointer 127.0.0.1:0 -cert "$T/c/good.pem" -key "$T/c/good.key"
ep_nointer=127.0.0.1:$port@good.test
n0=$(commits "$I")
C probe --json "$ep_expired" "$ep_self" "$ep_wrong" "$ep_nointer" >"$J"; rc=$?
check "unhealthy endpoints: exit 1" test $rc = 1
check "results in the order given" test "$(jq_ "json_extract(j,'\$[0].endpoint') || json_extract(j,'\$[3].endpoint')")" = "$ep_expired$ep_nointer"
check "expired: problem expired, negative days" test "$(jq_ "json_extract(j,'\$[0].problems[0]') || json_extract(j,'\$[0].days_left')")" = expired-32
check "expired: verification says so" test "$(jq_ "json_extract(j,'\$[0].verify.inventory.error')")" = "certificate has expired"
check "self-signed: untrusted, OpenSSL's reason" test "$(jq_ "json_extract(j,'\$[1].problems') || json_extract(j,'\$[1].verify.system.error')")" = '["untrusted"]self-signed certificate'
check "wrong name: name-mismatch only" test "$(jq_ "json_extract(j,'\$[2].problems') || json_extract(j,'\$[2].name_match')")" = '["name-mismatch"]0'
check "missing intermediate: untrusted by both" test "$(jq_ "json_extract(j,'\$[3].chain_length') || json_extract(j,'\$[3].verify.inventory.error') || '/' || json_extract(j,'\$[3].verify.system.error')")" = "1unable to get local issuer certificate/unable to get local issuer certificate"
check "endpoints outside the inventory: no drift, no observe commit" sh -c "[ '$(jq_ "json_extract(j,'\$[0].drift')")' = '' ] && [ $(commits "$I") = $n0 ]"
check "known_as names the entry serving a known certificate" test "$(jq_ "json_extract(j,'\$[2].known_as')")" = '["good-test"]'
check_out "text status word: expired" "expired          $ep_expired" C probe "$ep_expired"
check_out "text status word: untrusted" "untrusted        $ep_self" C probe "$ep_self"
check_out "text status word: name-mismatch" "name-mismatch    $ep_wrong" C probe "$ep_wrong"

# --- an endpoint given as HOST:PORT that an entry lists is that entry's
check_out "HOST:PORT of an entry is probed as the entry's" "127.0.0.1:$good_port@good.test  good-test  " C probe "127.0.0.1:$good_port@good.test"

# --- client certificates (-Verify 1: required)
srv mtls 127.0.0.1:0 -cert "$T/c/good.pem" -key "$T/c/good.key" -cert_chain "$T/c/inter.pem" -Verify 1 -CAfile "$T/c/root.pem"
C probe --json "127.0.0.1:$port@good.test" >"$J"
check "a server that requires a client certificate is reported as asking" test "$(jq_ "json_extract(j,'\$[0].client_cert.requested')")" = 1
check "with the CA names it accepts" test "$(jq_ "json_extract(j,'\$[0].client_cert.ca_names')")" = '["CN=Test Root CA"]'
check_out "text says client-cert:requested and the CA" "client CA: CN=Test Root CA" C probe "127.0.0.1:$port@good.test"

# --- OCSP stapling: good and revoked
srv ocspgood 127.0.0.1:0 -cert "$T/c/ocsp.pem" -key "$T/c/ocsp.key" -status_file "$T/c/ocsp-good.der"
ep_og=127.0.0.1:$port@ocsp.test
srv ocsprev 127.0.0.1:0 -cert "$T/c/ocsp.pem" -key "$T/c/ocsp.key" -status_file "$T/c/ocsp-revoked.der"
ep_or=127.0.0.1:$port@ocsp.test
C probe --json "$ep_og" "$ep_or" >"$J"; rc=$?
check "stapled good response: status, verified, current" test "$(jq_ "json_extract(j,'\$[0].ocsp.stapled') || json_extract(j,'\$[0].ocsp.status') || json_extract(j,'\$[0].ocsp.verified') || json_extract(j,'\$[0].ocsp.current')")" = 1good11
check "stapled good response: validity times" test "$(jq_ "json_extract(j,'\$[0].ocsp.this_update') || ' ' || json_extract(j,'\$[0].ocsp.next_update')")" = "2026-06-01T11:00:00Z 2026-06-08T11:00:00Z"
check "stapled good: healthy" test "$(jq_ "json_extract(j,'\$[0].healthy')")" = 1
check "stapled revoked response: revoked, when, why" test "$(jq_ "json_extract(j,'\$[1].ocsp.status') || ' ' || json_extract(j,'\$[1].ocsp.revoked_at') || ' ' || json_extract(j,'\$[1].ocsp.revocation_reason')")" = "revoked 2026-05-20T00:00:00Z keyCompromise"
check "stapled revoked: unhealthy, exit 1" sh -c "[ $rc = 1 ] && [ '$(jq_ "json_extract(j,'\$[1].problems')")' = '[\"ocsp-revoked\"]' ]"

# --- STARTTLS: the peer plays the protocol, then relays to an s_server
srv backend 127.0.0.1:0 -cert "$T/c/good.pem" -key "$T/c/good.key" -cert_chain "$T/c/inter.pem"
back=$port
set --
for proto in smtp imap pop3 ftp ldap postgres; do
	peer "$proto" "$back"
	set -- "$@" "127.0.0.1:$port/$proto@good.test"
done
C probe --json --timeout 5 "$@" >"$J"; rc=$?
check "STARTTLS for every protocol: exit 0" test $rc = 0
i=0
for proto in smtp imap pop3 ftp ldap postgres; do
	check "STARTTLS $proto: handshake done, chain verified" test "$(jq_ "json_extract(j,'\$[$i].result') || json_extract(j,'\$[$i].starttls') || json_extract(j,'\$[$i].verify.inventory.ok')")" = "ok${proto}1"
	i=$((i + 1))
done
set --
for proto in smtp imap pop3 ftp ldap postgres; do
	peer "$proto-refuse" "$back"
	set -- "$@" "127.0.0.1:$port/$proto@good.test"
done
C probe --json --timeout 5 "$@" >"$J"; rc=$?
check "refused STARTTLS: exit 1" test $rc = 1
i=0
for proto in smtp imap pop3 ftp ldap postgres; do
	check "STARTTLS $proto refused: starttls-refused" test "$(jq_ "json_extract(j,'\$[$i].result')")" = starttls-refused
	i=$((i + 1))
done
check "refusal says what the server said" test "$(jq_ "json_extract(j,'\$[0].detail')")" = "STARTTLS: 454 4.7.0 TLS not available"
check "LDAP refusal names the result code" test "$(jq_ "json_extract(j,'\$[4].detail')")" = "StartTLS: result 53 (unwillingToPerform): no TLS here"
peer silent
check_out "a plain server that never greets: timeout in STARTTLS" "phase:starttls" C probe --timeout 1 "127.0.0.1:$port/smtp"

# --- hostile peers: each bounded by its deadline, reported, no hang
peer silent; p_silent=$port
peer http; p_http=$port
peer close-mid; p_mid=$port
peer slow; p_slow=$port
peer silent; p_gone=$port
kill "$(echo $pids | awk '{ print $NF }')"; sleep 0.2
C probe --json --timeout 2 "127.0.0.1:$p_gone" "127.0.0.1:$p_silent" "127.0.0.1:$p_http" \
    "127.0.0.1:$p_mid" "127.0.0.1:$p_slow" nothing.invalid:443 >"$J"; rc=$?
check "hostile peers: all reported, exit 1" sh -c "[ $rc = 1 ] && [ '$(jq_ 'json_array_length(j)')' = 6 ]"
check "nothing listening: refused" test "$(jq_ "json_extract(j,'\$[0].result') || json_extract(j,'\$[0].phase')")" = refusedconnect
check "accepts and never speaks: timeout in the handshake" test "$(jq_ "json_extract(j,'\$[1].result') || json_extract(j,'\$[1].phase')")" = timeouthandshake
check "plain HTTP: not-tls" test "$(jq_ "json_extract(j,'\$[2].result')")" = not-tls
check "not-tls shows the first bytes, escaped" test "$(jq_ "json_extract(j,'\$[2].detail')")" = 'the server does not speak TLS (wrong version number); it began with "HTTP/"'
check "closes mid-handshake: handshake, says so" test "$(jq_ "json_extract(j,'\$[3].result') || ': ' || json_extract(j,'\$[3].detail')")" = "handshake: the server closed the connection during the handshake"
check "one byte a second: timeout" test "$(jq_ "json_extract(j,'\$[4].result')")" = timeout
check "a .invalid name: resolve" test "$(jq_ "json_extract(j,'\$[5].result') || ': ' || json_extract(j,'\$[5].detail')")" = "resolve: the name does not resolve"
check "every hostile probe is recorded" test "$(sqlite3 "$DB" "SELECT count(*) FROM probes WHERE kind IN ('refused','timeout','not-tls','handshake','resolve')")" -ge 6

# --- a certificate with terminal escapes and invalid UTF-8 in its subject
srv evil 127.0.0.1:0 -cert "$T/c/evil.pem" -key "$T/c/evil.key"
C probe --json "127.0.0.1:$port" >"$J"
check "hostile subject: --json stays valid" test "$(jq_ 'json_valid(j)')" = 1
check "hostile subject: no control character reaches the JSON" sh -c "[ \$(LC_ALL=C tr -d '\n' <'$J' | LC_ALL=C grep -c '[[:cntrl:]]') = 0 ]"
C probe "127.0.0.1:$port" >"$T/evil.txt" 2>&1
check "hostile subject: text output has no escape or control bytes" sh -c "[ \$(LC_ALL=C tr -d '\n' <'$T/evil.txt' | LC_ALL=C grep -c '[[:cntrl:]]') = 0 ]"

# --- a chain of 100 certificates
srv long 127.0.0.1:0 -cert "$T/c/self.pem" -key "$T/c/self.key" -cert_chain "$T/c/long-chain.pem"
C probe --json "127.0.0.1:$port@self.test" >"$J"
check "a chain of 100 certificates is read and reported" test "$(jq_ "json_extract(j,'\$[0].result') || json_extract(j,'\$[0].chain_length') || json_array_length(j,'\$[0].chain')")" = ok100100

# --- a 1 MiB certificate is read; more than 2 MiB is refused, in time
srv big 127.0.0.1:0 -cert "$T/c/big.pem" -key "$T/c/big.key"
C probe --json "127.0.0.1:$port@big.test" >"$J"
jcheck "a 1 MiB certificate is read and reported" "json_extract(j,'\$[0].result') || json_extract(j,'\$[0].chain[0].subject_cn')" okbig.test
srv big2 127.0.0.1:0 -cert "$T/c/big.pem" -key "$T/c/big.key" -cert_chain "$T/c/big2.pem"
C probe --json --timeout 5 "127.0.0.1:$port@big.test" >"$J"
check "more than 2 MiB of certificates: handshake refused" test "$(jq_ "json_extract(j,'\$[0].result')")" = handshake

# --- name resolution and IPv6
C probe --json "localhost:$good_port@good.test" >"$J"
check "a name that resolves (localhost) is probed" test "$(jq_ "json_extract(j,'\$[0].result')")" = ok
openssl s_server -accept '[::1]:0' -www -cert "$T/c/good.pem" -key "$T/c/good.key" \
    -cert_chain "$T/c/inter.pem" >"$T/v6.out" 2>&1 </dev/null &
pids="$pids $!"
p6=$(wait_for "$T/v6.out" 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' $!) || p6=
if [ -n "$p6" ]; then
	C probe --json "[::1]:$p6@good.test" >"$J"
	check "IPv6: [::1] probed" test "$(jq_ "json_extract(j,'\$[0].result') || json_extract(j,'\$[0].address')")" = ok::1
else
	ok "skipped: no ::1 on this machine"
fi
C probe --json "127.0.0.1:$good_port" >"$J"
check "an IP literal sends no SNI and is checked as an IP" test "$(jq_ "json_type(j,'\$[0].sni') || json_extract(j,'\$[0].name_match')")" = null0

# --- 40 endpoints, 8 in flight
srv many 127.0.0.1:0 -cert "$T/c/many.pem" -key "$T/c/many.key" -cert_chain "$T/c/inter.pem"
set --
i=1
while [ $i -le 40 ]; do
	set -- "$@" "127.0.0.1:$port@h$i.many.test"
	i=$((i + 1))
done
C probe --json --jobs 8 "$@" >"$J"; rc=$?
check "40 endpoints with --jobs 8: all complete, all healthy" sh -c "[ $rc = 0 ] && [ '$(jq_ 'json_array_length(j)')' = 40 ] && [ '$(jq_ "(SELECT count(*) FROM json_each(j) WHERE json_extract(value,'\$.result') = 'ok')")' = 40 ]"
check "40 results in the order given" test "$(jq_ "json_extract(j,'\$[39].sni')")" = h40.many.test

# --- two endpoints of an entry seen for the first time: one commit
cat "$T/c/many.pem" "$T/c/inter.pem" | C import --name many - >/dev/null
C set many "endpoints=127.0.0.1:$port@a.many.test,127.0.0.1:$port@b.many.test" >/dev/null
n0=$(commits "$I")
C probe many >/dev/null 2>&1
check "changes of one run are one commit" test "$(commits "$I")" = $((n0 + 1))
check "that commit writes both observed/ files" test "$(git -C "$I" show --format= --name-only HEAD | sort | tr '\n' ' ')" = "observed/127.0.0.1_${port}_a.many.test observed/127.0.0.1_${port}_b.many.test "
check "its subject counts them" sh -c "git -C '$I' log -1 --format=%s | grep -q '^observe 2 endpoints: 127.0.0.1:$port@a.many.test now serves \*.many.test (expires 2027-05-01), and 1 more$'"

# --- --all
C probe --all >"$T/all.txt" 2>&1; rc=$?
check "--all probes every entry endpoint (exit 0 when healthy)" sh -c "[ $rc = 0 ] && grep -q 'good-test' '$T/all.txt' && grep -q 'drift-test' '$T/all.txt' && grep -q '^4 probed' '$T/all.txt'"

# --- --import: what an endpoint outside the inventory serves
srv imp 127.0.0.1:0 -cert "$T/c/imp.pem" -key "$T/c/imp.key"
n0=$(commits "$I")
C probe --import "127.0.0.1:$port@imp.test" >"$T/imp.txt" 2>&1
check "--import adds the served certificate as an entry" sh -c "'$CERTDECK' -C '$I' show imp-test >/dev/null"
check "--import is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "--import reports by endpoint" "127.0.0.1:$port@imp.test: imported as imp-test" cat "$T/imp.txt"
C probe --import "127.0.0.1:$port@imp.test" >/dev/null 2>&1
check "--import again: already known, no commit" test "$(commits "$I")" = $((n0 + 1))

# --- the inventory stays consistent
check "fsck is clean after probes" sh -c "'$CERTDECK' -C '$I' fsck >/dev/null"
check "git status clean" test -z "$(git -C "$I" status --porcelain)"
