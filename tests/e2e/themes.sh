#!/bin/sh
# tests/e2e/themes.sh: colour themes of the terminal UI. First without a
# terminal, through CERTDECK_THEME_DUMP (the UI prints the theme it would
# use as a theme file and exits): every shipped theme parses and sets every
# slot of the slot table, the built-in themes are the files, and the theme
# is chosen in the documented order. Then for real in tmux, reading colours
# and attributes back with capture-pane -e. Every wait is bounded.
. "$(dirname "$0")/lib.sh"

ESC=$(printf '\033')
unset NO_COLOR CERTDECK_COLOR CERTDECK_THEME CERTDECK_THEME_DUMP
UTHEMES=$XDG_CONFIG_HOME/certdeck/themes
UCONF=$XDG_CONFIG_HOME/certdeck/config
mkdir -p "$UTHEMES"

# The slots of the slot table in tui/theme.c, and the shipped themes.
sed -n 's/^[[:space:]]*S(SLOT_[A-Z_]*, "\([^"]*\)".*/\1/p' \
    "$TOP/tui/theme.c" >"$T/slots"
check "the slot table has slots" test "$(wc -l <"$T/slots")" -ge 9
ls "$TOP/themes" >"$T/themes"
for t in default light high-contrast monochrome colorblind; do
	check "themes/$t is shipped" grep -qxF "$t" "$T/themes"
done

# A theme file's meaning: its color lines, one blank between words,
# attributes in order, lines sorted.
norm() {
	awk '$1 == "color" {
		n = 0
		for (i = 5; i <= NF && $i !~ /^#/; i++) a[++n] = $i
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		s = $1 " " $2 " " $3 " " $4
		for (i = 1; i <= n; i++) s = s " " a[i]
		print s
	}' | sort
}
# dump [VAR=VALUE...] [-- ARGS...]: CERTDECK_THEME_DUMP=1 certdeck ARGS.
dump() {
	env CERTDECK_THEME_DUMP=1 "$@"
}

# 1. Each shipped theme parses cleanly and sets every slot.
while read -r t; do
	missing=""
	while read -r s; do
		grep -qE "^[[:space:]]*color[[:space:]]+$s[[:space:]]" \
		    "$TOP/themes/$t" || missing="$missing $s"
	done <"$T/slots"
	if [ -z "$missing" ]; then ok "themes/$t sets every slot"
	else not_ok "themes/$t sets every slot (missing:$missing)"; fi
	# By path: the file of this tree, even where certdeck is installed.
	dump "$CERTDECK" --theme "$TOP/themes/$t" >"$T/d.$t" 2>"$T/e.$t"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$T/e.$t" ]; then
		ok "themes/$t parses cleanly"
	else
		not_ok "themes/$t parses cleanly (exit $rc)"; fmt <"$T/e.$t"
	fi
	check "themes/$t is read from its path" \
	    grep -qxF "# theme $TOP/themes/$t ($TOP/themes/$t)" "$T/d.$t"
	# By name: found in the installed themes or beside the binary.
	dump "$CERTDECK" --theme "$t" >"$T/n.$t" 2>/dev/null
	check "theme $t is found by name" \
	    grep -qE "^# theme $t \(.*/themes/$t\)\$" "$T/n.$t"
	check "themes/$t: what certdeck reads is what the file says" \
	    test "$(norm <"$T/d.$t")" = "$(norm <"$TOP/themes/$t")"
	awk '$1 == "color" { print $2 }' "$T/d.$t" >"$T/ds.$t"
	check "the theme dump of $t has exactly the slot table's slots" \
	    cmp -s "$T/ds.$t" "$T/slots"
done <"$T/themes"

# 2. The built-in themes are themes/default and themes/monochrome.
dump CERTDECK_THEME_DUMP=builtin "$CERTDECK" >"$T/b.default" 2>"$T/e"
check "the built-in default theme dumps cleanly" test ! -s "$T/e"
check "the built-in default is named so" \
    grep -qxF "# theme default (built-in)" "$T/b.default"
if [ "$(norm <"$T/b.default")" = "$(norm <"$TOP/themes/default")" ]; then
	ok "the built-in default theme is themes/default"
else
	not_ok "the built-in default theme is themes/default"
	norm <"$T/b.default" >"$T/x1"; norm <"$TOP/themes/default" >"$T/x2"
	diff "$T/x1" "$T/x2" | fmt
fi
dump CERTDECK_THEME_DUMP=builtin "$CERTDECK" --theme monochrome \
    >"$T/b.mono" 2>"$T/e"
if [ "$(norm <"$T/b.mono")" = "$(norm <"$TOP/themes/monochrome")" ]; then
	ok "the built-in monochrome theme is themes/monochrome"
else
	not_ok "the built-in monochrome theme is themes/monochrome"
	norm <"$T/b.mono" >"$T/x1"; norm <"$TOP/themes/monochrome" >"$T/x2"
	diff "$T/x1" "$T/x2" | fmt
fi
check "the built-in monochrome theme has no colours" \
    sh -c "! awk '\$1 == \"color\" && (\$3 != \"default\" || \$4 != \"default\")' '$T/b.mono' | grep -q ."

# 3. Which theme: --theme > CERTDECK_THEME > config > default.
chosen() { dump "$@" 2>/dev/null | sed -n 's/^# theme \([^ ]*\) .*/\1/p'; }
printf '# mine\ntheme = high-contrast\n' >"$UCONF"
check "the config file chooses the theme" \
    test "$(chosen "$CERTDECK")" = high-contrast
check "CERTDECK_THEME beats the config file" \
    test "$(chosen CERTDECK_THEME=colorblind "$CERTDECK")" = colorblind
check "--theme beats CERTDECK_THEME" \
    test "$(chosen CERTDECK_THEME=colorblind "$CERTDECK" --theme light)" = light
check "--theme=NAME works too" \
    test "$(chosen "$CERTDECK" --theme=light)" = light
check "an empty CERTDECK_THEME is not set" \
    test "$(chosen CERTDECK_THEME= "$CERTDECK")" = high-contrast
rm -f "$UCONF"
check "without any, the theme is default" test "$(chosen "$CERTDECK")" = default
check "NO_COLOR chooses monochrome over --theme" \
    test "$(chosen NO_COLOR=1 "$CERTDECK" --theme light)" = monochrome
check "CERTDECK_COLOR=never chooses monochrome" \
    test "$(chosen CERTDECK_COLOR=never "$CERTDECK")" = monochrome
check "an empty NO_COLOR is not set" \
    test "$(chosen NO_COLOR= "$CERTDECK" --theme light)" = light
# (Another HOME, so $HOME/.config is not $XDG_CONFIG_HOME.)
mkdir -p "$T/h2/.config/certdeck"
printf 'theme=light\n' >"$T/h2/.config/certdeck/config"
check "XDG_CONFIG_HOME set: its config, not ~/.config's" \
    test "$(chosen HOME="$T/h2" "$CERTDECK")" = default
check "XDG_CONFIG_HOME empty: the config is ~/.config/certdeck/config" \
    test "$(chosen HOME="$T/h2" XDG_CONFIG_HOME= "$CERTDECK")" = light
check "XDG_CONFIG_HOME relative: ignored, as XDG says" \
    test "$(chosen HOME="$T/h2" XDG_CONFIG_HOME=rel "$CERTDECK")" = light

# 4. A user theme comes first, even over a shipped one of the same name.
sed 's/^color expired .*/color expired color201 default bold/' \
    "$TOP/themes/default" >"$UTHEMES/default"
dump "$CERTDECK" >"$T/d" 2>"$T/e"
check "a user theme named default overrides the shipped one" \
    grep -qxF "# theme default (~/.config/certdeck/themes/default)" "$T/d"
check "... and is what certdeck uses" grep -q '^color expired *color201 ' "$T/d"
rm -f "$UTHEMES/default"
printf 'color ok color33 default\n' >"$UTHEMES/partial"
dump "$CERTDECK" --theme partial >"$T/d" 2>"$T/e"
rc=$?
check "a theme that leaves slots out is reported by the dump (exit 1)" test $rc = 1
check_out "... naming the slot" "partial: slot expired is not set" cat "$T/e"
check "... and the slot keeps the default's style" \
    grep -q '^color expired *red *default *bold$' "$T/d"
check "a theme given as a path is read from it" \
    test "$(chosen "$CERTDECK" --theme "$TOP/themes/light")" = "$TOP/themes/light"

# 5. Problems: reported with file, line and reason; the built-in is used.
printf '# a typo\ncolor ok green default\ncolor expired purpel default\n' \
    >"$UTHEMES/foo"
dump "$CERTDECK" --theme foo >"$T/d" 2>"$T/e"
rc=$?
check "a bad theme file: the dump exits 1" test $rc = 1
check_out "a bad theme file: file, line and reason" \
    "certdeck: ~/.config/certdeck/themes/foo:3: unknown colour 'purpel'" cat "$T/e"
check "a bad theme file: the built-in default is used" \
    grep -qxF "# theme default (built-in)" "$T/d"
dump "$CERTDECK" --theme nosuch >"$T/d" 2>"$T/e"
check_out "an unknown theme says where it looked" \
    "theme nosuch not found (looked in ~/.config/certdeck/themes, " cat "$T/e"
check_out "... including the source tree" "$TOP/themes)" cat "$T/e"
check "an unknown theme: the built-in default is used" \
    grep -qxF "# theme default (built-in)" "$T/d"
check_out "a theme name that is not a file name is refused" \
    "theme name '.hidden' is not valid" dump "$CERTDECK" --theme .hidden
printf 'theme = light\ncolour = blue\nnonsense\n' >"$UCONF"
dump "$CERTDECK" >"$T/d" 2>"$T/e"
check_out "the config: an unknown key is warned about" \
    "~/.config/certdeck/config:2: unknown setting 'colour'" cat "$T/e"
check_out "the config: a line that is not key = value too" \
    "~/.config/certdeck/config:3: expected key = value" cat "$T/e"
check "the config: the known keys still count" \
    grep -q '^# theme light ' "$T/d"
rm -f "$UCONF"
check_out "--theme without a name is an error" "--theme needs a name" \
    "$CERTDECK" --theme
check_out "certdeck --help shows --theme" "--theme NAME" "$CERTDECK" --help

# The terminal UI, for real.
. "$(dirname "$0")/lib-tmux.sh"

DEMO=$T/demo
"$TOP/tests/demo/make-demo" --no-ui "$DEMO" >/dev/null 2>&1
check "make-demo --no-ui builds an inventory" test -d "$DEMO/.git"

# start SESSION TERM [VAR=VALUE...] [-- ARGS...]: certdeck -C DEMO ARGS
# in a new 100x30 session, on terminal type TERM, in a UTF-8 locale.
start() {
	_s=$1 _term=$2; shift 2
	_vars=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		_vars="$_vars $1"; shift
	done
	[ "${1:-}" = "--" ] && shift
	# shellcheck disable=SC2086
	TM new-session -d -s "$_s" -x 100 -y 30 env -u NO_COLOR \
	    -u CERTDECK_COLOR -u CERTDECK_THEME TERM="$_term" LC_ALL=C.UTF-8 \
	    HOME="$HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
	    CERTDECK_NOW="$CERTDECK_NOW" $_vars "$T/ui" -C "$DEMO" "$@"
}
stop() { TM kill-session -t "$1" 2>/dev/null; }

# styles SESSION: the screen, each line as "STYLE<TAB>TEXT" where STYLE is
# the colours and attributes of its first character (certdeck draws each
# list row in one style): "fg=N bg=N a=..." with - for the terminal's own
# colour. tmux only writes what changes, so the state runs on across lines.
styles() {
	screen_e "$1" >/dev/null
	LC_ALL=C awk '
	function reset() { fg = "-"; bg = "-"; split("", at) }
	function sgr(p,   n, v, i, k) {
		if (p == "") { reset(); return }
		n = split(p, v, /[;:]/)
		for (i = 1; i <= n; i++) {
			k = v[i] + 0
			if (k == 0) reset()
			else if (k == 1) at["bold"] = 1
			else if (k == 2) at["dim"] = 1
			else if (k == 3) at["italic"] = 1
			else if (k == 4) at["underline"] = 1
			else if (k == 5) at["blink"] = 1
			else if (k == 7) at["reverse"] = 1
			else if (k == 22) { delete at["bold"]; delete at["dim"] }
			else if (k == 23) delete at["italic"]
			else if (k == 24) delete at["underline"]
			else if (k == 25) delete at["blink"]
			else if (k == 27) delete at["reverse"]
			else if (k >= 30 && k <= 37) fg = k - 30
			else if (k == 38 && v[i + 1] == 5) { fg = v[i + 2] + 0; i += 2 }
			else if (k == 39) fg = "-"
			else if (k >= 40 && k <= 47) bg = k - 40
			else if (k == 48 && v[i + 1] == 5) { bg = v[i + 2] + 0; i += 2 }
			else if (k == 49) bg = "-"
			else if (k >= 90 && k <= 97) fg = k - 90 + 8
			else if (k >= 100 && k <= 107) bg = k - 100 + 8
		}
	}
	function state(   s, a) {
		s = ""
		for (a in at) s = s " " a
		return "fg=" fg " bg=" bg " a=" sortw(s)
	}
	function sortw(s,   w, n, i, j, t, o) {
		n = split(s, w, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && w[j - 1] > w[j]; j--) {
				t = w[j]; w[j] = w[j - 1]; w[j - 1] = t
			}
		o = ""
		for (i = 1; i <= n; i++) o = o (i > 1 ? "," : "") w[i]
		return o
	}
	BEGIN { reset() }
	{
		line = $0; text = ""; first = ""
		while (line != "") {
			if (substr(line, 1, 1) == "\033") {
				if (match(line, /^\033\[[0-9;:]*m/)) {
					sgr(substr(line, 3, RLENGTH - 3))
					line = substr(line, RLENGTH + 1)
				} else
					line = substr(line, 2)
				continue
			}
			if (first == "") first = state()
			text = text substr(line, 1, 1)
			line = substr(line, 2)
		}
		print (first == "" ? state() : first) "\t" text
	}' "$T/screen_e" >"$T/styles"
	cat "$T/styles"
}
# row_style WORD: the style of the first list row (not the cursor's) that
# shows the status WORD, from the last styles.
row_style() {
	awk -F '\t' -v w="$1" 'NR > 2 && substr($2, 1, 1) == " " &&
	    index($2, " " w " ") { print $1; exit }' "$T/styles"
}
cursor_style() {
	awk -F '\t' 'NR > 2 && substr($2, 1, 1) == ">" { print $1; exit }' \
	    "$T/styles"
}
# no_colour: no line of the last styles has a colour.
no_colour() { ! grep -v '^fg=- bg=- ' "$T/styles" | grep -q .; }
status_line() { tail -1 "$T/screen"; }

# 6. Every shipped theme starts, without a complaint, on 256 and 8
# colours, and an expired row does not look like an ok one.
for term in xterm-256color xterm; do
	while read -r t; do
		start th "$term" -- --theme "$TOP/themes/$t"
		if ! wait_text th "STATUS"; then
			not_ok "$t on $term starts"; screen th | fmt; stop th
			continue
		fi
		ok "$t on $term starts"
		styles th >/dev/null
		screen th >/dev/null
		check "$t on $term: no complaint in the status bar" \
		    sh -c "! tail -1 '$T/screen' | grep -qE 'theme|unknown|not found'"
		ex=$(row_style expired) okst=$(row_style ok)
		if [ -n "$ex" ] && [ -n "$okst" ] && [ "$ex" != "$okst" ]; then
			ok "$t on $term: expired rows look unlike ok rows"
		else
			not_ok "$t on $term: expired rows look unlike ok rows"
			echo "# expired: $ex"; echo "# ok: $okst"
		fi
		case $t in
		monochrome)
			check "$t on $term: no colour at all" no_colour ;;
		*)
			check "$t on $term: expired rows have a colour" \
			    sh -c "echo '$ex' | grep -qv '^fg=- bg=- '" ;;
		esac
		check "$t on $term: the cursor row is in reverse video" \
		    sh -c "echo '$(cursor_style)' | grep -q 'reverse'"
		if [ "$term" = xterm ]; then
			check "$t on $term: only the 8 colours" \
			    sh -c "! grep -qE '(fg|bg)=([89]|[1-9][0-9]+) ' '$T/styles'"
		fi
		stop th
	done <"$T/themes"
done

# 7. 256 colours where there are 256, the nearest of 8 where there are 8.
start c256 xterm-256color -- --theme "$TOP/themes/colorblind"
wait_text c256 STATUS >/dev/null
styles c256 >/dev/null
check "colorblind on 256 colours: expired is color166, bold, underlined" \
    test "$(row_style expired)" = "fg=166 bg=- a=bold,underline"
check "colorblind on 256 colours: ok is color33" \
    test "$(row_style ok)" = "fg=33 bg=- a="
grep -qF "${ESC}[38;5;" "$T/screen_e"
check "colorblind on 256 colours: 256-colour escapes are sent" test $? = 0
stop c256
start c8 xterm -- --theme "$TOP/themes/colorblind"
wait_text c8 STATUS >/dev/null
styles c8 >/dev/null
check "colorblind on 8 colours: no 256-colour escapes" \
    sh -c "! grep -qF '${ESC}[38;5;' '$T/screen_e'"
check "colorblind on 8 colours: expired (color166) is red" \
    test "$(row_style expired)" = "fg=1 bg=- a=bold,underline"
check "colorblind on 8 colours: critical (color214, bright-yellow) is yellow and bold" \
    test "$(row_style critical)" = "fg=3 bg=- a=bold"
check "colorblind on 8 colours: ok (color33, bright-cyan) is cyan and bold" \
    test "$(row_style ok)" = "fg=6 bg=- a=bold"
stop c8
start h8 xterm -- --theme "$TOP/themes/high-contrast"
wait_text h8 STATUS >/dev/null
styles h8 >/dev/null
check "high-contrast on 8 colours: bright-green is green and bold" \
    test "$(row_style ok)" = "fg=2 bg=- a=bold"
check "high-contrast on 8 colours: expired is white on red" \
    test "$(row_style expired)" = "fg=7 bg=1 a=bold"
stop h8
start h256 xterm-256color -- --theme "$TOP/themes/high-contrast"
wait_text h256 STATUS >/dev/null
styles h256 >/dev/null
check "high-contrast on 256 colours: bright-green as it is" \
    test "$(row_style ok)" = "fg=10 bg=- a="
check "high-contrast on 256 colours: expired is bright-white on red" \
    test "$(row_style expired)" = "fg=15 bg=1 a=bold"
stop h256

# 8. Monochrome: NO_COLOR, CERTDECK_COLOR=never, and terminals without
# colour keep bold and reverse video, and send no colour.
for how in NO_COLOR=1 CERTDECK_COLOR=never TERM=vt100; do
	case $how in
	TERM=*) start m "${how#TERM=}" -- --theme colorblind ;;
	*) start m xterm-256color "$how" -- --theme colorblind ;;
	esac
	expect m "$how: the list shows" "✗ expired"
	styles m >/dev/null
	check "$how: no colour, whatever the theme" no_colour
	check "$how: no colour escapes at all" \
	    sh -c "! grep -qE '${ESC}\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]' '$T/screen_e'"
	check "$how: the cursor row is in reverse video" \
	    sh -c "echo '$(cursor_style)' | grep -q reverse"
	check "$how: expired rows are bold" \
	    test "$(row_style expired)" = "fg=- bg=- a=bold"
	stop m
done

# 9. Other terminal types start and show the list.
for term in linux screen screen-256color vt100; do
	start tt "$term"
	expect tt "TERM=$term starts and shows the list" "✗ expired"
	stop tt
done

# 10. Precedence in the UI: user themes that colour expired rows apart.
for n in 1 2 3; do
	sed "s/^color expired .*/color expired color20$n default/" \
	    "$TOP/themes/default" >"$UTHEMES/t$n"
done
printf 'theme = t3\n' >"$UCONF"
start p1 xterm-256color CERTDECK_THEME=t2 -- --theme t1
start p2 xterm-256color CERTDECK_THEME=t2
start p3 xterm-256color
for s in p1 p2 p3; do wait_text $s STATUS >/dev/null; done
styles p1 >/dev/null
check "UI: --theme beats CERTDECK_THEME and the config" \
    test "$(row_style expired)" = "fg=201 bg=- a="
styles p2 >/dev/null
check "UI: CERTDECK_THEME beats the config" \
    test "$(row_style expired)" = "fg=202 bg=- a="
styles p3 >/dev/null
check "UI: the config file chooses the theme" \
    test "$(row_style expired)" = "fg=203 bg=- a="
stop p1; stop p2; stop p3
rm -f "$UCONF"
start p4 xterm-256color
wait_text p4 STATUS >/dev/null
styles p4 >/dev/null
check "UI: without a choice, the default theme (expired red, bold)" \
    test "$(row_style expired)" = "fg=1 bg=- a=bold"
stop p4
cp "$UTHEMES/t1" "$UTHEMES/default"
start p5 xterm-256color
wait_text p5 STATUS >/dev/null
styles p5 >/dev/null
check "UI: a user theme named default overrides the shipped one" \
    test "$(row_style expired)" = "fg=201 bg=- a="
stop p5
rm -f "$UTHEMES/default"
sed 's/^color cursor .*/color cursor black yellow reverse/' \
    "$TOP/themes/default" >"$UTHEMES/cur"
start p6 xterm-256color -- --theme cur
wait_text p6 STATUS >/dev/null
styles p6 >/dev/null
check "UI: a cursor with colours replaces the row's colours" \
    test "$(cursor_style)" = "fg=0 bg=3 a=bold,reverse"
stop p6

# 11. A bad theme file or an unknown name: said in the status bar and
# again on stderr at exit; the UI runs in the built-in default.
start bad xterm-256color -- --theme foo
expect bad "a bad theme file: the status bar says file, line and reason" \
    "themes/foo:3: unknown colour 'purpel'"
styles bad >/dev/null
check "a bad theme file: the built-in default is used" \
    test "$(row_style expired)" = "fg=1 bg=- a=bold"
TM send-keys -t bad Q
expect bad "a bad theme file: certdeck still quits normally" "EXITED 0"
expect bad "a bad theme file: the message is on stderr after the UI" \
    "certdeck: ~/.config/certdeck/themes/foo:3: unknown colour 'purpel'"
stop bad
start unk xterm-256color -- --theme nosuch
expect unk "an unknown theme: the status bar says so" \
    "theme nosuch not found (looked in ~/.config/certdeck/themes"
styles unk >/dev/null
check "an unknown theme: the built-in default is used" \
    test "$(row_style expired)" = "fg=1 bg=- a=bold"
TM send-keys -t unk Q
expect unk "an unknown theme: certdeck quits normally" "EXITED 0"
stop unk
printf 'theme = light\ncolour = blue\n' >"$UCONF"
start cfg xterm-256color
expect cfg "the config: an unknown key is warned about in the status bar" \
    "config:2: unknown setting 'colour'"
styles cfg >/dev/null
check "the config: the theme it names is still used" \
    test "$(row_style expired)" = "fg=160 bg=- a=bold"
stop cfg
rm -f "$UCONF"
