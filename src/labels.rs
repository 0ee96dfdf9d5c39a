//! Label files: CSV with a text column (`text` or `sentence`), a `label`
//! column, and optional `tone`, `article`, `outlet` and `source` columns.
//!
//! Reading validates every row and reports problems with file and line.
//! Labels are trimmed and lower-cased ("Hawkish " → "hawkish", with a
//! warning). Rows whose label is empty are skipped and counted: a half
//! filled-in file is normal while labeling.

use crate::error::{Error, Location, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct LabeledRow {
    pub text: String,
    pub label: String,
    pub article: Option<String>,
    pub outlet: Option<String>,
    pub source: Option<String>,
    pub at: Location,
}

/// A label file as read: its rows and what was noticed along the way.
#[derive(Debug, Clone)]
pub struct LabelFile {
    pub path: PathBuf,
    pub sha256: String,
    /// Data rows in the file, labeled or not.
    pub total_rows: usize,
    pub rows: Vec<LabeledRow>,
    pub unlabeled: usize,
    pub warnings: Vec<String>,
}

/// Text compared for duplicates: whitespace collapsed, curly quotes straight.
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            out.push(match c {
                '’' | '‘' | 'ʼ' => '\'',
                '“' | '”' => '"',
                c => c,
            });
        }
    }
    out
}

/// A short fingerprint of a sentence: 16 hex digits of the SHA-256 of its
/// normalized text.
pub fn row_key(text: &str) -> String {
    let digest = Sha256::digest(normalize_text(text).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn valid_label(label: &str) -> bool {
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Read and validate one label file. `label_column` is the column holding the
/// labels of the task being read ("label" for stance).
pub fn read(path: &Path, label_column: &str) -> Result<LabelFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let text = decode_utf8(path, &bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect::<Vec<_>>();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let text_col = find("text").or_else(|| find("sentence")).ok_or_else(|| {
        Error::input(
            Location::line(path, 1),
            format!(
                "missing text column: the header needs `text` or `sentence` (found: {})",
                headers.join(", ")
            ),
        )
    })?;
    let label_col = find(label_column).ok_or_else(|| {
        Error::input(
            Location::line(path, 1),
            format!(
                "missing `{label_column}` column (found: {})",
                headers.join(", ")
            ),
        )
    })?;
    let (article_col, outlet_col, source_col) = (find("article"), find("outlet"), find("source"));

    let mut file = LabelFile {
        path: path.to_path_buf(),
        sha256,
        total_rows: 0,
        rows: Vec::new(),
        unlabeled: 0,
        warnings: Vec::new(),
    };
    let mut normalized_labels = 0;
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let at = Location::line(path, line);
        file.total_rows += 1;
        let field = |col: usize| record.get(col).unwrap_or("");
        let optional = |col: Option<usize>| {
            col.map(|c| field(c).trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let text = field(text_col);
        if text.trim().is_empty() {
            return Err(Error::input(at, "empty text: every row needs a sentence"));
        }
        let raw_label = field(label_col);
        let label = raw_label.trim().to_lowercase();
        if label.is_empty() {
            file.unlabeled += 1;
            continue;
        }
        if !valid_label(&label) {
            return Err(Error::input(
                at,
                format!("invalid label {raw_label:?}: a label is one lower-case word (letters, digits, _ or -)"),
            ));
        }
        if label != raw_label {
            normalized_labels += 1;
        }
        file.rows.push(LabeledRow {
            text: text.to_string(),
            label,
            article: optional(article_col),
            outlet: optional(outlet_col),
            source: optional(source_col),
            at,
        });
    }
    if normalized_labels > 0 {
        file.warnings.push(format!(
            "{}: {normalized_labels} label(s) had spaces or capitals and were normalized (e.g. \"Hawkish \" → \"hawkish\")",
            path.display()
        ));
    }
    if file.unlabeled > 0 {
        file.warnings.push(format!(
            "{}: {} row(s) with an empty `{label_column}` skipped",
            path.display(),
            file.unlabeled
        ));
    }
    Ok(file)
}

/// Whether a CSV file's header has `column` (case-insensitive).
pub fn has_column(path: &Path, column: &str) -> Result<bool> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode_utf8(path, &bytes)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(path, e))?;
    Ok(headers
        .iter()
        .any(|h| h.trim().eq_ignore_ascii_case(column)))
}

/// UTF-8 text, or an error naming the line of the first invalid byte. A
/// leading byte-order mark is dropped.
pub fn decode_utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count() as u64;
        Error::input(
            Location::line(path, line),
            format!(
                "invalid UTF-8 at byte {}: save the file as UTF-8",
                e.valid_up_to()
            ),
        )
    })
}

pub(crate) fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    let problem = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("row has {len} fields but the header has {expected_len}")
        }
        _ => format!("malformed CSV: {e}"),
    };
    Error::input(
        Location {
            path: path.to_path_buf(),
            line,
        },
        problem,
    )
}

/// The result of checking rows to append to a label file.
#[derive(Debug, Default)]
pub struct Appendable {
    /// CSV bytes to append, in the target's column order.
    pub bytes: Vec<u8>,
    pub added: usize,
    pub unlabeled: usize,
    pub duplicates: usize,
    /// Every problem found, each naming its line; nothing may be written if
    /// this is not empty.
    pub problems: Vec<Error>,
}

/// Check every row of `new` against the label file `target` and prepare the
/// rows to append. Labels (and tones, if both files have a `tone` column) must
/// be ones the target already uses; a sentence already in the target (after
/// whitespace and quote normalization) is skipped if its label agrees and is
/// a problem if it does not. `source` fills the `source` column when `new`
/// has none.
pub fn prepare_append(target: &Path, new: &Path, source: &str) -> Result<Appendable> {
    let target_bytes = std::fs::read(target).map_err(|e| Error::io(target, e))?;
    let target_text = decode_utf8(target, &target_bytes)?;
    let mut target_reader = csv::Reader::from_reader(target_text.as_bytes());
    let target_headers: Vec<String> = target_reader
        .headers()
        .map_err(|e| csv_error(target, e))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let t_col = |name: &str| target_headers.iter().position(|h| h == name);
    let t_text = t_col("text").or_else(|| t_col("sentence")).ok_or_else(|| {
        Error::input(
            Location::line(target, 1),
            "missing text column: the header needs `text` or `sentence`",
        )
    })?;
    let t_label = t_col("label")
        .ok_or_else(|| Error::input(Location::line(target, 1), "missing `label` column"))?;
    let t_tone = t_col("tone");

    let mut known: HashMap<String, (String, Location)> = HashMap::new();
    let mut labels: BTreeSet<String> = BTreeSet::new();
    let mut tones: BTreeSet<String> = BTreeSet::new();
    for record in target_reader.records() {
        let record = record.map_err(|e| csv_error(target, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let label = record.get(t_label).unwrap_or("").trim().to_lowercase();
        if let Some(tone) = t_tone
            .and_then(|c| record.get(c))
            .map(|t| t.trim().to_lowercase())
        {
            if !tone.is_empty() {
                tones.insert(tone);
            }
        }
        if label.is_empty() {
            continue;
        }
        labels.insert(label.clone());
        let text = normalize_text(record.get(t_text).unwrap_or(""));
        known.insert(text, (label, Location::line(target, line)));
    }

    let new_bytes = std::fs::read(new).map_err(|e| Error::io(new, e))?;
    let new_text = decode_utf8(new, &new_bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(new_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(new, e))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let n_col = |name: &str| headers.iter().position(|h| h == name);
    let n_text = n_col("text").or_else(|| n_col("sentence")).ok_or_else(|| {
        Error::input(
            Location::line(new, 1),
            "missing text column: the header needs `text` or `sentence`",
        )
    })?;
    let n_label = n_col("label")
        .ok_or_else(|| Error::input(Location::line(new, 1), "missing `label` column"))?;

    let mut out = Appendable::default();
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.problems.push(csv_error(new, e));
                continue;
            }
        };
        let at = Location::line(new, record.position().map_or(0, |p| p.line()));
        if record.len() != headers.len() {
            out.problems.push(Error::input(
                at,
                format!(
                    "row has {} fields but the header has {}",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let text = record.get(n_text).unwrap_or("");
        let raw_label = record.get(n_label).unwrap_or("");
        let label = raw_label.trim().to_lowercase();
        if label.is_empty() {
            out.unlabeled += 1;
            continue;
        }
        if text.trim().is_empty() {
            out.problems.push(Error::input(at, "empty text"));
            continue;
        }
        if !labels.contains(&label) {
            out.problems.push(Error::input(
                at,
                format!(
                    "unknown label {raw_label:?}: {} uses {}",
                    target.display(),
                    labels.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        }
        let tone = n_col("tone")
            .and_then(|c| record.get(c))
            .map(|t| t.trim().to_lowercase())
            .unwrap_or_default();
        if !tone.is_empty() && t_tone.is_some() && !tones.contains(&tone) {
            out.problems.push(Error::input(
                at,
                format!(
                    "unknown tone {tone:?}: {} uses {}",
                    target.display(),
                    tones.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        }
        let key = normalize_text(text);
        if let Some((existing, where_)) = known.get(&key) {
            if *existing == label {
                out.duplicates += 1;
            } else {
                out.problems.push(Error::input(
                    at,
                    format!("labeled '{label}' here but '{existing}' at {where_}; fix one of them"),
                ));
            }
            continue;
        }
        known.insert(key, (label.clone(), at.clone()));
        let row: Vec<String> = target_headers
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if i == t_text {
                    text.to_string()
                } else if i == t_label {
                    label.clone()
                } else if name == "tone" {
                    tone.clone()
                } else {
                    match (n_col(name).and_then(|c| record.get(c)), name.as_str()) {
                        (Some(v), _) if !v.trim().is_empty() => v.trim().to_string(),
                        (_, "source") => source.to_string(),
                        _ => String::new(),
                    }
                }
            })
            .collect();
        // Writing into a Vec cannot fail.
        writer
            .write_record(&row)
            .map_err(|e| Error::input(at, e.to_string()))?;
        out.added += 1;
    }
    out.bytes = writer
        .into_inner()
        .map_err(|e| Error::input(Location::file(new), e.to_string()))?;
    Ok(out)
}

/// Append prepared rows to `target`, atomically: the new file is the old
/// file's bytes, unchanged, followed by the new rows.
pub fn append(target: &Path, rows: &[u8]) -> Result<()> {
    let mut bytes = std::fs::read(target).map_err(|e| Error::io(target, e))?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(rows);
    crate::output::write_atomically(target, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_rows_normalizes_labels_and_skips_unlabeled() {
        let f = file(
            "text,label,article\n\"Russia, again\",Hawkish ,a1\nTalks resumed.,,\nOk.,neutral,\n",
        );
        let lf = read(f.path(), "label").unwrap();
        assert_eq!(lf.total_rows, 3);
        assert_eq!(lf.rows.len(), 2);
        assert_eq!(lf.rows[0].label, "hawkish");
        assert_eq!(lf.rows[0].article.as_deref(), Some("a1"));
        assert_eq!(lf.rows[1].at.line, Some(4));
        assert_eq!(lf.unlabeled, 1);
        assert_eq!(lf.warnings.len(), 2);
    }

    #[test]
    fn sentence_column_is_accepted() {
        let f = file("sentence,label,year\nRates rose.,hawkish,2020\n");
        assert_eq!(read(f.path(), "label").unwrap().rows[0].text, "Rates rose.");
    }

    #[test]
    fn errors_name_the_line() {
        let f = file("text,label\nA.,neutral\n ,hawkish\n");
        let e = read(f.path(), "label").unwrap_err().to_string();
        assert!(e.contains(":3:") && e.contains("empty text"), "{e}");
        let f = file("words,label\nA.,neutral\n");
        assert!(read(f.path(), "label")
            .unwrap_err()
            .to_string()
            .contains("missing text column"));
        let f = file("text,label\nA.,hawk ish\n");
        assert!(read(f.path(), "label")
            .unwrap_err()
            .to_string()
            .contains("invalid label"));
        let f = file("text,label\nA.,neutral,extra\n");
        assert!(read(f.path(), "label")
            .unwrap_err()
            .to_string()
            .contains("fields"));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"text,label\nok,neutral\nbad \xff,neutral\n")
            .unwrap();
        let e = read(f.path(), "label").unwrap_err().to_string();
        assert!(e.contains(":3:") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn normalization_for_duplicates() {
        assert_eq!(normalize_text("Russia’s  “talks”\n"), "Russia's \"talks\"");
    }

    #[test]
    fn append_validates_everything_and_keeps_old_bytes() {
        let target = file("text,label,tone,source\n\"Old, one\",hawkish,negative,seed\nOld two.,neutral,positive,seed");
        let new = file("text,predicted,label,tone\nNew one.,neutral,Hawkish ,positive\nOld two.,x,neutral,\nBlank.,x,,\n");
        let prepared = prepare_append(target.path(), new.path(), "added").unwrap();
        assert!(prepared.problems.is_empty(), "{:?}", prepared.problems);
        assert_eq!(
            (prepared.added, prepared.duplicates, prepared.unlabeled),
            (1, 1, 1)
        );
        let before = std::fs::read(target.path()).unwrap();
        append(target.path(), &prepared.bytes).unwrap();
        let after = std::fs::read_to_string(target.path()).unwrap();
        assert!(after.as_bytes().starts_with(&before));
        assert!(
            after.ends_with("Old two.,neutral,positive,seed\nNew one.,hawkish,positive,added\n"),
            "{after}"
        );

        let bad = file("text,label\nA.,bogus\nOld two.,hawkish\n,neutral\n");
        let prepared = prepare_append(target.path(), bad.path(), "added").unwrap();
        let problems: Vec<String> = prepared.problems.iter().map(|e| e.to_string()).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains(":2: unknown label"));
        assert!(problems[1].contains(":3: labeled 'hawkish' here but 'neutral'"));
        assert!(problems[2].contains(":4: empty text"));
    }
}
