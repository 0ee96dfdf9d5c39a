//! Training: labeled sentences → TF-IDF → multinomial logistic regression
//! (linfa-logistic), with the regularization and feature settings chosen by
//! cross-validation.
//!
//! Folds are grouped by article when rows name one (no sentence of a held-out
//! article is seen in training), stratified by label otherwise. In every fold
//! the vectorizer is refitted on the training part only. Each fit runs in the
//! row space of its training matrix ([`super::rowspace`]), which is exact and
//! keeps linfa's dense matrices small.

use super::rowspace::RowSpace;
use super::{ClassWeight, Convergence, CvReport, GridPoint, HeadFile, Hyperparameters};
use crate::analyze::Tokens;
use crate::error::{Error, Result};
use crate::eval::Metrics;
use crate::features::{SparseRows, Tfidf, TfidfSettings};
use crate::labels::{normalize_text, LabeledRow};
use crate::target::{Lexicon, TargetSettings};
use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Labeled sentences ready for training: tokenized, labels as class indices.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub texts: Vec<String>,
    pub tokens: Vec<Tokens>,
    pub y: Vec<usize>,
    pub classes: Vec<String>,
    /// The article each row comes from, if known: rows of one article are
    /// never split across training and test.
    pub groups: Vec<Option<String>>,
    /// Where each row comes from (the label file's `source` column), if known.
    pub sources: Vec<Option<String>>,
}

/// What to do when the same sentence carries different labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    #[default]
    Error,
    /// The row read last wins.
    Last,
    /// Keep both rows: the sentence is genuinely ambiguous, and the model
    /// sees it as such (what scikit-learn does with such data).
    Keep,
}

/// Merge rows of one or more label files: exact duplicates (after whitespace
/// and quote normalization) are kept once with a warning; conflicting labels
/// are an error naming both places, unless `on_conflict` is `Last`.
pub fn merge_rows(
    rows: Vec<LabeledRow>,
    on_conflict: OnConflict,
    warnings: &mut Vec<String>,
) -> Result<Vec<LabeledRow>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut merged: Vec<LabeledRow> = Vec::new();
    let mut duplicates = 0;
    for row in rows {
        let key = normalize_text(&row.text);
        match seen.get(&key) {
            None => {
                seen.insert(key, merged.len());
                merged.push(row);
            }
            Some(&i) if merged[i].label == row.label => {
                duplicates += 1;
                if duplicates <= 3 {
                    warnings.push(format!("{}: duplicate of {}, kept once", row.at, merged[i].at));
                }
            }
            Some(&i) => match on_conflict {
                OnConflict::Keep => {
                    warnings.push(format!(
                        "{}: label '{}' differs from '{}' at {}; both kept (--on-conflict keep)",
                        row.at, row.label, merged[i].label, merged[i].at
                    ));
                    merged.push(row);
                }
                OnConflict::Last => {
                    warnings.push(format!(
                        "{}: label '{}' replaces '{}' from {} (--on-conflict last)",
                        row.at, row.label, merged[i].label, merged[i].at
                    ));
                    merged[i] = row;
                }
                OnConflict::Error => {
                    return Err(Error::input(
                        row.at.clone(),
                        format!(
                            "sentence labeled '{}' here but '{}' at {}; fix one, or pass --on-conflict last (later wins) or keep (both kept)",
                            row.label, merged[i].label, merged[i].at
                        ),
                    ))
                }
            },
        }
    }
    if duplicates > 3 {
        warnings.push(format!(
            "{duplicates} duplicate sentences in all, each kept once"
        ));
    }
    Ok(merged)
}

impl Dataset {
    /// Build from merged rows. `classes`, if given, is the allowed label set;
    /// otherwise it is every label present, and a label seen only once is
    /// taken for a typo.
    pub fn from_rows(rows: &[LabeledRow], classes: Option<&[String]>) -> Result<Dataset> {
        let mut counts: BTreeMap<&str, (usize, &LabeledRow)> = BTreeMap::new();
        for row in rows {
            counts.entry(row.label.as_str()).or_insert((0, row)).0 += 1;
        }
        let classes: Vec<String> = match classes {
            Some(allowed) => {
                for row in rows {
                    if !allowed.contains(&row.label) {
                        return Err(Error::input(
                            row.at.clone(),
                            format!(
                                "unknown label '{}': allowed are {}",
                                row.label,
                                allowed.join(", ")
                            ),
                        ));
                    }
                }
                allowed.to_vec()
            }
            None => {
                for (label, (count, first)) in &counts {
                    if *count < 2 {
                        return Err(Error::input(
                            first.at.clone(),
                            format!(
                                "unknown label '{label}': it occurs only once (a typo?); fix it, or list the labels with --classes"
                            ),
                        ));
                    }
                }
                counts.keys().map(|s| s.to_string()).collect()
            }
        };
        if classes.len() < 2 {
            return Err(Error::Training(format!(
                "need at least two labels to train, found {}",
                classes.join(", ")
            )));
        }
        let index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let texts: Vec<String> = rows.iter().map(|r| r.text.clone()).collect();
        Ok(Dataset {
            tokens: crate::features::tokenize_all(&texts),
            texts,
            y: rows.iter().map(|r| index[r.label.as_str()]).collect(),
            classes,
            groups: rows.iter().map(|r| r.article.clone()).collect(),
            sources: rows.iter().map(|r| r.source.clone()).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    pub fn label_counts(&self) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> =
            self.classes.iter().map(|c| (c.clone(), 0)).collect();
        for &y in &self.y {
            *counts.entry(self.classes[y].clone()).or_default() += 1;
        }
        counts
    }

    fn subset(&self, idx: &[usize]) -> (Vec<Tokens>, Vec<usize>) {
        (
            idx.iter().map(|&i| self.tokens[i].clone()).collect(),
            idx.iter().map(|&i| self.y[i]).collect(),
        )
    }

    pub fn has_groups(&self) -> bool {
        self.groups.iter().any(Option::is_some)
    }
}

/// Settings searched by cross-validation; the first best setting in grid
/// order wins, so list simpler settings first.
#[derive(Debug, Clone)]
pub struct Grid {
    pub alphas: Vec<f64>,
    pub ngram_max: Vec<usize>,
    /// Character n-gram ranges; `None` is no character n-grams.
    pub char_ngrams: Vec<Option<[usize; 2]>>,
    /// Negation scope marking off, on, or both.
    pub negation_scope: Vec<bool>,
    pub min_df: Vec<usize>,
    pub max_features: Option<usize>,
    pub sublinear_tf: bool,
    pub class_weights: Vec<ClassWeight>,
    /// Target terms to try (see [`crate::target`]).
    pub targets: Vec<TargetChoice>,
    /// The target lexicon of the window, speaker and cue terms.
    pub lexicon: Lexicon,
}

/// One choice of target terms: window width (0: none), speaker marking,
/// cue terms. All off is no target terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetChoice {
    pub window: usize,
    pub speakers: bool,
    pub cues: bool,
}

impl TargetChoice {
    pub const NONE: TargetChoice = TargetChoice {
        window: 0,
        speakers: false,
        cues: false,
    };

    /// Every combination of the given windows, speaker markings and cue
    /// settings.
    pub fn product(windows: &[usize], speakers: &[bool], cues: &[bool]) -> Vec<TargetChoice> {
        let mut out = Vec::new();
        for &cues in cues {
            for &speakers in speakers {
                for &window in windows {
                    out.push(TargetChoice {
                        window,
                        speakers,
                        cues,
                    });
                }
            }
        }
        out
    }
}

impl Default for Grid {
    fn default() -> Self {
        Grid {
            // Narrower than it was (alpha 0.03, unigrams alone and min_df 1
            // are gone): on 8,000 labeled sentences every feature setting
            // costs minutes per fold, and these were not chosen on the
            // bundled labels' articles nor on FOMC (README, "How good is
            // it?").
            alphas: vec![3.0, 1.0, 0.3, 0.1],
            ngram_max: vec![2],
            char_ngrams: vec![None, Some([2, 5])],
            negation_scope: vec![false],
            min_df: vec![2],
            max_features: None,
            sublinear_tf: true,
            class_weights: vec![ClassWeight::None, ClassWeight::Balanced],
            // None, and all three together: on real articles they help
            // together (README, "How good is it?"), and each extra choice
            // costs a whole round of fits.
            targets: vec![
                TargetChoice::NONE,
                TargetChoice {
                    window: 4,
                    speakers: true,
                    cues: true,
                },
            ],
            lexicon: Lexicon::russia(),
        }
    }
}

impl Grid {
    /// The target terms of a choice; none when all are off.
    pub fn target(&self, choice: TargetChoice) -> Option<TargetSettings> {
        (choice != TargetChoice::NONE).then(|| TargetSettings {
            lexicon: self.lexicon.clone(),
            window: choice.window,
            speakers: choice.speakers,
            cues: choice.cues,
        })
    }

    fn feature_settings(&self) -> Vec<TfidfSettings> {
        let mut out = Vec::new();
        for &choice in &self.targets {
            for &negation_scope in &self.negation_scope {
                for &char_ngrams in &self.char_ngrams {
                    for &ngram_max in &self.ngram_max {
                        for &min_df in &self.min_df {
                            out.push(TfidfSettings {
                                ngram_max,
                                min_df,
                                max_features: self.max_features,
                                sublinear_tf: self.sublinear_tf,
                                char_ngrams,
                                negation_scope,
                                target: self.target(choice),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    pub fn size(&self) -> usize {
        self.alphas.len()
            * self.targets.len()
            * self.negation_scope.len()
            * self.char_ngrams.len()
            * self.ngram_max.len()
            * self.min_df.len()
            * self.class_weights.len()
    }
}

/// Reports how far a cross-validated search is: called with the units done
/// and their total (a unit: one feature setting fitted on one fold, for
/// every alpha and class weighting), from any thread. A search starts by
/// reporting 0 done.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>>);

impl Progress {
    pub fn new(report: impl Fn(usize, usize) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(report)))
    }

    fn report(&self, done: usize, total: usize) {
        if let Some(report) = &self.0 {
            report(done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(reported)"
        } else {
            "Progress(none)"
        })
    }
}

#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub grid: Grid,
    pub folds: usize,
    pub seed: u64,
    pub max_iterations: u64,
    /// Per training row: the solver stops when the gradient of the summed
    /// loss has an L2 norm below this × rows (scikit-learn's `tol`, which
    /// bounds the largest component of its mean loss's gradient). The
    /// default, 1e-5, is ten times stricter than scikit-learn's: at 1e-4 the
    /// settings chosen by cross-validation on `data/labels.csv` flip between
    /// near ties, and the seed articles' held-out macro-F1 fell from 0.514 to
    /// 0.466.
    pub gradient_tolerance: f64,
    pub progress: Progress,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            grid: Grid::default(),
            folds: 5,
            seed: 20161012,
            max_iterations: 2000,
            gradient_tolerance: 1e-5,
            progress: Progress::default(),
        }
    }
}

/// A classifier fitted on feature space.
pub struct Fitted {
    /// n_features × n_classes.
    pub weights: Array2<f64>,
    pub intercepts: Array1<f64>,
    pub convergence: Convergence,
    /// How many times each class's rows counted in the loss.
    pub class_repeats: Vec<usize>,
}

impl Fitted {
    fn predict(&self, x: &SparseRows) -> Vec<usize> {
        (0..x.nrows())
            .map(|r| {
                let (idx, val) = x.row(r);
                let mut scores = self.intercepts.clone();
                for (&c, &v) in idx.iter().zip(val) {
                    scores.scaled_add(v, &self.weights.row(c as usize));
                }
                super::best(scores.as_slice().unwrap_or(&[]))
            })
            .collect()
    }
}

/// Fit multinomial logistic regression on sparse rows, exactly, in their row
/// space. Classes absent from `y` get zero weights and a very low intercept.
pub fn fit(
    x: &SparseRows,
    y: &[usize],
    n_classes: usize,
    alpha: f64,
    class_weight: ClassWeight,
    opts: &TrainOptions,
) -> Result<Fitted> {
    let rs = RowSpace::new(x);
    let mut fits = fit_path(&rs, x, y, n_classes, &[alpha], class_weight, opts)?;
    Ok(fits.remove(0))
}

/// How many times each class's rows count in the loss.
pub fn class_repeats(y: &[usize], n_classes: usize, class_weight: ClassWeight) -> Vec<usize> {
    let mut counts = vec![0usize; n_classes];
    for &c in y {
        counts[c] += 1;
    }
    let largest = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&n| match class_weight {
            ClassWeight::Balanced if n > 0 => ((largest as f64 / n as f64).round() as usize).max(1),
            _ => 1,
        })
        .collect()
}

/// Fit one model per alpha on the same rows, each starting from the
/// previous solution (alphas are best given from strongest to weakest
/// penalty), which saves most solver iterations.
///
/// Class weights are whole repeats of rows, which linfa-logistic (it has no
/// sample weights) trains on exactly. Alpha is scaled by the repeated row
/// count over the real one, so the penalty weighs the same against the loss
/// as without weighting (scikit-learn's normalization: weights average 1).
///
/// The row space comes factored ([`RowSpace::new`]): the factorization
/// depends on the rows only, not on the penalty or the class weighting, so a
/// search factors each training matrix once.
pub fn fit_path(
    rs: &RowSpace,
    x: &SparseRows,
    y: &[usize],
    n_classes: usize,
    alphas: &[f64],
    class_weight: ClassWeight,
    opts: &TrainOptions,
) -> Result<Vec<Fitted>> {
    if rs.rank() == 0 {
        return Err(Error::Training(
            "no training sentence has any vocabulary term; add labeled sentences or lower min_df"
                .into(),
        ));
    }
    let repeats = class_repeats(y, n_classes, class_weight);
    let rows: Vec<usize> = (0..y.len())
        .flat_map(|i| std::iter::repeat_n(i, repeats[y[i]]))
        .collect();
    let scale = rows.len() as f64 / y.len() as f64;
    // The tolerance is per row, as scikit-learn's `tol` is on the gradient
    // of its mean loss; linfa's objective sums over the rows, and its
    // tolerance bounds the gradient's L2 norm, so it is at least as strict.
    let gradient_tolerance = opts.gradient_tolerance * rows.len() as f64;
    let z = if rows.len() == y.len() {
        rs.z.clone()
    } else {
        rs.z.select(Axis(0), &rows)
    };
    let y: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
    let dataset = linfa::Dataset::new(z, Array1::from(y.clone()));
    let z = dataset.records();
    let mut start: Option<Array2<f64>> = None;
    let mut fits = Vec::with_capacity(alphas.len());
    for &alpha in alphas {
        let alpha = alpha * scale;
        let mut params = MultiLogisticRegression::default()
            .alpha(alpha)
            .max_iterations(opts.max_iterations)
            .gradient_tolerance(gradient_tolerance);
        if let Some(init) = start.take() {
            params = params.initial_params(init);
        }
        let fitted = params
            .fit(&dataset)
            .map_err(|e| Error::Training(format!("linfa-logistic: {e}")))?;
        let present: Vec<usize> = fitted.classes().to_vec();
        let wz_present = fitted.params();
        let b_present = fitted.intercept();
        let mut init = Array2::<f64>::zeros((rs.rank() + 1, present.len()));
        init.slice_mut(ndarray::s![..rs.rank(), ..])
            .assign(wz_present);
        init.row_mut(rs.rank()).assign(b_present);
        start = Some(init);

        let gradient_max = gradient_max(z, &y, &present, wz_present, b_present, alpha);
        let mut wz = Array2::<f64>::zeros((rs.rank(), n_classes));
        let mut intercepts = Array1::<f64>::from_elem(n_classes, -50.0);
        for (j, &class) in present.iter().enumerate() {
            wz.column_mut(class).assign(&wz_present.column(j));
            intercepts[class] = b_present[j];
        }
        fits.push(Fitted {
            weights: rs.weights_to_features(x, &wz),
            intercepts,
            convergence: Convergence {
                gradient_max,
                // linfa stops silently at max_iterations: judge convergence
                // from the gradient itself.
                converged: gradient_max <= gradient_tolerance,
                iterations_allowed: opts.max_iterations,
            },
            class_repeats: repeats.clone(),
        });
    }
    Ok(fits)
}

/// Largest absolute component of the gradient of linfa's objective
/// (summed cross-entropy + ½·alpha·‖W‖², intercept unpenalized).
fn gradient_max(
    z: &Array2<f64>,
    y: &[usize],
    present: &[usize],
    w: &Array2<f64>,
    b: &Array1<f64>,
    alpha: f64,
) -> f64 {
    let mut scores = z.dot(w) + b;
    for mut row in scores.rows_mut() {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    for (i, &label) in y.iter().enumerate() {
        if let Some(j) = present.iter().position(|&c| c == label) {
            scores[[i, j]] -= 1.0;
        }
    }
    let gw = z.t().dot(&scores) + &(w * alpha);
    let gb = scores.sum_axis(ndarray::Axis(0));
    gw.iter()
        .chain(gb.iter())
        .fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Deterministic 64-bit hash (FNV-1a, then mixed) for fold assignment.
fn hash(seed: u64, key: &str) -> u64 {
    let mut h = 0xcbf29ce484222325u64 ^ seed;
    for b in key.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51afd7ed558ccd);
    h ^ (h >> 33)
}

/// Test indices of `k` folds. Rows sharing a group stay together (largest
/// groups placed first, each in the smallest fold); ungrouped rows are dealt
/// by label so that every fold sees every class.
pub fn make_folds(ds: &Dataset, k: usize, seed: u64) -> Vec<Vec<usize>> {
    let k = k.max(2);
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut singles: Vec<usize> = Vec::new();
    for (i, g) in ds.groups.iter().enumerate() {
        match g {
            Some(g) => groups.entry(g.as_str()).or_default().push(i),
            None => singles.push(i),
        }
    }
    let mut folds: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut ordered: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
    ordered.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then(hash(seed, a.0).cmp(&hash(seed, b.0)))
    });
    for (_, rows) in ordered {
        let smallest = (0..k).min_by_key(|&f| (folds[f].len(), f)).unwrap_or(0);
        folds[smallest].extend(rows);
    }
    singles.sort_by_key(|&i| (ds.y[i], hash(seed, &ds.texts[i]), i));
    let mut next = 0;
    for i in singles {
        // Deal round-robin, but skip folds already much larger than the rest.
        let min = folds.iter().map(Vec::len).min().unwrap_or(0);
        while folds[next].len() > min + 1 {
            next = (next + 1) % k;
        }
        folds[next].push(i);
        next = (next + 1) % k;
    }
    for f in &mut folds {
        f.sort_unstable();
    }
    folds.retain(|f| !f.is_empty());
    folds
}

fn complement(n: usize, test: &[usize]) -> Vec<usize> {
    let mut in_test = vec![false; n];
    for &i in test {
        in_test[i] = true;
    }
    (0..n).filter(|&i| !in_test[i]).collect()
}

/// Held-out predictions for every (feature setting, class weight, alpha) of
/// the grid: `result[setting][class_weight][alpha][row]`.
type Predictions = Vec<Vec<Vec<Vec<usize>>>>;

fn cv_predictions(ds: &Dataset, folds: &[Vec<usize>], opts: &TrainOptions) -> Result<Predictions> {
    let settings = opts.grid.feature_settings();
    let k = ds.classes.len();
    let total = folds.len() * settings.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    opts.progress.report(0, total);
    let per_fold: Vec<Result<Predictions>> = folds
        .par_iter()
        .map(|test| {
            let train = complement(ds.len(), test);
            let (train_tokens, train_y) = ds.subset(&train);
            let (test_tokens, _) = ds.subset(test);
            let mut out = Vec::new();
            for s in &settings {
                let tfidf = Tfidf::fit(s, &train_tokens);
                let x_train = tfidf.transform(&train_tokens);
                let x_test = tfidf.transform(&test_tokens);
                // Weightings that repeat the same rows give the same fit
                // (balanced on balanced data is unweighted): fit each once.
                let mut fitted: Vec<(Vec<usize>, Vec<Vec<usize>>)> = Vec::new();
                let mut by_weight = Vec::new();
                let rs = RowSpace::new(&x_train);
                for &cw in &opts.grid.class_weights {
                    let repeats = class_repeats(&train_y, k, cw);
                    let preds = match fitted.iter().find(|(r, _)| *r == repeats) {
                        Some((_, preds)) => preds.clone(),
                        None => {
                            let fits =
                                fit_path(&rs, &x_train, &train_y, k, &opts.grid.alphas, cw, opts)?;
                            let preds: Vec<Vec<usize>> =
                                fits.iter().map(|f| f.predict(&x_test)).collect();
                            fitted.push((repeats, preds.clone()));
                            preds
                        }
                    };
                    by_weight.push(preds);
                }
                out.push(by_weight);
                let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                opts.progress.report(done, total);
            }
            Ok(out)
        })
        .collect();
    let mut pooled = vec![
        vec![
            vec![vec![0usize; ds.len()]; opts.grid.alphas.len()];
            opts.grid.class_weights.len()
        ];
        settings.len()
    ];
    for (fold, result) in folds.iter().zip(per_fold) {
        for (s, by_weight) in result?.iter().enumerate() {
            for (w, by_alpha) in by_weight.iter().enumerate() {
                for (a, preds) in by_alpha.iter().enumerate() {
                    for (&row, &p) in fold.iter().zip(preds) {
                        pooled[s][w][a][row] = p;
                    }
                }
            }
        }
    }
    Ok(pooled)
}

/// The chosen settings and the cross-validation that chose them.
pub struct Selection {
    pub features: TfidfSettings,
    pub alpha: f64,
    pub class_weight: ClassWeight,
    /// How the settings were chosen; none when they were given (`--no-cv`).
    pub report: Option<CvReport>,
}

impl Selection {
    /// Settings given by the user, not searched: the grid's only point.
    pub fn fixed(grid: &Grid) -> Result<Selection> {
        // Class weighting was added to the grid later than the others: left
        // at its default, fixed settings train unweighted, as they always did.
        let class_weights = if grid.class_weights == Grid::default().class_weights {
            &[ClassWeight::None][..]
        } else {
            grid.class_weights.as_slice()
        };
        // So were character n-grams: fixed settings use none unless given.
        let char_ngrams = if grid.char_ngrams == Grid::default().char_ngrams {
            &[None][..]
        } else {
            grid.char_ngrams.as_slice()
        };
        // And target terms: none unless given.
        let targets = if grid.targets == Grid::default().targets {
            &[TargetChoice::NONE][..]
        } else {
            grid.targets.as_slice()
        };
        let (
            &[alpha],
            &[ngram_max],
            &[char_ngrams],
            &[negation_scope],
            &[min_df],
            &[class_weight],
            &[target],
        ) = (
            grid.alphas.as_slice(),
            grid.ngram_max.as_slice(),
            char_ngrams,
            grid.negation_scope.as_slice(),
            grid.min_df.as_slice(),
            class_weights,
            targets,
        )
        else {
            return Err(Error::Setting(
                "without cross-validation, give exactly one value each for --alpha, --ngram-max, --char-ngrams, --negation-scope, --min-df, --class-weight, and one of target terms (--target-window, --speakers, --cues)".into(),
            ));
        };
        Ok(Selection {
            features: TfidfSettings {
                ngram_max,
                min_df,
                max_features: grid.max_features,
                sublinear_tf: grid.sublinear_tf,
                char_ngrams,
                negation_scope,
                target: grid.target(target),
            },
            alpha,
            class_weight,
            report: None,
        })
    }
}

impl Selection {
    /// The only point of a grid of one setting (none when it has more).
    pub fn single(grid: &Grid) -> Selection {
        let settings = grid.feature_settings();
        Selection {
            features: settings[0].clone(),
            alpha: grid.alphas[0],
            class_weight: grid.class_weights[0],
            report: None,
        }
    }
}

/// Cross-validate every grid setting and pick the best by pooled macro-F1.
pub fn select(ds: &Dataset, opts: &TrainOptions) -> Result<Selection> {
    let folds = make_folds(ds, opts.folds, opts.seed);
    if folds.len() < 2 {
        return Err(Error::Training(format!(
            "{} labeled sentences are too few to cross-validate",
            ds.len()
        )));
    }
    let pooled = cv_predictions(ds, &folds, opts)?;
    let settings = opts.grid.feature_settings();
    let mut grid = Vec::new();
    let mut best: Option<(usize, usize, usize, f64)> = None;
    for (s, by_weight) in pooled.iter().enumerate() {
        for (w, by_alpha) in by_weight.iter().enumerate() {
            for (a, preds) in by_alpha.iter().enumerate() {
                let f1 = Metrics::compute(&ds.classes, &ds.y, preds).macro_f1;
                if best.is_none_or(|(.., b)| f1 > b) {
                    best = Some((s, w, a, f1));
                }
                grid.push(GridPoint {
                    alpha: opts.grid.alphas[a],
                    ngram_max: settings[s].ngram_max,
                    char_ngrams: settings[s].char_ngrams,
                    negation_scope: settings[s].negation_scope,
                    target_window: settings[s].target.as_ref().map_or(0, |t| t.window),
                    speakers: settings[s].target.as_ref().is_some_and(|t| t.speakers),
                    cues: settings[s].target.as_ref().is_some_and(|t| t.cues),
                    min_df: settings[s].min_df,
                    class_weight: opts.grid.class_weights[w],
                    macro_f1: f1,
                    selected: false,
                });
            }
        }
    }
    let (s, w, a, _) = best.ok_or_else(|| Error::Setting("the search grid is empty".into()))?;
    grid[(s * opts.grid.class_weights.len() + w) * opts.grid.alphas.len() + a].selected = true;
    let preds = &pooled[s][w][a];
    let fold_metrics: Vec<Metrics> = folds
        .iter()
        .map(|f| {
            let truth: Vec<usize> = f.iter().map(|&i| ds.y[i]).collect();
            let pred: Vec<usize> = f.iter().map(|&i| preds[i]).collect();
            Metrics::compute(&ds.classes, &truth, &pred)
        })
        .collect();
    let (f1_mean, f1_std) =
        crate::eval::mean_sd(&fold_metrics.iter().map(|m| m.macro_f1).collect::<Vec<_>>());
    let (acc_mean, acc_std) =
        crate::eval::mean_sd(&fold_metrics.iter().map(|m| m.accuracy).collect::<Vec<_>>());
    let scheme = if ds.has_groups() {
        format!(
            "{}-fold, grouped by article (ungrouped rows stratified by label)",
            folds.len()
        )
    } else {
        format!("{}-fold, stratified by label", folds.len())
    };
    Ok(Selection {
        features: settings[s].clone(),
        alpha: opts.grid.alphas[a],
        class_weight: opts.grid.class_weights[w],
        report: Some(CvReport {
            scheme,
            folds: folds.len(),
            macro_f1_mean: f1_mean,
            macro_f1_std: f1_std,
            accuracy_mean: acc_mean,
            accuracy_std: acc_std,
            pooled: Metrics::compute(&ds.classes, &ds.y, preds),
            grid,
        }),
    })
}

/// Fit the vectorizer and one head on all of `ds` with fixed settings.
pub fn fit_final(
    ds: &Dataset,
    features: &TfidfSettings,
    alpha: f64,
    class_weight: ClassWeight,
    opts: &TrainOptions,
) -> Result<(Tfidf, Fitted)> {
    let tfidf = Tfidf::fit(features, &ds.tokens);
    let x = tfidf.transform(&ds.tokens);
    let fitted = fit(&x, &ds.y, ds.classes.len(), alpha, class_weight, opts)?;
    Ok((tfidf, fitted))
}

/// A saved head from a fitted classifier.
pub fn head_file(
    task: &str,
    ds: &Dataset,
    fitted: &Fitted,
    alpha: f64,
    class_weight: ClassWeight,
    opts: &TrainOptions,
    cv: Option<CvReport>,
) -> HeadFile {
    HeadFile {
        task: task.to_string(),
        classes: ds.classes.clone(),
        intercepts: fitted.intercepts.to_vec(),
        coefficients: fitted
            .weights
            .columns()
            .into_iter()
            .map(|c| c.to_vec())
            .collect(),
        hyperparameters: Hyperparameters {
            alpha,
            max_iterations: opts.max_iterations,
            gradient_tolerance: opts.gradient_tolerance,
            class_weight,
            class_repeats: match class_weight {
                ClassWeight::None => BTreeMap::new(),
                ClassWeight::Balanced => ds
                    .classes
                    .iter()
                    .cloned()
                    .zip(fitted.class_repeats.iter().copied())
                    .collect(),
            },
        },
        convergence: fitted.convergence.clone(),
        label_counts: ds.label_counts(),
        cross_validation: cv,
    }
}

/// A held-out fold's name, true classes and predicted classes.
pub type HeldOut = (String, Vec<usize>, Vec<usize>);

/// One outer fold per article: its rows are held out, every other row
/// (ungrouped ones included) trains. With `source`, only the articles of
/// rows from that source (`seed`) are held out; the others always train.
pub fn group_folds(ds: &Dataset, source: Option<&str>) -> Vec<(String, Vec<usize>)> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, g) in ds.groups.iter().enumerate() {
        if source.is_some_and(|s| ds.sources[i].as_deref() != Some(s)) {
            continue;
        }
        if let Some(g) = g {
            groups.entry(g.as_str()).or_default().push(i);
        }
    }
    groups
        .into_iter()
        .map(|(g, rows)| (g.to_string(), rows))
        .collect()
}

/// Nested cross-validation: for each outer fold, the whole training
/// procedure (grid search included) runs on the other rows, then predicts the
/// held-out ones. Returns, per fold, its name, true and predicted classes.
pub fn held_out(
    ds: &Dataset,
    outer: &[(String, Vec<usize>)],
    opts: &TrainOptions,
) -> Result<Vec<HeldOut>> {
    let mut out = Vec::new();
    for (name, test) in outer {
        let train = complement(ds.len(), test);
        let sub = Dataset {
            texts: train.iter().map(|&i| ds.texts[i].clone()).collect(),
            tokens: train.iter().map(|&i| ds.tokens[i].clone()).collect(),
            y: train.iter().map(|&i| ds.y[i]).collect(),
            classes: ds.classes.clone(),
            groups: train.iter().map(|&i| ds.groups[i].clone()).collect(),
            sources: train.iter().map(|&i| ds.sources[i].clone()).collect(),
        };
        // A grid of one setting has nothing to choose.
        let selection = match opts.grid.size() {
            1 => Selection::single(&opts.grid),
            _ => select(&sub, opts)?,
        };
        let (tfidf, fitted) = fit_final(
            &sub,
            &selection.features,
            selection.alpha,
            selection.class_weight,
            opts,
        )?;
        let (test_tokens, truth) = ds.subset(test);
        let predicted = fitted.predict(&tfidf.transform(&test_tokens));
        out.push((name.clone(), truth, predicted));
    }
    Ok(out)
}

/// Held-out predictions of two training procedures on the same folds: the
/// new one (all training rows, `new` settings) and the old one (`old`
/// settings, and only the training rows whose fingerprint is in `old_rows`
/// when given, i.e. the data the old model had). Returns pooled metrics over
/// every row: (old, new).
pub fn compare_on_folds(
    ds: &Dataset,
    new: (&TfidfSettings, f64, ClassWeight),
    old: (&TfidfSettings, f64, ClassWeight),
    old_rows: Option<&std::collections::HashSet<String>>,
    opts: &TrainOptions,
) -> Result<(Metrics, Metrics)> {
    let folds = make_folds(ds, opts.folds, opts.seed);
    let keys: Vec<String> = ds.texts.iter().map(|t| crate::labels::row_key(t)).collect();
    let k = ds.classes.len();
    let mut old_pred = vec![0usize; ds.len()];
    let mut new_pred = vec![0usize; ds.len()];
    let results: Vec<Result<(Vec<usize>, Vec<usize>)>> = folds
        .par_iter()
        .map(|test| {
            let train = complement(ds.len(), test);
            let old_train: Vec<usize> = match old_rows {
                Some(rows) => train
                    .iter()
                    .cloned()
                    .filter(|&i| rows.contains(&keys[i]))
                    .collect(),
                None => train.clone(),
            };
            let (test_tokens, _) = ds.subset(test);
            let predict = |idx: &[usize],
                           (settings, alpha, cw): (&TfidfSettings, f64, ClassWeight)|
             -> Result<Vec<usize>> {
                let (tokens, y) = ds.subset(idx);
                let tfidf = Tfidf::fit(settings, &tokens);
                let fitted = fit(&tfidf.transform(&tokens), &y, k, alpha, cw, opts)?;
                Ok(fitted.predict(&tfidf.transform(&test_tokens)))
            };
            Ok((predict(&old_train, old)?, predict(&train, new)?))
        })
        .collect();
    for (test, result) in folds.iter().zip(results) {
        let (o, n) = result?;
        for ((&row, o), n) in test.iter().zip(o).zip(n) {
            old_pred[row] = o;
            new_pred[row] = n;
        }
    }
    Ok((
        Metrics::compute(&ds.classes, &ds.y, &old_pred),
        Metrics::compute(&ds.classes, &ds.y, &new_pred),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    fn row(text: &str, label: &str, article: Option<&str>) -> LabeledRow {
        LabeledRow {
            text: text.into(),
            label: label.into(),
            article: article.map(String::from),
            outlet: None,
            source: None,
            at: Location::line("t.csv", 2),
        }
    }

    fn small_problem() -> SparseRows {
        let texts = [
            "sanctions punish russia",
            "talks with russia resume",
            "the meeting is monday",
            "russia must be punished",
            "dialogue with moscow helps",
            "ministers met in geneva",
            "expel russian diplomats now",
            "cooperation with russia works",
            "the summit ends friday",
        ];
        let tokens: Vec<Tokens> = texts
            .iter()
            .map(|t| Tokens::unstemmed(t.split(' ')))
            .collect();
        Tfidf::fit(&TfidfSettings::default(), &tokens).transform(&tokens)
    }

    fn tight() -> TrainOptions {
        TrainOptions {
            gradient_tolerance: 1e-8,
            max_iterations: 5000,
            ..Default::default()
        }
    }

    /// Probabilities of `ours` on `dense` must match linfa's own dense fit
    /// of (`dense`, `y`) with `alpha`.
    fn assert_matches_direct_fit(ours: &Fitted, dense: &Array2<f64>, y: &[usize], alpha: f64) {
        let direct = MultiLogisticRegression::default()
            .alpha(alpha)
            .max_iterations(5000)
            .gradient_tolerance(1e-8)
            .fit(&linfa::Dataset::new(
                dense.clone(),
                Array1::from(y.to_vec()),
            ))
            .unwrap();
        let p_direct = direct.predict_probabilities(dense);
        let scores = dense.dot(&ours.weights) + &ours.intercepts;
        for (row, s) in p_direct.rows().into_iter().zip(scores.rows()) {
            let p_ours = super::super::softmax(s.as_slice().unwrap());
            for (a, b) in row.iter().zip(&p_ours) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn rowspace_fit_equals_direct_dense_fit() {
        // A small problem with more features than rows: fitting in the row
        // space must give the same probabilities as linfa on the dense matrix.
        let x = small_problem();
        let y = vec![0, 1, 2, 0, 1, 2, 0, 1, 2];
        let ours = fit(&x, &y, 3, 0.5, ClassWeight::None, &tight()).unwrap();
        assert!(ours.convergence.converged);
        assert_matches_direct_fit(&ours, &x.to_dense(), &y, 0.5);
    }

    #[test]
    fn balanced_weights_repeat_rarer_classes() {
        assert_eq!(
            class_repeats(&[0, 0, 0, 0, 0, 0, 1, 1, 2], 3, ClassWeight::Balanced),
            [1, 3, 6]
        );
        assert_eq!(
            class_repeats(&[0, 0, 0, 1, 1], 2, ClassWeight::Balanced),
            [1, 2]
        );
        assert_eq!(
            class_repeats(&[0, 0, 0, 1, 1], 2, ClassWeight::None),
            [1, 1]
        );
        // A class absent from the rows repeats nothing.
        assert_eq!(
            class_repeats(&[0, 0, 1], 3, ClassWeight::Balanced),
            [1, 2, 1]
        );
    }

    #[test]
    fn balanced_fit_equals_direct_fit_on_repeated_rows() {
        // Class sizes 6, 2, 1: balanced weighting counts the rows of class 1
        // three times and of class 2 six times. That must equal linfa's fit
        // on the dense matrix with those rows repeated, its penalty scaled by
        // 18 repeated rows / 9 real ones.
        let x = small_problem();
        let y = vec![0, 1, 0, 0, 1, 2, 0, 0, 0];
        let ours = fit(&x, &y, 3, 0.5, ClassWeight::Balanced, &tight()).unwrap();
        assert!(ours.convergence.converged);
        assert_eq!(ours.class_repeats, [1, 3, 6]);
        let dense = x.to_dense();
        let rows: Vec<usize> = (0..9)
            .flat_map(|i| std::iter::repeat_n(i, [1, 3, 6][y[i]]))
            .collect();
        let repeated = dense.select(Axis(0), &rows);
        let y_repeated: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
        assert_eq!(y_repeated.len(), 18);
        assert_matches_direct_fit(&ours, &repeated, &y_repeated, 0.5 * 18.0 / 9.0);
        // And weighting moves the model: the unweighted fit differs.
        let plain = fit(&x, &y, 3, 0.5, ClassWeight::None, &tight()).unwrap();
        let diff = (&plain.weights - &ours.weights).mapv(f64::abs).sum();
        assert!(diff > 1e-2, "weighting changed nothing ({diff})");
    }

    #[test]
    fn a_search_reports_every_fold_fit_from_zero_to_its_total() {
        let rows: Vec<LabeledRow> = (0..30)
            .map(|i| {
                let (word, label) = [("talks", "x"), ("sanctions", "y"), ("weather", "z")][i % 3];
                row(&format!("{word} sentence number {i}"), label, None)
            })
            .collect();
        let ds = Dataset::from_rows(&rows, None).unwrap();
        let reports = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = reports.clone();
        let mut opts = TrainOptions {
            folds: 3,
            progress: Progress::new(move |done, total| seen.lock().unwrap().push((done, total))),
            ..TrainOptions::default()
        };
        opts.grid.alphas = vec![1.0];
        opts.grid.ngram_max = vec![1, 2];
        opts.grid.char_ngrams = vec![None];
        opts.grid.min_df = vec![1];
        opts.grid.class_weights = vec![ClassWeight::None];
        opts.grid.targets = vec![TargetChoice::NONE];
        select(&ds, &opts).unwrap();
        // 3 folds × 2 feature settings, each reported once, after a 0.
        let reports = reports.lock().unwrap();
        assert_eq!(reports[0], (0, 6));
        let mut done: Vec<usize> = reports
            .iter()
            .map(|&(d, t)| {
                assert_eq!(t, 6);
                d
            })
            .collect();
        done.sort();
        assert_eq!(done, (0..=6).collect::<Vec<_>>());
    }

    #[test]
    fn folds_keep_articles_together_and_cover_every_row() {
        let mut rows = Vec::new();
        for a in 0..4 {
            for i in 0..5 {
                rows.push(row(
                    &format!("article {a} sentence {i}"),
                    ["x", "y"][i % 2],
                    Some(&format!("a{a}")),
                ));
            }
        }
        for i in 0..20 {
            rows.push(row(&format!("authored {i}"), ["x", "y"][i % 2], None));
        }
        let ds = Dataset::from_rows(&rows, None).unwrap();
        let folds = make_folds(&ds, 4, 7);
        assert_eq!(folds.len(), 4);
        let mut all: Vec<usize> = folds.iter().flatten().cloned().collect();
        all.sort();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
        for f in &folds {
            let arts: std::collections::BTreeSet<_> =
                f.iter().filter_map(|&i| ds.groups[i].clone()).collect();
            assert_eq!(arts.len(), 1, "one article per fold here");
            for a in &arts {
                assert_eq!(
                    f.iter()
                        .filter(|&&i| ds.groups[i].as_ref() == Some(a))
                        .count(),
                    5
                );
            }
            assert_eq!(f.len(), 10);
        }
        assert_eq!(make_folds(&ds, 4, 7), folds, "deterministic");
    }

    #[test]
    fn merge_keeps_duplicates_once_and_rejects_conflicts() {
        let mut warnings = Vec::new();
        let rows = vec![
            row("Talks  resume.", "conciliatory", None),
            row("Talks resume.", "conciliatory", None),
        ];
        assert_eq!(
            merge_rows(rows, OnConflict::Error, &mut warnings)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(warnings.len(), 1);
        let rows = vec![
            row("Talks resume.", "conciliatory", None),
            row("Talks resume.", "neutral", None),
        ];
        assert!(merge_rows(rows.clone(), OnConflict::Error, &mut warnings).is_err());
        let merged = merge_rows(rows, OnConflict::Last, &mut warnings).unwrap();
        assert_eq!(merged[0].label, "neutral");
    }

    #[test]
    fn a_label_seen_once_is_reported_as_unknown() {
        let rows = vec![
            row("a", "x", None),
            row("b", "x", None),
            row("c", "y", None),
            row("d", "y", None),
            row("e", "yy", None),
        ];
        let e = Dataset::from_rows(&rows, None).unwrap_err().to_string();
        assert!(e.contains("unknown label 'yy'"), "{e}");
    }
}
