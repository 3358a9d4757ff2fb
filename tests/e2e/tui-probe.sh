#!/bin/sh
# tests/e2e/tui-probe.sh: background jobs in the terminal UI, driven for
# real in tmux against real servers on 127.0.0.1: openssl s_server, and the
# silent peer of probe-helpers/peer.c (accepts, never speaks). p and P
# probe, the PROBE column and the detail view show the results, Esc
# cancels a job while the screen keeps answering keys, Q during a job
# gives the terminal back. Servers are stopped by PID at exit; every wait
# is bounded (about 5 s, polling the screen).
. "$(dirname "$0")/lib.sh"

unset NO_COLOR CERTDECK_COLOR

I=$T/inv
C() { "$CERTDECK" -C "$I" "$@"; }
DB=$I/.certdeck/index.db

# --- servers (wait_for, srv, peer: tests/e2e/lib-tls.sh)
. "$(dirname "$0")/lib-tls.sh"
. "$(dirname "$0")/lib-tmux.sh"
peer_build

# --- certificates and the inventory (CERTDECK_NOW is 2026-06-01)
mkdir -p "$T/c"
cd "$T/c" || exit 2
ca_at 2026-01-01 3650 root "Test Root CA"
ca_at 2026-01-01 1000 inter "Test Intermediate" root
leaf_at 2026-05-01 365 good good.test inter
leaf_at 2026-05-01 100 drift1 drift.test inter
leaf_at 2026-05-15 200 drift2 drift.test inter
cert_at 2026-05-01 365 silent silent.test
cert_at 2026-05-01 300 refused refused.test
cert_at 2026-05-01 200 lone lone.test
cat good.pem inter.pem >good-chain.pem
cat drift1.pem inter.pem >drift1-chain.pem
cd "$TOP" || exit 2
C init >/dev/null
C import --name test-root "$T/c/root.pem" >/dev/null
for f in good-chain drift1-chain silent refused lone; do
	C import "$T/c/$f.pem" >/dev/null
done
srv good 127.0.0.1:0 -cert "$T/c/good.pem" -key "$T/c/good.key" -cert_chain "$T/c/inter.pem"
good_port=$port
srv drift 127.0.0.1:0 -cert "$T/c/drift2.pem" -key "$T/c/drift2.key" -cert_chain "$T/c/inter.pem"
drift_port=$port
srv lone 127.0.0.1:0 -cert "$T/c/lone.pem" -key "$T/c/lone.key"
lone_port=$port
peer silent
silent_port=$port
C set good-test "endpoints=127.0.0.1:$good_port@good.test" >/dev/null
C set drift-test "endpoints=127.0.0.1:$drift_port@drift.test" >/dev/null
C set silent-test "endpoints=127.0.0.1:$silent_port" >/dev/null
# Port 1 on loopback: nothing listens, the connection is refused.
C set refused-test "endpoints=127.0.0.1:1" >/dev/null
C set lone-test "endpoints=127.0.0.1:$lone_port@lone.test" >/dev/null
check "the inventory has five entries with endpoints" \
    test "$(C list | grep -c -- '-test ')" = 5

# --- tmux
start() {
	TM new-session -d -s "$1" -x 120 -y 30 env TERM=screen LC_ALL=${LOC:-C.UTF-8} \
	    HOME="$HOME" CERTDECK_NOW="$CERTDECK_NOW" "$T/ui" -C "$I"
}
# row NAME: the list row of entry NAME holds the pattern on stdin's screen.
row_has() { grep -F -- " $1 " | grep -qF -- "$2"; }
# done_ S: the job's last word is in the status bar (the job ended).
done_() { wait_cmd "$1" sh -c "tail -1 | grep -q ' probed: '"; }
# goto S NAME: move the cursor onto NAME (filter, then keep it).
goto() {
	keys "$1" / "$2" Enter
	wait_cmd "$1" sh -c "grep '^>' | grep -qF -- ' $2 '"
}

start a
expect a "the list has a PROBE column" "PROBE"
expect_cmd a "never probed entries show -" row_has good-test "- "
goto a good-test
keys a p
expect_cmd a "p on an endpoint serving the entry's cert: PROBE says ok" \
    row_has good-test "✓ ok"
expect a "the status bar reports the probe" "1 probed: 1 healthy"
check "the probe is in the probes table" test "$(sqlite3 "$DB" \
    "SELECT count(*) FROM probes WHERE entry = 'good-test' AND kind = 'ok'")" = 1
keys a Escape
goto a drift-test
keys a p
expect_cmd a "p on an endpoint serving another cert: PROBE says drift" \
    row_has drift-test "≠ drift"
done_ a
screen_e a >/dev/null
check "the drift cell has its own colour slot (probe-drift: magenta)" \
    sh -c "grep -F ' drift-test ' '$T/screen_e' | grep -qF '35m≠ drift'"
check "the drifted probe is in the probes table" test "$(sqlite3 "$DB" \
    "SELECT count(*) FROM probes WHERE entry = 'drift-test'")" = 1
keys a Escape
goto a refused-test
keys a p
expect_cmd a "p on a refused endpoint: PROBE says fail" row_has refused-test "✗ fail"
done_ a
screen_e a >/dev/null
check "the fail cell has its own colour slot (probe-fail: red)" \
    sh -c "grep -F ' refused-test ' '$T/screen_e' | grep -qF '31m✗ fail'"
keys a Enter
expect a "the detail view lists the endpoint's last probe" "127.0.0.1:1  refused"
keys a q Escape
goto a lone-test
keys a p
expect_cmd a "p on an untrusted self-signed endpoint: PROBE names the problem" \
    row_has lone-test "⚠ untrusted"
done_ a
keys a Enter
expect a "the detail view says unverified" "drift:no  unverified  untrusted"
keys a q Escape
goto a drift-test
keys a Enter
expect a "the detail view shows the drift" "drift:yes"
expect a "the detail view shows the served leaf's days left" "leaf 182 days left"
keys a q Escape

# P over every endpoint: the silent one keeps the job running; progress
# shows, the others' results land, Esc cancels while keys still work.
keys a g
keys a P
expect a "P shows the job's progress in the status bar" "[probe 4/5"
expect_cmd a "P: results land while the job runs" row_has good-test "✓ ok"
keys a j
expect_cmd a "j moves the cursor while the job runs" sh -c "grep '^>' | grep -q -- '-test '"
l1=$(screen a | grep -n '^>' | cut -d: -f1)
keys a j
wait_cmd a sh -c "grep -n '^>' | grep -qv '^$l1:'"
check "the screen keeps answering keys during the job" \
    test "$(screen a | grep -n '^>' | cut -d: -f1)" != "$l1"
keys a Escape
expect a "Esc cancels: the status bar says cancelled" "probe cancelled: 4 of 5"
check "the status bar no longer shows the job" sh -c "! grep -qF '[probe' '$T/screen'"
check "P's results are in the probes table" test "$(sqlite3 "$DB" \
    "SELECT count(DISTINCT endpoint) FROM probes WHERE kind != 'cancelled'")" = 4
check "a cancelled probe is not recorded: the endpoint's last probe stays" test "$(sqlite3 "$DB" \
    "SELECT count(*) FROM probes WHERE kind = 'cancelled'")" = 0
keys a P
expect a "a second P starts again after the cancel" "[probe"
keys a p
expect a "a second job is refused while one runs" "a job is running"
keys a Escape
expect a "the second job is cancelled too" "probe cancelled"

# Q while a job runs: the job is cancelled and joined, the terminal
# restored.
keys a P
expect a "a job runs before Q" "[probe"
keys a Q
expect a "Q during a job exits promptly" "EXITED 0"
check "the terminal is restored (normal screen)" test "$(fmtv a '#{alternate_on}')" = 0
check "the terminal is restored (cursor shown)" test "$(fmtv a '#{cursor_flag}')" = 1
TM kill-session -t a

# SIGTERM while a job runs: the job is stopped, the terminal restored.
start t
expect t "the list is up for SIGTERM" "PROBE"
keys t P
expect t "a job runs before SIGTERM" "[probe"
pid=$(ui_pid t)
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	expect t "SIGTERM during a job ends certdeck by that signal" "EXITED 143"
	check "SIGTERM during a job: the terminal is restored" test "$(fmtv t '#{alternate_on}')" = 0
else
	not_ok "found the certdeck process"
fi
TM kill-session -t t

# An ASCII locale: the PROBE glyphs are ASCII.
# The SIGTERM may have cancelled some probes: probe them again, with
# the command line this time (the same index the UI reads).
C probe good-test drift-test refused-test >/dev/null 2>&1
LOC=C start c
expect_cmd c "ASCII locale: ok is marked +" row_has good-test "+ ok"
expect_cmd c "ASCII locale: drift is marked #" row_has drift-test "# drift"
expect_cmd c "ASCII locale: fail is marked X" row_has refused-test "X fail"
keys c Q
expect c "Q exits (ASCII)" "EXITED 0"
TM kill-session -t c

# The detail view follows a job: p there probes the entry's endpoints and
# each line changes as its result lands, while the job still runs (the
# silent endpoint holds it until its deadline).
(cd "$T/c" && cert_at 2026-05-01 120 fresh fresh.test)
C import "$T/c/fresh.pem" >/dev/null
C set fresh-test "endpoints=127.0.0.1:$lone_port@fresh.test,127.0.0.1:$silent_port" >/dev/null
start d
expect d "the list is up for the detail case" "PROBE"
expect_cmd d "two endpoints never probed: - 2" row_has fresh-test "- 2"
goto d fresh-test
keys d Enter
expect d "the detail view lists the endpoints, never probed" \
    "127.0.0.1:$lone_port@fresh.test  never probed"
keys d p
expect d "p in the detail view starts a probe job" "[probe"
# The served leaf is lone.test's, not this entry's: drift.
landed() {
	screen d >/dev/null
	grep -qF "127.0.0.1:$lone_port@fresh.test  ok" "$T/screen" &&
	    grep -qF "drift:yes" "$T/screen" &&
	    tail -1 "$T/screen" | grep -qF "[probe 1/2"
}
n=0
while [ $n -lt 50 ] && ! landed; do sleep 0.1; n=$((n + 1)); done
if landed; then ok "the detail view shows a result as it lands, the job still running"
else show_fail "the detail view shows a result as it lands, the job still running" d; fi
keys d Escape
expect d "Esc cancels the detail view's job" "probe cancelled: 1 of 2"
expect d "the detail view still shows the landed result" \
    "127.0.0.1:$lone_port@fresh.test  ok"
keys d q
expect_cmd d "q goes back to the list, fresh-test marked drift" row_has fresh-test "≠ drift"
keys d Q
expect d "Q exits (detail case)" "EXITED 0"
TM kill-session -t d

# A cancel leaves an endpoint's last probe as it was: a failure stays one,
# in the list and for the audit; and an endpoint never probed beside an
# ok one is not ok.
C set fresh-test "endpoints=127.0.0.1:$silent_port" >/dev/null
C probe --timeout 1 fresh-test >/dev/null 2>&1
start e
expect e "the list is up for the cancel case" "PROBE"
expect_cmd e "the silent endpoint's timeout shows" row_has fresh-test "✗ fail"
goto e fresh-test
keys e p
expect e "p starts a probe of it" "[probe"
keys e Escape
expect e "Esc cancels it" "probe cancelled: 0 of 1"
expect_cmd e "the row still shows the failure" row_has fresh-test "✗ fail"
check "the last probe recorded is still the timeout" test "$(sqlite3 "$DB" \
    "SELECT kind FROM probes WHERE endpoint = '127.0.0.1:$silent_port' ORDER BY time DESC LIMIT 1")" = timeout
check_out "the audit still finds it" "probe-failed" C audit --fail-on none
C probe good-test >/dev/null 2>&1
C set good-test "endpoints=127.0.0.1:$good_port@good.test,127.0.0.1:2" >/dev/null
keys e Escape
goto e good-test
expect_cmd e "one ok and one never probed: - 2, not ok 2" row_has good-test "- 2"
C set good-test "endpoints=127.0.0.1:$good_port@good.test" >/dev/null
expect_cmd e "... and ok alone again: ok" row_has good-test "✓ ok"
keys e Q
expect e "Q exits (cancel case)" "EXITED 0"
TM kill-session -t e
C set fresh-test "endpoints=" >/dev/null

# i: import runs as a job, its summary in the status bar.
leaf_at_dir() { (cd "$T/c" && cert_at 2026-05-01 90 more more.test); }
leaf_at_dir
C set silent-test "endpoints=" >/dev/null
start b
expect b "the list is up" "PROBE"
keys b P
expect b "P to the end reports every result" "4 probed: 1 healthy, 3 not"
check "the status bar no longer shows the finished job" sh -c "! grep -qF '[probe' '$T/screen'"
keys b i
expect b "i asks for a path" "import"
keys b "$T/c/more.pem" Enter
expect b "the import job reports its summary" "1 imported, 0 replaced"
expect b "the imported entry is listed" "more-test"
keys b Q
expect b "Q exits" "EXITED 0"
TM kill-session -t b

check "fsck is clean after the UI's jobs" C fsck
check "git status is clean" test -z "$(git -C "$I" status --porcelain)"
