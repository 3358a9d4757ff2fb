# sync.sh: many operators sharing one inventory through a bare git
# repository: clone, remote, sync (merge by key, conflicts both ways, push
# retried when the remote moved), status; a sync killed at each point; an
# unreachable remote and a refused push (git daemon on 127.0.0.1 with a
# pre-receive hook). The operators: A made the inventory and pushed it,
# B got it with certdeck clone, C with a plain git clone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sync.sh"

BARE=$T/central.git
A=$T/a B=$T/b C=$T/c
git init -q --bare "$BARE"
mkdir -p "$T/certs"
i=0
while [ $i -lt 12 ]; do
	cert_at 2026-05-01 90 "$T/certs/h$i" "h$i.example.com"
	i=$((i + 1))
done
# Renewals of h0 for the conflict cases.
cert_at 2026-05-10 90 "$T/certs/r1" "h0.example.com"
cert_at 2026-05-12 90 "$T/certs/r2" "h0.example.com"
cert_at 2026-05-14 90 "$T/certs/r3" "h0.example.com"
cert_at 2026-05-16 90 "$T/certs/r4" "h0.example.com"

# same_everywhere DESC DIR...: one HEAD, one git log, one list --json.
same_everywhere() {
	_d=$1; shift
	_h=$(head_of "$1") _bad=0
	cd_ "$1" list --json >"$T/ref.json" 2>/dev/null
	git -C "$1" log --format='%H %an %s' >"$T/ref.log"
	for _x in "$@"; do
		[ "$(head_of "$_x")" = "$_h" ] || _bad=1
		cd_ "$_x" list --json >"$T/x.json" 2>/dev/null
		cmp -s "$T/ref.json" "$T/x.json" || _bad=1
		git -C "$_x" log --format='%H %an %s' | cmp -s "$T/ref.log" - || _bad=1
		consistent "$_x" || _bad=1
	done
	[ "$(git -C "$BARE" rev-parse main)" = "$_h" ] || _bad=1
	check "$_d" test "$_bad" = 0
}
owner_of() { cd_ "$1" list --json --filter "$2" >"$T/o.json"; json_q "$T/o.json" "json_extract(j, '\$[0].owner')"; }
meta_of() { git -C "$1" show "HEAD:$(git -C "$1" ls-tree -r --name-only HEAD certs | grep "/$2/entry$")" 2>/dev/null; }

# --- Getting started ---------------------------------------------------
cd_ "$A" init >/dev/null
check "remote add" cd_ "$A" remote add origin "$BARE"
check_out "remote lists it" "origin" cd_ "$A" remote
check_out "remote -v shows the URL" "$BARE" cd_ "$A" remote -v
check_out "status before any sync" "never synced" cd_ "$A" status
cd_ "$A" import "$T/certs/h0.pem" "$T/certs/h1.pem" "$T/certs/h2.pem" >/dev/null
check_out "the first sync pushes everything" "2 pushed" cd_ "$A" sync
check "the bare repository has A's branch" test "$(git -C "$BARE" rev-parse main)" = "$(head_of "$A")"
check_out "certdeck clone makes a second operator" "cloned" "$CERTDECK" clone "$BARE" "$B"
check_out "the clone has the entries" "h2-example-com" cd_ "$B" list
git clone -q "$BARE" "$C"
check_out "a plain git clone works: the first command builds the index" "h1-example-com" cd_ "$C" list
check_out "status after a sync" "0 ahead, 0 behind" cd_ "$B" status
check_out "status names the last sync" "last sync: 2026-06-01T12:00:00Z with origin" cd_ "$B" status
check_out "already in step" "already in step" cd_ "$C" sync
same_everywhere "three operators start in step" "$A" "$B" "$C"
# A bare repository whose HEAD names another branch (git init --bare
# without init.defaultBranch makes it master): clone still checks out main.
git init -q --bare -b master "$T/master.git"
cd_ "$A" remote add m "$T/master.git"
cd_ "$A" sync m >/dev/null 2>&1
check_out "clone of a bare repository whose HEAD is master" "cloned" "$CERTDECK" clone "$T/master.git" "$T/m"
check "... checks out main" test "$(git -C "$T/m" symbolic-ref HEAD)" = refs/heads/main
check "... with its upstream, for a plain git pull" test "$(git -C "$T/m" config branch.main.merge)" = refs/heads/main
check_out "... and is an inventory" "h2-example-com" cd_ "$T/m" list

# --- Interleaved changes, synced in every order ---------------------------
k=3 round=0
for order in "A B C" "A C B" "B A C" "B C A" "C A B" "C B A"; do
	round=$((round + 1))
	# Each operator: a new entry, and a different key of one shared entry.
	cd_ "$A" set h0-example-com owner="owner-a$round" >/dev/null
	cd_ "$B" set h0-example-com notes="notes-b$round" >/dev/null
	cd_ "$C" set h0-example-com tags="t$round" >/dev/null
	cd_ "$A" import "$T/certs/h$k.pem" >/dev/null 2>&1
	[ $k -lt 11 ] && k=$((k + 1))
	cd_ "$C" set h1-example-com owner="c$round" >/dev/null
	for who in $order; do eval cd_ "\$$who" sync >/dev/null 2>"$T/sync.err" || { echo "# $who:"; sed 's/^/# /' "$T/sync.err"; }; done
	# The first ones synced before the later ones pushed: once more.
	for who in $order; do eval cd_ "\$$who" sync >/dev/null 2>&1; done
	same_everywhere "order $order: every change everywhere, one history" "$A" "$B" "$C"
	m=$(meta_of "$A" h0-example-com)
	case "$m" in
	*"notes = notes-b$round"*"owner = owner-a$round"*"tags = t$round"*) ok "order $order: three keys of one entry all won" ;;
	*) not_ok "order $order: three keys of one entry all won"; printf '%s\n' "$m" | sed 's/^/# /' ;;
	esac
done
n=$(git -C "$A" log --format=%s | grep -c '^set h0-example-com')
check "no change was lost (18 sets of h0 in the log)" test "$n" = 18
check "authors are kept" sh -c "git -C '$A' log --format='%an' | sort -u | grep -qx 'Test Operator'"
check "trailers are kept" sh -c "git -C '$B' log -1 --format=%B | grep -q '^Certdeck-Action: '"

# --- Conflicts, each resolved both ways ----------------------------------
# conflict_case NAME SETUP-A SETUP-B: A syncs first, B then conflicts.
conflict() {
	_name=$1 _side=$2
	hb=$(head_of "$B") hr=$(git -C "$BARE" rev-parse main)
	cd_ "$B" sync >"$T/c.out" 2>"$T/c.err"
	rc=$?
	check "$_name: the sync stops (exit 1)" test "$rc" = 1
	check "$_name: nothing changed here" test "$(head_of "$B")" = "$hb"
	check "$_name: nothing changed on the remote" test "$(git -C "$BARE" rev-parse main)" = "$hr"
	check_out "$_name: it names the entry" "conflict h0-example-com" cat "$T/c.out"
	check_out "$_name: it says how to choose" "--theirs" cat "$T/c.err"
	check_out "$_name: status says a sync is stopped" "stopped on 1 conflict" cd_ "$B" status
	# A second sync (cron, Y) before anyone chooses: the same stop, and
	# the stopped sync's remote still the remote's name.
	cd_ "$B" sync >/dev/null 2>&1
	check "$_name: a sync again stops again (exit 1)" test $? = 1
	check "$_name: ... its remote recorded intact" grep -qx 'remote origin' "$B/.certdeck/sync"
	check_out "$_name: a side for what is no conflict is refused" "h1-example-com: not a conflict of the stopped sync (h0-example-com)" cd_ "$B" sync "--$_side" h1-example-com
	check_out "$_name: both sides for one entry are refused" "h0-example-com: both --ours and --theirs" cd_ "$B" sync --ours h0-example-com --theirs h0-example-com
	check "$_name: ... and neither is kept" sh -c "! grep -q '^\(ours\|theirs\) ' '$B/.certdeck/sync'"
	check "$_name: B is still consistent" consistent "$B"
	check_out "$_name: --$_side resolves it" "synced with origin" cd_ "$B" sync "--$_side" h0-example-com
	cd_ "$A" sync >/dev/null 2>&1
	cd_ "$C" sync >/dev/null 2>&1
	same_everywhere "$_name: --$_side: in step afterwards" "$A" "$B" "$C"
	check "$_name: --$_side: the stopped sync is forgotten" test ! -e "$B/.certdeck/sync"
}
for side in ours theirs; do
	cd_ "$A" set h0-example-com owner=alice-$side notes="a-$side" >/dev/null
	cd_ "$B" set h0-example-com owner=bob-$side endpoints=h0.example.com:443 >/dev/null
	cd_ "$A" sync >/dev/null 2>&1
	conflict "same key ($side)" $side
	check_out "same key ($side): what each side did" "here: set owner=bob-$side; origin: set owner=alice-$side" cat "$T/c.out"
	want=alice-$side; [ $side = ours ] && want=bob-$side
	check "same key ($side): owner is $want" test "$(owner_of "$A" h0-example-com)" = "$want"
	m=$(meta_of "$A" h0-example-com)
	case "$m" in
	*"endpoints = h0.example.com:443"*"notes = a-$side"*) ok "same key ($side): the other keys of both sides won" ;;
	*) not_ok "same key ($side): the other keys of both sides won"; printf '%s\n' "$m" | sed 's/^/# /' ;;
	esac
	cd_ "$B" set h0-example-com endpoints= >/dev/null; cd_ "$B" sync >/dev/null 2>&1
	cd_ "$A" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1
done
set -- r1 r2 2026-08-08 2026-08-10 r3 r4 2026-08-12 2026-08-14
for side in ours theirs; do
	cd_ "$A" import --into h0-example-com "$T/certs/$1.pem" >/dev/null
	cd_ "$B" import --into h0-example-com "$T/certs/$2.pem" >/dev/null
	cd_ "$B" set h0-example-com notes="renewed-$side" >/dev/null
	cd_ "$A" sync >/dev/null 2>&1
	conflict "both renewed ($side)" $side
	check_out "both renewed ($side): B's other change still went in" "renewed-$side" meta_of "$C" h0-example-com
	check_out "both renewed ($side): both certificates described" "here: new certificate expiring $4" cat "$T/c.out"
	check_out "both renewed ($side): ... and the remote's" "origin: new certificate expiring $3" cat "$T/c.out"
	want=$3; [ $side = ours ] && want=$4
	check_out "both renewed ($side): the $side certificate is in" "$want" cd_ "$C" show h0-example-com
	shift 4
done
for side in ours theirs; do
	cd_ "$A" rm h0-example-com >/dev/null
	cd_ "$B" set h0-example-com owner="kept-$side" >/dev/null
	cd_ "$A" sync >/dev/null 2>&1
	conflict "removed vs changed ($side)" $side
	check_out "removed vs changed ($side): what each side did" "here: set owner=kept-$side; origin: removed the entry" cat "$T/c.out"
	if [ $side = ours ]; then
		check "removed vs changed (ours): the entry is back, changed" test "$(owner_of "$A" h0-example-com)" = kept-ours
	else
		check "removed vs changed (theirs): the entry is gone" sh -c "! '$CERTDECK' -C '$A' list | grep -q h0-example-com"
		cd_ "$A" import --name h0-example-com "$T/certs/r4.pem" >/dev/null
		cd_ "$A" sync >/dev/null 2>&1; cd_ "$B" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1
	fi
done
check "h0 is back everywhere" sh -c "'$CERTDECK' -C '$C' list | grep -q h0-example-com"

# --- An entry without metadata has no entry file: not "removed" ---------
syncall() { for _x in "$@"; do cd_ "$_x" sync >/dev/null 2>&1; done; }
files_of() { git -C "$1" ls-tree -r --name-only HEAD certs | grep -c "/$2/"; }
check "h0 was imported again without metadata: no entry file" test "$(files_of "$A" h0-example-com)" = 1
for side in ours theirs; do
	cd_ "$A" rm h0-example-com >/dev/null
	cd_ "$B" set h0-example-com owner="bare-$side" >/dev/null
	cd_ "$A" sync >/dev/null 2>&1
	conflict "no metadata, removed vs changed ($side)" $side
	check_out "no metadata, removed vs changed ($side): what each side did" "here: set owner=bare-$side; origin: removed the entry" cat "$T/c.out"
	if [ $side = ours ]; then
		check "no metadata, removed vs changed (ours): the entry is back, changed" test "$(owner_of "$A" h0-example-com)" = bare-ours
		cd_ "$A" set h0-example-com owner= >/dev/null
	else
		check "no metadata, removed vs changed (theirs): nothing of the entry is left" test "$(files_of "$A" h0-example-com)" = 0
		cd_ "$A" import --name h0-example-com "$T/certs/r4.pem" >/dev/null
	fi
	syncall "$A" "$B" "$C"
done
check "h0 has no metadata again, everywhere" test "$(files_of "$C" h0-example-com)" = 1
cd_ "$A" set h0-example-com owner=first >/dev/null
cd_ "$B" rm h0-example-com >/dev/null
cd_ "$A" sync >/dev/null 2>&1
conflict "no metadata, changed vs removed (theirs)" theirs
check_out "no metadata, changed vs removed (theirs): what each side did" "here: removed the entry; origin: set owner=first" cat "$T/c.out"
check "no metadata, changed vs removed (theirs): the entry is kept, changed" test "$(owner_of "$B" h0-example-com)" = first
# Removing the last key removes the entry file: still merged by key.
cd_ "$A" set h0-example-com owner= >/dev/null
cd_ "$B" set h0-example-com tags=prod >/dev/null
cd_ "$A" sync >/dev/null 2>&1
check_out "last key removed vs another key set: merged by key" "synced with origin" cd_ "$B" sync
syncall "$A" "$C"
check "... the owner is gone" test -z "$(owner_of "$C" h0-example-com)"
check_out "... the tag is in" "tags = prod" meta_of "$C" h0-example-com
cd_ "$A" set h0-example-com owner=second >/dev/null
syncall "$A" "$B"
cd_ "$A" set h0-example-com owner= >/dev/null
cd_ "$B" set h0-example-com tags= >/dev/null
cd_ "$A" sync >/dev/null 2>&1
check_out "each side removed one of two keys: merged by key" "synced with origin" cd_ "$B" sync
syncall "$A" "$C"
check "... to no metadata: no entry file" test "$(files_of "$C" h0-example-com)" = 1
same_everywhere "entries without metadata: in step afterwards" "$A" "$B" "$C"

# --- A sync killed at each point: both usable, the next sync completes ---
# gitlock-ref: killed as libgit2 is about to lock the branch to move it;
# the test makes the lock file libgit2 would have made an instant later.
for point in sync-fetched sync-replayed gitlock-ref sync-moved sync-pushed; do
	cd_ "$A" set h1-example-com notes="crash-$point" >/dev/null
	cd_ "$A" sync >/dev/null 2>&1
	cd_ "$B" set h2-example-com notes="crash-$point" >/dev/null
	CERTDECK_TEST_CRASH=$point "$CERTDECK" -C "$B" sync >/dev/null 2>&1
	rc=$?
	check "$point: the sync was killed" test "$rc" -ge 128
	[ $point = gitlock-ref ] && : >"$B/.git/$(git -C "$B" symbolic-ref HEAD).lock"
	check "$point: the remote is usable" sh -c "git -C '$BARE' fsck --strict >/dev/null 2>&1"
	check_out "$point: B still lists its change" "h2-example-com" cd_ "$B" list
	check "$point: B is consistent" consistent "$B"
	check_out "$point: the next sync completes it" "origin" cd_ "$B" sync
	cd_ "$A" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1
	same_everywhere "$point: in step afterwards" "$A" "$B" "$C"
	check "$point: both changes are there" sh -c "[ \$(git -C '$C' log --format=%s | grep -c 'notes=crash-$point') = 2 ]"
done

# --- An unreachable remote: clear error, local work kept ------------------
cd_ "$B" remote add gone "$T/no-such-repo.git"
cd_ "$B" set h2-example-com owner=offline >/dev/null
hb=$(head_of "$B")
cd_ "$B" sync gone >"$T/u.out" 2>"$T/u.err"
check "unreachable remote: exit 2" test $? = 2
check_out "unreachable remote: one line naming the remote" "cannot fetch from gone" cat "$T/u.err"
check "unreachable remote: one line" test "$(wc -l <"$T/u.err")" = 1
check "unreachable remote: the local commit is kept" test "$(head_of "$B")" = "$hb"
check_out "unreachable remote: a missing path is said to be missing" "cannot fetch from gone ($T/no-such-repo.git): No such file or directory" cat "$T/u.err"
# A relative path is kept absolute: a sync from another directory (cron's)
# reads the same repository.
(cd "$T" && "$CERTDECK" -C "$B" remote add rel central.git)
check "remote add: a relative path is stored absolute" test "$(git -C "$B" config remote.rel.url)" = "$T/central.git"
check "... and syncs from elsewhere" sh -c "cd / && '$CERTDECK' -C '$B' sync rel >/dev/null 2>&1"
git -C "$B" remote remove rel
check_out "unreachable remote: the change is still listed" "offline" cd_ "$B" list
check_out "the unknown remote is named" "no remote named nowhere" cd_ "$B" sync nowhere
check_out "a side chosen with no sync stopped is refused" "h0-example-com: no sync is stopped on a conflict" cd_ "$B" sync --ours h0-example-com
# A remote that accepts and then says nothing (over https:// and git://):
# given up after certdeck.timeout seconds of silence, said so.
. "$(dirname "$0")/lib-tls.sh"
peer_build
peer silent
git -C "$B" config certdeck.timeout 2
cd_ "$B" remote add mute "https://127.0.0.1:$port/x.git"
cd_ "$B" remote add mute-git "git://127.0.0.1:$port/x.git"
for r in mute mute-git; do
	timeout 30 "$CERTDECK" -C "$B" sync $r >"$T/u.out" 2>"$T/u.err"
	check "a silent remote ($r): exit 2, not a hang" test $? = 2
	check_out "... said: nothing for 2 s" "cannot fetch from $r (" cat "$T/u.err"
	check_out "... and how to wait longer" "the remote sent nothing for 2 s (git config certdeck.timeout" cat "$T/u.err"
done
check "... the local commit is kept" test "$(head_of "$B")" = "$hb"
git -C "$B" config --unset certdeck.timeout
git -C "$B" remote remove mute
git -C "$B" remote remove mute-git
cd_ "$B" sync >/dev/null 2>&1; cd_ "$A" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1

# --- git daemon on 127.0.0.1: a hook that refuses, a remote that moves ----
daemon_pid=""
stop_daemon() { [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null; wait 2>/dev/null; }
at_exit stop_daemon
tries=0
while [ $tries -lt 10 ]; do
	gport=$((20000 + ($$ * 7 + tries * 131) % 40000))
	git daemon --listen=127.0.0.1 --port=$gport --base-path="$T" \
	    --export-all --enable=receive-pack --reuseaddr --verbose \
	    "$T" >"$T/daemon.log" 2>&1 &
	daemon_pid=$!
	if wait_ready=$(i=0; while [ $i -lt 100 ]; do grep -q 'Ready to rumble' "$T/daemon.log" && { echo y; break; }; kill -0 $daemon_pid 2>/dev/null || break; sleep 0.05; i=$((i + 1)); done) && [ "$wait_ready" = y ]; then
		break
	fi
	kill $daemon_pid 2>/dev/null; wait $daemon_pid 2>/dev/null
	daemon_pid=""
	tries=$((tries + 1))
done
if [ -z "$daemon_pid" ]; then
	not_ok "git daemon started on 127.0.0.1"
else
	URL="git://127.0.0.1:$gport/central.git"
	cd_ "$B" remote add daemon "$URL"
	check_out "sync through git:// works" "daemon" cd_ "$B" sync daemon
	# Another operator's change, parked on a side branch for later.
	cd_ "$A" set h1-example-com owner=meanwhile >/dev/null
	git -C "$A" push -q "$BARE" "HEAD:refs/heads/meanwhile"
	# A hook that says no.
	printf '#!/bin/sh\necho "inventory frozen for the audit" >&2\nexit 1\n' >"$BARE/hooks/pre-receive"
	chmod +x "$BARE/hooks/pre-receive"
	cd_ "$B" set h2-example-com owner=frozen >/dev/null
	hb=$(head_of "$B") hr=$(git -C "$BARE" rev-parse main)
	cd_ "$B" sync daemon >"$T/r.out" 2>"$T/r.err"
	check "refused push: exit 2" test $? = 2
	check_out "refused push: says the remote refused" "refused the push" cat "$T/r.err"
	check "refused push: one line" test "$(wc -l <"$T/r.err")" = 1
	check "refused push: the local commit is kept" test "$(head_of "$B")" = "$hb"
	check "refused push: the remote did not move" test "$(git -C "$BARE" rev-parse main)" = "$hr"
	check "refused push: B is consistent" consistent "$B"
	# A hook that moves the branch once (as another operator's push
	# would) and refuses: the sync fetches again, replays, and retries.
	cat >"$BARE/hooks/pre-receive" <<-EOF
	#!/bin/sh
	[ -e "$T/moved" ] && exit 0
	touch "$T/moved"
	env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \
	    git --git-dir="$BARE" update-ref refs/heads/main refs/heads/meanwhile
	exit 1
	EOF
	cd_ "$B" sync daemon >"$T/m.out" 2>"$T/m.err"
	check "remote moved during the push: the retry succeeds" test $? = 0
	check "remote moved during the push: the hook ran" test -e "$T/moved"
	check_out "remote moved during the push: the other change was taken" "1 taken" cat "$T/m.out"
	check "remote moved during the push: the remote has both" sh -c "git -C '$BARE' log --format=%s main | grep -q 'owner=meanwhile' && git -C '$BARE' log --format=%s main | grep -q 'owner=frozen'"
	rm -f "$BARE/hooks/pre-receive"
	cd_ "$A" sync >/dev/null 2>&1; cd_ "$B" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1
	same_everywhere "after the daemon tests: in step" "$A" "$B" "$C"
fi

# --- sync = merge in certdeck.conf: one merge commit instead ------------
printf 'sync = merge\n' >>"$A/certdeck.conf"
git -C "$A" commit -q -am "sync by merging"
cd_ "$A" sync >/dev/null 2>&1; cd_ "$B" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1
cd_ "$A" set h1-example-com owner=merge-a >/dev/null
cd_ "$B" set h1-example-com notes=merge-b >/dev/null
cd_ "$A" sync >/dev/null 2>&1
check_out "sync = merge: B syncs" "synced with origin" cd_ "$B" sync
check "sync = merge: B's HEAD is a merge of its commit and the remote's" \
    test "$(git -C "$B" rev-list --parents -1 HEAD | wc -w)" = 3
check_out "sync = merge: named as such" "sync: merge origin/main" git -C "$B" log -1 --format=%s
m=$(meta_of "$B" h1-example-com)
case "$m" in
*"notes = merge-b"*"owner = merge-a"*) ok "sync = merge: keys of both sides won" ;;
*) not_ok "sync = merge: keys of both sides won"; printf '%s\n' "$m" | sed 's/^/# /' ;;
esac
cd_ "$A" sync >/dev/null 2>&1; cd_ "$C" sync >/dev/null 2>&1
same_everywhere "sync = merge: in step afterwards" "$A" "$B" "$C"

# --- Unrelated history ---------------------------------------------------
CERTDECK_NOW=2026-06-02T12:00:00Z "$CERTDECK" init "$T/other" >/dev/null
cd_ "$T/other" remote add origin "$BARE"
check_out "an unrelated inventory is refused" "shares no history" cd_ "$T/other" sync

# --- A URL libgit2 rejects quotes it whole: never its password -----------
cd_ "$T/other" remote add badurl 'https://u:sekrit@host:99999999/x' >/dev/null
out=$(cd_ "$T/other" sync badurl 2>&1)
case "$out" in
*sekrit*) not_ok "a malformed URL's password is not shown"; printf '%s\n' "$out" | sed 's/^/# /' ;;
*malformed*"u:***@"*) ok "a malformed URL's password is not shown" ;;
*) not_ok "a malformed URL's password is not shown (other error)"; printf '%s\n' "$out" | sed 's/^/# /' ;;
esac
