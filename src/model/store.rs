//! Saving and loading model files: JSON, versioned, checked on load.
//!
//! A model file is data, never code: loading parses JSON into plain structs
//! and checks every shape before the model is used, so a corrupt, truncated,
//! foreign or newer file fails with a message instead of a wrong answer.

use super::{Model, ModelFile};
use crate::error::{Error, Result};
use crate::output::write_atomically;
use std::path::Path;

pub const FORMAT: &str = "stance-model";
/// Version 1: TF-IDF word n-grams, heads of multinomial logistic regression.
pub const FORMAT_VERSION: u32 = 1;

/// The default model, trained on `data/labels.csv`, built into the binary.
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../../models/default.json");
pub const DEFAULT_MODEL_NAME: &str = "models/default.json (built in)";

/// Load and check a model file.
pub fn load(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    from_bytes(&bytes, path)
}

/// The model built into the binary.
pub fn load_default() -> Result<Model> {
    from_bytes(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_NAME))
}

pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
    // Check the header first so a newer or foreign file gets the right message
    // even when its body no longer parses as this version's structs.
    #[derive(serde::Deserialize)]
    struct Header {
        format: Option<String>,
        format_version: Option<u32>,
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| {
        Error::model(
            path,
            format!(
                "not valid model JSON ({e}); is the file complete? Retrain it with `stance train`"
            ),
        )
    })?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(Error::model(
            path,
            "this is not a stance model file (no \"format\": \"stance-model\")",
        ));
    }
    match header.format_version {
        Some(FORMAT_VERSION) => {}
        Some(v) if v > FORMAT_VERSION => {
            return Err(Error::model(
                path,
                format!(
                    "format version {v} was written by a newer stance; this one reads version {FORMAT_VERSION}: upgrade stance"
                ),
            ))
        }
        Some(v) => {
            return Err(Error::model(
                path,
                format!("format version {v} is not supported (this stance reads version {FORMAT_VERSION}); retrain the model"),
            ))
        }
        None => return Err(Error::model(path, "missing format_version")),
    }
    let file: ModelFile = serde_json::from_slice(bytes)
        .map_err(|e| Error::model(path, format!("malformed model ({e})")))?;
    validate(&file).map_err(|problem| Error::model(path, problem))?;
    Ok(Model::from_file(file))
}

/// Largest idf or weight a model may hold. Rows are L2-normalized, so with
/// values within this bound every score, and so every probability, is
/// finite; beyond it finite weights can sum to infinity and give NaN.
/// Trained models are many orders of magnitude below it.
const MAX_MAGNITUDE: f64 = 1e100;

fn plausible(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_MAGNITUDE
}

/// Check every shape and value the classifier relies on.
pub fn validate(file: &ModelFile) -> std::result::Result<(), String> {
    let nf = file.features.vocabulary.len();
    if file.features.idf.len() != nf {
        return Err(format!(
            "vocabulary has {nf} terms but idf has {} values",
            file.features.idf.len()
        ));
    }
    if !(1..=5).contains(&file.features.settings.ngram_max) {
        return Err(format!(
            "ngram_max {} is outside 1..=5",
            file.features.settings.ngram_max
        ));
    }
    if file.features.idf.iter().any(|v| !plausible(*v)) {
        return Err(format!(
            "idf contains a non-finite value or one beyond ±{MAX_MAGNITUDE:e}"
        ));
    }
    if file.heads.is_empty() {
        return Err("the model has no classifier heads".into());
    }
    for head in &file.heads {
        let k = head.classes.len();
        if k < 2 {
            return Err(format!(
                "head '{}' has {k} classes; at least 2 are needed",
                head.task
            ));
        }
        if head.intercepts.len() != k || head.coefficients.len() != k {
            return Err(format!(
                "head '{}' has {k} classes but {} intercepts and {} coefficient rows",
                head.task,
                head.intercepts.len(),
                head.coefficients.len()
            ));
        }
        for (class, row) in head.classes.iter().zip(&head.coefficients) {
            if row.len() != nf {
                return Err(format!(
                    "vocabulary has {nf} terms but head '{}' has {} coefficients for class '{class}'",
                    head.task,
                    row.len()
                ));
            }
        }
        let finite = head
            .intercepts
            .iter()
            .chain(head.coefficients.iter().flatten())
            .all(|v| plausible(*v));
        if !finite {
            return Err(format!(
                "head '{}' contains a non-finite weight or one beyond ±{MAX_MAGNITUDE:e}",
                head.task
            ));
        }
    }
    Ok(())
}

/// Serialize a model file: pretty-printed JSON with a final newline. The
/// bytes depend only on the contents, so equal models give equal files.
pub fn to_bytes(file: &ModelFile) -> Vec<u8> {
    // Serializing plain structs of strings, numbers and vectors cannot fail.
    let mut bytes = serde_json::to_vec_pretty(file).expect("model file serializes");
    bytes.push(b'\n');
    bytes
}

/// Write a model atomically: a temporary file in the same directory, renamed
/// into place, so the previous model survives any interruption.
pub fn save(file: &ModelFile, path: &Path) -> Result<()> {
    validate(file).map_err(|problem| Error::model(path, format!("refusing to save: {problem}")))?;
    write_atomically(path, &to_bytes(file))
}
