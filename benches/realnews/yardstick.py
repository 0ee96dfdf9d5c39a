"""The real-news yardstick (see benches/realnews.sh): sentence scores, article
rankings by net stance for each share estimate, and the seed articles left out
one at a time. Standard library only."""

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

METHODS = ["count", "mean", "adjusted", "em"]


def run(cmd, stdin=None):
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"yardstick: {' '.join(cmd)} failed:\n{done.stderr}")
    return done.stdout


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a, b):
    """Pearson correlation of the ranks (ties get their mean rank)."""
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))
    return num / den if den else float("nan")


def sentences_section(args):
    print("== 1. realnews-dev sentences (stance eval --test)\n")
    table = run([args.stance, "eval", "--model", args.model, "--test", f"{args.dev}/labels.csv"])
    print(table)
    return json.loads(run([args.stance, "eval", "--model", args.model,
                           "--test", f"{args.dev}/labels.csv", "--format", "json"]))


def articles_section(args):
    print("== 2. realnews-dev articles: net stance against the gold labels\n")
    rows = list(csv.DictReader(open(f"{args.dev}/labels.csv", encoding="utf-8")))
    gold = {r["article"]: r for r in csv.DictReader(open(f"{args.dev}/articles.csv", encoding="utf-8"))}
    by_article = {}
    for r in rows:
        by_article.setdefault(r["article"], []).append(r["sentence"])
    # Each article is its labeled sentences, one paragraph each, so that the
    # profile reads the sentences that were labeled.
    jsonl = "".join(
        json.dumps({"id": a, "text": "\n\n".join(s), "outlet": gold[a]["outlet"]}) + "\n"
        for a, s in by_article.items()
    )
    labels = sorted({r["label"] for r in rows})
    total = len(rows)
    gold_corpus = {l: sum(r["label"] == l for r in rows) / total for l in labels}
    gold_net = [float(gold[a]["net_stance"]) for a in by_article]
    results = {}
    model = json.load(open(args.model, encoding="utf-8"))
    head = next(h for h in model["heads"] if h["task"] == "stance")
    print(f"{'shares':<9} {'rho':>6} {'MAE net':>8}   corpus shares (gold: "
          + ", ".join(f"{l} {gold_corpus[l]:.3f}" for l in labels) + ")")
    for method in METHODS:
        if method == "adjusted" and not head.get("cross_validation"):
            print(f"{method:<9} (the model was trained without cross-validation: no confusion matrix to adjust by)")
            continue
        out = run([args.stance, "profile", "--model", args.model, "--format", "jsonl",
                   "--shares", method, "-"], stdin=jsonl)
        profiles = {p["article"]: p for p in map(json.loads, out.splitlines())}
        mismatched = [a for a, s in by_article.items() if profiles[a]["sentences"] != len(s)]
        net = [profiles[a]["net_stance"] for a in by_article]
        rho = spearman(net, gold_net)
        mae = sum(abs(x - y) for x, y in zip(net, gold_net)) / len(net)
        n = sum(profiles[a]["sentences"] for a in by_article)
        corpus = {l: sum(profiles[a]["shares"][l] * profiles[a]["sentences"] for a in by_article) / n
                  for l in labels}
        results[method] = {"rho": rho, "mae": mae, "corpus": corpus}
        note = f"  ({len(mismatched)} article(s) split into other sentences)" if mismatched else ""
        print(f"{method:<9} {rho:>6.3f} {mae:>8.3f}   "
              + ", ".join(f"{l} {corpus[l]:.3f}" for l in labels) + note)
    print()
    return results


def settings_args(model_path):
    """The model's training files and its stance head's settings, as `stance
    eval --labels` arguments that train exactly one setting."""
    m = json.load(open(model_path, encoding="utf-8"))
    s = m["features"]["settings"]
    head = next(h for h in m["heads"] if h["task"] == "stance")
    hp = head["hyperparameters"]
    chars = s.get("char_ngrams")
    target = s.get("target") or {}
    out = []
    for f in m["training"]["files"]:
        out += ["--labels", f["path"]]
    command = m["training"]["command"].split()
    for flag in ["--on-conflict", "--classes"]:
        if flag in command:
            out += [flag, command[command.index(flag) + 1]]
    out += ["--alpha", repr(hp["alpha"]), "--ngram-max", str(s["ngram_max"]),
            "--char-ngrams", f"{chars[0]}-{chars[1]}" if chars else "none",
            "--negation-scope", str(s.get("negation_scope", False)).lower(),
            "--min-df", str(s["min_df"]), "--class-weight", hp.get("class_weight", "none"),
            "--target-window", str(target.get("window", 0)),
            "--speakers", str(target.get("speakers", False)).lower(),
            "--cues", str(target.get("cues", False)).lower(),
            "--tol", repr(hp["gradient_tolerance"]), "--max-iter", str(hp["max_iterations"])]
    if s.get("max_features"):
        out += ["--max-features", str(s["max_features"])]
    if target:
        lexicon = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8")
        lex = target["lexicon"]
        lexicon.write(f"name: {lex['name']}\n")
        for key in ["target", "speech", "pronouns", "pressure", "engagement"]:
            if lex.get(key):
                lexicon.write(f"{key}: {' '.join(lex[key])}\n")
        lexicon.close()
        out += ["--target-lexicon", lexicon.name]
    return out


def seeds_section(args):
    print("== 3. seed articles, each left out in turn (the model's settings, retrained without it)\n")
    cmd = [args.stance, "eval", *settings_args(args.model), "--cv-by", "article",
           "--hold-out-source", "seed", "--quiet", "--format", "json"]
    result = json.loads(run(cmd))
    print(f"{'held out':<28} {'n':>5} {'accuracy':>9} {'macro-F1':>9}")
    for fold in result["folds"]:
        print(f"{fold['fold']:<28} {fold['n']:>5} {fold['accuracy']:>9.3f} {fold['macro_f1']:>9.3f}")
    pooled = result["pooled"]
    print(f"\npooled: {pooled['n']} sentences, accuracy {pooled['accuracy']:.3f}, macro-F1 {pooled['macro_f1']:.3f}")
    labels = pooled["confusion"]["labels"]
    print("confusion (rows: true, columns: predicted): " + ", ".join(labels))
    for label, row in zip(labels, pooled["confusion"]["matrix"]):
        print(f"  {label:<14}" + "".join(f"{v:>8}" for v in row))
    print()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--stance", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--dev", required=True)
    args = p.parse_args()
    sentences = sentences_section(args)
    articles = articles_section(args)
    seeds = seeds_section(args)
    iv = sentences["intervals"]
    print("== summary\n")
    print(f"realnews-dev macro-F1 {sentences['macro_f1']:.3f} "
          f"(95% interval {iv['macro_f1'][0]:.3f}-{iv['macro_f1'][1]:.3f}), "
          f"accuracy {sentences['accuracy']:.3f}, "
          f"neutral recall {sentences['per_class']['neutral']['recall']:.3f}")
    print("article net stance, Spearman's rho: "
          + ", ".join(f"{m} {articles[m]['rho']:.3f}" for m in METHODS if m in articles))
    print(f"seed articles left out one at a time: macro-F1 {seeds['pooled']['macro_f1']:.3f} "
          f"({seeds['pooled']['n']} sentences)")


if __name__ == "__main__":
    main()
