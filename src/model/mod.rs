//! The model: a fitted TF-IDF vectorizer shared by one or more classifier
//! heads (multinomial logistic regression, one per task such as `stance`).
//!
//! [`ModelFile`] is the saved, self-describing form (see [`store`]); [`Model`]
//! is the loaded form, ready to score sparse rows.

pub mod card;
pub mod rowspace;
pub mod store;
pub mod train;

use crate::analyze::Marks;
use crate::analyze::{term_hash, Analyzer};
use crate::eval::Metrics;
use crate::features::{RowBuffer, Tfidf, TfidfSettings};
use crate::target::Kind;
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
    #[serde(default, skip_serializing_if = "is_zero")]
    pub target_window: usize,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub speakers: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cues: bool,
    pub macro_f1: f64,
    pub selected: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A loaded model, ready to classify.
#[derive(Debug, Clone)]
pub struct Model {
    pub file: ModelFile,
    pub tfidf: Tfidf,
    /// One record per feature, `stride` numbers long: its idf, then each
    /// head's weights for its classes, in head order. Scoring a term reads
    /// one place in memory.
    columns: Vec<f64>,
    stride: usize,
}

/// Probabilities of one sentence for one head, in the head's class order.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub probabilities: Vec<f64>,
}

impl Prediction {
    pub fn best(&self) -> usize {
        best(&self.probabilities)
    }
}

/// The index of the largest probability or score (the first of equals).
pub fn best(probabilities: &[f64]) -> usize {
    let mut best = 0;
    for (i, p) in probabilities.iter().enumerate() {
        if *p > probabilities[best] {
            best = i;
        }
    }
    best
}

impl Model {
    /// Build from a checked model file (see [`store::validate`]).
    pub(crate) fn from_file(file: ModelFile) -> Model {
        let tfidf = Tfidf::from_parts(
            file.features.settings.clone(),
            file.features.vocabulary.clone(),
            file.features.idf.clone(),
        );
        let stride = 1 + file.heads.iter().map(|h| h.classes.len()).sum::<usize>();
        let mut columns = vec![0.0; tfidf.n_features() * stride];
        for (f, idf) in tfidf.idf.iter().enumerate() {
            columns[f * stride] = *idf;
        }
        let mut offset = 1;
        for head in &file.heads {
            for (c, row) in head.coefficients.iter().enumerate() {
                for (f, v) in row.iter().enumerate() {
                    columns[f * stride + offset + c] = *v;
                }
            }
            offset += head.classes.len();
        }
        Model {
            file,
            tfidf,
            columns,
            stride,
        }
    }

    pub fn heads(&self) -> &[HeadFile] {
        &self.file.heads
    }

    /// Each head's class probabilities, in head order, from every head's
    /// one after the other (as [`Scorer::score_into`] gives them).
    pub fn per_head<'a>(&'a self, flat: &'a [f64]) -> impl Iterator<Item = &'a [f64]> + 'a {
        self.file.heads.iter().scan(flat, |rest, head| {
            let (probabilities, tail) = rest.split_at(head.classes.len());
            *rest = tail;
            Some(probabilities)
        })
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
        let offset = 1 + self.file.heads[..h]
            .iter()
            .map(|h| h.classes.len())
            .sum::<usize>();
        let mut scores = head.intercepts.clone();
        for (&f, &v) in indices.iter().zip(values) {
            let record = &self.columns[f as usize * self.stride..][..self.stride];
            for (s, w) in scores.iter_mut().zip(&record[offset..]) {
                *s += v * w;
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
            words: rustc_hash::FxHashMap::default(),
            char_arena: Vec::new(),
            missing: Vec::new(),
            hashes: Vec::new(),
            unigrams: Vec::new(),
            chars: Vec::new(),
            stems: Vec::new(),
            kinds: Vec::new(),
            marks: Vec::new(),
            row: RowBuffer::default(),
            sums: Vec::new(),
        }
    }
}

/// What a scorer remembers of a word: everything the model needs of it.
#[derive(Debug, Clone, Copy)]
struct Word {
    /// Hash of the word's stem.
    stem: u64,
    /// The stem's own column (outside a negation's scope), or [`NO_COLUMN`](crate::features::NO_COLUMN).
    unigram: u32,
    /// Where the word's character n-gram columns are in the scorer's
    /// arena: their number, then the columns.
    chars: u32,
    /// What the word is to the model's target lexicon.
    kind: Kind,
}

/// Words, and character n-gram columns, a scorer remembers before it starts
/// afresh: memory stays bounded (to about 40 MB) on endless input.
const MAX_WORDS: usize = 1 << 18;
const MAX_ARENA: usize = 1 << 23;

/// Scores raw sentences: analyze, vectorize, predict every head. Each
/// distinct word is stemmed and looked up in the vocabulary once: after
/// that, one lookup by the word's 64-bit hash gives all the model needs of
/// it, reading no memory outside the table. Two words with one hash would
/// share an entry; vocabulary terms are looked up by 64-bit hash already,
/// with the same negligible risk (about 10⁻⁸ for a million distinct words).
pub struct Scorer<'m> {
    model: &'m Model,
    analyzer: Analyzer,
    words: rustc_hash::FxHashMap<u64, Word>,
    char_arena: Vec<u32>,
    /// Words of the sentence not seen before: hash, word.
    missing: Vec<(u64, String)>,
    /// Per token of the sentence: stem (term) hash, own column.
    hashes: Vec<u64>,
    unigrams: Vec<u32>,
    /// Character n-gram columns of the sentence's words, then the columns
    /// of its target terms.
    chars: Vec<u32>,
    /// Per token, for target terms: stem hash (unmarked), kind and marks.
    stems: Vec<u64>,
    kinds: Vec<Kind>,
    marks: Vec<Marks>,
    row: RowBuffer,
    /// Per block of the row: squared norm, then the head scores.
    sums: Vec<f64>,
}

impl Scorer<'_> {
    /// One prediction per head, in the model's head order.
    pub fn score(&mut self, sentence: &str) -> Vec<Prediction> {
        let mut flat = Vec::new();
        self.score_into(sentence, &mut flat);
        self.model
            .per_head(&flat)
            .map(|probabilities| Prediction {
                probabilities: probabilities.to_vec(),
            })
            .collect()
    }

    /// Every head's class probabilities, one head after the other in the
    /// model's head order, into `out` (cleared first): [`Scorer::score`]
    /// without allocating.
    pub fn score_into(&mut self, sentence: &str, out: &mut Vec<f64>) {
        let tfidf = &self.model.tfidf;
        if self.words.len() > MAX_WORDS || self.char_arena.len() > MAX_ARENA {
            self.words.clear();
            self.char_arena.clear();
        }
        if !self.gather(sentence) {
            // New words: stem them and look them up once, then read the
            // sentence again (the columns keep their order of occurrence).
            for (key, word) in std::mem::take(&mut self.missing) {
                let (analyzer, arena) = (&mut self.analyzer, &mut self.char_arena);
                self.words.entry(key).or_insert_with(|| {
                    let stem_text = analyzer.stem(&word);
                    let stem = term_hash(&stem_text);
                    let start = arena.len();
                    arena.push(0);
                    tfidf.word_char_columns(&word, arena);
                    arena[start] = (arena.len() - start - 1) as u32;
                    Word {
                        stem,
                        unigram: tfidf.unigram_column(stem),
                        chars: start as u32,
                        kind: tfidf.word_kind(&word, &stem_text),
                    }
                });
            }
            let known = self.gather(sentence);
            debug_assert!(known);
        }
        if tfidf.has_target_terms() {
            tfidf.target_columns(&self.stems, &self.kinds, &self.marks, &mut self.chars);
        }
        // Scores of the unnormalized TF-IDF values, per block (words,
        // character n-grams), divided by each block's norm at the end: the
        // same as scoring the normalized row, in one pass over it.
        let model = self.model;
        tfidf.count_terms(&self.hashes, &self.unigrams, &self.chars, &mut self.row);
        let stride = model.stride;
        let sums = &mut self.sums;
        sums.clear();
        sums.resize(2 * stride, 0.0);
        let char_end = tfidf.char_column_end();
        tfidf.each_term(&mut self.row, |col, tf| {
            let record = &model.columns[col as usize * stride..][..stride];
            let v = tf * record[0];
            // Block 0: words, 1: characters; slot 0 of a block: its squared norm.
            let block = &mut sums[usize::from(col < char_end) * stride..][..stride];
            block[0] += v * v;
            for (s, w) in block[1..].iter_mut().zip(&record[1..]) {
                *s += v * w;
            }
        });
        out.clear();
        for head in &model.file.heads {
            out.extend_from_slice(&head.intercepts);
        }
        for block in sums.chunks_exact(stride) {
            if block[0] > 0.0 {
                let norm = block[0].sqrt();
                for (o, s) in out.iter_mut().zip(&block[1..]) {
                    *o += s / norm;
                }
            }
        }
        let mut rest = out.as_mut_slice();
        for head in &model.file.heads {
            let (scores, tail) = rest.split_at_mut(head.classes.len());
            softmax_in_place(scores);
            rest = tail;
        }
    }

    /// The sentence's token hashes, own columns and character n-gram
    /// columns, from the words remembered; false (with the words not
    /// remembered in `missing`) if there were any.
    fn gather(&mut self, sentence: &str) -> bool {
        let tfidf = &self.model.tfidf;
        let targets = tfidf.has_target_terms();
        let Scorer {
            words,
            char_arena,
            missing,
            hashes,
            unigrams,
            chars,
            stems,
            kinds,
            marks,
            ..
        } = self;
        hashes.clear();
        unigrams.clear();
        chars.clear();
        missing.clear();
        stems.clear();
        kinds.clear();
        marks.clear();
        self.analyzer.each_word(sentence, |word, m| {
            let key = term_hash(word);
            let Some(w) = words.get(&key) else {
                missing.push((key, word.to_string()));
                return;
            };
            if targets {
                stems.push(w.stem);
                kinds.push(w.kind);
                marks.push(m);
            }
            let hash = tfidf.term_hash(w.stem, m.negated);
            let unigram = match hash == w.stem {
                true => w.unigram,
                false => tfidf.unigram_column(hash),
            };
            hashes.push(hash);
            unigrams.push(unigram);
            let start = w.chars as usize;
            let n = char_arena[start] as usize;
            chars.extend_from_slice(&char_arena[start + 1..start + 1 + n]);
        });
        missing.is_empty()
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
    fn scorer_matches_scoring_the_normalized_row() {
        // The built-in model has both heads and target terms (character
        // n-grams are checked against the string path in features.rs).
        let model = store::load_default().unwrap();
        assert!(model.heads().len() == 2 && model.tfidf.has_target_terms());
        let mut scorer = model.scorer();
        let mut analyzer = Analyzer::new();
        let mut terms = Vec::new();
        let mut flat = Vec::new();
        for sentence in [
            "Russia must be punished for its aggression, NATO said.",
            "Moscow welcomed the talks; talks, talks and more talks.",
            "Zyxqv blorft kwemmpt!",
            "",
            "The U.S. won't rule out new sanctions on Gazprom’s exports.",
            "“We will not retaliate,” Putin said, according to the Kremlin.",
            "Washington accused Moscow of sabotage; Moscow denied it and offered talks.",
            "Russia must be punished for its aggression, NATO said.",
        ] {
            scorer.score_into(sentence, &mut flat);
            let (indices, values) = model
                .tfidf
                .row(&analyzer.analyze_tokens(sentence), &mut terms);
            let expected: Vec<f64> = (0..model.heads().len())
                .flat_map(|h| model.predict_row(h, &indices, &values).probabilities)
                .collect();
            assert_eq!(flat.len(), expected.len());
            for (a, b) in flat.iter().zip(&expected) {
                assert!(
                    (a - b).abs() < 1e-12,
                    "{sentence}: {flat:?} vs {expected:?}"
                );
            }
            let per_head: Vec<f64> = scorer
                .score(sentence)
                .into_iter()
                .flat_map(|p| p.probabilities)
                .collect();
            assert_eq!(per_head, flat);
        }
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
