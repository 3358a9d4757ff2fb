# sync-https.sh: sync and clone over https, against a real git server on
# 127.0.0.1: nginx with TLS (a certificate this script makes for
# 127.0.0.1, from its own CA) and basic auth, passing requests through
# fcgiwrap to git-http-backend, all started and stopped by PID here.
# Trust: refused until http.sslCAInfo names the CA. Credentials: the
# URL's user and password, then git's credential helpers (git credential
# fill, approve, reject); wrong ones refused in a bounded number of
# requests. An unreachable server. No password is ever printed or
# stored in the inventory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tls.sh"
. "$(dirname "$0")/lib-sync.sh"

BACKEND=/usr/lib/git-core/git-http-backend
if ! command -v nginx >/dev/null 2>&1 || ! command -v fcgiwrap >/dev/null 2>&1 ||
    [ ! -x "$BACKEND" ]; then
	ok "skipped: nginx, fcgiwrap or git-http-backend is missing (Debian packages nginx, fcgiwrap, git)"
	exit 0
fi

N=$T/nginx
A=$T/a B=$T/b REPOS=$T/repos
PW=s3cret-horse
mkdir -p "$N" "$REPOS"
git init -q --bare "$REPOS/central.git"
git -C "$REPOS/central.git" config http.receivepack true
central() { git -C "$REPOS/central.git" rev-parse main 2>/dev/null; }

# A CA of the test's own and the server's certificate for 127.0.0.1
# (the address as a DNS name too: libgit2's mbedTLS matches no IP SANs).
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.pem" -days 30 -subj "/CN=$1" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign" 2>/dev/null
}
mkca test-ca
mkca other-ca
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$T/srv.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/test-ca.pem" -CAkey "$T/test-ca.key" \
    -CAcreateserial -days 30 -extfile "$T/srv.ext" -out "$T/srv.pem" 2>/dev/null
printf 'op:%s\n' "$(openssl passwd -apr1 "$PW")" >"$N/htpasswd"

fcgi_pid=""
stop_fcgi() { [ -n "$fcgi_pid" ] && kill "$fcgi_pid" 2>/dev/null; }
at_exit stop_fcgi
# One process (-c 1 does not fork), so its PID is all there is to stop.
fcgiwrap -s "unix:$T/fcgi.sock" -c 1 </dev/null >"$T/fcgi.log" 2>&1 &
fcgi_pid=$!
_i=0
while [ ! -S "$T/fcgi.sock" ] && [ $_i -lt 200 ] && kill -0 "$fcgi_pid" 2>/dev/null; do
	sleep 0.05
	_i=$((_i + 1))
done
[ -S "$T/fcgi.sock" ] || { not_ok "fcgiwrap started"; fmt <"$T/fcgi.log"; exit 1; }

nginx_up "$N" <<SRV
	server {
		listen 127.0.0.1:@PORT@ ssl;
		ssl_certificate $T/srv.pem;
		ssl_certificate_key $T/srv.key;
		client_max_body_size 0;
		location / {
			auth_basic "certdeck test";
			auth_basic_user_file $N/htpasswd;
			fastcgi_pass unix:$T/fcgi.sock;
			fastcgi_param SCRIPT_FILENAME $BACKEND;
			fastcgi_param GIT_PROJECT_ROOT $REPOS;
			fastcgi_param GIT_HTTP_EXPORT_ALL 1;
			fastcgi_param REMOTE_USER \$remote_user;
			fastcgi_param PATH_INFO \$uri;
			fastcgi_param QUERY_STRING \$query_string;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
		}
	}
SRV
ok "nginx, fcgiwrap and git-http-backend serve https on 127.0.0.1:$port"
URL="https://127.0.0.1:$port/central.git"
check "curl with the test CA and the password sees the repository" \
    curl -sf --cacert "$T/test-ca.pem" -u "op:$PW" -o /dev/null \
    "$URL/info/refs?service=git-upload-pack"

# B: its own HOME, with the CA and a credential helper in ~/.gitconfig.
HB=$T/home-b
mkdir -p "$HB"
cp "$HOME/.gitconfig" "$HB/"
as_b() { HOME=$HB bounded "$@"; }
# requests: how many requests nginx has logged so far.
requests() { wc -l <"$N/access.log"; }

mkdir -p "$T/certs"
for n in 0 1 2 3; do cert_at 2026-05-01 90 "$T/certs/h$n" "h$n.example.com"; done

# --- Trust -----------------------------------------------------------------
cd_ "$A" init >/dev/null
cd_ "$A" import "$T/certs/h0.pem" "$T/certs/h1.pem" >/dev/null
check "remote add with a user and password in an https URL" \
    cd_ "$A" remote add origin "https://op:$PW@127.0.0.1:$port/central.git"
bounded -C "$A" remote -v
check_out "remote -v hides the password" "https://op:***@127.0.0.1:$port/central.git" cat "$T/out"
kept=$(head_of "$A") was=$(central)
bounded -C "$A" sync
refused $? "a certificate from an unknown CA" "the TLS certificate of 127.0.0.1 is not trusted" "$A"
check_out "  says how to trust it" "http.sslCAInfo" cat "$T/out"
git -C "$A" config http.sslCAInfo "$T/other-ca.pem"
bounded -C "$A" sync
refused $? "http.sslCAInfo naming another CA" "not trusted" "$A"
git -C "$A" config http.sslCAInfo "$T/test-ca.pem"
bounded -C "$A" sync
check_out "http.sslCAInfo names the CA: the URL's password pushes" "2 pushed" cat "$T/out"
check "the remote has A's branch" test "$(central)" = "$(head_of "$A")"

# --- The URL's password, wrong -----------------------------------------
cd_ "$A" remote add wrong "https://op:not-it@127.0.0.1:$port/central.git"
cd_ "$A" set h0-example-com owner=alice >/dev/null
kept=$(head_of "$A") was=$(central)
r0=$(requests)
bounded -C "$A" sync wrong
refused $? "a wrong password in the URL" "cannot fetch from wrong (https://op:***@127.0.0.1:$port/central.git): the server refused the user and password in the URL" "$A"
check "  in at most 3 requests" test $(($(requests) - r0)) -le 3

# --- B: git credential helpers -------------------------------------------
HOME=$HB git config --global http.sslCAInfo "$T/test-ca.pem"
as_b clone "$URL" "$B"
refused_clone=$?
check "clone without any credential: exit 2" test "$refused_clone" = 2
check_out "  says no helper gave one" "none in the URL, and no git credential helper gave one" cat "$T/out"
check "  leaves no directory" test ! -e "$B"
HOME=$HB git config --global credential.helper "store --file=$T/creds"
# A second helper with nothing to give: git tells every helper of an
# approve, so only certdeck's approve can put the password there.
HOME=$HB git config --global --add credential.helper "store --file=$T/approved"
printf 'https://op:%s@127.0.0.1:%s\n' "$PW" "$port" >"$T/creds"
as_b clone "$URL" "$B"
check_out "clone with the password from the credential helper" "cloned $URL into" cat "$T/out"
check_out "  B has A's entries" "h1-example-com" cd_ "$B" list
check "  the helpers were told it worked (git credential approve)" grep -q "op:$PW@" "$T/approved"

cd_ "$B" import "$T/certs/h2.pem" >/dev/null
cd_ "$B" set h1-example-com tags=web >/dev/null
as_b -C "$B" sync
check_out "B pushes with the helper's password" "2 pushed" cat "$T/out"
bounded -C "$A" sync
check_out "A takes B's changes and pushes its own" "2 taken, 1 replayed on top, 1 pushed" cat "$T/out"
as_b -C "$B" sync
check_out "B takes A's change" "1 taken" cat "$T/out"
check "A, B and the remote have one HEAD" test "$(head_of "$A")" = "$(head_of "$B")" -a "$(central)" = "$(head_of "$A")"
cd_ "$A" list --json >"$T/a.json"
cd_ "$B" list --json >"$T/b.json"
check "A and B list the same" cmp -s "$T/a.json" "$T/b.json"
check "A is consistent" consistent "$A"
check "B is consistent" consistent "$B"

# --- A wrong password from the helper: rejected, bounded -----------------
printf 'https://op:stale-password@127.0.0.1:%s\n' "$port" >"$T/creds"
cd_ "$B" set h2-example-com owner=bob >/dev/null
kept=$(head_of "$B") was=$(central)
r0=$(requests)
as_b -C "$B" sync
refused $? "a wrong password from the helper" "the server refused the user and password from git's credential helper (op; told the helper to forget them)" "$B"
check "  in at most 3 requests" test $(($(requests) - r0)) -le 3
check "  the helper forgot it (git credential reject)" test ! -s "$T/creds"
printf 'https://op:%s@127.0.0.1:%s\n' "$PW" "$port" >"$T/creds"
as_b -C "$B" sync
check_out "  with the right one back, the kept change goes" "1 pushed" cat "$T/out"

# --- A helper's stderr is not its answer -----------------------------------
# git passes a helper's stderr through as its own: only what git credential
# fill prints on stdout is an answer. C: B's settings with helpers that
# write protocol lines on stderr.
HC=$T/home-c
mkdir -p "$HC"
cp "$HB/.gitconfig" "$HC/"
as_c() { HOME=$HC bounded "$@"; }
cat >"$T/noisy-helper" <<EOF
#!/bin/sh
cat >/dev/null
[ "\$1" = get ] || exit 0
printf 'username=intruder\npassword=wrong\n' >&2
printf 'username=op\npassword=%s\n' '$PW'
EOF
cat >"$T/failing-helper" <<'EOF'
#!/bin/sh
cat >/dev/null
[ "$1" = get ] || exit 0
printf 'password=shown-nowhere\n' >&2
printf 'vault: \033[31msealed\033[m\n' >&2
exit 1
EOF
chmod +x "$T/noisy-helper" "$T/failing-helper"
HOME=$HC git config --global --replace-all credential.helper "$T/noisy-helper"
cd_ "$B" set h2-example-com owner=erin >/dev/null
as_c -C "$B" sync
check_out "a helper's stderr (username= and password= lines) is not parsed: its stdout pushes" "1 pushed" cat "$T/out"
HOME=$HC git config --global --replace-all credential.helper "$T/failing-helper"
cd_ "$B" set h2-example-com owner=frank >/dev/null
kept=$(head_of "$B") was=$(central)
as_c -C "$B" sync
refused $? "a failing helper" "no git credential helper gave one (git credential fill exited with status 128: vault: \\x1b[31msealed" "$B"
check "  its stderr's password= line is shown nowhere" test "$(grep -c shown-nowhere "$T/out")" = 0
check "  no escape byte reaches the terminal" test "$(tr -d '\n' <"$T/out" | tr -d '[:print:]' | wc -c)" = 0
as_b -C "$B" sync
check_out "  with B's helpers, the kept change goes" "1 pushed" cat "$T/out"

# --- No git to ask: a clear error ----------------------------------------
cd_ "$B" set h2-example-com owner=carol >/dev/null
kept=$(head_of "$B") was=$(central)
mkdir -p "$T/nobin"
ln -s "$(command -v timeout)" "$(command -v cat)" "$T/nobin/"
HOME=$HB PATH=$T/nobin bounded -C "$B" sync
refused $? "git not installed" "git, whose credential helpers would give one, cannot be run" "$B"
as_b -C "$B" sync
check_out "  the next sync sends it" "1 pushed" cat "$T/out"

# --- An unreachable server ---------------------------------------------
dead=$(free_port)
cd_ "$A" remote add gone "https://127.0.0.1:$dead/central.git"
bounded -C "$A" sync
cd_ "$A" set h0-example-com owner=dave >/dev/null
kept=$(head_of "$A") was=$(central)
bounded -C "$A" sync gone
refused $? "an unreachable https server" "cannot fetch from gone (https://127.0.0.1:$dead/central.git): failed to connect" "$A"
bounded -C "$A" sync
check_out "  the next sync sends the kept change" "1 pushed" cat "$T/out"

# --- The password is never printed, never in the inventory --------------
check "no output showed the password" test "$(grep -c "$PW" "$T/all-output")" = 0
check "no password in the history" test "$(git -C "$A" log --all -p | grep -c "$PW")" = 0
check "no password in B's files (outside .git)" test -z "$(grep -rl "$PW" "$B" --exclude-dir=.git)"
check "no password in A's index or local state" test -z "$(grep -rl "$PW" "$A/.certdeck")"
check "no password in B's .git (it came from the helper)" test -z "$(grep -rl "$PW" "$B/.git")"
