#!/bin/sh
# tests/e2e/tui-renew.sh: r and R in the terminal UI, driven in tmux: r
# asks first, showing the profile, the new expiry and the deploy targets;
# n renews nothing; y renews in the background (one commit), with the
# endpoint (openssl s_server on 127.0.0.1, still serving the old
# certificate) showing "! not live"; R lists the due entries and renews
# them all after one answer, several at once, the status bar counting
# the finished ones; without a passphrase file, issue asks for
# the key passphrase on the terminal without echo. Every wait is bounded.
. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	ok "skipped: tmux is not installed"
	exit 0
fi
SOCK=certdeck-rtest-$$
TM() { tmux -u -L "$SOCK" -f /dev/null "$@"; }
stop_tmux() { TM kill-server >/dev/null 2>&1 || true; }
at_exit stop_tmux
unset NO_COLOR CERTDECK_COLOR
. "$(dirname "$0")/lib-tls.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
mkdir -p "$T/d"
C init >/dev/null
C ca init root >/dev/null
# Issued on 2026-06-01; the UI runs on 2026-07-20, when all but three.test
# are at warning.
C issue --ca root --cn one.test --days 60 >/dev/null
C issue --ca root --cn two.test --days 70 >/dev/null
C issue --ca root --cn four.test --days 65 >/dev/null
C issue --ca root --cn three.test --days 300 >/dev/null
export CERTDECK_NOW=2026-07-20T12:00:00Z
E=$(ls -d "$I"/certs/*/one-test)
openssl pkey -in "$I/keys/one-test.key" -passin file:"$T/pass" -out "$T/one.key" 2>/dev/null
srv one 127.0.0.1:0 -cert "$E/cert.pem" -key "$T/one.key"
C set one-test "endpoints=127.0.0.1:$port@one.test" "deploy-cert=$T/d/one.pem" >/dev/null

cat >"$T/ui" <<EOS
#!/bin/sh
"$CERTDECK" "\$@"
echo "EXITED \$?"
exec sleep 600
EOS
chmod +x "$T/ui"
TM new-session -d -s a -x 160 -y 30 env TERM=screen LC_ALL=C.UTF-8 \
    HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" \
    CERTDECK_PASSPHRASE_FILE="$CERTDECK_PASSPHRASE_FILE" "$T/ui" -C "$I"
screen() { TM capture-pane -p -t "$1" >"$T/screen" 2>/dev/null; cat "$T/screen"; }
keys() { _s=$1; shift; TM send-keys -t "$_s" "$@"; }
wait_cmd() {
	_s=$1; shift
	_n=0 _t0=$(date +%s)
	while [ $_n -lt 100 ] && [ $(($(date +%s) - _t0)) -le 15 ]; do
		screen "$_s" | "$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
expect() {
	if wait_cmd "$1" grep -qF -- "$3"; then ok "$2"
	else not_ok "$2"; screen "$1" | sed 's/^/# /' | head -40; fi
}
goto() {
	keys "$1" / "$2" Enter
	wait_cmd "$1" sh -c "grep '^>' | grep -qF -- ' $2 '"
}

expect a "the list is up" "one-test"
n0=$(commits "$I")
goto a one-test
keys a r
expect a "r asks first, naming the profile" "renew one-test via local-ca (local CA root)"
expect a "  the new expiry" "new expiry 2026-09-18"
expect a "  and the deploy targets" "deploy: cert $T/d/one.pem"
keys a n
expect a "n renews nothing" "nothing renewed"
check "  no commit" test "$(commits "$I")" = "$n0"
keys a r
expect a "r asks again" "renew one-test via"
keys a y
expect a "y renews in the background; the status bar says how it went" "renewed (1 not live yet), 0 failed"
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  the renewal's subject" "renew one-test: expires 2026-07-31 -> 2026-09-18" git -C "$I" log -1 --format=%s
check "  the certificate was deployed" test -s "$T/d/one.pem"
expect a "  the endpoint still serves the old one: ! not live" "! not live"
n0=$(commits "$I")
keys a Escape
keys a R
expect a "R lists the due entries" "renew 2 due: four-test, two-test?"
keys a y
expect a "R renews them all after one answer" "2 renewed"
check "  two commits" test "$(commits "$I")" = $((n0 + 2))

# R runs several at once: two entries whose command waits for a gate
# file (bounded), two through the local CA and one whose command fails.
# While the gate is shut the status bar counts the three finished; then
# the last two land.
cat >"$T/gate" <<'SH'
#!/bin/sh
# gate CN OUT: wait for the gate, then a new self-signed certificate.
i=0
while [ ! -e "${0%/*}/open" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "${0%/*}/open" ] || exit 9
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$2/key.pem" -out "$2/cert.pem" -days 60 -subj "/CN=$1" 2>/dev/null
SH
chmod +x "$T/gate"
cat >>"$I/certdeck.conf" <<CONF

[profile gate]
type = command
command = $T/gate {cn} {out}

[profile broken]
type = command
command = false
CONF
git -C "$I" commit -qam "add profiles gate, broken"
for n in g1 g2 l1 l2 b1; do
	CERTDECK_NOW=2026-06-01T12:00:00Z C issue --ca root --name $n --cn $n.test --days 60 >/dev/null
done
C set g1 profile=gate >/dev/null
C set g2 profile=gate >/dev/null
C set b1 profile=broken >/dev/null
n0=$(commits "$I")
expect a "the list shows them" "g2"
keys a R
expect a "R lists the five due" "renew 5 due: "
keys a y
expect a "  the status bar counts the finished ones while two wait" "renew 3/5"
check "  three of them done: two commits" test "$(commits "$I")" = $((n0 + 2))
: >"$T/open"
expect a "  then all of them: four renewed, one failed, named" "4 renewed (0 not live yet), 1 failed; b1: command false exited with status 1"
check "  four commits" test "$(commits "$I")" = $((n0 + 4))
keys a Q
expect a "Q quits" "EXITED 0"

# Without CERTDECK_PASSPHRASE_FILE, a command that needs a key asks on the
# terminal, without echo.
TM new-session -d -s p -x 100 -y 10 env -u CERTDECK_PASSPHRASE_FILE TERM=screen \
    HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" "$T/ui" -C "$I" issue --ca root --cn prompt.test
expect p "issue asks for the key passphrase" "certdeck: key passphrase:"
keys p "correct horse battery staple" Enter
expect p "  and issues with it" "issued prompt-test"
check "  the passphrase was not echoed" sh -c "! grep -q 'horse' '$T/screen'"
check "  the key is encrypted with it" sh -c "openssl pkey -in '$I/keys/prompt-test.key' -passin file:'$T/pass' -noout 2>/dev/null"

# Without CERTDECK_PASSPHRASE_FILE the UI asks for the key passphrase in
# the status bar when a job needs it, without echo; a wrong one fails
# the renewal with the reason, Esc gives none, and it is asked again for
# the next job (not kept past the job).
TM new-session -d -s q -x 160 -y 30 env -u CERTDECK_PASSPHRASE_FILE TERM=screen \
    LC_ALL=C.UTF-8 HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" "$T/ui" -C "$I"
expect q "the UI without a passphrase file" "three-test"
n0=$(commits "$I")
goto q three-test
keys q r
expect q "r asks first" "renew three-test via"
keys q y
expect q "  the job asks for the key passphrase" "key passphrase:"
keys q "wrong horse"
wait_cmd q grep -q "key passphrase:"
check "  what is typed is not shown" sh -c "! grep -q 'horse' '$T/screen'"
keys q Enter
expect q "  a wrong one fails the renewal, saying why" "cannot decrypt the key: wrong passphrase"
check "  nothing committed" test "$(commits "$I")" = "$n0"
keys q r
expect q "r again" "renew three-test via"
keys q y
expect q "  asks again: the wrong one was not kept" "key passphrase:"
keys q Escape
expect q "  Esc: the renewal fails for want of it" "no passphrase to encrypt the new key"
check "  nothing committed" test "$(commits "$I")" = "$n0"
keys q r
expect q "r once more" "renew three-test via"
keys q y
expect q "  asks once more" "key passphrase:"
keys q "correct horse battery staple" Enter
expect q "  the right one renews" "1 renewed"
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check "  the passphrase never showed" sh -c "! grep -q 'horse' '$T/screen'"
keys q Q
expect q "Q quits" "EXITED 0"

# A job's question does not take the place of the operator's own: with
# the owner being typed when the renewal asks (held until then), the
# passphrase waits, the status bar says so, and it is asked once the
# owner is answered.
TM new-session -d -s w -x 160 -y 30 env -u CERTDECK_PASSPHRASE_FILE TERM=screen \
    LC_ALL=C.UTF-8 HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" \
    CERTDECK_TEST_HOLD="ask-secret:$T/ask-go" "$T/ui" -C "$I"
expect w "the UI, a job's question held back" "three-test"
n0=$(commits "$I")
goto w three-test
keys w r
expect w "r asks first" "renew three-test via"
keys w y
keys w o
expect w "  o asks for the owner while the renewal runs" "owner of three-test:"
keys w "ops"
wait_cmd w grep -q "owner of three-test: .*ops_"
: >"$T/ask-go"
expect w "  the job's question waits, and says so" "[renew waits to ask: key passphrase]"
check "  what the operator typed is still there" wait_cmd w grep -q "owner of three-test: .*ops_"
keys w Enter
expect w "  once the owner is answered, the passphrase is asked" "key passphrase:"
check "  the owner was set meanwhile" sh -c "'$CERTDECK' -C '$I' show three-test | grep -qi 'owner.*ops'"
keys w "correct horse battery staple" Enter
expect w "  the renewal goes on" "1 renewed"
check "  two commits: the owner and the renewal" test "$(commits "$I")" = $((n0 + 2))
keys w Q
expect w "Q quits" "EXITED 0"
