//! Sentence segmentation for news prose: text in, byte ranges of sentences out.
//!
//! Every sentence is a trimmed slice of the input (`&text[range]`), so nothing
//! is rewritten and callers can always point back into the original article.
//! Paragraph breaks always end a sentence; a single line break ends one too
//! unless the text is hard-wrapped (the line has no final punctuation and the
//! next one starts in lower case). Inside a paragraph a sentence ends at `.`,
//! `?`, `!` or an ellipsis, plus any closing quotes or brackets, when the next
//! word can start a sentence, except after abbreviations and initials.

use std::ops::Range;

/// Abbreviations that precede a name or number and so never end a sentence
/// (compared lower-cased, without the period).
const TITLE_ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "sen", "sens", "rep", "reps", "gen", "lt", "col", "capt", "cpt",
    "sgt", "maj", "adm", "cmdr", "gov", "pres", "prof", "rev", "hon", "st", "ft", "mt", "jan",
    "feb", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "vs", "cf", "approx", "dept", "est",
    "fig",
];

/// Abbreviations that may end a sentence ("...based in the U.S. The talks...")
/// but usually do not ("the U.S. Secretary of State"). After these a sentence
/// ends only if the next word is a common sentence opener.
const AMBIGUOUS_ABBREVIATIONS: &[&str] = &[
    "inc", "corp", "co", "ltd", "jr", "sr", "etc", "bros", "no", "nos",
];

/// Words that typically open a sentence; used to decide after an ambiguous
/// abbreviation such as "U.S." or "a.m.".
const SENTENCE_OPENERS: &[&str] = &[
    "a",
    "after",
    "an",
    "and",
    "as",
    "at",
    "but",
    "during",
    "for",
    "he",
    "her",
    "his",
    "however",
    "i",
    "if",
    "in",
    "it",
    "its",
    "meanwhile",
    "more",
    "many",
    "most",
    "on",
    "one",
    "our",
    "she",
    "since",
    "so",
    "some",
    "that",
    "the",
    "their",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "we",
    "what",
    "when",
    "while",
    "why",
    "yet",
    "you",
];

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '…')
}

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | '’' | '”' | ')' | ']' | '»')
}

fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '‘' | '“' | '(' | '[' | '«')
}

/// Split `text` into sentences, returned as trimmed, non-empty byte ranges in
/// order of appearance.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for block in blocks(text) {
        split_block(text, block, &mut out);
    }
    out
}

/// Lines grouped into blocks that must not share a sentence with their
/// neighbours: paragraphs, headlines, and lines of hard-wrapped text joined.
fn blocks(text: &str) -> Vec<Range<usize>> {
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    // Bytes, not characters: ASCII bytes never occur inside a multi-byte one.
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b == b'\n' || b == b'\r' {
            lines.push(start..i);
            start = i + 1;
        }
    }
    lines.push(start..text.len());

    let mut blocks: Vec<Range<usize>> = Vec::new();
    let mut previous_blank = true;
    for line in lines {
        let trimmed = trim(text, line);
        if trimmed.is_empty() {
            previous_blank = true;
            continue;
        }
        let joins = !previous_blank
            && blocks.last().is_some_and(|last| {
                let last_text = &text[last.clone()];
                let ends_open =
                    !last_text.ends_with(|c: char| is_terminal(c) || is_closing(c) || c == ':');
                let next_lower = text[trimmed.clone()].starts_with(|c: char| c.is_lowercase());
                ends_open && next_lower
            });
        match blocks.last_mut() {
            Some(last) if joins => last.end = trimmed.end,
            _ => blocks.push(trimmed),
        }
        previous_blank = false;
    }
    blocks
}

fn trim(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.end - (slice.len() - slice.trim_end().len());
    if start >= end {
        start..start
    } else {
        start..end
    }
}

fn split_block(text: &str, block: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[block.clone()];
    // Positions are byte offsets into `s`; no per-character buffer, so a
    // one-paragraph article of any size needs no memory beyond its text.
    let at = |p: usize| s[p..].chars().next();
    let skip = |mut p: usize, pred: fn(char) -> bool| {
        while let Some(c) = at(p).filter(|&c| pred(c)) {
            p += c.len_utf8();
        }
        p
    };
    let mut sentence_start = 0;
    let mut i = 0;
    // Jump to the next byte that can start a terminal mark: '.', '?' and '!'
    // are ASCII, which never occurs inside a multi-byte character, and '…'
    // (E2 80 A6) starts with 0xE2.
    while let Some(skipped) = s.as_bytes()[i..]
        .iter()
        .position(|&b| matches!(b, b'.' | b'?' | b'!' | 0xE2))
    {
        i += skipped;
        let Some(c) = at(i) else { break };
        if !is_terminal(c) {
            i += c.len_utf8();
            continue;
        }
        // The run of terminal marks ("?!", "...") and closing quotes after it.
        let run_start = i;
        let j = skip(i, is_terminal);
        let run = &s[run_start..j];
        let k = skip(j, is_closing);
        let closed = k > j;
        let Some(after) = at(k) else {
            break; // the block's end closes the sentence anyway
        };
        if !after.is_whitespace() {
            i = k.max(j);
            continue; // "3.5", "U.S.-Russia", "Yahoo!News"
        }
        let n = skip(k, char::is_whitespace);
        let next_word = word_at(s, n);
        if ends_sentence(s, run_start, run, closed, next_word) {
            push(out, block.start + sentence_start, block.start + k, text);
            sentence_start = n;
        }
        i = n;
    }
    push(out, block.start + sentence_start, block.end, text);
}

fn push(out: &mut Vec<Range<usize>>, start: usize, end: usize, text: &str) {
    let range = trim(text, start..end);
    if !range.is_empty() {
        out.push(range);
    }
}

/// The word starting at byte `n`, after any opening quotes.
fn word_at(s: &str, n: usize) -> &str {
    let rest = s[n..].trim_start_matches(is_opening);
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The whole whitespace-delimited word that ends just before byte `end`.
fn word_before(s: &str, end: usize) -> &str {
    let start = s[..end]
        .rfind(|c: char| c.is_whitespace() || is_opening(c) || c == '—' || c == '-')
        .map_or(0, |p| p + s[p..].chars().next().map_or(1, char::len_utf8));
    &s[start..end]
}

fn ends_sentence(s: &str, run_start: usize, run: &str, closed: bool, next_word: &str) -> bool {
    let Some(first) = next_word.chars().next() else {
        // Next is punctuation such as a dash or bracket: a boundary only
        // after ? or ! or a quote closing the sentence.
        return closed || run != ".";
    };
    if first.is_lowercase() {
        return false; // "...,” he said", "right now … is getting"
    }
    if run != "." || closed {
        return true;
    }
    let word = word_before(s, run_start);
    let bare = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    let lower = bare.to_lowercase();
    let mut letters = bare.chars();
    let single_letter =
        matches!((letters.next(), letters.next()), (Some(c), None) if c.is_uppercase());
    if single_letter {
        return false; // an initial: "John F. Kennedy"
    }
    if TITLE_ABBREVIATIONS.contains(&lower.as_str()) {
        return false;
    }
    let dotted = bare.contains('.'); // "U.S", "a.m", "e.g"
    if dotted || AMBIGUOUS_ABBREVIATIONS.contains(&lower.as_str()) {
        if (lower == "no" || lower == "nos") && first.is_ascii_digit() {
            return false;
        }
        return SENTENCE_OPENERS.contains(&next_word.to_lowercase().as_str());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn quote_then_attribution_then_new_quote() {
        // Seed 000: a period before a closing quote, then a new quoted sentence.
        let text = "“Of course we’re having bilateral conversations with [Russian Foreign Minister Sergei] Lavrov, with Russia rather,” State Department spokesman Mark Toner told reporters Tuesday. “We did start again reaching out to Russia because, let’s be honest, they’re an integral stakeholder.”";
        assert_eq!(
            split(text),
            vec![
                "“Of course we’re having bilateral conversations with [Russian Foreign Minister Sergei] Lavrov, with Russia rather,” State Department spokesman Mark Toner told reporters Tuesday.",
                "“We did start again reaching out to Russia because, let’s be honest, they’re an integral stakeholder.”",
            ]
        );
    }

    #[test]
    fn abbreviations_us_and_sen_do_not_split() {
        // Seeds 001 and 004.
        let text = "Secretary of State John Kerry will try to reboot a ceasefire agreement in Syria with Russia during a multilateral meeting on Monday, three weeks after an airstrike on a humanitarian aid convoy brought an end to the original bilateral pact between the U.S. and Russia.";
        assert_eq!(split(text), vec![text]);
        let text = "Republicans, such as Sen. John McCain of Arizona, continue to call for military action against the Syrian government but U.S. officials have warned that regime change in Damascus could empower Sunni extremist groups and lead to even more chaos in the country.";
        assert_eq!(split(text), vec![text]);
    }

    #[test]
    fn us_at_sentence_end_splits_before_an_opener() {
        let text =
            "The convoy was hit hours after the talks in the U.S. The next day Moscow denied it.";
        assert_eq!(
            split(text),
            vec![
                "The convoy was hit hours after the talks in the U.S.",
                "The next day Moscow denied it."
            ]
        );
    }

    #[test]
    fn ellipsis_inside_a_quote_does_not_split() {
        // Seeds 001 and 002: "…" followed by a lower-case word.
        let text = "“The main focus right now … is getting a cessation of hostilities in place, particularly around Aleppo, and to get humanitarian aid delivered, which has not happened,” State Department spokesman John Kirby told reporters on Wednesday.";
        assert_eq!(split(text), vec![text]);
        let text = "“That’s something that Russia has lost… the credibility to be able to try to agree to,” he said.";
        assert_eq!(split(text), vec![text]);
        let text = "He paused... Then he left.";
        assert_eq!(split(text), vec!["He paused...", "Then he left."]);
    }

    #[test]
    fn question_mark_then_capital_splits_but_not_before_attribution() {
        // Seed 001.
        let text = "“Am I going to rule out the potential for the two of them to have a conversation on the side of this meeting? Absolutely not; of course that would happen,” Kirby said.";
        assert_eq!(
            split(text),
            vec![
                "“Am I going to rule out the potential for the two of them to have a conversation on the side of this meeting?",
                "Absolutely not; of course that would happen,” Kirby said.",
            ]
        );
        let text = "“Is it over?” he asked. “No!” she said.";
        assert_eq!(
            split(text),
            vec!["“Is it over?” he asked.", "“No!” she said."]
        );
    }

    #[test]
    fn em_dash_does_not_split() {
        // Seed 001.
        let text = "“But that doesn’t mean that U.S.-Russia, writ large, bilateral engagement on the cessation of hostilities in Syria — that that suspension is lifted.”";
        assert_eq!(split(text), vec![text]);
    }

    #[test]
    fn decimals_numbers_initials_and_times() {
        let text = "Growth slowed to 1.5 percent in Jan. 2016, said John F. Kennedy Jr. of the St. Louis office. The meeting starts at 10 a.m. Tuesday in Geneva.";
        assert_eq!(
            split(text),
            vec![
                "Growth slowed to 1.5 percent in Jan. 2016, said John F. Kennedy Jr. of the St. Louis office.",
                "The meeting starts at 10 a.m. Tuesday in Geneva."
            ]
        );
        let text = "Talks ended at 5 p.m. The envoys left.";
        assert_eq!(
            split(text),
            vec!["Talks ended at 5 p.m.", "The envoys left."]
        );
    }

    #[test]
    fn headlines_and_paragraphs() {
        // Seed 001: a headline with no final period, then a paragraph.
        let text = "Kerry tries again with Russia, but with others in the room\n\nSecretary of State John Kerry will try to reboot a ceasefire agreement in Syria.\nPressed further, Kirby allowed it.";
        assert_eq!(
            split(text),
            vec![
                "Kerry tries again with Russia, but with others in the room",
                "Secretary of State John Kerry will try to reboot a ceasefire agreement in Syria.",
                "Pressed further, Kirby allowed it."
            ]
        );
    }

    #[test]
    fn hard_wrapped_lines_are_joined() {
        let text = "The talks in Lausanne will include\nforeign ministers from Turkey and Iran.\nThey start Saturday.";
        assert_eq!(
            split(text),
            vec![
                "The talks in Lausanne will include\nforeign ministers from Turkey and Iran.",
                "They start Saturday."
            ]
        );
    }

    #[test]
    fn parenthesis_and_colon() {
        // Seed 003 and 002.
        let text = "“Russia and the (Bashar al-Assad) regime must do their part.”\nReuters has the details:";
        assert_eq!(
            split(text),
            vec![
                "“Russia and the (Bashar al-Assad) regime must do their part.”",
                "Reuters has the details:"
            ]
        );
    }

    #[test]
    fn crlf_and_empty() {
        assert!(split("").is_empty());
        assert!(split("  \n\r\n ").is_empty());
        assert_eq!(split("One.\r\nTwo."), vec!["One.", "Two."]);
    }

    #[test]
    fn ranges_are_slices_that_lose_no_visible_character() {
        let text = "A “quote.” Then: more… and 3.5 U.S. Sen. X. Y? Z!\n\nNext para";
        let kept: String = sentences(text).into_iter().map(|r| &text[r]).collect();
        let visible = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert_eq!(visible(&kept), visible(text));
    }
}
