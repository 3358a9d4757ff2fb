# tests/e2e/lib.sh: sourced by every end-to-end script. Runs the real
# certdeck binary on real inventories in a temporary directory.
# Provides: $CERTDECK, $T (scratch dir, removed at exit), ok/not_ok/check,
# mkcert helpers. Every test sets CERTDECK_NOW so results are reproducible.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CERTDECK="$TOP/certdeck"
T=$(mktemp -d "${TMPDIR:-/tmp}/certdeck-test.XXXXXX")
export HOME="$T/home" XDG_DATA_HOME="$T/home/.local/share" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
unset GIT_AUTHOR_NAME GIT_COMMITTER_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_EMAIL GIT_DIR GIT_WORK_TREE
git config --global user.name "Test Operator"
git config --global user.email "test@example.invalid"
git config --global init.defaultBranch main
export CERTDECK_NOW="${CERTDECK_NOW:-2026-06-01T12:00:00Z}"
# Keys are encrypted with PBKDF2 as always, but with 2048 iterations, not
# 600,000: at the default, PBKDF2 was most of the slowest scripts' time
# under AddressSanitizer, which intercepts OpenSSL's allocations too
# (acme.sh 163 s, 35 s with fewer). ca.sh checks the default and the
# variable's refusals.
export CERTDECK_KDF_ITERATIONS="${CERTDECK_KDF_ITERATIONS:-2048}"
unset CERTDECK_DIR
_cleanup_fns=""
at_exit() { _cleanup_fns="$_cleanup_fns $1"; }
_cleanup() {
	for f in $_cleanup_fns; do "$f"; done
	rm -rf "$T"
}
trap _cleanup EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
# fmt: stdin as TAP comments (what a failure shows), at most 40 lines
fmt() { sed 's/^/# /' | head -40; }
# check DESC COMMAND...: passes when COMMAND succeeds
check() {
	_d=$1; shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}
# check_out DESC EXPECTED-SUBSTRING COMMAND...: output (stdout+stderr) contains
check_out() {
	_d=$1; _e=$2; shift 2
	_o=$("$@" 2>&1)
	case "$_o" in
	*"$_e"*) ok "$_d" ;;
	*) not_ok "$_d"; printf '# expected: %s\n' "$_e"; printf '%s\n' "$_o" | sed 's/^/# /' | head -20 ;;
	esac
}
# check_fail DESC COMMAND...: passes when COMMAND fails
check_fail() {
	_d=$1; shift
	if "$@" >/dev/null 2>&1; then not_ok "$_d"; else ok "$_d"; fi
}
# commits DIR: number of commits on HEAD
commits() { git -C "$1" rev-list --count HEAD; }

# mkcert DIR NAME CN DAYS [EXTRA openssl x509 args...]: self-signed EC cert,
# valid from CERTDECK_NOW-ish (openssl uses the real clock; tests use
# -not_before/-not_after through faketime where dates matter).
mkcert() {
	_dir=$1 _name=$2 _cn=$3 _days=$4; shift 4
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$_dir/$_name.key" -out "$_dir/$_name.pem" -days "$_days" \
		-subj "/CN=$_cn" -addext "subjectAltName=DNS:$_cn" "$@" 2>/dev/null
}

# Certificates at fixed dates: faketime makes openssl's clock what we say,
# so notBefore/notAfter are exact and tests are reproducible.
# cert_at DATE DAYS OUT CN [openssl req args...]: self-signed leaf (not CA).
cert_at() {
	_date=$1 _days=$2 _out=$3 _cn=$4; shift 4
	faketime -f "@$_date 00:00:00" openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$_out.key" \
		-out "$_out.pem" -days "$_days" -subj "/CN=$_cn" \
		-addext "subjectAltName=DNS:$_cn" \
		-addext "basicConstraints=critical,CA:FALSE" "$@" 2>/dev/null
}
# ca_at DATE DAYS OUT CN [PARENT]: a CA (root, or intermediate of PARENT).
ca_at() {
	_date=$1 _days=$2 _out=$3 _cn=$4 _parent=${5:-}
	if [ -z "$_parent" ]; then
		faketime -f "@$_date 00:00:00" openssl req -x509 -newkey ec \
			-pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$_out.key" -out "$_out.pem" -days "$_days" \
			-subj "/CN=$_cn" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	else
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout "$_out.key" -out "$_out.csr" \
			-subj "/CN=$_cn" 2>/dev/null
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$_out.ext"
		faketime -f "@$_date 00:00:00" openssl x509 -req -in "$_out.csr" \
			-CA "$_parent.pem" -CAkey "$_parent.key" -CAcreateserial \
			-days "$_days" -extfile "$_out.ext" -out "$_out.pem" 2>/dev/null
	fi
}
# leaf_at DATE DAYS OUT CN CA: a server certificate signed by CA.
leaf_at() {
	_date=$1 _days=$2 _out=$3 _cn=$4 _ca=$5
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$_out.key" -out "$_out.csr" -subj "/CN=$_cn" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$_cn" >"$_out.ext"
	faketime -f "@$_date 00:00:00" openssl x509 -req -in "$_out.csr" \
		-CA "$_ca.pem" -CAkey "$_ca.key" -CAcreateserial -days "$_days" \
		-extfile "$_out.ext" -out "$_out.pem" 2>/dev/null
}
# jq-free JSON checks: python3 is on every Debian machine we run on? No:
# use sqlite3's JSON functions, which Debian's sqlite3 always has.
# json_q JSON-FILE SQL-EXPR: evaluate EXPR with j bound to the file's JSON.
json_q() {
	sqlite3 :memory: "SELECT $2 FROM (SELECT readfile('$1') AS j);"
}
