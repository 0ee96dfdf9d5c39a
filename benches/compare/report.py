#!/usr/bin/env python3
"""Turn the measurements of benches/compare.sh into results.md and results.json.

Reads the files compare.sh leaves in --parts (JSON from reference.py,
`stance eval --format json`, /usr/bin/time figures) and prints the
Markdown table. Standard library only.
"""

import argparse
import csv
import glob
import json
import os
import random
import re
import statistics
import sys

MB = 1e6  # MB/s figures are decimal megabytes of sentence text per second


def load(parts, name):
    path = os.path.join(parts, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        if name.endswith(".json"):
            return json.load(f)
        return f.read().strip()


def runs(parts, base, suffix):
    """base.r1<suffix>, base.r2<suffix>, ... (or base<suffix>) as a list of dicts."""
    files = sorted(glob.glob(os.path.join(parts, f"{base}.r*{suffix}")))
    files = [f for f in files if suffix == ".time.json" or not f.endswith(".time.json")]
    if not files and os.path.exists(os.path.join(parts, base + suffix)):
        files = [os.path.join(parts, base + suffix)]
    out = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            out.append(json.load(fh))
    return out


def timed(parts, base):
    """Median wall time and CPU share, largest peak RSS, over the repetitions."""
    rs = runs(parts, base, ".time.json")
    if not rs:
        return None
    return {
        "wall_s": statistics.median(r["wall_s"] for r in rs),
        "max_rss_kb": max(r["max_rss_kb"] for r in rs),
        "cpu_percent": statistics.median(r["cpu_percent"] for r in rs),
        "runs_wall_s": [r["wall_s"] for r in rs],
        "other_cpu_s": [r.get("other_cpu_s") for r in rs],
    }


def predicted(parts, base):
    """Median of reference.py predict timings over the repetitions."""
    rs = runs(parts, base, ".json")
    if not rs:
        return None
    out = dict(rs[0])
    for k in ("predict_s", "read_s", "load_s", "startup_s", "in_process_s"):
        out[k] = statistics.median(r[k] for r in rs)
    out["peak_rss_mb"] = max(r["peak_rss_mb"] for r in rs)
    out["runs_predict_s"] = [r["predict_s"] for r in rs]
    return out


def macro_f1(truth, pred):
    """The mean of per-class F1 over the classes of truth and predictions
    (scikit-learn's f1_score(average="macro"))."""
    classes = sorted(set(truth) | set(pred))
    total = 0.0
    for c in classes:
        tp = sum(1 for t, p in zip(truth, pred) if t == c and p == c)
        n_pred = sum(1 for p in pred if p == c)
        n_true = sum(1 for t in truth if t == c)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        total += 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return total / len(classes) if classes else 0.0


PAIRED_RESAMPLES = 2000
PAIRED_SEED = 20161012


def stance_predictions(parts, name, eval_name):
    """stance's test predictions (`eval --predictions`), checked against the
    macro-F1 that `stance eval` printed for them."""
    path = os.path.join(parts, name)
    if not os.path.exists(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["task"] == "stance"]
    truth, pred = [r["label"] for r in rows], [r["predicted"] for r in rows]
    printed = load(parts, eval_name)
    if printed and abs(macro_f1(truth, pred) - printed["macro_f1"]) > 1e-9:
        sys.exit(f"report.py: {name} gives macro-F1 {macro_f1(truth, pred)}, "
                 f"but {eval_name} says {printed['macro_f1']}")
    return truth, pred


def paired_difference(ours, theirs):
    """macro-F1 of ours minus theirs on the same test sentences, with the 95%
    interval of that difference over bootstrap resamples of the sentences
    (each resample scores both tools on the same sentences)."""
    if not ours or not theirs:
        return None
    (truth, a), (truth_b, b) = ours, (theirs["truth"], theirs["pred"])
    if truth != truth_b:
        return "test rows differ"
    rng = random.Random(PAIRED_SEED)
    n = len(truth)
    diffs = []
    for _ in range(PAIRED_RESAMPLES):
        idx = [rng.randrange(n) for _ in range(n)]
        t = [truth[i] for i in idx]
        diffs.append(macro_f1(t, [a[i] for i in idx]) - macro_f1(t, [b[i] for i in idx]))
    diffs.sort()

    def at(q):
        pos = q * (len(diffs) - 1)
        lo, hi = int(pos), min(int(pos) + 1, len(diffs) - 1)
        return diffs[lo] + (diffs[hi] - diffs[lo]) * (pos - lo)

    d = macro_f1(truth, a) - macro_f1(truth, b)
    return f"{d:+.3f} ({at(0.025):+.3f} to {at(0.975):+.3f})"


def fmt(v, kind):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if kind == "score":
        return f"{v:.3f}"
    if kind == "rate":
        return f"{v:,.0f}" if v >= 100 else f"{v:.2f}"
    if kind in ("time", "mem"):
        return f"{v:,.0f}" if v >= 1000 else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")
    if kind == "int":
        return f"{v:,}"
    if kind == "pct":
        return f"{v:.0f}%"
    if kind == "ratio":
        return f"{v:.2f}×"
    return str(v)


def advantage(stance, other, kind):
    """>1 means stance is better: faster, smaller, higher throughput or F1."""
    if not isinstance(stance, (int, float)) or not isinstance(other, (int, float)):
        return None
    if kind in ("time", "mem"):
        return other / stance if stance > 0 else None
    if kind in ("rate", "score"):
        return stance / other if other > 0 else None
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--parts", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    P = lambda name: load(args.parts, name)  # noqa: E731

    machine = P("machine.json") or {}
    versions = P("versions.json") or {}
    corpus = P("corpus.json") or {}
    notes = [n for n in (P("notes.txt") or "").splitlines() if n]
    # Other processes busy during a timed step (compare.sh samples /proc/stat).
    busy = []
    for f in sorted(glob.glob(os.path.join(args.parts, "*.time.json"))):
        with open(f, encoding="utf-8") as fh:
            t = json.load(fh)
        other = t.get("other_cpu_s")
        if other is not None and t["wall_s"] > 0 and other / t["wall_s"] > 0.15:
            busy.append(f"{os.path.basename(f)[:-len('.time.json')]} ({other / t['wall_s']:.0%} of a core)")
    if busy:
        notes.append(
            "the machine was not idle: other processes used CPU during " + ", ".join(busy)
            + "; those timings are pessimistic"
        )

    rows = []  # (section, measure, stance, sklearn, fasttext, kind)

    def row(section, measure, stance, sk, ft, kind):
        rows.append(
            {
                "section": section,
                "measure": measure,
                "stance": stance,
                "sklearn": sk,
                "fasttext": ft,
                "kind": kind,
                "stance_vs_sklearn": advantage(stance, sk, kind),
                "stance_vs_fasttext": advantage(stance, ft, kind),
            }
        )

    have_ft = P("fasttext_train.json") is not None
    na_ft = None if have_ft else "not available"

    # --- training and accuracy ------------------------------------------
    sec = "Training on FOMC train-5768, scoring on test-5768"
    st_fixed = timed(args.parts, "stance_train_fixed")
    sk_tr = P("sklearn_train.json")
    sk_thr = P("sklearn_train_threads.json")
    ft_tr = P("fasttext_train.json")
    st_rows = P("stance_train_rows.txt")
    row(
        sec,
        "training sentences used",
        int(st_rows) if st_rows and st_rows.isdigit() else None,
        sk_tr and sk_tr["train_rows"],
        ft_tr["train_rows"] if ft_tr else na_ft,
        "int",
    )
    row(
        sec,
        "train time, fixed settings (s)",
        st_fixed and st_fixed["wall_s"],
        sk_tr and sk_tr["train_s"],
        ft_tr["train_s"] if ft_tr else na_ft,
        "time",
    )
    if sk_thr:
        row(sec, "train time, scikit-learn with default BLAS threads (s)", st_fixed and st_fixed["wall_s"], sk_thr["train_s"], None, "time")
    st_cv = P("stance_train_cv.time.json")
    if st_cv:
        grid = P("stance_cv_grid.txt") or ""
        m = re.match(r"trying (\d+) settings with (\d+)-fold", grid)
        label = "train with CV search (s): stance defaults"
        if m:
            label += f", {m.group(1)} settings × {m.group(2)} folds"
        row(sec, label, st_cv["wall_s"], None, None, "time")
    if st_fixed:
        row(sec, "train peak RSS, fixed settings (MB)", st_fixed["max_rss_kb"] / 1024, None, None, "mem")
    ev_fixed = P("stance_eval_fixed.json")
    row(
        sec,
        "macro-F1 on test-5768, fixed settings",
        ev_fixed and ev_fixed["macro_f1"],
        sk_tr and sk_tr["macro_f1"],
        ft_tr["macro_f1"] if ft_tr else na_ft,
        "score",
    )
    ev_cv = P("stance_eval_cv.json")
    if ev_cv:
        selected = P("stance_cv_selected.txt")
        label = "macro-F1 on test-5768, stance CV-selected model"
        if selected:
            label += f" [{selected.replace('selected ', '')}]"
        row(sec, label, ev_cv["macro_f1"], sk_tr and sk_tr["macro_f1"], None, "score")

    for split in ("78516", "944601"):
        sec_s = sec.replace("5768", split)
        ev_f = P(f"stance_eval_fixed_{split}.json")
        ev = P(f"stance_eval_cv_{split}.json")
        sk = P(f"sklearn_train_{split}.json")
        tm_f = timed(args.parts, f"stance_train_fixed_{split}")
        tm = timed(args.parts, f"stance_train_cv_{split}")
        if tm_f or sk:
            row(sec_s, "train time, fixed settings (s)", tm_f and tm_f["wall_s"], sk and sk["train_s"], None, "time")
        if ev_f or sk:
            row(sec_s, f"macro-F1 on test-{split}, fixed settings", ev_f and ev_f["macro_f1"],
                sk and sk["macro_f1"], None, "score")
        if ev:
            row(sec_s, f"macro-F1 on test-{split}, stance CV-selected model", ev["macro_f1"],
                sk and sk["macro_f1"], None, "score")
        if tm:
            row(sec_s, "train with CV search (s)", tm["wall_s"], None, None, "time")

    # --- throughput -----------------------------------------------------------
    n_in = corpus.get("sentences")
    text_bytes = corpus.get("text_bytes")
    sec = (
        f"Classification, raw text in → probabilities out: {fmt(n_in, 'int')} sentences, "
        f"{(text_bytes or 0) / MB:.1f} MB of text"
    )
    st_cl = timed(args.parts, "stance_classify")
    st_n = P("stance_classify_rows.txt")
    st_n = int(st_n) if st_n and st_n.isdigit() else n_in
    sk_pr, sk_pt = predicted(args.parts, "sklearn_predict"), timed(args.parts, "sklearn_predict")
    ft_pr, ft_pt = predicted(args.parts, "fasttext_predict"), timed(args.parts, "fasttext_predict")

    def ft_or(v):
        return v if ft_pr else na_ft

    if st_cl:
        st_wall = st_cl["wall_s"]
        row(sec, "classify time (s): stance whole process; Python tools transform + predict only",
            st_wall, sk_pr and sk_pr["predict_s"], ft_or(ft_pr and ft_pr["predict_s"]), "time")
        row(sec, "sentences/s (stance: sentences it output; Python: input lines)",
            st_n / st_wall, sk_pr and sk_pr["sentences"] / sk_pr["predict_s"],
            ft_or(ft_pr and ft_pr["sentences"] / ft_pr["predict_s"]), "rate")
        row(sec, "MB/s of sentence text",
            text_bytes / MB / st_wall, sk_pr and sk_pr["text_bytes"] / MB / sk_pr["predict_s"],
            ft_or(ft_pr and ft_pr["text_bytes"] / MB / ft_pr["predict_s"]), "rate")
        row(sec, "whole process (s), incl. interpreter start-up, file read, model load",
            st_wall, sk_pt and sk_pt["wall_s"], ft_or(ft_pt and ft_pt["wall_s"]), "time")
        row(sec, "MB/s, whole process",
            text_bytes / MB / st_wall, sk_pt and text_bytes / MB / sk_pt["wall_s"],
            ft_or(ft_pt and text_bytes / MB / ft_pt["wall_s"]), "rate")
        row(sec, "peak RSS (MB)",
            st_cl["max_rss_kb"] / 1024, sk_pr and sk_pr["peak_rss_mb"],
            ft_or(ft_pr and ft_pr["peak_rss_mb"]), "mem")
        row(sec, "CPU use, whole process (200% = both cores)",
            st_cl["cpu_percent"], sk_pt and sk_pt["cpu_percent"], ft_or(ft_pt and ft_pt["cpu_percent"]), "pct")
    st_ca = timed(args.parts, "stance_classify_articles")
    st_na = P("stance_classify_articles_rows.txt")
    st_na = int(st_na) if st_na and st_na.isdigit() else None
    if st_ca:
        row(sec, "stance reading the same text as JSONL articles (each cleaned and split into sentences): "
            "whole process (s)", st_ca["wall_s"], sk_pr and sk_pr["predict_s"],
            ft_or(ft_pr and ft_pr["predict_s"]), "time")
        row(sec, "the same, sentences/s", st_na and st_na / st_ca["wall_s"],
            sk_pr and sk_pr["sentences"] / sk_pr["predict_s"],
            ft_or(ft_pr and ft_pr["sentences"] / ft_pr["predict_s"]), "rate")

    # --- word + character n-grams ---------------------------------------------------
    st_tc, sk_tc = timed(args.parts, "stance_train_chars"), P("sklearn_chars_train.json")
    ft_tc = P("fasttext_chars_train.json")
    st_cc = timed(args.parts, "stance_classify_chars")
    sk_cp, sk_ct = predicted(args.parts, "sklearn_chars_predict"), timed(args.parts, "sklearn_chars_predict")
    ft_cp, ft_ct = predicted(args.parts, "fasttext_chars_predict"), timed(args.parts, "fasttext_chars_predict")

    def ftc(v):
        return v if ft_tc else na_ft

    if st_tc or sk_tc:
        sec = (
            "Word 1–2 + character 2–5 grams: stance and scikit-learn (char_wb), balanced class weights, "
            "alpha 1 = C 1; fastText with subwords minn 2, maxn 5"
        )
        row(sec, "train time on train-5768 (s)", st_tc and st_tc["wall_s"], sk_tc and sk_tc["train_s"],
            ftc(ft_tc and ft_tc["train_s"]), "time")
        ev_c = P("stance_eval_chars.json")
        row(sec, "macro-F1 on test-5768", ev_c and ev_c["macro_f1"], sk_tc and sk_tc["macro_f1"],
            ftc(ft_tc and ft_tc["macro_f1"]), "score")
        if st_cc:
            row(sec, "classify: sentences/s (stance whole process; Python tools predict only)",
                st_n / st_cc["wall_s"], sk_cp and sk_cp["sentences"] / sk_cp["predict_s"],
                ftc(ft_cp and ft_cp["sentences"] / ft_cp["predict_s"]), "rate")
            row(sec, "classify: whole process (s)", st_cc["wall_s"], sk_ct and sk_ct["wall_s"],
                ftc(ft_ct and ft_ct["wall_s"]), "time")
            row(sec, "classify: peak RSS (MB)", st_cc["max_rss_kb"] / 1024, sk_cp and sk_cp["peak_rss_mb"],
                ftc(ft_cp and ft_cp["peak_rss_mb"]), "mem")

    # --- paired differences on the same test sentences ----------------------------
    st_pf = stance_predictions(args.parts, "stance_pred_fixed.csv", "stance_eval_fixed.json")
    st_pcv = stance_predictions(args.parts, "stance_pred_cv.csv", "stance_eval_cv.json")
    st_pc = stance_predictions(args.parts, "stance_pred_chars.csv", "stance_eval_chars.json")
    sk_p, sk_pc = P("sklearn_pred.json"), P("sklearn_chars_pred.json")
    ft_p, ft_pc = P("fasttext_pred.json"), P("fasttext_chars_pred.json")
    for name, preds in (("sklearn", sk_p), ("sklearn_chars", sk_pc), ("fasttext", ft_p), ("fasttext_chars", ft_pc)):
        printed = P(f"{name}_train.json")
        if preds and printed and abs(macro_f1(preds["truth"], preds["pred"]) - printed["macro_f1"]) > 1e-9:
            sys.exit(f"report.py: {name}_pred.json disagrees with the macro-F1 of {name}_train.json")
    if st_pf or st_pcv or st_pc:
        n_test = len((st_pf or st_pcv or st_pc)[0])
        sec = (
            f"macro-F1 of stance minus the other tool's on the same {n_test} test-5768 sentences, "
            f"with its 95% interval ({PAIRED_RESAMPLES} paired bootstrap resamples of the sentences)"
        )
        row(sec, "word 1–2 grams, fixed settings", None, paired_difference(st_pf, sk_p),
            paired_difference(st_pf, ft_p) if ft_p else na_ft, "str")
        if st_pcv:
            row(sec, "stance CV-selected model; the others with word 1–2 grams, fixed settings", None,
                paired_difference(st_pcv, sk_p), paired_difference(st_pcv, ft_p) if ft_p else na_ft, "str")
        row(sec, "word + character n-grams (the tools' settings as in that section)", None,
            paired_difference(st_pc, sk_pc), paired_difference(st_pc, ft_pc) if ft_pc else na_ft, "str")

    # --- big ---------------------------------------------------------------------
    big, prof = P("big.json"), P("stance_profile_big.time.json")
    if big and prof:
        sec = (
            f"Streaming `stance profile` over {big['jsonl_bytes'] / 2**30:.2f} GiB: "
            f"{big['articles']:,} articles, {big['sentences']:,} sentences"
        )
        mbps = big["text_bytes"] / MB / prof["wall_s"]
        row(sec, "profile wall time (s)", prof["wall_s"], None, None, "time")
        row(sec, "profile MB/s of article text", mbps, None, None, "rate")
        row(sec, "profile MB/s of JSONL input", big["jsonl_bytes"] / MB / prof["wall_s"], None, None, "rate")
        row(sec, "profile sentences/s", big["sentences"] / prof["wall_s"], None, None, "rate")
        row(sec, "profile peak RSS (MB)", prof["max_rss_kb"] / 1024, None, None, "mem")
        row(sec, "profile CPU use (%)", prof["cpu_percent"], None, None, "pct")
        # In memory: classify over the same kind of input (JSONL articles).
        in_mem_run = st_ca or st_cl
        if in_mem_run:
            in_mem = text_bytes / MB / in_mem_run["wall_s"]
            row(sec, f"ratio: profile MB/s ÷ classify MB/s on the {text_bytes / MB:.0f} MB JSONL corpus ({in_mem:.2f})",
                mbps / in_mem, None, None, "ratio")

    # --- output -------------------------------------------------------------------
    def ratio_cell(r):
        return "—" if r is None else f"{r:.2f}×"

    lines = [
        "# stance vs scikit-learn vs fastText",
        "",
        f"Machine: {machine.get('nproc')} cores, {machine.get('cpu')}, {machine.get('mem_gib')} GiB, "
        f"Linux {machine.get('kernel')}. Date (UTC): {machine.get('date')}.",
        f"Versions: {machine.get('stance_version')} (git {machine.get('git_commit')}, {machine.get('rustc')}), "
        f"Python {versions.get('python')}, scikit-learn {versions.get('sklearn')}, "
        f"NumPy {versions.get('numpy')}, fastText: {versions.get('fasttext') or 'not available'}.",
        "",
        "| measure | stance | scikit-learn | fastText | stance ÷ sklearn | stance ÷ fastText |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    current = None
    for r in rows:
        if r["section"] != current:
            current = r["section"]
            lines.append(f"| **{current}** | | | | | |")
        k = r["kind"]
        cell = lambda v: fmt(v, k)  # noqa: E731
        lines.append(
            f"| {r['measure']} | {cell(r['stance'])} | {cell(r['sklearn'])} | {cell(r['fasttext'])} "
            f"| {ratio_cell(r['stance_vs_sklearn'])} | {ratio_cell(r['stance_vs_fasttext'])} |"
        )
    lines += [
        "",
        "Ratios are stance's advantage: >1× means stance is better. For times and memory "
        "that is the other tool's figure ÷ stance's (how many times faster / smaller stance is); "
        "for throughput and macro-F1 it is stance's ÷ the other's.",
        "",
        "Setup: stance `train --alpha 0.1 --ngram-max 2 --min-df 1 --no-cv` (C = 1/alpha = 10); "
        "scikit-learn TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + "
        "LogisticRegression(C=10, max_iter=1000), single BLAS thread unless said otherwise, "
        "train time = vectorizer fit + LR fit; fastText supervised, 2 threads, wordNgrams=1, "
        "epoch=25, default lr, lowercased text. stance times are whole processes (read CSV/JSONL, "
        "write the model or the CSV to /dev/null); stance drops exact duplicate rows before "
        "training, the Python tools train on every row. stance classifies the file the Python tools "
        "read, one sentence per line (`classify --lines`: "
        f"{fmt(st_n, 'int')} sentences out for {fmt(n_in, 'int')} lines in); reading the same text as "
        "JSONL articles it also cleans each and splits it into sentences (some FOMC \"sentences\" "
        f"further: {fmt(st_na, 'int')} out).",
        "",
        "Word + character n-grams: stance `train --alpha 1 --ngram-max 2 --char-ngrams 2-5 --min-df 1 "
        "--class-weight balanced --no-cv`; scikit-learn FeatureUnion of TfidfVectorizer(ngram_range=(1, 2), "
        "sublinear_tf=True) and TfidfVectorizer(analyzer=\"char_wb\", ngram_range=(2, 5), sublinear_tf=True) + "
        "LogisticRegression(C=1, class_weight=\"balanced\", max_iter=1000); fastText as above with "
        "minn=2, maxn=5 (its subwords: character n-grams of each word, with its default 2 M hash buckets "
        "of 100 dimensions).",
    ]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    total = P("total_s.txt")
    repeat = int(P("repeat.txt") or 1)
    tail = []
    if repeat > 1:
        tail.append(
            f"Training times (fixed settings) and classification figures are medians of {repeat} runs "
            "(peak RSS: the largest); the CV search and `profile` ran once."
        )
    if total:
        tail.append(f"Benchmark run time: {int(total) / 60:.1f} min.")
    if tail:
        lines += [""] + tail
    md = "\n".join(lines) + "\n"

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(md)
    raw = {}
    for name in sorted(os.listdir(args.parts)):
        if name.endswith(".csv"):
            continue  # per-sentence predictions: summarized in the table
        v = P(name)
        raw[name] = v
    derived = {
        "stance_train_fixed": st_fixed,
        "stance_classify": st_cl,
        "stance_classify_articles": st_ca,
        "sklearn_predict": sk_pr,
        "sklearn_predict_process": sk_pt,
        "fasttext_predict": ft_pr,
        "fasttext_predict_process": ft_pt,
    }
    result = {
        "machine": machine,
        "versions": versions,
        "repeat": int(P("repeat.txt") or 1),
        "rows": rows,
        "medians": derived,
        "notes": notes,
        "raw": raw,
    }
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    sys.stdout.write(md)
    print(f"\n(written to {os.path.join(args.out, 'results.md')} and results.json)")


if __name__ == "__main__":
    main()
