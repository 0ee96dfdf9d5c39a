#!/usr/bin/env bash
# The real-news yardstick: how a model judges real reporting it never saw.
#
# Prints, for one model:
#   1. on ../shared/realnews-dev/labels.csv (195 sentences of 18 real 2016
#      articles from 18 outlets): macro-F1 with its 95% bootstrap interval,
#      per-class precision / recall / F1 and the confusion (`stance eval`);
#   2. per article: the model's net stance (share hawkish − share
#      conciliatory) against the gold one of articles.csv, as Spearman's rho
#      over the 18 articles and mean absolute error, for each way of
#      estimating shares (`stance profile --shares`), with the corpus-wide
#      shares against the gold ones;
#   3. the five seed articles left out one at a time: the model's own
#      settings retrained on its training files without the held-out
#      article (`stance eval --cv-by article --hold-out-source seed`).
#
# The dev set is for evaluation only (read its README): never train on it.
#
# Usage (from the repository root):
#   bash benches/realnews.sh [MODEL]     default: models/default.json
#
# Environment:
#   STANCE_REALNEWS_DEV   the dev set's folder (default ../shared/realnews-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/default.json}
dev=${STANCE_REALNEWS_DEV:-../shared/realnews-dev}
if [[ ! -f "$dev/labels.csv" || ! -f "$dev/articles.csv" ]]; then
  echo "realnews.sh: no dev set at $dev (labels.csv, articles.csv); set STANCE_REALNEWS_DEV" >&2
  exit 1
fi
if [[ ! -f "$model" ]]; then
  echo "realnews.sh: no model file at $model" >&2
  exit 1
fi
cargo build --release --quiet
exec python3 benches/realnews/yardstick.py --stance target/release/stance --model "$model" --dev "$dev"
