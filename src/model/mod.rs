//! The model: a fitted TF-IDF vectorizer shared by one or more classifier
//! heads (multinomial logistic regression, one per task such as `stance`).
//!
//! [`ModelFile`] is the saved, self-describing form (see [`store`]); [`Model`]
//! is the loaded form, ready to score sparse rows.

pub mod card;
pub mod rowspace;
pub mod store;
pub mod train;

use crate::analyze::Analyzer;
use crate::eval::Metrics;
use crate::features::{RowBuffer, Tfidf, TfidfSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default task name; the only one a label file's `label` column trains.
pub const STANCE: &str = "stance";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always "stance-model": tells a model file from any other JSON.
    pub format: String,
    pub format_version: u32,
    /// RFC 3339 UTC time of training (`SOURCE_DATE_EPOCH` fixes it).
    pub created: String,
    pub analyzer: AnalyzerInfo,
    pub features: FeaturesFile,
    pub training: TrainingInfo,
    pub heads: Vec<HeadFile>,
}

/// How sentences become tokens; fixed in this version, recorded so that a
/// future analyzer can refuse models it would read differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerInfo {
    pub tokenizer: String,
    pub stemmer: String,
    pub lowercase: bool,
}

impl Default for AnalyzerInfo {
    fn default() -> Self {
        AnalyzerInfo {
            tokenizer: "stance-words-1".into(),
            stemmer: "snowball-english".into(),
            lowercase: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturesFile {
    pub settings: TfidfSettings,
    pub vocabulary: Vec<String>,
    pub idf: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub files: Vec<TrainingFile>,
    /// Labeled rows used, after skipping unlabeled and duplicate ones.
    pub rows: usize,
    /// The command line that rebuilds this model, less `--out` (so the
    /// bytes do not depend on where the model was written).
    pub command: String,
    /// Fingerprints of the training sentences (first 16 hex digits of the
    /// SHA-256 of the normalized text), sorted: lets a later model be
    /// compared with this one on sentences this one never saw.
    #[serde(default)]
    pub row_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingFile {
    pub path: String,
    pub sha256: String,
    pub rows: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadFile {
    pub task: String,
    pub classes: Vec<String>,
    pub intercepts: Vec<f64>,
    /// One row per class, one column per vocabulary term.
    pub coefficients: Vec<Vec<f64>>,
    pub hyperparameters: Hyperparameters,
    pub convergence: Convergence,
    pub label_counts: BTreeMap<String, usize>,
    pub cross_validation: Option<CvReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyperparameters {
    /// linfa-logistic's L2 penalty `½·alpha·‖W‖²`; scikit-learn's C = 1/alpha.
    pub alpha: f64,
    pub max_iterations: u64,
    pub gradient_tolerance: f64,
    #[serde(default)]
    pub class_weight: ClassWeight,
    /// How many times each class's rows counted in the loss (all 1 without
    /// class weighting).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub class_repeats: BTreeMap<String, usize>,
}

/// How the loss weighs the classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every row counts once.
    #[default]
    None,
    /// Rows of rarer classes count more, so every class weighs about the
    /// same in the loss: each class's rows are repeated
    /// round(largest class size ÷ its size) times (scikit-learn's
    /// `class_weight="balanced"`, rounded to whole repeats, which linfa-logistic
    /// can train on exactly).
    Balanced,
}

/// Padded when a width is given (the CV table aligns this column).
impl std::fmt::Display for ClassWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            ClassWeight::None => "none",
            ClassWeight::Balanced => "balanced",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Largest absolute gradient component at the solution.
    pub gradient_max: f64,
    pub converged: bool,
    pub iterations_allowed: u64,
}

/// Cross-validated quality, as measured when the model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    pub scheme: String,
    pub folds: usize,
    pub macro_f1_mean: f64,
    pub macro_f1_std: f64,
    pub accuracy_mean: f64,
    pub accuracy_std: f64,
    /// Metrics of the held-out predictions of all folds pooled.
    pub pooled: Metrics,
    /// Every setting tried, with its pooled macro-F1.
    pub grid: Vec<GridPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    pub alpha: f64,
    pub ngram_max: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub char_ngrams: Option<[usize; 2]>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negation_scope: bool,
    pub min_df: usize,
    #[serde(default)]
    pub class_weight: ClassWeight,
    pub macro_f1: f64,
    pub selected: bool,
}

/// A loaded model, ready to classify.
#[derive(Debug, Clone)]
pub struct Model {
    pub file: ModelFile,
    pub tfidf: Tfidf,
    /// Per head: weights in feature-major order (feature × class).
    weights: Vec<Vec<f64>>,
}

/// Probabilities of one sentence for one head, in the head's class order.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub probabilities: Vec<f64>,
}

impl Prediction {
    pub fn best(&self) -> usize {
        let mut best = 0;
        for (i, p) in self.probabilities.iter().enumerate() {
            if *p > self.probabilities[best] {
                best = i;
            }
        }
        best
    }
}

impl Model {
    /// Build from a checked model file (see [`store::validate`]).
    pub(crate) fn from_file(file: ModelFile) -> Model {
        let tfidf = Tfidf::from_parts(
            file.features.settings.clone(),
            file.features.vocabulary.clone(),
            file.features.idf.clone(),
        );
        let weights = file
            .heads
            .iter()
            .map(|head| {
                let k = head.classes.len();
                let nf = tfidf.n_features();
                let mut w = vec![0.0; nf * k];
                for (c, row) in head.coefficients.iter().enumerate() {
                    for (f, v) in row.iter().enumerate() {
                        w[f * k + c] = *v;
                    }
                }
                w
            })
            .collect();
        Model {
            file,
            tfidf,
            weights,
        }
    }

    pub fn heads(&self) -> &[HeadFile] {
        &self.file.heads
    }

    pub fn head(&self, task: &str) -> Option<(usize, &HeadFile)> {
        self.file
            .heads
            .iter()
            .enumerate()
            .find(|(_, h)| h.task == task)
    }

    /// Class probabilities of a TF-IDF row for head `h`.
    pub fn predict_row(&self, h: usize, indices: &[u32], values: &[f64]) -> Prediction {
        let head = &self.file.heads[h];
        let k = head.classes.len();
        let w = &self.weights[h];
        let mut scores = head.intercepts.clone();
        for (&f, &v) in indices.iter().zip(values) {
            let base = f as usize * k;
            for (s, wc) in scores.iter_mut().zip(&w[base..base + k]) {
                *s += v * wc;
            }
        }
        softmax_in_place(&mut scores);
        Prediction {
            probabilities: scores,
        }
    }

    /// A scorer with its own analyzer and buffers (one per thread).
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer {
            model: self,
            analyzer: Analyzer::new(),
            hashes: Vec::new(),
            chars: Vec::new(),
            char_cache: rustc_hash::FxHashMap::default(),
            row: RowBuffer::default(),
        }
    }
}

/// Scores raw sentences: analyze, vectorize, predict every head.
pub struct Scorer<'m> {
    model: &'m Model,
    analyzer: Analyzer,
    hashes: Vec<u64>,
    /// Character n-gram columns of the sentence's words.
    chars: Vec<u32>,
    /// Each word's character n-gram columns, computed once per word.
    char_cache: rustc_hash::FxHashMap<String, Box<[u32]>>,
    row: RowBuffer,
}

impl Scorer<'_> {
    /// One prediction per head, in the model's head order.
    pub fn score(&mut self, sentence: &str) -> Vec<Prediction> {
        let tfidf = &self.model.tfidf;
        let (hashes, chars, cache) = (&mut self.hashes, &mut self.chars, &mut self.char_cache);
        hashes.clear();
        chars.clear();
        let with_chars = tfidf.has_char_ngrams();
        self.analyzer
            .each_word_hash(sentence, |word, hash, negated| {
                hashes.push(tfidf.term_hash(hash, negated));
                if with_chars {
                    match cache.get(word) {
                        Some(columns) => chars.extend_from_slice(columns),
                        None => {
                            let start = chars.len();
                            tfidf.word_char_columns(word, chars);
                            cache.insert(word.to_string(), chars[start..].into());
                        }
                    }
                }
            });
        tfidf.row_from_hashes(&self.hashes, &self.chars, &mut self.row);
        (0..self.model.file.heads.len())
            .map(|h| {
                self.model
                    .predict_row(h, &self.row.indices, &self.row.values)
            })
            .collect()
    }
}

pub fn softmax(scores: &[f64]) -> Vec<f64> {
    let mut p = scores.to_vec();
    softmax_in_place(&mut p);
    p
}

/// Scores → probabilities, without allocating (the hot path).
fn softmax_in_place(scores: &mut [f64]) {
    let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_weight_pads_to_the_column_width() {
        assert_eq!(format!("{:>8}|", ClassWeight::None), "    none|");
        assert_eq!(format!("{}", ClassWeight::Balanced), "balanced");
    }

    #[test]
    fn softmax_sums_to_one_and_is_stable() {
        for scores in [
            vec![1.0, 2.0, 3.0],
            vec![1000.0, -1000.0, 0.0],
            vec![0.0; 4],
        ] {
            let p = softmax(&scores);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(p.iter().all(|v| v.is_finite() && *v >= 0.0));
        }
        let p = softmax(&[0.0, 0.0]);
        assert_eq!(p, vec![0.5, 0.5]);
    }
}
