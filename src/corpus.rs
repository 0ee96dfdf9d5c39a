//! Articles and their metadata, read from `.txt` files, directories of them
//! (with an optional `manifest.csv`: file, outlet, date, url, title), JSONL
//! (`{"id", "text", ...}` per line; `-` reads standard input) or CSV (`id`,
//! `text` and optional `outlet`, `date`, `title`, `url` columns).
//!
//! Scraped text carries page furniture: navigation and author lists, section
//! labels, share buttons, "Related Content", copyright footers and reader
//! comments. [`clean`] removes it line by line and records every removed line
//! with its kind, so profiles can say how much was dropped and reports can
//! show it apart. A title line becomes the article's title, not a sentence.

use crate::error::{Error, Location, Result};
use crate::labels::decode_utf8;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Article {
    pub id: String,
    pub outlet: Option<String>,
    pub date: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    /// Any other metadata of the input (JSONL keys, CSV or manifest columns),
    /// available for grouping.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// The text with furniture lines blanked out (line breaks kept).
    pub body: String,
    pub dropped: Vec<Dropped>,
}

/// A line removed as page furniture.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dropped {
    pub kind: &'static str,
    pub text: String,
}

impl Article {
    /// Any metadata field by name, for grouping.
    pub fn field(&self, name: &str) -> Option<&str> {
        match name {
            "id" | "article" => Some(&self.id),
            "outlet" => self.outlet.as_deref(),
            "date" => self.date.as_deref(),
            "title" => self.title.as_deref(),
            "url" => self.url.as_deref(),
            other => self.extra.get(other).map(String::as_str),
        }
    }
}

/// Metadata known before reading the text.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub id: String,
    pub outlet: Option<String>,
    pub date: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub extra: BTreeMap<String, String>,
}

/// Metadata names with a field of their own; others go to `extra`.
const KNOWN_FIELDS: &[&str] = &["id", "file", "text", "outlet", "date", "title", "url"];

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

/// The non-empty values of columns without a field of their own.
fn extras(headers: &[String], record: &csv::StringRecord) -> BTreeMap<String, String> {
    headers
        .iter()
        .zip(record.iter())
        .filter(|(h, v)| !KNOWN_FIELDS.contains(&h.as_str()) && !v.trim().is_empty())
        .map(|(h, v)| (h.clone(), v.trim().to_string()))
        .collect()
}

/// One article or one problem; a bad article does not stop the others.
pub type Item = Result<Article>;

/// Read every article under `path`, in a stable order, as a stream.
pub fn read(path: &Path) -> Result<Box<dyn Iterator<Item = Item>>> {
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        return Ok(Box::new(jsonl_lines(
            PathBuf::from("<stdin>"),
            Box::new(stdin.lock()),
        )));
    }
    let metadata = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if metadata.is_dir() {
        return read_dir(path);
    }
    match extension(path).as_str() {
        "jsonl" | "ndjson" => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            Ok(Box::new(jsonl_lines(path.to_path_buf(), Box::new(std::io::BufReader::new(file)))))
        }
        "csv" => read_csv(path),
        "txt" | "text" | "" => {
            let manifest = path.parent().map(|d| d.join("manifest.csv")).filter(|m| m.is_file());
            let metas = match manifest {
                Some(m) => read_manifest(&m)?,
                None => HashMap::new(),
            };
            Ok(Box::new(std::iter::once(read_txt(path, &metas))))
        }
        other => Err(Error::input(
            Location::file(path),
            format!("unsupported file type .{other}: give .txt, .jsonl, .csv, a directory, or - for JSONL on stdin"),
        )),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn read_dir(dir: &Path) -> Result<Box<dyn Iterator<Item = Item>>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && extension(p) == "txt")
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::input(
            Location::file(dir),
            "no articles here: the directory has no .txt files",
        ));
    }
    let manifest = dir.join("manifest.csv");
    let metas = if manifest.is_file() {
        read_manifest(&manifest)?
    } else {
        HashMap::new()
    };
    Ok(Box::new(
        files.into_iter().map(move |f| read_txt(&f, &metas)),
    ))
}

/// `manifest.csv`: file name → metadata.
fn read_manifest(path: &Path) -> Result<HashMap<String, Meta>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode_utf8(path, &bytes)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::input(Location::line(path, 1), format!("malformed CSV: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let file_col = col("file")
        .ok_or_else(|| Error::input(Location::line(path, 1), "manifest needs a `file` column"))?;
    let mut out = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            Error::input(
                Location {
                    path: path.to_path_buf(),
                    line: e.position().map(|p| p.line()),
                },
                format!("malformed CSV: {e}"),
            )
        })?;
        let get = |name: &str| non_empty(col(name).and_then(|c| record.get(c)));
        let file = record.get(file_col).unwrap_or("").trim().to_string();
        let id = Path::new(&file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let extra = extras(&headers, &record);
        out.insert(
            file,
            Meta {
                id,
                outlet: get("outlet"),
                date: get("date"),
                title: get("title"),
                url: get("url"),
                extra,
            },
        );
    }
    Ok(out)
}

fn read_txt(path: &Path, metas: &HashMap<String, Meta>) -> Item {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode_utf8(path, &bytes)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = metas.get(&name).cloned().unwrap_or_else(|| Meta {
        id: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..Meta::default()
    });
    finish(meta, text, Location::file(path))
}

fn finish(meta: Meta, text: &str, at: Location) -> Item {
    if text.trim().is_empty() {
        return Err(Error::input(at, "empty article: no text"));
    }
    let cleaned = clean(text, meta.title.as_deref());
    Ok(Article {
        id: meta.id,
        outlet: meta.outlet,
        date: meta.date,
        title: meta.title.or(cleaned.title),
        url: meta.url,
        extra: meta.extra,
        body: cleaned.body,
        dropped: cleaned.dropped,
    })
}

fn jsonl_lines(path: PathBuf, reader: Box<dyn BufRead>) -> impl Iterator<Item = Item> {
    let mut lines = reader.split(b'\n');
    let mut line_no = 0u64;
    std::iter::from_fn(move || loop {
        let line = lines.next()?;
        line_no += 1;
        let at = Location::line(&path, line_no);
        let bytes = match line {
            Ok(b) => b,
            Err(e) => return Some(Err(Error::io(&path, e))),
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t.trim_start_matches('\u{feff}'),
            Err(e) => {
                return Some(Err(Error::input(
                    at,
                    format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
                )))
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        return Some(parse_json_record(text, at));
    })
}

fn parse_json_record(line: &str, at: Location) -> Item {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| Error::input(at.clone(), format!("not valid JSON: {e}")))?;
    let obj = value.as_object().ok_or_else(|| {
        Error::input(
            at.clone(),
            "each line must be a JSON object with \"id\" and \"text\"",
        )
    })?;
    let string = |key: &str| -> Option<String> {
        match obj.get(key) {
            Some(serde_json::Value::String(s)) => non_empty(Some(s)),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    };
    let text = match obj.get("text") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(Error::input(at, "\"text\" must be a string")),
        None => {
            return Err(Error::input(
                at,
                "missing \"text\": each line needs \"id\" and \"text\"",
            ))
        }
    };
    let id = string("id").ok_or_else(|| {
        Error::input(
            at.clone(),
            "missing \"id\": each line needs \"id\" and \"text\"",
        )
    })?;
    let extra = obj
        .keys()
        .filter(|k| !KNOWN_FIELDS.contains(&k.as_str()))
        .filter_map(|k| string(k).map(|v| (k.clone(), v)))
        .collect();
    let meta = Meta {
        id,
        outlet: string("outlet"),
        date: string("date"),
        title: string("title"),
        url: string("url"),
        extra,
    };
    finish(meta, &text, at)
}

fn read_csv(path: &Path) -> Result<Box<dyn Iterator<Item = Item>>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode_utf8(path, &bytes)?.to_string();
    let mut reader = csv::Reader::from_reader(std::io::Cursor::new(text.into_bytes()));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::input(Location::line(path, 1), format!("malformed CSV: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(id_col), Some(text_col)) = (col("id"), col("text")) else {
        return Err(Error::input(
            Location::line(path, 1),
            format!(
                "an article CSV needs `id` and `text` columns (found: {})",
                headers.join(", ")
            ),
        ));
    };
    let cols: Vec<Option<usize>> = ["outlet", "date", "title", "url"]
        .iter()
        .map(|n| col(n))
        .collect();
    let path = path.to_path_buf();
    Ok(Box::new(reader.into_records().map(move |record| {
        let record = record.map_err(|e| {
            Error::input(
                Location {
                    path: path.clone(),
                    line: e.position().map(|p| p.line()),
                },
                format!("malformed CSV: {e}"),
            )
        })?;
        let at = Location::line(&path, record.position().map_or(0, |p| p.line()));
        let get = |c: Option<usize>| non_empty(c.and_then(|c| record.get(c)));
        let id = get(Some(id_col)).ok_or_else(|| Error::input(at.clone(), "empty `id`"))?;
        let meta = Meta {
            id,
            outlet: get(cols[0]),
            date: get(cols[1]),
            title: get(cols[2]),
            url: get(cols[3]),
            extra: extras(&headers, &record),
        };
        finish(meta, record.get(text_col).unwrap_or(""), at)
    })))
}

/// The result of removing page furniture from an article's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    pub title: Option<String>,
    pub body: String,
    pub dropped: Vec<Dropped>,
}

const COMMENT_MARKERS: &[&str] = &[
    "show comments",
    "view comments",
    "load comments",
    "hide comments",
    "comments",
    "reader comments",
    "join the discussion",
    "join the conversation",
    "leave a comment",
    "leave a reply",
    "post a comment",
    "add a comment",
];
const RELATED: &[&str] = &[
    "related content",
    "related",
    "related articles",
    "related stories",
    "read more",
    "more from",
    "recommended",
    "you may also like",
    "advertisement",
    "sponsored content",
    "most popular",
];
const SHARE_WORDS: &[&str] = &[
    "share",
    "tweet",
    "email",
    "print",
    "facebook",
    "twitter",
    "linkedin",
    "whatsapp",
    "reddit",
    "pinterest",
    "copy",
    "link",
    "on",
    "this",
    "article",
    "story",
    "save",
];

fn collapse(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn has_final_punctuation(line: &str) -> bool {
    line.ends_with(['.', '?', '!', ':', ';', '"', '”', '’', '…', ')'])
}

/// Furniture lines are short; longer lines are body text without a look.
const FURNITURE_MAX_BYTES: usize = 200;

/// The kind of furniture a (trimmed) line is, if any.
fn furniture_kind(line: &str) -> Option<&'static str> {
    if line.len() > FURNITURE_MAX_BYTES {
        return None;
    }
    let lower = collapse(line);
    let words: Vec<&str> = lower.split(' ').collect();
    if lower.starts_with('©') || lower.starts_with("(c) ") || lower.starts_with("copyright") {
        return Some("footer");
    }
    if RELATED.contains(&lower.as_str()) {
        return Some("related");
    }
    if words.iter().all(|w| SHARE_WORDS.contains(w)) {
        return Some("share");
    }
    if words.len() <= 8 && lower.starts_with("by ") && !has_final_punctuation(line) {
        return Some("byline");
    }
    let plain_words = words.iter().all(|w| w.chars().all(char::is_alphabetic));
    if words.len() >= 3
        && plain_words
        && line.chars().all(|c| c.is_lowercase() || c.is_whitespace())
    {
        return Some("navigation"); // "mead berger shevtsova garfinkle …"
    }
    if words.len() <= 4 && !has_final_punctuation(line) {
        return Some("label"); // "Russia and the West", "Features Icon"
    }
    None
}

fn is_comment_marker(line: &str) -> bool {
    if line.len() > 40 {
        return false;
    }
    let lower = collapse(line);
    COMMENT_MARKERS.contains(&lower.as_str())
        || lower
            .strip_suffix(" comments")
            .or_else(|| lower.strip_suffix(" comment"))
            .is_some_and(|n| {
                n.trim_start_matches("show ")
                    .chars()
                    .all(|c| c.is_ascii_digit())
            })
}

/// Remove page furniture. `known_title` (from metadata) marks title lines;
/// without it, a first line with no final punctuation followed by more text
/// is taken as the title.
pub fn clean(text: &str, known_title: Option<&str>) -> Cleaned {
    let known = known_title.map(collapse);
    let lines: Vec<&str> = text.split('\n').collect();
    let first_content = lines.iter().position(|l| !l.trim().is_empty());
    let mut title: Option<String> = None;
    let mut dropped = Vec::new();
    let mut body_lines: Vec<&str> = Vec::with_capacity(lines.len());
    let mut in_comments = false;
    let mut seen_body = false;
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            body_lines.push("");
            continue;
        }
        if in_comments || is_comment_marker(line) {
            in_comments = true;
            dropped.push(Dropped {
                kind: "comments",
                text: line.to_string(),
            });
            body_lines.push("");
            continue;
        }
        let kind = furniture_kind(line);
        if let Some(kind) = kind.filter(|&k| k != "label") {
            dropped.push(Dropped {
                kind,
                text: line.to_string(),
            });
            body_lines.push("");
            continue;
        }
        let is_title = match &known {
            Some(t) => line.len() <= 2 * t.len() + 16 && collapse(line) == *t,
            None => {
                !seen_body
                    && Some(i) == first_content
                    && !has_final_punctuation(line)
                    && line.split_whitespace().count() <= 25
                    && lines[i + 1..].iter().any(|l| !l.trim().is_empty())
            }
        };
        if is_title {
            title.get_or_insert_with(|| line.to_string());
            body_lines.push("");
            continue;
        }
        if let Some(kind) = kind {
            dropped.push(Dropped {
                kind,
                text: line.to_string(),
            });
            body_lines.push("");
            continue;
        }
        seen_body = true;
        body_lines.push(raw.trim_end_matches('\r'));
    }
    Cleaned {
        title,
        body: body_lines.join("\n"),
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_everything_after_are_dropped() {
        let text = "Headline here\n\nKerry met Lavrov.\n\nFeatures Icon\nshow comments\n  • Kev\n    Putin is right.\n© The Outlet LLC 2005-2017 About Us";
        let c = clean(text, None);
        assert_eq!(c.title.as_deref(), Some("Headline here"));
        assert_eq!(crate::segment::sentences(&c.body).len(), 1);
        assert!(!c.body.contains("Putin"));
        let kinds: Vec<&str> = c.dropped.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            vec!["label", "comments", "comments", "comments", "comments"]
        );
    }

    #[test]
    fn navigation_section_labels_and_known_title() {
        let text = "mead berger shevtsova garfinkle\nRussia and the West\nU.S. Ends Silent Treatment With Moscow\n\nIn a diplomatic about-face, Kerry will travel.\n\nReuters has the details:\n\nRelated Content";
        let c = clean(text, Some("U.S. Ends Silent Treatment With Moscow"));
        assert_eq!(
            c.title.as_deref(),
            Some("U.S. Ends Silent Treatment With Moscow")
        );
        let kinds: Vec<&str> = c.dropped.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, vec!["navigation", "label", "related"]);
        let sentences: Vec<&str> = crate::segment::sentences(&c.body)
            .into_iter()
            .map(|r| &c.body[r])
            .collect();
        assert_eq!(
            sentences,
            vec![
                "In a diplomatic about-face, Kerry will travel.",
                "Reuters has the details:"
            ]
        );
    }

    #[test]
    fn a_first_sentence_is_not_a_title() {
        let c = clean("Kerry met Lavrov on Friday.\nThey talked.", None);
        assert_eq!(c.title, None);
        assert!(c.dropped.is_empty());
    }

    #[test]
    fn share_buttons_bylines_and_footers() {
        let c = clean("Share on Facebook\nBy Jane Doe and John Roe\nTalks resumed in Geneva on Monday after a pause.\nCopyright 2016 Outlet", None);
        let kinds: Vec<&str> = c.dropped.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, vec!["share", "byline", "footer"]);
    }

    #[test]
    fn jsonl_records_are_validated() {
        let at = Location::line("x.jsonl", 3);
        assert!(parse_json_record("[1,2]", at.clone())
            .unwrap_err()
            .to_string()
            .contains("x.jsonl:3"));
        assert!(parse_json_record(r#"{"id":"a"}"#, at.clone())
            .unwrap_err()
            .to_string()
            .contains("missing \"text\""));
        let a = parse_json_record(
            r#"{"id":7,"text":"Talks resumed.","outlet":"CNN","extra":1}"#,
            at,
        )
        .unwrap();
        assert_eq!((a.id.as_str(), a.outlet.as_deref()), ("7", Some("CNN")));
    }
}
