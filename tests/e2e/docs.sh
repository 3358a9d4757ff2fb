#!/bin/sh
# tests/e2e/docs.sh: certdeck.1 says what the binary offers. Every command
# of `certdeck --help` has a section under COMMANDS (and every section a
# command) whose first sentence is the command's summary; every option
# `certdeck COMMAND --help` shows is described in that command's section
# (and every option described there is one the command shows); the global
# options are described; every settable key of `certdeck set --help` is
# described under ENTRY KEYS; the page is for the version the binary
# prints; and groff renders it without warnings.
#
# The content checks read the roff source (man(7) macros, as certdeck.1 is
# written), so they run without groff.
. "$(dirname "$0")/lib.sh"

MAN="$TOP/certdeck.1"

# roff source to plain lines: comments dropped, escapes for dashes and
# fonts undone. Macro lines keep their leading dot.
man_src() {
	sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\(ti/~/g' -e 's/\\(aq/'"'"'/g' \
	    -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\%//g' -e 's/\\e/\\/g' "$MAN"
}

# "SECTION<TAB>SUBSECTION<TAB>TOKEN" for each .TP tag of the page: TOKEN is
# every word of the tag line, quotes removed.
man_tags() {
	man_src | awk '
	function unq(s) { gsub(/"/, "", s); return s }
	/^\.SH / { sec = unq(substr($0, 5)); sub_ = ""; next }
	/^\.SS / { sub_ = unq(substr($0, 5)); next }
	/^\.TP/ { tag = 1; next }
	tag {
		tag = 0
		n = split($0, w, /[ \t]+/)
		for (i = 1; i <= n; i++) {
			t = unq(w[i])
			if (i == 1 && t ~ /^\./) continue
			if (t != "") print sec "\t" sub_ "\t" t
		}
	}'
}

# The running text of each COMMANDS subsection, one line each:
# "NAME<TAB>text", with font macros undone (BR a b gives "ab").
man_command_text() {
	man_src | awk '
	function args(line,   out, i, c, q, cur, n) {
		n = 0; cur = ""; q = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (c == "\"") { q = !q; continue }
			if (!q && (c == " " || c == "\t")) {
				if (cur != "") { A[++n] = cur; cur = "" }
				continue
			}
			cur = cur c
		}
		if (cur != "") A[++n] = cur
		return n
	}
	function flush() {
		if (name != "") print name "\t" text
		text = ""; sep = 0; started = 0
	}
	/^\.SH / { flush(); name = ""; incmd = ($0 ~ /^\.SH COMMANDS/); next }
	!incmd { next }
	/^\.SS / { flush(); name = $2; gsub(/"/, "", name); next }
	name == "" { next }
	# The synopsis line comes before the first paragraph; skip it.
	/^\.PP/ { started = 1; next }
	!started { next }
	{
		line = $0; glue = 0
		if (line ~ /\\c$/) { sub(/\\c$/, "", line); glue = 1 }
		if (line ~ /^\.(B|I|SM|SB) /) {
			n = args(substr(line, index(line, " ") + 1)); s = ""
			for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") A[i]
		} else if (line ~ /^\.(BR|BI|IB|IR|RB|RI) /) {
			n = args(substr(line, index(line, " ") + 1)); s = ""
			for (i = 1; i <= n; i++) s = s A[i]
		} else if (line ~ /^\./)
			next
		else
			s = line
		text = text (sep ? " " : "") s
		sep = !glue
	}
	END { flush() }'
}

# Options in help text: long ones in the usage line and the option table
# (not in the closing prose, which may name another command's), short ones
# starting a line.
help_options() {
	sed -e '/^usage:/b' -e '/^[^ ]/d' |
	    grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}
help_short_options() {
	sed -n 's/^  \(-[A-Za-z]\)[ ,].*/\1/p' | sort -u
}

# 1. The page renders without warnings.
if [ ! -f "$MAN" ]; then
	not_ok "certdeck.1 exists"
	exit 1
fi
if command -v groff >/dev/null 2>&1; then
	out=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "groff -man -ww renders certdeck.1 without warnings"
	else
		not_ok "groff -man -ww renders certdeck.1 without warnings"
		printf '%s\n' "$out" | sed 's/^/# /' | head -20
	fi
	if command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$MAN" \
		    2>&1 >/dev/null)
		if [ -z "$out" ]; then
			ok "man -l renders certdeck.1 without warnings"
		else
			not_ok "man -l renders certdeck.1 without warnings"
			printf '%s\n' "$out" | sed 's/^/# /' | head -20
		fi
	fi
else
	ok "skipped: groff is not installed, certdeck.1 not rendered"
fi

if [ ! -x "$CERTDECK" ]; then
	not_ok "certdeck is built ($CERTDECK)"
	exit 1
fi

tags="$T/tags"
man_tags >"$tags"
cmdtext="$T/cmdtext"
man_command_text >"$cmdtext"

# 2. Commands: the --help table and the COMMANDS sections match.
"$CERTDECK" --help >"$T/help" 2>&1
awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f { print $1 }' \
    "$T/help" >"$T/cmds"
man_src | awk '/^\.SH / { f = ($0 ~ /^\.SH COMMANDS/); next }
    f && /^\.SS / { n = $2; gsub(/"/, "", n); print n }' >"$T/mancmds"
check "certdeck --help lists commands" test -s "$T/cmds"
"$CERTDECK" help list >"$T/help.list" 2>&1
check "certdeck help COMMAND is that command's usage" grep -q '^usage: certdeck .*list' "$T/help.list"
"$CERTDECK" help nosuch >"$T/help.bad" 2>&1
check "certdeck help of an unknown command is an error (exit 2)" test $? = 2
check "... of one line naming it" sh -c "test \$(wc -l <'$T/help.bad') = 1 && grep -q 'unknown command nosuch' '$T/help.bad'"
# Option errors say what every other error says first.
for cmd in list import sync "ca init"; do
	# shellcheck disable=SC2086
	"$CERTDECK" $cmd --bogus >/dev/null 2>"$T/opt.err"
	check "$cmd --bogus: exit 2" test $? = 2
	check "$cmd --bogus: \"certdeck: $cmd: unrecognized option\"" grep -q "^certdeck: $cmd: unrecognized option '--bogus'" "$T/opt.err"
done
"$CERTDECK" log -n >/dev/null 2>"$T/opt.err"
check "log -n: a missing argument is named" grep -qx "certdeck: log: option '-n' requires an argument" "$T/opt.err"
"$CERTDECK" import --name >/dev/null 2>"$T/opt.err"
check "import --name: a missing argument is named" grep -qx "certdeck: import: option '--name' requires an argument" "$T/opt.err"
"$CERTDECK" list --json=yes >/dev/null 2>"$T/opt.err"
check "list --json=yes: an argument it does not take" grep -qx "certdeck: list: option '--json' takes no argument" "$T/opt.err"
# An option is the operator's text, maybe a file name: escaped like any.
"$CERTDECK" list "$(printf -- '--\033]0;x\007\033[2J')" >/dev/null 2>"$T/opt.err"
check "an unknown option is escaped" sh -c "grep -q \"unrecognized option '--.x1b]0;x.x07.x1b\\[2J'\" '$T/opt.err' && ! grep -q \"\$(printf '\\033')\" '$T/opt.err'"
while read -r c; do
	check "certdeck.1 has a section for $c" grep -qxF "$c" "$T/mancmds"
done <"$T/cmds"
while read -r c; do
	check "certdeck.1 section $c is a command of certdeck --help" \
	    grep -qxF "$c" "$T/cmds"
done <"$T/mancmds"

# 3. Each command: its summary opens its section, and its options and the
# options its section describes are the same.
while read -r c; do
	"$CERTDECK" "$c" --help >"$T/h.$c" 2>&1
	summary=$(sed -n 2p "$T/h.$c" | sed 's/\.$//')
	text=$(awk -F '\t' -v c="$c" '$1 == c { print $2 }' "$cmdtext")
	lsum=$(printf '%s' "$summary" | tr '[:upper:]' '[:lower:]')
	ltext=$(printf '%s' "$text" | tr '[:upper:]' '[:lower:]')
	case "$ltext" in
	"$lsum"*) ok "certdeck.1 $c starts with its summary" ;;
	*)	not_ok "certdeck.1 $c starts with its summary"
		echo "# summary: $summary"
		echo "# page:    $(printf '%s' "$text" | cut -c1-100)" ;;
	esac
	{ help_options <"$T/h.$c"; help_short_options <"$T/h.$c"; } |
	    sort -u >"$T/o.$c"
	awk -F '\t' -v c="$c" '$1 == "COMMANDS" && $2 == c && $3 ~ /^-/ {
	    print $3 }' "$tags" | sort -u >"$T/m.$c"
	while read -r o; do
		check "certdeck.1 describes $c $o" grep -qxF -- "$o" "$T/m.$c"
	done <"$T/o.$c"
	while read -r o; do
		check "certdeck $c --help shows $o, described in certdeck.1" \
		    grep -qxF -- "$o" "$T/o.$c"
	done <"$T/m.$c"
done <"$T/cmds"

# 4. Global options.
awk -F '\t' '$3 ~ /^-/ { print $3 }' "$tags" | sort -u >"$T/m.all"
{ help_options <"$T/help"; help_short_options <"$T/help"; } | sort -u |
while read -r o; do
	check "certdeck.1 describes the global option $o" \
	    grep -qxF -- "$o" "$T/m.all"
done

# 5. Entry keys: every key `set` takes has its entry under ENTRY KEYS.
"$CERTDECK" set --help >"$T/seth" 2>&1
awk '/^Keys:/ { f = 1; next } f && /^  [a-z]/ { print $1; next } f { exit }' \
    "$T/seth" >"$T/keys"
awk -F '\t' '$1 == "ENTRY KEYS" && $2 == "" { print $3 }' "$tags" |
    sort -u >"$T/mankeys"
check "certdeck set --help lists keys" test -s "$T/keys"
while read -r k; do
	check "certdeck.1 describes the entry key $k" grep -qxF "$k" "$T/mankeys"
done <"$T/keys"

# 6. The page is for this version.
v=$("$CERTDECK" --version | awk '{ print $2 }')
check "certdeck.1 is for certdeck $v" \
    grep -q "^\.TH CERTDECK 1 [^ ]* \"certdeck $v\"" "$MAN"

# 7. Terminal UI keys: the help view is generated from the key table in
# tui/keys.c (tests/e2e/tui.sh checks it shows every row), so every row of
# the table is described under TERMINAL UI, in the subsection of its view,
# and every key described there is a row of the table. The subsection
# names are keys.c's view_names.
sed -n 's/^[[:space:]]*K(\(VIEW_[A-Z]*\), [^,]*, "\([^"]*\)".*/\1	\2/p' \
    "$TOP/tui/keys.c" | awk -F '\t' '
	BEGIN { s["VIEW_ANY"] = "Everywhere"; s["VIEW_LIST"] = "List"
		s["VIEW_DETAIL"] = "Detail"; s["VIEW_HELP"] = "Help"
		s["VIEW_HISTORY"] = "History"; s["VIEW_DIFF"] = "Diff"
		s["VIEW_AUDIT"] = "Audit"; s["VIEW_CONFLICT"] = "Conflicts" }
	{ print s[$1] "\t" $2 }' | sort -u >"$T/tuikeys"
awk -F '\t' '$1 == "TERMINAL UI" && $2 != "" { print $2 "\t" $3 }' "$tags" |
    sort -u >"$T/mantuikeys"
check "the key table of the terminal UI has keys" test -s "$T/tuikeys"
while IFS='	' read -r v k; do
	check "certdeck.1 TERMINAL UI ($v) describes the key $k" \
	    grep -qxF "$v	$k" "$T/mantuikeys"
done <"$T/tuikeys"
while IFS='	' read -r v k; do
	check "certdeck.1 TERMINAL UI key $k ($v) is in the key table" \
	    grep -qxF "$v	$k" "$T/tuikeys"
done <"$T/mantuikeys"
