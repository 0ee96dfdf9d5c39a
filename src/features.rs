//! TF-IDF features, computed as scikit-learn's `TfidfVectorizer` does:
//! word n-grams over the analyzer's tokens, optional sublinear tf
//! (`1 + ln tf`), smoothed idf (`ln((1 + n) / (1 + df)) + 1`), and rows
//! scaled to unit L2 norm. The vocabulary is pruned by `min_df` and
//! `max_features` (most frequent terms over the training set) and sorted, so
//! the same training sentences always give the same columns.
//!
//! Character n-grams of the words (scikit-learn's `char_wb`) are optional.
//! They form a second block of columns, weighted and normalized on its own,
//! as a `FeatureUnion` of a word and a character vectorizer would: each
//! block of a row has unit norm. Their terms start with [`CHAR_MARK`], which
//! no word term can contain, so they sort before the word terms.
//!
//! Fitting returns a [`Tfidf`]; transforming gives sparse rows only.

use crate::analyze::{Analyzer, Marks, Tokens};
use crate::target::{Kind, Matcher, TargetSettings, Term};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Feature settings, saved in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfSettings {
    /// Word n-grams from 1 up to this length.
    pub ngram_max: usize,
    /// Keep terms that occur in at least this many training sentences.
    pub min_df: usize,
    /// Keep at most this many terms, the most frequent first.
    pub max_features: Option<usize>,
    pub sublinear_tf: bool,
    /// Character n-grams of each word, padded with a space at both ends, of
    /// lengths from the first number to the second; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub char_ngrams: Option<[usize; 2]>,
    /// Stems in a negation's scope are distinct terms, marked
    /// [`crate::analyze::NEGATED_MARK`] ("not [want sanctions]" gives
    /// `¬want`, `¬sanction`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negation_scope: bool,
    /// Terms of stance toward a target: words near its mentions, speakers'
    /// sides, quoted words (see [`crate::target`]); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetSettings>,
}

impl TfidfSettings {
    /// "word 1-2 grams", "word 1-2 + char 2-5 grams", with ", negation
    /// scope marked" when it is.
    pub fn describe(&self) -> String {
        let words = match self.char_ngrams {
            None => format!("word 1-{} grams", self.ngram_max),
            Some([lo, hi]) => format!("word 1-{} + char {lo}-{hi} grams", self.ngram_max),
        };
        let mut out = match self.negation_scope {
            true => format!("{words}, negation scope marked"),
            false => words,
        };
        if let Some(target) = &self.target {
            out.push_str(", ");
            out.push_str(&target.describe());
        }
        out
    }
}

/// The longest character n-grams a model may use.
pub const MAX_CHAR_NGRAM: usize = 10;

/// The first character of a character n-gram's vocabulary term.
pub const CHAR_MARK: char = '#';

impl Default for TfidfSettings {
    fn default() -> Self {
        TfidfSettings {
            ngram_max: 2,
            min_df: 1,
            max_features: None,
            sublinear_tf: true,
            char_ngrams: None,
            negation_scope: false,
            target: None,
        }
    }
}

/// A fitted vectorizer: settings, vocabulary (column order) and idf weights.
#[derive(Debug, Clone)]
pub struct Tfidf {
    pub settings: TfidfSettings,
    pub vocabulary: Vec<String>,
    pub idf: Vec<f64>,
    /// Term → column, built on first use (classifying with word n-grams
    /// alone never needs it: it looks terms up by hash).
    index: std::sync::OnceLock<rustc_hash::FxHashMap<String, u32>>,
    /// The same index keyed by term hash ([`crate::analyze::phrase_hash`]),
    /// for classification without building n-gram strings.
    hashed: rustc_hash::FxHashMap<u64, u32>,
    /// Columns below this hold character n-grams.
    char_columns: u32,
    /// The target lexicon, ready to match, when the settings have one.
    matcher: Option<Matcher>,
}

/// Scratch space for [`Tfidf::row_from_hashes`], reused between sentences.
#[derive(Debug, Default)]
pub struct RowBuffer {
    /// Occurrences per column of the row being built; all zero between rows.
    counts: Vec<u32>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
}

/// Rows in compressed sparse row form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
    pub ncols: usize,
}

impl SparseRows {
    pub fn new(ncols: usize) -> Self {
        SparseRows {
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        }
    }

    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let range = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    pub fn push_row(&mut self, indices: &[u32], values: &[f64]) {
        self.indices.extend_from_slice(indices);
        self.values.extend_from_slice(values);
        self.indptr.push(self.indices.len());
    }

    /// Dot product of two rows (indices sorted ascending).
    pub fn row_dot(&self, a: usize, b: usize) -> f64 {
        let (ia, va) = self.row(a);
        let (ib, vb) = self.row(b);
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < ia.len() && j < ib.len() {
            match ia[i].cmp(&ib[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += va[i] * vb[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }

    /// A dense copy, for tests and small problems.
    pub fn to_dense(&self) -> ndarray::Array2<f64> {
        let mut dense = ndarray::Array2::zeros((self.nrows(), self.ncols));
        for r in 0..self.nrows() {
            let (idx, val) = self.row(r);
            for (&c, &v) in idx.iter().zip(val) {
                dense[[r, c as usize]] = v;
            }
        }
        dense
    }
}

/// Appends the n-grams (1..=n) of `tokens` to `terms`.
pub fn ngrams(tokens: &[String], n: usize, terms: &mut Vec<String>) {
    terms.clear();
    terms.extend(tokens.iter().cloned());
    for len in 2..=n {
        for window in tokens.windows(len) {
            terms.push(window.join(" "));
        }
    }
}

/// Calls `f` with the character n-grams of `word`, `lo` to `hi` characters
/// long, of the word padded with a space at both ends, as scikit-learn's
/// `char_wb` analyzer makes them: a padded word shorter than an n-gram
/// length counts once, whole.
pub fn char_ngrams(word: &str, lo: usize, hi: usize, mut f: impl FnMut(&str)) {
    let padded = format!(" {word} ");
    let bounds: Vec<usize> = padded
        .char_indices()
        .map(|(i, _)| i)
        .chain([padded.len()])
        .collect();
    let len = bounds.len() - 1;
    for n in lo..=hi {
        if len <= n {
            f(&padded);
            break;
        }
        for start in 0..=len - n {
            f(&padded[bounds[start]..bounds[start + n]]);
        }
    }
}

/// All terms of a sentence: word n-grams (of marked stems in a negation's
/// scope, with negation scope marking), then marked character n-grams.
fn terms_of(
    settings: &TfidfSettings,
    matcher: Option<&Matcher>,
    tokens: &Tokens,
    terms: &mut Vec<String>,
) {
    if settings.negation_scope {
        let marked: Vec<String> = tokens
            .stems
            .iter()
            .enumerate()
            .map(|(i, stem)| match tokens.marks.get(i) {
                Some(Marks { negated: true, .. }) => {
                    format!("{}{stem}", crate::analyze::NEGATED_MARK)
                }
                _ => stem.clone(),
            })
            .collect();
        ngrams(&marked, settings.ngram_max, terms);
    } else {
        ngrams(&tokens.stems, settings.ngram_max, terms);
    }
    if let Some(matcher) = matcher {
        let kinds: Vec<Kind> = tokens
            .words
            .iter()
            .zip(&tokens.stems)
            .map(|(w, s)| matcher.kind(w, s))
            .collect();
        let stems = &tokens.stems;
        matcher.terms(&kinds, &tokens.marks, |term| {
            terms.push(match term {
                Term::Mention => crate::target::NEAR_MARK.to_string(),
                Term::Near(i) => format!("{}{}", crate::target::NEAR_MARK, stems[i]),
                Term::Quoted(i) => format!("{}{}", crate::target::QUOTE_MARK, stems[i]),
                Term::Speaker(side, _) => crate::target::speaker_flag(side).to_string(),
                Term::Cue(text) => text.to_string(),
            });
            if let Term::Speaker(side, v) = term {
                terms.push(format!("{}{}", crate::target::speaker_mark(side), stems[v]));
            }
        });
    }
    if let Some([lo, hi]) = settings.char_ngrams {
        for word in &tokens.words {
            char_ngrams(word, lo, hi, |g| terms.push(format!("{CHAR_MARK}{g}")));
        }
    }
}

/// Scale the character block (columns below `char_columns`) and the word
/// block of a row to unit norm each, whatever the order of its columns.
fn normalize_blocks(indices: &[u32], values: &mut [f64], char_columns: u32) {
    let (mut chars, mut words) = (0.0, 0.0);
    for (&c, v) in indices.iter().zip(values.iter()) {
        match c < char_columns {
            true => chars += v * v,
            false => words += v * v,
        }
    }
    let (chars, words) = (chars.sqrt(), words.sqrt());
    for (&c, v) in indices.iter().zip(values.iter_mut()) {
        let norm = if c < char_columns { chars } else { words };
        if norm > 0.0 {
            *v /= norm;
        }
    }
}

impl Tfidf {
    /// Learn the vocabulary and idf from tokenized training sentences.
    pub fn fit(settings: &TfidfSettings, docs: &[Tokens]) -> Tfidf {
        let mut df: HashMap<String, (usize, usize)> = HashMap::new(); // term → (df, total count)
        let mut terms = Vec::new();
        let matcher = settings.target.as_ref().map(Matcher::new);
        for tokens in docs {
            terms_of(settings, matcher.as_ref(), tokens, &mut terms);
            terms.sort_unstable();
            let mut k = 0;
            while k < terms.len() {
                let mut run = 1;
                while k + run < terms.len() && terms[k + run] == terms[k] {
                    run += 1;
                }
                let entry = df.entry(terms[k].clone()).or_insert((0, 0));
                entry.0 += 1;
                entry.1 += run;
                k += run;
            }
        }
        let mut kept: Vec<(String, usize, usize)> = df
            .into_iter()
            .filter(|(_, (d, _))| *d >= settings.min_df)
            .map(|(t, (d, c))| (t, d, c))
            .collect();
        if let Some(max) = settings.max_features {
            // Most frequent first; ties alphabetical, so the choice is deterministic.
            kept.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
            kept.truncate(max);
        }
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        let n = docs.len() as f64;
        let idf = kept
            .iter()
            .map(|(_, d, _)| ((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0)
            .collect();
        let vocabulary: Vec<String> = kept.into_iter().map(|(t, _, _)| t).collect();
        Tfidf::from_parts(settings.clone(), vocabulary, idf)
    }

    /// Rebuild from saved parts (the model file).
    pub fn from_parts(settings: TfidfSettings, vocabulary: Vec<String>, idf: Vec<f64>) -> Tfidf {
        let char_columns = match settings.char_ngrams {
            Some(_) => vocabulary.partition_point(|t| t.starts_with(CHAR_MARK)),
            None => 0,
        };
        let mut hashed = rustc_hash::FxHashMap::default();
        for (i, t) in vocabulary.iter().enumerate().skip(char_columns) {
            hashed
                .entry(crate::analyze::phrase_hash(t))
                .or_insert(i as u32);
        }
        Tfidf {
            matcher: settings.target.as_ref().map(Matcher::new),
            settings,
            vocabulary,
            idf,
            index: std::sync::OnceLock::new(),
            hashed,
            char_columns: char_columns as u32,
        }
    }

    /// The hash to look a stem up by: marked when it is in a negation's
    /// scope and the model marks negation scope.
    pub fn term_hash(&self, stem_hash: u64, negated: bool) -> u64 {
        match negated && self.settings.negation_scope {
            true => crate::analyze::negated_hash(stem_hash),
            false => stem_hash,
        }
    }

    /// What a word and its stem are to the model's target lexicon (0
    /// without one).
    pub fn word_kind(&self, word: &str, stem: &str) -> Kind {
        self.matcher.as_ref().map_or(0, |m| m.kind(word, stem))
    }

    /// True when rows have target terms.
    pub fn has_target_terms(&self) -> bool {
        self.matcher.is_some()
    }

    /// The columns of a sentence's target terms, once per occurrence, into
    /// `out` (appended), from its words' stem hashes (unmarked by
    /// negation), kinds ([`Matcher::kind`]) and marks: the columns of the
    /// terms [`Tfidf::row`] makes for them.
    pub fn target_columns(
        &self,
        stems: &[u64],
        kinds: &[Kind],
        marks: &[Marks],
        out: &mut Vec<u32>,
    ) {
        let Some(matcher) = &self.matcher else {
            return;
        };
        use crate::target::{marked_hash, speaker_flag, speaker_mark, NEAR_MARK, QUOTE_MARK};
        let mut near = [0u8; 4];
        let near: &str = NEAR_MARK.encode_utf8(&mut near);
        let mut quote = [0u8; 4];
        let quote: &str = QUOTE_MARK.encode_utf8(&mut quote);
        let mut push = |hash: u64| {
            if let Some(&col) = self.hashed.get(&hash) {
                out.push(col);
            }
        };
        matcher.terms(kinds, marks, |term| match term {
            Term::Mention => push(crate::analyze::term_hash(near)),
            Term::Near(i) => push(marked_hash(near, stems[i])),
            Term::Quoted(i) => push(marked_hash(quote, stems[i])),
            Term::Cue(text) => push(crate::analyze::phrase_hash(text)),
            Term::Speaker(side, v) => {
                push(crate::analyze::term_hash(speaker_flag(side)));
                push(marked_hash(speaker_mark(side), stems[v]));
            }
        });
    }

    /// True when rows have character n-gram columns.
    pub fn has_char_ngrams(&self) -> bool {
        self.settings.char_ngrams.is_some()
    }

    /// The columns of the character n-grams of one word, once per
    /// occurrence, into `out` (appended).
    pub fn word_char_columns(&self, word: &str, out: &mut Vec<u32>) {
        let Some([lo, hi]) = self.settings.char_ngrams else {
            return;
        };
        let mut term = String::new();
        char_ngrams(word, lo, hi, |g| {
            term.clear();
            term.push(CHAR_MARK);
            term.push_str(g);
            if let Some(&col) = self.index().get(&term) {
                out.push(col);
            }
        });
    }

    fn index(&self) -> &rustc_hash::FxHashMap<String, u32> {
        self.index.get_or_init(|| {
            let columns = 0..self.vocabulary.len() as u32;
            self.vocabulary.iter().cloned().zip(columns).collect()
        })
    }

    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    /// The TF-IDF row of one tokenized sentence: sorted column indices and
    /// L2-normalized weights. `terms` is scratch space reused between calls.
    pub fn row(&self, tokens: &Tokens, terms: &mut Vec<String>) -> (Vec<u32>, Vec<f64>) {
        terms_of(&self.settings, self.matcher.as_ref(), tokens, terms);
        let mut counts: BTreeMap<u32, f64> = BTreeMap::new();
        for term in terms.iter() {
            if let Some(&col) = self.index().get(term) {
                *counts.entry(col).or_insert(0.0) += 1.0;
            }
        }
        let mut indices = Vec::with_capacity(counts.len());
        let mut values = Vec::with_capacity(counts.len());
        for (col, tf) in counts {
            let tf = if self.settings.sublinear_tf {
                1.0 + tf.ln()
            } else {
                tf
            };
            indices.push(col);
            values.push(tf * self.idf[col as usize]);
        }
        normalize_blocks(&indices, &mut values, self.char_columns);
        (indices, values)
    }

    /// The column of the single-token term with this hash (see
    /// [`Tfidf::term_hash`]), or [`NO_COLUMN`].
    pub fn unigram_column(&self, hash: u64) -> u32 {
        self.hashed.get(&hash).copied().unwrap_or(NO_COLUMN)
    }

    /// The TF-IDF row of a sentence given as token hashes, each token's own
    /// column (`unigrams[i]` is [`Tfidf::unigram_column`] of `hashes[i]`,
    /// which callers cache per word) and the columns of its words' character
    /// n-grams ([`Tfidf::word_char_columns`]), into `buf.indices` and
    /// `buf.values`: the same row as [`Tfidf::row`] gives for the tokens,
    /// with the columns in order of first occurrence instead of sorted
    /// (counting into a dense array needs no sort).
    pub fn row_from_hashes(
        &self,
        hashes: &[u64],
        unigrams: &[u32],
        other_columns: &[u32],
        buf: &mut RowBuffer,
    ) {
        self.count_terms(hashes, unigrams, other_columns, buf);
        let mut values = std::mem::take(&mut buf.values);
        values.clear();
        self.each_term(buf, |col, tf| values.push(tf * self.idf[col as usize]));
        buf.values = values;
        normalize_blocks(&buf.indices, &mut buf.values, self.char_columns);
    }

    /// The first half of [`Tfidf::row_from_hashes`]: the sentence's columns
    /// into `buf.indices`, in order of first occurrence, and their counts
    /// into `buf`, for [`Tfidf::each_term`]. `other_columns` are the columns
    /// of the sentence's terms that are not word n-grams (character n-grams,
    /// target terms), counted as they are.
    pub fn count_terms(
        &self,
        hashes: &[u64],
        unigrams: &[u32],
        other_columns: &[u32],
        buf: &mut RowBuffer,
    ) {
        debug_assert_eq!(hashes.len(), unigrams.len());
        if buf.counts.len() != self.n_features() {
            buf.counts = vec![0; self.n_features()];
        }
        buf.indices.clear();
        let (counts, indices) = (&mut buf.counts, &mut buf.indices);
        let mut count = |col: u32| {
            let c = &mut counts[col as usize];
            if *c == 0 {
                indices.push(col);
            }
            *c += 1;
        };
        other_columns.iter().for_each(|&col| count(col));
        for (start, &col) in unigrams.iter().enumerate() {
            if col != NO_COLUMN {
                count(col);
            }
            let mut h = hashes[start];
            for next in hashes
                .iter()
                .skip(start + 1)
                .take(self.settings.ngram_max - 1)
            {
                h = crate::analyze::extend_hash(h, *next);
                if let Some(&col) = self.hashed.get(&h) {
                    count(col);
                }
            }
        }
    }

    /// Call `f` with each column counted by [`Tfidf::count_terms`] and its
    /// term frequency (sublinear if so set), in order, clearing the counts.
    pub fn each_term(&self, buf: &mut RowBuffer, mut f: impl FnMut(u32, f64)) {
        for &col in &buf.indices {
            let run = std::mem::take(&mut buf.counts[col as usize]);
            // Most terms occur once, and 1 + ln 1 is exactly 1.
            let tf = if self.settings.sublinear_tf && run > 1 {
                1.0 + (run as f64).ln()
            } else {
                run as f64
            };
            f(col, tf);
        }
    }

    /// Columns below this hold character n-grams (each block of a row is
    /// normalized on its own).
    pub fn char_column_end(&self) -> u32 {
        self.char_columns
    }

    /// Transform tokenized sentences into sparse rows.
    pub fn transform(&self, docs: &[Tokens]) -> SparseRows {
        let mut rows = SparseRows::new(self.n_features());
        let mut terms = Vec::new();
        for tokens in docs {
            let (indices, values) = self.row(tokens, &mut terms);
            rows.push_row(&indices, &values);
        }
        rows
    }
}

/// The column of a term that is not in the vocabulary.
pub const NO_COLUMN: u32 = u32::MAX;

/// Tokenize sentences with a fresh analyzer.
pub fn tokenize_all(texts: &[String]) -> Vec<Tokens> {
    let mut analyzer = Analyzer::new();
    texts.iter().map(|t| analyzer.analyze_tokens(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(texts: &[&str]) -> Vec<Tokens> {
        texts
            .iter()
            .map(|t| Tokens::unstemmed(t.split_whitespace()))
            .collect()
    }

    /// A hashed row with its columns sorted, as [`Tfidf::row`] gives them.
    fn sorted_row(buf: &RowBuffer) -> (Vec<u32>, Vec<f64>) {
        let mut pairs: Vec<(u32, f64)> = buf
            .indices
            .iter()
            .cloned()
            .zip(buf.values.clone())
            .collect();
        pairs.sort_by_key(|p| p.0);
        pairs.into_iter().unzip()
    }

    #[test]
    fn values_match_hand_computation() {
        // Three documents, unigrams, raw tf, smoothed idf, L2 norm.
        let settings = TfidfSettings {
            ngram_max: 1,
            min_df: 1,
            max_features: None,
            sublinear_tf: false,
            char_ngrams: None,
            negation_scope: false,
            target: None,
        };
        let d = docs(&["a b", "a c", "a a d"]);
        let tfidf = Tfidf::fit(&settings, &d);
        assert_eq!(tfidf.vocabulary, vec!["a", "b", "c", "d"]);
        // idf(a) = ln(4/4) + 1 = 1; idf(b) = ln(4/2) + 1 = 1.6931...
        let idf_b = (4.0f64 / 2.0).ln() + 1.0;
        assert!((tfidf.idf[0] - 1.0).abs() < 1e-12);
        assert!((tfidf.idf[1] - idf_b).abs() < 1e-12);
        // Row "a a d": tf a = 2, d = 1 → (2·1, 1·idf_d) normalized.
        let rows = tfidf.transform(&d);
        let (idx, val) = rows.row(2);
        assert_eq!(idx, &[0, 3]);
        let norm = (4.0 + idf_b * idf_b).sqrt();
        assert!((val[0] - 2.0 / norm).abs() < 1e-12);
        assert!((val[1] - idf_b / norm).abs() < 1e-12);
        // scikit-learn gives 0.763... and 0.646... for this row.
        assert!((val[0] - 0.7632).abs() < 1e-4);
    }

    #[test]
    fn sublinear_tf_and_bigrams() {
        let settings = TfidfSettings::default();
        let d = docs(&["x y x", "y z"]);
        let tfidf = Tfidf::fit(&settings, &d);
        assert_eq!(tfidf.vocabulary, vec!["x", "x y", "y", "y x", "y z", "z"]);
        let rows = tfidf.transform(&d);
        let (idx, val) = rows.row(0);
        assert_eq!(idx, &[0, 1, 2, 3]);
        // x: tf 2 → 1 + ln 2, idf ln(3/2) + 1; others tf 1.
        let idf1 = (3.0f64 / 2.0).ln() + 1.0;
        let idf_y = 1.0;
        let raw = [(1.0 + 2f64.ln()) * idf1, idf1, idf_y, idf1];
        let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
        for (v, r) in val.iter().zip(raw) {
            assert!((v - r / norm).abs() < 1e-12);
        }
    }

    #[test]
    fn min_df_and_max_features_prune() {
        let d = docs(&["a b", "a c", "a b d"]);
        let tfidf = Tfidf::fit(
            &TfidfSettings {
                ngram_max: 1,
                min_df: 2,
                max_features: None,
                sublinear_tf: true,
                char_ngrams: None,
                negation_scope: false,
                target: None,
            },
            &d,
        );
        assert_eq!(tfidf.vocabulary, vec!["a", "b"]);
        let tfidf = Tfidf::fit(
            &TfidfSettings {
                ngram_max: 1,
                min_df: 1,
                max_features: Some(1),
                sublinear_tf: true,
                char_ngrams: None,
                negation_scope: false,
                target: None,
            },
            &d,
        );
        assert_eq!(tfidf.vocabulary, vec!["a"]);
    }

    #[test]
    fn hashed_rows_equal_string_rows() {
        let mut analyzer = Analyzer::new();
        let texts = [
            "Russia’s talks didn't resume, Lavrov said.",
            "Talks resume; Russia talks and talks.",
            "“We will not retaliate,” said Putin, according to the Kremlin.",
            "Nothing known here",
        ];
        let docs: Vec<Tokens> = texts[..3]
            .iter()
            .map(|t| analyzer.analyze_tokens(t))
            .collect();
        let target = |window, speakers| {
            Some(TargetSettings {
                lexicon: crate::target::Lexicon::russia(),
                window,
                speakers,
                cues: speakers,
            })
        };
        for (ngram_max, char_ngrams, negation_scope, target) in [
            (1, None, false, None),
            (2, None, false, None),
            (3, None, false, None),
            (2, Some([2, 5]), false, None),
            (2, None, true, None),
            (3, Some([1, 3]), true, None),
            (2, None, false, target(3, false)),
            (1, None, false, target(0, true)),
            (2, Some([2, 5]), true, target(4, true)),
        ] {
            let tfidf = Tfidf::fit(
                &TfidfSettings {
                    ngram_max,
                    char_ngrams,
                    negation_scope,
                    target: target.clone(),
                    ..TfidfSettings::default()
                },
                &docs,
            );
            if negation_scope {
                assert!(tfidf.vocabulary.iter().any(|t| t.starts_with("¬resum")));
            }
            if let Some(t) = &target {
                let has = |term: &str| tfidf.vocabulary.iter().any(|v| v == term);
                assert_eq!(has("@talk"), t.window > 0);
                assert_eq!(has("§target:said") && has("»retali"), t.speakers);
                assert_eq!(has("%engage") && has("§target%engage"), t.cues);
            }
            let mut buf = RowBuffer::default();
            let mut hashes = Vec::new();
            let (mut stems, mut kinds, mut marks) = (Vec::new(), Vec::new(), Vec::new());
            let mut other = Vec::new();
            let mut terms = Vec::new();
            for t in texts {
                hashes.clear();
                other.clear();
                stems.clear();
                marks.clear();
                analyzer.each_word_hash(t, |word, hash, m| {
                    hashes.push(tfidf.term_hash(hash, m.negated));
                    stems.push(hash);
                    marks.push(m);
                    tfidf.word_char_columns(word, &mut other);
                });
                let tokens = analyzer.analyze_tokens(t);
                kinds.clear();
                kinds.extend(
                    tokens
                        .words
                        .iter()
                        .zip(&tokens.stems)
                        .map(|(w, s)| tfidf.word_kind(w, s)),
                );
                tfidf.target_columns(&stems, &kinds, &marks, &mut other);
                let unigrams: Vec<u32> = hashes.iter().map(|&h| tfidf.unigram_column(h)).collect();
                tfidf.row_from_hashes(&hashes, &unigrams, &other, &mut buf);
                let (idx, val) = tfidf.row(&tokens, &mut terms);
                let (hashed_idx, hashed_val) = sorted_row(&buf);
                assert_eq!(hashed_idx, idx, "{t}");
                for (a, b) in hashed_val.iter().zip(&val) {
                    assert!((a - b).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn hashed_rows_leave_the_buffer_ready_for_the_next() {
        let d = docs(&["a b a", "b c"]);
        let tfidf = Tfidf::fit(&TfidfSettings::default(), &d);
        let mut buf = RowBuffer::default();
        let row = |terms: &[&str], buf: &mut RowBuffer| {
            let hashes: Vec<u64> = terms.iter().map(|t| crate::analyze::term_hash(t)).collect();
            let unigrams: Vec<u32> = hashes.iter().map(|&h| tfidf.unigram_column(h)).collect();
            tfidf.row_from_hashes(&hashes, &unigrams, &[], buf);
        };
        row(&["a", "b", "a"], &mut buf);
        let first = sorted_row(&buf);
        row(&["b", "c"], &mut buf);
        row(&["a", "b", "a"], &mut buf);
        assert_eq!(sorted_row(&buf), first);
        assert!(buf.counts.iter().all(|&c| c == 0));
    }

    #[test]
    fn char_ngrams_are_those_of_scikit_learns_char_wb() {
        let collect = |word: &str, lo, hi| {
            let mut out = Vec::new();
            char_ngrams(word, lo, hi, |g| out.push(g.to_string()));
            out
        };
        // sklearn: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
        // .build_analyzer()("ab") gives these, the short word once, whole.
        assert_eq!(
            collect("ab", 2, 5),
            [" a", "ab", "b ", " ab", "ab ", " ab "]
        );
        assert_eq!(collect("a", 2, 5), [" a", "a ", " a "]);
        assert_eq!(
            collect("zürich", 5, 5),
            [" züri", "züric", "ürich", "rich "]
        );
    }

    #[test]
    fn char_and_word_blocks_each_have_unit_norm() {
        let settings = TfidfSettings {
            ngram_max: 1,
            char_ngrams: Some([2, 3]),
            ..TfidfSettings::default()
        };
        let d = docs(&["war talks", "peace talks", "war"]);
        let tfidf = Tfidf::fit(&settings, &d);
        assert!(tfidf.vocabulary.contains(&"#wa".to_string()));
        assert_eq!(tfidf.vocabulary.last().map(String::as_str), Some("war"));
        let rows = tfidf.transform(&d);
        for r in 0..3 {
            let (idx, val) = rows.row(r);
            let block_norm = |chars: bool| {
                idx.iter()
                    .zip(val)
                    .filter(|(&c, _)| tfidf.vocabulary[c as usize].starts_with(CHAR_MARK) == chars)
                    .map(|(_, v)| v * v)
                    .sum::<f64>()
            };
            assert!((block_norm(true) - 1.0).abs() < 1e-12);
            assert!((block_norm(false) - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn unknown_terms_give_an_empty_row() {
        let tfidf = Tfidf::fit(&TfidfSettings::default(), &docs(&["a b"]));
        let rows = tfidf.transform(&docs(&["q r"]));
        assert_eq!(rows.row(0).0.len(), 0);
    }

    #[test]
    fn rows_have_unit_norm_and_dot_is_symmetric() {
        let d = docs(&["a b c", "b c d", "d e"]);
        let tfidf = Tfidf::fit(&TfidfSettings::default(), &d);
        let rows = tfidf.transform(&d);
        for r in 0..3 {
            assert!((rows.row_dot(r, r) - 1.0).abs() < 1e-12);
        }
        assert_eq!(rows.row_dot(0, 1), rows.row_dot(1, 0));
        assert!(rows.row_dot(0, 2) == 0.0);
    }
}
