//! Resampling shared by the group comparison ([`crate::compare`]) and test
//! scores ([`crate::eval`]): bootstrap percentile intervals from a seeded
//! generator, so the same input and seed give the same interval.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Draw `resamples` bootstrap replicates of `statistic` over `items`
/// (resampled with replacement) and return the 2.5% and 97.5% percentiles.
pub fn bootstrap<T>(
    items: &[T],
    resamples: usize,
    rng: &mut ChaCha8Rng,
    statistic: impl Fn(&[&T]) -> f64,
) -> (f64, f64) {
    let mut values = Vec::with_capacity(resamples);
    let mut sample: Vec<&T> = Vec::with_capacity(items.len());
    for _ in 0..resamples {
        sample.clear();
        for _ in 0..items.len() {
            sample.push(&items[rng.random_range(0..items.len())]);
        }
        values.push(statistic(&sample));
    }
    percentiles(&mut values)
}

/// The 2.5% and 97.5% percentiles (linear interpolation, as numpy's default).
pub fn percentiles(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let pos = q * (values.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        values[lo] + (values[hi] - values[lo]) * (pos - lo as f64)
    };
    (at(0.025), at(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let mut v: Vec<f64> = (0..=40).rev().map(f64::from).collect();
        // Position 0.025 × 40 = 1 and 0.975 × 40 = 39, after sorting.
        assert_eq!(percentiles(&mut v), (1.0, 39.0));
        let mut v = vec![0.0, 1.0];
        assert_eq!(percentiles(&mut v), (0.025, 0.975));
    }

    #[test]
    fn bootstrap_of_the_mean_brackets_it_and_repeats_with_the_seed() {
        let items: Vec<f64> = (0..200).map(|i| f64::from(i % 10)).collect();
        let mean = |s: &[&f64]| s.iter().copied().sum::<f64>() / s.len() as f64;
        let run = |seed| bootstrap(&items, 500, &mut ChaCha8Rng::seed_from_u64(seed), mean);
        let (low, high) = run(7);
        assert!(low < 4.5 && 4.5 < high && high - low < 1.5, "{low} {high}");
        assert_eq!(run(7), (low, high));
        assert_ne!(run(8), (low, high));
    }
}
