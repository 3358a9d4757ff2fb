# transactions.sh: one change, one commit, under concurrency and crashes.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
Cq() { "$CERTDECK" -C "$I" "$@" >/dev/null; }
C init >/dev/null
mkdir -p "$T/c"
i=0
while [ $i -lt 40 ]; do
	cert_at 2026-05-01 $((100 + i)) "$T/c/h$i" "host$i.example.com"
	i=$((i + 1))
done
consistent() {
	[ -z "$(git -C "$I" status --porcelain)" ] &&
	git -C "$I" fsck --strict >/dev/null 2>&1 &&
	"$CERTDECK" -C "$I" fsck >/dev/null 2>&1
}

# Two processes changing the same inventory at once both land.
C import "$T/c/h0.pem" "$T/c/h1.pem" >/dev/null
n0=$(commits "$I")
pids=""
for k in 2 3 4 5 6 7; do
	C import "$T/c/h$k.pem" >/dev/null 2>&1 & pids="$pids $!"
done
C set host0-example-com owner=a >/dev/null 2>&1 & pids="$pids $!"
C set host1-example-com owner=b >/dev/null 2>&1 & pids="$pids $!"
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
check "eight concurrent changes all succeeded" test "$fails" = 0
check "eight concurrent changes made eight commits" test "$(commits "$I")" = $((n0 + 8))
check "all eight entries are there" test "$(sqlite3 "$I/.certdeck/index.db" 'SELECT count(*) FROM entries')" = 8
check "both owners set" test "$(sqlite3 "$I/.certdeck/index.db" "SELECT count(*) FROM entries WHERE owner IN ('a','b')")" = 2
check "inventory consistent after concurrency" consistent

# A process killed at each point of a change: the next command repairs.
k=10
for point in commit-objects commit-head commit-worktree commit-gitindex; do
	n0=$(commits "$I")
	CERTDECK_TEST_CRASH=$point "$CERTDECK" -C "$I" import "$T/c/h$k.pem" >/dev/null 2>&1
	rc=$?
	check "$point: the process was killed" test "$rc" -ge 128
	C list >/dev/null 2>&1
	if [ $point = commit-objects ]; then
		check "$point: nothing happened" test "$(commits "$I")" = "$n0"
		check "$point: not listed" sh -c "! '$CERTDECK' -C '$I' list | grep -q host$k-"
	else
		check "$point: the change is there" test "$(commits "$I")" = $((n0 + 1))
		check "$point: listed after repair" sh -c "'$CERTDECK' -C '$I' list | grep -q host$k-"
	fi
	check "$point: consistent after the next command" consistent
	k=$((k + 1))
done

# kill -9 at random moments of bigger changes, then check consistency.
mkdir -p "$T/batch"
round=0 bad=0
while [ $round -lt 8 ]; do
	rm -f "$T/batch"/*
	j=0
	while [ $j -lt 3 ]; do
		cp "$T/c/h$((20 + round * 2 + j % 2)).pem" "$T/batch/" 2>/dev/null
		j=$((j + 1))
	done
	"$CERTDECK" -C "$I" import "$T/batch" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((round * 13 % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	C list >/dev/null 2>"$T/list.err"
	consistent || { bad=$((bad + 1)); echo "# round $round inconsistent"; git -C "$I" status --porcelain | sed 's/^/# /'
		sed 's/^/# list: /' "$T/list.err"; C fsck 2>&1 | sed 's/^/# fsck: /'; git -C "$I" fsck --strict 2>&1 | sed 's/^/# git fsck: /'; }
	round=$((round + 1))
done
check "consistent after every kill -9" test "$bad" = 0
# ... and nothing they left blocks the next change (a lock file of
# libgit2's, which git honours until someone removes it).
check "a change after the kills commits" Cq set host0-example-com notes=after-kills
check "no git lock file left after it" test -z "$(find "$I/.git" -name '*.lock')"

# Killed inside libgit2's write of the branch or of .git/index, a process
# leaves that write's lock file. Each crash point is just before libgit2
# creates its lock, so the test makes the lock as libgit2 would have an
# instant later. The next change removes it: certdeck's marker says its
# writer is dead. A lock file without the marker is another git's: left.
ref=$(git -C "$I" symbolic-ref HEAD)
i=0
while [ $i -lt 4 ]; do
	cert_at 2026-05-01 90 "$T/c/g$i" "gitlock$i.example.com"
	i=$((i + 1))
done
k=0
for what in ref index; do
	n0=$(commits "$I")
	CERTDECK_TEST_CRASH=gitlock-$what "$CERTDECK" -C "$I" import "$T/c/g$k.pem" >/dev/null 2>&1
	rc=$?
	check "gitlock-$what: the process was killed" test $rc -ge 128
	[ $what = ref ] && lock=$I/.git/$ref.lock || lock=$I/.git/index.lock
	: >"$lock"
	check "gitlock-$what: the lock stops git itself" sh -c "! git -C '$I' commit -q --allow-empty -m x 2>/dev/null"
	check "gitlock-$what: the next change commits" Cq import "$T/c/g$((k + 1)).pem"
	check "gitlock-$what: the lock is gone" test ! -e "$lock"
	check "gitlock-$what: no marker left" test ! -e "$I/.certdeck/git-writing"
	if [ $what = ref ]; then
		check "gitlock-$what: the killed change did not land" sh -c "! '$CERTDECK' -C '$I' list | grep -q gitlock$k-"
		check "gitlock-$what: one commit" test "$(commits "$I")" = $((n0 + 1))
	else
		check "gitlock-$what: the killed change landed" sh -c "'$CERTDECK' -C '$I' list | grep -q gitlock$k-"
		check "gitlock-$what: two commits" test "$(commits "$I")" = $((n0 + 2))
	fi
	check "gitlock-$what: consistent" consistent
	k=$((k + 2))
done
cert_at 2026-05-01 90 "$T/c/g4" "gitlock4.example.com"
n0=$(commits "$I")
: >"$I/.git/$ref.lock"
C import "$T/c/g4.pem" >/dev/null 2>"$T/gitlock.err"
rc=$?
check "another git's lock: the change is refused" test $rc -ne 0
check "another git's lock: one line naming the lock file" sh -c "test \$(wc -l <'$T/gitlock.err') = 1 && grep -q '$ref.lock exists' '$T/gitlock.err'"
sed 's/^/# /' "$T/gitlock.err"
check "another git's lock: nothing committed" test "$(commits "$I")" = "$n0"
check "another git's lock: left alone" test -e "$I/.git/$ref.lock"
rm -f "$I/.git/$ref.lock"
check "another git's lock: once gone, the change commits" Cq import "$T/c/g4.pem"
check "another git's lock: consistent" consistent
# Its lock on .git/index, which is written after the commit point: the
# change is refused before it, not committed and then reported failed.
n0=$(commits "$I")
: >"$I/.git/index.lock"
Cq set host3-example-com notes=indexlock 2>"$T/gitlock.err"
check "another git's lock on .git/index: the change is refused" test $? -ne 0
check "another git's lock on .git/index: one line naming it" sh -c "test \$(wc -l <'$T/gitlock.err') = 1 && grep -q 'index.lock exists' '$T/gitlock.err'"
check "another git's lock on .git/index: nothing committed" test "$(commits "$I")" = "$n0"
check "another git's lock on .git/index: left alone" test -e "$I/.git/index.lock"
rm -f "$I/.git/index.lock"
check "another git's lock on .git/index: consistent" consistent

# The index and git agree entry by entry.
C list --json > "$T/l.json"
n_idx=$(json_q "$T/l.json" 'json_array_length(j)')
n_git=$(git -C "$I" ls-tree -r --name-only HEAD certs | grep -c '/cert.pem$')
check "index lists exactly what git holds" test "$n_idx" = "$n_git"

# A bulk change (64 paths or more) writes its objects as one pack and its
# work tree files with one fsync; its inputs are parsed on every core but
# reported in the order given. Killed before and after the commit point,
# it leaves nothing, or a change the next command completes.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$T/bulk.key" 2>/dev/null
# bulk_set SET N: N certificates SET0.bulk.example... in $T/bulk-SET.
bulk_set() {
	mkdir -p "$T/bulk-$1"
	j=0
	while [ $j -lt "$2" ]; do
		openssl req -x509 -key "$T/bulk.key" -days 90 \
			-subj "/CN=$1$j.bulk.example" \
			-addext "subjectAltName=DNS:$1$j.bulk.example" \
			-out "$T/bulk-$1/$(printf %03d $j).pem" 2>/dev/null
		j=$((j + 1))
	done
}
# 70: a bulk commit is 64 changes or more (an entry without metadata
# is one file).
for set in a b c; do
	bulk_set $set 70
done
for point in commit-objects commit-head; do
	set=$([ $point = commit-objects ] && echo a || echo b)
	n0=$(commits "$I")
	CERTDECK_TEST_CRASH=$point "$CERTDECK" -C "$I" import "$T/bulk-$set" >"$T/bulk-crash.out" 2>&1
	rc=$?
	[ $rc -ge 128 ] || grep -v 'imported as' "$T/bulk-crash.out" | sed 's/^/# /'
	check "bulk $point: the process was killed" test $rc -ge 128
	C list >/dev/null 2>&1
	if [ $point = commit-objects ]; then
		check "bulk $point: nothing happened" test "$(commits "$I")" = "$n0"
	else
		check "bulk $point: the change is there" test "$(commits "$I")" = $((n0 + 1))
		check "bulk $point: all 70 entries listed" test "$(C list | grep -c "^.*$set[0-9]*-bulk-example")" = 70
	fi
	check "bulk $point: consistent after the next command" consistent
done
loose0=$(git -C "$I" count-objects | cut -d' ' -f1)
C import "$T/bulk-c" "$T/c/h39.pem" "$T/c/h38.pem" >"$T/bulk.out" 2>&1
check "bulk import: 72 entries imported" test "$(grep -c 'imported as' "$T/bulk.out")" = 72
{ ls "$T"/bulk-c/*.pem; echo "$T/c/h39.pem"; echo "$T/c/h38.pem"; } >"$T/bulk.want"
grep 'imported as' "$T/bulk.out" | sed 's/: imported as.*//' >"$T/bulk.got"
check "bulk import: reported in the order given" cmp -s "$T/bulk.want" "$T/bulk.got"
loose1=$(git -C "$I" count-objects | cut -d' ' -f1)
check "bulk import: objects went into a pack, not loose files" test $((loose1 - loose0)) -lt 5
check "bulk import: consistent" consistent
# The pack is certdeck's own writing (store/pack.c): git reads and checks
# every object of it and its index.
npacks=0 badpacks=0
for idx in "$I"/.git/objects/pack/pack-*.idx; do
	[ -f "$idx" ] || continue
	npacks=$((npacks + 1))
	git -C "$I" verify-pack "$idx" >/dev/null 2>&1 ||
	    badpacks=$((badpacks + 1))
done
check "bulk import: git verify-pack passes each of its $npacks packs" \
    test "$npacks" -gt 0 -a "$badpacks" = 0
check "bulk import: git fsck --full --strict" \
    git -C "$I" fsck --full --strict --no-dangling
# Killed with the pack written but not in place: nothing committed, the
# temp file left in objects/pack goes with the next change.
bulk_set d 70
n0=$(commits "$I")
packs0=$(ls "$I"/.git/objects/pack/*.pack | wc -l)
CERTDECK_TEST_CRASH=pack-written "$CERTDECK" -C "$I" import "$T/bulk-d" >/dev/null 2>&1
check "pack-written: the process was killed" test $? -ge 128
check "pack-written: nothing committed" test "$(commits "$I")" = "$n0"
check "pack-written: its temp pack is left" \
    test -n "$(ls "$I"/.git/objects/pack/ | grep '^tmp_certdeck_pack_')"
check "pack-written: no pack put in place" \
    test "$(ls "$I"/.git/objects/pack/*.pack | wc -l)" = "$packs0"
C import "$T/bulk-d" >"$T/bulk-d.out" 2>&1
check "pack-written: the import again, all 70 in" \
    test "$(grep -c 'imported as' "$T/bulk-d.out")" = 70
check "pack-written: the temp pack is gone" \
    test -z "$(ls "$I"/.git/objects/pack/ | grep '^tmp_certdeck_')"
check "pack-written: consistent" consistent
check "bulk import: no temp files left" test -z "$(ls -A "$I/.certdeck/tmp" 2>/dev/null)"
# Past 256 files a stager writes the rest without starting each one's
# write-back, and one syncfs makes them all durable (store/repo.c).
cc -O2 -o "$T/gencerts" "$TOP/bench/gencerts.c" -lcrypto ||
    not_ok "bench/gencerts.c builds"
"$T/gencerts" 700 "$T/many" >/dev/null
n0=$(commits "$I")
CERTDECK_TEST_CRASH=commit-head "$CERTDECK" -C "$I" import "$T/many" >/dev/null 2>&1
check "700 at once, killed after the commit point: the process was killed" test $? -ge 128
C list >/dev/null 2>&1
check "700 at once: one commit, completed by the next command" test "$(commits "$I")" = $((n0 + 1))
check "700 at once: all 700 listed" test "$(C list | grep -c 'host-000[0-9]*-bench-example')" = 700
check "700 at once: every file as committed" consistent
"$T/gencerts" -s 700 300 "$T/many2" >/dev/null
check "300 more: imported" sh -c "'$CERTDECK' -C '$I' import '$T/many2' | grep -c 'imported as' | grep -qx 300"
# Their directories were staged whole, the stat data taken as each file
# was written: git diff-files (which does not refresh) must find every
# file as .git/index says, before git status refreshes anything.
check "300 more: .git/index holds each new file's stat data" test -z "$(git -C "$I" diff-files --name-only)"
check "300 more: every file as committed" consistent
# A temp directory that once held many files (an earlier version's large
# import) keeps its size on ext4, and every command read it: made anew.
python3 -c "
import os, sys
d = sys.argv[1]
for i in range(12000):
    open(os.path.join(d, 'wt.%0100d' % i), 'w').close()
" "$I/.certdeck/tmp"
find "$I/.certdeck/tmp" -name 'wt.*' -delete
big=$(stat -c %s "$I/.certdeck/tmp")
Cq set host3-example-com notes=tmpdir
check "a large empty temp directory (was $big bytes) is made anew" test "$(stat -c %s "$I/.certdeck/tmp")" -lt "$big"
check "the temp directory made anew is private" test "$(stat -c %a "$I/.certdeck/tmp")" = 700

# .git/index is edited by certdeck itself (store/gitindex.c), not read and
# rewritten whole by libgit2: git must find exactly what it would have
# written. diff-files does not refresh, so it sees any stat data that
# does not match its file; write-tree builds from the index and its tree
# cache, so it sees a stale cache; fsck checks the index's SHA-1.
exact() {
	[ -z "$(git -C "$I" diff-files --name-only)" ] &&
	[ -z "$(git -C "$I" diff-index --cached --name-only HEAD)" ] &&
	[ "$(git -C "$I" write-tree)" = "$(git -C "$I" rev-parse 'HEAD^{tree}')" ] &&
	git -C "$I" fsck --strict >/dev/null 2>&1 &&
	[ -z "$(git -C "$I" status --porcelain)" ]
}
cert_at 2026-05-01 90 "$T/c/x0" "gitindex0.example.com"
cert_at 2026-05-01 90 "$T/c/x1" "gitindex1.example.com"
Cq set host3-example-com owner=index
check "git index: a set leaves it exact" exact
Cq import "$T/c/x0.pem"
check "git index: an import (new paths) leaves it exact" exact
Cq rm host4-example-com
check "git index: a removal leaves it exact" exact
# git's own caches in the file: a tree cache (a commit by hand writes
# one) and an untracked cache. certdeck drops them; git rebuilds them.
git -C "$I" config core.untrackedCache true
printf 'hand\n' >"$I/HAND"
git -C "$I" add HAND && git -C "$I" commit -q -m "hand"
git -C "$I" status --porcelain >/dev/null
check "git index: git wrote a tree cache and an untracked cache" sh -c "grep -aq TREE '$I/.git/index' && grep -aq UNTR '$I/.git/index'"
Cq set host3-example-com owner=cache
check "git index: exact after dropping git's caches" exact
: >"$I/certs/untracked-by-hand"
check "git index: git still sees an untracked file" sh -c "git -C '$I' status --porcelain | grep -qx '?? certs/untracked-by-hand'"
rm -f "$I/certs/untracked-by-hand"
git -C "$I" config --unset core.untrackedCache
# An intent-to-add entry (format 3, extended flags) is carried as it is.
printf 'later\n' >"$I/LATER"
git -C "$I" add -N LATER
st0=$(git -C "$I" status --porcelain)
Cq set host3-example-com owner=ita
check "git index: an intent-to-add entry survives a change" test "$(git -C "$I" status --porcelain)" = "$st0"
check "git index: fsck clean with it" sh -c "git -C '$I' fsck --strict >/dev/null 2>&1"
git -C "$I" rm -q --cached LATER && rm -f "$I/LATER"
check "git index: exact once it is gone" exact
# Format 4 is left to libgit2, which keeps it.
git -C "$I" update-index --index-version 4
Cq set host3-example-com owner=v4
Cq import "$T/c/x1.pem"
check "git index: format 4: changes still leave it exact" exact
check "git index: format 4 kept" test "$(od -An -tx1 -j4 -N4 "$I/.git/index" | tr -d ' ')" = 00000004
git -C "$I" update-index --index-version 2
# A split index is read by neither: refused with the way out.
git -C "$I" update-index --split-index
n0=$(commits "$I")
C set host3-example-com owner=split >/dev/null 2>"$T/split.err"
check "git index: split: the change is refused" test $? -ne 0
check "git index: split: one line saying how to undo it" sh -c "test \$(wc -l <'$T/split.err') = 1 && grep -q 'split index.*git update-index --no-split-index' '$T/split.err'"
sed 's/^/# /' "$T/split.err"
check "git index: split: nothing committed" test "$(commits "$I")" = "$n0"
git -C "$I" update-index --no-split-index
rm -f "$I"/.git/sharedindex.*
check "git index: once whole, the change commits" Cq set host3-example-com owner=split
check "git index: exact after all of it" exact
check "git index: certdeck fsck (libgit2) reads it" Cq fsck
# Made as git makes it: 0666 less the umask (a group-shared inventory).
(umask 002 && Cq set host3-example-com owner=group)
check "git index: mode from the umask, as git's (002: 664)" test "$(stat -c %a "$I/.git/index")" = 664
check "git index: exact after it" exact
# Work tree files are 0644 whatever the umask (a team reads them): made
# so by the umask 022 alone, chmod'ed under a stricter one; a new entry
# (its directory staged whole) and a changed file alike.
cert_at 2026-05-01 90 "$T/c/um0" "umask0.example.com"
cert_at 2026-05-01 90 "$T/c/um1" "umask1.example.com"
(umask 022 && Cq import "$T/c/um0.pem")
(umask 077 && Cq import "$T/c/um1.pem" && Cq set host3-example-com owner=strict)
check "umask 022: a new entry's files are 644" test "$(stat -c %a "$I"/certs/*/umask0-example-com/cert.pem "$I"/certs/*/umask0-example-com/entry | sort -u)" = 644
check "umask 077: a new entry's files are 644" test "$(stat -c %a "$I"/certs/*/umask1-example-com/cert.pem "$I"/certs/*/umask1-example-com/entry | sort -u)" = 644
check "umask 077: a changed file is 644" test "$(stat -c %a "$I"/certs/*/host3-example-com/entry)" = 644
check "umask 077: exact after it" exact
# A group-shared inventory (setgid directories of another group): a new
# entry's directory is made in place, as a mkdir there makes it, with
# the group and the bit; one made in .certdeck/tmp and renamed into
# place would have neither.
g0=$(stat -c %g "$I/certs")
chgrp -R daemon "$I/certs" 2>/dev/null	# root (CI); else the own group
find "$I/certs" -type d -exec chmod g+s {} +
git -C "$I" update-index -q --refresh	# chgrp changed every ctime
cert_at 2026-05-01 90 "$T/c/sg0" "setgid0.example.com"
Cq import "$T/c/sg0.pem"
d=$(echo "$I"/certs/*/setgid0-example-com)
check "group-shared: a new entry's directory has its parent's group" test "$(stat -c %g "$d")" = "$(stat -c %g "$(dirname "$d")")"
check "group-shared: and the setgid bit" test -g "$d"
check "group-shared: exact" exact
find "$I/certs" -type d -exec chmod g-s {} +
chgrp -R "$g0" "$I/certs"
git -C "$I" update-index -q --refresh
# A default ACL is applied instead of the umask (here it gives 0640):
# tracked files are still 0644, and new directories are made in place
# (the ACL's 0750), not in .certdeck/tmp.
acl() {	# acl set|remove DIR...: u::rwx,g::r-x,o::--- as the default
	python3 - "$@" <<'PY'
import os, struct, sys
d = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, p, 0xffffffff)
    for t, p in ((1, 7), (4, 5), (0x20, 0)))
for p in sys.argv[2:]:
	if sys.argv[1] == 'set':
		os.setxattr(p, 'system.posix_acl_default', d)
	else:
		os.removexattr(p, 'system.posix_acl_default')
PY
}
mkdir -p "$I/.certdeck/tmp"
# (A file system without ACLs cannot give a file the ACL's mode either.)
if acl set "$I/certs" "$I"/certs/* "$I/.certdeck/tmp" 2>/dev/null; then
	cert_at 2026-05-01 90 "$T/c/acl0" "acl0.example.com"
	(umask 022 && Cq import "$T/c/acl0.pem")
	d=$(echo "$I"/certs/*/acl0-example-com)
	check "default ACL: a new entry's files are 644" test "$(stat -c %a "$d/cert.pem" "$d/entry" | sort -u)" = 644
	check "default ACL: its directory is the ACL's (750)" test "$(stat -c %a "$d")" = 750
	check "default ACL: exact" exact
	acl remove "$I/certs" "$I"/certs/[0-9a-f][0-9a-f] "$I/.certdeck/tmp" 2>/dev/null
	chmod 755 "$d"
else
	echo "# default ACL: not supported on $I's file system; not checked"
fi

# A large index (over 1 MiB: 10,000 files and more) is patched, not
# rewritten, when a change only replaces entries of the same size: the
# index replaced last is kept (.git/index.certdeck-spare) and becomes
# the new one. git must find it exact each time, and after git itself
# has written the index in between.
"$T/gencerts" -s 2000 9000 "$T/big" >/dev/null
Cq import "$T/big"
check "git index: over 1 MiB" test "$(stat -c %s "$I/.git/index")" -gt 1048576
# Their first set makes the entry file (an entry without metadata has
# none), a new index entry; the sets from p0 on replace it.
Cq set host-002043-bench-example owner=q0
Cq set host-002042-bench-example owner=new
Cq set host-002042-bench-example owner=p0
check "git index: the replaced index is kept" test -f "$I/.git/index.certdeck-spare"
# (No git command between them: git status, for one, may write the
# index itself, and the next set then compares instead of patching.)
# wrote SET...: how a set wrote .git/index (CERTDECK_STATS), and whether
# the index is now the kept one's inode.
wrote() {
	_sp=$(stat -c %i "$I/.git/index.certdeck-spare")
	CERTDECK_STATS=1 "$CERTDECK" -C "$I" set "$@" 2>&1 >/dev/null |
	    sed -n 's/^certdeck: stats: .git.index written //p' | tr '\n' ' '
	[ "$(stat -c %i "$I/.git/index")" = "$_sp" ] && echo "into the kept index"
}
w=$(for k in 1 2 3; do wrote host-002042-bench-example owner=p$k; done)
check "git index: three sets patched into the kept index" test "$w" = "0 new, 1 patched, 0 compared into the kept index
0 new, 1 patched, 0 compared into the kept index
0 new, 1 patched, 0 compared into the kept index"
check "git index: exact after them" exact
git -C "$I" commit -q --allow-empty -m "by hand"
git -C "$I" update-index --really-refresh >/dev/null
# git wrote the index (with its tree cache: another size), so the states
# cannot say where the kept index differs from the new one: the next set
# compares the two and writes where they differ; so does the one after
# it (the file before differs in size); the third is patched again.
w=$(for k in 1 2 3; do wrote host-002043-bench-example owner=after-git$k; done)
check "git index: after git wrote it, compared twice, then patched" test "$w" = "0 new, 0 patched, 1 compared into the kept index
0 new, 0 patched, 1 compared into the kept index
0 new, 1 patched, 0 compared into the kept index"
check "git index: exact after it" exact
check "git index: certdeck fsck (libgit2) reads it" Cq fsck

# Faults a full disk or a failing device makes, injected into the real
# binary's system calls (tests/e2e/faults.c, LD_PRELOAD).
cc -shared -fPIC -o "$T/faults.so" "$TOP/tests/e2e/faults.c" -ldl ||
    not_ok "tests/e2e/faults.c builds"
# (An ASan build wants its runtime first; the shim's calls go through
# it all the same.)
F() {
	LD_PRELOAD="$T/faults.so" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$CERTDECK" -C "$I" "$@"
}
ihead() { sqlite3 "$I/.certdeck/index.db" "SELECT value FROM meta WHERE key = 'head'"; }

wtat() { sqlite3 "$I/.certdeck/index.db" "SELECT value FROM meta WHERE key = 'worktree-at'"; }

# A commit made elsewhere whose work tree update fails here (the rename
# of host1's entry file into place): the index's rows follow HEAD, and
# its meta keeps the commit the work tree is at, so that every command
# tries again, even after a change of another entry has been committed
# meanwhile; the first that can, does.
git clone -q "$I" "$T/other"
mkdir -p "$T/other/.certdeck" && cp "$I/.certdeck/index.db" "$T/other/.certdeck/"
"$CERTDECK" -C "$T/other" set host1-example-com owner=from-other >/dev/null
git -C "$I" fetch -q "$T/other" HEAD
h_old=$(git -C "$I" rev-parse HEAD)
git -C "$I" update-ref HEAD FETCH_HEAD
E1=$(echo "$I"/certs/*/host1-example-com)/entry
FAULT_RENAME=/host1-example-com/entry F set host0-example-com owner=meanwhile \
    >/dev/null 2>"$T/fault.err"
check "work tree sync fails: the other change is still committed" \
    test "$(git -C "$I" log -1 --format=%s)" = "set host0-example-com: owner=meanwhile"
check_out "... the failure is said" "work tree: $E1: Input/output error" cat "$T/fault.err"
check "... host1's file is as it was" sh -c "! grep -q from-other '$E1'"
check "... the index's rows are HEAD's" test "$(ihead)" = "$(git -C "$I" rev-parse HEAD)"
check "... the work tree's commit is kept" test "$(wtat)" = "$h_old"
# (Every command below without the fault would bring it forward.)
export FAULT_RENAME=/host1-example-com/entry
check_out "... host1's owner among the rows" "from-other" F list --json --filter host1-example-com
check_out "... fsck says so" "work tree: not brought forward from $(echo "$h_old" | cut -c1-12)" F fsck
check "... and it is kept through a change" F set host0-example-com owner=meanwhile2
check "... still kept" test "$(wtat)" = "$h_old"
unset FAULT_RENAME
check "the next command without the fault brings it forward" Cq list
check_out "... host1's file" "owner = from-other" cat "$E1"
check "... nothing kept" test -z "$(wtat)"
check "... consistent" consistent

# A work tree update that stops part way (the first of two files written,
# the second refused), then HEAD moved on, changing the written file
# again: at the stopped run's content, that file is certdeck's writing,
# not a hand edit, and comes forward.
git clone -q "$I" "$T/o2"
set -- $(cd "$T/o2" && ls -d certs/*/host1-example-com/ certs/*/host2-example-com/ | LC_ALL=C sort)
W1=${1}entry W2=${2}entry
echo "owner = stopped" >"$T/o2/$W1"
echo "owner = stopped" >"$T/o2/$W2"
git -C "$T/o2" add -A certs && git -C "$T/o2" commit -qm "by hand: two owners"
echo "owner = later" >"$T/o2/$W1"
git -C "$T/o2" commit -qam "by hand: one owner again"
git -C "$I" fetch -q "$T/o2" HEAD
git -C "$I" update-ref HEAD FETCH_HEAD~1
FAULT_RENAME="$W2" F list >/dev/null 2>"$T/fault.err"
check "part way: the first file was written" grep -q stopped "$I/$W1"
check "... the second was not" sh -c "! grep -qs stopped '$I/$W2'"
git -C "$I" update-ref HEAD FETCH_HEAD
Cq list 2>"$T/fault.err"
check "... the next command says nothing of a hand edit" test ! -s "$T/fault.err"
check_out "... the first file has HEAD's content" "owner = later" cat "$I/$W1"
check_out "... the second too" "owner = stopped" cat "$I/$W2"
check "... nothing kept" test -z "$(wtat)"
check "... consistent" consistent

# The commit the work tree was left at, gone (pruned): said once, and
# brought forward from the index's commit instead.
sqlite3 "$I/.certdeck/index.db" "INSERT OR REPLACE INTO meta(key, value) VALUES('worktree-at', '0123456789abcdef0123456789abcdef01234567')"
check_out "a pruned work tree commit: said" "work tree: 0123456789ab, where it was left, is gone" C list
check "... nothing kept" test -z "$(wtat)"
check "... said once" sh -c "[ -z \"\$('$CERTDECK' -C '$I' list 2>&1 >/dev/null)\" ]"
check "... consistent" consistent

# A bulk import whose pack cannot be written (ENOSPC after 4 KiB):
# refused with the reason, nothing committed, no pack left, and the next
# import of the same files goes in.
bulk_set e 70
n0=$(commits "$I")
packs0=$(ls "$I"/.git/objects/pack/)
FAULT_WRITE=tmp_certdeck_pack_ FAULT_AFTER=4096 F import "$T/bulk-e" \
    >"$T/fault.out" 2>&1
rc=$?; check "pack write fails: the import fails (exit 2)" test $rc = 2
check_out "... saying why" "No space left on device; nothing was committed" cat "$T/fault.out"
check "... nothing committed" test "$(commits "$I")" = "$n0"
check "... no pack added, no temp file left" test "$(ls "$I"/.git/objects/pack/)" = "$packs0"
check "... consistent" consistent
check "the same import without the fault" Cq import "$T/bulk-e"
check "... all 70 listed" test "$(C list | grep -c "e[0-9]*-bulk-example")" = 70
check "... consistent, git fsck --full" sh -c "git -C '$I' fsck --full --strict --no-dangling >/dev/null 2>&1"
