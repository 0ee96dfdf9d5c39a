//! Invariants of the library API that must hold for any input, checked on
//! generated news-like text (abbreviations, quotes, ellipses, numbers, line
//! breaks, non-Latin letters) and on arbitrary Unicode strings, with the
//! built-in model.

use proptest::prelude::*;
use stance::analyze::Analyzer;
use stance::corpus::{self, Article};
use stance::model::{store, Model};
use stance::profile::{self, Classified};
use std::sync::OnceLock;

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| store::load_default().expect("the built-in model loads"))
}

/// Pieces that exercise the segmenter's and tokenizer's rules.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "Russia", "Kerry", "Lavrov", "talks", "the", "sanctions", "Moscow", "must",
            "welcomed", "didn't", "won’t", "we’re", "Russia’s", "cease-fire", "U.S.",
            "U.S.-Russia", "a.m.", "p.m.", "Sen.", "Mr.", "Jr.", "Inc.", "No.", "F.", "3.5",
            "1,903", "2016", "Лавров", "Zürich", "东京", "he", "The", "And", "x",
        ])
        .prop_map(String::from),
        3 => prop::sample::select(vec![
            " ", " ", " ", ". ", "? ", "! ", "… ", "... ", ".", ",", ";", ":", " — ", "-", "“",
            "”", "\"", "'", "’", "(", ")", "[", "]", "«", "»", "\n", "\n\n", "\r\n", "\t",
            "\u{a0}", "\u{2028}", "?!", ".”", ".) ",
        ])
        .prop_map(String::from),
        1 => "\\PC{0,3}",
    ]
}

fn news_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(piece(), 0..60).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

fn visible(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn article(id: usize, body: String) -> Article {
    Article {
        id: format!("a{id}"),
        body,
        ..Article::default()
    }
}

/// One classified sentence in comparable form: start, end, text, labels,
/// probabilities.
type Row = (usize, usize, String, Vec<String>, Vec<Vec<f64>>);

/// What classifying an article gave, in comparable form.
fn results(c: &Classified) -> Vec<Row> {
    c.sentences
        .iter()
        .map(|s| {
            (
                s.start,
                s.end,
                s.text.clone(),
                s.labels.clone(),
                s.probabilities.clone(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every sentence is a trimmed, non-empty slice of the text; slices come
    /// in order without overlap; only whitespace lies between them, so no
    /// visible character is lost.
    #[test]
    fn segmentation_loses_nothing(text in news_text()) {
        let ranges = stance::segment::sentences(&text);
        let mut end = 0;
        let mut kept = String::new();
        for r in &ranges {
            prop_assert!(end <= r.start && r.start < r.end && r.end <= text.len(), "{ranges:?}");
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            let s = &text[r.clone()];
            prop_assert_eq!(s, s.trim());
            prop_assert!(visible(&text[end..r.start]).is_empty());
            kept.push_str(s);
            end = r.end;
        }
        prop_assert_eq!(visible(&kept), visible(&text));
    }

    /// Every head gives finite, non-negative probabilities summing to 1.
    #[test]
    fn probabilities_are_a_distribution(text in news_text()) {
        let mut scorer = model().scorer();
        for r in stance::segment::sentences(&text).into_iter().chain(std::iter::once(0..text.len())) {
            let predictions = scorer.score(&text[r]);
            prop_assert_eq!(predictions.len(), model().heads().len());
            for (p, head) in predictions.iter().zip(model().heads()) {
                prop_assert_eq!(p.probabilities.len(), head.classes.len());
                prop_assert!(p.probabilities.iter().all(|v| v.is_finite() && *v >= 0.0));
                let sum: f64 = p.probabilities.iter().sum();
                prop_assert!((sum - 1.0).abs() <= 1e-9, "sum {}", sum);
            }
        }
    }

    /// A profile's label counts (stance and tone) add up to its sentence
    /// count, and its shares to 1 when it has sentences.
    #[test]
    fn profile_counts_sum_to_sentences(text in news_text()) {
        let m = model();
        let cleaned = corpus::clean(&text, None);
        let c = profile::classify(&mut m.scorer(), m, article(0, cleaned.body));
        let (h, stance) = m.head("stance").expect("a stance head");
        let tone = m.head("tone").map(|(t, head)| (t, head.classes.as_slice()));
        let p = profile::profile(&c, &stance.classes, h, tone, None);
        prop_assert_eq!(p.sentences, c.sentences.len());
        prop_assert_eq!(p.counts.values().sum::<usize>(), p.sentences);
        if let Some(tone_counts) = &p.tone_counts {
            prop_assert_eq!(tone_counts.values().sum::<usize>(), p.sentences);
        }
        if p.sentences > 0 {
            prop_assert!((p.shares.values().sum::<f64>() - 1.0).abs() < 1e-9);
            prop_assert!((p.mean_probability.values().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    /// Classifying a batch of articles — with one scorer whose stem cache
    /// warms over the batch, or in parallel as the command line does — gives
    /// exactly what classifying each article alone with a fresh scorer gives.
    #[test]
    fn batch_equals_each_alone(texts in prop::collection::vec(news_text(), 1..6)) {
        use rayon::prelude::*;
        let m = model();
        let articles: Vec<Article> =
            texts.into_iter().enumerate().map(|(i, t)| article(i, t)).collect();
        let alone: Vec<_> = articles
            .iter()
            .map(|a| results(&profile::classify(&mut m.scorer(), m, a.clone())))
            .collect();
        let mut shared = m.scorer();
        let batch: Vec<_> = articles
            .iter()
            .map(|a| results(&profile::classify(&mut shared, m, a.clone())))
            .collect();
        let parallel: Vec<_> = articles
            .par_iter()
            .map_init(|| m.scorer(), |s, a| results(&profile::classify(s, m, a.clone())))
            .collect();
        prop_assert_eq!(&batch, &alone);
        prop_assert_eq!(&parallel, &alone);
    }

    /// The hashed classification path builds the same TF-IDF row as the
    /// string path used in training (the built-in model has character
    /// n-grams, so both blocks are checked).
    #[test]
    fn hashed_rows_equal_string_rows(text in news_text()) {
        let tfidf = &model().tfidf;
        let mut analyzer = Analyzer::new();
        let tokens = analyzer.analyze_tokens(&text);
        let (mut hashes, mut chars) = (Vec::new(), Vec::new());
        let (mut stems, mut marks) = (Vec::new(), Vec::new());
        analyzer.each_word_hash(&text, |word, hash, m| {
            hashes.push(tfidf.term_hash(hash, m.negated));
            stems.push(hash);
            marks.push(m);
            tfidf.word_char_columns(word, &mut chars);
        });
        // Target terms (when the model has them), from each word's kind.
        let kinds: Vec<u8> = tokens
            .words
            .iter()
            .zip(&tokens.stems)
            .map(|(w, s)| tfidf.word_kind(w, s))
            .collect();
        tfidf.target_columns(&stems, &kinds, &marks, &mut chars);
        let mut buf = stance::features::RowBuffer::default();
        let unigrams: Vec<u32> = hashes.iter().map(|&h| tfidf.unigram_column(h)).collect();
        tfidf.row_from_hashes(&hashes, &unigrams, &chars, &mut buf);
        let (indices, values) = tfidf.row(&tokens, &mut Vec::new());
        // The hashed row lists columns in order of first occurrence.
        let mut hashed: Vec<(u32, f64)> = buf.indices.iter().cloned().zip(buf.values.clone()).collect();
        hashed.sort_by_key(|p| p.0);
        let (hashed_indices, hashed_values): (Vec<u32>, Vec<f64>) = hashed.into_iter().unzip();
        prop_assert_eq!(&hashed_indices, &indices);
        prop_assert_eq!(hashed_values.len(), values.len());
        for (a, b) in hashed_values.iter().zip(&values) {
            prop_assert!((a - b).abs() < 1e-12, "{} vs {}", a, b);
        }
    }
}

/// A model saved and loaded again is the same model, byte for byte, and
/// predicts exactly the same probabilities.
mod save_load {
    use super::*;

    fn reloaded() -> &'static (Model, Vec<u8>) {
        static RELOADED: OnceLock<(Model, Vec<u8>)> = OnceLock::new();
        RELOADED.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("saved.json");
            store::save(&model().file, &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            (store::load(&path).unwrap(), bytes)
        })
    }

    #[test]
    fn saved_model_reloads_identically() {
        let (again, bytes) = reloaded();
        assert_eq!(again.file, model().file);
        assert_eq!(store::to_bytes(&again.file), *bytes);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn save_load_predicts_identically(text in news_text()) {
            let (again, _) = reloaded();
            let (mut a, mut b) = (model().scorer(), again.scorer());
            for r in stance::segment::sentences(&text).into_iter().chain(std::iter::once(0..text.len())) {
                let s = &text[r];
                prop_assert_eq!(a.score(s), b.score(s));
            }
        }
    }
}
