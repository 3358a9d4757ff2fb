#!/bin/sh
# tests/e2e/tui-acme.sh: r in the terminal UI on an entry with an acme
# profile, end to end against pebble on 127.0.0.1 (always valid): r asks
# first, naming the ACME directory; y renews in the background, one
# commit, the certificate pebble's; a profile whose directory is down
# fails, saying why in the status bar, and commits nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tls.sh"
. "$(dirname "$0")/lib-tmux.sh"
. "$(dirname "$0")/lib-acme.sh"
unset NO_COLOR CERTDECK_COLOR

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
printf 'correct horse battery staple\n' >"$T/pass"
export CERTDECK_PASSPHRASE_FILE="$T/pass"
C init >/dev/null
C ca init root >/dev/null
C issue --ca root --cn a.test --san 'DNS:a.test,DNS:www.a.test' --days 30 >/dev/null
C issue --ca root --cn b.test --days 30 >/dev/null
d=$(ls -d "$I"/certs/*/a-test)

export PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1
lport=$(free_port)
start_pebble p1 "$lport" || exit 1
profile pebble "directory = https://127.0.0.1:$pport/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
dead=$(free_port)
profile down "directory = https://127.0.0.1:$dead/dir" \
    "ca-bundle = $T/pebble.pem" "http-listen = 127.0.0.1:$lport"
C set a-test profile=pebble >/dev/null
C set b-test profile=down >/dev/null

TM new-session -d -s a -x 200 -y 30 env TERM=screen LC_ALL=C.UTF-8 \
    HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" \
    CERTDECK_PASSPHRASE_FILE="$CERTDECK_PASSPHRASE_FILE" "$T/ui" -C "$I"
goto() {
	keys "$1" / "$2" Enter
	wait_cmd "$1" sh -c "grep '^>' | grep -qF -- ' $2 '"
}
expect a "the list is up" "a-test"
n0=$(commits "$I")
goto a a-test
keys a r
expect a "r asks, naming the ACME directory" "renew a-test via pebble (ACME https://127.0.0.1:$pport/dir, http-01 on 127.0.0.1:$lport)"
keys a y
# A renewal takes a second or so: wait up to ~15 s.
for _ in 1 2 3; do wait_text a "1 renewed" && break; done
expect a "y renews through pebble in the background" "1 renewed"
check "  one commit" test "$(commits "$I")" = $((n0 + 1))
check_out "  pebble issued it" "Pebble Intermediate CA" openssl x509 -in "$d/cert.pem" -noout -issuer
n0=$(commits "$I")
keys a Escape
goto a b-test
keys a r
expect a "r on an entry whose ACME directory is down" "renew b-test via down"
keys a y
expect a "  the status bar says why" "Failed to connect to 127.0.0.1 port $dead"
check "  nothing committed" test "$(commits "$I")" = "$n0"
keys a Q
expect a "Q quits" "EXITED 0"
