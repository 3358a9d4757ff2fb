# timetravel.sh: `list --at` builds an old commit's inventory from the
# current index and the tree diff between HEAD and that commit; it must
# list exactly what a fresh index of a checkout of that commit lists.
. "$(dirname "$0")/lib.sh"

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
C init >/dev/null
mkdir -p "$T/c"
cert_at 2026-05-01 30 "$T/c/a" a.example.com
cert_at 2026-05-01 90 "$T/c/b" b.example.com
cert_at 2026-05-01 200 "$T/c/c" c.example.com
cert_at 2026-05-01 400 "$T/c/d" d.example.com
cert_at 2026-05-20 400 "$T/c/a2" a.example.com
ca_at 2026-01-01 3650 "$T/c/root" "Travel Root"

# A history with every kind of change: adds, metadata edits, a removal,
# a renewal, a re-add under the removed name, an undo, a hand commit.
C import "$T/c/a.pem" "$T/c/b.pem" >/dev/null
C set a-example-com owner=alice tags=web >/dev/null
C import "$T/c/c.pem" "$T/c/root.pem" >/dev/null
C rm b-example-com >/dev/null
C import --into a-example-com "$T/c/a2.pem" >/dev/null
C set c-example-com endpoints=c.example.com:443 owner=carol >/dev/null
C import --name b-example-com "$T/c/d.pem" >/dev/null
C undo >/dev/null
printf 'owner = hand\n' >"$I/certs/$(printf c-example-com | sha256sum | cut -c1-2)/c-example-com/entry"
git -C "$I" commit -qam "edit c by hand"
C import "$T/c/b.pem" >/dev/null

n=0 bad=0
for rev in $(git -C "$I" rev-list HEAD); do
	C list --json --at "$rev" >"$T/at.json" 2>"$T/at.err" || bad=$((bad + 1))
	rm -rf "$T/co"
	git clone -q "$I" "$T/co" 2>/dev/null && git -C "$T/co" checkout -q "$rev" 2>/dev/null
	mkdir -p "$T/co/.certdeck"
	"$CERTDECK" -C "$T/co" list --json >"$T/co.json" 2>/dev/null || bad=$((bad + 1))
	cmp -s "$T/at.json" "$T/co.json" || { bad=$((bad + 1)); echo "# differs at $rev"; diff "$T/at.json" "$T/co.json" | head -5 | sed 's/^/# /'; }
	n=$((n + 1))
done
check "every commit was listed ($n)" test "$n" -ge 11
check "list --at each commit equals a fresh index of its checkout" test "$bad" = 0

# Twice the same commit (the snapshot is kept), then another one.
first=$(git -C "$I" rev-list --max-parents=0 HEAD)
mid=$(git -C "$I" rev-list HEAD | sed -n 6p)
C list --json --at "$mid" >"$T/m1.json"
C list --json --at "$first" >/dev/null
C list --json --at "$mid" >"$T/m2.json"
check "the same commit twice lists the same" cmp -s "$T/m1.json" "$T/m2.json"
check "a middle commit lists entries" test "$(json_q "$T/m2.json" "json_array_length(j)")" -ge 1
check "the first commit's listing is empty" test "$(C list --json --at "$first" | tr -d '[:space:]')" = "[]"
