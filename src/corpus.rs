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
use crate::labels::{csv_error, csv_headers, decode, load_csv, normalize_line_ends, CsvKind};
use serde::Serialize;
use std::borrow::Cow;
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
    /// What the reader noticed but did not stop for (invalid bytes read as
    /// U+FFFD with `--invalid-utf8 replace`), each naming its place.
    #[serde(skip)]
    pub warnings: Vec<String>,
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
            "no articles here: the directory has no .txt files (give .jsonl and .csv files by name)",
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
    let text = load_csv(path, &bytes, CsvKind::Manifest)?;
    let mut reader = csv::Reader::from_reader(text.text.as_bytes());
    let headers = csv_headers(path, &mut reader)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let file_col = col("file")
        .ok_or_else(|| Error::input(Location::line(path, 1), "manifest needs a `file` column"))?;
    let mut out = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
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
    let at = Location::file(path);
    let decoded = decode(&at, &bytes)?;
    let warning = decoded.warning(&at);
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
    let mut article = finish(meta, &decoded.text, at)?;
    article.warnings.extend(warning);
    Ok(article)
}

fn finish(meta: Meta, raw: &str, at: Location) -> Item {
    if raw.trim().is_empty() {
        return Err(Error::input(
            at,
            "empty article: no text (only whitespace, if anything); add its text or leave it out",
        ));
    }
    let text = plain_text(raw);
    if text.trim().is_empty() {
        return Err(Error::input(
            at,
            "empty article: no text once HTML markup is removed; add its text or leave it out",
        ));
    }
    let cleaned = clean(&text, meta.title.as_deref());
    Ok(Article {
        id: meta.id,
        outlet: meta.outlet,
        date: meta.date,
        title: meta.title.or(cleaned.title),
        url: meta.url,
        extra: meta.extra,
        body: cleaned.body,
        dropped: cleaned.dropped,
        warnings: Vec::new(),
    })
}

fn jsonl_lines(path: PathBuf, reader: Box<dyn BufRead>) -> impl Iterator<Item = Item> {
    let mut lines = reader.split(b'\n');
    let mut line_no = 0u64;
    let mut records = 0usize;
    let mut done = false;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        let Some(line) = lines.next() else {
            done = true;
            if records == 0 {
                return Some(Err(Error::input(
                    Location::file(&path),
                    "no articles: the input is empty or only blank lines; JSON Lines has one {\"id\", \"text\"} object per line",
                )));
            }
            return None;
        };
        line_no += 1;
        let at = Location::line(&path, line_no);
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                done = true;
                return Some(Err(Error::io(&path, e)));
            }
        };
        let decoded = match decode(&at, &bytes) {
            Ok(d) => d,
            Err(e) => {
                records += 1;
                return Some(Err(e));
            }
        };
        if decoded.text.trim().is_empty() {
            continue;
        }
        records += 1;
        let warning = decoded.warning(&at);
        return Some(parse_json_record(&decoded.text, at).map(|mut article| {
            article.warnings.extend(warning);
            article
        }));
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
        Some(other) => {
            return Err(Error::input(
                at,
                format!(
                    "\"text\" must be a string, not {}: put the article's text in quotes",
                    json_type(other)
                ),
            ))
        }
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

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn read_csv(path: &Path) -> Result<Box<dyn Iterator<Item = Item>>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = load_csv(path, &bytes, CsvKind::Articles)?;
    drop(bytes);
    let warning = text.warning;
    let mut reader = csv::Reader::from_reader(std::io::Cursor::new(text.text.into_bytes()));
    let headers = csv_headers(path, &mut reader)?;
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
    let mut records = 0usize;
    let mut records_iter = reader.into_records();
    let mut warning = warning;
    Ok(Box::new(std::iter::from_fn(move || {
        let Some(record) = records_iter.next() else {
            if records == 0 {
                records = 1;
                return Some(Err(Error::input(
                    Location::file(&path),
                    "no articles: the file has a header line but no rows",
                )));
            }
            return None;
        };
        records += 1;
        Some(
            csv_article(&path, &headers, id_col, text_col, &cols, record).map(|mut article| {
                // Said once, with the first article.
                article.warnings.extend(warning.take());
                article
            }),
        )
    })))
}

fn csv_article(
    path: &Path,
    headers: &[String],
    id_col: usize,
    text_col: usize,
    cols: &[Option<usize>],
    record: csv::Result<csv::StringRecord>,
) -> Item {
    let record = record.map_err(|e| csv_error(path, e))?;
    let at = Location::line(path, record.position().map_or(0, |p| p.line()));
    let get = |c: Option<usize>| non_empty(c.and_then(|c| record.get(c)));
    let id = get(Some(id_col))
        .ok_or_else(|| Error::input(at.clone(), "empty `id`: every article needs one"))?;
    let meta = Meta {
        id,
        outlet: get(cols[0]),
        date: get(cols[1]),
        title: get(cols[2]),
        url: get(cols[3]),
        extra: extras(headers, &record),
    };
    finish(meta, record.get(text_col).unwrap_or(""), at)
}

/// Article text as the segmenter expects it: `\n` line ends (`\r\n` and
/// lone `\r` become `\n`), control characters (NUL from a JSON `\u0000`,
/// form feeds, …) as spaces, and HTML markup removed: tags stripped,
/// `script` and `style` contents and comments dropped, block elements
/// (`p`, `div`, `h1`, `li`, …) as paragraph breaks and `br` as a line break,
/// entities decoded (`&amp;`, `&#8217;`, `&nbsp;` as a plain space). Plain
/// text without markup comes back as it is.
pub fn plain_text(text: &str) -> Cow<'_, str> {
    let mut text = normalize_line_ends(Cow::Borrowed(text));
    let is_control = |c: char| c.is_ascii_control() && c != '\n' && c != '\t';
    if text.bytes().any(|b| is_control(b as char)) {
        text = Cow::Owned(text.replace(is_control, " "));
    }
    if text.contains('<') {
        if let Some(stripped) = strip_tags(&text) {
            text = Cow::Owned(stripped);
        }
    }
    if text.contains('&') {
        if let Cow::Owned(decoded) = html_escape::decode_html_entities(&text) {
            text = Cow::Owned(decoded);
        }
    }
    if text.contains('\u{a0}') {
        text = Cow::Owned(text.replace('\u{a0}', " "));
    }
    text
}

/// Elements that start a new paragraph (their text is a block of its own).
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
];

/// Elements whose contents are not text for the reader.
const HIDDEN_ELEMENTS: &[&str] = &["script", "style", "noscript", "template"];

/// What a `<` starts.
enum Markup {
    /// Not markup: the `<` is text.
    Text,
    /// A tag, comment or declaration ending just before `end`.
    Tag {
        end: usize,
        name: String,
        closing: bool,
    },
    /// Looks like a tag but no `>` follows anywhere: nothing later can be a tag.
    Unclosed,
}

fn markup_at(text: &str, lt: usize) -> Markup {
    let bytes = text.as_bytes();
    let after = |from: usize, pattern: &str| text[from..].find(pattern).map(|i| from + i);
    match bytes.get(lt + 1) {
        Some(b'!') if text[lt..].starts_with("<!--") => match after(lt + 4, "-->") {
            Some(i) => Markup::Tag {
                end: i + 3,
                name: String::new(),
                closing: false,
            },
            None => Markup::Unclosed,
        },
        Some(b'!') | Some(b'?') => match after(lt + 2, ">") {
            Some(i) => Markup::Tag {
                end: i + 1,
                name: String::new(),
                closing: false,
            },
            None => Markup::Unclosed,
        },
        Some(&b) if b == b'/' || b.is_ascii_alphabetic() => {
            let closing = b == b'/';
            let start = lt + 1 + usize::from(closing);
            let name_len = bytes[start..]
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'_'))
                .count();
            if name_len == 0 || !bytes[start].is_ascii_alphabetic() {
                return Markup::Text;
            }
            match bytes.get(start + name_len) {
                Some(b'>' | b'/') => {}
                Some(c) if c.is_ascii_whitespace() => {}
                _ => return Markup::Text,
            }
            match after(start + name_len, ">") {
                Some(i) => Markup::Tag {
                    end: i + 1,
                    name: text[start..start + name_len].to_ascii_lowercase(),
                    closing,
                },
                None => Markup::Unclosed,
            }
        }
        _ => Markup::Text,
    }
}

/// `text` without its HTML tags, or `None` if it has none. Linear in the
/// length of the text.
fn strip_tags(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut copied = 0; // text[..copied] is handled
    let mut from = 0; // where to look for the next `<`
    let mut any = false;
    while let Some(i) = text[from..].find('<') {
        let lt = from + i;
        match markup_at(text, lt) {
            Markup::Text => from = lt + 1,
            Markup::Unclosed => break,
            Markup::Tag { end, name, closing } => {
                any = true;
                out.push_str(&text[copied..lt]);
                if name == "br" {
                    out.push('\n');
                } else if BLOCK_ELEMENTS.contains(&name.as_str()) {
                    out.push_str("\n\n");
                }
                copied = end;
                from = end;
                if !closing && HIDDEN_ELEMENTS.contains(&name.as_str()) {
                    // Skip to the closing tag, or to the end as a browser would.
                    let close = closing_tag(text, end, &name).unwrap_or(text.len());
                    copied = close;
                    from = close;
                }
            }
        }
    }
    if !any {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Where `</name` (any case) starts at or after `from`.
fn closing_tag(text: &str, from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    while let Some(i) = text[at..].find("</") {
        let start = at + i;
        let candidate = text.as_bytes().get(start + 2..start + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return Some(start);
        }
        at = start + 2;
    }
    None
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
    // A line ending in punctuation can only be a footer: every other kind
    // needs a last word of bare letters or no final mark. Footers start with
    // '©', "(c)" or "copyright"; anything else is body text, no need to look.
    if has_final_punctuation(line) && !line.starts_with(['©', '(', 'c', 'C']) {
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
///
/// Short lines without final punctuation are taken for section labels and
/// dropped, unless nothing else is left: a one-line article ("Russia’s
/// army") is still an article.
pub fn clean(text: &str, known_title: Option<&str>) -> Cleaned {
    let cleaned = clean_lines(text, known_title, true);
    let nothing_left = cleaned.body.trim().is_empty();
    if nothing_left && cleaned.dropped.iter().any(|d| d.kind == "label") {
        return clean_lines(text, known_title, false);
    }
    cleaned
}

fn clean_lines(text: &str, known_title: Option<&str>, drop_labels: bool) -> Cleaned {
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
        let kind = furniture_kind(line).filter(|&k| drop_labels || k != "label");
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
            // A page often repeats its title (`<title>` and `<h1>`).
            None if title.as_deref().is_some_and(|t| {
                line.len() <= 2 * t.len() + 16 && collapse(line) == collapse(t)
            }) =>
            {
                true
            }
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

    #[test]
    fn html_is_stripped_and_entities_decoded() {
        assert_eq!(
            plain_text("<p>Russia&#8217;s army</p>").trim(),
            "Russia\u{2019}s army"
        );
        let page = "<html><head><title>T</title><style>p{}</style></head><body><script type=\"x\">if (a<b) {}</script><!-- c --><p>One&nbsp;&amp; two.</p><P>Three<br/>four</P></body></html>";
        let text = plain_text(page);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines, ["T", "One & two.", "Three", "four"]);
        // Unknown and inline tags vanish without a break.
        assert_eq!(
            plain_text("a <span class=\"x\">b</span> <custom-tag>c"),
            "a b c"
        );
    }

    #[test]
    fn text_that_only_looks_like_markup_is_kept() {
        for text in [
            "Profits rose 5% & costs fell; AT&T said so.",
            "If x < 3 and y > 2, nothing.",
            "A <3 heart, 1<2.",
            "Unclosed <a tag and more < text",
            "Plain text.",
        ] {
            assert_eq!(plain_text(text), text);
        }
        assert!(matches!(plain_text("Plain text.\nMore."), Cow::Borrowed(_)));
        // An unclosed tag stops tag stripping but not the text.
        assert_eq!(
            plain_text("<b>Bold</b> then <a href="),
            "Bold then <a href="
        );
    }

    #[test]
    fn line_ends_and_control_characters() {
        assert_eq!(plain_text("a\r\nb\rc\0d\x0ce\tf"), "a\nb\nc d e\tf");
    }

    #[test]
    fn stripping_is_linear_on_many_lone_brackets() {
        let text = "<a".repeat(200_000);
        let started = std::time::Instant::now();
        assert_eq!(plain_text(&text), text);
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn a_one_line_article_is_not_furniture() {
        let c = clean("Russia’s army", None);
        assert_eq!(c.body, "Russia’s army");
        assert!(c.dropped.is_empty());
        // With other text, the same line is a section label.
        let c = clean("Talks resumed in Geneva.\nRussia’s army", None);
        assert_eq!(c.dropped.len(), 1);
    }

    #[test]
    fn a_repeated_title_is_not_a_sentence() {
        let c = clean(
            "Kerry and Lavrov meet again\n\nKerry and Lavrov  meet again\nThey talked.",
            None,
        );
        assert_eq!(c.title.as_deref(), Some("Kerry and Lavrov meet again"));
        assert_eq!(c.body.trim(), "They talked.");
    }
}
