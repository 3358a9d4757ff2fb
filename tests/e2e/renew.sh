# renew.sh: `certdeck renew` through the local-ca profile (new key, reused
# key, hours of validity), the command profile driving a script that calls
# openssl (placeholders, environment, timeout, failures recorded in the
# index's job log and shown in the list, "stuck" after repeated ones),
# names and SANs holding shell metacharacters that reach the command as
# plain data, --due and --dry-run; each renewal one commit and a failed
# one none; several at once (--jobs), two commands meeting while they
# run, failures among them, the CA's record merged, --jobs 1 in order;
# no unencrypted key in any git object.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
AT=$(date -d 2026-06-02 +%s)
# The command's {out} directories go here, to be counted.
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
db() { sqlite3 "$I/.certdeck/index.db" "$1"; }
C init >/dev/null
C ca init root >/dev/null
C issue --ca root --cn api.test --san 'DNS:api.test,IP:127.0.0.1' --days 30 >/dev/null
d=$(ls -d "$I"/certs/*/api-test)
old_fp=$(openssl x509 -in "$d/cert.pem" -noout -fingerprint -sha256)
old_key=$(git -C "$I" rev-parse HEAD:keys/api-test.key)

# --- local-ca, implicitly: an issued entry needs no configuration
check_out "dry run shows the profile" "local-ca (local CA root)" C renew --dry-run api-test
check_out "  and the new expiry" "expires 2026-07-01 -> 2026-07-01" C renew --dry-run api-test
n0=$(commits "$I")
C renew --dry-run api-test >/dev/null
check "  and commits nothing" test "$(commits "$I")" = "$n0"
export CERTDECK_NOW=2026-06-25T12:00:00Z
check_out "renew api-test" "renewed api-test: expires 2026-07-01 -> 2026-07-25" C renew api-test
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  subject renew NAME: expires OLD -> NEW" "renew api-test: expires 2026-07-01 -> 2026-07-25" git -C "$I" log -1 --format=%s
git -C "$I" log -1 --format=%B >"$T/msg"
check_out "  body: old serial" "old serial: " cat "$T/msg"
check_out "  body: new serial" "new serial: " cat "$T/msg"
check_out "  body: new fingerprint" "new fingerprint: " cat "$T/msg"
check_out "  body: a new key" "key: new (ec:P-256)" cat "$T/msg"
check_out "  body: the profile" "profile: local-ca, CA root" cat "$T/msg"
check_out "  trailer Certdeck-Action" "Certdeck-Action: renew" cat "$T/msg"
check_out "  trailer Certdeck-Profile" "Certdeck-Profile: local-ca" cat "$T/msg"
check "  a new certificate" test "$(openssl x509 -in "$d/cert.pem" -noout -fingerprint -sha256)" != "$old_fp"
check "  a new key, stored encrypted" sh -c "test '$(git -C "$I" rev-parse HEAD:keys/api-test.key)' != '$old_key' && grep -q 'BEGIN ENCRYPTED PRIVATE KEY' '$I/keys/api-test.key'"
check "  the key is the certificate's" sh -c "
    a=\$(openssl pkey -in '$I/keys/api-test.key' -passin file:'$T/pass' -pubout 2>/dev/null);
    b=\$(openssl x509 -in '$d/cert.pem' -noout -pubkey); [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
check_out "  verifies with openssl" "OK" openssl verify -attime "$(date -d 2026-06-26 +%s)" -CAfile "$I/cas/root/cert.pem" "$d/cert.pem"
check_out "  same subject" "CN = api.test" openssl x509 -in "$d/cert.pem" -noout -subject
check_out "  same SANs" "DNS:api.test, IP Address:127.0.0.1" openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName
check "  the CA recorded both serials" test "$(grep -c ' api-test' "$I/cas/root/serials")" = 2
check "  a renew job, ok" test "$(db "SELECT count(*) FROM jobs WHERE entry='api-test' AND kind='renew' AND ok=1")" = 1

# --- local-ca with a profile: reuse-key, hours
cat >>"$I/certdeck.conf" <<'CONF'

[profile short]
type = local-ca
ca = root
hours = 48
reuse-key = yes
CONF
git -C "$I" commit -qam "add profile short"
C set api-test profile=short >/dev/null
key_before=$(git -C "$I" rev-parse HEAD:keys/api-test.key)
check_out "renew with reuse-key and hours" "expires 2026-07-25 -> 2026-06-27" C renew api-test
check "  the key is the same" test "$(git -C "$I" rev-parse HEAD:keys/api-test.key)" = "$key_before"
check_out "  body: key reused" "key: reused" git -C "$I" log -1 --format=%B
check_out "  48 hours of validity" "notAfter=Jun 27 12:00:00 2026 GMT" openssl x509 -in "$d/cert.pem" -noout -enddate
# Revoked for key compromise: the renewal that fixes it makes a new key,
# whatever reuse-key says.
C revoke api-test --reason key-compromise >/dev/null
key_before=$(git -C "$I" rev-parse HEAD:keys/api-test.key)
check_out "after a key-compromise revocation, the dry run plans a new key" "key: new" C renew --dry-run api-test
check_out "  renew" "renewed api-test" C renew api-test
check "  the key is new" test "$(git -C "$I" rev-parse HEAD:keys/api-test.key)" != "$key_before"
check_out "  body: a new key" "key: new" git -C "$I" log -1 --format=%B

# --- the command profile: a script that calls openssl
mkdir -p "$T/tool"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/tool/ca.key" -out "$T/tool/ca.pem" -days 3650 -subj "/CN=Tool CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
cat >"$T/tool/issue" <<'SH'
#!/bin/sh
# issue NAME CN SANS OUT: what a certbot or step would do, with openssl.
# Every argument is logged as it came, one per line, to see that no shell
# took them apart.
log=$(dirname "$0")/args
: >"$log"
for a in "$@"; do printf '%s\n' "$a" >>"$log"; done
env | grep '^CERTDECK_' | sort >"$(dirname "$0")/env"
ls /proc/$$/fd >"$(dirname "$0")/fds"
case "$4" in /*) ;; *) echo "no out dir" >&2; exit 2 ;; esac
[ -n "${FAIL:-}" ] && { printf 'boom \033[31mred\033[0m on stderr\n' >&2; exit 3; }
[ -n "${SLOW:-}" ] && sleep 30
d=$(dirname "$0")
# What a broken wrapper does: another lineage's names, a stale file.
[ -n "${OTHER:-}" ] && set -- other other.test "$3" "$4"
days=60
[ -n "${EXPIRED:-}" ] && days=30
x509() {
	if [ -n "${EXPIRED:-}" ]; then
		faketime -f '@2026-01-01 00:00:00' openssl x509 "$@"
	else
		openssl x509 "$@"
	fi
}
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$4/key.pem" -out "$4/req.csr" -subj "/CN=$2" 2>/dev/null || exit 4
printf 'subjectAltName=DNS:%s.test\n' "$1" >"$4/ext"
x509 -req -in "$4/req.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -CAcreateserial -CAserial "$4/srl" -days "$days" -extfile "$4/ext" -out "$4/cert.pem" 2>/dev/null || exit 5
cat "$d/ca.pem" >>"$4/cert.pem"
echo "issued for $2"
SH
chmod +x "$T/tool/issue"
cat >>"$I/certdeck.conf" <<CONF

[profile tool]
type = command
command = $T/tool/issue {name} {cn} '{sans}' {out}
timeout = 5
CONF
git -C "$I" commit -qam "add profile tool"
# A common name and a SAN full of shell metacharacters (issue takes them
# as data too).
C issue --ca root --name web --cn 'web.test;$(touch PWNED)' \
    --san 'DNS:web.test,DNS:$(touch PWNED);`id`|x' --days 20 >/dev/null
C set web profile=tool >/dev/null
n0=$(commits "$I")
check_out "dry run of a command profile" "tool (command $T/tool/issue {name} {cn} '{sans}' {out})" C renew --dry-run web
check_out "renew through the command profile" "renewed web" sh -c "cd '$T' && '$CERTDECK' -C '$I' renew web"
check "  is one commit" test "$(commits "$I")" = $((n0 + 1))
check "  the command got {name} as one argument" test "$(sed -n 1p "$T/tool/args")" = "web"
check "  {cn}, as it is" test "$(sed -n 2p "$T/tool/args")" = 'web.test;$(touch PWNED)'
check "  {sans}, metacharacters and all, as one argument" test "$(sed -n 3p "$T/tool/args")" = 'web.test,$(touch PWNED);`id`|x'
check "  no shell ran them" test ! -e "$T/PWNED" -a ! -e "$TOP/PWNED" -a ! -e "$I/PWNED"
check "  the arguments were exactly four" test "$(wc -l <"$T/tool/args")" = 4
check_out "  environment describes the entry" "CERTDECK_ENTRY=web" cat "$T/tool/env"
check_out "  CERTDECK_SANS" 'CERTDECK_SANS=web.test,$(touch PWNED);`id`|x' cat "$T/tool/env"
check_out "  the new certificate is from the tool's CA" "issuer=CN = Tool CA" sh -c "openssl x509 -in \$(ls '$I'/certs/*/web/cert.pem) -noout -issuer"
check_out "  verifies with openssl" "OK" sh -c "openssl verify -CAfile '$T/tool/ca.pem' \$(ls '$I'/certs/*/web/cert.pem)"
check "  the key the command made is stored encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$I/keys/web.key"
check "  the command's temp directory is gone" test -z "$(ls "$TMPDIR")"

# a command that fails: nothing committed, the job log has its output
n0=$(commits "$I")
check_out "a failing command is reported" "command $T/tool/issue exited with status 3" env FAIL=1 "$CERTDECK" -C "$I" renew web
check "  exit status 1" sh -c "FAIL=1 '$CERTDECK' -C '$I' renew web >/dev/null 2>&1; [ \$? = 1 ]"
check "  nothing committed" test "$(commits "$I")" = "$n0"
check "  the work tree is clean" test -z "$(git -C "$I" status --porcelain)"
check_out "  the job log has the output" "boom" db "SELECT output FROM jobs WHERE entry='web' AND ok=0 ORDER BY id DESC LIMIT 1"
check "  sanitised: no escape character in the index" test "$(db "SELECT count(*) FROM jobs WHERE instr(output, char(27)) > 0")" = 0
check_out "  the list shows it" "web: renewal failed" C list
check_out "  JSON too" '"renewal":"renewal failed"' C list --json
check_out "  show says so" "Renewal: renewal failed" C show web
check_out "  with the command's output, escaped" 'boom \x1b[31mred' C show web
FAIL=1 C renew web >/dev/null 2>&1
check_out "three failures in a row: stuck" "web: renewal stuck" C list
check "a command that hangs is stopped at its timeout" sh -c "SLOW=1 timeout 30 '$CERTDECK' -C '$I' renew web 2>&1 | grep -q 'timed out after 5 s'"
check "  nothing committed" test "$(commits "$I")" = "$n0"
check_out "a good run clears the mark" "renewed web" C renew web
check "  the list shows no mark" sh -c "! '$CERTDECK' -C '$I' list | grep -q '^!'"
check "renew with the passphrase from --passphrase-fd 7" sh -c "env -u CERTDECK_PASSPHRASE_FILE '$CERTDECK' --passphrase-fd 7 -C '$I' renew web 7<'$T/pass' >/dev/null 2>&1"
check "  the command did not inherit descriptor 7" sh -c "test -s '$T/tool/fds' && ! grep -qx 7 '$T/tool/fds'"
# a certificate a broken wrapper gives: expired already, or for other names
n0=$(commits "$I")
check_out "an expired certificate from the command is refused" "the command's certificate has expired already (2026-01-31" env EXPIRED=1 "$CERTDECK" -C "$I" renew web
check_out "one for none of the entry's names is refused" "the command's certificate is for none of the entry's names (it has CN other.test, SANs other.test" env OTHER=1 "$CERTDECK" -C "$I" renew web
check "  nothing committed" test "$(commits "$I")" = "$n0"

check_out "  and a good run after them" "renewed web" C renew web
# Two renewals of one entry at once (cron and an operator): the second is
# refused while the first runs, not issued and deployed beside it.
: >"$T/tool/args"
SLOW=1 C renew web >"$T/first.out" 2>&1 &
first=$!
n=0
while [ $n -lt 100 ] && [ ! -s "$T/tool/args" ]; do sleep 0.1; n=$((n + 1)); done
n0=$(commits "$I")
check_out "a second renewal of an entry being renewed is refused" "web: another renewal of it is running" C renew web
check "  and commits nothing" test "$(commits "$I")" = "$n0"
wait $first
check_out "a renewal after it runs" "renewed web" C renew web

# --- refusals
cert_at 2026-06-10 20 "$T/plain" plain.test
C import --name plain "$T/plain.pem" >/dev/null
check_out "an entry without a profile is refused" "no renewal profile" C renew plain
check_out "an unknown profile is refused" "no [profile nosuch]" sh -c "'$CERTDECK' -C '$I' set plain profile=nosuch >/dev/null; '$CERTDECK' -C '$I' renew plain"
check_out "an unknown entry is refused" "nosuch: no such entry" C renew nosuch
check_out "the rest of a batch still runs" "renewed api-test" C renew nosuch api-test
check_out "renew without a passphrase is refused" "no passphrase" env -u CERTDECK_PASSPHRASE_FILE "$CERTDECK" -C "$I" renew api-test

# --- --due
export CERTDECK_NOW=2026-06-27T06:00:00Z
C set plain profile= >/dev/null
check_out "--due lists what is due (dry run)" "api-test: would renew" C renew --due --dry-run
check "  not an entry without a profile" sh -c "! '$CERTDECK' -C '$I' renew --due --dry-run | grep -q '^plain'"
check_out "--due renews them" "renewed api-test" C renew --due

# --- several at once (--jobs): one commit per renewal, each made as it
# finishes; a failure among them reported while the others land
for i in 1 2 3 4 5; do
	C issue --ca root --cn "p$i.test" --san "DNS:p$i.test" --days 30 >/dev/null
done
# Two command renewals that must meet: each waits (bounded) until the
# other has started, so they pass only when they run side by side.
cat >"$T/tool/meet" <<'SH'
#!/bin/sh
# meet NAME CN OUT: NAME has started; wait for another, then issue.
d=$(dirname "$0")
mkdir -p "$d/met"
: >"$d/met/$1"
i=0
while [ "$(ls "$d/met" | wc -l)" -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(ls "$d/met" | wc -l)" -ge 2 ] || { echo "$1 ran alone" >&2; exit 9; }
exec "$d/issue" "$1" "$2" "$1.test" "$3"
SH
chmod +x "$T/tool/meet"
cat >>"$I/certdeck.conf" <<CONF

[profile meet]
type = command
command = $T/tool/meet {name} {cn} {out}
timeout = 60

[profile broken]
type = command
command = false
CONF
git -C "$I" commit -qam "add profiles meet, broken"
for n in m1 m2; do
	C issue --ca root --name "$n" --cn "$n.test" --days 30 >/dev/null
	C set "$n" profile=meet >/dev/null
done
C issue --ca root --name bad --cn bad.test --days 30 >/dev/null
C set bad profile=broken >/dev/null
# p5 cannot be deployed: its renewal fails after the issue.
# Its certificate's target can be written, its key's cannot: nothing of
# it may be replaced (every target is staged before any is renamed).
echo old-p5 >"$T/p5-live.pem"
C set p5-test "deploy-cert=$T/p5-live.pem" "deploy-key=$T/missing/key.pem" >/dev/null
good="p1-test p2-test p3-test p4-test m1 m2"
for n in $good p5-test bad; do
	eval "fp_$(echo "$n" | tr - _)=\$(openssl x509 -in \$(ls '$I'/certs/*/$n/cert.pem) -noout -fingerprint -sha256)"
done
rec0=$(grep -vc '^#' "$I/cas/root/serials")
n0=$(commits "$I")
C renew --jobs 4 p1-test bad p2-test m1 p3-test p5-test p4-test m2 >"$T/par.out" 2>"$T/par.err"
rc=$?
check "renew --jobs 4 of eight, two failing: exit status 1" test "$rc" = 1
for n in $good; do
	check_out "  $n renewed" "renewed $n: expires" cat "$T/par.out"
done
check_out "  the failing command is reported" "bad: command false exited with status 1" cat "$T/par.err"
check_out "  the failing deploy is reported" "p5-test: deploy-key $T/missing/key.pem: $T/missing: No such file or directory" cat "$T/par.err"
check "  one line each" test "$(wc -l <"$T/par.err")" = 2
check "  six commits" test "$(commits "$I")" = $((n0 + 6))
git -C "$I" log -6 --format=%s | sed -n 's/^renew \([^:]*\): expires .*/\1/p' | sort >"$T/par.subjects"
check "  one per renewed entry" test "$(tr '\n' ' ' <"$T/par.subjects")" = "m1 m2 p1-test p2-test p3-test p4-test "
check "  each commit changes its own entry only" sh -c "
    for c in \$(git -C '$I' log -6 --format=%H); do
	e=\$(git -C '$I' log -1 --format=%s \$c | sed 's/^renew \([^:]*\):.*/\1/');
	git -C '$I' show --name-only --format= \$c | grep -v \"^keys/\$e.key\$\" |
	    grep -v '^cas/root/serials\$' | grep -v \"^certs/../\$e/cert.pem\$\" | grep -q . && exit 1;
    done; exit 0"
check "  the failed entries kept their certificates" sh -c "
    [ \"\$(openssl x509 -in \$(ls '$I'/certs/*/p5-test/cert.pem) -noout -fingerprint -sha256)\" = '$fp_p5_test' ] &&
    [ \"\$(openssl x509 -in \$(ls '$I'/certs/*/bad/cert.pem) -noout -fingerprint -sha256)\" = '$fp_bad' ]"
check "  and nothing was replaced where p5 deploys" sh -c "
    [ \"\$(cat '$T/p5-live.pem')\" = old-p5 ] && [ ! -e '$T/missing' ] &&
    [ -z \"\$(ls '$T' | grep '^p5-live.pem.')\" ]"
check "  the renewed ones have new certificates" sh -c "
    for n in $good; do
	v=fp_\$(echo \$n | tr - _); eval old=\\\$\$v;
	[ \"\$(openssl x509 -in \$(ls '$I'/certs/*/\$n/cert.pem) -noout -fingerprint -sha256)\" != \"\$old\" ] || exit 1;
    done"
check "  the two commands ran side by side" sh -c "! grep -q 'ran alone' '$T/par.err' && test -e '$T/tool/met/m1' -a -e '$T/tool/met/m2'"
check "  the CA's record has the four new serials, once each" sh -c "
    [ \$(grep -vc '^#' '$I/cas/root/serials') = $((rec0 + 4)) ] &&
    for n in p1-test p2-test p3-test p4-test; do
	s=\$(openssl x509 -in \$(ls '$I'/certs/*/\$n/cert.pem) -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//');
	[ \"\$(grep -c \"^0*\$s \" '$I/cas/root/serials')\" = 1 ] || exit 1;
    done"
check "  each renewed certificate verifies" sh -c "
    for n in p1-test p2-test p3-test p4-test; do
	openssl verify -attime $(date -d 2026-06-28 +%s) -CAfile '$I/cas/root/cert.pem' \$(ls '$I'/certs/*/\$n/cert.pem) >/dev/null || exit 1;
    done"
check "  six renew jobs ok, two failed" test "$(db "SELECT sum(ok), sum(1 - ok) FROM jobs WHERE kind='renew' AND started >= strftime('%s', '2026-06-27T06:00:00Z') AND entry IN ('p1-test','p2-test','p3-test','p4-test','p5-test','m1','m2','bad')")" = "6|2"
check "  git fsck is clean" git -C "$I" fsck --no-progress --strict
check "  the work tree is clean" test -z "$(git -C "$I" status --porcelain)"
check "  certdeck fsck is clean" sh -c "'$CERTDECK' -C '$I' fsck >/dev/null 2>&1"
C renew --jobs 1 p3-test p1-test p2-test >"$T/seq.out"
check "--jobs 1 renews in the order given" test "$(sed -n 's/^renewed \([^:]*\):.*/\1/p' "$T/seq.out" | tr '\n' ' ')" = "p3-test p1-test p2-test "
check "  and commits in that order" test "$(git -C "$I" log -3 --reverse --format=%s | cut -d: -f1 | tr '\n' ' ')" = "renew p3-test renew p1-test renew p2-test "
n0=$(commits "$I")
for j in 0 33 x ''; do
	check_out "--jobs '$j' is refused" "--jobs $j: a number from 1 to 32" C renew --jobs "$j" p1-test
done
check "  nothing committed" test "$(commits "$I")" = "$n0"

# --- the new key's type and reuse-key, as every kind decides them: the
# old key's type by default, the profile's key-type over it; reuse-key
# yes or no and nothing else
C issue --ca root --cn kt.test --key-type ec:P-384 --days 30 >/dev/null
check_out "renew keeps the old key's type (dry run)" "key: new (ec:P-384)" C renew --dry-run kt-test
C renew kt-test >/dev/null
check_out "  and the renewal" "key: new (ec:P-384)" git -C "$I" log -1 --format=%b
cat >>"$I/certdeck.conf" <<'CONF'

[profile rsa]
type = local-ca
ca = root
key-type = rsa:3072

[profile maybe]
type = local-ca
ca = root
reuse-key = maybe

[profile acmemaybe]
type = acme
directory = https://127.0.0.1:1/dir
http-listen = 127.0.0.1:1
reuse-key = maybe
CONF
git -C "$I" commit -qam "add profiles rsa, maybe, acmemaybe"
C set kt-test profile=rsa >/dev/null
C renew kt-test >/dev/null
check_out "a profile's key-type over the old key's" "key: new (rsa:3072)" git -C "$I" log -1 --format=%b
for p in maybe acmemaybe; do
	C set kt-test profile=$p >/dev/null
	n0=$(commits "$I")
	check_out "reuse-key = maybe is refused ($p, dry run)" "certdeck.conf [profile $p]: reuse-key must be yes or no" C renew --dry-run kt-test
	check_out "  and by renew" "certdeck.conf [profile $p]: reuse-key must be yes or no" C renew kt-test
	check "  nothing committed" test "$(commits "$I")" = "$n0"
done

# --- no unencrypted private key in any object
git -C "$I" cat-file --batch-all-objects --batch >"$T/objects"
check "no git object holds an unencrypted private key" sh -c "! grep -aE 'BEGIN (RSA |EC )?PRIVATE KEY' '$T/objects'"
check "inventory consistent" sh -c "[ -z \"\$(git -C '$I' status --porcelain)\" ] && '$CERTDECK' -C '$I' fsck >/dev/null 2>&1"
