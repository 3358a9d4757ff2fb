# tests/e2e/lib-acme.sh: sourced after lib.sh (and lib-tls.sh, whose
# $pids and wait_for it uses) by the tests that run pebble, the ACME test
# CA, on 127.0.0.1. Skips the rest of the script (one "ok") when pebble is
# not installed. Expects $I (the inventory). Provides:
#   $T/pebble.pem, .key    pebble's own TLS certificate, for 127.0.0.1
#   start_pebble NAME HTTPPORT [ARGS]   pebble with the caller's
#                          PEBBLE_* environment; sets $ppid $pport $mport
#   profile NAME SETTING...             an acme [profile NAME], committed
if ! command -v pebble >/dev/null 2>&1 ||
    ! command -v pebble-challtestsrv >/dev/null 2>&1; then
	ok "skipped: pebble is not installed (Debian package pebble)"
	exit 0
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/pebble.key" -out "$T/pebble.pem" -days 30 -subj "/CN=pebble" \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null

# start_pebble NAME HTTPPORT [pebble args...]: pebble with the environment
# the caller exported; sets $ppid $pport $mport. Up to 3 tries on a port
# clash.
start_pebble() {
	_n=$1 _h=$2; shift 2
	_try=0
	while [ $_try -lt 3 ]; do
		pport=$(free_port) mport=$(free_port)
		cat >"$T/$_n.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$pport",
 "managementListenAddress": "127.0.0.1:$mport",
 "certificate": "$T/pebble.pem", "privateKey": "$T/pebble.key",
 "httpPort": $_h, "tlsPort": $(free_port), "ocspResponderURL": "",
 "externalAccountBindingRequired": false}}
EOF
		pebble -config "$T/$_n.json" "$@" >"$T/$_n.log" 2>&1 </dev/null &
		ppid=$!
		pids="$pids $ppid"
		if wait_for "$T/$_n.log" '/ACME directory available/p' $ppid >/dev/null; then
			return 0
		fi
		kill $ppid 2>/dev/null
		_try=$((_try + 1))
	done
	echo "# pebble $_n did not start:"; fmt <"$T/$_n.log"
	return 1
}
# profile NAME SETTINGS...: a [profile NAME] section, committed.
profile() {
	_p=$1; shift
	printf '\n[profile %s]\ntype = acme\n' "$_p" >>"$I/certdeck.conf"
	for _s in "$@"; do printf '%s\n' "$_s" >>"$I/certdeck.conf"; done
	git -C "$I" commit -qam "add profile $_p"
}

