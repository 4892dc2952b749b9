#!/usr/bin/env python3
"""The ecosystem check: flaskscan on pinned releases of real Flask applications, compared with
reviewed verdicts kept in the repository (ecosystem/verdicts.csv).

Downloads each application in ecosystem/apps.csv from the package registry (pip, no
dependencies) into a cache outside the repository, scans it with the default rule suite and no
dependency audit (code findings only), and prints per application and pooled: findings, reviewed
true and false positives, precision (TP / reviewed), findings nobody has reviewed yet, true
positives only the audit suite reports (found again when their rule is named with `--select`), and
true positives that are no longer reported at all.

    scripts/ecosystem.py                      # table; exit 1 when anything is unreviewed or lost
    scripts/ecosystem.py --unreviewed out.csv # rows to review, verdict left empty
    scripts/ecosystem.py --app archivy        # one application

A verdict row is keyed by flaskscan's own fingerprint (rule, path, the flagged line's text, its
occurrence), so it survives unrelated lines moving. Verdicts: TP, FP, or DUP for a true problem
another reported finding covers (named in the reason): a DUP no longer reported is not lost, and
one reported again counts as a false positive (the same problem told twice). Standard library only.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "ecosystem" / "apps.csv"
VERDICTS = ROOT / "ecosystem" / "verdicts.csv"
FIELDS = ["app", "rule", "path", "line", "fingerprint", "verdict", "reason"]


def read_apps():
    apps = []
    for line in APPS.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, version, dist = [p.strip() for p in line.split(",")]
        apps.append((name, version, dist))
    return apps


def fetch(name, version, dist, cache):
    """Downloads and unpacks one release; returns its source folder."""
    dest = cache / "src" / f"{name}-{version}"
    if dest.is_dir():
        return dest
    dl = cache / "dist" / f"{name}-{version}"
    dl.mkdir(parents=True, exist_ok=True)
    binary = ["--only-binary", ":all:"] if dist == "wheel" else ["--no-binary", ":all:"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", *binary,
         f"{name}=={version}", "-d", str(dl)],
    )
    if done.returncode != 0:
        sys.exit(f"{name} {version}: pip could not download the {dist} (see above)")
    archives = list(dl.iterdir())
    if len(archives) != 1:
        sys.exit(f"{name} {version}: expected one archive, got {archives}")
    archive = archives[0]
    tmp = dest.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
    else:
        with tarfile.open(archive) as t:
            t.extractall(tmp, filter="data")
    entries = list(tmp.iterdir())
    # An sdist holds one top folder; scan inside it so paths don't carry the version.
    inner = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
    inner.rename(dest) if inner != tmp else tmp.rename(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    return dest


def scan(binary, folder, extra):
    out = subprocess.run(
        [str(binary), "scan", str(folder), "--no-deps", "--format", "json", "--fail-on", "none",
         "--quiet", *extra],
        check=False, capture_output=True, text=True,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"flaskscan failed on {folder}: {out.stderr.strip()}")
    report = json.loads(out.stdout)
    return [f for f in report["findings"] if not f["suppressed"]]


def split_audit(binary, folder, extra, missing):
    """Splits true positives missing from the default run into those an audit rule still reports
    when it is named (`--select`) and those no longer reported at all."""
    if not missing:
        return [], []
    rules = sorted({v["rule"] for v in missing})
    named = scan(binary, folder, [*extra, "--select", ",".join(rules)])
    found = {f["fingerprint"] for f in named}
    audit = [v for v in missing if v["fingerprint"] in found]
    lost = [v for v in missing if v["fingerprint"] not in found]
    return audit, lost


def read_verdicts():
    if not VERDICTS.exists():
        return {}
    with VERDICTS.open(newline="") as f:
        rows = [r for r in csv.DictReader(f)]
    return {(r["app"], r["fingerprint"]): r for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=os.environ.get(
        "FLASKSCAN_ECOSYSTEM_CACHE", str(Path.home() / ".cache" / "flaskscan-ecosystem")))
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "flaskscan"))
    ap.add_argument("--app", action="append", help="only these applications")
    ap.add_argument("--unreviewed", help="write unreviewed findings here (CSV, verdict empty)")
    ap.add_argument("--findings", help="write every finding of this run here (JSON lines)")
    ap.add_argument("--list", choices=["TP", "FP", "new"], action="append",
                    help="print this run's findings with that verdict (new = unreviewed)")
    ap.add_argument("--rule", action="append", help="with --list: only these rules")
    ap.add_argument("scan_args", nargs="*", help="extra flaskscan arguments, after --")
    args = ap.parse_args()
    cache = Path(args.cache)
    binary = Path(args.bin)
    if not binary.exists():
        sys.exit(f"{binary} not found: run `cargo build --release` first")
    verdicts = read_verdicts()
    unreviewed_rows, all_rows = [], []
    table = []
    pooled = Counter()
    for name, version, dist in read_apps():
        if args.app and name not in args.app:
            continue
        folder = fetch(name, version, dist, cache)
        findings = scan(binary, folder, args.scan_args)
        seen = set()
        c = Counter()
        rules_fp = Counter()
        for f in findings:
            key = (name, f["fingerprint"])
            seen.add(key)
            row = {"app": name, "rule": f["rule"], "path": f["path"], "line": f["line"],
                   "fingerprint": f["fingerprint"]}
            all_rows.append({**row, "message": f["message"], "flow": f.get("flow", [])})
            v = verdicts.get(key)
            verdict = v["verdict"] if v else "new"
            if args.list and verdict in args.list and (not args.rule or f["rule"] in args.rule):
                reason = v["reason"] if v else f["message"]
                print(f"{verdict} {name} {f['rule']} {folder}/{f['path']}:{f['line']}  {reason}")
            if v is None:
                c["unreviewed"] += 1
                unreviewed_rows.append({**row, "verdict": "", "reason": f["message"]})
            elif v["verdict"] == "TP":
                c["tp"] += 1
            elif v["verdict"] not in ("FP", "DUP"):
                sys.exit(f"ecosystem/verdicts.csv: unknown verdict {v['verdict']!r} for {key}")
            else:
                c["fp"] += 1
                rules_fp[f["rule"]] += 1
        missing = [v for k, v in verdicts.items()
                   if k[0] == name and v["verdict"] == "TP" and k not in seen]
        audit, lost = split_audit(binary, folder, args.scan_args, missing)
        c["lost"] = len(lost)
        c["audit"] = len(audit)
        c["findings"] = len(findings)
        for l in audit:
            print(f"audit TP: {name} {l['rule']} {l['path']}:{l['line']} "
                  f"(reported with --select {l['rule']})")
        for l in lost:
            print(f"lost TP: {name} {l['rule']} {l['path']}:{l['line']} ({l['reason']})")
        table.append((name, version, c, rules_fp))
        pooled.update(c)

    def precision(c):
        reviewed = c["tp"] + c["fp"]
        return f"{100 * c['tp'] / reviewed:.0f}%" if reviewed else "-"

    print(f"{'app':<22} {'version':<9} {'findings':>8} {'TP':>4} {'FP':>4} {'unrev':>5} "
          f"{'lost':>4} {'audit':>5} {'precision':>9}  FP by rule")
    for name, version, c, rules_fp in table:
        fps = ", ".join(f"{r} {n}" for r, n in rules_fp.most_common())
        print(f"{name:<22} {version:<9} {c['findings']:>8} {c['tp']:>4} {c['fp']:>4} "
              f"{c['unreviewed']:>5} {c['lost']:>4} {c['audit']:>5} {precision(c):>9}  {fps}")
    print(f"{'pooled':<32} {pooled['findings']:>8} {pooled['tp']:>4} {pooled['fp']:>4} "
          f"{pooled['unreviewed']:>5} {pooled['lost']:>4} {pooled['audit']:>5} "
          f"{precision(pooled):>9}")
    if args.unreviewed:
        with open(args.unreviewed, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(unreviewed_rows)
    if args.findings:
        with open(args.findings, "w") as f:
            for r in all_rows:
                f.write(json.dumps(r) + "\n")
    return 1 if pooled["unreviewed"] or pooled["lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
