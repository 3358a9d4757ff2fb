# bench/lib.sh: sourced by the benchmark scripts (bench/run, bench/probe,
# bench/tui): a private HOME and git identity, and the arithmetic of the
# reports. Every target is a ratio measured in the same run.

# bench_home DIR: HOME, XDG dirs and a git identity of the benchmark's own
# under DIR (nothing of the caller's configuration applies). No git command
# may pack the repository behind a measurement: gc.auto is off.
bench_home() {
	export HOME=$1/home XDG_CONFIG_HOME=$1/home/.config XDG_DATA_HOME=$1/home/.local/share
	mkdir -p "$HOME"
	export GIT_CONFIG_NOSYSTEM=1
	unset GIT_DIR GIT_WORK_TREE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
	unset CERTDECK_DIR CERTDECK_STATS CERTDECK_PASSPHRASE_FILE
	git config --global user.name "Bench Operator"
	git config --global user.email "bench@example.invalid"
	git config --global init.defaultBranch main
	git config --global gc.auto 0
	git config --global maintenance.auto false
	git config --global pull.ff only
}

say() { printf '# %s\n' "$*" >&2; }
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { printf "%.4f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b != 0 ? a / b : 0) }'; }
ms() { awk -v a="$1" 'BEGIN { printf "%.0f ms", a * 1000 }'; }
sec() { awk -v a="$1" 'BEGIN { printf "%.2f s", a }'; }
# verdict VALUE OP GOAL: PASS or MISS (OP is >= or <=)
verdict() {
	awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
	    ok = op == ">=" ? v >= g : v <= g; print ok ? "PASS" : "MISS" }'
}
