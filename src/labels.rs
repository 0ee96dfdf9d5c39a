//! Label files: CSV with a text column (`text` or `sentence`), a `label`
//! column, and optional `tone`, `article`, `outlet` and `source` columns.
//!
//! Reading validates every row and reports problems with file and line.
//! Labels are trimmed and lower-cased ("Hawkish " → "hawkish", with a
//! warning). Rows whose label is empty are skipped and counted: a half
//! filled-in file is normal while labeling.

use crate::error::{Error, Location, Result};
use sha2::{Digest, Sha256};
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

fn csv_error(path: &Path, e: csv::Error) -> Error {
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
}
