# tests/e2e/lib-tls.sh: sourced after lib.sh by the tests that run TLS
# servers on 127.0.0.1. Every server is started in the background and
# stopped by PID at exit; every wait is bounded. Provides free_port,
# wait_for, srv, peer, nginx_up.
pids=""
stop_servers() { for p in $pids; do kill "$p" 2>/dev/null; done; }
at_exit stop_servers

# A free port on 127.0.0.1: bind port 0 and let it go (python3), else a
# random high one; whoever uses it retries on a clash.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
	    echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
}

# wait_for FILE SED-EXPR [PID]: print the first match in FILE, waiting up
# to 10 s, or until process PID is gone.
wait_for() {
	_i=0
	while [ $_i -lt 200 ]; do
		_v=$(sed -n "$2" "$1" 2>/dev/null | head -1)
		[ -n "$_v" ] && { echo "$_v"; return 0; }
		[ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}
# srv NAME ADDR s_server-ARGS...: start s_server on ADDR (port 0 or a
# fixed one); sets $port and $pid.
srv() {
	_n=$1 _a=$2; shift 2
	openssl s_server -accept "$_a" -www "$@" >"$T/$_n.out" 2>&1 </dev/null &
	pid=$!
	pids="$pids $pid"
	# "ACCEPT 127.0.0.1:PORT" for port 0, a bare "ACCEPT" for a fixed one
	port=$(wait_for "$T/$_n.out" 's/^ACCEPT\( .*:\([0-9][0-9]*\)\)\{0,1\}$/=\2/p' $pid) ||
	    { echo "# s_server $_n did not start:"; sed 's/^/# /' "$T/$_n.out"; port="=1"; }
	port=${port#=}
	[ -n "$port" ] || port=${_a##*:}
}
# peer MODE [BACKEND-PORT]: start probe-helpers/peer.c (built by
# peer_build) in MODE; sets $port.
peer() {
	rm -f "$T/peer.$1.port"
	"$T/peer" "$1" "$T/peer.$1.port" ${2:-} 2>"$T/peer.$1.err" &
	pids="$pids $!"
	port=$(wait_for "$T/peer.$1.port" 'p' $!) || port=1
}
peer_build() {
	cc -std=c11 -D_GNU_SOURCE -O1 -o "$T/peer" \
	    "$TOP/tests/e2e/probe-helpers/peer.c" ||
	    { not_ok "the test peer builds"; exit 1; }
}

# nginx_up DIR < SERVER-BLOCK: nginx with its prefix, config, pid file,
# logs and temp files in DIR, serving the server { } block read from
# stdin (its text, with @PORT@ where the port goes) on a free port of
# 127.0.0.1, tried three times; stopped by PID at exit. Sets $port, or
# says why and ends the test.
nginx_up() {
	_d=$1 _tries=0
	mkdir -p "$_d/tmp"
	cat >"$_d/server.in"
	nginx_dirs="$nginx_dirs $_d"
	while [ $_tries -lt 3 ]; do
		port=$(free_port)
		{
			printf 'worker_processes 1;\npid %s/nginx.pid;\n' "$_d"
			printf 'error_log %s/error.log;\n' "$_d"
			[ "$(id -u)" = 0 ] && printf 'user root root;\n'
			printf 'events { worker_connections 64; }\nhttp {\n'
			printf '\taccess_log %s/access.log;\n' "$_d"
			for _t in client_body proxy fastcgi uwsgi scgi; do
				printf '\t%s_temp_path %s/tmp/%s;\n' "$_t" "$_d" "$_t"
			done
			sed "s/@PORT@/$port/g" "$_d/server.in"
			printf '}\n'
		} >"$_d/nginx.conf"
		rm -f "$_d/nginx.pid"
		nginx -p "$_d" -c "$_d/nginx.conf" 2>"$_d/start.err" &&
		    wait_for "$_d/nginx.pid" p >/dev/null && return 0
		_tries=$((_tries + 1))
	done
	not_ok "nginx started"
	fmt <"$_d/start.err"
	fmt <"$_d/error.log"
	exit 1
}
nginx_dirs=""
nginx_down() {
	for _d in $nginx_dirs; do
		[ -s "$_d/nginx.pid" ] && kill "$(cat "$_d/nginx.pid")" 2>/dev/null
	done
	return 0
}
at_exit nginx_down
