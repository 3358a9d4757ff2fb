# fuzz.sh: `make fuzz` builds the five libFuzzer targets from the tree as
# it is (clang, ASan, UBSan), and fuzz/run runs each clean over its seeds
# and 2,000 mutations from a fixed seed (a count, not a time). The long
# runs are fuzz/run's ten minutes each; this keeps the targets from
# rotting between them. Skipped only without clang.
. "$(dirname "$0")/lib.sh"

if ! command -v clang >/dev/null 2>&1; then
	ok "# SKIP clang is not installed"
	exit 0
fi

FUZZ_OUT="$T/out" FUZZ_RUNS=2000 "$TOP/fuzz/run" >"$T/run.out" 2>&1
rc=$?
check "fuzz/run builds the targets and every run ends clean" test $rc = 0
for t in load entry config k8s gitindex; do
	n=$(ls "$T/out/$t/corpus" 2>/dev/null | wc -l)
	if grep -q '^Done 2000 runs' "$T/out/$t/log" 2>/dev/null &&
	    [ -z "$(find "$T/out/$t" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*')" ]; then
		ok "fuzz_$t: 2000 runs from its seeds, no crash, leak, timeout or UB"
	else
		not_ok "fuzz_$t: 2000 runs from its seeds, no crash, leak, timeout or UB"
		tail -20 "$T/run.out" | sed 's/^/# /'
	fi
done
[ $rc = 0 ] || sed 's/^/# /' "$T/run.out" | tail -30
