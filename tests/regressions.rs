//! The fuzz targets' inputs, replayed under stable `cargo test`: the seed
//! corpus (`tests/fuzz/corpus/<target>/seed-*`) and every input that once
//! broke a target (`tests/fuzz/regressions/<target>/*`). Each runs exactly
//! the code path of its target (`tests/fuzz/checks.rs`), whose invariants
//! panic on failure; the tests below add what each result must be.

#[path = "fuzz/checks.rs"]
#[allow(dead_code)]
mod checks;

use checks::Summary;
use std::path::{Path, PathBuf};

const TARGETS: &[&str] = &[
    "segment",
    "corpus_txt",
    "corpus_jsonl",
    "corpus_csv",
    "labels",
    "model",
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz")
}

/// Seeds and regression inputs of `target`, sorted by path.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for (dir, seeds_only) in [("corpus", true), ("regressions", false)] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_file() && (!seeds_only || name.starts_with("seed-")) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn run(target: &str, dir: &Path, data: &[u8]) -> Summary {
    match target {
        "segment" => match std::str::from_utf8(data) {
            Ok(text) => Summary {
                ok: checks::segment(text),
                errors: Vec::new(),
            },
            Err(_) => Summary::default(),
        },
        "corpus_txt" => checks::corpus_txt(dir, data),
        "corpus_jsonl" => checks::corpus_jsonl(dir, data),
        "corpus_csv" => checks::corpus_csv(dir, data),
        "labels" => checks::labels(dir, data),
        "model" => checks::model(data),
        other => panic!("no fuzz target {other}"),
    }
}

#[test]
fn every_target_has_seeds() {
    for target in TARGETS {
        let seeds = inputs(target)
            .into_iter()
            .filter(|(p, _)| p.starts_with(fuzz_dir().join("corpus")))
            .count();
        assert!(seeds >= 2, "{target} has {seeds} seed files");
    }
}

#[test]
fn seeds_and_regressions_pass_every_check() {
    for target in TARGETS {
        for (path, data) in inputs(target) {
            let dir = tempfile::tempdir().unwrap();
            let result = std::panic::catch_unwind(|| run(target, dir.path(), &data));
            assert!(result.is_ok(), "{target}: {} failed", path.display());
        }
    }
}

#[test]
fn seeds_give_what_they_were_written_for() {
    let dir = tempfile::tempdir().unwrap();
    let seed = |target: &str, name: &str| {
        let data = std::fs::read(fuzz_dir().join("corpus").join(target).join(name)).unwrap();
        run(target, dir.path(), &data)
    };
    // Abbreviations, initials, times, quotes and an ellipsis: 8 sentences.
    assert_eq!(seed("segment", "seed-abbreviations.txt").ok, 8);
    let s = seed("corpus_jsonl", "seed-errors.jsonl");
    assert_eq!(s.ok, 0);
    assert_eq!(s.errors.len(), 6, "{:?}", s.errors);
    assert!(
        s.errors[4].contains("a.jsonl:5: empty article"),
        "{:?}",
        s.errors
    );
    let s = seed("corpus_csv", "seed-articles.csv");
    assert_eq!(s.ok, 2, "{:?}", s.errors);
    assert!(
        s.errors.iter().any(|e| e.contains("empty `id`")),
        "{:?}",
        s.errors
    );
    let s = seed("corpus_txt", "seed-manifest.txt");
    assert_eq!((s.ok, s.errors.len()), (1, 0));
    let s = seed("model", "seed-tiny.json");
    assert_eq!((s.ok, s.errors.len()), (1, 0));
}

/// Found by the `labels` target: a label file whose header ends in a bare
/// `\r` (old Mac line endings) is read as CSV rows like any other. The csv
/// crate counts lines by `\n` only, so such rows all report line 1; the
/// check asserts non-decreasing lines for that reason.
#[test]
fn label_file_with_bare_cr_line_endings() {
    let path = fuzz_dir().join("regressions/labels/cr-line-endings.csv");
    let file = stance::labels::read(&path, "label").unwrap();
    assert_eq!(
        (file.total_rows, file.rows.len(), file.unlabeled),
        (2, 1, 1)
    );
    assert_eq!(file.rows[0].text, "Russia lies.");
    assert!(file.rows[0].label.starts_with("hawk") && file.rows[0].label.ends_with("leeutral"));
    let dir = tempfile::tempdir().unwrap();
    let summary = run("labels", dir.path(), &std::fs::read(&path).unwrap());
    assert!(
        summary
            .errors
            .iter()
            .any(|e| e.contains("missing `tone` column")),
        "{:?}",
        summary.errors
    );
}

/// Found by the `model` target: without serde_json's `float_roundtrip`
/// feature some weights (here an intercept edited to 1.2474681730590687)
/// were parsed one ulp off, so a model saved and loaded again no longer
/// equalled itself and predicted slightly different probabilities.
#[test]
fn saved_weights_reload_exactly() {
    let path = fuzz_dir().join("regressions/model/float-roundtrip.json");
    let model = stance::model::store::load(&path).unwrap();
    let bytes = stance::model::store::to_bytes(&model.file);
    let again = stance::model::store::from_bytes(&bytes, Path::new("again.json")).unwrap();
    assert_eq!(again.file, model.file);
    assert_eq!(stance::model::store::to_bytes(&again.file), bytes);
    let summary = run("model", Path::new("."), &std::fs::read(&path).unwrap());
    assert_eq!((summary.ok, summary.errors.len()), (1, 0));
}

/// A model with finite but huge weights (1e308) loaded, then scored every
/// sentence NaN: the weights summed to infinity. Now it is refused on load.
#[test]
fn huge_weights_are_refused_on_load() {
    let path = fuzz_dir().join("regressions/model/huge-weights.json");
    let err = stance::model::store::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("huge-weights.json")
            && err.contains("head 'stance' contains a non-finite weight or one beyond"),
        "{err}"
    );
    let summary = run("model", Path::new("."), &std::fs::read(&path).unwrap());
    assert_eq!((summary.ok, summary.errors.len()), (0, 1));
}
