//! Hostile model files given with `--model`: truncated, inconsistent, huge,
//! not files at all. Each fails with exit status 1 and a message naming the
//! file, what is wrong and what to do, quickly, and writes no output.
//! (The message of every failure mode is checked in detail by the unit tests
//! of `src/model/store.rs`; these check the command line end to end.)

use crate::util::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn default_model() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.json")).unwrap()
}

/// Run `classify --model MODEL --out DIR/out.csv`; expect failure, no output
/// and no temporary file; return the message.
fn classify_with(model: &Path, dir: &Path) -> String {
    let out = dir.join("out.csv");
    let err = stance(&[
        "classify",
        "data/articles",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .assert_fails();
    assert!(!out.exists(), "output written: {err}");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert!(err.contains(model.to_str().unwrap()), "{err}");
    err
}

#[test]
fn a_model_truncated_anywhere_is_refused() {
    let dir = tempdir();
    let good = default_model();
    let model = dir.path().join("cut.json");
    for len in [
        1,
        2,
        100,
        good.len() / 3,
        good.len() / 2 + 7,
        good.len() - 3,
    ] {
        std::fs::write(&model, &good[..len]).unwrap();
        let err = classify_with(&model, dir.path());
        assert!(
            err.contains("not valid model JSON") && err.contains("is the file complete?"),
            "{len} bytes: {err}"
        );
    }
    // An empty file too.
    std::fs::write(&model, b"").unwrap();
    let err = classify_with(&model, dir.path());
    assert!(err.contains("not valid model JSON"), "{err}");
}

#[test]
fn inconsistent_models_name_what_does_not_fit() {
    let dir = tempdir();
    let value: serde_json::Value = serde_json::from_slice(&default_model()).unwrap();
    let model = dir.path().join("edited.json");
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 3] = [
        (
            |v| {
                v["heads"][0]["intercepts"].as_array_mut().unwrap().pop();
            },
            "head 'stance' has 3 classes but 2 intercepts and 3 coefficient rows",
        ),
        (
            |v| {
                let first = v["features"]["vocabulary"][0].clone();
                v["features"]["vocabulary"][1] = first;
            },
            "the vocabulary has the term",
        ),
        (
            |v| v["features"]["vocabulary"] = serde_json::json!("not a list"),
            "malformed model",
        ),
    ];
    for (edit, expected) in cases {
        let mut v = value.clone();
        edit(&mut v);
        std::fs::write(&model, v.to_string()).unwrap();
        let err = classify_with(&model, dir.path());
        assert!(
            err.contains(expected) && err.contains("stance train"),
            "expected {expected:?} in {err}"
        );
    }
}

#[test]
fn a_huge_model_file_is_refused_before_it_is_read() {
    let dir = tempdir();
    let model = dir.path().join("huge.json");
    // A header that starts a vocabulary, then a terabyte of (sparse) file.
    std::fs::write(
        &model,
        br#"{"format": "stance-model", "format_version": 1, "features": {"vocabulary": ["a", "b", "#,
    )
    .unwrap();
    let size = 1u64 << 40;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&model)
        .unwrap();
    if file.set_len(size).is_err() {
        // Not every file system allows a terabyte; just past the limit will do.
        file.set_len(stance::model::store::MAX_MODEL_BYTES + 1)
            .unwrap();
    }
    let size = file.metadata().unwrap().len();
    drop(file);
    let started = Instant::now();
    let err = classify_with(&model, dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.contains(&format!("the file is {size} bytes")) && err.contains("is this a model file?"),
        "{err}"
    );
}

#[test]
fn a_device_or_a_directory_is_not_a_model() {
    let dir = tempdir();
    let started = Instant::now();
    let err = classify_with(Path::new("/dev/zero"), dir.path());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.contains("not valid model JSON"), "{err}");
    let err = classify_with(dir.path(), dir.path());
    assert!(err.contains("this is a directory"), "{err}");
}
