#!/usr/bin/env python3
"""Deterministic benchmark corpora built from the FOMC sentences.

Two kinds of output, both fully determined by the input CSV and the
arguments (no clock, no Python hash seed, no `random` module: a fixed
SplitMix64 generator drives every choice):

  sentences  OUT.jsonl + OUT.txt: the CSV's sentences repeated REPEAT times,
             one JSON object per sentence {"id": "s<N>", "text": ...} and the
             same sentences one per line for the Python tools.
  articles   OUT.jsonl of at least BYTES bytes: one article a line,
             {"id": "a<N>", "outlet": <one of 4>, "text": 20-60 sentences
             joined by spaces}, written streaming (only the sentence list
             is held in memory).

Each output gets a marker OUT.jsonl.meta.json with the parameters, sizes
and SHA-256 of what was written; `check` compares a file against its
marker so a large corpus can be reused between runs.
"""

import argparse
import csv
import hashlib
import json
import os
import sys

GENERATOR_VERSION = 1
OUTLETS = ["Northern Ledger", "Harbor Times", "Capital Wire", "Plains Courier"]
MASK64 = (1 << 64) - 1


class SplitMix64:
    """Small, well-known PRNG; identical output on every Python version."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        """Uniform integer in [0, n) by rejection (no modulo bias)."""
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n


def read_sentences(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    sentences = []
    for r in rows:
        # One sentence per line in the text file: fold any line breaks.
        s = " ".join(r["sentence"].split())
        if s:
            sentences.append(s)
    if not sentences:
        sys.exit(f"gen_corpus: no sentences in {path}")
    return sentences


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_marker(out, meta):
    tmp = out + ".meta.json.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, out + ".meta.json")


def gen_sentences(args):
    sentences = read_sentences(args.csv)
    jsonl, txt = args.out, os.path.splitext(args.out)[0] + ".txt"
    hj, ht = hashlib.sha256(), hashlib.sha256()
    n = text_bytes = 0
    with open(jsonl + ".tmp", "wb") as fj, open(txt + ".tmp", "wb") as ft:
        for _ in range(args.repeat):
            for s in sentences:
                n += 1
                line = (json.dumps({"id": f"s{n}", "text": s}, ensure_ascii=False) + "\n").encode()
                raw = s.encode()
                text_bytes += len(raw)
                fj.write(line)
                hj.update(line)
                ft.write(raw + b"\n")
                ht.update(raw + b"\n")
    os.replace(jsonl + ".tmp", jsonl)
    os.replace(txt + ".tmp", txt)
    meta = {
        "kind": "sentences",
        "generator_version": GENERATOR_VERSION,
        "source": os.path.basename(args.csv),
        "source_sentences": len(sentences),
        "repeat": args.repeat,
        "sentences": n,
        "text_bytes": text_bytes,
        "jsonl_bytes": os.path.getsize(jsonl),
        "jsonl_sha256": hj.hexdigest(),
        "txt": os.path.basename(txt),
        "txt_bytes": os.path.getsize(txt),
        "txt_sha256": ht.hexdigest(),
    }
    write_marker(jsonl, meta)
    json.dump(meta, sys.stdout, indent=2, sort_keys=True)
    print()


def gen_articles(args):
    sentences = read_sentences(args.csv)
    rng = SplitMix64(args.seed)
    h = hashlib.sha256()
    written = articles = n_sent = text_bytes = 0
    buf, buf_len = [], 0
    with open(args.out + ".tmp", "wb") as f:
        while written < args.bytes:
            articles += 1
            k = 20 + rng.below(41)  # 20..60 sentences
            text = " ".join(sentences[rng.below(len(sentences))] for _ in range(k))
            outlet = OUTLETS[rng.below(len(OUTLETS))]
            line = (
                json.dumps({"id": f"a{articles}", "outlet": outlet, "text": text}, ensure_ascii=False) + "\n"
            ).encode()
            n_sent += k
            text_bytes += len(text.encode())
            written += len(line)
            buf.append(line)
            buf_len += len(line)
            if buf_len >= 1 << 22:  # flush every ~4 MB
                chunk = b"".join(buf)
                f.write(chunk)
                h.update(chunk)
                buf, buf_len = [], 0
        chunk = b"".join(buf)
        f.write(chunk)
        h.update(chunk)
    os.replace(args.out + ".tmp", args.out)
    meta = {
        "kind": "articles",
        "generator_version": GENERATOR_VERSION,
        "source": os.path.basename(args.csv),
        "source_sentences": len(sentences),
        "seed": args.seed,
        "target_bytes": args.bytes,
        "articles": articles,
        "sentences": n_sent,
        "text_bytes": text_bytes,
        "jsonl_bytes": os.path.getsize(args.out),
        "jsonl_sha256": h.hexdigest(),
    }
    write_marker(args.out, meta)
    json.dump(meta, sys.stdout, indent=2, sort_keys=True)
    print()


def check(args):
    """Exit 0 if OUT exists and matches its marker and the wanted parameters."""
    marker = args.out + ".meta.json"
    try:
        with open(marker, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        print(f"gen_corpus: no marker for {args.out}", file=sys.stderr)
        return 1
    want = {"generator_version": GENERATOR_VERSION}
    for kv in args.expect:
        k, _, v = kv.partition("=")
        want[k] = int(v) if v.lstrip("-").isdigit() else v
    for k, v in want.items():
        if meta.get(k) != v:
            print(f"gen_corpus: {args.out}: marker has {k}={meta.get(k)!r}, want {v!r}", file=sys.stderr)
            return 1
    files = [(args.out, "jsonl")]
    if "txt" in meta:
        files.append((os.path.join(os.path.dirname(args.out), meta["txt"]), "txt"))
    for path, key in files:
        if not os.path.exists(path) or os.path.getsize(path) != meta[f"{key}_bytes"]:
            print(f"gen_corpus: {path}: missing or wrong size", file=sys.stderr)
            return 1
        if args.hash and file_sha256(path) != meta[f"{key}_sha256"]:
            print(f"gen_corpus: {path}: SHA-256 differs from the marker", file=sys.stderr)
            return 1
    json.dump(meta, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sentences", help="sentence-per-line JSONL + TXT")
    s.add_argument("--csv", required=True)
    s.add_argument("--out", required=True, help="OUT.jsonl (OUT.txt is written beside it)")
    s.add_argument("--repeat", type=int, default=60)
    a = sub.add_parser("articles", help="large article JSONL, streamed")
    a.add_argument("--csv", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--bytes", type=int, default=1 << 30, help="minimum size in bytes (default 1 GiB)")
    a.add_argument("--seed", type=int, default=20240611)
    c = sub.add_parser("check", help="does OUT match its marker?")
    c.add_argument("--out", required=True)
    c.add_argument("--hash", action="store_true", help="also recompute the SHA-256")
    c.add_argument("--expect", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args()
    if args.cmd == "sentences":
        gen_sentences(args)
    elif args.cmd == "articles":
        gen_articles(args)
    else:
        sys.exit(check(args))


if __name__ == "__main__":
    main()
