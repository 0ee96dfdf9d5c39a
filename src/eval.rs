//! Classification metrics: confusion matrix, per-class precision / recall /
//! F1, accuracy, and macro-F1 as scikit-learn computes it (the mean of the
//! per-class F1 scores; a class with no predictions and no support scores 0).

use crate::stats::bootstrap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Confusion {
    pub labels: Vec<String>,
    /// `matrix[true][predicted]`.
    pub matrix: Vec<Vec<usize>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: BTreeMap<String, ClassScores>,
    pub confusion: Confusion,
}

impl Metrics {
    /// Metrics for `truth` and `predicted`, indices into `labels`.
    pub fn compute(labels: &[String], truth: &[usize], predicted: &[usize]) -> Metrics {
        let k = labels.len();
        let mut matrix = vec![vec![0usize; k]; k];
        for (&t, &p) in truth.iter().zip(predicted) {
            matrix[t][p] += 1;
        }
        let per_class = labels
            .iter()
            .enumerate()
            .map(|(c, label)| (label.clone(), class_scores(&matrix, c)))
            .collect();
        Metrics {
            n: truth.len(),
            accuracy: accuracy_of(&matrix),
            macro_f1: macro_f1_of(&matrix),
            per_class,
            confusion: Confusion {
                labels: labels.to_vec(),
                matrix,
            },
        }
    }

    /// A plain-text table for terminals.
    pub fn to_table(&self) -> String {
        let width = self
            .confusion
            .labels
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(5)
            .max(9);
        let mut out = String::new();
        out.push_str(&format!(
            "sentences {}   accuracy {:.3}   macro-F1 {:.3}\n\n",
            self.n, self.accuracy, self.macro_f1
        ));
        out.push_str(&format!(
            "{:<width$}  {:>9}  {:>6}  {:>6}  {:>7}\n",
            "label", "precision", "recall", "F1", "support"
        ));
        for (label, s) in &self.per_class {
            out.push_str(&format!(
                "{:<width$}  {:>9.3}  {:>6.3}  {:>6.3}  {:>7}\n",
                label, s.precision, s.recall, s.f1, s.support
            ));
        }
        out.push_str(&format!(
            "\nconfusion (rows: true, columns: predicted)\n{:<width$}",
            ""
        ));
        for label in &self.confusion.labels {
            out.push_str(&format!("  {label:>width$}"));
        }
        out.push('\n');
        for (label, row) in self.confusion.labels.iter().zip(&self.confusion.matrix) {
            out.push_str(&format!("{label:<width$}"));
            for v in row {
                out.push_str(&format!("  {v:>width$}"));
            }
            out.push('\n');
        }
        out
    }
}

/// 95% bootstrap intervals of a test score: the test sentences are
/// resampled with replacement, so the interval says how much the score
/// depends on which sentences happened to be in the test file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestIntervals {
    pub resamples: usize,
    pub seed: u64,
    /// 2.5% and 97.5% percentiles of the resampled accuracy.
    pub accuracy: [f64; 2],
    /// 2.5% and 97.5% percentiles of the resampled macro-F1.
    pub macro_f1: [f64; 2],
}

impl TestIntervals {
    /// Intervals for `truth` and `predicted` (indices of `n_classes` classes).
    pub fn compute(
        n_classes: usize,
        truth: &[usize],
        predicted: &[usize],
        resamples: usize,
        seed: u64,
    ) -> TestIntervals {
        let pairs: Vec<(usize, usize)> = truth
            .iter()
            .copied()
            .zip(predicted.iter().copied())
            .collect();
        let confusion = |sample: &[&(usize, usize)]| {
            let mut matrix = vec![vec![0usize; n_classes]; n_classes];
            for &&(t, p) in sample {
                matrix[t][p] += 1;
            }
            matrix
        };
        let interval = |statistic: fn(&[Vec<usize>]) -> f64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let (low, high) = bootstrap(&pairs, resamples, &mut rng, |s| statistic(&confusion(s)));
            [low, high]
        };
        TestIntervals {
            resamples,
            seed,
            accuracy: interval(accuracy_of),
            macro_f1: interval(macro_f1_of),
        }
    }

    /// One line for terminals.
    pub fn to_line(&self) -> String {
        format!(
            "95% intervals ({} bootstrap resamples of the sentences, seed {}): accuracy {:.3}-{:.3}, macro-F1 {:.3}-{:.3}\n",
            self.resamples,
            self.seed,
            self.accuracy[0],
            self.accuracy[1],
            self.macro_f1[0],
            self.macro_f1[1]
        )
    }
}

/// Per class of a confusion matrix (`matrix[true][predicted]`): precision,
/// recall, F1 and support.
fn class_scores(matrix: &[Vec<usize>], c: usize) -> ClassScores {
    let tp = matrix[c][c] as f64;
    let support: usize = matrix[c].iter().sum();
    let predicted: usize = matrix.iter().map(|row| row[c]).sum();
    let precision = ratio(tp, predicted as f64);
    let recall = ratio(tp, support as f64);
    ClassScores {
        precision,
        recall,
        f1: ratio(2.0 * precision * recall, precision + recall),
        support,
    }
}

fn macro_f1_of(matrix: &[Vec<usize>]) -> f64 {
    let k = matrix.len();
    if k == 0 {
        return 0.0;
    }
    (0..k).map(|c| class_scores(matrix, c).f1).sum::<f64>() / k as f64
}

fn accuracy_of(matrix: &[Vec<usize>]) -> f64 {
    let n: usize = matrix.iter().flatten().sum();
    let correct: usize = (0..matrix.len()).map(|c| matrix[c][c]).sum();
    ratio(correct as f64, n as f64)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// Mean and sample standard deviation (n − 1); the deviation of one value is 0.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_deviation() {
        assert_eq!(mean_sd(&[1.0, 2.0, 3.0]), (2.0, 1.0));
        assert_eq!(mean_sd(&[0.5]), (0.5, 0.0));
    }

    #[test]
    fn macro_f1_is_the_mean_of_per_class_f1() {
        // scikit-learn: f1_score([0,0,1,1,2,2],[0,1,1,1,2,0], average='macro') = 0.6555…
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let m = Metrics::compute(&labels, &[0, 0, 1, 1, 2, 2], &[0, 1, 1, 1, 2, 0]);
        let f1_a = 0.5; // p 1/2, r 1/2
        let f1_b = 0.8; // p 2/3, r 1
        let f1_c = 2.0 / 3.0; // p 1, r 1/2
        assert!((m.macro_f1 - (f1_a + f1_b + f1_c) / 3.0).abs() < 1e-12);
        assert!((m.macro_f1 - 0.655_555).abs() < 1e-5);
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(
            m.confusion.matrix,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]
        );
        assert_eq!(m.per_class["b"].support, 2);
    }

    #[test]
    fn test_intervals_match_the_binomial_spread_of_accuracy() {
        // 400 sentences, 300 right: the accuracy's standard error is
        // sqrt(0.75 · 0.25 / 400) = 0.0217, so the 95% interval is about
        // 0.75 ± 0.042.
        let truth: Vec<usize> = (0..400).map(|i| i % 3).collect();
        let predicted: Vec<usize> = truth
            .iter()
            .enumerate()
            .map(|(i, &t)| if i % 4 == 0 { (t + 1) % 3 } else { t })
            .collect();
        let m = Metrics::compute(&["a", "b", "c"].map(String::from), &truth, &predicted);
        assert_eq!(m.accuracy, 0.75);
        let ci = TestIntervals::compute(3, &truth, &predicted, 4000, 1);
        let [low, high] = ci.accuracy;
        assert!(
            (low - 0.708).abs() < 0.01 && (high - 0.792).abs() < 0.01,
            "{ci:?}"
        );
        let [f1_low, f1_high] = ci.macro_f1;
        assert!(f1_low < m.macro_f1 && m.macro_f1 < f1_high, "{ci:?}");
        assert_eq!(TestIntervals::compute(3, &truth, &predicted, 4000, 1), ci);

        // Every sentence right: every resample scores 1.
        let perfect = TestIntervals::compute(3, &truth, &truth, 200, 1);
        assert_eq!(
            (perfect.accuracy, perfect.macro_f1),
            ([1.0, 1.0], [1.0, 1.0])
        );
    }

    #[test]
    fn a_never_predicted_class_scores_zero() {
        let labels: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let m = Metrics::compute(&labels, &[0, 1], &[0, 0]);
        assert_eq!(m.per_class["b"].f1, 0.0);
        assert_eq!(m.per_class["b"].precision, 0.0);
    }
}
