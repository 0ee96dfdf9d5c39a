//! Sentence classification of whole articles, and per-article profiles:
//! counts, shares and mean probabilities per label, net stance (share
//! hawkish − share conciliatory) and the sentences that drive it.

use crate::corpus::Article;
use crate::model::{HeadFile, Model, Scorer};
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
    /// The share of each stance label among the sentences, estimated by
    /// `shares_method`.
    pub shares: BTreeMap<String, f64>,
    pub shares_method: SharesMethod,
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

fn summarize(
    c: &Classified,
    classes: &[String],
    h: usize,
    shares: Option<&ShareEstimator>,
) -> Summary {
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
    let estimated = shares.map(|e| {
        let probabilities: Vec<&[f64]> = c
            .sentences
            .iter()
            .map(|s| s.probabilities[h].as_slice())
            .collect();
        e.estimate(&probabilities)
    });
    Summary {
        shares: match estimated {
            Some(v) => classes.iter().cloned().zip(v).collect(),
            None => counts
                .iter()
                .map(|(l, &k)| (l.clone(), per_sentence(k as f64)))
                .collect(),
        },
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
/// model has a tone head; and how stance shares are estimated.
#[derive(Debug, Clone)]
pub struct ProfileHeads {
    pub stance: usize,
    /// The stance head's classes.
    pub classes: Vec<String>,
    pub tone: Option<(usize, Vec<String>)>,
    pub shares: ShareEstimator,
}

impl ProfileHeads {
    /// None when the model has no stance head. Shares are counted.
    pub fn of(model: &Model) -> Option<ProfileHeads> {
        let (stance, head) = model.head(crate::model::STANCE)?;
        Some(ProfileHeads {
            stance,
            classes: head.classes.clone(),
            tone: model.head("tone").map(|(t, h)| (t, h.classes.clone())),
            shares: ShareEstimator::new(SharesMethod::Count, head).ok()?,
        })
    }

    /// Estimate stance shares with `method` instead (an error when the model
    /// lacks what the method needs).
    pub fn with_shares(mut self, model: &Model, method: SharesMethod) -> Result<Self, String> {
        self.shares = ShareEstimator::new(method, &model.heads()[self.stance])?;
        Ok(self)
    }

    /// The tone head's classes (none without a tone head).
    pub fn tone_classes(&self) -> &[String] {
        self.tone.as_ref().map_or(&[], |(_, c)| c.as_slice())
    }

    pub fn profile(&self, c: &Classified) -> Profile {
        let tone = self.tone.as_ref().map(|(t, c)| (*t, c.as_slice()));
        let mut p = profile(c, &self.classes, self.stance, tone, Some(&self.shares));
        p.shares_method = self.shares.method;
        p
    }
}

/// The profile of a classified article: stance from head `h` with
/// `classes` (shares estimated by `shares`, counted when none), tone from
/// head `tone` (index and classes) if the model has one.
pub fn profile(
    c: &Classified,
    classes: &[String],
    h: usize,
    tone: Option<(usize, &[String])>,
    shares: Option<&ShareEstimator>,
) -> Profile {
    let n = c.sentences.len();
    let stance = summarize(c, classes, h, shares);
    let tone = tone.map(|(t, tone_classes)| summarize(c, tone_classes, t, None));
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
        shares_method: SharesMethod::Count,
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

/// How the share of each label among a set of sentences is estimated.
///
/// Counting each sentence's most probable label is biased whenever the
/// sentences' label mix differs from the training mix: a classifier leans
/// toward the classes it saw most, and its errors do not cancel. The other
/// methods correct for this in different ways (see README, "How good is
/// it?", for how each does on real articles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SharesMethod {
    /// The share of sentences whose most probable label it is.
    Count,
    /// The mean of the sentences' probabilities of the label.
    #[default]
    Mean,
    /// Adjusted classify-and-count: the counted shares corrected by the
    /// model's cross-validated confusion matrix (how often each true label is
    /// predicted as each label), solved for the true shares and clipped to
    /// [0, 1].
    Adjusted,
    /// Expectation-maximization of the label priors on the sentences
    /// themselves (Saerens, Latinne & Decaestecker 2002): the probabilities
    /// are re-weighted from the training mix to the estimated mix until it
    /// stops changing; the shares are the re-weighted probabilities' mean.
    Em,
}

impl SharesMethod {
    pub fn name(self) -> &'static str {
        match self {
            SharesMethod::Count => "count",
            SharesMethod::Mean => "mean",
            SharesMethod::Adjusted => "adjusted",
            SharesMethod::Em => "em",
        }
    }

    /// How the method estimates, in a few words, for output headers.
    pub fn describe(self) -> &'static str {
        match self {
            SharesMethod::Count => "share of sentences with each label",
            SharesMethod::Mean => "mean probability of each label",
            SharesMethod::Adjusted => "counts adjusted by the cross-validated confusion matrix",
            SharesMethod::Em => "EM re-estimation of the label priors",
        }
    }
}

/// Estimates label shares of a head by one [`SharesMethod`], with what the
/// method needs of the model.
#[derive(Debug, Clone)]
pub struct ShareEstimator {
    pub method: SharesMethod,
    /// The training mix the probabilities reflect (rows counted as often as
    /// class weighting repeated them), for EM.
    train_priors: Vec<f64>,
    /// P(predicted j | true i), rows true, from cross-validation, for
    /// adjusted counts.
    confusion: Option<Vec<Vec<f64>>>,
}

/// EM stops when no prior moves by more than this, or after MAX_EM_STEPS.
const EM_TOLERANCE: f64 = 1e-9;
const MAX_EM_STEPS: usize = 1000;

impl ShareEstimator {
    /// An error (saying what to do) when the head lacks what the method needs.
    pub fn new(method: SharesMethod, head: &HeadFile) -> Result<ShareEstimator, String> {
        let k = head.classes.len();
        let weights: Vec<f64> = head
            .classes
            .iter()
            .map(|c| {
                let n = head.label_counts.get(c).copied().unwrap_or(0) as f64;
                let repeats = head
                    .hyperparameters
                    .class_repeats
                    .get(c)
                    .copied()
                    .unwrap_or(1);
                n * repeats as f64
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let train_priors = match total > 0.0 {
            true => weights.iter().map(|w| w / total).collect(),
            false => vec![1.0 / k as f64; k],
        };
        let confusion = head.cross_validation.as_ref().and_then(|cv| {
            let m = &cv.pooled.confusion;
            (m.labels == head.classes).then(|| {
                m.matrix
                    .iter()
                    .map(|row| {
                        let n: usize = row.iter().sum();
                        row.iter()
                            .map(|&x| if n == 0 { 0.0 } else { x as f64 / n as f64 })
                            .collect()
                    })
                    .collect()
            })
        });
        if method == SharesMethod::Adjusted && confusion.is_none() {
            return Err(format!(
                "--shares adjusted needs the model's cross-validated confusion matrix, and head '{}' has none (it was trained with --no-cv); use --shares count, mean or em, or retrain with cross-validation",
                head.task
            ));
        }
        Ok(ShareEstimator {
            method,
            train_priors,
            confusion,
        })
    }

    /// The estimated share of each class among sentences with these
    /// probabilities (in the head's class order); all zero for none.
    pub fn estimate(&self, probabilities: &[&[f64]]) -> Vec<f64> {
        let k = self.train_priors.len();
        let n = probabilities.len();
        if n == 0 {
            return vec![0.0; k];
        }
        let counted = || {
            let mut shares = vec![0.0; k];
            for p in probabilities {
                shares[crate::model::best(p)] += 1.0 / n as f64;
            }
            shares
        };
        let mean = |weights: &[f64]| {
            let mut shares = vec![0.0; k];
            for p in probabilities {
                let norm: f64 = p.iter().zip(weights).map(|(p, w)| p * w).sum();
                for (s, (p, w)) in shares.iter_mut().zip(p.iter().zip(weights)) {
                    *s += p * w / norm / n as f64;
                }
            }
            shares
        };
        match self.method {
            SharesMethod::Count => counted(),
            SharesMethod::Mean => {
                let mut sums = vec![0.0; k];
                for p in probabilities {
                    for (s, p) in sums.iter_mut().zip(p.iter()) {
                        *s += p;
                    }
                }
                sums.iter().map(|s| s / n as f64).collect()
            }
            SharesMethod::Adjusted => match &self.confusion {
                Some(m) => adjust(m, &counted()).unwrap_or_else(counted),
                None => counted(),
            },
            SharesMethod::Em => {
                let mut priors = self.train_priors.clone();
                for _ in 0..MAX_EM_STEPS {
                    let weights: Vec<f64> = priors
                        .iter()
                        .zip(&self.train_priors)
                        .map(|(p, t)| if *t > 0.0 { p / t } else { 0.0 })
                        .collect();
                    let next = mean(&weights);
                    let moved = next
                        .iter()
                        .zip(&priors)
                        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                    priors = next;
                    if moved < EM_TOLERANCE {
                        break;
                    }
                }
                priors
            }
        }
    }
}

/// Solve `observed = Mᵀ · true` for the true shares (M: rows true, P(pred |
/// true)), clip negatives to 0 and rescale to sum 1; none when M is singular
/// or nothing is left.
fn adjust(m: &[Vec<f64>], observed: &[f64]) -> Option<Vec<f64>> {
    let k = observed.len();
    // Gaussian elimination with partial pivoting on [Mᵀ | observed].
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            let mut row: Vec<f64> = (0..k).map(|i| m[i][j]).collect();
            row.push(observed[j]);
            row
        })
        .collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    let solved: Vec<f64> = (0..k).map(|i| (a[i][k] / a[i][i]).max(0.0)).collect();
    let total: f64 = solved.iter().sum();
    (total > 0.0).then(|| solved.iter().map(|x| x / total).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimator(
        method: SharesMethod,
        train: [usize; 3],
        confusion: Option<[[usize; 3]; 3]>,
    ) -> ShareEstimator {
        let classes: Vec<String> = ["conciliatory", "hawkish", "neutral"]
            .map(String::from)
            .to_vec();
        let head = HeadFile {
            task: "stance".into(),
            classes: classes.clone(),
            intercepts: vec![0.0; 3],
            coefficients: vec![vec![]; 3],
            hyperparameters: crate::model::Hyperparameters {
                alpha: 1.0,
                max_iterations: 1,
                gradient_tolerance: 1.0,
                class_weight: Default::default(),
                class_repeats: Default::default(),
            },
            convergence: crate::model::Convergence {
                gradient_max: 0.0,
                converged: true,
                iterations_allowed: 1,
            },
            label_counts: classes.iter().cloned().zip(train).collect(),
            cross_validation: confusion.map(|m| crate::model::CvReport {
                scheme: String::new(),
                folds: 5,
                macro_f1_mean: 0.0,
                macro_f1_std: 0.0,
                accuracy_mean: 0.0,
                accuracy_std: 0.0,
                pooled: {
                    let (mut truth, mut predicted) = (Vec::new(), Vec::new());
                    for (t, row) in m.iter().enumerate() {
                        for (p, &n) in row.iter().enumerate() {
                            truth.extend(std::iter::repeat_n(t, n));
                            predicted.extend(std::iter::repeat_n(p, n));
                        }
                    }
                    crate::eval::Metrics::compute(&classes, &truth, &predicted)
                },
                grid: Vec::new(),
            }),
        };
        ShareEstimator::new(method, &head).unwrap()
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < tol)
    }

    #[test]
    fn count_and_mean_by_hand() {
        let p: Vec<&[f64]> = vec![
            &[0.6, 0.3, 0.1],
            &[0.2, 0.5, 0.3],
            &[0.1, 0.2, 0.7],
            &[0.5, 0.4, 0.1],
        ];
        let count = estimator(SharesMethod::Count, [1, 1, 1], None).estimate(&p);
        assert!(close(&count, &[0.5, 0.25, 0.25], 1e-12));
        let mean = estimator(SharesMethod::Mean, [1, 1, 1], None).estimate(&p);
        assert!(close(&mean, &[0.35, 0.35, 0.3], 1e-12));
        assert_eq!(
            estimator(SharesMethod::Em, [1, 1, 1], None).estimate(&[]),
            vec![0.0; 3]
        );
    }

    #[test]
    fn adjusted_counts_undo_a_known_confusion() {
        // A classifier that calls 40% of neutral sentences hawkish: 100
        // sentences, truly 20 / 30 / 50, are counted 20 / 30 + 20 / 30.
        let m = [[10, 0, 0], [0, 10, 0], [0, 4, 6]];
        let e = estimator(SharesMethod::Adjusted, [10, 10, 10], Some(m));
        let mut p: Vec<&[f64]> = Vec::new();
        p.extend(std::iter::repeat_n(&[0.8, 0.1, 0.1][..], 20));
        p.extend(std::iter::repeat_n(&[0.1, 0.8, 0.1][..], 50));
        p.extend(std::iter::repeat_n(&[0.1, 0.1, 0.8][..], 30));
        assert!(
            close(&e.estimate(&p), &[0.2, 0.3, 0.5], 1e-9),
            "{:?}",
            e.estimate(&p)
        );
    }

    #[test]
    fn em_recovers_a_shifted_prior() {
        // Calibrated posteriors under a uniform training prior, for
        // sentences drawn 10% / 10% / 80%: the likelihoods are fixed per true
        // class, and EM must find the 10 / 10 / 80 mix the counts hide.
        let like = [[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.25, 0.25, 0.5]];
        let posterior = |l: [f64; 3]| -> Vec<f64> {
            let s: f64 = l.iter().sum();
            l.iter().map(|x| x / s).collect()
        };
        let rows: Vec<Vec<f64>> = [(0, 100), (1, 100), (2, 800)]
            .iter()
            .flat_map(|&(c, n)| std::iter::repeat_n(posterior(like[c]), n))
            .collect();
        let p: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let em = estimator(SharesMethod::Em, [1, 1, 1], None).estimate(&p);
        let mean = estimator(SharesMethod::Mean, [1, 1, 1], None).estimate(&p);
        assert!((em.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // EM moves toward neutral, beyond the mean of probabilities.
        assert!(em[2] > mean[2] + 0.05, "em {em:?} mean {mean:?}");
    }
}
