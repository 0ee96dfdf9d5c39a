#!/usr/bin/env python3
"""Reference tools for benches/compare.sh: scikit-learn and fastText.

Subcommands (each prints one JSON object on stdout):

  train   --tool sklearn|fasttext --train CSV --test CSV --model-out PATH [--repeat N]
          [--pred-out JSON]
          Fit on the training CSV (columns sentence,label), time the fit
          (median of N fits), score macro-F1 on the test CSV, save the model
          (and the test predictions).
  predict --tool sklearn|fasttext --model PATH --text TXT
          Read one sentence per line, time raw text -> class probabilities
          for every line, report the peak RSS of this process.

Features, matched to `stance train --alpha 0.1 --ngram-max 2 --min-df 1`:
  scikit-learn  TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
                + LogisticRegression(C=10, max_iter=1000)
  --tool sklearn-chars, matched to `stance train --alpha 1 --ngram-max 2
  --char-ngrams 2-5 --min-df 1 --class-weight balanced`:
                FeatureUnion of TfidfVectorizer(ngram_range=(1, 2),
                sublinear_tf=True) and TfidfVectorizer(analyzer="char_wb",
                ngram_range=(2, 5), sublinear_tf=True)
                + LogisticRegression(C=1, class_weight="balanced", max_iter=1000)
  fastText      supervised, thread=2, wordNgrams=1, epoch=25, default lr,
                lowercased text, labels as __label__X
  --tool fasttext-chars: the same with minn=2, maxn=5 (character 2-5 grams
                of each word, marked at its edges: fastText's subwords)
"""

import time

T_PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [" ".join(r["sentence"].split()) for r in rows]
    labels = [r["label"].strip() for r in rows]
    return texts, labels


def peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def macro_f1(truth, pred):
    from sklearn.metrics import f1_score

    return float(f1_score(truth, pred, average="macro"))


def write_predictions(args, truth, pred):
    """--pred-out: the test rows' true and predicted labels, in file order,
    for the paired comparison of report.py."""
    if args.pred_out:
        with open(args.pred_out, "w", encoding="utf-8") as f:
            json.dump({"truth": list(truth), "pred": [str(p) for p in pred]}, f)


# --- scikit-learn -----------------------------------------------------------


def sklearn_pipeline(chars=False):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    if not chars:
        return Pipeline([("tfidf", words), ("lr", LogisticRegression(C=10, max_iter=1000))])
    both = FeatureUnion(
        [
            ("words", words),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    return Pipeline(
        [("tfidf", both), ("lr", LogisticRegression(C=1, class_weight="balanced", max_iter=1000))]
    )


def train_sklearn(args):
    import sklearn

    x_train, y_train = read_csv(args.train)
    x_test, y_test = read_csv(args.test)
    runs = []
    for _ in range(args.repeat):
        pipe = sklearn_pipeline(chars=args.tool == "sklearn-chars")
        t0 = time.perf_counter()
        pipe.fit(x_train, y_train)  # vectorizer fit + transform, then LR fit
        runs.append(time.perf_counter() - t0)
    pred = pipe.predict(x_test)
    write_predictions(args, y_test, pred)
    with open(args.model_out, "wb") as f:
        pickle.dump(pipe, f, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "tool": args.tool,
        "version": sklearn.__version__,
        "train_rows": len(x_train),
        "vocabulary": len(pipe.named_steps["tfidf"].get_feature_names_out()),
        "lr_iterations": int(max(pipe.named_steps["lr"].n_iter_)),
        "train_s": statistics.median(runs),
        "train_runs_s": runs,
        "test_rows": len(x_test),
        "macro_f1": macro_f1(y_test, pred),
    }


def predict_sklearn(args, lines):
    t_load = time.perf_counter()
    with open(args.model, "rb") as f:
        pipe = pickle.load(f)  # imports scikit-learn too
    t0 = time.perf_counter()
    proba = pipe.predict_proba(lines)  # vectorizer transform + predict_proba
    elapsed = time.perf_counter() - t0
    assert proba.shape == (len(lines), len(pipe.classes_))
    return t0 - t_load, elapsed, [str(c) for c in pipe.classes_]


# --- fastText ---------------------------------------------------------------


def fasttext_version():
    from importlib import metadata

    for dist in ("fasttext", "fasttext-wheel"):
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            pass
    return "unknown"


def ft_clean(text):
    # fastText reads one example per line; it lowercases nothing itself.
    return " ".join(text.split()).lower()


def train_fasttext(args):
    import fasttext

    x_train, y_train = read_csv(args.train)
    x_test, y_test = read_csv(args.test)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for x, y in zip(x_train, y_train):
            f.write(f"__label__{y} {ft_clean(x)}\n")
        train_file = f.name
    runs = []
    try:
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subwords = {"minn": 2, "maxn": 5} if args.tool == "fasttext-chars" else {}
            model = fasttext.train_supervised(
                input=train_file, thread=2, wordNgrams=1, epoch=25, verbose=0, **subwords
            )
            runs.append(time.perf_counter() - t0)
    finally:
        os.unlink(train_file)
    labels, _ = model.predict([ft_clean(x) for x in x_test], k=1)
    pred = [ls[0][len("__label__"):] for ls in labels]
    write_predictions(args, y_test, pred)
    model.save_model(args.model_out)
    return {
        "tool": args.tool,
        "version": fasttext_version(),
        "train_rows": len(x_train),
        "vocabulary": len(model.words),
        "train_s": statistics.median(runs),
        "train_runs_s": runs,
        "test_rows": len(x_test),
        "macro_f1": macro_f1(y_test, pred),
    }


def predict_fasttext(args, lines):
    t_load = time.perf_counter()
    import fasttext

    # Silence load_model's notice about its return type.
    sys.modules["fasttext.FastText"].eprint = lambda *a, **k: None
    model = fasttext.load_model(args.model)
    t0 = time.perf_counter()
    # k=-1: every label with its probability (batch API: the single-string
    # path of fasttext 0.9.x breaks under NumPy 2).
    labels, probs = model.predict([ft_clean(s) for s in lines], k=-1)
    elapsed = time.perf_counter() - t0
    assert len(probs) == len(lines)
    return t0 - t_load, elapsed, [lab[len("__label__"):] for lab in model.labels]


# --- main -------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--tool", choices=["sklearn", "sklearn-chars", "fasttext", "fasttext-chars"], required=True)
    t.add_argument("--train", required=True)
    t.add_argument("--test", required=True)
    t.add_argument("--model-out", required=True)
    t.add_argument("--repeat", type=int, default=1, help="fit this many times; report the median (the last model is kept)")
    t.add_argument("--pred-out", help="write the test rows' true and predicted labels (JSON) here")
    r = sub.add_parser("predict")
    r.add_argument("--tool", choices=["sklearn", "sklearn-chars", "fasttext", "fasttext-chars"], required=True)
    r.add_argument("--model", required=True)
    r.add_argument("--text", required=True)
    sub.add_parser("versions")
    args = p.parse_args()

    if args.cmd == "versions":
        out = {"python": sys.version.split()[0]}
        try:
            import sklearn

            out["sklearn"] = sklearn.__version__
        except ImportError:
            out["sklearn"] = None
        try:
            import fasttext  # noqa: F401

            out["fasttext"] = fasttext_version()
        except ImportError:
            out["fasttext"] = None
        try:
            import numpy

            out["numpy"] = numpy.__version__
        except ImportError:
            pass
    elif args.cmd == "train":
        out = (train_fasttext if args.tool.startswith("fasttext") else train_sklearn)(args)
    else:
        t_read = time.perf_counter()
        with open(args.text, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        read_s = time.perf_counter() - t_read
        text_bytes = sum(len(s.encode()) for s in lines)
        predict = predict_fasttext if args.tool.startswith("fasttext") else predict_sklearn
        load_s, elapsed, classes = predict(args, lines)
        out = {
            "tool": args.tool,
            "sentences": len(lines),
            "text_bytes": text_bytes,
            "classes": classes,
            "predict_s": elapsed,
            "read_s": read_s,
            "load_s": load_s,
            "startup_s": t_read - T_PROCESS_START,
            "in_process_s": time.perf_counter() - T_PROCESS_START,
            "peak_rss_mb": peak_rss_mb(),
        }
    json.dump(out, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
