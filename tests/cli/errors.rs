//! Bad input: every case exits non-zero with a message naming the file (and
//! line where there is one), never panics, and leaves no output file. The
//! inventory of hostile article and label input, one test per case, is in
//! `hostile_input`.

use crate::util::*;
use std::path::Path;

/// A small valid model, trained once per test that needs one.
fn small_model(dir: &Path) -> std::path::PathBuf {
    let model = dir.join("m.json");
    stance(&[
        "train",
        "--labels",
        small_labels(),
        "--out",
        model.to_str().unwrap(),
        "--alpha",
        "1",
        "--ngram-max",
        "1",
        "--min-df",
        "2",
        "--folds",
        "2",
    ])
    .assert_ok();
    model
}

pub fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_string()
}

pub fn assert_no_output(dir: &Path, name: &str) {
    assert!(!dir.join(name).exists(), "{name} was written");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn label_file_errors_name_file_and_line() {
    let dir = tempdir();
    let out = dir.path().join("m.json");
    let o = out.to_str().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "missing_text.csv",
            b"words,label\nRussia lies.,hawkish\n",
            "missing_text.csv:1: missing text column",
        ),
        (
            "missing_label.csv",
            b"text,stance\nRussia lies.,hawkish\n",
            "missing_label.csv:1: missing `label` column",
        ),
        (
            "empty_text.csv",
            b"text,label\nRussia lies.,hawkish\n  ,neutral\n",
            "empty_text.csv:3: empty text",
        ),
        (
            "typo.csv",
            b"text,label\na.,hawkish\nb.,hawkish\nc.,neutral\nd.,neutral\ne.,hawkihs\n",
            "typo.csv:6: unknown label 'hawkihs'",
        ),
        (
            "invalid.csv",
            b"text,label\na.,hawk ish\n",
            "invalid.csv:2: invalid label",
        ),
        (
            "all_empty.csv",
            b"text,label\na.,\nb.,\n",
            "no labeled rows",
        ),
    ];
    for (name, content, expected) in cases {
        let path = write(dir.path(), name, content);
        let err = stance(&["train", "--labels", &path, "--out", o]).assert_fails();
        assert!(
            err.contains(expected),
            "{name}: expected {expected:?} in {err}"
        );
        assert_no_output(dir.path(), "m.json");
    }
    let err = stance(&[
        "train",
        "--labels",
        "data/labels.csv",
        "--out",
        o,
        "--classes",
        "hawkish,neutral",
    ])
    .assert_fails();
    assert!(
        err.contains("unknown label 'conciliatory'") && err.contains("data/labels.csv:"),
        "{err}"
    );
}

#[test]
fn test_file_errors() {
    let dir = tempdir();
    let model = small_model(dir.path());
    let m = model.to_str().unwrap();
    let empty = write(dir.path(), "empty.csv", b"text,label\nRussia lies.,\n");
    let err = stance(&["eval", "--model", m, "--test", &empty]).assert_fails();
    assert!(
        err.contains("empty.csv") && err.contains("empty label"),
        "{err}"
    );
    let err = stance(&["eval", "--model", m, "--test", "no/such/file.csv"]).assert_fails();
    assert!(err.contains("no/such/file.csv"), "{err}");
}

#[test]
fn model_errors() {
    let dir = tempdir();
    let good = std::fs::read_to_string(small_model(dir.path())).unwrap();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();

    let truncated = write(
        dir.path(),
        "truncated.json",
        &good.as_bytes()[..good.len() / 2],
    );
    let mut newer = value.clone();
    newer["format_version"] = serde_json::json!(99);
    let newer = write(dir.path(), "newer.json", newer.to_string().as_bytes());
    let mut mismatched = value.clone();
    mismatched["heads"][0]["coefficients"][1]
        .as_array_mut()
        .unwrap()
        .pop();
    let mismatched = write(
        dir.path(),
        "mismatched.json",
        mismatched.to_string().as_bytes(),
    );
    let mut short_idf = value.clone();
    short_idf["features"]["idf"].as_array_mut().unwrap().pop();
    let short_idf = write(
        dir.path(),
        "short_idf.json",
        short_idf.to_string().as_bytes(),
    );
    let foreign = write(dir.path(), "foreign.json", b"{\"hello\": 1}");
    let labels_as_model = "data/labels.csv".to_string();

    let cases = [
        (&truncated, "not valid model JSON"),
        (&newer, "format version 99 was written by a newer stance"),
        (&mismatched, "has 2586"),
        (&short_idf, "but idf has"),
        (&foreign, "not a stance model file"),
        (&labels_as_model, "not valid model JSON"),
    ];
    for (path, expected) in cases {
        let out = dir.path().join("out.csv");
        let err = stance(&[
            "classify",
            "data/articles",
            "--model",
            path,
            "--out",
            out.to_str().unwrap(),
        ])
        .assert_fails();
        let name = Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(err.contains(&name), "{err}");
        if path != &mismatched {
            assert!(
                err.contains(expected),
                "{path}: expected {expected:?} in {err}"
            );
        } else {
            assert!(err.contains("coefficients for class"), "{err}");
        }
        assert_no_output(dir.path(), "out.csv");
    }
}

#[test]
fn corpus_errors() {
    let dir = tempdir();
    let out = dir.path().join("out.csv");
    let o = out.to_str().unwrap();

    let err = stance(&["profile", "does/not/exist", "--out", o]).assert_fails();
    assert!(err.contains("does/not/exist"), "{err}");
    let unsupported = write(dir.path(), "x.pdf", b"%PDF");
    let err = stance(&["classify", &unsupported, "--out", o]).assert_fails();
    assert!(err.contains("unsupported file type"), "{err}");
    assert_no_output(dir.path(), "out.csv");
}

#[test]
fn output_in_a_missing_directory() {
    let err = stance(&["profile", "data/articles", "--out", "no/such/dir/out.json"]).assert_fails();
    assert!(
        err.contains("no/such/dir") && err.contains("does not exist"),
        "{err}"
    );
}

/// `stance train` on the bundled labels with one bad setting: exits with
/// `code`, writes no model, returns stderr.
fn train_with_bad_setting(setting: &[&str], code: i32) -> String {
    let dir = tempdir();
    let out = dir.path().join("m.json");
    let err = stance(&train_args(out.to_str().unwrap(), setting)).assert_exit(code);
    assert_no_output(dir.path(), "m.json");
    err
}

#[test]
fn solver_settings_must_be_positive() {
    for (flag, value) in [("--tol", "0"), ("--tol", "-1e-5"), ("--alpha", "0")] {
        let err = train_with_bad_setting(&[&format!("{flag}={value}")], 1);
        assert!(
            err.contains(flag) && err.contains("positive"),
            "{flag} {value}: {err}"
        );
    }
}

#[test]
fn char_ngram_ranges_are_checked() {
    for value in ["5-2", "0-3", "2-11", "three", "2-5,x"] {
        let err = train_with_bad_setting(&["--char-ngrams", value], 2);
        assert!(
            err.contains("--char-ngrams") && err.contains("such as 2-5"),
            "{value}: {err}"
        );
    }
}
