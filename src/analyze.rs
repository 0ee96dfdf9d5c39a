//! Sentence text → stemmed tokens.
//!
//! Tokens are runs of letters and digits, keeping internal apostrophes,
//! hyphens and periods ("Russia’s", "cease-fire", "U.S."), lower-cased.
//! Curly apostrophes count as straight ones. Clitics are dropped ("we're" →
//! "we") except the negation "n't", which becomes its own token `not`, so
//! "don't pursue" and "do not pursue" agree and "not worth pursuing" keeps
//! its negation. Words are reduced with the Snowball English stemmer, each
//! part of a hyphenated word on its own; numbers are kept as written.
//! Nothing is removed as a stop word: "no", "not" and "never" carry stance.

use compact_str::CompactString;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use std::hash::Hasher;

/// A sentence's stems, and the words they came from (lower-cased, clitics
/// dropped; "n't" gives the word `not`), one word per stem: character
/// n-grams are taken from the words. `marks` says, per stem, whether it is
/// in the scope of a negation (see [`is_negation`]), inside a quotation, and
/// whether punctuation separates it from the word before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tokens {
    pub stems: Vec<String>,
    pub words: Vec<String>,
    pub marks: Vec<Marks>,
}

/// Where a word stands in its sentence, beyond the word itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    /// In the scope of a negation: after "not", "no", "never"… up to the
    /// next clause punctuation.
    pub negated: bool,
    /// Inside quotation marks (“…”, «…», "…").
    pub quoted: bool,
    /// Clause punctuation, a dash or a quotation mark stands between this
    /// word and the one before (always true of the first word).
    pub boundary: bool,
}

#[cfg(test)]
impl Tokens {
    /// Words taken as their own stems, none negated: hand-made test input.
    pub(crate) fn unstemmed<'a>(words: impl Iterator<Item = &'a str>) -> Tokens {
        let words: Vec<String> = words.map(String::from).collect();
        Tokens {
            stems: words.clone(),
            marks: vec![Marks::default(); words.len()],
            words,
        }
    }
}

/// True for the words that open a negation scope: the words after one, up
/// to the next clause punctuation (`. , ; : ! ?`) or the end of the
/// sentence, are in its scope ("we do not [want more sanctions], he said").
fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not"
            | "no"
            | "never"
            | "nor"
            | "neither"
            | "without"
            | "nobody"
            | "nothing"
            | "none"
            | "cannot"
    )
}

/// The first character of a negated stem's vocabulary term ("¬sanction").
pub const NEGATED_MARK: char = '¬';

/// The hash of a negated stem from the hash of the stem: the hash of the
/// term `¬stem`, without building it.
pub fn negated_hash(stem_hash: u64) -> u64 {
    (stem_hash ^ 0x6E65_6761_7465_6421).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Splits sentences into stemmed tokens. Stemming is the costly step, so each
/// analyzer remembers the stems it has computed. (The classification path
/// keeps its own per-word cache: see [`crate::model::Scorer`].)
pub struct Analyzer {
    stemmer: Stemmer,
    /// Word → stem.
    stems: FxHashMap<CompactString, CompactString>,
    word: String,
}

/// The hash of a token (a stem), as used to look terms up.
pub fn term_hash(stem: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(stem.as_bytes());
    h.finish()
}

/// The hash of an n-gram from the hash of its first n−1 tokens and the next.
pub fn extend_hash(prefix: u64, next: u64) -> u64 {
    (prefix.rotate_left(23) ^ next).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hash of a vocabulary term ("a b" is the bigram of stems a and b).
pub fn phrase_hash(term: &str) -> u64 {
    let token_hash = |t: &str| {
        if let Some(stem) = t.strip_prefix(NEGATED_MARK) {
            return negated_hash(term_hash(stem));
        }
        match crate::target::split_marked(t) {
            Some((mark, stem)) => crate::target::marked_hash(mark, term_hash(stem)),
            None => term_hash(t),
        }
    };
    let mut tokens = term.split(' ');
    let first = token_hash(tokens.next().unwrap_or(""));
    tokens.fold(first, |h, t| extend_hash(h, token_hash(t)))
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
            stems: FxHashMap::default(),
            word: String::new(),
        }
    }

    /// The stemmed tokens of `text`, into `out` (which is cleared first).
    pub fn tokens(&mut self, text: &str, out: &mut Vec<String>) {
        out.clear();
        self.each_stem(text, |_, stem, _| out.push(stem.to_string()));
    }

    /// The stems of `text` with the words they came from.
    pub fn analyze_tokens(&mut self, text: &str) -> Tokens {
        let mut tokens = Tokens::default();
        self.each_stem(text, |word, stem, marks| {
            tokens.words.push(word.to_string());
            tokens.stems.push(stem.to_string());
            tokens.marks.push(marks);
        });
        tokens
    }

    /// Call `f` with every word of `text`, the hash of its stem and its
    /// marks, in order.
    pub fn each_word_hash(&mut self, text: &str, mut f: impl FnMut(&str, u64, Marks)) {
        self.each_stem(text, |word, stem, marks| f(word, term_hash(stem), marks));
    }

    /// Call `f` with every word of `text` (before stemming) and its marks,
    /// in order.
    pub fn each_word(&mut self, text: &str, f: impl FnMut(&str, Marks)) {
        each_word(&mut self.word, text, f);
    }

    /// The stem of one word, as [`Analyzer::each_word`] gives it (not
    /// remembered: callers that look words up again cache it).
    pub fn stem(&self, word: &str) -> String {
        stem_word(&self.stemmer, word)
    }

    /// The hashes of the stemmed tokens of `text`, into `out` (cleared first).
    pub fn token_hashes(&mut self, text: &str, out: &mut Vec<u64>) {
        out.clear();
        self.each_word_hash(text, |_, hash, _| out.push(hash));
    }

    /// Convenience wrapper returning a fresh vector.
    pub fn analyze(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.tokens(text, &mut out);
        out
    }

    /// Call `f` with every word of `text`, its stem and its marks, in order.
    fn each_stem(&mut self, text: &str, mut f: impl FnMut(&str, &str, Marks)) {
        let (stemmer, stems) = (&self.stemmer, &mut self.stems);
        each_word(&mut self.word, text, |word, marks| {
            let stem = match stems.get(word) {
                Some(stem) => stem,
                None => stems
                    .entry(word.into())
                    .or_insert_with(|| stem_word(stemmer, word).into()),
            };
            f(word, stem, marks);
        });
    }
}

/// What the text between two words says: whether it holds clause
/// punctuation (which ends a negation's scope), and whether it opens or
/// closes a quotation.
struct Gap {
    clause: bool,
    boundary: bool,
    /// Some(true) after an opening mark, Some(false) after a closing one.
    quote: Option<bool>,
}

fn read_gap(gap: &str, quoted: bool) -> Gap {
    let mut g = Gap {
        clause: false,
        boundary: false,
        quote: None,
    };
    // Most gaps are one space.
    if gap == " " {
        return g;
    }
    let mut inside = quoted;
    for c in gap.chars() {
        match c {
            '.' | ',' | ';' | ':' | '!' | '?' => {
                g.clause = true;
                g.boundary = true;
            }
            '—' | '–' | '(' | ')' => g.boundary = true,
            '“' | '«' | '„' => {
                g.boundary = true;
                inside = true;
                g.quote = Some(true);
            }
            '”' | '»' => {
                g.boundary = true;
                inside = false;
                g.quote = Some(false);
            }
            '"' => {
                g.boundary = true;
                inside = !inside;
                g.quote = Some(inside);
            }
            _ => {}
        }
    }
    g
}

/// Call `f` with every word of `text` (normalized into the scratch buffer
/// `buf` when it is not plain lower-case ASCII) and its marks, in order.
fn each_word(buf: &mut String, text: &str, mut f: impl FnMut(&str, Marks)) {
    let mut rest = text;
    let mut in_scope = false;
    let mut quoted = false;
    let mut first = true;
    while let Some((raw, after)) = next_raw_token(rest) {
        // The text skipped before this token: clause punctuation there
        // ends a negation's scope; quotation marks open or close a quote.
        let gap = read_gap(
            &rest[..raw.as_ptr() as usize - rest.as_ptr() as usize],
            quoted,
        );
        if gap.clause {
            in_scope = false;
        }
        if let Some(q) = gap.quote {
            quoted = q;
        }
        let boundary = std::mem::take(&mut first) || gap.boundary;
        rest = after;
        // Most tokens are plain lower-case ASCII words that normalizing
        // leaves as they are: use those as they stand.
        let plain = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let negated = !plain && normalize(buf, raw);
        let word = if plain {
            raw
        } else {
            buf.trim_end_matches('.')
        };
        let marks = |negated| Marks {
            negated,
            quoted,
            boundary,
        };
        if !word.is_empty() {
            f(word, marks(in_scope));
            if is_negation(word) {
                in_scope = true;
            }
        }
        if negated {
            f("not", marks(in_scope));
            in_scope = true;
        }
    }
}

/// Normalize a raw token into `word` (lower case, straight apostrophes,
/// clitics dropped); true if it carried "n't".
fn normalize(word: &mut String, raw: &str) -> bool {
    word.clear();
    if raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        // No apostrophe, so no clitic: just lower case.
        word.push_str(raw);
        word.make_ascii_lowercase();
        return false;
    }
    for c in raw.chars() {
        match c {
            '’' | '‘' | 'ʼ' | '`' => word.push('\''),
            c if c.is_ascii() => word.push(c.to_ascii_lowercase()),
            c => word.extend(c.to_lowercase()),
        }
    }
    if let Some(base) = word.strip_suffix("n't") {
        let base_len = match base {
            "ca" | "wo" | "sha" => None,
            _ => Some(base.len()),
        };
        match base_len {
            Some(len) => word.truncate(len),
            None => {
                let full = match base {
                    "ca" => "can",
                    "wo" => "will",
                    _ => "shall",
                };
                word.clear();
                word.push_str(full);
            }
        }
        return true;
    }
    if let Some(pos) = word.rfind('\'') {
        let clitic = &word[pos + 1..];
        if matches!(clitic, "s" | "re" | "ve" | "m" | "ll" | "d" | "") {
            word.truncate(pos);
        }
    }
    false
}

pub(crate) fn stem_word(stemmer: &Stemmer, word: &str) -> String {
    // Numbers and dotted abbreviations ("u.s", "a.m") are kept as written:
    // the stemmer would read the final "s" of "u.s" as a plural.
    if word.chars().any(|c| c.is_ascii_digit() || c == '.') {
        return word.to_string();
    }
    if word.contains('-') {
        return word
            .split('-')
            .map(|part| stemmer.stem(part).into_owned())
            .collect::<Vec<_>>()
            .join("-");
    }
    stemmer.stem(word).into_owned()
}

fn is_connector(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '-' | '‐' | '.' | ',')
}

/// The next raw token of `s` and the text after it: a run of alphanumerics
/// possibly joined by single connectors ("U.S", "cease-fire", "1,903").
/// A comma joins only digits.
fn next_raw_token(s: &str) -> Option<(&str, &str)> {
    // ASCII fast paths (most of news text), each falling back to the
    // general character loop on the first byte it cannot decide.
    let ascii_gap = s
        .bytes()
        .take_while(|b| b.is_ascii() && !b.is_ascii_alphanumeric())
        .count();
    let start = ascii_gap + s[ascii_gap..].find(|c: char| c.is_alphanumeric())?;
    let rest = &s[start..];
    let ascii_run = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let bytes = rest.as_bytes();
    match bytes.get(ascii_run) {
        None => return Some((rest, "")),
        // An ASCII byte that is no connector ends the token; so does a
        // connector not followed by a letter or digit ("war, and", "war.").
        Some(&b)
            if b.is_ascii()
                && (!is_connector(b as char)
                    || bytes
                        .get(ascii_run + 1)
                        .is_none_or(|n| n.is_ascii() && !n.is_ascii_alphanumeric())) =>
        {
            return Some((&rest[..ascii_run], &rest[ascii_run..]));
        }
        _ => {}
    }
    let mut end = 0;
    let mut chars = rest.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() {
            end = i + c.len_utf8();
            prev = Some(c);
            continue;
        }
        let next = chars.peek().map(|&(_, n)| n);
        let joins = is_connector(c)
            && next.is_some_and(char::is_alphanumeric)
            && match c {
                ',' => {
                    prev.is_some_and(|p| p.is_ascii_digit())
                        && next.is_some_and(|n| n.is_ascii_digit())
                }
                '.' => {
                    prev.is_some_and(|p| p.is_ascii_digit())
                        && next.is_some_and(|n| n.is_ascii_digit())
                        || is_dotted_abbreviation(&rest[..i])
                }
                _ => true,
            };
        if !joins {
            // "n't" and "'s" attach at the end even without a following letter.
            break;
        }
        prev = Some(c);
    }
    // Keep the final period of a dotted abbreviation ("U.S.") out; keep a
    // trailing apostrophe-clitic that was part of the run.
    Some((&rest[..end], &rest[end..]))
}

/// True when `before` ends in a run of single letters separated by periods
/// ("U", "U.S", "a.m"): the start of an abbreviation like "U.S.".
fn is_dotted_abbreviation(before: &str) -> bool {
    let tail = before
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '.'))
        .next()
        .unwrap_or("");
    !tail.is_empty()
        && tail
            .split('.')
            .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_and_normalized_words_agree() {
        // Lower-case ASCII words skip normalization; capitalized ones go
        // through it. Both must give the same stems and hashes.
        let plain = "sanctions talks 2016 russia ceasefire negotiating diplomats";
        let mut a = Analyzer::new();
        let (mut stems, mut hashes) = (Vec::new(), Vec::new());
        a.tokens(plain, &mut stems);
        a.token_hashes(plain, &mut hashes);
        let mut b = Analyzer::new();
        let shouted = plain.to_uppercase();
        let (mut stems_b, mut hashes_b) = (Vec::new(), Vec::new());
        b.tokens(&shouted, &mut stems_b);
        b.token_hashes(&shouted, &mut hashes_b);
        assert_eq!(stems, stems_b);
        assert_eq!(hashes, hashes_b);
        assert_eq!(stems[0], "sanction");
        let expected: Vec<u64> = stems.iter().map(|s| term_hash(s)).collect();
        assert_eq!(hashes, expected);
    }

    fn toks(text: &str) -> Vec<String> {
        Analyzer::new().analyze(text)
    }

    #[test]
    fn lowercases_and_stems() {
        assert_eq!(
            toks("Russia Resumed Talks"),
            vec!["russia", "resum", "talk"]
        );
    }

    #[test]
    fn curly_and_straight_apostrophes_agree() {
        assert_eq!(toks("Russia’s refusal"), toks("Russia's refusal"));
        assert_eq!(toks("Russia’s refusal"), vec!["russia", "refus"]);
        assert_eq!(
            toks("they’re an integral stakeholder"),
            vec!["they", "an", "integr", "stakehold"]
        );
    }

    #[test]
    fn negations_are_kept_as_tokens() {
        assert_eq!(toks("we don’t think"), vec!["we", "do", "not", "think"]);
        assert_eq!(
            toks("it can't and won't"),
            vec!["it", "can", "not", "and", "will", "not"]
        );
        assert_eq!(toks("not worth pursuing"), vec!["not", "worth", "pursu"]);
        assert_eq!(toks("no chance, never"), vec!["no", "chanc", "never"]);
        assert_ne!(toks("not worth pursuing"), toks("worth pursuing"));
    }

    #[test]
    fn hyphenated_words_and_abbreviations() {
        assert_eq!(toks("a cease-fire pact"), vec!["a", "ceas-fire", "pact"]);
        assert_eq!(
            toks("U.S.-Russia engagement"),
            vec!["u.s", "russia", "engag"]
        );
        assert_eq!(
            toks("the U.S. and the U.N."),
            vec!["the", "u.s", "and", "the", "u.n"]
        );
        assert_eq!(toks("10 a.m. talks"), vec!["10", "a.m", "talk"]);
    }

    #[test]
    fn words_end_at_connectors_that_join_nothing() {
        assert_eq!(
            toks("War, and peace. End.Then a cease-fire, 1,903 3.5 U.S. troops"),
            [
                "war",
                "and",
                "peac",
                "end",
                "then",
                "a",
                "ceas-fire",
                "1,903",
                "3.5",
                "u.s",
                "troop"
            ]
        );
    }

    #[test]
    fn numbers_are_kept_whole() {
        assert_eq!(
            toks("48 hours, 1,903 rows, 3.5 percent in 2016."),
            vec!["48", "hour", "1,903", "row", "3.5", "percent", "in", "2016"]
        );
    }

    #[test]
    fn unicode_letters() {
        assert_eq!(
            toks("Sergei Lavrov in Zürich — Лавров"),
            vec!["sergei", "lavrov", "in", "zürich", "лавров"]
        );
    }

    #[test]
    fn hashes_follow_the_stems() {
        let mut a = Analyzer::new();
        let mut hashes = Vec::new();
        a.token_hashes("Russia’s talks didn't", &mut hashes);
        let stems = a.analyze("Russia’s talks didn't");
        assert_eq!(stems, vec!["russia", "talk", "did", "not"]);
        assert_eq!(
            hashes,
            stems.iter().map(|s| term_hash(s)).collect::<Vec<_>>()
        );
        assert_eq!(
            phrase_hash("talk did"),
            extend_hash(term_hash("talk"), term_hash("did"))
        );
    }

    #[test]
    fn words_run_alongside_stems() {
        let t = Analyzer::new().analyze_tokens("Russia’s Talks didn't");
        assert_eq!(t.stems, vec!["russia", "talk", "did", "not"]);
        assert_eq!(t.words, vec!["russia", "talks", "did", "not"]);
    }

    #[test]
    fn negation_scope_runs_to_the_next_clause_punctuation() {
        let t = Analyzer::new()
            .analyze_tokens("We don't want new sanctions, he said; never again. Talks go on");
        let scoped: Vec<&str> = t
            .words
            .iter()
            .zip(&t.marks)
            .filter(|(_, m)| m.negated)
            .map(|(w, _)| w.as_str())
            .collect();
        assert_eq!(scoped, ["want", "new", "sanctions", "again"]);
        assert_eq!(t.marks.len(), t.stems.len());
        assert_eq!(
            phrase_hash("¬sanction talk"),
            extend_hash(negated_hash(term_hash("sanction")), term_hash("talk"))
        );
    }

    #[test]
    fn punctuation_only_gives_nothing() {
        assert!(toks(" — … “” ! ").is_empty());
    }
}
