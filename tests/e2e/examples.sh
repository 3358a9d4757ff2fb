# examples.sh: every file in examples/ is well-formed, and the command it
# runs works against a real inventory. systemd units through
# systemd-analyze verify (else a parse of their sections), the CronJob
# through a YAML parse (python3), the alert rules through promtool check
# rules and promtool test rules (else a YAML parse) and against the metrics
# certdeck really exports.
. "$(dirname "$0")/lib.sh"

EX=$TOP/examples
I=$T/inv
mkdir -p "$T/c" "$T/textfile"
"$CERTDECK" -C "$I" init >/dev/null
cert_at 2026-05-01 200 "$T/c/a" a.test
cert_at 2025-01-01 100 "$T/c/old" old.test
"$CERTDECK" -C "$I" import --owner ops "$T/c/a.pem" "$T/c/old.pem" >/dev/null

# The units, with this machine's paths: the binary, the inventory, the
# collector directory; the user and group dropped (they need not exist).
unit() {
	sed -e "s|/usr/local/bin/certdeck|$CERTDECK|g" \
	    -e "s|/var/lib/certdeck/inventory|$I|g" \
	    -e "s|/var/lib/certdeck|$T|g" \
	    -e "s|/var/lib/prometheus/node-exporter|$T/textfile|g" \
	    -e '/^User=/d' -e '/^Group=/d' "$EX/$1" >"$T/$1"
}
unit certdeck-audit.service
unit certdeck-audit.timer
check "the service is a oneshot with one ExecStart" test "$(grep -c '^ExecStart=' "$T/certdeck-audit.service")-$(grep -c '^Type=oneshot$' "$T/certdeck-audit.service")" = 1-1
check "the timer names the service and an install target" sh -c "grep -qx 'Unit=certdeck-audit.service' '$T/certdeck-audit.timer' && grep -qx 'WantedBy=timers.target' '$T/certdeck-audit.timer'"
if command -v systemd-analyze >/dev/null 2>&1; then
	# --man=no: the man page it names need not be installed here.
	(cd "$T" && systemd-analyze verify --man=no ./certdeck-audit.service ./certdeck-audit.timer) >"$T/verify.out" 2>&1
	check "systemd-analyze verify accepts the service and the timer" test ! -s "$T/verify.out" -o "$(grep -cv 'Failed to \(connect\|initialize\)\|bus\|/run/systemd' "$T/verify.out")" = 0 ||
	    sed 's/^/# /' "$T/verify.out"
	cal=$(sed -n 's/^OnCalendar=//p' "$T/certdeck-audit.timer")
	check "the timer's OnCalendar parses" systemd-analyze calendar "$cal" >/dev/null 2>&1
else
	check "the units have [Unit] and [Service] or [Timer] sections" sh -c "grep -qx '\\[Service\\]' '$T/certdeck-audit.service' && grep -qx '\\[Timer\\]' '$T/certdeck-audit.timer'"
fi

# Run what the service runs, as systemd would: ExecStart with its output
# to the StandardOutput file, then ExecStartPost. Our unit has no quoting,
# so splitting on blanks is what systemd does with it.
exe=$(sed -n 's/^ExecStart=//p' "$T/certdeck-audit.service")
out=$(sed -n 's/^StandardOutput=truncate://p' "$T/certdeck-audit.service")
post=$(sed -n 's/^ExecStartPost=//p' "$T/certdeck-audit.service")
# shellcheck disable=SC2086
HOME=$T $exe >"$out" 2>"$T/svc.err"; rc=$?
check "the service's command runs (exit 0, --fail-on none)" test $rc = 0 || sed 's/^/# /' "$T/svc.err"
# shellcheck disable=SC2086
$post
prom=$T/textfile/certdeck.prom
check "the metrics land in the collector directory" test -s "$prom"
check "no temporary file is left" test ! -e "$T/textfile/certdeck.prom.tmp"
check "the sweep was recorded in the inventory" sh -c "git -C '$I' log -1 --format=%s | grep -q '^audit: '"
if command -v promtool >/dev/null 2>&1; then
	check "promtool check metrics accepts them" sh -c "promtool check metrics <'$prom' >/dev/null 2>&1"
fi

# The CronJob.
K=$EX/kubernetes-cronjob.yaml
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$K" >"$T/k8s.out" 2>&1 <<'EOF'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert len(docs) == 1, "one document"
d = docs[0]
assert d["apiVersion"] == "batch/v1" and d["kind"] == "CronJob", "a batch/v1 CronJob"
assert len(d["spec"]["schedule"].split()) == 5, "a five-field schedule"
pod = d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
assert pod["restartPolicy"] in ("Never", "OnFailure"), "a restart policy jobs allow"
vols = {v["name"] for v in pod["volumes"]}
for c in pod.get("initContainers", []) + pod["containers"]:
    assert c["image"], "an image"
    for m in c.get("volumeMounts", []):
        assert m["name"] in vols, "mount of a declared volume: " + m["name"]
c = [c for c in pod["containers"] if c["name"] == "audit"][0]
print(" ".join(c["command"]))
EOF
	rc=$?
	check "the CronJob parses as YAML and is a well-formed batch/v1 CronJob" test $rc = 0 || sed 's/^/# /' "$T/k8s.out"
	kcmd=$(tail -1 "$T/k8s.out")
else
	check "the CronJob has apiVersion, kind and a command" sh -c "grep -q '^apiVersion: batch/v1' '$K' && grep -q '^kind: CronJob' '$K'"
	kcmd=$(sed -n 's/^ *command: \[\(.*\)\]/\1/p' "$K" | tr -d '",')
fi
check "the CronJob runs certdeck audit" sh -c "echo '$kcmd' | grep -q '^certdeck -C /inventory audit '"
# Its command, on our inventory: old.test has expired, so --fail-on
# critical makes the job fail, with a JSON report in the log.
kcmd=$(echo "$kcmd" | sed -e "s|^certdeck|$CERTDECK|" -e "s|/inventory|$I|")
# shellcheck disable=SC2086
$kcmd >"$T/k8s.json" 2>"$T/k8s.err"; rc=$?
check "the CronJob's command fails the job on a critical finding (exit 1)" test $rc = 1
check "... and logs a JSON report" test "$(json_q "$T/k8s.json" 'json_valid(j)')" = 1
"$CERTDECK" -C "$I" rm old-test >/dev/null
# shellcheck disable=SC2086
$kcmd >"$T/k8s.json" 2>"$T/k8s.err"; rc=$?
check "... and succeeds once nothing is critical (exit 0)" test $rc = 0

# The alert rules.
R=$EX/prometheus-alerts.yml
if command -v promtool >/dev/null 2>&1; then
	check "promtool check rules accepts the alert rules" sh -c "promtool check rules '$R' >/dev/null 2>&1"
	# The rules against series shaped like certdeck's (time() is 0 at
	# the start of a promtool test).
	cat >"$T/alerts-test.yml" <<EOF
rule_files:
  - $R
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'certdeck_certificate_expiry_timestamp_seconds{entry="soon"}'
        values: '86400+0x10'
      - series: 'certdeck_certificate_expiry_timestamp_seconds{entry="later"}'
        values: '8640000+0x10'
      - series: 'certdeck_audit_findings{rule="expired",severity="critical"}'
        values: '2+0x10'
      - series: 'certdeck_audit_findings{rule="weak-rsa-key",severity="critical"}'
        values: '0+0x10'
      - series: 'certdeck_audit_last_run_timestamp_seconds'
        values: '0+0x10'
    alert_rule_test:
      - eval_time: 5m
        alertname: CertdeckCertificateExpiresSoon
        exp_alerts:
          - exp_labels: { severity: warning, entry: soon }
            exp_annotations:
              summary: "Certificate soon expires within 7 days"
              description: "Renew entry soon: it expires in 23h 55m 0s."
      - eval_time: 5m
        alertname: CertdeckCertificateExpired
        exp_alerts: []
      - eval_time: 5m
        alertname: CertdeckAuditCritical
        exp_alerts:
          - exp_labels: { severity: critical, rule: expired }
            exp_annotations:
              summary: "certdeck audit: 2 critical expired findings"
              description: "Run certdeck audit on the inventory for the entries and the fix."
      - eval_time: 5m
        alertname: CertdeckAuditStale
        exp_alerts: []
EOF
	promtool test rules "$T/alerts-test.yml" >"$T/ptest.out" 2>&1
	check "promtool test rules: the alerts fire on certdeck's series" test $? = 0 || sed 's/^/# /' "$T/ptest.out" | head -30
elif python3 -c 'import yaml' 2>/dev/null; then
	check "the alert rules parse as YAML with alert and expr" python3 -c "
import sys, yaml
d = yaml.safe_load(open('$R'))
assert all('alert' in r and 'expr' in r for g in d['groups'] for r in g['rules'])"
fi
# Every metric an alert uses is one certdeck exports.
for m in $(grep -o 'certdeck_[a-z_]*' "$R" | sort -u); do
	check "the alert rules' metric $m is exported" grep -q "^$m[{ ]" "$prom"
done
