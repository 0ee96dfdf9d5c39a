//! Label files: CSV with a text column (`text` or `sentence`), a `label`
//! column, and optional `tone`, `article`, `outlet` and `source` columns.
//!
//! Reading validates every row and reports problems with file and line.
//! Labels are trimmed and lower-cased ("Hawkish " → "hawkish", with a
//! warning). Rows whose label is empty are skipped and counted: a half
//! filled-in file is normal while labeling.

use crate::error::{Error, Location, Result};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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
    let csv_text = load_csv(path, &bytes, CsvKind::Labels)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(csv_text.text.as_bytes());
    let headers = csv_headers(path, &mut reader)?;
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
        warnings: csv_text.warning.into_iter().collect(),
    };
    let mut normalized_labels = 0;
    let mut example: Option<(String, String)> = None;
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
            example.get_or_insert_with(|| (raw_label.to_string(), label.clone()));
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
    if let Some((raw, label)) = example {
        file.warnings.push(format!(
            "{}: {normalized_labels} `{label_column}` value(s) had spaces or capitals and were normalized, read trimmed and lower-cased (e.g. {raw:?} → {label:?}); the file is unchanged",
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
    let csv_text = load_csv(path, &bytes, CsvKind::Labels)?;
    let mut reader = csv::Reader::from_reader(csv_text.text.as_bytes());
    let headers = csv_headers(path, &mut reader)?;
    Ok(headers.iter().any(|h| h == column))
}

/// What to do with bytes that are not UTF-8, and with NUL bytes, in input
/// files (articles and label files alike).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InvalidUtf8 {
    /// Stop with an error naming the file, line and byte (the default).
    #[default]
    Error,
    /// Read each invalid byte sequence as U+FFFD and each NUL byte as a
    /// space, and say so. Only what is read changes: files are never rewritten.
    Replace,
}

static REPLACE_INVALID_UTF8: AtomicBool = AtomicBool::new(false);

/// Set how every reader of this process treats invalid UTF-8 and NUL bytes
/// (the command line sets it once from `--invalid-utf8`).
pub fn set_invalid_utf8(policy: InvalidUtf8) {
    REPLACE_INVALID_UTF8.store(policy == InvalidUtf8::Replace, Ordering::Relaxed);
}

/// How readers treat invalid UTF-8 and NUL bytes; see [`set_invalid_utf8`].
pub fn invalid_utf8() -> InvalidUtf8 {
    if REPLACE_INVALID_UTF8.load(Ordering::Relaxed) {
        InvalidUtf8::Replace
    } else {
        InvalidUtf8::Error
    }
}

/// What to tell the user about the option, in every decoding error.
const REPLACE_HINT: &str = "or pass --invalid-utf8 replace to read invalid bytes as U+FFFD";

/// Text decoded from bytes, and what had to be replaced to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// Invalid byte sequences read as U+FFFD and NUL bytes read as spaces.
    pub replaced: usize,
    /// The line (counted from the first line of the bytes) of the first one.
    pub first_replaced_line: Option<u64>,
}

impl Decoded<'_> {
    /// A warning naming `at` (the place of the bytes' first line), if anything was replaced.
    pub fn warning(&self, at: &Location) -> Option<String> {
        let line = self.first_replaced_line?;
        let first = Location {
            path: at.path.clone(),
            line: Some(at.line.unwrap_or(1) + line - 1),
        };
        Some(format!(
            "{first}: {} invalid byte sequence(s) or NUL byte(s) read as U+FFFD or spaces (--invalid-utf8 replace); the file itself is unchanged",
            self.replaced
        ))
    }
}

/// Decode `bytes` as UTF-8 with the process-wide policy ([`invalid_utf8`]),
/// dropping a leading byte-order mark. `at` is where the bytes start (a file,
/// or a line of one); errors name the line and byte of the first bad byte.
pub fn decode<'a>(at: &Location, bytes: &'a [u8]) -> Result<Decoded<'a>> {
    decode_with(at, bytes, invalid_utf8())
}

/// [`decode`] with an explicit policy.
pub fn decode_with<'a>(at: &Location, bytes: &'a [u8], policy: InvalidUtf8) -> Result<Decoded<'a>> {
    let first_line = at.line.unwrap_or(1);
    let whole_file = at.line.is_none();
    let line_of = |bytes: &[u8], offset: usize| -> u64 {
        first_line + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64
    };
    let place = |bytes: &[u8], offset: usize, skipped: usize| -> (Location, String) {
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = offset - line_start + 1 + if line_start == 0 { skipped } else { 0 };
        let location = Location {
            path: at.path.clone(),
            line: Some(line_of(bytes, offset)),
        };
        let file_offset = if whole_file {
            format!("byte offset {} of the file, ", offset + skipped)
        } else {
            String::new()
        };
        (location, format!("{file_offset}byte {column} of the line"))
    };
    if let Some(bom) = [&b"\xFF\xFE"[..], &b"\xFE\xFF"[..]]
        .iter()
        .find(|bom| bytes.starts_with(bom))
    {
        return Err(Error::input(
            Location {
                path: at.path.clone(),
                line: Some(first_line),
            },
            format!(
                "this is UTF-16 text (byte-order mark {:02X} {:02X}), not UTF-8: save it as UTF-8",
                bom[0], bom[1]
            ),
        ));
    }
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let bytes = &bytes[bom..];
    let nul = memchr::memchr(0, bytes);
    let invalid = std::str::from_utf8(bytes).err();
    if policy == InvalidUtf8::Error {
        // Report whichever comes first.
        let bad_at = |e: &std::str::Utf8Error| e.valid_up_to();
        match (nul, invalid.as_ref()) {
            (Some(n), e) if e.is_none_or(|e| n < bad_at(e)) => {
                let (location, where_) = place(bytes, n, bom);
                return Err(Error::input(
                    location,
                    format!(
                        "NUL byte at {where_}: text files have none, so this may be a binary file or UTF-16 text; save it as UTF-8 text, or pass --invalid-utf8 replace to read NUL bytes as spaces"
                    ),
                ));
            }
            (_, Some(e)) => {
                let (location, where_) = place(bytes, bad_at(e), bom);
                return Err(Error::input(
                    location,
                    format!("invalid UTF-8 at {where_}: save the file as UTF-8, {REPLACE_HINT}"),
                ));
            }
            _ => {}
        }
    }
    if nul.is_none() && invalid.is_none() {
        // Checked just above; this cannot fail.
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        return Ok(Decoded {
            text: Cow::Borrowed(text),
            replaced: 0,
            first_replaced_line: None,
        });
    }
    // Replace: count and locate what is replaced.
    let mut text = String::with_capacity(bytes.len());
    let mut replaced = 0usize;
    let mut first: Option<usize> = None;
    let mut offset = 0usize;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.contains('\0') {
            for (i, c) in valid.char_indices() {
                if c == '\0' {
                    replaced += 1;
                    first.get_or_insert(offset + i);
                    text.push(' ');
                } else {
                    text.push(c);
                }
            }
        } else {
            text.push_str(valid);
        }
        offset += valid.len();
        if !chunk.invalid().is_empty() {
            replaced += 1;
            first.get_or_insert(offset);
            text.push(char::REPLACEMENT_CHARACTER);
            offset += chunk.invalid().len();
        }
    }
    Ok(Decoded {
        text: Cow::Owned(text),
        replaced,
        first_replaced_line: first.map(|o| line_of(bytes, o)),
    })
}

/// UTF-8 text of a whole file, with the process-wide policy; see [`decode`].
pub fn decode_utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<Decoded<'a>> {
    decode(&Location::file(path), bytes)
}

/// Which kind of CSV file is being read, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsvKind {
    Labels,
    Articles,
    Manifest,
}

impl CsvKind {
    fn what(self) -> &'static str {
        match self {
            CsvKind::Labels => "a label file is CSV with a header line naming its columns (`text` and `label`) and one row per sentence",
            CsvKind::Articles => "an article CSV has a header line naming its columns (`id` and `text`) and one row per article",
            CsvKind::Manifest => "a manifest.csv has a header line naming its columns (`file` and e.g. `outlet`) and one row per file",
        }
    }
}

/// A CSV file's text, ready to parse: decoded (with the process-wide
/// [`InvalidUtf8`] policy), line ends made `\n`, and checked for what a CSV
/// parser would accept without a word: nothing at all, JSON, a quote that is
/// never closed.
#[derive(Debug)]
pub(crate) struct CsvText {
    pub text: String,
    /// Set when invalid bytes were replaced.
    pub warning: Option<String>,
}

pub(crate) fn load_csv(path: &Path, bytes: &[u8], kind: CsvKind) -> Result<CsvText> {
    let at = Location::file(path);
    let decoded = decode(&at, bytes)?;
    let warning = decoded.warning(&at);
    let text = normalize_line_ends(decoded.text);
    let start = text.trim_start();
    if start.is_empty() {
        return Err(Error::input(
            at,
            format!(
                "empty file{}: {}",
                if text.is_empty() {
                    ""
                } else {
                    " (only whitespace)"
                },
                kind.what()
            ),
        ));
    }
    if start.starts_with('{') || start.starts_with('[') {
        let model = start.starts_with('{')
            && start
                .get(..4096.min(start.len()))
                .or(Some(start))
                .is_some_and(|head| {
                    head.contains("\"format\": \"stance-model\"")
                        || head.contains("\"format\":\"stance-model\"")
                        || head.contains("\"format_version\"")
                });
        let problem = if model {
            format!(
                "this looks like a model file, not a {}: give models with --model; {}",
                if kind == CsvKind::Labels {
                    "label CSV"
                } else {
                    "CSV file"
                },
                kind.what()
            )
        } else {
            format!(
                "this looks like JSON, not CSV: {}{}",
                kind.what(),
                if kind == CsvKind::Articles {
                    " (articles as JSON Lines go in a .jsonl file)"
                } else {
                    ""
                }
            )
        };
        return Err(Error::input(at, problem));
    }
    if let Some(line) = unclosed_quote(&text) {
        return Err(Error::input(
            Location::line(path, line),
            "a quoted field opened on this line is never closed, so the rest of the file would be read as one field: close the quote (a quote inside a quoted field is written twice, \"\")",
        ));
    }
    Ok(CsvText {
        text: text.into_owned(),
        warning,
    })
}

/// `\r\n` and lone `\r` line ends as `\n`, so that every reader sees the same lines.
pub(crate) fn normalize_line_ends(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('\r') {
        return text;
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The line on which a quoted field opens that never closes, as the `csv`
/// crate parses quotes (a quote opens a field only at its start; `""` inside
/// is a quote). Line ends must be `\n`.
pub(crate) fn unclosed_quote(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let mut line = 1u64;
    let mut opened = 0u64;
    let mut in_quotes = false;
    let mut field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => in_quotes = false,
                b'\n' => line += 1,
                _ => {}
            }
        } else {
            match b {
                b'"' if field_start => {
                    in_quotes = true;
                    opened = line;
                    field_start = false;
                }
                b',' => field_start = true,
                b'\n' => {
                    line += 1;
                    field_start = true;
                }
                _ => field_start = false,
            }
        }
        i += 1;
    }
    in_quotes.then_some(opened)
}

/// The header of a CSV file, trimmed and lower-cased; a column named twice
/// is an error (which of the two would be meant?).
pub(crate) fn csv_headers<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
) -> Result<Vec<String>> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(j) = headers[i + 1..].iter().position(|o| o == h) {
            return Err(Error::input(
                Location::line(path, 1),
                format!(
                    "duplicate column `{h}` (columns {} and {}): rename or remove one of them",
                    i + 1,
                    i + 2 + j
                ),
            ));
        }
    }
    Ok(headers)
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
    /// Rows added whose label or tone had spaces or capitals (read trimmed
    /// and lower-cased), and the first such value with what it became.
    pub normalized: usize,
    pub normalized_example: Option<(String, String)>,
    /// Things to tell the user that do not stop the addition.
    pub warnings: Vec<String>,
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
    let target_text = load_csv(target, &target_bytes, CsvKind::Labels)?;
    let mut target_reader = csv::Reader::from_reader(target_text.text.as_bytes());
    let target_headers = csv_headers(target, &mut target_reader)?;
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
    let new_text = load_csv(new, &new_bytes, CsvKind::Labels)?;
    let replaced = new_text.warning.is_some();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(new_text.text.as_bytes());
    let headers = csv_headers(new, &mut reader)?;
    let n_col = |name: &str| headers.iter().position(|h| h == name);
    let n_text = n_col("text").or_else(|| n_col("sentence")).ok_or_else(|| {
        Error::input(
            Location::line(new, 1),
            "missing text column: the header needs `text` or `sentence`",
        )
    })?;
    let n_label = n_col("label")
        .ok_or_else(|| Error::input(Location::line(new, 1), "missing `label` column"))?;

    let mut out = Appendable {
        warnings: target_text.warning.into_iter().collect(),
        ..Appendable::default()
    };
    // New rows end their lines the way the file they join does.
    let terminator = if uses_crlf(&target_bytes) {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(terminator)
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
        if replaced
            && record
                .iter()
                .any(|f| f.contains(char::REPLACEMENT_CHARACTER))
        {
            out.problems.push(Error::input(
                at,
                "invalid UTF-8 here was read as U+FFFD (--invalid-utf8 replace), and `labels add` never writes replaced text into the label set: fix the bytes of this row (save the file as UTF-8)",
            ));
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
        let raw_tone = n_col("tone").and_then(|c| record.get(c)).unwrap_or("");
        let tone = raw_tone.trim().to_lowercase();
        let normalized = if label != raw_label {
            Some((raw_label.to_string(), label.clone()))
        } else if tone != raw_tone {
            Some((raw_tone.to_string(), tone.clone()))
        } else {
            None
        };
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
        if let Some(example) = normalized {
            out.normalized += 1;
            out.normalized_example.get_or_insert(example);
        }
    }
    out.bytes = writer
        .into_inner()
        .map_err(|e| Error::input(Location::file(new), e.to_string()))?;
    Ok(out)
}

/// Whether a file's first line ends in `\r\n`.
fn uses_crlf(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && bytes[i - 1] == b'\r')
}

/// An exclusive lock on a label set, held from before it is read until its
/// new version has been renamed into place, so that two writers never both
/// read the same old file and the later rename drops the other's rows.
///
/// The lock is an advisory lock (the standard library's: `flock` on Unix,
/// `LockFileEx` on Windows) on a sibling file, `FILE.lock`, which is created
/// once and never removed: the label set itself is replaced by rename, so it
/// cannot carry the lock. Readers take no lock (they see the old or the new
/// file whole, by the rename). The lock is released when this value is
/// dropped or the process ends, however it ends.
#[derive(Debug)]
pub struct LabelSetLock {
    _file: std::fs::File,
}

/// The lock file of a label set: `labels.csv` → `labels.csv.lock`.
pub fn lock_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Take the exclusive lock of the label set `target`, waiting for another
/// writer to finish: `on_wait` is called once if the wait passes a second,
/// and after `wait` (if given) it gives up with [`Error::Busy`].
pub fn lock_label_set(
    target: &Path,
    wait: Option<std::time::Duration>,
    on_wait: impl FnOnce(&Path),
) -> Result<LabelSetLock> {
    // No lock file beside a label set that is not there.
    std::fs::metadata(target).map_err(|e| Error::io(target, e))?;
    let lock = lock_path(target);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| Error::io(&lock, e))?;
    let start = std::time::Instant::now();
    let mut on_wait = Some(on_wait);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(LabelSetLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock, e)),
        }
        let waited = start.elapsed();
        if wait.is_some_and(|w| waited >= w) {
            return Err(Error::Busy {
                path: target.to_path_buf(),
                lock,
                waited_secs: waited.as_secs(),
            });
        }
        if waited >= std::time::Duration::from_secs(1) {
            if let Some(f) = on_wait.take() {
                f(&lock);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Append prepared rows to `target`, atomically: the new file is the old
/// file's bytes, unchanged, followed by the new rows. Hold the label set's
/// lock ([`lock_label_set`]) from before [`prepare_append`] read it.
pub fn append(target: &Path, rows: &[u8]) -> Result<()> {
    let mut bytes = std::fs::read(target).map_err(|e| Error::io(target, e))?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r") {
        if uses_crlf(&bytes) {
            bytes.extend_from_slice(b"\r\n");
        } else {
            bytes.push(b'\n');
        }
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

    #[test]
    fn decoding_errors_name_line_byte_and_the_option() {
        let at = Location::file("f.csv");
        let e = decode_with(&at, b"ab\ncd\xffe", InvalidUtf8::Error)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "f.csv:2: invalid UTF-8 at byte offset 5 of the file, byte 3 of the line"
            ),
            "{e}"
        );
        assert!(e.contains("--invalid-utf8 replace"), "{e}");
        // A byte-order mark counts in the file offset and the first line's bytes.
        let e = decode_with(&at, b"\xEF\xBB\xBFab\xff", InvalidUtf8::Error)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("f.csv:1: invalid UTF-8 at byte offset 5 of the file, byte 6 of the line"),
            "{e}"
        );
        // The first problem is reported, NUL or invalid byte.
        let e = decode_with(&at, b"a\0b\xff", InvalidUtf8::Error)
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.csv:1: NUL byte at byte offset 1"), "{e}");
        let e = decode_with(&at, b"a\xffb\0", InvalidUtf8::Error)
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid UTF-8 at byte offset 1"), "{e}");
        // Within a line of a file: the line is the record's, no file offset.
        let e = decode_with(
            &Location::line("x.jsonl", 7),
            b"{\"a\xff",
            InvalidUtf8::Error,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, format!("x.jsonl:7: invalid UTF-8 at byte 4 of the line: save the file as UTF-8, {REPLACE_HINT}"));
        let e = decode_with(&at, b"\xFE\xFFx", InvalidUtf8::Replace)
            .unwrap_err()
            .to_string();
        assert!(e.contains("UTF-16"), "{e}");
    }

    #[test]
    fn replacing_counts_and_locates_what_it_replaced() {
        let at = Location::file("f.txt");
        let d = decode_with(
            &at,
            b"\xEF\xBB\xBFok\nRussia\xff\xfe\0talks\n\xc3",
            InvalidUtf8::Replace,
        )
        .unwrap();
        assert_eq!(d.text, "ok\nRussia\u{fffd}\u{fffd} talks\n\u{fffd}");
        assert_eq!((d.replaced, d.first_replaced_line), (4, Some(2)));
        assert!(d.warning(&at).unwrap().starts_with("f.txt:2: 4 invalid"));
        let d = decode_with(&at, "Russia’s".as_bytes(), InvalidUtf8::Replace).unwrap();
        assert!(matches!(d.text, Cow::Borrowed("Russia’s")));
        assert_eq!(d.warning(&at), None);
    }

    #[test]
    fn unclosed_quotes_are_found_where_they_open() {
        assert_eq!(unclosed_quote("a,b\n\"x, \"\"y\"\"\nz\",c\n"), None);
        assert_eq!(unclosed_quote("a,b\nc,d\"e\n"), None); // a quote inside a field is text
        assert_eq!(unclosed_quote("a,b\nc,\"d\ne,f\n"), Some(2));
        assert_eq!(unclosed_quote("a\n\"\"\"\n"), Some(2));
    }

    #[test]
    fn line_ends_are_normalized() {
        assert_eq!(
            normalize_line_ends(Cow::Borrowed("a\r\nb\rc\n")),
            "a\nb\nc\n"
        );
        assert!(matches!(
            normalize_line_ends(Cow::Borrowed("a\nb")),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn json_is_not_taken_for_a_label_file() {
        let f = file("{\n  \"format\": \"stance-model\",\n  \"format_version\": 1\n}\n");
        let e = read(f.path(), "label").unwrap_err().to_string();
        assert!(
            e.contains("this looks like a model file, not a label CSV"),
            "{e}"
        );
        let f = file("[{\"text\": \"a\"}]");
        let e = read(f.path(), "label").unwrap_err().to_string();
        assert!(e.contains("this looks like JSON, not CSV"), "{e}");
    }

    #[test]
    fn append_keeps_crlf_line_ends() {
        let target = file("text,label\r\nOld.,hawkish\r\nOlder.,neutral");
        let new = file("text,label\nNew.,neutral\n");
        let prepared = prepare_append(target.path(), new.path(), "added").unwrap();
        append(target.path(), &prepared.bytes).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.path()).unwrap(),
            "text,label\r\nOld.,hawkish\r\nOlder.,neutral\r\nNew.,neutral\r\n"
        );
    }
}
