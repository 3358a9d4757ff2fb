#!/bin/sh
# probe-observed.sh: observed/ follows the endpoints. A probe writes
# observed/<endpoint> (core/inv_probe.c); when an entry stops listing an
# endpoint (set, set -=, edit, rm) and no other entry lists it, the same
# commit removes its observed/ file, and undo brings both back. Real
# s_server on 127.0.0.1, stopped by PID at exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tls.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
subject() { git -C "$I" log -1 --format=%s; }
# changed: the paths the last commit touched, space-separated, sorted.
changed() { git -C "$I" show --format= --name-only HEAD | sort | tr '\n' ' '; }
tracked() { git -C "$I" cat-file -e "HEAD:$1" 2>/dev/null; }

mkdir -p "$T/c"
cd "$T/c" || exit 2
cert_at 2026-05-01 365 a a.test
cert_at 2026-05-01 300 b b.test
cd "$TOP" || exit 2
C init >/dev/null
C import "$T/c/a.pem" "$T/c/b.pem" >/dev/null
srv a 127.0.0.1:0 -cert "$T/c/a.pem" -key "$T/c/a.key"
pa=$port
srv b 127.0.0.1:0 -cert "$T/c/b.pem" -key "$T/c/b.key"
pb=$port
E1=127.0.0.1:$pa@a.test O1=observed/127.0.0.1_${pa}_a.test
E2=127.0.0.1:$pb@b.test O2=observed/127.0.0.1_${pb}_b.test
A=$(cd "$I" && ls -d certs/*/a-test)
B=$(cd "$I" && ls -d certs/*/b-test)
C set a-test "endpoints=$E1,$E2" >/dev/null
C set b-test "endpoints=$E1" >/dev/null
C probe --all >/dev/null 2>&1
check "the probe observed both endpoints" sh -c "[ -f '$I/$O1' ] && [ -f '$I/$O2' ]"

# set -=: a-test stops listing E2, which nothing else lists.
n0=$(commits "$I")
C set a-test "endpoints-=$E2" >/dev/null
check "set -= is one commit" test "$(commits "$I")" = $((n0 + 1))
check "that commit changes the entry and removes observed/ of the endpoint" \
    test "$(changed)" = "$A/entry $O2 "
check "the observed/ file is gone from HEAD" sh -c "! git -C '$I' cat-file -e 'HEAD:$O2' 2>/dev/null"
check "... and from the work tree" test ! -e "$I/$O2"
check_out "the commit message says why" "$E2: no longer listed, $O2 removed" \
    git -C "$I" log -1 --format=%B
check "the subject is still set's" test "$(subject)" = "set a-test: endpoints-=$E2"

# E1 is listed by a-test and b-test: clearing a-test's endpoints keeps it.
C set a-test "endpoints=" >/dev/null
check "an endpoint another entry lists keeps its observed/ file" tracked "$O1"
check "that commit changes only the entry" test "$(changed)" = "$A/entry "

# A change that keeps the endpoint (owner) touches nothing in observed/.
C set b-test owner=ops >/dev/null
check "a change of another key touches only the entry" test "$(changed)" = "$B/entry "
check "... and keeps observed/" tracked "$O1"

# rm of the last entry listing E1 removes its observed/ file.
n0=$(commits "$I")
C rm b-test >/dev/null
check "rm is one commit" test "$(commits "$I")" = $((n0 + 1))
check "rm removes the entry and the observed/ file of its endpoint" \
    test "$(changed)" = "$B/cert.pem $B/entry $O1 "
check "no observed/ file is left" test -z "$(git -C "$I" ls-tree --name-only HEAD observed/)"

# undo brings the entry and its observed/ file back, in one commit.
C undo >/dev/null 2>&1
check "undo brings the observed/ file back" tracked "$O1"
check "undo brings the entry back" tracked "$B/entry"
check "the restored file is what was observed" grep -q "^endpoint = $E1\$" "$I/$O1"

# edit: an editor that drops the endpoints line.
cat >"$T/ed" <<EOS
#!/bin/sh
sed -i '/^endpoints = /d' "\$1"
EOS
chmod +x "$T/ed"
EDITOR=$T/ed C edit b-test >/dev/null 2>&1
check "edit dropping the endpoints removes the observed/ file in its commit" \
    test "$(changed)" = "$B/entry $O1 "
check_out "edit's message says why" "$E1: no longer listed, $O1 removed" \
    git -C "$I" log -1 --format=%B

# Probing again after the removal observes afresh (git is the truth).
C set b-test "endpoints=$E1" >/dev/null
C probe b-test >/dev/null 2>&1
check "a probe after re-adding the endpoint observes it again" tracked "$O1"

check "fsck is clean" sh -c "'$CERTDECK' -C '$I' fsck >/dev/null"
check "git status is clean" test -z "$(git -C "$I" status --porcelain)"
