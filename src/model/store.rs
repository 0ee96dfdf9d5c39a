//! Saving and loading model files: JSON, versioned, checked on load.
//!
//! A model file is data, never code: loading parses JSON into plain structs
//! (strings, numbers, arrays) and checks every shape before the model is
//! used, so a corrupt, truncated, foreign or newer file fails with a message
//! instead of a wrong answer. Nothing in a model file is ever executed
//! (unlike a Python pickle).
//!
//! Sizes are checked before anything large is allocated: a file over
//! [`MAX_MODEL_BYTES`] is refused from its size alone, and a first pass over
//! the JSON counts array entries without keeping them, stopping as soon as
//! they pass [`MAX_VALUES`].

use super::{Model, ModelFile};
use crate::error::{Error, Result};
use crate::output::write_atomically;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::io::Read;
use std::path::Path;

pub const FORMAT: &str = "stance-model";
/// The newest format version this stance reads and writes.
/// Version 1: TF-IDF word n-grams, heads of multinomial logistic regression.
/// Version 2: adds character n-grams (`features.settings.char_ngrams`) and
/// negation scope marking (`features.settings.negation_scope`).
/// Version 3: adds target terms (`features.settings.target`: the target
/// lexicon, window and speaker marking).
pub const FORMAT_VERSION: u32 = 3;
/// The oldest format version this stance reads.
const OLDEST_FORMAT_VERSION: u32 = 1;

/// The version a model is written in: the oldest that holds its features,
/// so that models without character n-grams stay readable by older stance.
pub fn format_version_for(settings: &crate::features::TfidfSettings) -> u32 {
    if settings.target.is_some() {
        3
    } else if settings.char_ngrams.is_some() || settings.negation_scope {
        2
    } else {
        1
    }
}

/// The largest model file loaded: far beyond what `stance train` writes
/// (the built-in model is 5.4 MB).
pub const MAX_MODEL_BYTES: u64 = 1 << 30;
/// The most array entries (terms, weights, …) a model file may hold in
/// all: bounds the memory loading takes, whatever the file claims.
pub const MAX_VALUES: u64 = 50_000_000;

/// The default model, trained on `data/labels.csv`, built into the binary.
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../../models/default.json");
pub const DEFAULT_MODEL_NAME: &str = "models/default.json (built in)";

/// Load and check a model file.
pub fn load(path: &Path) -> Result<Model> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::model(
            path,
            "this is a directory; give the model's .json file",
        ));
    }
    if meta.is_file() && meta.len() > MAX_MODEL_BYTES {
        return Err(too_big(path, meta.len()));
    }
    let expected = if meta.is_file() { meta.len() } else { 0 };
    let mut bytes = Vec::with_capacity(expected as usize);
    // Never more than the limit, however the file reports its size (a pipe,
    // a device); and a file that cannot start a JSON object is refused from
    // its first bytes.
    let mut reader = file.take(MAX_MODEL_BYTES + 1);
    (&mut reader)
        .take(4096)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if let Some(&first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        if first != b'{' {
            return Err(Error::model(
                path,
                "not valid model JSON (a model file is a JSON object, starting with '{'); \
                 is this a model file? Train one with `stance train`",
            ));
        }
    }
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(too_big(path, bytes.len() as u64));
    }
    from_bytes(&bytes, path)
}

fn too_big(path: &Path, size: u64) -> Error {
    Error::model(
        path,
        format!(
            "the file is {size} bytes, more than the {MAX_MODEL_BYTES} bytes a model can have; \
             is this a model file? Train one with `stance train`"
        ),
    )
}

/// The model built into the binary.
pub fn load_default() -> Result<Model> {
    from_bytes(DEFAULT_MODEL, Path::new(DEFAULT_MODEL_NAME))
}

pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
    from_bytes_limited(bytes, path, MAX_VALUES)
}

fn from_bytes_limited(bytes: &[u8], path: &Path, max_values: u64) -> Result<Model> {
    // One pass that keeps nothing: reads the header and counts the arrays,
    // so a newer or foreign file gets the right message even when its body
    // no longer parses as this version's structs, and a huge one is refused
    // before anything is allocated for it.
    let mut census = Census {
        values: 0,
        max_values,
        path: Vec::new(),
        format: None,
        format_version: None,
        too_large: false,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let scanned = census.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = scanned {
        if census.too_large {
            return Err(Error::model(path, format!("{e}; is this a model file?")));
        }
        return Err(Error::model(
            path,
            format!(
                "not valid model JSON ({e}); is the file complete? Retrain it with `stance train`"
            ),
        ));
    }
    if census.format.as_deref() != Some(FORMAT) {
        return Err(Error::model(
            path,
            "this is not a stance model file (no \"format\": \"stance-model\")",
        ));
    }
    match census.format_version {
        Some(v) if (u64::from(OLDEST_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v) => {}
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(Error::model(
                path,
                format!(
                    "format version {v} was written by a newer stance; this one reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}: upgrade stance"
                ),
            ))
        }
        Some(v) => {
            return Err(Error::model(
                path,
                format!("format version {v} is not supported (this stance reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}); retrain the model"),
            ))
        }
        None => {
            return Err(Error::model(
                path,
                "missing format_version (a whole number); retrain the model with `stance train`",
            ))
        }
    }
    let file: ModelFile = serde_json::from_slice(bytes).map_err(|e| {
        Error::model(
            path,
            format!("malformed model ({e}); retrain it with `stance train`"),
        )
    })?;
    validate(&file).map_err(|problem| {
        Error::model(
            path,
            format!("{problem}; the file is damaged or was edited by hand: retrain it with `stance train`"),
        )
    })?;
    Ok(Model::from_file(file))
}

/// Walks a JSON document without keeping it, counting array entries, and
/// fails as soon as there are more than `max_values`, naming the array.
struct Census {
    values: u64,
    max_values: u64,
    /// Keys from the root to the current value; "[]" for array entries.
    path: Vec<String>,
    /// The top-level "format" and "format_version", when they are a string
    /// and a whole number.
    format: Option<String>,
    format_version: Option<u64>,
    /// Set when the count passed `max_values`.
    too_large: bool,
}

impl Census {
    fn where_(&self) -> String {
        let mut s = String::new();
        for part in &self.path {
            if part != "[]" && !s.is_empty() {
                s.push('.');
            }
            s.push_str(part);
        }
        s
    }
}

impl<'de> DeserializeSeed<'de> for &mut Census {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Census {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        if self.path == ["format_version"] {
            self.format_version = Some(v);
        }
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if self.path == ["format"] {
            self.format = Some(v.to_owned());
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.path.push("[]".into());
        loop {
            if self.values >= self.max_values {
                // Only an entry beyond the limit is an error.
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
                self.path.pop();
                self.too_large = true;
                return Err(A::Error::custom(format!(
                    "too large: more than {} array entries in all (the most a model can have), reached in {}",
                    self.max_values,
                    self.where_()
                )));
            }
            match seq.next_element_seed(&mut *self)? {
                Some(()) => self.values += 1,
                None => break,
            }
        }
        self.path.pop();
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            self.path.push(key);
            map.next_value_seed(&mut *self)?;
            self.path.pop();
        }
        Ok(())
    }
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
    if let Some([lo, hi]) = file.features.settings.char_ngrams {
        if !(1 <= lo && lo <= hi && hi <= crate::features::MAX_CHAR_NGRAM) {
            return Err(format!(
                "char_ngrams [{lo}, {hi}] is not a range within 1..={}",
                crate::features::MAX_CHAR_NGRAM
            ));
        }
    }
    let needed = format_version_for(&file.features.settings);
    if file.format_version < needed {
        let feature = match &file.features.settings {
            s if s.target.is_some() => "target",
            s if s.char_ngrams.is_some() => "char_ngrams",
            _ => "negation_scope",
        };
        return Err(format!(
            "{feature} needs format version {needed}, but the file says {}",
            file.format_version
        ));
    }
    if file.features.idf.iter().any(|v| !plausible(*v)) {
        return Err(format!(
            "idf contains a non-finite value or one beyond ±{MAX_MAGNITUDE:e}"
        ));
    }
    if let Some(term) = first_duplicate(&file.features.vocabulary) {
        return Err(format!("the vocabulary has the term '{term}' twice"));
    }
    if file.heads.is_empty() {
        return Err("the model has no classifier heads".into());
    }
    let tasks: Vec<String> = file.heads.iter().map(|h| h.task.clone()).collect();
    if let Some(task) = first_duplicate(&tasks) {
        return Err(format!("the model has two heads named '{task}'"));
    }
    for head in &file.heads {
        let k = head.classes.len();
        if let Some(class) = first_duplicate(&head.classes) {
            return Err(format!(
                "head '{}' has the class '{class}' twice",
                head.task
            ));
        }
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

fn first_duplicate(items: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items
        .iter()
        .find(|item| !seen.insert(item.as_str()))
        .map(String::as_str)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::TfidfSettings;
    use crate::model::{
        AnalyzerInfo, Convergence, FeaturesFile, HeadFile, Hyperparameters, TrainingInfo,
    };

    /// A small valid model: three terms, one head of three classes.
    fn small() -> ModelFile {
        let classes: Vec<String> = ["conciliatory", "hawkish", "neutral"]
            .map(String::from)
            .into();
        ModelFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            created: "2016-10-12T00:00:00Z".into(),
            analyzer: AnalyzerInfo::default(),
            features: FeaturesFile {
                settings: TfidfSettings {
                    ngram_max: 1,
                    ..TfidfSettings::default()
                },
                vocabulary: ["russia", "sanction", "talk"].map(String::from).into(),
                idf: vec![1.0, 1.5, 1.25],
            },
            training: TrainingInfo {
                files: Vec::new(),
                rows: 3,
                command: "stance train --labels x.csv".into(),
                row_keys: Vec::new(),
            },
            heads: vec![HeadFile {
                task: "stance".into(),
                classes: classes.clone(),
                intercepts: vec![0.1, -0.2, 0.1],
                coefficients: vec![
                    vec![0.5, -1.0, 1.5],
                    vec![0.25, 2.0, -1.0],
                    vec![-0.75, -1.0, -0.5],
                ],
                hyperparameters: Hyperparameters {
                    alpha: 1.0,
                    max_iterations: 100,
                    gradient_tolerance: 1e-4,
                    class_weight: Default::default(),
                    class_repeats: Default::default(),
                },
                convergence: Convergence {
                    gradient_max: 1e-5,
                    converged: true,
                    iterations_allowed: 100,
                },
                label_counts: classes.iter().map(|c| (c.clone(), 1)).collect(),
                cross_validation: None,
            }],
        }
    }

    fn load_err(file: &ModelFile) -> String {
        from_bytes(&to_bytes(file), Path::new("m.json"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_small_model_round_trips() {
        let file = small();
        let model = from_bytes(&to_bytes(&file), Path::new("m.json")).unwrap();
        assert_eq!(model.file, file);
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        let bytes = to_bytes(&small());
        let full = std::str::from_utf8(&bytes).unwrap().trim_end();
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            match from_bytes(prefix, Path::new("cut.json")) {
                Err(err) => {
                    let msg = err.to_string();
                    assert!(
                        msg.starts_with("cut.json: not a usable model:"),
                        "prefix of {len} bytes: {msg}"
                    );
                    assert!(
                        msg.contains("retrain") || msg.contains("stance train"),
                        "prefix of {len} bytes: no advice in {msg}"
                    );
                }
                // Only the final newline may be missing from a file that loads.
                Ok(model) => {
                    assert_eq!(std::str::from_utf8(prefix).unwrap(), full, "{len}");
                    assert_eq!(model.file, small());
                }
            }
        }
    }

    #[test]
    fn version_1_files_still_load() {
        let mut file = small();
        file.format_version = 1;
        assert_eq!(
            file.format_version,
            format_version_for(&file.features.settings)
        );
        let loaded = from_bytes(&to_bytes(&file), Path::new("m.json")).unwrap();
        assert_eq!(loaded.file, file);
    }

    #[test]
    fn a_newer_or_older_format_version_says_what_to_do() {
        let mut file = small();
        file.format_version = FORMAT_VERSION + 1;
        let err = load_err(&file);
        assert!(
            err.contains(&format!(
                "format version {} was written by a newer stance",
                FORMAT_VERSION + 1
            )) && err.contains(&format!("this one reads versions 1 to {FORMAT_VERSION}"))
                && err.contains("upgrade stance"),
            "{err}"
        );
        file.format_version = 0;
        let err = load_err(&file);
        assert!(
            err.contains("format version 0 is not supported") && err.contains("retrain"),
            "{err}"
        );
        // A version too large for any integer type is still a newer version.
        let text = String::from_utf8(to_bytes(&small())).unwrap().replace(
            &format!("\"format_version\": {FORMAT_VERSION}"),
            "\"format_version\": 4294967296",
        );
        let err = from_bytes(text.as_bytes(), Path::new("m.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("format version 4294967296 was written by a newer stance"),
            "{err}"
        );
    }

    #[test]
    fn mismatched_dimensions_are_each_named() {
        type Edit = fn(&mut ModelFile);
        let cases: &[(Edit, &str)] = &[
            (
                |f| {
                    f.features.idf.pop();
                },
                "vocabulary has 3 terms but idf has 2 values",
            ),
            (
                |f| {
                    f.features.vocabulary.push("moscow".into());
                    f.features.idf.push(1.0);
                },
                "vocabulary has 4 terms but head 'stance' has 3 coefficients for class 'conciliatory'",
            ),
            (
                |f| {
                    f.heads[0].coefficients[2].push(0.0);
                },
                "vocabulary has 3 terms but head 'stance' has 4 coefficients for class 'neutral'",
            ),
            (
                |f| {
                    f.heads[0].intercepts.pop();
                },
                "head 'stance' has 3 classes but 2 intercepts and 3 coefficient rows",
            ),
            (
                |f| {
                    f.heads[0].coefficients.pop();
                },
                "head 'stance' has 3 classes but 3 intercepts and 2 coefficient rows",
            ),
            (
                |f| {
                    f.heads[0].classes.truncate(1);
                    f.heads[0].intercepts.truncate(1);
                    f.heads[0].coefficients.truncate(1);
                },
                "head 'stance' has 1 classes; at least 2 are needed",
            ),
            (
                |f| f.heads.clear(),
                "the model has no classifier heads",
            ),
            (
                |f| {
                    let head = f.heads[0].clone();
                    f.heads.push(head);
                },
                "two heads named 'stance'",
            ),
            (
                |f| f.heads[0].classes[1] = "conciliatory".into(),
                "head 'stance' has the class 'conciliatory' twice",
            ),
            (
                |f| f.features.vocabulary[2] = "russia".into(),
                "the vocabulary has the term 'russia' twice",
            ),
            (
                |f| f.features.settings.ngram_max = 9,
                "ngram_max 9 is outside 1..=5",
            ),
            (
                |f| f.features.settings.char_ngrams = Some([4, 2]),
                "char_ngrams [4, 2] is not a range within 1..=10",
            ),
            (
                |f| {
                    f.features.settings.char_ngrams = Some([2, 5]);
                    f.format_version = 1;
                },
                "char_ngrams needs format version 2, but the file says 1",
            ),
            (
                |f| {
                    f.features.settings.negation_scope = true;
                    f.format_version = 1;
                },
                "negation_scope needs format version 2, but the file says 1",
            ),
        ];
        for (edit, expected) in cases {
            let mut file = small();
            edit(&mut file);
            let err = load_err(&file);
            assert!(
                err.starts_with("m.json: not a usable model:") && err.contains(expected),
                "expected {expected:?} in {err}"
            );
            assert!(err.contains("retrain it with `stance train`"), "{err}");
        }
    }

    #[test]
    fn wrong_types_and_foreign_json_are_refused() {
        let text = String::from_utf8(to_bytes(&small())).unwrap();
        let cases = [
            (text.replace("\"russia\"", "7"), "malformed model"),
            (text.replace("1.5", "\"1.5\""), "malformed model"),
            ("[1, 2, 3]".to_string(), "not a stance model file"),
            (
                "{\"format\": \"stance-model\", \"format_version\": 1} x".to_string(),
                "not valid model JSON",
            ),
            (
                "{\"format\": \"other\"}".to_string(),
                "not a stance model file",
            ),
            (
                "{\"format\": \"stance-model\"}".to_string(),
                "missing format_version",
            ),
        ];
        for (bytes, expected) in cases {
            let err = from_bytes(bytes.as_bytes(), Path::new("m.json"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "expected {expected:?} in {err}");
        }
    }

    #[test]
    fn too_many_entries_stop_the_count_before_the_rest_is_read() {
        // A vocabulary of 5000 terms with a limit of 1000 entries, and then
        // no end: the count stops at the limit, before it could see that the
        // file is truncated, so nothing past the limit is ever looked at
        // (and nothing is parsed into structs).
        let mut text = String::from(
            "{\"format\": \"stance-model\", \"format_version\": 1, \"features\": {\"vocabulary\": [",
        );
        for i in 0..5000 {
            text.push_str(&format!("\"t{i}\", "));
        }

        let err = from_bytes_limited(text.as_bytes(), Path::new("big.json"), 1000)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("too large: more than 1000 array entries")
                && err.contains("reached in features.vocabulary")
                && err.contains("big.json"),
            "{err}"
        );
        // Nested arrays count every entry: 3 rows of 400 weights pass 1000.
        let mut file = small();
        file.features.vocabulary = (0..400).map(|i| format!("t{i}")).collect();
        file.features.idf = vec![1.0; 400];
        for row in &mut file.heads[0].coefficients {
            *row = vec![0.0; 400];
        }
        let err = from_bytes_limited(&to_bytes(&file), Path::new("big.json"), 1000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("reached in heads[].coefficients[]"), "{err}");
        assert!(from_bytes_limited(&to_bytes(&file), Path::new("ok.json"), 3000).is_ok());
    }

    #[test]
    fn a_file_too_large_is_refused_from_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.json");
        let mut head = String::from(
            "{\"format\": \"stance-model\", \"format_version\": 1, \"features\": {\"vocabulary\": [\"a\", ",
        );
        head.push_str(&" ".repeat(64));
        std::fs::write(&path, &head).unwrap();
        // Sparse: no disk is used, and nothing is read.
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(MAX_MODEL_BYTES + 1).unwrap();
        drop(f);
        let started = std::time::Instant::now();
        let err = load(&path).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            err.contains("huge.json")
                && err.contains(&format!("the file is {} bytes", MAX_MODEL_BYTES + 1)),
            "{err}"
        );
    }

    #[test]
    fn a_device_or_a_directory_is_refused_from_its_first_bytes() {
        let err = load(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(
            err.contains("/dev/zero") && err.contains("not valid model JSON"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("this is a directory"), "{err}");
    }

    #[test]
    fn the_built_in_model_loads() {
        load_default().unwrap();
    }
}
