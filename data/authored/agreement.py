"""Agreement between the two annotators of the authored articles, per round:
Cohen's kappa, raw agreement, and how the adjudicator settled the
disagreements. Reads annotations.csv beside this file; standard library only.

Usage: python3 data/authored/agreement.py
"""

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

LABELS = ["conciliatory", "hawkish", "neutral"]


def kappa(pairs):
    """Cohen's kappa and raw agreement of (label_a, label_b) pairs."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    count_a = Counter(a for a, _ in pairs)
    count_b = Counter(b for _, b in pairs)
    expected = sum(count_a[l] * count_b[l] for l in LABELS) / (n * n)
    return (observed - expected) / (1 - expected), observed


def main():
    path = Path(__file__).with_name("annotations.csv")
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    for r in rows:
        for key in ("annotator_a", "annotator_b", "label"):
            if r[key] not in LABELS:
                sys.exit(f"{path}: unknown label {r[key]!r} in {r}")
        agree = r["annotator_a"] == r["annotator_b"]
        if agree != (r["adjudicated"] == "") or r["label"] != (r["adjudicated"] or r["annotator_a"]):
            sys.exit(f"{path}: inconsistent row {r}")
    by_round = defaultdict(list)
    for r in rows:
        by_round[r["round"]].append(r)
    print("| round | articles | sentences | agreement | Cohen's kappa | disagreements | adjudicated to (c / h / n) |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name in sorted(by_round) + ["all"]:
        rs = rows if name == "all" else by_round[name]
        k, observed = kappa([(r["annotator_a"], r["annotator_b"]) for r in rs])
        settled = Counter(r["adjudicated"] for r in rs if r["adjudicated"])
        articles = len({r["article"] for r in rs})
        print(f"| {name} | {articles} | {len(rs)} | {observed:.3f} | {k:.3f} | "
              f"{sum(settled.values())} | {' / '.join(str(settled[l]) for l in LABELS)} |")
    pairs = Counter((r["annotator_a"], r["annotator_b"]) for r in rows)
    print("\nA (rows) against B (columns), all rounds:")
    print(f"{'':14}" + "".join(f"{l:>14}" for l in LABELS))
    for a in LABELS:
        print(f"{a:14}" + "".join(f"{pairs[(a, b)]:>14}" for b in LABELS))


if __name__ == "__main__":
    main()
