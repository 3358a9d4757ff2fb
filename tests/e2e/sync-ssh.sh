# sync-ssh.sh: sync and clone over ssh, against a real sshd (Debian's
# openssh-server) that this script starts on 127.0.0.1 and a free port,
# with its own host key, config, AuthorizedKeysFile and PidFile in $T, as
# the user running the test; each authorized key may run git-shell only.
# Credentials: a key file in ~/.ssh, an ssh agent the script starts, a
# key named by git config certdeck.sshKey, an encrypted key (no terminal:
# a clear error, no hang; a terminal: the prompt, in tmux). Host keys:
# ~/.ssh/known_hosts or certdeck.sshKnownHosts; unknown and changed ones
# refused. A refused key and an unreachable server: one line, local work
# kept, the remote unchanged. Two syncs at once on one clone.
. "$(dirname "$0")/lib.sh"
# Under make asan: libgit2's own leak on each ssh connection (see the
# file); its frames have no frame pointers, so the slow unwinder.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP/tests/e2e/lsan-libgit2-ssh.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
. "$(dirname "$0")/lib-tls.sh"
. "$(dirname "$0")/lib-tmux.sh"
. "$(dirname "$0")/lib-sync.sh"

SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ] || ! command -v ssh-agent >/dev/null 2>&1 ||
    ! command -v git-shell >/dev/null 2>&1; then
	ok "skipped: sshd, ssh-agent or git-shell is missing (Debian packages openssh-server, git)"
	exit 0
fi
# sshd started by root wants its privilege separation directory, which
# Debian's ssh.service makes at boot: make it (never removed) if missing.
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
	mkdir -p -m 0755 /run/sshd
fi

unset SSH_AUTH_SOCK SSH_AGENT_PID
S=$T/sshd
A=$T/a B=$T/b BARE=$T/central.git
mkdir -p "$S" "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
git init -q --bare "$BARE"
ssh-keygen -q -t ed25519 -N '' -C host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C other-host -f "$S/other_host_key"
# Operator A's key file; B's keys: one for the agent, one named in config,
# one encrypted; and one the server does not know.
ssh-keygen -q -t ed25519 -N '' -C opa -f "$HOME/.ssh/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C agent -f "$T/agent_key"
ssh-keygen -q -t ed25519 -N '' -C named -f "$T/named_key"
ssh-keygen -q -t ed25519 -N 'open sesame' -C locked -f "$T/locked_key"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/stranger_key"
for k in "$HOME/.ssh/id_ed25519" "$T/agent_key" "$T/named_key" "$T/locked_key"; do
	printf 'restrict,command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" %s\n' \
	    "$(cat "$k.pub")"
done >"$S/authorized_keys"
chmod 600 "$S/authorized_keys"
fp() { ssh-keygen -lf "$1.pub" | cut -d' ' -f2; }

# sshd on a free port; up to 3 tries on a clash.
sshd_pid=""
stop_sshd() { [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null; }
at_exit stop_sshd
tries=0
while [ -z "$sshd_pid" ] && [ $tries -lt 3 ]; do
	port=$(free_port)
	cat >"$S/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
AllowUsers $(id -un)
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
LogLevel VERBOSE
CONF
	rm -f "$S/sshd.pid"
	"$SSHD" -f "$S/sshd_config" -E "$S/sshd.log" 2>"$S/start.err"
	sshd_pid=$(wait_for "$S/sshd.pid" 'p') || sshd_pid=""
	tries=$((tries + 1))
done
[ -n "$sshd_pid" ] || { not_ok "sshd started"; fmt <"$S/start.err"; fmt <"$S/sshd.log"; exit 1; }
ok "sshd started on 127.0.0.1:$port"
URL="ssh://$(id -un)@127.0.0.1:$port$BARE"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$S/host_key.pub")" >"$HOME/.ssh/known_hosts"

# as_b ARGS...: certdeck ARGS as operator B, with B's home and agent.
as_b() { HOME=$HB SSH_AUTH_SOCK=$T/agent.sock bounded "$@"; }
# no_agent_b ARGS...: the same without an agent.
no_agent_b() { (unset SSH_AUTH_SOCK; HOME=$HB bounded "$@"); }
# wait_long SESSION TEXT: wait_text for a sync over ssh (at most ~60 s).
wait_long() {
	_n=0
	while [ $_n -lt 12 ]; do
		wait_text "$1" "$2" && return 0
		_n=$((_n + 1))
	done
	return 1
}
expect_long() { if wait_long "$1" "$3"; then ok "$2"; else show_fail "$2" "$1"; fi; }
# accepted FILE: the sshd log says the key FILE logged in (since MARK).
mark() { log_mark=$(wc -l <"$S/sshd.log"); }
accepted() { tail -n +"$((log_mark + 1))" "$S/sshd.log" | grep -q "Accepted publickey .* $(fp "$1")"; }
central() { git -C "$BARE" rev-parse main 2>/dev/null; }
# same_everywhere DESC: A, B and the central repository agree.
same_everywhere() {
	_bad=0
	[ "$(head_of "$A")" = "$(head_of "$B")" ] || _bad=1
	[ "$(central)" = "$(head_of "$A")" ] || _bad=1
	cd_ "$A" list --json >"$T/a.json" 2>/dev/null
	cd_ "$B" list --json >"$T/b.json" 2>/dev/null
	cmp -s "$T/a.json" "$T/b.json" || _bad=1
	consistent "$A" || _bad=1
	consistent "$B" || _bad=1
	check "$1" test "$_bad" = 0
}

mkdir -p "$T/certs"
for n in 0 1 2 3 4 5; do cert_at 2026-05-01 90 "$T/certs/h$n" "h$n.example.com"; done

# --- Operator A: the key file in ~/.ssh, ~/.ssh/known_hosts -----------
cd_ "$A" init >/dev/null
cd_ "$A" import "$T/certs/h0.pem" "$T/certs/h1.pem" >/dev/null
check "remote add with an ssh:// URL" cd_ "$A" remote add origin "$URL"
mark
bounded -C "$A" sync
check_out "the first sync over ssh pushes" "pushed" cat "$T/out"
check "the central repository has A's branch" test "$(central)" = "$(head_of "$A")"
check "sshd let A in with ~/.ssh/id_ed25519" accepted "$HOME/.ssh/id_ed25519"
check_fail "the key may run git-shell only" ssh -p "$port" -i "$HOME/.ssh/id_ed25519" \
    -o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o BatchMode=yes \
    "$(id -un)@127.0.0.1" id

# --- Operator B: the ssh agent only (own HOME without key files) -------
HB=$T/home-b
mkdir -p "$HB/.ssh"
cp "$HOME/.gitconfig" "$HB/"
cp "$HOME/.ssh/known_hosts" "$HB/.ssh/"
agent_pid=""
stop_agent() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; }
at_exit stop_agent
ssh-agent -a "$T/agent.sock" >"$T/agent.out" 2>&1
agent_pid=$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' "$T/agent.out")
SSH_AUTH_SOCK=$T/agent.sock ssh-add "$T/agent_key" >/dev/null 2>&1
check "ssh-agent holds B's key" eval 'SSH_AUTH_SOCK=$T/agent.sock ssh-add -l >/dev/null' 
mark
as_b clone "$URL" "$B"
check_out "certdeck clone over ssh with the agent" "cloned ssh://" cat "$T/out"
check "sshd let B in with the agent's key" accepted "$T/agent_key"
check_out "B has A's entries" "h1-example-com" cd_ "$B" list

# --- Changes both ways -------------------------------------------------
cd_ "$A" set h0-example-com owner=alice >/dev/null
cd_ "$B" import "$T/certs/h2.pem" >/dev/null
cd_ "$B" set h1-example-com tags=web >/dev/null
as_b -C "$B" sync
check_out "B pushes over ssh" "2 pushed" cat "$T/out"
bounded -C "$A" sync
check_out "A takes B's changes and pushes its own" "2 taken, 1 replayed on top, 1 pushed" cat "$T/out"
as_b -C "$B" sync
check_out "B takes A's change" "1 taken" cat "$T/out"
same_everywhere "A, B and the remote agree after syncing over ssh"
check_out "A's change is at B" "alice" cd_ "$B" list --json --filter h0

# --- A key named by git config certdeck.sshKey (no agent) --------------
git -C "$B" config certdeck.sshKey "$T/named_key"
cd_ "$B" set h2-example-com owner=bob >/dev/null
mark
no_agent_b -C "$B" sync
check_out "certdeck.sshKey: synced" "1 pushed" cat "$T/out"
check "certdeck.sshKey: sshd let B in with that key" accepted "$T/named_key"

# --- An encrypted key ---------------------------------------------------
git -C "$B" config certdeck.sshKey "$T/locked_key"
cd_ "$B" set h2-example-com owner=carol >/dev/null
kept=$(head_of "$B") was=$(central)
no_agent_b -C "$B" sync
refused $? "an encrypted key without a terminal" "ssh key $T/locked_key needs a passphrase" "$B"
check_out "  and says how else to use it" "ssh-add" cat "$T/out"
# With a terminal: the prompt (tmux), a wrong passphrase, then the right one.
cat >"$T/ssh-ui" <<EOS
#!/bin/sh
unset SSH_AUTH_SOCK
HOME=$HB "$CERTDECK" -C "$B" sync
echo "EXITED \$?"
exec sleep 600
EOS
chmod +x "$T/ssh-ui"
TM new-session -d -s p1 -x 200 -y 10 "$T/ssh-ui"
expect_long p1 "an encrypted key on a terminal: certdeck asks" "passphrase for ssh key $T/locked_key"
keys p1 "not it" Enter
expect_long p1 "  a wrong passphrase: refused, bounded" "EXITED 2"
expect p1 "  and says the passphrase may be wrong" "wrong one?"
check "  nothing pushed" test "$(central)" = "$was"
TM kill-session -t p1
TM new-session -d -s p2 -x 200 -y 10 "$T/ssh-ui"
wait_long p2 "passphrase for ssh key"
mark
keys p2 "open sesame" Enter
expect_long p2 "  the right passphrase: synced" "1 pushed"
check "  asked once for the fetch and the push" test "$(grep -c 'passphrase for' "$T/screen")" = 1
check "  sshd let B in with the encrypted key" accepted "$T/locked_key"
TM kill-session -t p2
# In the terminal UI: Y asks in the status bar, showing nothing typed.
cd_ "$B" set h2-example-com owner=carol-ui >/dev/null
was=$(central)
sed 's/ sync$//' "$T/ssh-ui" >"$T/ssh-tui"
chmod +x "$T/ssh-tui"
TM new-session -d -s p3 -x 200 -y 30 env TERM=screen LC_ALL=C.UTF-8 "$T/ssh-tui"
expect_long p3 "the UI with an encrypted key" "h2-example-com"
keys p3 Y
expect_long p3 "  Y asks for the key's passphrase in the status bar" "passphrase for ssh key $T/locked_key:"
keys p3 "open sesame"
wait_long p3 "passphrase for ssh key"
check "  what is typed is not shown" sh -c "! grep -q 'sesame' '$T/screen'"
keys p3 Enter
expect_long p3 "  with it the UI syncs" "1 pushed"
check "  the change is on the remote" test "$(central)" != "$was"
keys p3 Q
expect_long p3 "  Q quits" "EXITED 0"
TM kill-session -t p3
git -C "$B" config --unset certdeck.sshKey

# --- A key the server does not know: refused, bounded ------------------
git -C "$B" config certdeck.sshKey "$T/stranger_key"
cd_ "$B" set h2-example-com owner=dave >/dev/null
kept=$(head_of "$B") was=$(central)
no_agent_b -C "$B" sync
refused $? "a key the server refuses" "the ssh server refused the keys offered ($T/stranger_key)" "$B"
no_agent_b -C "$B" status
check_out "  status: still 1 ahead" "1 ahead" cat "$T/out"
git -C "$B" config --unset certdeck.sshKey

# --- Host keys ------------------------------------------------------------
cd_ "$A" set h0-example-com owner=erin >/dev/null
kept=$(head_of "$A") was=$(central)
mv "$HOME/.ssh/known_hosts" "$T/known_hosts.saved"
bounded -C "$A" sync
refused $? "an unknown host key" "the ssh host key of [127.0.0.1]:$port is not in $HOME/.ssh/known_hosts" "$A"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$S/other_host_key.pub")" >"$HOME/.ssh/known_hosts"
bounded -C "$A" sync
refused $? "a changed host key" "the ssh host key of [127.0.0.1]:$port does not match the one in $HOME/.ssh/known_hosts" "$A"
check_out "  and refuses to connect" "refusing to connect" cat "$T/out"
# certdeck.sshKnownHosts: a file of its own, with hashed host names.
cp "$T/known_hosts.saved" "$T/team_known_hosts"
ssh-keygen -q -H -f "$T/team_known_hosts" >/dev/null 2>&1
rm -f "$T/team_known_hosts.old"
check "the team's known_hosts file is hashed" grep -q '^|1|' "$T/team_known_hosts"
git -C "$A" config certdeck.sshKnownHosts "$T/team_known_hosts"
bounded -C "$A" sync
check_out "certdeck.sshKnownHosts (hashed) is used instead" "1 pushed" cat "$T/out"
git -C "$A" config --unset certdeck.sshKnownHosts
mv "$T/known_hosts.saved" "$HOME/.ssh/known_hosts"

# --- An unreachable server ---------------------------------------------
dead=$(free_port)
cd_ "$A" remote add gone "ssh://$(id -un)@127.0.0.1:$dead$BARE"
cd_ "$A" set h0-example-com owner=frank >/dev/null
kept=$(head_of "$A") was=$(central)
bounded -C "$A" sync gone
refused $? "an unreachable ssh server" "cannot fetch from gone (ssh://$(id -un)@127.0.0.1:$dead$BARE)" "$A"
bounded -C "$A" sync
check_out "the next sync to the real server sends the kept change" "1 pushed" cat "$T/out"

# --- Two syncs at once on one clone: the lock, nothing lost -------------
as_b -C "$B" sync
round=0 bad=0
while [ $round -lt 3 ]; do
	cd_ "$B" set h1-example-com "owner=b$round" >/dev/null
	as_b -C "$B" sync || bad=1
	cd_ "$A" set h0-example-com "owner=a$round" >/dev/null
	cd_ "$A" set h2-example-com "tags=t$round" >/dev/null
	timeout 60 "$CERTDECK" -C "$A" sync </dev/null >"$T/s1" 2>&1 & p1=$!
	timeout 60 "$CERTDECK" -C "$A" sync </dev/null >"$T/s2" 2>&1 & p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	# Each waits for the lock or says clearly why it stopped.
	for r in $r1 $r2; do
		[ "$r" = 0 ] || [ "$r" = 2 ] || bad=1
	done
	for f in "$T/s1" "$T/s2"; do
		grep -q "^synced with origin\|already in step\|^certdeck: sync: " "$f" || bad=1
	done
	[ "$r1" = 0 ] || [ "$r2" = 0 ] || bounded -C "$A" sync || bad=1
	round=$((round + 1))
done
check "two syncs at once: each completes or fails clearly" test "$bad" = 0
[ "$bad" = 0 ] || { fmt <"$T/s1"; fmt <"$T/s2"; }
as_b -C "$B" sync
same_everywhere "two syncs at once: A, B and the remote agree"
check_out "  A's last changes are everywhere" "a2" cd_ "$B" list --json --filter h0
check_out "  B's last change is everywhere" "b2" cd_ "$A" list --json --filter h1
check_out "  so is the tag" "t2" cd_ "$B" list --json --filter h2
check "  no change was committed twice" test "$(git -C "$A" log --format=%s | sort | uniq -d | grep -c .)" = 0
