#!/usr/bin/python3
"""The benchmarks' headline ratios in one table, read from the outputs of one `scripts/bench` run.

usage: summary.py SENTIMENT.txt MODEL.txt SYSTEM.txt   (a missing file leaves its rows out)

Every figure here was measured in that run, each beside its baseline; the full tables above it
in the run's output say how.
"""
import os
import re
import sys


def read(path):
    return open(path).read() if path and os.path.exists(path) else ""


def main():
    sentiment, model, system = (read(p) for p in (sys.argv[1:4] + [None] * 3)[:3])
    rows = []  # (what, ours, baseline, ratio, target)
    if sentiment:
        ours = re.search(r"churnguard SentimentModel::predict\s+(\d+) sentences/s", sentiment)
        cli = re.search(r"fasttext predict \(CLI\)\s+(\d+) sentences/s", sentiment)
        if ours and cli:
            o, c = float(ours.group(1)), float(cli.group(1))
            rows.append(("sentiment sentences/s vs fastText CLI", f"{o:.0f}", f"{c:.0f}", f"{o / c:.2f}x", ">= 0.9x"))
    for table in re.split(r"\n(?=\w+: \d+ rows)", model):
        name = re.match(r"(\w+): \d+ rows", table)
        if not name:
            continue

        def rps(label):
            m = re.search(re.escape(label) + r".*?\s(\d+)\s+[\d.]+x\s*$", table, re.M)
            return float(m.group(1)) if m else None

        def auc(label):
            m = re.search(re.escape(label) + r"[^\n]*?\s(0\.\d{4})\s", table)
            return m.group(1) if m else "?"

        ours, prob, rf, lr, compiled = (rps(x) for x in ("ChurnGuard (", "probability only", "sklearn RandomForest",
                                                        "sklearn LogisticRegression", "ChurnGuard, compiled only"))
        n = name.group(1)
        if ours and rf:
            rows.append((f"{n}: scoring rows/s with SHAP reasons vs sklearn RF", f"{ours:.0f}", f"{rf:.0f}", f"{ours / rf:.2f}x", ">= 20x"))
        if compiled and rf:
            rows.append((f"{n}: same, compiled candidates only (ROC-AUC {auc('ChurnGuard, compiled only')})", f"{compiled:.0f}",
                         f"{rf:.0f}", f"{compiled / rf:.2f}x", ""))
        if prob and rf:
            rows.append((f"{n}: scoring rows/s, probability only, vs sklearn RF", f"{prob:.0f}", f"{rf:.0f}", f"{prob / rf:.2f}x", ""))
        if ours and lr:
            rows.append((f"{n}: scoring rows/s with reasons vs sklearn LR", f"{ours:.0f}", f"{lr:.0f}", f"{ours / lr:.3f}x", ""))
        rows.append((f"{n}: ROC-AUC vs sklearn RF / LR / HGB", auc("ChurnGuard ("),
                     f"{auc('sklearn RandomForest')} / {auc('sklearn LogisticRegression')} / {auc('sklearn HistGradientBoosting')}",
                     "", ">= 0.85" if n == "telco" else ">= 0.93"))
    for label, written, calls, minimum in re.findall(r"^  (first full run|re-run[^\n]*?)\s+(\d+)\s+(\d+)\s+(\d+)\s", system, re.M):
        ratio = f"{int(calls) / int(minimum):.2f}x" if int(minimum) else ("=" if calls == "0" else "inf")
        rows.append((f"write-back calls, {label} ({written} records)", calls, minimum + " (minimum)", ratio, "1.00x"))
    http = dict((p, (float(r), float(p50), float(p99))) for p, r, p50, p99 in
                re.findall(r"^  (/\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+x$", system, re.M))
    static = next((v for k, v in http.items() if not k.startswith("/api/")), None)
    for path, (rps, _, p99) in http.items():
        if static and path.startswith("/api/"):
            rows.append((f"HTTP {path} req/s (p99 {p99:.1f} ms) vs static file", f"{rps:.0f}", f"{static[0]:.0f} (p99 {static[2]:.1f} ms)",
                         f"{rps / static[0]:.2f}x", ""))
    hook = re.search(r"p50 (\d+) ms\s+p99 (\d+) ms", system)
    if hook:
        rows.append(("webhook to CRM field latency p50 / p99", f"{hook.group(1)} / {hook.group(2)} ms", "", "", "< 2000 ms (test)"))
    if not rows:
        sys.exit("summary: no benchmark output found")
    w = max(len(r[0]) for r in rows)
    print("\nSummary (all measured in this run, each beside its baseline)")
    print(f"  {'figure':<{w}}  {'ours':>16}  {'baseline':>26}  {'ratio':>8}  {'target':>10}")
    for what, ours, base, ratio, target in rows:
        print(f"  {what:<{w}}  {ours:>16}  {base:>26}  {ratio:>8}  {target:>10}")


if __name__ == "__main__":
    main()
