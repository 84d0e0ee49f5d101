#!/usr/bin/python3
"""Checks on monitoring/'s rule files that promtool does not make.

- every alert has a severity, a summary, a description and a runbook_url
  that points at a heading of docs/monitoring.md;
- every mon_memcg_* metric a rule uses is one that
  Sources/MemcgCore/Metrics.swift renders (a renamed metric would otherwise
  leave an alert that can never fire);
- tests/alerts.test.yml has, for every alert, a test group that must fire it
  and one that must not; the groups are listed;
- the tests catch a broken rule: with an alert's expression replaced by one
  that never fires, its firing group fails; with one that always fires, its
  quiet group fails (promtool test rules on a mutated copy).

Prints `ok: ...` / `FAIL: ...` lines; exit status 1 if anything failed.
Run from the repository root: /usr/bin/python3 monitoring/tests/check_rules.py
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ALERTS = "monitoring/mon_memcg-alerts.yml"
RECORDING = "monitoring/mon_memcg-recording.yml"
ALERT_TESTS = "monitoring/tests/alerts.test.yml"
DOC = "docs/monitoring.md"
METRICS_SWIFT = "Sources/MemcgCore/Metrics.swift"

failed = 0


def ok(msg):
    print(f"ok: {msg}", flush=True)


def fail(msg):
    global failed
    failed += 1
    print(f"FAIL: {msg}", flush=True)


def rendered_metrics():
    """Metric names Metrics.render writes: gauge("x"...), counter("x"...), family("x"...)."""
    text = open(METRICS_SWIFT).read()
    names = set(re.findall(r'\b(?:gauge|counter|family)\("([a-z_]+)"', text))
    prefix = re.search(r'prefix = "([a-z_]+)"', text).group(1)
    return {prefix + n for n in names}


def used_metrics(expr):
    # Recorded names (level:mon_memcg_...:op) are not metrics of the file.
    return set(re.findall(r"(?<![:\w])mon_memcg_[a-z_]+(?![:\w])", expr))


def load_rules(path):
    return [r for g in yaml.safe_load(open(path))["groups"] for r in g["rules"]]


def doc_anchors():
    anchors = set()
    for line in open(DOC):
        m = re.match(r"#+\s+(.*?)\s*$", line)
        if m:
            # GitHub's anchor: lower case, punctuation dropped, spaces to dashes.
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", m.group(1).lower()).replace(" ", "-"))
    return anchors


def check_alert_fields(alerts, anchors):
    for rule in alerts:
        name = rule["alert"]
        problems = []
        sev = rule.get("labels", {}).get("severity")
        if sev not in ("warning", "critical"):
            problems.append(f"severity label is {sev!r}, expected warning or critical")
        ann = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key, "").strip():
                problems.append(f"no {key} annotation")
        url = ann.get("runbook_url", "")
        want = f"{DOC}#{name.lower()}"
        if url != want:
            problems.append(f"runbook_url is {url!r}, expected {want!r}")
        elif name.lower() not in anchors:
            problems.append(f"{DOC} has no heading '{name}' for its runbook")
        if problems:
            fail(f"alert {name}: " + "; ".join(problems))
        else:
            ok(f"alert {name}: severity {sev}, summary, description, runbook {url}")


def check_metric_names(rules, known):
    for rule in rules:
        name = rule.get("alert") or rule.get("record")
        unknown = used_metrics(rule["expr"]) - known
        if unknown:
            fail(f"rule {name} uses {', '.join(sorted(unknown))}, which {METRICS_SWIFT} does not render")
    if not any(used_metrics(r["expr"]) - known for r in rules):
        ok(f"every mon_memcg_* metric in the {len(rules)} rules is rendered by {METRICS_SWIFT}")


def coverage(alerts, tests):
    """alert -> (firing group names, quiet group names)."""
    cover = {a["alert"]: ([], []) for a in alerts}
    for group in tests["tests"]:
        per_alert = {}
        for t in group.get("alert_rule_test", []):
            per_alert.setdefault(t["alertname"], []).append(bool(t.get("exp_alerts")))
        for alertname, firing in per_alert.items():
            if alertname not in cover:
                fail(f"{ALERT_TESTS}: group {group.get('name')!r} tests {alertname}, which is no alert of {ALERTS}")
                continue
            cover[alertname][0 if any(firing) else 1].append(group.get("name", "(unnamed)"))
    return cover


def promtool_test(rule_file, test_text, workdir):
    test_path = os.path.join(workdir, "alerts.test.yml")
    with open(test_path, "w") as f:
        f.write(test_text)
    return subprocess.run(["promtool", "test", "rules", test_path], capture_output=True, text=True, timeout=60)


def mutate(doc, alertname, expr, for_=None):
    out = yaml.safe_load(yaml.safe_dump(doc))
    for g in out["groups"]:
        for r in g["rules"]:
            if r.get("alert") == alertname:
                r["expr"] = expr
                if for_ is None:
                    r.pop("for", None)
    return out


def check_mutants(alerts_doc, cover):
    """Each alert's tests must notice a rule that never fires and one that always does."""
    tests_text = open(ALERT_TESTS).read()
    # Fires for every series the test feeds in (their instance and job
    # labels included), present or not at the time evaluated.
    always = 'group by (instance, job) (last_over_time({__name__=~".+"}[1d]))'
    never = "vector(1) == 0"
    with tempfile.TemporaryDirectory(prefix="mon_memcg-rule-mutants.") as tmp:
        mutant_path = os.path.join(tmp, "mutant-alerts.yml")
        text = tests_text.replace("../mon_memcg-alerts.yml", mutant_path)
        if text == tests_text:
            fail(f"{ALERT_TESTS} does not name ../mon_memcg-alerts.yml in rule_files")
            return
        for name, (firing_groups, quiet_groups) in cover.items():
            caught = []
            for kind, expr, groups in (("never fires", never, firing_groups), ("always fires", always, quiet_groups)):
                with open(mutant_path, "w") as f:
                    yaml.safe_dump(mutate(alerts_doc, name, expr), f)
                r = promtool_test(mutant_path, text, tmp)
                out = r.stdout + r.stderr
                hit = [g for g in groups if f"name: {g}," in out]
                if r.returncode == 0 or not hit:
                    fail(f"rule tests: {name} with an expression that {kind} still passes its tests"
                         f" (promtool exit {r.returncode}); the tests do not pin the rule")
                else:
                    caught.append(f"{kind}: '{hit[0]}' fails")
            if len(caught) == 2:
                ok(f"rule tests catch a broken {name}: " + "; ".join(caught))


def main():
    for path in (ALERTS, RECORDING, ALERT_TESTS, DOC, METRICS_SWIFT):
        if not os.path.exists(path):
            fail(f"{path} is missing (run from the repository root)")
            return 1
    alerts_doc = yaml.safe_load(open(ALERTS))
    alerts = [r for g in alerts_doc["groups"] for r in g["rules"] if "alert" in r]
    records = [r for r in load_rules(RECORDING) if "record" in r]
    check_alert_fields(alerts, doc_anchors())
    check_metric_names(alerts + records, rendered_metrics())

    cover = coverage(alerts, yaml.safe_load(open(ALERT_TESTS)))
    for name, (firing_groups, quiet_groups) in cover.items():
        if not firing_groups or not quiet_groups:
            missing = "a group that fires it" if not firing_groups else "a group where it stays quiet"
            fail(f"{ALERT_TESTS}: {name} has no {missing}")
        else:
            ok(f"rule tests for {name}: fires in '{firing_groups[0]}'; stays quiet in '{quiet_groups[0]}'")
    check_mutants(alerts_doc, cover)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
