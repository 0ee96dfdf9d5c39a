//! Stance toward a target: terms that say where a sentence mentions the
//! target and who speaks.
//!
//! A bag of words reads "sanctions on Russia, London said" and "sanctions,
//! Moscow said" alike, though the guide labels the first hawkish and the
//! second neutral (Russia speaking of the West). Two families of terms,
//! each a setting chosen by cross-validation and stored in the model, give
//! the classifier what it needs to tell them apart:
//!
//! - **window**: every stem within `window` words of a mention of the target
//!   gets a marked copy (`@sanction`), and every mention counts as the term
//!   `@`, so "sanctions" near "Moscow" weighs apart from "sanctions" elsewhere
//!   and a sentence that never mentions the target can lean neutral;
//! - **speakers**: a speech or action verb ("said", "told", "according to",
//!   "accused", "denied", "offered", …) names who speaks or acts, in the
//!   words before it in its clause ("Lavrov said"), or after it when nothing
//!   comes before ("…,” said Lavrov", "according to the Kremlin"). A speaker
//!   that names the target gives the terms `§target` and `§target:VERB`
//!   (`§target:accus`: Russia accusing), any other named speaker `§other`
//!   and `§other:VERB`; a speaker that is only a pronoun ("he said") names no
//!   side. Stems inside quotation marks get a marked copy (`»stem`).
//!
//! Which words name the target, which attribute speech and which are
//! pronouns is the model's [`Lexicon`], not code: another target (China,
//! NATO) is another lexicon, written in the same plain format
//! ([`Lexicon::parse`]). The built-in one is `data/target-russia.txt`.

use crate::analyze::{term_hash, Marks};
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

/// The lexicon the built-in model and `stance train` use unless given
/// another (`--target-lexicon`).
pub const RUSSIA_LEXICON: &str = include_str!("../data/target-russia.txt");

/// Words that say what the target is and how speech is attributed: a
/// setting of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lexicon {
    /// What the lexicon is about ("russia").
    pub name: String,
    /// Words that name the target (lower case), matched on their stems and
    /// on each part of a hyphenated word ("Russian-backed").
    pub target: Vec<String>,
    /// Verbs that name a speaker or actor next to them ("said", "accused";
    /// "according" names the speaker after a following "to"), matched as
    /// written (lower case), so that "responded" names a speaker and "will
    /// respond" does not.
    pub speech: Vec<String>,
    /// Words that stand for a speaker without saying who: a speaker of only
    /// these names no side.
    pub pronouns: Vec<String>,
    /// Cue words of pressure (sanctions, expulsions, accusations…), matched
    /// on their stems: with cue terms, each counts as `%pressure`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pressure: Vec<String>,
    /// Cue words of engagement (talks, agreement, cooperation…), `%engage`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engagement: Vec<String>,
}

impl Lexicon {
    /// The built-in lexicon of Russia.
    pub fn russia() -> Lexicon {
        // The file is part of the source tree and tested; it always parses.
        Lexicon::parse(RUSSIA_LEXICON)
            .unwrap_or_else(|e| unreachable!("data/target-russia.txt: {e}"))
    }

    /// Read a lexicon: lines `name: WORD`, `target: WORDS…`, `speech:
    /// WORDS…`, `pronouns: WORDS…` (a key may repeat; its words add up),
    /// blank lines and `#` comments. Words are lower-cased. On error, the
    /// line number and what is wrong.
    pub fn parse(text: &str) -> Result<Lexicon, String> {
        let mut lex = Lexicon {
            name: String::new(),
            target: Vec::new(),
            speech: Vec::new(),
            pronouns: Vec::new(),
            pressure: Vec::new(),
            engagement: Vec::new(),
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, words)) = line.split_once(':') else {
                return Err(format!(
                    "line {}: expected `KEY: words` (name, target, speech, pronouns, pressure or engagement), found '{line}'",
                    i + 1
                ));
            };
            let words = words.split_whitespace().map(str::to_lowercase);
            match key.trim() {
                "name" => lex.name = words.collect::<Vec<_>>().join(" "),
                "target" => lex.target.extend(words),
                "speech" => lex.speech.extend(words),
                "pronouns" => lex.pronouns.extend(words),
                "pressure" => lex.pressure.extend(words),
                "engagement" => lex.engagement.extend(words),
                other => {
                    return Err(format!(
                        "line {}: unknown key '{other}' (known: name, target, speech, pronouns, pressure, engagement)",
                        i + 1
                    ))
                }
            }
        }
        if lex.target.is_empty() {
            return Err(
                "no `target:` words: the lexicon must say which words name the target".into(),
            );
        }
        if lex.name.is_empty() {
            lex.name = lex.target[0].clone();
        }
        Ok(lex)
    }
}

/// Target terms a model uses; none when absent from its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSettings {
    pub lexicon: Lexicon,
    /// Stems within this many words of a mention get a marked copy; 0: none.
    pub window: usize,
    /// Mark speakers' sides and quoted stems.
    pub speakers: bool,
    /// Cue terms: the lexicon's pressure and engagement words as classes,
    /// alone, in a sentence that mentions the target, and beside the sides
    /// of the sentence's speakers (`§other%pressure`: another side pressing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cues: bool,
}

impl TargetSettings {
    /// "target window 4, speakers marked (lexicon russia)".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.window > 0 {
            parts.push(format!("target window {}", self.window));
        }
        if self.speakers {
            parts.push("speakers marked".to_string());
        }
        if self.cues {
            parts.push("cues".to_string());
        }
        format!("{} (lexicon {})", parts.join(", "), self.lexicon.name)
    }
}

/// First character of a window term (`@stem`); `@` alone counts mentions.
pub const NEAR_MARK: char = '@';
/// First character of a quoted stem's term (`»stem`).
pub const QUOTE_MARK: char = '»';
/// First character of a speaker term (`§target`, `§other:accus`).
pub const SPEAKER_MARK: char = '§';

/// Which side a speaker is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Target,
    Other,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Target => "target",
            Side::Other => "other",
        }
    }
}

/// A target term of a sentence, by the position of the word it marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// The mention count `@`.
    Mention,
    /// `@stem` of the word at this position.
    Near(usize),
    /// `§side` and `§side:verb` of the verb at this position.
    Speaker(Side, usize),
    /// `»stem` of the word at this position.
    Quoted(usize),
    /// A cue term: its text ([`cue_term`]).
    Cue(&'static str),
}

/// The text of a cue term: the cue's class (`%pressure`, `%engage`), in a
/// sentence that mentions the target (`@%pressure`), or beside a speaker's
/// side (`§other%pressure`).
pub fn cue_term(kind: Kind, context: Option<CueContext>) -> &'static str {
    let pressure = kind & PRESSURE != 0;
    match (pressure, context) {
        (true, None) => "%pressure",
        (false, None) => "%engage",
        (true, Some(CueContext::Target)) => "@%pressure",
        (false, Some(CueContext::Target)) => "@%engage",
        (true, Some(CueContext::Side(Side::Target))) => "§target%pressure",
        (false, Some(CueContext::Side(Side::Target))) => "§target%engage",
        (true, Some(CueContext::Side(Side::Other))) => "§other%pressure",
        (false, Some(CueContext::Side(Side::Other))) => "§other%engage",
    }
}

/// Where a cue stands: in a sentence that mentions the target, or beside a
/// speaker of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueContext {
    Target,
    Side(Side),
}

/// What a word is to the lexicon: bits of [`TARGET`], [`SPEECH`], …
pub type Kind = u8;
pub const TARGET: Kind = 1;
pub const SPEECH: Kind = 2;
pub const PRONOUN: Kind = 4;
/// "according", which names the speaker after "to".
pub const ACCORDING: Kind = 8;
pub const TO: Kind = 16;
/// A cue word of pressure, or of engagement.
pub const PRESSURE: Kind = 32;
pub const ENGAGE: Kind = 64;

/// The longest speaker a verb looks for, in words.
const SPEAKER_WORDS: usize = 6;

/// A lexicon ready to match stems.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub window: usize,
    pub speakers: bool,
    pub cues: bool,
    target: FxHashSet<String>,
    pressure: FxHashSet<String>,
    engagement: FxHashSet<String>,
    speech: FxHashSet<String>,
    pronouns: FxHashSet<String>,
}

impl Matcher {
    pub fn new(settings: &TargetSettings) -> Matcher {
        let stemmer = Stemmer::create(Algorithm::English);
        let stems = |words: &[String]| -> FxHashSet<String> {
            words
                .iter()
                .map(|w| crate::analyze::stem_word(&stemmer, w))
                .collect()
        };
        Matcher {
            window: settings.window,
            speakers: settings.speakers,
            cues: settings.cues,
            target: stems(&settings.lexicon.target),
            pressure: stems(&settings.lexicon.pressure),
            engagement: stems(&settings.lexicon.engagement),
            speech: settings.lexicon.speech.iter().cloned().collect(),
            pronouns: settings.lexicon.pronouns.iter().cloned().collect(),
        }
    }

    /// What a word (lower case, as the analyzer gives it) and its stem are
    /// to the lexicon.
    pub fn kind(&self, word: &str, stem: &str) -> Kind {
        let mut kind = 0;
        if self.target.contains(stem)
            || (stem.contains('-') && stem.split('-').any(|p| self.target.contains(p)))
        {
            kind |= TARGET;
        }
        if word == "according" {
            kind |= ACCORDING;
        } else if self.speech.contains(word) {
            kind |= SPEECH;
        }
        if self.pronouns.contains(word) {
            kind |= PRONOUN;
        }
        if word == "to" {
            kind |= TO;
        }
        if self.pressure.contains(stem) {
            kind |= PRESSURE;
        } else if self.engagement.contains(stem) {
            kind |= ENGAGE;
        }
        kind
    }

    /// Call `f` with every target term of a sentence whose words have these
    /// kinds and marks, in a fixed order.
    pub fn terms(&self, kinds: &[Kind], marks: &[Marks], mut f: impl FnMut(Term)) {
        debug_assert_eq!(kinds.len(), marks.len());
        let n = kinds.len();
        if self.window > 0 {
            let mut last_mention: Option<usize> = None;
            let mut next_mention = kinds.iter().position(|k| k & TARGET != 0);
            for i in 0..n {
                if next_mention == Some(i) {
                    f(Term::Mention);
                    last_mention = Some(i);
                    next_mention = kinds[i + 1..]
                        .iter()
                        .position(|k| k & TARGET != 0)
                        .map(|p| i + 1 + p);
                    continue;
                }
                let near = last_mention.is_some_and(|m| i - m <= self.window)
                    || next_mention.is_some_and(|m| m - i <= self.window);
                if near {
                    f(Term::Near(i));
                }
            }
        }
        if self.speakers {
            for v in 0..n {
                if kinds[v] & (SPEECH | ACCORDING) == 0 {
                    continue;
                }
                if let Some(side) = speaker_side(kinds, marks, v) {
                    f(Term::Speaker(side, v));
                }
            }
            for (i, m) in marks.iter().enumerate() {
                if m.quoted {
                    f(Term::Quoted(i));
                }
            }
        }
        if self.cues && kinds.iter().any(|k| k & (PRESSURE | ENGAGE) != 0) {
            let mentions = kinds.iter().any(|k| k & TARGET != 0);
            let (mut target_speaks, mut other_speaks) = (false, false);
            for v in 0..n {
                if kinds[v] & (SPEECH | ACCORDING) != 0 {
                    match speaker_side(kinds, marks, v) {
                        Some(Side::Target) => target_speaks = true,
                        Some(Side::Other) => other_speaks = true,
                        None => {}
                    }
                }
            }
            for &k in kinds {
                if k & (PRESSURE | ENGAGE) == 0 {
                    continue;
                }
                f(Term::Cue(cue_term(k, None)));
                if mentions {
                    f(Term::Cue(cue_term(k, Some(CueContext::Target))));
                }
                if target_speaks {
                    f(Term::Cue(cue_term(k, Some(CueContext::Side(Side::Target)))));
                }
                if other_speaks {
                    f(Term::Cue(cue_term(k, Some(CueContext::Side(Side::Other)))));
                }
            }
        }
    }
}

/// The side of the speaker the verb at `v` names, if it names one.
fn speaker_side(kinds: &[Kind], marks: &[Marks], v: usize) -> Option<Side> {
    let n = kinds.len();
    // Up to SPEAKER_WORDS words from `from`, up to clause punctuation.
    let after = |from: usize| {
        let end = (from + 1..n.min(from + SPEAKER_WORDS))
            .find(|&j| marks[j].boundary)
            .unwrap_or(n.min(from + SPEAKER_WORDS));
        from.min(end)..end
    };
    let span = if kinds[v] & ACCORDING != 0 {
        // "according to X"; "according" alone names nobody.
        if v + 1 >= n || kinds[v + 1] & TO == 0 || marks[v + 1].boundary {
            return None;
        }
        after(v + 2)
    } else {
        // The words before the verb in its clause ("Lavrov said"), or when
        // there are none, the words after it ("…,” said Lavrov").
        let clause_start = (0..=v).rev().find(|&j| marks[j].boundary).unwrap_or(0);
        if clause_start < v {
            clause_start.max(v.saturating_sub(SPEAKER_WORDS))..v
        } else {
            after(v + 1)
        }
    };
    let words = &kinds[span];
    if words.is_empty() {
        None
    } else if words.iter().any(|k| k & TARGET != 0) {
        Some(Side::Target)
    } else if words.iter().all(|k| k & PRONOUN != 0) {
        None
    } else {
        Some(Side::Other)
    }
}

/// The hash of a marked term (`@stem`, `»stem`, `§side:stem`) from the hash
/// of its stem, without building it: the same as [`crate::analyze::phrase_hash`]
/// of the term's text.
pub fn marked_hash(mark: &str, stem_hash: u64) -> u64 {
    (stem_hash ^ term_hash(mark)).wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

/// The mark of a marked term's text and its stem (`"@sanction"` → `("@",
/// "sanction")`; `"§other:accus"` → `("§other:", "accus")`), or none for a
/// term that is not marked (`@` alone, `§target`, any word n-gram).
pub fn split_marked(term: &str) -> Option<(&str, &str)> {
    let mark_len = if let Some(rest) = term.strip_prefix(SPEAKER_MARK) {
        SPEAKER_MARK.len_utf8() + rest.find(':')? + 1
    } else if term.starts_with(NEAR_MARK) || term.starts_with(QUOTE_MARK) {
        term.chars().next()?.len_utf8()
    } else {
        return None;
    };
    let (mark, stem) = term.split_at(mark_len);
    (!stem.is_empty()).then_some((mark, stem))
}

/// The mark of a speaker verb's term (`§target:`).
pub fn speaker_mark(side: Side) -> &'static str {
    match side {
        Side::Target => "§target:",
        Side::Other => "§other:",
    }
}

/// The text of a speaker's flag term (`§target`).
pub fn speaker_flag(side: Side) -> &'static str {
    match side {
        Side::Target => "§target",
        Side::Other => "§other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Analyzer;

    fn settings(window: usize, speakers: bool) -> TargetSettings {
        TargetSettings {
            lexicon: Lexicon::russia(),
            window,
            speakers,
            cues: false,
        }
    }

    /// The target terms of a sentence, as text.
    fn terms(text: &str, window: usize, speakers: bool) -> Vec<String> {
        let matcher = Matcher::new(&settings(window, speakers));
        let t = Analyzer::new().analyze_tokens(text);
        let kinds: Vec<Kind> = t
            .words
            .iter()
            .zip(&t.stems)
            .map(|(w, s)| matcher.kind(w, s))
            .collect();
        let mut out = Vec::new();
        matcher.terms(&kinds, &t.marks, |term| {
            out.push(match term {
                Term::Mention => "@".to_string(),
                Term::Near(i) => format!("@{}", t.stems[i]),
                Term::Speaker(side, v) => format!("{}{}", speaker_mark(side), t.stems[v]),
                Term::Quoted(i) => format!("»{}", t.stems[i]),
                Term::Cue(text) => text.to_string(),
            })
        });
        out
    }

    #[test]
    fn the_built_in_lexicon_parses_and_names_russia() {
        let lex = Lexicon::russia();
        assert_eq!(lex.name, "russia");
        for w in ["russia", "moscow", "kremlin", "putin", "lavrov"] {
            assert!(lex.target.contains(&w.to_string()), "{w}");
        }
        assert!(lex.speech.contains(&"said".to_string()));
    }

    #[test]
    fn a_bad_lexicon_line_is_named() {
        let e = Lexicon::parse("name: china\ntarget: china beijing\nspeach: said").unwrap_err();
        assert!(e.contains("line 3") && e.contains("speach"), "{e}");
        let e = Lexicon::parse("name: x\nno colon here").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert!(Lexicon::parse("speech: said")
            .unwrap_err()
            .contains("target"));
        let lex = Lexicon::parse("# NATO\ntarget: NATO alliance\ntarget: Stoltenberg").unwrap();
        assert_eq!(lex.target, ["nato", "alliance", "stoltenberg"]);
        assert_eq!(lex.name, "nato");
    }

    #[test]
    fn words_near_a_mention_are_marked() {
        assert_eq!(
            terms("New sanctions on Russia took effect on Friday", 2, false),
            ["@sanction", "@on", "@", "@took", "@effect"]
        );
        // Russian-backed: a part of a hyphenated word names the target.
        assert_eq!(
            terms("the Russian-backed rebels", 1, false),
            ["@the", "@", "@rebel"]
        );
        assert!(terms("The ceasefire collapsed on Monday", 3, false).is_empty());
    }

    #[test]
    fn speakers_are_found_before_after_and_after_according_to() {
        let speakers = |text: &str| -> Vec<String> {
            terms(text, 0, true)
                .into_iter()
                .filter(|t| t.starts_with(SPEAKER_MARK))
                .collect()
        };
        assert_eq!(
            speakers("The Russian Foreign Ministry said the sanctions were illegal."),
            ["§target:said"]
        );
        assert_eq!(
            speakers("Kerry said Russia had violated the truce."),
            ["§other:said"]
        );
        assert_eq!(
            speakers("“We will respond,” said Lavrov."),
            ["§target:said"]
        );
        assert_eq!(
            speakers("The strike was deliberate, according to British officials."),
            ["§other:accord"]
        );
        assert_eq!(
            speakers("Talks will resume, according to the Kremlin."),
            ["§target:accord"]
        );
        assert_eq!(
            speakers("Washington accused Moscow of abetting the strikes."),
            ["§other:accus"]
        );
        // A pronoun names no side.
        assert!(speakers("He said the talks were useful.").is_empty());
    }

    #[test]
    fn quoted_words_are_marked() {
        let quoted: Vec<String> = terms("Lavrov said “talks must go on” today.", 0, true)
            .into_iter()
            .filter(|t| t.starts_with(QUOTE_MARK))
            .collect();
        assert_eq!(quoted, ["»talk", "»must", "»go", "»on"]);
        let straight: Vec<String> = terms("He said \"no deal\" and left.", 0, true)
            .into_iter()
            .filter(|t| t.starts_with(QUOTE_MARK))
            .collect();
        assert_eq!(straight, ["»no", "»deal"]);
    }

    #[test]
    fn marked_terms_split_into_mark_and_stem() {
        assert_eq!(split_marked("@sanction"), Some(("@", "sanction")));
        assert_eq!(split_marked("»talk"), Some(("»", "talk")));
        assert_eq!(split_marked("§other:accus"), Some(("§other:", "accus")));
        assert_eq!(split_marked("@"), None);
        assert_eq!(split_marked("§target"), None);
        assert_eq!(split_marked("sanction"), None);
    }
}
