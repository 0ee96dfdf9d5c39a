//! What each fuzz target runs on one input, and the invariants it asserts.
//!
//! Shared by the cargo-fuzz targets (the library of the fuzz crate) and by
//! `tests/regressions.rs`, which replays saved inputs under stable `cargo
//! test`, so a regression input runs exactly the code path that found it.
//! Every function panics when an invariant breaks (that is how libFuzzer
//! sees a failure) and otherwise returns a short summary of what happened,
//! for regression tests to assert on.

use stance::analyze::{term_hash, Analyzer};
use stance::corpus::Article;
use stance::model::{store, Model};
use std::path::Path;
use std::sync::OnceLock;

/// What reading one input gave: articles or rows read, and the errors
/// reported (as displayed to the user).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub ok: usize,
    pub errors: Vec<String>,
}

fn default_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| store::load_default().expect("the built-in model loads"))
}

/// Every head's probabilities for `sentence`: one per class, finite,
/// non-negative, summing to 1.
pub fn check_scores(model: &Model, sentence: &str) {
    let mut scorer = model.scorer();
    let predictions = scorer.score(sentence);
    assert_eq!(predictions.len(), model.heads().len());
    for (p, head) in predictions.iter().zip(model.heads()) {
        assert_eq!(p.probabilities.len(), head.classes.len());
        assert!(
            p.probabilities.iter().all(|v| v.is_finite() && *v >= 0.0),
            "bad probabilities {:?} for {sentence:?}",
            p.probabilities
        );
        let sum: f64 = p.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "probabilities sum to {sum}");
        assert!(p.best() < head.classes.len());
    }
    // Again, with the words remembered: the same scores.
    assert_eq!(scorer.score(sentence), predictions, "{sentence:?}");
    // The scorer's one pass equals scoring the normalized TF-IDF row.
    let tokens = Analyzer::new().analyze_tokens(sentence);
    let (indices, values) = model.tfidf.row(&tokens, &mut Vec::new());
    for (h, p) in predictions.iter().enumerate() {
        let expected = model.predict_row(h, &indices, &values);
        for (a, b) in p.probabilities.iter().zip(&expected.probabilities) {
            assert!((a - b).abs() < 1e-9, "{sentence:?}: {p:?} vs {expected:?}");
        }
    }
}

/// Segment `text`, tokenize every sentence, score it with the built-in model.
/// Returns the number of sentences.
pub fn segment(text: &str) -> usize {
    let ranges = stance::segment::sentences(text);
    let mut previous_end = 0;
    for r in &ranges {
        assert!(
            previous_end <= r.start && r.start < r.end && r.end <= text.len(),
            "ranges out of order or empty: {ranges:?}"
        );
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        let gap = &text[previous_end..r.start];
        assert!(
            gap.chars().all(char::is_whitespace),
            "text lost between sentences: {gap:?}"
        );
        let sentence = &text[r.clone()];
        assert_eq!(sentence, sentence.trim(), "sentence not trimmed");
        previous_end = r.end;
    }
    let tail = &text[previous_end..];
    assert!(
        tail.chars().all(char::is_whitespace),
        "text lost at the end: {tail:?}"
    );

    let mut analyzer = Analyzer::new();
    let mut hashes = Vec::new();
    let mut all_tokens = Vec::new();
    for r in &ranges {
        let sentence = &text[r.clone()];
        let tokens = analyzer.analyze(sentence);
        for t in &tokens {
            assert!(
                !t.is_empty() && !t.contains(char::is_whitespace),
                "bad token {t:?} in {sentence:?}"
            );
        }
        analyzer.token_hashes(sentence, &mut hashes);
        let expected: Vec<u64> = tokens.iter().map(|t| term_hash(t)).collect();
        assert_eq!(hashes, expected, "hashes do not follow the stems");
        check_scores(default_model(), sentence);
        all_tokens.extend(tokens);
    }
    // Sentences are separated by whitespace only, and no token spans
    // whitespace: the tokens of the whole text are those of its sentences.
    // A fresh analyzer (cold stem cache) must agree with the warm one.
    assert_eq!(
        Analyzer::new().analyze(text),
        all_tokens,
        "tokens of the text differ from those of its sentences"
    );
    ranges.len()
}

/// What every article read must satisfy, whatever the format.
fn check_article(a: &Article) {
    assert!(
        !a.id.is_empty() && a.id.trim() == a.id,
        "bad article id {:?}",
        a.id
    );
    for field in [&a.outlet, &a.date, &a.title, &a.url].into_iter().flatten() {
        assert!(!field.trim().is_empty(), "empty metadata in {a:?}");
    }
    for d in &a.dropped {
        assert!(
            !d.text.is_empty() && d.text.trim() == d.text,
            "dropped line {d:?}"
        );
    }
    segment(&a.body);
}

/// An error shown to the user names the file it concerns.
fn check_error(err: &stance::Error, file: &str) -> String {
    let message = err.to_string();
    assert!(
        message.contains(file),
        "error does not name {file}: {message}"
    );
    message
}

/// Page-furniture removal keeps line breaks and never rewrites a kept line
/// of the plain text (line ends, control characters and markup normalized
/// by `corpus::plain_text`).
fn check_cleaned(text: &str, article: &Article) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = stance::corpus::plain_text(text);
    let original: Vec<&str> = text.split('\n').collect();
    let body: Vec<&str> = article.body.split('\n').collect();
    assert_eq!(original.len(), body.len(), "line count changed");
    for (o, b) in original.iter().zip(&body) {
        if !b.trim().is_empty() {
            assert_eq!(*o, *b, "a kept line was rewritten");
        }
    }
}

fn fresh(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fuzz input");
    path
}

/// A `.txt` article, with a `manifest.csv` beside it when the input has a
/// NUL byte: the bytes before the first NUL are the manifest, those after it
/// the article.
pub fn corpus_txt(dir: &Path, data: &[u8]) -> Summary {
    let (manifest, text) = match data.iter().position(|&b| b == 0) {
        Some(i) => (Some(&data[..i]), &data[i + 1..]),
        None => (None, data),
    };
    let manifest_path = dir.join("manifest.csv");
    match manifest {
        Some(m) => {
            fresh(dir, "manifest.csv", m);
        }
        None => {
            let _ = std::fs::remove_file(&manifest_path);
        }
    }
    let path = fresh(dir, "a.txt", text);
    let mut summary = Summary::default();
    let items = match stance::corpus::read(&path) {
        Ok(items) => items,
        Err(e) => {
            summary.errors.push(check_error(&e, "manifest.csv"));
            return summary;
        }
    };
    for item in items {
        match item {
            Ok(article) => {
                check_article(&article);
                let decoded = std::str::from_utf8(text).expect("an article read is UTF-8");
                check_cleaned(decoded, &article);
                summary.ok += 1;
            }
            Err(e) => summary.errors.push(check_error(&e, "a.txt")),
        }
    }
    assert_eq!(
        summary.ok + summary.errors.len(),
        1,
        "one file, one article"
    );
    summary
}

/// A JSONL file of articles. Every problem names the file and its line.
pub fn corpus_jsonl(dir: &Path, data: &[u8]) -> Summary {
    let path = fresh(dir, "a.jsonl", data);
    let lines = data.split(|&b| b == b'\n').count();
    let mut summary = Summary::default();
    let items = stance::corpus::read(&path).expect("opening a JSONL file");
    for item in items {
        match item {
            Ok(article) => {
                check_article(&article);
                summary.ok += 1;
            }
            Err(e) => {
                let message = check_error(&e, "a.jsonl:");
                summary.errors.push(message);
            }
        }
    }
    assert!(
        summary.ok + summary.errors.len() <= lines,
        "more items than lines"
    );
    summary
}

/// A CSV file of articles.
pub fn corpus_csv(dir: &Path, data: &[u8]) -> Summary {
    let path = fresh(dir, "a.csv", data);
    let mut summary = Summary::default();
    let items = match stance::corpus::read(&path) {
        Ok(items) => items,
        Err(e) => {
            summary.errors.push(check_error(&e, "a.csv"));
            return summary;
        }
    };
    for item in items.take(10_000) {
        match item {
            Ok(article) => {
                check_article(&article);
                summary.ok += 1;
            }
            Err(e) => summary.errors.push(check_error(&e, "a.csv")),
        }
    }
    summary
}

/// A valid label file the fuzzed one is appended to, or receives rows from.
const LABELS: &str = "text,label,tone,article\n\
    Russia must be held accountable.,hawkish,negative,a1\n\
    \"Moscow welcomed the talks, officials said.\",conciliatory,positive,a1\n\
    The meeting is on Monday.,neutral,,\n\
    Sanctions were not lifted.,,,\n";

/// A label file, read for both tasks, then used in `labels add` both ways:
/// its rows appended to a valid file, and a valid file's rows appended to it.
/// Appending must keep every existing byte and add exactly the rows reported.
pub fn labels(dir: &Path, data: &[u8]) -> Summary {
    let path = fresh(dir, "labels.csv", data);
    let mut summary = Summary::default();
    for column in ["label", "tone"] {
        match stance::labels::read(&path, column) {
            Ok(file) => {
                assert!(file.rows.len() + file.unlabeled <= file.total_rows);
                let mut previous_line = 1;
                for row in &file.rows {
                    assert!(!row.text.trim().is_empty());
                    assert!(!row.label.is_empty() && row.label.trim() == row.label);
                    assert!(!row.label.chars().any(char::is_uppercase));
                    let line = row.at.line.expect("a row has a line");
                    // Non-decreasing, not increasing: the csv crate counts
                    // lines by '\n' only, so in a file with bare '\r' line
                    // endings every row is on line 1 (see the regression
                    // input labels/cr-line-endings.csv).
                    assert!(line >= previous_line, "rows out of line order");
                    previous_line = line;
                }
                summary.ok += file.rows.len();
            }
            Err(e) => summary.errors.push(check_error(&e, "labels.csv")),
        }
    }
    let _ = stance::labels::has_column(&path, "tone");

    let valid = fresh(dir, "valid.csv", LABELS.as_bytes());
    append_and_reread(&valid, &path, &mut summary);
    let valid = fresh(dir, "valid.csv", LABELS.as_bytes());
    append_and_reread(&path, &valid, &mut summary);
    summary
}

fn append_and_reread(target: &Path, new: &Path, summary: &mut Summary) {
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let prepared = match stance::labels::prepare_append(target, new, "fuzz") {
        Ok(p) => p,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains(&name(target)) || message.contains(&name(new)),
                "error names neither file: {message}"
            );
            summary.errors.push(message);
            return;
        }
    };
    for problem in &prepared.problems {
        summary.errors.push(check_error(problem, &name(new)));
    }
    if !prepared.problems.is_empty() || prepared.added == 0 {
        return;
    }
    let before = std::fs::read(target).expect("read target");
    let rows_before = stance::labels::read(target, "label").map(|f| f.total_rows);
    stance::labels::append(target, &prepared.bytes).expect("append");
    let after = std::fs::read(target).expect("read target");
    assert!(after.starts_with(&before), "append changed existing bytes");
    if let Ok(rows_before) = rows_before {
        let file = stance::labels::read(target, "label")
            .unwrap_or_else(|e| panic!("label file unreadable after append: {e}"));
        assert_eq!(
            file.total_rows,
            rows_before + prepared.added,
            "append added a different number of rows than reported"
        );
    }
}

/// A model file: loaded and checked; a model that loads must score sentences
/// with valid probabilities, and survive save → load unchanged.
pub fn model(data: &[u8]) -> Summary {
    let mut summary = Summary::default();
    let model = match store::from_bytes(data, Path::new("m.json")) {
        Ok(m) => m,
        Err(e) => {
            summary.errors.push(check_error(&e, "m.json"));
            return summary;
        }
    };
    summary.ok = 1;
    let mut sentences: Vec<String> = vec![
        String::new(),
        "Russia must be held accountable for its crimes.".into(),
        "Moscow welcomed the talks.".into(),
    ];
    // Every vocabulary term as a sentence reaches every weight.
    sentences.push(model.file.features.vocabulary.join(" "));
    sentences.extend(model.file.features.vocabulary.iter().take(50).cloned());
    for s in &sentences {
        check_scores(&model, s);
    }
    let reloaded = store::from_bytes(&store::to_bytes(&model.file), Path::new("m2.json"))
        .unwrap_or_else(|e| panic!("a loaded model does not reload after saving: {e}"));
    let (mut a, mut b) = (model.scorer(), reloaded.scorer());
    for s in &sentences {
        assert_eq!(a.score(s), b.score(s), "save → load changed predictions");
    }
    summary
}
