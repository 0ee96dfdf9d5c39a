//! Comparing groups of articles (outlets, periods, any metadata field): label
//! shares, mean net stance and hawkish share with bootstrap intervals, a test
//! of whether the label distribution differs, and pairwise differences.
//!
//! The unit of resampling is the article, not the sentence: sentences of one
//! article share an author and a story, so treating them as independent would
//! make every difference look significant. The chi-square test on sentence
//! counts is reported because readers know it, with that caveat; the
//! permutation test shuffles whole articles between groups and is the one to
//! trust. Everything random is drawn from a seeded generator, so the same
//! input gives the same numbers.

use crate::stats::{bootstrap, percentiles};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};
use std::collections::BTreeMap;

/// What the comparison needs to know of one classified article.
#[derive(Debug, Clone)]
pub struct ArticleStats {
    pub id: String,
    pub group: String,
    pub sentences: usize,
    /// Sentence counts per stance class, in the model's class order.
    pub counts: Vec<usize>,
    /// Estimated share of each stance class among the article's sentences
    /// (see [`crate::profile::SharesMethod`]), in the same order.
    pub shares: Vec<f64>,
    pub net_stance: Option<f64>,
    pub net_tone: Option<f64>,
}

/// An estimate with its 95% interval; no interval from a single article.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub group: String,
    pub articles: usize,
    pub sentences: usize,
    pub counts: BTreeMap<String, usize>,
    pub shares: BTreeMap<String, f64>,
    /// Mean of the articles' net stance.
    pub net_stance: Option<Interval>,
    /// The group's hawkish share: its articles' estimated hawkish shares
    /// weighted by their sentences.
    pub hawkish_share: Option<Interval>,
    /// Mean of the articles' net tone, when the model has a tone head.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_tone: Option<Interval>,
    /// Only one article: shown, but no interval can be computed.
    pub single_article: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
    pub min_expected: f64,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Permutation {
    /// The chi-square statistic of the observed grouping.
    pub statistic: f64,
    pub p_value: f64,
    pub permutations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pairwise {
    pub a: String,
    pub b: String,
    /// Mean net stance of `a` minus that of `b`.
    pub difference: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub by: String,
    /// How the articles' stance shares were estimated.
    pub shares_method: crate::profile::SharesMethod,
    pub articles: usize,
    pub sentences: usize,
    pub resamples: usize,
    pub seed: u64,
    pub classes: Vec<String>,
    pub groups: Vec<GroupSummary>,
    pub chi_square: Option<ChiSquare>,
    pub permutation: Option<Permutation>,
    pub pairwise: Vec<Pairwise>,
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The chi-square statistic of a groups × classes table, ignoring empty
/// classes; with the degrees of freedom and the smallest expected count.
fn chi_square_statistic(table: &[Vec<usize>]) -> (f64, usize, f64, usize) {
    let k = table.first().map_or(0, Vec::len);
    let cols: Vec<usize> = (0..k)
        .filter(|&c| table.iter().map(|r| r[c]).sum::<usize>() > 0)
        .collect();
    let rows: Vec<&Vec<usize>> = table
        .iter()
        .filter(|r| r.iter().sum::<usize>() > 0)
        .collect();
    let total: f64 = rows.iter().map(|r| r.iter().sum::<usize>() as f64).sum();
    let (mut statistic, mut min_expected, mut small) = (0.0, f64::INFINITY, 0);
    for r in &rows {
        let row_total = r.iter().sum::<usize>() as f64;
        for &c in &cols {
            let col_total = rows.iter().map(|r| r[c]).sum::<usize>() as f64;
            let expected = row_total * col_total / total;
            statistic += (r[c] as f64 - expected).powi(2) / expected;
            min_expected = f64::min(min_expected, expected);
            if expected < 5.0 {
                small += 1;
            }
        }
    }
    let df = rows.len().saturating_sub(1) * cols.len().saturating_sub(1);
    (statistic, df, min_expected, small)
}

fn table_of(
    articles: &[ArticleStats],
    groups: &[String],
    assignment: &[usize],
    k: usize,
) -> Vec<Vec<usize>> {
    let mut table = vec![vec![0usize; k]; groups.len()];
    for (a, &g) in articles.iter().zip(assignment) {
        for (c, n) in a.counts.iter().enumerate() {
            table[g][c] += n;
        }
    }
    table
}

/// Compare the groups of `articles`. `classes` are the stance classes in the
/// order of each article's `counts`; `shares_method` says how the articles'
/// `shares` were estimated.
pub fn compare(
    articles: &[ArticleStats],
    classes: &[String],
    shares_method: crate::profile::SharesMethod,
    by: &str,
    resamples: usize,
    seed: u64,
) -> Comparison {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_group: BTreeMap<&str, Vec<&ArticleStats>> = BTreeMap::new();
    for a in articles {
        by_group.entry(a.group.as_str()).or_default().push(a);
    }
    let names: Vec<String> = by_group.keys().map(|s| s.to_string()).collect();
    let hawkish = classes.iter().position(|c| c == "hawkish");
    let mut groups = Vec::new();
    for (name, members) in &by_group {
        let sentences: usize = members.iter().map(|a| a.sentences).sum();
        let counts: BTreeMap<String, usize> = classes
            .iter()
            .enumerate()
            .map(|(c, label)| (label.clone(), members.iter().map(|a| a.counts[c]).sum()))
            .collect();
        // The group's share of a class: its articles' estimated shares
        // weighted by their sentences (with counted shares, the counts over
        // the sentences).
        let pooled_share = |s: &[&&ArticleStats], c: usize| {
            let total: usize = s.iter().map(|a| a.sentences).sum();
            if total == 0 {
                0.0
            } else {
                s.iter()
                    .map(|a| a.shares[c] * a.sentences as f64)
                    .sum::<f64>()
                    / total as f64
            }
        };
        let refs: Vec<&&ArticleStats> = members.iter().collect();
        let shares = classes
            .iter()
            .enumerate()
            .map(|(c, l)| (l.clone(), pooled_share(&refs, c)))
            .collect();
        let single = members.len() == 1;
        let interval_of = |values: Vec<f64>, rng: &mut ChaCha8Rng| -> Interval {
            let estimate = mean(&values);
            if single {
                return Interval {
                    estimate,
                    low: None,
                    high: None,
                };
            }
            let (low, high) = bootstrap(&values, resamples, rng, |s| {
                s.iter().map(|v| **v).sum::<f64>() / s.len() as f64
            });
            Interval {
                estimate,
                low: Some(low),
                high: Some(high),
            }
        };
        let stance_values: Option<Vec<f64>> = members.iter().map(|a| a.net_stance).collect();
        let net_stance = stance_values.map(|v| interval_of(v, &mut rng));
        let tone_values: Option<Vec<f64>> = members.iter().map(|a| a.net_tone).collect();
        let net_tone = tone_values.map(|v| interval_of(v, &mut rng));
        let hawkish_share = hawkish.map(|h| {
            let ratio = |s: &[&&ArticleStats]| pooled_share(s, h);
            let all: Vec<&ArticleStats> = members.clone();
            let estimate = ratio(&all.iter().collect::<Vec<_>>());
            if single {
                Interval {
                    estimate,
                    low: None,
                    high: None,
                }
            } else {
                let (low, high) = bootstrap(&all, resamples, &mut rng, ratio);
                Interval {
                    estimate,
                    low: Some(low),
                    high: Some(high),
                }
            }
        });
        groups.push(GroupSummary {
            group: name.to_string(),
            articles: members.len(),
            sentences,
            counts,
            shares,
            net_stance,
            hawkish_share,
            net_tone,
            single_article: single,
        });
    }

    let assignment: Vec<usize> = articles
        .iter()
        .map(|a| names.iter().position(|n| *n == a.group).unwrap_or(0))
        .collect();
    let (chi_square, permutation) = if names.len() >= 2 {
        let observed = table_of(articles, &names, &assignment, classes.len());
        let (statistic, df, min_expected, small) = chi_square_statistic(&observed);
        let p_value = if df > 0 {
            ChiSquared::new(df as f64).map_or(f64::NAN, |d| 1.0 - d.cdf(statistic))
        } else {
            1.0
        };
        let cells = observed.len() * classes.len();
        let warning = (min_expected < 5.0).then(|| {
            format!(
                "{small} of {cells} expected counts are below 5 (smallest {min_expected:.1}): the chi-square approximation is unreliable; prefer the permutation test"
            )
        });
        let mut shuffled = assignment.clone();
        let mut at_least = 0;
        for _ in 0..resamples {
            shuffled.shuffle(&mut rng);
            let (s, ..) =
                chi_square_statistic(&table_of(articles, &names, &shuffled, classes.len()));
            if s >= statistic - 1e-12 {
                at_least += 1;
            }
        }
        (
            Some(ChiSquare {
                statistic,
                df,
                p_value,
                min_expected,
                warning,
            }),
            Some(Permutation {
                statistic,
                p_value: (1 + at_least) as f64 / (1 + resamples) as f64,
                permutations: resamples,
            }),
        )
    } else {
        (None, None)
    };

    let mut pairwise = Vec::new();
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let values = |name: &str| -> Option<Vec<f64>> {
                by_group[name].iter().map(|a| a.net_stance).collect()
            };
            let (Some(va), Some(vb)) = (values(&names[i]), values(&names[j])) else {
                continue;
            };
            let difference = mean(&va) - mean(&vb);
            let (low, high) = if va.len() > 1 && vb.len() > 1 {
                let mut diffs = Vec::with_capacity(resamples);
                for _ in 0..resamples {
                    let ma = (0..va.len())
                        .map(|_| va[rng.random_range(0..va.len())])
                        .sum::<f64>()
                        / va.len() as f64;
                    let mb = (0..vb.len())
                        .map(|_| vb[rng.random_range(0..vb.len())])
                        .sum::<f64>()
                        / vb.len() as f64;
                    diffs.push(ma - mb);
                }
                let (l, h) = percentiles(&mut diffs);
                (Some(l), Some(h))
            } else {
                (None, None)
            };
            pairwise.push(Pairwise {
                a: names[i].clone(),
                b: names[j].clone(),
                difference,
                low,
                high,
            });
        }
    }
    Comparison {
        by: by.to_string(),
        shares_method,
        articles: articles.len(),
        sentences: articles.iter().map(|a| a.sentences).sum(),
        resamples,
        seed,
        classes: classes.to_vec(),
        groups,
        chi_square,
        permutation,
        pairwise,
    }
}

/// The group key of a date for `--period`: "2016-10-12", "2016-W41", "2016-10".
pub fn period_of(date: &str, period: Period) -> Option<String> {
    use chrono::Datelike;
    let day = chrono::NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
    Some(match period {
        Period::Day => day.format("%Y-%m-%d").to_string(),
        Period::Week => format!("{}-W{:02}", day.iso_week().year(), day.iso_week().week()),
        Period::Month => day.format("%Y-%m").to_string(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: &str, group: &str, counts: [usize; 3]) -> ArticleStats {
        let n: usize = counts.iter().sum();
        ArticleStats {
            id: id.into(),
            group: group.into(),
            sentences: n,
            counts: counts.to_vec(),
            shares: counts.iter().map(|&c| c as f64 / n as f64).collect(),
            // classes: conciliatory, hawkish, neutral
            net_stance: Some((counts[1] as f64 - counts[0] as f64) / n as f64),
            net_tone: None,
        }
    }

    fn classes() -> Vec<String> {
        ["conciliatory", "hawkish", "neutral"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn group_shares_weigh_the_articles_estimated_shares_by_their_sentences() {
        // Estimated shares (not the counts' ratios): a 10-sentence article
        // at 0.5 hawkish and a 30-sentence one at 0.1 pool to 0.2.
        let mut a = article("a", "G", [5, 0, 5]);
        a.shares = vec![0.3, 0.5, 0.2];
        let mut b = article("b", "G", [0, 10, 20]);
        b.shares = vec![0.2, 0.1, 0.7];
        let c = compare(
            &[a, b],
            &classes(),
            crate::profile::SharesMethod::Mean,
            "outlet",
            200,
            1,
        );
        let g = &c.groups[0];
        assert!((g.shares["hawkish"] - (0.5 * 10.0 + 0.1 * 30.0) / 40.0).abs() < 1e-12);
        assert!((g.hawkish_share.as_ref().unwrap().estimate - 0.2).abs() < 1e-12);
        assert!((g.shares["neutral"] - (0.2 * 10.0 + 0.7 * 30.0) / 40.0).abs() < 1e-12);
        assert_eq!(c.shares_method, crate::profile::SharesMethod::Mean);
        // The counts stay counts (the chi-square test is on them).
        assert_eq!(g.counts["hawkish"], 10);
    }

    #[test]
    fn chi_square_matches_a_hand_computed_table() {
        // Table [[10, 20], [30, 40]]: N = 100, expected [[12, 18], [28, 42]].
        let (stat, df, min_e, small) = chi_square_statistic(&[vec![10, 20], vec![30, 40]]);
        let expected = 4.0 / 12.0 + 4.0 / 18.0 + 4.0 / 28.0 + 4.0 / 42.0;
        assert!((stat - expected).abs() < 1e-12);
        assert_eq!((df, small), (1, 0));
        assert!((min_e - 12.0).abs() < 1e-12);
        // scipy.stats.chi2.sf(0.7937, 1) = 0.3730
        let p = 1.0 - ChiSquared::new(1.0).unwrap().cdf(stat);
        assert!((p - 0.3730).abs() < 1e-3, "{p}");
    }

    #[test]
    fn groups_intervals_and_single_articles() {
        let articles = vec![
            article("a1", "A", [1, 8, 1]),
            article("a2", "A", [2, 6, 2]),
            article("a3", "A", [0, 9, 1]),
            article("b1", "B", [8, 1, 1]),
            article("b2", "B", [7, 2, 1]),
            article("c1", "C", [3, 3, 4]),
        ];
        let c = compare(
            &articles,
            &classes(),
            crate::profile::SharesMethod::Count,
            "outlet",
            500,
            7,
        );
        assert_eq!(c.groups.len(), 3);
        let a = &c.groups[0];
        let net = a.net_stance.as_ref().unwrap();
        assert!((net.estimate - mean(&[0.7, 0.4, 0.9])).abs() < 1e-12);
        let (low, high) = (net.low.unwrap(), net.high.unwrap());
        assert!(
            low <= net.estimate
                && net.estimate <= high
                && low >= 0.4 - 1e-12
                && high <= 0.9 + 1e-12
        );
        assert!((a.hawkish_share.as_ref().unwrap().estimate - 23.0 / 30.0).abs() < 1e-12);
        let single = &c.groups[2];
        assert!(single.single_article && single.net_stance.as_ref().unwrap().low.is_none());
        // A clearly hawkish group against a clearly conciliatory one.
        let ab = c
            .pairwise
            .iter()
            .find(|p| p.a == "A" && p.b == "B")
            .unwrap();
        assert!(ab.low.unwrap() > 0.0, "{ab:?}");
        assert!(c
            .pairwise
            .iter()
            .find(|p| p.b == "C")
            .unwrap()
            .low
            .is_none());
        assert!(c.chi_square.as_ref().unwrap().p_value < 0.001);
        assert!(
            c.chi_square.as_ref().unwrap().warning.is_some(),
            "small expected counts are flagged"
        );
        let perm = c.permutation.as_ref().unwrap();
        assert!(perm.p_value > 0.0 && perm.p_value <= 1.0);
        // Deterministic for a seed.
        let again = compare(
            &articles,
            &classes(),
            crate::profile::SharesMethod::Count,
            "outlet",
            500,
            7,
        );
        assert_eq!(again.groups[0].net_stance, c.groups[0].net_stance);
        assert_eq!(again.permutation.unwrap().p_value, perm.p_value);
    }

    #[test]
    fn identical_groups_are_not_significant_under_permutation() {
        let articles: Vec<ArticleStats> = (0..8)
            .map(|i| {
                article(
                    &format!("x{i}"),
                    if i % 2 == 0 { "A" } else { "B" },
                    [3, 3, 4],
                )
            })
            .collect();
        let c = compare(
            &articles,
            &classes(),
            crate::profile::SharesMethod::Count,
            "outlet",
            300,
            1,
        );
        assert!(c.chi_square.as_ref().unwrap().statistic.abs() < 1e-12);
        assert_eq!(c.permutation.unwrap().p_value, 1.0);
    }

    #[test]
    fn periods() {
        assert_eq!(
            period_of("2016-10-12", Period::Week).as_deref(),
            Some("2016-W41")
        );
        assert_eq!(
            period_of("2016-10-12T08:00:00Z", Period::Month).as_deref(),
            Some("2016-10")
        );
        assert_eq!(
            period_of("2017-01-01", Period::Week).as_deref(),
            Some("2016-W52")
        );
        assert_eq!(period_of("yesterday", Period::Day), None);
    }
}
