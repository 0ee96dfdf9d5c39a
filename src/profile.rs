//! Sentence classification of whole articles, and per-article profiles:
//! counts, shares and mean probabilities per label, net stance (share
//! hawkish − share conciliatory) and the sentences that drive it.

use crate::corpus::Article;
use crate::model::{Model, Scorer};
use crate::segment;
use serde::Serialize;
use std::collections::BTreeMap;

/// One classified sentence: where it is in the article body, and per head
/// its label and probabilities (in the head's class order).
#[derive(Debug, Clone, Serialize)]
pub struct SentenceResult {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub labels: Vec<String>,
    pub probabilities: Vec<Vec<f64>>,
}

#[derive(Debug, Clone)]
pub struct Classified {
    pub article: Article,
    pub sentences: Vec<SentenceResult>,
}

/// Split an article into sentences and score each with every head.
pub fn classify(scorer: &mut Scorer<'_>, model: &Model, article: Article) -> Classified {
    let sentences = segment::sentences(&article.body)
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let text = &article.body[range.clone()];
            let predictions = scorer.score(text);
            SentenceResult {
                index,
                start: range.start,
                end: range.end,
                text: text.to_string(),
                labels: predictions
                    .iter()
                    .zip(model.heads())
                    .map(|(p, h)| h.classes[p.best()].clone())
                    .collect(),
                probabilities: predictions.into_iter().map(|p| p.probabilities).collect(),
            }
        })
        .collect();
    Classified { article, sentences }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Highlight {
    pub sentence_index: usize,
    pub sentence: String,
    pub probability: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub article: String,
    pub outlet: Option<String>,
    pub title: Option<String>,
    pub date: Option<String>,
    pub sentences: usize,
    /// Lines removed as page furniture (navigation, comments, footers, …).
    pub dropped: usize,
    pub counts: BTreeMap<String, usize>,
    pub shares: BTreeMap<String, f64>,
    pub mean_probability: BTreeMap<String, f64>,
    /// Share hawkish − share conciliatory; absent if the model lacks either class.
    pub net_stance: Option<f64>,
    pub most_hawkish: Vec<Highlight>,
    pub most_conciliatory: Vec<Highlight>,
    /// Tone, when the model has a tone head: counts and shares per tone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tone_counts: Option<BTreeMap<String, usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tone_shares: Option<BTreeMap<String, f64>>,
    /// Share positive − share negative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_tone: Option<f64>,
}

/// Counts, shares and mean probabilities of one head's labels.
struct Summary {
    counts: BTreeMap<String, usize>,
    shares: BTreeMap<String, f64>,
    mean_probability: BTreeMap<String, f64>,
}

fn summarize(c: &Classified, classes: &[String], h: usize) -> Summary {
    let n = c.sentences.len();
    let mut counts: BTreeMap<String, usize> = classes.iter().map(|l| (l.clone(), 0)).collect();
    let mut prob_sums = vec![0.0; classes.len()];
    for s in &c.sentences {
        *counts.entry(s.labels[h].clone()).or_default() += 1;
        for (sum, p) in prob_sums.iter_mut().zip(&s.probabilities[h]) {
            *sum += p;
        }
    }
    let per_sentence = |x: f64| if n == 0 { 0.0 } else { x / n as f64 };
    Summary {
        shares: counts
            .iter()
            .map(|(l, &k)| (l.clone(), per_sentence(k as f64)))
            .collect(),
        mean_probability: classes
            .iter()
            .zip(&prob_sums)
            .map(|(l, s)| (l.clone(), per_sentence(*s)))
            .collect(),
        counts,
    }
}

/// `shares[a] − shares[b]`, when both labels exist.
fn difference(shares: &BTreeMap<String, f64>, a: &str, b: &str) -> Option<f64> {
    Some(shares.get(a)? - shares.get(b)?)
}

const HIGHLIGHTS: usize = 3;

/// The heads of a model that a profile reads: stance, and tone when the
/// model has a tone head.
#[derive(Debug, Clone)]
pub struct ProfileHeads {
    pub stance: usize,
    /// The stance head's classes.
    pub classes: Vec<String>,
    pub tone: Option<(usize, Vec<String>)>,
}

impl ProfileHeads {
    /// None when the model has no stance head.
    pub fn of(model: &Model) -> Option<ProfileHeads> {
        let (stance, head) = model.head(crate::model::STANCE)?;
        Some(ProfileHeads {
            stance,
            classes: head.classes.clone(),
            tone: model.head("tone").map(|(t, h)| (t, h.classes.clone())),
        })
    }

    /// The tone head's classes (none without a tone head).
    pub fn tone_classes(&self) -> &[String] {
        self.tone.as_ref().map_or(&[], |(_, c)| c.as_slice())
    }

    pub fn profile(&self, c: &Classified) -> Profile {
        let tone = self.tone.as_ref().map(|(t, c)| (*t, c.as_slice()));
        profile(c, &self.classes, self.stance, tone)
    }
}

/// The profile of a classified article: stance from head `h` with
/// `classes`, tone from head `tone` (index and classes) if the model has one.
pub fn profile(
    c: &Classified,
    classes: &[String],
    h: usize,
    tone: Option<(usize, &[String])>,
) -> Profile {
    let n = c.sentences.len();
    let stance = summarize(c, classes, h);
    let tone = tone.map(|(t, tone_classes)| summarize(c, tone_classes, t));
    let top = |label: &str| -> Vec<Highlight> {
        let Some(k) = classes.iter().position(|c| c == label) else {
            return Vec::new();
        };
        let mut ranked: Vec<&crate::profile::SentenceResult> = c.sentences.iter().collect();
        ranked.sort_by(|a, b| {
            b.probabilities[h][k]
                .total_cmp(&a.probabilities[h][k])
                .then(a.index.cmp(&b.index))
        });
        ranked
            .into_iter()
            .take(HIGHLIGHTS)
            .map(|s| Highlight {
                sentence_index: s.index,
                sentence: s.text.clone(),
                probability: s.probabilities[h][k],
            })
            .collect()
    };
    Profile {
        article: c.article.id.clone(),
        outlet: c.article.outlet.clone(),
        title: c.article.title.clone(),
        date: c.article.date.clone(),
        sentences: n,
        dropped: c.article.dropped.len(),
        net_stance: difference(&stance.shares, "hawkish", "conciliatory"),
        counts: stance.counts,
        shares: stance.shares,
        mean_probability: stance.mean_probability,
        most_hawkish: top("hawkish"),
        most_conciliatory: top("conciliatory"),
        net_tone: tone
            .as_ref()
            .and_then(|t| difference(&t.shares, "positive", "negative")),
        tone_counts: tone.as_ref().map(|t| t.counts.clone()),
        tone_shares: tone.map(|t| t.shares),
    }
}
