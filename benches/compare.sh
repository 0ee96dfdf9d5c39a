#!/usr/bin/env bash
# Measure `stance` side by side with scikit-learn and fastText, on this
# machine, in one run: training time and macro-F1 on the external FOMC
# benchmark (../shared/fomc, read in place), classification throughput and
# peak memory on a generated corpus, and (with --big) streaming `profile`
# over a 1 GB article file. Prints a Markdown table with the ratios and
# writes results.md and results.json.
#
# Usage (from the repository root):
#   bash benches/compare.sh [--big] [--all-splits] [--skip-cv-search] [--repeat N]
#
#   --big             also generate (or reuse) a >= 1 GiB article JSONL and
#                     time `stance profile` over it
#   --all-splits      also train/score stance (fixed settings and default
#                     CV search) and scikit-learn on the FOMC splits 78516
#                     and 944601 (about 3 more minutes a split)
#   --skip-cv-search  leave out the full `stance train` with its
#                     cross-validated search (the slowest step, ~3 min)
#   --repeat N        time the short steps (fixed-settings training,
#                     classification) N times and report the median
#                     (default 3; the CV search and --big run once)
#
# Environment:
#   STANCE_BENCH_OUT   where results.md / results.json go (default: the run's
#                      temporary directory, printed at the start)
#   STANCE_BENCH_DATA  generated corpora, reused between runs
#                      (default ${TMPDIR:-/tmp}/stance-bench-data)
#   STANCE_BENCH_VENV  Python virtual environment with the reference tools
#                      (default ${TMPDIR:-/tmp}/stance-bench-venv)
#
# Everything generated is deterministic (fixed corpus, fixed seed); the
# timings are of course not. fastText trains with 2 threads (hogwild), so
# its model and F1 can vary slightly between runs.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

BIG=0 ALL_SPLITS=0 CV_SEARCH=1 REPEAT=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --big) BIG=1 ;;
    --all-splits) ALL_SPLITS=1 ;;
    --skip-cv-search) CV_SEARCH=0 ;;
    --repeat)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --repeat needs a positive integer" >&2; exit 2; }
      REPEAT=$2; shift ;;
    --repeat=*)
      REPEAT=${1#--repeat=}
      [[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --repeat needs a positive integer" >&2; exit 2; } ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
[[ -n ${STANCE_BENCH_OUT:-} ]] && STANCE_BENCH_OUT=$(abspath "$STANCE_BENCH_OUT")
[[ -n ${STANCE_BENCH_DATA:-} ]] && STANCE_BENCH_DATA=$(abspath "$STANCE_BENCH_DATA")
[[ -n ${STANCE_BENCH_VENV:-} ]] && STANCE_BENCH_VENV=$(abspath "$STANCE_BENCH_VENV")
cd "$ROOT"
FOMC=../shared/fomc                       # relative to the repository root
HERE=benches/compare
TMPBASE=${TMPDIR:-/tmp}
DATA=${STANCE_BENCH_DATA:-$TMPBASE/stance-bench-data}
VENV=${STANCE_BENCH_VENV:-$TMPBASE/stance-bench-venv}
tmp=$(mktemp -d "$TMPBASE/stance-bench.XXXXXX")
OUT=${STANCE_BENCH_OUT:-$tmp}
PARTS=$tmp/parts
mkdir -p "$PARTS" "$DATA" "$OUT"
T_START=$(date +%s)

log() { printf '== %s\n' "$*" >&2; }
note() { printf '%s\n' "$*" >> "$PARTS/notes.txt"; printf '   note: %s\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

log "run directory $tmp (results to $OUT)"
for f in train-5768.csv test-5768.csv; do
  [[ -f $FOMC/$f ]] || die "$FOMC/$f not found (the FOMC benchmark is expected at ../shared/fomc from the repository root)"
done

# --- tools ------------------------------------------------------------------

TIME=/usr/bin/time
if [[ ! -x $TIME ]]; then
  log "installing GNU time (Debian package 'time')"
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq >&2 && apt-get install -y -qq time >&2
  else
    sudo apt-get update -qq >&2 && sudo apt-get install -y -qq time >&2
  fi
  [[ -x $TIME ]] || die "/usr/bin/time is missing and could not be installed"
fi

# Busy CPU time of the whole machine so far, in clock ticks (/proc/stat:
# user nice system irq softirq steal; not idle or iowait).
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)

# run_timed NAME STDOUT CMD...: run CMD with its standard output to STDOUT,
# record wall time, peak RSS and CPU share in $PARTS/NAME.time.json, and the
# CPU time other processes used meanwhile (to flag a busy machine).
run_timed() {
  local name=$1 stdout=$2; shift 2
  local t0 t1 b0 b1 rc=0
  b0=$(busy_ticks)
  t0=$(date +%s%N)
  "$TIME" -f '%M %P %U %S' -o "$tmp/$name.rusage" "$@" > "$stdout" 2> "$tmp/$name.stderr" || rc=$?
  t1=$(date +%s%N)
  b1=$(busy_ticks)
  if [[ $rc -ne 0 ]]; then
    printf 'compare.sh: step %s failed (exit %s): %s\n' "$name" "$rc" "$*" >&2
    tail -n 20 "$tmp/$name.stderr" >&2
    return "$rc"
  fi
  local rss cpu usr sys
  read -r rss cpu usr sys < <(tail -n 1 "$tmp/$name.rusage")
  printf '{"wall_s": %s, "max_rss_kb": %s, "cpu_percent": %s, "cpu_s": %s, "other_cpu_s": %s}\n' \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" "$rss" "${cpu%\%}" \
    "$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" \
    "$(awk -v b0="$b0" -v b1="$b1" -v hz="$CLK_TCK" -v u="$usr" -v s="$sys" \
        'BEGIN { o = (b1 - b0) / hz - u - s; if (o < 0) o = 0; printf "%.2f", o }')" \
    > "$PARTS/$name.time.json"
  printf '   %s: %s\n' "$name" "$(cat "$PARTS/$name.time.json")" >&2
}

# --- stance -----------------------------------------------------------------

log "cargo build --release"
cargo build --release --quiet >&2
# Work on a copy, so a rebuild of target/release/stance during the run
# (by anyone) cannot change the binary between two measurements.
mkdir -p "$tmp/bin"
cp target/release/stance "$tmp/bin/stance"
STANCE=$tmp/bin/stance
log "$("$STANCE" --version)"

FIXED_CV=(--no-cv)
if ! "$STANCE" train --help | grep -q -- '--no-cv'; then
  if [[ ${STANCE_BENCH_ALLOW_FOLDS2:-0} == 1 ]]; then
    FIXED_CV=(--folds 2)
    note "stance train has no --no-cv yet: the fixed-settings training was timed with --folds 2 (2 extra fits), so its time is overstated"
  else
    die "stance train has no --no-cv flag (set STANCE_BENCH_ALLOW_FOLDS2=1 to time --folds 2 instead)"
  fi
fi

# --- Python reference tools -------------------------------------------------

log "Python environment $VENV"
REQ_HASH=$(cat "$HERE/requirements.txt" | sha256sum | cut -c1-16)
if [[ ! -x $VENV/bin/python || $(cat "$VENV/.stance-bench-req" 2>/dev/null) != "$REQ_HASH" ]]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2; then
    log "pinned versions did not install; trying the newest scikit-learn"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check scikit-learn >&2 \
      || die "could not install scikit-learn into $VENV"
    REQ_HASH=unpinned
  fi
  rm -f "$VENV/.stance-bench-fasttext"
  echo "$REQ_HASH" > "$VENV/.stance-bench-req"
fi
PY=$VENV/bin/python
HAVE_FT=0
if "$PY" -c 'import fasttext' 2>/dev/null; then
  HAVE_FT=1
elif [[ ! -f $VENV/.stance-bench-fasttext ]]; then
  for pkg in fasttext-wheel fasttext; do
    log "installing $pkg"
    if "$VENV/bin/pip" install --quiet --disable-pip-version-check "$pkg" >&2 \
        && "$PY" -c 'import fasttext' 2>/dev/null; then
      HAVE_FT=1
      break
    fi
    "$VENV/bin/pip" uninstall --yes --quiet "$pkg" >/dev/null 2>&1 || true
  done
  # Do not try (and fail) again on every run.
  [[ $HAVE_FT == 1 ]] || echo "neither fasttext-wheel nor fasttext installed" > "$VENV/.stance-bench-fasttext"
fi
if [[ $HAVE_FT == 0 ]]; then
  note "fastText not available: $(cat "$VENV/.stance-bench-fasttext" 2>/dev/null || echo 'import failed')"
fi
# scikit-learn single-threaded, like `stance train`: on this 2-core machine
# numpy's and scipy's OpenBLAS pools (2 threads each) oversubscribe the
# cores and slow its L-BFGS fit several-fold (measured separately below).
PYENV1=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1)

# --- machine and versions -----------------------------------------------------

"$PY" "$HERE/reference.py" versions > "$PARTS/versions.json"
{
  printf '{"nproc": %s, ' "$(nproc)"
  printf '"cpu": "%s", ' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/"/\\"/g')"
  printf '"mem_gib": %s, ' "$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
  printf '"kernel": "%s", ' "$(uname -r)"
  printf '"date": "%s", ' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '"stance_version": "%s", ' "$("$STANCE" --version)"
  printf '"rustc": "%s", ' "$(rustc --version)"
  printf '"git_commit": "%s"}\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$PARTS/machine.json"

# --- the sentence corpus --------------------------------------------------------

CORPUS=$DATA/fomc-sentences-x60.jsonl
log "sentence corpus $CORPUS"
if ! python3 "$HERE/gen_corpus.py" check --out "$CORPUS" --hash --expect repeat=60 \
      --expect "source=train-5768.csv" > "$PARTS/corpus.json" 2>/dev/null; then
  python3 "$HERE/gen_corpus.py" sentences --csv "$FOMC/train-5768.csv" --out "$CORPUS" --repeat 60 \
    > "$PARTS/corpus.json"
fi
CORPUS_TXT=${CORPUS%.jsonl}.txt

# --- 1 + 2: training time and macro-F1, split 5768 --------------------------------

log "train, fixed settings: stance (alpha 0.1 = C 10, word 1-2 grams, min_df 1, ${FIXED_CV[*]})"
for r in $(seq "$REPEAT"); do
  run_timed "stance_train_fixed.r$r" /dev/null "$STANCE" train --labels "$FOMC/train-5768.csv" --on-conflict keep \
    --out "$tmp/fomc-fixed.json" --force "${FIXED_CV[@]}" --alpha 0.1 --ngram-max 2 --min-df 1
done
grep -m1 -o '[0-9]* labeled sentences' "$tmp/stance_train_fixed.r1.stderr" | cut -d' ' -f1 \
  > "$PARTS/stance_train_rows.txt" || true
"$STANCE" eval --model "$tmp/fomc-fixed.json" --test "$FOMC/test-5768.csv" --format json \
  --predictions "$PARTS/stance_pred_fixed.csv" > "$PARTS/stance_eval_fixed.json"

log "train, fixed settings: scikit-learn (TfidfVectorizer 1-2 grams sublinear_tf + LogisticRegression C=10)"
"${PYENV1[@]}" "$PY" "$HERE/reference.py" train --tool sklearn --train "$FOMC/train-5768.csv" \
  --test "$FOMC/test-5768.csv" --model-out "$tmp/sklearn.pkl" --repeat "$REPEAT" \
  --pred-out "$PARTS/sklearn_pred.json" > "$PARTS/sklearn_train.json"
cat "$PARTS/sklearn_train.json" >&2
log "train, fixed settings: scikit-learn with its default BLAS threads"
"$PY" "$HERE/reference.py" train --tool sklearn --train "$FOMC/train-5768.csv" \
  --test "$FOMC/test-5768.csv" --model-out "$tmp/sklearn-threads.pkl" > "$PARTS/sklearn_train_threads.json"
cat "$PARTS/sklearn_train_threads.json" >&2

if [[ $HAVE_FT == 1 ]]; then
  log "train: fastText (supervised, 2 threads, wordNgrams 1, epoch 25)"
  if "$PY" "$HERE/reference.py" train --tool fasttext --train "$FOMC/train-5768.csv" \
      --test "$FOMC/test-5768.csv" --model-out "$tmp/fasttext.bin" --repeat "$REPEAT" \
      --pred-out "$PARTS/fasttext_pred.json" \
      > "$tmp/fasttext_train.json" 2> "$tmp/fasttext_train.stderr"; then
    mv "$tmp/fasttext_train.json" "$PARTS/fasttext_train.json"
    cat "$PARTS/fasttext_train.json" >&2
  else
    HAVE_FT=0
    note "fastText not available: training failed ($(tail -n 1 "$tmp/fasttext_train.stderr"))"
  fi
fi

if [[ $CV_SEARCH == 1 ]]; then
  log "train with CV search: stance defaults (this is the slow step)"
  run_timed stance_train_cv "$tmp/stance_train_cv.stdout" "$STANCE" train --labels "$FOMC/train-5768.csv" \
    --on-conflict keep --out "$tmp/fomc-default.json" --force
  grep -h -m1 'selected alpha' "$tmp/stance_train_cv.stdout" "$tmp/stance_train_cv.stderr" \
    | sed 's/^stance: //' | head -n 1 > "$PARTS/stance_cv_selected.txt" || true
  grep -h -o 'trying [0-9]* settings with [0-9]*-fold' "$tmp/stance_train_cv.stdout" "$tmp/stance_train_cv.stderr" \
    | head -n 1 > "$PARTS/stance_cv_grid.txt" || true
  "$STANCE" eval --model "$tmp/fomc-default.json" --test "$FOMC/test-5768.csv" --format json \
    --predictions "$PARTS/stance_pred_cv.csv" > "$PARTS/stance_eval_cv.json"
fi

# --- 1 + 2 with character n-grams: the same features in both tools ---------------

log "train, word + character n-grams, fixed settings: stance (alpha 1, word 1-2 + char 2-5 grams, min_df 1, balanced)"
for r in $(seq "$REPEAT"); do
  run_timed "stance_train_chars.r$r" /dev/null "$STANCE" train --labels "$FOMC/train-5768.csv" --on-conflict keep \
    --out "$tmp/fomc-chars.json" --force "${FIXED_CV[@]}" --alpha 1 --ngram-max 2 --char-ngrams 2-5 --min-df 1 \
    --class-weight balanced
done
"$STANCE" eval --model "$tmp/fomc-chars.json" --test "$FOMC/test-5768.csv" --format json \
  --predictions "$PARTS/stance_pred_chars.csv" > "$PARTS/stance_eval_chars.json"
log "train, word + character n-grams: scikit-learn (FeatureUnion word 1-2 + char_wb 2-5, C=1, balanced)"
"${PYENV1[@]}" "$PY" "$HERE/reference.py" train --tool sklearn-chars --train "$FOMC/train-5768.csv" \
  --test "$FOMC/test-5768.csv" --model-out "$tmp/sklearn-chars.pkl" --repeat "$REPEAT" \
  --pred-out "$PARTS/sklearn_chars_pred.json" \
  > "$PARTS/sklearn_chars_train.json"
cat "$PARTS/sklearn_chars_train.json" >&2
if [[ $HAVE_FT == 1 ]]; then
  log "train, character n-grams: fastText (subwords minn 2, maxn 5)"
  "$PY" "$HERE/reference.py" train --tool fasttext-chars --train "$FOMC/train-5768.csv" \
    --test "$FOMC/test-5768.csv" --model-out "$tmp/fasttext-chars.bin" --repeat "$REPEAT" \
    --pred-out "$PARTS/fasttext_chars_pred.json" \
    > "$PARTS/fasttext_chars_train.json"
  cat "$PARTS/fasttext_chars_train.json" >&2
fi

# --- 3: classification throughput -------------------------------------------------

# stance reads the same file as the Python tools, one sentence per line
# (`classify --lines`); it also classifies the JSONL articles (one per
# line: each is cleaned and split into sentences too), the in-memory
# figure for the streaming `profile` test below.
log "classify: stance, warm-up runs counting their output rows"
"$STANCE" classify --lines "$CORPUS_TXT" --model "$tmp/fomc-fixed.json" --format csv \
  | python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)' > "$PARTS/stance_classify_rows.txt"
"$STANCE" classify "$CORPUS" --model "$tmp/fomc-fixed.json" --format csv \
  | python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)' > "$PARTS/stance_classify_articles_rows.txt"
log "classify: stance, timed x$REPEAT ($(cat "$PARTS/stance_classify_rows.txt") sentences out)"
for r in $(seq "$REPEAT"); do
  run_timed "stance_classify.r$r" /dev/null "$STANCE" classify --lines "$CORPUS_TXT" --model "$tmp/fomc-fixed.json" \
    --format csv
  run_timed "stance_classify_articles.r$r" /dev/null "$STANCE" classify "$CORPUS" --model "$tmp/fomc-fixed.json" \
    --format csv
done

log "classify: scikit-learn predict_proba, x$REPEAT"
for r in $(seq "$REPEAT"); do
  run_timed "sklearn_predict.r$r" "$PARTS/sklearn_predict.r$r.json" "${PYENV1[@]}" "$PY" "$HERE/reference.py" \
    predict --tool sklearn --model "$tmp/sklearn.pkl" --text "$CORPUS_TXT"
done
if [[ $HAVE_FT == 1 ]]; then
  log "classify: fastText predict(k=-1), x$REPEAT"
  for r in $(seq "$REPEAT"); do
    if ! run_timed "fasttext_predict.r$r" "$PARTS/fasttext_predict.r$r.json" "$PY" "$HERE/reference.py" \
        predict --tool fasttext --model "$tmp/fasttext.bin" --text "$CORPUS_TXT"; then
      rm -f "$PARTS"/fasttext_predict.*
      note "fastText prediction failed: $(tail -n 1 "$tmp/fasttext_predict.r$r.stderr")"
      break
    fi
  done
fi

log "classify with word + character n-grams: stance and scikit-learn, x$REPEAT"
for r in $(seq "$REPEAT"); do
  run_timed "stance_classify_chars.r$r" /dev/null "$STANCE" classify --lines "$CORPUS_TXT" \
    --model "$tmp/fomc-chars.json" --format csv
  run_timed "sklearn_chars_predict.r$r" "$PARTS/sklearn_chars_predict.r$r.json" "${PYENV1[@]}" "$PY" \
    "$HERE/reference.py" predict --tool sklearn-chars --model "$tmp/sklearn-chars.pkl" --text "$CORPUS_TXT"
  if [[ $HAVE_FT == 1 ]]; then
    run_timed "fasttext_chars_predict.r$r" "$PARTS/fasttext_chars_predict.r$r.json" "$PY" "$HERE/reference.py" \
      predict --tool fasttext-chars --model "$tmp/fasttext-chars.bin" --text "$CORPUS_TXT"
  fi
done

# --- optional: the other two splits -------------------------------------------------

if [[ $ALL_SPLITS == 1 ]]; then
  for split in 78516 944601; do
    for f in "train-$split.csv" "test-$split.csv"; do
      [[ -f $FOMC/$f ]] || die "$FOMC/$f not found"
    done
    log "split $split: stance, fixed settings"
    run_timed "stance_train_fixed_$split" /dev/null "$STANCE" train --labels "$FOMC/train-$split.csv" \
      --on-conflict keep --out "$tmp/fomc-fixed-$split.json" --force "${FIXED_CV[@]}" \
      --alpha 0.1 --ngram-max 2 --min-df 1
    "$STANCE" eval --model "$tmp/fomc-fixed-$split.json" --test "$FOMC/test-$split.csv" --format json \
      > "$PARTS/stance_eval_fixed_$split.json"
    if [[ $CV_SEARCH == 1 ]]; then
      log "split $split: stance defaults (CV search)"
      run_timed "stance_train_cv_$split" /dev/null "$STANCE" train --labels "$FOMC/train-$split.csv" \
        --on-conflict keep --out "$tmp/fomc-default-$split.json" --force
      "$STANCE" eval --model "$tmp/fomc-default-$split.json" --test "$FOMC/test-$split.csv" --format json \
        > "$PARTS/stance_eval_cv_$split.json"
    fi
    log "split $split: scikit-learn"
    "${PYENV1[@]}" "$PY" "$HERE/reference.py" train --tool sklearn --train "$FOMC/train-$split.csv" \
      --test "$FOMC/test-$split.csv" --model-out "$tmp/sklearn-$split.pkl" > "$PARTS/sklearn_train_$split.json"
  done
fi

# --- 4 (--big): streaming profile over >= 1 GiB ----------------------------------------

if [[ $BIG == 1 ]]; then
  BIGF=$DATA/fomc-articles-1g.jsonl
  log "big article corpus $BIGF"
  if ! python3 "$HERE/gen_corpus.py" check --out "$BIGF" --hash --expect target_bytes=$((1 << 30)) \
        --expect seed=20240611 --expect "source=train-5768.csv" > "$PARTS/big.json" 2>/dev/null; then
    log "generating $BIGF (>= 1 GiB, streaming; about a minute)"
    df_avail=$(df -Pk "$DATA" | awk 'NR == 2 { print $4 }')
    (( df_avail > 2 * 1024 * 1024 )) || die "less than 2 GiB free in $DATA"
    g0=$(date +%s)
    python3 "$HERE/gen_corpus.py" articles --csv "$FOMC/train-5768.csv" --out "$BIGF" \
      --bytes $((1 << 30)) --seed 20240611 > "$PARTS/big.json"
    note "generated $BIGF in $(( $(date +%s) - g0 )) s (reused by later runs)"
  else
    note "reused $BIGF (size and SHA-256 match its marker)"
  fi
  # Both paths have just read or written the whole file: it is in the page
  # cache (24 GB of memory), so profile reads it from memory, not disk.
  log "profile: stance over $(du -h "$BIGF" | cut -f1) (several minutes)"
  run_timed stance_profile_big /dev/null "$STANCE" profile "$BIGF" --model "$tmp/fomc-fixed.json" --format jsonl
fi

# --- report ---------------------------------------------------------------------------

echo $(( $(date +%s) - T_START )) > "$PARTS/total_s.txt"
echo "$REPEAT" > "$PARTS/repeat.txt"
log "report"
python3 "$HERE/report.py" --parts "$PARTS" --out "$OUT"
