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

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;

/// Splits sentences into stemmed tokens. Stemming is the costly step, so each
/// analyzer remembers the stems it has computed.
pub struct Analyzer {
    stemmer: Stemmer,
    cache: HashMap<String, String>,
    word: String,
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
            cache: HashMap::new(),
            word: String::new(),
        }
    }

    /// The stemmed tokens of `text`, appended to `out` (which is cleared first).
    pub fn tokens(&mut self, text: &str, out: &mut Vec<String>) {
        out.clear();
        let mut rest = text;
        while let Some((raw, after)) = next_raw_token(rest) {
            rest = after;
            self.push_token(raw, out);
        }
    }

    /// Convenience wrapper returning a fresh vector.
    pub fn analyze(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.tokens(text, &mut out);
        out
    }

    fn push_token(&mut self, raw: &str, out: &mut Vec<String>) {
        // Normalize into the reused buffer: lower case, straight apostrophes.
        self.word.clear();
        for c in raw.chars() {
            match c {
                '’' | '‘' | 'ʼ' | '`' => self.word.push('\''),
                c if c.is_ascii() => self.word.push(c.to_ascii_lowercase()),
                c => self.word.extend(c.to_lowercase()),
            }
        }
        let mut negated = false;
        if let Some(base) = self.word.strip_suffix("n't") {
            negated = true;
            let base = match base {
                "ca" => "can",
                "wo" => "will",
                "sha" => "shall",
                "" => "",
                other => other,
            }
            .to_string();
            self.word = base;
        } else if let Some(pos) = self.word.rfind('\'') {
            let clitic = &self.word[pos + 1..];
            if matches!(clitic, "s" | "re" | "ve" | "m" | "ll" | "d" | "") {
                self.word.truncate(pos);
            }
        }
        let word = self.word.trim_end_matches('.');
        if !word.is_empty() {
            let stem = match self.cache.get(word) {
                Some(stem) => stem.clone(),
                None => {
                    let stem = stem_word(&self.stemmer, word);
                    self.cache.insert(word.to_string(), stem.clone());
                    stem
                }
            };
            out.push(stem);
        }
        if negated {
            out.push("not".to_string());
        }
    }
}

fn stem_word(stemmer: &Stemmer, word: &str) -> String {
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
    let start = s.find(|c: char| c.is_alphanumeric())?;
    let rest = &s[start..];
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
    fn punctuation_only_gives_nothing() {
        assert!(toks(" — … “” ! ").is_empty());
    }
}
